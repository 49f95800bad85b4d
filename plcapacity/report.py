"""A self-contained HTML report of a batch run, for people who never open Python.

The building blocks are importable for report authors' own documents:
:func:`figure_data_uri` (a figure as an embeddable PNG), :func:`html_table`,
:func:`assumptions` (the limit values and model defaults a run used, with their sources and
uncertainty) and :func:`limits_at_risk`; :func:`batch_report` assembles them.
"""

from __future__ import annotations

import base64
import html
import io
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from . import __version__, plotting
from .files import atomic_write
from .limits import get_limits, limits_table

__all__ = ["figure_data_uri", "html_table", "assumptions", "limits_at_risk", "batch_report",
           "write_report"]

#: Utilization after failures above which a service is flagged (the default headroom of 20 %
#: is used up at 1 / 1.2 = 83 %). [-]
UTILIZATION_AT_RISK = 0.8
#: Months to the ceiling below which a service is flagged. [months]
MONTHS_AT_RISK = 12

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.8em 0; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; }
th { background: #f3f3f3; } td.text { text-align: left; }
.bad { color: #b00020; font-weight: 600; } .note { color: #555; font-size: 0.9em; }
figure { margin: 1em 0; } figcaption { color: #555; font-size: 0.85em; }
div.wide { overflow-x: auto; }
"""


def figure_data_uri(figure_or_axes, *, dpi=110) -> str:
    """A matplotlib figure (or its Axes) as a ``data:image/png;base64,...`` URI; closes it."""
    import matplotlib.pyplot as plt
    figure = getattr(figure_or_axes, "figure", figure_or_axes)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _cell(value, fmt):
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "-"
    if fmt is not None:
        return fmt(value)
    if isinstance(value, (int, np.integer)):
        return f"{value:,}"
    if isinstance(value, (float, np.floating)):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"
    return str(value)


def html_table(frame: pd.DataFrame, formats=None, *, bad=None) -> str:
    """An HTML table of ``frame`` (values escaped), with optional per-column formatters and a
    boolean row mask ``bad`` that highlights rows."""
    formats = formats or {}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for i, row in enumerate(frame.itertuples(index=False)):
        cells = []
        for column, value in zip(frame.columns, row):
            text = html.escape(_cell(value, formats.get(column)))
            kind = " class='text'" if isinstance(value, str) else ""
            cells.append(f"<td{kind}>{text}</td>")
        marker = " class='bad'" if bad is not None and bool(bad[i]) else ""
        rows.append(f"<tr{marker}>{''.join(cells)}</tr>")
    return (f"<div class='wide'><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def assumptions(limits=None) -> pd.DataFrame:
    """The reference values a run relies on, with unit, source and whether it is uncertain."""
    lim = limits or get_limits()
    table = limits_table()
    used = ["ports_per_nat_ip", "nat_ips_per_pls", "pls_per_load_balancer", "pe_per_pls",
            "backend_pool_size", "vm_nic_concurrent_flows", "default_port_hold_s"]
    table = table.set_index("name").loc[used].reset_index()
    table["value"] = [lim[name] for name in table["name"]]
    table["uncertain"] = np.where(table["uncertain"].astype(bool), "yes", "no")
    return table[["name", "value", "unit", "uncertain", "source", "note"]]


def limits_at_risk(results: pd.DataFrame) -> pd.DataFrame:
    """Services whose deployment is nearly full or will be within a year, or that failed."""
    failed = results["status"] != "ok"
    full = results["utilization_after_failures"] > UTILIZATION_AT_RISK
    soon = results["months_to_ceiling"] < MONTHS_AT_RISK
    flagged = results[failed | full | soon].copy()
    reasons = []
    for row in flagged.itertuples():
        why = []
        if row.status != "ok":
            why.append(row.error)
        if row.utilization_after_failures > UTILIZATION_AT_RISK:
            why.append(f"{row.utilization_after_failures:.0%} used after the failures it "
                       f"tolerates (binding: {row.binding_limit})")
        if row.months_to_ceiling < MONTHS_AT_RISK:
            why.append(f"ceiling reached in {row.months_to_ceiling:.1f} months at its growth")
        reasons.append("; ".join(why))
    flagged["why"] = reasons
    return flagged[["service", "status", "utilization_after_failures", "months_to_ceiling",
                    "why"]]


def _percent(value):
    return f"{value:.1%}"


def batch_report(results: pd.DataFrame, *, title="Private Link capacity and availability",
                 source="", trials=None, seed=None) -> str:
    """The report of a batch run as one self-contained HTML document (figures embedded).

    Sections: summary, limits at risk, sizing per service, availability and SLO risk,
    figures, assumptions.
    """
    ok = results["status"] == "ok"
    with_regions = results["availability"].notna()
    risk = limits_at_risk(results)
    capacity_risk = int((risk["status"] == "ok").sum())
    slo_risk = results[with_regions].sort_values("p_month_below_slo", ascending=False)
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    sizing = results[["service", "status", "pls_count", "nat_ips", "backend_vms", "ceiling",
                      "ports_needed", "utilization_after_failures", "spare_connections",
                      "binding_limit", "months_to_ceiling", "pe_monthly_cost_usd", "warning"]]
    availability = slo_risk[["service", "exact_availability", "availability",
                             "availability_ci_low", "availability_ci_high", "served_availability",
                             "mean_annual_downtime_min", "p99_annual_downtime_min",
                             "p_month_below_slo", "expected_credit_percent", "slo_percent"]]
    six = lambda v: f"{v:.6f}"  # noqa: E731
    figures = [
        ("batch-overview", plotting.batch_overview(results),
         "Utilization after the VM failures each service tolerates, against the probability "
         "that a calendar month misses its SLO (red: above 5 %)."),
        ("utilization", plotting.utilization_by_service(results),
         "Utilization per service after tolerated failures, coloured by the limit that sets "
         "the VM count."),
    ]
    if with_regions.any():
        figures.append(("slo-risk", plotting.slo_risk_by_service(results),
                        "Probability that a month misses the SLO, and the expected service "
                        "credit, per service with regions."))
    figure_html = "".join(
        f"<figure id='fig-{name}'><img alt='{html.escape(caption)}' "
        f"src='{figure_data_uri(ax)}'><figcaption>{html.escape(caption)}</figcaption></figure>"
        for name, ax, caption in figures)
    assumed = assumptions()
    uncertain = [
        "Ports per NAT IP per backend VM: the FAQ says '64k'; 64,000 is modelled "
        "(the exact value is undocumented).",
        "Port hold time after close: Azure documents none for Private Link; NAT Gateway's "
        "65 s is used where a row gives none.",
        "Regional outage rates: where a row gives none, each region is calibrated so that it "
        "alone meets the row's SLO (a calibration, not an observation), with lognormal "
        "durations of median 2 h and p95 12 h (assumptions).",
        "Outages of different regions are independent unless a deployment file declares a "
        "correlated group.",
        "The Private Link SLA text and credit tiers (99.99 %: 10 %, 99 %: 25 %) were not "
        "retrieved from the source; they are data in data/sla.csv.",
        "Connections are assumed to spread evenly over PLSs, NAT IPs and VMs.",
    ]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='note'>Generated {generated} by plcapacity {__version__}"
        + (f" from {html.escape(str(source))}" if source else "")
        + (f"; {trials:,} simulated years per service with regions"
           if trials and with_regions.any() else "")
        + (f"; seed {seed}" if seed is not None else "") + ".</p>",
        "<h2 id='summary'>Summary</h2><ul>",
        f"<li>{len(results)} services; {int(ok.sum())} sized, "
        f"{int((~ok).sum())} failed.</li>",
        f"<li>{capacity_risk} at risk of running out of capacity (over "
        f"{UTILIZATION_AT_RISK:.0%} used after failures, or the ceiling within "
        f"{MONTHS_AT_RISK} months); failed rows are listed with them.</li>",
        f"<li>{int(with_regions.sum())} with regional availability simulated; "
        f"{int((results['p_month_below_slo'] > 0.05).sum())} miss their SLO in more than 5 % "
        "of months.</li></ul>",
        "<h2 id='limits-at-risk'>Limits at risk</h2>",
        html_table(risk, {"utilization_after_failures": _percent,
                          "months_to_ceiling": lambda v: f"{v:.1f}"})
        if len(risk) else "<p>None.</p>",
        "<h2 id='sizing'>Sizing per service</h2>",
        "<p class='note'>The smallest deployment (fewest VMs, then PLS, then NAT IPs) that "
        "carries the demand with its headroom after the VM failures it tolerates. Ceiling in "
        "connections; ports needed include ports held after connections close.</p>",
        html_table(sizing, {"utilization_after_failures": _percent,
                            "months_to_ceiling": lambda v: f"{v:.1f}",
                            "pe_monthly_cost_usd": lambda v: f"${v:,.2f}"},
                   bad=(results["status"] != "ok").to_numpy()),
        "<h2 id='availability'>Availability and SLO risk</h2>",
        "<p class='note'>Exact: steady state without failover gaps. Simulated: with gaps, "
        "95 % confidence interval. A month below the SLO earns a service credit.</p>",
        html_table(availability, {"exact_availability": six, "availability": six,
                                  "availability_ci_low": six, "availability_ci_high": six,
                                  "served_availability": six, "p_month_below_slo": _percent,
                                  "expected_credit_percent": lambda v: f"{v:.3f} %",
                                  "slo_percent": lambda v: f"{v:g}"},
                   bad=(availability["p_month_below_slo"] > 0.05).to_numpy())
        if len(availability) else "<p>No service has regions.</p>",
        "<h2 id='figures'>Figures</h2>", figure_html,
        "<h2 id='assumptions'>Assumptions</h2>",
        "<p>Reference values (data/azure_limits.csv; overridable):</p>",
        html_table(assumed),
        "<p>What is uncertain:</p><ul>"
        + "".join(f"<li>{html.escape(item)}</li>" for item in uncertain) + "</ul>",
        "</body></html>",
    ]
    return "\n".join(parts)


def write_report(text: str, path) -> None:
    """Write the report atomically (no half-written file on interruption)."""
    atomic_write(path, lambda target: target.write_text(text, encoding="utf-8"))
