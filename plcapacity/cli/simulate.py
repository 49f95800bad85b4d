"""``plcapacity simulate``: a Monte Carlo of regional outages over a deployment file.

Loads the deployment (TOML), runs :func:`plcapacity.availability.simulation.simulate` and
prints its summary; an unseeded run prints the seed that reproduces it.
"""

from __future__ import annotations

import warnings

from plcapacity.base.exceptions import ModelWarning
from plcapacity.cli.arguments import add_format, add_method, number, positive_whole, whole
from plcapacity.cli.output import EXIT_OK, emit_summary, report_warnings

__all__ = ["NAME", "add_parser", "run"]

NAME = "simulate"


def add_parser(commands):
    """Register ``simulate`` and its options on the ``commands`` subparsers."""
    sim = commands.add_parser(
        NAME, help="Monte Carlo of regional outages over a deployment file",
        description="Simulate years of independent and correlated regional outages over a "
                    "deployment (TOML) and print the availability, downtime distribution, "
                    "SLA misses, expected credit and the causes.")
    sim.add_argument("deployment", help="deployment file (TOML), e.g. data/examples/*.toml")
    sim.add_argument("--trials", type=positive_whole, default=100_000, metavar="N",
                     help="trials to run, e.g. 1e6 (default: 100000)")
    sim.add_argument("--years", type=positive_whole, default=1, metavar="N",
                     help="calendar years per trial (default: 1)")
    sim.add_argument("--seed", type=whole, metavar="N", help="seed for reproducible numbers")
    sim.add_argument("--chunk-size", type=positive_whole, metavar="N",
                     help="trials per chunk (memory and progress; does not change numbers)")
    sim.add_argument("--target-rel-ci", type=number, metavar="FRACTION",
                     help="keep simulating until the 95%% CI half-width is this fraction of "
                          "the figure --target-metric names")
    sim.add_argument("--target-metric", choices=("reachable", "served", "p_month_below_slo"),
                     help="what --target-rel-ci is about (default: served with a demand, else "
                          "reachable)")
    add_method(sim)
    sim.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_format(sim)
    return sim


def run(args, out, err):
    """Simulate the deployment file and print the summary; returns the exit code."""
    from plcapacity.availability.deployment import load_deployment
    from plcapacity.availability.simulation import simulate
    deployment, outages = load_deployment(args.deployment)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ModelWarning)
        try:
            result = simulate(deployment, outages, trials=args.trials, years=args.years,
                              seed=args.seed, chunk_size=args.chunk_size,
                              target_rel_ci=args.target_rel_ci,
                              target_metric=args.target_metric,
                              progress=False if args.no_progress else None,
                              method=args.method)
        except ValueError as error:  # the model's answer about this file: name the file
            message = str(error)
            raise ValueError(message if message.startswith(args.deployment)
                             else f"{args.deployment}: {message}") from None
    emit_summary(result.summary(), args.format, out, err)
    if args.seed is None:
        err.write(f"note: seed {result.seed_entropy} (--seed to reproduce this run)\n")
    report_warnings(caught, err)
    return EXIT_OK
