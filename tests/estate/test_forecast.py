"""forecast_exhaustion on generated series with a known trend and noise: the first day the
generated series reaches a threshold after the data (its continuation drawn with the same
noise) must fall inside the prediction interval; flat series must say "not within the
horizon"."""

import math
import statistics
import tracemalloc

import numpy as np
import pandas as pd
import pytest

from plcapacity.estate import forecast as forecast_module
from plcapacity.estate.forecast import (
    FORECAST_COLUMNS,
    HOLDOUT_SHARE,
    MIN_DAYS,
    Forecast,
    as_forecast,
    daily_peaks,
    forecast_exhaustion,
    throughput,
)
from plcapacity.estate.metrics import Metrics

DAY0 = pd.Timestamp("2026-01-01T00:00:00Z")
PLS = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateLinkServices/p"


def metrics_from_daily(peaks, days=None, nat_ip="10.0.0.4", resource=PLS):
    """A read_metrics-shaped table with one maximum per day (at 13:00 UTC)."""
    peaks = np.asarray(peaks, float)
    days = np.arange(peaks.size) if days is None else np.asarray(days)
    return pd.DataFrame({
        "timestamp": DAY0 + pd.to_timedelta(days, unit="D") + pd.Timedelta(hours=13),
        "resource_id": resource, "metric": "PLSNatPortsUsage", "dimension": nat_ip,
        "aggregation": "maximum", "value": peaks, "unit": "Percent"})


def interval_contains(row, true_day):
    """The true crossing day (days after DAY0) lies in [earliest, latest] (whole days)."""
    true_date = (DAY0 + pd.Timedelta(days=true_day)).floor("D")
    latest = row["crossing_latest"]
    return row["crossing_earliest"] <= true_date and (pd.isna(latest) or true_date <= latest)


def first_passage(path, start, threshold):
    """The first day at or after ``start`` on which ``path`` reaches ``threshold`` (None if
    never): the event the interval is for."""
    hit = np.flatnonzero(np.asarray(path)[start:] >= threshold)
    return int(start + hit[0]) if hit.size else None


def one(forecast, threshold):
    return forecast[forecast["threshold_percent"] == threshold].iloc[0]


# --------------------------------------------------------------------------- daily peaks


def test_daily_peaks_are_the_largest_value_of_each_utc_day(rng):
    stamps = pd.date_range("2026-03-01T00:00:00Z", periods=24 * 5, freq="h")
    values = rng.uniform(0, 100, stamps.size)
    metrics = pd.DataFrame({"timestamp": stamps, "resource_id": PLS, "metric": "PLSNatPortsUsage",
                            "dimension": "a", "aggregation": "maximum", "value": values,
                            "unit": "Percent"})
    extra = metrics.assign(aggregation="average", value=200.0)   # ignored: maximum preferred
    peaks = daily_peaks(pd.concat([metrics, extra]))
    expected = [max(values[24 * d:24 * (d + 1)]) for d in range(5)]   # independent: slices
    assert peaks["peak"].tolist() == pytest.approx(expected)
    assert set(peaks["aggregation"]) == {"maximum"}
    assert set(daily_peaks(extra)["aggregation"]) == {"average"}


# --------------------------------------------------------------------------- known trends


def test_linear_trend_crossing_inside_the_interval(rng):
    t = np.arange(600)
    path = 40 + 0.2 * t + rng.normal(0, 1.5, t.size)     # the trend: 80 at day 200, 100 at 300
    forecast = forecast_exhaustion(metrics_from_daily(path[:90]))
    assert list(forecast.columns) == list(FORECAST_COLUMNS)
    for threshold, trend_day in ((80, 200), (100, 300)):
        row = one(forecast, threshold)
        true_day = first_passage(path, 90, threshold)   # peaks get there some days earlier
        assert row["status"] == "forecast" and true_day < trend_day
        assert interval_contains(row, true_day)
        assert abs((row["crossing_date"] - DAY0).days - true_day) <= 20
        assert row["days_to_threshold"] == pytest.approx(true_day - 89, abs=20)
    assert one(forecast, 80)["slope_percent_per_day"] == pytest.approx(0.2, abs=0.03)


def test_exponential_growth_chooses_the_log_linear_fit(rng):
    t = np.arange(90)
    y = 20 * np.exp(0.015 * t) * np.exp(rng.normal(0, 0.02, t.size))
    forecast = forecast_exhaustion(metrics_from_daily(y))
    row = one(forecast, 80)
    assert row["model"] == "log-linear"
    assert row["holdout_error_log_linear"] < row["holdout_error_linear"]
    assert interval_contains(row, math.log(4) / 0.015)           # day 92.4
    assert interval_contains(one(forecast, 100), math.log(5) / 0.015)
    assert row["doubling_days"] == pytest.approx(math.log(2) / 0.015, rel=0.1)


def test_flat_series_is_not_within_the_horizon(rng):
    y = 35 + rng.normal(0, 2, 120)
    forecast = forecast_exhaustion(metrics_from_daily(y))
    assert (forecast["status"] == "not within the horizon").all()
    assert forecast["crossing_date"].isna().all()
    assert forecast["days_to_threshold"].isna().all()


def test_weekly_seasonal_series(rng):
    t = np.arange(91)
    weekend = (t % 7) >= 5
    envelope = 40 + 0.25 * t                                # weekday peaks reach 80 at day 160
    y = envelope * np.where(weekend, 0.8, 1.0) + rng.normal(0, 1.0, t.size)
    row = one(forecast_exhaustion(metrics_from_daily(y)), 80)
    assert row["status"] == "forecast"
    assert interval_contains(row, 160)


def test_noisy_series_has_a_wider_interval_that_still_covers(rng):
    t = np.arange(600)
    quiet = forecast_exhaustion(metrics_from_daily(40 + 0.2 * t[:90] + rng.normal(0, 1, 90)))
    covered = []
    for _ in range(10):  # a 90 % interval: 7 to 10 of 10 draws (binomial, 99 %)
        noisy_path = 40 + 0.2 * t + rng.normal(0, 6, t.size)
        noisy = forecast_exhaustion(metrics_from_daily(noisy_path[:90]))
        covered.append(interval_contains(one(noisy, 80), first_passage(noisy_path, 90, 80)))
        width = [(one(f, 80)["crossing_latest"] - one(f, 80)["crossing_earliest"]).days
                 for f in (quiet, noisy)]
        assert width[1] > width[0]
    assert sum(covered) >= 7


def test_gaps_in_the_data(rng):
    t = np.arange(120)
    keep = rng.uniform(size=t.size) > 0.3                  # ~30 % of days missing
    keep[40:55] = False                                    # and a two-week outage of the export
    y = 30 + 0.3 * t + rng.normal(0, 1.5, t.size)          # 80 at day 166.7
    forecast = forecast_exhaustion(metrics_from_daily(y[keep], days=t[keep]))
    row = one(forecast, 80)
    assert row["days_observed"] == keep.sum()
    assert interval_contains(row, 50 / 0.3)


def test_a_series_that_already_crossed(rng):
    t = np.arange(90)
    y = 60 + 0.3 * t + rng.normal(0, 1.0, t.size)          # 80 near day 67, 100 at day 133
    forecast = forecast_exhaustion(metrics_from_daily(y))
    crossed = one(forecast, 80)
    assert crossed["status"] == "crossed"
    first = int(np.argmax(y >= 80))                         # independent: first day at 80 %
    assert crossed["crossing_date"] == DAY0 + pd.Timedelta(days=first)
    assert pd.isna(crossed["days_to_threshold"])
    assert crossed["current_percent"] == pytest.approx(y[-7:].max())
    assert interval_contains(one(forecast, 100), 40 / 0.3)


def test_horizon_cuts_off_distant_crossings(rng):
    t = np.arange(90)
    y = 20 + 0.1 * t + rng.normal(0, 0.5, t.size)          # 80 at day 600
    short = one(forecast_exhaustion(metrics_from_daily(y), thresholds=[80]), 80)
    long = one(forecast_exhaustion(metrics_from_daily(y), thresholds=[80],
                                   horizon_days=1000), 80)
    assert short["status"] == "not within the horizon" and pd.isna(short["crossing_date"])
    assert long["status"] == "forecast" and interval_contains(long, 600)


def test_interval_coverage_over_many_series():
    # Nominal 90 %: the interval should hold the first day the series reaches 80 % in about
    # nine series of ten (40 here, so 30 to 40 of them: 95 % binomial bounds for p = 0.9
    # are 31 and 40; the slow test measures it on hundreds of series of many kinds).
    covered = []
    for seed in range(40):
        rng = np.random.default_rng(seed)
        slope = rng.uniform(0.1, 0.4)
        t = np.arange(1000)
        path = 30 + slope * t + rng.normal(0, 2.0, t.size)
        row = one(forecast_exhaustion(metrics_from_daily(path[:90])), 80)
        covered.append(interval_contains(row, first_passage(path, 90, 80)))
    assert 30 <= sum(covered) <= 40


def test_too_few_days_are_only_checked_for_crossed():
    few = forecast_exhaustion(metrics_from_daily(np.linspace(30, 85, MIN_DAYS - 1)))
    assert list(few["status"]) == ["crossed", "too few days"]
    assert pd.isna(one(few, 100)["crossing_date"])


def test_zeros_rule_out_the_log_fit(rng):
    y = 2 + 0.5 * np.arange(60) + rng.normal(0, 1, 60)
    y[[3, 17, 30]] = 0                                     # e.g. idle days; 80 at day 156
    row = one(forecast_exhaustion(metrics_from_daily(y)), 80)
    assert row["model"] == "linear" and np.isnan(row["holdout_error_log_linear"])
    assert not row["interval_spans_both_models"]
    assert interval_contains(row, 156)


def test_each_nat_ip_and_resource_is_forecast_separately(rng):
    t = np.arange(60)
    a = metrics_from_daily(40 + 0.2 * t + rng.normal(0, 1, 60), nat_ip="10.0.0.4")
    b = metrics_from_daily(30 + rng.normal(0, 1, 60), nat_ip="10.0.0.5")
    c = metrics_from_daily(50 + 0.3 * t + rng.normal(0, 1, 60), resource=PLS + "2")
    forecast = forecast_exhaustion(pd.concat([a, b, c]), thresholds=[80])
    assert list(zip(forecast["pls"], forecast["nat_ip"], forecast["status"])) == [
        ("p", "10.0.0.4", "forecast"), ("p", "10.0.0.5", "not within the horizon"),
        ("p2", "10.0.0.4", "forecast")]
    assert set(forecast.fits) == {(PLS, "10.0.0.4"), (PLS, "10.0.0.5"),
                                  (PLS + "2", "10.0.0.4")}
    assert "mean absolute error" in forecast.criterion


# --------------------------------------------------------------------------- throughput


def test_throughput_from_bytes_totals():
    stamps = pd.date_range("2026-03-01T00:00:00Z", periods=10, freq="min")
    rows = []
    for metric, totals in (("PLSBytesIn", np.arange(10) * 1e6),
                           ("PLSBytesOut", np.full(10, 3e6))):
        rows.append(pd.DataFrame({"timestamp": stamps, "resource_id": PLS, "metric": metric,
                                  "dimension": "", "aggregation": "total", "value": totals,
                                  "unit": "Count"}))
    rates = throughput(pd.concat(rows))
    # peak: (9e6 + 3e6) bytes in 60 s = 1.6 Mbit/s; mean: (4.5e6 + 3e6) * 8 / 60 / 1e6
    assert rates.loc[PLS, "peak_throughput_mbit_s"] == pytest.approx(1.6)
    assert rates.loc[PLS, "mean_throughput_mbit_s"] == pytest.approx(7.5e6 * 8 / 60 / 1e6)
    nat = metrics_from_daily(np.linspace(10, 20, 30))
    forecast = forecast_exhaustion(pd.concat(rows + [nat]))
    assert forecast["peak_throughput_mbit_s"].tolist() == pytest.approx([1.6, 1.6])
    assert forecast_exhaustion(nat)["peak_throughput_mbit_s"].isna().all()


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("kwargs, message", [
    (dict(thresholds=[0]), r"thresholds=\[0.0\] is not allowed: percentages above 0"),
    (dict(thresholds=[80, 120]), "at most 100"),
    (dict(horizon_days=0), r"horizon_days=0 is not allowed"),
    (dict(confidence=1.0), r"confidence=1.0 is not allowed"),
    (dict(aggregation="total"), r"aggregation='total' is not in the metrics; available: maximum"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        forecast_exhaustion(metrics_from_daily(np.linspace(10, 20, 30)), **kwargs)


def test_metrics_without_nat_ports():
    bytes_only = metrics_from_daily(np.ones(20)).assign(metric="PLSBytesIn")
    with pytest.raises(ValueError, match="no PLSNatPortsUsage rows; metrics found: PLSBytesIn"):
        forecast_exhaustion(bytes_only)
    with pytest.raises(ValueError, match="give the table of plcapacity.read_metrics"):
        forecast_exhaustion(pd.DataFrame({"x": [1]}))


@pytest.mark.parametrize("growth", ["linear", "exponential"])
def test_crossing_date_matches_a_day_by_day_scan_of_the_fitted_trend(rng, growth):
    t = np.arange(75)
    y = (30 + 0.4 * t if growth == "linear" else 25 * np.exp(0.012 * t)) \
        + rng.normal(0, 0.8, t.size)
    forecast = forecast_exhaustion(metrics_from_daily(y))
    fit = forecast.fits[(PLS, "10.0.0.4")]
    days = np.arange(0, 2000)
    trend = fit["intercept"] + fit["slope"] * days
    trend = np.exp(trend) if fit["log"] else trend
    for threshold in (80, 100):
        scan = days[np.argmax(trend >= threshold)]            # first whole day at or above
        row = one(forecast, threshold)
        # the crossing falls within day scan - 1 (crossed during that day) .. scan
        offset = (row["crossing_date"] - DAY0).days
        assert scan - 1 <= offset <= scan
        assert row["crossing_earliest"] <= row["crossing_date"] <= row["crossing_latest"]


# --------------------------------------------------------------------------- the Forecast


def test_the_forecast_says_how_it_was_made(rng):
    t = np.arange(40)
    forecast = forecast_exhaustion(metrics_from_daily(30 + 0.5 * t + rng.normal(0, 1, 40)),
                                   thresholds=[90], horizon_days=200, confidence=0.8)
    assert isinstance(forecast, Forecast)
    assert (forecast.aggregation, forecast.confidence, forecast.horizon_days) == \
        ("maximum", 0.8, 200)
    assert f"last {HOLDOUT_SHARE:.0%} of the days" in forecast.criterion
    assert "first day a peak reaches the threshold" in forecast.criterion and "Akaike" in forecast.criterion
    assert set(forecast.fits) == {(PLS, "10.0.0.4")}
    assert list(forecast.table.columns) == list(FORECAST_COLUMNS)


def test_the_small_keys_stay_in_attrs_until_0_3_but_not_the_fits(rng):
    forecast = forecast_exhaustion(metrics_from_daily(np.linspace(20, 60, 30)))
    assert forecast.table.attrs == {"aggregation": forecast.aggregation,
                                    "confidence": forecast.confidence,
                                    "horizon_days": forecast.horizon_days,
                                    "criterion": forecast.criterion}
    assert forecast.attrs["criterion"] == forecast.criterion       # how the CLI reads it


def test_two_forecasts_concatenate(rng):
    # 0.1 kept the fits (numpy arrays) in .attrs, where pandas compares them on concat and
    # fails: "The truth value of an array ... is ambiguous".
    a = forecast_exhaustion(metrics_from_daily(np.linspace(20, 60, 30)))
    b = forecast_exhaustion(metrics_from_daily(np.linspace(30, 50, 30), resource=PLS + "2"))
    both = pd.concat([a.table, b.table], ignore_index=True)
    assert sorted(both["pls"].unique()) == ["p", "p2"] and len(both) == len(a) + len(b)
    fits = {**a.fits, **b.fits}
    assert set(fits) == {(PLS, "10.0.0.4"), (PLS + "2", "10.0.0.4")}


def test_the_forecast_reads_like_its_table():
    forecast = forecast_exhaustion(metrics_from_daily(np.linspace(20, 60, 30)))
    assert len(forecast) == 2 and "status" in forecast
    assert one(forecast, 80)["nat_ip"] == "10.0.0.4"
    assert type(forecast[forecast["threshold_percent"] == 100]) is pd.DataFrame


def test_metrics_object_and_table_give_the_same_forecast():
    table = metrics_from_daily(np.linspace(20, 60, 30))
    a, b = forecast_exhaustion(Metrics(table)), forecast_exhaustion(table)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert daily_peaks(Metrics(table))["peak"].tolist() == daily_peaks(table)["peak"].tolist()


def test_as_forecast_reads_0_1_attrs_with_a_warning():
    forecast = forecast_exhaustion(metrics_from_daily(np.linspace(20, 60, 30)))
    assert as_forecast(forecast) is forecast
    old = forecast.table.copy()
    old.attrs = dict(forecast.table.attrs, fits=dict(forecast.fits))
    with pytest.warns(DeprecationWarning, match=r"\.attrs\['fits'\] is deprecated since "
                      r"0\.2\.0.*use the Forecast") as caught:
        again = as_forecast(old, stacklevel=3)           # 3: the caller of as_forecast
    assert caught[0].filename == __file__
    assert (again.aggregation, again.confidence, again.horizon_days, again.criterion) == \
        (forecast.aggregation, forecast.confidence, forecast.horizon_days, forecast.criterion)
    assert set(again.fits) == set(forecast.fits)
    bare = forecast.table.copy()
    bare.attrs = {}
    found = as_forecast(bare)                             # a bare table: nothing to warn about
    assert found.fits == {} and found.confidence is None and found.criterion == ""
    with pytest.raises(ValueError, match="give the result of plcapacity.forecast_exhaustion"):
        as_forecast(pd.DataFrame({"x": [1]}))


def test_daily_peaks_keep_the_aggregation_in_attrs_until_0_3():
    peaks = daily_peaks(metrics_from_daily(np.linspace(20, 60, 30)))
    assert peaks.attrs == {"aggregation": "maximum"}


# --------------------------------------------------------------------------- scale


def test_ten_thousand_daily_points_in_bounded_memory(rng):
    # The n x n arrays of scipy's Theil-Sen took 2.6 GB for 10,000 days (and a MemoryError
    # for 20,000); the estimator now holds a bounded number of slopes.
    t = np.arange(20_000)
    path = 20 + 0.004 * t + rng.normal(0, 1, t.size)   # the trend: 80 % at day 15,000
    metrics = metrics_from_daily(path[:10_000])
    tracemalloc.start()
    try:
        forecast = forecast_exhaustion(metrics, thresholds=[80], horizon_days=10_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 150e6                                  # bytes
    row = one(forecast, 80)
    assert row["status"] == "forecast"
    assert interval_contains(row, first_passage(path, 10_000, 80))
    assert forecast.fits[(PLS, "10.0.0.4")]["slope"] == pytest.approx(0.004, rel=0.05)


def count_calls(monkeypatch, module, name):
    """Wrap ``module.name`` to record the sizes of its first argument, one entry a call."""
    original = getattr(module, name)
    sizes = []

    def counted(*args, **kwargs):
        sizes.append(np.size(args[0]))
        return original(*args, **kwargs)
    monkeypatch.setattr(module, name, counted)
    return sizes


@pytest.mark.parametrize("many", [400, 1500])
def test_work_per_threshold_is_a_few_array_elements(rng, monkeypatch, many):
    # 1,000 to 2,000 thresholds took 22.6 s then 85 s: quadratic. The series are fitted once
    # whatever the thresholds, and every threshold's dates come from one call per model.
    metrics = pd.concat([metrics_from_daily(30 + 0.2 * np.arange(60) + rng.normal(0, 1, 60),
                                            nat_ip=ip) for ip in ("a", "b", "c")])
    fits = count_calls(monkeypatch, forecast_module, "theil_sen_rows")
    dates = count_calls(monkeypatch, forecast_module, "passage_survival_rows")
    forecast_exhaustion(metrics, thresholds=[80, 100])
    fits_few, dates_few = len(fits), len(dates)
    fits.clear()
    dates.clear()
    thresholds = np.linspace(1, 100, many)
    forecast = forecast_exhaustion(metrics, thresholds=thresholds)
    assert len(forecast) == 3 * many
    assert len(fits) == fits_few == 4                    # all series at once, not per threshold
    assert len(dates) == dates_few <= 2                  # one call per model
    assert max(dates) <= 3 * many                        # each: every (series, threshold) left
    assert (forecast["status"] == "forecast").sum() <= sum(dates)


@pytest.mark.parametrize("count", [10, 40])
def test_series_of_the_same_days_are_fitted_together(rng, monkeypatch, count):
    frames = [metrics_from_daily(30 + 0.1 * np.arange(30) + rng.normal(0, 1, 30),
                                 nat_ip=f"10.0.0.{i % 8}", resource=f"{PLS}{i // 8}")
              for i in range(count)]
    fits = count_calls(monkeypatch, forecast_module, "theil_sen_rows")
    forecast = forecast_exhaustion(pd.concat(frames), thresholds=[80])
    assert len(forecast) == count and len(forecast.fits) == count
    assert len(fits) == 4              # linear and log-linear, held out and all: every series
    assert sum(fits) == count * (24 + 24 + 30 + 30)      # each row holds one series' days


def _alone_and_together(frames, **kwargs):
    together = forecast_exhaustion(pd.concat(frames), **kwargs)
    alone = [forecast_exhaustion(frame, **kwargs) for frame in frames]
    return together, alone


def test_fitting_series_together_gives_what_each_gives_alone(rng):
    """Series of several lengths, gaps, last days, weekly cycles, zeros, ties and steps,
    fitted together (grouped by length and last day), give row for row and fit for fit what
    each gives fitted alone."""
    frames = []
    for i in range(36):
        n = [10, 20, 30, 45, 90, 200][i % 6]
        t = np.arange(n) if i % 4 else np.sort(rng.choice(n + 12, n, replace=False))
        y = 20 + rng.uniform(-0.1, 0.6) * t + rng.normal(0, rng.uniform(0.2, 4), n)
        if i % 5 == 1:
            y = y * np.exp(0.01 * t) - np.where(t % 7 >= 5, 6, 0)     # growth, weekends
        if i % 7 == 2:
            y = np.round(y)                                            # ties
        if i % 9 == 3:
            y[n // 3] = 0.0                                            # no log-linear fit
        if i % 11 == 4:
            y[-5:] -= 15                                               # a step down
        days = t + i % 3                                               # other last days
        frames.append(metrics_from_daily(np.clip(y, 0, 100), days=days, nat_ip=f"10.0.{i}.4",
                                         resource=f"{PLS}{i % 5}"))
    together, alone = _alone_and_together(frames, thresholds=(50, 80, 100))
    expected = pd.concat([f.table for f in alone]).sort_values(
        ["resource_id", "nat_ip", "threshold_percent"]).reset_index(drop=True)
    assert set(together["status"]) >= {"forecast", "crossed", "too few days",
                                       "not within the horizon"}
    # (dtypes aside: a lone series too short to fit has no model names, a float column)
    pd.testing.assert_frame_equal(together.table, expected, check_dtype=False)
    for f in alone:
        for key, fit in f.fits.items():
            for name, value in fit.items():
                assert np.array_equal(together.fits[key][name], value), (key, name)


def test_the_fitted_line_is_brute_force_theil_sen(rng):
    y = 30 + 0.3 * np.arange(40) + rng.normal(0, 2, 40)
    y[[5, 17]] = 0                                       # no log-linear fit: the line is linear
    fit = forecast_exhaustion(metrics_from_daily(y)).fits[(PLS, "10.0.0.4")]
    slopes = sorted((y[j] - y[i]) / (j - i) for i in range(40) for j in range(i + 1, 40))
    assert fit["slope"] == pytest.approx(statistics.median(slopes), rel=1e-12)
    assert fit["intercept"] == pytest.approx(statistics.median(y) - fit["slope"] * 19.5,
                                             rel=1e-12)


# --------------------------------------------------------------------------- honest dates


@pytest.mark.parametrize("plateau, threshold", [(79.9, 80), (99.5, 100), (49.9, 50),
                                                (79.9, 100)])
def test_a_plateau_just_below_a_threshold_is_not_dated_on_the_last_day(rng, plateau, threshold):
    # A steep rise, then weeks just under the threshold: the trend line is already above
    # it. This used to report "reaches it on <last day> (<last day> to <last day>)".
    y = np.concatenate([np.linspace(plateau / 8, plateau, 45),
                        plateau - np.abs(rng.normal(0, 0.05, 45))])
    row = one(forecast_exhaustion(metrics_from_daily(y), thresholds=[threshold]), threshold)
    assert row["status"] == "not projected"
    assert pd.isna(row["crossing_date"]) and pd.isna(row["crossing_earliest"])
    assert pd.isna(row["days_to_threshold"])
    assert row["trend_percent"] >= threshold > row["current_percent"]


@pytest.mark.parametrize("after", [31.0, 45.0, 10.0])
def test_after_a_scale_out_no_threshold_is_dated(rng, after):
    # Usage rose past 80 %, then a scale-out brought it to `after` %: the trend (fitted on
    # the rise) no longer describes the level; 80 % was "reached on the last day".
    y = np.concatenate([np.linspace(40, 88, 80) + rng.normal(0, 1, 80),
                        after + rng.normal(0, 0.5, 10)])
    forecast = forecast_exhaustion(metrics_from_daily(y))
    assert list(forecast["status"]) == ["not projected", "not projected"]
    assert forecast["crossing_date"].isna().all()
    assert (forecast["current_percent"] < 80).all()


@pytest.mark.parametrize("threshold", [50, 80])
@pytest.mark.parametrize("days", [5, 60])                  # too few days for a trend, and enough
def test_above_from_the_first_day_is_not_a_crossing(rng, threshold, days):
    y = 90 + rng.normal(0, 1, days)                          # every day above 80 %
    row = one(forecast_exhaustion(metrics_from_daily(y), thresholds=[threshold]), threshold)
    assert row["status"] == "above since the first day"
    assert row["crossing_date"] == DAY0                       # the first observed day
    assert pd.isna(row["days_to_threshold"])


def test_above_at_first_then_below_then_above_again_is_crossed_on_the_return(rng):
    y = np.concatenate([np.full(10, 85.0), np.full(20, 70.0), np.full(30, 86.0)])
    y = y + rng.uniform(-0.5, 0.5, y.size)
    row = one(forecast_exhaustion(metrics_from_daily(y), thresholds=[80]), 80)
    assert row["status"] == "crossed"
    assert row["crossing_date"] == DAY0 + pd.Timedelta(days=30)


def test_a_crossing_during_the_last_day_is_dated_the_next_day():
    t = np.arange(60)
    y = 50 + 0.5 * t                                         # 79.5 on the last day (59)
    row = one(forecast_exhaustion(metrics_from_daily(y), thresholds=[79.75]), 79.75)
    assert row["status"] == "forecast"                      # the line crosses at day 59.5
    assert row["crossing_date"] == DAY0 + pd.Timedelta(days=60)
    assert row["crossing_earliest"] == DAY0 + pd.Timedelta(days=60)
    assert row["days_to_threshold"] == 1


@pytest.mark.parametrize("seed", range(12))
def test_every_date_is_an_observed_crossing_or_after_the_data(seed):
    # Whatever the series, a forecast date lies after the last observed day with its
    # interval around it; "crossed" has a day below the threshold before its date; a date
    # never repeats the last day unless the data crossed there.
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 150))
    kind = seed % 4
    t = np.arange(n)
    if kind == 0:
        y = rng.uniform(20, 60) + rng.uniform(-0.2, 0.6) * t + rng.normal(0, 3, n)
    elif kind == 1:
        y = 10 * np.exp(rng.uniform(0, 0.03) * t) * np.exp(rng.normal(0, 0.05, n))
    elif kind == 2:                                           # a step down part way
        y = np.where(t < n * 0.8, 40 + 0.5 * t, rng.uniform(5, 60)) + rng.normal(0, 1, n)
    else:                                                     # a step up
        y = np.where(t < n * 0.6, 30, 70) + rng.normal(0, 2, n)
    y = np.clip(y, 0.5, 100)
    forecast = forecast_exhaustion(metrics_from_daily(y), thresholds=[50, 80, 95, 100])
    last = DAY0 + pd.Timedelta(days=n - 1)
    for _, row in forecast.table.iterrows():
        status, date = row["status"], row["crossing_date"]
        if status == "forecast":
            assert row["crossing_earliest"] > last and date > last
            assert row["crossing_earliest"] <= date
            assert pd.isna(row["crossing_latest"]) or date <= row["crossing_latest"]
            assert row["days_to_threshold"] >= 1
        elif status == "crossed":
            index = (date - DAY0).days
            assert y[index] >= row["threshold_percent"] > y[:index].min()
        elif status == "above since the first day":
            assert date == DAY0 and y[0] >= row["threshold_percent"]
        elif status == "not within the horizon":           # the interval may start inside it
            assert pd.isna(date) and pd.isna(row["crossing_latest"])
            assert pd.isna(row["crossing_earliest"]) or row["crossing_earliest"] > last
        else:
            assert pd.isna(date) and pd.isna(row["crossing_earliest"])


# --------------------------------------------------------------------------- calibration

def synthetic_estate(seed, count, horizon=365):
    """``count`` series of 30 to 180 days below 80 %, linear or exponential trends, normal or
    Student-t noise (0.3 to 4 %), half of them with a weekly cycle (weekends 5 to 25 % lower),
    each continued ``horizon`` days with the same noise: (metrics, {nat_ip: path, days})."""
    rng = np.random.default_rng(seed)
    frames, paths = [], {}
    while len(paths) < count:
        n = int(rng.integers(30, 181))
        t = np.arange(n + horizon)
        base = rng.uniform(20, 55)
        trend = (base + rng.uniform(0.05, 0.6) * t if rng.uniform() < 0.5
                 else base * np.exp(rng.uniform(0.002, 0.012) * t))
        weekly = rng.uniform(0.05, 0.25) if rng.uniform() < 0.5 else 0.0
        sigma = rng.uniform(0.3, 4.0)
        noise = (rng.normal(0, sigma, t.size) if rng.uniform() < 0.5
                 else sigma * rng.standard_t(5, t.size) / math.sqrt(5 / 3))
        path = trend * np.where(t % 7 >= 5, 1 - weekly, 1.0) + noise
        if path[:n].max() >= 80 or path[:n].min() <= 0:
            continue
        ip = f"ip-{len(paths)}"
        frames.append(metrics_from_daily(path[:n], nat_ip=ip))
        paths[ip] = (path, n)
    return pd.concat(frames), paths


@pytest.mark.slow
@pytest.mark.parametrize("confidence, seed", [(0.8, 11), (0.9, 12), (0.9, 13)])
def test_interval_holds_the_first_crossing_at_its_stated_confidence(confidence, seed):
    """Issue 22: the 90 % interval held the simulated first crossing in 96 % of series, the
    80 % one in 97 %. Over 400 synthetic series (about 800 forecast thresholds), the share of
    first days at 80 % and 100 % inside the interval is the stated confidence within 6 points
    (the binomial standard error is about 1.3 points; the rest is the model's approximation:
    the slope's law, Akaike weights)."""
    metrics, paths = synthetic_estate(seed, 400)
    forecast = forecast_exhaustion(metrics, thresholds=(80, 100), confidence=confidence)
    held = []
    for row in forecast.table.itertuples():
        if row.status != "forecast":
            continue
        path, n = paths[row.nat_ip]
        true_day = first_passage(path, n, row.threshold_percent)
        if true_day is None:                          # not within the generated horizon
            held.append(pd.isna(row.crossing_latest))
        else:
            held.append(interval_contains(row._asdict(), true_day))
    assert len(held) >= 600
    assert abs(np.mean(held) - confidence) <= 0.06, (np.mean(held), len(held))


@pytest.mark.parametrize("points", [1, 100, 41 * 7])
def test_blocks_of_series_give_the_same_forecast(rng, monkeypatch, points):
    """Memory is bounded by fitting FIT_BLOCK_POINTS daily peaks at a time: one series a
    block (1), two (100), seven (287): the same table and fits as all at once."""
    frames = [metrics_from_daily(30 + 0.3 * np.arange(41) + rng.normal(0, 2, 41),
                                 nat_ip=f"10.0.0.{i}") for i in range(23)]
    metrics = pd.concat(frames)
    whole = forecast_exhaustion(metrics)
    monkeypatch.setattr(forecast_module, "FIT_BLOCK_POINTS", points)
    blocks = forecast_exhaustion(metrics)
    pd.testing.assert_frame_equal(whole.table, blocks.table)
    assert all(np.array_equal(whole.fits[key]["slopes"], fit["slopes"])
               for key, fit in blocks.fits.items()) and len(blocks.fits) == 23


@pytest.mark.parametrize("missing", [[0], [3, 4, 5], [19]])
def test_null_values_are_days_without_data(rng, missing):
    """A null usage (Azure's "no data") is no peak: a series with nulls on some days is
    forecast as the same series without those days (it raised theil_sen's 'must be finite'
    from 14 days on)."""
    y = 30 + 0.5 * np.arange(20) + rng.normal(0, 1, 20)
    with_nulls = y.copy()
    with_nulls[missing] = np.nan
    kept = np.setdiff1d(np.arange(20), missing)
    got = forecast_exhaustion(metrics_from_daily(with_nulls))
    expected = forecast_exhaustion(metrics_from_daily(y[kept], days=kept))
    pd.testing.assert_frame_equal(got.table, expected.table)
    assert got["days_observed"].iloc[0] == 20 - len(missing)
