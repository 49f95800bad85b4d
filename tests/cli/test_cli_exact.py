"""``plcapacity exact``: the figures, the process table, a bad deployment file."""

import json

import pandas as pd
import pytest

from plcapacity.base.limits import data_path


def test_exact_json_includes_the_process_table(cli):
    deployment = str(data_path("examples/three-region-active-passive.toml"))
    code, out, err = cli(["exact", deployment, "--format", "json"])
    assert code == 0
    record = json.loads(out)
    assert record["processes"] == 4
    table = pd.DataFrame(record["process_table"])
    assert list(table["process"]) == ["centralus", "eastus", "westus", "us-east-west-pair"]
    assert {"kind", "regions", "rate_per_year", "probability_down"} <= set(table)
    # Full precision, not the 10 digits pandas writes by default.
    assert record["availability"] == pytest.approx(0.9999999684, abs=1e-10)
    assert len(repr(record["availability"])) > 12
    code, out, err = cli(["exact", deployment, "--format", "csv"])
    assert code == 0 and "--format table or json" in err


def test_exact_prints_figures_and_processes(cli):
    deployment = str(data_path("examples/three-region-2of3.toml"))
    code, out, _ = cli(["exact", deployment])
    assert code == 0
    assert "served_availability" in out and "0.9999993750" in out  # 1 - 6.25e-7
    assert "4.565e-04" in out  # q = 1 - exp(-4/8760) for each region


def test_bad_deployment_file_is_one_line(tmp_path, cli):
    path = tmp_path / "bad.toml"
    path.write_text("[outages]\nrate_per_year = 1\nduration = { law = 'fixed', hours = 4 }\n"
                    "[[endpoints]]\nname = 'pe'\nregion = 'eastus3'\ndestination = 'x'\n")
    code, _, err = cli(["exact", str(path)])
    assert code == 2 and err.count("\n") == 1
    assert "bad.toml" in err and "eastus3" in err and "closest known: eastus" in err
