"""Vectorized Monte Carlo over years of regional outages: the driver.

Trials are simulated in fixed-size *blocks* of ``BLOCK_TRIALS`` trials, the unit of
reproducibility and of the sums that travel between processes. A block's trials are drawn and
evaluated in *sub-blocks* of ``S`` trials laid end to end on one time axis, where ``S``
(:func:`plcapacity.availability.budget.sub_block_trials`, a power of two) is set by the model alone so that
a sub-block holds about 2**17 expected outages: peak memory stays bounded whatever the rates,
durations and years per trial. Sub-block ``s`` of block ``b`` draws its random numbers from
its own generator, seeded by ``SeedSequence(entropy, spawn_key=(b, s))``, so every trial's
numbers depend only on the seed, the model and its position: results are bit-identical
whatever the chunk size, the number of workers or the memory budget.

- :mod:`plcapacity.availability.engine` simulates one block (outage intervals, the state sweep, failover
  gaps, per-trial reductions), vectorized: nothing loops over trials or events.
- :mod:`plcapacity.availability.results` reduces blocks to sums and holds :class:`SimulationResult`.
- :mod:`plcapacity.availability.importance` simulates one block under a biased outage model
  and weights its trials (``method="importance"``: rare events measured, not rounded to 0).
- This module seeds the blocks and runs them: locally (:func:`simulate`) or anywhere
  (:func:`block_summaries`, then :func:`result_from_summaries`).

Units: minutes; a year is 365 days.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from plcapacity.availability.budget import (
    DEFAULT_MEMORY_BYTES,
    MAX_TRIAL_YEARS,
    check_memory_budget,
    check_simulation_memory,
    check_simulation_work,
    sub_block_trials,
)
from plcapacity.availability.engine import Tables, dense_cause, simulate_block
from plcapacity.availability.importance import (
    AUTO_REL_CI,
    METHODS,
    MIN_EFFECTIVE_TRIALS,
    effective_sample_size,
    importance_plan,
    plain_trials_needed,
    simulate_block_importance,
)
from plcapacity.availability.results import (
    Accumulator,
    block_summary,
    build_result,
    exact_figures,
    mean_ci,
)
from plcapacity.availability.structure import compile_structure
from plcapacity.base.exceptions import ModelWarning
from plcapacity.base.progress import progress_bar
from plcapacity.base.validation import check_number, count_text
from plcapacity.outages.laws import MINUTES_PER_YEAR

# block_summaries, result_from_summaries, blocks_for, block_rng, sub_block_rng and
# seed_sequence serve the batch, the studies and the uncertainty driver.
__all__ = ["simulate", "BLOCK_TRIALS", "TARGET_METRICS", "block_summaries",
           "result_from_summaries", "seed_sequence", "blocks_for", "block_rng", "sub_block_rng",
           "choose_method"]

#: Trials per seeding block: the unit of reproducibility. Changing it changes the numbers.
BLOCK_TRIALS = 65_536
#: ``method="auto"`` considers importance sampling only below this exact unavailability. [-]
RARE_UNAVAILABILITY = 1e-4
#: Trials kept one by one (``SimulationResult.trials``) by default; above, only aggregates.
KEEP_TRIALS_DEFAULT = 2_000_000
#: What ``target_rel_ci`` can target: per-trial sums (of values and squares) it reads.
TARGET_METRICS = {"reachable": ("down", "down_sq"), "served": ("unserved", "unserved_sq"),
                  "p_month_below_slo": ("months_below", "months_below_sq")}


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
    """A generator for block ``block_index`` (the engine draws from :func:`sub_block_rng`)."""
    return np.random.default_rng(np.random.SeedSequence(
        root.entropy, spawn_key=tuple(root.spawn_key) + (int(block_index),)))


def sub_block_rng(root, block_index, sub_index) -> np.random.Generator:
    """The generator of sub-block ``sub_index`` of block ``block_index``: independent of
    chunking, workers and the memory budget."""
    return np.random.default_rng(np.random.SeedSequence(
        root.entropy, spawn_key=tuple(root.spawn_key) + (int(block_index), int(sub_index))))


def _add_sums(total, part):
    """Add one sub-block's sums into ``total`` (in sub-block order: a fixed reduction)."""
    if total is None:
        return dict(part)
    return {key: total[key] + part[key] for key in total}


def run_block(structure, tables, root, block_index, n, years, sla, *, histogram, keep,
              delay=None, plan=None):
    """Simulate one block of ``n`` trials, sub-block by sub-block, and reduce it.

    Parameters
    ----------
    structure, tables
        From :func:`plcapacity.availability.compile_structure` and
        :class:`plcapacity.availability.engine.Tables`.
    root : SeedSequence
        The run's root.
    block_index, n : int
        The block and its trials.
    years : int
        Years per trial. [yr]
    sla : plcapacity.base.sla.SLA
    histogram : bool
        Count annual downtime into the quantile histogram.
    keep : bool
        Also return the per-trial columns.
    delay : duration law, optional
        Random failover delays (active-passive); default the fixed ``delay_minutes``.
    plan : ImportancePlan, optional
        Importance sampling under this plan (weighted sums; the histogram always); default
        plain sampling.

    Returns
    -------
    summary : dict
        The block's sums (see :func:`plcapacity.availability.results.block_summary`).
    kept : tuple or None
        With ``keep``: ``(columns, dense cause (n, K), (trial, month, uptime))``.
    """
    T = float(years * MINUTES_PER_YEAR)
    size = sub_block_trials(structure.processes, years)
    total, pieces = None, []
    for sub, first in enumerate(range(0, n, size)):  # sub-blocks of one block, not trials
        m = min(size, n - first)
        rng = sub_block_rng(root, block_index, sub)
        if plan is None:
            out = simulate_block(structure, tables, m, years, rng, delay=delay)
        else:
            out = simulate_block_importance(structure, tables, plan, m, years, rng, delay=delay)
        summary, per_trial = block_summary(out, T, sla, years,
                                           histogram=histogram or plan is not None,
                                           per_trial=keep)
        total = _add_sums(total, summary)
        if keep:
            columns, (trial, month, uptime) = per_trial
            pieces.append((columns, dense_cause(out["cause"], m, structure.n_processes),
                           (trial + first, month, uptime)))
    if not keep:
        return total, None
    columns = {name: np.concatenate([piece[0][name] for piece in pieces])
               for name in pieces[0][0]}
    cause = np.concatenate([piece[1] for piece in pieces])
    monthly = tuple(np.concatenate([piece[2][i] for piece in pieces]) for i in range(3))
    return total, (columns, cause, monthly)


def _whole(value, name, low=1):
    return check_number(value, name, low, integer=True)


def simulate(deployment, outages, *, trials, years=1, seed=None, chunk_size=None,
             target_rel_ci=None, target_metric=None, progress=None, max_trials=None,
             keep_trials=None, max_memory_bytes=DEFAULT_MEMORY_BYTES, method="plain"):
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
        ``chunk_size``, the number of workers or ``max_memory_bytes``;
        ``result.seed_entropy`` reproduces an unseeded run.
    chunk_size : int, optional
        Trials handed to the engine at a time (rounded up to whole blocks of 65,536); bounds
        memory and sets the progress granularity. Does not change the numbers.
    target_rel_ci : float, optional
        Keep simulating (in batches of ``trials``) until the 95 % CI half-width of
        ``target_metric`` is at most this fraction of it, or ``max_trials`` is reached.
    target_metric : {"reachable", "served", "p_month_below_slo"}, optional
        What ``target_rel_ci`` is about: the unavailability (time not reachable), the time
        not served, or the probability that a month misses the SLO. Default: ``"served"``
        when the deployment has a demand, else ``"reachable"``.
    progress : bool, optional
        Progress bar (tqdm; terminals and notebooks). Default: on for long runs.
    max_trials : int, optional
        Upper bound with ``target_rel_ci`` (default 100 x ``trials``).
    keep_trials : bool, optional
        Keep per-trial results (``.trials``, ``.downtime_min``). Default: when the run has
        at most 2,000,000 trials and they take at most a quarter of ``max_memory_bytes``.
        (Kept results are the caller's choice and come on top of the budget.)
    max_memory_bytes : float, default 2 GiB
        Memory budget of the simulation, at least 64 MiB. [bytes] Trials are drawn and
        evaluated in sub-blocks whose size the model sets (about 2**17 expected outages
        each), so peak memory stays far below the budget whatever the rates, durations and
        years per trial, and the numbers do not depend on it. Only a model where one trial
        alone would exceed it is refused, before anything is allocated, with a message
        naming the busiest outage process (see :mod:`plcapacity.availability.budget`).
    method : {"plain", "importance", "auto"}, default "plain"
        The estimator. ``"plain"``: every trial drawn from the outage model and counted once.
        ``"importance"``: trials drawn from a model whose outages coincide far more often
        (balanced failure biasing of outage starts while the deployment is degraded), each
        weighted by its likelihood ratio, so that figures too rare for plain sampling
        (unavailability of 1e-6 to 1e-11, months below the objective) are measured with an
        interval (see :mod:`plcapacity.availability.importance`). ``"auto"``: importance
        sampling when plain sampling would need more trials than allowed (``max_trials``
        with ``target_rel_ci``, else ``trials``) for the relative interval asked (else 10 %),
        judged from the exact rate of down episodes (:func:`choose_method`).

    Returns
    -------
    SimulationResult
        ``result.method`` names the estimator; ``result.effective_sample_size`` shows when
        importance weights degenerate (a figure resting on too few effective trials gets a
        NaN interval and a note instead of a confident one).

    Raises
    ------
    ValueError
        For invalid arguments, more than ``MAX_TRIAL_YEARS`` trial-years, or one trial
        beyond the memory budget.

    Notes
    -----
    The model is defined in ``docs/model.md``: Poisson outage starts per process, random
    durations, a steady start, endpoints usable while their region and their destination's
    region are up, failover gaps for active-passive. The exact steady state
    (:func:`plcapacity.exact_unavailability`) is the check the simulation's mean must meet
    within its confidence interval.

    Examples
    --------
    >>> import plcapacity as plc
    >>> deployment, outages = plc.load_deployment(
    ...     plc.data_path("examples/two-region-active-active.toml"))
    >>> result = plc.simulate(deployment, outages, trials=2_000, seed=1, progress=False)
    >>> result.trials_run, result.years
    (2000, 1)
    >>> again = plc.simulate(deployment, outages, trials=2_000, seed=1, progress=False)
    >>> again.availability == result.availability   # the same seed, the same numbers
    True

    References
    ----------
    .. [1] SLA for Azure Private Link (monthly uptime and credits),
       https://www.microsoft.com/licensing/docs/view/Service-Level-Agreements-SLA-for-Online-Services
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
    if target_metric is None:
        target_metric = "served" if deployment.demand_connections is not None else "reachable"
    if target_metric not in TARGET_METRICS:
        raise ValueError(f"target_metric={target_metric!r} is not allowed: one of "
                         f"{', '.join(TARGET_METRICS)}")
    if method not in METHODS:
        raise ValueError(f"method={method!r} is not allowed: one of {', '.join(METHODS)}")
    check_memory_budget(max_memory_bytes)
    if limit * years > MAX_TRIAL_YEARS:
        raise ValueError(f"{count_text(limit)} trials x {count_text(years)} years is not "
                         "allowed: at most "
                         f"{MAX_TRIAL_YEARS:,} trial-years in one simulation")
    root = seed_sequence(seed)
    structure = compile_structure(deployment, outages)
    check_simulation_memory(structure.processes, years, min(limit, BLOCK_TRIALS),
                            max_memory_bytes)
    check_simulation_work(structure.processes, years, limit)
    tables = Tables(structure)
    sla = deployment.sla
    if keep_trials is None:
        kept_bytes = limit * (64 + 8 * structure.n_processes)  # columns and causes per trial
        keep = limit <= KEEP_TRIALS_DEFAULT and kept_bytes <= max_memory_bytes / 4
    else:
        keep = bool(keep_trials)
    acc = Accumulator(structure.n_processes, 12 * years, keep)
    delay = _delay_law(deployment)
    total_key, square_key = TARGET_METRICS[target_metric]
    figures = exact_figures(deployment, outages)
    if method == "auto":
        method = choose_method(deployment, outages, trials=limit, years=years,
                               rel_ci=target_rel_ci, target_metric=target_metric,
                               figures=figures)
    plan = importance_plan(structure.processes, years) if method == "importance" else None

    bar = progress_bar(progress, limit, unit="trial", desc="simulating", at_least=32,
                       unit_scale=True)
    done, block = 0, 0
    goal = trials
    try:
        while True:
            while done < goal:
                for _ in range(blocks_per_chunk):  # a chunk: whole blocks of trials
                    if done >= goal:
                        break
                    n = min(BLOCK_TRIALS, goal - done)
                    acc.add_block(block, *run_block(structure, tables, root, block, n, years,
                                                    sla, histogram=not keep, keep=keep,
                                                    delay=delay, plan=plan))
                    done += n
                    block += 1
                    if bar is not None:
                        bar.update(n)
            if target_rel_ci is None:
                break
            mean, half = mean_ci(acc.total(total_key), acc.total(square_key), done)
            enough = plan is None or effective_sample_size(
                acc.total(total_key), acc.total(square_key)) >= MIN_EFFECTIVE_TRIALS
            if mean > 0 and half <= target_rel_ci * mean and enough:
                break  # the same half-width the result reports
            if done >= limit:
                warnings.warn(f"target_rel_ci={target_rel_ci} ({target_metric}) not reached "
                              f"within max_trials={limit:,}", ModelWarning, stacklevel=2)
                break
            goal = min(limit, done + trials)
    finally:
        if bar is not None:
            bar.close()

    return build_result(deployment, structure, acc, years, figures, root.entropy,
                        outages=outages, plan=plan)


def choose_method(deployment, outages, *, trials, years=1, rel_ci=None, target_metric=None,
                  figures=None) -> str:
    """``"importance"`` where plain sampling would need more than ``trials`` trials for a
    95 % interval of relative half-width ``rel_ci`` (default ``AUTO_REL_CI``, 10 %), else
    ``"plain"``: what ``simulate(..., method="auto")`` and the batch run.

    Parameters
    ----------
    deployment, outages
    trials : int
        Trials plain sampling may run. [-]
    years : int, default 1
        Years per trial. [yr]
    rel_ci : float, optional
        Relative half-width asked. [-]
    target_metric : {"reachable", "served", "p_month_below_slo"}, optional
        The figure; default ``"served"`` with a demand, else ``"reachable"``.
    figures : dict, optional
        :func:`plcapacity.availability.results.exact_figures` (computed when not given).

    Returns
    -------
    str

    Notes
    -----
    Plain sampling needs at least ``(1.96 / rel_ci)**2 / (nu * years)`` trials for a figure
    made of rare episodes occurring ``nu`` times a year
    (:func:`plcapacity.availability.importance.plain_trials_needed`), ``nu`` being the exact
    rate of down (or unserved) episodes; months below the objective are rarer still than
    down episodes, so the same bound serves them. Where the exact calculation declines the
    deployment (no rate), or the exact value is not rare (``RARE_UNAVAILABILITY``, 1e-4, or
    more: plain sampling measures it, whatever the trials at hand), plain sampling is kept.

    Examples
    --------
    >>> import plcapacity as plc
    >>> regions = ("eastus", "westus2", "centralus")
    >>> deployment = plc.Deployment(
    ...     tuple(plc.Destination(f"pls-{r}", r, None) for r in regions),
    ...     tuple(plc.Endpoint(f"pe-{r}", r, f"pls-{r}") for r in regions))
    >>> outages = plc.OutageModel(1.0, {"law": "fixed", "hours": 4})
    >>> choose_method(deployment, outages, trials=1_000_000)    # 1e9 trials needed
    'importance'
    >>> choose_method(deployment, outages, trials=10 ** 10)
    'plain'
    """
    if target_metric is None:
        target_metric = "served" if deployment.demand_connections is not None else "reachable"
    figures = exact_figures(deployment, outages) if figures is None else figures
    rate = figures["unserved_rate" if target_metric == "served" else "episode_rate"]
    value = figures["exact_served" if target_metric == "served" else "exact"]
    if rate is None or math.isnan(rate) or value is None or not value < RARE_UNAVAILABILITY:
        return "plain"  # unknown, or not rare: nothing for the weights to win
    needed = plain_trials_needed(rate * years, AUTO_REL_CI if rel_ci is None else rel_ci)
    return "importance" if needed > trials else "plain"


def _delay_law(deployment):
    """The random failover delay law of an active-passive deployment, or None (fixed)."""
    failover = deployment.failover
    law = getattr(failover, "delay", None)
    return law if failover.mode == "active-passive" else None


def block_summaries(deployment, outages, *, years, seed, blocks,
                    max_memory_bytes=DEFAULT_MEMORY_BYTES, method="plain"):
    """Simulate some blocks of a run and return their sums, for distributed runs.

    Parameters
    ----------
    deployment, outages
    years : int
    seed : SeedSequence
        The run's root (each block seeds from it and its index).
    blocks : sequence of (int, int)
        ``(block_index, trials_in_block)`` to simulate.

    max_memory_bytes : float, default 2 GiB
        As for :func:`simulate` (the numbers do not depend on it). [bytes]
    method : {"plain", "importance"}, default "plain"
        The estimator (every block of a run must use the same).

    Returns
    -------
    list of (int, dict)
        ``(block_index, sums)``, to be combined with :func:`result_from_summaries`; the
        numbers do not depend on which process ran which block, and equal those of
        :func:`simulate` with the same seed.
    """
    structure = compile_structure(deployment, outages)
    check_simulation_memory(structure.processes, years, BLOCK_TRIALS, max_memory_bytes)
    tables = Tables(structure)
    delay = _delay_law(deployment)
    if method not in ("plain", "importance"):
        raise ValueError(f"method={method!r} is not allowed: plain or importance")
    plan = importance_plan(structure.processes, years) if method == "importance" else None
    summaries = []
    for index, n in blocks:  # a few blocks of 65,536 trials each
        summary, _ = run_block(structure, tables, seed, index, n, years, deployment.sla,
                               histogram=True, keep=False, delay=delay, plan=plan)
        summaries.append((index, summary))
    return summaries


def result_from_summaries(deployment, outages, summaries, *, years, seed, figures=None):
    """A :class:`SimulationResult` (aggregates only) from block sums made anywhere."""
    structure = compile_structure(deployment, outages)
    acc = Accumulator(structure.n_processes, 12 * years, keep=False)
    for index, summary in sorted(summaries, key=lambda item: item[0]):
        acc.add_summary(index, summary)
    figures = exact_figures(deployment, outages) if figures is None else figures
    plan = importance_plan(structure.processes, years) if acc.has("weight") else None
    return build_result(deployment, structure, acc, years, figures, seed.entropy,
                        outages=outages, plan=plan)
