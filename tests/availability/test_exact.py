"""Exact steady-state availability: analytic known answers on small deployments, closed
forms at scale, and agreement of the calculation conditioned on the correlated groups
(active-active) with the full enumeration and with brute forces written here."""

import itertools
import math

import numpy as np
import pytest
from tiers import sweep

from plcapacity import ModelWarning
from plcapacity.availability import exact as availability
from plcapacity.availability.deployment import Deployment, Destination, Endpoint, Failover
from plcapacity.availability.exact import (
    EXACT_MAX_BLOCK,
    EXACT_MAX_GROUPS,
    conditioned,
    down_episode_frequency,
    enumerated_episode_frequency,
    enumerated_unavailability,
    exact_summary,
    exact_unavailability,
    process_table,
)
from plcapacity.availability.structure import compile_structure
from plcapacity.base.regions import region_names
from plcapacity.outages.processes import OutageGroup, OutageModel

REGIONS = region_names()
KEYS = ("reachable", "served", "reachable_rate", "served_rate")


def binomial_tail(n, k, a):
    """P(fewer than k of n independent regions up), each up with probability a."""
    return math.fsum(math.comb(n, j) * a ** j * (1 - a) ** (n - j) for j in range(k))


def independent_regions(n, capacity=1e6, demand=None):
    """n regions, each with its own PLS and an endpoint in that region."""
    regions = REGIONS[:n]
    return Deployment(tuple(Destination(f"d-{r}", r, capacity) for r in regions),
                      tuple(Endpoint(f"e-{r}", r, f"d-{r}") for r in regions),
                      demand_connections=demand)


# ----------------------------------------------------------------- small deployments, by hand

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


# ----------------------------------------------------------------- an independent enumeration


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
    from plcapacity.availability.exact import enumerated_unavailability
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
    assert enumerated_unavailability(compile_structure(deployment, outages),
                                      "served") == pytest.approx(expected, rel=1e-12)


# ------------------------------------------------------------------------------ closed forms


@pytest.mark.parametrize("n, k", [(1, 1), (5, 3), (12, 1), (40, 27), (55, 40), (55, 55)])
def test_k_of_n_identical_regions_is_a_binomial_tail(n, k):
    """Served needs k of n destinations (demand between k - 1 and k capacities):
    U = sum_{j<k} C(n,j) a^j (1-a)^(n-j); episodes: from exactly k up, one of the k fails."""
    rate, hours = 40.0, 30.0                       # q ~ 0.13: the tail is not negligible
    model = OutageModel(rate, {"law": "fixed", "hours": hours})
    deployment = independent_regions(n, demand=(k - 0.5) * 1e6)
    q = -math.expm1(-rate * hours / 8760)
    a = 1 - q
    assert exact_unavailability(deployment, model, metric="served") == pytest.approx(
        binomial_tail(n, k, a), rel=1e-12)
    assert down_episode_frequency(deployment, model, metric="served") == pytest.approx(
        rate * k * math.comb(n, k) * a ** k * q ** (n - k), rel=1e-12)
    assert exact_unavailability(deployment, model) == pytest.approx(q ** n, rel=1e-12)
    assert down_episode_frequency(deployment, model) == pytest.approx(
        rate * n * a * q ** (n - 1), rel=1e-12)


def test_k_of_n_with_a_demand_of_exactly_k_capacities():
    """A demand equal to the capacity of k destinations is covered by k (>=)."""
    model = OutageModel(40.0, {"law": "fixed", "hours": 30})
    q = -math.expm1(-40 * 30 / 8760)
    deployment = independent_regions(10, capacity=3, demand=7 * 3)
    assert exact_unavailability(deployment, model, metric="served") == pytest.approx(
        binomial_tail(10, 7, 1 - q), rel=1e-12)


def test_fifty_five_regions_three_overlapping_groups_closed_form():
    """Groups: A (first 30 regions), B (regions 20..54), C (all 55). Given the groups, the
    regions they leave up are independent: a binomial tail over those."""
    n, k = 55, 20
    rate, hours = 30.0, 20.0
    ga, gb, gc = (0.5, 48.0), (0.3, 72.0), (0.05, 24.0)
    model = OutageModel(rate, {"law": "fixed", "hours": hours}, groups=(
        OutageGroup("A", tuple(REGIONS[:30]), ga[0], {"law": "fixed", "hours": ga[1]}),
        OutageGroup("B", tuple(REGIONS[20:55]), gb[0], {"law": "fixed", "hours": gb[1]}),
        OutageGroup("C", tuple(REGIONS[:55]), gc[0], {"law": "fixed", "hours": gc[1]})))
    deployment = independent_regions(n, demand=(k - 0.5) * 1e6)
    assert len(model.processes(deployment.regions)) == 58
    q = -math.expm1(-rate * hours / 8760)
    pa, pb, pc = (-math.expm1(-r * h / 8760) for r, h in (ga, gb, gc))
    served = reach = 0.0
    for a_down, b_down, c_down in itertools.product((0, 1), repeat=3):
        weight = ((pa if a_down else 1 - pa) * (pb if b_down else 1 - pb)
                  * (pc if c_down else 1 - pc))
        left = 0 if c_down else 55 - 30 * a_down - 35 * b_down + 10 * (a_down and b_down)
        served += weight * binomial_tail(left, k, 1 - q)
        reach += weight * q ** left
    assert exact_unavailability(deployment, model, metric="served") == pytest.approx(
        served, rel=1e-12)
    assert exact_unavailability(deployment, model) == pytest.approx(reach, rel=1e-12)


def test_hub_and_spokes_pools_the_endpoint_regions():
    """One PLS in eastus reached from endpoints in 40 other regions: down while eastus is down
    or every endpoint region is. An endpoint region's outage takes the service down only
    while eastus is up and the other 39 endpoint regions are down."""
    spokes = [r for r in REGIONS if r != "eastus"][:40]
    model = OutageModel(50.0, {"law": "exponential", "mean_hours": 60})
    deployment = Deployment((Destination("hub", "eastus", 1e6),),
                            tuple(Endpoint(f"e-{r}", r, "hub") for r in spokes),
                            demand_connections=1e6)
    q = -math.expm1(-50 * 60 / 8760)
    expected = 1 - (1 - q) * (1 - q ** 40)
    for metric in ("reachable", "served"):
        assert exact_unavailability(deployment, model, metric=metric) == pytest.approx(
            expected, rel=1e-12)
        # eastus fails while some spoke is up; a spoke fails while eastus is up and the
        # other 39 are down
        assert down_episode_frequency(deployment, model, metric=metric) == pytest.approx(
            50 * (1 - q) * (1 - q ** 40) + 40 * 50 * (1 - q) * (1 - q) * q ** 39, rel=1e-12)


# ------------------------------------------------------------------------ random deployments


def brute_force(deployment, outages):
    """Every up/down combination of the processes, from the definitions: both
    unavailabilities, and the episode rates ``sum_s P(s) [up(s)] sum_k [k up in s]
    [down(s + k)] rate_k`` (active-active)."""
    processes = outages.processes(deployment.regions)
    demand = deployment.demand_connections

    def up(downs):
        down_regions = set()
        for process, is_down in zip(processes, downs):
            if is_down:
                down_regions.update(process.regions)
        usable = [e for e in deployment.endpoints
                  if e.region not in down_regions
                  and deployment.destination(e.destination).region not in down_regions]
        carrying = {e.destination for e in usable}
        capacity = sum(deployment.destination(d).capacity_connections for d in carrying)
        return bool(usable), bool(usable) and (demand is None or capacity >= demand)

    out = dict.fromkeys(KEYS, 0.0)
    for downs in itertools.product((False, True), repeat=len(processes)):
        probability = math.prod(p.probability_down if d else 1 - p.probability_down
                                for p, d in zip(processes, downs))
        state = up(downs)
        for i, metric in enumerate(("reachable", "served")):
            out[metric] += probability * (not state[i])
        for k, process in enumerate(processes):
            if downs[k]:
                continue
            after = up(downs[:k] + (True,) + downs[k + 1:])
            for i, metric in enumerate(("reachable", "served")):
                if state[i] and not after[i]:
                    out[f"{metric}_rate"] += probability * process.rate_per_year
    return out


def random_deployment(seed):
    """A small random active-active deployment: 1-6 regions, 1-4 destinations of unequal
    capacity (some 0), endpoints often outside their destination's region, a demand needing
    one or several destinations, and 0-3 groups that may overlap and reach outside the
    deployment."""
    rng = np.random.default_rng(seed)
    pool = REGIONS[:10]
    regions = [str(r) for r in rng.choice(pool, rng.integers(1, 7), replace=False)]
    n_dest = int(rng.integers(1, 5))
    destinations = tuple(Destination(f"d{i}", str(rng.choice(regions)),
                                     float(rng.choice([0, 1, 2, 3, 5])) * 1e6)
                         for i in range(n_dest))
    endpoints = [Endpoint(f"e{i}", str(rng.choice(regions)), f"d{rng.integers(n_dest)}")
                 for i in range(int(rng.integers(1, 7)))]
    demand = [None, 0.0, 1e6, 2.5e6, 4e6, 6e6][int(rng.integers(6))]
    groups = tuple(OutageGroup(f"g{j}", tuple(str(r) for r in rng.choice(
        pool, rng.integers(1, 4), replace=False)), float(rng.uniform(0.1, 60)),
        {"law": "fixed", "hours": float(rng.uniform(1, 50))})
        for j in range(int(rng.integers(0, 4))))
    overrides = {r: {"rate_per_year": float(rng.uniform(0, 60))}
                 for r in regions if rng.random() < 0.5}
    model = OutageModel(float(rng.uniform(1, 40)),
                        {"law": "exponential", "mean_hours": float(rng.uniform(1, 100))},
                        regions=overrides, groups=groups)
    return Deployment(destinations, tuple(endpoints), demand_connections=demand), model


def assert_close(got, expected, what):
    for key in KEYS:
        assert got[key] == pytest.approx(expected[key], rel=1e-12, abs=1e-300), (key, what)


@pytest.mark.parametrize("seed", sweep(range(200), 8))
def test_random_deployments_match_the_enumeration(seed):
    deployment, model = random_deployment(seed)
    structure = compile_structure(deployment, model)
    expected = {metric: enumerated_unavailability(structure, metric)
                for metric in ("reachable", "served")}
    expected |= {f"{metric}_rate": enumerated_episode_frequency(structure, metric)
                 for metric in ("reachable", "served")}
    got = conditioned(deployment, model.processes(deployment.regions))
    assert_close(got, expected, (deployment, model))


@pytest.mark.slow  # a property of the whole sweep of 200 seeds, which runs in the slow tier
def test_random_deployments_are_not_trivial():
    """The random cases exercise what they should: groups that overlap, endpoints outside
    their destination's region, several destinations needed, non-trivial values."""
    overlapping = cross = several = nontrivial = 0
    for seed in range(200):
        deployment, model = random_deployment(seed)
        regions = [set(g.regions) for g in model.groups]
        overlapping += any(a & b for a, b in itertools.combinations(regions, 2))
        cross += any(e.region != deployment.destination(e.destination).region
                     for e in deployment.endpoints)
        capacities = sorted((deployment.destination(d).capacity_connections
                             for d in deployment.used_destinations), reverse=True)
        several += (deployment.demand_connections or 0) > capacities[0] and len(
            set(capacities)) > 1
        got = conditioned(deployment, model.processes(deployment.regions))
        nontrivial += 1e-12 < got["served"] < 1 and got["served_rate"] > 0
    assert overlapping >= 20 and cross >= 100 and several >= 20 and nontrivial >= 120


@pytest.mark.parametrize("seed", range(0, 200, 10))
def test_random_deployments_match_a_brute_force(seed):
    deployment, model = random_deployment(seed)
    assert_close(conditioned(deployment, model.processes(deployment.regions)),
                 brute_force(deployment, model), (deployment, model))


def test_public_functions_and_summary_agree_with_the_brute_force():
    deployment = Deployment(
        (Destination("us1", "eastus", 3e6), Destination("us2", "westus", 1e6),
         Destination("us3", "westus", 2e6), Destination("eu1", "westeurope", 2e6)),
        (Endpoint("a", "eastus", "us1"), Endpoint("b", "centralus", "us1"),
         Endpoint("c", "centralus", "us2"), Endpoint("d", "northeurope", "eu1"),
         Endpoint("e", "westeurope", "us3"), Endpoint("f", "westus", "eu1")),
        demand_connections=4e6)
    model = OutageModel(20.0, {"law": "exponential", "mean_hours": 30}, groups=(
        OutageGroup("us", ("eastus", "westus", "centralus"), 2.0, {"law": "fixed", "hours": 40}),
        OutageGroup("pair", ("westus", "westeurope"), 1.0, {"law": "fixed", "hours": 60})))
    expected = brute_force(deployment, model)
    for metric in ("reachable", "served"):
        assert exact_unavailability(deployment, model, metric=metric) == pytest.approx(
            expected[metric], rel=1e-12)
        assert down_episode_frequency(deployment, model, metric=metric) == pytest.approx(
            expected[f"{metric}_rate"], rel=1e-12)
    summary = exact_summary(deployment, model)
    assert summary["served_availability"] == pytest.approx(1 - expected["served"], rel=1e-12)
    assert summary["down_episodes_per_year"] == pytest.approx(expected["reachable_rate"],
                                                              rel=1e-12)
    assert summary["processes"] == 7


# ----------------------------------------------------------------------------------- limits


def ring(n, demand=None, *, own=True):
    """n regions, each with its own PLS and an endpoint to the next region's PLS; with
    ``own``, also an endpoint to its own PLS."""
    regions = REGIONS[:n]
    return Deployment(
        tuple(Destination(f"d-{r}", r, 1e6) for r in regions),
        tuple(Endpoint(f"e-{r}", r, f"d-{r}") for r in regions if own)
        + tuple(Endpoint(f"x-{r}", r, f"d-{regions[(i + 1) % n]}")
                for i, r in enumerate(regions)),
        demand_connections=demand)


RING_MODEL = OutageModel(40.0, {"law": "fixed", "hours": 30})
RING_Q = -math.expm1(-40 * 30 / 8760)


def test_endpoints_beside_one_in_the_destination_region_couple_nothing():
    """With an endpoint in its own region, a PLS carries while that region is up: the ring's
    other endpoints are moot, so 40 regions stay independent (no block of 40)."""
    deployment = ring(40, demand=29.5e6)
    assert exact_unavailability(deployment, RING_MODEL) == pytest.approx(RING_Q ** 40,
                                                                         rel=1e-12)
    assert exact_unavailability(deployment, RING_MODEL, metric="served") == pytest.approx(
        binomial_tail(40, 30, 1 - RING_Q), rel=1e-12)
    assert down_episode_frequency(deployment, RING_MODEL) == pytest.approx(
        40 * 40 * (1 - RING_Q) * RING_Q ** 39, rel=1e-12)


def test_a_coupled_ring():
    """Without endpoints in their own regions, PLS i+1 carries while regions i and i+1 are
    both up: one block. Unreachable while no two neighbours on the cycle are up: the trace
    of the n-th power of the transfer matrix T[s, t] = w(t) [not (s up and t up)]."""
    n = 9
    deployment = ring(n, demand=3.5e6, own=False)
    a, q = 1 - RING_Q, RING_Q
    transfer = np.array([[q, a], [q, 0.0]])          # rows/columns: down, up
    expected = np.trace(np.linalg.matrix_power(transfer, n))
    assert exact_unavailability(deployment, RING_MODEL) == pytest.approx(expected, rel=1e-12)
    structure = compile_structure(deployment, RING_MODEL)
    got = conditioned(deployment, RING_MODEL.processes(deployment.regions))
    for metric in ("reachable", "served"):
        assert got[metric] == pytest.approx(enumerated_unavailability(structure, metric),
                                            rel=1e-12)
        assert got[f"{metric}_rate"] == pytest.approx(
            enumerated_episode_frequency(structure, metric), rel=1e-12)


def ring_pairs_distribution(n, a):
    """P(exactly j neighbouring pairs both up) on a cycle of n regions each up with
    probability a: a DP along the cycle from region 0's state. Returns an array over j."""
    total = np.zeros(n + 1)
    for first in (0, 1):                            # 1: up
        dp = {(first, 0): a if first else 1 - a}    # (state of the last region, pairs)
        for _ in range(n - 1):
            new = {}
            for (last, pairs), p in dp.items():
                for x in (0, 1):
                    key = (x, pairs + (last and x))
                    new[key] = new.get(key, 0.0) + p * (a if x else 1 - a)
            dp = new
        for (last, pairs), p in dp.items():
            total[pairs + (last and first)] += p
    return total


@pytest.mark.parametrize("n", [EXACT_MAX_BLOCK + 1, 55])
def test_a_long_coupled_ring_is_split_by_conditioning(n):
    """A ring of n regions coupled end to end (PLS i+1 carries while regions i and i+1 are
    up) is one block: conditioning on a few of its regions splits it. Unreachable: the
    transfer-matrix trace; served with a demand of k PLSs: fewer than k up pairs."""
    k = n // 3
    deployment = ring(n, demand=(k - 0.5) * 1e6, own=False)
    a, q = 1 - RING_Q, RING_Q
    expected = np.trace(np.linalg.matrix_power(np.array([[q, a], [q, 0.0]]), n))
    pairs = ring_pairs_distribution(n, a)
    assert math.fsum(pairs) == pytest.approx(1, rel=1e-14)
    got = conditioned(deployment, RING_MODEL.processes(deployment.regions), rates=False)
    assert got["reachable"] == pytest.approx(expected, rel=1e-12)
    assert got["reachable"] == pytest.approx(pairs[0], rel=1e-12)
    assert got["served"] == pytest.approx(math.fsum(pairs[:k]), rel=1e-12)


@pytest.mark.parametrize("block", [1, 2, 3, 5])
@pytest.mark.parametrize("seed", sweep(range(0, 200, 3), 6))
def test_split_blocks_match_the_enumeration(seed, block, monkeypatch):
    """With a small block limit, the random deployments' blocks are split by conditioning on
    their regions: still the enumeration's values."""
    monkeypatch.setattr(availability, "EXACT_MAX_BLOCK", block)
    deployment, model = random_deployment(seed)
    structure = compile_structure(deployment, model)
    expected = {metric: enumerated_unavailability(structure, metric)
                for metric in ("reachable", "served")}
    expected |= {f"{metric}_rate": enumerated_episode_frequency(structure, metric)
                 for metric in ("reachable", "served")}
    try:
        got = conditioned(deployment, model.processes(deployment.regions))
    except ValueError as refusal:                   # a pool of regions cannot be split
        assert block < 3 and "does not split into blocks" in str(refusal)
        return
    assert_close(got, expected, (deployment, model))


def mesh(n):
    """n regions, each with a PLS reached from every other region (none from its own)."""
    regions = REGIONS[:n]
    return Deployment(tuple(Destination(f"d-{r}", r, 1e6) for r in regions),
                      tuple(Endpoint(f"e-{r}-{s}", s, f"d-{r}")
                            for r in regions for s in regions if s != r))


def test_a_block_that_cannot_be_split_falls_back_to_the_enumeration():
    """A mesh: every PLS is reached from every other region, so removing regions never splits
    it. Up while at least two regions are: U = q^n + n (1-q) q^(n-1)."""
    n = 20
    with pytest.raises(ValueError, match="does not split into blocks"):
        conditioned(mesh(n), RING_MODEL.processes(mesh(n).regions))
    q = RING_Q
    assert exact_unavailability(mesh(n), RING_MODEL) == pytest.approx(
        q ** n + n * (1 - q) * q ** (n - 1), rel=1e-12)


def test_a_block_that_cannot_be_split_and_too_many_processes_is_refused():
    with pytest.raises(ValueError, match=r"30 regions \(.*\) are coupled by cross-region "
                                         r"endpoints into one block of 30 .*use simulate"):
        exact_unavailability(mesh(30), RING_MODEL)


def test_too_many_groups_is_refused_naming_them():
    n_groups = EXACT_MAX_GROUPS + 1
    groups = tuple(OutageGroup(f"g{j}", (REGIONS[j],), 0.1, {"law": "fixed", "hours": 4})
                   for j in range(n_groups))
    deployment = independent_regions(20)            # 20 + 17 processes
    with pytest.raises(ValueError, match=f"{n_groups} correlated groups involved.*2\\*\\*"
                                         f"{n_groups} joint states.*use simulate"):
        exact_unavailability(deployment, OutageModel(1.0, {"law": "fixed", "hours": 4},
                                                     groups=groups))


def test_too_many_capacity_sums_is_refused():
    capacities = np.random.default_rng(5).integers(1, 10 ** 6, 55).astype(float)
    regions = REGIONS[:55]
    deployment = Deployment(
        tuple(Destination(f"d-{r}", r, c) for r, c in zip(regions, capacities)),
        tuple(Endpoint(f"e-{r}", r, f"d-{r}") for r in regions),
        demand_connections=capacities.sum() / 2)
    with pytest.raises(ValueError, match="distinct .*sums below the demand.*use simulate"):
        exact_unavailability(deployment, OutageModel(1.0, {"law": "fixed", "hours": 4}),
                             metric="served")


def test_split_blocks_are_exercised(monkeypatch):
    """The split-block comparison above does split blocks (and rarely refuses)."""
    monkeypatch.setattr(availability, "EXACT_MAX_BLOCK", 1)
    split = refused = 0
    for seed in range(0, 200, 3):
        deployment, model = random_deployment(seed)
        try:
            split += bool(availability.Plan(deployment,
                                             model.processes(deployment.regions)).cut)
        except ValueError:
            refused += 1
    assert split >= 25 and refused <= 15


def test_hub_regions_holding_every_endpoint():
    """55 regions, each with a PLS; the endpoints are all in 4 hub regions (every hub reaches
    every PLS), so all regions form one block, split by conditioning on the hubs. A hub's PLS
    carries while the hub is up; another PLS while its region and some hub are up. With j
    hubs up (j >= 1), served while at least k - j of the other 51 regions are up."""
    n, h, k = 55, 4, 40
    regions = REGIONS[:n]
    hubs = regions[:h]
    model = OutageModel(40.0, {"law": "fixed", "hours": 30})
    deployment = Deployment(tuple(Destination(f"d-{r}", r, 1e6) for r in regions),
                            tuple(Endpoint(f"e-{s}-{r}", s, f"d-{r}")
                                  for s in hubs for r in regions),
                            demand_connections=(k - 0.5) * 1e6)
    q = -math.expm1(-40 * 30 / 8760)
    a = 1 - q
    served = q ** h + math.fsum(math.comb(h, j) * a ** j * q ** (h - j)
                                * binomial_tail(n - h, k - j, a) for j in range(1, h + 1))
    got = conditioned(deployment, model.processes(deployment.regions))
    assert got["reachable"] == pytest.approx(q ** h, rel=1e-12)
    assert got["served"] == pytest.approx(served, rel=1e-12)
    # a hub going down takes the service down only as the last hub up
    assert got["reachable_rate"] == pytest.approx(h * 40 * a * q ** (h - 1), rel=1e-12)


@pytest.mark.parametrize("per_batch", [1, 3])
def test_batches_of_group_states_do_not_change_the_values(per_batch, monkeypatch):
    """Memory is bounded by visiting the outer states in batches: one at a time, or a few,
    gives the values of one batch."""
    deployment, model = random_deployment(169)
    processes = model.processes(deployment.regions)
    whole = conditioned(deployment, processes)
    assert sum(p.kind == "group" for p in processes) == 3
    assert whole["reachable"] < whole["served"] < 1
    width = availability.Plan(deployment, processes).width
    monkeypatch.setattr(availability, "_BATCH_ELEMENTS", width * per_batch)
    assert_close(conditioned(deployment, processes), whole, per_batch)


# ------------------------------------------- hundreds of declared regions, below the float range

def declared_regions(n, *, pool=0):
    """n declared regions (beyond the catalog's), each with its own PLS and a local endpoint,
    and ``pool`` more that only hold endpoints to the first PLS."""
    from plcapacity.base.regions import DeclaredRegion
    sites = [DeclaredRegion(f"site-{i}") for i in range(n + pool)]
    endpoints = [Endpoint(f"e-{r}", r, f"d-{r}") for r in sites[:n]]
    endpoints += [Endpoint(f"p-{r}", r, f"d-{sites[0]}") for r in sites[n:]]
    return Deployment(tuple(Destination(f"d-{r}", r, 1e6) for r in sites[:n]),
                      tuple(endpoints)), sites


@pytest.mark.parametrize("n", [60, 100, 300, 1000])
def test_identical_regions_far_beyond_the_catalog(n):
    """U = q**n (every region down), n log10 q by hand: exact in logarithms however small;
    below 1e-300 the value is an upper bound, flagged and warned about, never 0."""
    deployment, _ = declared_regions(n)
    q = q_of(1.0, 4)
    figures = availability.exact_figures_by_metric(deployment, FOUR_HOURS)
    assert figures["reachable_log10"] == pytest.approx(n * math.log10(q), rel=1e-12)
    summary = exact_summary(deployment, FOUR_HOURS)
    assert summary["nines"] == pytest.approx(-n * math.log10(q), rel=1e-12)
    if n * math.log10(q) > -300:
        assert figures["reachable"] == pytest.approx(q ** n, rel=1e-9)
        assert not figures["reachable_bound"] and summary["note"] == ""
        return
    assert figures["reachable"] == availability.UNDERFLOW_BOUND and figures["reachable_bound"]
    assert figures["served_bound"] and figures["reachable_rate_bound"]
    assert figures["reachable_rate"] > 0 and summary["annual_downtime_min"] > 0
    assert "upper bounds" in summary["note"] and "not zero" in summary["note"]
    with pytest.warns(ModelWarning, match=r"below 1e-300 \(10\^-\d+\.\d\).*upper bound"):
        assert exact_unavailability(deployment, FOUR_HOURS) == availability.UNDERFLOW_BOUND


def test_a_group_and_a_pool_below_the_float_range():
    """100 regions with their own PLS, a group over the first three (rate 0.5, 2 h) and 200
    regions holding only endpoints to the first PLS (pooled). By hand: the first region's PLS
    is lost only with it; reachable is lost when every region is down and the pool too:
    U = [q_g + (1 - q_g) q^3] q^97 q_pool with q_pool = q^200 (the pool's endpoints reach
    the first PLS only, whose region is down anyway)."""
    deployment, sites = declared_regions(100, pool=200)
    group = OutageGroup("g", tuple(sites[:3]), 0.5, {"law": "fixed", "hours": 2})
    outages = OutageModel(1.0, {"law": "fixed", "hours": 4}, groups=(group,))
    q, q_g = q_of(1.0, 4), q_of(0.5, 2)
    expected = math.log10(q_g + (1 - q_g) * q ** 3) + 97 * math.log10(q)
    # the pool's regions are down or not: U sums over them, (1 - q^200) + q^200 = 1
    figures = availability.exact_figures_by_metric(deployment, outages)
    assert figures["reachable_log10"] == pytest.approx(expected, rel=1e-12)
    assert figures["reachable"] == availability.UNDERFLOW_BOUND


def test_an_always_reachable_service_is_exactly_zero_not_a_bound():
    """A region whose outages never happen (rate 0) hosting a PLS and its endpoint: U is 0
    exactly, and says so (no bound, no warning)."""
    deployment, sites = declared_regions(120)
    quiet = OutageModel(1.0, {"law": "fixed", "hours": 4},
                        regions={sites[5]: {"rate_per_year": 0.0}})
    figures = availability.exact_figures_by_metric(deployment, quiet)
    assert figures["reachable"] == 0 and not figures["reachable_bound"]
    assert figures["reachable_log10"] == -math.inf
