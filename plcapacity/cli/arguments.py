"""What the commands' arguments accept: the one-line-error parser and the value types.

:class:`Parser` reports a usage error in one line (``main`` prints it); the types read values
as people type them (``2,000,000``, ``2e6``, ``20%``, ``1-4,8``, ``nic``) and refuse the rest
with a message that says what to write. :func:`add_format` and :func:`add_limit_options` add
the options several commands share.
"""

from __future__ import annotations

import argparse
import math
import re

from plcapacity.base.exceptions import UsageError

__all__ = ["PROG", "MAX_COUNT", "MAX_LIST_VALUES", "Parser", "number", "whole",
           "positive_whole", "fraction", "add_method", "cap", "int_list", "percent_list",
           "add_format", "add_limit_options", "add_demand_options",
           "add_outage_profile", "profile_keywords", "OUTAGE_PROFILES"]

#: The program name, which ``main`` prints once at the start of every error line.
PROG = "plcapacity"


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line instead of usage + message."""

    def error(self, message):
        # self.prog is "plcapacity" or "plcapacity size": main adds "plcapacity: error:".
        command = self.prog[len(PROG):].strip() if self.prog.startswith(PROG) else self.prog
        where = f"{command}: " if command else ""
        raise UsageError(f"{where}{message} (see {self.prog} --help)")


#: Thousands separated by commas: ``10,000,000`` (groups of three digits after the first).
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?([eE][+-]?\d+)?")


def number(text: str):
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
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return int(value) if value.is_integer() and abs(value) < 2 ** 53 else value


def whole(text: str) -> int:
    """A whole number, exact however large (``1,234,567``, ``1e6``; not ``2.5``)."""
    plain = text.strip()
    if _THOUSANDS.fullmatch(plain):
        plain = plain.replace(",", "")
    try:  # exact for any size, such as a 128-bit seed printed by an earlier run
        return int(plain.replace("_", ""))
    except ValueError:
        pass
    value = number(text)
    if not float(value).is_integer():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(value)


#: Largest count an option takes: 2**53 - 1, the largest whole number a float holds exactly
#: (``plcapacity.base.validation.MAX_COUNT``, restated so that parsing loads no numpy; a test
#: keeps the two equal). Beyond it, ``1e300`` would stand for a 301-digit number whose
#: digits the float never had.
MAX_COUNT = 2 ** 53 - 1


def positive_whole(text: str) -> int:
    """A whole number from 1 to 2**53 - 1 (trials, years, workers, rows to show)."""
    value = whole(text)
    if not 1 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not allowed: a whole number from 1 "
                                         f"to {MAX_COUNT:,} (2**53 - 1)")
    return value


#: Most values a list such as ``--vms 1-5000`` may expand to (a grid of this size already
#: makes a table people cannot read; larger requests are almost certainly typos).
MAX_LIST_VALUES = 100_000


def fraction(text: str):
    """A fraction as people write it: ``0.2`` or ``20%`` (a percentage, divided by 100)."""
    text = text.strip()
    if text.endswith("%"):
        return number(text[:-1]) / 100
    return number(text)


def cap(text: str):
    """A per-VM cap: a number, ``nic`` (the NIC's flows) or ``none`` (no cap, as None)."""
    word = text.strip().lower()
    if word == "none":
        return None
    return "nic" if word == "nic" else number(text)


def int_list(text: str) -> list[int]:
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
                if last - first + 1 > MAX_LIST_VALUES:
                    raise argparse.ArgumentTypeError(
                        f"{text!r}: the range {part} has more than {MAX_LIST_VALUES:,} values")
                values.update(range(first, last + 1))
            else:
                values.add(int(part))
        except ValueError:
            raise argparse.ArgumentTypeError(problem) from None
        if len(values) > MAX_LIST_VALUES:
            raise argparse.ArgumentTypeError(f"{text[:40]!r}: more than {MAX_LIST_VALUES:,} "
                                             "values")
    return sorted(values)


def percent_list(text: str) -> list[float]:
    """``80,100`` as a list of numbers."""
    try:
        values = [float(part.replace("%", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of percentages (write "
                                         "80,100)") from None
    if not values:
        raise argparse.ArgumentTypeError(f"{text!r}: give at least one percentage")
    return values


def add_format(parser):
    """``--format table|csv|json`` (default: a readable table)."""
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table",
                        help="output format (default: a readable table)")


def add_demand_options(parser, *, vm_failures_tolerated):
    """The demand's churn and margins and the VM and zone failures, as ``size`` and ``plan``
    take them (``vm_failures_tolerated``: the command's default)."""
    parser.add_argument("--new-connections-per-s", type=number, default=0.0, metavar="RATE",
                        help="new connections per second (default: 0)")
    parser.add_argument("--port-hold-s", type=number, metavar="S",
                        help="seconds a port stays held after close (default: 65, an "
                             "assumption from NAT Gateway)")
    parser.add_argument("--headroom", type=fraction, default=0.2, metavar="FRACTION",
                        help="spare capacity on top of the demand: 0.2 or 20%% (default: 0.2)")
    parser.add_argument("--vm-failures-tolerated", type=whole, default=vm_failures_tolerated,
                        metavar="N", help="backend VMs that may fail (per region with plan; "
                                          f"default: {vm_failures_tolerated})")
    parser.add_argument("--zones", type=whole, metavar="N",
                        help="availability zones the VMs are spread over (default: none)")
    parser.add_argument("--zone-failures-tolerated", type=whole, default=0, metavar="N",
                        help="zones that may be down, their VMs lost, with the VM failures "
                             "(default: 0)")


def add_method(parser):
    """``--method plain|importance|auto``: the simulation's estimator (default plain)."""
    parser.add_argument("--method", choices=("plain", "importance", "auto"), default="plain",
                        help="estimator: plain Monte Carlo (default), importance sampling of "
                             "rare outage coincidences (weighted trials: measures "
                             "unavailabilities of 1e-6 to 1e-11), or auto (importance where "
                             "plain sampling would need more trials than allowed)")


def add_limit_options(parser):
    """``--ports-per-nat-ip`` and ``--max-connections-per-vm`` (ceiling and size)."""
    parser.add_argument("--ports-per-nat-ip", type=number, metavar="N",
                        help="override ports per NAT IP per VM (default: 64000)")
    parser.add_argument("--max-connections-per-vm", type=cap, default="nic", metavar="N",
                        help="cap on connections per VM, or none (default: the 500000 "
                             "concurrent flows a VM NIC supports)")


def add_outage_profile(parser):
    """``--outage-profile NAME``: the outage model of rows that name none (batch, report)."""
    parser.add_argument("--outage-profile", default=None, metavar="NAME", type=_profile_name,
                        help="outage model of rows that name none: azure-datapath-2018-2019 "
                             "(default: Azure status incidents that touch the data path), "
                             "azure-status-2018-2020 (every incident: an upper bound) or "
                             "sla-calibrated")


#: The named outage profiles (plcapacity.outage_profiles), listed here so that checking the
#: flag does not load the library; a test keeps the two lists equal.
OUTAGE_PROFILES = ("azure-datapath-2018-2019", "azure-status-2018-2020", "sla-calibrated")


def _profile_name(text):
    if text not in OUTAGE_PROFILES:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed: one of "
                                         f"{', '.join(OUTAGE_PROFILES)}")
    return text


def profile_keywords(args) -> dict:
    """``run_batch``'s ``outage_profile`` keyword where the flag was given."""
    return {} if args.outage_profile is None else {"outage_profile": args.outage_profile}

