"""What the commands write and return: tables, summaries, notes, warnings and exit codes.

Tables get thousands separators, percentages and dollars (:func:`format_table`), or go out
as CSV (cells that could run as spreadsheet formulas neutralized) or JSON (:func:`emit`,
:func:`emit_summary`). Notes go to stdout with a table and to stderr otherwise, so the CSV
and JSON on stdout stay machine-readable. Library warnings name the command line's flags
(:func:`report_warnings`); any text from a file is shown one-line and escape-free
(:func:`printable`).
"""

from __future__ import annotations

import json
import re

from plcapacity.base.exceptions import CapacityWarning, ModelWarning, UsageError

__all__ = ["EXIT_OK", "EXIT_INFEASIBLE", "EXIT_USAGE", "EXIT_INTERNAL", "EXIT_INTERRUPTED",
           "printable", "format_table", "emit", "emit_summary", "as_flags", "report_warnings",
           "check_output_folder"]

#: Exit codes. 1: no deployment carries the demand (size), or some rows failed (batch).
EXIT_OK, EXIT_INFEASIBLE, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
#: Exit code of a run stopped with Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


def printable(text) -> str:
    """Text safe for a terminal: control characters (escape sequences included) shown as
    escapes, and one line."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


_PERCENT = ("utilization", "utilization_after_failures")
_ONE_DECIMAL = ("months_to_ceiling",)
_SCIENTIFIC = ("probability_down",)
#: Fractions of time near 1, as percentages with the digits that tell them apart.
_AVAILABILITY = ("served_availability", "reachable_availability",
                 "served_availability_ci_low", "served_availability_ci_high")
_MONEY = ("pe_monthly_cost_usd", "provider_monthly_cost_usd", "total_monthly_cost_usd")


def format_table(frame) -> str:
    """Thousands separators for counts, percentages for utilization, dollars for cost."""
    import pandas as pd  # the data stack loads only when a command prints a table

    shown = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        if column in _PERCENT:
            text = values.map("{:.1%}".format, na_action="ignore")
        elif column in _ONE_DECIMAL:  # months: infinity reads "never", as in the report
            text = values.map(lambda v: "never" if v == float("inf") else f"{v:,.1f}",
                              na_action="ignore")
        elif column in _AVAILABILITY:
            text = values.map(_availability_text, na_action="ignore")
        elif column in _SCIENTIFIC:
            text = values.map("{:.3e}".format, na_action="ignore")
        elif column in _MONEY:
            text = values.map("${:,.2f}".format, na_action="ignore")
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            text = values.map(_count, na_action="ignore")
        else:
            text = values
        shown[column] = text.astype(object).where(values.notna(), "-").map(
            lambda v: printable(v) if isinstance(v, str) else v)
    return shown.to_string(index=False)


#: Magnitude from which a float no longer holds every whole number (2**53): such a value is
#: shown in scientific notation, never with digits it does not have.
_EXACT_LIMIT = 2.0 ** 53


def _availability_text(value) -> str:
    """A fraction of time near 1 as a percentage with the digits that tell it from 100 %:
    six decimals, more for values closer to 1 (0.999999995 is 99.99999950%, not 100%)."""
    import math
    down = 1.0 - float(value)
    # two significant digits of the shortfall: 1e-8 of the time is 0.000001 %, so 8 decimals
    digits = 6 if down <= 0 or down >= 1e-6 else min(14, math.floor(round(-math.log10(down), 6)))
    return f"{value:.{digits}%}"


def _count(value) -> str:
    if value != value or value is None:  # NaN or missing
        return "-"
    if isinstance(value, float) and not abs(value) < _EXACT_LIMIT:  # also inf
        return "never" if value == float("inf") else f"{value:.4g}"
    if float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) < 0.005:  # would print as 0.00: a small figure keeps its digits
        return f"{value:.3g}"
    return f"{value:,.2f}"


def emit(frame, fmt: str, notes: list[str], out, err):
    """Write ``frame`` as ``fmt`` (table, csv or json) on ``out``, then the notes (on ``out``
    with a table, else on ``err``)."""
    if fmt == "csv":  # text cells cannot run as formulas in a spreadsheet (as in files)
        from plcapacity.base.tables import neutralize_formulas
        neutralize_formulas(frame).to_csv(out, index=False, lineterminator="\r\n")
    elif fmt == "json":
        out.write(frame.to_json(orient="records", indent=2))
        out.write("\n")
    else:
        out.write(format_table(frame) + "\n")
    note_stream = out if fmt == "table" else err
    for note in notes:
        note_stream.write(f"note: {note}\n")


def _format_summary(summary) -> str:
    """A two-column table of a summary Series with readable numbers."""
    from plcapacity.availability.results import format_summary
    shown = format_summary(summary)
    width = max(len(str(name)) for name in shown.index)
    return "\n".join(f"{name:<{width}}  {text}" for name, text in shown.items())


def emit_summary(summary, fmt, out, err, extra=None):
    """Write an availability summary (simulate, exact) as ``fmt`` and, with ``extra``, the
    table below it (in JSON under ``process_table``)."""
    note = summary.get("note", "")
    summary = summary.drop("note", errors="ignore")
    if fmt == "table":
        out.write(_format_summary(summary) + "\n")
        if extra is not None:
            out.write("\n" + format_table(extra) + "\n")
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


def _cli_flags() -> dict:
    """Python argument name -> the command line's flag, for every option of every command
    (``max_connections_per_vm`` -> ``--max-connections-per-vm``)."""
    import argparse

    # Here, not at the top: main imports the commands, which import this module.
    from plcapacity.cli.main import build_parser
    flags = {}
    parser = build_parser()
    commands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for sub in [parser, *(p for a in commands for p in a.choices.values())]:
        for action in sub._actions:
            long = [s for s in action.option_strings if s.startswith("--")]
            if long and action.dest not in ("help", "version", "debug"):
                flags.setdefault(action.dest, long[0])
    return flags


def as_flags(message: str) -> str:
    """A library message's ``name=value`` hints in the command line's spelling
    (``pass max_connections_per_vm=500000`` -> ``pass --max-connections-per-vm 500000``)."""
    flags = _cli_flags()

    def swap(match):
        flag = flags.get(match.group(1))
        return f"{flag} {match.group(2)}" if flag else match.group(0)
    return re.sub(r"\b([a-z][a-z0-9_]*)=([^\s;()]*[^\s;(),.])", swap, message)


def report_warnings(caught, err):
    """One ``warning:`` line on ``err`` for each model warning caught during a command."""
    for warning in caught:
        if issubclass(warning.category, (CapacityWarning, ModelWarning)):
            err.write(f"warning: {printable(as_flags(str(warning.message)))}\n")


def check_output_folder(output):
    """Fail before the work, not after it, when the output cannot be written there (for a
    symbolic link: where the link leads, the file written)."""
    if output:
        import os

        from plcapacity.base.files import write_target
        try:
            target = write_target(output)
        except OSError as error:  # a loop, or a link to a device, a pipe, a folder
            raise UsageError(f"-o {error}") from None
        folder = os.path.dirname(os.path.abspath(target))
        if not os.path.isdir(folder):
            raise UsageError(f"-o {output}: the folder {folder} does not exist")
