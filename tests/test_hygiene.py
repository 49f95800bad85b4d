"""Code hygiene: the ruff configuration in pyproject.toml passes on the whole repository."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.fail("ruff is a test dependency (pyproject.toml [test]); install it")
    run = subprocess.run([ruff, "check", "--no-cache", "plcapacity", "tests", "benchmarks",
                          "docs"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
