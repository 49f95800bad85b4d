"""Memory and work budgets of a simulation, estimated before anything is allocated.

Known answers by hand from the module's documented figures: a block of trials holds
``rate x (years + mean duration) x trials`` expected outages per process (a year is 525,600
minutes), about 210 bytes each plus about 400 bytes per trial-year; a sub-block holds at most
2**17 expected outages (a power of two of trials, 1 to 65,536); a run may draw at most
5 x 10**9 outages.
"""

import math

import pytest

import plcapacity as plc
from plcapacity.availability.budget import (
    DEFAULT_MEMORY_BYTES,
    MAX_EXPECTED_OUTAGES,
    MAX_YEARS_PER_TRIAL,
    MIN_MEMORY_BYTES,
    SUB_BLOCK_OUTAGES,
    check_memory_budget,
    check_simulation_memory,
    check_simulation_work,
    simulation_bytes,
    sub_block_trials,
)

MINUTES_PER_YEAR = 525_600


def processes(rate, hours, regions=("eastus",)):
    return plc.OutageModel(rate, {"law": "fixed", "hours": hours}).processes(list(regions))


def test_the_documented_figures():
    assert SUB_BLOCK_OUTAGES == 2 ** 17
    assert MIN_MEMORY_BYTES == 64 * 2 ** 20 and DEFAULT_MEMORY_BYTES == 2 * 2 ** 30
    assert MAX_EXPECTED_OUTAGES == 5_000_000_000 and MAX_YEARS_PER_TRIAL == 1_000


def test_simulation_bytes_per_outage_and_per_trial_year():
    # no outages: 400 bytes a trial-year only
    assert simulation_bytes(processes(0.0, 1), 1, 1_000) == 400 * 1_000
    assert simulation_bytes(processes(0.0, 1), 3, 1_000) == 400 * 3_000
    # 100 outages a year of 2 h over 65,536 one-year trials: (1 + 120 / 525,600) x 100 x
    # 65,536 outages of 210 bytes, plus 400 bytes a trial (the docstring's 1,338 MiB)
    outages = 100 * (1 + 120 / MINUTES_PER_YEAR) * 65_536
    expected = 210 * outages + 400 * 65_536
    assert simulation_bytes(processes(100, 2), 1, 65_536) == pytest.approx(expected, rel=1e-12)
    assert round(expected / 2 ** 20) == 1_338
    # two regions: twice the outages
    two = simulation_bytes(processes(100, 2, ("eastus", "westus")), 1, 65_536)
    assert two == pytest.approx(2 * 210 * outages + 400 * 65_536, rel=1e-12)


@pytest.mark.parametrize("rate, hours, years, expected", [
    (0.0, 1, 1, 65_536),     # no outages: a whole block
    (1.0, 4, 1, 65_536),     # 1.0005 a trial: 131,012 trials would fit, capped at a block
    (3.0, 4, 1, 32_768),     # 3.0014 a trial: 43,670 fit -> 2**15
    (100, 4, 1, 1_024),      # 100.05 a trial: 1,310.1 fit -> 2**10
    (100, 4, 10, 128),       # 1,000.05 a trial: 131.07 fit -> 2**7
    (1e5, 1, 1, 1),          # 100,000 a trial: 1.3 fit, below 2 -> one trial
    (1e8, 1, 1, 1),          # far beyond: one trial
])
def test_sub_block_trials_is_the_power_of_two_that_holds_2_17_outages(rate, hours, years,
                                                                     expected):
    per_trial = rate * (years * MINUTES_PER_YEAR + 60 * hours) / MINUTES_PER_YEAR
    if per_trial:
        fit = 2 ** 17 / per_trial
        assert expected == (1 if fit < 2 else min(65_536, 2 ** math.floor(math.log2(fit))))
    assert sub_block_trials(processes(rate, hours), years) == expected


def test_memory_budget_below_64_mib_is_refused():
    assert check_memory_budget(MIN_MEMORY_BYTES) == MIN_MEMORY_BYTES
    for budget in (MIN_MEMORY_BYTES - 1, 0, -5, True, "2 GiB", None, float("nan")):
        with pytest.raises(ValueError, match=r"max_memory_bytes=.* is not allowed: at least "
                                             r"67,108,864 bytes \(64 MiB\)"):
            check_memory_budget(budget)


def test_only_one_trial_beyond_the_budget_is_refused_and_the_message_names_it():
    # 1e8 outages a year in each of two regions, 3.6 s each: one trial alone holds 2e8
    # outages, 2 x 1e8 x (1 + 0.06 / 525,600) x 210 bytes = 39.1 GiB
    busy = processes(1e8, 0.001, ("eastus", "westus"))
    with pytest.raises(ValueError, match=r"^one trial would need 39.1 GiB \(max_memory_bytes "
                                         r"2 GiB\): eastus has rate_per_year=1e\+08, mean "
                                         r"outage 0.001 h, 1-year trials$"):
        check_simulation_memory(busy, 1, 10)
    # a busy model whose single trials fit is streamed in sub-blocks, whatever the trials
    check_simulation_memory(processes(1e5, 1), 1, 10 ** 9)
    # years beyond a thousand are refused first
    with pytest.raises(ValueError, match="years=1,001 is not allowed: a whole number from 1 "
                                         "to 1,000"):
        check_simulation_memory(processes(1.0, 4), 1_001, 1)


def test_work_beyond_five_billion_outages_is_refused_at_the_boundary():
    # 1e6 outages a year of 3.6 s: 1e6 x (1 + 0.06 / 525,600) = 1,000,000.11 a trial, so
    # 4,999 trials draw 4.9999e9 (allowed) and 5,000 draw 5.0000006e9 (refused)
    busy = processes(1e6, 0.001)
    check_simulation_work(busy, 1, 4_999)
    with pytest.raises(ValueError, match=r"^the simulation would draw about 5e\+09 outages "
                                         r"\(at most 5,000,000,000\): process eastus has "
                                         r"rate_per_year=1e\+06 over 5,000 trials of 1 "
                                         r"year\(s\); lower the rate or the trials$"):
        check_simulation_work(busy, 1, 5_000)
