"""The notebooks run top to bottom in a fresh, real Jupyter kernel, without errors, on this
checkout's package; their prose quotes numbers only through the cells that compute them."""

import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

#: The slow tier (``make slow``: ``-m "slow or notebook"``) runs this file; make check skips it.
pytestmark = pytest.mark.notebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

#: Numbers a notebook's Markdown cells may write by hand: section numbers and structural
#: facts that the notebook asserts in code. Everything else comes from Markdown output.
ALLOWED_NUMBERS = {
    "01-connection-ceilings": {"1.", "16-bit"},
    "02-regional-outages": {"2.", "2", "3"},          # "2 of 3 destinations" (asserted)
    "03-batch-sizing-report": {"3."},
    "04-your-estate": {"4."},
    "05-plan-a-deployment": {"5."},
}


def test_the_five_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == ["01-connection-ceilings.ipynb",
                                           "02-regional-outages.ipynb",
                                           "03-batch-sizing-report.ipynb",
                                           "04-your-estate.ipynb",
                                           "05-plan-a-deployment.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_clean(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    # Stored without outputs, execution counts or widget state: what is committed is the
    # code, not stale results (a saved progress bar would show as stuck).
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None
        assert "widgets" not in cell.get("metadata", {})
    assert "widgets" not in notebook.metadata
    assert "application/vnd.jupyter.widget" not in path.read_text(encoding="utf-8")
    # Long runs say progress=False, so that no bar is drawn at all.
    for cell in notebook.cells:
        if cell.cell_type == "code" and re.search(r"\b(simulate|run_batch)\(", cell.source):
            calls = re.findall(r"\b(?:simulate|run_batch)\((?:[^()]|\([^()]*\))*\)", cell.source)
            assert calls and all("progress=False" in call for call in calls), cell.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_prose_numbers_come_from_cells(path):
    """A number written by hand in a Markdown cell drifts from what the cells compute: prose
    numbers are printed by code cells (IPython.display.Markdown) instead."""
    notebook = nbformat.read(path, as_version=4)
    written = set()
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            text = re.sub(r"```.*?```", "", cell.source, flags=re.S)   # shell examples
            text = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)         # formulas
            written |= set(re.findall(r"\S*\d\S*", text))
    assert written <= ALLOWED_NUMBERS[path.stem], written - ALLOWED_NUMBERS[path.stem]


def plcapacity_reads(path) -> bool:
    """The deployment file a notebook wrote loads back."""
    import plcapacity as plc
    deployment, _ = plc.load_deployment(path)
    return len(deployment.destinations) >= 1


def _kernel_env():
    """The kernel imports this checkout's package, whatever is installed in the environment."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_a_fresh_kernel(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    probe = nbformat.v4.new_code_cell("import plcapacity\nprint(plcapacity.__file__)")
    notebook.cells.append(probe)
    # timeout: a cell that hangs fails the test, however slow the machine (not a speed check)
    client = NotebookClient(notebook, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=_kernel_env())  # raises CellExecutionError on any error
    module = Path(notebook.cells[-1].outputs[0]["text"].strip())
    assert module.is_relative_to(ROOT), f"the kernel ran {module}, not this checkout"
    images = sum(1 for cell in notebook.cells for output in cell.get("outputs", [])
                 if "image/png" in output.get("data", {}))
    assert images >= 2  # the pictures really were drawn
    prose = [output["data"]["text/markdown"] for cell in notebook.cells
             for output in cell.get("outputs", []) if "text/markdown" in output.get("data", {})]
    assert prose, "numbers in prose are printed as Markdown by the cells"
    errors = [output for cell in notebook.cells for output in cell.get("outputs", [])
              if output.get("output_type") == "error" or output.get("name") == "stderr"
              and "Traceback" in output.get("text", "")]
    assert not errors
    if path.stem == "03-batch-sizing-report":
        # The report is written next to the notebook (its working folder) and linked.
        report = tmp_path / "reports" / "batch-sizing-report.html"
        assert report.is_file() and report.stat().st_size > 10_000
        assert "reports/batch-sizing-report.html" in str(notebook.cells[-2].outputs)
    if path.stem == "04-your-estate":
        assert (tmp_path / "reports" / "estate-review.html").is_file()
    if path.stem == "05-plan-a-deployment":
        assert plcapacity_reads(tmp_path / "reports" / "plan.toml")
