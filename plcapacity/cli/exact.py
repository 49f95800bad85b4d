"""``plcapacity exact``: the exact steady-state availability of a deployment file.

A sum over the up/down states of the outage processes
(:func:`plcapacity.availability.exact.exact_summary`), printed with the table of the
processes involved (:func:`plcapacity.availability.exact.process_table`).
"""

from __future__ import annotations

from plcapacity.cli.arguments import add_format
from plcapacity.cli.output import EXIT_OK, emit_summary

__all__ = ["NAME", "add_parser", "run"]

NAME = "exact"


def add_parser(commands):
    """Register ``exact`` and its options on the ``commands`` subparsers."""
    exact = commands.add_parser(
        NAME, help="exact steady-state availability of a deployment file",
        description="Exact steady-state availability (a sum over the up/down states of the "
                    "outage processes) and the processes involved.")
    exact.add_argument("deployment", help="deployment file (TOML)")
    add_format(exact)
    return exact


def run(args, out, err):
    """Print the exact availability and the outage processes; returns the exit code."""
    from plcapacity.availability.deployment import load_deployment
    from plcapacity.availability.exact import exact_summary, process_table
    deployment, outages = load_deployment(args.deployment)
    emit_summary(exact_summary(deployment, outages), args.format, out, err,
                 extra=process_table(deployment, outages))
    return EXIT_OK
