"""``plcapacity plan``: which regions, and per region PLSs x NAT IPs x VMs, for a demand and
an objective, at the least cost (:func:`plcapacity.planning.plan.plan`).

Prints the frontier of cost against served availability (cheapest first) and the best row;
``-o plan.toml`` writes the best deployment as a deployment file (the outage model written
out) that ``plcapacity exact`` and ``simulate`` read. Exit code 1 when no candidate meets the
objective or no set of regions carries the demand.
"""

from __future__ import annotations

import warnings

from plcapacity.base.exceptions import CapacityWarning, InfeasibleDemandError, UsageError
from plcapacity.cli.arguments import (
    OUTAGE_PROFILES,
    add_demand_options,
    add_format,
    cap,
    fraction,
    number,
    positive_whole,
    whole,
)
from plcapacity.cli.output import (
    EXIT_INFEASIBLE,
    EXIT_OK,
    check_output_folder,
    emit,
    printable,
    report_warnings,
)

__all__ = ["NAME", "add_parser", "run"]

NAME = "plan"

_SHOWN = ["regions", "regions_lost_tolerated", "pls_count", "nat_ips", "backend_vms", "zones",
          "total_monthly_cost_usd", "served_availability", "p_month_below_slo",
          "meets_objective", "method"]


def add_parser(commands):
    """Register ``plan`` and its options on the ``commands`` subparsers."""
    parser = commands.add_parser(
        NAME, help="cheapest regions x PLS x NAT IPs x VMs meeting an availability objective",
        description="Search every set of the candidate regions and every number of whole "
                    "regions it may lose: each region gets a PLS deployment sized for its "
                    "share of the demand (headroom, churn, VM failures) and its own private "
                    "endpoints. Prints the frontier of monthly cost against served "
                    "availability (exact; simulated finalists for active-passive gaps and "
                    "month risk) and the cheapest deployment meeting the objective.")
    parser.add_argument("connections", type=number, help="concurrent connections to carry")
    parser.add_argument("--regions", required=True, metavar="R1,R2,...",
                        help="candidate regions, comma or ';' separated (failover order for "
                             "active-passive), at most 10")
    parser.add_argument("--slo-percent", type=number, metavar="PCT",
                        help="objective for the served availability, monthly uptime in %% "
                             "(default: 99.99, the Private Link SLA)")
    parser.add_argument("--max-month-risk", type=number, metavar="P",
                        help="also cap the chance that a month is below the objective "
                             "(simulated for the finalists)")
    add_demand_options(parser, vm_failures_tolerated=1)
    parser.add_argument("--growth-per-year", type=fraction, default=0.0, metavar="FRACTION",
                        help="demand growth per year: 0.3 or 30%% (default: 0)")
    parser.add_argument("--horizon-years", type=number, default=1.0, metavar="YEARS",
                        help="size for the demand after this much growth (default: 1)")
    parser.add_argument("--regions-lost-tolerated", type=whole, metavar="N",
                        help="whole regions that may be down while the rest carry the demand "
                             "(default: every count is searched)")
    parser.add_argument("--failover", choices=("active-active", "active-passive"),
                        default="active-active", help="how traffic moves between regions "
                                                      "(default: active-active)")
    parser.add_argument("--outage-profile", choices=OUTAGE_PROFILES,
                        default=OUTAGE_PROFILES[0], metavar="NAME",
                        help=f"the outage model: one of {', '.join(OUTAGE_PROFILES)} "
                             f"(default: {OUTAGE_PROFILES[0]})")
    parser.add_argument("--consumer-endpoints", type=positive_whole, default=1, metavar="N",
                        help="private endpoints per region (default: 1)")
    parser.add_argument("--max-connections-per-vm", type=cap, default="nic", metavar="N",
                        help="cap on connections per VM, or none (default: the 500000 "
                             "concurrent flows a VM NIC supports)")
    parser.add_argument("--vm-hourly-usd", type=number, metavar="USD",
                        help="price of a backend VM per hour (default: the reference price "
                             "in data/pricing.csv, uncertain)")
    parser.add_argument("--trials", type=positive_whole, default=20_000, metavar="N",
                        help="trial-years per simulated finalist, at most 2,000,000 "
                             "(default: 20000)")
    parser.add_argument("--seed", type=whole, metavar="N", help="seed of the simulations")
    parser.add_argument("-o", "--output", metavar="FILE.toml",
                        help="write the best deployment as a deployment file")
    add_format(parser)
    return parser


def _simulated(best, result) -> str:
    """How far a simulated figure can be trusted: its interval, and whether it straddles the
    objective (the row meets it on the estimate alone)."""
    if best["method"] != "simulated" or result.failover.mode != "active-passive":
        return ""
    import math

    low, high = best["served_availability_ci_low"], best["served_availability_ci_high"]
    if math.isnan(low) or math.isnan(high):
        return " (simulated: too few trials for a 95 % interval; raise --trials)"
    text = f" (simulated, 95 % interval {100 * low:.6f} to {100 * high:.6f} %"
    if low < result.objective["slo_percent"] / 100:
        text += ("; its low end is below the objective: the estimate alone meets it, raise "
                 "--trials to settle it")
    return text + ")"


def run(args, out, err):
    """Print the plan; returns the exit code."""
    from pathlib import Path

    from plcapacity.base.files import atomic_write
    from plcapacity.planning.plan import plan

    if args.output is not None:
        if not str(args.output).endswith(".toml"):
            raise UsageError(f"-o {args.output}: a deployment file name ending in .toml")
        check_output_folder(args.output)
        if Path(args.output).is_dir():
            raise UsageError(f"-o {args.output} is a folder; give a file name ending in .toml")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CapacityWarning)
        try:
            result = plan(
                args.connections, regions=args.regions, slo_percent=args.slo_percent,
                max_month_risk=args.max_month_risk,
                new_connections_per_s=args.new_connections_per_s, port_hold_s=args.port_hold_s,
                headroom=args.headroom, growth_per_year=args.growth_per_year,
                horizon_years=args.horizon_years,
                vm_failures_tolerated=args.vm_failures_tolerated, zones=args.zones,
                zone_failures_tolerated=args.zone_failures_tolerated,
                regions_lost_tolerated=args.regions_lost_tolerated, failover=args.failover,
                outages=args.outage_profile, consumer_endpoints=args.consumer_endpoints,
                max_connections_per_vm=args.max_connections_per_vm,
                vm_hourly_usd=args.vm_hourly_usd, trials=args.trials, seed=args.seed)
        except InfeasibleDemandError as error:
            err.write(f"error: {printable(str(error))}\n")
            return EXIT_INFEASIBLE
    table = result.table
    shown = table if args.format != "table" else table[[c for c in _SHOWN if c in table and (
        c != "p_month_below_slo" or table[c].notna().any())]]
    if args.format == "table" and "p_month_below_slo" in shown:
        shown = shown.assign(p_month_below_slo=shown["p_month_below_slo"].map(
            "{:.2e}".format, na_action="ignore"))
    notes = [f"{len(table)} distinct deployments on the frontier of {result.candidates} "
             f"candidates; outage model: {result.outages.describe()}"]
    best = result.best
    if best is not None:
        notes.append(f"best: {best['regions']} with {best['pls_count']} PLS x "
                     f"{best['nat_ips']} NAT IPs x {best['backend_vms']} VMs per region, "
                     f"{best['total_monthly_cost_usd']:,.2f} USD a month, served "
                     f"{100 * best['served_availability']:.6f} %" + _simulated(best, result))
    else:
        notes.append(result.shortfall)
    notes += list(result.assumptions)
    emit(shown, args.format, notes, out, err)
    report_warnings(caught, err)
    if best is None:
        return EXIT_INFEASIBLE
    if args.output is not None:
        text = result.to_toml()
        atomic_write(args.output, lambda path: Path(path).write_text(text, encoding="utf-8"))
        (out if args.format == "table" else err).write(f"wrote {args.output}\n")
    return EXIT_OK
