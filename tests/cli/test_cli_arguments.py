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
