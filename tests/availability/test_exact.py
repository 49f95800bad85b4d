"""Exact availability conditioned on the correlated groups (active-active): closed forms at
scale, and agreement with the full enumeration and with a brute force written here."""

import itertools
import math

import numpy as np
import pytest

from plcapacity.availability import exact as availability
from plcapacity.availability.deployment import Deployment, Destination, Endpoint
from plcapacity.availability.exact import (
    EXACT_MAX_BLOCK,
    EXACT_MAX_GROUPS,
    _conditioned,
    _enumerated_episode_frequency,
    _enumerated_unavailability,
    down_episode_frequency,
    exact_summary,
    exact_unavailability,
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


@pytest.mark.parametrize("seed", range(200))
def test_random_deployments_match_the_enumeration(seed):
    deployment, model = random_deployment(seed)
    structure = compile_structure(deployment, model)
    expected = {metric: _enumerated_unavailability(structure, metric)
                for metric in ("reachable", "served")}
    expected |= {f"{metric}_rate": _enumerated_episode_frequency(structure, metric)
                 for metric in ("reachable", "served")}
    got = _conditioned(deployment, model.processes(deployment.regions))
    assert_close(got, expected, (deployment, model))


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
        got = _conditioned(deployment, model.processes(deployment.regions))
        nontrivial += 1e-12 < got["served"] < 1 and got["served_rate"] > 0
    assert overlapping >= 20 and cross >= 100 and several >= 20 and nontrivial >= 120


@pytest.mark.parametrize("seed", range(0, 200, 10))
def test_random_deployments_match_a_brute_force(seed):
    deployment, model = random_deployment(seed)
    assert_close(_conditioned(deployment, model.processes(deployment.regions)),
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
    got = _conditioned(deployment, RING_MODEL.processes(deployment.regions))
    for metric in ("reachable", "served"):
        assert got[metric] == pytest.approx(_enumerated_unavailability(structure, metric),
                                            rel=1e-12)
        assert got[f"{metric}_rate"] == pytest.approx(
            _enumerated_episode_frequency(structure, metric), rel=1e-12)


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
    got = _conditioned(deployment, RING_MODEL.processes(deployment.regions), rates=False)
    assert got["reachable"] == pytest.approx(expected, rel=1e-12)
    assert got["reachable"] == pytest.approx(pairs[0], rel=1e-12)
    assert got["served"] == pytest.approx(math.fsum(pairs[:k]), rel=1e-12)


@pytest.mark.parametrize("block", [1, 2, 3, 5])
@pytest.mark.parametrize("seed", range(0, 200, 3))
def test_split_blocks_match_the_enumeration(seed, block, monkeypatch):
    """With a small block limit, the random deployments' blocks are split by conditioning on
    their regions: still the enumeration's values."""
    monkeypatch.setattr(availability, "EXACT_MAX_BLOCK", block)
    deployment, model = random_deployment(seed)
    structure = compile_structure(deployment, model)
    expected = {metric: _enumerated_unavailability(structure, metric)
                for metric in ("reachable", "served")}
    expected |= {f"{metric}_rate": _enumerated_episode_frequency(structure, metric)
                 for metric in ("reachable", "served")}
    try:
        got = _conditioned(deployment, model.processes(deployment.regions))
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
        _conditioned(mesh(n), RING_MODEL.processes(mesh(n).regions))
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
            split += bool(availability._Plan(deployment,
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
    got = _conditioned(deployment, model.processes(deployment.regions))
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
    whole = _conditioned(deployment, processes)
    assert sum(p.kind == "group" for p in processes) == 3
    assert whole["reachable"] < whole["served"] < 1
    width = availability._Plan(deployment, processes).width
    monkeypatch.setattr(availability, "_BATCH_ELEMENTS", width * per_batch)
    assert_close(_conditioned(deployment, processes), whole, per_batch)
