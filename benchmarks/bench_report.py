"""Benchmark of the batch HTML report: is it linear in rows, and how much memory does it take?

Synthetic results of 500, 5,000 and 20,000 services are built by repeating the example batch
(``data/examples/services.csv``, simulated once) with perturbed utilization and SLO risk and
unique service names, with a matching scenario table so that the inputs are joined as in a
real report. For each size, ``batch_report`` is timed (median of ``--repeats`` rounds, sizes
interleaved within a round) and its memory measured in a separate, untimed call in a fresh
process: the growth of the process's peak RSS during the call (this includes matplotlib's
C++ raster buffers, which tracemalloc does not see) and tracemalloc's peak of Python and numpy
allocations during the call.

Printed per size: seconds, time per row and the **linearity ratio** = (time per row) /
(time per row at 500 rows), measured in this run. A ratio at or below 1 means linear or
better (the fixed cost of drawing three figures is spread over more rows); a ratio that grows
with the size means worse than linear. Also: the marginal cost per extra row between sizes,
the page size and both memory figures.

With ``--old`` the report as it was before the template (commit eada82d, read with
``git show``) is timed on 500 rows in the same run, as a baseline for the speed-up; it draws a
bar per service, so it is only run on the smallest size.

Run: ``python benchmarks/bench_report.py [--sizes 500 5000 20000] [--repeats 3] [--old]``
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import types
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from plcapacity.base.limits import data_path  # noqa: E402
from plcapacity.batch.report import batch_report  # noqa: E402
from plcapacity.batch.run import BatchResults, run_batch
from plcapacity.batch.scenarios import read_scenarios  # noqa: E402

EXAMPLE = data_path("examples/services.csv")
OLD_COMMIT = "eada82d"


def synthetic(results, scenarios, n, seed=0):
    """``n`` results (and their scenario rows): the example repeated, perturbed, renamed."""
    rng = np.random.default_rng(seed)
    reps = -(-n // len(results))
    frame = pd.concat([results.table] * reps, ignore_index=True).iloc[:n].copy()
    names = [f"{name}-{i:06d}" for i, name in enumerate(frame["service"])]
    frame["service"] = names
    frame["utilization_after_failures"] = np.clip(
        frame["utilization_after_failures"] * rng.uniform(0.8, 1.2, n), 0, 1.3)
    frame["p_month_below_slo"] = frame["p_month_below_slo"] * rng.uniform(0.5, 1.5, n)
    served = next(c for c in ("served_availability", "served_fraction") if c in frame)
    frame[served] = 1 - (1 - frame[served]) * rng.uniform(0.5, 1.5, n)
    inputs = scenarios.set_index("service").loc[results["service"]].reset_index()
    inputs = pd.concat([inputs] * reps, ignore_index=True).iloc[:n].copy()
    inputs["service"] = names
    return BatchResults(frame, results.seed_entropy), inputs


def old_report():
    """The report module before the template, from git, bound to the current package."""
    root = Path(__file__).resolve().parent.parent
    source = subprocess.run(["git", "-C", str(root), "show",
                             f"{OLD_COMMIT}:plcapacity/report.py"],
                            capture_output=True, text=True, check=True).stdout
    module = types.ModuleType("plcapacity._report_before_template")
    module.__package__ = "plcapacity"
    exec(compile(source, "report.py@" + OLD_COMMIT, "exec"), module.__dict__)
    return module


def memory_in_fresh_process(path):
    """Peak RSS growth and tracemalloc peak of one ``batch_report`` call, in a new process."""
    done = subprocess.run([sys.executable, __file__, "--child", str(path)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _status_kib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def child(path):
    """Linux: VmHWM (this process's peak RSS; unlike ru_maxrss it does not inherit the
    parent's peak across exec) is reset to the current RSS before the call (clear_refs 5)."""
    with open(path, "rb") as stream:
        frame, inputs = pickle.load(stream)
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_kib("VmRSS")
    tracemalloc.start()
    batch_report(frame, scenarios=inputs, source="bench.csv")
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    peak = _status_kib("VmHWM")
    print(json.dumps({"rss_growth": (peak - before) * 1024, "traced": traced,
                      "rss_peak": peak * 1024}))


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - start, value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5_000, 20_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trials", type=int, default=2_000,
                        help="trials of the one example batch the rows are built from")
    parser.add_argument("--old", action="store_true",
                        help=f"also time the report of {OLD_COMMIT} on the smallest size")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child)

    results = run_batch(EXAMPLE, trials=args.trials, seed=1, workers=1, progress=False)
    scenarios = read_scenarios(EXAMPLE)
    frames = {n: synthetic(results, scenarios, n) for n in args.sizes}
    batch_report(*frames[args.sizes[0]][:1], scenarios=frames[args.sizes[0]][1])  # warm-up

    times = {n: [] for n in args.sizes}
    pages = {}
    for _ in range(args.repeats):
        for n in args.sizes:
            frame, inputs = frames[n]
            seconds, page = timed(batch_report, frame, scenarios=inputs, source="bench.csv")
            times[n].append(seconds)
            pages[n] = len(page)

    peaks = {}
    with tempfile.TemporaryDirectory() as folder:
        for n in args.sizes:
            path = Path(folder) / f"{n}.pickle"
            with open(path, "wb") as stream:
                pickle.dump(frames[n], stream)
            peaks[n] = memory_in_fresh_process(path)

    base_n = args.sizes[0]
    base = statistics.median(times[base_n]) / base_n
    print(f"batch_report on synthetic results (example batch repeated; median of "
          f"{args.repeats}; Python {sys.version.split()[0]}, pandas {pd.__version__})")
    print(f"{'rows':>8} {'seconds':>9} {'ms/row':>8} {'linearity':>10} {'marginal':>12} "
          f"{'page MB':>8} {'RSS +MiB':>9} {'traced MiB':>11}")
    previous = None
    for n in args.sizes:
        median = statistics.median(times[n])
        marginal = ("" if previous is None else
                    f"{1e3 * (median - previous[1]) / (n - previous[0]):.3f} ms")
        print(f"{n:>8,} {median:>9.2f} {1e3 * median / n:>8.3f} {median / n / base:>9.2f}x "
              f"{marginal:>12} {pages[n] / 1e6:>8.1f} {peaks[n]['rss_growth'] / 2 ** 20:>9.1f} "
              f"{peaks[n]['traced'] / 2 ** 20:>11.1f}")
        previous = (n, median)
    print(f"linearity = (time per row) / (time per row at {base_n:,} rows), this run; "
          "marginal = extra time per extra row from the previous size")
    print("RSS +MiB = growth of a fresh process's peak RSS during the call (after imports "
          "and the input frames); traced = tracemalloc peak during the call")

    if args.old:
        old = old_report()
        frame, _ = frames[base_n]
        old_seconds = statistics.median(timed(old.batch_report, frame.table)[0]
                                        for _ in range(args.repeats))
        new_seconds = statistics.median(times[base_n])
        print(f"before the template ({OLD_COMMIT}) on {base_n:,} rows: {old_seconds:.2f} s; "
              f"now {new_seconds:.2f} s ({old_seconds / new_seconds:.1f}x faster)")


if __name__ == "__main__":
    main()
