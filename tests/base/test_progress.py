"""Progress bars: shown when asked, hidden when not, and by default only for long runs."""

import pytest

from plcapacity.base.progress import progress_bar


@pytest.mark.parametrize("progress, total, at_least", [
    (False, 10_000, 1),   # never, when asked not to
    (True, 0, 1),         # nothing to do
    (None, 0, 1),
    (None, 31, 32),       # by default, short runs show none
])
def test_no_bar(progress, total, at_least):
    assert progress_bar(progress, total, unit="trial", desc="x", at_least=at_least) is None


def test_a_bar_when_asked_counts_the_units_given():
    bar = progress_bar(True, 1_000, unit="trial", desc="simulating", unit_scale=True)
    try:
        assert (bar.total, bar.unit, bar.desc, bar.unit_scale) == (1_000, "trial",
                                                                     "simulating", True)
        assert not bar.disable  # asked for: shown even without a terminal
        assert bar.leave is False  # a finished bar does not stay in a notebook's output
        bar.update(250)
        assert bar.n == 250
    finally:
        bar.close()


def test_by_default_a_long_run_gets_a_bar_that_hides_itself_without_a_terminal():
    bar = progress_bar(None, 32, unit="task", desc="batch", at_least=32)
    try:
        assert bar is not None and bar.total == 32
        assert bar.disable  # pytest captures output: no terminal, so tqdm hides it
    finally:
        bar.close()
