"""What the commands write (:mod:`plcapacity.cli.output`): library warnings in the command
line's spelling, readable tables."""

import pandas as pd

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
