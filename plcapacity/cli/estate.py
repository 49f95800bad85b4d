"""``plcapacity estate``: your deployed Private Link Services, from Azure exports.

Reads the inventory (PLS, load balancer, private endpoint and NIC exports) and, optionally,
the NAT port metrics (reduced file by file to daily peaks and throughput,
:func:`plcapacity.estate.daily.read_daily_metrics`: on this machine's cores, or on a Dask
cluster with ``--scheduler``); prints one row per PLS with its ceiling, findings and the dates its
NAT ports reach each threshold (:func:`plcapacity.estate.review.estate_table`), and with
``-o`` writes the HTML review (:func:`plcapacity.estate.review.estate_review`).
"""

from __future__ import annotations

import os
import warnings

from plcapacity.base.exceptions import ModelWarning, UsageError
from plcapacity.cli.arguments import add_format, cap, number, percent_list, positive_whole
from plcapacity.cli.output import (
    EXIT_OK,
    check_output_folder,
    emit,
    format_table,
    printable,
    report_warnings,
)

__all__ = ["NAME", "add_parser", "run", "MAX_THRESHOLDS"]

NAME = "estate"

#: Most thresholds on the command line: each is a column of the table. [-]
MAX_THRESHOLDS = 100

_ESTATE_SUMMARY = ["name", "region", "nat_ips", "backend_vms", "ceiling", "binding_limit",
                   "private_endpoints", "pending_connections", "peak_nat_port_usage_percent",
                   "peak_throughput_mbit_s"]


def add_parser(commands):
    """Register ``estate`` and its options on the ``commands`` subparsers."""
    estate = commands.add_parser(
        NAME, help="your deployed PLSs: ceilings, limits at risk, exhaustion forecasts",
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
    estate.add_argument("--thresholds", type=percent_list, default=[80.0, 100.0],
                        metavar="LIST", help="NAT port usage levels to forecast, in %% "
                                             "(default: 80,100)")
    estate.add_argument("--horizon-days", type=number, default=365, metavar="DAYS",
                        help="how far ahead to forecast (default: 365)")
    estate.add_argument("--max-connections-per-vm", type=cap, default="nic", metavar="N",
                        help="cap per backend VM in the ceilings, or none (default: the NIC's "
                             "500000 flows)")
    estate.add_argument("--title", default="Private Link estate review")
    estate.add_argument("--scheduler", metavar="ADDRESS",
                        help="read the metrics files on a Dask cluster, e.g. tcp://host:8786 "
                             "(its workers must see the files at the same paths; default: this "
                             "machine)")
    estate.add_argument("--workers", type=positive_whole, metavar="N",
                        help="local processes reading metrics files (default: the machine's "
                             "cores; small estates are read in one)")
    estate.add_argument("--no-progress", action="store_true",
                        help="no progress bar while reading metrics")
    add_format(estate)
    return estate


def run(args, out, err):
    """Print the estate table (and write the review with ``-o``); returns the exit code."""
    from plcapacity.base.tables import same_file
    from plcapacity.estate.daily import read_daily_metrics
    from plcapacity.estate.forecast import MAX_HORIZON_DAYS, forecast_exhaustion
    from plcapacity.estate.inventory import read_inventory
    from plcapacity.estate.metrics import NAT_PORTS_METRIC
    from plcapacity.estate.review import estate_table, unmatched_metrics
    if not 0 < args.horizon_days <= MAX_HORIZON_DAYS:
        raise UsageError(f"plcapacity estate: --horizon-days {args.horizon_days}: a positive "
                         f"number of days, at most {MAX_HORIZON_DAYS:,} (a century)")
    if len(args.thresholds) > MAX_THRESHOLDS:
        raise UsageError(f"plcapacity estate: --thresholds: {len(args.thresholds):,} levels; at "
                         f"most {MAX_THRESHOLDS} (each is a column of the table)")
    if args.output:
        if not args.output.lower().endswith((".html", ".htm")):
            raise UsageError(f"plcapacity estate: -o {args.output}: the review is an .html "
                             "file")
        for source in [*args.inventory, *(args.metrics or [])]:
            if same_file(args.output, source):
                raise UsageError(f"estate: -o {args.output} is the input {source} itself; choose "
                                 "another file name (the inputs are never overwritten)")
        if os.path.isdir(args.output):
            raise UsageError(f"estate: -o {args.output} is a folder; give a file name ending in "
                             ".html")
        check_output_folder(args.output)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ModelWarning)
        inventory = read_inventory(*args.inventory,
                                   max_connections_per_vm=args.max_connections_per_vm)
        metrics = forecast = None
        if args.metrics:
            metrics = read_daily_metrics(*args.metrics, scheduler=args.scheduler,
                                         workers=args.workers,
                                         progress=False if args.no_progress else None)
            found = set(metrics.table["metric"].str.lower())
            if NAT_PORTS_METRIC.lower() not in found:
                raise UsageError(f"estate: --metrics {' '.join(args.metrics)}: no "
                                 f"{NAT_PORTS_METRIC} values (metrics found: "
                                 f"{', '.join(sorted(metrics.table['metric'].unique())) or 'none'})"
                                 f"; export {NAT_PORTS_METRIC} of the Private Link Services")
            forecast = forecast_exhaustion(metrics, thresholds=args.thresholds,
                                           horizon_days=args.horizon_days)
    table = estate_table(inventory, forecast)
    notes = list(inventory.notes)
    unmatched = unmatched_metrics(inventory, metrics) if metrics is not None else None
    if unmatched:
        notes.append(unmatched)
    if args.format == "table":
        columns = [c for c in table.columns if c in _ESTATE_SUMMARY
                   or (c.startswith("reaches_") and not c.endswith("_date"))]
        shown = table[columns].rename(columns={"peak_nat_port_usage_percent": "peak_%",
                                               "pending_connections": "pending",
                                               "peak_throughput_mbit_s": "peak_Mbit/s"})
        for column in ("peak_%", "peak_Mbit/s"):
            if column in shown:
                shown[column] = shown[column].map("{:.1f}".format, na_action="ignore")
        out.write(format_table(shown) + "\n")
        for name, findings in zip(table["name"], table["findings"]):
            for finding in filter(None, str(findings).split("; ")):
                out.write(f"finding: {printable(name)}: {printable(finding)}\n")
    else:
        frame = table.copy()
        for column in frame.columns:
            if column.endswith("_date"):
                frame[column] = [None if v is None or v != v else f"{v:%Y-%m-%d}"
                                 for v in frame[column].astype(object)]   # NaT is not v == v
        emit(frame, args.format, [], out, err)
    if forecast is not None:
        notes.append(forecast.criterion)
    note_stream = out if args.format == "table" else err
    for note in notes:
        note_stream.write(f"note: {printable(note)}\n")
    if args.output:
        import matplotlib
        matplotlib.use("Agg")  # files, not windows
        from plcapacity.batch.report import write_report
        from plcapacity.estate.review import estate_review
        write_report(estate_review(inventory, metrics, forecast, title=args.title,
                                   sources=[*args.inventory, *(args.metrics or [])]),
                     args.output)
        note_stream.write(printable(f"review of {len(table)} Private Link Services in "
                                    f"{args.output}") + "\n")
    report_warnings(caught, err)
    return EXIT_OK
