"""Rare events by importance sampling: balanced failure biasing of outage arrivals.

Where a deployment is built to almost never fail (one region of three must be up, each down
4.6e-4 of the time: unavailable about 1e-10 of the time), plain Monte Carlo sees no down time
in any number of trials it can afford. This module simulates the same trials under a *biased*
outage model in which the coincidences that make down time are common, and weights each trial
by its likelihood ratio, so that every weighted mean is an unbiased estimate of the true one.

The change of measure (failure biasing while degraded)
------------------------------------------------------
Outage starts of process ``k`` are a Poisson process of rate ``lambda_k``. In the biased
model, every outage ``o`` (of process ``j``, lasting ``D_o``) adds, while it runs, the rate
``c_k / D_o`` to the outage starts of every *other* process ``k``: while all is up, processes
fail at their own rates; while the deployment is degraded, each outage in progress brings on
average ``c_k`` extra outage starts of ``k`` over its whole length, however long it lasts.
Durations, the steady start (the outages already running when a trial begins, whose
remaining length plays ``D_o``) and random failover delays keep their laws, so any duration
law works. Raising rates only where the deployment is already degraded is what keeps the
weights bounded: a rate raised over a whole trial-year makes them explode (Heidelberger 1995;
Shahabuddin 1994; Nicola, Shahabuddin and Nakayama 2001, whose *balanced* failure biasing
splits a fixed biased failure probability equally among the components that can fail: here
``c_k = theta / (K - 1)``). Tying the extra rate to ``1 / D_o`` rather than raising a rate
for as long as an outage lasts bounds what one outage adds to the log weight by ``theta``,
whatever the tail of the duration law (a fixed raise would give weights ``exp(c D)``, of
infinite variance for lognormal durations), and gives long outages no more extra starts than
short ones, in the spirit of L'Ecuyer and Tuffin's approximate zero-variance sampling (the
weight of a coincidence is then about proportional to its true chance, ``lambda_k D_o``).

A trial's likelihood ratio (true over biased) is the Poisson-process one::

    ln w = sum_k [ integral of (lambda'_k - lambda_k) dt - sum_i ln(lambda'_k(t_i) / lambda_k) ]
         = sum_o (theta_o - c_j(o)) f_o  -  sum over starts i of k: ln(1 + S_k(t_i) / lambda_k)

with ``lambda'_k(t) = lambda_k + S_k(t)``, ``S_k(t)`` the sum of ``c_k / D_o`` over the
outages of other processes running at ``t``, ``f_o`` the part of outage ``o`` inside its trial
(the trial ends it), ``theta_o = sum_k c_k`` and the starts ``t_i`` those of the trial (not the
steady start's outages, which are the trial's initial state). For any per-trial figure ``x``
(fraction of time down or not served, months below the objective, credit, failover-gap
downtime), ``E_true[x] = E_biased[w x]``: the estimate is the mean of ``w x`` over the trials
and its 95 % interval comes from the sample variance of ``w x``: the same sums plain sampling
keeps (:func:`plcapacity.availability.results.block_summary`).

How the biased arrivals are drawn, vectorized
---------------------------------------------
The biased process is the superposition of the true one (rate ``lambda_k`` everywhere) and,
for each outage ``o``, an independent Poisson process of extra starts of rate ``c_k / D_o``
on ``o``'s interval: ``Poisson(theta_o f_o)`` extra starts, each at a uniform time in ``o``
and of a process chosen in proportion to ``c_k`` among the others. Extra outages bring extras
of their own, so the draws go in rounds, for every outage of a sub-block at once: round 0
draws the extras of the true outages, round ``r`` those of the extras of round ``r - 1``
(a branching process with mean ``theta < 1`` children per outage: a few rounds). Only rounds
loop, not trials or outages. The draws come from the sub-block's generator in a fixed order,
so the same seed gives the same numbers whatever the chunking or the number of workers, as
for plain sampling.

Choosing the bias
-----------------
The weights' second moment grows as about ``exp(M (e**theta - 1))`` with ``M`` outages per
trial, so ``theta = min(THETA_MAX, ln(1 + WEIGHT_LOG_MOMENT / M))`` keeps it near
``exp(WEIGHT_LOG_MOMENT)`` (an effective sample size of about a seventh of the trials) while
making the coincidences of two or three processes common. As outages get rarer (``M`` to 0),
``theta`` stays at ``THETA_MAX``: the biased failure probability during a degraded period is
fixed, the regime where balanced failure biasing has bounded relative error for Markov
models; ``benchmarks/bench_rare_events.py`` and ``tests/availability/test_importance.py``
show it empirically for fixed, lognormal and heavy-tailed durations and monthly figures.

Units: ticks inside (as the engine), minutes in rates and results; a year is 365 days.

References
----------
.. [1] P. Shahabuddin, "Importance sampling for the simulation of highly reliable Markovian
   systems", Management Science 40(3), 1994.
.. [2] V. F. Nicola, P. Shahabuddin, M. K. Nakayama, "Techniques for fast simulation of models
   of highly dependable systems", IEEE Transactions on Reliability 50(3), 2001.
.. [3] P. Heidelberger, "Fast simulation of rare events in queueing and reliability models",
   ACM TOMACS 5(1), 1995.
.. [4] P. L'Ecuyer, B. Tuffin, "Approximating zero-variance importance sampling in a
   reliability setting", Annals of Operations Research 189, 2011.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from plcapacity.availability.engine import Intervals, evaluate_block, union
from plcapacity.outages.laws import MINUTES_PER_YEAR

__all__ = ["METHODS", "THETA_MAX", "WEIGHT_LOG_MOMENT", "MIN_EFFECTIVE_TRIALS",
           "AUTO_REL_CI", "ImportancePlan", "importance_plan", "biased_intervals",
           "simulate_block_importance", "effective_sample_size", "plain_trials_needed"]

#: Estimators :func:`plcapacity.simulate` offers.
METHODS = ("plain", "importance", "auto")
#: Most expected extra outage starts per outage (summed over processes). Below 1, so that
#: extra outages, which bring extras of their own, die out (a subcritical branching). [-]
THETA_MAX = 0.75
#: Target log of the weights' second moment per trial: ``E[w**2]`` about ``e**2``. [-]
WEIGHT_LOG_MOMENT = 2.0
#: Below this effective number of trials behind a figure (``(sum w x)**2 / sum (w x)**2``),
#: an importance-sampled figure gets no confidence interval, only a note. [trials]
MIN_EFFECTIVE_TRIALS = 30
#: Relative half-width ``method="auto"`` asks of plain sampling when no ``target_rel_ci`` is
#: given: below it within the trials at hand, plain sampling is kept. [-]
AUTO_REL_CI = 0.1
#: Most rounds of extra outages in one sub-block (each round a chain one outage longer).
_MAX_ROUNDS = 10_000


class ImportancePlan(NamedTuple):
    """The change of measure of :func:`biased_intervals`.

    Attributes
    ----------
    rate : ndarray of float, shape (K,)
        True outage start rate of each process. [1/min]
    extra : ndarray of float, shape (K,)
        ``c_k``: expected extra starts of process ``k`` that one outage of another process
        brings over its length. [-]
    theta : float
        Expected extra starts one outage brings, summed over the other processes. [-]
    """

    rate: np.ndarray
    extra: np.ndarray
    theta: float

    def describe(self) -> str:
        """The plan in a few words, for notes."""
        if not (self.extra > 0).any():
            return "nothing to bias (one outage process)"
        return f"{self.theta:.2g} extra outage starts per outage while degraded"


def importance_plan(processes, years, *, theta=None) -> ImportancePlan:
    """The balanced failure biasing of a deployment's outage processes.

    Parameters
    ----------
    processes : sequence of OutageProcess
        ``compile_structure(...).processes``.
    years : int
        Years per trial. [yr]
    theta : float, optional
        Expected extra outage starts one outage brings, summed over the other processes, in
        ``(0, 1)`` [-]; default ``min(THETA_MAX, ln(1 + WEIGHT_LOG_MOMENT / M))`` with ``M``
        the expected outage starts per trial.

    Returns
    -------
    ImportancePlan

    Raises
    ------
    ValueError
        For a ``theta`` outside ``(0, 1)``.

    Notes
    -----
    Balanced: ``c_k = theta / (K - 1)`` for every process that has outages at all. One
    process (nothing to coincide with), or no outages: no bias.

    Examples
    --------
    >>> from plcapacity import OutageModel
    >>> model = OutageModel(1.0, {"law": "fixed", "hours": 4})
    >>> plan = importance_plan(model.processes(["eastus", "westus2", "centralus"]), 1)
    >>> round(plan.theta, 3), plan.extra.round(3).tolist()   # three starts a year: ln(1 + 2/3)
    (0.511, [0.255, 0.255, 0.255])
    """
    K = len(processes)
    rate = np.array([p.rate_per_minute for p in processes], dtype=float)
    starts = float(rate.sum() * years * MINUTES_PER_YEAR)  # per trial
    if theta is None:
        theta = (min(THETA_MAX, math.log1p(WEIGHT_LOG_MOMENT / starts)) if starts > 0
                 else THETA_MAX)
    elif (isinstance(theta, bool) or not isinstance(theta, (int, float))
          or not 0 < theta < 1):
        raise ValueError(f"theta={theta!r} is not allowed: a number between 0 and 1 (extra "
                         "outage starts per outage; at 1 or more they would never die out)")
    can_fail = rate > 0
    if K < 2 or starts <= 0 or can_fail.sum() < 2:
        return ImportancePlan(rate, np.zeros(K), float(theta))
    extra = np.where(can_fail, theta / (can_fail.sum() - 1), 0.0)
    return ImportancePlan(rate, extra, float(theta))


def _ticks(minutes, scale, longest):
    """Durations in whole ticks, cut at ``longest`` ticks first (as the plain engine)."""
    ticks = np.minimum(np.multiply(minutes, scale), longest)
    return np.rint(ticks).astype(np.int64)


def _durations(processes, owner, rng, scale, trial_ticks, residual=False):
    """One duration per outage, drawn process by process (in process order). [ticks]"""
    out = np.empty(owner.size, dtype=np.int64)
    for k in np.unique(owner):  # processes, not outages
        mine = owner == k
        law = processes[k].duration
        minutes = (law.sample_residual(rng, int(mine.sum())) if residual
                   else law.sample(rng, int(mine.sum())))
        out[mine] = _ticks(minutes, scale, trial_ticks)
    return out


def _extras(plan, start, length, owner, trial_ticks, rng):
    """The extra outage starts that outages ``(start, length, owner)`` bring: their times
    [ticks] and processes, in time order."""
    end = np.minimum(start + length, (start // trial_ticks + 1) * trial_ticks)  # in its trial
    real = length > 0
    fraction = np.where(real, (end - start) / np.maximum(length, 1), 0.0)
    total = plan.extra.sum()
    others = total - plan.extra[owner]
    count = rng.poisson(others * fraction)
    source = np.repeat(np.arange(start.size), count)
    at = start[source] + np.floor(rng.random(source.size)
                                  * (end[source] - start[source])).astype(np.int64)
    # the process: in proportion to c_k among the processes other than the source's
    pick = rng.random(source.size) * others[source]
    cumulative = np.cumsum(plan.extra)
    below = cumulative[owner[source]] - plan.extra[owner[source]]  # before the source's own
    pick += np.where(pick >= below, plan.extra[owner[source]], 0.0)
    process = np.minimum(np.searchsorted(cumulative, pick, side="right"), plan.extra.size - 1)
    order = np.argsort(at, kind="stable")
    return at[order], process[order]


def _extra_rate(start, length, owner, trial_ticks, K):
    """``S(t) = sum of 1 / D_o`` over the outages running at ``t``, in total and per process:
    sorted event times and the sum after each (all processes; then each process's own).
    [1/tick]"""
    real = length > 0
    start, length, owner = start[real], length[real], owner[real]
    end = np.minimum(start + length, (start // trial_ticks + 1) * trial_ticks)
    inverse = 1.0 / length
    times = np.concatenate([start, end])
    step = np.concatenate([inverse, -inverse])
    who = np.concatenate([owner, owner])
    order = np.argsort(times, kind="stable")
    times, step, who = times[order], step[order], who[order]
    total = (times, np.cumsum(step))
    own = []
    for k in range(K):  # processes, not outages
        mine = who == k
        own.append((times[mine], np.cumsum(step[mine])))
    return total, own


def _at(curve, ticks):
    """The value of a step curve ``(times, values)`` at ``ticks`` (after every event at or
    before each tick; 0 before the first)."""
    times, values = curve
    j = np.searchsorted(times, ticks, side="right") - 1
    return np.where(j >= 0, values[np.maximum(j, 0)] if values.size else 0.0, 0.0)


def biased_intervals(structure, plan, n_trials, years, rng, scale):
    """Outage intervals of one sub-block under the biased model, and each trial's log weight.

    Parameters
    ----------
    structure : plcapacity.availability.Structure
    plan : ImportancePlan
    n_trials : int
        Trials of the sub-block.
    years : int
        Years per trial. [yr]
    rng : numpy.random.Generator
        The sub-block's generator (its draws, in a fixed order, are the whole randomness).
    scale : int
        Ticks per minute (``Tables.ticks_per_minute(years)``).

    Returns
    -------
    intervals : list of (ndarray, ndarray)
        Per process, its merged intervals ``[start, end)`` on the sub-block's axis, each
        inside its trial (trial ``i`` covers ``[i * trial_ticks, (i + 1) * trial_ticks)``).
        [ticks]
    log_weight : ndarray of float, shape (n_trials,)
        ``ln w`` of each trial: the log likelihood ratio, true over biased. [-]
    """
    processes = structure.processes
    K = len(processes)
    T = years * MINUTES_PER_YEAR
    trial_ticks = T * scale
    span = n_trials * trial_ticks
    # True arrivals of every process (counts, positions), then their durations.
    counts = rng.poisson(plan.rate * T * n_trials)
    owner = np.repeat(np.arange(K, dtype=np.int64), counts)
    start = np.minimum(np.floor(rng.random(owner.size) * span).astype(np.int64), span - 1)
    start += owner * span  # sorted process by process (later lookups are then in order)
    start.sort()
    start -= owner * span
    length = _durations(processes, owner, rng, scale, trial_ticks)
    arrival = np.ones(owner.size, dtype=bool)  # a start inside the trial (not the steady one)
    # The steady start: outages already running when each trial begins.
    running = rng.poisson(plan.rate * np.array([p.duration.mean_minutes for p in processes])
                          * n_trials)
    run_owner = np.repeat(np.arange(K, dtype=np.int64), running)
    run_start = rng.integers(0, n_trials, run_owner.size) * trial_ticks
    run_length = _durations(processes, run_owner, rng, scale, trial_ticks, residual=True)
    starts, lengths, owners = [start, run_start], [length, run_length], [owner, run_owner]
    arrivals = [arrival, np.zeros(run_owner.size, dtype=bool)]
    log_weight = np.zeros(n_trials)
    if (plan.extra > 0).any():
        new = (np.concatenate([start, run_start]), np.concatenate([length, run_length]),
               np.concatenate([owner, run_owner]))
        for _ in range(_MAX_ROUNDS):  # rounds: generations of extra outages, not trials
            at, process = _extras(plan, *new, trial_ticks, rng)
            if not at.size:
                break
            extra_length = _durations(processes, process, rng, scale, trial_ticks)
            starts.append(at)
            lengths.append(extra_length)
            owners.append(process)
            arrivals.append(np.ones(at.size, dtype=bool))
            new = (at, extra_length, process)
        else:  # pragma: no cover - 10,000 generations: theta is below 1
            raise RuntimeError("importance sampling did not settle: the bias is too strong")
    start, length, owner = (np.concatenate(starts), np.concatenate(lengths),
                            np.concatenate(owners))
    if (plan.extra > 0).any():
        log_weight = _log_weight(plan, start, length, owner, np.concatenate(arrivals),
                                 trial_ticks, scale, n_trials)
    merged = []
    order = np.lexsort((start, owner))
    start, length, owner = start[order], length[order], owner[order]
    first = np.searchsorted(owner, np.arange(K + 1))
    for k in range(K):  # processes, not outages
        s = start[first[k]:first[k + 1]]
        merged.append(union(s, s + length[first[k]:first[k + 1]], trial_ticks))
    return merged, log_weight


def _log_weight(plan, start, length, owner, arrival, trial_ticks, scale, n_trials):
    """``ln w`` per trial (see the module notes) from every outage of the sub-block."""
    K = plan.extra.size
    trial = start // trial_ticks
    end = np.minimum(start + length, (trial + 1) * trial_ticks)
    fraction = np.where(length > 0, (end - start) / np.maximum(length, 1), 0.0)
    others = plan.extra.sum() - plan.extra[owner]
    log_weight = np.bincount(trial, others * fraction, minlength=n_trials)
    total, own = _extra_rate(start, length, owner, trial_ticks, K)
    per_tick = plan.rate / scale  # true starts per tick
    for k in np.flatnonzero(plan.extra > 0):  # biased processes: a handful
        mine = np.flatnonzero((owner == k) & arrival)
        if not mine.size:
            continue
        at = start[mine]
        others_rate = np.maximum(_at(total, at) - _at(own[k], at), 0.0) * plan.extra[k]
        log_weight -= np.bincount(trial[mine], np.log1p(others_rate / per_tick[k]),
                                  minlength=n_trials)
    return log_weight


def simulate_block_importance(structure, tables, plan, n_trials, years, rng, *, delay=None):
    """:func:`plcapacity.availability.engine.simulate_block` under the biased model.

    Returns
    -------
    dict
        As :func:`plcapacity.availability.engine.evaluate_block`, plus ``weight``: each trial's
        likelihood ratio (true over biased). [-]
    """
    scale = tables.ticks_per_minute(years)
    merged, log_weight = biased_intervals(structure, plan, n_trials, years, rng, scale)
    out = evaluate_block(structure, tables, Intervals.from_list(merged), n_trials, years,
                         delay=delay, rng=rng)
    out["weight"] = np.exp(log_weight)
    return out


def effective_sample_size(total, total_sq) -> float:
    """Kish's effective sample size ``(sum v)**2 / sum v**2`` of weights (or of weighted
    values ``w x``: the effective number of trials behind that figure); 0 when all are 0.

    Examples
    --------
    >>> effective_sample_size(4.0, 4.0)    # four weights of 1
    4.0
    >>> effective_sample_size(1.0, 1.0)    # one weight carries everything
    1.0
    """
    return float(total * total / total_sq) if total_sq > 0 else 0.0


def plain_trials_needed(episodes_per_trial, rel_ci) -> float:
    """Trials plain sampling needs for a 95 % interval of relative half-width ``rel_ci`` on a
    figure made of rare episodes (``episodes_per_trial`` expected per trial): at least
    ``(1.96 / rel_ci)**2 / episodes_per_trial`` (a Poisson count; longer-tailed episode
    lengths need more). ``inf`` without episodes.

    Examples
    --------
    >>> round(plain_trials_needed(6.25e-7, 0.1) / 1e9, 2)   # one of three regions: 1e9 trials
    0.61
    """
    if not episodes_per_trial > 0:
        return math.inf
    return (1.959963984540054 / rel_ci) ** 2 / episodes_per_trial
