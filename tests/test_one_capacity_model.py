"""One capacity model through every entry point: the same deployment and demand give the same
ceiling and served availability from size, a batch row, a deployment file, the estate and
plan. Served availability is checked against an enumeration written here."""

import math
import textwrap

import numpy as np
import pandas as pd
import pytest

import plcapacity as plc

PORTS, NIC = 64_000, 500_000
YEAR_MIN = 365 * 24 * 60
RATE, HOURS = 20.0, 10.0                       # a stressed outage model: events in every run
REGIONS = ("eastus", "northeurope")

# 1,800,000 open connections, 4,000 new per second held 65 s: 2,060,000 ports
DEMAND = dict(concurrent_connections=1_800_000, new_connections_per_s=4_000, port_hold_s=65,
              headroom=0.2, vm_failures_tolerated=1)


def q():
    return 1 - math.exp(-RATE * HOURS * 60 / YEAR_MIN)


def enumerated_served(carried_each, connections):
    """Two independent regions, each with its own PLS carrying ``carried_each``."""
    total = 0.0
    for a in (0, 1):
        for b in (0, 1):
            up = (1 - a) + (1 - b)
            p = (q() if a else 1 - q()) * (q() if b else 1 - q())
            if up and up * carried_each >= connections:
                total += p
    return total


@pytest.fixture(scope="module")
def sized():
    options = plc.size(DEMAND["concurrent_connections"],
                       new_connections_per_s=DEMAND["new_connections_per_s"],
                       port_hold_s=DEMAND["port_hold_s"], headroom=DEMAND["headroom"],
                       vm_failures_tolerated=DEMAND["vm_failures_tolerated"])
    return options.iloc[0]


def deployment_file(tmp_path, top, churn=True):
    text = textwrap.dedent(f"""
        [outages]
        rate_per_year = {RATE}
        duration = {{ law = "fixed", hours = {HOURS} }}

        [demand]
        connections = {DEMAND['concurrent_connections']}
        new_connections_per_s = {DEMAND['new_connections_per_s'] if churn else 0}
        port_hold_s = {DEMAND['port_hold_s']}
        headroom = {DEMAND['headroom']}
        """)
    for region in REGIONS:
        text += textwrap.dedent(f"""
            [[destinations]]
            name = "pls-{region}"
            region = "{region}"
            pls_count = {int(top['pls_count'])}
            nat_ips = {int(top['nat_ips'])}
            backend_vms = {int(top['backend_vms'])}

            [[endpoints]]
            name = "pe-{region}"
            region = "{region}"
            destination = "pls-{region}"
            """)
    path = tmp_path / "two.toml"
    path.write_text(text)
    return path


def test_deployment_file_has_size_ceiling_and_churn(tmp_path, sized):
    deployment, outages = plc.load_deployment(deployment_file(tmp_path, sized))
    for destination in deployment.destinations:
        assert destination.capacity_connections == sized["ceiling"]


@pytest.mark.parametrize("churn", [True, False])
def test_served_availability_counts_churn(tmp_path, churn):
    # 4 NAT IPs x 8 VMs: 2,048,000 ports, 4,000,000 VM connections
    top = {"pls_count": 1, "nat_ips": 4, "backend_vms": 8}
    deployment, outages = plc.load_deployment(deployment_file(tmp_path, top, churn))
    # each region carries min(ports / port_factor, VMs x cap) of the demand
    factor = (1_800_000 + (4_000 if churn else 0) * 65) / 1_800_000
    carried = min(4 * 8 * PORTS / factor, 8 * NIC)
    exact = plc.exact_summary(deployment, outages)
    assert exact["served_availability"] == pytest.approx(
        enumerated_served(carried, 1_800_000), abs=1e-14)
    # with churn both regions are needed; without, one carries the demand alone
    assert (carried < 1_800_000) == churn
    assert (exact["served_availability"] < exact["availability"] - 1e-6) == churn


def test_batch_row_is_the_same_deployment(tmp_path, sized):
    deployment, outages = plc.load_deployment(deployment_file(tmp_path, sized))
    exact = plc.exact_summary(deployment, outages)
    row = pd.DataFrame([{**{"service": "svc"}, **DEMAND, "pe_regions": ";".join(REGIONS),
                         "pls_regions": ";".join(REGIONS), "outage_rate_per_year": RATE,
                         "outage_median_hours": HOURS, "outage_p95_hours": HOURS * 1.0001}])
    result = plc.run_batch(row, trials=20_000, seed=5, progress=False).table.iloc[0]
    assert result["status"] == "ok"
    for name in ("pls_count", "nat_ips", "backend_vms", "ceiling", "ceiling_after_failures"):
        assert result[name] == sized[name], name
    # the row's lognormal has p95 barely above its median: durations of ~10 h, so the
    # served fraction is the file's within the simulation's interval (and a little slack
    # for the duration law's spread)
    low, high = result["served_availability_ci_low"], result["served_availability_ci_high"]
    width = high - low
    assert low - width <= exact["served_availability"] <= high + width


def test_estate_ceiling_is_the_model():
    folder = plc.data_path("examples/estate")
    inventory = plc.read_inventory(folder / "pls.json", folder / "lb.json", folder / "pe.json")
    table = inventory.table
    known = table[table["ceiling"].notna()]
    assert len(known) >= 2
    for _, row in known.iterrows():
        model = plc.deployment_capacity(int(row["nat_ips"]), int(row["backend_vms"]))
        assert row["ceiling"] == model["ceiling"]
        assert row["binding_limit"] == model["binding_limit"]
        destination = plc.Destination("x", row["region"], nat_ips=int(row["nat_ips"]),
                                      backend_vms=int(row["backend_vms"]))
        assert destination.capacity_connections == row["ceiling"]
        d = plc.deployment_from_inventory(inventory, row["name"], demand=100_000)
        assert d.destinations[0].capacity_connections == row["ceiling"]


def test_plan_sizes_each_region_as_size_does():
    model = plc.OutageModel(RATE, {"law": "fixed", "hours": HOURS})
    p = plc.plan(DEMAND["concurrent_connections"], regions=",".join(REGIONS),
                 new_connections_per_s=DEMAND["new_connections_per_s"],
                 port_hold_s=DEMAND["port_hold_s"], horizon_years=0, slo_percent=50,
                 regions_lost_tolerated=1, outages=model, vm_hourly_usd=0.1)
    two = p.table[p.table["region_count"] == 2].iloc[0]
    options = plc.size(DEMAND["concurrent_connections"],
                       new_connections_per_s=DEMAND["new_connections_per_s"],
                       port_hold_s=DEMAND["port_hold_s"], vm_failures_tolerated=1)
    assert int(two["backend_vms"]) == int(options.iloc[0]["backend_vms"])
    deployment, outages = p.deployment(int(two.name))
    assert np.isclose(plc.exact_summary(deployment, outages)["served_availability"],
                      two["served_availability"], atol=1e-15)
