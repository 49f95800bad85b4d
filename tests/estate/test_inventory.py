"""read_inventory and deployment_from_inventory on the bundled exports and on small
hand-built ones (REST/Resource Graph nested, az flattened, portal CSV)."""

import copy
import csv
import dataclasses
import json
import pickle

import numpy as np
import pandas as pd
import pytest

import plcapacity as plc
from plcapacity.base.limits import data_path
from plcapacity.estate import exports as _exports
from plcapacity.estate.inventory import (
    CONNECTION_COLUMNS,
    INVENTORY_COLUMNS,
    PE_SHARE_AT_RISK,
    PER_VM_CAP_LIMIT,
    Inventory,
    as_inventory,
    connections_table,
    deployment_from_inventory,
    read_inventory,
)

ESTATE = data_path("examples/estate")
SUB = "/subscriptions/s1/resourceGroups/rg/providers"


# ------------------------------------------------------------------ hand-built exports


def pls_rest(name, lb="lb1", frontend="fe1", nat_ips=2, connections=(), visibility=None):
    """A PLS as REST / Resource Graph return it (properties nested)."""
    pls_id = f"{SUB}/Microsoft.Network/privateLinkServices/{name}"
    return {
        "id": pls_id, "name": name, "type": "microsoft.network/privatelinkservices",
        "location": "eastus",
        "properties": {
            "ipConfigurations": [{"name": f"ip{k}", "properties": {"privateIPAddress": f"10.0.0.{k}"}}
                                 for k in range(nat_ips)],
            "loadBalancerFrontendIpConfigurations": [
                {"id": f"{SUB}/Microsoft.Network/loadBalancers/{lb}/frontendIPConfigurations/{frontend}"}],
            "privateEndpointConnections": [
                {"id": f"{pls_id}/privateEndpointConnections/c{i}",
                 "properties": {"privateEndpoint": {"id": f"{SUB}/Microsoft.Network/privateEndpoints/{pe}"},
                                "privateLinkServiceConnectionState": {"status": status},
                                **({"privateEndpointLocation": region} if region else {})}}
                for i, (pe, status, region) in enumerate(connections)],
            "visibility": visibility or {"subscriptions": []},
        },
    }


def pls_az(name, **kwargs):
    """The same PLS as az prints it: properties flattened at every level, camelCase type."""
    def flatten(obj):
        if isinstance(obj, dict):
            inner = obj.get("properties")
            out = {k: flatten(v) for k, v in obj.items() if k != "properties"}
            if isinstance(inner, dict):
                out.update({k: flatten(v) for k, v in inner.items()})
            return out
        if isinstance(obj, list):
            return [flatten(v) for v in obj]
        return obj
    flat = flatten(pls_rest(name, **kwargs))
    flat["type"] = "Microsoft.Network/privateLinkServices"
    return flat


def lb_rest(name="lb1", frontends=("fe1",), members=(), addresses=(), rules=None):
    lb_id = f"{SUB}/Microsoft.Network/loadBalancers/{name}"
    rules = rules if rules is not None else [(fe, "pool1") for fe in frontends]
    return {
        "id": lb_id, "name": name, "type": "microsoft.network/loadbalancers",
        "location": "eastus",
        "properties": {
            "frontendIPConfigurations": [{"id": f"{lb_id}/frontendIPConfigurations/{fe}",
                                          "properties": {}} for fe in frontends],
            "backendAddressPools": [{
                "id": f"{lb_id}/backendAddressPools/pool1",
                "properties": {"backendIPConfigurations": [{"id": m} for m in members],
                               "loadBalancerBackendAddresses": [
                                   {"name": f"a{i}", "properties": a}
                                   for i, a in enumerate(addresses)]}}],
            "loadBalancingRules": [{
                "id": f"{lb_id}/loadBalancingRules/r{i}",
                "properties": {"frontendIPConfiguration": {"id": f"{lb_id}/frontendIPConfigurations/{fe}"},
                               "backendAddressPool": {"id": f"{lb_id}/backendAddressPools/{pool}"},
                               "protocol": "Tcp", "frontendPort": 443}}
                for i, (fe, pool) in enumerate(rules)],
        },
    }


def nic(i, config="ipconfig1"):
    return f"{SUB}/Microsoft.Network/networkInterfaces/nic{i}/ipConfigurations/{config}"


def vmss(i, nic_name="nic", config="ipconfig1"):
    return (f"{SUB}/Microsoft.Compute/virtualMachineScaleSets/ss/virtualMachines/{i}/"
            f"networkInterfaces/{nic_name}/ipConfigurations/{config}")


def write(tmp_path, name, document):
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


# ------------------------------------------------------------------ the bundled example


@pytest.fixture(scope="module")
def example():
    return read_inventory(ESTATE / "pls.json", ESTATE / "lb.json", ESTATE / "pe.json")


def test_example_has_one_row_per_pls_with_the_documented_columns(example):
    assert list(example.columns) == list(INVENTORY_COLUMNS)
    assert list(example["name"]) == ["pls-orders", "pls-payments", "pls-search", "pls-legacy"]


def test_example_counts_match_the_generated_estate(example):
    # docs/make_estate_examples.py: lb-orders has 6 NIC VMs behind both frontends, lb-search
    # 12 scale-set instances; lb-legacy is left out of lb.json on purpose.
    row = example.set_index("name")
    assert row.loc["pls-orders", "nat_ips"] == 4
    assert row.loc["pls-orders", "backend_vms"] == 6
    assert row.loc["pls-payments", "backend_vms"] == 6
    assert row.loc["pls-search", "backend_vms"] == 12
    assert pd.isna(row.loc["pls-legacy", "backend_vms"])
    assert list(example["pls_on_load_balancer"]) == [2, 2, 1, 1]
    assert row.loc["pls-search", "private_endpoints"] == 512 + 241 + 70
    assert row.loc["pls-search", "pending_connections"] == 12   # 3 rejected are neither
    assert row.loc["pls-search", "visibility"] == "all subscriptions"
    # pls-orders' connections carry no privateEndpointLocation: the regions come from pe.json
    assert row.loc["pls-orders", "pe_regions"] == "eastus (18), westus2 (9), northeurope (4)"


def test_example_ceilings_by_hand(example):
    row = example.set_index("name")
    # nat_ips x backend_vms x 64,000 (FAQ); the 500,000-flow cap per VM does not bind here
    assert row.loc["pls-orders", "ceiling"] == 4 * 6 * 64_000 == 1_536_000
    assert row.loc["pls-payments", "ceiling"] == 1 * 6 * 64_000
    assert row.loc["pls-search", "ceiling"] == 2 * 12 * 64_000
    assert pd.isna(row.loc["pls-legacy", "ceiling"])
    assert row.loc["pls-orders", "binding_limit"] == "nat_ports"
    assert example.max_connections_per_vm == plc.get_limits()[PER_VM_CAP_LIMIT]


def test_example_ceilings_agree_with_ceiling_table(example):
    cap = plc.get_limits().vm_nic_concurrent_flows
    known = example[example["backend_vms"].notna()]
    for row in known.itertuples():
        expected = plc.ceiling_table(row.nat_ips, int(row.backend_vms),
                                     max_connections_per_vm=cap).iloc[0]
        assert row.ceiling == expected["ceiling"]
        assert row.nat_port_limit == expected["nat_port_limit"]
        assert row.binding_limit == expected["binding_limit"]


def test_example_findings(example):
    findings = example.set_index("name")["findings"]
    assert findings["pls-payments"].startswith("one NAT IP only")
    # the PLS is in eastus too: endpoints elsewhere would not help, a second PLS would
    assert ("the PLS and every private endpoint are in eastus: an outage there stops the "
            "service, and endpoints in other regions would not help") in findings["pls-payments"]
    assert "835 endpoint connections (84% of the 1,000" in findings["pls-search"]
    assert "load balancer lb-legacy is not in the input" in findings["pls-legacy"]
    assert findings["pls-orders"] == ""


def test_connections_table_lists_every_connection(example):
    links = connections_table(example)
    assert len(links) == (18 + 9 + 4 + 2) + 6 + (512 + 241 + 70 + 12 + 3) + 5
    assert set(links["status"]) == {"approved", "pending", "rejected"}
    assert links["region"].notna().all()


# ------------------------------------------------------------------ formats and counting


def test_nested_and_flattened_exports_give_the_same_table(tmp_path):
    links = [("pe1", "Approved", "eastus"), ("pe2", "Approved", "westus2"),
             ("pe3", "Pending", None)]
    lb = lb_rest(members=[nic(1), nic(2), nic(3)])
    nested = read_inventory(write(tmp_path, "a.json", [pls_rest("p", connections=links)]),
                            write(tmp_path, "lb.json", {"value": [lb]}))
    flat = read_inventory(write(tmp_path, "b.json", pls_az("p", connections=links)),
                          write(tmp_path, "lb2.json", {"count": 1, "data": [lb]}))
    columns = [c for c in INVENTORY_COLUMNS if c != "source"]
    pd.testing.assert_frame_equal(nested[columns], flat[columns])
    assert nested.loc[0, "backend_vms"] == 3
    assert nested.loc[0, "private_endpoints"] == 2
    assert nested.loc[0, "pending_connections"] == 1
    assert nested.loc[0, "pe_regions"] == "eastus (1), westus2 (1)"


def test_vm_cap_binds_with_eight_nat_ips(tmp_path):
    # 8 x 2 x 64,000 = 1,024,000 NAT ports, but 2 VMs x 500,000 flows = 1,000,000
    table = read_inventory(write(tmp_path, "p.json", [pls_rest("p", nat_ips=8)]),
                           write(tmp_path, "l.json", [lb_rest(members=[nic(1), nic(2)])]))
    assert table.loc[0, "nat_port_limit"] == 1_024_000
    assert table.loc[0, "ceiling"] == 1_000_000
    assert table.loc[0, "binding_limit"] == "vm_connections"
    custom = read_inventory(tmp_path / "p.json", tmp_path / "l.json",
                            max_connections_per_vm=100_000)
    assert custom.loc[0, "ceiling"] == 200_000


def test_vms_are_counted_once_each(tmp_path):
    members = [vmss(0, "a"), vmss(0, "b"), vmss(1), vmss(2, config="ipconfig2"), vmss(2),
               nic(7, "c1"), nic(7, "c2"), nic(8)]
    addresses = [{"networkInterfaceIPConfiguration": {"id": nic(8)}},   # already counted
                 {"ipAddress": "10.1.0.4", "virtualNetwork": {"id": "vnet"}},
                 {"ipAddress": "10.1.0.5", "virtualNetwork": {"id": "vnet"}}]
    lb = lb_rest(members=members, addresses=addresses)
    table = read_inventory(write(tmp_path, "p.json", [pls_rest("p")]),
                           write(tmp_path, "l.json", [lb]))
    # scale-set instances 0, 1, 2; NICs 7 and 8; two IP addresses
    assert table.loc[0, "backend_vms"] == 3 + 2 + 2


def test_two_nics_of_one_vm_count_once_with_the_nic_export(tmp_path):
    lb = lb_rest(members=[nic(1), nic(2)])
    vm = f"{SUB}/Microsoft.Compute/virtualMachines/vm1"
    nics = [{"id": f"{SUB}/Microsoft.Network/networkInterfaces/nic{i}", "name": f"nic{i}",
             "type": "Microsoft.Network/networkInterfaces", "virtualMachine": {"id": vm}}
            for i in (1, 2)]
    paths = [write(tmp_path, "p.json", [pls_rest("p")]), write(tmp_path, "l.json", [lb])]
    assert read_inventory(*paths).loc[0, "backend_vms"] == 2
    assert read_inventory(*paths, write(tmp_path, "n.json", nics)).loc[0, "backend_vms"] == 1


def test_only_the_pools_behind_the_frontends_rules_count(tmp_path):
    lb = lb_rest(frontends=("fe1", "fe2"), members=[nic(1), nic(2)],
                 rules=[("fe2", "pool1"), ("fe1", "pool-missing")])
    table = read_inventory(write(tmp_path, "p.json", [pls_rest("p", frontend="fe1"),
                                                       pls_rest("q", frontend="fe2")]),
                           write(tmp_path, "l.json", [lb]))
    assert list(table["backend_vms"]) == [0, 2]
    assert "no backend VMs" in table.loc[0, "findings"]
    assert pd.isna(table.loc[0, "ceiling"])


def test_findings_at_the_policy_boundaries(tmp_path):
    limit = plc.get_limits()
    at = int(PE_SHARE_AT_RISK * limit.pe_per_pls)           # 800: not more than 80 %
    links_at = [(f"pe{i}", "Approved", "eastus") for i in range(at - 1)] + \
               [("x", "Approved", "westus2")]
    links_over = links_at + [("y", "Pending", None)]
    services = [pls_rest(f"p{i}", frontend=f"fe{i}") for i in range(limit.pls_per_load_balancer)]
    services[0] = pls_rest("p0", frontend="fe0", connections=links_at)
    services[1] = pls_rest("p1", frontend="fe1", connections=links_over)
    lb = lb_rest(frontends=[f"fe{i}" for i in range(9)], members=[nic(1)])
    table = read_inventory(write(tmp_path, "p.json", services), write(tmp_path, "l.json", [lb]))
    assert "endpoint connections" not in table.loc[0, "findings"]
    assert "801 endpoint connections (80% of the 1,000" in table.loc[1, "findings"]
    assert "PLSs on load balancer" not in table.loc[0, "findings"]   # 8 are allowed
    nine = services + [pls_rest("p8", frontend="fe8")]
    table = read_inventory(write(tmp_path, "p9.json", nine), tmp_path / "l.json")
    assert (table["pls_on_load_balancer"] == 9).all()
    assert table["findings"].str.contains("9 PLSs on load balancer lb1, more than the 8 "
                                          "allowed").all()


@pytest.mark.parametrize("upper", [False, True], ids=["lower-case", "upper-case"])
def test_portal_csv_export_of_resource_graph(tmp_path, upper):
    rows = [pls_rest("p", connections=[("pe1", "Approved", "eastus")]), lb_rest(members=[nic(1)])]
    path = tmp_path / "graph.csv"
    header = ["id", "name", "type", "location", "properties"]
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([h.upper() if upper else h for h in header])
        for row in rows:
            writer.writerow([row[k] for k in header[:4]] + [json.dumps(row["properties"])])
    table = read_inventory(path)
    assert table.loc[0, "backend_vms"] == 1 and table.loc[0, "ceiling"] == 2 * 64_000


def test_other_resource_types_are_skipped_and_noted(tmp_path):
    other = {"id": f"{SUB}/Microsoft.Network/publicIPAddresses/ip1", "name": "ip1"}
    table = read_inventory(write(tmp_path, "p.json", [pls_rest("p"), other]))
    assert table.notes == ("skipped 1 resource(s) of type microsoft.network/publicipaddresses",)


def test_a_pls_read_twice_is_kept_once(tmp_path):
    table = read_inventory(write(tmp_path, "a.json", [pls_rest("p")]),
                           write(tmp_path, "b.json", pls_az("p")))
    assert len(table) == 1 and "read twice" in table.notes[0]


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("breaks, message", [
    (lambda r: r["properties"].pop("ipConfigurations"),
     r"a\.json: private link service 'p' \(.*/privateLinkServices/p\): "
     r"properties\.ipConfigurations is missing"),
    (lambda r: r["properties"].pop("loadBalancerFrontendIpConfigurations"),
     r"'p'.*properties\.loadBalancerFrontendIpConfigurations is missing"),
    (lambda r: r["properties"].update(ipConfigurations="two"),
     r"properties\.ipConfigurations is str, not a list"),
    (lambda r: r["properties"]["privateEndpointConnections"][0]["properties"].pop(
        "privateLinkServiceConnectionState"),
     r"properties\.privateEndpointConnections\[0\]\.properties\.privateLinkServiceConnectionState"
     r"\.status is missing; expected one of Approved"),
    (lambda r: r.pop("location"), r"'p'.*location is missing"),
    (lambda r: r["properties"]["loadBalancerFrontendIpConfigurations"][0].update(id="/x/y"),
     r"is not a frontend IP configuration id"),
], ids=["no-ip-configurations", "no-frontend", "not-a-list", "no-status", "no-location",
        "bad-frontend-id"])
def test_a_broken_resource_names_file_resource_and_field(tmp_path, breaks, message):
    resource = pls_rest("p", connections=[("pe1", "Approved", "eastus")])
    breaks(resource)
    with pytest.raises(ValueError, match=message):
        read_inventory(write(tmp_path, "a.json", [resource]))


def test_unreadable_files_give_value_errors(tmp_path, monkeypatch):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match=r"bad\.json: not valid JSON \(line 1"):
        read_inventory(bad)
    with pytest.raises(ValueError, match=r"missing\.json: cannot be read"):
        read_inventory(tmp_path / "missing.json")
    with pytest.raises(ValueError, match="no private link service found"):
        read_inventory(write(tmp_path, "lb.json", [lb_rest()]))
    table_shape = {"data": {"columns": [{"name": "id"}], "rows": [["x"]]}}
    with pytest.raises(ValueError, match=r"a Resource Graph table result \(columns/rows\)"):
        read_inventory(write(tmp_path, "table.json", table_shape))
    with pytest.raises(ValueError, match=r"item 0 is int"):
        read_inventory(write(tmp_path, "ints.json", [1, 2]))
    monkeypatch.setattr(_exports, "MAX_EXPORT_BYTES", 100)
    with pytest.raises(ValueError, match=r"big\.json: larger than 100 bytes"):
        read_inventory(write(tmp_path, "big.json", [pls_rest("p")]))


def test_bad_cap_and_no_files():
    with pytest.raises(ValueError, match="give at least one export file"):
        read_inventory()
    with pytest.raises(ValueError, match=r"max_connections_per_vm=-1 is not allowed"):
        read_inventory(ESTATE / "pls.json", max_connections_per_vm=-1)


# ------------------------------------------------------------------ deployment


def test_deployment_from_inventory_models_the_deployed_endpoints(example):
    deployment = deployment_from_inventory(example, "pls-orders", demand=1_000_000)
    assert [d.name for d in deployment.destinations] == ["pls-orders"]
    assert deployment.destinations[0].region == "eastus"
    assert deployment.destinations[0].capacity_connections == 1_536_000
    regions = pd.Series([e.region for e in deployment.endpoints]).value_counts()
    assert regions.to_dict() == {"eastus": 18, "westus2": 9, "northeurope": 4}
    assert deployment.demand_connections == 1_000_000


def test_deployment_availability_is_the_pls_regions(example):
    # Every endpoint connects to the one PLS in eastus, and some endpoints are in eastus:
    # the service is up exactly when eastus is up, whatever the other regions do.
    deployment = deployment_from_inventory(example, "pls-orders")
    outages = plc.OutageModel(1.0, {"law": "fixed", "hours": 4})
    summary = plc.exact_summary(deployment, outages)
    q = -np.expm1(-1.0 * 240 / (365 * 24 * 60))   # P(down) = 1 - exp(-rate E[D]), 1/yr, 4 h
    assert summary["availability"] == pytest.approx(1 - q, rel=1e-12)


def test_deployment_errors(example, tmp_path):
    with pytest.raises(ValueError, match=r"pls='nope' is not in the inventory; known: pls-orders"):
        deployment_from_inventory(example, "nope")
    with pytest.raises(ValueError, match=r"'pls-legacy': demand needs its ceiling"):
        deployment_from_inventory(example, "pls-legacy", demand=10)
    unlocated = read_inventory(ESTATE / "pls.json", ESTATE / "lb.json")
    assert unlocated.loc[0, "pe_regions"] == "unknown (31)"
    assert unlocated.loc[0, "findings"] == ("the region of 31 private endpoint(s) is unknown "
                                            "(add az network private-endpoint list output)")
    with pytest.raises(ValueError, match=r"the region of private endpoint .* is unknown"):
        deployment_from_inventory(unlocated, "pls-orders")
    lonely = read_inventory(write(tmp_path, "p.json", [pls_rest("p")]))
    with pytest.raises(ValueError, match="no approved private endpoint connection"):
        deployment_from_inventory(lonely, "p")
    with pytest.raises(ValueError, match="give the result of plcapacity.read_inventory"):
        deployment_from_inventory(pd.DataFrame({"x": [1]}), "p")


def test_a_pls_without_nat_ips_has_no_ceiling_and_says_why(tmp_path):
    table = read_inventory(write(tmp_path, "p.json", [pls_rest("p", nat_ips=0)]),
                           write(tmp_path, "l.json", [lb_rest(members=[nic(1)])]))
    assert pd.isna(table.loc[0, "ceiling"])
    assert "0 NAT IP configurations, outside the 1 to 8 a PLS has" in table.loc[0, "findings"]


def test_backend_vms_and_ceiling_against_brute_force(tmp_path):
    # random pools of NIC and scale-set members, some repeated; an independent count of the
    # distinct VMs and the FAQ's formula with the per-VM cap
    rng = np.random.default_rng(7)
    cap = plc.get_limits().vm_nic_concurrent_flows
    for case in range(25):
        members, expected = [], set()
        for _ in range(rng.integers(1, 40)):
            if rng.uniform() < 0.5:
                i = int(rng.integers(0, 10))
                members.append(nic(i, f"c{rng.integers(0, 2)}"))
                expected.add(("nic", i))
            else:
                i = int(rng.integers(0, 10))
                members.append(vmss(i, f"n{rng.integers(0, 2)}", f"c{rng.integers(0, 2)}"))
                expected.add(("vmss", i))
        nat_ips = int(rng.integers(1, 9))
        table = read_inventory(write(tmp_path, f"p{case}.json", [pls_rest("p", nat_ips=nat_ips)]),
                               write(tmp_path, f"l{case}.json", [lb_rest(members=members)]))
        vms = len(expected)
        assert table.loc[0, "backend_vms"] == vms
        assert table.loc[0, "ceiling"] == min(nat_ips * vms * 64_000, vms * cap)


# ------------------------------------------------------------------ the Inventory object


def test_connections_are_a_table_of_their_own(tmp_path):
    links = [("pe1", "Approved", "eastus"), ("pe2", "Pending", None), ("pe3", "Rejected", None)]
    inventory = read_inventory(write(tmp_path, "p.json", [pls_rest("p", connections=links),
                                                         pls_rest("q", frontend="fe2")]))
    assert isinstance(inventory, Inventory)
    assert list(inventory.connections.columns) == list(CONNECTION_COLUMNS)
    links = inventory.connections
    pe = f"{SUB}/Microsoft.Network/privateEndpoints/pe"
    assert links["pls_id"].tolist() == [f"{SUB}/Microsoft.Network/privateLinkServices/p"] * 3
    assert links["private_endpoint_id"].tolist() == [pe + "1", pe + "2", pe + "3"]
    assert links["status"].tolist() == ["approved", "pending", "rejected"]
    assert links["region"].iloc[0] == "eastus" and links["region"].iloc[1:].isna().all()
    assert list(inventory.table.columns) == list(INVENTORY_COLUMNS)
    assert inventory.notes == () and inventory.max_connections_per_vm == 500_000


def test_the_table_carries_no_connections_in_attrs(example):
    # The defect this object fixes: pandas deep-copies .attrs with every operation, and a
    # list of every endpoint connection there made each copy as costly as the estate.
    assert set(example.table.attrs) == {"notes", "max_connections_per_vm"}   # 0.1's small keys
    assert example.table.attrs["notes"] == list(example.notes)
    derived = [example.table.copy(), example[example["nat_ips"] > 1], example[["name"]],
               example.table.merge(example.connections, on="pls_id"),
               example.table.assign(x=1), example.set_index("name"),
               pd.concat([example.table, example.table])]
    for frame in derived:
        assert set(frame.attrs) <= {"notes", "max_connections_per_vm"}
        assert all(len(value) < 10 for value in frame.attrs.values()
                   if isinstance(value, (list, tuple, dict)))


def test_the_inventory_reads_like_its_table(example):
    assert len(example) == 4 and "ceiling" in example and list(example) == list(INVENTORY_COLUMNS)
    assert example.loc[example["ceiling"].isna(), "name"].tolist() == ["pls-legacy"]
    assert example.set_index("name").loc["pls-orders", "nat_ips"] == 4
    pd.testing.assert_frame_equal(example[["name", "ceiling"]],
                                  example.table[["name", "ceiling"]])
    every = (18 + 9 + 4 + 2) + 6 + (512 + 241 + 70 + 12 + 3) + 5   # docs/make_estate_examples.py
    assert repr(example).startswith(f"Inventory(connections=<{every} rows>, notes=(), "
                                    "max_connections_per_vm=500000) with table:")


def test_an_inventory_copies_and_pickles_whole(example):
    for twin in (copy.deepcopy(example), pickle.loads(pickle.dumps(example))):
        assert isinstance(twin, Inventory)
        pd.testing.assert_frame_equal(twin.connections, example.connections)
        assert deployment_from_inventory(twin, "pls-orders").regions == \
            deployment_from_inventory(example, "pls-orders").regions


def test_an_inventory_checks_what_it_is_given(example):
    with pytest.raises(TypeError, match="Inventory.connections is list, not a pandas DataFrame"):
        Inventory(example.table, [])
    with pytest.raises(ValueError, match="lacks column.*region"):
        Inventory(example.table, example.connections.drop(columns="region"))
    assert Inventory(example.table, example.connections, ["a"]).notes == ("a",)


def test_part_of_an_inventory_by_replace(example):
    search = dataclasses.replace(example, table=example.table[example["name"] == "pls-search"])
    assert list(search["name"]) == ["pls-search"] and search.connections is example.connections
    assert len(deployment_from_inventory(search, "pls-search").endpoints) == 512 + 241 + 70
    with pytest.raises(ValueError, match="is not in the inventory"):
        deployment_from_inventory(search, "pls-orders")


def test_connections_table_is_a_copy(example):
    links = connections_table(example)
    links["status"] = "gone"
    assert (example.connections["status"] != "gone").all()


def legacy_frame(inventory):
    """What read_inventory of plcapacity 0.1 returned: the table, the rest in .attrs."""
    frame = inventory.table.copy()
    frame.attrs = {"connections": inventory.connections.to_dict("records"),
                   "notes": list(inventory.notes),
                   "max_connections_per_vm": inventory.max_connections_per_vm}
    return frame


def test_a_dataframe_of_0_1_still_works_with_a_deprecation_warning(example):
    old = legacy_frame(example)
    with pytest.warns(DeprecationWarning, match=r"\.attrs\['connections'\].*deprecated since "
                      r"0\.2\.0 and will be removed in 0\.3\.0; use the Inventory") as caught:
        deployment = deployment_from_inventory(old, "pls-orders", demand=1_000_000)
    assert caught[0].filename == __file__                  # points at the caller
    expected = deployment_from_inventory(example, "pls-orders", demand=1_000_000)
    assert [(e.name, e.region) for e in deployment.endpoints] == \
        [(e.name, e.region) for e in expected.endpoints]
    with pytest.warns(DeprecationWarning):
        pd.testing.assert_frame_equal(connections_table(old), example.connections)


def test_a_table_without_connections_cannot_make_a_deployment(example):
    bare = example.table.copy()
    bare.attrs = {}
    with pytest.raises(ValueError, match="a table alone has no endpoint connections"):
        deployment_from_inventory(bare, "pls-orders")
    found = as_inventory(bare, need_connections=False)
    assert found.connections.empty and found.notes == ()
    with pytest.raises(ValueError, match="give the result of plcapacity.read_inventory"):
        as_inventory([1, 2])




def test_single_region_finding_follows_the_pls_region(tmp_path):
    """Endpoints all in one region other than the PLS's: more endpoints elsewhere would help
    (the finding says so), unlike the PLS-in-the-same-region case above."""
    import json

    endpoints = json.loads((ESTATE / "pe.json").read_text())
    for endpoint in endpoints:
        links = endpoint["privateLinkServiceConnections"]
        if any(link["privateLinkServiceId"].endswith("/pls-payments") for link in links):
            endpoint["location"] = "centralus"
    moved = tmp_path / "pe.json"
    moved.write_text(json.dumps(endpoints))
    services = json.loads((ESTATE / "pls.json").read_text())
    for service in services:
        if service["name"] == "pls-payments":
            for link in service["privateEndpointConnections"]:
                if "privateEndpointLocation" in link:
                    link["privateEndpointLocation"] = "centralus"
    (tmp_path / "pls.json").write_text(json.dumps(services))
    found = read_inventory(tmp_path / "pls.json", ESTATE / "lb.json", moved)
    finding = found.set_index("name")["findings"]["pls-payments"]
    assert ("every private endpoint is in centralus: one regional outage there cuts off all "
            "consumers, where an endpoint in another region would keep them while eastus (the "
            "PLS's region) is up") in finding
    assert "the PLS and every private endpoint" not in finding
