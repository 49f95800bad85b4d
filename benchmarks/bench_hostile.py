"""Benchmark of hostile batch inputs: the timings the adversarial tests used to assert.

The tests (``tests/test_hostile_inputs.py``) check these as work counted, never as time, so
that they pass or fail alike on an idle or a busy machine. The seconds are kept here, each
against a baseline measured in the same run:

* **duplicate names**: a batch (sizing only) over N rows whose service names are all the same,
  or come in pairs, against N rows with unique names. Printed: seconds, and the ratio to the
  unique-name run of the same size (near 1: duplicates cost nothing extra), and the time per
  row against the smallest size (near or below 1: linear).
* **huge outage rates**: one batch row at 10^6 outages a year (millions of outages a trial,
  within the memory budget) and one refused for memory (10^12 a year), against one row of the
  default outage profile, at the same trials.

Run: ``python benchmarks/bench_hostile.py [--sizes 2000 8000 32000] [--trials 500]
[--repeats 3]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import pandas as pd

import plcapacity as plc


def _best(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def names(n, layout):
    if layout == "unique":
        return [f"s{i}" for i in range(n)]
    if layout == "all-same":
        return ["dup"] * n
    return [f"s{i // 2}" for i in range(n)]


def duplicates(sizes, repeats):
    print("duplicate service names (sizing only; ratio to unique names of the same size)")
    print(f"{'rows':>8} {'layout':>9} {'seconds':>9} {'x unique':>9} {'per-row x smallest':>19}")
    per_row = {}
    for n in sizes:
        seconds = {}
        for layout in ("unique", "all-same", "pairs"):
            table = pd.DataFrame({"service": names(n, layout), "concurrent_connections": "1000"})
            seconds[layout] = _best(lambda: plc.run_batch(table, progress=False), repeats)
            per_row.setdefault(layout, seconds[layout] / n)
            print(f"{n:>8,} {layout:>9} {seconds[layout]:>9.3f} "
                  f"{seconds[layout] / seconds['unique']:>9.2f} "
                  f"{seconds[layout] / n / per_row[layout]:>19.2f}")


def huge_rates(trials, repeats):
    print(f"\nhuge outage rates ({trials} trials a row; ratio to the default profile's row)")
    base = dict(service=["x"], concurrent_connections=["1000"],
                pe_regions=["centralus;eastus2"])
    rows = {"default profile": {}, "1e6 a year (simulated)": {"outage_rate_per_year": ["1e6"]},
            "1e12 a year (refused)": {"outage_rate_per_year": ["1e12"]}}
    baseline = None
    for label, extra in rows.items():
        table = pd.DataFrame({**base, **extra})
        seconds = _best(lambda: plc.run_batch(table, trials=trials, seed=1, workers=1,
                                              progress=False), repeats)
        baseline = baseline or seconds
        print(f"  {label:<24} {seconds:8.3f} s  x{seconds / baseline:8.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 8_000, 32_000])
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    plc.run_batch(pd.DataFrame({"service": ["warm-up"], "concurrent_connections": ["1"]}),
                  progress=False)  # imports and first-call costs, outside the timings
    duplicates(args.sizes, args.repeats)
    huge_rates(args.trials, args.repeats)


if __name__ == "__main__":
    main()
