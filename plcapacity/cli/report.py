"""``plcapacity report``: a self-contained HTML report of a batch run.

Runs the batch over a scenario table and writes one HTML file with the figures embedded
(:func:`plcapacity.batch.report.batch_report`), for people who never open Python.
"""

from __future__ import annotations

import os
import warnings

from plcapacity.base.exceptions import ModelWarning, UsageError
from plcapacity.cli.arguments import (
    add_outage_profile,
    positive_whole,
    profile_keywords,
    whole,
)
from plcapacity.cli.output import EXIT_INFEASIBLE, EXIT_OK, check_output_folder, report_warnings

__all__ = ["NAME", "add_parser", "run"]

NAME = "report"


def add_parser(commands):
    """Register ``report`` and its options on the ``commands`` subparsers."""
    report = commands.add_parser(
        NAME, help="a self-contained HTML report of a batch run",
        description="Run a batch over a scenario table and write one HTML file (figures "
                    "embedded) for people who never open Python: sizing per service, limits "
                    "at risk, availability and SLO risk, and the assumptions.")
    report.add_argument("scenarios", help="scenario table (.csv, .parquet, .json)")
    report.add_argument("-o", "--output", required=True, metavar="FILE.html",
                        help="the report (written atomically)")
    for flag, kind, default, text in (
            ("--trials", positive_whole, 100_000, "simulated trials per row (default: 100000)"),
            ("--years", positive_whole, 1, "years per trial (default: 1)"),
            ("--seed", whole, None, "batch seed"),
            ("--workers", positive_whole, None, "local processes (default: all cores)")):
        report.add_argument(flag, type=kind, default=default, metavar="N", help=text)
    report.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address")
    report.add_argument("--title", default="Private Link capacity and availability",
                        help="the report's heading (default: Private Link capacity and "
                             "availability)")
    report.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_outage_profile(report)
    return report


def run(args, out, err):
    """Run the batch and write the HTML report; returns the exit code."""
    import matplotlib

    from plcapacity.base.tables import same_file
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
    check_output_folder(args.output)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ModelWarning)
        results = run_batch(args.scenarios, trials=args.trials, years=args.years,
                            seed=args.seed, scheduler=args.scheduler, workers=args.workers,
                            progress=False if args.no_progress else None,
                            **profile_keywords(args))
    write_report(batch_report(results, scenarios=args.scenarios, title=args.title,
                              source=args.scenarios, trials=args.trials * args.years,
                              seed=args.seed), args.output)
    failed = int((results["status"] != "ok").sum())
    out.write(f"report of {len(results)} services ({failed} failed) in {args.output}\n")
    report_warnings(caught, err)
    return EXIT_OK if failed == 0 else EXIT_INFEASIBLE
