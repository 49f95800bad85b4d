"""``plcapacity estate``: the table of the example estate, its formats and usage errors."""

import io
import json

import pandas as pd
import pytest

from plcapacity.base.limits import data_path

ESTATE = data_path("examples/estate")
INVENTORY = [str(ESTATE / name) for name in ("pls.json", "lb.json", "pe.json")]
METRICS = [str(path) for path in sorted(ESTATE.glob("metrics-*.json"))]


def test_table_has_a_row_per_pls_findings_and_the_forecast_criterion(cli):
    code, out, err = cli(["estate", "--inventory", *INVENTORY, "--metrics", *METRICS])
    assert code == 0, err
    header = out.splitlines()[0].split()
    assert header[:2] == ["name", "region"] and "peak_%" in header and "reaches_80" in header
    assert "pls-orders" in out and "finding: " in out
    assert "note: " in out


def test_csv_and_json_keep_notes_off_stdout(cli):
    code, out, err = cli(["estate", "--inventory", *INVENTORY, "--metrics", *METRICS,
                          "--format", "csv"])
    assert code == 0
    table = pd.read_csv(io.StringIO(out))
    assert "pls-orders" in set(table["name"])
    dates = table["reaches_80_date"].dropna()
    assert dates.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()  # days, not timestamps
    assert "note: " in err and "note: " not in out
    code, out, _ = cli(["estate", "--inventory", *INVENTORY, "--format", "json"])
    assert code == 0 and {row["name"] for row in json.loads(out)} >= {"pls-orders"}


@pytest.mark.parametrize("argv, message", [
    (["estate"], "the following arguments are required: --inventory"),
    (["estate", "--inventory", "x.json", "-o", "review.pdf"], "the review is an .html file"),
    (["estate", "--inventory", "x.json", "--thresholds", "high"], "is not a list of "
                                                                   "percentages"),
])
def test_usage_errors(argv, message, cli):
    code, _, err = cli(argv)
    assert code == 2 and err.count("\n") == 1 and message in err


@pytest.mark.parametrize("count", [101, 2000])
def test_thresholds_beyond_the_columns_a_table_can_show(cli, count):
    levels = ",".join(f"{100 * (i + 1) / count:.4f}" for i in range(count))
    code, out, err = cli(["estate", "--inventory", *INVENTORY, "--thresholds", levels])
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"{count:,} levels; at most 100" in err
