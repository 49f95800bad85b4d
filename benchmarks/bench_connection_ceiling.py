"""Benchmark ``plcapacity.connection_ceiling`` against baselines timed in the same run.

What it measures
----------------
``connection_ceiling(nat_ips, backend_vms, pls_count)`` over N random but realistic
configurations (default N = 10**7): nat_ips 1..8, backend_vms 1..5000, pls_count 1..8, drawn
with ``np.random.default_rng(seed)``. It is timed with

* int64 ndarrays (the main case),
* float64 ndarrays holding the same whole numbers (validation must also check they are whole),
* pandas Series of the int64 data (conversion in, Series with index out).

Two references are timed in the same run:

1. Baseline: a bare numpy ``a * b * c * k`` (k = 64,000 ports per NAT IP) over the same
   arrays: what the arithmetic alone costs, with no validation or container handling.
   Goal: ``connection_ceiling`` takes at most 3x the baseline.
2. A naive pure-Python loop over rows that checks 1 <= nat <= 8, 1 <= vms <= 5000,
   1 <= pls <= 8 on each row and multiplies. It is slow, so it is timed on the first
   ``--subset`` rows (default 10**5; inputs already converted to Python lists, not timed)
   and scaled linearly to N. The output says so.

How it is measured
------------------
``time.perf_counter`` around each call; the result is kept alive until the clock stops, so
freeing it is not timed. Every case is run once untimed first (as a warm-up and to check that
its result equals the baseline's: the script aborts with exit status 1 if not). Then each of
``--repeats`` rounds runs the baseline and the candidates alternately, so that slow spells of
a shared machine hit both; the figure for each is the MEDIAN over rounds.

How to read the output
----------------------
The machine is shared and noisy, so absolute seconds mean little; read the RATIOS.
``ratio`` is median(candidate) / median(baseline); ``spread`` is the smallest and largest
per-round ratio (candidate and baseline timed side by side in the same round), a measure of
how much to trust the ratio. PASS/MISS compares the ratio with the 3x goal. The last line is
the peak resident memory of the process (``ru_maxrss``), which includes the input arrays.

Run it from the repository root::

    python benchmarks/bench_connection_ceiling.py [--size N] [--repeats R]
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import sys
import time

import numpy as np
import pandas as pd

import plcapacity
from plcapacity import connection_ceiling

#: Ports per NAT IP per backend VM: the package's default (limits.ports_per_nat_ip).
PORTS_PER_NAT_IP = 64_000
#: Inclusive ranges Azure allows, the same ones connection_ceiling enforces by default.
NAT_IPS = (1, 8)
BACKEND_VMS = (1, 5000)
PLS_COUNT = (1, 8)
#: connection_ceiling may take at most this many times the bare numpy baseline.
GOAL_RATIO = 3.0


# --------------------------------------------------------------------------------------------
# The functions being compared
# --------------------------------------------------------------------------------------------

def bare_numpy(nat_ips, backend_vms, pls_count):
    """Baseline: the arithmetic alone, no validation."""
    return nat_ips * backend_vms * pls_count * PORTS_PER_NAT_IP


def naive_python(nat_ips, backend_vms, pls_count):
    """Reference: a per-row pure-Python loop with per-row validation (inputs are lists)."""
    out = []
    for row, (nat, vms, pls) in enumerate(zip(nat_ips, backend_vms, pls_count)):
        if not (NAT_IPS[0] <= nat <= NAT_IPS[1] and BACKEND_VMS[0] <= vms <= BACKEND_VMS[1]
                and PLS_COUNT[0] <= pls <= PLS_COUNT[1]):
            raise ValueError(f"row {row}: nat_ips={nat}, backend_vms={vms}, pls_count={pls} "
                             "is out of range")
        out.append(nat * vms * pls * PORTS_PER_NAT_IP)
    return out


# --------------------------------------------------------------------------------------------
# Inputs, cases and timing
# --------------------------------------------------------------------------------------------

def make_inputs(size, seed):
    """Three int64 arrays of length ``size``: nat_ips, backend_vms, pls_count."""
    rng = np.random.default_rng(seed)
    return tuple(rng.integers(low, high + 1, size=size, dtype=np.int64)
                 for low, high in (NAT_IPS, BACKEND_VMS, PLS_COUNT))


def make_cases(ints, subset):
    """Name -> (function, arguments) for every timed call, in the order they run each round.

    Each candidate directly follows its baseline, so the two are interleaved.
    """
    floats = tuple(a.astype(np.float64) for a in ints)
    series = tuple(pd.Series(a) for a in ints)
    lists = tuple(a[:subset].tolist() for a in ints)
    return {
        "numpy int64": (bare_numpy, ints),
        "ceiling int64": (connection_ceiling, ints),
        "numpy float64": (bare_numpy, floats),
        "ceiling float64": (connection_ceiling, floats),
        "numpy int64 (again)": (bare_numpy, ints),
        "ceiling Series": (connection_ceiling, series),
        "naive subset": (naive_python, lists),
    }


def time_call(function, args):
    """Seconds for one call; the result is freed only after the clock stops."""
    start = time.perf_counter()
    result = function(*args)
    elapsed = time.perf_counter() - start
    del result
    return elapsed


def check_results(cases, subset):
    """Run every case once (also a warm-up) and abort unless all equal the int64 baseline."""
    expected = bare_numpy(*cases["numpy int64"][1])
    for name, (function, args) in cases.items():
        got = np.asarray(function(*args))
        want = expected[:subset] if name == "naive subset" else expected
        if not np.array_equal(got, want):
            bad = int(np.flatnonzero(got != want)[0]) if got.shape == want.shape else None
            sys.exit(f"ABORT: '{name}' does not equal the baseline a*b*c*k "
                     f"(shape {got.shape} vs {want.shape}, first difference at {bad})")


def run_rounds(cases, repeats):
    """Name -> list of seconds, one per round; every round runs all cases in order."""
    times = {name: [] for name in cases}
    for _ in range(repeats):
        for name, (function, args) in cases.items():
            times[name].append(time_call(function, args))
    return times


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

def compare(times, candidate, baseline, scale=1.0):
    """Ratio of medians and (min, max) of per-round ratios of ``candidate`` to ``baseline``."""
    cand = [t * scale for t in times[candidate]]
    per_round = [c / b for c, b in zip(cand, times[baseline])]
    ratio = statistics.median(cand) / statistics.median(times[baseline])
    return statistics.median(cand), ratio, (min(per_round), max(per_round))


def peak_memory_mib():
    """Peak resident memory of this process (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def print_header(size, repeats, seed, subset):
    print("connection_ceiling benchmark")
    print(f"  N = {size:,} configurations, {repeats} rounds (median), seed {seed}")
    print(f"  inputs: nat_ips {NAT_IPS[0]}..{NAT_IPS[1]}, backend_vms {BACKEND_VMS[0]}.."
          f"{BACKEND_VMS[1]}, pls_count {PLS_COUNT[0]}..{PLS_COUNT[1]}; "
          f"k = ports_per_nat_ip = {PORTS_PER_NAT_IP:,}")
    print(f"  python {platform.python_version()}, numpy {np.__version__}, "
          f"pandas {pd.__version__}, plcapacity {plcapacity.__version__}, "
          f"{platform.system()} {platform.machine()}")
    print(f"  naive Python loop: timed on the first {subset:,} rows, scaled x{size / subset:g} "
          "to N (linear)")


def print_table(times, size, subset):
    """One line per comparison; returns the headline (int64) ratio."""
    scale = size / subset
    rows = [  # label, candidate, baseline, scale, judged against the goal
        ("numpy a*b*c*k, int64 [baseline]", "numpy int64", "numpy int64", 1.0, False),
        ("numpy a*b*c*k, float64", "numpy float64", "numpy int64", 1.0, False),
        ("connection_ceiling, int64 ndarray", "ceiling int64", "numpy int64", 1.0, True),
        ("connection_ceiling, float64 ndarray", "ceiling float64", "numpy float64", 1.0, True),
        ("  same, vs the int64 baseline", "ceiling float64", "numpy int64", 1.0, False),
        ("connection_ceiling, pandas Series", "ceiling Series", "numpy int64 (again)", 1.0, True),
        ("naive Python loop (scaled to N)", "naive subset", "numpy int64", scale, False),
    ]
    print()
    print(f"{'what':<38}{'median s':>10}  {'vs baseline':<15}{'ratio':>8}  "
          f"{'spread':<17}goal <= {GOAL_RATIO:g}x")
    ratios = {}
    for label, candidate, baseline, factor, judged in rows:
        seconds, ratio, (low, high) = compare(times, candidate, baseline, factor)
        ratios[candidate, baseline] = ratio
        against = "float64 numpy" if baseline == "numpy float64" else "int64 numpy"
        verdict = ("PASS" if ratio <= GOAL_RATIO else "MISS") if judged else ""
        spread = "-" if candidate == baseline else f"{low:.2f}..{high:.2f}x"
        print(f"{label:<38}{seconds:>10.4g}  {against:<15}{ratio:>7.2f}x  {spread:<17}{verdict}")
    naive_vs_ceiling = ratios["naive subset", "numpy int64"] / ratios["ceiling int64", "numpy int64"]
    print(f"\nconnection_ceiling (int64) is {naive_vs_ceiling:,.0f}x faster than the naive "
          "Python loop (scaled).")
    return ratios["ceiling int64", "numpy int64"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10**7, help="configurations (default 10**7)")
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds (default 7)")
    parser.add_argument("--subset", type=int, default=10**5,
                        help="rows timed for the naive Python loop (default 10**5)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    if args.size < 1 or args.repeats < 1 or args.subset < 1:
        parser.error("--size, --repeats and --subset must be at least 1")
    subset = min(args.subset, args.size)

    print_header(args.size, args.repeats, args.seed, subset)
    cases = make_cases(make_inputs(args.size, args.seed), subset)
    check_results(cases, subset)
    print("  check: every result equals the baseline a*b*c*k (np.array_equal): ok")
    times = run_rounds(cases, args.repeats)
    headline = print_table(times, args.size, subset)
    verdict = "PASS" if headline <= GOAL_RATIO else "MISS"
    print(f"headline: connection_ceiling(int64) / numpy a*b*c*k = {headline:.2f}x  "
          f"-> {verdict} (goal <= {GOAL_RATIO:g}x)")
    print(f"peak memory (ru_maxrss): {peak_memory_mib():,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
