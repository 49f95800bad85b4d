"""Availability zones: backend VMs in zones, zone outages, and their effect on capacity.

A zone outage removes that zone's VMs; the destination's capacity becomes the connection
ceiling of the VMs left, pls_count x nat_ips x vms x 64,000 ports (Private Link FAQ,
https://learn.microsoft.com/azure/private-link/private-link-faq), capped at vms x
max_connections_per_vm. Private endpoints are zone-agnostic (same FAQ), so reachability never
depends on zones. The references here are written independently of the package: a brute-force
sum over every joint state computed from these definitions, closed forms, and a convolution
of per-region capacity distributions.
"""

import itertools
import math
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from mc_cases import check_against_exact

from plcapacity.availability.deployment import (
    Deployment,
    Destination,
    Endpoint,
    Failover,
    load_deployment,
)
from plcapacity.availability.exact import (
    down_episode_frequency,
    enumerated_episode_frequency,
    enumerated_unavailability,
    exact_figures_by_metric,
    exact_summary,
    exact_unavailability,
    process_table,
)
from plcapacity.availability.simulation import simulate
from plcapacity.availability.structure import compile_structure
from plcapacity.base.exceptions import ModelWarning
from plcapacity.base.regions import region_catalog
from plcapacity.outages.laws import FixedDuration, duration_law
from plcapacity.outages.processes import OutageGroup, OutageModel, ZoneOutages

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "data" / "examples"
PORTS = 64_000          # ports per NAT IP per backend VM (Private Link FAQ: "64k")
MIN_PER_YEAR = 525_600
ZONED = {"rate_per_year": 2.0, "duration": {"law": "fixed", "hours": 3}}


def q(rate, mean_hours):
    """M/G/inf busy probability of one process."""
    return 1 - math.exp(-rate * mean_hours * 60 / MIN_PER_YEAR)


#: The per-VM cap a destination applies unless told otherwise: the NIC's concurrent flows.
NIC = 500_000


def ceiling(nat, vms, pls=1, cap=NIC):
    c = pls * nat * vms * PORTS
    return c if cap is None else min(c, vms * cap)


# ----------------------------------------------------------------------------- destinations


def test_even_spread_remainder_to_first_zones_and_capacity_table():
    d = Destination("pls", "eastus", nat_ips=4, backend_vms=7, zones=[1, 2, 3])
    assert d.vms_per_zone == (3, 2, 2)
    assert d.capacity_connections == ceiling(4, 7)
    table = d.zone_capacities()
    for mask in range(8):
        left = sum(v for j, v in enumerate((3, 2, 2)) if not mask >> j & 1)
        assert table[mask] == ceiling(4, left), mask
    # zones listed in another order: the remainder follows the listed order
    assert Destination("pls", "eastus", nat_ips=4, backend_vms=5,
                       zones=[3, 1]).vms_per_zone == (3, 2)


def test_vms_per_zone_and_per_vm_cap():
    d = Destination("pls", "eastus", nat_ips=1, vms_per_zone=[1, 2, 3], pls_count=2,
                    max_connections_per_vm=100_000)
    assert d.zones == (1, 2, 3) and d.backend_vms == 6
    assert d.capacity_connections == 600_000          # the per-VM cap binds
    assert list(d.zone_capacities()) == [600_000, 500_000, 400_000, 300_000, 300_000,
                                         200_000, 100_000, 0]
    same = Destination("pls", "eastus", nat_ips=1, backend_vms=6, vms_per_zone=[1, 2, 3],
                       zones=[2, 3, 1], pls_count=2, max_connections_per_vm=100_000)
    assert same.zones == (2, 3, 1)


def test_no_zones_keeps_the_old_behaviour():
    d = Destination.from_capacity_model("pls", "westus", nat_ips=4, backend_vms=8, pls_count=2)
    assert d.capacity_connections == ceiling(4, 8, 2) and d.zones == ()
    assert list(d.zone_capacities()) == [ceiling(4, 8, 2)]
    assert Destination("pls", "eastus", 5e6).zone_capacities().tolist() == [5e6]


@pytest.mark.parametrize("build, match", [
    (lambda: Destination("p", "eastus", 5e6, zones=[1, 2, 3]),
     r"destination 'p': zones need the capacity model \(nat_ips and backend_vms"),
    (lambda: Destination("p", "westus", nat_ips=4, backend_vms=6, zones=[1, 2, 3]),
     r"destination 'p': region 'westus' has no availability zones \(data/regions.csv\)"),
    (lambda: Destination("p", "eastus", nat_ips=4, backend_vms=6, zones=[1, 4]),
     r"zones=\[1, 4\] is not allowed: distinct zone numbers from 1 to 3"),
    (lambda: Destination("p", "eastus", nat_ips=4, backend_vms=6, zones=[1, 1]),
     r"zones=\[1, 1\] is not allowed: distinct zone numbers"),
    (lambda: Destination("p", "eastus", nat_ips=4, backend_vms=6, zones=[0, 1]),
     r"zones\[0\]=0 is not allowed"),
    (lambda: Destination("p", "eastus", nat_ips=4, backend_vms=2, zones=[1, 2, 3]),
     r"backend_vms=2 cannot be spread over zones=\[1, 2, 3\]: give at least one VM per zone"),
    (lambda: Destination("p", "eastus", nat_ips=4, backend_vms=5, vms_per_zone=[2, 2]),
     r"backend_vms=5 is not the sum of vms_per_zone=\[2, 2\] \(4\)"),
    (lambda: Destination("p", "eastus", nat_ips=4, vms_per_zone=[2, 2], zones=[1, 2, 3]),
     r"vms_per_zone=\[2, 2\] needs one count per zone in zones=\[1, 2, 3\]"),
    (lambda: Destination("p", "eastus", nat_ips=4, vms_per_zone=[2, 0]),
     r"vms_per_zone\[1\]=0 is not allowed"),
    (lambda: Destination("p", "eastus", nat_ips=4, backend_vms=6, zones="1,2,3"),
     r"zones='1,2,3' is not allowed: a list of whole numbers such as \[1, 2, 3\]"),
    (lambda: Destination("p", "eastus", nat_ips=9, backend_vms=6, zones=[1, 2, 3]),
     r"destination 'p': nat_ips=9 is not allowed"),
], ids=["capacity-only", "region-without-zones", "zone-4", "repeated-zone", "zone-0",
        "too-few-vms", "sum-mismatch", "count-per-zone", "empty-zone", "zones-as-text",
        "nat-ips-beyond-limit"])
def test_destination_zone_errors(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_every_region_without_zones_refuses_them():
    catalog = region_catalog()
    without = sorted(catalog.index[~catalog["availability_zones"].astype(bool)])
    assert "westus" in without and "eastus" not in without
    for region in without:
        with pytest.raises(ValueError, match=f"region '{region}' has no availability zones"):
            Destination("p", region, nat_ips=1, backend_vms=3, zones=[1, 2, 3])
        with pytest.raises(ValueError, match=f"region '{region}' has no availability zones"):
            ZoneOutages(1.0, {"law": "fixed", "hours": 1}, {region: {"rate_per_year": 1}})
    for region in sorted(set(catalog.index) - set(without)):
        Destination("p", region, nat_ips=1, backend_vms=3, zones=[1, 2, 3])


# ----------------------------------------------------------------------------- TOML


def write(tmp_path, text, name="zones.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


HEAD = """\
[outages]
rate_per_year = 1.0
duration = { law = "fixed", hours = 4 }
"""
ENDPOINT = """
[[endpoints]]
name = "pe-east"
region = "eastus"
destination = "pls-east"
"""


def test_toml_zones_and_overrides(tmp_path):
    path = write(tmp_path, HEAD + """
[outages.zones]
rate_per_year = 2.0
duration = { law = "fixed", hours = 3 }

[outages.zones.regions.westus2]
rate_per_year = 0.5
duration = { law = "exponential", mean_hours = 2 }

[[destinations]]
name = "pls-east"
region = "eastus"
nat_ips = 4
backend_vms = 6
zones = [1, 2, 3]

[[destinations]]
name = "pls-west"
region = "westus2"
nat_ips = 2
vms_per_zone = [3, 1]
""" + ENDPOINT + """
[[endpoints]]
name = "pe-west"
region = "westus2"
destination = "pls-west"
""")
    deployment, model = load_deployment(path)
    east, west = deployment.destinations
    assert east.vms_per_zone == (2, 2, 2) and east.capacity_connections == ceiling(4, 6)
    assert west.zones == (1, 2) and west.backend_vms == 4
    assert deployment.zones == {"eastus": (1, 2, 3), "westus2": (1, 2)}
    assert model.zones == ZoneOutages(2.0, {"law": "fixed", "hours": 3},
                                      {"westus2": {"rate_per_year": 0.5, "duration": {
                                          "law": "exponential", "mean_hours": 2}}})
    processes = model.processes(deployment.regions, deployment.zones)
    assert [(p.name, p.kind, p.zone) for p in processes] == [
        ("eastus", "region", None), ("westus2", "region", None),
        ("eastus-zone1", "zone", 1), ("eastus-zone2", "zone", 2), ("eastus-zone3", "zone", 3),
        ("westus2-zone1", "zone", 1), ("westus2-zone2", "zone", 2)]
    by_name = {p.name: p for p in processes}
    assert by_name["eastus-zone2"].rate_per_year == 2.0
    assert by_name["eastus-zone2"].duration == FixedDuration(3)
    assert by_name["westus2-zone1"].rate_per_year == 0.5
    assert by_name["westus2-zone1"].duration == duration_law(
        {"law": "exponential", "mean_hours": 2})
    # the same model without zoned destinations: no zone processes
    assert [p.kind for p in model.processes(deployment.regions)] == ["region", "region"]


ZONED_DEST = """
[[destinations]]
name = "pls-east"
region = "eastus"
nat_ips = 4
backend_vms = 6
"""


@pytest.mark.parametrize("text, fragments", [
    (HEAD + ZONED_DEST + "zones = [1, 2, 3]\ncapacity_connections = 5\n" + ENDPOINT,
     ["[[destinations]] 'pls-east': give capacity_connections or nat_ips/backend_vms"]),
    (HEAD + '[[destinations]]\nname = "pls-east"\nregion = "eastus"\n'
     'capacity_connections = 5e6\nzones = [1, 2, 3]\n' + ENDPOINT,
     ["[[destinations]] 'pls-east': zones need the capacity model"]),
    (HEAD + ZONED_DEST.replace("eastus", "westus") + "zones = [1, 2]\n"
     + ENDPOINT.replace('region = "eastus"', 'region = "westus"'),
     ["[[destinations]] 'pls-east': region 'westus' has no availability zones",
      "remove zones/vms_per_zone"]),
    (HEAD + ZONED_DEST + 'zones = "1, 2, 3"\n' + ENDPOINT,
     ["destination 'pls-east' zones='1, 2, 3' is not allowed: a list of whole numbers"]),
    (HEAD + ZONED_DEST + "zones = [1, 2, 5]\n" + ENDPOINT,
     ["zones=[1, 2, 5] is not allowed: distinct zone numbers from 1 to 3"]),
    (HEAD + ZONED_DEST + "zone = [1, 2, 3]\n" + ENDPOINT,
     ["[[destinations]] #1: unknown key(s) zone", "zones", "vms_per_zone"]),
    (HEAD + "[outages.zones]\nrate_per_year = 1\n" + ZONED_DEST + ENDPOINT,
     ["[outages.zones]: missing key 'duration'"]),
    (HEAD + "[outages.zones]\nrate = 1\n" + ZONED_DEST + ENDPOINT,
     ["[outages.zones]: unknown key(s) rate", "allowed: duration, rate_per_year, regions"]),
    (HEAD + "[outages.zones]\nrate_per_year = -1\nduration = { law = \"fixed\", hours = 1 }\n"
     + ZONED_DEST + ENDPOINT, ["[outages.zones]: rate_per_year=-1 is not allowed"]),
    (HEAD + "[outages.zones]\nrate_per_year = 1\nduration = { law = \"fixed\", hours = 1 }\n"
     "[outages.zones.regions.westus]\nrate_per_year = 1\n" + ZONED_DEST + ENDPOINT,
     ["[outages.zones.regions.westus]: region 'westus' has no availability zones"]),
    (HEAD + "[outages.zones]\nrate_per_year = 1\nduration = { law = \"fixed\", hours = 1 }\n"
     "[outages.zones.regions.eastus]\nrate = 1\n" + ZONED_DEST + ENDPOINT,
     ["[outages.zones.regions.eastus]: unknown key(s) rate"]),
    (HEAD + "[outages.zones]\nrate_per_year = 1\nduration = { law = \"fixed\", hours = 1 }\n"
     "[outages.zones.regions.eastus]\nduration = { law = \"fixed\" }\n" + ZONED_DEST
     + ENDPOINT, ["[outages.zones.regions.eastus] duration: missing hours"]),
    (HEAD + "[outages.zones]\nrate_per_year = 1\nduration = { law = \"fixed\", hours = 1 }\n"
     "[outages.zones.regions.eastuss]\nrate_per_year = 1\n" + ZONED_DEST + ENDPOINT,
     ["[outages.zones.regions.eastuss]: unknown region 'eastuss'"]),
    (HEAD.replace("[outages]\n", "[outages]\nzones = 3\n") + ZONED_DEST + ENDPOINT,
     ["[outages.zones] must be a table"]),
], ids=["capacity-and-zones", "capacity-only-zones", "region-without-zones", "zones-as-text",
        "zone-5", "misspelt-key", "zone-outages-no-duration", "zone-outages-unknown-key",
        "zone-outages-negative-rate", "override-region-without-zones", "override-unknown-key",
        "override-bad-duration", "override-unknown-region", "zones-not-a-table"])
def test_toml_zone_errors_name_file_table_key(tmp_path, text, fragments):
    path = write(tmp_path, text)
    with pytest.raises(ValueError) as info:
        load_deployment(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


# ----------------------------------------------------------------------------- a reference


def reference(deployment, model):
    """Unavailability of both metrics, from the definitions, over every joint state.

    Written without the package's Structure: endpoints usable while their region and their
    destination's region are up (zone-agnostic); capacity from the VMs outside the down zones.
    """
    regions = deployment.regions
    zones = deployment.zones
    processes = []                     # (name, kind, region or regions, zone, q)
    for r in regions:
        rate, law = model.regions.get(r, (model.rate_per_year, model.duration))
        processes.append(("region", (r,), None, q(rate, law.mean_minutes / 60)))
    for g in model.groups:
        if set(g.regions) & set(regions):
            processes.append(("group", g.regions, None,
                              q(g.rate_per_year, g.duration.mean_minutes / 60)))
    if model.zones is not None:
        for r in sorted(zones):
            rate, law = model.zones.regions.get(r, (model.zones.rate_per_year,
                                                    model.zones.duration))
            for z in zones[r]:
                processes.append(("zone", (r,), z, q(rate, law.mean_minutes / 60)))
    used = deployment.used_destinations
    out = {"reachable": 0.0, "served": 0.0}
    for state in itertools.product((False, True), repeat=len(processes)):
        p = math.prod(pr if down else 1 - pr for (_, _, _, pr), down in zip(processes, state))
        region_down = {r for (kind, rs, _, _), down in zip(processes, state)
                       if down and kind != "zone" for r in rs}
        zone_down = {(rs[0], z) for (kind, rs, z, _), down in zip(processes, state)
                     if down and kind == "zone"}
        usable = [e for e in deployment.endpoints if e.region not in region_down
                  and deployment.destination(e.destination).region not in region_down]
        if deployment.failover.mode == "active-passive":
            carrying = {usable[0].destination} if usable else set()
        else:
            carrying = {e.destination for e in usable}
        total = 0
        for name in used:
            if name not in carrying:
                continue
            d = deployment.destination(name)
            if not d.zones:
                total += d.capacity_connections
                continue
            left = sum(v for z, v in zip(d.zones, d.vms_per_zone)
                       if (d.region, z) not in zone_down)
            total += ceiling(d.nat_ips, left, d.pls_count, d.max_connections_per_vm)
        if not usable:
            out["reachable"] += p
        if not usable or (deployment.demand_connections is not None
                          and total < deployment.demand_connections):
            out["served"] += p
    return out


def three_zones(demand=1_200_000, **model):
    """eastus, 6 VMs over three zones (1,536,000 connections; 1,024,000 with a zone down)."""
    deployment = Deployment(
        (Destination("pls", "eastus", nat_ips=4, backend_vms=6, zones=[1, 2, 3]),),
        (Endpoint("pe", "eastus", "pls"),), demand_connections=demand)
    return deployment, OutageModel(1.0, {"law": "fixed", "hours": 4}, zones=ZONED, **model)


def test_hand_computed_three_zones_losing_any_zone_is_too_little():
    deployment, model = three_zones()
    p_region, p_zone = q(1.0, 4), q(2.0, 3)
    served = 1 - (1 - p_region) * (1 - p_zone) ** 3
    assert exact_unavailability(deployment, model, metric="served") == pytest.approx(
        served, rel=1e-12)
    # reachable does not see zones: private endpoints are zone-agnostic
    assert exact_unavailability(deployment, model) == pytest.approx(p_region, rel=1e-12)
    # a series system: it goes down at the total rate while everything is up
    all_up = (1 - p_region) * (1 - p_zone) ** 3
    assert down_episode_frequency(deployment, model, metric="served") == pytest.approx(
        all_up * (1.0 + 3 * 2.0), rel=1e-12)
    assert down_episode_frequency(deployment, model) == pytest.approx(
        (1 - p_region) * 1.0, rel=1e-12)
    # with the demand covered by any two zones, only two zones down matter
    deployment, model = three_zones(demand=1_000_000)
    two_down = 3 * p_zone ** 2 * (1 - p_zone) + p_zone ** 3
    assert exact_unavailability(deployment, model, metric="served") == pytest.approx(
        p_region + (1 - p_region) * two_down, rel=1e-12)


def test_without_zone_outages_zones_only_shape_capacity():
    deployment, _ = three_zones()
    plain = OutageModel(1.0, {"law": "fixed", "hours": 4})
    assert [p.kind for p in compile_structure(deployment, plain).processes] == ["region"]
    assert exact_unavailability(deployment, plain, metric="served") == pytest.approx(
        q(1.0, 4), rel=1e-12)


def cases():
    law = {"law": "exponential", "mean_hours": 20}
    group = OutageGroup("us", ("eastus", "westus2"), 0.5, {"law": "fixed", "hours": 10})
    zoned = {"rate_per_year": 6.0, "duration": {"law": "exponential", "mean_hours": 8},
             "regions": {"westus2": {"rate_per_year": 3.0}}}
    east = Destination("pls-e", "eastus", nat_ips=2, backend_vms=7, zones=[1, 2, 3])
    east_b = Destination("pls-e2", "eastus", nat_ips=1, vms_per_zone=[4, 2], zones=[2, 3],
                         max_connections_per_vm=60_000)
    west = Destination("pls-w", "westus2", nat_ips=1, vms_per_zone=[3, 1])
    plain = Destination("pls-c", "westus", 400_000)
    e = [Endpoint("pe-e", "eastus", "pls-e"), Endpoint("pe-e2", "eastus", "pls-e2"),
         Endpoint("pe-w", "westus2", "pls-w"), Endpoint("pe-x", "centralus", "pls-e"),
         Endpoint("pe-c", "westus", "pls-c")]
    model = OutageModel(3.0, law, groups=(group,), zones=zoned)
    return {
        # two zoned destinations in one region share its zone processes (zones 2 and 3)
        "shared-zones": (Deployment((east, east_b), e[:2], demand_connections=800_000), model),
        "two-regions-group-cross": (Deployment((east, west, plain), [e[0], e[2], e[3], e[4]],
                                               demand_connections=1_300_000), model),
        "no-demand": (Deployment((east, west), [e[0], e[2]]), model),
        "active-passive": (Deployment((east, west, plain), [e[0], e[2], e[4]],
                                      demand_connections=700_000,
                                      failover=Failover("active-passive", 0.0,
                                                        ("pe-e", "pe-w", "pe-c"))), model),
    }


@pytest.mark.parametrize("name", list(cases()))
def test_exact_with_zones_matches_brute_force_and_enumeration(name):
    deployment, model = cases()[name]
    expected = reference(deployment, model)
    structure = compile_structure(deployment, model)
    assert sum(p.kind == "zone" for p in structure.processes) >= 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        for metric in ("reachable", "served"):
            got = exact_unavailability(deployment, model, metric=metric)
            assert got == pytest.approx(expected[metric], rel=1e-9, abs=1e-15), metric
            assert enumerated_unavailability(structure, metric) == pytest.approx(
                expected[metric], rel=1e-9, abs=1e-15)
    if deployment.failover.mode == "active-active":
        conditioned = exact_figures_by_metric(deployment, model)
        for metric in ("reachable", "served"):
            assert conditioned[f"{metric}_rate"] == pytest.approx(
                enumerated_episode_frequency(structure, metric), rel=1e-9, abs=1e-12)
    # reachable is the same as without zone outages
    no_zones = OutageModel(model.rate_per_year, model.duration, groups=model.groups)
    assert exact_unavailability(deployment, no_zones) == pytest.approx(
        expected["reachable"], rel=1e-12)


def zoned_regions_model(regions, units_needed):
    """Each region a PLS of six VMs in three zones (one unit: two VMs, a zone's share) and an
    endpoint; a demand of ``units_needed`` units; regions 4 outages a year of 30 h, zones 10 of
    40 h. Returns the deployment, the model and, by convolving the regions' capacity
    distributions, the served unavailability."""
    destinations = tuple(Destination(f"pls-{r}", r, nat_ips=1, backend_vms=6, zones=[1, 2, 3])
                         for r in regions)
    endpoints = tuple(Endpoint(f"pe-{r}", r, f"pls-{r}") for r in regions)
    unit = ceiling(1, 2)                        # two VMs: one zone's share
    deployment = Deployment(destinations, endpoints, demand_connections=units_needed * unit)
    model = OutageModel(4.0, {"law": "fixed", "hours": 30},
                        zones={"rate_per_year": 10.0, "duration": {"law": "fixed", "hours": 40}})
    pr, pz = q(4.0, 30), q(10.0, 40)
    # one region: 3 - (zones down) units while up, 0 while down
    one = {u: 0.0 for u in range(4)}
    one[0] += pr
    for k in range(4):
        one[3 - k] += (1 - pr) * math.comb(3, k) * pz ** k * (1 - pz) ** (3 - k)
    total = {0: 1.0}
    for _ in regions:
        nxt = {}
        for a, pa in total.items():
            for b, pb in one.items():
                nxt[a + b] = nxt.get(a + b, 0.0) + pa * pb
        total = nxt
    return deployment, model, sum(p for units, p in total.items() if units < units_needed)


def test_zones_at_scale_against_a_convolution():
    """Twelve zoned regions, 48 processes (beyond the enumeration): the conditioned
    calculation against the convolution of the regions' capacity distributions."""
    regions = ["eastus", "eastus2", "centralus", "southcentralus", "westus2", "westus3",
               "canadacentral", "brazilsouth", "northeurope", "westeurope", "uksouth",
               "francecentral"]
    deployment, model, short = zoned_regions_model(regions, 27)  # of 36 units
    assert len(compile_structure(deployment, model).processes) == 48
    assert exact_unavailability(deployment, model, metric="served") == pytest.approx(
        short, rel=1e-9)
    assert exact_unavailability(deployment, model) == pytest.approx(q(4.0, 30) ** 12, rel=1e-9)


def test_simulation_beyond_64_processes_against_a_convolution():
    """Twenty-four zoned regions, 96 outage processes: the simulation's path beyond 64-bit
    state masks against the convolution of the regions' capacity distributions (and the exact
    calculation). With about 3.6 processes down on average, most states are the rare ones
    with three or more down."""
    from plcapacity.base.regions import region_catalog
    catalog = region_catalog()
    regions = sorted(catalog.index[catalog["availability_zones"].astype(bool)])[:24]
    deployment, model, short = zoned_regions_model(regions, 68)  # of 72 units
    assert len(compile_structure(deployment, model).processes) == 96
    assert 0.05 < short < 0.95
    assert exact_unavailability(deployment, model, metric="served") == pytest.approx(
        short, rel=1e-9)
    result = simulate(deployment, model, trials=400, seed=96, progress=False)
    check_against_exact(1 - result.served_availability, short,
                        result.served_ci_half_width / 1.96)


@pytest.mark.parametrize("name", ["shared-zones", "two-regions-group-cross"])
def test_simulation_agrees_with_exact_on_zone_cases(name):
    deployment, model = cases()[name]
    result = simulate(deployment, model, trials=4_000, years=10, seed=12, progress=False)
    exact = exact_figures_by_metric(deployment, model)
    check_against_exact(result.unavailability, exact["reachable"],
                        result.ci_half_width / 1.96)
    check_against_exact(1 - result.served_availability, exact["served"],
                        result.served_ci_half_width / 1.96)
    # the zones matter here: served is well below reachable
    assert exact["served"] > 1.5 * exact["reachable"]


def test_simulation_hand_computed_case():
    deployment, model = three_zones()
    result = simulate(deployment, model, trials=4_000, years=10, seed=5, progress=False)
    served = 1 - (1 - q(1.0, 4)) * (1 - q(2.0, 3)) ** 3
    check_against_exact(1 - result.served_availability, served,
                        result.served_ci_half_width / 1.96)


def test_process_table_and_summary_list_zone_processes():
    deployment, model = three_zones()
    table = process_table(deployment, model)
    assert list(table["process"]) == ["eastus", "eastus-zone1", "eastus-zone2",
                                      "eastus-zone3"]
    assert list(table["kind"]) == ["region", "zone", "zone", "zone"]
    summary = exact_summary(deployment, model)
    assert summary["processes"] == 4
    assert summary["served_availability"] == pytest.approx(
        (1 - q(1.0, 4)) * (1 - q(2.0, 3)) ** 3, rel=1e-12)


# ----------------------------------------------------------------------------- the example


def test_example_three_zones():
    deployment, model = load_deployment(EXAMPLES_DIR / "three-zones.toml")
    east, west = deployment.destinations
    # the file's comments: 1 PLS x 4 NAT IPs x 6 VMs x 64,000 = 1,536,000; a zone down
    # leaves 4 VMs: 1,024,000, below the demand of 1,200,000
    assert east.zones == (1, 2, 3) and east.vms_per_zone == (2, 2, 2)
    assert east.capacity_connections == 1_536_000
    assert east.zone_capacities()[1] == 1_024_000 < deployment.demand_connections
    assert west.vms_per_zone == (3, 3, 3)
    assert model.zones.rate_per_year == 2.0 and model.zones.duration == FixedDuration(3)
    processes = [p.name for p in model.processes(deployment.regions, deployment.zones)]
    assert processes == ["eastus2", "westus2", "eastus2-zone1", "eastus2-zone2",
                         "eastus2-zone3", "westus2-zone1", "westus2-zone2", "westus2-zone3"]
    expected = reference(deployment, model)
    for metric in ("reachable", "served"):
        assert exact_unavailability(deployment, model, metric=metric) == pytest.approx(
            expected[metric], rel=1e-9)


def test_zones_in_a_block_split_by_conditioning():
    """A hub region holding endpoints to four zoned destinations links them (and their twelve
    zone variables) into one block of 17: the calculation conditions on the hub and must still
    agree with the brute force and with the enumeration."""
    from plcapacity.availability.exact import EXACT_MAX_BLOCK, Plan

    regions = ["eastus", "eastus2", "westus2", "westus3"]
    destinations = tuple(Destination(f"pls-{r}", r, nat_ips=1, backend_vms=3 + i,
                                     zones=[1, 2, 3]) for i, r in enumerate(regions))
    endpoints = tuple(Endpoint(f"pe-hub-{r}", "centralus", f"pls-{r}") for r in regions)
    deployment = Deployment(destinations, endpoints, demand_connections=ceiling(1, 13))
    model = OutageModel(5.0, {"law": "fixed", "hours": 40},
                        zones={"rate_per_year": 8.0, "duration": {"law": "fixed", "hours": 30}})
    processes = compile_structure(deployment, model).processes
    plan = Plan(deployment, processes)
    assert 4 + 12 + 1 > EXACT_MAX_BLOCK and len(plan.cut) >= 1
    expected = reference(deployment, model)
    exact = exact_figures_by_metric(deployment, model)
    structure = compile_structure(deployment, model)
    for metric in ("reachable", "served"):
        assert exact[metric] == pytest.approx(expected[metric], rel=1e-9)
        assert exact[f"{metric}_rate"] == pytest.approx(
            enumerated_episode_frequency(structure, metric), rel=1e-9)


# ----------------------------------------------------------------------------- sizing


def brute_force_zone_size(concurrent, headroom="0.2", zones=3, lost=1, failures=0, cap=None,
                          ports=PORTS, pool=5000, endpoints=8):
    """Naive search in rational arithmetic: for each (pls, nat), try VM counts from the zone
    count up; spread them (remainder to the first zones), drop the ``lost`` largest zones and
    ``failures`` more VMs, and check the ceiling of what is left. At most ``endpoints`` PLSs
    (one endpoint reaches one PLS); options another equals or beats on every count are left
    out."""
    from fractions import Fraction

    grow = 1 + Fraction(headroom)
    required = math.ceil(Fraction(str(concurrent)) * grow)
    found = []
    for pls in range(1, min(8, endpoints) + 1):
        for nat in range(1, 9):
            for vms in range(zones, pool + 1):
                spread = [vms // zones + (i < vms % zones) for i in range(zones)]
                left = sum(sorted(spread)[:zones - lost]) - failures
                if left < 1:
                    continue
                if pls * nat * left * ports >= required and (
                        cap is None or left * cap >= required):
                    found.append((vms, pls, nat, left))
                    break
    found.sort()
    return [option for i, option in enumerate(found)
            if not any(all(a <= b for a, b in zip(other[:3], option[:3]))
                       and (other[:3] != option[:3] or j < i)
                       for j, other in enumerate(found) if j != i)]


ZONE_SIZING = {
    "nine-vms-one-zone": dict(concurrent=480_000, zones=3, lost=1),
    "one-zone-and-two-vms": dict(concurrent=3_000_000, zones=3, lost=1, failures=2),
    "two-of-three-zones": dict(concurrent=2_000_000, zones=3, lost=2),
    "two-zones": dict(concurrent=7_777_777, zones=2, lost=1, headroom="0.3"),
    "zones-no-loss": dict(concurrent=5_000_000, zones=3, lost=0),
    "vm-cap": dict(concurrent=2_400_000, zones=3, lost=1, cap=150_000),
    "tiny": dict(concurrent=1, zones=3, lost=1),
    "one-zone": dict(concurrent=900_000, zones=1, lost=0, failures=1),
}


@pytest.mark.parametrize("case", ZONE_SIZING.values(), ids=ZONE_SIZING.keys())
def test_size_with_zones_matches_brute_force(case):
    from plcapacity.capacity.sizing import size

    expected = brute_force_zone_size(**case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = size(case["concurrent"], headroom=float(case.get("headroom", "0.2")),
                     vm_failures_tolerated=case.get("failures", 0),
                     max_connections_per_vm=case.get("cap"), zones=case["zones"],
                     zone_failures_tolerated=case["lost"], consumer_endpoints=8)
    got = sorted(zip(table.backend_vms, table.pls_count, table.nat_ips,
                     table.vms_after_failures))
    assert got == expected
    best = table.iloc[0]
    assert best.largest_zone_vms == -(-best.backend_vms // case["zones"])
    assert best.ceiling_after_failures == ceiling(best.nat_ips, best.vms_after_failures,
                                                  best.pls_count, case.get("cap"))
    # the deployment it recommends, built as a zoned destination, carries the demand with
    # headroom with its largest zone down (when no VM failure is asked for too)
    if case["zones"] > 1 and not case.get("failures"):
        d = Destination("pls", "eastus", nat_ips=int(best.nat_ips),
                        backend_vms=int(best.backend_vms), pls_count=int(best.pls_count),
                        max_connections_per_vm=case.get("cap"),
                        zones=list(range(1, case["zones"] + 1)))
        worst = min(d.zone_capacities()[m] for m in range(1 << case["zones"])
                    if m.bit_count() == case["lost"])
        assert worst >= case["concurrent"] * (1 + float(case.get("headroom", "0.2"))) - 1e-6


def test_size_zone_examples_by_hand():
    from plcapacity.capacity.sizing import zone_survivors, zone_vms

    # 7 over 3 zones: 3, 2, 2; losing the largest leaves 4, the two largest leave 2
    assert zone_survivors(7, 3, 1) == 4 and zone_survivors(7, 3, 2) == 2
    # to keep 9 after losing one of three zones: 14 (5, 5, 4); 9 after two: 27
    assert zone_vms(9, 3, 1) == 14 and zone_vms(9, 3, 2) == 27
    assert zone_vms(1, 3, 1) == 3       # at least one VM per zone
    assert zone_vms(10, 1, 0) == 10     # one zone: no change
    survive = np.arange(1, 200)
    for z, k in [(1, 0), (2, 1), (3, 0), (3, 1), (3, 2)]:
        n = zone_vms(survive, z, k)
        assert np.all(zone_survivors(n, z, k) >= survive)
        assert np.all((n == z) | (zone_survivors(n - 1, z, k) < survive))


@pytest.mark.parametrize("kwargs, match", [
    (dict(zones=4), r"zones=4 is not allowed: a whole number from 1 to 3"),
    (dict(zones=0), r"zones=0 is not allowed"),
    (dict(zones=2.5), r"zones=2.5 is not allowed"),
    (dict(zones=3, zone_failures_tolerated=3), (r"zone_failures_tolerated=3 is not allowed: "
                                                r"a whole number from 0 to 2 \(fewer than "
                                                r"zones=3")),
    (dict(zone_failures_tolerated=1), (r"zone_failures_tolerated=1 is not allowed: 0 without "
                                       r"zones")),
])
def test_size_zone_errors(kwargs, match):
    from plcapacity.capacity.sizing import size

    with pytest.raises(ValueError, match=match):
        size(1e6, **kwargs)


def test_size_infeasible_with_zones_names_the_zones():
    from plcapacity.base.exceptions import InfeasibleDemandError
    from plcapacity.capacity.sizing import size

    with pytest.raises(InfeasibleDemandError, match="after 0 failures and 2 of 3 zones"):
        size(1e11, zones=3, zone_failures_tolerated=2)


def test_size_table_zone_columns_match_size():
    import pandas as pd

    from plcapacity.capacity.sizing import DEMAND_COLUMNS, size, size_table

    assert {"zones", "zone_failures_tolerated"} <= set(DEMAND_COLUMNS)
    rng = np.random.default_rng(12)
    n = 40
    frame = pd.DataFrame({
        "concurrent_connections": rng.integers(1, 20_000_000, n),
        "vm_failures_tolerated": rng.integers(0, 3, n),
        "zones": rng.integers(1, 4, n),
    })
    frame["zone_failures_tolerated"] = [int(rng.integers(0, z)) for z in frame["zones"]]
    frame.loc[::7, ["zones", "zone_failures_tolerated"]] = None   # some rows without zones
    frame.loc[::7, "zone_failures_tolerated"] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = size_table(frame)
        for i, row in frame.iterrows():
            zones = None if pd.isna(row["zones"]) else int(row["zones"])
            best = size(row["concurrent_connections"],
                        vm_failures_tolerated=int(row["vm_failures_tolerated"]), zones=zones,
                        zone_failures_tolerated=int(row["zone_failures_tolerated"])).iloc[0]
            got = table.iloc[i]
            assert got["status"] == "ok", got["error"]
            for column in ("pls_count", "nat_ips", "backend_vms", "ceiling_after_failures"):
                assert got[column] == best[column], (i, column)


def test_size_table_zone_cell_errors():
    import pandas as pd

    from plcapacity.capacity.sizing import size_table

    frame = pd.DataFrame({"concurrent_connections": [1e6] * 5,
                          "zones": [4, None, 2, "two", 3],
                          "zone_failures_tolerated": [0, 1, 2, 1, 1]})
    table = size_table(frame)
    assert list(table["status"]) == ["error", "error", "error", "error", "ok"]
    assert "column zones=4 is not allowed: a whole number from 1 to 3" in table["error"][0]
    assert ("column zone_failures_tolerated=1 is not allowed: a whole number below zones (0 "
            "without zones)") in table["error"][1]
    assert "column zone_failures_tolerated=2 is not allowed" in table["error"][2]
    assert "column zones='two' is not allowed" in table["error"][3]
    assert "zone_failures_tolerated" not in table["error"][3]


def test_batch_rows_with_zones_get_rank_1_of_size():
    """The batch (scenario table, availability columns included) sizes zoned rows as size()
    does, infeasible rows explained with the zones, and its availability is unchanged."""
    import pandas as pd

    from plcapacity.base.exceptions import InfeasibleDemandError
    from plcapacity.batch.run import run_batch
    from plcapacity.capacity.sizing import size

    table = pd.DataFrame({
        "service": ["a", "b", "c", "d"],
        "concurrent_connections": [480_000, 3_000_000, 1e10, 1_000_000],
        "new_connections_per_s": [0, 500, 0, 100],
        "vm_failures_tolerated": [0, 1, 0, 2],
        "zones": [3, 2, 3, None],
        "zone_failures_tolerated": [1, 1, 2, 0],
        "pe_regions": ["eastus; westus2"] * 4,
    })
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_batch(table, seed=1, trials=2_000)
    for row, got in zip(table.itertuples(), result.itertuples()):
        zones = None if pd.isna(row.zones) else int(row.zones)
        kwargs = dict(new_connections_per_s=row.new_connections_per_s,
                      vm_failures_tolerated=row.vm_failures_tolerated, zones=zones,
                      zone_failures_tolerated=row.zone_failures_tolerated)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                best = size(row.concurrent_connections, **kwargs).iloc[0]
            except InfeasibleDemandError as error:
                assert got.status == "infeasible" and str(error) in got.error
                assert "zones" in got.error
                continue
        assert got.status == "ok", got.error
        assert (got.pls_count, got.nat_ips, got.backend_vms, got.ceiling_after_failures) == (
            best.pls_count, best.nat_ips, best.backend_vms, best.ceiling_after_failures)
    assert list(result["status"]) == ["ok", "ok", "infeasible", "ok"]


def test_toml_capacity_with_any_model_key_is_refused(tmp_path):
    path = write(tmp_path, HEAD + '[[destinations]]\nname = "pls-east"\nregion = "eastus"\n'
                 'capacity_connections = 5e6\npls_count = 1\n' + ENDPOINT)
    with pytest.raises(ValueError, match=r"\[\[destinations\]\] 'pls-east': give "
                                         r"capacity_connections or nat_ips/backend_vms, not both"):
        load_deployment(path)


@pytest.mark.parametrize("name", sorted(cases()))
def test_evaluate_sets_equals_evaluate_on_masks(name):
    """The two ways of giving states (64-bit masks; bool sets, used above 64 processes) give
    the same reachable, served and active endpoint, on every state of these zone cases."""
    deployment, model = cases()[name]
    structure = compile_structure(deployment, model)
    K = structure.n_processes
    states = np.arange(1 << K, dtype=np.int64)
    sets = ((states[:, None] >> np.arange(K)) & 1).astype(bool)
    for failover in ("active-active", "active-passive"):
        if failover == "active-passive":
            structure = compile_structure(
                Deployment(deployment.destinations, deployment.endpoints,
                           deployment.demand_connections, Failover("active-passive", 5.0)),
                model)
        masks = structure.evaluate(states)
        by_sets = structure.evaluate_sets(sets)
        for got, expected in zip(by_sets, masks):
            np.testing.assert_array_equal(got, expected)
