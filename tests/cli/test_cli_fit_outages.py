"""``plcapacity fit-outages``: the three formats over the shipped incidents."""

import json
import tomllib

import pytest

from plcapacity.base.limits import data_path

INCIDENTS = str(data_path("outages/azure_status_incidents_2018_2020.csv"))


def test_table_shows_rates_durations_and_what_was_left_out(cli):
    code, out, err = cli(["fit-outages", INCIDENTS])
    assert code == 0 and err == ""
    assert out.startswith("Rates per year, ") and "own_rate: the region's own count, exact " \
        "95 % interval" in out
    assert "Durations (hours):" in out and "delta_aicc" in out
    assert out.splitlines()[-1].startswith("note: ") and "row(s) left out" in out


def test_toml_is_an_outages_section_for_a_deployment_file(cli):
    code, out, _ = cli(["fit-outages", INCIDENTS, "--format", "toml"])
    assert code == 0
    outages = tomllib.loads(out)["outages"]
    assert outages["rate_per_year"] > 0 and "law" in outages["duration"]


def test_json_and_a_region_list(cli):
    code, out, _ = cli(["fit-outages", INCIDENTS, "--format", "json", "--regions",
                        "eastus, westus,"])
    assert code == 0
    assert isinstance(json.loads(out), dict)
    code, _, err = cli(["fit-outages", INCIDENTS, "--format", "xml"])
    assert code == 2 and "invalid choice: 'xml'" in err


def test_bundled_incidents_by_flag_not_by_repository_path(cli):
    by_flag = cli(["fit-outages", "--bundled", "--format", "json"])
    by_path = cli(["fit-outages", INCIDENTS, "--format", "json"])
    assert by_flag[0] == 0 and json.loads(by_flag[1]) == json.loads(by_path[1])


@pytest.mark.parametrize("argv", [["fit-outages"], ["fit-outages", "x.csv", "--bundled"]],
                         ids=["neither", "both"])
def test_a_file_or_bundled_one_of_the_two(cli, argv):
    code, out, err = cli(argv)
    assert code == 2 and out == ""
    assert err == ("plcapacity: error: fit-outages: give an incident file or --bundled (one "
                   "of the two)\n")


def test_help_says_how_to_reach_the_bundled_data_and_prints_no_doubled_percent(cli):
    code, out, _ = cli(["fit-outages", "--help"])
    assert code == 0 and "--bundled" in out and "%%" not in out
