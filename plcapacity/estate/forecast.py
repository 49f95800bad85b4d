"""When will a Private Link Service run out of NAT ports? A trend forecast of
``PLSNatPortsUsage`` per PLS and NAT IP.

Microsoft's guidance is to alert on ``PLSNatPortsUsage`` (the percentage of a NAT IP's ports in
use); :func:`forecast_exhaustion` turns the same metric into dates: the day each threshold
(80 % and 100 % by default) is reached, with a prediction interval, or "not within the
horizon".

Method (per PLS and NAT IP):

1. Daily peaks: the largest value of each UTC day (of the ``maximum`` aggregation when the
   export has it, else ``average``, which understates peaks). Missing days are simply absent.
2. Two robust trend fits on the daily peaks by Theil-Sen (the median of pairwise slopes, as
   :func:`scipy.stats.theilslopes` computes it, in bounded memory:
   :func:`plcapacity.estate.trend.theil_sen`): linear, ``peak = a + b t``, and log-linear,
   ``log(peak) = a + b t`` (exponential growth; only when every peak is positive).
3. The trend shown (``model``, slope, doubling time) is the better model by out-of-sample
   error: both are fitted on the first 80 % of the days and scored by the mean absolute error
   of their predictions of the last 20 % (in percent); the smaller error wins (linear on a
   tie). The dates weigh both models by their Akaike weights (each fit's squared error on all
   days): a handful of noisy weeks rarely tells linear from exponential growth apart, and
   either model alone held the first crossing far less often than its interval said.
4. The crossing date of a threshold is the day the first daily peak is expected to reach it
   after the last observed day (whose peak was below it): the median of the first-passage
   day of the trend with its noise (:mod:`plcapacity.estate.passage`: the slope's
   uncertainty from Theil-Sen's interval, a weekly profile and the spread of peaks about the
   trend), at the earliest the next day. The prediction interval is that day's
   ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles: it holds the first day a
   peak reaches the threshold with probability ``confidence`` (a slow test measures it on
   series with known trends, noise and weekly cycles). With noise, peaks reach a threshold
   some days before their trend line does.

Every row says which of these it is (``status``); a date is either observed or projected
after the data, never the last observed day standing in for a crossing the trend placed
earlier:

- ``crossed``: the current level (the highest daily peak of the last
  :data:`CURRENT_WINDOW_DAYS` days) reaches the threshold; the date is the first day a peak
  reached it after a day below it.
- ``above since the first day``: at or above it from the first day of data on: when it was
  crossed is unknown, and the date is the first observed day.
- ``forecast``: the trend reaches it within the horizon, with the interval.
- ``not projected``: the trend gives no date: it is already at or above the threshold while
  the last days' peaks are below it (a plateau just under it), or even the highest of those
  peaks fell below the trend's band (a step down: a scale-out, a consumer gone).
- ``not within the horizon``; ``too few days`` (fewer than :data:`MIN_DAYS`: only checked
  for the first two).

Each series is fitted on its own, but not one at a time: series with the same number of days
and the same last day (most series of an export) go through every step together, as the rows
of arrays, in blocks of at most :data:`FIT_BLOCK_POINTS` daily peaks (bounded memory). The
results are those of each series fitted alone.

References
----------
.. [1] Monitor Azure Private Link (PLSNatPortsUsage),
   https://learn.microsoft.com/azure/private-link/monitor-private-link
.. [2] Sen, P. K. (1968). Estimates of the regression coefficient based on Kendall's tau.
   JASA 63(324), 1379-1389. https://doi.org/10.1080/01621459.1968.10480934
.. [3] scipy.stats.theilslopes,
   https://docs.scipy.org/doc/scipy/reference/generated/scipy.stats.theilslopes.html
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from plcapacity.base.deprecation import warn_deprecated
from plcapacity.base.results import TableResult
from plcapacity.base.schema import Column, Schema
from plcapacity.estate.daily import DailyMetrics
from plcapacity.estate.metrics import (
    BYTES_METRICS,
    NAT_PORTS_METRIC,
    check_metric_values,
    metrics_frame,
)
from plcapacity.estate.passage import (
    noise_models,
    passage_days,
    passage_quantiles,
    passage_survival_rows,
    slope_lines,
)
from plcapacity.estate.trend import theil_sen_rows

__all__ = ["Forecast", "forecast_exhaustion", "daily_peaks", "as_forecast", "FORECAST_COLUMNS",
           "MIN_DAYS", "HOLDOUT_SHARE", "MAX_HORIZON_DAYS", "CURRENT_WINDOW_DAYS", "MINOR_WEIGHT",
           "STATUS_ABOVE", "STATUS_BEYOND", "STATUS_CROSSED", "STATUS_FORECAST",
           "STATUS_NOT_PROJECTED", "STATUS_TOO_FEW", "LEGACY_ATTRS", "crossing_days",
           "first_at_or_above", "throughput"]

#: Fewest daily peaks a forecast needs. [days]
MIN_DAYS = 14
#: The current level is the highest daily peak of this many most recent days (a week, so that
#: a quiet weekend does not hide a busy Friday). [days]
CURRENT_WINDOW_DAYS = 7
#: Akaike weight from which the less likely model counts as part of the interval
#: (``interval_spans_both_models``). [-]
MINOR_WEIGHT = 0.05
#: Share of the most recent days held out to choose between the linear and log-linear fits. [-]
HOLDOUT_SHARE = 0.2
#: Most daily peaks fitted together in one block of series: memory stays bounded whatever the
#: estate (at 1,000 PLSs, 8,192 peaks a block: about 130 MiB traced at the peak of the
#: forecast, against 307 MiB at 131,072), and larger blocks gain no speed. [points]
FIT_BLOCK_POINTS = 1 << 13
#: Longest horizon: a century, far beyond any trend, and within the dates pandas represents
#: from the latest timestamp metrics can have. [days]
MAX_HORIZON_DAYS = 36_525

#: A daily peak reached the threshold after a day below it; the current level is at or above.
STATUS_CROSSED = "crossed"
#: At or above the threshold from the first day of data on: when it was crossed is unknown.
STATUS_ABOVE = "above since the first day"
#: The trend reaches the threshold within the horizon.
STATUS_FORECAST = "forecast"
#: The trend does not reach it within the horizon (or never: flat or falling).
STATUS_BEYOND = "not within the horizon"
#: No date from the trend: it is already at the threshold while the last days' peaks are
#: below it, or those peaks fell below the trend's band (a step down, such as a scale-out).
STATUS_NOT_PROJECTED = "not projected"
#: Fewer than MIN_DAYS days: only checked for crossed and above.
STATUS_TOO_FEW = "too few days"

#: Columns of :func:`forecast_exhaustion`: a :class:`~plcapacity.base.schema.Schema`.
FORECAST_COLUMNS = Schema(Column.output(name, unit, meaning) for name, (unit, meaning) in {
    "resource_id": ("-", "the PLS"),
    "pls": ("-", "its name (last segment of the id)"),
    "nat_ip": ("-", "the NAT IP (PrivateLinkServiceIPAddress); '' when the export has none"),
    "threshold_percent": ("%", "the threshold"),
    "status": ("-", "crossed, above since the first day, forecast, not projected, not within "
                    "the horizon, or too few days"),
    "crossing_date": ("date", "the day the trend reaches the threshold, after the last "
                              "observed day (forecast); the first day a peak reached it after a "
                              "day below it (crossed); the first observed day (above since the "
                              "first day); else NaT"),
    "crossing_earliest": ("date", "start of the prediction interval"),
    "crossing_latest": ("date", "end of the prediction interval; NaT past the horizon"),
    "days_to_threshold": ("days", "from the last observed day to crossing_date"),
    "current_percent": ("%", "the highest daily peak of the last 7 observed days"),
    "peak_percent": ("%", "the highest daily peak"),
    "trend_percent": ("%", "the fitted trend at the last observed day"),
    "model": ("-", "linear or log-linear"),
    "slope_percent_per_day": ("%/day", "trend slope at the last day"),
    "doubling_days": ("days", "log-linear: days for usage to double; NaN for linear"),
    "holdout_error_linear": ("%", "mean absolute error on the held-out days, linear fit"),
    "holdout_error_log_linear": ("%", "the same for the log-linear fit"),
    "interval_spans_both_models": ("-", "True when the less likely fit weighs at least 5 % "
                                        "in the dates (Akaike weights)"),
    "first_day": ("date", "first observed day"),
    "last_day": ("date", "last observed day"),
    "days_observed": ("days", "days with data"),
    "peak_throughput_mbit_s": ("Mbit/s", "highest PLSBytesIn + PLSBytesOut rate (NaN without "
                                         "bytes metrics)"),
    "mean_throughput_mbit_s": ("Mbit/s", "mean of that rate"),
}.items())


#: The ``DataFrame.attrs`` keys of plcapacity 0.1's forecast, read (with a DeprecationWarning)
#: from a DataFrame passed where a :class:`Forecast` belongs; until 0.3.0,
#: :func:`forecast_exhaustion` still writes all but ``fits`` (which made :func:`pandas.concat`
#: of two forecasts fail, and was deep-copied with every operation on the table).
LEGACY_ATTRS = ("aggregation", "confidence", "horizon_days", "criterion", "fits")


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Forecast(TableResult):
    """When each PLS and NAT IP reaches each threshold: what :func:`forecast_exhaustion`
    returns.

    The forecast reads like its :attr:`table` (``forecast["status"]``,
    ``forecast[forecast["threshold_percent"] == 100]``; see
    :class:`~plcapacity.base.results.TableResult`), and carries how it was made as plain
    attributes.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per resource, NAT IP and threshold, the columns of :data:`FORECAST_COLUMNS`.
    aggregation : str or None, default None
        The aggregation whose daily peaks were fitted (``maximum`` or ``average`` ...).
    confidence : float or None, default None
        Coverage of the prediction intervals. [-]
    horizon_days : float or None, default None
        How far ahead from the last observed day it looked. [days]
    criterion : str, default ""
        How the trend model was chosen, in a sentence.
    fits : mapping, default {}
        Per ``(resource_id, nat_ip)`` the chosen line, for plotting: ``slope``,
        ``intercept``, ``slopes`` and ``intercepts`` (the slope's interval, lines through the
        medians), ``q_low``, ``q_high`` (residual quantiles), ``log`` (log-linear) and
        ``first_day`` (day 0 of the line).

    Examples
    --------
    >>> import plcapacity as plc
    >>> metrics = plc.read_metrics(plc.data_path("examples/estate/metrics-pls-orders.json"))
    >>> forecast = plc.forecast_exhaustion(metrics, thresholds=(80,))
    >>> forecast.aggregation, forecast.confidence, forecast.horizon_days
    ('maximum', 0.9, 365)
    >>> sorted(forecast.fits)[0][1]                 # (resource_id, nat_ip) of each line
    '10.20.0.10'
    >>> list(forecast["status"].unique())           # the table's columns, as before
    ['forecast']
    """

    table: pd.DataFrame
    aggregation: str | None = None
    confidence: float | None = None
    horizon_days: float | None = None
    criterion: str = ""
    fits: Mapping = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.table, pd.DataFrame):
            raise TypeError(f"Forecast.table is {type(self.table).__name__}, not a pandas "
                            "DataFrame")


def as_forecast(forecast, *, stacklevel=4) -> Forecast:
    """``forecast`` as a :class:`Forecast`: itself, or a DataFrame (whose ``.attrs`` keys of
    :data:`LEGACY_ATTRS`, from plcapacity 0.1, are read with a DeprecationWarning).

    Parameters
    ----------
    forecast : Forecast or pandas.DataFrame
        The result of :func:`forecast_exhaustion`, or a table with its columns.
    stacklevel : int, default 4
        Where the DeprecationWarning points.

    Returns
    -------
    Forecast
        For a bare table: no fitted lines and, unless ``.attrs`` has them, no aggregation,
        confidence, horizon or criterion.

    Examples
    --------
    >>> import pandas as pd
    >>> as_forecast(pd.DataFrame({"pls": ["p"], "resource_id": ["/x/p"]})).fits
    {}
    """
    if isinstance(forecast, Forecast):
        return forecast
    if not isinstance(forecast, pd.DataFrame) or "resource_id" not in forecast.columns:
        raise ValueError("forecast: give the result of plcapacity.forecast_exhaustion")
    attrs = forecast.attrs
    legacy = [key for key in LEGACY_ATTRS if key in attrs]
    if legacy:
        keys = ", ".join(f".attrs[{key!r}]" for key in legacy)
        warn_deprecated(f"a forecast DataFrame with {keys}", since="0.2.0", removal="0.3.0",
                        alternative="the Forecast that plcapacity.forecast_exhaustion returns "
                                    "(its aggregation, confidence, horizon_days, criterion and "
                                    "fits)", stacklevel=stacklevel)
    return Forecast(forecast, attrs.get("aggregation"), attrs.get("confidence"),
                    attrs.get("horizon_days"), attrs.get("criterion", ""),
                    attrs.get("fits", {}))


def _nat_rows(metrics, metric, aggregation):
    if not {"timestamp", "resource_id", "metric", "dimension", "aggregation",
            "value"} <= set(metrics.columns):
        raise ValueError("metrics: give the table of plcapacity.read_metrics (columns timestamp, "
                         "resource_id, metric, dimension, aggregation, value, unit)")
    rows = metrics[metrics["metric"].str.lower() == metric.lower()]
    if rows.empty:
        found = ", ".join(sorted(metrics["metric"].unique())) or "none"
        raise ValueError(f"metrics: no {metric} rows; metrics found: {found}")
    available = set(rows["aggregation"])
    if aggregation is None:
        aggregation = "maximum" if "maximum" in available else (
            "average" if "average" in available else sorted(available)[0])
    elif aggregation not in available:
        raise ValueError(f"aggregation={aggregation!r} is not in the metrics; available: "
                         f"{', '.join(sorted(available))}")
    return rows[rows["aggregation"] == aggregation], aggregation


def daily_peaks(metrics, *, metric=NAT_PORTS_METRIC, aggregation=None) -> pd.DataFrame:
    """The largest value of each UTC day, per resource and dimension.

    Parameters
    ----------
    metrics : Metrics, DailyMetrics or pandas.DataFrame
        The result of :func:`plcapacity.read_metrics` (or of
        :func:`plcapacity.estate.daily.read_daily_metrics`), or its table.
    metric : str, default ``"PLSNatPortsUsage"``
        The Azure Monitor metric (``PLSNatPortsUsage`` is in [%] of the NAT ports).
    aggregation : str, optional
        Default ``maximum`` when present, else ``average``.

    Returns
    -------
    pandas.DataFrame
        ``resource_id``, ``dimension``, ``day`` (UTC midnight; a day of nulls only, no data,
        has no row), ``peak`` [unit of the metric] and ``aggregation`` (the one used, the same on every row), sorted.
        (Deprecated, until 0.3.0: ``.attrs["aggregation"]`` repeats it.)

    Examples
    --------
    >>> import plcapacity as plc
    >>> from plcapacity.estate.forecast import daily_peaks
    >>> metrics = plc.read_metrics(plc.data_path("examples/estate/metrics-pls-orders.json"))
    >>> peaks = daily_peaks(metrics)        # PLSNatPortsUsage [%], per NAT IP and UTC day
    >>> len(peaks), peaks["aggregation"].iloc[0], float(peaks.peak.iloc[0])
    (360, 'maximum', 35.77)
    """
    if isinstance(metrics, DailyMetrics):          # already daily: the peak of the peaks
        rows, aggregation = _nat_rows(metrics.table.rename(columns={"peak": "value"})
                                      .assign(timestamp=metrics.table["day"]), metric,
                                      aggregation)
        day = rows["day"]
    else:
        rows, aggregation = _nat_rows(metrics_frame(metrics), metric, aggregation)
        day = rows["timestamp"].dt.floor("D")
    measured = rows["value"].notna().to_numpy()    # null: no data (Azure's gaps), no peak
    rows, day = rows[measured], day[measured]
    peaks = (rows.assign(day=day).groupby(["resource_id", "dimension", "day"], sort=True)
             ["value"].max().rename("peak").reset_index())
    peaks["aggregation"] = aggregation
    peaks.attrs = {"aggregation": aggregation}  # deprecated (0.2.0, removed in 0.3.0)
    return peaks


def throughput(metrics) -> pd.DataFrame:
    """Throughput per resource from ``PLSBytesIn`` + ``PLSBytesOut`` (``total`` per interval).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``resource_id``: ``peak_throughput_mbit_s`` and ``mean_throughput_mbit_s``
        [Mbit/s], the bytes of each interval x 8 / the interval's length (the median spacing
        of the timestamps). Empty without bytes metrics.
    """
    if isinstance(metrics, DailyMetrics):           # reduced file by file as it was read
        return metrics.throughput
    metrics = metrics_frame(metrics)
    names = [m.lower() for m in BYTES_METRICS]
    rows = metrics[metrics["metric"].str.lower().isin(names)
                   & (metrics["aggregation"] == "total")]
    columns = ["peak_throughput_mbit_s", "mean_throughput_mbit_s"]
    if rows.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="resource_id"))
    per_interval = rows.groupby(["resource_id", "timestamp"])["value"].sum().reset_index()
    resource = per_interval["resource_id"]
    gaps = per_interval.groupby("resource_id")["timestamp"].diff().dt.total_seconds()
    spacing = gaps.groupby(resource).median().fillna(60.0)
    seconds = resource.map(spacing).to_numpy(float)
    rate = per_interval["value"].to_numpy(float) * 8 / np.where(seconds > 0, seconds, 60.0) / 1e6
    grouped = pd.Series(rate, index=resource).groupby(level=0)
    return pd.DataFrame({"peak_throughput_mbit_s": grouped.max(),
                         "mean_throughput_mbit_s": grouped.mean()})


def _holdout_errors(t, y, log_ok):
    """Mean absolute error [%] of each model's predictions of the last HOLDOUT_SHARE days,
    per series (rows of ``t`` and ``y``); NaN for the log-linear model where ``log_ok`` is
    False."""
    n = t.shape[1]
    held = max(2, int(round(HOLDOUT_SHARE * n)))
    train, test = slice(0, n - held), slice(n - held, n)
    slope, intercept, _, _ = theil_sen_rows(y[:, train], t[:, train], None)
    linear = np.mean(np.abs(intercept[:, None] + slope[:, None] * t[:, test] - y[:, test]),
                     axis=1)
    log_linear = np.full(len(t), np.nan)
    if log_ok.any():
        t_ok, y_ok = t[log_ok], y[log_ok]
        slope, intercept, _, _ = theil_sen_rows(np.log(y_ok[:, train]), t_ok[:, train], None)
        log_linear[log_ok] = np.mean(np.abs(np.exp(intercept[:, None] + slope[:, None]
                                                   * t_ok[:, test]) - y_ok[:, test]), axis=1)
    return linear, log_linear


def crossing_days(levels, slopes, intercepts, offset, combine):
    """For each level, the day at which ``intercept + slope * t + offset`` reaches it, over
    the lines ``(slopes[k], intercepts[k])`` combined with ``combine`` (:func:`numpy.min` or
    :func:`numpy.max`); inf for a line that never rises to it.

    One call covers every threshold of a series (arrays of ``len(levels)`` x
    ``len(slopes)``), so the work per threshold is a few array elements.

    Parameters
    ----------
    levels : array_like
        The thresholds, in the model's scale (log for a log-linear fit).
    slopes, intercepts : array_like
        The lines [level per day] and [level].
    offset : float
        Added to every line (a residual quantile).
    combine : callable
        ``numpy.min`` (earliest) or ``numpy.max`` (latest).

    Returns
    -------
    numpy.ndarray
        Days (since the fit's day 0), one per level.

    Examples
    --------
    >>> crossing_days([80, 100], [0.5, 0.25], [40, 40], 0.0, np.min).tolist()
    [80.0, 120.0]
    """
    levels = np.asarray(levels, float)[:, None]
    slopes = np.asarray(slopes, float)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        times = np.where(slopes > 0, (levels - offset - np.asarray(intercepts, float)[None, :])
                         / slopes, np.inf)
    return combine(times, axis=1)


def _fit(t, z, confidence):
    """Theil-Sen lines of each row with their slope interval (lines through the medians),
    the residual quantiles, the equally likely lines and the noise: a dict of arrays whose
    first axis is the series."""
    slope, intercept, low, high = theil_sen_rows(z, t, confidence)
    residuals = z - (intercept[:, None] + slope[:, None] * t)
    q_low, q_high = np.quantile(residuals, [(1 - confidence) / 2, (1 + confidence) / 2], axis=1)
    slopes = np.stack([low, slope, high], axis=1)
    z_median, t_median = np.median(z, axis=1), np.median(t, axis=1)
    return {"slope": slope, "intercept": intercept, "q_low": q_low, "q_high": q_high,
            "slopes": slopes, "intercepts": z_median[:, None] - slopes * t_median[:, None],
            "lines": slope_lines(slope, low, high, confidence, z_median, t_median),
            "noise": noise_models(t, residuals)}


def _log_weights(t, y, linear, log_linear, log_ok):
    """Akaike weight of the log-linear fit per series (0 where it is not made): both have two
    parameters, so ``w_log / w_linear = (RSS_linear / RSS_log) ** (n / 2)`` with each fit's
    squared error on all days, in percent."""
    weight = np.zeros(len(t))
    if not log_ok.any():
        return weight
    t, y = t[log_ok], y[log_ok]
    rss_linear = np.sum((y - (linear["intercept"][log_ok, None]
                              + linear["slope"][log_ok, None] * t)) ** 2, axis=1)
    rss_log = np.sum((y - np.exp(log_linear["intercept"][:, None]
                                 + log_linear["slope"][:, None] * t)) ** 2, axis=1)
    gap = 0.5 * t.shape[1] * (np.log(np.maximum(rss_log, 1e-300))
                              - np.log(np.maximum(rss_linear, 1e-300)))
    weight[log_ok] = 1.0 / (1.0 + np.exp(np.minimum(gap, 700.0)))
    return weight


def _passage(fits, weights, scale, todo, last, end, confidence):
    """(median, earliest, latest) first day a peak reaches each level, per series and level
    where ``todo`` (S, L) holds, after day ``last`` and up to ``end`` (inf beyond): the
    models' first-passage laws averaged with their weights ``{log: (S,)}`` (a model of
    weight below 1e-3 is not run). ``fits[True]`` holds the rows where ``log_ok``; series s is
    its row ``fits["log_row"][s]``."""
    out = np.full((3,) + todo.shape, np.inf)
    days = passage_days(int(last) + 1, int(math.floor(end)))
    rows, columns = np.nonzero(todo)
    if days.size == 0 or rows.size == 0:
        return out
    kept = {m: w[rows] >= 1e-3 for m, w in weights.items()}
    total = np.where(kept[False], weights[False][rows], 0.0) \
        + np.where(kept[True], weights[True][rows], 0.0)
    survival = np.zeros((rows.size, days.size))
    for model in (False, True):
        use = np.flatnonzero(kept[model])
        if not use.size:
            continue
        fit, series = fits[model], rows[use]
        if model:                                   # log fits are made for some rows only
            series = fits["log_row"][series]
        part = passage_survival_rows(scale[model][columns[use]], series, *fit["lines"],
                                     fit["noise"], days)
        survival[use] += weights[model][rows[use], None] / total[use, None] * part
    quantiles = passage_quantiles(survival, days,
                                  [0.5, (1 - confidence) / 2, (1 + confidence) / 2])
    out[:, rows, columns] = quantiles.T
    return out


def first_at_or_above(y, start, levels, stop=None):
    """For each query q, the first index ``start[q] <= i < stop[q]`` with ``y[i] >=
    levels[q]`` (``stop[q]`` when there is none; ``stop`` defaults to ``len(y)``), for all
    queries at once: binary lifting over a sparse table of running maxima (O(n log n)
    memory, O(log n) steps per query). With ``stop``, one array holds many series end to end.

    Examples
    --------
    >>> first_at_or_above(np.array([5.0, 1.0, 7.0, 3.0]), [0, 1, 3, 0], [6, 2, 4, 9]).tolist()
    [2, 2, 4, 4]
    >>> first_at_or_above(np.array([5.0, 1.0, 7.0, 3.0]), [0, 2], [6, 9], [2, 4]).tolist()
    [2, 4]
    """
    y = np.asarray(y, float)
    n = y.size
    position = np.asarray(start, np.int64).copy()
    levels = np.asarray(levels, float)
    stop = np.full(position.shape, n, np.int64) if stop is None else \
        np.asarray(stop, np.int64)
    tables = [y]                                      # tables[k][i] = max(y[i:i + 2**k])
    while (1 << len(tables)) <= n:
        previous, width = tables[-1], 1 << (len(tables) - 1)
        tables.append(np.maximum(previous[:-width], previous[width:]))
    for k in range(len(tables) - 1, -1, -1):
        width = 1 << k
        inside = position + width <= stop
        block = np.where(inside, tables[k][np.clip(position, 0, max(n - width, 0))], np.inf)
        position = np.where(inside & (block < levels), position + width, position)
    return position


def _observed(y, thresholds, current):
    """What the data themselves say per series (rows of ``y``) and threshold: (reached now,
    crossing index, above since the first day), each (S, L). The crossing is the first day a
    peak reached the threshold after a day below it; a series at or above it from its first
    day on has none."""
    count, n = y.shape
    levels = np.broadcast_to(thresholds, (count, len(thresholds)))
    reached = current[:, None] >= levels
    flat = y.ravel()
    offsets = (np.arange(count) * n)[:, None]
    ends = np.broadcast_to(offsets + n, levels.shape).ravel()   # each query's series' end
    # the first y < threshold is the first -y >= the next float above -threshold
    below = first_at_or_above(-flat, np.broadcast_to(offsets, levels.shape).ravel(),
                              np.nextafter(-levels, np.inf).ravel(), ends)
    crossing = first_at_or_above(flat, below, levels.ravel(), ends).reshape(levels.shape) \
        - offsets
    above_from_start = reached & (crossing >= n)
    return reached, np.minimum(crossing, n - 1), above_from_start


def _forecast_rows(t, y, thresholds, levels, horizon_days, confidence):
    """Fit series of daily peaks of the same number of days and the same last day (rows of
    ``t``, days since each series' first day, and ``y``) against every threshold at once:
    (the series' columns, the thresholds' columns, each (S, L), and the chosen fits, a list
    with None for series too short to fit)."""
    count, n = y.shape
    last = float(t[0, -1])
    current = np.max(np.where(t > last - CURRENT_WINDOW_DAYS, y, -np.inf), axis=1)
    series = {"current_percent": current, "peak_percent": y.max(axis=1),
              "days_observed": np.full(count, n)}
    for name in ("trend_percent", "slope_percent_per_day", "doubling_days",
                 "holdout_error_linear", "holdout_error_log_linear"):
        series[name] = np.full(count, np.nan)
    series["model"] = np.full(count, np.nan, dtype=object)
    series["interval_spans_both_models"] = np.full(count, np.nan, dtype=object)
    reached, crossing, above = _observed(y, thresholds, current)
    seen = np.where(above, t[:, :1], np.where(reached, np.take_along_axis(t, crossing, axis=1),
                                              np.nan))
    seen_status = np.where(above, STATUS_ABOVE, STATUS_CROSSED)
    nothing = np.full(reached.shape, np.nan)
    if n < MIN_DAYS:
        status = np.where(reached, seen_status, STATUS_TOO_FEW).astype(object)
        return series, {"status": status, "crossing_t": seen, "earliest_t": nothing,
                        "latest_t": nothing}, [None] * count
    log_ok = np.all(y > 0, axis=1)
    error_linear, error_log = _holdout_errors(t, y, log_ok)
    use_log = log_ok & (error_log < error_linear)
    fits = {False: _fit(t, y, confidence), "log_row": np.cumsum(log_ok) - 1}
    fits[True] = _fit(t[log_ok], np.log(y[log_ok]), confidence) if log_ok.any() else None

    def chosen(key):  # the chosen model's value per series
        value = fits[False][key].copy()
        if fits[True] is not None:
            value[use_log] = fits[True][key][fits["log_row"][use_log]]
        return value
    slope, intercept, q_low = chosen("slope"), chosen("intercept"), chosen("q_low")
    fitted_last = intercept + slope * last
    with np.errstate(over="ignore", divide="ignore"):
        trend_exp = np.exp(np.where(use_log, fitted_last, 0.0))
        series.update(
            model=np.where(use_log, "log-linear", "linear").astype(object),
            slope_percent_per_day=np.where(use_log, slope * trend_exp, slope),
            trend_percent=np.where(use_log, trend_exp, fitted_last),
            doubling_days=np.where(use_log & (slope > 0), math.log(2) / np.where(
                slope > 0, slope, 1.0), np.nan),
            holdout_error_linear=error_linear, holdout_error_log_linear=error_log)
    scale = {False: np.asarray(thresholds, float), True: np.asarray(levels, float)}
    level_rows = np.where(use_log[:, None], scale[True][None, :], scale[False][None, :])
    # the trend line's own day at each level (as crossing_days with the one fitted line)
    with np.errstate(divide="ignore", invalid="ignore"):
        trend_point = np.where(slope[:, None] > 0,
                               (level_rows - intercept[:, None]) / slope[:, None], np.inf)
    # The trend cannot give a date when it is already at the threshold while the last days'
    # peaks are below it, or when even the highest of those peaks is below the trend's band
    # (the level fell: a scale-out, a consumer gone).
    with np.errstate(divide="ignore"):
        level_now = np.where(use_log, np.log(np.where(use_log, current, 1.0)), current)
    fell = level_now < fitted_last + q_low
    unprojected = ~reached & ((trend_point <= last) | fell[:, None])
    # Otherwise the dates are those of the first day a peak reaches the threshold (after the
    # last observed day, whose peak was below it): the median and the interval's quantiles.
    end = last + horizon_days
    w_log = _log_weights(t, y, fits[False], fits[True], log_ok)
    series["interval_spans_both_models"] = np.where(
        log_ok, np.minimum(w_log, 1.0 - w_log) >= MINOR_WEIGHT, False).astype(object)
    todo = ~reached & ~unprojected   # the others' dates come from the data (or none)
    point, earliest, latest = _passage(fits, {False: 1.0 - w_log, True: w_log}, scale, todo,
                                       last, end, confidence)
    ahead = point <= end
    projected = ~reached & ~unprojected
    status = np.where(reached, seen_status, np.where(
        unprojected, STATUS_NOT_PROJECTED,
        np.where(ahead, STATUS_FORECAST, STATUS_BEYOND))).astype(object)
    columns = {"status": status,
               "crossing_t": np.where(reached, seen, np.where(projected & ahead, point, np.nan)),
               "earliest_t": np.where(projected & (earliest <= end), earliest, np.nan),
               "latest_t": np.where(projected & (latest <= end), latest, np.nan)}
    shown = [chosen(key) for key in ("slope", "intercept", "q_low", "q_high", "slopes",
                                     "intercepts")]
    plotted = [{"slope": float(a), "intercept": float(b), "q_low": float(c), "q_high": float(d),
                "slopes": e, "intercepts": f, "log": bool(g)}
               for a, b, c, d, e, f, g in zip(*shown, use_log)]       # for plots
    return series, columns, plotted


def _series_bounds(peaks):
    """(starts, stops): row positions of each (resource_id, dimension) in the sorted peaks."""
    resource = peaks["resource_id"].to_numpy(object)
    dimension = peaks["dimension"].to_numpy(object)
    if not len(resource):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    change = (resource[1:] != resource[:-1]) | (dimension[1:] != dimension[:-1])
    starts = np.concatenate([[0], np.flatnonzero(change) + 1])
    stops = np.concatenate([starts[1:], [len(resource)]])
    return starts, stops


def _fit_blocks(keys):
    """(days, series) of each block of series fitted together: series of one (days, last
    day) key, at most :data:`FIT_BLOCK_POINTS` daily peaks a block."""
    groups, group_of = np.unique(keys, axis=0, return_inverse=True)
    for g, (n, _) in enumerate(groups.tolist()):
        members = np.flatnonzero(group_of.ravel() == g)
        rows = max(1, FIT_BLOCK_POINTS // n)
        for start in range(0, members.size, rows):
            yield n, members[start:start + rows]


def forecast_exhaustion(metrics, thresholds=(80, 100), horizon_days=365, *,
                        confidence=0.9, aggregation=None) -> Forecast:
    """When each PLS and NAT IP reaches each ``PLSNatPortsUsage`` threshold.

    Parameters
    ----------
    metrics : Metrics, DailyMetrics or pandas.DataFrame
        The result of :func:`plcapacity.read_metrics` (or of
        :func:`plcapacity.estate.daily.read_daily_metrics`), or its table (with
        ``PLSNatPortsUsage``; with ``PLSBytesIn`` / ``PLSBytesOut`` totals, throughput is
        shown too).
    thresholds : sequence of float, default (80, 100)
        Usage levels to forecast. [%] (0 < threshold <= 100)
    horizon_days : float, default 365
        How far ahead to look from the last observed day. [days]
    confidence : float, default 0.9
        Coverage of the prediction interval of the crossing date. [-] (0 to 1)
    aggregation : str, optional
        Which aggregation's daily peaks to fit (default ``maximum`` when present, else
        ``average``).

    Returns
    -------
    Forecast
        It reads like its ``table`` (the DataFrame this function returned before 0.2.0): one
        row per resource, NAT IP and threshold, with the columns of :data:`FORECAST_COLUMNS`
        (dates are UTC days). Beside it: ``aggregation``, ``criterion`` (how the model was
        chosen), ``confidence``, ``horizon_days`` and ``fits``, per (resource_id, nat_ip) the
        chosen line, for plotting. (Deprecated, until 0.3.0: the table's ``.attrs`` repeat
        all but ``fits``.)

    Raises
    ------
    ValueError
        For metrics without ``PLSNatPortsUsage``, a value that cannot be what its metric
        measures (:func:`plcapacity.estate.metrics.out_of_range`: a usage outside 0 to 100 %,
        a time outside the years metrics can have ...), or a threshold, horizon (at most
        :data:`MAX_HORIZON_DAYS`) or confidence out of range.

    Notes
    -----
    See the module documentation for the method and the statuses. A flat or falling trend
    never reaches a threshold above the data (``not within the horizon``). With fewer than
    :data:`MIN_DAYS` days of data a series is only checked for ``crossed`` and ``above since
    the first day``. The forecast extrapolates a trend: step changes (a new consumer, a
    scale-out) are not foreseen; a step down that leaves the last days below the trend's band
    is reported as ``not projected`` rather than dated.

    Examples
    --------
    >>> import plcapacity as plc
    >>> metrics = plc.read_metrics(plc.data_path("examples/estate/metrics-pls-orders.json"))
    >>> forecast = plc.forecast_exhaustion(metrics, thresholds=(80,))   # [% of NAT ports]
    >>> forecast[["nat_ip", "status", "crossing_date"]].head(2)
           nat_ip    status             crossing_date
    0  10.20.0.10  forecast 2027-02-09 00:00:00+00:00
    1  10.20.0.11  forecast 2027-02-01 00:00:00+00:00
    """
    thresholds = [float(v) for v in np.atleast_1d(thresholds)]
    bad = [v for v in thresholds if not 0 < v <= 100]
    if not thresholds or bad:
        shown = (f"thresholds={thresholds}" if len(thresholds) <= 8 else
                 f"thresholds ({len(thresholds)} values, among them {bad[0]:g})")
        raise ValueError(f"{shown} is not allowed: percentages above 0 and at most 100")
    thresholds = sorted(set(thresholds))
    try:
        horizon = float(horizon_days)
    except (TypeError, ValueError):
        horizon = math.nan
    if not (math.isfinite(horizon) and 0 < horizon <= MAX_HORIZON_DAYS):
        raise ValueError(f"horizon_days={horizon_days!r} is not allowed: a positive number of "
                         f"days, at most {MAX_HORIZON_DAYS:,} (a century)")
    if not (0 < confidence < 1):
        raise ValueError(f"confidence={confidence!r} is not allowed: a number between 0 and 1")
    if not isinstance(metrics, DailyMetrics):       # (daily metrics were checked as read)
        metrics = metrics_frame(metrics)
        _nat_rows(metrics, NAT_PORTS_METRIC, aggregation)   # the columns, metric, aggregation
        check_metric_values(metrics)
    peaks = daily_peaks(metrics, aggregation=aggregation)
    used = str(peaks["aggregation"].iloc[0])
    thresholds = np.array(thresholds, dtype=float)
    levels = np.array([math.log(v) for v in thresholds])
    day = pd.Timedelta(days=1)
    days = peaks["day"]
    day_number = ((days - days.iloc[0]) // day).to_numpy(np.int64) if len(days) else \
        np.empty(0, np.int64)
    values = peaks["peak"].to_numpy(float)
    resources = peaks["resource_id"].to_numpy(object)
    dimensions = peaks["dimension"].to_numpy(object)
    starts, stops = _series_bounds(peaks)
    lengths = stops - starts
    lasts_t = day_number[stops - 1] - day_number[starts] if len(starts) else starts
    series_columns, threshold_columns, chosen_fits = {}, {}, [None] * len(starts)
    # Series of one length and last day are fitted together, as the rows of arrays: the
    # groups are few (most series of an export span the same days), the series many.
    group_keys = np.stack([lengths, lasts_t], axis=1) if len(starts) else np.empty((0, 2))
    for n, members in _fit_blocks(group_keys):
        where = starts[members][:, None] + np.arange(n)[None, :]
        t = (day_number[where] - day_number[starts[members]][:, None]).astype(float)
        found, columns, fitted = _forecast_rows(t, values[where], thresholds, levels,
                                                horizon_days, confidence)
        for name, value in found.items():   # (every block gives a column one dtype)
            series_columns.setdefault(name, np.empty(len(starts), dtype=value.dtype))
            series_columns[name][members] = value
        for name, value in columns.items():
            threshold_columns.setdefault(name, np.empty((len(starts), len(thresholds)),
                                                        dtype=value.dtype))
            threshold_columns[name][members] = value
        for member, fit in zip(members.tolist(), fitted):
            chosen_fits[member] = fit
    firsts, lasts = days.iloc[starts], days.iloc[stops - 1]
    fits = {(resource, dimension): dict(fit, first_day=first)
            for resource, dimension, first, fit in zip(resources[starts], dimensions[starts],
                                                       firsts, chosen_fits) if fit is not None}
    count = len(thresholds)
    table = pd.DataFrame(series_columns).infer_objects()
    table["resource_id"], table["nat_ip"] = resources[starts], dimensions[starts]
    table = table.loc[np.repeat(np.arange(len(starts)), count)].reset_index(drop=True) \
        if len(starts) else pd.DataFrame()
    table["threshold_percent"] = np.tile(thresholds, len(starts))
    for name in ("status", "crossing_t", "earliest_t", "latest_t"):
        table[name] = threshold_columns[name].ravel() if len(starts) else np.empty(0)
    table["first_day"] = firsts.repeat(count).to_numpy()
    table["last_day"] = lasts.repeat(count).to_numpy()
    for target, source in (("crossing_date", "crossing_t"), ("crossing_earliest", "earliest_t"),
                           ("crossing_latest", "latest_t")):
        offset = pd.to_timedelta(table[source].to_numpy(float), unit="D")
        table[target] = (table["first_day"] + offset).dt.floor("D")
    last_t = (table["last_day"] - table["first_day"]) / day
    table["days_to_threshold"] = np.where(table["status"] == STATUS_FORECAST,
                                          table["crossing_t"] - last_t, np.nan)
    table["pls"] = table["resource_id"].str.rstrip("/").str.split("/").str[-1]
    rates = throughput(metrics)
    key = table["resource_id"]
    for column in ("peak_throughput_mbit_s", "mean_throughput_mbit_s"):
        table[column] = key.map(rates[column]).astype(float) if len(rates) else np.nan
    for column in FORECAST_COLUMNS:
        if column not in table:
            table[column] = np.nan
    table = table[list(FORECAST_COLUMNS)].reset_index(drop=True)
    criterion = (f"Theil-Sen fits on daily peaks, linear and log-linear; the trend shown is the "
                 f"one with the smaller mean absolute error on the last {HOLDOUT_SHARE:.0%} of "
                 f"the days (fitted on the first {1 - HOLDOUT_SHARE:.0%}); the dates are the "
                 f"first day a peak reaches the threshold (median and {confidence:.0%} "
                 "interval), both models weighed by their Akaike weights")
    # Deprecated (0.2.0, removed in 0.3.0): 0.1's small .attrs keys, for readers not yet on
    # the Forecast's attributes; the fits are no longer there.
    table.attrs = dict(aggregation=used, confidence=confidence, horizon_days=horizon_days,
                       criterion=criterion)
    return Forecast(table, used, confidence, horizon_days, criterion, fits)
