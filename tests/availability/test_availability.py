"""Exact steady-state availability: analytic known answers and an independent enumeration."""

import itertools
import math

import pytest

from plcapacity import ModelWarning
from plcapacity.availability.deployment import Deployment, Destination, Endpoint, Failover
from plcapacity.availability.exact import (
    down_episode_frequency,
    exact_summary,
    exact_unavailability,
    process_table,
)
from plcapacity.availability.structure import compile_structure
from plcapacity.outages.processes import OutageGroup, OutageModel

YEAR_H = 8760
FOUR_HOURS = OutageModel(1.0, {"law": "fixed", "hours": 4})


def q_of(rate, mean_hours):
    """M/G/inf busy probability: 1 - exp(-rate * E[D]) with rate per year, E[D] in years."""
    return 1 - math.exp(-rate * mean_hours / YEAR_H)


def test_single_region():
    deployment = Deployment((Destination("pls", "eastus"),), (Endpoint("pe", "eastus", "pls"),))
    assert exact_unavailability(deployment, FOUR_HOURS) == pytest.approx(q_of(1, 4), rel=1e-12)


def test_endpoint_in_another_region_needs_both_regions():
    deployment = Deployment((Destination("pls", "eastus"),), (Endpoint("pe", "westus", "pls"),))
    q = q_of(1, 4)
    assert exact_unavailability(deployment, FOUR_HOURS) == pytest.approx(1 - (1 - q) ** 2,
                                                                         rel=1e-12)


def test_two_regions_active_active():
    deployment = Deployment(
        (Destination("a", "eastus"), Destination("b", "westus")),
        (Endpoint("pe-a", "eastus", "a"), Endpoint("pe-b", "westus", "b")))
    assert exact_unavailability(deployment, FOUR_HOURS) == pytest.approx(q_of(1, 4) ** 2,
                                                                         rel=1e-12)


def test_shared_destination_is_a_single_point_of_failure():
    deployment = Deployment(
        (Destination("pls", "eastus"),),
        (Endpoint("pe-e", "eastus", "pls"), Endpoint("pe-w", "westus", "pls")))
    assert exact_unavailability(deployment, FOUR_HOURS) == pytest.approx(q_of(1, 4), rel=1e-12)


def test_correlated_group():
    model = OutageModel(2.0, {"law": "exponential", "mean_hours": 3},
                        groups=(OutageGroup("pair", ("eastus", "westus"), 0.1,
                                            {"law": "fixed", "hours": 24}),))
    deployment = Deployment(
        (Destination("a", "eastus"), Destination("b", "westus")),
        (Endpoint("pe-a", "eastus", "a"), Endpoint("pe-b", "westus", "b")))
    q, g = q_of(2, 3), q_of(0.1, 24)
    expected = 1 - (1 - g) * (1 - q ** 2)   # the group takes both down, or both fail alone
    assert exact_unavailability(deployment, model) == pytest.approx(expected, rel=1e-12)


def test_published_two_of_three():
    """Three regions, 1 outage a year each of 4 h, served while 2 of 3 destinations (1,000,000
    each) carry a demand of 2,000,000: U = 3q^2(1-q) + q^3, about 6.25e-7."""
    deployment = Deployment(
        tuple(Destination(f"pls-{r}", r, 1_000_000) for r in ("eastus", "westus2", "centralus")),
        tuple(Endpoint(f"pe-{r}", r, f"pls-{r}") for r in ("eastus", "westus2", "centralus")),
        demand_connections=2_000_000)
    q = 1 - math.exp(-4 / 8760)
    served = exact_unavailability(deployment, FOUR_HOURS, metric="served")
    assert served == pytest.approx(3 * q ** 2 * (1 - q) + q ** 3, rel=1e-12)
    assert served == pytest.approx(6.25e-7, rel=1e-3)
    assert exact_unavailability(deployment, FOUR_HOURS) == pytest.approx(q ** 3, rel=1e-12)
    # episodes: from exactly one region down, either other one going down (rate 1/yr each)
    assert down_episode_frequency(deployment, FOUR_HOURS, metric="served") == pytest.approx(
        3 * q * (1 - q) ** 2 * 2, rel=1e-12)


# ----------------------------------------------------------------------------- brute force


def _enumerate(deployment, outages, metric):
    """Independent enumeration: every up/down combination of the processes, evaluated from
    the definitions (regions down, endpoints usable, destinations carrying traffic)."""
    processes = outages.processes(deployment.regions)
    total = 0.0
    for downs in itertools.product((False, True), repeat=len(processes)):
        probability = 1.0
        down_regions = set()
        for process, is_down in zip(processes, downs):
            probability *= process.probability_down if is_down else 1 - process.probability_down
            if is_down:
                down_regions.update(process.regions)
        usable = [e for e in deployment.endpoints
                  if e.region not in down_regions
                  and deployment.destination(e.destination).region not in down_regions]
        up = bool(usable)
        if metric == "served" and up and deployment.demand_connections is not None:
            if deployment.failover.mode == "active-passive":
                capacity = deployment.destination(usable[0].destination).capacity_connections
            else:
                capacity = sum(deployment.destination(d).capacity_connections
                               for d in {e.destination for e in usable})
            up = capacity >= deployment.demand_connections
        total += probability * (not up)
    return total


MIXED = OutageModel(
    1.5, {"law": "lognormal", "median_hours": 2, "p95_hours": 12},
    regions={"eastus": {"rate_per_year": 3.0}, "westeurope": {"duration": {"law": "fixed",
                                                                           "hours": 8}}},
    groups=(OutageGroup("us", ("eastus", "westus", "centralus"), 0.2,
                        {"law": "exponential", "mean_hours": 6}),
            OutageGroup("eu", ("westeurope", "northeurope"), 0.3, {"law": "fixed", "hours": 5})))

LAYOUTS = {
    "four-regions-mixed-capacity": Deployment(
        (Destination("us1", "eastus", 3e6), Destination("us2", "westus", 1e6),
         Destination("eu1", "westeurope", 2e6)),
        (Endpoint("a", "eastus", "us1"), Endpoint("b", "centralus", "us1"),
         Endpoint("c", "westus", "us2"), Endpoint("d", "northeurope", "eu1"),
         Endpoint("e", "westeurope", "eu1")),
        demand_connections=2.5e6),
    "active-passive": Deployment(
        (Destination("us1", "eastus", 3e6), Destination("eu1", "westeurope", 1e6)),
        (Endpoint("a", "eastus", "us1"), Endpoint("b", "westeurope", "eu1"),
         Endpoint("c", "centralus", "us1")),
        demand_connections=2e6,
        failover=Failover("active-passive", 0.0, ("b", "a", "c"))),
}


@pytest.mark.parametrize("metric", ["reachable", "served"])
@pytest.mark.parametrize("deployment", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_exact_matches_independent_enumeration(deployment, metric):
    expected = _enumerate(deployment, MIXED, metric)
    assert 0 < expected < 1
    assert exact_unavailability(deployment, MIXED, metric=metric) == pytest.approx(
        expected, rel=1e-12)


def test_twenty_four_processes():
    """24 regions, each with its own endpoint and destination: U is the product of the q's."""
    regions = ["australiaeast", "brazilsouth", "canadacentral", "centralindia", "centralus",
               "eastasia", "eastus", "eastus2", "francecentral", "germanywestcentral",
               "japaneast", "koreacentral", "northeurope", "norwayeast", "southafricanorth",
               "southcentralus", "southeastasia", "swedencentral", "switzerlandnorth",
               "uaenorth", "uksouth", "westeurope", "westus2", "westus3"]
    model = OutageModel(400.0, {"law": "fixed", "hours": 10})  # q ~ 0.37: U not negligible
    deployment = Deployment(tuple(Destination(f"d-{r}", r) for r in regions),
                            tuple(Endpoint(f"e-{r}", r, f"d-{r}") for r in regions))
    assert compile_structure(deployment, model).n_processes == 24
    q = q_of(400, 10)
    assert exact_unavailability(deployment, model) == pytest.approx(q ** 24, rel=1e-9)


def test_active_passive_warns_gap_free():
    deployment = Deployment(
        (Destination("a", "eastus"), Destination("b", "westus")),
        (Endpoint("pe-a", "eastus", "a"), Endpoint("pe-b", "westus", "b")),
        failover=Failover("active-passive", 5.0))
    with pytest.warns(ModelWarning, match="excludes failover gaps"):
        value = exact_unavailability(deployment, FOUR_HOURS)
    assert value == pytest.approx(q_of(1, 4) ** 2, rel=1e-12)
    # each loss of the active endpoint while the other is usable is an episode:
    # eastus down while westus is up, at rate 1/yr x P(both up) ... plus both-down entries
    q = q_of(1, 4)
    failovers = 1.0 * (1 - q) ** 2          # eastus fails while both are up
    outages = 1.0 * q * (1 - q) * 2         # the second region fails while one is down
    assert down_episode_frequency(deployment, FOUR_HOURS) == pytest.approx(
        failovers + outages, rel=1e-12)


def test_unknown_metric():
    deployment = LAYOUTS["active-passive"]
    with pytest.raises(ValueError, match="metric='up' is not allowed: one of reachable, served"):
        exact_unavailability(deployment, MIXED, metric="up")


def test_summary_and_process_table():
    deployment = LAYOUTS["four-regions-mixed-capacity"]
    summary = exact_summary(deployment, MIXED)
    assert summary["availability"] == pytest.approx(1 - _enumerate(deployment, MIXED,
                                                                   "reachable"), rel=1e-12)
    assert summary["annual_unserved_min"] == pytest.approx(
        _enumerate(deployment, MIXED, "served") * 525_600, rel=1e-12)
    table = process_table(deployment, MIXED)
    assert list(table.process) == ["centralus", "eastus", "northeurope", "westeurope",
                                   "westus", "us", "eu"]
    row = table.set_index("process").loc["eastus"]
    assert row.rate_per_year == 3.0
    assert row.probability_down == pytest.approx(
        1 - math.exp(-3.0 / 525_600 * MIXED.duration.mean_minutes), rel=1e-12)


def test_zero_capacity_destination_counts_as_zero():
    """A destination of capacity 0 adds nothing (it is not unknown): served while eastus is up."""
    deployment = Deployment(
        (Destination("a", "eastus", 2e6), Destination("b", "westus", 0)),
        (Endpoint("pe-a", "eastus", "a"), Endpoint("pe-b", "westus", "b")),
        demand_connections=1e6)
    assert exact_unavailability(deployment, FOUR_HOURS, metric="served") == pytest.approx(
        q_of(1, 4), rel=1e-12)


def test_too_many_processes_for_the_enumeration():
    """Active-passive enumerates the 2**K states: refused above 24 processes. Active-active
    conditions on the groups instead, so 25 independent regions are fine."""
    from plcapacity.base.regions import region_names
    regions = region_names()[:25]
    deployment = Deployment(tuple(Destination(f"d-{r}", r) for r in regions),
                            tuple(Endpoint(f"e-{r}", r, f"d-{r}") for r in regions))
    assert exact_unavailability(deployment, FOUR_HOURS) == pytest.approx(q_of(1, 4) ** 25,
                                                                         rel=1e-12)
    passive = Deployment(deployment.destinations, deployment.endpoints,
                         failover=Failover("active-passive", 0.0))
    with pytest.raises(ValueError, match="25 outage processes.*use simulate"):
        exact_unavailability(passive, FOUR_HOURS)


def test_a_demand_equal_to_the_summed_capacities_is_served_whatever_the_order_of_sums():
    """Capacities with fractions whose sum, in one order of addition, falls one ulp below the
    demand (their sum in another order): the conditioned calculation (a convolution) and the
    enumeration (a row sum) agree that every region up carries it."""
    from plcapacity.availability.exact import _enumerated_unavailability
    caps = [850000.8, 100000.9, 130000.7]
    regions = ["eastus", "westus", "northeurope"]
    demand = caps[0] + caps[1] + caps[2]
    assert (caps[2] + caps[1]) + caps[0] != demand  # the orders really differ in the last bit
    deployment = Deployment(tuple(Destination(f"d{i}", r, c)
                                  for i, (r, c) in enumerate(zip(regions, caps))),
                            tuple(Endpoint(f"e{i}", r, f"d{i}") for i, r in enumerate(regions)),
                            demand)
    outages = OutageModel(40, {"law": "fixed", "hours": 30})
    q = 1 - math.exp(-40 * 30 / 8760)
    expected = 1 - (1 - q) ** 3  # served only with all three up
    assert exact_unavailability(deployment, outages, metric="served") == pytest.approx(
        expected, rel=1e-12)
    assert _enumerated_unavailability(compile_structure(deployment, outages),
                                      "served") == pytest.approx(expected, rel=1e-12)
