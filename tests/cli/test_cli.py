"""The command line, called as a user would: main([...]) with captured output, and the
installed ``plcapacity`` command once through a real subprocess."""

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from plcapacity import __version__
from plcapacity.base.limits import data_path
from plcapacity.cli import main


def run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_ceiling_ranges_and_lists(capsys):
    code, out, err = run(["ceiling", "--nat-ips", "1-8", "--vms", "2,4,8", "--format", "csv"],
                         capsys)
    assert code == 0 and err == ""
    table = pd.read_csv(io.StringIO(out))
    assert len(table) == 24
    assert sorted(table.nat_ips.unique()) == list(range(1, 9))
    row = table.query("nat_ips == 8 and backend_vms == 8").iloc[0]
    # 8 x 8 x 64,000 = 4,096,000 ports, capped by 8 VMs x the NIC's 500,000 flows
    assert row.nat_port_limit == 8 * 8 * 64_000 and row.ceiling == 8 * 500_000
    code, out, _ = run(["ceiling", "--nat-ips", "8", "--vms", "8", "--max-connections-per-vm",
                        "none", "--format", "csv"], capsys)
    assert pd.read_csv(io.StringIO(out)).ceiling[0] == 8 * 8 * 64_000


def test_ceiling_table_is_readable(capsys):
    code, out, _ = run(["ceiling", "--nat-ips", "8", "--vms", "10", "--pls", "1,8"], capsys)
    assert code == 0
    assert "5,120,000" in out and "40,960,000" in out  # the FAQ's figures, with separators
    assert "binding_limit" in out.splitlines()[0]


def test_ceiling_json_and_override_note(capsys):
    code, out, err = run(["ceiling", "--nat-ips", "1", "--vms", "1", "--ports-per-nat-ip",
                          "65_536", "--format", "json"], capsys)
    assert code == 0
    assert json.loads(out)[0]["ceiling"] == 65_536
    assert "ports_per_nat_ip overridden: 65,536 instead of 64,000" in err


def test_ceiling_overflow_and_hypothetical(capsys):
    code, out, _ = run(["ceiling", "--nat-ips", "16", "--vms", "10", "--no-enforce-limits",
                        "--overflow-probability", "1e-3", "--max-connections-per-vm", "none",
                        "--format", "csv"], capsys)
    assert code == 0
    row = pd.read_csv(io.StringIO(out)).iloc[0]
    assert row.ceiling == 16 * 10 * 64_000 and row.effective_ceiling < row.ceiling


def test_size_single_demand(capsys):
    code, out, err = run(["size", "2e6", "--new-connections-per-s", "1000",
                          "--vm-failures-tolerated", "1", "--max-connections-per-vm", "500000",
                          "--top", "3"], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["rank", "pls_count", "nat_ips", "backend_vms"]
    assert len([l for l in lines if l.strip() and l.split()[0] in {"1", "2", "3"}]) == 3
    assert "note: showing the best 3 of" in out
    assert "port_hold_s=65 s is an assumption" in out


def test_size_csv_has_all_rows_and_warning_on_stderr(capsys):
    code, out, err = run(["size", "2000000", "--format", "csv"], capsys)
    assert code == 0
    assert len(pd.read_csv(io.StringIO(out))) == 64
    assert err.startswith("note:") or "warning:" in err
    assert "max_connections_per_vm=500,000: the concurrent flows one VM NIC supports" in err
    code, out, err = run(["size", "2000000", "--format", "csv", "--max-connections-per-vm",
                          "none"], capsys)
    assert "500,000 concurrent flows" in err  # uncapped: the warning says what a VM holds


def test_size_input_file(capsys):
    code, out, err = run(["size", "--input", str(data_path("examples/sizing-requests.csv")),
                          "--format", "csv"], capsys)
    assert code == 0
    result = pd.read_csv(io.StringIO(out))
    requests = pd.read_csv(data_path("examples/sizing-requests.csv"))
    assert list(result.service) == list(requests.service)
    # Every service keeps its headroom after the failures it asked to survive.
    headroom = requests.headroom.fillna(0.2)
    assert (result.utilization_after_failures <= 1 / (1 + headroom) + 1e-9).all()
    assert (result.spare_connections > 0).all()
    assert "port_hold_s=65 s is an assumption" in err  # notes go to stderr for csv


@pytest.mark.parametrize("argv, message", [
    (["ceiling", "--nat-ips", "9", "--vms", "2"], "nat_ips=9 is not allowed"),
    (["ceiling", "--nat-ips", "2,9", "--vms", "2"], "nat_ips=9 at position 1 is not allowed"),
    (["ceiling", "--nat-ips", "a-b", "--vms", "2"], "is not a list of whole numbers"),
    (["ceiling", "--vms", "2", "--format", "xml"], "invalid choice: 'xml'"),
    (["ceiling"], "the following arguments are required: --vms"),
    (["size", "lots"], "'lots' is not a number"),
    (["size", "100", "--headroom", "-1"], "headroom=-1 is not allowed"),
    (["size", "100", "--new-connections-per-s", "1e309"], "'1e309' is not a finite number"),
    (["size", "100", "--ports-per-nat-ip", "1e-300"], "ports_per_nat_ip=1e-300 is not allowed"),
    (["size", "100", "--top", "0"], "'0' is not allowed: a whole number >= 1"),
    (["ceiling", "--nat-ips", "8-1", "--vms", "2"], "the range 8-1 runs backwards"),
    (["ceiling", "--nat-ips", "1", "--vms", "1-99999999999999999999"], "more than 100,000"),
    (["simulate", "no-such.toml"], "no-such.toml: no such deployment file"),
    (["simulate", "x.toml", "--trials", "0"], "'0' is not allowed"),
    (["exact"], "the following arguments are required: deployment"),
    (["size"], "give either CONCURRENT_CONNECTIONS or --input TABLE"),
    (["size", "--input", "no-such-file.csv"], "no-such-file.csv: no such table"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_bad_input_is_one_line_exit_2(argv, message, capsys):
    code, out, err = run(argv, capsys)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("argv", [
    ["size", "100", "--headroom", "x"],            # argparse's own error, in a subcommand
    ["frobnicate"],                                # argparse's error, top level
    ["batch"],                                     # a command's own usage error
    ["batch", "x.csv", "-o", "x.txt"],
    ["report", "x.csv", "-o", "x.pdf"],
    ["ceiling", "--nat-ips", "9", "--vms", "2"],   # a library error
])
def test_error_lines_start_with_the_prefix_once(argv, capsys):
    code, _, err = run(argv, capsys)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("plcapacity: error: ")
    assert err.count("plcapacity:") == 1 and "plcapacity: error: plcapacity" not in err


def test_single_value_has_no_position_but_a_list_does(capsys):
    _, _, err = run(["ceiling", "--nat-ips", "9", "--vms", "2"], capsys)
    assert "position" not in err
    _, _, err = run(["ceiling", "--nat-ips", "1,2", "--vms", "2,9999"], capsys)
    assert "backend_vms=9999 at position 1" in err


@pytest.mark.parametrize("typed", ["10,000,000", "10_000_000", "1e7", "10000000"])
def test_thousands_separators_are_accepted(typed, capsys):
    code, out, _ = run(["size", typed, "--format", "json"], capsys)
    assert code == 0
    assert json.loads(out)[0]["ports_needed"] == 10_000_000


@pytest.mark.parametrize("typed", ["2,5", "1,0000", "10,000,00", ",100", "1,,000"])
def test_commas_other_than_thousands_are_refused(typed, capsys):
    code, _, err = run(["size", typed], capsys)
    assert code == 2 and f"{typed!r} is not a number" in err
    assert "thousands separators" in err


def test_seed_with_thousands_separators(capsys):
    from plcapacity.cli import _whole
    assert _whole("1,234,567") == 1_234_567
    assert _whole("340282366920938463463374607431768211457") == 2 ** 128 + 1  # exact


def test_exact_json_includes_the_process_table(capsys):
    deployment = str(data_path("examples/three-region-active-passive.toml"))
    code, out, err = run(["exact", deployment, "--format", "json"], capsys)
    assert code == 0
    record = json.loads(out)
    assert record["processes"] == 4
    table = pd.DataFrame(record["process_table"])
    assert list(table["process"]) == ["centralus", "eastus", "westus", "us-east-west-pair"]
    assert {"kind", "regions", "rate_per_year", "probability_down"} <= set(table)
    # Full precision, not the 10 digits pandas writes by default.
    assert record["availability"] == pytest.approx(0.9999999684, abs=1e-10)
    assert len(repr(record["availability"])) > 12
    code, out, err = run(["exact", deployment, "--format", "csv"], capsys)
    assert code == 0 and "--format table or json" in err


def test_warnings_name_the_cli_flag(capsys):
    code, _, err = run(["size", "10000"], capsys)
    assert code == 0
    warning = next(line for line in err.splitlines() if line.startswith("warning:"))
    assert "one backend VM: no redundancy" in warning
    assert "(--vm-failures-tolerated 1)" in warning and "vm_failures_tolerated=" not in warning


def test_flag_translation_leaves_other_names_alone():
    from plcapacity.cli import _as_flags
    assert (_as_flags("target_rel_ci=0.01 not reached within max_trials=1,000,000.")
            == "--target-rel-ci 0.01 not reached within max_trials=1,000,000.")
    assert _as_flags("headroom=0.2, seed=7") == "--headroom 0.2, --seed 7"


def test_examples_copies_the_bundled_files(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bundled = sorted(p.relative_to(data_path("examples")).as_posix()
                     for p in data_path("examples").rglob("*") if p.is_file())
    assert "services.csv" in bundled and "estate/pls.json" in bundled
    code, out, err = run(["examples"], capsys)
    assert code == 0 and err == ""
    target = tmp_path / "plcapacity-examples"
    copied = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert copied == bundled
    for name in bundled:
        assert f"wrote plcapacity-examples/{name}\n" in out
        assert (target / name).read_bytes() == (data_path("examples") / name).read_bytes()
    # The copies are usable as they are: the scenario table finds its deployment files.
    code, out, _ = run(["batch", str(target / "services.csv"), "--trials", "200", "--seed", "1",
                        "--no-progress", "--workers", "1"], capsys)
    assert code == 0 and f"{len(pd.read_csv(target / 'services.csv'))} of" in out


def test_examples_refuses_to_overwrite_without_force(tmp_path, capsys):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "services.csv").write_text("my own table\n")
    code, out, err = run(["examples", str(target)], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "already exist" in err and "services.csv" in err and "--force" in err
    assert (target / "services.csv").read_text() == "my own table\n"
    assert not (target / "two-region-active-active.toml").exists()  # nothing half-copied
    code, out, _ = run(["examples", str(target), "--force"], capsys)
    assert code == 0 and "replaced" in out and "services.csv" in out
    assert (target / "services.csv").read_bytes() == data_path("examples/services.csv").read_bytes()


def test_examples_into_a_file_is_an_error(tmp_path, capsys):
    path = tmp_path / "a-file"
    path.write_text("x")
    code, _, err = run(["examples", str(path)], capsys)
    assert code == 2 and "is not a folder" in err


def test_unknown_column_in_input(tmp_path, capsys):
    path = tmp_path / "requests.csv"
    path.write_text("service,concurent_connections\nx,5\n")
    code, _, err = run(["size", "--input", str(path)], capsys)
    assert code == 2 and "unknown column(s) 'concurent_connections'" in err


def test_bad_row_names_row_and_column(tmp_path, capsys):
    path = tmp_path / "requests.csv"
    path.write_text("service,concurrent_connections,headroom\nok,5,0.1\nbad,10,-3\n")
    code, out, err = run(["size", "--input", str(path)], capsys)
    assert code == 1  # the other rows are still sized, as in batch
    assert "error: row 2 (service 'bad'): column headroom='-3' is not allowed" in err
    assert "ok" in out


@pytest.mark.parametrize("demand", ["1e13", "1e19", "1e300"])
def test_infeasible_exit_1(demand, capsys):
    code, _, err = run(["size", demand], capsys)
    assert code == 1
    assert err.startswith("plcapacity: infeasible: demand needs") and err.count("\n") == 1


def test_csv_with_extra_fields_or_no_rows(tmp_path, capsys):
    path = tmp_path / "requests.csv"
    path.write_text("service,concurrent_connections\na,1,2,3\n")
    code, _, err = run(["size", "--input", str(path)], capsys)
    assert code == 2 and "a row has more fields than the header" in err
    path.write_text("service,concurrent_connections\n")
    code, _, err = run(["size", "--input", str(path)], capsys)
    assert code == 2 and "no rows" in err
    path.write_text("")
    code, _, err = run(["size", "--input", str(path)], capsys)
    assert code == 2 and "the file is empty" in err


def test_simulate_prints_summary(capsys):
    deployment = str(data_path("examples/three-region-active-passive.toml"))
    code, out, err = run(["simulate", deployment, "--trials", "2e4", "--seed", "7",
                          "--no-progress"], capsys)
    assert code == 0, err
    lines = dict(line.split(None, 1) for line in out.splitlines() if not line.startswith("note"))
    assert lines["trials"].strip() == "20,000"
    assert 0.9999 < float(lines["availability"]) < 1
    assert "p_month_below_slo" in lines and "top_causes" in lines
    assert "note: exact values exclude failover gaps" in out


def test_simulate_csv_is_reproducible(capsys):
    deployment = str(data_path("examples/two-region-active-active.toml"))
    argv = ["simulate", deployment, "--trials", "5000", "--seed", "3", "--format", "csv"]
    first = run(argv, capsys)[1]
    second = run(argv, capsys)[1]
    assert first == second
    row = pd.read_csv(io.StringIO(first)).iloc[0]
    assert row.trials == 5000


def test_exact_prints_figures_and_processes(capsys):
    deployment = str(data_path("examples/three-region-2of3.toml"))
    code, out, _ = run(["exact", deployment], capsys)
    assert code == 0
    assert "served_availability" in out and "0.9999993750" in out  # 1 - 6.25e-7
    assert "4.565e-04" in out  # q = 1 - exp(-4/8760) for each region


def test_bad_deployment_file_is_one_line(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text("[outages]\nrate_per_year = 1\nduration = { law = 'fixed', hours = 4 }\n"
                    "[[endpoints]]\nname = 'pe'\nregion = 'eastus3'\ndestination = 'x'\n")
    code, _, err = run(["exact", str(path)], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "bad.toml" in err and "eastus3" in err and "closest known: eastus" in err


def test_version_and_help(capsys):
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == f"plcapacity {__version__}"
    for command in ("ceiling", "size"):
        code, out, _ = run([command, "--help"], capsys)
        assert code == 0 and "--format" in out


def test_installed_command_runs():
    beside = Path(sys.executable).with_name("plcapacity")  # this environment's own command
    exe = str(beside) if beside.exists() else shutil.which("plcapacity")
    done = subprocess.run([exe, "ceiling", "--nat-ips", "8", "--vms", "10", "--format", "csv"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "5120000" in done.stdout
    done = subprocess.run([exe, "ceiling", "--nat-ips", "0", "--vms", "10"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1


def test_unseeded_simulation_prints_a_seed_that_reproduces_it(capsys):
    deployment = str(data_path("examples/two-region-active-active.toml"))
    code, first, err = run(["simulate", deployment, "--trials", "3000", "--format", "csv"],
                           capsys)
    seed = err.split("note: seed ")[1].split()[0]
    code, again, _ = run(["simulate", deployment, "--trials", "3000", "--format", "csv",
                          "--seed", seed], capsys)
    assert code == 0 and first == again


def test_simulate_target_metric_flag(capsys):
    deployment = str(data_path("examples/capacity-shortfall.toml"))
    code, out, err = run(["simulate", deployment, "--trials", "2e4", "--seed", "3",
                          "--target-rel-ci", "0.2", "--target-metric", "served",
                          "--no-progress"], capsys)
    assert code == 0, err
    code, _, err = run(["simulate", deployment, "--target-metric", "uptime"], capsys)
    assert code == 2 and "invalid choice: 'uptime'" in err
