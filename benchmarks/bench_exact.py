"""Benchmark of the exact steady-state figures (issue 12).

What it measures:

* The exact calculation, active-active, conditioned on the correlated groups: both
  unavailabilities (``reachable`` and ``served``) and both down-episode frequencies, in one call,
  for deployments of 8, 24, 55 and 60 regions with 3 overlapping correlated groups. Goal: under
  a second at 60 regions.
* Its peak memory at 60 regions (tracemalloc; the outer states are visited in batches of
  bounded size, so it does not grow with their number).
* The ratio of its time to the full enumeration of the ``2**K`` states (the previous method,
  kept as the reference) on the same deployments, where the enumeration is feasible: 16 and 20
  outage processes (13 and 17 regions plus the 3 groups).

The deployments: each region has a PLS (capacities cycling 1, 2, 3 million connections) and an
endpoint to it; every fourth region also has an endpoint to the next region's PLS, which
couples the two regions; the demand is half the total capacity. Groups: every third region,
every second region, and the first half of the regions.

A second layout, "hubs", puts every endpoint in 4 hub regions (each reaching every PLS): all
regions are then linked into one block, which the calculation splits by conditioning on the
hubs as well as the groups (2**7 outer states).

The region catalog holds 55 regions; the 60-region case adds 5 synthetic region names to the
catalog for the duration of this script (the calculation does not look at names).

Timings are medians of interleaved repeats (the machine is shared); compare the ratios.

Run: ``python benchmarks/bench_exact.py [--repeats 5] [--old-processes 16 20]``
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import tracemalloc

import numpy as np

import plcapacity
import plcapacity.regions as catalog
from plcapacity.availability.deployment import Deployment, Destination, Endpoint
from plcapacity.availability.exact import (
    enumerated_episode_frequency,
    enumerated_unavailability,
    exact_figures_by_metric,
)
from plcapacity.availability.structure import compile_structure
from plcapacity.outages.processes import OutageGroup, OutageModel

GOAL_SECONDS_AT_60 = 1.0
N_GROUPS = 3

_real_region_names = catalog.region_names


def _region_names_with_synthetic():
    names = _real_region_names()
    return names + [f"synthetic{i}" for i in range(max(0, 60 - len(names)))]


def deployment_and_model(n_regions, layout="local"):
    regions = catalog.region_names()[:n_regions]
    if len(regions) < n_regions:
        raise SystemExit(f"only {len(regions)} regions available")
    capacities = 1e6 * (1 + np.arange(n_regions) % 3)
    destinations = tuple(Destination(f"d-{r}", r, float(c)) for r, c in zip(regions, capacities))
    if layout == "hubs":
        endpoints = tuple(Endpoint(f"e-{h}-{r}", h, f"d-{r}")
                          for h in regions[:4] for r in regions)
    else:
        endpoints = tuple(Endpoint(f"e-{r}", r, f"d-{r}") for r in regions) + tuple(
            Endpoint(f"x-{r}", r, f"d-{regions[i + 1]}")
            for i, r in enumerate(regions[:-1]) if i % 4 == 0)
    deployment = Deployment(destinations, endpoints,
                            demand_connections=float(capacities.sum() / 2))
    model = OutageModel(
        4.0, {"law": "lognormal", "median_hours": 3, "p95_hours": 24},
        groups=(OutageGroup("thirds", tuple(regions[::3]), 0.3, {"law": "fixed", "hours": 12}),
                OutageGroup("halves", tuple(regions[1::2]), 0.2,
                            {"law": "exponential", "mean_hours": 10}),
                OutageGroup("first", tuple(regions[:n_regions // 2]), 0.1,
                            {"law": "fixed", "hours": 24})))
    assert len(model.processes(deployment.regions)) == n_regions + N_GROUPS
    return deployment, model


def new_exact(deployment, model):
    return exact_figures_by_metric(deployment, model)


def old_exact(deployment, model):
    structure = compile_structure(deployment, model)
    answer = {m: enumerated_unavailability(structure, m) for m in ("reachable", "served")}
    answer |= {f"{m}_rate": enumerated_episode_frequency(structure, m)
               for m in ("reachable", "served")}
    return answer


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--old-processes", type=int, nargs="*", default=[16, 20],
                        help="process counts at which to time the enumeration too")
    args = parser.parse_args(argv)
    print(f"plcapacity {plcapacity.__version__}, Python {platform.python_version()}, "
          f"numpy {np.__version__}, {platform.machine()}")

    print("\nExact, active-active, both metrics and both episode frequencies "
          f"({N_GROUPS} groups; median of {args.repeats}):")
    print(f"{'layout':>7} {'regions':>8} {'processes':>10} {'time [s]':>10}  served U       "
          "served episodes/yr")
    new_times = {}
    for layout in ("local", "hubs"):
        for n in (8, 24, 55, 60):
            if n > len(_real_region_names()):
                catalog.region_names = _region_names_with_synthetic
            try:
                deployment, model = deployment_and_model(n, layout)
                times, result = [], None
                for _ in range(args.repeats):
                    seconds, result = timed(new_exact, deployment, model)
                    times.append(seconds)
            finally:
                catalog.region_names = _real_region_names
            new_times[layout, n] = statistics.median(times)
            print(f"{layout:>7} {n:>8} {n + N_GROUPS:>10} {new_times[layout, n]:>10.4f}  "
                  f"{result['served']:<14.6g} {result['served_rate']:.6g}")
    verdict = "PASS" if max(new_times["local", 60], new_times["hubs", 60]) < \
        GOAL_SECONDS_AT_60 else "MISS"
    print(f"goal: 60 regions under {GOAL_SECONDS_AT_60:g} s: {verdict}")

    # peak memory (tracemalloc sees numpy's buffers) of the largest case
    catalog.region_names = _region_names_with_synthetic
    try:
        deployment, model = deployment_and_model(60, "hubs")
        tracemalloc.start()
        new_exact(deployment, model)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    finally:
        catalog.region_names = _real_region_names
    print(f"peak memory, hubs at 60 regions: {peak / 2 ** 20:.1f} MiB")

    print("\nAgainst the full enumeration of the 2**K states, same deployments "
          "(interleaved repeats):")
    print(f"{'layout':>7} {'processes':>10} {'new [s]':>10} {'enumeration [s]':>16} "
          f"{'new/old':>10} {'max rel. diff':>14}")
    for layout, k in [("local", k) for k in args.old_processes] + [("hubs", 16)]:
        deployment, model = deployment_and_model(k - N_GROUPS, layout)
        new, old = [], []
        for _ in range(max(1, args.repeats // 2)):
            seconds, a = timed(new_exact, deployment, model)
            new.append(seconds)
            seconds, b = timed(old_exact, deployment, model)
            old.append(seconds)
        diff = max(abs(a[key] - b[key]) / abs(b[key]) for key in b if b[key])
        t_new, t_old = statistics.median(new), statistics.median(old)
        print(f"{layout:>7} {k:>10} {t_new:>10.4f} {t_old:>16.3f} {t_new / t_old:>10.2e} "
              f"{diff:>14.1e}")
        if diff > 1e-12:
            print("ABORT: the two methods disagree")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
