"""Command-line interface: ``plcapacity ceiling | size | simulate | exact | batch | report |
fit-outages | estate | examples``.

Usage::

    plcapacity ceiling --nat-ips 1-8 --vms 2,4,8 [--pls 1] [--format table|csv|json]
    plcapacity size 2000000 --new-connections-per-s 1000 --vm-failures-tolerated 1
    plcapacity size --input data/examples/sizing-requests.csv
    plcapacity simulate deployment.toml --trials 1e6 --seed 7
    plcapacity exact deployment.toml
    plcapacity batch data/examples/services.csv -o results.csv [--resume] [--scheduler ADDR]
    plcapacity report data/examples/services.csv -o report.html
    plcapacity fit-outages incidents.csv [--format table|toml|json] [--period START END]
                           [--regions LIST]
    plcapacity estate --inventory pls.json lb.json pe.json --metrics nat-ports.json -o estate.html
    plcapacity examples [DIR] [--force]
    plcapacity --version

The CLI is thin: it parses, calls the public functions of :mod:`plcapacity` and prints. Bad
input prints one line on stderr and exits with code 2 (no traceback); a demand that no
deployment within Azure's limits can carry exits with code 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import warnings

import numpy as np
import pandas as pd

from plcapacity.availability.deployment import load_deployment
from plcapacity.availability.exact import exact_summary, process_table
from plcapacity.availability.results import format_summary
from plcapacity.availability.simulation import simulate
from plcapacity.base.exceptions import (
    CapacityWarning,
    InfeasibleDemandError,
    ModelWarning,
    UsageError,
)
from plcapacity.base.limits import override_notes
from plcapacity.base.tables import neutralize_formulas, read_table, same_file
from plcapacity.base.version import __version__
from plcapacity.capacity.grid import ceiling_table
from plcapacity.capacity.sizing import size, size_table

__all__ = ["main"]

#: Exit codes. 1: no deployment carries the demand (size), or some rows failed (batch).
EXIT_OK, EXIT_INFEASIBLE, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
#: Exit code of a run stopped with Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


def _printable(text) -> str:
    """Text safe for a terminal: control characters (escape sequences included) shown as
    escapes, and one line."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _debug(argv, err):
    """With --debug, the traceback of the error being handled (for bug reports)."""
    arguments = sys.argv[1:] if argv is None else argv
    if "--debug" in arguments:
        import traceback
        traceback.print_exc(file=err)


#: The program name, which ``main`` prints once at the start of every error line.
_PROG = "plcapacity"


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line instead of usage + message."""

    def error(self, message):
        # self.prog is "plcapacity" or "plcapacity size": main adds "plcapacity: error:".
        command = self.prog[len(_PROG):].strip() if self.prog.startswith(_PROG) else self.prog
        where = f"{command}: " if command else ""
        raise UsageError(f"{where}{message} (see {self.prog} --help)")


#: Thousands separated by commas: ``10,000,000`` (groups of three digits after the first).
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?([eE][+-]?\d+)?")


def _number(text: str):
    """A number as users type it: ``2000000``, ``2_000_000``, ``2,000,000``, ``2e6`` (whole
    values as int). Commas are accepted only as thousands separators, so ``2,5`` is refused
    rather than read as 25 or 2.5."""
    plain = text.strip()
    if _THOUSANDS.fullmatch(plain):
        plain = plain.replace(",", "")
    try:
        value = float(plain.replace("_", ""))
    except ValueError:
        hint = " (commas only as thousands separators, as in 10,000,000)" if "," in text else ""
        raise argparse.ArgumentTypeError(f"{text!r} is not a number{hint}") from None
    if not np.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return int(value) if value.is_integer() and abs(value) < 2 ** 53 else value


def _whole(text: str) -> int:
    plain = text.strip()
    if _THOUSANDS.fullmatch(plain):
        plain = plain.replace(",", "")
    try:  # exact for any size, such as a 128-bit seed printed by an earlier run
        return int(plain.replace("_", ""))
    except ValueError:
        pass
    value = _number(text)
    if not float(value).is_integer():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(value)


def _positive_whole(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed: a whole number >= 1")
    return value


#: Most values a list such as ``--vms 1-5000`` may expand to (a grid of this size already
#: makes a table people cannot read; larger requests are almost certainly typos).
_MAX_LIST_VALUES = 100_000


def _fraction(text: str):
    """A fraction as people write it: ``0.2`` or ``20%`` (a percentage, divided by 100)."""
    text = text.strip()
    if text.endswith("%"):
        return _number(text[:-1]) / 100
    return _number(text)


def _cap(text: str):
    """A per-VM cap: a number, ``nic`` (the NIC's flows) or ``none`` (no cap, as None)."""
    word = text.strip().lower()
    if word == "none":
        return None
    return "nic" if word == "nic" else _number(text)


def _int_list(text: str) -> list[int]:
    """``1-8``, ``2,4,8`` or a mix such as ``1-4,8``, as a sorted list of unique integers."""
    values = set()
    problem = f"{text!r} is not a list of whole numbers (write 1-8, 2,4,8 or 1-4,8)"
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part[1:]:
                first, last = (int(v) for v in part.split("-", 1))
                if last < first:
                    raise argparse.ArgumentTypeError(
                        f"{text!r}: the range {part} runs backwards (write {last}-{first})")
                if last - first + 1 > _MAX_LIST_VALUES:
                    raise argparse.ArgumentTypeError(
                        f"{text!r}: the range {part} has more than {_MAX_LIST_VALUES:,} values")
                values.update(range(first, last + 1))
            else:
                values.add(int(part))
        except ValueError:
            raise argparse.ArgumentTypeError(problem) from None
        if len(values) > _MAX_LIST_VALUES:
            raise argparse.ArgumentTypeError(f"{text[:40]!r}: more than {_MAX_LIST_VALUES:,} "
                                             "values")
    return sorted(values)


def _add_format(parser):
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table",
                        help="output format (default: a readable table)")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="plcapacity", description=(
        "Capacity planning and availability analysis for Azure Private Link: connection "
        "ceilings, sizing, and regional-outage availability."),
        epilog="Exit codes: 0 success, 1 no deployment within Azure's limits carries the "
               "demand, 2 bad input, 3 internal error (a bug: please report it).")
    parser.add_argument("--version", action="version", version=f"plcapacity {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error (for bug reports)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    ceiling = commands.add_parser(
        "ceiling", help="connection ceilings over a grid of configurations",
        description="Connection ceiling = pls_count x nat_ips x backend_vms x ports_per_nat_ip "
                    "(capped by backend_vms x max_connections_per_vm), one row per combination.")
    ceiling.add_argument("--nat-ips", type=_int_list, default=[1, 2, 4, 8], metavar="LIST",
                         help="NAT IPs per PLS, e.g. 1-8 or 2,4,8 (default: 1,2,4,8)")
    ceiling.add_argument("--vms", type=_int_list, required=True, metavar="LIST",
                         help="backend VMs, e.g. 2,4,8 or 1-10")
    ceiling.add_argument("--pls", type=_int_list, default=[1], metavar="LIST",
                         help="PLS on the load balancer, e.g. 1 or 1-8 (default: 1)")
    _add_limit_options(ceiling)
    ceiling.add_argument("--overflow-probability", type=_number, metavar="P",
                         help="also show the usable ceiling at this hash-overflow probability")
    ceiling.add_argument("--no-enforce-limits", action="store_true",
                         help="allow values outside Azure's limits (hypothetical configurations)")
    _add_format(ceiling)

    sizing = commands.add_parser(
        "size", help="smallest deployments that carry a demand",
        description="Every feasible (pls_count, nat_ips) with the fewest backend VMs that carry "
                    "the demand plus headroom after losing --vm-failures-tolerated VMs, best "
                    "first. With --input, the best deployment for each row of a CSV file.")
    sizing.add_argument("concurrent_connections", type=_number, nargs="?",
                        help="concurrent connections to carry")
    sizing.add_argument("--input", metavar="TABLE",
                        help="a table of demands (.csv, .parquet, .json), one per row "
                             "(columns: service, concurrent_connections and any option below, "
                             "in snake_case; the options fill the cells a row leaves empty)")
    sizing.add_argument("--new-connections-per-s", type=_number, default=0.0, metavar="RATE",
                        help="new connections per second (default: 0)")
    sizing.add_argument("--port-hold-s", type=_number, metavar="S",
                        help="seconds a port stays held after close (default: 65, an "
                             "assumption from NAT Gateway)")
    sizing.add_argument("--headroom", type=_fraction, default=0.2, metavar="FRACTION",
                        help="spare capacity on top of the demand: 0.2 or 20%% (default: 0.2)")
    sizing.add_argument("--vm-failures-tolerated", type=_whole, default=0, metavar="N",
                        help="backend VMs that may fail (default: 0)")
    sizing.add_argument("--consumer-endpoints", type=_whole, default=1, metavar="N",
                        help="private endpoints connecting to the service (default: 1)")
    sizing.add_argument("--zones", type=_whole, metavar="N",
                        help="availability zones the VMs are spread over (default: none)")
    sizing.add_argument("--zone-failures-tolerated", type=_whole, default=0, metavar="N",
                        help="zones that may be down, their VMs lost, with the VM failures "
                             "(default: 0)")
    sizing.add_argument("--overflow-probability", type=_number, metavar="P",
                        help="size on the usable ceiling at this hash-overflow probability")
    sizing.add_argument("--vm-hourly-usd", type=_number, metavar="USD",
                        help="price of a backend VM per hour: adds the provider-side monthly "
                             "cost of each option")
    _add_limit_options(sizing)
    sizing.add_argument("--top", type=_positive_whole, default=10, metavar="N",
                        help="rows to show in the table format (default: 10)")
    _add_format(sizing)

    sim = commands.add_parser(
        "simulate", help="Monte Carlo of regional outages over a deployment file",
        description="Simulate years of independent and correlated regional outages over a "
                    "deployment (TOML) and print the availability, downtime distribution, "
                    "SLA misses, expected credit and the causes.")
    sim.add_argument("deployment", help="deployment file (TOML), e.g. data/examples/*.toml")
    sim.add_argument("--trials", type=_positive_whole, default=100_000, metavar="N",
                     help="trials to run, e.g. 1e6 (default: 100000)")
    sim.add_argument("--years", type=_positive_whole, default=1, metavar="N",
                     help="calendar years per trial (default: 1)")
    sim.add_argument("--seed", type=_whole, metavar="N", help="seed for reproducible numbers")
    sim.add_argument("--chunk-size", type=_positive_whole, metavar="N",
                     help="trials per chunk (memory and progress; does not change numbers)")
    sim.add_argument("--target-rel-ci", type=_number, metavar="FRACTION",
                     help="keep simulating until the 95%% CI half-width is this fraction of "
                          "the figure --target-metric names")
    sim.add_argument("--target-metric", choices=("reachable", "served", "p_month_below_slo"),
                     help="what --target-rel-ci is about (default: served with a demand, else "
                          "reachable)")
    sim.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_format(sim)

    exact = commands.add_parser(
        "exact", help="exact steady-state availability of a deployment file",
        description="Exact steady-state availability (a sum over the up/down states of the "
                    "outage processes) and the processes involved.")
    exact.add_argument("deployment", help="deployment file (TOML)")
    _add_format(exact)

    batch = commands.add_parser(
        "batch", help="size (and simulate) every service of a table",
        description="Size every Private Link service of a scenario table (CSV, Parquet or "
                    "JSON) and, for rows with regions or a deployment file, simulate their "
                    "availability. Prints a summary (problems first) and writes the results "
                    "atomically with -o. Exit codes: 0 every row succeeded, 1 some rows "
                    "failed (results still written, errors included), 2 unusable input.",
        epilog="Columns: plcapacity batch --columns. A Dask cluster: --scheduler "
               "tcp://host:8786 (the results equal a local run with the same seed).")
    batch.add_argument("scenarios", nargs="?", help="scenario table (.csv, .parquet, .json)")
    batch.add_argument("-o", "--output", metavar="FILE",
                       help="results file: .csv, .parquet or .json (written atomically)")
    batch.add_argument("--trials", type=_positive_whole, default=100_000, metavar="N",
                       help="simulated trials per row with availability (default: 100000)")
    batch.add_argument("--years", type=_positive_whole, default=1, metavar="N",
                       help="years per trial (default: 1)")
    batch.add_argument("--seed", type=_whole, metavar="N",
                       help="batch seed (each row's derives from it and the service name)")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="Dask scheduler, e.g. tcp://host:8786 (default: this machine)")
    batch.add_argument("--workers", type=_positive_whole, metavar="N",
                       help="local processes (default: the machine's cores)")
    batch.add_argument("--resume", action="store_true",
                       help="continue a killed run from its checkpoint (needs -o)")
    batch.add_argument("--passthrough", action="store_true",
                       help="copy unknown columns to the results instead of rejecting them")
    batch.add_argument("--on-error", choices=("collect", "raise"), default="collect",
                       help="collect: report bad rows and compute the rest (default); raise: "
                            "stop at the first")
    batch.add_argument("--top", type=_positive_whole, default=25, metavar="N",
                       help="rows in the terminal summary (default: 25)")
    batch.add_argument("--no-progress", action="store_true", help="no progress bar")
    batch.add_argument("--columns", action="store_true",
                       help="list the scenario columns (unit, default, allowed) and exit")
    batch.add_argument("--allow-outside-paths", action="store_true",
                       help="let the deployment column name files outside the table's folder")
    batch.add_argument("--outage-profile", default="azure-status-2018-2020", metavar="NAME",
                       help="outage model of rows that name none: azure-status-2018-2020 "
                            "(default, fitted to Azure status incidents) or sla-calibrated")

    report = commands.add_parser(
        "report", help="a self-contained HTML report of a batch run",
        description="Run a batch over a scenario table and write one HTML file (figures "
                    "embedded) for people who never open Python: sizing per service, limits "
                    "at risk, availability and SLO risk, and the assumptions.")
    report.add_argument("scenarios", help="scenario table (.csv, .parquet, .json)")
    report.add_argument("-o", "--output", required=True, metavar="FILE.html",
                        help="the report (written atomically)")
    for flag, kind, default, text in (
            ("--trials", _positive_whole, 100_000, "simulated trials per row (default: 100000)"),
            ("--years", _positive_whole, 1, "years per trial (default: 1)"),
            ("--seed", _whole, None, "batch seed"),
            ("--workers", _positive_whole, None, "local processes (default: all cores)")):
        report.add_argument(flag, type=kind, default=default, metavar="N", help=text)
    report.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address")
    report.add_argument("--title", default="Private Link capacity and availability",
                        help="the report's heading (default: Private Link capacity and "
                             "availability)")
    report.add_argument("--no-progress", action="store_true", help="no progress bar")

    fit = commands.add_parser(
        "fit-outages", help="fit an outage model to a list of incidents",
        description="Fit per-region and per-group outage rates (exact 95 %% intervals) and a "
                    "duration law (maximum likelihood, chosen by AIC) to incidents: a CSV with "
                    "start, end (UTC) and location columns. --format toml prints an [outages] "
                    "section for a deployment file.",
        epilog="The shipped Azure status incidents: data/outages/"
               "azure_status_incidents_2018_2020.csv (read data/outages/README.md first).")
    fit.add_argument("incidents", help="incident table (CSV)")
    fit.add_argument("--format", choices=("table", "toml", "json"), default="table",
                     help="output format (default: readable tables)")
    fit.add_argument("--period", nargs=2, metavar=("START", "END"),
                     help="observation window, UTC (default: first start to last end)")
    fit.add_argument("--regions", metavar="LIST",
                     help="regions under observation, comma-separated catalog names (default: "
                          "those with incidents of their own)")
    estate = commands.add_parser(
        "estate", help="your deployed PLSs: ceilings, limits at risk, exhaustion forecasts",
        description="Read Azure exports of your Private Link Services, load balancers and "
                    "private endpoints (az ... list output or Resource Graph results, JSON or "
                    "CSV) and, optionally, their PLSNatPortsUsage metrics (az monitor metrics "
                    "list -o json, or AzureMetrics / AzureMetricsV2 exports); print one row "
                    "per PLS with its ceiling, findings and the dates its NAT ports reach "
                    "each threshold, and with -o write an HTML review.")
    estate.add_argument("--inventory", nargs="+", required=True, metavar="FILE",
                        help="PLS, load balancer, private endpoint (and NIC) exports")
    estate.add_argument("--metrics", nargs="+", metavar="FILE",
                        help="metrics exports (PLSNatPortsUsage per NAT IP; PLSBytesIn/Out)")
    estate.add_argument("-o", "--output", metavar="FILE.html",
                        help="also write the HTML review (atomically)")
    estate.add_argument("--thresholds", type=_percent_list, default=[80.0, 100.0],
                        metavar="LIST", help="NAT port usage levels to forecast, in %% "
                                             "(default: 80,100)")
    estate.add_argument("--horizon-days", type=_number, default=365, metavar="DAYS",
                        help="how far ahead to forecast (default: 365)")
    estate.add_argument("--max-connections-per-vm", type=_cap, default="nic", metavar="N",
                        help="cap per backend VM in the ceilings, or none (default: the NIC's "
                             "500000 flows)")
    estate.add_argument("--title", default="Private Link estate review")
    _add_format(estate)

    examples = commands.add_parser(
        "examples", help="copy the bundled example files into a folder",
        description="Copy the example scenario tables, deployment files and estate exports "
                    "that ship with plcapacity into DIR, to try the other commands on them "
                    "(for instance plcapacity batch DIR/services.csv).")
    examples.add_argument("directory", nargs="?", default="plcapacity-examples", metavar="DIR",
                          help="where to copy them (default: ./plcapacity-examples, created "
                               "if missing)")
    examples.add_argument("--force", action="store_true",
                          help="overwrite files that already exist in DIR")
    return parser


def _percent_list(text: str) -> list[float]:
    """``80,100`` as a list of numbers."""
    try:
        values = [float(part.replace("%", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of percentages (write "
                                         "80,100)") from None
    if not values:
        raise argparse.ArgumentTypeError(f"{text!r}: give at least one percentage")
    return values


def _add_limit_options(parser):
    parser.add_argument("--ports-per-nat-ip", type=_number, metavar="N",
                        help="override ports per NAT IP per VM (default: 64000)")
    parser.add_argument("--max-connections-per-vm", type=_cap, default="nic", metavar="N",
                        help="cap on connections per VM, or none (default: the 500000 "
                             "concurrent flows a VM NIC supports)")


# ----------------------------------------------------------------------------- output

_PERCENT = ("utilization", "utilization_after_failures")
_ONE_DECIMAL = ("months_to_ceiling",)
_SCIENTIFIC = ("probability_down",)
_MONEY = ("pe_monthly_cost_usd", "provider_monthly_cost_usd", "total_monthly_cost_usd")


def _format_table(frame: pd.DataFrame) -> str:
    """Thousands separators for counts, percentages for utilization, dollars for cost."""
    shown = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        if column in _PERCENT:
            text = values.map("{:.1%}".format, na_action="ignore")
        elif column in _ONE_DECIMAL:
            text = values.map("{:,.1f}".format, na_action="ignore")
        elif column in _SCIENTIFIC:
            text = values.map("{:.3e}".format, na_action="ignore")
        elif column in _MONEY:
            text = values.map("${:,.2f}".format, na_action="ignore")
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            text = values.map(_count, na_action="ignore")
        else:
            text = values
        shown[column] = text.astype(object).where(values.notna(), "-").map(
            lambda v: _printable(v) if isinstance(v, str) else v)
    return shown.to_string(index=False)


def _count(value) -> str:
    if pd.isna(value):
        return "-"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _emit(frame: pd.DataFrame, fmt: str, notes: list[str], out, err):
    if fmt == "csv":  # text cells cannot run as formulas in a spreadsheet (as in files)
        neutralize_formulas(frame).to_csv(out, index=False, lineterminator="\r\n")
    elif fmt == "json":
        out.write(frame.to_json(orient="records", indent=2))
        out.write("\n")
    else:
        out.write(_format_table(frame) + "\n")
    note_stream = out if fmt == "table" else err
    for note in notes:
        note_stream.write(f"note: {note}\n")


# ----------------------------------------------------------------------------- commands

_SIZE_TABLE_SUMMARY = ["service", "status", "pls_count", "nat_ips", "backend_vms", "ceiling",
                       "ports_needed", "port_capacity_after_failures",
                       "utilization_after_failures", "spare_connections", "binding_limit",
                       "months_to_ceiling", "pe_monthly_cost_usd", "total_monthly_cost_usd",
                       "warning"]
#: Shown only when some row has them (growth, a VM price).
_SIZE_IF_GIVEN = ("months_to_ceiling", "total_monthly_cost_usd")
_SIZE_SUMMARY = ["rank", "pls_count", "nat_ips", "backend_vms", "ceiling",
                 "ceiling_after_failures", "utilization_after_failures", "spare_connections",
                 "binding_limit", "effective_ceiling", "pe_monthly_cost_usd",
                 "total_monthly_cost_usd", "largest_zone_vms"]


def _run_ceiling(args, out, err):
    table = ceiling_table(args.nat_ips, args.vms, args.pls, ports_per_nat_ip=args.ports_per_nat_ip,
                          max_connections_per_vm=args.max_connections_per_vm,
                          overflow_probability=args.overflow_probability,
                          enforce_limits=not args.no_enforce_limits)
    notes = override_notes(table.attrs["overridden"])
    _emit(table, args.format, notes, out, err)
    return EXIT_OK


def _size_options(args) -> dict:
    return dict(new_connections_per_s=args.new_connections_per_s, port_hold_s=args.port_hold_s,
                headroom=args.headroom, vm_failures_tolerated=args.vm_failures_tolerated,
                max_connections_per_vm=args.max_connections_per_vm,
                consumer_endpoints=args.consumer_endpoints,
                overflow_probability=args.overflow_probability,
                ports_per_nat_ip=args.ports_per_nat_ip, vm_hourly_usd=args.vm_hourly_usd,
                zones=args.zones, zone_failures_tolerated=args.zone_failures_tolerated)


def _run_size(args, out, err):
    if (args.input is None) == (args.concurrent_connections is None):
        raise UsageError("give either CONCURRENT_CONNECTIONS or --input TABLE")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CapacityWarning)
        if args.input is not None:
            options = _size_options(args)
            ports = options.pop("ports_per_nat_ip")
            table = size_table(read_table(args.input), defaults=options, ports_per_nat_ip=ports)
            shown = table
            if args.format == "table":  # the columns people compare; --format csv has all
                shown = table[[c for c in _SIZE_TABLE_SUMMARY if c in table and (
                    c not in _SIZE_IF_GIVEN or np.isfinite(table[c].astype(float)).any())]]
        else:
            table = size(args.concurrent_connections, **_size_options(args))
            shown = table
            if args.format == "table":
                shown = table[[c for c in _SIZE_SUMMARY if c in table]].head(args.top)
    notes = list(table.attrs.get("assumptions", []))
    notes += override_notes(table.attrs.get("overridden", {}))
    if args.input is None and args.format == "table" and len(table) > len(shown):
        notes.insert(0, f"showing the best {len(shown)} of {len(table)} feasible configurations "
                        "(--top N for more, --format csv for all columns)")
    _emit(shown, args.format, notes, out, err)
    _report_warnings(caught, err)
    if args.input is not None:
        failed = table[table["status"] != "ok"]
        for message in failed["error"]:
            err.write(f"error: {_printable(message)}\n")
        return EXIT_OK if failed.empty else EXIT_INFEASIBLE
    return EXIT_OK


def _cli_flags() -> dict:
    """Python argument name -> the command line's flag, for every option of every command
    (``max_connections_per_vm`` -> ``--max-connections-per-vm``)."""
    flags = {}
    parser = _build_parser()
    commands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for sub in [parser, *(p for a in commands for p in a.choices.values())]:
        for action in sub._actions:
            long = [s for s in action.option_strings if s.startswith("--")]
            if long and action.dest not in ("help", "version", "debug"):
                flags.setdefault(action.dest, long[0])
    return flags


def _as_flags(message: str) -> str:
    """A library message's ``name=value`` hints in the command line's spelling
    (``pass max_connections_per_vm=500000`` -> ``pass --max-connections-per-vm 500000``)."""
    flags = _cli_flags()

    def swap(match):
        flag = flags.get(match.group(1))
        return f"{flag} {match.group(2)}" if flag else match.group(0)
    return re.sub(r"\b([a-z][a-z0-9_]*)=([^\s;()]*[^\s;(),.])", swap, message)


def _report_warnings(caught, err):
    for warning in caught:
        if issubclass(warning.category, (CapacityWarning, ModelWarning)):
            err.write(f"warning: {_printable(_as_flags(str(warning.message)))}\n")


def _format_summary(summary: pd.Series) -> str:
    """A two-column table of a summary Series with readable numbers."""
    shown = format_summary(summary)
    width = max(len(str(name)) for name in shown.index)
    return "\n".join(f"{name:<{width}}  {text}" for name, text in shown.items())


def _emit_summary(summary: pd.Series, fmt, out, err, extra=None):
    note = summary.get("note", "")
    summary = summary.drop("note", errors="ignore")
    if fmt == "table":
        out.write(_format_summary(summary) + "\n")
        if extra is not None:
            out.write("\n" + _format_table(extra) + "\n")
        if note:
            out.write(f"note: {note}\n")
        return
    frame = summary.to_frame().T
    if fmt == "csv":
        frame.to_csv(out, index=False)
        if extra is not None:
            err.write("note: the table of outage processes is shown with --format table or "
                      "json\n")
    else:  # the summary's fields and, with a table, its rows under "process_table"
        record = json.loads(frame.to_json(orient="records", double_precision=15))[0]
        if extra is not None:
            record["process_table"] = json.loads(extra.to_json(orient="records",
                                                               double_precision=15))
        out.write(json.dumps(record, indent=2) + "\n")
    if note:
        err.write(f"note: {note}\n")


def _run_simulate(args, out, err):
    deployment, outages = load_deployment(args.deployment)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ModelWarning)
        try:
            result = simulate(deployment, outages, trials=args.trials, years=args.years,
                              seed=args.seed, chunk_size=args.chunk_size,
                              target_rel_ci=args.target_rel_ci,
                              target_metric=args.target_metric,
                              progress=False if args.no_progress else None)
        except ValueError as error:  # the model's answer about this file: name the file
            message = str(error)
            raise ValueError(message if message.startswith(args.deployment)
                             else f"{args.deployment}: {message}") from None
    _emit_summary(result.summary(), args.format, out, err)
    if args.seed is None:
        err.write(f"note: seed {result.seed_entropy} (--seed to reproduce this run)\n")
    _report_warnings(caught, err)
    return EXIT_OK


def _run_exact(args, out, err):
    deployment, outages = load_deployment(args.deployment)
    _emit_summary(exact_summary(deployment, outages), args.format, out, err,
                  extra=process_table(deployment, outages))
    return EXIT_OK


def _run_batch(args, out, err):
    from plcapacity.batch.run import batch_overview, run_batch
    from plcapacity.batch.scenarios import columns_table
    if args.columns:
        for row in columns_table().itertuples():
            out.write(f"{row.column} [{row.unit}]  default: {row.default}\n"
                      f"    allowed: {row.allowed}\n    {row.meaning}\n")
        return EXIT_OK
    if args.scenarios is None:
        raise UsageError("plcapacity batch: give a scenario table (or --columns)")
    if args.resume and not args.output:
        raise UsageError("plcapacity batch: --resume needs -o (the checkpoint sits beside it)")
    if args.output:
        suffix = args.output.rsplit(".", 1)[-1].lower() if "." in args.output else ""
        if suffix not in ("csv", "parquet", "json"):
            raise UsageError(f"plcapacity batch: -o {args.output}: the output must end in "
                             ".csv, .parquet or .json")
    _check_output_folder(args.output)
    checkpoint = f"{args.output}.checkpoint.jsonl" if args.output else None
    args.checkpoint = checkpoint  # named in the message if the run is interrupted
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ModelWarning)
        results = run_batch(args.scenarios, trials=args.trials, years=args.years,
                            seed=args.seed, scheduler=args.scheduler, workers=args.workers,
                            on_error=args.on_error, passthrough=args.passthrough,
                            progress=False if args.no_progress else None,
                            checkpoint=checkpoint, resume=args.resume, output=args.output,
                            allow_outside_paths=args.allow_outside_paths,
                            outage_profile=args.outage_profile)
    overview = batch_overview(results)
    out.write(_format_table(overview.head(args.top)) + "\n")
    if len(overview) > args.top:
        out.write(f"note: showing {args.top} of {len(overview)} services (--top N for more)\n")
    failed = results[results["status"] != "ok"]
    for message in failed["error"]:
        out.write(f"error: {_printable(message)}\n")
    for service, warning in zip(results["service"], results["warning"]):
        if warning:
            out.write(f"warning: {_printable(service)}: {_printable(warning)}\n")
    ok = len(results) - len(failed)
    if args.seed is None and results["availability"].notna().any():
        out.write(f"note: seed {results.attrs['seed_entropy']} (--seed to reproduce this run)\n")
    out.write(f"{ok} of {len(results)} services sized"
              + (f"; results in {args.output}" if args.output else "") + "\n")
    _report_warnings(caught, err)
    return EXIT_OK if failed.empty else EXIT_INFEASIBLE


def _check_output_folder(output):
    """Fail before the work, not after it, when the output cannot be written there."""
    if output:
        import os
        folder = os.path.dirname(os.path.abspath(output))
        if not os.path.isdir(folder):
            raise UsageError(f"-o {output}: the folder {folder} does not exist")


def _run_report(args, out, err):
    import matplotlib
    matplotlib.use("Agg")  # files, not windows
    from plcapacity.batch.report import batch_report, write_report
    from plcapacity.batch.run import run_batch
    if not args.output.lower().endswith((".html", ".htm")):
        raise UsageError(f"plcapacity report: -o {args.output}: the report is an .html file")
    if same_file(args.output, args.scenarios):
        raise UsageError(f"report: -o {args.output} is the input table itself; choose another "
                         "file name (the input is never overwritten)")
    if os.path.isdir(args.output):
        raise UsageError(f"report: -o {args.output} is a folder; give a file name ending in "
                         ".html")
    _check_output_folder(args.output)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ModelWarning)
        results = run_batch(args.scenarios, trials=args.trials, years=args.years,
                            seed=args.seed, scheduler=args.scheduler, workers=args.workers,
                            progress=False if args.no_progress else None)
    write_report(batch_report(results, scenarios=args.scenarios, title=args.title,
                              source=args.scenarios, trials=args.trials * args.years,
                              seed=args.seed), args.output)
    failed = int((results["status"] != "ok").sum())
    out.write(f"report of {len(results)} services ({failed} failed) in {args.output}\n")
    _report_warnings(caught, err)
    return EXIT_OK if failed == 0 else EXIT_INFEASIBLE


def _run_fit_outages(args, out, err):
    from plcapacity.outages.fitting import fit_outages
    regions = None if args.regions is None else [
        r.strip() for r in args.regions.split(",") if r.strip()]
    fit = fit_outages(args.incidents, period=args.period, regions=regions)
    if args.format == "toml":
        out.write(fit.to_toml())
    elif args.format == "json":
        out.write(json.dumps(fit.to_dict(), indent=2) + "\n")
    else:
        rates = fit.table.drop(columns=["regions", "note"]).copy()
        for column in ("exposure_years", "rate_per_year", "rate_low", "rate_high"):
            rates[column] = rates[column].map("{:.3g}".format)
        durations = fit.durations.assign(
            parameters=fit.durations["parameters"].map(
                lambda p: ", ".join(f"{k}={v:.4g}" for k, v in p.items())),
            mean_hours=fit.durations["mean_hours"].map("{:.3g}".format),
            aic=fit.durations["aic"].map("{:.1f}".format),
            delta_aic=fit.durations["delta_aic"].map("{:.1f}".format),
            ks_pvalue=fit.durations["ks_pvalue"].map("{:.3f}".format))
        begin, end = (p.strftime("%Y-%m-%d") for p in fit.period)
        out.write(f"Rates per year, {begin} to {end} ({fit.exposure_years:.3g} years), "
                  "95 % exact intervals:\n")
        out.write(rates.to_string(index=False) + "\n\nDurations (hours):\n")
        out.write(durations[["law", "parameters", "mean_hours", "aic", "delta_aic",
                             "ks_pvalue", "chosen"]].to_string(index=False) + "\n")
        out.write(f"note: {len(fit.excluded)} row(s) left out (outside the period or not in "
                  "the region catalog); rates of service incidents bound region outages from "
                  "above\n")
    return EXIT_OK


_ESTATE_SUMMARY = ["name", "region", "nat_ips", "backend_vms", "ceiling", "binding_limit",
                   "private_endpoints", "peak_nat_port_usage_percent", "peak_throughput_mbit_s"]


def _run_estate(args, out, err):
    from plcapacity.estate.forecast import forecast_exhaustion
    from plcapacity.estate.inventory import read_inventory
    from plcapacity.estate.metrics import read_metrics
    from plcapacity.estate.review import estate_table
    if args.output:
        if not args.output.lower().endswith((".html", ".htm")):
            raise UsageError(f"plcapacity estate: -o {args.output}: the review is an .html "
                             "file")
        _check_output_folder(args.output)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ModelWarning)
        inventory = read_inventory(*args.inventory,
                                   max_connections_per_vm=args.max_connections_per_vm)
        metrics = forecast = None
        if args.metrics:
            metrics = read_metrics(*args.metrics)
            forecast = forecast_exhaustion(metrics, thresholds=args.thresholds,
                                           horizon_days=args.horizon_days)
    table = estate_table(inventory, forecast)
    notes = list(table.attrs.get("notes", []))
    if args.format == "table":
        columns = [c for c in table.columns if c in _ESTATE_SUMMARY
                   or (c.startswith("reaches_") and not c.endswith("_date"))]
        shown = table[columns].rename(columns={"peak_nat_port_usage_percent": "peak_%",
                                               "peak_throughput_mbit_s": "peak_Mbit/s"})
        for column in ("peak_%", "peak_Mbit/s"):
            if column in shown:
                shown[column] = shown[column].map("{:.1f}".format, na_action="ignore")
        out.write(_format_table(shown) + "\n")
        for name, findings in zip(table["name"], table["findings"]):
            for finding in filter(None, str(findings).split("; ")):
                out.write(f"finding: {name}: {finding}\n")
    else:
        frame = table.copy()
        for column in frame.columns:
            if column.endswith("_date"):
                frame[column] = frame[column].map(lambda v: f"{v:%Y-%m-%d}", na_action="ignore")
        _emit(frame, args.format, [], out, err)
    if forecast is not None:
        notes.append(forecast.attrs["criterion"])
    note_stream = out if args.format == "table" else err
    for note in notes:
        note_stream.write(f"note: {note}\n")
    if args.output:
        import matplotlib
        matplotlib.use("Agg")  # files, not windows
        from plcapacity.batch.report import write_report
        from plcapacity.estate.review import estate_review
        write_report(estate_review(inventory, metrics, forecast, title=args.title,
                                   sources=[*args.inventory, *(args.metrics or [])]),
                     args.output)
        note_stream.write(f"review of {len(table)} Private Link Services in {args.output}\n")
    _report_warnings(caught, err)
    return EXIT_OK


def _run_examples(args, out, err):
    import shutil
    from pathlib import Path

    from plcapacity.base.limits import data_path
    source = data_path("examples")
    if not source.is_dir():
        raise UsageError(f"examples: the bundled examples are missing ({source}); reinstall "
                         "plcapacity")
    files = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    target = Path(args.directory)
    if target.exists() and not target.is_dir():
        raise UsageError(f"examples: {args.directory} exists and is not a folder")
    existing = [name for name in files if (target / name).exists()]
    if existing and not args.force:
        raise UsageError(f"examples: {len(existing)} of the {len(files)} files already exist "
                         f"in {args.directory} (such as {existing[0].as_posix()}): use --force "
                         "to overwrite them, or choose another folder")
    for name in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, target / name)
        out.write(f"{'replaced' if name in existing else 'wrote'} "
                  f"{(target / name).as_posix()}\n")
    out.write(f"{len(files)} example files in {target.as_posix()}; try: plcapacity batch "
              f"{(target / 'services.csv').as_posix()}\n")
    return EXIT_OK


def main(argv=None, *, out=None, err=None) -> int:
    """Run the command line; returns the exit code.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).
    out, err : file-like, optional
        Where results and messages go (default: ``sys.stdout``, ``sys.stderr``).

    Returns
    -------
    int
        The exit code: 0 on success, 1 for a demand no deployment within Azure's limits
        carries (size) or rows that failed (batch), 2 for bad input (one line on ``err``
        says what to fix), 3 for an internal error, 130 when interrupted.

    Examples
    --------
    >>> from plcapacity.cli import main
    >>> main(["ceiling", "--nat-ips", "8", "--vms", "10"])   # doctest: +ELLIPSIS
    pls_count nat_ips backend_vms ... ceiling  binding_limit max_private_endpoints
    ... 5,000,000 vm_connections                 1,000
    0
    """
    out = out or sys.stdout
    err = err or sys.stderr
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(out)
            return EXIT_USAGE
        run = {"ceiling": _run_ceiling, "size": _run_size, "simulate": _run_simulate,
               "exact": _run_exact, "batch": _run_batch, "report": _run_report,
               "fit-outages": _run_fit_outages, "estate": _run_estate,
               "examples": _run_examples}[args.command]
        return run(args, out, err)
    except SystemExit as stop:  # --help and --version
        return stop.code or EXIT_OK
    except KeyboardInterrupt:
        checkpoint = getattr(locals().get("args"), "checkpoint", None)
        kept = (f"; finished rows are kept in {checkpoint}: run the same command with "
                "--resume to continue" if checkpoint and os.path.exists(checkpoint) else "")
        err.write(f"plcapacity: interrupted{kept}\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into head and the like
        return EXIT_OK
    except InfeasibleDemandError as error:
        _debug(argv, err)
        err.write(f"plcapacity: infeasible: {_printable(error)}\n")
        return EXIT_INFEASIBLE
    except (UsageError, ValueError, KeyError, OSError, ArithmeticError) as error:
        _debug(argv, err)
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        err.write(f"plcapacity: error: {_printable(message)}\n")
        return EXIT_USAGE
    except Exception as error:  # a bug: still one line, and a code of its own
        _debug(argv, err)
        err.write(f"plcapacity: internal error ({type(error).__name__}: {_printable(error)}); "
                  "please report it with the command that caused it (--debug shows the "
                  "traceback)\n")
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
