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


# ------------------------------------------------------------------ numbers past the arithmetic

def cli(argv):
    import io

    from plcapacity.cli import main
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


#: 2**53 - 1, written out (the bound every count is held to).
MAX_COUNT_WRITTEN = "9,007,199,254,740,991"


@pytest.mark.parametrize("argv, named, allowed", [
    (["ceiling", "--vms", "10", "--max-connections-per-vm", "1e19"], "max_connections_per_vm",
     MAX_COUNT_WRITTEN),
    (["ceiling", "--vms", "7", "--max-connections-per-vm", "9007199254740993"],
     "max_connections_per_vm", MAX_COUNT_WRITTEN),
    (["ceiling", "--vms", "10", "--ports-per-nat-ip", "65537"], "ports_per_nat_ip", "65,536"),
    (["ceiling", "--vms", "10", "--ports-per-nat-ip", "3e9", "--no-enforce-limits",
      "--max-connections-per-vm", "none"], None, None),  # allowed without the limits
    (["ceiling", "--vms", "10", "--ports-per-nat-ip", "1e30", "--no-enforce-limits"],
     "ports_per_nat_ip", MAX_COUNT_WRITTEN),
    (["ceiling", "--vms", "123456789012345678901", "--no-enforce-limits"], "backend_vms",
     MAX_COUNT_WRITTEN),
    (["size", "1000", "--max-connections-per-vm", "2e19"], "max_connections_per_vm",
     MAX_COUNT_WRITTEN),
    (["size", "1000", "--max-connections-per-vm", "9.3e18"], "max_connections_per_vm",
     MAX_COUNT_WRITTEN),
    (["size", "1000", "--vm-hourly-usd", "1e308"], "vm_hourly_usd", "1,000,000"),
    (["size", "1000", "--vm-hourly-usd", "2e6"], "vm_hourly_usd", "1,000,000"),
    (["size", "1000", "--ports-per-nat-ip", "7e18"], "ports_per_nat_ip", "65,536"),
    (["size", "1000", "--consumer-endpoints", "5e18"], "consumer_endpoints",
     MAX_COUNT_WRITTEN),
    (["simulate", ROOT / "data/examples/two-region-active-active.toml", "--trials", "1e300"],
     "--trials", MAX_COUNT_WRITTEN),
    (["simulate", ROOT / "data/examples/two-region-active-active.toml", "--years", "5e20"],
     "--years", MAX_COUNT_WRITTEN),
])
def test_numbers_past_the_arithmetic_are_refused_with_the_range(argv, named, allowed):
    code, out, err = cli(argv)
    if named is None:
        assert code == 0, err
        return
    assert code == 2, (code, out, err)
    assert err.count("\n") == 1 and named in err and allowed in err, err


#: Values past a float's exact whole numbers, past int64, near and past a float's range.
HUGE = ["9007199254740993", "9.3e18", "1e19", "1.8e19", "1e300", "1.7e308"]
SIZE_FLAGS = ["--new-connections-per-s", "--port-hold-s", "--consumer-endpoints",
              "--vm-failures-tolerated", "--vm-hourly-usd", "--ports-per-nat-ip",
              "--max-connections-per-vm", "--zones", "--top", "--headroom"]


def _no_impossible_number(text):
    """No wrapped integer, no infinity and no count with more digits than a float holds."""
    import re
    shown = re.sub(r"'[^']*'", "", text)  # the input quoted in an error may be anything
    assert not re.search(r"\binf\b", shown), text[-500:]
    for number in re.findall(r"-?\d{1,3}(?:,\d{3})+", shown):
        assert not number.startswith("-"), number
        assert len(number.replace(",", "")) <= 16, number


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize("flag", SIZE_FLAGS)
def test_every_size_flag_with_a_huge_value(flag, value):
    """An answer in plain numbers or one line naming the flag's field: never a wrapped integer
    (-9,223,372,036,854,775,808), $inf, or twenty digits a float never had."""
    for fmt in ("table", "csv"):
        code, out, err = cli(["size", "250000", flag, value, "--format", fmt])
        assert code in (0, 1, 2), (code, err)
        if code == 2:
            assert err.count("\n") == 1 and flag[2:].replace("-", "_") in err \
                or flag in err, err
        else:
            _no_impossible_number(out)


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize("flag", ["--max-connections-per-vm", "--ports-per-nat-ip", "--vms",
                                  "--nat-ips", "--pls"])
@pytest.mark.parametrize("enforce", [True, False])
def test_every_ceiling_flag_with_a_huge_value(flag, value, enforce):
    argv = ["ceiling", "--vms", "10", "--nat-ips", "8", flag, value]
    argv += [] if enforce else ["--no-enforce-limits"]
    code, out, err = cli(argv)
    assert code in (0, 2), (code, err)
    if code == 2:
        assert err.count("\n") == 1 and "Traceback" not in err, err
    else:
        _no_impossible_number(out)


def test_a_ceiling_beyond_exact_floats_is_shown_in_scientific_notation():
    # 8 PLS x 8 NAT IPs x (2**53 - 1) VMs x 64,000 ports = 3.6893488147419099e22 by hand
    code, out, err = cli(["ceiling", "--vms", str(2 ** 53 - 1), "--nat-ips", "8", "--pls", "8",
                          "--no-enforce-limits", "--max-connections-per-vm", "none"])
    assert code == 0, err
    assert "3.689e+22" in out
    _no_impossible_number(out)


def test_a_cap_up_to_the_bound_leaves_the_exact_ceiling():
    """A per-VM cap at 2**53 - 1 changes nothing: the ceiling is the ports' (8 NAT IPs x 10
    VMs x 64,000 = 5,120,000 by hand), exact, as an integer; the sizing gives the same
    deployment as without a cap."""
    import plcapacity as plc
    ceiling = plc.connection_ceiling(8, 10, max_connections_per_vm=2 ** 53 - 1)
    assert ceiling == 5_120_000 and isinstance(ceiling, int)
    grid = plc.ceiling_table(8, [10, 5000], max_connections_per_vm=2 ** 53 - 1)
    assert grid["ceiling"].tolist() == [5_120_000, 2_560_000_000]
    capped = plc.size(2_000_000, max_connections_per_vm=2 ** 53 - 1)
    free = plc.size(2_000_000, max_connections_per_vm=None)
    columns = ["pls_count", "nat_ips", "backend_vms", "ceiling", "spare_connections"]
    assert capped.table[columns].astype(float).equals(free.table[columns].astype(float))
    assert (capped["ceiling"] > 0).all() and (capped["spare_connections"] >= 0).all()


@pytest.mark.parametrize("column, value, allowed", [
    ("max_connections_per_vm", "1e19", MAX_COUNT_WRITTEN),
    ("max_connections_per_vm", "9223372036854775807", MAX_COUNT_WRITTEN),
    ("vm_hourly_usd", "1e308", "1,000,000"),
    ("vm_hourly_usd", "inf", "1,000,000"),
    ("consumer_endpoints", "1e19", "8,000"),
])
def test_batch_columns_past_the_arithmetic_are_their_rows_errors(tmp_path, column, value,
                                                                allowed):
    table = tmp_path / "t.csv"
    pd.DataFrame({"service": ["big", "good"], "concurrent_connections": ["1000", "1000"],
                  column: [value, ""]}).to_csv(table, index=False)
    output = tmp_path / "r.json"
    code, out, err = cli(["batch", table, "-o", output, "--no-progress"])
    assert code == 1, err
    results = pd.read_json(output, orient="records", dtype=False)
    assert results.status.tolist() == ["error", "ok"]
    assert column in results.error[0] and allowed in results.error[0], results.error[0]
    _no_impossible_number(out)


def test_trial_counts_past_the_arithmetic_are_shown_briefly():
    import plcapacity as plc
    deployment, outages = plc.load_deployment(ROOT / "data/examples/two-region-active-active.toml")
    for trials in (10 ** 300, 1e300, 2 ** 53):
        with pytest.raises(ValueError) as info:
            plc.simulate(deployment, outages, trials=trials)
        message = str(info.value)
        assert len(message) < 300 and "trials" in message, message
        assert "9,007,199,254,740,991" in message or message.startswith("1e+300 trials x 1")


# ------------------------------------------------------------------ dates out of range

INCIDENTS = ROOT / "data/outages/azure_status_incidents_2018_2020.csv"


@pytest.mark.parametrize("start, end, named", [
    ("2018-01-01", "9999-12-31", "end='9999-12-31'"),
    ("2018-01-01", "3000-06-30", "end='3000-06-30'"),
    ("2018-01-01", "2262-04-12", "end='2262-04-12'"),
    ("0001-01-01", "2019-01-01", "start='0001-01-01'"),
    ("1500-01-01", "2019-01-01", "start='1500-01-01'"),
])
def test_a_fit_period_outside_what_can_be_observed_is_refused(start, end, named):
    """A period ending in 9999 diluted every rate over 7,980 quiet years."""
    code, out, err = cli(["fit-outages", INCIDENTS, "--period", start, end])
    assert code == 2 and out == "", err
    assert err.count("\n") == 1 and named in err and "a date from 1678-01-01 to today" in err


@pytest.mark.parametrize("start, end, fragment", [
    ("2018-01-01", "2024-01-01", "ends 3.6 years after the last incident listed (2020-05-21)"),
    ("2012-01-01", "2020-01-01", "starts 6.0 years before the first incident listed (2018-"),
])
def test_a_period_beyond_the_incidents_listed_is_said_to_lower_the_rates(start, end,
                                                                        fragment):
    code, out, err = cli(["fit-outages", INCIDENTS, "--period", start, end])
    assert code == 0, err
    warning = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and fragment in warning[0] and "lowers the rates" in warning[0]
    import plcapacity as plc
    with pytest.warns(plc.ModelWarning, match="lowers the rates"):
        plc.fit_outages(INCIDENTS, period=(start, end))


@pytest.mark.parametrize("start, end, fragment", [
    ("9999-01-01 00:00", "9999-01-02 00:00", "start_utc='9999-01-01 00:00' is not allowed"),
    ("2019-03-01 00:00", "2262-04-13 00:00", "end_utc='2262-04-13 00:00' is not allowed"),
    ("1000-01-01 00:00", "1000-01-02 00:00", "earlier than a timestamp holds"),
    ("2019-01-01 00:00", "2021-06-01 00:00", "the incident lasts 21,168 hours"),
])
def test_incident_times_out_of_range_name_file_line_and_range(tmp_path, start, end, fragment):
    incidents = tmp_path / "incidents.csv"
    incidents.write_text("service_name,location,start_utc,end_utc\n"
                         "Virtual Machines,West US,2019-01-01 00:00,2019-01-01 04:00\n"
                         f"Virtual Machines,West Europe,{start},{end}\n")
    code, out, err = cli(["fit-outages", incidents])
    assert code == 2 and err.count("\n") == 1, err
    assert f"{incidents} line 3:" in err and fragment in err, err


# ------------------------------------------------------------------ CSV inside the report

@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil","click")', "@SUM(A1)", "+cmd|x",
                                  "-2+3", "\t=1", "\r=1"])
def test_the_reports_download_csv_neutralizes_formulas(tmp_path, name):
    """batch -o neutralized formulas; the report's embedded "download the full table" CSV
    kept them raw."""
    import base64
    import io
    import json
    import re
    table = tmp_path / "t.json"
    table.write_text(json.dumps([{"service": name, "concurrent_connections": 1000},
                                 {"service": "ok", "concurrent_connections": 1000}]))
    code, out, err = cli(["report", table, "-o", tmp_path / "r.html", "--trials", "100"])
    assert code == 0, err
    href = re.search(r'href="data:text/csv;base64,([^"]+)"', (tmp_path / "r.html").read_text())
    cells = pd.read_csv(io.BytesIO(base64.b64decode(href.group(1))), dtype=str,
                        keep_default_na=False)["service"]
    assert sorted(cells) == sorted(["'" + name.strip(), "ok"]) or \
        sorted(cells) == sorted(["'" + name, "ok"]), list(cells)


def test_a_short_list_of_rare_incidents_is_not_warned_about(tmp_path):
    """Three incidents in two years (one a year and a half): months without one at either
    end are what such a rate gives, not a list that stops early."""
    import warnings

    import plcapacity as plc
    incidents = tmp_path / "own.csv"
    incidents.write_text("service_name,location,start_utc,end_utc\n"
                         "Virtual Machines,West US,2019-05-01 00:00,2019-05-01 04:00\n"
                         "Virtual Machines,East US,2019-11-01 00:00,2019-11-01 04:00\n"
                         "Virtual Machines,West US,2020-06-01 00:00,2020-06-01 02:00\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", plc.ModelWarning)
        plc.fit_outages(incidents, period=("2019-01-01", "2021-01-01"))
