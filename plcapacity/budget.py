"""Memory budgets: what a simulation will need, estimated before anything is allocated.

A Monte Carlo block holds every outage of every process over its trials at once, so its
memory grows with the expected number of outages: ``rate x (years + mean duration) x trials``
per process. :func:`simulation_bytes` estimates the peak from the model (measured on this
engine: about 210 bytes per expected outage, plus about 400 bytes per trial for the per-trial
results), and :func:`check_simulation_memory` refuses, naming what drives the size, when the
estimate exceeds the budget, instead of letting the operating system's out-of-memory killer end
the run with no message.
"""

from __future__ import annotations

import math

from .outages import MINUTES_PER_YEAR

__all__ = ["DEFAULT_MEMORY_BYTES", "MAX_TRIAL_YEARS", "MAX_YEARS_PER_TRIAL", "simulation_bytes",
           "check_simulation_memory"]

#: Default memory budget of one simulation (one block of trials). [bytes] (2 GiB: two batch
#: workers stay well inside a small machine's memory.)
DEFAULT_MEMORY_BYTES = 2 << 30
#: Most trial-years of one simulation (or one batch row). [trial-years] About a quarter of an
#: hour of one core at this engine's speed; the per-block sums it keeps stay below 200 MB.
MAX_TRIAL_YEARS = 10 ** 10
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
    """
    return (_BYTES_PER_OUTAGE * _expected_outages(processes, years, trials)
            + _BYTES_PER_TRIAL * trials * max(1, years))


def check_simulation_memory(processes, years, trials, budget=DEFAULT_MEMORY_BYTES):
    """Raise ValueError when a block of ``trials`` would need more than ``budget`` bytes.

    The message names the busiest process (its rate and mean duration), the years per trial
    and the estimate, so the user can see which input to change.
    """
    if years > MAX_YEARS_PER_TRIAL:
        raise ValueError(f"years={years:,} is not allowed: a whole number from 1 to "
                         f"{MAX_YEARS_PER_TRIAL:,} (years per trial)")
    need = simulation_bytes(processes, years, trials)
    if not need <= budget:
        busiest = max(processes, key=lambda p: p.rate_per_minute * (
            years * MINUTES_PER_YEAR + p.duration.mean_minutes))
        rate = busiest.rate_per_minute * MINUTES_PER_YEAR
        shown = f"{need / 2 ** 30:,.1f} GiB" if math.isfinite(need) else "unbounded memory"
        raise ValueError(
            f"the simulation would need about {shown} per block of {trials:,} trials (budget "
            f"{budget / 2 ** 30:,.1f} GiB): process {busiest.name} has {rate:,.4g} outages a "
            f"year lasting {busiest.duration.mean_minutes / 60:,.4g} h on average over "
            f"{years:,}-year trials; lower the outage rate or duration (a calibrated rate "
            "follows slo_percent), or the years per trial")
