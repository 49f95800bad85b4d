"""Memory budgets: what a simulation will need, estimated before anything is allocated.

A Monte Carlo block of 65,536 trials draws and evaluates its trials in *sub-blocks*: each
holds every outage of every process over its trials at once, so its memory grows with its
expected number of outages, ``rate x (years + mean duration) x trials`` per process. The
number of trials of a sub-block (:func:`sub_block_trials`) is set by the model alone (rates,
durations, years per trial; never by the budget), so that a sub-block holds about
``SUB_BLOCK_OUTAGES`` expected outages: peak memory is then bounded whatever the rates,
durations and years per trial, and the numbers do not depend on the budget.
:func:`simulation_bytes` estimates the peak of evaluating some trials at once (measured on
this engine: about 210 bytes per expected outage, plus about 400 bytes per trial-year for the
per-trial results). :func:`check_simulation_memory` refuses only what cannot be streamed: a
single trial whose outages alone exceed the budget.
"""

from __future__ import annotations

import math

from plcapacity.outages.laws import MINUTES_PER_YEAR

# the check_* functions and sub_block_trials serve simulate and the batch (not API)
__all__ = ["DEFAULT_MEMORY_BYTES", "MIN_MEMORY_BYTES", "MAX_TRIAL_YEARS", "MAX_YEARS_PER_TRIAL",
           "MAX_EXPECTED_OUTAGES", "SUB_BLOCK_OUTAGES", "simulation_bytes", "check_memory_budget",
           "check_simulation_memory", "check_simulation_work", "sub_block_trials"]

#: Default memory budget of one simulation. [bytes] (2 GiB: two batch workers stay well inside
#: a small machine's memory; a sub-block needs far less unless one trial is huge.)
DEFAULT_MEMORY_BYTES = 2 << 30
#: Smallest budget accepted. [bytes] (64 MiB: a sub-block of more than one trial fits in it.)
MIN_MEMORY_BYTES = 64 << 20
#: Expected outages a sub-block of trials holds (about 28 MB at the measured bytes per outage).
SUB_BLOCK_OUTAGES = 1 << 17
#: Most trials in one sub-block (a whole seeding block).
_MAX_SUB_BLOCK_TRIALS = 1 << 16
#: Most trial-years of one simulation (or one batch row). [trial-years] About a quarter of an
#: hour of one core at this engine's speed; the per-block sums it keeps stay below 200 MB.
MAX_TRIAL_YEARS = 10 ** 10
#: Most outages one simulation (or batch row) may be expected to draw. [-] Memory stays bounded
#: whatever the count (sub-blocks), but time does not: at this engine's speed this is a few
#: minutes of one core; an outage model this busy is almost surely a typing slip.
MAX_EXPECTED_OUTAGES = 5 * 10 ** 9
#: Longest trial. [yr] (The engine's integer time axis is exact up to 2**20 years; trials
#: longer than a few decades answer no question the SLA asks.)
MAX_YEARS_PER_TRIAL = 1_000
#: Measured peak bytes per expected outage in a block, and per trial (see the module notes).
_BYTES_PER_OUTAGE = 210
_BYTES_PER_TRIAL = 400


def _expected_outages(processes, years, trials) -> float:
    """Expected outage intervals of a block: arrivals in the trials plus those running at
    each trial's start."""
    total = 0.0
    for process in processes:  # a handful of processes
        rate = process.rate_per_minute
        mean = process.duration.mean_minutes
        total += rate * (years * MINUTES_PER_YEAR + mean) * trials
    return total


def simulation_bytes(processes, years, trials) -> float:
    """Estimated peak memory of simulating ``trials`` trials at once. [bytes]

    Parameters
    ----------
    processes : sequence of OutageProcess
        The deployment's outage processes (``compile_structure(...).processes``).
    years : int
        Years per trial. [yr]
    trials : int
        Trials held at once (one block). [-]

    Returns
    -------
    float
        Estimated peak memory. [bytes]

    Examples
    --------
    >>> from plcapacity import OutageModel
    >>> model = OutageModel(100, {"law": "fixed", "hours": 2})
    >>> f"{simulation_bytes(model.processes(['eastus']), 1, 65_536) / 2**20:,.0f} MiB"
    '1,338 MiB'
    """
    return (_BYTES_PER_OUTAGE * _expected_outages(processes, years, trials)
            + _BYTES_PER_TRIAL * trials * max(1, years))


def sub_block_trials(processes, years) -> int:
    """Trials per sub-block: the power of two (1 to 65,536) whose expected outages stay at
    most ``SUB_BLOCK_OUTAGES``. Depends on the model only (never on a memory budget): it fixes
    how a block's trials draw their random numbers.

    Parameters
    ----------
    processes : sequence of OutageProcess
    years : int
        Years per trial. [yr]

    Returns
    -------
    int
        Trials per sub-block. [-]
    """
    per_trial = _expected_outages(processes, years, 1)
    if not per_trial > 0:
        return _MAX_SUB_BLOCK_TRIALS
    fit = SUB_BLOCK_OUTAGES / per_trial
    if not fit >= 2:  # also NaN and inf rates
        return 1
    return int(min(_MAX_SUB_BLOCK_TRIALS, 1 << int(math.floor(math.log2(fit)))))


def check_memory_budget(budget):
    """The budget as a number of bytes, or ValueError (below ``MIN_MEMORY_BYTES``)."""
    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not (
            budget >= MIN_MEMORY_BYTES):
        raise ValueError(f"max_memory_bytes={budget!r} is not allowed: at least "
                         f"{MIN_MEMORY_BYTES:,} bytes (64 MiB)")
    return budget


def check_simulation_memory(processes, years, trials, budget=DEFAULT_MEMORY_BYTES):
    """Raise ValueError when the trials evaluated at once (a sub-block, at most ``trials``)
    would need more than ``budget`` bytes: only when one trial alone exceeds it, since a
    sub-block of more than one trial holds at most ``SUB_BLOCK_OUTAGES`` expected outages.

    The message names the busiest process (its rate and mean duration), the years per trial
    and the estimate, so the user can see which input to change.
    """
    if years > MAX_YEARS_PER_TRIAL:
        raise ValueError(f"years={years:,} is not allowed: a whole number from 1 to "
                         f"{MAX_YEARS_PER_TRIAL:,} (years per trial)")
    check_memory_budget(budget)
    trials = min(trials, sub_block_trials(processes, years))
    need = simulation_bytes(processes, years, trials)
    if not need <= budget:
        busiest = max(processes, key=lambda p: p.rate_per_minute * (
            years * MINUTES_PER_YEAR + p.duration.mean_minutes))
        rate = busiest.rate_per_minute * MINUTES_PER_YEAR
        shown = f"{need / 2 ** 30:,.3g} GiB" if math.isfinite(need) else "unbounded memory"
        raise ValueError(
            f"one trial would need {shown} (max_memory_bytes {budget / 2 ** 30:,.3g} GiB): "
            f"{busiest.name} has rate_per_year={rate:,.4g}, mean outage "
            f"{busiest.duration.mean_minutes / 60:,.4g} h, {years:,}-year trials")


def check_simulation_work(processes, years, trials):
    """Raise ValueError when a run of ``trials`` trials would draw more than
    :data:`MAX_EXPECTED_OUTAGES` outages (time, not memory: memory is bounded anyway).

    The message names the busiest process, its rate and the expected count, and says what to
    lower.
    """
    expected = _expected_outages(processes, years, trials)
    if not expected <= MAX_EXPECTED_OUTAGES:
        busiest = max(processes, key=lambda p: p.rate_per_minute)
        rate = busiest.rate_per_minute * MINUTES_PER_YEAR
        raise ValueError(
            f"the simulation would draw about {expected:,.3g} outages (at most "
            f"{MAX_EXPECTED_OUTAGES:,.0f}): process {busiest.name} has rate_per_year="
            f"{rate:,.4g} over {trials:,} trials of {years:,} year(s); lower the rate or the "
            "trials")
