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
* Throughput per process-year as the number of outage processes grows (issue 12: no cliff
  above 16 processes): ``simulate`` on K independent processes (regions, and above 40 regions
  correlated pairs of regions; one 4 h outage a year each), K = 8, 16, 17, 32, 64, 65, 128,
  256 (256 is the most the engine takes; above 64 states are sets, not 64-bit masks), about
  4 million process-years each; the ratio of each to K = 8 (goal: K = 64 within 2x of K = 8,
  ratio >= 0.5; no goal above 64).
* Active-passive against active-active (issue 12: within 2x): the three-region model with a
  1,000,000 demand, once active-active and once active-passive with a 5-minute delay (one
  failover gap per primary outage), 10^6 trial-years each, interleaved; with and without
  per-trial results kept.

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
from plcapacity.availability.budget import sub_block_trials
from plcapacity.availability.deployment import Deployment, Destination, Endpoint, load_deployment
from plcapacity.availability.exact import exact_unavailability
from plcapacity.availability.simulation import BLOCK_TRIALS, seed_sequence, simulate, sub_block_rng
from plcapacity.availability.structure import compile_structure
from plcapacity.base.limits import data_path
from plcapacity.base.regions import region_names
from plcapacity.outages.laws import MINUTES_PER_YEAR, FixedDuration
from plcapacity.outages.processes import OutageGroup, OutageModel

AVAILSIM4_TRIAL_YEARS_PER_S = 1_300
GOAL_TRIAL_YEARS_PER_S = 4_000_000
GOAL_RATIO_TO_DRAWS = 10


def draw_only(structure, trials, years, seed):
    """Draw exactly the random numbers ``simulate`` draws, and nothing else (block by block,
    sub-block by sub-block, all processes at once as :func:`plcapacity.engine.block_intervals`
    draws them)."""
    from plcapacity.availability.engine import _law_groups
    root = seed_sequence(seed)
    T = years * MINUTES_PER_YEAR
    processes = structure.processes
    rate = np.array([p.rate_per_minute for p in processes])
    mean = np.array([p.duration.mean_minutes for p in processes])
    groups = _law_groups(processes)
    size = sub_block_trials(processes, years)
    done, block = 0, 0
    while done < trials:
        n = min(BLOCK_TRIALS, trials - done)
        for sub, first in enumerate(range(0, n, size)):
            m = min(size, n - first)
            rng = sub_block_rng(root, block, sub)
            counts = rng.poisson(rate * m * T)
            rng.standard_exponential(int(counts.sum()) + len(processes))
            for law, members in groups:
                if not isinstance(law, FixedDuration):
                    law.sample(rng, int(counts[members].sum()))
            running = rng.poisson(rate * mean * m)
            rng.integers(0, m, int(running.sum()))
            for law, members in groups:
                law.sample_residual(rng, int(running[members].sum()))
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


def many_process_model(K):
    """K outage processes, one 4 h outage a year each: up to 40 regions, each with an endpoint
    and a PLS (served while at most one PLS is lost), then correlated pairs of them."""
    n = min(K, 40)
    regions = region_names()[:n]
    law = {"law": "fixed", "hours": 4}
    groups = tuple(OutageGroup(f"pair-{i}", (regions[2 * i % n], regions[(2 * i + 1) % n]),
                               1.0, law) for i in range(K - n))
    deployment = Deployment(tuple(Destination(f"d-{r}", r, 1e6) for r in regions),
                            tuple(Endpoint(f"e-{r}", r, f"d-{r}") for r in regions),
                            demand_connections=(n - 1) * 1e6)
    return deployment, OutageModel(1.0, law, groups=groups)


def process_scaling(counts, repeats, process_years=2 ** 22):
    """Process-years per second of ``simulate`` for each process count (interleaved)."""
    models = {K: many_process_model(K) for K in counts}
    trials = {K: max(1, process_years // K) for K in counts}
    for K in counts:  # warm-up (tables, buffers)
        simulate(*models[K], trials=BLOCK_TRIALS // 8, seed=0, progress=False,
                 keep_trials=False)
    times = {K: [] for K in counts}
    for repeat in range(repeats):
        for K in counts:
            times[K].append(timed(simulate, *models[K], trials=trials[K], seed=repeat,
                                  progress=False, keep_trials=False))
    return {K: trials[K] * K / statistics.median(times[K]) for K in counts}


def failover_ratio(trials, repeats):
    """Median time of active-passive over active-active, per ``keep_trials`` setting."""
    from plcapacity.availability.deployment import Failover
    deployment, outages = load_deployment(data_path("examples/three-region-2of3.toml"))
    aa = Deployment(deployment.destinations, deployment.endpoints, 1e6)
    ap = Deployment(deployment.destinations, deployment.endpoints, 1e6,
                    Failover("active-passive", 5.0))
    ratios = {}
    for keep in (False, True):
        for d in (aa, ap):  # warm-up
            simulate(d, outages, trials=BLOCK_TRIALS, seed=0, progress=False, keep_trials=keep)
        times = {"aa": [], "ap": []}
        for repeat in range(repeats):
            for name, d in (("aa", aa), ("ap", ap)):
                times[name].append(timed(simulate, d, outages, trials=trials, seed=repeat,
                                         progress=False, keep_trials=keep))
        ratios[keep] = (statistics.median(times["aa"]), statistics.median(times["ap"]))
    return ratios


def print_failover(trials, repeats):
    print()
    print(f"  active-passive (5 min delay) vs active-active, {trials:,} trial-years, "
          f"{repeats} interleaved repeats (median):")
    for keep, (aa, ap) in failover_ratio(trials, repeats).items():
        print(f"    keep_trials={keep!s:<5}  active-active {aa:.3f} s [baseline]  "
              f"active-passive {ap:.3f} s  ratio {ap / aa:.2f}x (goal <= 2): "
              f"{'PASS' if ap / aa <= 2 else 'MISS'}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=float, default=1e6)
    parser.add_argument("--long-trials", type=float, default=1e8,
                        help="trial-years of the memory run (0 to skip)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--processes", default="8,16,17,32,64,65,128,256",
                        help="process counts of the scaling run (comma-separated; 8 first)")
    parser.add_argument("--only", choices=("scaling", "failover"),
                        help="run only the process-count scaling or the failover ratio")
    args = parser.parse_args(argv)
    counts = [int(k) for k in args.processes.split(",")]
    if args.only == "scaling":
        print_scaling(counts, args.repeats)
        return
    if args.only == "failover":
        print_failover(int(args.trials), args.repeats)
        return
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

    print_scaling(counts, args.repeats)
    print_failover(trials, args.repeats)

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


def print_scaling(counts, repeats):
    rates = process_scaling(counts, repeats)
    base = rates[counts[0]]
    print()
    print(f"  throughput per process-year by outage processes ({repeats} interleaved repeats, "
          "median):")
    print(f"  {'processes':>10}{'process-years/s':>18}{'ratio':>9}")
    for K, rate in rates.items():
        print(f"  {K:>10}{rate:>18,.0f}{rate / base:>8.2f}x")
    goal = 64 if 64 in rates else counts[-1]
    worst = rates[goal] / base
    print(f"  {goal} vs {counts[0]} processes: {worst:.2f}x (goal >= 0.5): "
          f"{'PASS' if worst >= 0.5 else 'MISS'}")
    beyond = [K for K in counts if K > 64]
    if beyond:
        shown = ", ".join(f"{K}: {rates[K] / base:.2f}x" for K in beyond)
        print(f"  (above 64, states are sets, not 64-bit masks: {shown}; no goal)")


if __name__ == "__main__":
    main()
