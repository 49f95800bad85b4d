"""Benchmark of the NAT-port forecast fitted together against one series at a time (issue 20).

The forecast (:func:`plcapacity.forecast_exhaustion`) fits series of the same days together,
as the rows of arrays, in blocks of ``FIT_BLOCK_POINTS`` daily peaks. The baseline, measured in
the same run on the same series, is the same code with blocks of one series
(``FIT_BLOCK_POINTS`` set to the series' length): every step then runs once per series, as
the forecast did before it was vectorized. Both give the same table (checked here); the ratio
baseline / together is the figure of merit.

With ``--baseline CHECKOUT`` (a checkout of plcapacity from before the vectorization, such as
``git worktree add /tmp/old-plc a2a5cba``), that checkout's forecast is timed too, in a child
process on the same table, and its table compared with this one's.

Series: seeded daily peaks of ``--days`` days (default 30, the estate's export) for
``--series`` NAT IPs (default 2,400: about 1,000 PLSs), linear and exponential growth, weekly
cycles, noise and a share of series with a zero (no log-linear fit). Times are medians of
interleaved repeats.

Run: ``python benchmarks/bench_forecast.py [--series 2400] [--days 30] [--repeats 3]
[--baseline CHECKOUT]``
"""

from __future__ import annotations

import argparse
import os
import pickle
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

from plcapacity.estate import forecast as forecast_module
from plcapacity.estate.forecast import forecast_exhaustion

DAY0 = pd.Timestamp("2026-10-01", tz="UTC")


def metrics(series, days, seed):
    """A read_metrics-shaped table: one maximum a day per NAT IP, ``series`` NAT IPs."""
    rng = np.random.default_rng(seed)
    t = np.arange(days, dtype=float)
    level = rng.uniform(5, 60, (series, 1))
    growth = rng.uniform(-0.05, 0.8, (series, 1))
    peaks = level + growth * t + rng.normal(0, rng.uniform(0.2, 4, (series, 1)), (series, days))
    exponential = rng.random(series) < 0.3
    peaks[exponential] = level[exponential] * np.exp(0.02 * t) \
        + rng.normal(0, 1, (exponential.sum(), days))
    weekly = rng.random(series) < 0.3
    peaks[weekly] -= np.where(t % 7 >= 5, 8.0, 0.0)
    peaks[rng.random(series) < 0.1, days // 2] = 0.0
    peaks = np.clip(peaks, 0.0, 100.0)
    ids = np.arange(series)
    return pd.DataFrame({
        "timestamp": np.tile(DAY0 + pd.to_timedelta(t, unit="D") + pd.Timedelta(hours=13),
                             series),
        "resource_id": np.repeat([f"/subscriptions/s/resourceGroups/rg/providers/"
                                  f"Microsoft.Network/privateLinkServices/pls-{i // 3:05d}"
                                  for i in ids], days),
        "metric": "PLSNatPortsUsage",
        "dimension": np.repeat([f"10.{i // 3 // 250}.{i // 3 % 250}.{i % 3}" for i in ids],
                               days),
        "aggregation": "maximum", "value": peaks.ravel(), "unit": "Percent"})


def timed(table, block_points):
    """(seconds, forecast) of one forecast with blocks of ``block_points`` daily peaks."""
    saved = forecast_module.FIT_BLOCK_POINTS
    forecast_module.FIT_BLOCK_POINTS = block_points
    try:
        start = time.perf_counter()
        forecast = forecast_exhaustion(table)
        return time.perf_counter() - start, forecast
    finally:
        forecast_module.FIT_BLOCK_POINTS = saved


_CHILD = """
import pickle, sys, time
from plcapacity.estate.forecast import forecast_exhaustion
table = pickle.load(open(sys.argv[1], "rb"))
forecast_exhaustion(table.head(int(sys.argv[3]) * 20))
seconds = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    forecast = forecast_exhaustion(table)
    seconds.append(time.perf_counter() - start)
pickle.dump((seconds, forecast.table), open(sys.argv[1] + ".out", "wb"))
"""


def baseline(checkout, table, repeats, days):
    """(seconds of each repeat, table) of ``checkout``'s forecast, in a child process."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "table.pkl")
        with open(path, "wb") as file:
            pickle.dump(table, file)
        subprocess.run([sys.executable, "-c", _CHILD, path, str(repeats), str(days)],
                       check=True, env=dict(os.environ, PYTHONPATH=checkout), cwd=checkout)
        with open(path + ".out", "rb") as file:
            return pickle.load(file)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=2_400)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--baseline", metavar="CHECKOUT",
                        help="also time the forecast of this checkout of plcapacity")
    args = parser.parse_args()
    table = metrics(args.series, args.days, args.seed)
    timed(table.head(args.days * 20), forecast_module.FIT_BLOCK_POINTS)   # warm up imports
    together, alone = [], []
    for _ in range(args.repeats):                                        # interleaved
        seconds, fitted_together = timed(table, forecast_module.FIT_BLOCK_POINTS)
        together.append(seconds)
        seconds, fitted_alone = timed(table, args.days)                  # one series a block
        alone.append(seconds)
    pd.testing.assert_frame_equal(fitted_together.table, fitted_alone.table)
    statuses = fitted_together.table["status"].value_counts().to_dict()
    print(f"# python benchmarks/bench_forecast.py --series {args.series} --days {args.days} "
          f"--repeats {args.repeats}   ({platform.machine()}, {platform.python_version()})")
    print(f"# statuses: {statuses}")
    t_together, t_alone = float(np.median(together)), float(np.median(alone))
    print(f"{args.series:,} series of {args.days} days, thresholds 80 and 100 %: one series at "
          f"a time {t_alone:.2f} s, together {t_together:.2f} s: {t_alone / t_together:.1f}x "
          f"(same table); {1e3 * t_together / args.series:.2f} ms a series")
    if args.baseline:
        seconds, table_before = baseline(args.baseline, table, args.repeats, args.days)
        pd.testing.assert_frame_equal(fitted_together.table, table_before, check_exact=False,
                                      rtol=1e-12)
        t_before = float(np.median(seconds))
        print(f"{args.baseline} (before): {t_before:.2f} s: {t_before / t_together:.1f}x "
              "slower than together (same table)")


if __name__ == "__main__":
    main()
