"""What the estate review needs from Azure Monitor metrics, read file by file in bounded
memory: daily peaks per resource, metric, dimension (the NAT IP) and aggregation, and the
throughput of each PLS. The raw points of the whole estate are never held at once.

:func:`read_daily_metrics` reads the exports :func:`plcapacity.read_metrics` reads, with its
checks and its error messages, and reduces each file as soon as it is read:

- ``az monitor metrics list -o json`` output in its documented shape (the REST response of
  ``Metrics_List``, keys as documented, timestamps ``YYYY-MM-DDThh:mm:ssZ``) is decoded into
  typed columns by :mod:`msgspec` (no dict per point) and checked with array operations;
- any other file, and any file the typed reading finds something unusual in (a key in
  another case, a number written as text, a value out of range ...), is read by
  :func:`plcapacity.estate.metrics.read_metrics_file`: the same values, or its one-line error
  naming the file and the place in it.

Files are read in this process, on this machine's cores or on a Dask cluster
(:mod:`plcapacity.base.execution`, as ``plcapacity batch`` does), a few files per task; each
task returns its files' daily peaks and throughput, and the results are combined in file
order, so the outcome is the same wherever the files were read. A Dask cluster's workers read
the files themselves: they must see them at the same path (a ``LocalCluster`` shares this
machine; a remote cluster needs storage shared with it).

References
----------
.. [1] Metrics - List (REST), https://learn.microsoft.com/rest/api/monitor/metrics/list
.. [2] msgspec, https://jcristharif.com/msgspec/
"""

from __future__ import annotations

import dataclasses
import operator
import os
import stat
import warnings
from concurrent.futures import FIRST_COMPLETED, wait

import numpy as np
import pandas as pd

from plcapacity.base.exceptions import ModelWarning, UnusualExport
from plcapacity.base.results import TableResult
from plcapacity.base.schema import Column, Schema
from plcapacity.estate.exports import MAX_EXPORT_BYTES
from plcapacity.estate.metrics import (
    BYTES_METRICS,
    MAX_BYTES_PER_INTERVAL,
    METRIC_TIME_RANGE,
    METRICS_SEGMENT,
    NAT_PORTS_METRIC,
    PERCENT_AGGREGATIONS,
    flattened_note,
    read_metrics_file,
)

__all__ = ["DailyMetrics", "read_daily_metrics", "DAILY_COLUMNS", "THROUGHPUT_COLUMNS",
           "interval_rates", "parse_utc_stamps", "TASK_BYTES", "PARALLEL_MIN_BYTES"]

#: Columns of :attr:`DailyMetrics.table`: a :class:`~plcapacity.base.schema.Schema`.
DAILY_COLUMNS = Schema(Column.output(name, unit, meaning) for name, (unit, meaning) in {
    "resource_id": ("-", "the resource the metric belongs to"),
    "metric": ("-", "metric name, e.g. PLSNatPortsUsage"),
    "dimension": ("-", "the dimension value(s), e.g. the NAT IP address; '' when none"),
    "aggregation": ("-", "average, minimum, maximum, total or count"),
    "day": ("UTC", "the UTC day (midnight)"),
    "peak": ("unit", "the largest value of the day, in the metric's unit"),
}.items())
#: Columns of :attr:`DailyMetrics.throughput` (indexed by ``resource_id``).
THROUGHPUT_COLUMNS = ("peak_throughput_mbit_s", "mean_throughput_mbit_s")
#: Most bytes of exports read by one task (files are never split). [bytes]
TASK_BYTES = 48 * 1024 * 1024
#: Below this many bytes of exports in all, the files are read in this process whatever the
#: number of workers (starting worker processes would cost more than it saves). [bytes]
PARALLEL_MIN_BYTES = 64 * 1024 * 1024

_DAY_NS = 86_400 * 10**9
_AGGREGATIONS = ("average", "minimum", "maximum", "total", "count")
_GETTERS = [(name, operator.attrgetter(name)) for name in _AGGREGATIONS]
_STAMP = operator.attrgetter("timeStamp")
_NAT = NAT_PORTS_METRIC.lower()
_BYTES = tuple(m.lower() for m in BYTES_METRICS)
_EARLY_NS = METRIC_TIME_RANGE[0].value
_LATE_NS = METRIC_TIME_RANGE[1].value


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class DailyMetrics(TableResult):
    """Azure Monitor metrics reduced to what the estate review needs: what
    :func:`read_daily_metrics` returns.

    It reads like its :attr:`table` (see :class:`~plcapacity.base.results.TableResult`) and
    goes wherever :func:`plcapacity.forecast_exhaustion`, :func:`plcapacity.estate_review`,
    :func:`plcapacity.estate.review.unmatched_metrics` and
    :func:`plcapacity.plotting.nat_port_forecast` take metrics, with the same results as the
    full :class:`~plcapacity.estate.metrics.Metrics` of the same files.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per resource, metric, dimension, aggregation and UTC day: the columns of
        :data:`DAILY_COLUMNS`, sorted by them.
    throughput : pandas.DataFrame
        Indexed by ``resource_id``: ``peak_throughput_mbit_s`` and ``mean_throughput_mbit_s``
        [Mbit/s] from ``PLSBytesIn`` + ``PLSBytesOut`` (``total`` per interval; see
        :func:`interval_rates`). Empty without bytes metrics.
    notes : tuple of str, default ()
        Where the export lost detail (the per-NAT-IP breakdown), one sentence each.
    flattened : tuple of str, default ()
        The resources whose ``PLSNatPortsUsage`` has no NAT IP dimension.
    files : int, default 0
        Exports read. [-]
    points : int, default 0
        Values read (a point with two aggregations counts twice). [-]

    Examples
    --------
    >>> import plcapacity as plc
    >>> folder = plc.data_path("examples/estate")
    >>> daily = plc.read_daily_metrics(*sorted(folder.glob("metrics-*.json")), progress=False)
    >>> daily.files, daily.points, daily.notes
    (4, 36720, ())
    >>> daily[daily["metric"] == "PLSNatPortsUsage"].groupby("dimension")["peak"].max().head(2)
    dimension
    10.20.0.10    58.36
    10.20.0.11    61.15
    Name: peak, dtype: float64
    """

    table: pd.DataFrame
    throughput: pd.DataFrame = dataclasses.field(
        default_factory=lambda: _empty_throughput())
    notes: tuple = ()
    flattened: tuple = ()
    files: int = 0
    points: int = 0

    def __post_init__(self):
        if not isinstance(self.table, pd.DataFrame):
            raise TypeError(f"DailyMetrics.table is {type(self.table).__name__}, not a pandas "
                            "DataFrame")


def _empty_throughput():
    return pd.DataFrame({c: pd.Series(dtype=float) for c in THROUGHPUT_COLUMNS},
                        index=pd.Index([], name="resource_id"))


def interval_rates(timestamps_ns, totals):
    """Peak and mean throughput [Mbit/s] of one resource from the bytes of each interval.

    The rate of an interval is its bytes x 8 / the interval's length / 10^6, the length being
    the median spacing of the timestamps (60 s when there is only one).

    Parameters
    ----------
    timestamps_ns : numpy.ndarray of int64
        Start of each interval (sorted, distinct). [ns since the epoch, UTC]
    totals : numpy.ndarray of float
        Bytes in the interval (``PLSBytesIn`` + ``PLSBytesOut``). [bytes]

    Returns
    -------
    tuple of float
        (peak, mean) [Mbit/s].

    Examples
    --------
    >>> import numpy as np
    >>> ns = np.array([0, 300, 600]) * 10**9                  # 5-minute intervals
    >>> interval_rates(ns, np.array([3.75e8, 7.5e8, 1.125e9]))  # 10, 20, 30 Mbit/s
    (30.0, 20.0)
    """
    gaps = np.diff(timestamps_ns) / 1e9
    spacing = float(np.median(gaps)) if gaps.size else 60.0
    rate = totals * 8 / (spacing if spacing > 0 else 60.0) / 1e6
    return float(rate.max()), float(rate.mean())


# -- the typed reading of az monitor metrics list output ------------------------------------

_DECODERS: dict = {}
#: The aggregations of the last file read: the next one is tried with the same (the files of
#: one export share them). Only the speed depends on it, never the result.
_LAST = {"aggregations": None}


def _decoder(aggregations):
    """The msgspec decoder of a REST response or a list of them whose points carry only
    ``aggregations`` (built once per process and set). Points, time series and dimensions
    refuse keys they do not name (a point with another aggregation, or a key in another case,
    fails); metrics and responses ignore the keys not needed."""
    if aggregations not in _DECODERS:
        import msgspec

        def struct(name, fields, strict):
            return msgspec.defstruct(name, fields, forbid_unknown_fields=strict, gc=False)
        number = float | None
        point = struct("Point", [("timeStamp", str)] + [(a, number, None)
                                                       for a in aggregations], True)
        name = struct("Name", [("value", str)], False)
        dimension = struct("Dimension", [("name", name), ("value", str)], True)
        series = struct("Series", [("data", list[point]),
                                   ("metadatavalues", list[dimension] | None, None)], True)
        metric = struct("Metric", [("id", str), ("name", name), ("timeseries", list[series]),
                                   ("unit", str | None, None)], False)
        response = struct("Response", [("value", list[metric])], False)
        _DECODERS[aggregations] = (msgspec.json.Decoder(response | list[response]),
                                   (msgspec.DecodeError, msgspec.ValidationError))
    return _DECODERS[aggregations]


def _aggregations_in(raw) -> tuple:
    """The aggregations whose key is in the file's text (all of them when a backslash could
    hide a key behind an escape)."""
    if b"\\" in raw:
        return _AGGREGATIONS
    return tuple(a for a in _AGGREGATIONS if f'"{a}"'.encode() in raw)


_DIGITS = np.array([0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18])
_SEPARATORS = {4: "-", 7: "-", 10: "T", 13: ":", 16: ":", 19: "Z"}
_CUMULATIVE_DAYS = np.array([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334])


def parse_utc_stamps(stamps) -> np.ndarray:
    """``YYYY-MM-DDThh:mm:ssZ`` texts (Azure Monitor's form) as int64 nanoseconds since the
    epoch (UTC), all at once, with every field checked (the day of the month against the
    month and leap years).

    Raises
    ------
    UnusualExport
        For any other form, or a date or time that does not exist (the general reader
        parses other forms, or names the wrong one).

    Examples
    --------
    >>> parse_utc_stamps(["1970-01-02T00:00:01Z", "2024-02-29T12:00:00Z"]).tolist()
    [86401000000000, 1709208000000000000]
    """
    text = np.array(stamps)
    if text.dtype != np.dtype("<U20"):
        raise UnusualExport
    codes = text.view(np.uint32).reshape(-1, 20)
    for position, char in _SEPARATORS.items():
        if not (codes[:, position] == ord(char)).all():
            raise UnusualExport
    digits = codes[:, _DIGITS].astype(np.int64) - ord("0")
    if ((digits < 0) | (digits > 9)).any():
        raise UnusualExport
    year = digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]
    month = digits[:, 4] * 10 + digits[:, 5]
    day = digits[:, 6] * 10 + digits[:, 7]
    hour, minute, second = (digits[:, k] * 10 + digits[:, k + 1] for k in (8, 10, 12))
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    month_index = np.clip(month - 1, 0, 11)
    length = np.diff(np.append(_CUMULATIVE_DAYS, 365))[month_index] + (leap & (month == 2))
    if not (month_ok & (day >= 1) & (day <= length) & (hour < 24) & (minute < 60)
            & (second < 60)).all():
        raise UnusualExport
    before = year - 1
    days = (365 * (year - 1970) + before // 4 - before // 100 + before // 400
            - (1969 // 4 - 1969 // 100 + 1969 // 400)
            + _CUMULATIVE_DAYS[month_index] + (leap & (month > 2)) + day - 1)
    return (((days * 24 + hour) * 60 + minute) * 60 + second) * 10**9


def _typed_series(path):
    """The series of one ``az monitor metrics list`` export by the typed reading: a list of
    (resource, metric, dimension, aggregation, timestamps [ns], values) with nulls dropped;
    UnusualExport when the general reader must take the file."""
    try:
        info = os.stat(path)
    except OSError:
        raise UnusualExport from None
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_EXPORT_BYTES or \
            str(path).lower().endswith((".csv", ".tsv")):
        raise UnusualExport
    from plcapacity.base.tables import read_bytes_limited
    try:
        raw = read_bytes_limited(path, max_bytes=MAX_EXPORT_BYTES, what="file")
    except Exception:  # noqa: BLE001 (the general reader says what is wrong)
        raise UnusualExport from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    aggregations = _LAST["aggregations"] or _aggregations_in(raw)
    decoder, errors = _decoder(aggregations)
    try:
        document = decoder.decode(raw)
    except errors:
        found = _aggregations_in(raw)
        if found == aggregations:
            raise UnusualExport from None
        decoder, errors = _decoder(found)
        try:
            document = decoder.decode(raw)
        except errors:
            raise UnusualExport from None
        aggregations = found
    _LAST["aggregations"] = aggregations
    getters = [(name, getter) for name, getter in _GETTERS if name in aggregations]
    responses = document if isinstance(document, list) else [document]
    if not responses:
        raise UnusualExport
    found = []
    previous = parsed = None
    for response in responses:
        for metric in response.value:
            name = metric.name.value
            if not metric.id or not name:
                raise UnusualExport
            cut = metric.id.lower().find(METRICS_SEGMENT)
            resource = metric.id[:cut] if cut >= 0 else metric.id
            lowered = name.lower()
            for series in metric.timeseries:
                points = series.data
                if not points:
                    continue
                dims = [(d.name.value, d.value) for d in series.metadatavalues or ()]
                dimension = ("" if not dims else dims[0][1] if len(dims) == 1
                             else ", ".join(f"{k}={v}" for k, v in dims))
                stamps = list(map(_STAMP, points))
                if stamps != previous:
                    parsed, previous = parse_utc_stamps(stamps), stamps
                for aggregation, getter in getters:
                    values = list(map(getter, points))
                    if values.count(None) == len(values):
                        continue                        # not exported (the usual case)
                    values = np.array(values, dtype=float)
                    kept = ~np.isnan(values)
                    if not kept.any():
                        continue
                    ns = parsed if kept.all() else parsed[kept]
                    values = values if kept.all() else values[kept]
                    _check(ns, values, lowered, aggregation)
                    found.append((resource, name, dimension, aggregation, ns, values))
    return found


def _check(ns, values, lowered, aggregation):
    """UnusualExport for a value :func:`~plcapacity.estate.metrics.out_of_range` refuses (the
    general reader then names it)."""
    if (ns.min() < _EARLY_NS) or (ns.max() >= _LATE_NS) or not np.isfinite(values).all():
        raise UnusualExport
    if lowered == _NAT and aggregation in PERCENT_AGGREGATIONS:
        if values.min() < 0 or values.max() > 100:
            raise UnusualExport
    elif lowered in _BYTES and (values.min() < 0 or values.max() > MAX_BYTES_PER_INTERVAL):
        raise UnusualExport


def _general_series(path):
    """The series of any export, by :func:`read_metrics_file` (its checks and errors)."""
    frames = [frame for frame in read_metrics_file(path) if len(frame)]
    if not frames:
        return []
    frame = pd.concat(frames, ignore_index=True)
    keys = ["resource_id", "metric", "dimension", "aggregation"]
    ns = frame["timestamp"].dt.tz_convert("UTC").dt.tz_localize(None) \
        .to_numpy("datetime64[ns]").view(np.int64)
    values = frame["value"].to_numpy(float)
    found = []
    for key, rows in frame.groupby(keys, sort=False).indices.items():
        found.append((*(str(k) for k in key), ns[rows], values[rows]))
    return found


# -- reducing a file ------------------------------------------------------------------------

@dataclasses.dataclass
class _Partial:
    """What the files of one task come to: their series' daily peaks, the throughput of
    their resources and, for the resources asked for, the bytes of every interval."""

    keys: list            # (resource, metric, dimension, aggregation) per series
    series: np.ndarray    # index into keys, per daily peak
    day: np.ndarray       # UTC day [days since the epoch], per daily peak
    peak: np.ndarray
    rates: dict           # resource -> (peak, mean) [Mbit/s]
    intervals: dict       # resource -> (timestamps [ns], bytes), only for `keep`
    files: int = 0
    points: int = 0


def _reduce(found, keep=frozenset()):
    """Daily peaks of every series and the throughput per resource, of one file."""
    keys = [item[:4] for item in found]
    lengths = np.array([item[4].size for item in found], dtype=np.int64)
    if not found:
        return _Partial([], np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), {}, {})
    ns = np.concatenate([item[4] for item in found])
    values = np.concatenate([item[5] for item in found])
    series = np.repeat(np.arange(len(found), dtype=np.int64), lengths)
    day = ns // _DAY_NS
    span = int(day.max() - day.min()) + 1
    key = series * span + (day - day.min())
    if key.size > 1 and (np.diff(key) < 0).any():
        order = np.argsort(key, kind="stable")
        key, values = key[order], values[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    peak = np.maximum.reduceat(values, starts)
    group = key[starts]
    partial = _Partial(keys, group // span, group % span + day.min(), peak, {}, {},
                       points=int(values.size))
    by_resource: dict[str, list] = {}
    for item in found:
        if item[1].lower() in _BYTES and item[3] == "total":
            by_resource.setdefault(item[0], []).append(item)
    for resource, items in by_resource.items():
        stamps = np.concatenate([item[4] for item in items])
        totals = np.concatenate([item[5] for item in items])
        unique, inverse = np.unique(stamps, return_inverse=True)
        sums = np.bincount(inverse, weights=totals, minlength=unique.size)
        partial.rates[resource] = interval_rates(unique, sums)
        if resource in keep:
            partial.intervals[resource] = (stamps, totals)
    return partial


def _read_files(paths, keep=frozenset()):
    """A task: the files' partial results, one per file (in order)."""
    results = []
    for path in paths:
        try:
            found = _typed_series(path)
        except UnusualExport:
            found = _general_series(path)
        partial = _reduce(found, keep)
        partial.files = 1
        results.append(partial)
    return results


# -- the estate -----------------------------------------------------------------------------

def _tasks(paths, sizes, per_task_bytes, single):
    if single:
        return [[path] for path in paths]
    tasks, current, size = [], [], 0
    for path, bytes_ in zip(paths, sizes):
        if current and size + bytes_ > per_task_bytes:
            tasks.append(current)
            current, size = [], 0
        current.append(path)
        size += bytes_
    if current:
        tasks.append(current)
    return tasks


def _run(tasks, keep, scheduler, workers, bar):
    """Every task's partials, in task order, from wherever they ran; the first failing
    task's error (in task order) is raised."""
    from plcapacity.base.execution import executor_for, stop, tasks_in_flight
    executor = executor_for(scheduler, workers, len(tasks))  # one-line errors of its own
    window = tasks_in_flight(scheduler, workers)
    results, errors, running = {}, {}, {}
    points = [0]
    queue = iter(enumerate(tasks))

    def fill():
        for index, task in queue:
            running[executor.submit(_read_files, task, keep)] = index
            if len(running) >= window:
                return
    try:
        fill()
        while running:
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in finished:
                index = running.pop(future)
                error = future.exception()
                if error is not None:
                    errors[index] = error
                    continue
                results[index] = future.result()
                if bar is not None:
                    points[0] += sum(p.points for p in results[index])
                    bar.set_postfix(points=f"{points[0]:,}", refresh=False)
                    bar.update(len(results[index]))
            if errors:
                for future in running:
                    future.cancel()
                running.clear()
                break
            fill()
    except BaseException:
        stop(executor)
        raise
    executor.shutdown(wait=True)
    if errors:
        raise errors[min(errors)]
    return [partial for index in range(len(tasks)) for partial in results[index]]


def read_daily_metrics(*paths, scheduler=None, workers=None, progress=None) -> DailyMetrics:
    """Azure Monitor metrics reduced, file by file, to daily peaks and throughput.

    The same exports, checks and errors as :func:`plcapacity.read_metrics`, but the points
    are reduced as each file is read (see the module documentation): memory grows with the
    number of series and days, not with the points, and the files can be read on several
    cores or a Dask cluster.

    Parameters
    ----------
    *paths : str or path-like
        Metrics exports (``az monitor metrics list -o json`` output, or Log Analytics
        ``AzureMetrics`` / ``AzureMetricsV2`` rows as ``.csv`` or ``.json``).
    scheduler : str or distributed.Client, optional
        A Dask scheduler address (``tcp://host:8786``) or client: the files are read by its
        workers, which must see them at the same paths. Default: this machine.
    workers : int, optional
        Local processes reading files (default: the machine's cores; estates under
        :data:`PARALLEL_MIN_BYTES` are read in this process).
    progress : bool, optional
        A progress bar (files read, values, time left): None shows it on a terminal for
        more than a few files, never in files or logs.

    Returns
    -------
    DailyMetrics
        Daily peaks per resource, metric, dimension and aggregation, throughput per
        resource, the notes and flattened resources of :func:`plcapacity.read_metrics`, and
        how many files and values were read. The same whatever the scheduler or workers.

    Warns
    -----
    ModelWarning
        As :func:`plcapacity.read_metrics`: ``PLSNatPortsUsage`` without its NAT IP
        dimension.

    Raises
    ------
    ValueError
        As :func:`plcapacity.read_metrics`, naming the first file in order that cannot be
        read.

    Examples
    --------
    >>> import plcapacity as plc
    >>> from plcapacity.estate.daily import read_daily_metrics
    >>> daily = read_daily_metrics(plc.data_path("examples/estate/metrics-pls-orders.json"))
    >>> daily.files, daily.points, len(daily)      # 90 days x 6 series; 12,960 values
    (1, 12960, 540)
    >>> round(float(daily.throughput["peak_throughput_mbit_s"].iloc[0]), 1)   # [Mbit/s]
    389.2
    """
    if not paths:
        raise ValueError("read_daily_metrics: give at least one export file")
    from plcapacity.base.execution import check_workers
    workers = check_workers(workers)
    paths = [os.fspath(path) for path in paths]
    sizes = []
    for path in paths:
        try:
            sizes.append(os.stat(path).st_size)
        except OSError:
            sizes.append(0)
    total = sum(sizes)
    local_workers = workers or os.cpu_count() or 1
    single = scheduler is None and (local_workers <= 1 or total < PARALLEL_MIN_BYTES)
    if scheduler is None and single:
        workers = 1
    per_task = (TASK_BYTES if scheduler is not None else
                max(1, min(TASK_BYTES, -(-total // (4 * local_workers)))))
    tasks = _tasks(paths, sizes, per_task, single)
    from plcapacity.base.progress import progress_bar
    bar = progress_bar(progress, len(paths), unit="file", desc="metrics", at_least=20)
    try:
        partials = _run(tasks, frozenset(), scheduler, workers, bar)
        # A resource whose bytes are in several files: its intervals are summed across them
        # (a second reading of just those files).
        owners: dict[str, list] = {}
        for index, partial in enumerate(partials):
            for resource in partial.rates:
                owners.setdefault(resource, []).append(index)
        split = {resource: where for resource, where in owners.items() if len(where) > 1}
        rates = {}
        for partial in partials:
            rates.update(partial.rates)
        if split:
            again = sorted({index for where in split.values() for index in where})
            keep = frozenset(split)
            extra = _run([[paths[i]] for i in again], keep, scheduler, workers, None)
            for resource in split:
                parts = [p.intervals[resource] for p in extra if resource in p.intervals]
                stamps = np.concatenate([s for s, _ in parts])
                totals = np.concatenate([t for _, t in parts])
                unique, inverse = np.unique(stamps, return_inverse=True)
                sums = np.bincount(inverse, weights=totals, minlength=unique.size)
                rates[resource] = interval_rates(unique, sums)
    finally:
        if bar is not None:
            bar.close()
    return _combine(partials, rates)


def _combine(partials, rates):
    keys, series, day, peak = [], [], [], []
    for partial in partials:
        series.append(partial.series + len(keys))
        keys.extend(partial.keys)
        day.append(partial.day)
        peak.append(partial.peak)
    columns = list(DAILY_COLUMNS)
    if keys:
        codes = np.concatenate(series)
        key_table = pd.DataFrame(keys, columns=columns[:4], dtype=str)
        table = key_table.iloc[codes].reset_index(drop=True)
        table["day"] = pd.to_datetime(np.concatenate(day), unit="D", utc=True) \
            .as_unit("us")
        table["peak"] = np.concatenate(peak)
        if table.duplicated(columns[:5]).any():        # a series in several files
            table = table.groupby(columns[:5], sort=False, as_index=False)["peak"].max()
        table = table.sort_values(columns[:5], kind="stable").reset_index(drop=True)
    else:
        table = pd.DataFrame({c: pd.Series(dtype=str if c not in ("day", "peak") else
                                           "datetime64[us, UTC]" if c == "day" else float)
                              for c in columns})
    nat = table[table["metric"].str.lower() == _NAT]
    split = nat.groupby("resource_id")["dimension"].agg(lambda d: (d != "").any())
    flattened = sorted(split.index[~split.to_numpy(bool)]) if len(split) else []
    notes = []
    if flattened:
        notes.append(flattened_note(flattened))
        warnings.warn(notes[-1], ModelWarning, stacklevel=3)
    if rates:
        names = sorted(rates)
        throughput = pd.DataFrame([rates[name] for name in names],
                                  columns=list(THROUGHPUT_COLUMNS),
                                  index=pd.Index(names, name="resource_id"))
    else:
        throughput = _empty_throughput()
    return DailyMetrics(table, throughput, tuple(notes), tuple(flattened),
                        sum(p.files for p in partials), sum(p.points for p in partials))
