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

import html
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from plcapacity.base.limits import get_limits
from plcapacity.base.version import __version__
from plcapacity.estate.forecast import (
    STATUS_BEYOND,
    STATUS_CROSSED,
    STATUS_FORECAST,
    STATUS_TOO_FEW,
)
from plcapacity.estate.plots import nat_port_forecast
from plcapacity.report import plotting
from plcapacity.report.html import assumptions, figure_data_uri, html_table, page_style

__all__ = ["estate_table", "estate_review", "SOON_DAYS", "MAX_USAGE_FIGURES"]

#: A forecast crossing within this many days flags the PLS in the review. [days]
SOON_DAYS = 90
#: Most usage-over-time figures in a review (the services that reach a threshold first). [-]
MAX_USAGE_FIGURES = 24

_TABLE_COLUMNS = ["name", "region", "nat_ips", "backend_vms", "ceiling", "binding_limit",
                  "private_endpoints", "pending_connections", "pe_regions"]


def _describe(row) -> str:
    status = row["status"]
    if status == STATUS_CROSSED:
        return (f"crossed {row['crossing_date']:%Y-%m-%d}" if pd.notna(row["crossing_date"])
                else "crossed")
    if status == STATUS_FORECAST:
        low, high = row["crossing_earliest"], row["crossing_latest"]
        span = f"{low:%Y-%m-%d} to " + (f"{high:%Y-%m-%d}" if pd.notna(high)
                                         else "after the horizon")
        return f"{row['crossing_date']:%Y-%m-%d} ({span})"
    return status


def estate_table(inventory: pd.DataFrame, forecast: pd.DataFrame | None = None, *,
                 limits=None) -> pd.DataFrame:
    """One row per PLS: its deployment, ceiling, usage, forecast and findings.

    Parameters
    ----------
    inventory : pandas.DataFrame
        The result of :func:`plcapacity.read_inventory`.
    forecast : pandas.DataFrame, optional
        The result of :func:`plcapacity.forecast_exhaustion`. PLSs are matched by resource id
        (case ignored); a PLS without metrics says ``no metrics``.
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
        - ``reaches_<threshold>``: for each threshold, the first NAT IP's crossing: ``crossed
          YYYY-MM-DD``, ``YYYY-MM-DD (earliest to latest)``, ``not within the horizon``, ``too
          few days`` or ``no metrics``; and ``reaches_<threshold>_date`` (UTC day; ``NaT``
          unless crossed or forecast).

        Then ``findings`` and ``pls_id``.

    Examples
    --------
    >>> import plcapacity as plc
    >>> folder = plc.data_path("examples/estate")
    >>> inventory = plc.read_inventory(folder / "pls.json", folder / "lb.json", folder / "pe.json")
    >>> metrics = plc.read_metrics(folder / "metrics-pls-orders.json")
    >>> table = plc.estate_table(inventory, plc.forecast_exhaustion(metrics, thresholds=(80,)))
    >>> table[["name", "ceiling", "reaches_80"]].head(2)   # ceiling [connections]
               name  ceiling                             reaches_80
    0    pls-orders  1536000  2027-01-12 (2026-12-21 to 2027-03-10)
    1  pls-payments   384000                             no metrics
    """
    lim = limits or get_limits()
    table = inventory[_TABLE_COLUMNS].copy()
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
        rank = {STATUS_CROSSED: 0, STATUS_FORECAST: 1, STATUS_BEYOND: 2, STATUS_TOO_FEW: 3}
        fc["_rank"] = fc["status"].map(rank)
        fc["_when"] = fc["crossing_date"]
        for threshold in sorted(fc["threshold_percent"].unique()):
            name = f"reaches_{threshold:g}"
            first = (fc[fc["threshold_percent"] == threshold]
                     .sort_values(["_key", "_rank", "_when"], na_position="last")
                     .drop_duplicates("_key").set_index("_key"))
            text = first.apply(_describe, axis=1) if len(first) else pd.Series(dtype=object)
            table[name] = key.map(text).fillna("no metrics").to_numpy(object)
            table[f"{name}_date"] = key.map(first["crossing_date"]).to_numpy()
    table["findings"] = inventory["findings"].to_numpy()
    table["pls_id"] = inventory["pls_id"].to_numpy()
    table.attrs["notes"] = list(inventory.attrs.get("notes", []))
    return table


def _flagged(table, forecast) -> np.ndarray:
    """PLSs with a finding, or a threshold crossed or forecast within SOON_DAYS of the last
    observed day."""
    flagged = table["findings"].fillna("").str.len().to_numpy() > 0
    if forecast is not None and len(forecast):
        soon = forecast[(forecast["status"] == STATUS_CROSSED)
                        | ((forecast["status"] == STATUS_FORECAST)
                           & (forecast["days_to_threshold"] <= SOON_DAYS))]
        flagged |= table["pls_id"].str.lower().isin(soon["resource_id"].str.lower()).to_numpy()
    return flagged


def estate_review(inventory: pd.DataFrame, metrics: pd.DataFrame | None = None,
                  forecast: pd.DataFrame | None = None, *,
                  title="Private Link estate review", sources=()) -> str:
    """The estate review as one self-contained HTML document (figures embedded, all text
    escaped).

    Sections: summary, limits at risk (the findings), services (the :func:`estate_table`),
    exhaustion forecasts per NAT IP, figures (usage over time with the forecast band per NAT
    IP of each PLS; ceilings against observed peaks), method and assumptions.

    Parameters
    ----------
    inventory : pandas.DataFrame
        From :func:`plcapacity.read_inventory`.
    metrics, forecast : pandas.DataFrame, optional
        From :func:`plcapacity.read_metrics` and :func:`plcapacity.forecast_exhaustion`.
    title : str
        The page's title.
    sources : sequence of str
        File names shown as the review's inputs.

    Returns
    -------
    str
        The HTML document (UTF-8 text; write it with :func:`plcapacity.write_report`).

    Examples
    --------
    >>> import plcapacity as plc
    >>> folder = plc.data_path("examples/estate")
    >>> inventory = plc.read_inventory(folder / "pls.json", folder / "lb.json", folder / "pe.json")
    >>> html = plc.estate_review(inventory)      # metrics and forecast are optional
    >>> html.startswith("<!DOCTYPE html>"), "Limits at risk" in html
    (True, True)
    >>> plc.write_report(html, "estate-review.html")   # doctest: +SKIP
    """
    table = estate_table(inventory, forecast)
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    flagged = _flagged(table, forecast)
    findings = [(name, item) for name, text in zip(table["name"], table["findings"])
                for item in str(text).split("; ") if item]
    shown = table.drop(columns=["pls_id", "findings"]
                       + [c for c in table.columns if c.endswith("_date")])
    percent = lambda v: f"{v:.1f} %"  # noqa: E731
    formats = {"peak_nat_port_usage_percent": percent, "current_nat_port_usage_percent": percent,
               "peak_throughput_mbit_s": lambda v: f"{v:,.1f}"}
    figures, notes_extra = [], []
    if forecast is not None and metrics is not None and len(forecast):
        order = (forecast.assign(_soon=forecast["status"].map({STATUS_CROSSED: 0,
                                                                STATUS_FORECAST: 1}).fillna(2))
                 .sort_values(["_soon", "crossing_date"], na_position="last"))
        chosen = list(order["pls"].drop_duplicates())
        if len(chosen) > MAX_USAGE_FIGURES:
            notes_extra.append(f"usage figures for the {MAX_USAGE_FIGURES} services that reach "
                               f"a threshold first; {len(chosen) - MAX_USAGE_FIGURES} more "
                               "are in the tables only")
        for pls in chosen[:MAX_USAGE_FIGURES]:
            figures.append((f"usage-{pls}", nat_port_forecast(metrics, forecast, pls),
                            f"{pls}: daily peaks of PLSNatPortsUsage per NAT IP, the trend "
                            "carried forward (dashed) and its prediction band (shaded); dotted: "
                            "the thresholds."))
        figures.append(("ceilings", plotting.ceilings_vs_peaks(table),
                        "Connection ceiling of each PLS against its estimated observed peak "
                        "(the sum over NAT IPs of each one's peak share of its ports)."))
    figure_html = "".join(
        f"<figure id='fig-{html.escape(name, quote=True)}'><img alt='{html.escape(caption, quote=True)}' "
        f"src='{figure_data_uri(ax)}'><figcaption>{html.escape(caption)}</figcaption></figure>"
        for name, ax, caption in figures) or "<p>No metrics given: no figures.</p>"
    if forecast is not None and len(forecast):
        per_ip = forecast[["pls", "nat_ip", "threshold_percent", "status", "crossing_date",
                           "crossing_earliest", "crossing_latest", "current_percent",
                           "peak_percent", "model", "slope_percent_per_day"]]
        day = lambda v: "-" if pd.isna(v) else f"{v:%Y-%m-%d}"  # noqa: E731
        forecast_html = (
            f"<p class='note'>{html.escape(forecast.attrs.get('criterion', ''))}. Prediction "
            f"interval at {forecast.attrs.get('confidence', 0.9):.0%}; horizon "
            f"{forecast.attrs.get('horizon_days', 365):g} days from the last observed day; "
            f"aggregation {html.escape(str(forecast.attrs.get('aggregation', '')))}.</p>"
            + html_table(per_ip, {"crossing_date": day, "crossing_earliest": day,
                                  "crossing_latest": day, "current_percent": percent,
                                  "peak_percent": percent,
                                  "slope_percent_per_day": lambda v: f"{v:+.3f}",
                                  "threshold_percent": lambda v: f"{v:g} %"},
                         bad=(per_ip["status"] == STATUS_CROSSED).to_numpy()))
    else:
        forecast_html = "<p>No metrics given.</p>"
    notes = list(table.attrs.get("notes", [])) + notes_extra
    if metrics is not None:
        notes += list(metrics.attrs.get("notes", []))
    cap = inventory.attrs.get("max_connections_per_vm")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{page_style()}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='note'>Generated {generated} by plcapacity {html.escape(__version__)}"
        + (f" from {html.escape(', '.join(map(str, sources)))}" if sources else "") + ".</p>",
        "<h2 id='summary'>Summary</h2><ul>",
        f"<li>{len(table)} Private Link Services; {int(flagged.sum())} need a look (a finding, "
        f"or a usage threshold crossed or forecast within {SOON_DAYS} days).</li>",
        f"<li>{len(findings)} findings.</li></ul>",
        "<h2 id='limits-at-risk'>Limits at risk</h2>",
        ("<ul>" + "".join(f"<li><b>{html.escape(name)}</b>: {html.escape(item)}</li>"
                          for name, item in findings) + "</ul>") if findings else "<p>None.</p>",
        "<h2 id='services'>Services</h2>",
        "<p class='note'>Ceiling: nat_ips x backend_vms x ports per NAT IP, "
        + (f"capped at {cap:,} connections per VM" if cap else "without a per-VM cap")
        + "; each PLS alone on its VMs.</p>",
        html_table(shown, formats, bad=flagged),
        "<h2 id='forecasts'>Exhaustion forecasts</h2>", forecast_html,
        "<h2 id='figures'>Figures</h2>", figure_html,
        "<h2 id='assumptions'>Method and assumptions</h2><ul>",
        "<li>PLSNatPortsUsage is read as the share of a NAT IP's ports in use; each NAT IP "
        f"gives {get_limits().ports_per_nat_ip:,} ports per backend VM (the FAQ's '64k'; the "
        "exact value is undocumented). Uncertain: Azure does not document whether the percentage is the mean "
        "or the largest share over the NAT IP's per-VM port pools, so the estimated peak in "
        "connections may be high.</li>",
        "<li>Forecasts extrapolate a trend; step changes (a new consumer, a scale-out) are not "
        "foreseen.</li>",
        "".join(f"<li>{html.escape(note)}</li>" for note in notes), "</ul>",
        "<p>Reference values (data/azure_limits.csv; overridable):</p>",
        html_table(assumptions()),
        "</body></html>",
    ]
    return "\n".join(parts)
