"""Results: block sums and their accumulation, the confidence intervals, per-trial columns,
summary names (and the deprecated ones), monthly SLO figures against a plain loop."""

import warnings

import numpy as np
import pytest
from mc_cases import (
    FREQUENT,
    GROUPED,
    active_active_with_group,
    shortfall,
    two_regions_shared_destination,
)
from scipy import stats

import plcapacity as plc
from plcapacity.availability.results import (
    Accumulator,
    block_summary,
    mean_ci,
    month_share_interval,
)
from plcapacity.availability.simulation import simulate
from plcapacity.base.sla import month_edges_minutes
from plcapacity.outages.laws import MINUTES_PER_YEAR
from plcapacity.outages.processes import OutageModel

# ----------------------------------------------------------------------------- mean and CI


@pytest.mark.parametrize("n", [1, 2, 7, 29, 30, 1_000])
def test_mean_ci_is_the_t_interval_of_a_few_trials_and_the_normal_one_of_more(rng, n):
    """Student's t with n - 1 degrees of freedom below 30 trials (the normal quantile is too
    narrow there: 1.96 against 12.7 for 2 trials), the normal one from 30 on."""
    values = rng.exponential(size=n) * (np.arange(n) % 3 == 0)  # spread for any n >= 2
    mean, half = mean_ci(values.sum(), (values ** 2).sum(), n)
    assert mean == pytest.approx(values.mean(), rel=1e-12)
    quantile = stats.t.ppf(0.975, n - 1) if n < 30 else stats.norm.ppf(0.975)
    expected = 0.0 if n == 1 else quantile * values.std(ddof=1) / np.sqrt(n)
    assert half == pytest.approx(expected, rel=1e-9, abs=1e-15)
    assert n == 1 or half > 0


def test_mean_ci_of_a_few_normal_draws_covers_95_percent():
    """4,000 seeded runs of 5 normal draws: the t interval is exact for them (95 %); the
    normal quantile covered about 88 %."""
    draws = np.random.default_rng(11).normal(size=(4_000, 5))
    covered = [abs(mean) <= half
               for mean, half in (mean_ci(v.sum(), (v ** 2).sum(), 5) for v in draws)]
    assert 0.935 < np.mean(covered) < 0.965


def _effective_clopper_pearson(months_below, months):
    """Korn and Graubard's interval, from the per-trial counts, with scipy.stats."""
    share = np.asarray(months_below) / months
    n = share.size
    p, variance = share.mean(), share.var(ddof=1)
    size = n * months if variance == 0 else min(n * months, p * (1 - p) / (variance / n))
    size *= (stats.norm.ppf(0.975) / stats.t.ppf(0.975, n - 1)) ** 2
    count = size * p
    return (stats.beta.ppf(0.025, count, size - count + 1) if count > 0 else 0.0,
            stats.beta.ppf(0.975, count + 1, size - count) if count < size else 1.0)


@pytest.mark.parametrize("months_below, months", [
    ([0, 0, 0, 5, 0, 1, 0, 0], 12),          # clustered: one bad year
    ([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], 12),    # spread: as many months as independent draws
    ([2, 0], 24),                            # two trials of two years
    ([12, 12, 12], 12),                      # every month below
])
def test_month_share_interval_is_clopper_pearson_at_the_effective_size(months_below, months):
    counts = np.array(months_below)
    expected = _effective_clopper_pearson(counts, months)
    got = month_share_interval(counts.sum(), (counts ** 2).sum(), counts.size, months)
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-15)
    assert 0 <= got[0] <= counts.sum() / (counts.size * months) <= got[1] <= 1


def test_month_share_interval_of_a_few_trials_covers_95_percent():
    """4,000 seeded runs of 5 trial-years, each month below with chance 0.05: the interval
    holds 0.05 at least 95 % of the time (the normal interval of the counts held it 84 %),
    and says more than the bound of a run that saw no month below."""
    rng = np.random.default_rng(5)
    covered, highs = [], []
    for counts in rng.binomial(12, 0.05, size=(4_000, 5)):
        if counts.sum() == 0:
            continue
        low, high = month_share_interval(counts.sum(), (counts ** 2).sum(), 5, 12)
        covered.append(low <= 0.05 <= high)
        highs.append(high)
    assert np.mean(covered) >= 0.95
    assert np.mean(highs) < 1 - 0.025 ** (1 / 5)


@pytest.mark.parametrize("n", [2, 5, 29])
def test_a_few_trials_get_small_sample_intervals(n):
    """The result's intervals from n < 30 plain trials, recomputed from its trials: t for the
    availabilities and the credit, Clopper-Pearson at the effective size for the months."""
    result = simulate(shortfall(), FREQUENT, trials=n, seed=9, progress=False)
    trials = result.trials
    t = stats.t.ppf(0.975, n - 1)

    def t_interval(values):
        half = t * values.std(ddof=1) / np.sqrt(n)
        return values.mean() - half, values.mean() + half

    down = trials["downtime_min"].to_numpy() / MINUTES_PER_YEAR
    low, high = t_interval(1 - down)
    assert result.ci == pytest.approx((max(low, 0), min(high, 1)), rel=1e-9)
    unserved = trials["unserved_min"].to_numpy() / MINUTES_PER_YEAR
    low, high = t_interval(1 - unserved)
    assert result.served_availability_ci == pytest.approx((max(low, 0), min(high, 1)),
                                                          rel=1e-9)
    credit = trials["credit_percent"].to_numpy()
    assert credit.std() > 0 and trials["months_below_slo"].sum() > 0   # not the zero bounds
    low, high = t_interval(credit)
    assert result.expected_credit_ci == pytest.approx((max(low, 0), high), rel=1e-9)
    assert result.p_month_below_slo_ci == pytest.approx(
        _effective_clopper_pearson(trials["months_below_slo"].to_numpy(), 12), rel=1e-9)


@pytest.mark.parametrize("n", [30, 400])
def test_from_thirty_trials_means_keep_the_normal_interval_and_months_clopper_pearson(n):
    """From 30 trials the availability keeps its normal interval; the chance of a month below
    the SLO, a share often of rare months, keeps Clopper-Pearson at the effective size."""
    result = simulate(shortfall(), FREQUENT, trials=n, seed=9, progress=False)
    months = result.trials["months_below_slo"].to_numpy()
    assert months.sum() > 0
    assert result.p_month_below_slo_ci == pytest.approx(
        _effective_clopper_pearson(months, 12), rel=1e-9)
    down = result.trials["downtime_min"].to_numpy() / MINUTES_PER_YEAR
    assert result.ci_half_width == pytest.approx(
        stats.norm.ppf(0.975) * down.std(ddof=1) / np.sqrt(n), rel=1e-9)


def test_mean_ci_never_takes_the_root_of_a_negative_variance():
    """Equal values: rounding can make sum_sq / n - mean**2 slightly negative."""
    values = np.full(3, 0.1)
    mean, half = mean_ci(values.sum(), (values ** 2).sum(), 3)
    assert half == 0.0 and mean == pytest.approx(0.1)


@pytest.fixture(scope="module")
def shortfall_result():
    return simulate(shortfall(), FREQUENT, trials=3_000, seed=5)


def test_result_intervals_are_those_of_the_per_trial_fractions(shortfall_result):
    result = shortfall_result
    T = MINUTES_PER_YEAR
    down = result.trials["downtime_min"].to_numpy() / T
    unserved = result.trials["unserved_min"].to_numpy() / T
    half = 1.959963984540054 * down.std(ddof=1) / np.sqrt(down.size)
    assert result.availability == pytest.approx(1 - down.mean(), rel=1e-12)
    assert result.ci_half_width == pytest.approx(half, rel=1e-9)
    assert result.ci == pytest.approx((1 - down.mean() - half, 1 - down.mean() + half))
    served_half = 1.959963984540054 * unserved.std(ddof=1) / np.sqrt(unserved.size)
    assert result.served_availability == pytest.approx(1 - unserved.mean(), rel=1e-12)
    assert result.served_ci_half_width == pytest.approx(served_half, rel=1e-9)
    assert result.served_availability_ci == pytest.approx(
        (1 - unserved.mean() - served_half, 1 - unserved.mean() + served_half))
    assert result.served_availability < result.availability  # degraded time exists


# ----------------------------------------------------------------------------- names


def test_summary_names(shortfall_result):
    result = shortfall_result
    summary = result.summary()
    assert summary["availability_ci_low"] == result.ci[0]
    assert summary["availability_ci_high"] == result.ci[1]
    assert summary["served_availability"] == result.served_availability
    assert summary["served_availability_ci_low"] == result.served_availability_ci[0]
    assert summary["served_availability_ci_high"] == result.served_availability_ci[1]
    assert summary["exact_served_availability"] == pytest.approx(1 - result.exact_served)
    assert summary["served_availability_ci_low"] < summary["served_availability"] \
        < summary["served_availability_ci_high"]
    for former in ("ci95_low", "ci95_high", "served_fraction", "exact_served_fraction"):
        assert former not in summary.index


@pytest.mark.parametrize("former, name", [("served_fraction", "served_availability"),
                                          ("served_ci", "served_availability_ci"),
                                          ("downtime_minutes", "downtime_min")])
def test_former_names_warn_and_give_the_same_value(shortfall_result, former, name):
    with pytest.warns(DeprecationWarning, match=f"{former} is deprecated: use .{name}"):
        value = getattr(shortfall_result, former)
    np.testing.assert_array_equal(value, getattr(shortfall_result, name))


def test_current_names_do_not_warn(shortfall_result):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shortfall_result.summary()
        shortfall_result.trials
        shortfall_result.quantile(0.5)
        shortfall_result.monthly_uptime_percent
        shortfall_result.downtime_min


# ----------------------------------------------------------------------------- block sums


def test_block_summary_sums_and_columns():
    out = dict(downtime=np.array([0.0, 60.0, 1440.0]), unserved=np.array([0.0, 90.0, 1440.0]),
               incidents=np.array([0, 1, 2]),
               monthly=(np.array([1, 2, 2]), np.array([0, 0, 5]), np.array([60.0, 1000, 440])),
               cause=(np.array([1, 2, 2]), np.array([0, 0, 1]), np.array([60.0, 1000.0, 440.0])),
               n_processes=2)
    sla = shortfall().sla
    T = MINUTES_PER_YEAR
    summary, (columns, monthly) = block_summary(out, T, sla, 1, histogram=True)
    assert summary["n"] == 3 and summary["incidents"] == 3
    assert summary["down"] == pytest.approx(1500 / T)
    assert summary["down_sq"] == pytest.approx((60 / T) ** 2 + (1440 / T) ** 2)
    assert summary["unserved"] == pytest.approx(1530 / T)
    np.testing.assert_allclose(summary["cause"], [1060.0, 440.0])
    assert summary["histogram"].sum() == 3 and summary["histogram"][0] == 1
    assert list(columns) == ["downtime_min", "unserved_min", "months_below_slo", "credit_sum",
                             "incidents"]
    january = np.diff(month_edges_minutes(1))[0]
    np.testing.assert_allclose(monthly[2][0], 100 * (1 - 60 / january))
    below = (monthly[2] < sla.slo_percent).astype(int)
    np.testing.assert_array_equal(columns["months_below_slo"],
                                  [0, below[0], below[1] + below[2]])


def test_accumulator_totals_do_not_depend_on_the_order_blocks_arrive():
    # sums of floats depend on their order: in block order 1 + 1e16 - 1e16 == 0, in reverse 1
    values = [1.0, 1e16, -1e16]
    blocks = [(i, dict(n=10, down=v, cause=np.array([v, 2 * v]))) for i, v in enumerate(values)]
    forward, backward = Accumulator(2, 12, keep=False), Accumulator(2, 12, keep=False)
    for index, summary in blocks:
        forward.add_summary(index, summary)
    for index, summary in reversed(blocks):
        backward.add_summary(index, summary)
    assert forward.total("down") == backward.total("down") == 0.0
    np.testing.assert_array_equal(forward.total("cause"), backward.total("cause"))
    assert forward.total("n") == 30


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
    np.testing.assert_allclose(downtime_from_months, trials["downtime_min"], atol=1e-6)


def test_aggregates_without_kept_trials_match_kept():
    deployment = two_regions_shared_destination()
    kept = simulate(deployment, FREQUENT, trials=70_000, seed=8)
    lean = simulate(deployment, FREQUENT, trials=70_000, seed=8, keep_trials=False)
    assert kept.availability == lean.availability
    for q in (0.5, 0.95, 0.99):
        assert lean.quantile(q) == pytest.approx(kept.quantile(q), rel=0.01)
    with pytest.raises(ValueError, match="keep_trials=True"):
        lean.downtime_min


def test_rare_events_are_flagged():
    deployment = two_regions_shared_destination()
    rare = OutageModel(0.01, {"law": "fixed", "hours": 1})
    summary = simulate(deployment, rare, trials=1_000, seed=1).summary()
    assert "rare events" in summary["note"]
    assert summary["expected_down_episodes_in_sample"] == pytest.approx(1_000 * 0.01, rel=1e-3)


def test_trials_frame_columns():
    result = simulate(active_active_with_group(), GROUPED, trials=1_000, seed=2)
    frame = result.trials
    assert list(frame.columns[:5]) == ["downtime_min", "unserved_min",
                                       "months_below_slo", "credit_percent", "incidents"]
    assert {"cause_eastus", "cause_westus", "cause_us-pair"} <= set(frame.columns)
    np.testing.assert_allclose(frame.filter(like="cause_").sum(axis=1), frame.downtime_min,
                               atol=1e-6)
    assert len(frame) == 1_000


def test_histogram_bins_equal_a_binary_search():
    """The quantile histogram finds each value's bin from a logarithm and one correction each
    way: the same bin as a binary search over the edges, on and next to every edge."""
    from plcapacity.availability.results import HIST_GEOM, last_edge_at_or_below
    rng = np.random.default_rng(3)
    x = np.concatenate([np.exp(rng.uniform(np.log(1e-6), np.log(1e9), 200_000)), HIST_GEOM,
                        np.nextafter(HIST_GEOM, 0), np.nextafter(HIST_GEOM, np.inf),
                        [5e-324, 1e-300, 1e300]])
    np.testing.assert_array_equal(last_edge_at_or_below(x),
                                  np.searchsorted(HIST_GEOM, x, side="right") - 1)


def test_format_summary_shows_the_digits_pandas_hides():
    import plcapacity as plc
    from plcapacity.base.limits import data_path

    deployment, outages = plc.load_deployment(
        data_path("examples/three-region-active-passive.toml"))
    summary = plc.exact_summary(deployment, outages)
    assert "1.0" in repr(summary)                    # what pandas shows by default
    shown = plc.format_summary(summary)
    assert list(shown.index) == list(summary.index) and shown.name == summary.name
    assert shown["availability"] == f"{summary['availability']:.8f}" != "1.00000000"
    assert float(shown["availability"]) == pytest.approx(summary["availability"], abs=1e-8)
    assert shown["processes"] == "4"


@pytest.mark.parametrize("value, text", [
    (0.99998, "0.99998000"),           # eight decimals suffice
    (1 - 3e-11, "0.999999999970"),     # would round to 1.00000000: two digits of 3e-11
    (1.0, "1.00000000"),               # exactly 1 stays 1
    (float("nan"), "-"),
])
def test_format_summary_never_rounds_an_unavailability_away(value, text):
    import pandas as pd

    from plcapacity.availability.results import format_summary
    assert format_summary(pd.Series({"availability": value}))["availability"] == text


def test_a_result_without_any_observed_event_says_so_at_any_size():
    """80 outage processes (20 zoned regions), outages so rare that 200 trial-years see none:
    the result must not present availability 1 with an interval [1, 1] as a measurement."""
    from plcapacity.base.regions import region_catalog
    catalog = region_catalog()
    zoned = [r for r in catalog.index if str(catalog.loc[r, "availability_zones"]).lower()
             == "true" and str(catalog.loc[r, "restricted_access"]).lower() != "true"][:20]
    deployment = plc.Deployment(
        tuple(plc.Destination(f"p-{r}", r, nat_ips=1, backend_vms=3, zones=(1, 2, 3))
              for r in zoned),
        tuple(plc.Endpoint(f"e-{r}", r, f"p-{r}") for r in zoned))
    rare = {"law": "fixed", "hours": 1}
    model = plc.OutageModel(1e-4, rare, zones={"rate_per_year": 1e-4, "duration": rare})
    result = plc.simulate(deployment, model, trials=200, seed=1, progress=False)
    summary = result.summary()
    assert summary["incidents_per_year"] == 0 and result.ci == (1.0, 1.0)
    assert result.note.startswith("no down time in 200 trial-years: the simulated "
                                  "availability 1 is not a measurement; down episodes are "
                                  "rarer than 0.015 per year")
    # with events observed, the note does not claim there were none
    one = plc.Deployment((deployment.destinations[0],), (deployment.endpoints[0],))
    frequent = plc.simulate(one, plc.OutageModel(50, rare), trials=50, seed=1,
                            progress=False)
    assert frequent.summary()["incidents_per_year"] > 0
    assert "no down time" not in frequent.note


def test_one_trial_has_no_interval_rather_than_a_zero_width_one():
    """One trial of a deployment down 6 times a year: its served availability is one draw, so
    the 95 % interval is unknown (NaN, printed "-"), never [x, x]; the note says why."""
    deployment = shortfall()
    result = simulate(deployment, FREQUENT, trials=1, seed=3, progress=False)
    for low, high in (result.ci, result.served_availability_ci, result.p_month_below_slo_ci):
        assert np.isnan(low) and np.isnan(high)
    assert "one trial: its figures have no confidence interval" in result.note
    two = simulate(deployment, FREQUENT, trials=2, seed=3, progress=False)
    assert "one trial" not in two.note


def test_no_month_below_the_slo_gives_the_exact_zero_count_bound():
    """No month below the SLO in n trials: the interval is [0, p] with (1 - p)**n = 0.025 (the
    chance of a month below is at most that of a trial holding one), not [0, 0]. p is found
    here by bisection."""
    deployment = two_regions_shared_destination()
    rare = OutageModel(1e-5, {"law": "fixed", "hours": 1})
    n = 300
    result = simulate(deployment, rare, trials=n, seed=2, progress=False)
    assert result.p_month_below_slo == 0
    low, high = 0.0, 1.0
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if (1 - mid) ** n > 0.025 else (low, mid)
    assert result.p_month_below_slo_ci == pytest.approx((0.0, high), rel=1e-9)
    assert 0.012 < high < 0.013                      # about 3.7 / n
    assert result.expected_credit_ci == pytest.approx((0.0, 100 * high), rel=1e-9)
