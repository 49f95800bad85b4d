"""Memory per row of a batch sizing run (issue 9: aim for under 2 KB a row).

Each size runs in a fresh process that writes a CSV scenario table of N rows (sizing columns,
as people write them: text), runs ``plcapacity batch`` on it into a CSV and reports its peak
resident memory. The figure per row is the slope between two sizes measured in the same run,
so the interpreter, numpy and pandas (the fixed cost) cancel out.

Run: ``python benchmarks/bench_batch_memory.py [--small 20000] [--large 200000]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

CHILD = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
from plcapacity.batch import run_batch
n, folder = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(0)
table = pd.DataFrame({
    "service": [f"svc-{i:07d}" for i in range(n)],
    "concurrent_connections": np.round(10 ** rng.uniform(3, 7.5, n)).astype(int).astype(str),
    "new_connections_per_s": np.round(10 ** rng.uniform(0, 4, n)).astype(int).astype(str),
    "headroom": rng.choice(["0.1", "0.2", "30%"], n),
    "vm_failures_tolerated": rng.integers(0, 4, n).astype(str),
    "growth_per_year": rng.choice(["0", "0.3"], n),
})
path = f"{folder}/table-{n}.csv"
table.to_csv(path, index=False)
del table
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
result = run_batch(path, output=f"{folder}/results-{n}.csv", progress=False)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(dict(rows=n, seconds=seconds, peak_kib=peak, before_kib=before,
                      ok=int((result.status == "ok").sum()))))
"""


def measure(n, folder):
    run = subprocess.run([sys.executable, "-c", CHILD, str(n), folder], capture_output=True,
                         text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--large", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        small, large = measure(args.small, folder), measure(args.large, folder)
    per_row = (large["peak_kib"] - small["peak_kib"]) * 1024 / (large["rows"] - small["rows"])
    for m in (small, large):
        print(f"{m['rows']:>9,} rows: {m['seconds']:6.2f} s ({m['rows'] / m['seconds']:,.0f} "
              f"rows/s), peak RSS {m['peak_kib'] / 1024:,.0f} MiB, {m['ok']:,} sized")
    print(f"memory per row (slope between the two sizes): {per_row:,.0f} bytes "
          f"(goal: under 2,048) -> {'PASS' if per_row < 2048 else 'FAIL'}")
    print(f"time per row, large / small: "
          f"{(large['seconds'] / large['rows']) / (small['seconds'] / small['rows']):.2f}x "
          "(1.0 = linear)")


if __name__ == "__main__":
    main()
