"""Benchmark of the Monte Carlo engine and the exact sum.

What it measures (issue 3):

* ``simulate`` on the published three-region model (three independent regions, one outage a
  year each, fixed 4 h; served while 2 of 3 destinations are up) over 10^6 trial-years:
  trial-years per second, and the ratio to the time the same process takes only to *draw the
  random numbers the simulation needs* (same generators, same counts; goal: at most 10x).
  For scale: AvailSim4 runs this model at about 1,300 trial-years per second on this kind of
  machine; the goal is at least 4,000,000 per second on one core.
* Peak memory of that run (tracemalloc, which sees numpy's buffers) and of a long run of
  10^8 trial-years (process peak RSS; goal: under 1 GiB).
* ``exact_unavailability`` with 20 outage processes (goal: well under a second).

Timings are medians of interleaved repeats; the ratio is what to compare across machines.

Run: ``python benchmarks/bench_montecarlo.py [--trials 1e6] [--long-trials 1e8] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc

import numpy as np

import plcapacity
from plcapacity.availability import compile_structure, exact_unavailability
from plcapacity.deployment import Deployment, Destination, Endpoint, load_deployment
from plcapacity.limits import data_path
from plcapacity.montecarlo import BLOCK_TRIALS, _seed_sequence, block_rng, simulate
from plcapacity.outages import MINUTES_PER_YEAR, OutageModel
from plcapacity.regions import region_names

AVAILSIM4_TRIAL_YEARS_PER_S = 1_300
GOAL_TRIAL_YEARS_PER_S = 4_000_000
GOAL_RATIO_TO_DRAWS = 10


def draw_only(structure, trials, years, seed):
    """Draw exactly the random numbers ``simulate`` draws, and nothing else."""
    root = _seed_sequence(seed)
    T = years * MINUTES_PER_YEAR
    done, block = 0, 0
    while done < trials:
        n = min(BLOCK_TRIALS, trials - done)
        rng = block_rng(root, block)
        for process in structure.processes:
            count = rng.poisson(process.rate_per_minute * n * T)
            rng.standard_exponential(count + 1)
            process.duration.sample(rng, count)
            running = rng.poisson(process.rate_per_minute * process.duration.mean_minutes * n)
            rng.integers(0, n, running)
            process.duration.sample_residual(rng, running)
        done += n
        block += 1


def machine() -> str:
    """The machine and its load, printed with the figures (they mean little without them)."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next((line.split(":", 1)[1].strip() for line in info
                          if line.startswith("model name")), model)
    except OSError:
        pass
    try:
        load = "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except (AttributeError, OSError):
        load = "load average unknown"
    return f"{model}, {os.cpu_count()} logical CPUs, {platform.system()}; {load} at start"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def twenty_process_deployment():
    regions = region_names()[:20]
    deployment = Deployment(tuple(Destination(f"d-{r}", r, 1e6) for r in regions),
                            tuple(Endpoint(f"e-{r}", r, f"d-{r}") for r in regions),
                            demand_connections=5e6)
    return deployment, OutageModel(1.0, {"law": "fixed", "hours": 4})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=float, default=1e6)
    parser.add_argument("--long-trials", type=float, default=1e8,
                        help="trial-years of the memory run (0 to skip)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    trials = int(args.trials)

    deployment, outages = load_deployment(data_path("examples/three-region-2of3.toml"))
    structure = compile_structure(deployment, outages)
    print("Monte Carlo benchmark: three regions, 2 of 3 needed (the published cross-check)")
    print(f"  {trials:,} trial-years per run, {args.repeats} interleaved repeats (median); "
          f"python {platform.python_version()}, numpy {np.__version__}, "
          f"plcapacity {plcapacity.__version__}")
    print(f"  machine: {machine()}")

    simulate(deployment, outages, trials=BLOCK_TRIALS, seed=0, progress=False)  # warm-up
    sims, draws = [], []
    for repeat in range(args.repeats):
        draws.append(timed(draw_only, structure, trials, 1, repeat))
        sims.append(timed(simulate, deployment, outages, trials=trials, seed=repeat,
                          progress=False))
    sim, draw = statistics.median(sims), statistics.median(draws)
    rate = trials / sim
    ratio = sim / draw
    print()
    print(f"  {'what':<44}{'median s':>10}{'ratio':>9}")
    print(f"  {'draw the random numbers only [baseline]':<44}{draw:>10.4f}{1:>8.2f}x")
    print(f"  {'simulate':<44}{sim:>10.4f}{ratio:>8.2f}x   goal <= {GOAL_RATIO_TO_DRAWS}x: "
          f"{'PASS' if ratio <= GOAL_RATIO_TO_DRAWS else 'MISS'}")
    print(f"  ratio per repeat: {', '.join(f'{s / d:.2f}' for s, d in zip(sims, draws))}")
    print()
    print(f"  trial-years per second: {rate:,.0f}   goal >= {GOAL_TRIAL_YEARS_PER_S:,}: "
          f"{'PASS' if rate >= GOAL_TRIAL_YEARS_PER_S else 'MISS'}")
    print(f"  vs AvailSim4's ~{AVAILSIM4_TRIAL_YEARS_PER_S:,}/s: "
          f"{rate / AVAILSIM4_TRIAL_YEARS_PER_S:,.0f}x")

    tracemalloc.start()
    result = simulate(deployment, outages, trials=trials, seed=1, progress=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  peak traced memory of one {trials:,}-trial run: {peak / 2 ** 20:,.1f} MiB "
          f"(per-trial results kept: {trials <= 2_000_000})")
    print(f"  served unavailability {1 - result.served_availability:.3e} "
          f"(exact {result.exact_served:.3e})")

    deployment20, outages20 = twenty_process_deployment()
    exact_times = [timed(exact_unavailability, deployment20, outages20, metric="served")
                   for _ in range(args.repeats)]
    print()
    print(f"  exact_unavailability, 20 processes (2^20 states): "
          f"{statistics.median(exact_times):.3f} s (goal: well under 1 s)")

    long_trials = int(args.long_trials)
    if long_trials:
        start, cpu_start = time.perf_counter(), cpu_seconds()
        result = simulate(deployment, outages, trials=long_trials, seed=2, progress=None)
        elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rss_mib = rss / 2 ** 20 if sys.platform == "darwin" else rss / 2 ** 10
        print()
        print(f"  long run: {long_trials:,} trial-years in {elapsed:.1f} s "
              f"({long_trials / elapsed:,.0f}/s), {cpu:.1f} s of CPU; peak RSS of this process "
              f"{rss_mib:,.0f} MiB (goal < 1024): {'PASS' if rss_mib < 1024 else 'MISS'}")
        print("  (wall time above CPU time: the machine was busy with other work)"
              if elapsed > 1.2 * cpu else "  (wall time close to CPU time: an unloaded core)")
        print(f"  served unavailability {1 - result.served_availability:.4e} "
              f"+/- {result.served_ci_half_width:.1e} (exact {result.exact_served:.4e})")


if __name__ == "__main__":
    main()
