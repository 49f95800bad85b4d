"""Importance sampling of rare events (plcapacity/availability/importance.py): the plan, the
weights, unbiasedness against exact values, independent references and plain runs, and the
honesty of its notes.

Every comparison is against an answer the importance sampler did not make: the exact steady
state (a finite sum over states, :func:`plcapacity.exact_unavailability`), a closed form
derived below, or a plain Monte Carlo run of the same model, within confidence intervals.
"""

import math

import numpy as np
import pytest
from mc_cases import check_against_exact

from plcapacity.availability.deployment import Deployment, Destination, Endpoint, Failover
from plcapacity.availability.engine import Tables
from plcapacity.availability.exact import exact_unavailability
from plcapacity.availability.importance import (
    THETA_MAX,
    biased_intervals,
    effective_sample_size,
    importance_plan,
    plain_trials_needed,
    simulate_block_importance,
)
from plcapacity.availability.simulation import (
    block_summaries,
    blocks_for,
    choose_method,
    result_from_summaries,
    seed_sequence,
    simulate,
)
from plcapacity.availability.structure import compile_structure
from plcapacity.outages.laws import MINUTES_PER_YEAR
from plcapacity.outages.processes import OutageGroup, OutageModel

FOUR = ("eastus", "westus", "centralus", "northeurope")


def one_of_three(law=None, rate=1.0):
    """Three regions, an endpoint and a PLS in each: down only when all three are down. With
    1 outage a year of 4 h each region is down 4.6e-4 of the time; all three 9.5e-11."""
    regions = ("eastus", "westus2", "centralus")
    deployment = Deployment(tuple(Destination(f"pls-{r}", r, None) for r in regions),
                            tuple(Endpoint(f"pe-{r}", r, f"pls-{r}") for r in regions))
    return deployment, OutageModel(rate, law or {"law": "fixed", "hours": 4})


def two_of_four_with_pair():
    """Four regions of 1e6 connections each and a demand of 2e6: served while two are up
    (unserved with three down: about 4e-8, mostly the eastus-westus pair with one more)."""
    deployment = Deployment(tuple(Destination(f"pls-{r}", r, 1e6) for r in FOUR),
                            tuple(Endpoint(f"pe-{r}", r, f"pls-{r}") for r in FOUR),
                            demand_connections=2e6)
    outages = OutageModel(1.0, {"law": "fixed", "hours": 4}, groups=(
        OutageGroup("us-pair", ("eastus", "westus"), 0.1, {"law": "fixed", "hours": 4}),))
    return deployment, outages


def two_regions(rate, hours):
    deployment = Deployment(
        (Destination("pls-e", "eastus", None), Destination("pls-w", "westus", None)),
        (Endpoint("pe-e", "eastus", "pls-e"), Endpoint("pe-w", "westus", "pls-w")))
    return deployment, OutageModel(rate, {"law": "fixed", "hours": hours})


def se(result):
    return result.ci_half_width / 1.96


# ----------------------------------------------------------------------------- the plan


def test_plan_is_balanced_with_a_bounded_theta():
    """Three processes of 1 outage a year: M = 3 starts per trial, theta = ln(1 + 2 / 3),
    split equally between the two other processes (hand computation)."""
    deployment, outages = one_of_three()
    plan = importance_plan(compile_structure(deployment, outages).processes, 1)
    assert plan.theta == pytest.approx(math.log(5 / 3), rel=1e-12)
    np.testing.assert_allclose(plan.extra, math.log(5 / 3) / 2, rtol=1e-12)
    np.testing.assert_allclose(plan.rate, 1 / MINUTES_PER_YEAR, rtol=1e-12)
    # rarer outages: theta stays at its cap (the bounded-relative-error regime)
    rare = importance_plan(OutageModel(0.01, {"law": "fixed", "hours": 4}).processes(
        ["eastus", "westus2"]), 1)
    assert rare.theta == THETA_MAX and rare.extra.tolist() == [THETA_MAX, THETA_MAX]
    # one process: nothing to coincide with, no bias
    alone = importance_plan(outages.processes(["eastus"]), 1)
    assert alone.extra.tolist() == [0.0] and "nothing to bias" in alone.describe()


@pytest.mark.parametrize("theta", [0, 1, 1.5, -0.1, "0.5", True])
def test_plan_refuses_a_theta_outside_zero_one(theta):
    with pytest.raises(ValueError, match=r"theta=.* is not allowed: a number between 0 and 1"):
        importance_plan(one_of_three()[1].processes(["eastus", "westus"]), 1, theta=theta)


def test_helpers_known_answers():
    assert effective_sample_size(4.0, 4.0) == 4.0        # four weights of 1
    assert effective_sample_size(3.0, 5.0) == 1.8        # weights 1 and 2: 9 / 5
    assert effective_sample_size(0.0, 0.0) == 0.0
    # (1.96 / 0.1)**2 / 1e-6 trials for 10 % with 1e-6 episodes per trial
    assert plain_trials_needed(1e-6, 0.1) == pytest.approx((1.959963984540054 / 0.1) ** 2 * 1e6)
    assert plain_trials_needed(0.0, 0.1) == math.inf


# ----------------------------------------------------------------------------- the weights


def test_weights_average_one_and_intervals_stay_in_their_trials():
    """A likelihood ratio has mean 1 under the biased model (E_q[w] = E_p[1]): checked within
    4 standard errors; and every merged interval lies inside its trial, sorted and disjoint."""
    deployment, outages = two_of_four_with_pair()
    structure = compile_structure(deployment, outages)
    plan = importance_plan(structure.processes, 1)
    scale = Tables(structure).ticks_per_minute(1)
    n = 1 << 15
    merged, log_weight = biased_intervals(structure, plan, n, 1, np.random.default_rng(5),
                                          scale)
    w = np.exp(log_weight)
    check_against_exact(w.mean(), 1.0, w.std() / math.sqrt(n))
    assert (w != 1).mean() > 0.5  # most trials are weighted
    trial_ticks = MINUTES_PER_YEAR * scale
    for starts, ends in merged:
        assert (ends > starts).all() and (starts[1:] > ends[:-1]).all()
        assert ((ends - 1) // trial_ticks == starts // trial_ticks).all()


def test_without_bias_the_weights_are_one():
    deployment, outages = one_of_three()
    structure = compile_structure(Deployment(deployment.destinations[:1],
                                             deployment.endpoints[:1]), outages)
    plan = importance_plan(structure.processes, 1)
    out = simulate_block_importance(structure, Tables(structure), plan, 1000, 1,
                                    np.random.default_rng(1))
    assert (out["weight"] == 1).all()


# ----------------------------------------------------------------------------- unbiased


def _stressed_lognormal():
    return one_of_three({"law": "lognormal", "median_hours": 3, "p95_hours": 20})


def _heavy_tailed():
    return one_of_three({"law": "gpd", "shape": 0.3, "scale_hours": 3})


CASES = {
    # name: (deployment and outages, metric, unavailability order)
    "one-of-three fixed 4 h (9.5e-11)": (one_of_three, "reachable"),
    "two-of-four with a correlated pair, served (4e-8)": (two_of_four_with_pair, "served"),
    "one-of-three lognormal (3e-10)": (_stressed_lognormal, "reachable"),
    "one-of-three generalized Pareto 0.3 (1e-9)": (_heavy_tailed, "reachable"),
    "two regions 0.5/yr 2 h (1.3e-8)": (lambda: two_regions(0.5, 2), "reachable"),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_importance_sampling_agrees_with_exact(case):
    """The weighted mean agrees with the exact steady state within 4 standard errors (of its
    own interval), at unavailabilities plain sampling cannot see in the same trials."""
    make, metric = case
    deployment, outages = make()
    result = simulate(deployment, outages, trials=1 << 17, seed=21, method="importance",
                      progress=False)
    exact = exact_unavailability(deployment, outages, metric=metric)
    assert 1e-11 < exact < 1e-6
    value = result.unavailability if metric == "reachable" else 1 - result.served_availability
    half = result.ci_half_width if metric == "reachable" else result.served_ci_half_width
    assert half < 0.25 * exact  # a measurement, not a bound
    check_against_exact(value, exact, half / 1.96)
    assert result.method == "importance" and "importance sampling" in result.note
    assert result.effective_sample_size > 0.02 * result.trials_run


def test_same_numbers_whatever_chunking_workers_and_keeping():
    deployment, outages = two_of_four_with_pair()
    trials = 3 * 65_536 + 1_000
    base = simulate(deployment, outages, trials=trials, seed=4, method="importance",
                    progress=False)
    chunked = simulate(deployment, outages, trials=trials, seed=4, method="importance",
                       progress=False, chunk_size=300_000, keep_trials=True)
    root = seed_sequence(4)
    blocks = blocks_for(trials)
    summaries = (block_summaries(deployment, outages, years=1, seed=root, blocks=blocks[::2],
                                 method="importance")
                 + block_summaries(deployment, outages, years=1, seed=root, blocks=blocks[1::2],
                                   method="importance"))
    spread = result_from_summaries(deployment, outages, summaries, years=1, seed=root)
    for other in (chunked, spread):
        assert other.method == "importance"
        assert other.summary().drop("note").equals(base.summary().drop("note"))
    # kept trials carry their weights, whose weighted mean is the estimate
    trials_table = chunked.trials
    weighted = (trials_table["weight"] * trials_table["downtime_min"]).mean() / MINUTES_PER_YEAR
    assert weighted == pytest.approx(base.unavailability, rel=1e-9)


def test_plain_is_the_default_and_unchanged():
    deployment, outages = two_regions(2.0, 6)
    default = simulate(deployment, outages, trials=20_000, seed=3, progress=False)
    plain = simulate(deployment, outages, trials=20_000, seed=3, progress=False,
                     method="plain")
    assert default.method == plain.method == "plain"
    assert default.summary().equals(plain.summary())
    assert default.effective_sample_size == 20_000
    with pytest.raises(ValueError, match="method='fast' is not allowed: one of plain, "
                                         "importance, auto"):
        simulate(deployment, outages, trials=10, method="fast")


# ----------------------------------------------------------------------------- monthly figures


def month_below_closed_form(rate_per_year, hours, slo_percent=99.99):
    """P(a calendar month misses the SLO) for two regions, active-active, fixed outages of
    ``d`` minutes, to first order in the rates (second-order terms are O(lambda d) = 1e-5
    relative here). An overlap starts when one region fails while the other is down: rate
    ``2 lambda**2 d`` a minute, with length ``l = d - u`` for ``u`` uniform on ``[0, d)``. It
    puts at least ``s = (1 - slo) L`` minutes into a month of ``L`` minutes when it starts in
    ``[s - l, L - s]``, a stretch of ``L - 2 s + l``; so

        P = 2 lambda**2 * integral_0^(d - s) (L - 2 s + d - u) du
          = 2 lambda**2 (d - s) (L - 2 s + (d + s) / 2),

    averaged over the twelve months of a 365-day year."""
    lam = rate_per_year / MINUTES_PER_YEAR
    d = hours * 60
    days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    L = days * 24 * 60.0
    s = (1 - slo_percent / 100) * L
    return float(np.mean(2 * lam ** 2 * (d - s) * (L - 2 * s + (d + s) / 2)))


def test_month_below_slo_of_a_two_region_deployment_against_a_closed_form():
    """Exact monthly risk below 1e-6 (0.15 outages a year of 2 h each): the interval of the
    importance-sampled chance of a month below 99.99 % contains the closed form."""
    deployment, outages = two_regions(0.15, 2)
    reference = month_below_closed_form(0.15, 2)
    assert 1e-7 < reference < 1e-6
    result = simulate(deployment, outages, trials=1 << 17, seed=8, method="importance",
                      progress=False)
    low, high = result.p_month_below_slo_ci
    assert low <= reference <= high, (low, reference, high)
    assert high - low < 0.2 * reference
    summary = result.summary()
    assert summary["p_month_below_slo_ci_low"] == low
    assert summary["p_month_below_slo"] == pytest.approx(result.p_month_below_slo, rel=1e-12)
    # the credit: every month below 99.99 % (and above 99 %) earns 10 %
    assert result.expected_credit_percent == pytest.approx(10 * result.p_month_below_slo,
                                                           rel=1e-9)


def test_closed_form_against_a_plain_run_at_a_stressed_rate():
    """The closed form itself, checked where plain sampling reaches: 6 outages a year."""
    deployment, outages = two_regions(6.0, 2)
    result = simulate(deployment, outages, trials=400_000, seed=2, progress=False)
    low, high = result.p_month_below_slo_ci
    reference = month_below_closed_form(6.0, 2)
    margin = 0.03 * reference  # second-order terms: O(lambda d) = 1.4e-3, and months with two
    assert low - margin <= reference <= high + margin, (low, reference, high)


# ----------------------------------------------------------------------------- failover gaps


def _active_passive(rate):
    deployment = Deployment(
        (Destination("pls-e", "eastus", None), Destination("pls-w", "westus", None),
         Destination("pls-c", "centralus", None)),
        (Endpoint("pe-e", "eastus", "pls-e"), Endpoint("pe-w", "westus", "pls-w"),
         Endpoint("pe-c", "centralus", "pls-c")),
        failover=Failover("active-passive", order=("pe-e", "pe-w", "pe-c"),
                          delay={"law": "lognormal", "median_minutes": 3, "p95_minutes": 20}))
    return deployment, OutageModel(rate, {"law": "lognormal", "median_hours": 2,
                                          "p95_hours": 12})


@pytest.mark.parametrize("rate", [1.0, 20.0], ids=["1 per year", "stressed 20 per year"])
def test_active_passive_with_a_lognormal_delay_agrees_with_a_long_plain_run(rate):
    """No exact value includes the failover gaps: the importance-sampled unavailability (about
    1e-5, nearly all gaps) agrees with a plain run of the same model, at the scale plain
    sampling reaches and at stressed rates (both runs stressed the same way)."""
    deployment, outages = _active_passive(rate)
    plain = simulate(deployment, outages, trials=1_000_000 if rate == 1 else 200_000, seed=1,
                     progress=False)
    rare = simulate(deployment, outages, trials=200_000 if rate == 1 else 50_000, seed=2,
                    method="importance", progress=False)
    combined = math.hypot(se(plain), se(rare))
    check_against_exact(rare.unavailability, plain.unavailability, combined)
    assert plain.unavailability > 10 * plain.exact  # the gaps dominate
    served = math.hypot(plain.served_ci_half_width, rare.served_ci_half_width) / 1.96
    check_against_exact(rare.served_availability, plain.served_availability, served)


# ----------------------------------------------------------------------------- honesty


def test_degenerate_or_thin_weights_give_no_interval_but_a_note():
    """A few hundred trials see a handful of weighted coincidences: no interval, a note."""
    deployment, outages = one_of_three()
    result = simulate(deployment, outages, trials=300, seed=1, method="importance",
                      progress=False)
    assert result.effective_trials("reachable") < 30
    assert all(math.isnan(v) for v in result.ci)
    assert "effective trials (fewer than 30): no confidence interval" in result.note
    shown = result.summary()
    assert math.isnan(shown["availability_ci_low"])
    with pytest.raises(ValueError, match="metric='down' is not allowed"):
        result.effective_trials("down")


def test_nothing_observed_is_said_not_measured():
    deployment, outages = one_of_three(rate=1e-6)
    result = simulate(deployment, outages, trials=2_000, seed=1, method="importance",
                      progress=False)
    assert result.unavailability == 0.0
    assert "no down time in 2,000 importance-sampled trials" in result.note


# ----------------------------------------------------------------------------- auto


def test_auto_picks_importance_only_where_plain_sampling_cannot_reach():
    """One-of-three: 6.25e-7 down episodes a year, so a 10 % interval needs 6e8 plain trials;
    two regions of 2 outages a year of 6 h: 5.5e-3 episodes, 70,000 trials."""
    deployment, outages = one_of_three()
    assert choose_method(deployment, outages, trials=1_000_000) == "importance"
    assert choose_method(deployment, outages, trials=10 ** 9) == "plain"
    assert choose_method(deployment, outages, trials=10 ** 9, rel_ci=0.01) == "importance"
    common = two_regions(2.0, 6)
    assert choose_method(*common, trials=100_000) == "plain"
    result = simulate(deployment, outages, trials=20_000, seed=5, method="auto",
                      target_rel_ci=0.1, progress=False)
    assert result.method == "importance"
    assert result.ci_half_width <= 0.1 * result.unavailability
    check_against_exact(result.unavailability, result.exact, se(result))
    assert simulate(*common, trials=100_000, seed=5, method="auto",
                    progress=False).method == "plain"
    assert simulate(*common, trials=20_000, seed=5, method="auto",
                    progress=False).method == "importance"


# ----------------------------------------------------------------------------- coverage (slow)


def _coverage(make, metric, replications, trials):
    deployment, outages = make()
    exact = exact_unavailability(deployment, outages, metric=metric)
    covered = 0
    for seed in range(replications):  # independent replications, each a whole run
        result = simulate(deployment, outages, trials=trials, seed=[99, seed],
                          method="importance", progress=False)
        low, high = (result.ci if metric == "reachable" else result.served_availability_ci)
        covered += low <= 1 - exact <= high
    return covered / replications


@pytest.mark.slow  # 2 x 200 runs of 65,536 trials: about two minutes
@pytest.mark.parametrize("case", ["one-of-three fixed 4 h (9.5e-11)",
                                  "two-of-four with a correlated pair, served (4e-8)"])
def test_intervals_cover_the_exact_value_about_95_percent_of_the_time(case):
    """200 replications: the share of 95 % intervals that cover the exact value lies within
    the binomial range of 0.95 (3 standard deviations: 0.904 to 0.996)."""
    make, metric = CASES[case]
    share = _coverage(make, metric, 200, 1 << 16)
    assert 0.95 - 3 * math.sqrt(0.95 * 0.05 / 200) <= share, share
