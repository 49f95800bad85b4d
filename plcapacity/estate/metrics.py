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
import json
import warnings

import pandas as pd

from plcapacity.base.deprecation import warn_deprecated
from plcapacity.base.exceptions import ModelWarning
from plcapacity.base.results import TableResult
from plcapacity.estate.exports import get, load_records

__all__ = ["Metrics", "METRIC_COLUMNS", "NAT_PORTS_METRIC", "NAT_IP_DIMENSION", "BYTES_METRICS",
           "read_metrics", "as_metrics", "metrics_frame", "LEGACY_ATTRS"]

NAT_PORTS_METRIC = "PLSNatPortsUsage"
NAT_IP_DIMENSION = "PrivateLinkServiceIPAddress"
BYTES_METRICS = ("PLSBytesIn", "PLSBytesOut")
AGGREGATIONS = ("average", "minimum", "maximum", "total", "count")

#: Columns of :func:`read_metrics`: name -> meaning.
METRIC_COLUMNS = {
    "timestamp": "start of the interval, UTC",
    "resource_id": "the resource the metric belongs to",
    "metric": "metric name, e.g. PLSNatPortsUsage",
    "dimension": "the dimension value(s), e.g. the NAT IP address; '' when none or flattened",
    "aggregation": "average, minimum, maximum, total or count",
    "value": "the value, in unit",
    "unit": "Percent, Count, Bytes ...",
}
#: The ``DataFrame.attrs`` keys of plcapacity 0.1's metrics table, read (with a
#: DeprecationWarning) from a DataFrame passed where :class:`Metrics` belong; until 0.3.0,
#: :func:`read_metrics` still writes them.
LEGACY_ATTRS = ("notes", "flattened")
_METRICS_SEGMENT = "/providers/microsoft.insights/metrics/"
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


def _tidy(frame, path, where):
    """Check and type a frame with the tidy columns (timestamp as text, value as text/number)."""
    stamps = pd.to_datetime(frame["timestamp"], utc=True, errors="coerce", format="ISO8601")
    bad = stamps.isna() & frame["timestamp"].notna()
    if bad.any():  # the Log Analytics portal's CSV: "3/1/2026, 1:00:00.000 PM" (UTC)
        stamps = stamps.fillna(pd.to_datetime(frame["timestamp"].where(bad), utc=True,
                                              errors="coerce", format=_PORTAL_TIME))
        bad = stamps.isna() & frame["timestamp"].notna()
    if bad.any():
        raise ValueError(f"{path}: {where}: timestamp {frame['timestamp'][bad].iloc[0]!r} is not "
                         "an ISO 8601 date and time (nor the portal's M/D/YYYY, h:mm:ss.fff AM)")
    values = pd.to_numeric(frame["value"], errors="coerce")
    text = frame["value"].astype(str).str.strip()
    bad = values.isna() & frame["value"].notna() & (text != "") & (text.str.lower() != "nan")
    if bad.any():
        row = bad.to_numpy().nonzero()[0][0]
        raise ValueError(f"{path}: {where}: {frame['aggregation'].iloc[row]} value "
                         f"{frame['value'].iloc[row]!r} is not a number")
    out = frame.assign(timestamp=stamps, value=values.astype("float64"))
    return out[out["value"].notna() & out["timestamp"].notna()]


def _from_rest(document, path):
    frames = []
    metrics = get(document, "value")
    for i, metric in enumerate(metrics):
        if not isinstance(metric, dict):
            raise ValueError(f"{path}: value[{i}] is not a metric object")
        name = get(get(metric, "name"), "value")
        metric_id = get(metric, "id")
        if not isinstance(name, str) or not isinstance(metric_id, str):
            raise ValueError(f"{path}: value[{i}] has no name.value or id; expected the output "
                             "of az monitor metrics list -o json")
        cut = metric_id.lower().find(_METRICS_SEGMENT)
        resource = metric_id[:cut] if cut >= 0 else metric_id
        where = f"metric {name} of {resource}"
        series = get(metric, "timeseries")
        if not isinstance(series, list):
            raise ValueError(f"{path}: {where}: timeseries is missing; expected a list")
        for j, one in enumerate(series):
            points = get(one, "data")
            if not isinstance(points, list):
                raise ValueError(f"{path}: {where}: timeseries[{j}].data is missing")
            if not points:
                continue
            dims = [(get(get(m, "name"), "value"), get(m, "value"))
                    for m in get(one, "metadatavalues") or []]
            data = pd.DataFrame(points)
            stamp = next((c for c in data.columns if c.lower() == "timestamp"), None)
            if stamp is None:
                raise ValueError(f"{path}: {where}: timeseries[{j}].data has no timeStamp")
            present = [c for c in data.columns if c.lower() in AGGREGATIONS]
            long = data.melt(id_vars=[stamp], value_vars=present, var_name="aggregation",
                             value_name="value").rename(columns={stamp: "timestamp"})
            long["aggregation"] = long["aggregation"].str.lower()
            long["resource_id"] = resource
            long["metric"] = name
            long["dimension"] = _dimension_text(dims)
            long["unit"] = get(metric, "unit") or ""
            frames.append(_tidy(long, path, where))
    return frames


def _log_analytics_rows(document):
    """Rows of a Log Analytics export: an array of objects, or tables[0] columns/rows."""
    tables = get(document, "tables")
    if isinstance(tables, list) and tables:
        table = tables[0]
        columns = [get(c, "name") for c in get(table, "columns") or []]
        return [dict(zip(columns, row)) for row in get(table, "rows") or []]
    return document


def _dimension_cell(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, str):
        text = value.strip()
        if not text or text in ("{}", "null"):
            return ""
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return text
    if isinstance(value, dict):
        return _dimension_text(value.items())
    return str(value)


def _from_log_analytics(rows, path):
    frame = pd.DataFrame(rows)
    frame.columns = [str(c).split(" [")[0].strip().lower() for c in frame.columns]
    frame = frame.rename(columns={"dimensions": "dimension"})  # spelled both ways
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
    frame["dimension"] = (frame["dimension"].map(_dimension_cell) if "dimension" in frame
                          else "")
    frame["unit"] = frame["unitname"].fillna("").astype(str) if "unitname" in frame else ""
    long = frame.melt(id_vars=["timegenerated", resource, "metricname", "dimension", "unit"],
                      value_vars=present, var_name="aggregation", value_name="value")
    long = long.rename(columns={"timegenerated": "timestamp", resource: "resource_id",
                                "metricname": "metric"})
    return [_tidy(long, path, "Log Analytics rows")], "dimension" not in frame


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
        document = load_records(path)
        responses = document if isinstance(document, list) else [document]
        if responses and all(isinstance(get(r, "value"), list) for r in responses):
            for response in responses:
                frames += _from_rest(response, path)
            continue
        rows = _log_analytics_rows(document)
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError(f"{path}: not a metrics export; expected az monitor metrics list "
                             "-o json, or AzureMetrics / AzureMetricsV2 rows")
        if not rows:
            continue
        found, _ = _from_log_analytics(rows, path)
        frames += found
    columns = list(METRIC_COLUMNS)
    table = (pd.concat(frames, ignore_index=True)[columns] if frames
             else pd.DataFrame({c: pd.Series(dtype=object) for c in columns}))
    table = table.sort_values(["resource_id", "metric", "dimension", "aggregation",
                               "timestamp"], kind="stable").reset_index(drop=True)
    nat = table[table["metric"].str.lower() == NAT_PORTS_METRIC.lower()]
    split = nat.groupby("resource_id")["dimension"].agg(lambda d: (d != "").any())
    flattened = sorted(split.index[~split.to_numpy(bool)]) if len(split) else []
    notes = []
    if flattened:
        notes.append(f"{NAT_PORTS_METRIC} has no {NAT_IP_DIMENSION} dimension for "
                     f"{len(flattened)} resource(s) ({', '.join(r.rsplit('/', 1)[-1] for r in flattened)}): "
                     "the export aggregated over the NAT IPs (diagnostic settings and the "
                     "AzureMetrics table do), so the per-NAT-IP breakdown is lost; az monitor "
                     f"metrics list with --dimension {NAT_IP_DIMENSION} (or --filter "
                     f"\"{NAT_IP_DIMENSION} eq '*'\") or AzureMetricsV2 keep it")
        warnings.warn(notes[-1], ModelWarning, stacklevel=2)
    # Deprecated (0.2.0, removed in 0.3.0): 0.1's .attrs keys, for readers not yet on Metrics.
    table.attrs["notes"] = list(notes)
    table.attrs["flattened"] = list(flattened)
    return Metrics(table, tuple(notes), tuple(flattened))
