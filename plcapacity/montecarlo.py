"""Vectorized Monte Carlo over years of regional outages: the driver.

Trials are simulated in fixed-size *blocks* of ``BLOCK_TRIALS`` trials laid end to end on one
time axis. Block ``b`` draws its random numbers from its own generator, seeded by
``SeedSequence(entropy, spawn_key=(b,))``, so every trial's numbers depend only on the seed and
its block: results are bit-identical whatever the chunk size or the number of workers.

- :mod:`plcapacity.engine` simulates one block (outage intervals, the state sweep, failover
  gaps, per-trial reductions), vectorized: nothing loops over trials or events.
- :mod:`plcapacity.results` reduces blocks to sums and holds :class:`SimulationResult`.
- This module seeds the blocks and runs them: locally (:func:`simulate`) or anywhere
  (:func:`block_summaries`, then :func:`result_from_summaries`).

Units: minutes; a year is 365 days.
"""

from __future__ import annotations

import warnings

import numpy as np

from .availability import compile_structure
from .engine import Tables, simulate_block, ticks_per_minute  # noqa: F401 (re-exported)
from .exceptions import ModelWarning
from .budget import DEFAULT_MEMORY_BYTES, MAX_TRIAL_YEARS, check_simulation_memory
from .outages import MINUTES_PER_YEAR
from .results import (Accumulator, SimulationResult, block_summary, build_result,
                      exact_figures, mean_ci)
from .validation import check_number

# availability_by_region_count (now in plcapacity.studies) is still importable from here.
__all__ = ["simulate", "SimulationResult", "BLOCK_TRIALS", "block_summaries",
           "result_from_summaries", "exact_figures", "blocks_for", "block_rng",
           "seed_sequence"]

#: Trials per seeding block: the unit of reproducibility. Changing it changes the numbers.
BLOCK_TRIALS = 65_536
#: Trials kept one by one (``SimulationResult.trials``) by default; above, only aggregates.
KEEP_TRIALS_DEFAULT = 2_000_000


def seed_sequence(seed) -> np.random.SeedSequence:
    """The root ``SeedSequence`` of a run.

    Parameters
    ----------
    seed : None, int, list of int, SeedSequence or Generator
        None (fresh entropy), a non-negative int, a list of them (such as a result's
        ``seed_entropy``), a SeedSequence (used as is) or a Generator (four 32-bit draws
        from it seed the run).

    Returns
    -------
    numpy.random.SeedSequence
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(seed.integers(0, 2 ** 32, size=4).tolist())
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)
                        and seed >= 0):
        return np.random.SeedSequence(seed)
    if (isinstance(seed, (list, tuple)) and seed
            and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0
                    for v in seed)):  # a result's seed_entropy, as given back
        return np.random.SeedSequence(list(seed))
    raise ValueError(f"seed={seed!r} is not allowed: None, a non-negative int (or a list of "
                     "them, such as a result's seed_entropy), a numpy SeedSequence or a numpy "
                     "Generator")


def blocks_for(trials) -> list:
    """``(block_index, trials_in_block)`` for a run of ``trials`` trials."""
    return [(b, min(BLOCK_TRIALS, trials - b * BLOCK_TRIALS))
            for b in range(-(-trials // BLOCK_TRIALS))]


def block_rng(root, block_index) -> np.random.Generator:
    """The generator of block ``block_index``: independent of chunking and workers."""
    return np.random.default_rng(np.random.SeedSequence(
        root.entropy, spawn_key=tuple(root.spawn_key) + (int(block_index),)))


def _whole(value, name, low=1):
    return check_number(value, name, low, integer=True)


def _progress_bar(progress, total):
    if progress is False:
        return None
    if progress is None and total < 32:
        return None
    from tqdm.auto import tqdm
    # disable=None lets tqdm hide itself where there is no terminal (files, CI logs).
    return tqdm(total=total, unit="trial", unit_scale=True, desc="simulating",
                disable=None if progress is None else False, leave=False)


def simulate(deployment, outages, *, trials, years=1, seed=None, chunk_size=None,
             target_rel_ci=None, progress=None, max_trials=None, keep_trials=None,
             max_memory_bytes=DEFAULT_MEMORY_BYTES):
    """Monte Carlo of regional outages over a deployment.

    Parameters
    ----------
    deployment : Deployment
    outages : OutageModel
    trials : int
        Trials to run (each covering ``years``). With ``target_rel_ci``, the first batch.
    years : int, default 1
        Calendar years per trial (whole years: the SLA is monthly). [yr]
    seed : None, int, SeedSequence or Generator
        Root of the randomness. The same seed gives the same numbers whatever
        ``chunk_size`` or the number of workers; ``result.seed_entropy`` reproduces an
        unseeded run.
    chunk_size : int, optional
        Trials handed to the engine at a time (rounded up to whole blocks of 65,536); bounds
        memory and sets the progress granularity. Does not change the numbers.
    target_rel_ci : float, optional
        Keep simulating (in batches of ``trials``) until the 95 % CI half-width of the
        unavailability is at most this fraction of it, or ``max_trials`` is reached.
    progress : bool, optional
        Progress bar (tqdm; terminals and notebooks). Default: on for long runs.
    max_trials : int, optional
        Upper bound with ``target_rel_ci`` (default 100 x ``trials``).
    keep_trials : bool, optional
        Keep per-trial results (``.trials``, ``.downtime_min``). Default: when the run has
        at most 2,000,000 trials.
    max_memory_bytes : float, default 2 GiB
        Memory budget of one block of trials. [bytes] A model whose block would need more
        (many or long outages, long trials) is refused before anything is allocated, with a
        message naming the busiest outage process (see :mod:`plcapacity.budget`).

    Returns
    -------
    SimulationResult

    Raises
    ------
    ValueError
        For invalid arguments, more than ``MAX_TRIAL_YEARS`` trial-years, or a model beyond
        the memory budget.
    """
    trials = _whole(trials, "trials")
    years = _whole(years, "years")
    chunk = BLOCK_TRIALS if chunk_size is None else _whole(chunk_size, "chunk_size")
    blocks_per_chunk = max(1, -(-chunk // BLOCK_TRIALS))
    if target_rel_ci is not None:
        check_number(target_rel_ci, "target_rel_ci", 0, 1, low_inclusive=False,
                     high_inclusive=False, allowed="a fraction between 0 and 1, such as 0.05")
    limit = trials if target_rel_ci is None else (
        100 * trials if max_trials is None else _whole(max_trials, "max_trials"))
    if limit < trials:
        raise ValueError(f"max_trials={max_trials!r} is not allowed: at least trials={trials}")
    if limit * years > MAX_TRIAL_YEARS:
        raise ValueError(f"{limit:,} trials x {years:,} years is not allowed: at most "
                         f"{MAX_TRIAL_YEARS:,} trial-years in one simulation")
    root = seed_sequence(seed)
    structure = compile_structure(deployment, outages)
    check_simulation_memory(structure.processes, years, min(limit, BLOCK_TRIALS),
                            max_memory_bytes)
    tables = Tables(structure)
    sla = deployment.sla
    T = float(years * MINUTES_PER_YEAR)
    keep = (limit <= KEEP_TRIALS_DEFAULT) if keep_trials is None else bool(keep_trials)
    acc = Accumulator(structure.n_processes, 12 * years, keep)
    figures = exact_figures(deployment, outages)

    bar = _progress_bar(progress, limit)
    done, block = 0, 0
    goal = trials
    try:
        while True:
            while done < goal:
                for _ in range(blocks_per_chunk):  # a chunk: whole blocks of trials
                    if done >= goal:
                        break
                    n = min(BLOCK_TRIALS, goal - done)
                    out = simulate_block(structure, tables, n, years, block_rng(root, block))
                    acc.add(block, out, T, sla, years)
                    done += n
                    block += 1
                    if bar is not None:
                        bar.update(n)
            if target_rel_ci is None:
                break
            mean, half = mean_ci(acc.total("down"), acc.total("down_sq"), done)
            if mean > 0 and half <= target_rel_ci * mean:
                break  # the same half-width the result reports
            if done >= limit:
                warnings.warn(f"target_rel_ci={target_rel_ci} not reached within max_trials="
                              f"{limit:,}", ModelWarning, stacklevel=2)
                break
            goal = min(limit, done + trials)
    finally:
        if bar is not None:
            bar.close()

    return build_result(deployment, structure, acc, years, figures, root.entropy)


def block_summaries(deployment, outages, *, years, seed, blocks):
    """Simulate some blocks of a run and return their sums, for distributed runs.

    Parameters
    ----------
    deployment, outages
    years : int
    seed : SeedSequence
        The run's root (each block seeds from it and its index).
    blocks : sequence of (int, int)
        ``(block_index, trials_in_block)`` to simulate.

    Returns
    -------
    list of (int, dict)
        ``(block_index, sums)``, to be combined with :func:`result_from_summaries`; the
        numbers do not depend on which process ran which block.
    """
    structure = compile_structure(deployment, outages)
    tables = Tables(structure)
    T = float(years * MINUTES_PER_YEAR)
    summaries = []
    for index, n in blocks:  # a few blocks of 65,536 trials each
        out = simulate_block(structure, tables, n, years, block_rng(seed, index))
        summaries.append((index, block_summary(out, T, deployment.sla, years,
                                               histogram=True)[0]))
    return summaries


def result_from_summaries(deployment, outages, summaries, *, years, seed, figures=None):
    """A :class:`SimulationResult` (aggregates only) from block sums made anywhere."""
    structure = compile_structure(deployment, outages)
    acc = Accumulator(structure.n_processes, 12 * years, keep=False)
    for index, summary in sorted(summaries, key=lambda item: item[0]):
        acc.add_summary(index, summary)
    figures = exact_figures(deployment, outages) if figures is None else figures
    return build_result(deployment, structure, acc, years, figures, seed.entropy)


#: Former private name of :func:`seed_sequence` (batch, benchmarks and tests import it).
_seed_sequence = seed_sequence


def __getattr__(name):
    # availability_by_region_count moved to plcapacity.studies, which imports this module:
    # re-exported lazily so that either module can be imported first.
    if name == "availability_by_region_count":
        from .studies import availability_by_region_count
        return availability_by_region_count
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
