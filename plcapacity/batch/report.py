"""A self-contained HTML report of a batch run, for people who never open Python.

The page is rendered from a Jinja2 template (``plcapacity/templates/batch_report.html.j2``)
with autoescaping on: every service name, input value, warning and title is data, escaped on
output and never evaluated as template code. Tables go through :class:`pandas.io.formats.
style.Styler` with ``escape="html"``.

The report stays readable and linear in the number of services: the tables and figures show
the ``top`` (default 25) services most at risk of each kind, the summary counts all of them,
and the full results table travels inside the page as a CSV download (a
``data:text/csv;base64,...`` link), so the one HTML file is the whole report. A caller that
prefers a CSV file beside the page passes ``full_table="name.csv"`` and writes
:func:`results_table` there itself.

The building blocks are importable for report authors' own documents:
:func:`figure_data_uri` (a figure as an embeddable PNG), :func:`html_table`,
:func:`assumptions` (the limit values a run used, with sources and uncertainty),
:func:`uncertainties` (what is uncertain, in sentences generated from ``data/``),
:func:`glossary`, :func:`limits_at_risk`, :func:`capacity_shortfall`, :func:`report_inputs`,
:func:`results_table` and :func:`readable` (warnings and notes as sentences);
:func:`batch_report` assembles them.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from plcapacity.base.deprecation import warn_deprecated
from plcapacity.base.files import atomic_write
from plcapacity.base.limits import get_limits, read_reference, reference_provenance
from plcapacity.base.results import table_of
from plcapacity.base.version import __version__
from plcapacity.batch.run import BatchResults
from plcapacity.batch.scenarios import COLUMNS, read_scenarios
from plcapacity.capacity.sizing import DEMAND_COLUMNS
from plcapacity.report import plotting
from plcapacity.report.html import (
    assumptions,
    csv_data_uri,
    figure_data_uri,
    format_cell,
    html_table,
    is_missing,
    markup,
    template_environment,
)

__all__ = ["batch_report", "write_report", "limits_at_risk", "uncertainties", "glossary",
           "capacity_shortfall", "report_inputs", "results_table", "readable", "models_used"]

#: The default headroom of the demand columns (20 %): sizing leaves a service at most
#: 1 / (1 + headroom) used after its tolerated failures. [-]
DEFAULT_HEADROOM = float(DEMAND_COLUMNS["headroom"].default.split()[0])
#: Utilization after failures above which a service is flagged: beyond what the default
#: headroom allows (1 / 1.2 = 83.3 %), so a service sized with the default is never flagged
#: for the headroom it was given. [-]
UTILIZATION_AT_RISK = 1 / (1 + DEFAULT_HEADROOM)
#: Months to the ceiling below which a service is flagged. [months]
MONTHS_AT_RISK = 12
#: Probability that a month misses the SLO above which a service is flagged. [-]
SLO_RISK = 0.05
#: Services shown in each table and figure (the full table is the CSV download). [-]
TOP = 25
#: Served availability this far below availability counts as a capacity shortfall (float
#: noise of identical figures stays below it). [-]
SHORTFALL_TOLERANCE = 1e-9
HOURS_PER_YEAR = 8760
TEMPLATE = "batch_report.html.j2"

#: Structural assumptions of the model: they are not values in ``data/`` (those are listed
#: from the data by :func:`uncertainties`), so they are stated here.
MODEL_ASSUMPTIONS = (
    "Outage processes are independent of each other: one per region, and one per correlated "
    "group of the outage model (a group takes all its regions down at once); the outage "
    "model of each service is named in the header and in the outage_profile column.",
    "Connections spread evenly over the PLSs, NAT IPs and VMs of a deployment.",
)


#: Plain headers (with units) for the columns a reader sees.
LABELS = {
    "service": "Service",
    "status": "Status",
    "why": "Why it needs attention",
    "concurrent_connections": "Demand [connections]",
    "new_connections_per_s": "New connections [per s]",
    "port_hold_s": "Port hold after close [s]",
    "headroom": "Headroom [%]",
    "vm_failures_tolerated": "VM failures tolerated [VMs]",
    "max_connections_per_vm": "Max connections per VM",
    "consumer_endpoints": "Private endpoints",
    "growth_per_year": "Growth [% per year]",
    "zones": "Availability zones",
    "zone_failures_tolerated": "Zone failures tolerated [zones]",
    "pe_regions": "Regions with endpoints",
    "destination_region": "PLS region",
    "failover": "Failover",
    "failover_delay_min": "Failover delay [min]",
    "outage_rate_per_year": "Outages per region [per year]",
    "outage_median_hours": "Median outage [h]",
    "outage_p95_hours": "95th percentile outage [h]",
    "slo_percent": "SLO [% uptime a month]",
    "deployment": "Layout file",
    "recommended": "Recommended PLS \u00d7 NAT IPs \u00d7 VMs",
    "binding_limit": "Limiting factor",
    "utilization_after_failures": "Used after VM failures [%]",
    "months_to_ceiling": "Months until full",
    "ceiling_after_failures": "Capacity after failures [connections]",
    "spare_connections": "Spare after failures [connections]",
    "pe_monthly_cost_usd": "Endpoint cost [USD per month]",
    "warning": "Warning",
    "exact_availability": "Availability, exact [%]",
    "availability": "Availability, simulated [%]",
    "served": "Served availability [%]",
    "unserved_hours": "Demand not fully served [h per year]",
    "mean_annual_downtime_min": "Mean downtime [min per year]",
    "p99_annual_downtime_min": "Downtime, worst 1 % of years [min]",
    "p_month_below_slo": "Chance a month misses the SLO [%]",
    "expected_credit_percent": "Expected credit [% of monthly fee]",
    "availability_note": "Notes (rare events)",
}

#: What a limiting factor means, in words (``binding_limit`` values).
BINDING = {"nat_ports": "NAT ports", "vm_connections": "connections per VM",
           "hash_overflow": "port-hash overflow"}

_INPUTS = tuple(name for name in COLUMNS if name != "service")
_SIZING_INPUTS = ("concurrent_connections", "new_connections_per_s", "headroom",
                  "vm_failures_tolerated", "max_connections_per_vm", "growth_per_year",
                  "zones", "zone_failures_tolerated")


# ----------------------------------------------------------------------------- blocks


def _provenance_line(name, key="uncertain=true:"):
    text = " ".join(reference_provenance(name).split())
    found = text.find(key)
    if found < 0:
        return ""
    rest = text[found + len(key):].strip()
    return rest.split(";")[0].split(". ")[0].strip().rstrip(".")


def uncertainties(limits=None) -> list[str]:
    """What is uncertain in a run, one sentence each, generated from the reference data.

    The uncertain limits and prices (``uncertain`` and ``note`` columns of ``data/``), the
    SLA's credit tiers (``data/sla.csv``), the defaults a scenario row falls back to where they
    are assumptions or calibrations (:data:`plcapacity.batch.scenarios.COLUMNS`), and
    :data:`MODEL_ASSUMPTIONS`.
    """
    items = []
    used = assumptions(limits)
    for row in used[used["uncertain"] == "yes"].itertuples():
        scope = f" {row.scope}" if row.scope else ""
        note = f": {row.note}" if row.note else ""
        items.append(f"{row.name} = {format_cell(row.value, None)} {row.unit}{scope}{note} "
                     f"(source: {row.source}, read {row.as_of}).")
    sla = read_reference("sla.csv")
    if sla["uncertain"].astype(bool).any():
        tiers = "; ".join(f"uptime below {row.uptime_below_percent:g} %: {row.credit_percent:g} "
                          "% credit" for row in sla.itertuples())
        why = _provenance_line("sla.csv")
        items.append(f"Private Link SLA credit tiers ({tiers}) from data/sla.csv"
                     + (f": {why}" if why else "") + ".")
    for column in COLUMNS.values():
        if "assumption" in column.default or "calibrat" in column.default:
            label = LABELS.get(column.name, column.name)
            items.append(f"Where a row gives no {label.split(' [')[0].lower()} "
                         f"({column.name}): {column.default}.")
    items.extend(MODEL_ASSUMPTIONS)
    return items


def glossary(limits=None) -> list[tuple[str, str]]:
    """Every term the report uses, with a short meaning (figures from the reference data)."""
    lim = limits or get_limits()
    return [
        ("PLS (Private Link Service)", "The provider side of Private Link: it sits in front of "
         f"a Standard Load Balancer; up to {lim.pls_per_load_balancer} per load balancer."),
        ("Private endpoint (PE)", "The consumer side: a private address in a consumer's "
         "network that connects to a PLS; billed per hour."),
        ("NAT IP", f"An address a PLS translates connections to; 1 to {lim.nat_ips_per_pls} "
         "per PLS."),
        ("NAT ports (nat_ports)", f"Each NAT IP offers about {lim.ports_per_nat_ip:,} ports per "
         "backend VM; every open connection, and every recently closed one during its port "
         "hold time, uses one. When they set the size, the limiting factor is NAT ports."),
        ("Connections per VM (vm_connections)", "The most connections one backend VM holds "
         "(the row's max connections per VM); when they set the size, the limiting factor is "
         "connections per VM."),
        ("Port-hash overflow (hash_overflow)", "Connections are spread over port pools by a "
         "hash, so a pool fills before the average does; when this sets the size, a pool "
         "would overflow before the nominal ceiling is reached."),
        ("Limiting factor", "The limit that sets the number of VMs: NAT ports, connections "
         "per VM or port-hash overflow."),
        ("Demand", "Connections open at the same time (concurrent connections)."),
        ("Port hold time", "How long a port stays reserved after its connection closes."),
        ("Headroom", "Spare capacity kept on top of the demand: 20 % headroom means the "
         "deployment is sized for 1.2 times the demand, so it is full at 83 % utilization."),
        ("VM failures tolerated", "Backend VMs that may fail while the rest still carry the "
         "demand with its headroom."),
        ("Utilization after tolerated VM failures", "Demand divided by the capacity left "
         "when the tolerated VMs have failed; above 100 % the demand is not carried."),
        ("Ceiling", "The most connections a deployment carries."),
        ("Months until full", "When the demand, growing at the row's yearly growth, uses up "
         "the capacity left after the tolerated VM failures (never: no growth)."),
        ("Availability", "Share of time at least one endpoint reaches the service. Exact: "
         "computed without failover gaps; simulated: over many simulated years of regional "
         "outages, with a 95 % confidence interval."),
        ("Served availability", "Share of time the whole demand is carried. Below the "
         "availability when the regions left after an outage lack the capacity for all of "
         "it."),
        ("Capacity shortfall after a regional outage", "Served availability below "
         "availability: the service is reachable but part of its demand is turned away. "
         "Counted as a risk."),
        ("SLO (service-level objective)", "The monthly uptime a service aims for, such as "
         "99.99 %; by default the Private Link SLA's."),
        ("SLA and service credit", "Azure's service-level agreement: a month below its uptime "
         "earns a credit, a share of the monthly fee (tiers under Assumptions)."),
        ("Chance a month misses the SLO", "Probability that a calendar month's uptime is "
         "below the SLO."),
        ("Failover", "Active-active: every region's endpoint serves at once; active-passive: "
         "the next region takes over after a failover delay."),
        ("95 % confidence interval (CI)", "The range the simulated value lies in with 95 % "
         "confidence, given the number of simulated years."),
        ("Rare events", "Outages so rare that the simulation sees only a handful; the "
         "simulated figure is then not a measurement and the exact value is the better "
         "guide."),
        ("Seed", "The number the random simulation starts from; the same seed gives the "
         "same figures."),
    ]


# ----------------------------------------------------------------------------- analysis


def _served(results) -> pd.Series:
    return plotting._served(results)


def capacity_shortfall(results) -> pd.Series:
    """Whether each service has a capacity shortfall after a regional outage.

    ``True`` where the served availability (``served_availability``, or ``served_fraction``
    in older results) is below the availability: the service stays reachable but cannot carry
    its whole demand. ``results``: a :class:`~plcapacity.batch.run.BatchResults` or its table.
    """
    results = table_of(results)
    return (_served(results) < results["availability"].astype(float)
            - SHORTFALL_TOLERANCE).fillna(False).astype(bool)


def limits_at_risk(results) -> pd.DataFrame:
    """Services whose deployment is nearly full or will be within a year, or that failed.

    Parameters
    ----------
    results : BatchResults or pandas.DataFrame
        From :func:`plcapacity.run_batch` (or its table, read back from a file).

    Returns
    -------
    pandas.DataFrame
        The flagged rows (failed, more than 80 % used after the failures they tolerate, or
        full within 12 months at their growth): ``service``, ``status``,
        ``utilization_after_failures`` [0-1], ``months_to_ceiling`` [months] and ``why``
        (text).

    Examples
    --------
    >>> import pandas as pd
    >>> import plcapacity as plc
    >>> services = pd.DataFrame({"service": ["orders", "huge"],
    ...                          "concurrent_connections": [2_000_000, 30_000_000_000]})
    >>> results = plc.run_batch(services, progress=False)      # sizing only: no pe_regions
    >>> at_risk = plc.limits_at_risk(results)
    >>> at_risk[["service", "status"]]
      service      status
    1    huge  infeasible
    >>> at_risk.why.iloc[0][:40]
    "row 2 (service 'huge'): infeasible: dema"
    """
    results = table_of(results)
    failed = results["status"] != "ok"
    full = results["utilization_after_failures"] > UTILIZATION_AT_RISK
    soon = results["months_to_ceiling"] < MONTHS_AT_RISK
    flagged = results[failed | full | soon].copy()
    reasons = []
    for row in flagged.itertuples():
        why = []
        if row.status != "ok":
            why.append(str(row.error))
        if row.utilization_after_failures > UTILIZATION_AT_RISK:
            why.append(f"{row.utilization_after_failures:.0%} used after the failures it "
                       f"tolerates (limiting factor: "
                       f"{BINDING.get(row.binding_limit, row.binding_limit)})")
        if row.months_to_ceiling < MONTHS_AT_RISK:
            why.append(f"full in {row.months_to_ceiling:.1f} months at its growth")
        reasons.append("; ".join(why))
    flagged["why"] = reasons
    return flagged[["service", "status", "utilization_after_failures", "months_to_ceiling",
                    "why"]]


def report_inputs(results, scenarios=None) -> pd.DataFrame:
    """Each service's inputs (scenario columns), aligned with ``results``' rows.

    Results from :func:`plcapacity.run_batch` (a :class:`~plcapacity.batch.run.BatchResults`
    or its table) carry only passed-through columns; the inputs come from ``scenarios`` (the
    table the batch ran on: a DataFrame or a path), joined by ``service``. Columns found in
    neither are left out.

    Raises
    ------
    ValueError
        When ``scenarios`` has no ``service`` column or names a service twice.
    """
    results = table_of(results)
    own = [c for c in _INPUTS if c in results.columns]
    inputs = pd.DataFrame({c: results[c].to_numpy() for c in own}, index=results.index)
    if scenarios is None:
        return inputs
    if not isinstance(scenarios, pd.DataFrame):
        scenarios = read_scenarios(scenarios)
    if "service" not in scenarios.columns:
        raise ValueError("scenarios: no 'service' column; the inputs are joined to the "
                         "results by service name")
    names = scenarios["service"].astype(str).str.strip()
    twice = names[names.duplicated()]
    if len(twice):
        raise ValueError(f"scenarios: service {twice.iloc[0]!r} appears more than once; the "
                         "inputs are joined to the results by service name")
    extra = [c for c in _INPUTS if c in scenarios.columns and c not in own]
    table = pd.DataFrame({c: scenarios[c].to_numpy() for c in extra}, index=names.to_numpy())
    joined = table.reindex(results["service"].astype(str).to_numpy())
    for column in extra:
        inputs[column] = joined[column].to_numpy()
    return inputs


def results_table(results, scenarios=None) -> pd.DataFrame:
    """The full table the report offers as a download: every result column, then the inputs
    that ``results`` (a :class:`~plcapacity.batch.run.BatchResults` or its table) does not
    already carry (from ``scenarios``)."""
    results = table_of(results)
    return _with_inputs(results, report_inputs(results, scenarios))


def _with_inputs(results, inputs):
    extra = inputs[[c for c in inputs.columns if c not in results.columns]]
    if extra.empty:
        return results
    return pd.concat([results, extra], axis=1)


# ----------------------------------------------------------------------------- wording


_SPLIT = re.compile(r"; (?=rare events|exact values|availability is|active-passive with|"
                    r"more than the|give either|[a-z_]+(?:, [a-z_]+)* ignored)")
_RARE = re.compile(r"rare events \((?P<what>[^)]*)\): the sample is expected to hold only "
                   r"(?P<n>\S+) episodes; the exact value is (?P<exact>\S+) \(unavailability "
                   r"(?P<u>\S+)\) - the simulated (?P<figure>.+?) is not a measurement")
_NAMES = re.compile(r"\b(" + "|".join(sorted((re.escape(c) for c in _INPUTS if "_" in c),
                                              key=len, reverse=True)) + r")\b")


def _plain_name(name):
    return LABELS.get(name, name).split(" [")[0].lower()


def readable(text) -> list[str]:
    """A warning or note of the results as sentences for a reader: one per message, column
    names in words, rare-event notes rephrased.

    Parameters
    ----------
    text : str
        A ``warning`` or ``availability_note`` cell of the results (several messages are
        joined by ``"; "``).

    Returns
    -------
    list of str
        One sentence per message, capitalized and ending with a full stop.

    Examples
    --------
    >>> from plcapacity.batch.report import readable
    >>> readable("one backend VM: no redundancy (vm_failures_tolerated=1 adds a VM)")
    ['One backend VM: no redundancy (“vm failures tolerated”=1 adds a VM).']
    """
    if is_missing(text):
        return []
    sentences = []
    for part in _SPLIT.split(str(text).strip()):
        rare = _RARE.fullmatch(part.strip())
        if rare:
            figure = rare["figure"].replace("served fraction", "served availability")
            part = (f"rare events ({rare['what']}): only about {rare['n']} episodes in the "
                    f"simulated years, too few to measure the {figure}; exact value "
                    f"{rare['exact']}")
        part = _NAMES.sub(lambda m: f"\u201c{_plain_name(m[1])}\u201d", part.strip())
        if part:
            first = 1 if part.startswith("\u201c") and len(part) > 1 else 0
            part = part[:first] + part[first].upper() + part[first + 1:]
            sentences.append(part + ("" if part.endswith(".") else "."))
    return sentences


# ----------------------------------------------------------------------------- formats


def _percent(digits):
    """A share in percent with ``digits`` decimals; a small positive one that would show as
    0 in two significant digits (an importance-sampled 3e-9: ``3e-07 %``, not ``0.00 %``)."""
    def show(v):
        percent = 100 * float(v)
        if 0 < percent < 0.5 * 10.0 ** -digits:
            return f"{percent:.2g}\u00a0%"
        return f"{percent:.{digits}f}\u00a0%"  # no line break before %
    return show


def _availability_digits(value, digits):
    """Decimals (in percent) that keep an availability's shortfall visible: ``digits``, or
    two significant digits of ``1 - value`` where ``digits`` would round it to 100 %."""
    missing = 100 * (1 - float(value))
    if 0 < missing < 0.5 * 10.0 ** -digits:
        return min(15, math.ceil(-math.log10(missing)) + 1)
    return digits


def _availability_percent(digits):
    """An availability in percent, with more decimals where ``digits`` would show 100 %."""
    return lambda v: f"{100 * float(v):.{_availability_digits(v, digits)}f}\u00a0%"


def _months(value):
    return "never" if np.isinf(value) else f"{value:,.1f}"


def _number(value):
    number = pd.to_numeric(value, errors="coerce")
    return str(value) if np.isnan(number) else format_cell(float(number), None)


def _input_cells(inputs, column):
    """Inputs as the reader wrote them, blanks as the default (marked), numbers formatted."""
    spec = COLUMNS[column]
    default = spec.default.split(" (")[0]
    values = inputs[column]
    shares = column in ("headroom", "growth_per_year")
    out = []
    for value in values:
        if is_missing(value):
            number = pd.to_numeric(default, errors="coerce")
            if np.isnan(number):
                shown = "-" if default in ("none", "required") else default
            else:
                shown = _percent(0)(number) if shares else format_cell(float(number), None)
            out.append(shown if shown == "-" else f"{shown} (default)")
            continue
        number = pd.to_numeric(value, errors="coerce")
        if np.isnan(number):
            out.append(str(value).replace(";", ", "))
        elif shares:
            out.append(_percent(0)(number))
        else:  # as written: every digit the reader gave (an SLO of 99.995 is not "100")
            out.append(_as_written(float(number)))
    return out


def _as_written(number) -> str:
    """A number with thousands separators and as many digits as it has (up to 12)."""
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.12g}"


# ----------------------------------------------------------------------------- the page


def _ranked(flags, *keys):
    """Row positions ordered by how many flags a row raises, then by ``keys`` (largest
    first)."""
    score = np.sum([np.asarray(f, dtype=int) << (len(flags) - k)
                    for k, f in enumerate(flags)], axis=0)
    columns = [np.nan_to_num(-np.asarray(k, dtype=float), nan=np.inf) for k in keys[::-1]]
    return np.lexsort(columns + [-score])


class _Rows:
    """The per-row figures and risk flags a report reads, as numpy arrays (one pass)."""

    def __init__(self, results, inputs):
        blank = pd.Series("", index=results.index)
        self.service = results["service"].astype(str).to_numpy()
        self.status = results["status"].astype(str).to_numpy()
        self.ok = self.status == "ok"
        self.error = results.get("error", blank).fillna("").astype(str).to_numpy()
        self.warning = results.get("warning", blank).fillna("").astype(str)
        self.note = results.get("availability_note", blank).fillna("").astype(str)
        self.utilization = results["utilization_after_failures"].astype(float).to_numpy()
        self.months = results["months_to_ceiling"].astype(float).to_numpy()
        self.p_miss = results["p_month_below_slo"].astype(float).to_numpy()
        self.availability = results["availability"].astype(float).to_numpy()
        self.served = _served(results).to_numpy()
        self.simulated = ~np.isnan(self.availability)
        self.short = capacity_shortfall(results).to_numpy()
        self.unserved = (1 - self.served) * HOURS_PER_YEAR
        self.full = self.utilization > UTILIZATION_AT_RISK
        self.soon = self.months < MONTHS_AT_RISK
        self.slo = self.p_miss > SLO_RISK
        self.attention = ~self.ok | self.short | self.slo | self.full | self.soon
        self.results, self.inputs = results, inputs


_FORMATS = {"utilization_after_failures": _percent(1), "months_to_ceiling": _months,
            "pe_monthly_cost_usd": lambda v: f"${v:,.2f}", "headroom": _percent(0),
            "exact_availability": _availability_percent(4),
            "availability": _availability_percent(4),
            "served": _availability_percent(4), "unserved_hours": lambda v: f"{v:,.1f}",
            "mean_annual_downtime_min": lambda v: f"{v:,.1f}",
            "p99_annual_downtime_min": lambda v: f"{v:,.1f}",
            "p_month_below_slo": _percent(2), "expected_credit_percent": lambda v: f"{v:.3f}"}


def _why(r, i):
    reasons = []
    if not r.ok[i]:
        reasons.append(r.error[i] or r.status[i])  # the status column says which kind
    if r.short[i]:
        reasons.append(f"capacity shortfall after a regional outage: demand not fully served "
                       f"about {r.unserved[i]:,.1f} h a year (served {100 * r.served[i]:.4f} % "
                       f"against {100 * r.availability[i]:.4f} % available)")
    if r.slo[i]:
        reasons.append(f"misses its SLO in {r.p_miss[i]:.1%} of months")
    if r.full[i]:
        reasons.append(f"{r.utilization[i]:.0%} used after the VM failures it tolerates")
    if r.soon[i]:
        reasons.append(f"full in {r.months[i]:.1f} months at its growth")
    return "; ".join(reasons)


def _attention_table(r, top):
    """Failed first, then shortfalls, SLO risk, nearly full, full soon: the ``top``."""
    order = _ranked([~r.ok, r.short, r.slo, r.full, r.soon], r.unserved, r.p_miss,
                    r.utilization)
    picked = order[r.attention[order]][:top]
    frame = pd.DataFrame({
        "service": r.service[picked], "status": r.status[picked],
        "why": [_why(r, i) for i in picked],
        "utilization_after_failures": r.utilization[picked],
        "months_to_ceiling": r.months[picked], "served": r.served[picked],
        "unserved_hours": r.unserved[picked]})
    if frame.empty:
        return None
    return html_table(frame, _FORMATS, labels=LABELS, uuid="attention",
                      bad=np.ones(len(frame), bool))


def _sizing_table(r, top):
    """The ``top`` fullest services (failed rows first), inputs beside the recommendation."""
    order = _ranked([~r.ok], r.utilization)[:top]
    frame = pd.DataFrame({"service": r.service[order]})
    shown = [c for c in _SIZING_INPUTS if c in r.inputs.columns]
    for column in shown:
        frame[column] = _input_cells(r.inputs.iloc[order], column)
    counts = [r.results[c].to_numpy()[order] for c in ("pls_count", "nat_ips", "backend_vms")]
    frame["recommended"] = [f"{p} \u00d7 {q} \u00d7 {v}" if good else f"{s}: see above"
                            for p, q, v, good, s in zip(*counts, r.ok[order],
                                                        r.status[order])]
    frame["binding_limit"] = [BINDING.get(b, "-" if is_missing(b) else str(b))
                              for b in r.results["binding_limit"].to_numpy()[order]]
    for column in ("utilization_after_failures", "months_to_ceiling", "pe_monthly_cost_usd"):
        frame[column] = r.results[column].to_numpy()[order]
    table = html_table(frame, _FORMATS, labels=LABELS, uuid="sizing",
                       bad=~r.ok[order] | r.full[order], numeric=shown)
    return table, len(frame), shown


def _with_ci(values, low, high):
    """Availabilities with their intervals, to the decimals that show the shortfall (an
    importance-sampled row: 99.99999999 %, not 100.0000 %); a NaN interval (too few effective
    trials) says so."""
    shown = []
    for a, lo, hi in zip(values, low, high):
        d = _availability_digits(a, 4)
        interval = ("no interval: too few effective trials" if np.isnan(lo) or np.isnan(hi)
                    else f"{100 * lo:.{d}f}\u2013{100 * hi:.{d}f}")
        shown.append(f"{100 * a:.{d}f}\u00a0% ({interval})")
    return shown


def _availability_table(r, top):
    """Shortfalls first, then the most likely to miss the SLO: the ``top`` with regions."""
    order = _ranked([r.short, r.slo], r.unserved, r.p_miss)
    order = order[r.simulated[order]][:top]
    results, inputs = r.results, r.inputs
    frame = pd.DataFrame({"service": r.service[order]})
    for column in ("pe_regions", "failover", "slo_percent"):
        if column in inputs.columns:
            frame[column] = _input_cells(inputs.iloc[order], column)
    if "deployment" in inputs.columns:
        files = inputs["deployment"].to_numpy()[order]
        for column, word in (("pe_regions", "layout file {}"), ("failover", "per layout file")):
            if column in frame.columns:
                frame[column] = [text if is_missing(name) else word.format(name)
                                 for name, text in zip(files, frame[column])]
    frame["exact_availability"] = results["exact_availability"].to_numpy()[order]
    frame["availability"] = _with_ci(r.availability[order],
                                     results["availability_ci_low"].to_numpy()[order],
                                     results["availability_ci_high"].to_numpy()[order])
    labels = dict(LABELS, availability="Availability, simulated [%] (95 % CI)")
    if "served_availability_ci_low" in results.columns:
        frame["served"] = _with_ci(r.served[order],
                                   results["served_availability_ci_low"].to_numpy()[order],
                                   results["served_availability_ci_high"].to_numpy()[order])
        labels["served"] = "Served availability [%] (95 % CI)"
    else:
        frame["served"] = r.served[order]
    frame["unserved_hours"] = r.unserved[order]
    for column in ("mean_annual_downtime_min", "p_month_below_slo", "expected_credit_percent"):
        frame[column] = results[column].to_numpy()[order]
    frame["availability_note"] = [" ".join(readable(t)) for t in r.note.to_numpy()[order]]
    if frame.empty:
        return None, 0, []
    table = html_table(frame, _FORMATS, labels=labels, uuid="availability",
                       bad=r.short[order] | r.slo[order], numeric=["slo_percent"])
    first_short = [dict(service=r.service[i], hours=f"{r.unserved[i]:,.1f}",
                        served=f"{100 * r.served[i]:.4f} %") for i in order if r.short[i]][:3]
    return table, len(frame), first_short


def _warnings(r):
    """One entry per distinct warning sentence, with the services that have it (most
    common first)."""
    messages = {}
    has = (r.warning.str.strip() != "").to_numpy()
    for name, text in zip(r.service[has], r.warning.to_numpy()[has]):
        for sentence in readable(text):
            messages.setdefault(sentence, []).append(name)
    return sorted(messages.items(), key=lambda item: -len(item[1]))


def _figures(r, top):
    """The overview (every service, the riskiest named) and the top-N bar charts."""
    sized, simulated = int(r.ok.sum()), int(r.simulated.sum())
    frame = r.results
    if "headroom" in r.inputs.columns and "headroom" not in frame.columns:
        frame = frame.assign(headroom=pd.to_numeric(r.inputs["headroom"],
                                                    errors="coerce").to_numpy())
    headroom = (pd.to_numeric(frame["headroom"], errors="coerce")
                if "headroom" in frame.columns else None)
    if headroom is None or headroom.isna().all():
        headroom_text = "the default 20 % headroom (the rows' headroom is not known here)"
    else:
        h = headroom.fillna(0.2)
        headroom_text = (f"{h.min():.0%} headroom" if np.isclose(h.min(), h.max()) else
                         f"headrooms from {h.min():.0%} to {h.max():.0%} (shaded band)")
    figures = [
        dict(id="fig-batch-overview",
             uri=figure_data_uri(plotting.batch_overview(frame, max_labels=top)),
             caption=f"Every service sized ({sized:,}): utilization after the VM failures it "
                     "tolerates, against the probability that a calendar month misses its "
                     f"SLO (red: above {SLO_RISK:.0%}). Headroom used up: {headroom_text}. "
                     f"At most {top} of the riskiest services are named."),
        dict(id="fig-utilization",
             uri=figure_data_uri(plotting.utilization_by_service(r.results, top=top)),
             caption=f"The {min(top, sized)} fullest of {sized:,} services: utilization "
                     "after tolerated failures, coloured by the limiting factor.")]
    if simulated:
        figures.append(dict(
            id="fig-slo-risk",
            uri=figure_data_uri(plotting.slo_risk_by_service(r.results, top=top)),
            caption=f"The {min(top, simulated)} of {simulated:,} services with regions most "
                    "likely to miss the SLO in a month, with the expected service credit."))
    return figures


def _download(results, inputs, source, full_table):
    full = _with_inputs(results, inputs)
    info = dict(rows=len(full), columns=len(full.columns), embedded=full_table is None)
    if full_table is None:
        href, size = csv_data_uri(full)
        stem = Path(str(source)).stem if source else "plcapacity"
        info.update(href=href, name=f"{stem}-results.csv",
                    size=f"{size / 1e6:,.1f} MB" if size >= 1e6 else f"{size / 1e3:,.0f} kB")
    else:
        info.update(href=str(full_table), name=Path(str(full_table)).name, size=None)
    return info


def _recorded_seed(results):
    """The seed a run recorded: :attr:`BatchResults.seed_entropy`; from a DataFrame, 0.1's
    ``.attrs["seed_entropy"]``, read with a DeprecationWarning until 0.3.0 (None without)."""
    if isinstance(results, BatchResults):
        return results.seed_entropy
    seed = getattr(results, "attrs", {}).get("seed_entropy")
    if seed is not None:
        warn_deprecated('a results DataFrame with .attrs["seed_entropy"]', since="0.2.0",
                        removal="0.3.0", alternative="the BatchResults that plcapacity."
                        "run_batch returns (its seed_entropy), or batch_report(..., seed=...)",
                        stacklevel=4)
    return seed


def batch_report(results, *, scenarios=None,
                 title="Private Link capacity and availability", source="", trials=None,
                 seed=None, top=TOP, full_table=None, limits=None) -> str:
    """The report of a batch run as one self-contained HTML document (figures embedded).

    Sections: summary, services that need attention, sizing per service (inputs beside the
    recommendation), availability and SLO risk, warnings and notes, figures, download of the
    full table, glossary, assumptions (with what is uncertain).

    Parameters
    ----------
    results : BatchResults or pandas.DataFrame
        From :func:`plcapacity.run_batch` (or its table, read back from its CSV). The served
        availability is read from ``served_availability``, or ``served_fraction`` in results
        of plcapacity 0.1.
    scenarios : DataFrame or path, optional
        The scenario table the batch ran on: its input columns (demand, headroom, regions,
        ...) are joined to the results by ``service`` and shown beside each recommendation
        and in the download. Without it only inputs the results carry are shown.
    title : str
        The page's title.
    source : str
        Where the scenarios came from (shown on the page).
    trials : int, optional
        Simulated years per service with regions (shown on the page).
    seed : int, optional
        The batch seed; default :attr:`BatchResults.seed_entropy
        <plcapacity.batch.run.BatchResults.seed_entropy>` (or, deprecated until 0.3.0, a
        DataFrame's ``.attrs["seed_entropy"]``). Shown so that the run can be repeated.
    top : int
        Services shown in each table and figure (the riskiest); the summary counts all and
        the download holds all. [-]
    full_table : str, optional
        Default: the full table is embedded as a ``data:text/csv;base64`` download, so the
        page is the whole report. A file name instead links to that file beside the page
        (the caller writes :func:`results_table` there) and the page says it travels with it.
    limits : Limits, optional
        The limits the run used (for the assumptions section).

    Returns
    -------
    str
        The HTML document.

    Examples
    --------
    >>> import pandas as pd
    >>> import plcapacity as plc
    >>> services = pd.DataFrame({"service": ["orders", "huge"],
    ...                          "concurrent_connections": [2_000_000, 30_000_000_000]})
    >>> results = plc.run_batch(services, progress=False)      # sizing only: no pe_regions
    >>> html = plc.batch_report(results, source="services.csv")   # doctest: +SKIP
    >>> plc.write_report(html, "report.html")                      # doctest: +SKIP
    """
    top = int(top)
    if seed is None:
        seed = _recorded_seed(results)
    results = table_of(results)
    r = _Rows(results, report_inputs(results, scenarios))
    sizing, sizing_shown, sizing_inputs = _sizing_table(r, top)
    availability, availability_shown, first_short = _availability_table(r, top)
    warnings = _warnings(r)
    ok = r.ok
    context = dict(
        title=title, version=__version__,
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        source=str(source) if source else "", trials=trials if r.simulated.any() else None,
        seed=seed, top=top,
        counts=dict(services=len(results), sized=int(ok.sum()), failed=int((~ok).sum()),
                    full=int(r.full.sum()), soon=int(r.soon.sum()),
                    capacity=int((ok & (r.full | r.soon)).sum()),
                    simulated=int(r.simulated.sum()), slo=int(r.slo.sum()),
                    shortfall=int(r.short.sum()), attention=int(r.attention.sum()),
                    warned=sum(len(names) for _, names in warnings),
                    notes=int((r.note.str.strip() != "").sum())),
        thresholds=dict(utilization=f"{100 * UTILIZATION_AT_RISK:.1f}\u00a0%",
                        headroom=f"{DEFAULT_HEADROOM:.0%}", months=MONTHS_AT_RISK,
                        slo=f"{SLO_RISK:.0%}"),
        first_short=first_short,
        attention=markup(table) if (table := _attention_table(r, top)) else None,
        sizing=markup(sizing), sizing_shown=sizing_shown,
        sizing_inputs=[LABELS[c] for c in sizing_inputs], missing_inputs=not sizing_inputs,
        availability=markup(availability) if availability else None,
        availability_shown=availability_shown,
        warnings=[dict(text=text, count=len(names), services=names[:10],
                       more=max(0, len(names) - 10)) for text, names in warnings[:top]],
        warnings_more=max(0, len(warnings) - top),
        figures=_figures(r, top),
        csv=_download(results, r.inputs, source, full_table),
        glossary=glossary(limits),
        assumptions=markup(html_table(
            assumptions(limits), {"value": lambda v: format_cell(v, None)}, uuid="assumptions",
            labels={"name": "Reference value", "value": "Value used", "unit": "Unit",
                    "scope": "Scope", "uncertain": "Uncertain", "source": "Source",
                    "as_of": "Read on", "note": "Note"})),
        uncertain=uncertainties(limits),
        models=models_used(results, "outage_profile"),
        delays=models_used(results, "failover_delay"),
    )
    return template_environment().get_template(TEMPLATE).render(**context)


def models_used(results, column) -> list[dict]:
    """The distinct values of ``column`` among the simulated rows, most used first, with how
    many services use each (the outage models and failover delays behind the figures)."""
    if column not in results:
        return []
    values = results[column].dropna().astype(str)
    counts = values[values.str.strip() != ""].value_counts()
    return [dict(text=text, count=int(n)) for text, n in counts.items()]


def write_report(text: str, path) -> None:
    """Write the report atomically (no half-written file on interruption).

    Parameters
    ----------
    text : str
        The document (from :func:`batch_report` or :func:`plcapacity.estate_review`).
    path : str or path-like
        The file to (re)write, UTF-8.

    Returns
    -------
    None

    Examples
    --------
    >>> import plcapacity as plc
    >>> plc.write_report("<!DOCTYPE html><title>t</title>", "report.html")  # doctest: +SKIP
    """
    atomic_write(path, lambda target: target.write_text(text, encoding="utf-8"))
