"""Attacks of issue 22 ("Edges of the new surfaces") that a later pass found still open, kept
as tests once fixed: Ctrl-C pressed twice during a batch with worker processes, and at every
stage of the command's start-up.

The subprocess tests wait for conditions (a checkpoint line written, a module reported loaded
by ``-X importtime``), never for a time: a deadline only guards against a hang.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}

#: Guard against a hang only (a run that works ends long before). [s]
HANG_GUARD_S = 300


def _availability_table(path, n):
    rows = [dict(service=f"svc-{i}", concurrent_connections=str(1000 * (i + 1)),
                 pe_regions="eastus;westus2" if i % 2 else "westeurope;northeurope;uksouth",
                 failover="active-passive" if i % 3 == 0 else "active-active")
            for i in range(n)]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _command(args, *, python_flags=()):
    """``plcapacity ...`` (``python -m plcapacity`` is the command's entry point) in a
    session of its own, so that a signal can go to the whole group as a terminal's Ctrl-C
    does."""
    return subprocess.Popen([sys.executable, *python_flags, "-m", "plcapacity",
                             *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV, cwd=ROOT, start_new_session=True)


def _press_ctrl_c(run, times, gap_s):
    for _ in range(times):
        try:
            os.killpg(run.pid, signal.SIGINT)
        except ProcessLookupError:  # the group is gone already
            return
        if gap_s:
            time.sleep(gap_s)


def _group_alive(group):
    """Live processes of a process group (zombies, already dead, left out)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] not in ("Z", "X"):
            alive.append(int(entry.name))
    return alive


def _lock_is_free(path):
    with open(path, "a+") as stream:
        try:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(stream.fileno(), fcntl.LOCK_UN)
        return True


def _assert_one_line_exit_130(run, err):
    lines = [line for line in err.splitlines() if not line.startswith("import time:")]
    assert run.returncode == 130, (run.returncode, err[-800:])
    assert len(lines) == 1 and lines[0].startswith("plcapacity: interrupted"), err[-800:]
    assert "Traceback" not in err


# ------------------------------------------------------------------ Ctrl-C twice, workers

@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("presses, gap_s", [(2, 0), (2, 0.01), (3, 0.1)])
def test_ctrl_c_pressed_again_during_the_clean_up(tmp_path, presses, gap_s):
    """Ctrl-C two or three times while worker processes run: one line, exit 130, no
    process left, the checkpoint unlocked, and --resume finishes the run."""
    table = _availability_table(tmp_path / "t.csv", 6)
    output = tmp_path / "o.csv"
    checkpoint = Path(f"{output}.checkpoint.jsonl")
    args = ["batch", table, "-o", output, "--trials", "1000000", "--seed", "3", "--workers",
            "2", "--no-progress"]
    run = _command(args)
    deadline = time.monotonic() + HANG_GUARD_S
    while run.poll() is None and time.monotonic() < deadline:
        if checkpoint.exists() and len(checkpoint.read_text().splitlines()) >= 2:
            break  # a row finished: workers are busy with the next ones
        time.sleep(0.05)
    assert run.poll() is None, "the run ended before it could be interrupted"
    _press_ctrl_c(run, presses, gap_s)
    try:
        _, err = run.communicate(timeout=HANG_GUARD_S)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        pytest.fail("the interrupted run hung")
    _assert_one_line_exit_130(run, err)
    assert str(checkpoint) in err and "--resume" in err
    while _group_alive(run.pid) and time.monotonic() < deadline:
        time.sleep(0.05)  # workers end with their parent (terminated, or by the kernel)
    assert not _group_alive(run.pid), "worker processes outlived the run"
    assert _lock_is_free(checkpoint), "the checkpoint is still locked"
    resumed = _command([*args, "--resume"])
    _, err = resumed.communicate(timeout=HANG_GUARD_S)
    assert resumed.returncode == 0, err
    assert output.exists() and not checkpoint.exists()
    assert len(pd.read_csv(output)) == 6


# ------------------------------------------------------------------ Ctrl-C during start-up

@pytest.mark.slow
@pytest.mark.parametrize("presses", [1, 2])
@pytest.mark.parametrize("loaded", [
    "plcapacity.cli.main",        # the parser is built next
    "numpy",                      # the command loads its libraries
    "pandas",
    "plcapacity.base.version",    # the version lookup (the batch names it in its results)
    "plcapacity.batch.run",       # about to read the table
])
def test_ctrl_c_at_each_stage_of_start_up(tmp_path, loaded, presses):
    """Ctrl-C as soon as a module has loaded (the interpreter reports each import on stderr
    with -X importtime): one line and exit 130 at every stage."""
    table = _availability_table(tmp_path / "t.csv", 2)
    run = _command(["batch", table, "-o", tmp_path / "o.csv", "--trials", "1000000",
                    "--workers", "2", "--no-progress"], python_flags=("-X", "importtime"))
    seen = []
    for line in run.stderr:  # until the module is reported (or the run ends)
        seen.append(line)
        if line.startswith("import time:") and line.rsplit("|", 1)[-1].strip() == loaded:
            break
    assert run.poll() is None, "the run ended before the module loaded"
    _press_ctrl_c(run, presses, 0)
    try:
        _, rest = run.communicate(timeout=HANG_GUARD_S)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        pytest.fail("the interrupted run hung")
    _assert_one_line_exit_130(run, "".join(seen) + rest)
