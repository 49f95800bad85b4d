"""nat_port_forecast: the daily peaks per NAT IP, the fitted trend carried forward with its
band, and the thresholds, drawn from a Forecast (and, deprecated, from 0.1's DataFrame)."""

import dataclasses

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.dates import date2num  # noqa: E402

from plcapacity import plotting  # noqa: E402
from plcapacity.base.limits import data_path  # noqa: E402
from plcapacity.estate.forecast import forecast_exhaustion  # noqa: E402
from plcapacity.estate.metrics import Metrics, read_metrics  # noqa: E402
from plcapacity.estate.plots import nat_port_forecast  # noqa: E402

DAY0 = pd.Timestamp("2026-01-01T00:00:00Z")
PLS = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateLinkServices/pls-a"


def metrics_of(series, resource=PLS, aggregation="maximum"):
    """A read_metrics-shaped table: per NAT IP one value a day, at 13:00 UTC."""
    frames = []
    for nat_ip, values in series.items():
        days = np.arange(len(values))
        frames.append(pd.DataFrame({
            "timestamp": DAY0 + pd.to_timedelta(days, unit="D") + pd.Timedelta(hours=13),
            "resource_id": resource, "metric": "PLSNatPortsUsage", "dimension": nat_ip,
            "aggregation": aggregation, "value": np.asarray(values, float),
            "unit": "Percent"}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def exact():
    """Two NAT IPs with exact straight lines (no noise): 20 + 0.5 t and 10 + 0.25 t [%]."""
    t = np.arange(60)
    metrics = metrics_of({"10.0.0.4": 20 + 0.5 * t, "10.0.0.5": 10 + 0.25 * t})
    return metrics, forecast_exhaustion(metrics, thresholds=(70, 90))


def dashed(ax):
    return [line for line in ax.get_lines() if line.get_linestyle() == "--"]


def test_dots_per_nat_ip_and_a_line_per_threshold(exact):
    metrics, forecast = exact
    ax = nat_port_forecast(metrics, forecast, "pls-a")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["10.0.0.4", "10.0.0.5"]
    dots = [line for line in ax.get_lines() if line.get_marker() == "."]
    assert [len(line.get_ydata()) for line in dots] == [60, 60]
    assert list(dots[0].get_ydata()[:3]) == [20, 20.5, 21]
    levels = sorted(line.get_ydata()[0] for line in ax.get_lines()
                    if line.get_linestyle() == ":")
    assert levels == [70, 90]
    assert ax.get_ylim() == pytest.approx((0, 1.15 * 90))
    assert ax.get_xlabel() == "date (UTC)" and "[%]" in ax.get_ylabel()


def test_the_dashed_trend_is_the_line_the_data_follow(exact):
    metrics, forecast = exact
    ax = nat_port_forecast(metrics, forecast, "pls-a")
    top = 1.15 * 90
    for line, (a, b) in zip(dashed(ax), [(20, 0.5), (10, 0.25)]):
        t = line.get_xdata(orig=False) - date2num(DAY0)     # days since the first day
        expected = np.minimum(a + b * t, top)               # the line drawn up to the top
        assert line.get_ydata() == pytest.approx(expected, abs=1e-6)
        assert t[0] == pytest.approx(0)


def test_the_band_starts_at_the_last_observed_day(exact):
    metrics, forecast = exact
    ax = nat_port_forecast(metrics, forecast, "pls-a")
    assert len(ax.collections) == 2                         # one band per NAT IP
    last = date2num(DAY0 + pd.Timedelta(days=59))
    for band in ax.collections:
        x = np.concatenate([path.vertices[:, 0] for path in band.get_paths()])
        assert x.min() >= last - 1e-9


def test_without_fitted_lines_only_the_dots(exact):
    metrics, forecast = exact
    bare = dataclasses.replace(forecast, fits={})
    ax = nat_port_forecast(metrics, bare, "pls-a")
    assert dashed(ax) == [] and len(ax.collections) == 0
    assert len([line for line in ax.get_lines() if line.get_marker() == "."]) == 2


def test_the_forecasts_aggregation_chooses_the_dots():
    t = np.arange(30)
    high = metrics_of({"ip": 50 + 0 * t})
    low = metrics_of({"ip": 5 + 0.1 * t}, aggregation="average")
    metrics = pd.concat([high, low], ignore_index=True)
    forecast = forecast_exhaustion(metrics, aggregation="average")
    ax = nat_port_forecast(metrics, forecast, "pls-a")
    dots = next(line for line in ax.get_lines() if line.get_marker() == ".")
    assert dots.get_ydata() == pytest.approx(5 + 0.1 * t)


def test_metrics_object_or_table_draw_the_same(exact):
    metrics, forecast = exact
    one = nat_port_forecast(Metrics(metrics), forecast, "pls-a")
    two = nat_port_forecast(metrics, forecast, "pls-a")
    for a, b in zip(one.get_lines(), two.get_lines()):
        assert np.array_equal(a.get_ydata(), b.get_ydata())


def test_a_forecast_dataframe_of_0_1_still_draws_with_a_warning(exact):
    metrics, forecast = exact
    old = forecast.table.copy()
    old.attrs = dict(aggregation=forecast.aggregation, horizon_days=forecast.horizon_days,
                     confidence=forecast.confidence, criterion=forecast.criterion,
                     fits=dict(forecast.fits))
    with pytest.warns(DeprecationWarning, match="0.3.0; use the Forecast") as caught:
        ax = nat_port_forecast(metrics, old, "pls-a")
    assert caught[0].filename == __file__                   # points at the caller
    expected = nat_port_forecast(metrics, forecast, "pls-a")
    assert [list(a.get_ydata()) for a in dashed(ax)] == \
        [list(b.get_ydata()) for b in dashed(expected)]


def test_by_name_or_resource_id_in_any_case_on_the_given_axes(exact):
    metrics, forecast = exact
    _, ax = plt.subplots()
    assert nat_port_forecast(metrics, forecast, PLS.upper(), ax=ax) is ax
    assert ax.get_title() == "pls-a"
    with pytest.raises(ValueError, match=r"pls='nope' is not in the forecast; known: pls-a"):
        nat_port_forecast(metrics, forecast, "nope")


def test_a_name_with_dollars_is_shown_as_written():
    metrics = metrics_of({"ip": np.linspace(10, 30, 20)}, resource=PLS + "$x$")
    forecast = forecast_exhaustion(metrics)
    ax = nat_port_forecast(metrics, forecast, "pls-a$x$")
    assert ax.get_title() == r"pls-a\$x\$"                  # not a math formula


def test_the_bundled_example_through_the_plotting_module():
    metrics = read_metrics(data_path("examples/estate/metrics-pls-orders.json"))
    forecast = forecast_exhaustion(metrics)
    ax = plotting.nat_port_forecast(metrics, forecast, "pls-orders")
    nat_ips = sorted(metrics.table.loc[metrics["metric"] == "PLSNatPortsUsage", "dimension"]
                     .unique())
    assert [t.get_text() for t in ax.get_legend().get_texts()] == nat_ips
    assert {line.get_ydata()[0] for line in ax.get_lines()
            if line.get_linestyle() == ":"} == {80.0, 100.0}     # the default thresholds
