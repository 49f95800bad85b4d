"""``plcapacity batch``: the columns, usage errors before any work, a sizing-only run."""

import pandas as pd
import pytest


def test_columns_lists_every_scenario_column(cli):
    code, out, err = cli(["batch", "--columns"])
    assert code == 0 and err == ""
    assert out.startswith("service [") and "concurrent_connections [" in out
    assert "    allowed: " in out


@pytest.mark.parametrize("argv, message", [
    (["batch"], "give a scenario table (or --columns)"),
    (["batch", "x.csv", "--resume"], "--resume needs -o"),
    (["batch", "x.csv", "-o", "x.txt"], "the output must end in .csv, .parquet or .json"),
    (["batch", "x.csv", "-o", "/no/such/folder/x.csv"], "the folder /no/such/folder does not "
                                                         "exist"),
])
def test_usage_errors_come_before_the_work(argv, message, cli):
    code, out, err = cli(argv)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert message in err


def test_a_sizing_only_table_is_sized_and_written(tmp_path, cli):
    table = tmp_path / "services.csv"
    table.write_text("service,concurrent_connections\nsmall,100000\nlarge,5000000\n")
    output = tmp_path / "results.csv"
    code, out, err = cli(["batch", str(table), "-o", str(output), "--workers", "1",
                          "--no-progress"])
    assert code == 0, err
    assert out.splitlines()[0].split()[:2] == ["service", "status"]
    assert f"2 of 2 services sized; results in {output}" in out
    assert "note: seed" not in out  # nothing simulated, nothing to reproduce
    results = pd.read_csv(output)
    assert list(results["service"]) == ["small", "large"] and (results["status"] == "ok").all()


def test_a_failed_row_exits_1_and_is_reported(tmp_path, cli):
    table = tmp_path / "services.csv"
    table.write_text("service,concurrent_connections\ngood,1000\nbad,-5\n")
    code, out, _ = cli(["batch", str(table), "--workers", "1", "--no-progress"])
    assert code == 1
    assert "error: " in out and "bad" in out and "1 of 2 services sized" in out


def test_the_terminal_names_the_outage_model_and_failover_behind_the_figures(cli, tmp_path):
    table = tmp_path / "s.csv"
    table.write_text("service,concurrent_connections,pe_regions,failover,failover_delay_min\n"
                     "a,1000,eastus,,\nb,1000,eastus;westus2,active-passive,5\n")
    code, out, _ = cli(["batch", str(table), "--trials", "200", "--seed", "1"])
    assert code == 0
    assert "note: outage model: azure-datapath-2018-2019 (4 correlated group(s)) (2 services)" \
        in out
    assert "active-active (no failover delay) (1 service)" in out
    assert "active-passive, delay fixed 5 min (1 service)" in out


def test_output_onto_a_link_writes_the_file_it_leads_to(tmp_path, cli):
    table = tmp_path / "services.csv"
    table.write_text("service,concurrent_connections\nsmall,100000\n")
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "results.csv"
    link = tmp_path / "results.csv"
    link.symlink_to(target)                                   # the file is not there yet
    code, out, err = cli(["batch", str(table), "-o", str(link), "--workers", "1",
                          "--no-progress"])
    assert code == 0, err
    assert link.is_symlink() and link.resolve() == target
    assert list(pd.read_csv(target)["service"]) == ["small"]
    assert not list(tmp_path.glob("*.checkpoint.jsonl"))     # removed at the end, as always


def test_a_chain_of_links_to_the_input_is_refused_in_one_line(tmp_path, cli):
    """The input check compares the files the names lead to: output -> link -> input."""
    table = tmp_path / "services.csv"
    table.write_text("service,concurrent_connections\nsmall,100000\n")
    before = table.read_bytes()
    (tmp_path / "middle.csv").symlink_to(table)
    (tmp_path / "out.csv").symlink_to(tmp_path / "middle.csv")
    code, out, err = cli(["batch", str(table), "-o", str(tmp_path / "out.csv"),
                          "--no-progress"])
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"output {tmp_path / 'out.csv'} is the input table itself" in err
    assert table.read_bytes() == before and (tmp_path / "out.csv").is_symlink()


def test_a_scheduler_where_nothing_listens_is_one_line(tmp_path, cli, monkeypatch):
    """Exit 2 with one line naming the scheduler and its address, no traceback (the connect
    timeout shortened so the test does not wait: the outcome is the same whatever the wait)."""
    import socket
    pytest.importorskip("distributed")
    import plcapacity.base.execution as execution
    monkeypatch.setattr(execution, "SCHEDULER_CONNECT_TIMEOUT_S", 0.2)
    with socket.socket() as probe:                      # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    table = tmp_path / "services.csv"
    table.write_text("service,concurrent_connections,pe_regions\na,1000,eastus;westus2\n")
    code, out, err = cli(["batch", str(table), "--scheduler", address, "--trials", "100",
                          "--no-progress"])
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"plcapacity: error: scheduler='{address}': cannot reach the Dask "
                          "scheduler (")
    assert "Traceback" not in err
