"""``plcapacity ceiling``: connection ceilings over a grid of configurations.

One row per (pls_count, nat_ips, backend_vms): the ceiling, what binds it and, with
``--overflow-probability``, the usable ceiling (:func:`plcapacity.capacity.grid.ceiling_table`).
"""

from __future__ import annotations

from plcapacity.cli.arguments import add_format, add_limit_options, int_list, number
from plcapacity.cli.output import EXIT_OK, emit

__all__ = ["NAME", "add_parser", "run"]

NAME = "ceiling"


def add_parser(commands):
    """Register ``ceiling`` and its options on the ``commands`` subparsers."""
    ceiling = commands.add_parser(
        NAME, help="connection ceilings over a grid of configurations",
        description="Connection ceiling = pls_count x nat_ips x backend_vms x ports_per_nat_ip "
                    "(capped by backend_vms x max_connections_per_vm), one row per combination.")
    ceiling.add_argument("--nat-ips", type=int_list, default=[1, 2, 4, 8], metavar="LIST",
                         help="NAT IPs per PLS, e.g. 1-8 or 2,4,8 (default: 1,2,4,8)")
    ceiling.add_argument("--vms", type=int_list, required=True, metavar="LIST",
                         help="backend VMs, e.g. 2,4,8 or 1-10")
    ceiling.add_argument("--pls", type=int_list, default=[1], metavar="LIST",
                         help="PLS on the load balancer, e.g. 1 or 1-8 (default: 1)")
    add_limit_options(ceiling)
    ceiling.add_argument("--overflow-probability", type=number, metavar="P",
                         help="also show the usable ceiling at this hash-overflow probability")
    ceiling.add_argument("--no-enforce-limits", action="store_true",
                         help="allow values outside Azure's limits (hypothetical configurations)")
    add_format(ceiling)
    return ceiling


def run(args, out, err):
    """Print the ceiling table; returns the exit code."""
    from plcapacity.base.limits import override_notes
    from plcapacity.capacity.grid import ceiling_table
    grid = ceiling_table(args.nat_ips, args.vms, args.pls, ports_per_nat_ip=args.ports_per_nat_ip,
                         max_connections_per_vm=args.max_connections_per_vm,
                         overflow_probability=args.overflow_probability,
                         enforce_limits=not args.no_enforce_limits)
    emit(grid.table, args.format, override_notes(grid.overridden), out, err)
    return EXIT_OK
