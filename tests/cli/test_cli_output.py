"""What the commands write (:mod:`plcapacity.cli.output`): library warnings in the command
line's spelling, readable tables."""

import pandas as pd
import pytest

from plcapacity.cli.output import as_flags, format_table, printable


def test_warnings_name_the_cli_flag(cli):
    code, _, err = cli(["size", "10000"])
    assert code == 0
    warning = next(line for line in err.splitlines() if line.startswith("warning:"))
    assert "one backend VM: no redundancy" in warning
    assert "(--vm-failures-tolerated 1)" in warning and "vm_failures_tolerated=" not in warning


def test_flag_translation_leaves_other_names_alone():
    assert (as_flags("target_rel_ci=0.01 not reached within max_trials=1,000,000.")
            == "--target-rel-ci 0.01 not reached within max_trials=1,000,000.")
    assert as_flags("headroom=0.2, seed=7") == "--headroom 0.2, --seed 7"


def test_tables_are_readable_and_escape_free():
    frame = pd.DataFrame({"ceiling": [5_120_000, None], "utilization": [0.5, 0.25],
                          "total_monthly_cost_usd": [1234.5, 0.0], "name": ["a\x1b[31m", "b"]})
    text = format_table(frame)
    assert "5,120,000" in text and "50.0%" in text and "$1,234.50" in text
    assert "\x1b" not in text and "a\\x1b[31m" in text
    assert printable("two\nlines") == "two\\nlines"


def test_tables_never_show_digits_a_number_lacks_nor_round_a_small_one_to_zero():
    import pandas as pd

    from plcapacity.cli.output import format_table
    frame = pd.DataFrame({"rate_per_year": [1e-9, 0.25, 2.0], "ceiling": [2.0 ** 60, 3e22, 5.0],
                          "count": [2 ** 53 - 1, 7, 8]})
    shown = format_table(frame)
    assert "1e-09" in shown and "0.25" in shown and "0.00" not in shown
    assert "1.153e+18" in shown and "3e+22" in shown and "9,007,199,254,740,991" in shown


@pytest.mark.parametrize("value, shown", [
    (0.99999999, "99.99999900%"), (0.999999995, "99.99999950%"), (0.9995, "99.950000%"),
    (1.0, "100.000000%"), (1 - 3e-12, "99.99999999970%"), (0.5, "50.000000%"),
])
def test_availability_columns_keep_the_digits_that_tell_them_from_one(value, shown):
    import pandas as pd

    from plcapacity.cli.output import format_table
    table = format_table(pd.DataFrame({"served_availability": [value]}))
    assert table.splitlines()[1].strip() == shown
