"""Regenerate the figures shown in the README (docs/figures/*.png).

Run from the repository root: ``python docs/make_figures.py``. Every figure comes from the
package's own plotting functions on the bundled example data, with fixed seeds.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import plcapacity as plc  # noqa: E402
from plcapacity.base.limits import data_path  # noqa: E402
from plcapacity.batch.run import run_batch  # noqa: E402
from plcapacity.report import plotting  # noqa: E402

OUT = Path(__file__).resolve().parent / "figures"


def save(ax, name):
    ax.figure.savefig(OUT / name, dpi=100, bbox_inches="tight")
    matplotlib.pyplot.close(ax.figure)
    print(OUT / name)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    save(plotting.ceiling_heatmap(backend_vms=[1, 2, 4, 8, 16, 32, 64],
                                  max_connections_per_vm=500_000), "ceiling-heatmap.png")
    deployment, outages = plc.load_deployment(
        data_path("examples/three-region-active-passive.toml"))
    result = plc.simulate(deployment, outages, trials=1_000_000, seed=7, progress=False)
    save(plotting.downtime_histogram(result), "downtime-histogram.png")
    results = run_batch(data_path("examples/services.csv"), trials=100_000, seed=2026,
                        progress=False)
    save(plotting.batch_overview(results), "batch-overview.png")


if __name__ == "__main__":
    main()
