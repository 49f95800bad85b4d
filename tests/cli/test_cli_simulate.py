"""``plcapacity simulate``: the summary, reproducible seeds, the target metric."""

import io

import pandas as pd

from plcapacity.base.limits import data_path


def test_simulate_prints_summary(cli):
    deployment = str(data_path("examples/three-region-active-passive.toml"))
    code, out, err = cli(["simulate", deployment, "--trials", "2e4", "--seed", "7",
                          "--no-progress"])
    assert code == 0, err
    lines = dict(line.split(None, 1) for line in out.splitlines() if not line.startswith("note"))
    assert lines["trials"].strip() == "20,000"
    assert 0.9999 < float(lines["availability"]) < 1
    assert "p_month_below_slo" in lines and "top_causes" in lines
    assert "note: exact values exclude failover gaps" in out


def test_simulate_csv_is_reproducible(cli):
    deployment = str(data_path("examples/two-region-active-active.toml"))
    argv = ["simulate", deployment, "--trials", "5000", "--seed", "3", "--format", "csv"]
    first = cli(argv)[1]
    second = cli(argv)[1]
    assert first == second
    row = pd.read_csv(io.StringIO(first)).iloc[0]
    assert row.trials == 5000


def test_unseeded_simulation_prints_a_seed_that_reproduces_it(cli):
    deployment = str(data_path("examples/two-region-active-active.toml"))
    code, first, err = cli(["simulate", deployment, "--trials", "3000", "--format", "csv"])
    seed = err.split("note: seed ")[1].split()[0]
    code, again, _ = cli(["simulate", deployment, "--trials", "3000", "--format", "csv",
                          "--seed", seed])
    assert code == 0 and first == again


def test_simulate_target_metric_flag(cli):
    deployment = str(data_path("examples/capacity-shortfall.toml"))
    code, out, err = cli(["simulate", deployment, "--trials", "2e4", "--seed", "3",
                          "--target-rel-ci", "0.2", "--target-metric", "served",
                          "--no-progress"])
    assert code == 0, err
    code, _, err = cli(["simulate", deployment, "--target-metric", "uptime"])
    assert code == 2 and "invalid choice: 'uptime'" in err


def test_simulate_importance_method_measures_a_rare_unavailability(cli):
    """Two regions each down 1e-4 of the time: unavailable about 1e-8, which 20,000 plain
    trials never see; importance sampling prints a measured figure with its interval."""
    deployment = str(data_path("examples/two-region-active-active.toml"))
    argv = ["simulate", deployment, "--trials", "2e4", "--seed", "3", "--format", "csv"]
    plain = pd.read_csv(io.StringIO(cli(argv)[1])).iloc[0]
    code, out, err = cli(argv + ["--method", "importance"])
    assert code == 0, err
    rare = pd.read_csv(io.StringIO(out)).iloc[0]
    assert plain.method == "plain" and rare.method == "importance"
    assert plain.availability == 1.0
    exact = 1 - rare.exact_availability
    assert rare.availability_ci_low < 1 - exact < rare.availability_ci_high < 1
    assert rare.p_month_below_slo_ci_low > 0 and "importance sampling" in out + err
    code, out, err = cli(argv + ["--method", "sometimes"])
    assert code == 2 and "--method" in err and "Traceback" not in err
