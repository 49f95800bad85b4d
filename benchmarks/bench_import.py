"""Benchmark of ``import plcapacity`` (issue 12: under 0.5 s, heavy modules imported where used).

Each repeat starts fresh interpreters, interleaved: one that imports only ``numpy`` and
``pandas`` (the baseline: the package cannot import faster than its two core dependencies) and
one that imports ``plcapacity``. The import time is read with ``python -X importtime`` (the
cumulative microseconds of the top-level import), so interpreter start-up is left out. Printed:
medians, the ratio to the baseline, and the package's own share (plcapacity less the baseline).
Also listed: heavy libraries that ``import plcapacity`` loads (it should load none of scipy,
matplotlib, jinja2, dask, tqdm).

Run: ``python benchmarks/bench_import.py [--repeats 7]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

GOAL_SECONDS = 0.5
HEAVY = ("scipy", "matplotlib", "jinja2", "dask", "tqdm")


def import_seconds(statement):
    """Cumulative import time of the top-level modules of ``statement``. [s]"""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", statement],
                          capture_output=True, text=True, check=True, env=os.environ.copy())
    total = 0
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if not name.startswith(" ") or name[1:2] == " ":  # only top-level imports
            continue
        if cumulative.strip().isdigit():
            total += int(cumulative)
    return total / 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    base, package = [], []
    for _ in range(args.repeats):
        base.append(import_seconds("import numpy, pandas"))
        package.append(import_seconds("import plcapacity"))
    b, p = statistics.median(base), statistics.median(package)
    found = subprocess.run(
        [sys.executable, "-c", "import sys, plcapacity; print(plcapacity.__file__); print(' '"
         ".join(sorted({m.split('.')[0] for m in sys.modules})))"],
        capture_output=True, text=True, check=True).stdout.splitlines()
    where, loaded = found[0], found[1].split()
    heavy = [name for name in HEAVY if name in loaded]
    print(f"import benchmark, {args.repeats} interleaved repeats (median), python "
          f"{sys.version.split()[0]}")
    print(f"  {'what':<34}{'median s':>10}{'ratio':>9}")
    print(f"  {'import numpy, pandas [baseline]':<34}{b:>10.3f}{1:>8.2f}x")
    print(f"  {'import plcapacity':<34}{p:>10.3f}{p / b:>8.2f}x   goal < {GOAL_SECONDS} s: "
          f"{'PASS' if p < GOAL_SECONDS else 'MISS'}")
    print(f"  plcapacity's own share: {p - b:.3f} s")
    print(f"  heavy libraries loaded by the import: {', '.join(heavy) or 'none'}")
    print(f"  measured: {where} (the package importable from the current directory)")


if __name__ == "__main__":
    main()
