"""Deployment model and its TOML loader: the example files, bad files, and direct construction.

The examples are checked against the file text (read here with ``tomllib``, independently of
the loader) and against the comments they carry; a destination sized by ``nat_ips`` /
``backend_vms`` must carry pls_count x nat_ips x backend_vms x 64,000 connections (Private
Link FAQ, https://learn.microsoft.com/azure/private-link/private-link-faq). Every loader error
must name the file, the table, the key and what is allowed.
"""

import math
import re
import textwrap
import tomllib
from pathlib import Path

import numpy as np
import pytest

import plcapacity as plc
from plcapacity.availability.deployment import (
    Deployment,
    Destination,
    Endpoint,
    Failover,
    load_deployment,
)
from plcapacity.base.regions import regions_in_geography
from plcapacity.base.sla import SLA
from plcapacity.outages.laws import (
    ExponentialDuration,
    FixedDuration,
    LognormalDuration,
    duration_law,
)
from plcapacity.outages.processes import OutageModel

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "data" / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.toml"))
PORTS_PER_NAT_IP = 64_000  # Private Link FAQ: "64k" ports per NAT IP per backend VM


def test_examples_are_found():
    names = {p.stem for p in EXAMPLES}
    assert {"two-region-active-active", "three-region-active-passive", "three-region-2of3",
            "capacity-shortfall"} <= names


# ----------------------------------------------------------------------------- every example


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_loads_and_matches_file_text(path):
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    deployment, model = load_deployment(path)
    assert isinstance(deployment, Deployment) and isinstance(model, OutageModel)

    # Destinations: names, regions and capacities as written (or from the capacity formula).
    assert [d.name for d in deployment.destinations] == [d["name"] for d in doc["destinations"]]
    for parsed, spec in zip(deployment.destinations, doc["destinations"]):
        assert parsed.region == spec["region"]
        if "capacity_connections" in spec:
            assert parsed.capacity_connections == spec["capacity_connections"]
        else:
            expected = (spec.get("pls_count", 1) * spec["nat_ips"] * spec["backend_vms"]
                        * PORTS_PER_NAT_IP)
            assert parsed.capacity_connections == expected

    # Endpoints: in failover order for active-passive, else as declared.
    failover = doc.get("failover", {})
    mode = failover.get("mode", "active-active")
    declared = [e["name"] for e in doc["endpoints"]]
    order = failover.get("order", declared)
    assert deployment.failover.mode == mode
    assert deployment.failover.delay_minutes == failover.get("delay_minutes", 0.0)
    assert list(deployment.failover.order) == order
    expected_order = order if mode == "active-passive" else declared
    assert [e.name for e in deployment.endpoints] == expected_order
    by_name = {e["name"]: e for e in doc["endpoints"]}
    for endpoint in deployment.endpoints:
        assert endpoint.region == by_name[endpoint.name]["region"]
        assert endpoint.destination == by_name[endpoint.name]["destination"]

    assert deployment.demand_connections == doc.get("demand", {}).get("connections")
    assert deployment.sla.slo_percent == doc.get("sla", {}).get("slo_percent", 99.99)

    # Outages: defaults, overrides and groups.
    outages = doc["outages"]
    assert model.rate_per_year == outages["rate_per_year"]
    assert model.duration == duration_law(outages["duration"])
    assert set(model.regions) == set(outages.get("regions", {}))
    groups = outages.get("groups", [])
    assert [g.name for g in model.groups] == [g["name"] for g in groups]
    for parsed, spec in zip(model.groups, groups):
        expected = (regions_in_geography(spec["geography"]) if "geography" in spec
                    else spec["regions"])
        assert parsed.regions == tuple(expected)
        assert parsed.rate_per_year == spec["rate_per_year"]
        assert parsed.duration == duration_law(spec["duration"])

    # Regions: every endpoint's and every used destination's region, sorted.
    used = {e["destination"] for e in doc["endpoints"]}
    regions = {e["region"] for e in doc["endpoints"]} | {
        d["region"] for d in doc["destinations"] if d["name"] in used}
    assert deployment.regions == sorted(regions)


def test_example_two_region_active_active():
    deployment, model = load_deployment(EXAMPLES_DIR / "two-region-active-active.toml")
    # 1 PLS x 4 NAT IPs x 8 VMs x 64,000 ports
    assert [d.capacity_connections for d in deployment.destinations] == [2_048_000, 2_048_000]
    assert deployment.demand_connections == 1_500_000
    assert deployment.failover.mode == "active-active"
    assert deployment.regions == ["eastus", "westus2"]
    assert model.duration == FixedDuration(4)
    # The file's comment: each region alone is down ~0.01 % of the time.
    for process in model.processes(deployment.regions):
        np.testing.assert_allclose(process.probability_down,
                                   -math.expm1(-0.2195 * 240 / 525_600), rtol=1e-12)
        np.testing.assert_allclose(process.probability_down, 1e-4, rtol=3e-3)


def test_example_capacity_shortfall():
    deployment, model = load_deployment(EXAMPLES_DIR / "capacity-shortfall.toml")
    # The file's comment: 1 PLS x 4 NAT IPs x 5 VMs x 64,000 ports = 1,280,000.
    assert [d.capacity_connections for d in deployment.destinations] == [1_280_000] * 3
    assert deployment.demand_connections == 3_000_000
    assert model.duration == ExponentialDuration(3)
    (europe,) = model.groups
    assert europe.name == "europe"
    assert europe.regions == tuple(regions_in_geography("Europe"))
    assert {"westeurope", "northeurope"} <= set(europe.regions)
    assert europe.rate_per_year == 0.05 and europe.duration == FixedDuration(6)
    names = [p.name for p in model.processes(deployment.regions)]
    assert names == ["northeurope", "uksouth", "westeurope", "europe"]


def test_example_three_region_active_passive():
    deployment, model = load_deployment(EXAMPLES_DIR / "three-region-active-passive.toml")
    assert deployment.failover == Failover("active-passive", 5.0,
                                           ("pe-east", "pe-west", "pe-central"))
    assert [e.name for e in deployment.endpoints] == ["pe-east", "pe-west", "pe-central"]
    assert [d.capacity_connections for d in deployment.destinations] == [
        5_000_000, 5_000_000, 2_500_000]
    assert deployment.sla.slo_percent == 99.99
    assert model.duration == LognormalDuration(2, 12)
    processes = {p.name: p for p in model.processes(deployment.regions)}
    assert list(processes) == ["centralus", "eastus", "westus", "us-east-west-pair"]
    # [outages.regions.eastus] overrides the rate only; the duration stays the default.
    assert processes["eastus"].rate_per_year == 2.0
    assert processes["eastus"].duration == LognormalDuration(2, 12)
    assert processes["westus"].rate_per_year == 1.0
    pair = processes["us-east-west-pair"]
    assert pair.regions == ("eastus", "westus")
    assert pair.rate_per_year == 0.1 and pair.duration == LognormalDuration(3, 24)


def test_example_three_region_2of3():
    deployment, model = load_deployment(EXAMPLES_DIR / "three-region-2of3.toml")
    assert [d.capacity_connections for d in deployment.destinations] == [1_000_000] * 3
    assert deployment.demand_connections == 2_000_000
    assert not model.groups
    # The file's comment: q = 1 - exp(-4 / 8760) for each region.
    for process in model.processes(deployment.regions):
        np.testing.assert_allclose(process.probability_down, -math.expm1(-4 / 8760), rtol=1e-12)


# ----------------------------------------------------------------------------- bad files

OUTAGES = """\
[outages]
rate_per_year = 1.0
duration = { law = "fixed", hours = 4 }
"""
DESTINATIONS = """\
[[destinations]]
name = "pls-east"
region = "eastus"
capacity_connections = 1_000_000

[[destinations]]
name = "pls-west"
region = "westus2"
capacity_connections = 1_000_000
"""
ENDPOINTS = """\
[[endpoints]]
name = "pe-east"
region = "eastus"
destination = "pls-east"

[[endpoints]]
name = "pe-west"
region = "westus2"
destination = "pls-west"
"""
VALID = OUTAGES + "\n" + DESTINATIONS + "\n" + ENDPOINTS


def write(tmp_path, text, name="deployment.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_valid_base_file_loads(tmp_path):
    deployment, _ = load_deployment(write(tmp_path, VALID))
    assert [e.name for e in deployment.endpoints] == ["pe-east", "pe-west"]


def one_destination(extra="", region="eastus"):
    return OUTAGES + textwrap.dedent(f"""
        [[destinations]]
        name = "pls-east"
        region = "{region}"
        """) + textwrap.dedent(extra) + "\n" + textwrap.dedent("""
        [[endpoints]]
        name = "pe-east"
        region = "eastus"
        destination = "pls-east"
        """)


BAD_FILES = [
    pytest.param("[outages\nrate_per_year = 1\n", ["not valid TOML", "line 1"], id="toml-syntax"),
    pytest.param(VALID + "\n[extras]\ncolour = 1\n",
                 ["top level: unknown key(s) extras",
                  "allowed: demand, destinations, endpoints, failover, outages, regions, sla"],
                 id="unknown-top-level-table"),
    pytest.param(VALID + 'colour = "red"\n',
                 ["[[endpoints]] #2: unknown key(s) colour", "allowed: destination, name, region"],
                 id="unknown-key-endpoints"),
    pytest.param(OUTAGES + DESTINATIONS + 'colour = "red"\n' + ENDPOINTS,
                 ["[[destinations]] #2: unknown key(s) colour",
                  "allowed: backend_vms, capacity_connections, max_connections_per_vm, name, "
                  "nat_ips, pls_count, region"],
                 id="unknown-key-destinations"),
    pytest.param(OUTAGES + "colour = 1\n" + DESTINATIONS + ENDPOINTS,
                 ["[outages]: unknown key(s) colour",
                  "allowed: duration, groups, profile, rate_per_year, regions, zones"],
                 id="unknown-key-outages"),
    pytest.param(VALID + "[outages.regions.eastus]\nrate = 2.0\n",
                 ["[outages.regions.eastus]: unknown key(s) rate",
                  "allowed: rate_per_year, duration"],
                 id="unknown-key-outages-regions"),
    pytest.param(VALID + textwrap.dedent("""
        [[outages.groups]]
        name = "pair"
        regions = ["eastus", "westus2"]
        rate_per_year = 0.1
        duration = { law = "fixed", hours = 4 }
        colour = "red"
        """), ["[[outages.groups]] #1: unknown key(s) colour",
               "allowed: duration, geography, name, rate_per_year, regions"],
                 id="unknown-key-outages-groups"),
    pytest.param(VALID + '[failover]\nmodes = "active-passive"\n',
                 ["[failover]: unknown key(s) modes",
                  "allowed: delay, delay_minutes, mode, order"],
                 id="unknown-key-failover"),
    pytest.param(VALID + "[demand]\nconn = 5\n",
                 ["[demand]: unknown key(s) conn", "allowed: connections"],
                 id="unknown-key-demand"),
    pytest.param(VALID + "[sla]\nslo = 99.9\n",
                 ["[sla]: unknown key(s) slo", "allowed: credit_tiers, slo_percent"],
                 id="unknown-key-sla"),
    pytest.param('[outages]\nprofile = "azure-datapath-2018-2019"\nrate_per_year = 1.0\n'
                 + DESTINATIONS + ENDPOINTS,
                 ["[outages] with profile: unknown key(s) rate_per_year", "allowed: profile"],
                 id="profile-and-rates"),
    pytest.param('[outages]\nprofile = "azure"\n' + DESTINATIONS + ENDPOINTS,
                 ["[outages] profile: outage profile 'azure' is unknown; known: "
                  "azure-datapath-2018-2019"], id="unknown-profile"),
    pytest.param('[outages]\nprofile = 3\n' + DESTINATIONS + ENDPOINTS,
                 ["[outages] profile=3 is not allowed: a profile name"], id="profile-not-text"),
    pytest.param(OUTAGES.replace("rate_per_year = 1.0\n", "") + DESTINATIONS + ENDPOINTS,
                 ["[outages]: missing key 'rate_per_year'"], id="missing-outages-rate"),
    pytest.param(OUTAGES.replace("hours = 4", "hours = 0") + DESTINATIONS + ENDPOINTS,
                 ["[outages] duration: hours=0 is not allowed", "a positive number of hours"],
                 id="outages-zero-hours"),
    pytest.param(OUTAGES.replace("1.0", "-1.0") + DESTINATIONS + ENDPOINTS,
                 ["[outages]: rate_per_year=-1.0 is not allowed", "a number >= 0"],
                 id="outages-negative-rate"),
    pytest.param(OUTAGES + DESTINATIONS + ENDPOINTS.replace('name = "pe-west"\n', ""),
                 ["[[endpoints]] #2: missing key 'name'"], id="endpoint-missing-name"),
    pytest.param(OUTAGES + DESTINATIONS + ENDPOINTS.replace('region = "westus2"\n', ""),
                 ["[[endpoints]] #2: missing key 'region'"], id="endpoint-missing-region"),
    pytest.param(OUTAGES + DESTINATIONS + ENDPOINTS.replace('destination = "pls-west"\n', ""),
                 ["[[endpoints]] #2: missing key 'destination'"], id="endpoint-missing-dest"),
    pytest.param(OUTAGES + DESTINATIONS.replace('name = "pls-west"\n', "") + ENDPOINTS,
                 ["[[destinations]] #2: missing key 'name'"], id="destination-missing-name"),
    pytest.param(OUTAGES + DESTINATIONS.replace('region = "westus2"\n', "") + ENDPOINTS,
                 ["[[destinations]] 'pls-west': missing key 'region'"],
                 id="destination-missing-region"),
    pytest.param(OUTAGES + DESTINATIONS
                 + ENDPOINTS.replace('region = "eastus"', 'region = "eastus3"'),
                 ["endpoint 'pe-east' region: unknown region 'eastus3'", "closest known: eastus,"],
                 id="endpoint-unknown-region"),
    pytest.param(OUTAGES + DESTINATIONS.replace('region = "westus2"', 'region = "westeurop"')
                 + ENDPOINTS,
                 ["destination 'pls-west' region: unknown region 'westeurop'",
                  "closest known: westeurope"], id="destination-unknown-region"),
    pytest.param(VALID + "[outages.regions.eastus3]\nrate_per_year = 2.0\n",
                 ["[outages.regions.eastus3]: unknown region 'eastus3'", "closest known: eastus,"],
                 id="override-unknown-region"),
    pytest.param(VALID + textwrap.dedent("""
        [[outages.groups]]
        name = "pair"
        regions = ["eastus", "westus9"]
        rate_per_year = 0.1
        duration = { law = "fixed", hours = 4 }
        """), ["outage group 'pair' regions: unknown region 'westus9'", "closest known: westus"],
                 id="group-unknown-region"),
    pytest.param(OUTAGES + DESTINATIONS + ENDPOINTS.replace('destination = "pls-west"',
                                                           'destination = "pls-nowhere"'),
                 ["[[endpoints]] 'pe-west': destination='pls-nowhere' is not a destination",
                  "known: pls-east, pls-west"], id="endpoint-missing-destination"),
    pytest.param(OUTAGES + DESTINATIONS + ENDPOINTS.replace('"pe-west"', '"pe-east"'),
                 ["[[endpoints]] name: 'pe-east' appears twice", "names must be unique"],
                 id="duplicate-endpoint-names"),
    pytest.param(OUTAGES + DESTINATIONS.replace('"pls-west"', '"pls-east"')
                 + ENDPOINTS.replace('"pls-west"', '"pls-east"'),
                 ["[[destinations]] name: 'pls-east' appears twice", "names must be unique"],
                 id="duplicate-destination-names"),
    pytest.param(OUTAGES + DESTINATIONS.replace("capacity_connections = 1_000_000\n", "")
                 + ENDPOINTS + "[demand]\nconnections = 500_000\n",
                 ["[demand] needs a capacity for every destination",
                  "missing for pls-east, pls-west", "capacity_connections or nat_ips/backend_vms"],
                 id="demand-without-capacities"),
    pytest.param(VALID + "[demand]\nconnections = -1\n",
                 ["[demand] connections=-1 is not allowed: a number >= 0"], id="demand-negative"),
    pytest.param(OUTAGES + DESTINATIONS.replace("1_000_000", "-5", 1) + ENDPOINTS,
                 ["destination 'pls-east' capacity_connections=-5 is not allowed",
                  "a number >= 0"], id="capacity-negative"),
    pytest.param(one_destination("capacity_connections = 1000\nnat_ips = 2\nbackend_vms = 3\n"),
                 ["[[destinations]] 'pls-east': give capacity_connections or nat_ips/backend_vms, "
                  "not both"], id="capacity-and-nat-ips"),
    pytest.param(one_destination("nat_ips = 2\n"),
                 ["[[destinations]] 'pls-east': the capacity model needs both nat_ips and "
                  "backend_vms"], id="nat-ips-without-backend-vms"),
    pytest.param(one_destination("backend_vms = 2\npls_count = 2\n"),
                 ["[[destinations]] 'pls-east': the capacity model needs both nat_ips and "
                  "backend_vms"], id="backend-vms-without-nat-ips"),
    pytest.param(one_destination("nat_ips = 9\nbackend_vms = 2\n"),
                 ["[[destinations]] 'pls-east': nat_ips=9 is not allowed", "1 to 8"],
                 id="nat-ips-9-beyond-azure-limit"),
    pytest.param(VALID + '[failover]\nmode = "hot-standby"\n',
                 ["[failover] mode='hot-standby' is not allowed",
                  "one of active-active, active-passive"], id="failover-mode"),
    pytest.param(VALID + '[failover]\nmode = "active-passive"\norder = ["pe-west"]\n',
                 ["[failover] order=['pe-west'] must list every endpoint exactly once",
                  "pe-east, pe-west"], id="failover-order-incomplete"),
    pytest.param(VALID + '[failover]\nmode = "active-passive"\n'
                 'order = ["pe-west", "pe-west", "pe-east"]\n',
                 ["[failover] order=['pe-west', 'pe-west', 'pe-east'] must list every endpoint "
                  "exactly once"], id="failover-order-repeated"),
    pytest.param(VALID + '[failover]\nmode = "active-passive"\norder = ["pe-west", "pe-north"]\n',
                 ["[failover] order=['pe-west', 'pe-north'] must list every endpoint"],
                 id="failover-order-unknown-endpoint"),
    pytest.param(VALID + '[failover]\nmode = "active-passive"\ndelay_minutes = -5\n',
                 ["[failover] delay_minutes=-5 is not allowed: a number of minutes from 0 to 525,600 (a year)"],
                 id="failover-negative-delay"),
    pytest.param(VALID + textwrap.dedent("""
        [[outages.groups]]
        name = "pair"
        regions = ["eastus", "westus2"]
        geography = "United States"
        rate_per_year = 0.1
        duration = { law = "fixed", hours = 4 }
        """), ["[[outages.groups]] 'pair': give either regions = [...] or geography"],
                 id="group-regions-and-geography"),
    pytest.param(VALID + textwrap.dedent("""
        [[outages.groups]]
        name = "pair"
        rate_per_year = 0.1
        duration = { law = "fixed", hours = 4 }
        """), ["[[outages.groups]] 'pair': give either regions = [...] or geography"],
                 id="group-neither-regions-nor-geography"),
    pytest.param(VALID + textwrap.dedent("""
        [[outages.groups]]
        name = "pair"
        regions = ["eastus", "westus2"]
        duration = { law = "fixed", hours = 4 }
        """), ["[[outages.groups]] 'pair': missing key 'rate_per_year'"],
                 id="group-missing-rate"),
    pytest.param(VALID + textwrap.dedent("""
        [[outages.groups]]
        name = "eu"
        geography = "Europa"
        rate_per_year = 0.1
        duration = { law = "fixed", hours = 4 }
        """), ["unknown geography 'Europa'", "closest: Europe"], id="group-unknown-geography"),
    pytest.param(VALID + "[sla]\nslo_percent = 100\n",
                 ["[sla] slo_percent=100 is not allowed",
                  "a percentage between 0 and 100 (exclusive)"], id="slo-100"),
    pytest.param(VALID + "[sla]\nslo_percent = 0\n",
                 ["[sla] slo_percent=0 is not allowed", "between 0 and 100"], id="slo-0"),
    pytest.param(VALID + "[sla]\nslo_percent = 120.5\n",
                 ["[sla] slo_percent=120.5 is not allowed", "between 0 and 100"], id="slo-120"),
    pytest.param(VALID + "[sla]\ncredit_tiers = [{ uptime_below_percent = 99.9 }]\n",
                 ["[sla] credit_tiers #1: missing key 'credit_percent'"],
                 id="credit-tier-missing-key"),
    pytest.param(VALID + "[sla]\ncredit_tiers = [{ uptime_below_percent = 99.9, "
                 "credit_percent = 150 }]\n",
                 ["[sla] credit tier (99.9, 150.0) is not allowed",
                  "credit_percent in [0, 100]"], id="credit-tier-out-of-range"),
    pytest.param(OUTAGES + DESTINATIONS,
                 ["[[endpoints]]: a deployment needs at least one endpoint"], id="no-endpoints"),
]


@pytest.mark.parametrize("text, fragments", BAD_FILES)
def test_bad_file_errors_name_file_table_key(tmp_path, text, fragments):
    path = write(tmp_path, text, name="bad-deployment.toml")
    with pytest.raises(ValueError, match=re.escape(f"{path}: ")) as info:
        load_deployment(path)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_unknown_geography_names_group_and_key(tmp_path):
    path = write(tmp_path, VALID + textwrap.dedent("""
        [[outages.groups]]
        name = "eu"
        geography = "Europa"
        rate_per_year = 0.1
        duration = { law = "fixed", hours = 4 }
        """))
    with pytest.raises(ValueError, match=r"\[\[outages.groups\]\] 'eu'.*geography"):
        load_deployment(path)


def test_non_numeric_slo_names_table_and_key(tmp_path):
    path = write(tmp_path, VALID + '[sla]\nslo_percent = "high"\n')
    with pytest.raises(ValueError, match=r"\[sla\] slo_percent='high' is not allowed"):
        load_deployment(path)


WRONG_TYPES = [
    pytest.param(OUTAGES + "\n[outages.regions]\neastus = 2.0\n\n" + DESTINATIONS + ENDPOINTS,
                 "outages.regions", id="region-override-number"),
    pytest.param("demand = 5\n" + VALID, "demand", id="demand-number"),
    pytest.param("sla = 99.9\n" + VALID, "sla", id="sla-number"),
    pytest.param(VALID + textwrap.dedent("""
        [[outages.groups]]
        name = "eu"
        geography = 5
        rate_per_year = 0.1
        duration = { law = "fixed", hours = 4 }
        """), "geography", id="group-geography-number"),
]


@pytest.mark.parametrize("text, where", WRONG_TYPES)
def test_wrong_type_is_a_value_error_naming_the_table(tmp_path, text, where):
    path = write(tmp_path, text)
    with pytest.raises(ValueError, match=re.escape(f"{path}: ") + ".*" + re.escape(where)):
        load_deployment(path)


def test_failover_order_string_is_not_split_into_characters(tmp_path):
    path = write(tmp_path, VALID + '[failover]\nmode = "active-passive"\norder = "pe-east"\n')
    with pytest.raises(ValueError, match=re.escape("[failover] order")) as info:
        load_deployment(path)
    assert "'p', 'e'" not in str(info.value)


def test_boolean_slo_is_rejected(tmp_path):
    path = write(tmp_path, VALID + "[sla]\nslo_percent = true\n")
    with pytest.raises(ValueError, match=r"\[sla\] slo_percent=True is not allowed"):
        load_deployment(path)


def test_unknown_key_in_credit_tier_is_rejected(tmp_path):
    path = write(tmp_path, VALID + "[sla]\ncredit_tiers = [{ uptime_below_percent = 99.9, "
                 "credit_percent = 10, credit_cap = 50 }]\n")
    with pytest.raises(ValueError, match=r"\[sla\] credit_tiers.*credit_cap"):
        load_deployment(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_deployment(tmp_path / "nowhere.toml")


def test_geography_group_is_every_region_of_the_geography(tmp_path):
    path = write(tmp_path, VALID + textwrap.dedent("""
        [[outages.groups]]
        name = "us"
        geography = "United States"
        rate_per_year = 0.02
        duration = { law = "exponential", mean_hours = 8 }
        """))
    _, model = load_deployment(path)
    (group,) = model.groups
    assert group.regions == tuple(regions_in_geography("United States"))
    assert {"eastus", "westus2", "centralus"} <= set(group.regions)
    assert group.rate_per_year == 0.02 and group.duration == ExponentialDuration(8)


def test_destination_sized_by_capacity_model(tmp_path):
    text = OUTAGES + textwrap.dedent("""
        [[destinations]]
        name = "pls-a"
        region = "eastus"
        nat_ips = 8
        backend_vms = 10

        [[destinations]]
        name = "pls-b"
        region = "westus2"
        nat_ips = 3
        backend_vms = 7
        pls_count = 2

        [[endpoints]]
        name = "pe-a"
        region = "eastus"
        destination = "pls-a"

        [[endpoints]]
        name = "pe-b"
        region = "westus2"
        destination = "pls-b"
        """)
    deployment, _ = load_deployment(write(tmp_path, text))
    a, b = deployment.destinations
    nic = plc.get_limits().vm_nic_concurrent_flows        # the per-VM cap sizing applies
    # the FAQ's example: 5,120,000 NAT ports, but 10 VMs hold 10 x 500,000 open connections
    assert a.port_capacity == 8 * 10 * 64_000 == 5_120_000
    assert a.capacity_connections == min(5_120_000, 10 * nic) == 5_000_000
    assert b.capacity_connections == min(2 * 3 * 7 * 64_000, 7 * nic) == 2 * 3 * 7 * 64_000


def test_custom_credit_tiers_parsed(tmp_path):
    path = write(tmp_path, VALID + textwrap.dedent("""
        [sla]
        slo_percent = 99.95
        credit_tiers = [
          { uptime_below_percent = 99.0, credit_percent = 25 },
          { uptime_below_percent = 99.95, credit_percent = 10 },
          { uptime_below_percent = 95.0, credit_percent = 100 },
        ]
        """))
    deployment, _ = load_deployment(path)
    sla = deployment.sla
    assert sla.slo_percent == 99.95
    assert sla.tiers == ((99.95, 10.0), (99.0, 25.0), (95.0, 100.0))
    assert sla.source == str(path)
    # Above the objective: no credit; then the largest tier the month falls under.
    np.testing.assert_array_equal(sla.credit_percent([99.97, 99.5, 98.0, 90.0]),
                                  [0, 10, 25, 100])


def test_default_sla_is_private_link(tmp_path):
    deployment, _ = load_deployment(write(tmp_path, VALID))
    assert deployment.sla.slo_percent == 99.99   # data/sla.csv, highest tier
    assert deployment.sla.tiers == ((99.99, 10.0), (99.0, 25.0))


def test_slo_only_keeps_private_link_tiers(tmp_path):
    deployment, _ = load_deployment(write(tmp_path, VALID + "[sla]\nslo_percent = 99.9\n"))
    assert deployment.sla.slo_percent == 99.9
    assert deployment.sla.tiers == ((99.99, 10.0), (99.0, 25.0))


def test_active_passive_in_file_reorders_endpoints(tmp_path):
    path = write(tmp_path, VALID + textwrap.dedent("""
        [failover]
        mode = "active-passive"
        delay_minutes = 2.5
        order = ["pe-west", "pe-east"]
        """))
    deployment, _ = load_deployment(path)
    assert [e.name for e in deployment.endpoints] == ["pe-west", "pe-east"]
    assert deployment.failover == Failover("active-passive", 2.5, ("pe-west", "pe-east"))


# ----------------------------------------------------------------------------- Python objects


def three_region(failover=None, demand=None):
    destinations = (Destination("pls-a", "eastus", 1e6), Destination("pls-b", "westus2", 2e6),
                    Destination("pls-c", "centralus", 3e6))
    endpoints = (Endpoint("pe-a", "eastus", "pls-a"), Endpoint("pe-b", "westus2", "pls-b"),
                 Endpoint("pe-c", "centralus", "pls-c"))
    kwargs = {} if failover is None else {"failover": failover}
    return Deployment(destinations, endpoints, demand, **kwargs)


def test_objects_build_directly():
    deployment = three_region(demand=1.5e6)
    assert deployment.demand_connections == 1.5e6
    assert deployment.failover == Failover("active-active", 0.0, ("pe-a", "pe-b", "pe-c"))
    assert deployment.sla.slo_percent == 99.99
    assert isinstance(deployment.sla, SLA)
    assert deployment.destination("pls-b") == Destination("pls-b", "westus2", 2e6)
    assert deployment.used_destinations == ["pls-a", "pls-b", "pls-c"]
    assert deployment.regions == ["centralus", "eastus", "westus2"]


def test_active_passive_reorders_endpoints_by_failover_order():
    deployment = three_region(Failover("active-passive", 5, ["pe-c", "pe-a", "pe-b"]))
    assert [e.name for e in deployment.endpoints] == ["pe-c", "pe-a", "pe-b"]
    assert deployment.failover.order == ("pe-c", "pe-a", "pe-b")
    assert deployment.failover.delay_minutes == 5.0


def test_active_active_keeps_declared_order():
    deployment = three_region(Failover("active-active", 0, ("pe-c", "pe-a", "pe-b")))
    assert [e.name for e in deployment.endpoints] == ["pe-a", "pe-b", "pe-c"]
    assert deployment.failover.order == ("pe-c", "pe-a", "pe-b")


def test_active_passive_default_order_is_declaration_order():
    deployment = three_region(Failover("active-passive", 1.0))
    assert [e.name for e in deployment.endpoints] == ["pe-a", "pe-b", "pe-c"]
    assert deployment.failover.order == ("pe-a", "pe-b", "pe-c")


def test_regions_include_only_endpoints_and_used_destinations():
    destinations = (Destination("pls-main", "centralus"),
                    Destination("pls-spare", "northeurope"),     # no endpoint uses it
                    Destination("pls-dr", "westus2"))
    endpoints = (Endpoint("pe-east", "eastus", "pls-main"),
                 Endpoint("pe-west", "westus2", "pls-main"),
                 Endpoint("pe-dr", "eastus", "pls-dr"))
    deployment = Deployment(destinations, endpoints)
    assert deployment.used_destinations == ["pls-main", "pls-dr"]
    assert deployment.regions == ["centralus", "eastus", "westus2"]
    assert "northeurope" not in deployment.regions


def test_destination_from_capacity_model():
    dest = Destination.from_capacity_model("pls", "eastus", nat_ips=4, backend_vms=8,
                                           pls_count=2, max_connections_per_vm=None)
    assert dest.capacity_connections == 2 * 4 * 8 * 64_000
    assert Destination("pls", "eastus").capacity_connections is None
    with pytest.raises(ValueError, match="nat_ips=9 is not allowed"):
        Destination.from_capacity_model("pls", "eastus", nat_ips=9, backend_vms=8)


@pytest.mark.parametrize("build, match", [
    (lambda: Endpoint("pe", "eastus3", "pls"),
     r"endpoint 'pe' region: unknown region 'eastus3'; closest known: eastus"),
    (lambda: Destination("pls", "uk-south"),
     r"destination 'pls' region: unknown region 'uk-south'; closest known: uksouth"),
    (lambda: Destination("pls", "eastus", -1),
     r"destination 'pls' capacity_connections=-1 is not allowed: a number >= 0"),
    (lambda: Failover("round-robin"),
     r"\[failover\] mode='round-robin' is not allowed: one of active-active, active-passive"),
    (lambda: Failover("active-passive", -0.5),
     r"\[failover\] delay_minutes=-0.5 is not allowed: a number of minutes from 0 to 525,600"),
    (lambda: three_region(Failover("active-passive", 0, ("pe-a", "pe-b"))),
     r"\[failover\] order=\['pe-a', 'pe-b'\] must list every endpoint exactly once: "
     r"pe-a, pe-b, pe-c"),
    (lambda: three_region(demand=-3), r"\[demand\] connections=-3 is not allowed"),
    (lambda: Deployment((Destination("pls", "eastus"),), ()),
     r"\[\[endpoints\]\]: a deployment needs at least one endpoint"),
    (lambda: Deployment((Destination("pls", "eastus"),), (Endpoint("pe", "eastus", "pls"),), 10),
     r"\[demand\] needs a capacity for every destination; missing for pls"),
    (lambda: Deployment((), (Endpoint("pe", "eastus", "pls"),)),
     r"\[\[endpoints\]\] 'pe': destination='pls' is not a destination; known: none"),
], ids=["endpoint-region", "destination-region", "negative-capacity", "failover-mode",
        "negative-delay", "incomplete-order", "negative-demand", "no-endpoints",
        "demand-without-capacity", "no-destinations"])
def test_objects_validate(build, match):
    with pytest.raises(ValueError, match=match):
        build()


# ----------------------------------------------------------------------------- failover delay law


def test_failover_delay_law_from_a_file(tmp_path):
    """[failover] delay takes an outage duration law in minutes (or hours); delay_minutes
    becomes its mean, which the exact values and notes read."""
    from plcapacity.availability.deployment import delay_law
    path = tmp_path / "d.toml"
    path.write_text(VALID + '[failover]\nmode = "active-passive"\n'
                    'delay = { law = "lognormal", median_minutes = 12, p95_minutes = 90 }\n')
    deployment, _ = load_deployment(path)
    law = deployment.failover.delay
    assert law == LognormalDuration(0.2, 1.5)
    assert deployment.failover.delay_minutes == pytest.approx(law.mean_minutes)
    assert law.mean_minutes > 12  # a lognormal's mean exceeds its median
    assert delay_law({"law": "fixed", "minutes": 6}) == FixedDuration(0.1)
    assert delay_law({"law": "exponential", "mean_hours": 2}) == ExponentialDuration(2)
    assert Failover("active-passive", delay={"law": "fixed", "minutes": 6}) == Failover(
        "active-passive", 6.0, (), FixedDuration(0.1))


@pytest.mark.parametrize("text, message", [
    ('delay_minutes = 5\ndelay = { law = "fixed", minutes = 5 }\n',
     "give delay_minutes or delay, not both"),
    ('delay = { law = "gamma", minutes = 5 }\n', "[failover] delay: law='gamma' is not allowed"),
    ('delay = { law = "fixed", minutes = 5, hours = 1 }\n', "give minutes or hours, not both"),
    ('delay = { law = "lognormal", median_minutes = 5 }\n', "missing p95_hours"),
    ('delay = 5\n', "[failover] delay: expected a table"),
])
def test_failover_delay_law_errors_name_the_key(tmp_path, text, message):
    path = tmp_path / "d.toml"
    path.write_text(VALID + '[failover]\nmode = "active-passive"\n' + text)
    with pytest.raises(ValueError, match=re.escape(message)):
        load_deployment(path)
    with pytest.raises(ValueError, match="not both"):
        Failover("active-passive", 5.0, delay={"law": "fixed", "minutes": 6})


def test_a_file_without_outages_uses_the_default_profile_and_says_so(tmp_path):
    path = tmp_path / "no-outages.toml"
    path.write_text(DESTINATIONS + ENDPOINTS)
    _, model = plc.load_deployment(path)
    default = plc.outage_profile("azure-datapath-2018-2019")
    assert model == default
    assert model.describe().startswith("azure-datapath-2018-2019, the default "
                                       "(no-outages.toml has no [outages])")


def test_outages_profile_names_a_profile(tmp_path):
    path = tmp_path / "profile.toml"
    path.write_text('[outages]\nprofile = "azure-status-2018-2020"\n' + DESTINATIONS
                    + ENDPOINTS)
    _, model = plc.load_deployment(path)
    assert model is plc.outage_profile("azure-status-2018-2020")
    assert model.describe().startswith("azure-status-2018-2020 (")


DECLARED = """\
[[regions]]
name = "lab-1"

[[regions]]
name = "lab-2"
availability_zones = true

[outages]
rate_per_year = 1.0
duration = { law = "fixed", hours = 4 }
[outages.regions.lab-1]
rate_per_year = 3.0
[[outages.groups]]
name = "labs"
regions = ["lab-1", "lab-2"]
rate_per_year = 0.1
duration = { law = "fixed", hours = 1 }

[[destinations]]
name = "pls-lab"
region = "lab-2"
nat_ips = 1
backend_vms = 3
zones = [1, 2, 3]

[[endpoints]]
name = "pe-1"
region = "lab-1"
destination = "pls-lab"

[[endpoints]]
name = "pe-east"
region = "eastus"
destination = "pls-lab"
"""


def test_regions_declared_in_the_file_are_used_like_catalog_regions(tmp_path):
    from plcapacity.availability.exact import process_table
    deployment, outages = load_deployment(write(tmp_path, DECLARED))
    table = process_table(deployment, outages).set_index("process")
    assert table.loc["lab-1", "rate_per_year"] == 3.0      # its override
    assert table.loc["lab-2", "rate_per_year"] == 1.0      # the default
    assert table.loc["labs", "regions"] == "lab-1;lab-2"
    assert deployment.destination("pls-lab").vms_per_zone == (1, 1, 1)


@pytest.mark.parametrize("change, fragment", [
    (lambda t: t.replace('name = "lab-1"\n', 'name = "lab-3"\n', 1),
     "unknown region 'lab-1'"),                                  # named but not declared
    (lambda t: t.replace('name = "lab-2"\navailability', 'name = "lab-1"\navailability'),
     "[[regions]] 'lab-1' is declared twice"),
    (lambda t: t.replace("availability_zones = true", "availability_zones = false"),
     "region 'lab-2' has no availability zones (its [[regions]] declaration)"),
    (lambda t: t.replace('name = "lab-1"\n', 'name = "eastus"\n', 1), "is a catalog region"),
    (lambda t: t.replace("availability_zones = true", 'availability_zones = "yes"'),
     "availability_zones='yes' is not allowed: true or false"),
    (lambda t: t.replace('name = "lab-1"\n', 'name = "lab-1"\nzones = 3\n', 1),
     "[[regions]] #1: unknown key(s) zones"),
])
def test_declared_regions_are_checked(tmp_path, change, fragment):
    with pytest.raises(ValueError) as info:
        load_deployment(write(tmp_path, change(DECLARED)))
    assert fragment in str(info.value), str(info.value)
