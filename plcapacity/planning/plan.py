"""Plan a deployment in one step: which regions, and per region PLSs x NAT IPs x VMs.

:func:`plan` searches every non-empty set of the candidate regions and, for each, every number
of whole regions it may lose while still carrying the demand. A candidate puts one PLS
deployment (on one load balancer) in each of its regions, sized by the capacity model
(:func:`plcapacity.size_table`: headroom, churn, per-VM cap, VM and zone failures, the fewest
VMs), and one private endpoint per consumer endpoint in each region, connected to its own
region's PLS. NAT IP configurations cost nothing, so each PLS takes the most Azure allows:
the same VMs then carry as much as they can while other regions are down.

- **Active-active**: traffic spreads over the regions that are up, so a set of ``k`` regions
  tolerating ``f`` lost regions sizes each region for ``demand / (k - f)``.
- **Active-passive**: the active region carries everything, so each region is sized for the
  whole demand (and ``f = k - 1``).

Served availability comes from the exact steady-state calculation (fast enough to search
over every candidate). For active-passive the exact value has no failover gaps, so the
finalists (the cheapest candidates meeting the objective) are simulated with them; with a
cap on the chance of a month below the objective, the finalists are simulated for it too.
The answer is a :class:`Plan`: the frontier of cost against served availability.

Costs per month: backend VMs at ``vm_hourly_usd`` (default: the reference VM price in
``data/pricing.csv``, flagged uncertain), PLS hours and private endpoint hours, all from
``data/pricing.csv``. The load balancer and data processing are not counted (they do not
differ much between candidates of the same demand).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import warnings

import numpy as np
import pandas as pd

from plcapacity.availability.deployment import Deployment, Destination, Endpoint, Failover
from plcapacity.availability.exact import exact_figures_by_metric
from plcapacity.availability.simulation import simulate
from plcapacity.base.exceptions import CapacityWarning, InfeasibleDemandError
from plcapacity.base.limits import get_limits
from plcapacity.base.regions import DeclaredRegion, check_region, has_availability_zones
from plcapacity.base.results import TableResult
from plcapacity.base.schema import Column, Schema
from plcapacity.base.sla import SLA
from plcapacity.base.validation import check_number, short_repr
from plcapacity.capacity.ceilings import NIC_FLOWS, vm_cap
from plcapacity.capacity.model import Demand
from plcapacity.capacity.sizing import size, size_table
from plcapacity.outages.laws import law_toml
from plcapacity.outages.processes import OutageModel
from plcapacity.outages.profiles import DEFAULT_PROFILE, outage_profile

__all__ = ["plan", "Plan", "plan_frontier", "PLAN_COLUMNS", "MAX_CANDIDATE_REGIONS",
           "MAX_PLAN_TRIALS"]

#: Most candidate regions: every non-empty subset is searched (2**10 - 1 = 1,023 sets).
MAX_CANDIDATE_REGIONS = 10

#: Finalists simulated (active-passive gaps, month risk): the cheapest meeting the objective.
FINALISTS = 5

#: Most trial-years per simulated finalist: up to FINALISTS of them run silently inside the
#: search (about 10 s each at 2,000,000 on a laptop core); more belongs to
#: ``plcapacity simulate`` on the written deployment file, with its progress bar.
MAX_PLAN_TRIALS = 2_000_000

PLAN_COLUMNS = Schema(Column.output(name, unit, meaning) for name, (unit, meaning) in {
    "regions": ("-", "regions with a PLS and private endpoints, ';'-joined (failover order "
                "for active-passive)"),
    "region_count": ("regions", "how many regions"),
    "regions_lost_tolerated": ("regions", "whole regions that may be down while the rest "
                               "still carry the demand"),
    "pls_count": ("-", "PLSs on each region's load balancer"),
    "nat_ips": ("-", "NAT IP configurations per PLS"),
    "backend_vms": ("VMs", "backend VMs in each region (including the VM failures tolerated)"),
    "zones": ("zones", "availability zones the VMs are spread over in each region "
              "(';'-joined where regions differ; 0: no zones)"),
    "connections_per_region": ("connections", "demand each region is sized for"),
    "pe_monthly_cost_usd": ("USD", "private endpoint hours per month, all regions"),
    "provider_monthly_cost_usd": ("USD", "backend VM and PLS hours per month, all regions"),
    "total_monthly_cost_usd": ("USD", "consumer and provider sides"),
    "served_availability": ("0-1", "fraction of time the demand is served: exact steady state, "
                            "or simulated with failover gaps where method says so"),
    "reachable_availability": ("0-1", "fraction of time some endpoint is usable (exact)"),
    "served_availability_ci_low": ("0-1", "95 % interval, low end (simulated rows)"),
    "served_availability_ci_high": ("0-1", "95 % interval, high end (simulated rows)"),
    "p_month_below_slo": ("0-1", "chance a calendar month is below the objective (simulated "
                          "finalists)"),
    "p_month_below_slo_ci_high": ("0-1", "95 % upper bound of that chance"),
    "meets_objective": ("-", "served availability (and month risk, when capped) meet the "
                        "objective"),
    "method": ("-", "exact, or simulated (failover gaps, month risk)"),
}.items())


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Plan(TableResult):
    """The frontier of cost against served availability: what :func:`plan` returns.

    Reads like its :attr:`table` (``plan["regions"]``, ``len(plan)``). Built by :func:`plan`;
    its parameters are its attributes below (``layouts``: the Deployment of each row).

    Parameters
    ----------
    table, demand, objective, outages, failover, sla, candidates, assumptions, shortfall, layouts
        As the attributes.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per distinct deployment on the frontier (no other candidate is as cheap and
        at least as available), cheapest first; columns :data:`PLAN_COLUMNS`.
    demand : Demand
        The demand planned for (after growth to the horizon). [connections]
    objective : dict
        ``slo_percent`` [%] and ``max_month_risk`` [0-1 or None].
    outages : OutageModel
        The outage model the availability comes from.
    failover : Failover
        The failover mode (and delay law, active-passive).
    candidates : int
        Candidate deployments evaluated.
    assumptions : tuple of str
        Assumed values used (the reference VM price, the port hold time).
    shortfall : str
        Empty when some deployment meets the objective; else what the best reaches and what
        limits it.
    sla : SLA
        The objective as an SLA (its credit tiers for the simulated finalists).
    layouts : tuple of Deployment
        The deployment of each row (:meth:`deployment`).

    Examples
    --------
    >>> import plcapacity as plc
    >>> p = plc.plan(2_000_000, regions="eastus,northeurope", slo_percent=99.99, seed=1)
    >>> best = p.best                        # 4 VMs per region: each alone carries 2,000,000
    >>> print(best["regions"], best["regions_lost_tolerated"], best["backend_vms"])
    eastus;northeurope 0 4
    >>> print(p.to_toml().splitlines()[2])
    [demand]
    """

    table: pd.DataFrame
    demand: Demand = None
    objective: dict = dataclasses.field(default_factory=dict)
    outages: OutageModel = None
    failover: Failover = None
    sla: SLA = None
    candidates: int = 0
    assumptions: tuple = ()
    shortfall: str = ""
    layouts: tuple = ()

    @property
    def best(self) -> pd.Series | None:
        """The cheapest row meeting the objective (None when none does)."""
        meets = self.table[self.table["meets_objective"]]
        return None if meets.empty else meets.iloc[0]

    def deployment(self, row=None) -> tuple[Deployment, OutageModel]:
        """The ``(Deployment, OutageModel)`` of a row (default: :attr:`best`)."""
        index = self._row(row)
        return self.layouts[index], self.outages

    def _row(self, row) -> int:
        if row is None:
            best = self.best
            if best is None:
                raise ValueError(f"no deployment meets the objective: {self.shortfall}; give "
                                 "a row of plan.table")
            return int(best.name)
        if row not in self.table.index:
            raise ValueError(f"row={row!r} is not a row of the plan's table (0 to "
                             f"{len(self.table) - 1})")
        return int(row)

    def to_toml(self, row=None) -> str:
        """A deployment file for a row (default: :attr:`best`), the outage model written out.

        :func:`plcapacity.load_deployment` reads it back; :func:`plcapacity.exact_summary`
        and :func:`plcapacity.simulate` then give the row's availability.
        """
        index = self._row(row)
        deployment = self.layouts[index]
        r = self.table.loc[index]
        lines = [f"# plcapacity plan: {r['regions']}, tolerating {r['regions_lost_tolerated']} "
                 f"region(s) lost; served availability {r['served_availability']:.8f} "
                 f"({r['method']}); {r['total_monthly_cost_usd']:,.2f} USD per month",
                 "", "[demand]"]
        lines += [f"{key} = {value!r}" for key, value in self.demand.as_dict().items()]
        lines += ["", "[sla]", f"slo_percent = {float(self.sla.slo_percent)!r}", "",
                  "[failover]", f'mode = "{deployment.failover.mode}"']
        if deployment.failover.mode == "active-passive":
            lines.append(f"order = [{', '.join(json.dumps(n) for n in deployment.failover.order)}]")
            delay = deployment.failover.delay
            if delay is not None:
                lines.append(f"delay = {law_toml(delay)}")
            else:
                lines.append(f"delay_minutes = {float(deployment.failover.delay_minutes)!r}")
        for region in deployment.regions:
            if isinstance(region, DeclaredRegion):  # declared before it is named
                lines += ["", "[[regions]]", f"name = {json.dumps(str(region))}",
                          "availability_zones = "
                          + ("true" if region.availability_zones else "false")]
        for d in deployment.destinations:
            lines += ["", "[[destinations]]", f"name = {json.dumps(d.name)}",
                      f'region = "{d.region}"', f"pls_count = {d.pls_count}",
                      f"nat_ips = {d.nat_ips}", f"backend_vms = {d.backend_vms}",
                      "max_connections_per_vm = "
                      + ('"none"' if d.max_connections_per_vm is None
                         else repr(float(d.max_connections_per_vm)))]
            if d.zones:
                lines.append(f"zones = [{', '.join(str(z) for z in d.zones)}]")
        for e in deployment.endpoints:
            lines += ["", "[[endpoints]]", f"name = {json.dumps(e.name)}",
                      f'region = "{e.region}"', f"destination = {json.dumps(e.destination)}"]
        regions = deployment.regions
        return "\n".join(lines) + "\n\n" + self.outages.to_toml(regions)

    def plot(self, ax=None):
        """The frontier: monthly cost against served unavailability (:func:`plan_frontier`).

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plan_frontier(self, ax=ax)


def plan_frontier(plan, *, ax=None):
    """A plan's frontier: monthly cost against served unavailability (log scale), rows that
    meet the objective in green, the others as red crosses, the objective dashed and the best
    deployment labelled.

    Parameters
    ----------
    plan : Plan
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import plcapacity as plc
    >>> p = plc.plan(2_000_000, regions="eastus,northeurope")
    >>> ax = plc.plotting.plan_frontier(p)      # doctest: +SKIP
    >>> ax.figure.savefig("frontier.png")      # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    table = plan.table
    down = np.maximum(1 - table["served_availability"].to_numpy(dtype=float), 1e-16)
    meets = table["meets_objective"].to_numpy(dtype=bool)
    cost = table["total_monthly_cost_usd"].to_numpy(dtype=float)
    ax.plot(cost, down, color="0.6", lw=1, zorder=1)
    ax.scatter(cost[meets], down[meets], color="tab:green", label="meets the objective",
               zorder=2)
    ax.scatter(cost[~meets], down[~meets], color="tab:red", marker="x", label="misses it",
               zorder=2)
    objective = 1 - plan.objective["slo_percent"] / 100
    ax.axhline(objective, color="k", ls="--", lw=1,
               label=f"objective {plan.objective['slo_percent']:.10g} %")
    best = plan.best
    if best is not None:
        ax.annotate(best["regions"], (best["total_monthly_cost_usd"],
                                      max(1 - best["served_availability"], 1e-16)),
                    textcoords="offset points", xytext=(6, 6), fontsize=9)
    ax.set_yscale("log")
    ax.set_xlabel("total cost per month [USD]")
    ax.set_ylabel("served unavailability [fraction of time]")
    ax.set_title(f"Deployments for {plan.demand.connections:,.0f} connections")
    ax.legend(fontsize=9)
    return ax


def _regions(regions) -> list[str]:
    if isinstance(regions, str) and not isinstance(regions, DeclaredRegion):
        names = [r.strip() for r in regions.replace(",", ";").split(";")]
    elif isinstance(regions, DeclaredRegion):
        names = [regions]
    elif isinstance(regions, (list, tuple)):
        # A DeclaredRegion is kept as it is (str(r) would drop its declaration).
        names = [r if isinstance(r, DeclaredRegion) else r.strip() if isinstance(r, str)
                 else r for r in regions]
    else:
        raise ValueError(f"regions={short_repr(regions)} is not allowed: region names, as text "
                         "(\"eastus,westus2\") or a list (DeclaredRegion for others)")
    names = [n for n in names if not isinstance(n, str) or n]
    if not names:
        raise ValueError("regions is empty: give one or more candidate region names")
    if len(names) > MAX_CANDIDATE_REGIONS:
        raise ValueError(f"regions: {len(names)} candidates is not allowed: at most "
                         f"{MAX_CANDIDATE_REGIONS} (every non-empty set of them is searched: "
                         f"2**{len(names)} - 1 sets)")
    for name in names:
        check_region(name, where="regions")
    if len(set(names)) != len(names):
        raise ValueError(f"regions={short_repr(regions)}: a region is listed twice")
    return names


def _outages(outages) -> OutageModel:
    if isinstance(outages, OutageModel):
        return outages
    if isinstance(outages, str):
        return outage_profile(outages)
    raise ValueError(f"outages={short_repr(outages)} is not allowed: a profile name (see "
                     "plcapacity.outage_profiles()) or an OutageModel")


def _sizes(demand, shares, *, vm_failures_tolerated, zones, zone_failures_tolerated,
           cap, consumer_endpoints, lim):
    """Size one region for every (surviving-region count, zoned) pair at once."""
    m, z = np.meshgrid(np.arange(1, shares + 1), np.array([False, True]), indexing="ij")
    m, z = m.ravel(), z.ravel()
    if not zones:
        m, z = m[~z], z[~z]
    table = pd.DataFrame({
        "concurrent_connections": demand.connections / m,
        "new_connections_per_s": demand.new_connections_per_s / m,
        "port_hold_s": demand.port_hold_s,
        "headroom": demand.headroom,
        "vm_failures_tolerated": vm_failures_tolerated,
        "max_connections_per_vm": "none" if cap is None else cap,
        "consumer_endpoints": consumer_endpoints,
        "zones": np.where(z, zones or 1, np.nan),
        "zone_failures_tolerated": np.where(z, zone_failures_tolerated, 0),
    })
    if not zones:
        table = table.drop(columns=["zones"])
    sized = size_table(table, limits=lim).table.copy()
    # NAT IP configurations cost nothing: with the fewest VMs found, every region takes the
    # most, so that it carries as much as its VMs allow while other regions are down.
    sized["nat_ips"] = np.where(sized["status"] == "ok", lim.nat_ips_per_pls, sized["nat_ips"])
    return {(int(mm), bool(zz)): sized.iloc[i] for i, (mm, zz) in enumerate(zip(m, z))}


def plan(connections, *, regions, slo_percent=None, max_month_risk=None,
         new_connections_per_s=0.0, port_hold_s=None, headroom=0.2, growth_per_year=0.0,
         horizon_years=1.0, vm_failures_tolerated=1, zones=None, zone_failures_tolerated=0,
         regions_lost_tolerated=None, failover="active-active", failover_delay=None,
         outages=DEFAULT_PROFILE, consumer_endpoints=1, max_connections_per_vm=NIC_FLOWS,
         vm_hourly_usd=None, trials=20_000, seed=None, limits=None) -> Plan:
    """The cheapest deployments that carry a demand and hold an availability objective.

    Parameters
    ----------
    connections : float
        Connections open at the same time, today. [connections]
    regions : str or sequence of str
        Candidate regions (text: ``,`` or ``;`` separated), in failover order for
        active-passive; at most :data:`MAX_CANDIDATE_REGIONS`.
    slo_percent : float, optional
        Objective for the served availability, as a monthly uptime percentage. [%] Default:
        the Private Link SLA (99.99, ``data/sla.csv``).
    max_month_risk : float, optional
        Also require the chance that a calendar month is below the objective to be at most
        this (simulated for the finalists; its 95 % upper bound must be within). [0-1]
    new_connections_per_s, port_hold_s, headroom, growth_per_year
        As in :class:`plcapacity.Demand`. [1/s], [s], [-], [-]
    horizon_years : float, default 1
        Size for the demand after this much growth. [yr]
    vm_failures_tolerated : int, default 1
        Backend VMs per region that may fail while the demand is still carried.
    zones : int, optional
        Spread each region's VMs over this many availability zones where the region has them.
    zone_failures_tolerated : int, default 0
        Zones per region that may be down, with the VM failures.
    regions_lost_tolerated : int, optional
        Whole regions that may be down while the others carry the demand. Default: every
        count from 0 to one fewer than the regions of each candidate set (the search chooses).
    failover : {"active-active", "active-passive"}
    failover_delay : dict or duration law, optional
        Active-passive: the delay law (default: the assumed lognormal of
        ``data/azure_limits.csv``, as batch rows use).
    outages : str or OutageModel, default the evidence profile
        A profile name (:func:`plcapacity.outage_profiles`) or a model.
    consumer_endpoints : int, default 1
        Private endpoints per region (each reaches its own region's PLS).
    max_connections_per_vm : float, "nic" or None, default "nic"
    vm_hourly_usd : float, optional
        Price of one backend VM. [USD/h] Default: ``reference_vm_hour_usd`` from
        ``data/pricing.csv`` (an uncertain reference; the plan's assumptions say so).
    trials : int, default 20,000
        Trial-years per simulated finalist, at most :data:`MAX_PLAN_TRIALS`.
    seed : int, optional
        Seed of the finalists' simulations.
    limits : Limits, optional

    Returns
    -------
    Plan

    Examples
    --------
    >>> import plcapacity as plc
    >>> p = plc.plan(2_000_000, regions="eastus,westus2", slo_percent=99.9, seed=1)
    >>> best = p.best           # per region: PLSs x NAT IPs x VMs
    >>> print(best["regions"], best["pls_count"], best["nat_ips"], best["backend_vms"])
    eastus;westus2 1 8 4
    >>> round(float(best["total_monthly_cost_usd"]), 2)      # [USD per month]
    575.24
    """
    lim = limits or get_limits()
    names = _regions(regions)
    model = _outages(outages)
    if slo_percent is not None:
        slo_percent = check_number(slo_percent, "slo_percent", 0, 100, low_inclusive=False,
                                   high_inclusive=False)
    sla = SLA.private_link(slo_percent)
    trials = check_number(trials, "trials", 1, MAX_PLAN_TRIALS, integer=True,
                          allowed=f"a whole number from 1 to {MAX_PLAN_TRIALS:,} per simulated "
                                  f"finalist (up to {FINALISTS} run inside the search); for "
                                  "more, simulate the written deployment file")
    if max_month_risk is not None:
        max_month_risk = check_number(max_month_risk, "max_month_risk", 0, 1,
                                      low_inclusive=False)
    if failover not in ("active-active", "active-passive"):
        raise ValueError(f"failover={short_repr(failover)} is not allowed: active-active or "
                         "active-passive")
    horizon = check_number(horizon_years, "horizon_years", 0, 100)
    base = Demand(connections, new_connections_per_s, port_hold_s, headroom, growth_per_year,
                  limits=lim)
    demand = base.after(horizon)
    cap = vm_cap(max_connections_per_vm, lim)
    endpoints = check_number(consumer_endpoints, "consumer_endpoints", 1, integer=True)
    failures = check_number(vm_failures_tolerated, "vm_failures_tolerated", 0, integer=True)
    if zones is not None:
        zones = check_number(zones, "zones", 1, lim.zones_per_region, integer=True)
    zone_failures = check_number(zone_failures_tolerated, "zone_failures_tolerated", 0,
                                 (zones or 1) - 1, integer=True)
    assumptions = list(base.assumptions)
    if vm_hourly_usd is None:
        price = float(lim.reference_vm_hour_usd)
        assumptions.append(f"vm_hourly_usd={price:g} is the reference VM price of "
                           "data/pricing.csv (Standard_D2s_v5, Linux, East US, pay-as-you-go; "
                           "uncertain): give vm_hourly_usd for your VMs")
    else:
        price = check_number(vm_hourly_usd, "vm_hourly_usd", 0, 1e6)
    delay = None
    if failover == "active-passive":
        delay = failover_delay or {"law": "lognormal",
                                   "median_minutes": lim.default_failover_delay_median_min,
                                   "p95_minutes": lim.default_failover_delay_p95_min}
        if failover_delay is None:
            assumptions.append("failover delay: the assumed lognormal of data/azure_limits.csv "
                               f"(median {lim.default_failover_delay_median_min:g} min, p95 "
                               f"{lim.default_failover_delay_p95_min:g} min)")
    lost_given = None if regions_lost_tolerated is None else check_number(
        regions_lost_tolerated, "regions_lost_tolerated", 0, len(names) - 1, integer=True)
    has_zones = {name: has_availability_zones(name) for name in names}
    sizes = _sizes(demand, 1 if failover == "active-passive" else len(names),
                   vm_failures_tolerated=failures, zones=zones,
                   zone_failures_tolerated=zone_failures, cap=cap,
                   consumer_endpoints=endpoints, lim=lim)

    rows, layouts = [], []
    for k in range(1, len(names) + 1):
        for chosen in itertools.combinations(names, k):
            if failover == "active-passive":
                losses = [k - 1]
            elif lost_given is not None:
                losses = [lost_given] if lost_given < k else []
            else:
                losses = range(k - 1, -1, -1)
            seen = set()
            for lost in losses:
                m = 1 if failover == "active-passive" else k - lost
                # Sized for m regions (headroom, VM failures); more VMs per region can let
                # fewer regions serve the demand with all VMs up, which the served
                # availability counts: one candidate per number of regions needed up.
                for up in range(m, 0, -1):
                    picked, vms, feasible = _counts(chosen, m, up, sizes, has_zones, zones,
                                                    demand, cap, lim)
                    key = (tuple(vms), feasible and tuple(
                        (int(s["pls_count"]), int(s["nat_ips"])) for s in picked))
                    if key in seen:   # another loss count or number up gave this deployment
                        continue
                    seen.add(key)
                    row, layout = _candidate(chosen, lost, m, picked, vms, feasible, has_zones,
                                             zones, demand, cap, endpoints, price, sla,
                                             failover, delay, model, lim)
                    rows.append(row)
                    layouts.append(layout)
    table = pd.DataFrame(rows)
    if not np.isfinite(table["total_monthly_cost_usd"]).any():
        _infeasible(demand, names, failover, failures, zones, zone_failures, cap, endpoints,
                    lim)
    table["meets_objective"] = table["served_availability"] >= sla.slo_percent / 100
    table["method"] = "exact"
    for name in ("served_availability_ci_low", "served_availability_ci_high",
                 "p_month_below_slo", "p_month_below_slo_ci_high"):
        table[name] = np.nan
    table, layouts = _frontier(table, layouts)
    if failover == "active-passive" or max_month_risk is not None:
        _simulate_finalists(table, layouts, model, trials, seed, max_month_risk, sla,
                            gaps=failover == "active-passive")
        table, layouts = _frontier(table, layouts)
    table = table[list(PLAN_COLUMNS)].reset_index(drop=True)
    shortfall = ("" if table["meets_objective"].any()
                 else _shortfall(table, sla, max_month_risk, model))
    return Plan(table, demand, {"slo_percent": sla.slo_percent,
                                "max_month_risk": max_month_risk},
                model, Failover(failover, 0.0, delay=delay), sla, len(rows),
                tuple(assumptions), shortfall, tuple(layouts))


def _infeasible(demand, names, failover, failures, zones, zone_failures, cap, endpoints, lim):
    """Raise the sizing's own explanation for the smallest share a region can get."""
    m = 1 if failover == "active-passive" else len(names)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CapacityWarning)
            size(demand.connections / m, new_connections_per_s=demand.new_connections_per_s / m,
                 port_hold_s=demand.port_hold_s, headroom=demand.headroom,
                 vm_failures_tolerated=failures, max_connections_per_vm=cap,
                 consumer_endpoints=endpoints, zones=zones,
                 zone_failures_tolerated=zone_failures, limits=lim)
    except InfeasibleDemandError as error:
        raise InfeasibleDemandError(
            f"no set of the regions {', '.join(names)} carries {_amount(demand.connections)} "
            f"connections (each region's share at best: {_amount(demand.connections / m)}): "
            f"{error}", limit=error.limit, required=error.required,
            available=error.available) from None
    raise InfeasibleDemandError(  # pragma: no cover - sizing found what the table did not
        f"no set of the regions {', '.join(names)} carries {_amount(demand.connections)} "
        "connections", limit="backend_pool_size", required=math.nan, available=math.nan)


def _amount(value) -> str:
    """A count for a message: ``2,000,000``, or ``1.200e+20`` from 10^15 on (short whatever
    the input)."""
    return f"{value:,.0f}" if abs(value) < 1e15 else f"{value:.3e}"


def _vms_to_serve(share, pls, nat, cap, port_factor, lim) -> int:
    """Fewest VMs whose carried connections (all up, no headroom) reach ``share``."""
    per_vm = min(pls * nat * lim.ports_per_nat_ip / port_factor,
                 math.inf if cap is None else cap)
    return max(1, math.ceil(share / per_vm * (1 - 1e-12)))


def _counts(chosen, m, up, sizes, has_zones, zones, demand, cap, lim):
    """Each region's sizing row and VM count, and whether the candidate is feasible: sized for
    ``m`` regions carrying the demand after the tolerated failures, and with at least the VMs
    for ``up`` regions to serve it with all VMs up."""
    picked = [sizes[(m, bool(zones) and has_zones[r])] for r in chosen]
    feasible = all(s["status"] == "ok" for s in picked)
    vms = [max(int(s["backend_vms"]),
               _vms_to_serve(demand.connections / up, int(s["pls_count"]), int(s["nat_ips"]),
                             cap, demand.port_factor, lim)) if feasible else 0
           for s in picked]
    return picked, vms, feasible and max(vms) <= lim.backend_pool_size


def _candidate(chosen, lost, m, picked, vms, feasible, has_zones, zones, demand, cap,
               endpoints, price, sla, failover, delay, model, lim):
    """One candidate's row (sizes, costs, exact availability) and its Deployment, from
    :func:`_counts`."""
    destinations, pes = [], []
    for region, s, v in zip(chosen, picked, vms):
        if not feasible:
            break
        zoned = bool(zones) and has_zones[region]
        destinations.append(Destination(
            f"pls-{region}", region, nat_ips=int(s["nat_ips"]), backend_vms=v,
            pls_count=int(s["pls_count"]), max_connections_per_vm=cap,
            zones=tuple(range(1, zones + 1)) if zoned else ()))
        pes += [Endpoint(f"pe-{region}" + (f"-{j + 1}" if endpoints > 1 else ""), region,
                         f"pls-{region}") for j in range(endpoints)]
    pls = [int(s["pls_count"]) if feasible else 0 for s in picked]
    row = dict(
        regions=";".join(chosen), region_count=len(chosen), regions_lost_tolerated=lost,
        pls_count=_joined(pls), nat_ips=_joined([int(s["nat_ips"]) if feasible else 0
                                                  for s in picked]),
        backend_vms=_joined(vms),
        zones=_joined([(zones if zones and has_zones[r] else 0) for r in chosen]),
        connections_per_region=demand.connections / m,
        pe_monthly_cost_usd=len(chosen) * endpoints * lim.private_endpoint_hour_usd
        * lim.hours_per_month,
        provider_monthly_cost_usd=(sum(vms) * price + sum(pls)
                                   * lim.private_link_service_hour_usd) * lim.hours_per_month,
    )
    row["total_monthly_cost_usd"] = row["pe_monthly_cost_usd"] + row["provider_monthly_cost_usd"]
    if not feasible:
        row.update(served_availability=np.nan, reachable_availability=np.nan,
                   total_monthly_cost_usd=np.inf)
        return row, None
    deployment = Deployment(tuple(destinations), tuple(pes), demand,
                            Failover(failover, 0.0, delay=delay), sla)
    exact = exact_figures_by_metric(deployment, model, rates=False)
    row.update(served_availability=1 - exact["served"],
               reachable_availability=1 - exact["reachable"])
    return row, deployment


def _joined(values):
    """One value when every region has it, else the values ';'-joined."""
    return values[0] if len(set(values)) == 1 else ";".join(str(v) for v in values)


def _frontier(table, layouts):
    """Distinct deployments no other beats or equals on cost and availability, cheapest
    first; ties in both keep the one with fewer regions."""
    ok = np.isfinite(table["total_monthly_cost_usd"].to_numpy(float))
    table = table[ok].copy()
    layouts = [layouts[i] for i in np.flatnonzero(ok)]
    table["_order"] = np.arange(len(table))
    ordered = table.sort_values(["total_monthly_cost_usd", "served_availability",
                                 "region_count", "_order"],
                                ascending=[True, False, True, True], kind="stable")
    availability = ordered["served_availability"].to_numpy(float)
    best_before = np.maximum.accumulate(np.concatenate([[-np.inf], availability[:-1]]))
    keep = availability > best_before
    kept = ordered[keep]
    return (kept.drop(columns="_order").reset_index(drop=True),
            [layouts[i] for i in kept["_order"]])


def _simulate_finalists(table, layouts, model, trials, seed, max_month_risk, sla, gaps):
    """Simulate the cheapest rows meeting the objective (in place), until one holds it.

    Only simulated rows can meet the objective afterwards: the others are marked
    ``exact (not simulated)`` and not meeting it, since their gaps or month risk are unknown.
    """
    done = 0
    exact_meets = table["meets_objective"].to_numpy(bool).copy()
    table["meets_objective"] = False
    table.loc[exact_meets, "method"] = "exact (not simulated)"
    for i in range(len(table)):
        if done >= FINALISTS:
            break
        if not exact_meets[i]:
            continue
        result = simulate(layouts[i], model, trials=trials, seed=seed, progress=False)
        summary = result.summary()
        # the simulation's own bound: its trials, not its months, are the independent draws
        # (one long outage can take two months), and a small run's bound is exact
        high = float(summary["p_month_below_slo_ci_high"])
        table.at[i, "p_month_below_slo"] = summary["p_month_below_slo"]
        table.at[i, "p_month_below_slo_ci_high"] = high
        meets = True
        if gaps:
            table.at[i, "served_availability"] = summary["served_availability"]
            table.at[i, "served_availability_ci_low"] = summary["served_availability_ci_low"]
            table.at[i, "served_availability_ci_high"] = summary["served_availability_ci_high"]
            meets = summary["served_availability"] >= sla.slo_percent / 100
        if max_month_risk is not None:
            meets = meets and high <= max_month_risk
        table.at[i, "meets_objective"] = bool(meets)
        table.at[i, "method"] = "simulated"
        done += 1
        if meets:
            break


def _shortfall(table, sla, max_month_risk, model) -> str:
    """What the best candidate reaches and what limits it, when none meets the objective."""
    top = table.sort_values("served_availability", ascending=False).iloc[0]
    reach = top["reachable_availability"]
    limit = ("the outage model: even the most available set of regions is unreachable "
             f"{(1 - reach):.2e} of the time" if top["served_availability"] >= reach * (1 - 1e-12)
             else "capacity while regions are down (tolerate more lost regions)")
    regions = set(top["regions"].split(";"))
    shared = [g for g in model.groups if regions <= set(g.regions)]
    if shared:
        limit += ("; every region of it is in the correlated group "
                  + ", ".join(f"{g.name!r} ({g.rate_per_year:.3g} outages/yr)" for g in shared)
                  + ", which takes them down together: add a candidate region outside it")
    risk = (f"; or the month risk cap {max_month_risk:g}" if max_month_risk is not None else "")
    return (f"no candidate reaches {sla.slo_percent:.10g} %: the best, {top['regions']} "
            f"tolerating {top['regions_lost_tolerated']} lost region(s), serves "
            f"{100 * top['served_availability']:.6f} %; limited by {limit}{risk}")
