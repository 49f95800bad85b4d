"""Monte Carlo engine: against the exact steady state within the confidence interval, against
a brute-force event loop written here, reproducibility and the published cross-check."""

import math

import numpy as np
import pytest

from plcapacity.availability import compile_structure, exact_unavailability
from plcapacity.deployment import Deployment, Destination, Endpoint, Failover
from plcapacity.montecarlo import (BLOCK_TRIALS, _block_intervals, _dense_cause, _evaluate_block,
                                   _Tables, simulate, ticks_per_minute)
from plcapacity.outages import MINUTES_PER_YEAR, OutageGroup, OutageModel
from plcapacity.sla import SLA, month_edges_minutes

# ----------------------------------------------------------------------------- deployments


def two_regions_shared_destination():
    """PEs in eastus and westus2, both to one PLS in eastus: down when eastus is down."""
    return Deployment(
        (Destination("pls", "eastus", 1e6),),
        (Endpoint("pe-e", "eastus", "pls"), Endpoint("pe-w", "westus2", "pls")))


def active_active_with_group():
    return Deployment(
        (Destination("pls-e", "eastus", 1e6), Destination("pls-w", "westus", 1e6)),
        (Endpoint("pe-e", "eastus", "pls-e"), Endpoint("pe-w", "westus", "pls-w")))


def shortfall():
    """Either destination alone is short of the demand: served needs both regions up."""
    return Deployment(
        (Destination("pls-e", "eastus", 600_000), Destination("pls-w", "westus2", 600_000)),
        (Endpoint("pe-e", "eastus", "pls-e"), Endpoint("pe-w", "westus2", "pls-w")),
        demand_connections=1_000_000)


def three_regions_active_passive(delay=30.0):
    return Deployment(
        (Destination("pls-e", "eastus", 2e6), Destination("pls-w", "westus", 1e6),
         Destination("pls-c", "centralus", 3e6)),
        (Endpoint("pe-e", "eastus", "pls-e"), Endpoint("pe-w", "westus", "pls-w"),
         Endpoint("pe-c", "centralus", "pls-c")),
        demand_connections=1_500_000,
        failover=Failover("active-passive", delay, ("pe-e", "pe-w", "pe-c")))


def undersized_primary():
    """Active-passive whose primary destination cannot hold the demand: unserved even with
    every region up (helper review finding)."""
    return Deployment(
        (Destination("small", "eastus", 1e6), Destination("big", "westus", 3e6)),
        (Endpoint("e0", "eastus", "small"), Endpoint("e1", "westus", "big")),
        demand_connections=2e6, failover=Failover("active-passive", 30.0, ("e0", "e1")))


FREQUENT = OutageModel(12.0, {"law": "exponential", "mean_hours": 30})
GROUPED = OutageModel(8.0, {"law": "lognormal", "median_hours": 12, "p95_hours": 60},
                      groups=(OutageGroup("us-pair", ("eastus", "westus"), 3.0,
                                          {"law": "fixed", "hours": 20}),))


def _check_against_exact(result, exact, se, z=4.0):
    """|simulated - exact| within z standard errors (z = 4: these checks must not flake)."""
    assert abs(result - exact) <= z * se, (result, exact, se)


# ----------------------------------------------------------------------------- sim vs exact

def undersized_primary_no_delay():
    d = undersized_primary()
    return Deployment(d.destinations, d.endpoints, d.demand_connections,
                      Failover("active-passive", 0.0, d.failover.order))


CASES = {
    "undersized-primary": (undersized_primary_no_delay, FREQUENT, "served"),
    "shared-destination": (two_regions_shared_destination, FREQUENT, "reachable"),
    "correlated-group": (active_active_with_group, GROUPED, "reachable"),
    "served-shortfall": (shortfall, FREQUENT, "served"),
    "lognormal-served": (shortfall, GROUPED, "served"),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_simulation_matches_exact_within_ci(case):
    build, outages, metric = case
    deployment = build()
    result = simulate(deployment, outages, trials=60_000, seed=11)
    exact = exact_unavailability(deployment, outages, metric=metric)
    assert exact > 1e-3  # frequent enough for the comparison to mean something
    if metric == "reachable":
        _check_against_exact(result.unavailability, exact, result.ci_half_width / 1.96)
        assert result.ci[0] <= 1 - exact + 4 * result.ci_half_width / 1.96
    else:
        _check_against_exact(1 - result.served_fraction, exact,
                             result.served_ci_half_width / 1.96)


def test_steady_start_probability_down_at_time_zero():
    """P(down at t=0) must equal the stationary q = 1 - exp(-rate E[D]) (steady start)."""
    deployment = two_regions_shared_destination()
    structure = compile_structure(deployment, FREQUENT)
    n = BLOCK_TRIALS
    down_at_zero = []
    for block in range(4):
        rng = np.random.default_rng(block)
        starts, _ = _block_intervals(structure, n, 1, rng)[0]  # eastus
        trial_ticks = MINUTES_PER_YEAR * ticks_per_minute(1)
        down_at_zero.append(np.unique(starts[starts % trial_ticks == 0]).size / n)
    q = FREQUENT.processes(["eastus"])[0].probability_down
    observed = np.mean(down_at_zero)
    assert abs(observed - q) <= 4 * math.sqrt(q * (1 - q) / (4 * n))


def test_published_three_region_cross_check():
    """Three independent regions, 1 outage/yr, 4 h fixed; served while 2 of 3 destinations of
    1,000,000 carry a 2,000,000 demand. Exact 3q^2(1-q)+q^3 with q = 1-exp(-4/8760) = 6.25e-7;
    CERN's AvailSim4 reports 6.51e-7 +/- 0.27e-7 from 280,000 simulated years."""
    from plcapacity.deployment import load_deployment
    from plcapacity.limits import data_path
    deployment, outages = load_deployment(data_path("examples/three-region-2of3.toml"))
    q = 1 - math.exp(-4 / 8760)
    analytic = 3 * q ** 2 * (1 - q) + q ** 3
    assert exact_unavailability(deployment, outages, metric="served") == pytest.approx(
        analytic, rel=1e-9)
    result = simulate(deployment, outages, trials=1_000_000, seed=2026)
    simulated = 1 - result.served_fraction
    se = result.served_ci_half_width / 1.96
    _check_against_exact(simulated, analytic, se)
    # compatible with AvailSim4's figure within the combined uncertainty
    assert abs(simulated - 6.51e-7) <= 3 * math.hypot(se, 0.27e-7)


# ----------------------------------------------------------------------------- brute force


def _brute_force(deployment, outages, intervals, n_trials, years, sla):
    """An event loop over each trial, written independently of the engine.

    Walks the elementary segments between outage boundaries, evaluates the deployment by its
    definition, adds failover gaps one by one, and splits the downtime by calendar month.
    Times in ticks; returns per-trial lists.
    """
    scale = ticks_per_minute(years)
    T = years * MINUTES_PER_YEAR * scale
    processes = outages.processes(deployment.regions)
    endpoints = deployment.endpoints
    demand = deployment.demand_connections
    active_passive = deployment.failover.mode == "active-passive"
    delay = round(deployment.failover.delay_minutes * scale)
    edges = [round(e * scale) for e in month_edges_minutes(years)]

    def evaluate(down_set):
        down_regions = {r for k in down_set for r in processes[k].regions}
        usable = [e.region not in down_regions
                  and deployment.destination(e.destination).region not in down_regions
                  for e in endpoints]
        reachable = any(usable)
        active = usable.index(True) if reachable else -1
        if demand is None:
            served = reachable
        elif active_passive:
            served = reachable and deployment.destination(
                endpoints[active].destination).capacity_connections >= demand
        else:
            carrying = {e.destination for e, u in zip(endpoints, usable) if u}
            served = reachable and sum(deployment.destination(d).capacity_connections
                                       for d in carrying) >= demand
        return reachable, served, active, usable

    per_trial = {key: [] for key in ("downtime", "unserved", "incidents", "monthly", "cause")}
    for trial in range(n_trials):
        lo, hi = trial * T, (trial + 1) * T
        mine = []
        for k, (starts, ends) in enumerate(intervals):
            for s, e in zip(starts.tolist(), ends.tolist()):
                if lo <= s < hi:
                    mine.append((s - lo, e - lo, k))
        cuts = sorted({0, T} | {s for s, _, _ in mine} | {e for _, e, _ in mine})
        segments = []
        for a, b in zip(cuts[:-1], cuts[1:]):
            down_set = frozenset(k for s, e, k in mine if s <= a < e)
            segments.append((a, b, down_set, *evaluate(down_set)))
        gaps = []
        if active_passive and delay > 0:
            for i in range(1, len(segments)):
                previous_active = segments[i - 1][5]
                a, _, down_set, _, _, active, usable = segments[i]
                if previous_active >= 0 and active >= 0 and not usable[previous_active] and a > 0:
                    # until the failed endpoint or a higher-priority one is active again
                    back = next((seg[0] for seg in segments[i:]
                                 if 0 <= seg[5] <= previous_active), T)
                    trigger = next(k for s, e, k in mine if s == a)
                    if min(a + delay, back) > a:
                        gaps.append((a, min(a + delay, back), trigger))
        def union(pieces):
            merged = []
            for s, e in sorted(pieces):
                if merged and s <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], e)
                else:
                    merged.append([s, e])
            return merged

        down = union([(a, b) for a, b, _, r, *_ in segments if not r and b > a]
                     + [(s, e) for s, e, _ in gaps])
        unserved = union([(a, b) for a, b, _, _, sv, *_ in segments if not sv and b > a]
                         + [(s, e) for s, e, _ in gaps])
        monthly = {}
        for s, e in down:
            for m in range(len(edges) - 1):
                overlap = min(e, edges[m + 1]) - max(s, edges[m])
                if overlap > 0:
                    monthly[m] = monthly.get(m, 0) + overlap / scale
        cause = [0.0] * len(processes)
        down_segments = [(a, b, d) for a, b, d, r, *_ in segments if not r and b > a]
        for a, b, d in down_segments:
            critical = [k for k in d if evaluate(d - {k})[0]]
            blamed = critical or sorted(d)
            for k in blamed:
                cause[k] += (b - a) / scale / len(blamed)
        reach = 0
        for s, e, k in sorted(gaps):
            fresh = min(max(s, reach), e)
            reach = max(reach, e)
            covered = sum(max(0, min(e, b) - max(fresh, a)) for a, b, _ in down_segments)
            cause[k] += ((e - fresh) - covered) / scale
        per_trial["downtime"].append(sum(e - s for s, e in down) / scale)
        per_trial["unserved"].append(sum(e - s for s, e in unserved) / scale)
        per_trial["incidents"].append(len(down))
        per_trial["monthly"].append(monthly)
        per_trial["cause"].append(cause)
    return per_trial


BRUTE_CASES = {
    "undersized-primary": (undersized_primary(), FREQUENT),
    "active-passive-gaps": (three_regions_active_passive(delay=600.0), GROUPED),
    "active-passive-short-delay": (three_regions_active_passive(delay=5.0), FREQUENT),
    "active-active-served": (shortfall(), GROUPED),
    "shared-destination": (two_regions_shared_destination(), FREQUENT),
}


@pytest.mark.parametrize("case", BRUTE_CASES.values(), ids=BRUTE_CASES.keys())
@pytest.mark.parametrize("years", [1, 2])
def test_engine_matches_brute_force_event_loop(case, years):
    deployment, outages = case
    structure = compile_structure(deployment, outages)
    n_trials = 500
    intervals = _block_intervals(structure, n_trials, years, np.random.default_rng(years))
    engine = _evaluate_block(structure, _Tables(structure), intervals, n_trials, years)
    reference = _brute_force(deployment, outages, intervals, n_trials, years, deployment.sla)
    assert sum(reference["downtime"]) > 0
    np.testing.assert_allclose(engine["downtime"], reference["downtime"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(engine["unserved"], reference["unserved"], rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(engine["incidents"], reference["incidents"])
    np.testing.assert_allclose(_dense_cause(engine["cause"], n_trials, structure.n_processes),
                               np.array(reference["cause"]), rtol=1e-9, atol=1e-9)
    months = 12 * years
    dense = np.zeros((n_trials, months))
    trial, month, minutes = engine["monthly"]
    dense[trial, month] = minutes
    expected = np.zeros((n_trials, months))
    for t, monthly in enumerate(reference["monthly"]):
        for m, value in monthly.items():
            expected[t, m] = value
    np.testing.assert_allclose(dense, expected, rtol=1e-12, atol=1e-9)
    if deployment.failover.mode == "active-passive":
        # gaps were really exercised: downtime exceeds the gap-free "nothing usable" time
        no_gap = _evaluate_block(
            compile_structure(Deployment(deployment.destinations, deployment.endpoints,
                                         deployment.demand_connections,
                                         Failover("active-passive", 0.0,
                                                  deployment.failover.order)), outages),
            _Tables(structure), intervals, n_trials, years)
        assert engine["downtime"].sum() > no_gap["downtime"].sum()


def test_monthly_slo_misses_and_credits_against_brute_force():
    """Months below the SLO and credits, from per-month downtime computed by brute force."""
    deployment = shortfall()
    result = simulate(deployment, FREQUENT, trials=3_000, seed=5)
    uptime = result.monthly_uptime_percent
    sla = deployment.sla
    # recompute from per-trial monthly downtime with a plain loop over months
    below = (uptime < sla.slo_percent).sum(axis=1)
    credit = np.zeros_like(uptime)
    for below_percent, percent in sla.tiers:
        credit = np.where(uptime < below_percent, np.maximum(credit, percent), credit)
    trials = result.trials
    np.testing.assert_array_equal(trials["months_below_slo"], below)
    np.testing.assert_allclose(trials["credit_percent"], credit.mean(axis=1))
    summary = result.summary()
    assert summary["p_month_below_slo"] == pytest.approx(below.sum() / uptime.size)
    assert summary["expected_credit_percent"] == pytest.approx(credit.mean())
    month_minutes = np.diff(month_edges_minutes(1))
    downtime_from_months = ((100 - uptime) / 100 * month_minutes).sum(axis=1)
    np.testing.assert_allclose(downtime_from_months, trials["downtime_minutes"], atol=1e-6)


# ----------------------------------------------------------------------------- reproducibility


def test_bit_identical_whatever_the_chunk_size():
    deployment, outages = three_regions_active_passive(), GROUPED
    runs = [simulate(deployment, outages, trials=70_000, seed=9, chunk_size=c)
            for c in (None, 1, 100_000, 10 ** 7)]
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0].downtime_minutes, other.downtime_minutes)
        assert runs[0].availability == other.availability
        assert runs[0].summary().equals(other.summary())


def test_seed_forms_and_unseeded_runs_are_reproducible():
    deployment = two_regions_shared_destination()
    a = simulate(deployment, FREQUENT, trials=2_000, seed=3)
    b = simulate(deployment, FREQUENT, trials=2_000, seed=np.random.SeedSequence(3))
    np.testing.assert_array_equal(a.downtime_minutes, b.downtime_minutes)
    c = simulate(deployment, FREQUENT, trials=2_000)
    d = simulate(deployment, FREQUENT, trials=2_000, seed=c.seed_entropy)
    np.testing.assert_array_equal(c.downtime_minutes, d.downtime_minutes)
    e = simulate(deployment, FREQUENT, trials=2_000, seed=4)
    assert not np.array_equal(a.downtime_minutes, e.downtime_minutes)


def test_target_rel_ci_keeps_going_until_reached():
    deployment = two_regions_shared_destination()
    result = simulate(deployment, FREQUENT, trials=2_000, seed=1, target_rel_ci=0.005)
    assert result.trials_run > 2_000
    assert result.ci_half_width <= 0.005 * result.unavailability


def test_aggregates_without_kept_trials_match_kept():
    deployment = two_regions_shared_destination()
    kept = simulate(deployment, FREQUENT, trials=70_000, seed=8)
    lean = simulate(deployment, FREQUENT, trials=70_000, seed=8, keep_trials=False)
    assert kept.availability == lean.availability
    for q in (0.5, 0.95, 0.99):
        assert lean.quantile(q) == pytest.approx(kept.quantile(q), rel=0.01)
    with pytest.raises(ValueError, match="keep_trials=True"):
        lean.downtime_minutes


def test_rare_events_are_flagged():
    deployment = two_regions_shared_destination()
    rare = OutageModel(0.01, {"law": "fixed", "hours": 1})
    summary = simulate(deployment, rare, trials=1_000, seed=1).summary()
    assert "rare events" in summary["note"]
    assert summary["expected_down_episodes_in_sample"] == pytest.approx(1_000 * 0.01, rel=1e-3)


@pytest.mark.parametrize("kwargs, message", [
    (dict(trials=0), "trials=0 is not allowed"),
    (dict(trials=10, years=0.5), "years=0.5 is not allowed: a whole number"),
    (dict(trials=10, seed=-1), "seed=-1 is not allowed"),
    (dict(trials=10, target_rel_ci=2), "target_rel_ci=2 is not allowed"),
])
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate(two_regions_shared_destination(), FREQUENT, **kwargs)


def test_trials_frame_columns():
    result = simulate(active_active_with_group(), GROUPED, trials=1_000, seed=2)
    frame = result.trials
    assert list(frame.columns[:5]) == ["downtime_minutes", "unserved_minutes",
                                       "months_below_slo", "credit_percent", "incidents"]
    assert {"cause_eastus", "cause_westus", "cause_us-pair"} <= set(frame.columns)
    np.testing.assert_allclose(frame.filter(like="cause_").sum(axis=1), frame.downtime_minutes,
                               atol=1e-6)
    assert len(frame) == 1_000


def test_progress_bar_on_request(capsys):
    simulate(two_regions_shared_destination(), FREQUENT, trials=2 * BLOCK_TRIALS, seed=1,
             progress=True)
    err = capsys.readouterr().err
    assert "simulating" in err and "131k" in err.replace("131,072", "131k")


def test_no_progress_bar_for_short_runs(capsys):
    simulate(two_regions_shared_destination(), FREQUENT, trials=1_000, seed=1)
    assert capsys.readouterr().err == ""


def test_distributed_block_summaries_equal_a_local_run():
    """Blocks simulated separately (as workers would) and combined give the same numbers."""
    from plcapacity.montecarlo import _seed_sequence, block_summaries, blocks_for, \
        result_from_summaries
    deployment, outages = three_regions_active_passive(), GROUPED
    trials = 2 * BLOCK_TRIALS + 100
    local = simulate(deployment, outages, trials=trials, seed=21, keep_trials=False)
    root = _seed_sequence(21)
    blocks = blocks_for(trials)
    parts = [block_summaries(deployment, outages, years=1, seed=root, blocks=[b])
             for b in reversed(blocks)]  # any order, any grouping
    combined = result_from_summaries(deployment, outages, [s for part in parts for s in part],
                                     years=1, seed=root)
    assert combined.summary().equals(local.summary())
    assert combined.availability == local.availability
