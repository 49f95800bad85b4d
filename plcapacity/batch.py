"""Batch runs: a table of services in, each sized and (with regions) simulated.

One row per Private Link service. Every column is documented once, in :data:`COLUMNS`
(``plcapacity batch --columns`` prints them); every result column in :data:`RESULT_COLUMNS`.
Rows are independent: a bad row gets an ``error`` and the others are still computed. Each
row's random numbers derive from the batch seed and the row's service name, so a row's numbers
do not change when other rows are added, removed or reordered, nor with the number of workers
or the Dask cluster that ran them.

Sizing is vectorized over all rows at once (the same core as :func:`plcapacity.size`); the
availability simulations are independent tasks, run on the machine's cores or on a Dask
cluster. A checkpoint file lets a killed run resume where it stopped and end with the same
results as an uninterrupted run; output files are written atomically.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .capacity import (_configurations, _deployment_figures, _requirements, _vm_counts, size)
from .deployment import Deployment, Destination, Endpoint, Failover, load_deployment
from .exceptions import CapacityWarning, InfeasibleDemandError
from .files import atomic_write
from .limits import get_limits
from .montecarlo import (_whole, block_summaries, blocks_for, exact_figures,
                         result_from_summaries)
from .outages import OutageModel
from .regions import check_region
from .sla import SLA

__all__ = ["COLUMNS", "RESULT_COLUMNS", "columns_table", "read_scenarios", "run_batch",
           "write_results", "BatchInputError"]


class BatchInputError(ValueError):
    """The scenario table as a whole cannot be used (missing or unknown columns, no rows)."""


@dataclass(frozen=True)
class Column:
    """One input column: its unit, default, what is allowed and what it means."""

    name: str
    unit: str
    default: str
    allowed: str
    meaning: str


#: Every input column of a scenario table, documented in one place.
COLUMNS = (
    Column("service", "-", "required", "non-empty text, unique in the table",
           "name of the service; its seed derives from it"),
    Column("concurrent_connections", "connections", "required", "a number >= 0",
           "connections open at the same time"),
    Column("new_connections_per_s", "1/s", "0", "a number >= 0", "connection opening rate"),
    Column("port_hold_s", "s", "65 (assumption: NAT Gateway's figure)", "a number >= 0",
           "time a port stays held after its connection closes"),
    Column("headroom", "-", "0.2", "a number >= 0", "spare fraction on top of the demand"),
    Column("vm_failures_tolerated", "VMs", "0", "a whole number >= 0",
           "backend VMs that may fail while the demand is still carried"),
    Column("max_connections_per_vm", "connections", "no cap", "a number >= 1",
           "most connections one VM holds (the NIC supports 500,000 flows)"),
    Column("consumer_endpoints", "PEs", "1", "a whole number from 1 to 8,000",
           "private endpoints connecting to the service"),
    Column("growth_per_year", "-", "0", "a number > -1 (0.3 = +30 % a year)",
           "demand growth, for months_to_ceiling"),
    Column("pe_regions", "-", "none (no availability)", "region names separated by ';'",
           "regions with a private endpoint, in failover order"),
    Column("destination_region", "-", "the first of pe_regions", "a region name",
           "region of the PLS"),
    Column("failover", "-", "active-active", "active-active or active-passive",
           "how traffic moves between endpoints"),
    Column("failover_delay_min", "min", "0 (active-active), 5 (active-passive: assumption)",
           "a number >= 0", "time to fail over to the next endpoint"),
    Column("outage_rate_per_year", "1/yr",
           "calibrated so one region alone meets slo_percent (a calibration, not an "
           "observation)", "a number >= 0", "outage starts per year in each region"),
    Column("outage_median_hours", "h", "2 (assumption)", "a number > 0",
           "median outage duration (lognormal)"),
    Column("outage_p95_hours", "h", "12 (assumption)", "a number > outage_median_hours",
           "95th percentile of outage duration (lognormal)"),
    Column("slo_percent", "%", "99.99 (Private Link SLA, data/sla.csv)",
           "a number between 0 and 100", "monthly uptime objective"),
    Column("deployment", "-", "none", "path to a deployment TOML file (relative to the table)",
           "for layouts a row cannot hold; replaces the availability columns above"),
)
_BY_NAME = {c.name: c for c in COLUMNS}
_AVAILABILITY_COLUMNS = ("pe_regions", "destination_region", "failover", "failover_delay_min",
                         "outage_rate_per_year", "outage_median_hours", "outage_p95_hours")

#: Every result column: name -> (unit, meaning).
RESULT_COLUMNS = {
    "service": ("-", "the row's service"),
    "status": ("-", "ok, error (bad input) or infeasible (no deployment within the limits)"),
    "error": ("-", "what is wrong with the row: row number, column, value, what is allowed"),
    "pls_count": ("-", "recommended PLS on the load balancer"),
    "nat_ips": ("-", "recommended NAT IP configurations per PLS"),
    "backend_vms": ("VMs", "recommended backend VMs, including the failures tolerated"),
    "ceiling": ("connections", "connection ceiling with all VMs up"),
    "ceiling_after_failures": ("connections", "ceiling after losing vm_failures_tolerated"),
    "ports_needed": ("ports", "ports the demand keeps in use (Little's law)"),
    "port_capacity_after_failures": ("ports", "NAT ports after the failures tolerated"),
    "utilization": ("0-1", "demand / capacity of the tighter resource, all VMs up"),
    "utilization_after_failures": ("0-1", "the same after the failures tolerated"),
    "spare_connections": ("connections", "more connections carried after the failures"),
    "binding_limit": ("-", "what sets the VM count: nat_ports, vm_connections, hash_overflow"),
    "months_to_ceiling": ("months", "until the growing demand uses up the capacity left after "
                          "the tolerated VM failures (inf: never; null in JSON)"),
    "pe_monthly_cost_usd": ("USD", "consumer side: private endpoint hours per month"),
    "warning": ("-", "capacity warnings (such as more connections per VM than a NIC holds)"),
    "exact_availability": ("0-1", "steady-state availability (no failover gaps)"),
    "availability": ("0-1", "simulated availability (with failover gaps)"),
    "availability_ci_low": ("0-1", "95 % confidence interval, low end"),
    "availability_ci_high": ("0-1", "95 % confidence interval, high end"),
    "served_fraction": ("0-1", "simulated fraction of time the demand is served"),
    "mean_annual_downtime_min": ("min/yr", "simulated mean downtime per year"),
    "p99_annual_downtime_min": ("min/yr", "99th percentile of annual downtime (0.5 % bins)"),
    "p_month_below_slo": ("0-1", "probability that a calendar month misses the SLO"),
    "expected_credit_percent": ("% of fee", "expected monthly service credit"),
    "slo_percent": ("%", "the objective used"),
    "trials": ("trial-years", "simulated years"),
    "availability_note": ("-", "rare events and other caveats of the simulation"),
}

_DEFAULT_MEDIAN_HOURS = 2.0
_DEFAULT_P95_HOURS = 12.0
_DEFAULT_ACTIVE_PASSIVE_DELAY_MIN = 5.0
_BLOCKS_PER_TASK = 8


def columns_table() -> pd.DataFrame:
    """The input columns as a table: column, unit, default, allowed, meaning."""
    return pd.DataFrame([c.__dict__ for c in COLUMNS]).rename(columns={"name": "column"})


# ----------------------------------------------------------------------------- reading


def read_scenarios(path) -> pd.DataFrame:
    """Read a scenario table: CSV, Parquet or JSON (records), by the file's suffix.

    CSV cells are kept as text so that errors can quote what was written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix == ".json":
            frame = pd.read_json(path, orient="records", dtype=False)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, index_col=False,
                                skipinitialspace=True)
    except FileNotFoundError:
        raise
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise BatchInputError(f"{path}: cannot read the table ({error})") from None
    frame.attrs["source"] = str(path)
    return frame


# ----------------------------------------------------------------------------- validation


def _blank(value) -> bool:
    """An empty cell: None, NaN, pandas' NA or text of spaces only."""
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


class _Rows:
    """The table's values after validation: numpy columns, and one error text per bad row."""

    def __init__(self, frame, passthrough):
        frame = frame.reset_index(drop=True)
        # rows with every cell empty (a spreadsheet's trailing ",,,") are not services
        empty = np.array([all(_blank(v) for v in row) for row in frame.itertuples(index=False)],
                         dtype=bool) if len(frame.columns) else np.zeros(len(frame), bool)
        self.frame = frame[~empty].reset_index(drop=True)
        self.n = len(self.frame)
        self.errors = [[] for _ in range(self.n)]
        self.base = Path(frame.attrs.get("source", ".")).parent
        unknown = [c for c in self.frame.columns if c not in _BY_NAME]
        if unknown and not passthrough:
            raise BatchInputError(
                f"unknown column(s) {', '.join(map(repr, unknown))}; allowed: "
                f"{', '.join(_BY_NAME)} (pass extra columns through with passthrough=True / "
                "--passthrough)")
        clashes = [c for c in unknown if c in RESULT_COLUMNS]
        if clashes:
            raise BatchInputError(
                f"column(s) {', '.join(map(repr, clashes))} would overwrite result columns of "
                "the same name; rename them in the table")
        self.extra = unknown
        missing = [c for c in ("service", "concurrent_connections") if c not in self.frame]
        if missing:
            raise BatchInputError(f"missing required column(s) {', '.join(missing)}")
        if self.n == 0:
            raise BatchInputError("the table has no rows")
        self.service = np.array(["" if _blank(v) else str(v).strip()
                                 for v in self.frame["service"].tolist()], dtype=object)
        self._check_services()

    def where(self, i) -> str:
        return f"row {i + 1} (service {self.service[i]!r})"

    def fail(self, mask, column, raw, allowed):
        for i in np.flatnonzero(mask):
            self.errors[i].append(f"column {column}={raw[i]!r} is not allowed: {allowed}")

    def _check_services(self):
        empty = (self.service == "") | (self.service == "nan")
        self.fail(empty, "service", self.service, "non-empty text")
        names = pd.Series(self.service)
        duplicated = names.duplicated(keep=False).to_numpy() & ~empty
        for i in np.flatnonzero(duplicated):
            rows = [str(j + 1) for j in np.flatnonzero(names.to_numpy() == self.service[i])]
            self.errors[i].append(f"service {self.service[i]!r} appears in rows "
                                  f"{', '.join(rows)}; names must be unique (seeds and "
                                  "checkpoints use them)")

    def raw(self, column):
        if column not in self.frame:
            return np.full(self.n, "", dtype=object)
        return np.array(["" if _blank(v) else v for v in self.frame[column].tolist()],
                        dtype=object)

    def number(self, column, default, *, low=None, high=None, low_inclusive=True,
               high_inclusive=True, integer=False):
        """A numeric column: blanks take ``default``; bad values become errors (and NaN)."""
        raw = self.raw(column)
        # 2_000_000 and "2,000,000" are numbers as people write them
        text = pd.Series([str(v).replace("_", "").replace(",", "").strip() for v in raw])
        blank = (text == "").to_numpy()
        values = pd.to_numeric(text.where(~blank, None), errors="coerce").to_numpy(float)
        bad = ~blank & ~np.isfinite(values)
        with np.errstate(invalid="ignore"):
            if low is not None:
                bad |= ~blank & ((values < low) if low_inclusive else (values <= low))
            if high is not None:
                bad |= ~blank & ((values > high) if high_inclusive else (values >= high))
            if integer:
                bad |= ~blank & (np.mod(values, 1) != 0)
        allowed = _BY_NAME[column].allowed
        self.fail(bad, column, raw, allowed)
        values = np.where(blank, default, values)
        values[bad] = np.nan
        return values

    def text(self, column, default=""):
        raw = self.raw(column)
        return np.array([str(v).strip() if str(v).strip() else default for v in raw],
                        dtype=object)

    @property
    def ok(self):
        return np.array([not e for e in self.errors])

    def messages(self):
        return np.array([f"{self.where(i)}: {'; '.join(e)}" if e else ""
                         for i, e in enumerate(self.errors)], dtype=object)


# ----------------------------------------------------------------------------- sizing


def _size_rows(rows, lim):
    """Validate the capacity columns and size every good row at once (vectorized)."""
    concurrent = rows.number("concurrent_connections", np.nan, low=0)
    rows.fail(np.isnan(concurrent) & (rows.raw("concurrent_connections") == ""),
              "concurrent_connections", rows.raw("concurrent_connections"), "a number >= 0")
    rate = rows.number("new_connections_per_s", 0.0, low=0)
    hold = rows.number("port_hold_s", float(lim.default_port_hold_s), low=0)
    headroom = rows.number("headroom", 0.2, low=0)
    failures = rows.number("vm_failures_tolerated", 0.0, low=0,
                           high=lim.backend_pool_size - 1, integer=True)
    cap = rows.number("max_connections_per_vm", np.nan, low=1)
    endpoints = rows.number("consumer_endpoints", 1.0, low=1,
                            high=lim.pls_per_load_balancer * lim.pe_per_pls, integer=True)
    growth = rows.number("growth_per_year", 0.0, low=-1, low_inclusive=False)
    ok = rows.ok
    n = rows.n
    out = {name: np.full(n, np.nan) for name in (
        "pls_count", "nat_ips", "backend_vms", "ceiling", "ceiling_after_failures",
        "ports_needed", "port_capacity_after_failures", "utilization",
        "utilization_after_failures", "spare_connections", "months_to_ceiling",
        "pe_monthly_cost_usd")}
    out["binding_limit"] = np.full(n, "", dtype=object)
    out["warning"] = np.full(n, "", dtype=object)
    status = np.where(ok, "ok", "error").astype(object)
    if not ok.any():
        return out, status, dict(concurrent=concurrent)

    good = np.flatnonzero(ok)
    zero = lambda a: np.where(np.isnan(a[good]), 0, a[good])  # noqa: E731 (NaN only in bad rows)
    needed, needed_ports, req_ports, req_conn = _requirements(
        zero(concurrent), zero(rate), zero(hold), zero(headroom))
    ports_per = lim.ports_per_nat_ip
    usable = lim.backend_pool_size - failures[good]
    most_ports = (lim.pls_per_load_balancer * lim.nat_ips_per_pls * usable * float(ports_per))
    most_connections = np.where(np.isnan(cap[good]), np.inf, usable * cap[good])
    too_big = (req_ports.astype(float) > most_ports) | (req_conn.astype(float) > most_connections)
    # rows too large for any deployment are infeasible (explained below); zeroing them keeps
    # every other row in exact int64 arithmetic
    req_ports = np.where(too_big, 0, req_ports).astype(np.int64)
    req_conn = np.where(too_big, 0, req_conn).astype(np.int64)
    needed_ports = np.where(too_big, 0, needed_ports).astype(np.int64)
    counts = _vm_counts(req_ports, req_conn, failures[good].astype(np.int64), cap[good],
                        endpoints[good].astype(np.int64), np.full(good.size, np.nan), lim,
                        ports_per)
    feasible = counts["feasible"] & ~too_big[:, None]
    # best = fewest VMs, then fewest PLS, then fewest NAT IPs (the order of size())
    pls, nat = _configurations(lim)
    key = np.where(feasible, counts["vms"] * 4096 + pls[None, :] * 64 + nat[None, :],
                   np.iinfo(np.int64).max)
    best = np.argmin(key, axis=1)
    found = feasible[np.arange(good.size), best]
    pick = lambda a: a[np.arange(good.size), best]  # noqa: E731
    vms, healthy = pick(counts["vms"]), pick(counts["healthy"])
    figures = _deployment_figures(pls[best], nat[best], vms, healthy, needed, needed_ports,
                                  zero(concurrent), cap[good], ports_per, lim)
    for name in ("ceiling", "ceiling_after_failures", "port_capacity_after_failures",
                 "utilization", "utilization_after_failures", "spare_connections"):
        out[name][good] = np.where(found, figures[name], np.nan)
    out["pls_count"][good] = np.where(found, pls[best], np.nan)
    out["nat_ips"][good] = np.where(found, nat[best], np.nan)
    out["backend_vms"][good] = np.where(found, vms, np.nan)
    out["ports_needed"][good] = np.where(found, needed_ports.astype(float), np.nan)
    out["binding_limit"][good] = np.where(found, pick(counts["binding"]), "")
    g = growth[good]
    with np.errstate(divide="ignore", invalid="ignore"):
        # the deployment must keep carrying the demand after the failures it tolerates
        months = np.where(g > 0, 12 * np.log(1 / figures["utilization_after_failures"])
                          / np.log1p(g), np.inf)
    out["months_to_ceiling"][good] = np.where(found, np.maximum(months, 0), np.nan)
    out["pe_monthly_cost_usd"][good] = (endpoints[good] * lim.private_endpoint_hour_usd
                                        * lim.hours_per_month)
    nic = np.isnan(cap[good]) & (figures["connections_per_vm"] > lim.vm_nic_concurrent_flows)
    out["warning"][good[found & nic]] = (
        f"more than the {lim.vm_nic_concurrent_flows:,} concurrent flows a VM NIC supports "
        "on each VM; set max_connections_per_vm to size for it")
    # Rows no deployment carries: the scalar function words the explanation (rare rows).
    for j in np.flatnonzero(~found):
        i = good[j]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CapacityWarning)
                size(concurrent[i], new_connections_per_s=rate[i], port_hold_s=hold[i],
                     headroom=headroom[i], vm_failures_tolerated=int(failures[i]),
                     max_connections_per_vm=None if np.isnan(cap[i]) else cap[i],
                     consumer_endpoints=int(endpoints[i]), limits=lim)
            message = "no deployment within the limits carries the demand"
        except InfeasibleDemandError as error:
            message = str(error)
        rows.errors[i].append(f"infeasible: {message}")
        status[i] = "infeasible"
    return out, status, dict(concurrent=concurrent)


# ----------------------------------------------------------------------------- availability


def _calibrated_rate(median_hours, p95_hours, slo_percent):
    law = OutageModel(1.0, {"law": "lognormal", "median_hours": median_hours,
                            "p95_hours": p95_hours}).duration
    return -math.log(slo_percent / 100) / law.mean_minutes * 525_600


def _availability_specs(rows, sizing, status):
    """A (Deployment, OutageModel) per row that asks for availability (errors recorded)."""
    regions = rows.text("pe_regions")
    destination = rows.text("destination_region")
    failover = rows.text("failover", "active-active")
    path = rows.text("deployment")
    slo = rows.number("slo_percent", np.nan, low=0, low_inclusive=False, high=100,
                      high_inclusive=False)
    delay = rows.number("failover_delay_min", np.nan, low=0)
    rate = rows.number("outage_rate_per_year", np.nan, low=0)
    median = rows.number("outage_median_hours", _DEFAULT_MEDIAN_HOURS, low=0,
                         low_inclusive=False)
    p95 = rows.number("outage_p95_hours", _DEFAULT_P95_HOURS, low=0, low_inclusive=False)
    specs = {}
    warn = sizing["warning"]
    given = {c: rows.text(c) for c in _AVAILABILITY_COLUMNS[1:] + ("slo_percent",)}
    # a row that names a deployment file may not also describe a layout in columns
    layout_given = np.logical_or.reduce([regions != ""] + [given[c] != ""
                                                           for c in _AVAILABILITY_COLUMNS[1:]])

    def note(i, text):
        warn[i] = f"{warn[i]}; {text}" if warn[i] else text

    for i in range(rows.n):  # building model objects for rows that ask; no model work here
        wants = regions[i] or path[i]
        if not wants:
            ignored = [c for c, values in given.items() if values[i]]
            if ignored:
                note(i, f"{', '.join(ignored)} ignored: no pe_regions or deployment, so no "
                        "availability")
            continue
        if regions[i] and failover[i] == "active-active" and given["failover_delay_min"][i]:
            note(i, "failover_delay_min ignored: active-active has no failover")
        if regions[i] and failover[i] == "active-passive" and len(
                [r for r in str(regions[i]).split(";") if r.strip()]) == 1:
            note(i, "active-passive with one region: there is nothing to fail over to")
        if path[i] and layout_given[i]:
            rows.errors[i].append("give either deployment or the availability columns "
                                  f"({', '.join(_AVAILABILITY_COLUMNS)}), not both")
            continue
        try:
            slo_i = None if np.isnan(slo[i]) else float(slo[i])
            if path[i]:
                try:
                    deployment, outages = load_deployment(rows.base / path[i])
                except OSError as error:
                    raise ValueError(f"column deployment={path[i]!r}: cannot read "
                                     f"{rows.base / path[i]} ({error.strerror})") from None
                note(i, "availability is the deployment file's own (its destinations and "
                        "demand), not this row's sizing")
                if slo_i is not None:
                    deployment = Deployment(deployment.destinations, deployment.endpoints,
                                            deployment.demand_connections, deployment.failover,
                                            SLA(slo_i, deployment.sla.tiers,
                                                deployment.sla.source))
            else:
                if rows.errors[i] or status[i] != "ok":
                    continue
                names = [r.strip() for r in str(regions[i]).split(";") if r.strip()]
                for name in names:
                    check_region(name, where="column pe_regions")
                if len(set(names)) != len(names):
                    raise ValueError(f"column pe_regions={regions[i]!r} is not allowed: a "
                                     "region is listed twice")
                target = destination[i] or names[0]
                check_region(target, where="column destination_region")
                if failover[i] not in ("active-active", "active-passive"):
                    raise ValueError(f"column failover={failover[i]!r} is not allowed: "
                                     "active-active or active-passive")
                sla = SLA.private_link(slo_i)
                if np.isnan(median[i]) or np.isnan(p95[i]):
                    continue  # already reported by number()
                if p95[i] <= median[i]:
                    raise ValueError(f"column outage_p95_hours={p95[i]:g} is not allowed: it "
                                     f"must exceed outage_median_hours={median[i]:g}")
                outage_rate = (_calibrated_rate(median[i], p95[i], sla.slo_percent)
                               if np.isnan(rate[i]) else rate[i])
                outages = OutageModel(outage_rate, {"law": "lognormal",
                                                    "median_hours": median[i],
                                                    "p95_hours": p95[i]})
                wait = (delay[i] if not np.isnan(delay[i]) else
                        _DEFAULT_ACTIVE_PASSIVE_DELAY_MIN if failover[i] == "active-passive"
                        else 0.0)
                pls = Destination(f"{rows.service[i]}-pls", target,
                                  float(sizing["ceiling"][i]))
                endpoints = tuple(Endpoint(f"pe-{name}", name, pls.name) for name in names)
                deployment = Deployment((pls,), endpoints,
                                        float(sizing["concurrent"][i]),
                                        Failover(failover[i], wait,
                                                 tuple(e.name for e in endpoints)), sla)
            specs[i] = (deployment, outages)
        except (ValueError, OSError) as error:
            rows.errors[i].append(str(error))
    return specs


def _row_seed(entropy, service) -> np.random.SeedSequence:
    """The row's root seed: the batch entropy and a hash of the service name (stable across
    machines and Python versions, unlike ``hash()``)."""
    digest = hashlib.sha256(str(service).encode("utf-8")).digest()
    words = [int.from_bytes(digest[k:k + 4], "little") for k in range(0, 16, 4)]
    base = list(entropy) if isinstance(entropy, (list, tuple)) else [int(entropy)]
    return np.random.SeedSequence([*base, *words])


def _row_key(service, deployment, outages, trials, years, entropy):
    """What a row's simulated numbers depend on (its seed comes from the service name),
    hashed: a checkpoint line is reused only when this matches."""
    text = repr((str(service), deployment, outages, trials, years, entropy))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _simulate_task(deployment, outages, years, seed, blocks, with_figures, trials=None):
    """One task: some blocks of one row (and the row's exact figures, once per row).

    With ``trials`` (the task holds all of the row's blocks), the row's result columns are
    computed here too, so that the worker, not the coordinating process, does that work.
    """
    figures = exact_figures(deployment, outages) if with_figures else None
    summaries = block_summaries(deployment, outages, years=years, seed=seed, blocks=blocks)
    if trials is not None:
        return "columns", _availability_columns(deployment, outages, summaries, figures,
                                                years, seed, trials)
    return figures, summaries


def _availability_columns(deployment, outages, summaries, figures, years, seed, trials):
    result = result_from_summaries(deployment, outages, summaries, years=years, seed=seed,
                                   figures=figures)
    summary = result.summary()
    return {
        "exact_availability": summary["exact_availability"],
        "availability": result.availability,
        "availability_ci_low": result.ci[0],
        "availability_ci_high": result.ci[1],
        "served_fraction": result.served_fraction,
        "mean_annual_downtime_min": summary["mean_annual_downtime_min"],
        "p99_annual_downtime_min": summary["p99_annual_downtime_min"],
        "p_month_below_slo": summary["p_month_below_slo"],
        "expected_credit_percent": summary["expected_credit_percent"],
        "slo_percent": deployment.sla.slo_percent,
        "trials": trials * years,
        "availability_note": summary["note"],
    }


# ----------------------------------------------------------------------------- execution


class _Inline:
    """Runs tasks in this process (one core, or a single task), one at a time as results
    are asked for, so that each finished row is checkpointed before the next starts."""

    def submit(self, function, *args):
        return (function, args)

    def results(self, futures):
        for key, (function, args) in futures.items():
            yield key, function(*args)

    def close(self):
        pass


def _exit_with_parent():
    """Pool initializer: on Linux, ask the kernel to end this worker when its parent dies,
    so that a killed batch leaves no idle workers behind (elsewhere: nothing to do)."""
    try:
        import ctypes
        import signal
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class _Processes:
    """Runs tasks on this machine's cores."""

    def __init__(self, workers):
        self.pool = ProcessPoolExecutor(max_workers=workers, initializer=_exit_with_parent)

    def submit(self, function, *args):
        return self.pool.submit(function, *args)

    def results(self, futures):
        from concurrent.futures import as_completed
        keys = {future: key for key, future in futures.items()}
        for future in as_completed(keys):
            yield keys[future], future.result()

    def close(self):
        self.pool.shutdown(cancel_futures=True)


class _Dask:
    """Runs tasks on a Dask cluster (a ``distributed.Client`` or a scheduler address)."""

    def __init__(self, scheduler):
        from distributed import Client
        self.own = not isinstance(scheduler, Client)
        self.client = Client(scheduler) if self.own else scheduler

    def submit(self, function, *args):
        return self.client.submit(function, *args, pure=False)

    def results(self, futures):
        from distributed import as_completed
        keys = {future.key: key for key, future in futures.items()}
        for future in as_completed(list(futures.values())):
            yield keys[future.key], future.result()

    def close(self):
        if self.own:
            self.client.close()


def _executor(scheduler, workers, n_tasks):
    if scheduler is not None:
        return _Dask(scheduler)
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or n_tasks <= 1:
        return _Inline()
    return _Processes(min(workers, n_tasks))


# ----------------------------------------------------------------------------- checkpoints


class _Checkpoint:
    """Finished rows' availability results, one JSON line each, fsynced as they come.

    The first line records the batch's settings; resuming with other settings is an error.
    A line cut short by a kill is ignored.
    """

    def __init__(self, path, header, resume):
        self.path = Path(path) if path else None
        self.done = {}
        self.header = header
        if self.path is None:
            return
        if resume and self.path.exists():
            lines = self.path.read_text(encoding="utf-8").splitlines()
            stored = json.loads(lines[0]) if lines else None
            if stored is not None:
                for key in ("trials", "years"):
                    if stored.get(key) != header[key]:
                        raise BatchInputError(
                            f"{self.path}: the checkpoint was written with {key}="
                            f"{stored.get(key)}, not {header[key]}; run without --resume to "
                            "start again")
                if header.get("seed_given") and stored["entropy"] != header["entropy"]:
                    raise BatchInputError(f"{self.path}: the checkpoint was written with "
                                          "another seed; run without --resume to start again")
                self.header = stored
                for line in lines[1:]:
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # the last line of a killed run
                    self.done[record["key"]] = record["columns"]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.done:
            with open(self.path, "w", encoding="utf-8") as stream:
                stream.write(json.dumps(self.header) + "\n")
                stream.flush()
                os.fsync(stream.fileno())

    @property
    def entropy(self):
        return self.header["entropy"]

    def add(self, key, columns):
        if self.path is None:
            return
        record = {"key": key, "columns": {k: _jsonable(v) for k, v in columns.items()}}
        with open(self.path, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(record) + "\n")
            stream.flush()
            os.fsync(stream.fileno())

    def remove(self):
        if self.path is not None and self.path.exists():
            self.path.unlink()


def _jsonable(value):
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _unjson(value):
    return float(value) if value in ("inf", "-inf", "nan") else value


# ----------------------------------------------------------------------------- run


def run_batch(scenarios, *, trials=100_000, years=1, seed=None, scheduler=None,
              on_error="collect", passthrough=False, workers=None, progress=None,
              checkpoint=None, resume=False, limits=None):
    """Size every service of a table and, where it has regions, simulate its availability.

    Parameters
    ----------
    scenarios : DataFrame or path
        One row per service; columns in :data:`COLUMNS` (CSV, Parquet or JSON file).
    trials : int, default 100,000
        Simulated trials per row with availability. [-]
    years : int, default 1
        Years per trial. [yr]
    seed : int, optional
        Batch seed; each row's seed derives from it and the row's service name. Without it,
        fresh entropy (recorded in ``result.attrs["seed_entropy"]``).
    scheduler : str or distributed.Client, optional
        A Dask scheduler address (``tcp://host:8786``) or client: rows and Monte Carlo blocks
        run on that cluster, with numbers identical to a local run. Default: this machine's
        cores.
    on_error : {"collect", "raise"}
        ``collect``: a bad row gets an ``error`` and the others are computed; ``raise``: stop
        at the first bad row with its message.
    passthrough : bool
        Keep unknown columns (copied to the output) instead of rejecting them.
    workers : int, optional
        Local processes (default: the machine's cores).
    progress : bool, optional
        Progress bar (tqdm); default on for long runs in a terminal.
    checkpoint : path, optional
        File recording finished rows; with ``resume=True`` a killed run continues from it.
    limits : Limits, optional

    Returns
    -------
    pandas.DataFrame
        One row per input row, in input order; columns in :data:`RESULT_COLUMNS` (plus
        passed-through columns). ``attrs``: ``seed_entropy``, ``failed_rows``.

    Raises
    ------
    BatchInputError
        When the table cannot be used at all (missing/unknown columns, no rows).
    ValueError
        With ``on_error="raise"``, for the first bad row.
    """
    if on_error not in ("collect", "raise"):
        raise ValueError(f"on_error={on_error!r} is not allowed: 'collect' or 'raise'")
    trials = _whole(trials, "trials")
    years = _whole(years, "years")
    frame = scenarios if isinstance(scenarios, pd.DataFrame) else read_scenarios(scenarios)
    lim = limits or get_limits()
    rows = _Rows(frame, passthrough)
    sizing, status, extra = _size_rows(rows, lim)
    sizing["concurrent"] = extra["concurrent"]
    specs = _availability_specs(rows, sizing, status)
    ok = rows.ok
    status = np.where(ok, status, np.where(status == "infeasible", "infeasible", "error"))
    if on_error == "raise" and not ok.all():
        raise ValueError(rows.messages()[np.flatnonzero(~ok)[0]])

    root = np.random.SeedSequence(seed)
    checkpoint = _Checkpoint(checkpoint, dict(entropy=root.entropy, trials=trials, years=years,
                                              seed_given=seed is not None), resume)
    entropy = checkpoint.entropy
    availability = {}
    tasks = {}
    row_info = {}
    for i, (deployment, outages) in specs.items():
        if not ok[i]:
            continue
        key = _row_key(rows.service[i], deployment, outages, trials, years, entropy)
        if key in checkpoint.done:
            availability[i] = {k: _unjson(v) for k, v in checkpoint.done[key].items()}
            continue
        row_seed = _row_seed(entropy, rows.service[i])
        blocks = blocks_for(trials)
        groups = [blocks[k:k + _BLOCKS_PER_TASK] for k in range(0, len(blocks),
                                                                 _BLOCKS_PER_TASK)]
        row_info[i] = dict(key=key, seed=row_seed, parts=len(groups), got=[], figures=None,
                           deployment=deployment, outages=outages)
        for g, group in enumerate(groups):
            whole_row = trials if len(groups) == 1 else None
            tasks[(i, g)] = (deployment, outages, years, row_seed, group, g == 0, whole_row)

    executor = _executor(scheduler, workers, len(tasks))
    bar = _bar(progress, len(tasks))
    try:
        futures = {key: executor.submit(_simulate_task, *args) for key, args in tasks.items()}
        for (i, g), (figures, summaries) in executor.results(futures):
            info = row_info[i]
            if figures == "columns":  # the worker finished the whole row
                availability[i] = summaries
                checkpoint.add(info["key"], availability[i])
                if bar is not None:
                    bar.update(1)
                continue
            info["got"].extend(summaries)
            if figures is not None:
                info["figures"] = figures
            info["parts"] -= 1
            if info["parts"] == 0:
                availability[i] = _availability_columns(
                    info["deployment"], info["outages"], info["got"], info["figures"], years,
                    info["seed"], trials)
                checkpoint.add(info["key"], availability[i])
            if bar is not None:
                bar.update(1)
    finally:
        executor.close()
        if bar is not None:
            bar.close()

    result = pd.DataFrame({"service": rows.service, "status": status,
                           "error": rows.messages()})
    for name, values in sizing.items():
        if name != "concurrent":
            result[name] = values
    for name in ("pls_count", "nat_ips", "backend_vms", "ceiling", "ceiling_after_failures",
                 "ports_needed", "port_capacity_after_failures", "spare_connections"):
        values = result[name].to_numpy(dtype=float)
        whole = values[np.isfinite(values)]
        if np.all(np.mod(whole, 1) == 0) and np.all(np.abs(whole) < 2 ** 53):
            result[name] = result[name].astype("Int64")  # counts: whole numbers, <NA> for errors
    availability_names = [c for c in RESULT_COLUMNS if c not in result.columns]
    for name in availability_names:
        values = [availability.get(i, {}).get(name) for i in range(rows.n)]
        result[name] = pd.Series(values, dtype=object if name == "availability_note"
                                 else "float64")
    result["availability_note"] = result["availability_note"].fillna("")
    result = result[list(RESULT_COLUMNS)]
    for name in rows.extra:
        result[name] = rows.frame[name].to_numpy()
    result.attrs.update(seed_entropy=entropy, failed_rows=int((~ok).sum()))
    checkpoint.remove()
    return result


def _bar(progress, total):
    if progress is False or total == 0 or (progress is None and total < 4):
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, unit="task", desc="batch", disable=None if progress is None
                else False, leave=False)


# ----------------------------------------------------------------------------- output


def write_results(frame, path):
    """Write results atomically: to a temporary file beside ``path``, then rename.

    The format follows the suffix: ``.csv``, ``.parquet`` or ``.json`` (records). An
    interrupted write leaves no partial file at ``path`` (an older file there stays whole).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".json"):
        raise ValueError(f"{path}: output format {suffix or '(none)'} is not allowed: .csv, "
                         ".parquet or .json")
    writers = {".csv": lambda target: frame.to_csv(target, index=False),
               ".parquet": lambda target: frame.to_parquet(target, index=False),
               ".json": lambda target: frame.to_json(target, orient="records", indent=1,
                                                     double_precision=15)}
    atomic_write(path, writers[suffix])
