"""Azure Monitor metrics of Private Link Services, from the exports users can make today.

:func:`read_metrics` reads

- ``az monitor metrics list ... -o json`` output, which is the REST response of
  ``Metrics_List``: ``value[]`` of metrics, each with ``name.value``, ``unit`` and
  ``timeseries[]``; each time series has ``metadatavalues[]`` (its dimension values, such as
  ``PrivateLinkServiceIPAddress``) and ``data[]`` points with ``timeStamp`` and the requested
  aggregations ``average``, ``minimum``, ``maximum``, ``total``, ``count`` (azure-rest-api-specs,
  ``specification/monitor/resource-manager/Microsoft.Insights/stable/2023-10-01/metrics_API.json``
  and ``examples/GetMetric.json``). A JSON array of such responses (one per PLS) works too.
- Log Analytics exports of the ``AzureMetrics`` and ``AzureMetricsV2`` tables, as CSV (the
  portal's export, headers such as ``TimeGenerated [UTC]``) or JSON (an array of rows, or the
  query API's ``tables[].columns/rows``): ``TimeGenerated``, ``ResourceId`` / ``_ResourceId``,
  ``MetricName``, ``Average``, ``Minimum``, ``Maximum``, ``Total``, ``Count``, ``UnitName`` and,
  in V2 only, ``Dimension`` (or ``Dimensions``).

The metrics of ``Microsoft.Network/privateLinkServices`` are ``PLSNatPortsUsage`` (percent of
the NAT ports in use, dimension ``PrivateLinkServiceIPAddress``, the NAT IP), ``PLSBytesIn`` and
``PLSBytesOut`` (bytes per interval, no dimension).

References
----------
.. [1] Supported metrics for Microsoft.Network/privateLinkServices,
   https://learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-network-privatelinkservices-metrics
.. [2] Metrics - List (REST), https://learn.microsoft.com/rest/api/monitor/metrics/list
.. [3] AzureMetrics and AzureMetricsV2 tables,
   https://learn.microsoft.com/azure/azure-monitor/reference/tables/azuremetrics
.. [4] Monitor Private Link (the PLSNatPortsUsage alert),
   https://learn.microsoft.com/azure/private-link/monitor-private-link
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import warnings

import numpy as np
import pandas as pd

from plcapacity.base.deprecation import warn_deprecated
from plcapacity.base.exceptions import ModelWarning
from plcapacity.base.results import TableResult
from plcapacity.base.schema import Column, Schema
from plcapacity.estate.exports import brief, get, json_kind, load_records

__all__ = ["Metrics", "METRIC_COLUMNS", "NAT_PORTS_METRIC", "NAT_IP_DIMENSION", "BYTES_METRICS",
           "METRIC_TIME_RANGE", "METRICS_SEGMENT", "MAX_BYTES_PER_INTERVAL", "PERCENT_AGGREGATIONS",
           "out_of_range", "check_metric_values",
           "read_metrics", "read_metrics_file", "flattened_note", "as_metrics", "metrics_frame",
           "LEGACY_ATTRS"]

NAT_PORTS_METRIC = "PLSNatPortsUsage"
NAT_IP_DIMENSION = "PrivateLinkServiceIPAddress"
BYTES_METRICS = ("PLSBytesIn", "PLSBytesOut")
AGGREGATIONS = ("average", "minimum", "maximum", "total", "count")

#: Columns of :func:`read_metrics`: a :class:`~plcapacity.base.schema.Schema`.
METRIC_COLUMNS = Schema(Column.output(name, unit, meaning) for name, (unit, meaning) in {
    "timestamp": ("UTC", "start of the interval, UTC"),
    "resource_id": ("-", "the resource the metric belongs to"),
    "metric": ("-", "metric name, e.g. PLSNatPortsUsage"),
    "dimension": ("-", "the dimension value(s), e.g. the NAT IP address; '' when none or flattened"),
    "aggregation": ("-", "average, minimum, maximum, total or count"),
    "value": ("unit", "the value, in unit"),
    "unit": ("-", "Percent, Count, Bytes ..."),
}.items())
#: The ``DataFrame.attrs`` keys of plcapacity 0.1's metrics table, read (with a
#: DeprecationWarning) from a DataFrame passed where :class:`Metrics` belong; until 0.3.0,
#: :func:`read_metrics` still writes them.
LEGACY_ATTRS = ("notes", "flattened")
#: Where a metric id ends and its resource id: ``<resource id>/providers/Microsoft.Insights/
#: metrics/<metric>`` (compared in lower case).
METRICS_SEGMENT = "/providers/microsoft.insights/metrics/"
_METRICS_SEGMENT = METRICS_SEGMENT
#: The years metrics can be from, [start, end) in UTC: Azure Monitor keeps platform metrics 93
#: days and Log Analytics workspaces keep them up to 12 years, so a timestamp outside these
#: years is a broken export (and dates past 2262 do not fit the forecast's arithmetic).
METRIC_TIME_RANGE = (pd.Timestamp("2000-01-01", tz="UTC"), pd.Timestamp("2100-01-01", tz="UTC"))
#: Largest byte count of one interval accepted for PLSBytesIn / PLSBytesOut: an exabyte, far
#: above anything a Private Link Service carries, far below what overflows. [bytes]
MAX_BYTES_PER_INTERVAL = 1e18
#: Aggregations of PLSNatPortsUsage that are themselves a percentage (total and count are
#: sums and counts of samples). [-]
PERCENT_AGGREGATIONS = ("average", "minimum", "maximum")
#: Time format of the Log Analytics portal's CSV export (its "TimeGenerated [UTC]" column).
_PORTAL_TIME = "%m/%d/%Y, %I:%M:%S.%f %p"


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Metrics(TableResult):
    """Azure Monitor metrics of Private Link Services: what :func:`read_metrics` returns.

    The metrics read like their :attr:`table` (``metrics["metric"]``, ``len(metrics)``; see
    :class:`~plcapacity.base.results.TableResult`), and carry what was learnt reading
    them as plain attributes.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per value, the columns of :data:`METRIC_COLUMNS`.
    notes : tuple of str, default ()
        Where the export lost detail (the per-NAT-IP breakdown), one sentence each.
    flattened : tuple of str, default ()
        The resources whose ``PLSNatPortsUsage`` has no NAT IP dimension.

    Examples
    --------
    >>> import plcapacity as plc
    >>> metrics = plc.read_metrics(plc.data_path("examples/estate/metrics-pls-orders.json"))
    >>> metrics.notes, metrics.flattened          # every NAT IP apart: nothing lost
    ((), ())
    >>> sorted(metrics["metric"].unique())        # the table's columns, as before
    ['PLSBytesIn', 'PLSBytesOut', 'PLSNatPortsUsage']
    """

    table: pd.DataFrame
    notes: tuple = ()
    flattened: tuple = ()

    def __post_init__(self):
        if not isinstance(self.table, pd.DataFrame):
            raise TypeError(f"Metrics.table is {type(self.table).__name__}, not a pandas "
                            "DataFrame")
        object.__setattr__(self, "notes", tuple(str(note) for note in self.notes))
        object.__setattr__(self, "flattened", tuple(str(r) for r in self.flattened))


def metrics_frame(metrics) -> pd.DataFrame:
    """The table of metrics: :attr:`Metrics.table`, or a DataFrame as it is.

    Parameters
    ----------
    metrics : Metrics or pandas.DataFrame
        The result of :func:`read_metrics`, or a table with its columns.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"metric": ["PLSNatPortsUsage"]})
    >>> metrics_frame(Metrics(frame)) is frame, metrics_frame(frame) is frame
    (True, True)
    """
    return metrics.table if isinstance(metrics, Metrics) else metrics


def as_metrics(metrics, *, stacklevel=4) -> Metrics:
    """``metrics`` as :class:`Metrics`: itself, or a DataFrame (whose ``.attrs`` keys of
    :data:`LEGACY_ATTRS`, from plcapacity 0.1, are read with a DeprecationWarning).

    Parameters
    ----------
    metrics : Metrics or pandas.DataFrame
        The result of :func:`read_metrics`, or a table with its columns.
    stacklevel : int, default 4
        Where the DeprecationWarning points.

    Returns
    -------
    Metrics

    Examples
    --------
    >>> import pandas as pd
    >>> as_metrics(pd.DataFrame({"metric": ["PLSNatPortsUsage"]})).notes
    ()
    """
    if isinstance(metrics, Metrics):
        return metrics
    if not isinstance(metrics, pd.DataFrame):
        raise ValueError("metrics: give the result of plcapacity.read_metrics")
    attrs = metrics.attrs
    legacy = [key for key in LEGACY_ATTRS if key in attrs]
    if legacy:
        keys = ", ".join(f".attrs[{key!r}]" for key in legacy)
        warn_deprecated(f"a metrics DataFrame with {keys}", since="0.2.0", removal="0.3.0",
                        alternative="the Metrics that plcapacity.read_metrics returns (its "
                                    "notes and flattened)", stacklevel=stacklevel)
    return Metrics(metrics, tuple(attrs.get("notes", ())), tuple(attrs.get("flattened", ())))


def _dimension_text(pairs) -> str:
    """``value`` for one dimension, ``name=value, ...`` for several, '' for none."""
    pairs = [(str(k), "" if v is None else str(v)) for k, v in pairs]
    if not pairs:
        return ""
    if len(pairs) == 1:
        return pairs[0][1]
    return ", ".join(f"{k}={v}" for k, v in pairs)


def _scalar(value) -> bool:
    """Text, a number or null: what a dimension's name or value may be."""
    return value is None or (isinstance(value, (str, int, float)) and not isinstance(value, bool))


def _first(mask) -> int:
    return int(np.flatnonzero(np.asarray(mask, dtype=bool))[0])


def _check_cells(values, path, locate, field, *, text):
    """Refuse cells of the wrong JSON type in one column: text (``text``) or numbers (numeric
    text allowed: it is parsed, and refused, later); null is allowed (no data)."""
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in (("string", "empty") if text else
                ("floating", "integer", "mixed-integer-float", "decimal", "empty", "string")):
        return
    for row, value in enumerate(values):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        ok = isinstance(value, str) if text else (
            isinstance(value, (str, int, float)) and not isinstance(value, bool))
        if not ok:
            raise ValueError(f"{path}: {locate(row)}: {field} is {json_kind(value)} "
                             f"({brief(value)}), not {'text' if text else 'a number'}")


def _tidy(frame, path, locate):
    """Parse and check a frame of tidy columns plus ``_row`` (the point's place, for
    messages): timestamps as text, values as numbers or numeric text."""
    text = frame["timestamp"]
    stamps = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    bad = stamps.isna() & text.notna()
    if bad.any():  # the Log Analytics portal's CSV: "3/1/2026, 1:00:00.000 PM" (UTC)
        stamps = stamps.fillna(pd.to_datetime(text.where(bad), utc=True, errors="coerce",
                                              format=_PORTAL_TIME))
        bad = stamps.isna() & text.notna()
    if bad.any():
        row = _first(bad)
        raise ValueError(f"{path}: {locate(frame['_row'].iloc[row])}: timestamp "
                         f"{brief(text.iloc[row])} is not an ISO 8601 date and time (nor the "
                         "portal's M/D/YYYY, h:mm:ss.fff AM)")
    values = pd.to_numeric(frame["value"], errors="coerce")
    cells = frame["value"].astype(str).str.strip()
    bad = values.isna() & frame["value"].notna() & (cells != "") & (cells.str.lower() != "nan")
    if bad.any():
        row = _first(bad)
        raise ValueError(f"{path}: {locate(frame['_row'].iloc[row])}: "
                         f"{frame['aggregation'].iloc[row]} value "
                         f"{brief(frame['value'].iloc[row])} is not a number")
    out = frame.assign(timestamp=stamps, value=values.astype("float64"))
    out = out[out["value"].notna() & out["timestamp"].notna()]
    why = out_of_range(out)
    wrong = why != ""
    if wrong.any():
        row = _first(wrong)
        more = int(wrong.sum()) - 1
        raise ValueError(f"{path}: {locate(out['_row'].iloc[row])}: {_value_text(out, row)} "
                         f"{why[row]}" + (f"; {more:,} more value(s) in this file are out of "
                                          "range" if more else ""))
    return out


def _value_text(frame, row) -> str:
    stamp = frame["timestamp"].iloc[row]
    return (f"{frame['aggregation'].iloc[row]} value {float(frame['value'].iloc[row])!r} at "
            f"{stamp.isoformat() if hasattr(stamp, 'isoformat') else stamp}")


def out_of_range(frame) -> np.ndarray:
    """Why each value cannot be what its metric measures ('' where it can), for a table with
    the columns of :data:`METRIC_COLUMNS`.

    Refused: a timestamp outside :data:`METRIC_TIME_RANGE`; a value that is not finite; a
    ``PLSNatPortsUsage`` percentage (:data:`PERCENT_AGGREGATIONS`) below 0 or above 100; a
    ``PLSBytesIn`` / ``PLSBytesOut`` value below 0 or above :data:`MAX_BYTES_PER_INTERVAL`.

    Returns
    -------
    numpy.ndarray of str
        One reason per row.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"timestamp": pd.to_datetime(["2026-03-01"] * 3, utc=True),
    ...                       "metric": "PLSNatPortsUsage", "aggregation": "maximum",
    ...                       "value": [40.0, 130.0, float("inf")]})
    >>> [reason[:25] for reason in out_of_range(frame)]
    ['', 'is not a usage percentage', 'is not a finite number']
    """
    why = np.full(len(frame), "", dtype=object)
    if not len(frame):
        return why
    value = pd.to_numeric(frame["value"], errors="coerce").to_numpy(float)
    metric = frame["metric"].astype(str).str.lower().to_numpy(object)
    aggregation = frame["aggregation"].astype(str).str.lower().to_numpy(object)
    stamps = pd.to_datetime(frame["timestamp"], utc=True, errors="coerce")
    early, late = METRIC_TIME_RANGE
    with np.errstate(invalid="ignore"):
        rules = [
            (((stamps < early) | (stamps >= late)).to_numpy(bool),
             f"has a timestamp outside the years {early.year} to {late.year - 1} that metrics "
             "can have (a broken export?)"),
            (~np.isfinite(value) & ~np.isnan(value), "is not a finite number"),
            ((metric == NAT_PORTS_METRIC.lower()) & np.isin(aggregation, PERCENT_AGGREGATIONS)
             & ((value < 0) | (value > 100)),
             "is not a usage percentage (0 to 100: the share of the NAT IP's ports in use)"),
            (np.isin(metric, [m.lower() for m in BYTES_METRICS])
             & ((value < 0) | (value > MAX_BYTES_PER_INTERVAL)),
             f"is not a byte count of one interval (0 to {MAX_BYTES_PER_INTERVAL:.0e})"),
        ]
    for wrong, reason in reversed(rules):               # the first rule that applies wins
        why[wrong] = reason
    return why


def check_metric_values(frame, what="metrics") -> None:
    """Refuse a metrics table with a value :func:`out_of_range`, naming the resource, metric,
    dimension and time of the first (and how many more).

    Raises
    ------
    ValueError

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"timestamp": pd.to_datetime(["2026-03-01"], utc=True),
    ...                       "resource_id": ["/x/pls"], "metric": ["PLSNatPortsUsage"],
    ...                       "dimension": ["10.0.0.4"], "aggregation": ["maximum"],
    ...                       "value": [-3.0]})
    >>> check_metric_values(frame)
    Traceback (most recent call last):
    ...
    ValueError: metrics: PLSNatPortsUsage of /x/pls (10.0.0.4): maximum value -3.0 at 2026-03-01T00:00:00+00:00 is not a usage percentage (0 to 100: the share of the NAT IP's ports in use)
    """
    why = out_of_range(frame)
    wrong = why != ""
    if not wrong.any():
        return
    row = _first(wrong)
    more = int(wrong.sum()) - 1
    dimension = frame["dimension"].iloc[row] if "dimension" in frame else ""
    raise ValueError(f"{what}: {frame['metric'].iloc[row]} of {frame['resource_id'].iloc[row]}"
                     + (f" ({dimension})" if dimension else "") + f": {_value_text(frame, row)} "
                     f"{why[row]}" + (f"; {more:,} more value(s) are out of range" if more
                                      else ""))


_REST = "expected the output of az monitor metrics list -o json"


def _rest_series(document, path, prefix):
    """Each time series of one REST response, checked: (its JSON path, the metric and resource
    in words, resource id, metric name, unit, dimension text, its points)."""
    found = []
    for i, metric in enumerate(get(document, "value")):
        here = f"{prefix}value[{i}]"
        if not isinstance(metric, dict):
            raise ValueError(f"{path}: {here} is {json_kind(metric)} ({brief(metric)}), not a "
                             f"metric object; {_REST}")
        name_object = get(metric, "name")
        name = get(name_object, "value")
        metric_id = get(metric, "id")
        for field, value in ((f"{here}.name.value", name), (f"{here}.id", metric_id)):
            if not isinstance(value, str) or not value:
                raise ValueError(f"{path}: {here} has no name.value or id ({field} is "
                                 f"{json_kind(value)}, not text); {_REST}")
        unit = get(metric, "unit")
        if unit is not None and not isinstance(unit, str):
            raise ValueError(f"{path}: {here}.unit is {json_kind(unit)} ({brief(unit)}), not "
                             f"text; {_REST}")
        cut = metric_id.lower().find(_METRICS_SEGMENT)
        resource = metric_id[:cut] if cut >= 0 else metric_id
        where = f"metric {name} of {resource}"
        series = get(metric, "timeseries")
        if not isinstance(series, list):
            problem = "is missing" if series is None else f"is {json_kind(series)}, not a list"
            raise ValueError(f"{path}: {where}: timeseries {problem} ({here}.timeseries); "
                             "expected a list")
        for j, one in enumerate(series):
            at = f"{here}.timeseries[{j}]"
            if not isinstance(one, dict):
                raise ValueError(f"{path}: {where}: {at} is {json_kind(one)} ({brief(one)}), "
                                 "not an object with metadatavalues and data")
            points = get(one, "data")
            if not isinstance(points, list):
                problem = "is missing" if points is None else f"is {json_kind(points)}, not a list"
                raise ValueError(f"{path}: {where}: {at}.data {problem}; expected a list of "
                                 "points with timeStamp and the aggregations")
            meta = get(one, "metadatavalues")
            if meta is not None and not isinstance(meta, list):
                raise ValueError(f"{path}: {where}: {at}.metadatavalues is {json_kind(meta)}, "
                                 "not a list; expected the dimensions' names and values")
            dims = []
            for k, item in enumerate(meta or []):
                name_at = f"{at}.metadatavalues[{k}]"
                dimension = get(get(item, "name"), "value") if isinstance(item, dict) else None
                value = get(item, "value")
                if not isinstance(item, dict) or not _scalar(dimension) or not _scalar(value):
                    wrong, field = ((item, name_at) if not isinstance(item, dict) else
                                    (dimension, f"{name_at}.name.value")
                                    if not _scalar(dimension) else (value, f"{name_at}.value"))
                    raise ValueError(f"{path}: {where}: {field} is {json_kind(wrong)} "
                                     f"({brief(wrong)}), not "
                                     f"{'an object' if field == name_at else 'text'}; expected "
                                     "a dimension's name and value")
                dims.append((dimension, value))
            found.append((at, where, resource, name, unit or "", _dimension_text(dims), points))
    return found


def _from_rest(document, path, prefix=""):
    """The points of one REST response, in one table (every series at once)."""
    series = _rest_series(document, path, prefix)
    lengths = np.array([len(one[-1]) for one in series], dtype=np.int64)
    if not lengths.sum():
        return []
    starts = np.cumsum(lengths) - lengths
    points = list(itertools.chain.from_iterable(one[-1] for one in series))

    def locate(row):
        which = int(np.searchsorted(starts, row, side="right")) - 1
        at, where = series[which][:2]
        return f"{where} at {at}.data[{int(row - starts[which])}]"
    wrong = next((row for row, point in enumerate(points) if type(point) is not dict), None)
    if wrong is not None:
        raise ValueError(f"{path}: {locate(wrong)}: a point is {json_kind(points[wrong])} "
                         f"({brief(points[wrong])}), not an object; expected timeStamp and the "
                         "aggregations (average, maximum ...)")
    frame = pd.DataFrame(points)
    by_name: dict[str, list] = {}
    for column in frame.columns:
        by_name.setdefault(str(column).lower(), []).append(column)

    def column(name):
        names = by_name.get(name)
        if not names:
            return None
        values = frame[names[0]]
        for other in names[1:]:
            values = values.combine_first(frame[other])
        return values
    stamps = column("timestamp")
    missing = stamps.isna().to_numpy() if stamps is not None else np.ones(len(frame), bool)
    if missing.any():
        raise ValueError(f"{path}: {locate(_first(missing))}: the point has no timeStamp; "
                         "expected an ISO 8601 date and time")
    _check_cells(stamps, path, lambda row: locate(row), "timeStamp", text=True)
    which = np.repeat(np.arange(len(series)), lengths)
    ids = {name: np.array([one[k] for one in series], dtype=object)[which]
           for k, name in ((2, "resource_id"), (3, "metric"), (5, "dimension"), (4, "unit"))}
    parts = []
    for aggregation in AGGREGATIONS:
        values = column(aggregation)
        if values is None:
            continue
        _check_cells(values, path, locate, aggregation, text=False)
        parts.append(pd.DataFrame({"timestamp": stamps.to_numpy(object), **ids,
                                   "aggregation": aggregation,
                                   "value": values.to_numpy(object),
                                   "_row": np.arange(len(frame))}))
    if not parts:
        return []
    return [_tidy(pd.concat(parts, ignore_index=True), path, locate)]


def _log_analytics_rows(document, path):
    """Rows of a Log Analytics export (an array of objects, or tables[0] columns/rows) and
    how to name a row's place in the file."""
    tables = get(document, "tables")
    if tables is None:
        return document, lambda row: f"Log Analytics row [{row}]"
    if not isinstance(tables, list) or not tables or not isinstance(tables[0], dict):
        wrong = tables[0] if isinstance(tables, list) and tables else tables
        field = "tables[0]" if isinstance(tables, list) and tables else "tables"
        raise ValueError(f"{path}: {field} is {json_kind(wrong)} ({brief(wrong)}); expected "
                         "the query API's tables[0] with columns and rows")
    table = tables[0]
    columns, rows = get(table, "columns"), get(table, "rows")
    for field, value in (("columns", columns), ("rows", rows)):
        if not isinstance(value, list):
            raise ValueError(f"{path}: tables[0].{field} is {json_kind(value)}, not a list; "
                             "expected the query API's tables[0] with columns and rows")
    names = []
    for k, column in enumerate(columns):
        name = get(column, "name")
        if not isinstance(name, str):
            raise ValueError(f"{path}: tables[0].columns[{k}].name is {json_kind(name)} "
                             f"({brief(name)}), not text; expected each column's name")
        names.append(name)
    for k, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(names):
            problem = (f"is {json_kind(row)} ({brief(row)}), not a list" if not
                       isinstance(row, list) else f"has {len(row)} cells, not {len(names)}")
            raise ValueError(f"{path}: tables[0].rows[{k}] {problem}; expected one cell per "
                             "column")
    return ([dict(zip(names, row)) for row in rows],
            lambda row: f"Log Analytics row tables[0].rows[{row}]")


def _dimension_cell(value, path, place):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, str):
        text = value.strip()
        if not text or text in ("{}", "null"):
            return ""
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            return text
        if not isinstance(value, dict):
            return text
    if isinstance(value, dict):
        for name, inner in value.items():
            if not _scalar(inner):
                raise ValueError(f"{path}: {place}: Dimension {brief(name)} is "
                                 f"{json_kind(inner)} ({brief(inner)}), not text; expected "
                                 "{\"PrivateLinkServiceIPAddress\": \"10.0.0.4\"}")
        return _dimension_text(value.items())
    raise ValueError(f"{path}: {place}: Dimension is {json_kind(value)} ({brief(value)}), not "
                     "an object or text; expected {\"PrivateLinkServiceIPAddress\": \"10.0.0.4\"}")


def _from_log_analytics(rows, path, locate):
    frame = pd.DataFrame(rows)
    frame.columns = [str(c).split(" [")[0].strip().lower() for c in frame.columns]
    frame = frame.rename(columns={"dimensions": "dimension"})  # spelled both ways
    frame = frame.loc[:, ~frame.columns.duplicated()]
    resource = "_resourceid" if "_resourceid" in frame else "resourceid"
    missing = [c for c in ("timegenerated", "metricname") if c not in frame]
    if resource not in frame:
        missing.append("ResourceId or _ResourceId")
    present = [c for c in AGGREGATIONS if c in frame]
    if missing or not present:
        raise ValueError(f"{path}: not a metrics export: missing column(s) "
                         f"{', '.join(missing + ([] if present else ['Average/Maximum/...']))}; "
                         "expected az monitor metrics list -o json, or the AzureMetrics / "
                         "AzureMetricsV2 table (TimeGenerated, ResourceId, MetricName, Maximum "
                         "...)")
    for column, field in (("timegenerated", "TimeGenerated"), (resource, "ResourceId"),
                          ("metricname", "MetricName")):
        _check_cells(frame[column], path, locate, field, text=True)
        empty = frame[column].isna().to_numpy()
        if empty.any():
            raise ValueError(f"{path}: {locate(_first(empty))}: {field} is null; expected "
                             "text")
    if "unitname" in frame:
        _check_cells(frame["unitname"], path, locate, "UnitName", text=True)
    for column in present:
        _check_cells(frame[column], path, locate, column.title(), text=False)
    frame["dimension"] = ([_dimension_cell(value, path, locate(row))
                           for row, value in enumerate(frame["dimension"])]
                          if "dimension" in frame else "")
    frame["unit"] = frame["unitname"].fillna("").astype(str) if "unitname" in frame else ""
    frame["_row"] = np.arange(len(frame))
    long = frame.melt(id_vars=["timegenerated", resource, "metricname", "dimension", "unit",
                               "_row"], value_vars=present, var_name="aggregation",
                      value_name="value")
    long = long.rename(columns={"timegenerated": "timestamp", resource: "resource_id",
                                "metricname": "metric"})
    return [_tidy(long, path, locate)], "dimension" not in frame


def read_metrics(*paths) -> Metrics:
    """Azure Monitor metrics as a tidy table, one row per value.

    Parameters
    ----------
    *paths : str or path-like
        One or more exports: ``az monitor metrics list -o json`` output (per-NAT-IP with
        ``--filter "PrivateLinkServiceIPAddress eq '*'"``) or Log Analytics ``AzureMetrics`` /
        ``AzureMetricsV2`` rows (``.csv`` or ``.json``).

    Returns
    -------
    Metrics
        It reads like its ``table`` (the DataFrame this function returned before 0.2.0), with
        the columns of :data:`METRIC_COLUMNS`: ``timestamp`` (UTC), ``resource_id``,
        ``metric``, ``dimension`` (the NAT IP for ``PLSNatPortsUsage``; ``''`` when none),
        ``aggregation``, ``value`` [unit] and ``unit``, sorted by resource, metric, dimension,
        aggregation and time. ``notes`` says where the per-NAT-IP breakdown was lost;
        ``flattened`` lists those resources. (Deprecated, until 0.3.0: the table's
        ``.attrs["notes"]`` and ``.attrs["flattened"]`` repeat them.)

    Warns
    -----
    ModelWarning
        When ``PLSNatPortsUsage`` has no ``PrivateLinkServiceIPAddress`` dimension (diagnostic
        settings and ``AzureMetrics`` aggregate over NAT IPs; a query without the filter above
        too): the per-NAT-IP breakdown is lost and a forecast then treats the NAT IPs as one.

    Raises
    ------
    ValueError
        Naming the file (and the metric) for an unreadable, oversized or unrecognised file,
        a missing field, a timestamp or a value that does not parse.

    Examples
    --------
    >>> import plcapacity as plc
    >>> metrics = plc.read_metrics(plc.data_path("examples/estate/metrics-pls-orders.json"))
    >>> sorted(metrics.metric.unique()), len(metrics)
    (['PLSBytesIn', 'PLSBytesOut', 'PLSNatPortsUsage'], 12960)
    """
    if not paths:
        raise ValueError("read_metrics: give at least one export file")
    frames = []
    for path in paths:
        frames += read_metrics_file(path)
    columns = list(METRIC_COLUMNS)
    frames = [frame for frame in frames if len(frame)]
    table = (pd.concat(frames, ignore_index=True)[columns] if frames
             else pd.DataFrame({c: pd.Series(dtype=object) for c in columns}))
    table = table.sort_values(["resource_id", "metric", "dimension", "aggregation",
                               "timestamp"], kind="stable").reset_index(drop=True)
    nat = table[table["metric"].str.lower() == NAT_PORTS_METRIC.lower()]
    split = nat.groupby("resource_id")["dimension"].agg(lambda d: (d != "").any())
    flattened = sorted(split.index[~split.to_numpy(bool)]) if len(split) else []
    notes = []
    if flattened:
        notes.append(flattened_note(flattened))
        warnings.warn(notes[-1], ModelWarning, stacklevel=2)
    # Deprecated (0.2.0, removed in 0.3.0): 0.1's .attrs keys, for readers not yet on Metrics.
    table.attrs["notes"] = list(notes)
    table.attrs["flattened"] = list(flattened)
    return Metrics(table, tuple(notes), tuple(flattened))


def flattened_note(flattened) -> str:
    """The note (and warning) on resources whose ``PLSNatPortsUsage`` has no NAT IP
    dimension.

    Examples
    --------
    >>> flattened_note(["/x/privateLinkServices/a"])[:61]
    'PLSNatPortsUsage has no PrivateLinkServiceIPAddress dimension'
    """
    return (f"{NAT_PORTS_METRIC} has no {NAT_IP_DIMENSION} dimension for "
            f"{len(flattened)} resource(s) ({', '.join(r.rsplit('/', 1)[-1] for r in flattened)}): "
            "the export aggregated over the NAT IPs (diagnostic settings and the "
            "AzureMetrics table do), so the per-NAT-IP breakdown is lost; az monitor "
            f"metrics list with --dimension {NAT_IP_DIMENSION} (or --filter "
            f"\"{NAT_IP_DIMENSION} eq '*'\") or AzureMetricsV2 keep it")


def read_metrics_file(path) -> list:
    """The values of one metrics export, as tidy tables (the columns of
    :data:`METRIC_COLUMNS`, unsorted; possibly empty): the reading of :func:`read_metrics`
    for one file, with every check and error message it makes.

    Parameters
    ----------
    path : str or path-like
        One export (see :func:`read_metrics`).

    Returns
    -------
    list of pandas.DataFrame
    """
    frames = []
    document = load_records(path)
    responses = document if isinstance(document, list) else [document]
    if responses and all(isinstance(get(r, "value"), list) for r in responses):
        for n, response in enumerate(responses):
            frames += _from_rest(response, path,
                                 f"[{n}]." if isinstance(document, list) else "")
        return frames
    rows, locate = _log_analytics_rows(document, path)
    if str(path).lower().endswith((".csv", ".tsv")):
        locate = lambda row: f"line {row + 2}"  # noqa: E731  (after the header)
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        wrong = next((k for k, r in enumerate(rows) if not isinstance(r, dict)), None) \
            if isinstance(rows, list) else None
        place = f" (item [{wrong}] is {json_kind(rows[wrong])})" if wrong is not None else ""
        raise ValueError(f"{path}: not a metrics export{place}; expected az monitor metrics "
                         "list -o json, or AzureMetrics / AzureMetricsV2 rows")
    if not rows:
        return frames
    found, _ = _from_log_analytics(rows, path, locate)
    return frames + found
