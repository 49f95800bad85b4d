"""``plcapacity fit-outages``: fit an outage model to a list of incidents.

Per-region rates (gamma-Poisson across regions, or each region's own count), per-group rates
and a duration law chosen by AICc (:func:`plcapacity.outages.fitting.fit_outages`), printed as
tables, as an ``[outages]`` section for a deployment file (``--format toml``) or as JSON.
"""

from __future__ import annotations

import json

from plcapacity.base.exceptions import UsageError
from plcapacity.cli.output import EXIT_OK, report_warnings

__all__ = ["NAME", "add_parser", "run"]

NAME = "fit-outages"


def add_parser(commands):
    """Register ``fit-outages`` and its options on the ``commands`` subparsers."""
    fit = commands.add_parser(
        NAME, help="fit an outage model to a list of incidents",
        description="Fit per-region and per-group outage rates and a duration law (maximum "
                    "likelihood, chosen by AICc) to incidents: a CSV with start, end (UTC), "
                    "location and optionally service_name columns, or an Azure Service Health "
                    "export (.json: az graph query on ServiceHealthResources, or the REST API's "
                    "Microsoft.ResourceHealth/events; service issues only). Region rates come "
                    "from a gamma-Poisson model across the regions under observation (--rates); "
                    "--services data_path counts only the incidents that can impair a private "
                    "endpoint's data path. --format toml prints an [outages] section for a "
                    "deployment file.",
        epilog="--bundled fits the Azure status incidents of 2018-2020 that ship with "
               "plcapacity (their provenance and limits: data/outages/README.md in the "
               "package's data folder, `plcapacity examples` copies both).")
    fit.add_argument("incidents", nargs="?",
                     help="incident table (CSV) or Service Health export (JSON)")
    fit.add_argument("--bundled", action="store_true",
                     help="fit the bundled Azure status incidents (2018-2020) instead of a file")
    fit.add_argument("--format", choices=("table", "toml", "json"), default="table",
                     help="output format (default: readable tables)")
    fit.add_argument("--period", nargs=2, metavar=("START", "END"),
                     help="observation window, UTC (default: first start to last end)")
    fit.add_argument("--regions", metavar="LIST",
                     help="regions under observation, comma-separated catalog names (default: "
                          "every region open in the period; with --rates own-or-pooled, those "
                          "with incidents of their own)")
    fit.add_argument("--services", metavar="CLASSES", default=None,
                     help="count only incidents whose service is of these classes: data_path, "
                          "control_plane, unrelated (comma-separated) or all (default: every "
                          "incident, whatever its service)")
    fit.add_argument("--rates", choices=("gamma-poisson", "own-or-pooled"),
                     default="gamma-poisson",
                     help="region rates: gamma-poisson (default: pooled across regions) or "
                          "own-or-pooled (a region's own count, else the mean)")
    return fit


def run(args, out, err):
    """Fit the incidents and print the model; returns the exit code."""
    from plcapacity.outages.fitting import fit_outages
    regions = None if args.regions is None else [
        r.strip() for r in args.regions.split(",") if r.strip()]
    if args.bundled == (args.incidents is not None):
        raise UsageError("plcapacity fit-outages: give an incident file or --bundled (one of "
                         "the two)")
    incidents = args.incidents
    if args.bundled:
        from plcapacity.base.limits import data_path
        from plcapacity.outages.incidents import INCIDENTS_FILE
        incidents = data_path(INCIDENTS_FILE)
    import warnings

    from plcapacity.base.exceptions import ModelWarning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ModelWarning)
        fit = fit_outages(incidents, period=args.period, regions=regions,
                          services=args.services, rates=args.rates)
    report_warnings(caught, err)
    if args.format == "toml":
        out.write(fit.to_toml())
    elif args.format == "json":
        out.write(json.dumps(fit.to_dict(), indent=2) + "\n")
    else:
        rates = fit.table.drop(columns=["regions", "note"]).copy()
        for column in ("exposure_years", "rate_per_year", "rate_low", "rate_high", "own_rate",
                       "own_rate_low", "own_rate_high"):
            rates[column] = rates[column].map("{:.3g}".format)
        durations = fit.durations.assign(
            parameters=fit.durations["parameters"].map(
                lambda p: ", ".join(f"{k}={v:.4g}" for k, v in p.items())),
            mean_hours=fit.durations["mean_hours"].map("{:.3g}".format),
            aicc=fit.durations["aicc"].map("{:.1f}".format),
            delta_aicc=fit.durations["delta_aicc"].map("{:.1f}".format),
            ks_pvalue=fit.durations["ks_pvalue"].map("{:.3f}".format))
        begin, end = (p.strftime("%Y-%m-%d") for p in fit.period)
        how = ("rate: posterior mean of a gamma-Poisson model across regions, 95 % posterior "
               "interval" if fit.rates == "gamma-poisson" else "rate: own count, else the "
               "mean of the regions with incidents")
        out.write(f"Rates per year, {begin} to {end} ({fit.exposure_years:.3g} years; "
                  f"incidents: {fit.services}); {how}; own_rate: the region's own count, "
                  "exact 95 % interval:\n")
        out.write(rates.to_string(index=False) + "\n\nDurations (hours):\n")
        out.write(durations[["law", "parameters", "mean_hours", "aicc", "delta_aicc",
                             "ks_pvalue", "chosen"]].to_string(index=False) + "\n")
        out.write(f"note: {len(fit.excluded)} row(s) left out (outside the period, not in the "
                  "region catalog, or a service not selected)\n")
        if fit.services == "all incidents":
            out.write("note: every incident counted, whatever its service: rates of service "
                      "incidents bound region outages from above (--services data_path counts "
                      "those that can impair the data path)\n")
        if fit.unclassified_services:
            out.write(f"note: service names not in the relevance table, counted as data path: "
                      f"{', '.join(fit.unclassified_services)}\n")
    return EXIT_OK
