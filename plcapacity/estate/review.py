"""The estate review: each deployed PLS with its ceiling, findings and exhaustion forecast, as
a table and as a self-contained HTML page (``plcapacity estate``).

:func:`estate_table` joins :func:`plcapacity.read_inventory` with
:func:`plcapacity.forecast_exhaustion` (one row per PLS); :func:`estate_review` renders both
with figures, in the style of ``plcapacity report``.

References
----------
.. [1] Monitor Azure Private Link, https://learn.microsoft.com/azure/private-link/monitor-private-link
.. [2] Azure Private Link FAQ, https://learn.microsoft.com/azure/private-link/private-link-faq
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from plcapacity.base.limits import get_limits
from plcapacity.base.version import __version__
from plcapacity.estate.daily import DailyMetrics
from plcapacity.estate.forecast import (
    CURRENT_WINDOW_DAYS,
    MIN_DAYS,
    STATUS_ABOVE,
    STATUS_BEYOND,
    STATUS_CROSSED,
    STATUS_FORECAST,
    STATUS_NOT_PROJECTED,
    STATUS_TOO_FEW,
    Forecast,
    as_forecast,
)
from plcapacity.estate.inventory import Inventory, as_inventory
from plcapacity.estate.metrics import Metrics, as_metrics
from plcapacity.estate.plots import estate_overview, nat_port_forecast
from plcapacity.report import plotting
from plcapacity.report.html import (
    assumptions,
    figure_data_uri,
    format_cell,
    html_table,
    markup,
    page_style,
    template_environment,
)

__all__ = ["estate_table", "estate_review", "describe_crossings", "unmatched_metrics",
           "SOON_DAYS", "MAX_USAGE_FIGURES", "MAX_UNMATCHED_SHOWN", "MAX_FORECAST_SERVICES",
           "MAX_BAR_SERVICES", "LABELS"]

#: A forecast crossing within this many days flags the PLS in the review. [days]
SOON_DAYS = 90
#: Most usage-over-time figures in a review (the services that reach a threshold first). [-]
MAX_USAGE_FIGURES = 12
#: Most resource ids a note on metrics outside the inventory names. [-]
MAX_UNMATCHED_SHOWN = 5
#: Up to this many services the forecasts of every NAT IP are listed; above, those of the
#: services at risk (the others' first crossings are in the table of all services). [-]
MAX_FORECAST_SERVICES = 50
#: Up to this many services the overview has a bar per service
#: (:func:`plcapacity.plotting.ceilings_vs_peaks`); above, a point each
#: (:func:`plcapacity.plotting.estate_overview`). [-]
MAX_BAR_SERVICES = 40

#: The review's template, in ``plcapacity/report/templates/``.
TEMPLATE = "estate_review.html.j2"

#: Plain headers (with units) for the columns the review shows; ``reaches_<threshold>`` is
#: worded by threshold.
LABELS = {
    # the services (estate_table)
    "name": "Private Link Service",
    "region": "Region",
    "nat_ips": "NAT IPs",
    "backend_vms": "Backend VMs",
    "ceiling": "Ceiling [connections]",
    "binding_limit": "Limiting factor",
    "private_endpoints": "Private endpoints (approved)",
    "pending_connections": "Connections pending approval",
    "pe_regions": "Endpoints per region",
    "peak_nat_port_usage_percent": "Peak NAT port usage [%]",
    "current_nat_port_usage_percent": f"NAT port usage, last {CURRENT_WINDOW_DAYS} days [%]",
    "peak_connections_estimate": "Estimated peak [connections]",
    "peak_throughput_mbit_s": "Peak throughput [Mbit/s]",
    # the forecasts per NAT IP (forecast_exhaustion)
    "pls": "Private Link Service",
    "nat_ip": "NAT IP",
    "threshold_percent": "Threshold [%]",
    "status": "Status",
    "crossing_date": "Reaches it on [UTC day]",
    "crossing_earliest": "Earliest [UTC day]",
    "crossing_latest": "Latest [UTC day]",
    "current_percent": f"Usage, last {CURRENT_WINDOW_DAYS} days [%]",
    "peak_percent": "Peak usage [%]",
    "model": "Trend model",
    "slope_percent_per_day": "Trend slope [% per day]",
    "findings": "Findings",
}

#: What a limiting factor means, in words (``binding_limit`` values).
BINDING = {"nat_ports": "NAT ports", "vm_connections": "connections per VM"}

#: Headers of the reference values' table.
ASSUMPTION_LABELS = {"name": "Reference value", "value": "Value used", "unit": "Unit",
                     "scope": "Scope", "uncertain": "Uncertain", "source": "Source",
                     "as_of": "Read on", "note": "Note"}

_TABLE_COLUMNS = ["name", "region", "nat_ips", "backend_vms", "ceiling", "binding_limit",
                  "private_endpoints", "pending_connections", "pe_regions"]


def describe_crossings(rows) -> np.ndarray:
    """What each forecast row says about its threshold, in words, for all rows at once.

    Parameters
    ----------
    rows : pandas.DataFrame
        Rows of a forecast table (``status``, ``crossing_date``, ``crossing_earliest``,
        ``crossing_latest``, ``threshold_percent``, ``current_percent``, ``trend_percent``).

    Returns
    -------
    numpy.ndarray of str
        ``crossed YYYY-MM-DD`` (a daily peak reached it after a day below it), ``above since
        the first day of data (YYYY-MM-DD)``, ``YYYY-MM-DD (earliest to latest)`` (a
        projected crossing, after the last observed day; ``after the horizon`` when the
        interval ends past it), ``not projected: ...`` (the trend gives no date, and why),
        or the status.

    Examples
    --------
    >>> import pandas as pd
    >>> day = pd.Timestamp("2027-01-12", tz="UTC")
    >>> rows = pd.DataFrame({"status": ["forecast", "not within the horizon", "not projected"],
    ...                      "crossing_date": [day, pd.NaT, pd.NaT],
    ...                      "crossing_earliest": [day, pd.NaT, pd.NaT],
    ...                      "crossing_latest": [pd.NaT, pd.NaT, pd.NaT],
    ...                      "threshold_percent": [80.0, 80.0, 80.0],
    ...                      "current_percent": [60.0, 30.0, 31.0],
    ...                      "trend_percent": [60.0, 30.0, 84.5]})
    >>> for text in describe_crossings(rows):
    ...     print(text)
    2027-01-12 (2027-01-12 to after the horizon)
    not within the horizon
    not projected: the trend is at 84.5 % (at or above 80 %) while the last 7 days peak at 31.0 %
    """
    status = rows["status"].to_numpy(object)

    def day(column, missing):
        text = pd.to_datetime(rows[column]).dt.strftime("%Y-%m-%d")
        return text.fillna(missing).to_numpy(object)

    date = day("crossing_date", "")
    earliest = day("crossing_earliest", "")
    latest = day("crossing_latest", "after the horizon")
    crossed = np.where(date == "", "crossed", "crossed " + date)
    above = np.where(date == "", "above since the first day of data",
                     "above since the first day of data (" + date + ")")
    forecast = date + " (" + earliest + " to " + latest + ")"
    unprojected = status == STATUS_NOT_PROJECTED
    why = np.full(len(rows), "", dtype=object)
    if unprojected.any():
        threshold = rows["threshold_percent"].to_numpy(float)[unprojected]
        current = rows["current_percent"].to_numpy(float)[unprojected]
        trend = (rows["trend_percent"].to_numpy(float)[unprojected] if "trend_percent" in rows
                 else np.full(len(threshold), np.nan))
        why[unprojected] = [
            f"not projected: the trend is at {now:.1f} % (at or above {level:g} %) while the "
            f"last {CURRENT_WINDOW_DAYS} days peak at {peak:.1f} %" if now >= level else
            f"not projected: the last {CURRENT_WINDOW_DAYS} days (peak {peak:.1f} %) fell "
            f"below the trend ({now:.1f} %) and its band: the level changed" if now == now else
            f"not projected (the last {CURRENT_WINDOW_DAYS} days peak at {peak:.1f} %)"
            for level, peak, now in zip(threshold, current, trend)]
    return np.select([status == STATUS_CROSSED, status == STATUS_ABOVE,
                      status == STATUS_FORECAST, unprojected],
                     [crossed, above, forecast, why], default=status).astype(object)


def _crossing_columns(forecast, key):
    """``reaches_<threshold>`` and ``reaches_<threshold>_date`` for the PLSs ``key`` (lower
    case ids): the first NAT IP's crossing per PLS and threshold, in one pass over the rows
    (a grid of PLSs x thresholds, filled at once)."""
    rank = {STATUS_ABOVE: 0, STATUS_CROSSED: 0, STATUS_FORECAST: 1, STATUS_NOT_PROJECTED: 2,
            STATUS_BEYOND: 3, STATUS_TOO_FEW: 4}
    fc = forecast.assign(_key=forecast["resource_id"].str.lower(),
                         _rank=forecast["status"].map(rank), _when=forecast["crossing_date"])
    first = (fc.sort_values(["_key", "_rank", "_when"], na_position="last")
             .drop_duplicates(["_key", "threshold_percent"]))
    keys, key_code = np.unique(first["_key"].to_numpy(str), return_inverse=True)
    thresholds, threshold_code = np.unique(first["threshold_percent"].to_numpy(float),
                                           return_inverse=True)
    texts = np.full((len(keys) + 1, len(thresholds)), "no metrics", dtype=object)
    texts[key_code, threshold_code] = describe_crossings(first)
    dates = pd.to_datetime(first["crossing_date"], utc=True).dt.tz_convert(None)
    days = np.full((len(keys) + 1, len(thresholds)), np.datetime64("NaT"), dtype="M8[ns]")
    days[key_code, threshold_code] = dates.to_numpy("M8[ns]")
    row = pd.Index(keys).get_indexer(key.to_numpy(str))      # -1: the PLS has no metrics
    row = np.where(row < 0, len(keys), row)
    texts, days = texts[row], days[row]
    columns = {}
    for j, threshold in enumerate(thresholds):
        name = f"reaches_{threshold:g}"
        columns[name] = texts[:, j]
        columns[f"{name}_date"] = pd.DatetimeIndex(days[:, j]).tz_localize("UTC")
    return columns


def estate_table(inventory: Inventory, forecast: Forecast | None = None, *,
                 limits=None) -> pd.DataFrame:
    """One row per PLS: its deployment, ceiling, usage, forecast and findings.

    Parameters
    ----------
    inventory : Inventory or pandas.DataFrame
        The result of :func:`plcapacity.read_inventory`, or rows of its table.
    forecast : Forecast or pandas.DataFrame, optional
        The result of :func:`plcapacity.forecast_exhaustion`, or rows of its table. PLSs are
        matched by resource id (case ignored); a PLS without metrics says ``no metrics``.
    limits : Limits, optional
        For ``ports_per_nat_ip`` in the peak estimate.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``region``, ``nat_ips``, ``backend_vms``, ``ceiling`` [connections],
        ``binding_limit``, ``private_endpoints``, ``pending_connections``, ``pe_regions`` as
        in the inventory, then (with a forecast):

        - ``peak_nat_port_usage_percent`` and ``current_nat_port_usage_percent`` [%]: the
          highest daily peak over the NAT IPs, all time and in the last week.
        - ``peak_connections_estimate`` [connections]: the sum over NAT IPs of the peak
          share of ``backend_vms * ports_per_nat_ip`` ports (an upper estimate: NAT IPs need
          not peak on the same day). UNCERTAIN: Azure does not document whether the
          percentage is the mean or the largest share over a NAT IP's per-VM port pools; the
          estimate reads it as the share of all of the NAT IP's ports.
        - ``peak_throughput_mbit_s`` [Mbit/s]: from PLSBytesIn + PLSBytesOut, when exported.
        - ``reaches_<threshold>``: for each threshold, the first NAT IP's crossing
          (:func:`describe_crossings`): ``crossed YYYY-MM-DD``, ``above since the first day
          of data (YYYY-MM-DD)``, ``YYYY-MM-DD (earliest to latest)`` (always after the last
          observed day), ``not projected: ...`` (why the trend gives no date), ``not within
          the horizon``, ``too few days`` or ``no metrics``; and ``reaches_<threshold>_date``
          (UTC day; ``NaT`` unless crossed, above or forecast).

        Then ``findings`` and ``pls_id``. (Deprecated, until 0.3.0: ``.attrs["notes"]``
        repeats the inventory's :attr:`~plcapacity.estate.inventory.Inventory.notes`.)

    Examples
    --------
    >>> import plcapacity as plc
    >>> folder = plc.data_path("examples/estate")
    >>> inventory = plc.read_inventory(folder / "pls.json", folder / "lb.json", folder / "pe.json")
    >>> metrics = plc.read_metrics(folder / "metrics-pls-orders.json")
    >>> table = plc.estate_table(inventory, plc.forecast_exhaustion(metrics, thresholds=(80,)))
    >>> table[["name", "ceiling", "reaches_80"]].head(2)   # ceiling [connections]
               name  ceiling                             reaches_80
    0    pls-orders  1536000  2027-01-02 (2026-12-21 to 2027-01-23)
    1  pls-payments   384000                             no metrics
    """
    lim = limits or get_limits()
    notes = inventory.notes if isinstance(inventory, Inventory) else inventory.attrs.get(
        "notes", [])
    inventory = inventory.table if isinstance(inventory, Inventory) else inventory
    forecast = forecast.table if isinstance(forecast, Forecast) else forecast
    missing = [c for c in ["pls_id", "findings", *_TABLE_COLUMNS] if c not in inventory]
    if missing:
        raise ValueError(f"inventory: no column(s) {', '.join(missing)}; give the result of "
                         "plcapacity.read_inventory")
    table = inventory[_TABLE_COLUMNS].copy()
    table.attrs = {}
    key = inventory["pls_id"].str.lower()
    if forecast is not None and len(forecast):
        fc = forecast.assign(_key=forecast["resource_id"].str.lower())
        per_ip = fc.drop_duplicates(["_key", "nat_ip"])
        peak = per_ip.groupby("_key")["peak_percent"].max()
        table["peak_nat_port_usage_percent"] = key.map(peak).to_numpy(float)
        table["current_nat_port_usage_percent"] = key.map(
            per_ip.groupby("_key")["current_percent"].max()).to_numpy(float)
        share = per_ip.groupby("_key")["peak_percent"].sum() / 100
        ports = inventory["backend_vms"].astype("float64").to_numpy() * lim.ports_per_nat_ip
        table["peak_connections_estimate"] = key.map(share).to_numpy(float) * ports
        table["peak_throughput_mbit_s"] = key.map(
            per_ip.groupby("_key")["peak_throughput_mbit_s"].max()).to_numpy(float)
        table = pd.concat([table, pd.DataFrame(_crossing_columns(forecast, key),
                                               index=table.index)], axis=1)
    table["findings"] = inventory["findings"].to_numpy()
    table["pls_id"] = inventory["pls_id"].to_numpy()
    table.attrs["notes"] = list(notes)  # deprecated (0.2.0, removed in 0.3.0): Inventory.notes
    return table


def unmatched_metrics(inventory, metrics, *, shown=MAX_UNMATCHED_SHOWN) -> str | None:
    """A note on the metrics of resources that are not in the inventory (left out of the
    table and the review), or None when every resource is there.

    Parameters
    ----------
    inventory : Inventory or pandas.DataFrame
        The result of :func:`plcapacity.read_inventory`, or its table (``pls_id``).
    metrics : Metrics, DailyMetrics or pandas.DataFrame
        The result of :func:`plcapacity.read_metrics` (or of
        :func:`plcapacity.estate.daily.read_daily_metrics`), or its table.
    shown : int, default :data:`MAX_UNMATCHED_SHOWN`
        Most resource ids named.

    Returns
    -------
    str or None
        How many resources and series, the first ``shown`` ids, and what to add.

    Examples
    --------
    >>> import pandas as pd
    >>> inventory = pd.DataFrame({"pls_id": ["/x/privateLinkServices/a"]})
    >>> metrics = pd.DataFrame({"resource_id": ["/x/privateLinkServices/A", "/x/y/b"],
    ...                         "metric": ["PLSNatPortsUsage"] * 2, "dimension": ["ip", "ip"]})
    >>> unmatched_metrics(inventory, metrics)
    'metrics of 1 resource not in the inventory are left out (1 series): /x/y/b; add its private link service export to the inventory'
    """
    table = inventory.table if isinstance(inventory, Inventory) else inventory
    frame = metrics.table if isinstance(metrics, (Metrics, DailyMetrics)) else metrics
    if frame is None or not len(frame):
        return None
    known = set(table["pls_id"].astype(str).str.lower())
    series = frame[["resource_id", "metric", "dimension"]].drop_duplicates()
    outside = series[~series["resource_id"].astype(str).str.lower().isin(known)]
    if outside.empty:
        return None
    resources = list(dict.fromkeys(outside["resource_id"].astype(str)))
    count = len(resources)
    named = ", ".join(resources[:shown]) + (f" and {count - shown:,} more" if count > shown
                                            else "")
    return (f"metrics of {count:,} resource{'s' if count > 1 else ''} not in the inventory are "
            f"left out ({len(outside):,} series): {named}; add "
            f"{'their' if count > 1 else 'its'} private link service export to the inventory")


def _urgency(table, forecast):
    """Per PLS of ``table``: (usage rank, days to the first crossing, has a finding). The
    usage rank is 0 for a threshold reached (crossed, above since the first day), 1 for one
    forecast within SOON_DAYS of the last observed day, 2 otherwise; the days are those of
    the earliest such crossing (NaN without)."""
    findings = table["findings"].fillna("").str.len().to_numpy() > 0
    rank = np.full(len(table), 2)
    days = np.full(len(table), np.nan)
    if forecast is not None and len(forecast):
        rows = forecast.table
        reached = rows["status"].isin([STATUS_CROSSED, STATUS_ABOVE]).to_numpy()
        soon = ((rows["status"] == STATUS_FORECAST)
                & (rows["days_to_threshold"] <= SOON_DAYS)).to_numpy()
        risky = rows[reached | soon].assign(
            _key=lambda r: r["resource_id"].str.lower(),
            _rank=np.where(reached, 0, 1)[reached | soon],
            _days=lambda r: r["days_to_threshold"].fillna(-1.0))
        best = risky.groupby("_key").agg(rank=("_rank", "min"), days=("_days", "min"))
        where = best.index.get_indexer(table["pls_id"].str.lower())
        found = where >= 0
        rank[found] = best["rank"].to_numpy()[where[found]]
        days[found] = best["days"].to_numpy()[where[found]]
    return rank, days, findings


def _flagged(table, forecast) -> np.ndarray:
    """PLSs with a finding, or a threshold crossed or forecast within SOON_DAYS of the last
    observed day."""
    rank, _, findings = _urgency(table, forecast)
    return findings | (rank < 2)


def estate_review(inventory: Inventory, metrics: Metrics | DailyMetrics | None = None,
                  forecast: Forecast | None = None, *,
                  title="Private Link estate review", sources=()) -> str:
    """The estate review as one self-contained HTML document (figures embedded, all text
    escaped).

    Sections: summary, limits at risk (the findings), services (the :func:`estate_table`),
    exhaustion forecasts per NAT IP, figures (usage over time with the forecast band per NAT
    IP of each PLS; ceilings against observed peaks), method and assumptions. The page is
    rendered from the template ``plcapacity/report/templates/estate_review.html.j2`` with
    autoescaping on, in the style of the batch report (:func:`plcapacity.report.page_style`).

    Parameters
    ----------
    inventory : Inventory
        From :func:`plcapacity.read_inventory` (its notes and per-VM cap are on the page).
        To review some of the services, ``dataclasses.replace(inventory,
        table=inventory.table[...])``.
    metrics : Metrics or DailyMetrics, optional
        From :func:`plcapacity.read_metrics`, or (an estate of any size)
        :func:`plcapacity.estate.daily.read_daily_metrics`.
    forecast : Forecast, optional
        From :func:`plcapacity.forecast_exhaustion` (its fitted lines draw the figures).
    title : str
        The page's title.
    sources : sequence of str
        File names shown as the review's inputs.

    Returns
    -------
    str
        The HTML document (UTF-8 text; write it with :func:`plcapacity.write_report`, which
        replaces the file atomically).

    Examples
    --------
    >>> import plcapacity as plc
    >>> folder = plc.data_path("examples/estate")
    >>> inventory = plc.read_inventory(folder / "pls.json", folder / "lb.json", folder / "pe.json")
    >>> html = plc.estate_review(inventory)      # metrics and forecast are optional
    >>> html.startswith("<!DOCTYPE html>"), "Limits at risk" in html
    (True, True)
    >>> plc.write_report(html, "estate-review.html")   # doctest: +SKIP

    Notes
    -----
    Until 0.3.0, DataFrames of plcapacity 0.1, with their metadata in ``.attrs``, are
    accepted for each argument, with a DeprecationWarning; a bare table is accepted too (its
    page then lacks what the result object would have said: notes, the per-VM cap, the
    forecast's method and fitted lines).
    """
    cap_known = (isinstance(inventory, Inventory)
                 or "max_connections_per_vm" in getattr(inventory, "attrs", {}))
    inventory = as_inventory(inventory, need_connections=False)
    metrics = (metrics if metrics is None or isinstance(metrics, DailyMetrics)
               else as_metrics(metrics))
    forecast = None if forecast is None else as_forecast(forecast)
    table = estate_table(inventory, forecast)
    rank, days, with_findings = _urgency(table, forecast)
    flagged = with_findings | (rank < 2)
    # most urgent first: reached, then the soonest forecast, then findings only
    order = np.lexsort((np.nan_to_num(days, nan=np.inf), rank))
    order = order[flagged[order]]
    findings = [(name, item) for name, text in zip(table["name"], table["findings"])
                for item in str(text).split("; ") if item]
    figures, figures_more = _figures(table, metrics, forecast, order[rank[order] < 2])
    unmatched = unmatched_metrics(inventory, metrics) if metrics is not None else None
    notes = [*inventory.notes, *(metrics.notes if metrics is not None else ()),
             *([unmatched] if unmatched else [])]
    cap = inventory.max_connections_per_vm
    lim = get_limits()
    daily = metrics if isinstance(metrics, DailyMetrics) else None
    context = dict(
        title=str(title), version=__version__,
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        sources=[str(source) for source in sources], soon_days=SOON_DAYS,
        counts=dict(services=len(table), flagged=int(flagged.sum()), findings=len(findings),
                    usage_crossed=int((rank == 0).sum()), usage_soon=int((rank == 1).sum()),
                    with_findings=int(with_findings.sum()),
                    metrics_files=daily.files if daily is not None else 0,
                    metrics_values=daily.points if daily is not None else 0),
        findings=findings,
        ports_per_nat_ip=f"{lim.ports_per_nat_ip:,}",
        cap=("" if not cap_known else None if cap is None else f"{cap:,}"),
        at_risk=(markup(_services_table(table.iloc[order], flagged[order], findings=True,
                                        uuid="at-risk")) if len(order) else None),
        services=markup(_services_table(table, flagged)),
        forecast=_forecast_section(forecast, table["pls_id"].iloc[order[rank[order] < 2]]),
        figures=figures, figures_more=figures_more,
        overview=_overview(table, forecast, flagged),
        glossary=_glossary(lim),
        method=[f"PLSNatPortsUsage is read as the share of a NAT IP's ports in use; each NAT "
                f"IP gives {lim.ports_per_nat_ip:,} ports per backend VM (the FAQ's '64k'; the "
                "exact value is undocumented). Uncertain: Azure does not document whether the "
                "percentage is the mean or the largest share over the NAT IP's per-VM port "
                "pools, so the estimated peak in connections may be high.",
                "Forecasts extrapolate a trend; step changes (a new consumer, a scale-out) are "
                "not foreseen.", *notes],
        assumptions=markup(html_table(
            assumptions(), {"value": lambda v: format_cell(v, None)}, uuid="assumptions",
            labels=ASSUMPTION_LABELS)),
        style=markup(page_style()),
    )
    return template_environment().get_template(TEMPLATE).render(**context)


def _services_table(table, flagged, *, findings=False, uuid="services") -> str:
    shown = table.drop(columns=["pls_id"] + ([] if findings else ["findings"])
                       + [c for c in table.columns if c.endswith("_date")])
    shown = shown.assign(binding_limit=[BINDING.get(b, b) for b in shown["binding_limit"]])
    formats = {"peak_nat_port_usage_percent": _percent,
               "current_nat_port_usage_percent": _percent,
               "peak_throughput_mbit_s": lambda v: f"{v:,.1f}"}
    return html_table(shown, formats, bad=flagged, labels=_labels(shown.columns), uuid=uuid)


def _forecast_section(forecast, at_risk):
    """The forecast table per NAT IP (of every service up to MAX_FORECAST_SERVICES, else of
    the services at risk, ``at_risk`` ids in their order) and the sentences on its method,
    or None."""
    if forecast is None or not len(forecast):
        return None
    rows = forecast.table
    services = rows["resource_id"].str.lower()
    count = services.nunique()
    shown = f"Every service's NAT IPs ({count:,} services)."
    if count > MAX_FORECAST_SERVICES:
        keys = pd.Index(at_risk.str.lower().unique())
        where = keys.get_indexer(services)
        rows = rows.iloc[np.argsort(np.where(where < 0, len(keys), where), kind="stable")]
        rows = rows[keys.get_indexer(rows["resource_id"].str.lower()) >= 0]
        shown = (f"The NAT IPs of the {keys.size:,} services whose usage is at risk, in "
                 "their order; the "
                 f"other {count - keys.size:,} services' first crossings are in the table "
                 "of all services (plcapacity estate --format csv lists every NAT IP).")
    per_ip = rows[["pls", "nat_ip", "threshold_percent", "status", "crossing_date",
                   "crossing_earliest", "crossing_latest", "current_percent",
                   "peak_percent", "model", "slope_percent_per_day"]]
    table = html_table(per_ip, {"crossing_date": _day, "crossing_earliest": _day,
                                "crossing_latest": _day, "current_percent": _percent,
                                "peak_percent": _percent,
                                "slope_percent_per_day": lambda v: f"{v:+.3f}",
                                "threshold_percent": lambda v: f"{v:g} %"},
                       bad=per_ip["status"].isin([STATUS_CROSSED, STATUS_ABOVE]).to_numpy(),
                       labels=_labels(per_ip.columns), uuid="forecasts")
    details = []
    if forecast.confidence is not None:
        details.append(f"{forecast.confidence:.0%} interval of the first day a peak reaches "
                       "the threshold")
    if forecast.horizon_days is not None:
        details.append(f"horizon {forecast.horizon_days:g} days from the last observed day")
    if forecast.aggregation:
        details.append(f"aggregation {forecast.aggregation}")
    sentences = [forecast.criterion.rstrip(".")] if forecast.criterion else []
    if details:
        text = "; ".join(details)
        sentences.append(text[0].upper() + text[1:])
    return dict(method=". ".join(sentences), shown=shown,
                table=markup(table))


def _figures(table, metrics, forecast, usage_at_risk):
    """The usage figures of the services whose NAT port usage is at risk (positions in
    ``table``, most urgent first; at most MAX_USAGE_FIGURES), each as a dict of id, data URI
    and caption; and a note on those left out."""
    if forecast is None or metrics is None or not len(forecast) or not len(usage_at_risk):
        return [], ""
    chosen = usage_at_risk[:MAX_USAGE_FIGURES]
    more = len(usage_at_risk) - len(chosen)
    note = (f"Usage figures for the {len(chosen)} services at risk that reach a threshold "
            f"first; {more:,} more only in the tables." if more else "")
    rows = forecast.table
    names = rows.drop_duplicates("resource_id").set_index(
        rows.drop_duplicates("resource_id")["resource_id"].str.lower())["pls"]
    if isinstance(metrics, DailyMetrics):       # one pass over the daily peaks, not one a PLS
        positions = metrics.table.groupby("resource_id", sort=False).indices
    figures = []
    for position in chosen:
        key = str(table["pls_id"].iloc[position]).lower()
        if key not in names.index:
            continue
        pls = names.loc[key]
        mine = metrics
        if isinstance(metrics, DailyMetrics):
            resource = rows.loc[rows["resource_id"].str.lower() == key, "resource_id"].iloc[0]
            mine = dataclasses.replace(metrics, table=metrics.table.iloc[
                positions.get(resource, np.empty(0, np.int64))])
        figures.append(dict(
            id=f"usage-{pls}", uri=figure_data_uri(nat_port_forecast(mine, forecast, pls)),
            caption=f"{pls}: daily peaks of PLSNatPortsUsage per NAT IP, the trend carried "
                    "forward (dashed) and its prediction band (shaded); dotted: the "
                    "thresholds."))
    return figures, note


def _overview(table, forecast, flagged):
    """The one figure of every service: a bar each up to MAX_BAR_SERVICES, else a point
    each; None without a forecast."""
    if forecast is None or not len(forecast):
        return None
    if len(table) <= MAX_BAR_SERVICES:
        return dict(id="ceilings", uri=figure_data_uri(plotting.ceilings_vs_peaks(table)),
                    caption="Connection ceiling of each PLS against its estimated observed "
                            "peak (the sum over NAT IPs of each one's peak share of its "
                            "ports).")
    return dict(id="overview", uri=figure_data_uri(estate_overview(table, flagged)),
                caption=f"All {len(table):,} Private Link Services: connection ceiling against "
                        "peak NAT port usage; red: the services that need a look.")


def _glossary(lim):
    """(term, meaning) pairs of the review's words."""
    return [
        ("Private Link Service (PLS)", "The service consumers reach through private "
         "endpoints; it sits on a Standard Load Balancer frontend and source-NATs their "
         "traffic through its NAT IPs."),
        ("NAT IP", f"One of the PLS's source-NAT addresses (up to 8); each gives "
         f"{lim.ports_per_nat_ip:,} ports per backend VM."),
        ("PLSNatPortsUsage", "Azure Monitor's percentage of a NAT IP's ports in use; the "
         "review's usage figures are its daily peaks. [%]"),
        ("Daily peak", "The largest value of a UTC day (of the maximum aggregation when "
         "exported, else the average, which understates peaks). [%]"),
        ("Ceiling", "Connections the PLS can hold at once: NAT IPs × backend VMs × ports per "
         "NAT IP, capped per VM. [connections]"),
        ("Limiting factor", "What sets the ceiling: NAT ports, or connections per VM."),
        ("Estimated peak", "The sum over NAT IPs of each one's peak share of its ports: an "
         "upper estimate, as NAT IPs need not peak on the same day. [connections]"),
        ("Threshold", "A NAT port usage level the forecast dates (80 % and 100 % by "
         "default). [%]"),
        ("Trend model", "Linear or log-linear (exponential growth) Theil-Sen line through the "
         "daily peaks, whichever predicts the last 20 % of the days better."),
        ("Prediction interval", "Earliest to latest day the threshold is likely reached: the "
         "slope's confidence interval and the spread of daily peaks about the trend."),
        ("crossed", "A daily peak reached the threshold after a day below it; the current "
         "level is at or above it."),
        ("above since the first day", "At or above the threshold from the first day of data: "
         "when it was crossed is unknown."),
        ("not projected", "The trend gives no date: it is at the threshold while the last "
         "days are below it, or the last days fell below its band (a scale-out, a consumer "
         "gone)."),
        ("not within the horizon", "The trend does not reach the threshold within the "
         "horizon (or never: flat or falling)."),
        ("too few days", f"Fewer than {MIN_DAYS} days of data: only checked for crossed and "
         "above."),
        ("Needs a look", f"A finding, or a threshold reached or forecast within {SOON_DAYS} "
         "days of the last observed day."),
    ]


def _percent(value) -> str:
    return f"{value:.1f} %"


def _day(value) -> str:
    return "-" if pd.isna(value) else f"{value:%Y-%m-%d}"


def _labels(columns) -> dict:
    """Headers in words with units: :data:`LABELS`, and ``reaches_<threshold>``."""
    labels = {}
    for column in columns:
        if column in LABELS:
            labels[column] = LABELS[column]
        elif column.startswith("reaches_"):
            labels[column] = f"Reaches {column.removeprefix('reaches_')} % (earliest to latest)"
    return labels
