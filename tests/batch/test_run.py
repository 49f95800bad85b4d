"""Batch runs: row errors, sizing equal to size(), reproducibility, Dask, resume, atomic output."""

import dataclasses
import json
import math
import os
import pickle
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import plcapacity as plc
from plcapacity.base.exceptions import BatchInputError
from plcapacity.base.limits import data_path
from plcapacity.batch.run import BatchResults, batch_overview, run_batch, write_results
from plcapacity.batch.scenarios import COLUMNS, RESULT_COLUMNS, columns_table, read_scenarios
from plcapacity.cli import main

EXAMPLE = data_path("examples/services.csv")
ROOT = Path(__file__).resolve().parents[2]


def frame(**columns):
    return pd.DataFrame(columns)


# ----------------------------------------------------------------------------- sizing


def test_each_row_gets_rank_1_of_size():
    """Random demands, tricky decimals included: the vectorized batch picks what size() ranks
    first (size() itself is checked against a brute-force search in test_capacity.py)."""
    rng = np.random.default_rng(4)
    n = 150
    concurrent = np.round(10 ** rng.uniform(2, 9.5, n))
    concurrent[:3] = [1_000_000, 5_406_720_000, 512_000]   # float-noise and exact-fit cases
    headroom = rng.choice([0.0, 0.1, 0.2, 0.25, 0.3, 0.7], n)
    headroom[:3] = [0.2, 0.1, 0.0]
    table = frame(service=[f"svc-{i}" for i in range(n)], concurrent_connections=concurrent,
                  new_connections_per_s=np.round(rng.uniform(0, 5000, n)),
                  port_hold_s=rng.choice([16, 30, 65, 120], n), headroom=headroom,
                  vm_failures_tolerated=rng.integers(0, 4, n),
                  max_connections_per_vm=np.where(rng.random(n) < 0.3, np.nan, np.where(
                      rng.random(n) < 0.5, np.inf, rng.choice([1e5, 2.5e5, 5e5], n))),
                  consumer_endpoints=rng.integers(1, 3000, n))
    result = run_batch(table, seed=1)
    for row, got in zip(table.itertuples(), result.itertuples()):
        kwargs = dict(new_connections_per_s=row.new_connections_per_s,
                      port_hold_s=row.port_hold_s, headroom=row.headroom,
                      vm_failures_tolerated=int(row.vm_failures_tolerated),
                      max_connections_per_vm=(
                          "nic" if math.isnan(row.max_connections_per_vm)  # empty: the default
                          else None if math.isinf(row.max_connections_per_vm)  # "none"
                          else row.max_connections_per_vm),
                      consumer_endpoints=int(row.consumer_endpoints))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                best = plc.size(row.concurrent_connections, **kwargs).iloc[0]
            except plc.InfeasibleDemandError as error:
                assert got.status == "infeasible" and str(error) in got.error
                continue
        assert got.status == "ok", got.error
        assert (got.pls_count, got.nat_ips, got.backend_vms) == (
            best.pls_count, best.nat_ips, best.backend_vms), row
        assert got.ceiling == best.ceiling and got.ports_needed == best.ports_needed
        assert got.spare_connections == best.spare_connections
        assert got.utilization_after_failures == pytest.approx(best.utilization_after_failures)
        assert got.binding_limit == best.binding_limit


def test_months_to_ceiling():
    # the utilization left after tolerated failures, u, grows by (1 + g) a year:
    # u (1+g)^(m/12) = 1  =>  m = 12 ln(1/u) / ln(1+g)
    result = run_batch(frame(service=["a", "b"], concurrent_connections=[100_000, 100_000],
                             growth_per_year=[0.5, 0], vm_failures_tolerated=[1, 0]), seed=1)
    u = result.utilization_after_failures[0]
    assert result.months_to_ceiling[0] == pytest.approx(12 * math.log(1 / u) / math.log(1.5))
    assert result.months_to_ceiling[1] == math.inf


# ----------------------------------------------------------------------------- errors


def test_row_errors_are_collected_and_other_rows_computed():
    table = frame(service=["good", "bad-headroom", "bad-region", "huge", "good2", "good"],
                  concurrent_connections=["1000", "1000", "1000", "1e14", "2_000", "5"],
                  headroom=["", "-0.5", "", "", "0.1", ""],
                  pe_regions=["", "", "eastus;eastus9", "", "eastus", ""])
    result = run_batch(table, seed=1, trials=2_000)
    assert list(result.status) == ["error", "error", "error", "infeasible", "ok", "error"]
    error = result.error.tolist()
    assert error[1] == ("row 2 (service 'bad-headroom'): column headroom='-0.5' is not "
                        "allowed: a fraction from 0 to 10 (0.2 or 20% = 20 % spare)")
    assert "row 3 (service 'bad-region')" in error[2] and "'eastus9'" in error[2]
    assert "closest known: eastus" in error[2]
    assert error[3].startswith("row 4 (service 'huge'): infeasible: demand cannot be met")
    assert "appears in rows 1, 6" in error[0] and "appears in rows 1, 6" in error[5]
    assert result.backend_vms[4] >= 1 and result.availability[4] > 0.99
    assert result.failed_rows == 5


def test_on_error_raise_stops_at_first_bad_row():
    table = frame(service=["a", "b"], concurrent_connections=["10", "-1"])
    with pytest.raises(ValueError, match="row 2 \\(service 'b'\\): column "
                                         "concurrent_connections='-1'"):
        run_batch(table, on_error="raise")


# ----------------------------------------------------------------------------- availability


def test_availability_matches_exact_within_ci():
    # 12 outages a year of median 10 h per region: frequent enough to measure
    table = frame(service=["frequent"], concurrent_connections=[100_000],
                  pe_regions=["eastus;westus2"], destination_region=["centralus"],
                  outage_rate_per_year=[12], outage_median_hours=[10], outage_p95_hours=[30])
    result = run_batch(table, seed=5, trials=40_000)
    row = result.iloc[0]
    half = (row.availability_ci_high - row.availability_ci_low) / 2
    assert abs(row.availability - row.exact_availability) <= 2.1 * half  # ~4 standard errors
    # down while centralus (the PLS) is down, or both endpoint regions are
    law = plc.OutageModel(12, {"law": "lognormal", "median_hours": 10, "p95_hours": 30})
    q = law.processes(["centralus"])[0].probability_down
    assert 1 - row.exact_availability == pytest.approx(1 - (1 - q) * (1 - q ** 2), rel=1e-9)


def test_highly_available_rows_get_measured_figures_not_one():
    """The two-region example (each region down 1e-4 of the time): down about 1e-8 of the
    time, about one episode in 100,000 plain trials. The row is importance-sampled: a
    measured availability below 1 whose interval holds the exact value, a month risk above 0
    with its note naming the method; the overview shows the digits, not 1.000000 and 0.00%."""
    path = data_path("examples/two-region-active-active.toml")
    table = frame(service=["rare"], concurrent_connections=[100_000], deployment=[str(path)])
    result = run_batch(table, seed=5, trials=100_000, progress=False,
                       allow_outside_paths=True)
    row = result.iloc[0]
    assert 0.9999999 < row.availability < 1 and row.p_month_below_slo > 0
    assert row.availability_ci_low <= row.exact_availability <= row.availability_ci_high
    assert "importance sampling" in row.availability_note
    shown = batch_overview(result).iloc[0]
    assert shown["availability"].startswith("0.9999999"), shown["availability"]
    assert shown["p_month_below_slo"] != "0.00%" and shown["p_month_below_slo"].endswith("%")


def test_availability_does_not_depend_on_the_objective():
    # the default outage model is fitted to evidence: the objective changes the SLO columns only
    table = frame(service=["a", "b"], concurrent_connections=[1_000, 1_000],
                  pe_regions=["eastus", "eastus"], slo_percent=[99.95, 99.999])
    result = run_batch(table, seed=1, trials=2_000)
    assert result.exact_availability[0] == result.exact_availability[1]
    assert result.p_month_below_slo[0] <= result.p_month_below_slo[1]
    profile = plc.outage_profile("azure-datapath-2018-2019")  # the default
    expected = np.prod([1 - p.probability_down for p in profile.processes(["eastus"])])
    assert result.exact_availability[0] == pytest.approx(expected, rel=1e-12)


def test_sla_calibrated_profile_is_todays_calibration_on_request():
    table = frame(service=["a"], concurrent_connections=[1_000], pe_regions=["eastus"],
                  slo_percent=[99.95], outage_profile=["sla-calibrated"])
    result = run_batch(table, seed=1, trials=1_000)
    assert result.exact_availability[0] == pytest.approx(0.9995, rel=1e-12)
    per_run = run_batch(table.drop(columns="outage_profile"), seed=1, trials=1_000,
                        outage_profile="sla-calibrated")
    assert per_run.exact_availability[0] == pytest.approx(0.9995, rel=1e-12)
    bad = run_batch(frame(service=["a", "b"], concurrent_connections=[1, 1],
                          pe_regions=["eastus", "eastus"],
                          outage_profile=["made-up", ""], outage_median_hours=["", "3"]),
                    trials=1_000, seed=1)
    assert "column outage_profile='made-up' is not allowed" in bad.error[0]
    assert "need outage_rate_per_year" in bad.error[1]


def test_rows_do_not_depend_on_other_rows_or_order():
    table = read_scenarios(EXAMPLE)
    full = run_batch(table, seed=11, trials=3_000, workers=1)
    shuffled = table.sample(frac=1, random_state=3)
    subset = shuffled[shuffled.service != "payments-api"].head(12)
    other = run_batch(subset, seed=11, trials=3_000, workers=2)
    merged = full.set_index("service").loc[other.service]
    pd.testing.assert_frame_equal(merged.reset_index(), other.table, check_exact=True)


def test_seed_changes_numbers_and_unseeded_runs_report_entropy():
    table = frame(service=["a"], concurrent_connections=[1_000], pe_regions=["eastus"],
                  outage_rate_per_year=[20])
    one = run_batch(table, seed=1, trials=5_000)
    two = run_batch(table, seed=2, trials=5_000)
    assert one.availability[0] != two.availability[0]
    unseeded = run_batch(table, trials=5_000)
    assert one.seed_entropy == 1 and unseeded.seed_entropy >= 2 ** 64  # fresh: 128 bits
    again = run_batch(table, trials=5_000, seed=unseeded.seed_entropy)
    assert unseeded.availability[0] == again.availability[0]


@pytest.mark.slow
def test_dask_cluster_equals_local_run():
    from distributed import Client, LocalCluster
    table = read_scenarios(EXAMPLE)
    local = run_batch(table, seed=7, trials=70_000, workers=1)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        distributed = run_batch(table, seed=7, trials=70_000, scheduler=client)
        by_address = run_batch(table.head(3), seed=7, trials=70_000,
                               scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(local.table, distributed.table, check_exact=True)
    pd.testing.assert_frame_equal(local.head(3), by_address.table, check_exact=True)


# ----------------------------------------------------------------------------- files


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_write_and_read_formats(tmp_path, suffix):
    result = run_batch(read_scenarios(EXAMPLE).head(4), seed=1, trials=2_000)
    path = tmp_path / f"results{suffix}"
    write_results(result, path)
    assert not list(tmp_path.glob(".*tmp"))
    back = {".csv": pd.read_csv, ".parquet": pd.read_parquet,
            ".json": lambda p: pd.read_json(p, orient="records")}[suffix](path)
    assert list(back.service) == list(result.service)
    assert list(back.columns) == list(result.columns)
    # and scenario tables in the same formats are read back
    scenarios = read_scenarios(EXAMPLE).head(2)
    if suffix != ".csv":
        source = tmp_path / f"scenarios{suffix}"
        (scenarios.to_parquet(source) if suffix == ".parquet"
         else scenarios.to_json(source, orient="records"))
        assert run_batch(source, seed=1, trials=1_000).status.tolist() == ["ok", "ok"]


def test_failed_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "results.csv"
    path.write_text("previous results\n")
    result = run_batch(frame(service=["a"], concurrent_connections=[10]))

    def broken(self, target, **kwargs):
        Path(target).write_text("half a fi")
        raise KeyboardInterrupt  # killed mid-write
    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(KeyboardInterrupt):
        write_results(result, path)
    assert path.read_text() == "previous results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]


def test_checkpoint_resume_and_settings_mismatch(tmp_path, monkeypatch):
    import plcapacity.batch.checkpoint as checkpoint_module
    import plcapacity.batch.run as batch
    table = read_scenarios(EXAMPLE).head(6)
    checkpoint = tmp_path / "run.checkpoint.jsonl"
    full = run_batch(table, seed=2, trials=4_000, workers=1, checkpoint=checkpoint)
    assert not checkpoint.exists()  # a finished run removes its checkpoint
    # keep the checkpoint this time, then cut it as a kill would: 3 rows and half a line
    monkeypatch.setattr(checkpoint_module.Checkpoint, "remove", lambda self: None)
    run_batch(table, seed=2, trials=4_000, workers=1, checkpoint=checkpoint)
    lines = checkpoint.read_text().splitlines()
    assert len(lines) == 1 + 5  # header + the 5 rows with availability
    checkpoint.write_text("\n".join(lines[:4]) + "\n" + lines[4][:40])
    calls = []
    original = batch.simulate_task
    monkeypatch.setattr(batch, "simulate_task",
                        lambda *args: calls.append(1) or original(*args))
    resumed = run_batch(table, seed=2, trials=4_000, workers=1, checkpoint=checkpoint,
                        resume=True)
    assert len(calls) == 2  # only the rows not yet in the checkpoint were simulated
    pd.testing.assert_frame_equal(resumed.table, full.table, check_exact=True)
    with pytest.raises(BatchInputError, match="trials=4000, not 5000"):
        run_batch(table, seed=2, trials=5_000, checkpoint=checkpoint, resume=True)
    with pytest.raises(BatchInputError, match="another seed"):
        run_batch(table, seed=3, trials=4_000, checkpoint=checkpoint, resume=True)


def wait_for_checkpoint_lines(run, checkpoint, lines):
    """Poll until the checkpoint holds ``lines`` lines or the run has ended (no deadline: a
    run ends by itself, and a busy machine only makes the wait longer)."""
    while run.poll() is None:
        if checkpoint.exists() and len(checkpoint.read_text().splitlines()) >= lines:
            return
        time.sleep(0.05)


def _cli_batch(args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "plcapacity", "batch", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, **kwargs)


@pytest.mark.slow
def test_killed_run_leaves_no_results_and_resume_equals_uninterrupted(tmp_path):
    table = read_scenarios(EXAMPLE)
    table = table[table.deployment == ""].head(8)  # rows that need no deployment file
    scenarios = tmp_path / "scenarios.csv"
    table.to_csv(scenarios, index=False)
    output = tmp_path / "out.csv"
    checkpoint = Path(f"{output}.checkpoint.jsonl")
    args = [str(scenarios), "-o", str(output), "--trials", "3000000", "--seed", "9",
            "--workers", "1", "--no-progress"]
    run = _cli_batch(args)
    wait_for_checkpoint_lines(run, checkpoint, 3)  # some rows checkpointed: kill
    assert run.poll() is None, "the run ended before it could be killed"
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert not output.exists()
    assert not list(tmp_path.glob(".out.csv*tmp"))
    done_before = len(checkpoint.read_text().splitlines()) - 1
    assert 2 <= done_before < 8
    resumed = _cli_batch(args + ["--resume"])
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err
    assert not checkpoint.exists()
    reference = tmp_path / "reference.csv"
    uninterrupted = _cli_batch([str(scenarios), "-o", str(reference)] + args[3:])
    _, err = uninterrupted.communicate(timeout=600)
    assert uninterrupted.returncode == 0, err
    assert output.read_bytes() == reference.read_bytes()


# ----------------------------------------------------------------------------- CLI


def run_cli(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_batch_example(tmp_path, capsys):
    output = tmp_path / "results.csv"
    code, out, err = run_cli(["batch", str(EXAMPLE), "-o", str(output), "--trials", "5000",
                              "--seed", "1", "--no-progress"], capsys)
    assert code == 0, err
    assert "20 of 20 services sized" in out
    results = pd.read_csv(output)
    assert len(results) == 20 and set(results.status) == {"ok"}
    lines = out.splitlines()
    risks = [l for l in lines[1:21]]
    assert risks[0].split()[0] == results.sort_values(
        "p_month_below_slo", ascending=False).service.iloc[0]


def test_cli_batch_exit_codes(tmp_path, capsys):
    bad_row = tmp_path / "some-bad.csv"
    bad_row.write_text("service,concurrent_connections\na,10\nb,-5\n")
    output = tmp_path / "r.json"
    code, out, _ = run_cli(["batch", str(bad_row), "-o", str(output), "--no-progress"], capsys)
    assert code == 1 and output.exists()
    assert "error: row 2 (service 'b')" in out
    unusable = tmp_path / "unusable.csv"
    unusable.write_text("service,concurent_connections\na,10\n")
    code, _, err = run_cli(["batch", str(unusable)], capsys)
    assert code == 2 and "unknown column(s) 'concurent_connections'" in err
    assert err.count("\n") == 1
    code, _, err = run_cli(["batch", str(bad_row), "-o", str(tmp_path / "r.xlsx")], capsys)
    assert code == 2 and ".csv, .parquet or .json" in err
    code, _, err = run_cli(["batch", str(tmp_path / "missing.csv")], capsys)
    assert code == 2
    code, _, err = run_cli(["batch", str(bad_row), "--resume"], capsys)
    assert code == 2 and "--resume needs -o" in err


def test_columns_are_documented_in_one_place(capsys):
    code, out, _ = run_cli(["batch", "--columns"], capsys)
    assert code == 0
    for column in COLUMNS.values():
        assert column.name in out
    table = columns_table()
    assert list(table.columns) == ["column", "unit", "default", "allowed", "meaning"]
    readme = (ROOT / "README.md").read_text()
    for column in COLUMNS.values():
        assert f"`{column.name}`" in readme, column.name
    for column in RESULT_COLUMNS:
        assert f"`{column}`" in readme, column



def test_a_huge_row_does_not_spoil_the_others():
    table = frame(service=["big", "capped"], concurrent_connections=["1e19", "1000"],
                  max_connections_per_vm=["", "100000"])
    result = run_batch(table)
    assert result.status.tolist() == ["infeasible", "ok"]
    assert result.backend_vms[1] == 1


def test_resume_never_gives_one_row_anothers_numbers(tmp_path, monkeypatch):
    """Two services with the same deployment file have different seeds (their names)."""
    import plcapacity.batch.checkpoint as checkpoint_module
    source = data_path("examples/two-region-active-active.toml").read_text()
    (tmp_path / "d.toml").write_text(source.replace("rate_per_year = 0.2195",
                                                    "rate_per_year = 30"))
    (tmp_path / "s.csv").write_text("service,concurrent_connections,deployment\n"
                                    "alpha,1000,d.toml\nbeta,1000,d.toml\n")
    checkpoint = tmp_path / "c.jsonl"
    full = run_batch(tmp_path / "s.csv", seed=4, trials=3_000, workers=1)
    assert full.availability[0] != full.availability[1]
    monkeypatch.setattr(checkpoint_module.Checkpoint, "remove", lambda self: None)
    (tmp_path / "only-alpha.csv").write_text("service,concurrent_connections,deployment\n"
                                             "alpha,1000,d.toml\n")
    run_batch(tmp_path / "only-alpha.csv", seed=4, trials=3_000, workers=1,
              checkpoint=checkpoint)
    resumed = run_batch(tmp_path / "s.csv", seed=4, trials=3_000, workers=1,
                        checkpoint=checkpoint, resume=True)
    pd.testing.assert_frame_equal(resumed.table, full.table, check_exact=True)


def test_output_folder_is_checked_before_the_work(tmp_path, capsys):
    code, _, err = run_cli(["batch", str(EXAMPLE), "-o", str(tmp_path / "no" / "r.csv")],
                           capsys)
    assert code == 2 and "does not exist" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_an_output_link_that_cannot_be_written_through_is_refused_before_the_work(tmp_path):
    """The table named does not exist: the output's error comes first, so before any work
    (written through, the results would replace the pipe the link leads to)."""
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "r.csv").symlink_to(tmp_path / "pipe")
    with pytest.raises(OSError, match=r"r\.csv: a symbolic link to .*pipe, which is not a "
                                      "regular file"):
        run_batch(tmp_path / "missing.csv", output=tmp_path / "r.csv")


def _processes_mentioning(text):
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")
def test_killed_run_leaves_no_workers_behind(tmp_path):
    table = read_scenarios(EXAMPLE)
    scenarios = tmp_path / "workers-scenarios.csv"
    table[table.deployment == ""].to_csv(scenarios, index=False)
    output = tmp_path / "w.csv"
    run = _cli_batch([str(scenarios), "-o", str(output), "--trials", "3000000", "--seed", "1",
                      "--workers", "2", "--no-progress"])
    checkpoint = Path(f"{output}.checkpoint.jsonl")
    wait_for_checkpoint_lines(run, checkpoint, 2)
    assert run.poll() is None
    assert len(_processes_mentioning(str(scenarios))) >= 2  # the run and its workers
    run.send_signal(signal.SIGKILL)
    run.wait()
    for _ in range(600):  # the kernel ends the workers (their parent died): poll a while
        if not _processes_mentioning(str(scenarios)):
            break
        time.sleep(0.1)
    assert _processes_mentioning(str(scenarios)) == []


def test_a_killed_worker_fails_only_its_row(monkeypatch):
    """A worker process killed mid-task (by the system for memory, or from outside) fails the
    row it was running; the rows that shared its pool are simulated again and succeed."""
    import plcapacity.batch.run as batch
    original = batch.simulate_task
    _deadly.__wrapped_original__ = original
    monkeypatch.setattr(batch, "simulate_task", _deadly)  # forked workers inherit it
    names = ["a", "b", "doomed", "c", "d"]
    table = frame(service=names, concurrent_connections=["1000"] * 5,
                  pe_regions=["eastus;westus"] * 5)
    result = run_batch(table, seed=3, trials=2_000, workers=2)
    status = dict(zip(result.service, result.status))
    assert status.pop("doomed") == "error"
    assert set(status.values()) == {"ok"}, result.error.tolist()
    error = result.set_index("service").loc["doomed", "error"]
    assert "worker process died" in error
    # the survivors' numbers are those of a run without the killing
    monkeypatch.setattr(batch, "simulate_task", original)
    clean = run_batch(table[table.service != "doomed"], seed=3, trials=2_000, workers=1)
    merged = result.set_index("service").drop("doomed")
    assert merged["availability"].tolist() == clean.set_index("service")["availability"].tolist()


def _deadly(deployment, *args):
    """A simulation task that kills its own worker for the service "doomed" (module level: a
    task is pickled by reference)."""
    import os
    import signal

    if deployment.destinations[0].name == "doomed-pls":
        os.kill(os.getpid(), signal.SIGKILL)
    return _REAL_TASK(deployment, *args)


from plcapacity.batch.run import simulate_task as _REAL_TASK  # noqa: E402 (before any patching)


def test_active_passive_delay_default_is_the_assumed_lognormal_law():
    lim = plc.get_limits()
    # the PLS in centralus: an eastus outage moves traffic to the westus endpoint (a failover)
    base = dict(service=["ap"], concurrent_connections=["1000"], pe_regions=["eastus;westus"],
                destination_region=["centralus"], failover=["active-passive"],
                outage_rate_per_year=["20"])
    implicit = run_batch(frame(**base), seed=5, trials=3_000)
    explicit = run_batch(frame(**base, failover_delay_median_min=[
        f"{lim.default_failover_delay_median_min:g}"], failover_delay_p95_min=[
        f"{lim.default_failover_delay_p95_min:g}"]), seed=5, trials=3_000)
    gap_free = run_batch(frame(**base, failover_delay_min=["0"]), seed=5, trials=3_000)
    assert implicit.availability[0] == explicit.availability[0]  # the same law, the same draws
    # gaps cost availability: with 20 outages a year at eastus, well beyond the CI
    assert implicit.availability[0] < gap_free.availability_ci_low[0]
    both = run_batch(frame(**base, failover_delay_min=["5"], failover_delay_median_min=["10"]),
                     seed=5, trials=1_000)
    assert "not both" in both.error[0]
    backwards = run_batch(frame(**base, failover_delay_median_min=["30"],
                                failover_delay_p95_min=["20"]), seed=5, trials=1_000)
    assert "failover_delay_p95_min=20 is not allowed" in backwards.error[0]


# ----------------------------------------------------------------------------- the result


@pytest.fixture(scope="module")
def sized_only():
    # no regions: sizing only. 2,000,000 x 1.2 = 2.4M connections need 5 VMs (500,000 each)
    table = frame(service=["orders", "typo", "huge"],
                  concurrent_connections=["2000000", "lots", "1e14"])
    return run_batch(table, seed=7)


def test_run_batch_returns_batch_results_with_the_seed_and_the_failures(sized_only):
    assert isinstance(sized_only, BatchResults) and isinstance(sized_only.table, pd.DataFrame)
    assert sized_only.seed_entropy == 7
    assert list(sized_only.status) == ["ok", "error", "infeasible"]
    assert sized_only.failed_rows == 2


def test_batch_results_read_like_their_table(sized_only):
    assert len(sized_only) == 3 and list(sized_only) == list(RESULT_COLUMNS)
    assert sized_only.loc[0, "backend_vms"] == 5 and "binding_limit" in sized_only
    assert sized_only.set_index("service").loc["orders", "nat_ips"] == 8


def test_batch_results_still_write_the_old_attrs_keys_for_one_release(sized_only):
    assert sized_only.table.attrs == {"seed_entropy": 7, "failed_rows": 2}


def test_batch_results_pickle_replace_and_concatenate(sized_only):
    twin = pickle.loads(pickle.dumps(sized_only))
    assert type(twin) is BatchResults and (twin.seed_entropy, twin.failed_rows) == (7, 2)
    pd.testing.assert_frame_equal(twin.table, sized_only.table)
    first = dataclasses.replace(sized_only, table=sized_only.table.head(1), failed_rows=0)
    assert (first.seed_entropy, first.failed_rows, len(first)) == (7, 0, 1)
    both = pd.concat([sized_only.table, first.table], ignore_index=True)
    assert list(both["service"]) == ["orders", "typo", "huge", "orders"]


def test_batch_results_count_failures_from_the_status_by_default():
    assert BatchResults(frame(status=["ok", "error", "ok"])).failed_rows == 1
    assert BatchResults(frame(service=["a"])).failed_rows == 0
    assert BatchResults(frame(status=["ok"])).seed_entropy is None
    with pytest.raises(TypeError, match="BatchResults.table is list, not a pandas DataFrame"):
        BatchResults([1])


def test_overview_and_files_take_the_results_or_their_table(sized_only, tmp_path):
    by_result, by_table = batch_overview(sized_only), batch_overview(sized_only.table)
    pd.testing.assert_frame_equal(by_result, by_table)
    assert list(by_result["pls x nat x vms"]) == ["-", "-", "1 x 8 x 5"]  # failed rows first
    write_results(sized_only, tmp_path / "r.json")
    assert [row["service"] for row in json.loads((tmp_path / "r.json").read_text())] == [
        "orders", "typo", "huge"]


# ----------------------------------------------------------------------------- multi-region rows


def _multi_rows():
    return pd.DataFrame({
        "service": ["pair", "planned", "both", "unreachable"],
        "concurrent_connections": [2_000_000, 2_000_000, 1_000, 2_000_000],
        "pe_regions": ["eastus;westus2;centralus", "", "eastus", ""],
        "pls_regions": ["eastus;westus2", "", "", ""],
        "plan_regions": ["", "eastus;westus2;northeurope", "eastus", "eastus;westus2"],
        "slo_percent": ["", "99.99", "", "99.999"],
        "vm_hourly_usd": [0.2, 0.2, "", 0.2],
        "vm_failures_tolerated": [1, 1, 1, 1]})


def test_pls_regions_and_endpoint_costs():
    result = plc.run_batch(_multi_rows().iloc[:1], trials=2_000, seed=3, progress=False)
    row = result.table.iloc[0]
    lim = plc.get_limits()
    # three endpoints (one per pe region), two PLS deployments of the row's size
    assert row["pe_monthly_cost_usd"] == pytest.approx(3 * lim.private_endpoint_hour_usd
                                                       * lim.hours_per_month)
    single = plc.size(2_000_000, vm_failures_tolerated=1, vm_hourly_usd=0.2).iloc[0]
    assert row["backend_vms"] == single["backend_vms"]
    assert row["provider_monthly_cost_usd"] == pytest.approx(
        2 * single["provider_monthly_cost_usd"])
    assert "2 PLS regions" in row["warning"] and "3 endpoint regions" in row["warning"]


def test_plan_regions_rows_are_planned():
    result = plc.run_batch(_multi_rows().iloc[1:], trials=2_000, seed=3, progress=False).table
    planned, both, unreachable = (result.iloc[i] for i in range(3))
    best = plc.plan(2_000_000, regions="eastus;westus2;northeurope", slo_percent=99.99,
                    vm_hourly_usd=0.2, horizon_years=0).best
    assert planned["status"] == "ok"
    assert planned["planned_regions"] == best["regions"]
    assert planned["backend_vms"] == best["backend_vms"]
    assert planned["total_monthly_cost_usd"] == pytest.approx(best["total_monthly_cost_usd"])
    assert planned["exact_availability"] == pytest.approx(best["reachable_availability"],
                                                          abs=1e-12)
    assert both["status"] == "error" and "column plan_regions plans the regions" in both["error"]
    assert unreachable["status"] == "infeasible"
    assert "no candidate reaches 99.999 %" in unreachable["error"]
