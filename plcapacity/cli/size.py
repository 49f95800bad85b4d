"""``plcapacity size``: the smallest deployments that carry a demand.

One demand: every feasible (pls_count, nat_ips) with the fewest backend VMs, best first
(:func:`plcapacity.capacity.sizing.size`). ``--input TABLE``: the best deployment for each
row of a table (:func:`plcapacity.capacity.sizing.size_table`); rows that fail are reported
and the exit code is 1.
"""

from __future__ import annotations

import warnings

from plcapacity.base.exceptions import CapacityWarning, UsageError
from plcapacity.cli.arguments import (
    add_demand_options,
    add_format,
    add_limit_options,
    number,
    positive_whole,
    whole,
)
from plcapacity.cli.output import EXIT_INFEASIBLE, EXIT_OK, emit, printable, report_warnings

__all__ = ["NAME", "add_parser", "run"]

NAME = "size"

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


def add_parser(commands):
    """Register ``size`` and its options on the ``commands`` subparsers."""
    sizing = commands.add_parser(
        NAME, help="smallest deployments that carry a demand",
        description="Every feasible (pls_count, nat_ips) with the fewest backend VMs that carry "
                    "the demand plus headroom after losing --vm-failures-tolerated VMs, best "
                    "first. With --input, the best deployment for each row of a CSV file.")
    sizing.add_argument("concurrent_connections", type=number, nargs="?",
                        help="concurrent connections to carry")
    sizing.add_argument("--input", metavar="TABLE",
                        help="a table of demands (.csv, .parquet, .json), one per row "
                             "(columns: service, concurrent_connections and any option below, "
                             "in snake_case; the options fill the cells a row leaves empty)")
    add_demand_options(sizing, vm_failures_tolerated=0)
    sizing.add_argument("--consumer-endpoints", type=whole, default=1, metavar="N",
                        help="private endpoints connecting to the service (default: 1)")
    sizing.add_argument("--overflow-probability", type=number, metavar="P",
                        help="size on the usable ceiling at this hash-overflow probability")
    sizing.add_argument("--vm-hourly-usd", type=number, metavar="USD",
                        help="price of a backend VM per hour: adds the provider-side monthly "
                             "cost of each option")
    add_limit_options(sizing)
    sizing.add_argument("--top", type=positive_whole, default=10, metavar="N",
                        help="rows to show in the table format (default: 10)")
    add_format(sizing)
    return sizing


def _size_options(args) -> dict:
    return dict(new_connections_per_s=args.new_connections_per_s, port_hold_s=args.port_hold_s,
                headroom=args.headroom, vm_failures_tolerated=args.vm_failures_tolerated,
                max_connections_per_vm=args.max_connections_per_vm,
                consumer_endpoints=args.consumer_endpoints,
                overflow_probability=args.overflow_probability,
                ports_per_nat_ip=args.ports_per_nat_ip, vm_hourly_usd=args.vm_hourly_usd,
                zones=args.zones, zone_failures_tolerated=args.zone_failures_tolerated)


def run(args, out, err):
    """Print the sizing (one demand or a table of them); returns the exit code."""
    import numpy as np

    from plcapacity.base.limits import override_notes
    from plcapacity.base.tables import read_table
    from plcapacity.capacity.sizing import size, size_table
    if (args.input is None) == (args.concurrent_connections is None):
        raise UsageError("give either CONCURRENT_CONNECTIONS or --input TABLE")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CapacityWarning)
        if args.input is not None:
            options = _size_options(args)
            ports = options.pop("ports_per_nat_ip")
            result = size_table(read_table(args.input), defaults=options,
                                ports_per_nat_ip=ports)
            table = shown = result.table
            if args.format == "table":  # the columns people compare; --format csv has all
                shown = table[[c for c in _SIZE_TABLE_SUMMARY if c in table and (
                    c not in _SIZE_IF_GIVEN or np.isfinite(table[c].astype(float)).any())]]
        else:
            result = size(args.concurrent_connections, **_size_options(args))
            table = shown = result.table
            if args.format == "table":
                shown = table[[c for c in _SIZE_SUMMARY if c in table]].head(args.top)
    notes = list(result.assumptions) + override_notes(result.overridden)
    if args.input is None and args.format == "table" and len(table) > len(shown):
        notes.insert(0, f"showing the best {len(shown)} of {len(table)} feasible configurations "
                        "(--top N for more, --format csv for all columns)")
    emit(shown, args.format, notes, out, err)
    report_warnings(caught, err)
    if args.input is not None:
        failed = table[table["status"] != "ok"]
        for message in failed["error"]:
            err.write(f"error: {printable(message)}\n")
        return EXIT_OK if failed.empty else EXIT_INFEASIBLE
    return EXIT_OK
