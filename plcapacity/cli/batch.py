"""``plcapacity batch``: size (and simulate) every service of a scenario table.

Runs :func:`plcapacity.batch.run.run_batch` (locally or on a Dask cluster, with a checkpoint
beside ``-o`` for ``--resume``), prints the overview (problems first) and writes the results
atomically. Exit code 1 when some rows failed; the results are written all the same.
"""

from __future__ import annotations

import warnings

from plcapacity.base.exceptions import ModelWarning, UsageError
from plcapacity.cli.arguments import (
    add_outage_profile,
    positive_whole,
    profile_keywords,
    whole,
)
from plcapacity.cli.output import (
    EXIT_INFEASIBLE,
    EXIT_OK,
    check_output_folder,
    format_table,
    printable,
    report_warnings,
)

__all__ = ["NAME", "add_parser", "run"]

NAME = "batch"


def add_parser(commands):
    """Register ``batch`` and its options on the ``commands`` subparsers."""
    batch = commands.add_parser(
        NAME, help="size (and simulate) every service of a table",
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
    batch.add_argument("--trials", type=positive_whole, default=100_000, metavar="N",
                       help="simulated trials per row with availability (default: 100000)")
    batch.add_argument("--years", type=positive_whole, default=1, metavar="N",
                       help="years per trial (default: 1)")
    batch.add_argument("--seed", type=whole, metavar="N",
                       help="batch seed (each row's derives from it and the service name)")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="Dask scheduler, e.g. tcp://host:8786 (default: this machine)")
    batch.add_argument("--workers", type=positive_whole, metavar="N",
                       help="local processes (default: the machine's cores)")
    batch.add_argument("--resume", action="store_true",
                       help="continue a killed run from its checkpoint (needs -o)")
    batch.add_argument("--passthrough", action="store_true",
                       help="copy unknown columns to the results instead of rejecting them")
    batch.add_argument("--on-error", choices=("collect", "raise"), default="collect",
                       help="collect: report bad rows and compute the rest (default); raise: "
                            "stop at the first")
    batch.add_argument("--top", type=positive_whole, default=25, metavar="N",
                       help="rows in the terminal summary (default: 25)")
    batch.add_argument("--no-progress", action="store_true", help="no progress bar")
    batch.add_argument("--columns", action="store_true",
                       help="list the scenario columns (unit, default, allowed) and exit")
    batch.add_argument("--allow-outside-paths", action="store_true",
                       help="let the deployment column name files outside the table's folder")
    add_outage_profile(batch)
    return batch


def run(args, out, err):
    """Run the batch, print its overview and write the results; returns the exit code.

    Sets ``args.checkpoint``, which ``main`` names if the run is interrupted.
    """
    from plcapacity.batch.report import models_used
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
    check_output_folder(args.output)
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
                            **profile_keywords(args))
    overview = batch_overview(results)
    out.write(format_table(overview.head(args.top)) + "\n")
    if len(overview) > args.top:
        out.write(f"note: showing {args.top} of {len(overview)} services (--top N for more)\n")
    failed = results[results["status"] != "ok"]
    for message in failed["error"]:
        out.write(f"error: {printable(message)}\n")
    for service, warning in zip(results["service"], results["warning"]):
        if warning:
            out.write(f"warning: {printable(service)}: {printable(warning)}\n")
    for column, what in (("outage_profile", "outage model"), ("failover_delay", "failover")):
        used = models_used(results, column)  # the models behind the figures, as the report
        if used:
            out.write(f"note: {what}: " + "; ".join(
                f"{printable(m['text'])} ({m['count']:,} service{'s' if m['count'] != 1 else ''})"
                for m in used) + "\n")
    ok = len(results) - len(failed)
    if args.seed is None and results["availability"].notna().any():
        out.write(f"note: seed {results.seed_entropy} (--seed to reproduce this run)\n")
    out.write(f"{ok} of {len(results)} services sized"
              + (f"; results in {args.output}" if args.output else "") + "\n")
    report_warnings(caught, err)
    return EXIT_OK if failed.empty else EXIT_INFEASIBLE
