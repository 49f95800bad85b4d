"""``plcapacity``: the top-level parser, the dispatch to a command and the error handling.

Every command module registers its subparser (``add_parser``) and runs it (``run``);
:func:`main` turns whatever goes wrong into one line on stderr and an exit code: bad input
(:class:`~plcapacity.base.exceptions.UsageError`, ValueError and the like) 2, a demand no
deployment carries 1, an interrupt 130, a bug 3 (``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys

from plcapacity.base.exceptions import InfeasibleDemandError, UsageError
from plcapacity.cli import (
    batch,
    ceiling,
    estate,
    exact,
    examples,
    fit_outages,
    plan,
    report,
    simulate,
    size,
)
from plcapacity.cli.arguments import PROG, Parser
from plcapacity.cli.output import (
    EXIT_INFEASIBLE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    printable,
)

__all__ = ["COMMANDS", "build_parser", "main"]

#: The command modules, in the order ``plcapacity --help`` lists them.
COMMANDS = (ceiling, size, plan, simulate, exact, batch, report, fit_outages, estate,
            examples)


class _Version(argparse.Action):
    """``--version``: the package metadata is read only when asked for (it is slow to read,
    and a Ctrl-C during start-up must not land in it)."""

    def __call__(self, parser, namespace, values, option_string=None):
        from plcapacity.base.version import __version__
        sys.stdout.write(f"plcapacity {__version__}\n")
        parser.exit()


def build_parser() -> Parser:
    """The ``plcapacity`` parser with every command's subparser."""
    parser = Parser(prog=PROG, description=(
        "Capacity planning and availability analysis for Azure Private Link: connection "
        "ceilings, sizing, and regional-outage availability."),
        epilog="Exit codes: 0 success, 1 no deployment within Azure's limits carries the "
               "demand, 2 bad input, 3 internal error (a bug: please report it).")
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="show the version and exit")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error (for bug reports)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def _debug(argv, err):
    """With --debug, the traceback of the error being handled (for bug reports)."""
    arguments = sys.argv[1:] if argv is None else argv
    if "--debug" in arguments:
        import traceback
        traceback.print_exc(file=err)


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
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(out)
            return EXIT_USAGE
        run = {command.NAME: command.run for command in COMMANDS}[args.command]
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
        err.write(f"plcapacity: infeasible: {printable(error)}\n")
        return EXIT_INFEASIBLE
    except (UsageError, ValueError, KeyError, OSError, ArithmeticError) as error:
        _debug(argv, err)
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        err.write(f"plcapacity: error: {printable(message)}\n")
        return EXIT_USAGE
    except Exception as error:  # a bug: still one line, and a code of its own
        _debug(argv, err)
        err.write(f"plcapacity: internal error ({type(error).__name__}: {printable(error)}); "
                  "please report it with the command that caused it (--debug shows the "
                  "traceback)\n")
        return EXIT_INTERNAL
