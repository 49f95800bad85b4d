"""The notebooks run top to bottom in a fresh, real Jupyter kernel, without errors."""

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_the_three_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == ["01-connection-ceilings.ipynb",
                                           "02-regional-outages.ipynb",
                                           "03-batch-sizing-report.ipynb",
                                           "04-your-estate.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_a_fresh_kernel(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    # stored without outputs: what is committed is the code, not stale results
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    client = NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError on any error
    assert time.perf_counter() - start < 60
    images = sum(1 for cell in notebook.cells for output in cell.get("outputs", [])
                 if "image/png" in output.get("data", {}))
    assert images >= 2  # the pictures really were drawn
