"""How values are typed: numbers with thousands separators, exact whole numbers, fractions,
lists and caps (:mod:`plcapacity.cli.arguments`)."""

import argparse
import json

import pytest

from plcapacity.cli.arguments import cap, fraction, int_list, percent_list, whole


@pytest.mark.parametrize("typed", ["10,000,000", "10_000_000", "1e7", "10000000"])
def test_thousands_separators_are_accepted(typed, cli):
    code, out, _ = cli(["size", typed, "--format", "json"])
    assert code == 0
    assert json.loads(out)[0]["ports_needed"] == 10_000_000


@pytest.mark.parametrize("typed", ["2,5", "1,0000", "10,000,00", ",100", "1,,000"])
def test_commas_other_than_thousands_are_refused(typed, cli):
    code, _, err = cli(["size", typed])
    assert code == 2 and f"{typed!r} is not a number" in err
    assert "thousands separators" in err


def test_seed_with_thousands_separators():
    assert whole("1,234,567") == 1_234_567
    assert whole("340282366920938463463374607431768211457") == 2 ** 128 + 1  # exact


@pytest.mark.parametrize("typed, value", [("0.2", 0.2), ("20%", 0.2), (" 5 % ", 0.05)])
def test_fractions_and_percentages(typed, value):
    assert fraction(typed) == pytest.approx(value)


@pytest.mark.parametrize("typed, value", [("1-4,8", [1, 2, 3, 4, 8]), ("8,2,2", [2, 8]),
                                          ("3", [3])])
def test_int_lists(typed, value):
    assert int_list(typed) == value


def test_caps_and_percent_lists():
    assert cap("none") is None and cap("NIC") == "nic" and cap("2,000") == 2000
    assert percent_list("80,100%") == [80.0, 100.0]
    with pytest.raises(argparse.ArgumentTypeError, match="at least one percentage"):
        percent_list(",")


def test_the_flag_lists_the_same_profiles_as_the_library():
    import plcapacity as plc
    from plcapacity.cli.arguments import OUTAGE_PROFILES
    assert list(OUTAGE_PROFILES) == plc.outage_profiles()["name"].tolist()


@pytest.mark.parametrize("command", ["batch", "report"])
@pytest.mark.parametrize("name", ["bogus", "azure-status", ""])
def test_a_bad_outage_profile_is_the_flag_s_error_not_every_row_s(cli, tmp_path, command, name):
    table = tmp_path / "s.csv"
    table.write_text("service,concurrent_connections,pe_regions\na,1000,eastus\n")
    argv = [command, str(table), "--outage-profile", name, "--trials", "10"]
    if command == "report":
        argv += ["-o", str(tmp_path / "r.html")]
    code, out, err = cli(argv)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"argument --outage-profile: {name!r} is not allowed: one of " in err
    assert "column" not in err and not (tmp_path / "r.html").exists()


def test_run_batch_refuses_an_unknown_profile_as_its_argument():
    import pandas as pd

    import plcapacity as plc
    with pytest.raises(ValueError, match="outage_profile='nope' is not allowed: one of "
                                         "azure-datapath-2018-2019"):
        plc.run_batch(pd.DataFrame({"service": ["a"], "concurrent_connections": [1]}),
                      outage_profile="nope")


def test_report_takes_the_outage_profile_as_batch_does(cli, tmp_path):
    table = tmp_path / "s.csv"
    table.write_text("service,concurrent_connections,pe_regions\na,1000,eastus\n")
    page = tmp_path / "r.html"
    code, _, _ = cli(["report", str(table), "-o", str(page), "--trials", "200", "--seed", "1",
                      "--outage-profile", "azure-status-2018-2020"])
    assert code == 0 and "azure-status-2018-2020 (" in page.read_text()


def test_the_parser_bound_on_counts_is_the_librarys():
    from plcapacity.base.validation import MAX_COUNT
    from plcapacity.cli import arguments
    assert arguments.MAX_COUNT == MAX_COUNT
    assert arguments.positive_whole(str(MAX_COUNT)) == MAX_COUNT
    with pytest.raises(argparse.ArgumentTypeError, match="9,007,199,254,740,991"):
        arguments.positive_whole(str(MAX_COUNT + 1))
