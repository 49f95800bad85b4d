"""Scenario tables: the columns a batch run reads, their validation, and the result columns.

One row per Private Link service. Every input column is documented once, in :data:`COLUMNS`
(``plcapacity batch --columns`` prints them); every result column in :data:`RESULT_COLUMNS`.
Validation is vectorized over the rows, and a bad cell is its row's error (quoting the row,
the service, the column, the value and what is allowed): the other rows are still computed.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from plcapacity.availability.deployment import Deployment, load_deployment, regional_deployment
from plcapacity.base.exceptions import BatchInputError, InfeasibleDemandError
from plcapacity.base.limits import get_limits
from plcapacity.base.regions import check_region, region_catalog
from plcapacity.base.schema import Column, Schema
from plcapacity.base.sla import SLA
from plcapacity.base.tables import read_table
from plcapacity.base.validation import TableRows, is_blank, short_repr
from plcapacity.capacity.model import Demand, deployment_capacity
from plcapacity.capacity.sizing import DEMAND_COLUMNS, SIZE_RESULT_COLUMNS
from plcapacity.outages.processes import OutageModel
from plcapacity.outages.profiles import DEFAULT_PROFILE
from plcapacity.planning.plan import plan

__all__ = ["read_scenarios", "columns_table", "COLUMNS", "RESULT_COLUMNS",
           "DEFAULT_OUTAGE_PROFILE", "ScenarioRows", "availability_specs"]

#: The outage model of rows that name none: fitted to evidence, not to the row's objective.
DEFAULT_OUTAGE_PROFILE = DEFAULT_PROFILE


#: Every input column of a scenario table, documented in one place.
COLUMNS = Schema([
    Column("service", "-", "required", "non-empty text, unique in the table",
           "name of the service; its seed derives from it"),
    *DEMAND_COLUMNS.values(),
    Column("pe_regions", "-", "none (no availability)", "region names separated by ';'",
           "regions with a private endpoint, in failover order"),
    Column("destination_region", "-", "the first of pe_regions", "a region name",
           "region of the PLS"),
    Column("pls_regions", "-", "destination_region", "region names separated by ';'",
           "a PLS in each region, each the row's size; each endpoint reaches the PLS of its own "
           "region where there is one, else the first listed (instead of destination_region)"),
    Column("plan_regions", "-", "none (the row's own size)", "region names separated by ';' "
           "(at most 10)", "plan the row over these candidate regions (plcapacity.plan): the "
           "cheapest regions and size that meet slo_percent; replaces pe_regions, "
           "destination_region and pls_regions"),
    Column("failover", "-", "active-active", "active-active or active-passive",
           "how traffic moves between endpoints"),
    Column("failover_delay_min", "min", "none: the lognormal delay below",
           "a number >= 0", "a fixed time to fail over to the next endpoint (active-passive)"),
    Column("failover_delay_median_min", "min",
           "15 (assumption, data/azure_limits.csv; docs/failover.md)", "a number > 0",
           "median of a lognormal failover delay, drawn anew for each failover"),
    Column("failover_delay_p95_min", "min",
           "120 (assumption, data/azure_limits.csv; docs/failover.md)",
           "a number > failover_delay_median_min",
           "95th percentile of the lognormal failover delay"),
    Column("outage_profile", "-", f"{DEFAULT_OUTAGE_PROFILE} (fitted to the Azure status "
           "incidents that touch the data path; data/outages/)", "a profile name: "
           "azure-datapath-2018-2019, azure-status-2018-2020 (every incident: an upper bound) "
           "or sla-calibrated", "the outage model: rates and durations per region and "
           "correlated groups"),
    Column("outage_rate_per_year", "1/yr", "from outage_profile", "a number >= 0",
           "outage starts per year in each region (replaces the profile with one lognormal "
           "model)"),
    Column("outage_median_hours", "h", "2 (assumption), with outage_rate_per_year or "
           "sla-calibrated", "a number > 0", "median outage duration (lognormal)"),
    Column("outage_p95_hours", "h", "12 (assumption), with outage_rate_per_year or "
           "sla-calibrated", "a number > outage_median_hours",
           "95th percentile of outage duration (lognormal)"),
    Column("slo_percent", "%", "99.99 (Private Link SLA, data/sla.csv)",
           "a number between 0 and 100",
           "monthly uptime objective: sets the SLO-miss columns, never the availability (except "
           "with outage_profile sla-calibrated, which calibrates to it)"),
    Column("deployment", "-", "none",
           "path to a deployment TOML file in the table's folder (or below it)",
           "for layouts a row cannot hold; replaces the availability columns above"),
])
_BY_NAME = COLUMNS
AVAILABILITY_COLUMNS = ("pe_regions", "destination_region", "pls_regions", "plan_regions",
                        "failover", "failover_delay_min",
                        "failover_delay_median_min", "failover_delay_p95_min", "outage_profile", "outage_rate_per_year", "outage_median_hours",
                        "outage_p95_hours")

#: Every result column: one :class:`~plcapacity.base.schema.Column` each.
RESULT_COLUMNS = Schema([
    Column.output("service", "-", "the row's service"),
    *SIZE_RESULT_COLUMNS.without("overflow_probability_after_failures").values(),
    SIZE_RESULT_COLUMNS["overflow_probability_after_failures"],
    *(Column.output(name, unit, meaning) for name, (unit, meaning) in {
    "exact_availability": ("0-1", "steady-state availability (no failover gaps)"),
    "availability": ("0-1", "simulated availability (with failover gaps)"),
    "availability_ci_low": ("0-1", "95 % confidence interval, low end"),
    "availability_ci_high": ("0-1", "95 % confidence interval, high end"),
    "served_availability": ("0-1", "simulated fraction of time the demand is served"),
    "served_availability_ci_low": ("0-1", "95 % confidence interval, low end"),
    "served_availability_ci_high": ("0-1", "95 % confidence interval, high end"),
    "mean_annual_downtime_min": ("min/yr", "simulated mean downtime per year"),
    "p99_annual_downtime_min": ("min/yr", "99th percentile of annual downtime (0.5 % bins)"),
    "p_month_below_slo": ("0-1", "probability that a calendar month misses the SLO"),
    "expected_credit_percent": ("% of fee", "expected monthly service credit"),
    "slo_percent": ("%", "the objective used"),
    "planned_regions": ("-", "rows with plan_regions: the regions plan chose (';'-joined); the "
                        "sizing columns are then per region, the costs for all regions"),
    "trials": ("trial-years", "simulated years"),
    "outage_profile": ("-", "the outage model behind the availability figures: its profile "
                       "(or this row's own rate, or its deployment file) and correlated groups"),
    "failover_delay": ("-", "the failover mode and its delay law"),
    "availability_note": ("-", "rare events and other caveats of the simulation"),
}.items()),
])

_DEFAULT_MEDIAN_HOURS = 2.0
_DEFAULT_P95_HOURS = 12.0
#: Most duplicate rows a message lists (a table of 20,000 copies must not make huge messages).
_DUPLICATES_LISTED = 5


def columns_table() -> pd.DataFrame:
    """The input columns as a table: column, unit, default, allowed, meaning.

    Returns
    -------
    pandas.DataFrame
        One row per input column of a scenario table, in table order: ``column``, ``unit``
        (such as "connections", "1/s", "s", "-"), ``default``, ``allowed`` and ``meaning``.

    Examples
    --------
    >>> import plcapacity as plc
    >>> columns = plc.columns_table().set_index("column")
    >>> columns.loc["new_connections_per_s", ["unit", "default"]].tolist()
    ['1/s', '0']
    """
    return COLUMNS.table()


def read_scenarios(path) -> pd.DataFrame:
    """Read a scenario table: CSV, Parquet or JSON (records), by the file's suffix.

    CSV cells are kept as text so that errors can quote what was written. See
    :func:`plcapacity.base.tables.read_table` for the limits.

    Parameters
    ----------
    path : str or path-like
        The table: ``.csv``, ``.parquet`` or ``.json`` (records); at most
        :data:`plcapacity.base.tables.MAX_TABLE_BYTES` bytes.

    Returns
    -------
    pandas.DataFrame
        One row per service, the columns as written (see :func:`columns_table`);
        ``attrs["source"]`` is the path.

    Raises
    ------
    FileNotFoundError, TableError
        Naming the file and what is wrong.

    Examples
    --------
    >>> import plcapacity as plc
    >>> scenarios = plc.read_scenarios(plc.data_path("examples/services.csv"))
    >>> len(scenarios), scenarios.columns[:2].tolist()
    (20, ['service', 'concurrent_connections'])
    """
    return read_table(path)


class ScenarioRows(TableRows):
    """A scenario table's rows: the table-level checks, then cell checks row by row."""

    def __init__(self, frame, passthrough):
        frame = frame.reset_index(drop=True)
        if len(frame.columns):
            # rows with every cell empty (a spreadsheet's trailing ",,,") are not services
            cells = frame.to_numpy(dtype=object)
            empty = np.array([all(is_blank(v) for v in row) for row in cells], dtype=bool)
            frame = frame[~empty].reset_index(drop=True)
        unknown = [c for c in frame.columns if c not in _BY_NAME]
        if unknown and not passthrough:
            shown = ", ".join(short_repr(c, 40) for c in unknown[:10])
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            raise BatchInputError(
                f"unknown column(s) {shown}{more}; allowed: {', '.join(_BY_NAME)} (pass extra "
                "columns through with passthrough=True / --passthrough)")
        clashes = [c for c in unknown if c in RESULT_COLUMNS]
        if clashes:
            raise BatchInputError(
                f"column(s) {', '.join(map(repr, clashes))} would overwrite result columns of "
                "the same name; rename them in the table")
        self.extra = unknown
        missing = [c for c in ("service", "concurrent_connections") if c not in frame]
        if missing:
            raise BatchInputError(f"missing required column(s) {', '.join(missing)}")
        if len(frame) == 0:
            raise BatchInputError("the table has no rows")
        self.base = Path(frame.attrs.get("source", ".")).parent
        self.service = np.array(["" if is_blank(v) else str(v).strip()
                                 for v in frame["service"].tolist()], dtype=object)
        labels = [f"row {i + 1} (service {short_repr(s, 60)})" for i, s in enumerate(self.service)]
        super().__init__(frame, {c.name: c.allowed for c in COLUMNS.values()}, labels)
        self._check_services()

    def _check_services(self):
        empty = (self.service == "") | (self.service == "nan")
        self.fail(empty, "service", self.service, "non-empty text")
        names = pd.Series(self.service)
        duplicated = names.duplicated(keep=False).to_numpy() & ~empty
        if not duplicated.any():
            return
        # group the duplicates once (linear), and list at most a few rows in each message
        groups = names[duplicated].groupby(names[duplicated], sort=False).groups
        for name, index in groups.items():
            rows = [str(j + 1) for j in index[:_DUPLICATES_LISTED]]
            more = (f" and {len(index) - _DUPLICATES_LISTED:,} more"
                    if len(index) > _DUPLICATES_LISTED else "")
            message = (f"service {short_repr(name, 60)} appears in rows {', '.join(rows)}{more}; "
                       "names must be unique (seeds and checkpoints use them)")
            for j in index:
                self.errors[j].append(message)


def _row_delay(failover, fixed, median, p95, lim):
    """A row's failover delay: ``(delay_minutes, law)``. A fixed delay when the row gives
    one, else a lognormal law (the row's median and p95, or the assumed defaults)."""
    if failover != "active-passive":
        return 0.0, None
    if not np.isnan(fixed):
        if not (np.isnan(median) and np.isnan(p95)):
            raise ValueError("give column failover_delay_min (a fixed delay) or "
                             "failover_delay_median_min / failover_delay_p95_min (a lognormal "
                             "delay), not both")
        return float(fixed), None
    median = lim.default_failover_delay_median_min if np.isnan(median) else float(median)
    p95 = lim.default_failover_delay_p95_min if np.isnan(p95) else float(p95)
    if p95 <= median:
        raise ValueError(f"column failover_delay_p95_min={p95:g} is not allowed: it must exceed "
                         f"failover_delay_median_min={median:g}")
    return 0.0, {"law": "lognormal", "median_minutes": median, "p95_minutes": p95}


def _row_outages(profile, rate, median, p95, durations_given, sla) -> OutageModel:
    """A row's outage model: its own (outage_rate_per_year given), the SLA-calibrated one, or
    a named profile. The row's objective enters only when the row chose sla-calibrated."""
    from plcapacity.outages.profiles import outage_profile, outage_profiles
    median = _DEFAULT_MEDIAN_HOURS if np.isnan(median) else float(median)
    p95 = _DEFAULT_P95_HOURS if np.isnan(p95) else float(p95)
    if p95 <= median:
        raise ValueError(f"column outage_p95_hours={p95:g} is not allowed: it must exceed "
                         f"outage_median_hours={median:g}")
    duration = {"law": "lognormal", "median_hours": median, "p95_hours": p95}
    if not np.isnan(rate):
        return OutageModel(float(rate), duration, name=(
            f"this row's outage_rate_per_year: {float(rate):g}/yr per region, lognormal "
            f"median {median:g} h, p95 {p95:g} h"))
    names = list(outage_profiles()["name"])
    if profile not in names:
        raise ValueError(f"column outage_profile={short_repr(profile, 60)} is not allowed: one of "
                         f"{', '.join(names)}")
    if profile == "sla-calibrated":
        return outage_profile(profile, slo_percent=sla.slo_percent, median_hours=median,
                              p95_hours=p95)
    if durations_given:
        raise ValueError(f"columns outage_median_hours / outage_p95_hours need "
                         f"outage_rate_per_year (or outage_profile=sla-calibrated): the "
                         f"{profile} profile has durations fitted to its data")
    return outage_profile(profile)


def confined_path(base, text, *, allow_outside=False) -> Path:
    """The file a ``deployment`` cell names, kept inside the table's folder.

    Parameters
    ----------
    base : Path
        The table's folder.
    text : str
        The cell (relative to ``base``, or absolute).
    allow_outside : bool
        Allow paths outside ``base`` (symbolic links included).

    Raises
    ------
    ValueError
        For a path that leaves the folder (``..``, an absolute path elsewhere, a link out).
    """
    if "\x00" in text:
        raise ValueError(f"column deployment={short_repr(text, 80)} is not allowed: a file name "
                         "without NUL characters")
    path = base / text
    if allow_outside:
        return path
    root = os.path.realpath(base)
    real = os.path.realpath(path)
    if os.path.commonpath([root, real]) != root:
        raise ValueError(f"column deployment={short_repr(text, 80)} is not allowed: a file in the "
                         f"table's folder {base} or below it (it resolves to {real}); pass "
                         "allow_outside_paths=True / --allow-outside-paths to allow others")
    return path


def availability_specs(rows, sizing, status, *, allow_outside_paths=False,
                       outage_profile=DEFAULT_OUTAGE_PROFILE, limits=None):
    """A (Deployment, OutageModel) per row that asks for availability (errors recorded).

    Parameters
    ----------
    rows : ScenarioRows
    sizing : dict
        The sizing columns (``ceiling``, ``warning``, ...), the ``concurrent`` demand and the
        validated ``demand`` columns. Rows with ``plan_regions`` get their sizing columns
        (per region) and costs (all regions) from :func:`plcapacity.plan` here.
    status : ndarray
        Sizing status per row (set here for planned rows).
    allow_outside_paths : bool
        Let ``deployment`` cells name files outside the table's folder.
    outage_profile : str
        The profile of rows whose ``outage_profile`` cell is empty.
    limits : Limits, optional
        Reference values (the assumed failover delay among them).

    Returns
    -------
    dict of int to (Deployment, OutageModel)
    """
    lim = limits or get_limits()
    regions = rows.text("pe_regions")
    destination = rows.text("destination_region")
    pls_regions = rows.text("pls_regions")
    plan_regions = rows.text("plan_regions")
    failover = rows.text("failover", "active-active")
    path = rows.text("deployment")
    slo = rows.number("slo_percent", np.nan, low=0, low_inclusive=False, high=100,
                      high_inclusive=False)
    delay = rows.number("failover_delay_min", np.nan, low=0)
    delay_median = rows.number("failover_delay_median_min", np.nan, low=0, low_inclusive=False)
    delay_p95 = rows.number("failover_delay_p95_min", np.nan, low=0, low_inclusive=False)
    rate = rows.number("outage_rate_per_year", np.nan, low=0)
    median = rows.number("outage_median_hours", np.nan, low=0, low_inclusive=False)
    p95 = rows.number("outage_p95_hours", np.nan, low=0, low_inclusive=False)
    profile = rows.text("outage_profile", outage_profile)
    zones = rows.number("zones", np.nan)
    specs = {}
    warn = sizing["warning"]
    given = {c: rows.text(c) for c in AVAILABILITY_COLUMNS[1:] + ("slo_percent",)}
    # a row that names a deployment file may not also describe a layout in columns
    layout_given = np.logical_or.reduce([regions != ""] + [given[c] != ""
                                                           for c in AVAILABILITY_COLUMNS[1:]])

    def note(i, text):
        warn[i] = f"{warn[i]}; {text}" if warn[i] else text

    for i in range(rows.n):  # building model objects for rows that ask; no model work here
        wants = regions[i] or path[i] or plan_regions[i]
        if not wants:
            ignored = [c for c, values in given.items() if values[i]]
            if ignored:
                note(i, f"{', '.join(ignored)} ignored: no pe_regions or deployment, so no "
                        "availability")
            continue
        delay_given = [c for c in ("failover_delay_min", "failover_delay_median_min",
                                   "failover_delay_p95_min") if given[c][i]]
        if regions[i] and failover[i] == "active-active" and delay_given:
            note(i, f"{', '.join(delay_given)} ignored: active-active has no failover")
        if regions[i] and failover[i] == "active-passive" and len(
                [r for r in str(regions[i]).split(";") if r.strip()]) == 1:
            note(i, "active-passive with one region: there is nothing to fail over to")
        if plan_regions[i] and (regions[i] or destination[i] or pls_regions[i] or path[i]):
            rows.errors[i].append("column plan_regions plans the regions: leave pe_regions, "
                                  "destination_region, pls_regions and deployment empty")
            continue
        if path[i] and layout_given[i]:
            rows.errors[i].append("give either deployment or the availability columns "
                                  f"({', '.join(AVAILABILITY_COLUMNS)}), not both")
            continue
        try:
            slo_i = None if np.isnan(slo[i]) else float(slo[i])
            if path[i]:
                file = confined_path(rows.base, path[i], allow_outside=allow_outside_paths)
                try:
                    deployment, outages = load_deployment(file)
                except FileNotFoundError:
                    raise ValueError(f"column deployment={short_repr(path[i], 80)}: no such file "
                                     f"{file}") from None
                except OSError as error:
                    raise ValueError(f"column deployment={short_repr(path[i], 80)}: cannot read "
                                     f"{file} ({error.strerror or error})") from None
                note(i, "availability is the deployment file's own (its destinations and "
                        "demand), not this row's sizing")
                if slo_i is not None:
                    deployment = Deployment(deployment.destinations, deployment.endpoints,
                                            deployment.demand, deployment.failover,
                                            SLA(slo_i, deployment.sla.tiers,
                                                deployment.sla.source))
            else:
                if rows.errors[i] or status[i] != "ok":
                    continue
                sla = SLA.private_link(slo_i)
                outages = _row_outages(profile[i], rate[i], median[i], p95[i],
                                       given["outage_median_hours"][i]
                                       or given["outage_p95_hours"][i], sla)
                wait, law = _row_delay(failover[i], delay[i], delay_median[i], delay_p95[i],
                                       lim)
                row_demand = _row_demand(sizing["demand"], i)
                cap = sizing["demand"]["max_connections_per_vm"][i]
                cap = None if np.isnan(cap) else float(cap)
                if plan_regions[i]:
                    deployment = _planned_row(rows, sizing, status, i, plan_regions[i],
                                              row_demand, cap, outages, failover[i], law,
                                              wait, slo_i, lim)
                    if deployment is None:
                        continue
                else:
                    homes = pls_regions[i] or destination[i] or regions[i]
                    if zones[i] > 1:  # as deployment files: zones only where regions have them
                        for home in str(homes).split(";"):
                            if home.strip():
                                _check_zoned_pls_region(zones[i], home)
                    model = dict(nat_ips=int(sizing["nat_ips"][i]),
                                 backend_vms=int(sizing["backend_vms"][i]),
                                 pls_count=int(sizing["pls_count"][i]),
                                 max_connections_per_vm=cap,
                                 zones=tuple(range(1, int(zones[i]) + 1)) if zones[i] > 1
                                 else ())
                    deployment = regional_deployment(
                        rows.service[i], regions[i], destination[i] or None,
                        pls_regions=pls_regions[i] or None, capacity_model=model,
                        demand_connections=row_demand, failover=failover[i],
                        delay_minutes=wait, delay=law, sla=sla)
                    _cost_for_layout(sizing, i, deployment, lim, note)
            specs[i] = (deployment, outages)
        except Exception as error:  # noqa: BLE001 (any failure of a row is that row's)
            rows.errors[i].append(_row_error(error))
    return specs


def _row_demand(demand, i) -> Demand:
    """Row ``i``'s demand from the validated demand columns."""
    return Demand(float(demand["concurrent_connections"][i]),
                  float(demand["new_connections_per_s"][i]), float(demand["port_hold_s"][i]),
                  float(demand["headroom"][i]), float(demand["growth_per_year"][i]))


def _cost_for_layout(sizing, i, deployment, lim, note):
    """Costs for every PLS region and every endpoint of a row's layout (the sizing priced one
    PLS deployment and ``consumer_endpoints`` endpoints)."""
    plss, endpoints = len(deployment.destinations), len(deployment.endpoints)
    given = sizing["demand"]["consumer_endpoints"][i]
    if endpoints > given:
        note(i, f"{endpoints} endpoint regions: priced as {endpoints} private endpoints "
                f"(consumer_endpoints={given:g})")
    pe = max(endpoints, given) * lim.private_endpoint_hour_usd * lim.hours_per_month
    sizing["pe_monthly_cost_usd"][i] = pe
    sizing["provider_monthly_cost_usd"][i] *= plss
    sizing["total_monthly_cost_usd"][i] = sizing["provider_monthly_cost_usd"][i] + pe
    if plss > 1:
        note(i, f"{plss} PLS regions, each this size: the costs cover all of them")


def _planned_row(rows, sizing, status, i, candidates, demand, cap, outages, failover, law,
                 wait, slo, lim):
    """Plan row ``i`` over its candidate regions; fill its sizing columns (per region) and
    costs (all regions). Returns the plan's best Deployment, or None (the row's error)."""
    d = sizing["demand"]
    zones = d["zones"][i]
    delay = None  # active-passive: the row's law, or its fixed delay as a law
    if failover == "active-passive":
        delay = law if law is not None else {"law": "fixed", "minutes": wait}
    try:
        result = plan(demand.connections, regions=candidates, slo_percent=slo,
                      new_connections_per_s=demand.new_connections_per_s,
                      port_hold_s=demand.port_hold_s, headroom=demand.headroom,
                      horizon_years=0, vm_failures_tolerated=int(d["vm_failures_tolerated"][i]),
                      zones=None if np.isnan(zones) else int(zones),
                      zone_failures_tolerated=int(d["zone_failures_tolerated"][i]),
                      failover=failover, failover_delay=delay,
                      outages=outages, consumer_endpoints=int(d["consumer_endpoints"][i]),
                      max_connections_per_vm=cap,
                      vm_hourly_usd=None if np.isnan(d["vm_hourly_usd"][i])
                      else float(d["vm_hourly_usd"][i]),
                      trials=10_000, seed=0, limits=lim)
    except InfeasibleDemandError as error:
        rows.errors[i].append(f"infeasible: column plan_regions: {error}")
        status[i] = "infeasible"
        return None
    best = result.best
    if best is None:
        rows.errors[i].append(f"infeasible: column plan_regions: {result.shortfall}")
        status[i] = "infeasible"
        return None
    deployment, _ = result.deployment()
    first = deployment.destinations[0]
    figures = deployment_capacity(first.nat_ips, first.backend_vms, first.pls_count,
                                  demand=demand, max_connections_per_vm=cap,
                                  vms_lost=int(d["vm_failures_tolerated"][i]), limits=lim)
    every = deployment_capacity(first.nat_ips, first.backend_vms, first.pls_count,
                                demand=demand, max_connections_per_vm=cap, limits=lim)
    for name, value in (("pls_count", first.pls_count), ("nat_ips", first.nat_ips),
                        ("backend_vms", first.backend_vms),
                        ("ceiling", float(every["ceiling"])),
                        ("ceiling_after_failures", float(figures["ceiling"])),
                        ("ports_needed", math.ceil(demand.ports_needed)),
                        ("port_capacity_after_failures", float(figures["port_capacity"])),
                        ("utilization", float(every["utilization"])),
                        ("utilization_after_failures", float(figures["utilization"])),
                        ("pe_monthly_cost_usd", float(best["pe_monthly_cost_usd"])),
                        ("provider_monthly_cost_usd", float(best["provider_monthly_cost_usd"])),
                        ("total_monthly_cost_usd", float(best["total_monthly_cost_usd"]))):
        sizing[name][i] = value
    sizing["binding_limit"][i] = str(every["binding_limit"])
    sizing["spare_connections"][i] = np.nan
    sizing["months_to_ceiling"][i] = np.nan
    sizing["planned_regions"][i] = best["regions"]
    status[i] = "ok"
    # the single-region sizing's warnings do not apply to the planned layout
    sizing["warning"][i] = (
        f"planned: {best['regions']} ({best['region_count']} region(s), tolerating "
        f"{best['regions_lost_tolerated']} lost; backend VMs per region {best['backend_vms']}"
        "); sizing columns are per region, costs for all regions"
        + ("" if np.isfinite(d["vm_hourly_usd"][i]) else
           ", VMs at the reference price of data/pricing.csv (uncertain; give vm_hourly_usd)"))
    return deployment


def _check_zoned_pls_region(zones, region_text):
    """Refuse zones for a PLS in a region without availability zones (data/regions.csv)."""
    region = check_region(str(region_text).split(";")[0].strip(), where="column pe_regions")
    if not bool(region_catalog().loc[region, "availability_zones"]):
        raise ValueError(f"column zones={zones:g} is not allowed here: the PLS region "
                         f"{region} has no availability zones (data/regions.csv); leave zones "
                         "empty or choose a region with zones")


def _row_error(error) -> str:
    """A row's error text from any exception (its message, or its kind when it has none)."""
    text = str(error).strip() or type(error).__name__
    if not isinstance(error, (ValueError, OSError)):
        text = f"{type(error).__name__}: {text}"
    if text.startswith(("pe_regions", "destination_region", "failover=")):
        text = f"column {text}"  # the builder names the field; the table calls it a column
    return text if len(text) <= 400 else text[:397] + "..."
