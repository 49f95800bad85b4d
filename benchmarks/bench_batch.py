"""Benchmark of batch runs (issue 4).

* 10,000 rows without availability: sizing only, vectorized over all rows in one process.
  Reported as rows per second, with a per-row ``plcapacity.size`` loop over a sample of the
  same rows as the in-run baseline (the ratio is the gain from vectorizing).
* 200 rows with 10^5 trial-years each: rows per second on one core and on every core of this
  machine (both measured in this run), the speed-up, and peak memory (this process and its
  worker processes).

Run: ``python benchmarks/bench_batch.py [--rows 10000] [--sim-rows 200] [--trials 1e5]``
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import warnings

import numpy as np
import pandas as pd

import plcapacity as plc
from plcapacity.base.regions import region_names
from plcapacity.batch.run import run_batch


def scenario_table(n, *, with_regions, seed=0):
    """Realistic random services: demands over five decades, churn, caps, layouts."""
    rng = np.random.default_rng(seed)
    regions = np.array(region_names())
    table = pd.DataFrame({
        "service": [f"svc-{i:05d}" for i in range(n)],
        "concurrent_connections": np.round(10 ** rng.uniform(3, 7.5, n)),
        "new_connections_per_s": np.round(10 ** rng.uniform(0, 4, n)),
        "headroom": rng.choice([0.1, 0.2, 0.3, 0.5], n),
        "vm_failures_tolerated": rng.integers(0, 4, n),
        "max_connections_per_vm": rng.choice([1e5, 2.5e5, 5e5], n),
        "consumer_endpoints": rng.integers(1, 2_000, n),
        "growth_per_year": rng.choice([0.0, 0.2, 0.5], n),
    })
    if with_regions:
        picks = [rng.choice(regions, rng.integers(1, 4), replace=False) for _ in range(n)]
        table["pe_regions"] = [";".join(p) for p in picks]
        table["failover"] = rng.choice(["active-active", "active-passive"], n)
    return table


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - start, value


def peak_mib(who):
    rss = resource.getrusage(who).ru_maxrss
    return rss / 1024  # Linux: KiB


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--sim-rows", type=int, default=200)
    parser.add_argument("--trials", type=float, default=1e5)
    parser.add_argument("--loop-sample", type=int, default=500)
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    print(f"batch benchmark (plcapacity {plc.__version__}, {cores} cores)")

    sizing = scenario_table(args.rows, with_regions=False)
    run_batch(sizing.head(50), progress=False)  # warm-up
    elapsed, result = timed(run_batch, sizing, progress=False)
    assert (result.status == "ok").all(), result.error[result.status != "ok"].head()
    sample = sizing.head(args.loop_sample)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loop, _ = timed(lambda: [plc.size(
            r.concurrent_connections, new_connections_per_s=r.new_connections_per_s,
            headroom=r.headroom, vm_failures_tolerated=int(r.vm_failures_tolerated),
            max_connections_per_vm=r.max_connections_per_vm,
            consumer_endpoints=int(r.consumer_endpoints)) for r in sample.itertuples()])
    loop_rate = len(sample) / loop
    print(f"\n  {args.rows:,} rows without availability: {elapsed:.2f} s, "
          f"{args.rows / elapsed:,.0f} rows/s")
    print(f"  per-row size() loop on {len(sample)} of them: {loop_rate:,.0f} rows/s  ->  "
          f"vectorized batch {args.rows / elapsed / loop_rate:.0f}x faster")

    simulated = scenario_table(args.sim_rows, with_regions=True, seed=1)
    trials = int(args.trials)
    run_batch(simulated.head(2), trials=1_000, workers=1, progress=False)  # warm-up
    one, r1 = timed(run_batch, simulated, trials=trials, seed=3, workers=1, progress=False)
    every, r2 = timed(run_batch, simulated, trials=trials, seed=3, workers=cores,
                      progress=False)
    pd.testing.assert_frame_equal(r1.table, r2.table, check_exact=True)
    print(f"\n  {args.sim_rows} rows x {trials:,} trial-years "
          f"({args.sim_rows * trials:,} trial-years)")
    print(f"    one core:   {one:.2f} s, {args.sim_rows / one:,.1f} rows/s, "
          f"{args.sim_rows * trials / one:,.0f} trial-years/s")
    print(f"    {cores} cores:    {every:.2f} s, {args.sim_rows / every:,.1f} rows/s  ->  "
          f"speed-up {one / every:.2f}x (results identical)")
    print(f"\n  peak RSS: this process {peak_mib(resource.RUSAGE_SELF):,.0f} MiB, largest "
          f"worker {peak_mib(resource.RUSAGE_CHILDREN):,.0f} MiB")


if __name__ == "__main__":
    main()
