"""Scenario tables: the columns a batch reads, their validation row by row (a bad cell is
its row's error), and the result columns. Through :func:`plcapacity.run_batch` where the
answer is a result row, directly where it is the table's."""

import numpy as np
import pandas as pd
import pytest

import plcapacity as plc
from plcapacity.availability.exact import exact_unavailability
from plcapacity.base.exceptions import BatchInputError
from plcapacity.base.limits import data_path
from plcapacity.batch.run import run_batch
from plcapacity.batch.scenarios import (
    COLUMNS,
    DEFAULT_OUTAGE_PROFILE,
    RESULT_COLUMNS,
    ScenarioRows,
    columns_table,
    confined_path,
    read_scenarios,
)


def frame(**columns):
    return pd.DataFrame(columns)


# ----------------------------------------------------------------------------- the columns


def test_the_columns_table_lists_every_input_column_once():
    table = columns_table()
    assert list(table.columns) == ["column", "unit", "default", "allowed", "meaning"]
    assert table["column"].tolist() == [c.name for c in COLUMNS.values()]
    assert table["column"].is_unique
    assert table["column"].tolist()[:2] == ["service", "concurrent_connections"]
    assert table.set_index("column").loc["service", "default"] == "required"


def test_result_columns_start_with_the_row_and_end_with_the_note():
    names = list(RESULT_COLUMNS)
    assert names[:3] == ["service", "status", "error"]
    assert names[-1] == "availability_note"
    assert all(RESULT_COLUMNS[n].unit and RESULT_COLUMNS[n].meaning for n in names)
    result = run_batch(frame(service=["a"], concurrent_connections=["10"]))
    assert list(result.columns) == names


def test_read_scenarios_keeps_csv_cells_as_text(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("service,concurrent_connections,headroom\napi,0250000,20%\n")
    table = read_scenarios(path)
    assert table.values.tolist() == [["api", "0250000", "20%"]]
    assert table.attrs["source"] == str(path)
    assert len(read_scenarios(data_path("examples/services.csv"))) == 20


# ----------------------------------------------------------------------------- service names


def test_duplicate_names_list_a_few_rows_and_count_the_others():
    table = frame(service=["dup"] * 8 + ["solo"], concurrent_connections=["10"] * 9)
    rows = ScenarioRows(table, passthrough=False)
    messages = rows.messages()
    expected = ("service 'dup' appears in rows 1, 2, 3, 4, 5 and 3 more; names must be unique "
                "(seeds and checkpoints use them)")
    for i in range(8):
        assert expected in messages[i], messages[i]
    assert messages[8] == "" and rows.ok.tolist() == [False] * 8 + [True]


def test_blank_rows_are_not_services_and_names_are_stripped():
    table = frame(service=[" a ", "", "b"], concurrent_connections=["1", "", "2"])
    rows = ScenarioRows(table, passthrough=False)
    assert rows.n == 2 and rows.service.tolist() == ["a", "b"]


# ----------------------------------------------------------------------------- deployment files


def test_deployment_paths_stay_in_the_tables_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    assert confined_path(tmp_path, "sub/d.toml") == tmp_path / "sub" / "d.toml"
    for text in ("../d.toml", "sub/../../d.toml", "/etc/passwd"):
        with pytest.raises(ValueError, match=rf"column deployment='{text}' is not allowed: a "
                                             rf"file in the table's folder {tmp_path}"):
            confined_path(tmp_path, text)
        assert confined_path(tmp_path, text, allow_outside=True) == tmp_path / text
    (tmp_path / "out").symlink_to("/etc")
    with pytest.raises(ValueError, match="it resolves to /etc/passwd"):
        confined_path(tmp_path, "out/passwd")
    with pytest.raises(ValueError, match="a file name without NUL characters"):
        confined_path(tmp_path, "d\x00.toml", allow_outside=True)


# ----------------------------------------------------------------------------- outage models


def test_rows_without_an_outage_model_use_the_default_profile():
    assert DEFAULT_OUTAGE_PROFILE == "azure-datapath-2018-2019"
    table = frame(service=["a", "b"], concurrent_connections=["1000"] * 2,
                  pe_regions=["eastus;westus2"] * 2, outage_profile=["", "sla-calibrated"])
    result = run_batch(table, trials=1_000, seed=1)
    # both endpoints lead to the PLS in eastus (the first region): down with eastus
    deployment = plc.regional_deployment("a", "eastus;westus2")
    evidence = exact_unavailability(deployment, plc.outage_profile(DEFAULT_OUTAGE_PROFILE))
    calibrated = exact_unavailability(deployment, plc.outage_profile("sla-calibrated"))
    assert result.exact_availability.tolist() == pytest.approx([1 - evidence, 1 - calibrated],
                                                               rel=1e-12)
    # and each row names the model behind its figures
    assert result.outage_profile[0].startswith("azure-datapath-2018-2019 (")
    assert result.outage_profile[1].startswith("sla-calibrated to 99.99 %")
    assert not np.isclose(evidence, calibrated)


def test_an_unknown_profile_or_durations_without_a_rate_are_row_errors():
    table = frame(service=["a", "b", "c"], concurrent_connections=["1000"] * 3,
                  pe_regions=["eastus;westus2"] * 3, outage_profile=["azure", "", ""],
                  outage_median_hours=["", "3", "5"], outage_p95_hours=["", "", "4"],
                  outage_rate_per_year=["", "", "2"])
    error = run_batch(table, trials=1_000, seed=1).error.tolist()
    assert ("column outage_profile='azure' is not allowed: one of azure-datapath-2018-2019, "
            "azure-status-2018-2020, sla-calibrated") in error[0]
    assert "need outage_rate_per_year (or outage_profile=sla-calibrated)" in error[1]
    assert "outage_p95_hours=4 is not allowed: it must exceed outage_median_hours=5" in error[2]


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize("column, value, allowed", [
    ("vm_failures_tolerated", "1.5", "a whole number >= 0"),
    ("consumer_endpoints", "9000", "a whole number from 1 to 8,000"),
    ("max_connections_per_vm", "lots", "a number from 1 to 9,007,199,254,740,991"),
    ("growth_per_year", "-1", "a number > -1"),
    ("slo_percent", "100", "a number between 0 and 100"),
    ("outage_median_hours", "0", "a number > 0"),
    ("failover_delay_min", "-3", "a number >= 0"),
])
def test_each_column_is_validated(column, value, allowed):
    table = frame(service=["x"], concurrent_connections=["1000"], pe_regions=["eastus"])
    table[column] = [value]
    result = run_batch(table, seed=1, trials=1_000)
    assert result.status[0] == "error"
    assert f"column {column}='{value}' is not allowed: {allowed}" in result.error[0]


def test_unknown_columns_are_an_error_unless_passed_through():
    table = frame(service=["a"], concurrent_connections=[10], heardroom=[0.1], team=["x"])
    with pytest.raises(BatchInputError, match="unknown column\\(s\\) 'heardroom', 'team'"):
        run_batch(table)
    result = run_batch(table, passthrough=True)
    assert result.team[0] == "x" and result.status[0] == "ok"


@pytest.mark.parametrize("table, message", [
    (frame(service=["a"]), "missing required column\\(s\\) concurrent_connections"),
    (frame(service=[], concurrent_connections=[]), "the table has no rows"),
])
def test_unusable_tables(table, message):
    with pytest.raises(BatchInputError, match=message):
        run_batch(table)


def test_deployment_file_rows_and_exclusive_columns(tmp_path):
    source = data_path("examples/two-region-active-active.toml")
    (tmp_path / "d.toml").write_text(source.read_text())
    (tmp_path / "s.csv").write_text("service,concurrent_connections,deployment,pe_regions\n"
                                    "a,1000,d.toml,\nb,1000,d.toml,eastus\nc,1000,nope.toml,\n")
    result = run_batch(tmp_path / "s.csv", seed=3, trials=5_000)
    assert result.status.tolist() == ["ok", "error", "error"]
    deployment, outages = plc.load_deployment(source)
    exact = exact_unavailability(deployment, outages)
    assert result.exact_availability[0] == pytest.approx(1 - exact, rel=1e-12)
    assert "not both" in result.error[1] and "nope.toml" in result.error[2]


def test_cells_as_people_fill_them():
    table = frame(service=["a", None, "c", None],
                  concurrent_connections=["1,000", "5", "2_000", None],
                  headroom=pd.array([pd.NA, 0.1, 0.5, pd.NA], dtype="Float64"))
    result = run_batch(table)  # the all-empty last row is not a service
    assert len(result) == 3
    assert result.status.tolist() == ["ok", "error", "ok"]
    assert result.ports_needed[0] == 1_000 and result.ports_needed[2] == 2_000
    assert "column service='' is not allowed: non-empty text" in result.error[1]


def test_passthrough_cannot_overwrite_results():
    table = frame(service=["a"], concurrent_connections=[10], status=["draft"])
    with pytest.raises(BatchInputError, match="'status' would overwrite result columns"):
        run_batch(table, passthrough=True)


def test_inputs_that_would_be_ignored_are_reported():
    table = frame(service=["a", "b", "c"], concurrent_connections=[1_000] * 3,
                  pe_regions=["", "eastus", "eastus;westus"],
                  failover=["", "active-passive", "active-active"],
                  failover_delay_min=["", "", "3"], slo_percent=["99.9", "", ""])
    warning = run_batch(table, trials=1_000, seed=1).warning.tolist()
    assert "slo_percent ignored: no pe_regions or deployment" in warning[0]
    assert "nothing to fail over to" in warning[1]
    assert "failover_delay_min ignored" in warning[2]


@pytest.mark.parametrize("zones, pe_regions, destination", [
    ("3", "westus", ""), ("2", "eastus;westus", "westus"), ("3", "northcentralus;eastus", ""),
], ids=["one-region", "destination-named", "first-of-two"])
def test_zones_in_a_region_without_zones_are_a_row_error_as_in_deployment_files(
        zones, pe_regions, destination):
    table = frame(service=["z"], concurrent_connections=["100000"], zones=[zones],
                  pe_regions=[pe_regions], destination_region=[destination])
    result = run_batch(table, trials=1_000, seed=1)
    region = destination or pe_regions.split(";")[0]
    assert result.status[0] == "error"
    assert (f"column zones={zones} is not allowed here: the PLS region {region} has no "
            "availability zones") in result.error[0]
    # the same layout with a zoned PLS region is fine
    fine = frame(service=["z"], concurrent_connections=["100000"], zones=[zones],
                 pe_regions=["eastus"], destination_region=[""])
    assert run_batch(fine, trials=1_000, seed=1).status[0] == "ok"
