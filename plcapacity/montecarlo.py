"""Vectorized Monte Carlo over years of regional outages.

Trials are simulated in fixed-size *blocks* of ``BLOCK_TRIALS`` trials laid end to end on one
time axis. Block ``b`` draws its random numbers from its own generator, seeded by
``SeedSequence(entropy, spawn_key=(b,))``, so every trial's numbers depend only on the seed and
its block: results are bit-identical whatever the chunk size or the number of workers. Inside a
block nothing loops over trials or events:

1. For each outage process (a handful), outage starts are a Poisson process over the whole
   block, drawn already sorted from exponential spacings; outages in progress when a trial
   starts (the steady start) are drawn from the equilibrium residual-duration law.
2. Each process's outages are clipped to their trial and merged where they overlap (a running
   maximum of end times).
3. The starts and ends of all processes are merged by one stable sort (the inputs are sorted
   runs, so this is nearly linear) and a cumulative XOR gives the set of processes down
   between consecutive events: the *state* of each segment.
4. A table over states (the same evaluation as the exact calculation) says whether the
   service is reachable and served in each segment. Active-passive failover adds a gap
   ``min(delay, time until the failed endpoint is usable again)`` each time the active
   endpoint is lost while another is usable.
5. The few down segments are merged into incidents, split at month boundaries, and reduced
   per trial with ``bincount``.

Units: minutes; a year is 365 days.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .availability import (TABLE_MAX_PROCESSES, compile_structure, down_episode_frequency,
                           exact_unavailability, nines)
from .exceptions import ModelWarning
from .outages import MINUTES_PER_YEAR, FixedDuration
from .sla import month_edges_minutes

__all__ = ["simulate", "SimulationResult", "BLOCK_TRIALS", "block_summaries",
           "result_from_summaries", "exact_figures", "blocks_for",
           "availability_by_region_count"]

#: Trials per seeding block: the unit of reproducibility. Changing it changes the numbers.
BLOCK_TRIALS = 65_536
#: Trials kept one by one (``SimulationResult.trials``) by default; above, only aggregates.
KEEP_TRIALS_DEFAULT = 2_000_000
#: Histogram of annual downtime for quantiles of runs too large to keep per trial: bin 0 holds
#: exact zeros, bins 1.. are geometric from 0.001 to 1e7 minutes, 0.46 % wide.
_HIST_GEOM = np.geomspace(1e-3, 1e7, 5_001)
_Z95 = 1.959963984540054  # two-sided 95 % normal quantile


# ----------------------------------------------------------------------------- one block


class _Tables:
    """Per-state lookups (or a direct evaluation when there are too many processes), and
    scratch buffers reused from block to block (fresh multi-megabyte arrays for every block
    cost page faults that show in the run time)."""

    def __init__(self, structure):
        self.structure = structure
        self._buffers = {}
        if structure.n_processes <= TABLE_MAX_PROCESSES:
            states = np.arange(1 << structure.n_processes, dtype=np.int64)
            reachable, served, active, usable = structure.evaluate(states)
            self._table = (~reachable, ~served, active, usable)
            self.code = self._code(reachable, served)
        else:
            self._table = None
            self.code = None
        self.all_up_code = int(self.code_of(np.zeros(1, dtype=np.int64))[0])

    def buffer(self, name, size, dtype=np.int64):
        """A scratch array of ``size`` elements (contents undefined), reused across blocks."""
        held = self._buffers.get(name)
        if held is None or held.size < size:
            held = self._buffers[name] = np.empty(max(size, 1), dtype=dtype)
        return held[:size]

    @staticmethod
    def _code(reachable, served):
        """Bit 0: down (not reachable); bit 1: not served."""
        return ((~reachable).astype(np.int8) | ((~served).astype(np.int8) << 1))

    def critical(self, states):
        """For each down state, the processes whose recovery alone would end the downtime
        (a bit mask; 0 when no single recovery would)."""
        states = np.asarray(states, dtype=np.int64)
        mask = np.zeros_like(states)
        for k in range(self.structure.n_processes):  # a handful of processes
            down_k = (states >> k) & 1 == 1
            if not down_k.any():
                continue
            without = states[down_k] & ~np.int64(1 << k)
            code = self.code[without] if self.code is not None else self.code_of(without)
            mask[down_k] |= np.where(code & 1 == 0, np.int64(1 << k), 0)
        return mask

    def code_of(self, states):
        unique, inverse = np.unique(states, return_inverse=True)
        reachable, served, _, _ = self.structure.evaluate(unique, with_usable=False)
        return self._code(reachable, served)[inverse]

    def lookup(self, states, *, failover=False):
        """down, unserved (and, with ``failover``, active, usable) for each state."""
        wanted = 4 if failover else 2
        if self._table is not None:
            return tuple(t[states] for t in self._table[:wanted])
        unique, inverse = np.unique(states, return_inverse=True)
        reachable, served, active, usable = self.structure.evaluate(unique)
        found = (~reachable, ~served, active, usable)[:wanted]
        return tuple(t[inverse] for t in found)


#: Bits of a sort key that hold the process index (processes 0..61: the state is an int64).
_PROCESS_BITS = 6
#: Time resolution of a one-year trial: 2**-20 minute (57 microseconds). Longer trials use a
#: coarser power of two so that a block's time axis, shifted by the process bits, fits int64.
_TICK_BITS_ONE_YEAR = 20


def ticks_per_minute(years) -> int:
    """Integer time steps per minute for trials of ``years`` years (a power of two)."""
    return 1 << (_TICK_BITS_ONE_YEAR - max(0, math.ceil(math.log2(years))))


def _process_intervals(process, n_trials, trial_ticks, scale, rng):
    """Merged outage intervals of one process over a block, sorted. [ticks]

    Times are integer ticks (``scale`` per minute) on the block's axis: trial ``i`` covers
    ``[i * trial_ticks, (i + 1) * trial_ticks)``, so trial boundaries are exact.
    """
    span_minutes = n_trials * trial_ticks / scale
    rate = process.rate_per_minute
    law = process.duration
    count = rng.poisson(rate * span_minutes)
    spacing = np.cumsum(rng.standard_exponential(count + 1))
    # Sorted uniform starts on the block's axis, straight in ticks (truncated to the tick).
    starts = (spacing[:count] * ((n_trials * trial_ticks) / spacing[count])).astype(np.int64)
    if isinstance(law, FixedDuration):  # no draws, and one integer for every outage
        ends = starts + int(round(law.mean_minutes * scale))
    else:
        ends = starts + np.rint(law.sample(rng, count) * scale).astype(np.int64)
    # Steady start: outages already running when a trial begins (equilibrium residual law).
    running = rng.poisson(rate * law.mean_minutes * n_trials)
    if running:
        begin = np.sort(rng.integers(0, n_trials, running)) * trial_ticks
        residual = np.rint(law.sample_residual(rng, running) * scale).astype(np.int64)
        at = np.searchsorted(starts, begin, side="left")
        starts = np.insert(starts, at, begin)
        ends = np.insert(ends, at, begin + residual)
    return _union(starts, ends, trial_ticks)


def _union(starts, ends, trial_ticks, keep=None):
    """Union of intervals sorted by start, each clipped to its trial; touching ones merge
    (but never across a trial boundary). Returns (starts, ends[, keep of first member])."""
    if starts.size == 0:
        return (starts, ends) if keep is None else (starts, ends, keep)
    trial = starts // trial_ticks
    trial_end = trial + 1
    trial_end *= trial_ticks
    ends = np.minimum(ends, trial_end, out=trial_end)
    reach = np.maximum.accumulate(ends)
    new = np.empty(starts.size, dtype=bool)
    new[0] = True
    new[1:] = (starts[1:] > reach[:-1]) | (trial[1:] != trial[:-1])
    if new.all():  # nothing overlapped
        return (starts, reach) if keep is None else (starts, reach, keep)
    last = np.empty_like(new)  # the last member of each merged interval
    last[:-1] = new[1:]
    last[-1] = True
    if keep is None:
        return starts[new], reach[last]
    return starts[new], reach[last], keep[new]


def _sorted_union(starts, ends, trial_ticks, keep=None):
    """:func:`_union` for intervals in any order (small arrays: down periods, gaps)."""
    order = np.argsort(starts, kind="stable")
    return _union(starts[order], ends[order], trial_ticks,
                  None if keep is None else keep[order])


def _covered(x, starts, ends):
    """Measure of the union of sorted disjoint intervals that lies before each point of x."""
    if starts.size == 0:
        return np.zeros(x.shape, dtype=np.int64)
    cumulative = np.concatenate([[0], np.cumsum(ends - starts)])
    i = np.searchsorted(starts, x, side="right") - 1
    j = np.maximum(i, 0)
    inside = np.clip(x - starts[j], 0, (ends - starts)[j])
    return np.where(i >= 0, cumulative[j] + inside, 0)


def _block_intervals(structure, n_trials, years, rng):
    """Random outage intervals of every process over one block: a list of (starts, ends)
    per process, merged and sorted. [ticks]"""
    scale = ticks_per_minute(years)
    trial_ticks = years * MINUTES_PER_YEAR * scale
    return [_process_intervals(process, n_trials, trial_ticks, scale, rng)
            for process in structure.processes]  # a handful of processes


def _simulate_block(structure, tables, n_trials, years, rng):
    """Simulate one block of trials; returns per-trial arrays (a dict, minutes)."""
    return _evaluate_block(structure, tables, _block_intervals(structure, n_trials, years, rng),
                           n_trials, years)


def _evaluate_block(structure, tables, intervals, n_trials, years):
    """Downtime, unserved time, months, incidents and causes of one block, from its outage
    intervals (per process, merged, sorted, within trials). Per-trial arrays (a dict, minutes).
    """
    scale = ticks_per_minute(years)
    trial_ticks = years * MINUTES_PER_YEAR * scale
    span = n_trials * trial_ticks
    K = structure.n_processes
    # Sort keys: the time in the high bits, the process in the low bits, so that one sort of
    # plain integers orders every start and end. A process's merged intervals are disjoint,
    # so start, end, start, end... is already sorted: K sorted runs, merged in nearly linear
    # time by the stable sort.
    keys = tables.buffer("keys", 2 * sum(starts.size for starts, _ in intervals))
    offset = 0
    for k, (starts, ends) in enumerate(intervals):
        run = keys[offset:offset + 2 * starts.size]
        run[0::2] = starts
        run[1::2] = ends
        run <<= _PROCESS_BITS
        run |= k
        offset += run.size
    keys.sort(kind="stable")
    toggle = np.bitwise_and(keys, (1 << _PROCESS_BITS) - 1,
                            out=tables.buffer("toggle", keys.size))
    np.left_shift(1, toggle, out=toggle)
    state = np.bitwise_xor.accumulate(toggle, out=toggle)
    delay = int(round(structure.delay_minutes * scale))  # in ticks: 0 means no gaps
    failover = structure.active_passive and delay > 0 and keys.size > 0
    # One gather answers both questions for every segment (bit 0 down, bit 1 unserved); only
    # the few segments with either bit set are looked at further, and only their times are
    # taken out of the keys. All-up stretches (state 0) are handled apart below: they are
    # the only segments that can run from one trial into the next.
    code = tables.code[state] if tables.code is not None else tables.code_of(state)
    candidates = np.flatnonzero(code)
    candidates = candidates[state[candidates] != 0]
    seg_start = keys[candidates] >> _PROCESS_BITS
    following = candidates + 1
    seg_end = np.where(following < keys.size,
                       keys[np.minimum(following, keys.size - 1)] >> _PROCESS_BITS, span)
    keep = seg_end > seg_start
    candidates, seg_start, seg_end = candidates[keep], seg_start[keep], seg_end[keep]
    candidate_code = code[candidates]

    # Failover gaps (active-passive): the active endpoint is lost while another is usable.
    gap_starts = gap_ends = gap_cause = np.empty(0, dtype=np.int64)
    if failover:
        times = keys >> _PROCESS_BITS
        active, usable = tables.lookup(state, failover=True)[2:]
        # Before the first event every process is up (state 0): the first endpoint is active.
        before = np.concatenate([[0], active[:-1]])
        lost = (before >= 0) & (active >= 0) & (active != before)
        lost &= ~usable[np.arange(times.size), np.maximum(before, 0)]
        at = np.flatnonzero(lost)
        # A failover that began before its trial did (an outage already running at the
        # trial's start) is left out: its remaining gap is shorter than the delay by the
        # outage's age; the bias is below rate x P(down) x delay.
        at = at[times[at] % trial_ticks != 0]
        if at.size:
            failed = before[at]
            # The gap lasts until the failed endpoint, or one of higher priority, is usable
            # again (failing back costs nothing), or the delay has passed.
            back = np.empty(at.size, dtype=np.int64)
            for endpoint in np.unique(failed):  # endpoints that failed, not trials
                mine = failed == endpoint
                again = np.flatnonzero((active >= 0) & (active <= endpoint))
                nxt = np.searchsorted(again, at[mine], side="right")
                index = again[np.minimum(nxt, again.size - 1)]
                back[mine] = np.where(nxt < again.size, times[index], span)
            gap_starts = times[at]
            gap_ends = np.minimum(gap_starts + delay, back)
            gap_cause = keys[at] & ((1 << _PROCESS_BITS) - 1)  # the process that failed
            real = gap_ends > gap_starts
            gap_starts, gap_ends, gap_cause = gap_starts[real], gap_ends[real], gap_cause[real]

    results = {}
    for name, bit in (("downtime", 1), ("unserved", 2)):
        mine = (candidate_code & bit) != 0
        seg_starts, seg_ends = seg_start[mine], seg_end[mine]
        merged_starts, merged_ends = _sorted_union(np.concatenate([seg_starts, gap_starts]),
                                                   np.concatenate([seg_ends, gap_ends]),
                                                   trial_ticks)
        trial = merged_starts // trial_ticks
        results[name] = np.bincount(trial, (merged_ends - merged_starts) / scale,
                                    minlength=n_trials)
        if tables.all_up_code & bit:
            # Down (or unserved) even with every region up, such as a primary destination too
            # small for the demand: all the all-up time of each trial counts too. All-up time
            # never overlaps a gap (the failed endpoint's region is down throughout one).
            results[name] += _all_up_minutes(keys, state, trial_ticks, span, n_trials, scale)
        if name != "downtime":
            continue
        results["incidents"] = np.bincount(trial, minlength=n_trials)
        results["monthly"] = _monthly(merged_starts, merged_ends, trial, trial_ticks, scale,
                                      years)
        states = state[candidates[mine]]
        results["cause"] = _attribute(states, tables.critical(states), seg_starts, seg_ends, K,
                                      trial_ticks, scale, gap_starts, gap_ends, gap_cause)
    return results


def _all_up_minutes(keys, state, trial_ticks, span, n_trials, scale):
    """Minutes of each trial with every process up. Segments with some process down never
    cross a trial boundary, so each trial's all-up time is its length less theirs."""
    down = np.flatnonzero(state != 0)
    starts = keys[down] >> _PROCESS_BITS
    following = down + 1
    ends = np.where(following < keys.size,
                    keys[np.minimum(following, keys.size - 1)] >> _PROCESS_BITS, span)
    busy = np.bincount(starts // trial_ticks, (ends - starts) / scale, minlength=n_trials)
    return trial_ticks / scale - busy


def _monthly(starts, ends, trial, trial_ticks, scale, years):
    """Downtime of the calendar months that have any, as a sparse list.

    Returns
    -------
    trial, month : ndarray of int
        Each (trial, month) with downtime, in order.
    minutes : ndarray of float
        Its downtime. [min]
    """
    edges = np.rint(month_edges_minutes(years) * scale).astype(np.int64)
    months = len(edges) - 1
    local_start, local_end = starts - trial * trial_ticks, ends - trial * trial_ticks
    m0 = np.searchsorted(edges, local_start, side="right") - 1
    m1 = np.searchsorted(edges, local_end, side="left") - 1
    spans = np.maximum(m1 - m0 + 1, 1)
    piece = np.repeat(np.arange(starts.size), spans)
    month = m0[piece] + (np.arange(piece.size) - np.repeat(np.cumsum(spans) - spans, spans))
    overlap = np.maximum(np.minimum(local_end[piece], edges[month + 1])
                         - np.maximum(local_start[piece], edges[month]), 0)
    flat = trial[piece] * months + month      # nondecreasing: intervals come sorted
    if flat.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    first = np.flatnonzero(np.diff(flat, prepend=-1))
    return flat[first] // months, flat[first] % months, np.add.reduceat(overlap, first) / scale


def _attribute(states, critical, starts, ends, K, trial_ticks, scale, gap_starts, gap_ends,
               gap_cause):
    """Downtime attributed to the processes that caused it.

    A down stretch goes to the processes whose recovery alone would end it (``critical``),
    split equally among them; when no single recovery would, to every process down then. The
    part of a failover gap not already down goes to the process whose outage triggered the
    failover (where gaps overlap, each gap keeps what it adds).

    Returns
    -------
    trial : ndarray of int, shape (m,)
        The trial of each contribution (a trial may appear several times).
    minutes : ndarray of float, shape (m, K)
        Minutes attributed to each process. [min]
    """
    blame = np.where(critical != 0, critical, states)
    bits = ((blame[:, None] >> np.arange(K)) & 1).astype(float)
    share = (ends - starts) / scale / np.maximum(bits.sum(axis=1), 1)
    trial = [starts // trial_ticks]
    minutes = [bits * share[:, None]]
    if gap_starts.size:
        order = np.argsort(gap_starts, kind="stable")
        gs, ge, gc = gap_starts[order], gap_ends[order], gap_cause[order]
        reach = np.maximum.accumulate(ge)
        fresh = np.maximum(gs, np.concatenate([[0], reach[:-1]]))  # not in an earlier gap
        fresh = np.minimum(fresh, ge)
        only_gap = (ge - fresh) - (_covered(ge, starts, ends) - _covered(fresh, starts, ends))
        contribution = np.zeros((gs.size, K))
        contribution[np.arange(gs.size), gc] = only_gap / scale
        trial.append(gs // trial_ticks)
        minutes.append(contribution)
    return np.concatenate(trial), np.concatenate(minutes)


def _dense_cause(cause, n_trials, K):
    """Per-trial attribution (n_trials, K) from the sparse contributions. [min]"""
    trial, minutes = cause
    dense = np.zeros((n_trials, K))
    np.add.at(dense, trial, minutes)
    return dense


# ----------------------------------------------------------------------------- results


def _block_summary(out, T, sla, years, *, histogram):
    """Sums over one block's trials (small: they travel between processes), and the
    per-trial columns for callers that keep trials."""
    fraction = out["downtime"] / T
    unserved = out["unserved"] / T
    month_trial, month, minutes = out["monthly"]
    month_minutes = np.diff(month_edges_minutes(years))
    uptime = 100.0 * (1.0 - minutes / month_minutes[month])   # months with downtime only
    below = uptime < sla.slo_percent
    credit = sla.credit_percent(uptime)
    n = fraction.size
    summary = dict(
        n=n, down=fraction.sum(), down_sq=(fraction ** 2).sum(), unserved=unserved.sum(),
        unserved_sq=(unserved ** 2).sum(), months_below=below.sum(),
        month_credit=credit.sum(), incidents=out["incidents"].sum(),
        cause=out["cause"][1].sum(axis=0))
    if histogram:  # quantiles of runs not kept per trial (zeros need no search)
        annual = out["downtime"] / years
        positive = annual[annual > 0]
        bins = 1 + np.clip(np.searchsorted(_HIST_GEOM, positive, side="right") - 1, 0,
                           _HIST_GEOM.size - 2)
        counts = np.bincount(bins, minlength=_HIST_GEOM.size)
        counts[0] += annual.size - positive.size
        summary["histogram"] = counts
    per_trial = (dict(downtime_minutes=out["downtime"], unserved_minutes=out["unserved"],
                      months_below_slo=np.bincount(month_trial, below,
                                                   minlength=n).astype(np.int64),
                      credit_sum=np.bincount(month_trial, credit, minlength=n),
                      incidents=out["incidents"]),
                 (month_trial, month, uptime))
    return summary, per_trial


@dataclass
class _Accumulator:
    """Per-block sums, combined in block order so totals do not depend on chunking."""

    K: int
    months: int
    keep: bool
    blocks: list = field(default_factory=list)
    kept: list = field(default_factory=list)
    histogram: np.ndarray = field(default_factory=lambda: np.zeros(_HIST_GEOM.size, np.int64))

    def add(self, block_index, out, T, sla, years):
        """Add one block's per-trial output (kept per trial when ``keep``)."""
        summary, per_trial = _block_summary(out, T, sla, years, histogram=not self.keep)
        self.add_summary(block_index, summary)
        if self.keep:
            raw, monthly = per_trial
            columns = {name: (raw["credit_sum"] / self.months if name == "credit_percent"
                              else raw[name])
                       for name in ("downtime_minutes", "unserved_minutes",
                                    "months_below_slo", "credit_percent", "incidents")}
            self.kept.append((block_index, columns,
                              _dense_cause(out["cause"], summary["n"], self.K), monthly))

    def add_summary(self, block_index, summary):
        """Add one block's sums (as made by :func:`_block_summary`, possibly elsewhere)."""
        summary = dict(summary)
        histogram = summary.pop("histogram", None)
        if histogram is not None:
            self.histogram += histogram
        self.blocks.append((block_index, summary))

    def total(self, key):
        ordered = [b for _, b in sorted(self.blocks, key=lambda item: item[0])]
        return np.sum([b[key] for b in ordered], axis=0)


class SimulationResult:
    """The outcome of :func:`simulate`.

    Attributes
    ----------
    availability : float
        1 - mean fraction of time down, over all trials. [-]
    ci : tuple of float
        95 % confidence interval of ``availability`` (normal approximation over trials).
    unavailability : float
    trials_run : int
    years : int
        Years per trial.
    exact : float or None
        The exact steady-state unavailability (gap-free for active-passive).
    expected_down_episodes, expected_unserved_episodes : float
        Down (unserved) episodes the sample is expected to contain (exact rate x trial-years;
        failovers count for active-passive).
    seed_entropy : int
        Root seed entropy (pass it as ``seed`` to reproduce an unseeded run).
    """

    def __init__(self, *, structure, accumulator, years, sla, exact, exact_served,
                 episode_rate, unserved_episode_rate, seed_entropy, metric_note):
        self._structure = structure
        self._acc = accumulator
        self.years = years
        self.sla = sla
        n = int(accumulator.total("n"))
        self.trials_run = n
        mean = accumulator.total("down") / n
        var = max(accumulator.total("down_sq") / n - mean ** 2, 0.0) * n / max(n - 1, 1)
        half = _Z95 * math.sqrt(var / n)
        self.unavailability = float(mean)
        self.availability = float(1.0 - mean)
        self.ci = (float(max(0.0, 1.0 - mean - half)), float(min(1.0, 1.0 - mean + half)))
        self.ci_half_width = float(half)
        unserved = accumulator.total("unserved") / n
        unserved_var = (max(accumulator.total("unserved_sq") / n - unserved ** 2, 0.0)
                        * n / max(n - 1, 1))
        self.served_fraction = float(1.0 - unserved)
        self.served_ci_half_width = float(_Z95 * math.sqrt(unserved_var / n))
        self.served_ci = (float(max(0.0, 1.0 - unserved - self.served_ci_half_width)),
                          float(min(1.0, 1.0 - unserved + self.served_ci_half_width)))
        self.exact = exact
        self.exact_served = exact_served
        self.expected_down_episodes = episode_rate * n * years
        self.expected_unserved_episodes = unserved_episode_rate * n * years
        self.seed_entropy = seed_entropy
        self.note = metric_note

    # per trial ---------------------------------------------------------------
    def _kept(self):
        if not self._acc.keep:
            raise ValueError(
                f"per-trial results were not kept for {self.trials_run:,} trials (memory); "
                "run simulate(..., keep_trials=True) to keep them")
        return sorted(self._acc.kept, key=lambda item: item[0])

    @property
    def trials(self) -> pd.DataFrame:
        """One row per trial.

        Columns: ``downtime_minutes`` and ``unserved_minutes`` over the trial [min],
        ``months_below_slo`` [months], ``credit_percent`` (mean monthly service credit,
        % of the monthly fee), ``incidents`` (down episodes) and ``cause_<process>`` (downtime
        attributed to each outage process, split equally while several are down) [min].
        """
        kept = self._kept()
        frame = pd.DataFrame({column: np.concatenate([k[1][column] for k in kept])
                              for column in kept[0][1]})
        cause = np.concatenate([k[2] for k in kept])
        for i, process in enumerate(self._structure.processes):
            frame[f"cause_{process.name}"] = cause[:, i]
        frame.index.name = "trial"
        return frame

    @property
    def downtime_minutes(self) -> np.ndarray:
        """Downtime of each trial. [min]"""
        return np.concatenate([k[1]["downtime_minutes"] for k in self._kept()])

    @property
    def monthly_uptime_percent(self) -> np.ndarray:
        """Uptime of each calendar month of each trial, array (trials, 12 * years). [%]"""
        kept = self._kept()
        uptime = np.full((self.trials_run, 12 * self.years), 100.0)
        offset = 0
        for _, columns, _, (trial, month, value) in kept:  # blocks, not trials
            uptime[offset + trial, month] = value
            offset += columns["downtime_minutes"].size
        return uptime

    # aggregates ---------------------------------------------------------------
    def quantile(self, q) -> float:
        """Quantile of annual downtime over trials (a trial's downtime divided by its years,
        so multi-year trials average their years). Exact when trials are kept, else from a
        histogram with bins 0.46 % wide. [min per year]"""
        if self._acc.keep:
            return float(np.quantile(self.downtime_minutes / self.years, q))
        counts = self._acc.histogram
        rank = q * (counts.sum() - 1)
        index = int(np.searchsorted(np.cumsum(counts), rank, side="right"))
        if index == 0:
            return 0.0
        return float(math.sqrt(_HIST_GEOM[index - 1] * _HIST_GEOM[index]))

    def causes(self) -> pd.Series:
        """Mean downtime per year attributed to each outage process, largest first.
        [min per year]"""
        total = self._acc.total("cause") / (self.trials_run * self.years)
        names = [p.name for p in self._structure.processes]
        return pd.Series(total, index=names, name="downtime_min_per_year").sort_values(
            ascending=False)

    def summary(self) -> pd.Series:
        """The figures people quote, as a Series (units in the index names)."""
        n_months = self.trials_run * 12 * self.years
        causes = self.causes()
        share = causes / causes.sum() if causes.sum() > 0 else causes
        top = ", ".join(f"{name} {fraction:.0%}" for name, fraction in share.head(3).items()
                        if fraction > 0) or "none observed"
        rows = {
            "trials": self.trials_run,
            "years_per_trial": self.years,
            "availability": self.availability,
            "ci95_low": self.ci[0],
            "ci95_high": self.ci[1],
            "nines": nines(self.unavailability),
            "exact_availability": None if self.exact is None else min(1.0, 1.0 - self.exact),
            "mean_annual_downtime_min": self.unavailability * MINUTES_PER_YEAR,
            "p50_annual_downtime_min": self.quantile(0.50),
            "p95_annual_downtime_min": self.quantile(0.95),
            "p99_annual_downtime_min": self.quantile(0.99),
            "p_month_below_slo": self._acc.total("months_below") / n_months,
            "expected_credit_percent": self._acc.total("month_credit") / n_months,
            "served_fraction": self.served_fraction,
            "exact_served_fraction": (None if self.exact_served is None
                                      else min(1.0, max(0.0, 1.0 - self.exact_served))),
            "incidents_per_year": self._acc.total("incidents") / (self.trials_run * self.years),
            "expected_down_episodes_in_sample": self.expected_down_episodes,
            "expected_unserved_episodes_in_sample": self.expected_unserved_episodes,
            "top_causes": top,
            "note": self.note,
        }
        return pd.Series(rows, name="simulation", dtype=object)

    def __repr__(self):
        return (f"SimulationResult(availability={self.availability:.8f}, "
                f"ci=({self.ci[0]:.8f}, {self.ci[1]:.8f}), trials={self.trials_run:,}, "
                f"years={self.years})")


# ----------------------------------------------------------------------------- driver


def _seed_sequence(seed):
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
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number.is_integer() and number >= low) \
            or isinstance(value, bool):
        raise ValueError(f"{name}={value!r} is not allowed: a whole number >= {low}")
    return int(number)


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
             target_rel_ci=None, progress=None, max_trials=None, keep_trials=None):
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
        Keep per-trial results (``.trials``, ``.downtime_minutes``). Default: when the run has
        at most 2,000,000 trials.

    Returns
    -------
    SimulationResult
    """
    trials = _whole(trials, "trials")
    years = _whole(years, "years")
    chunk = BLOCK_TRIALS if chunk_size is None else _whole(chunk_size, "chunk_size")
    blocks_per_chunk = max(1, -(-chunk // BLOCK_TRIALS))
    if target_rel_ci is not None and not (0 < float(target_rel_ci) < 1):
        raise ValueError(f"target_rel_ci={target_rel_ci!r} is not allowed: a fraction "
                         "between 0 and 1, such as 0.05")
    limit = trials if target_rel_ci is None else (
        100 * trials if max_trials is None else _whole(max_trials, "max_trials"))
    if limit < trials:
        raise ValueError(f"max_trials={max_trials!r} is not allowed: at least trials={trials}")
    root = _seed_sequence(seed)
    structure = compile_structure(deployment, outages)
    tables = _Tables(structure)
    sla = deployment.sla
    T = float(years * MINUTES_PER_YEAR)
    keep = (limit <= KEEP_TRIALS_DEFAULT) if keep_trials is None else bool(keep_trials)
    acc = _Accumulator(structure.n_processes, 12 * years, keep)
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
                    out = _simulate_block(structure, tables, n, years, block_rng(root, block))
                    acc.add(block, out, T, sla, years)
                    done += n
                    block += 1
                    if bar is not None:
                        bar.update(n)
            if target_rel_ci is None:
                break
            mean = acc.total("down") / done
            var = max(acc.total("down_sq") / done - mean ** 2, 0.0) * done / max(done - 1, 1)
            if mean > 0 and _Z95 * math.sqrt(var / done) <= target_rel_ci * mean:
                break  # the same half-width the result reports
            if done >= limit:
                warnings.warn(f"target_rel_ci={target_rel_ci} not reached within max_trials="
                              f"{limit:,}", ModelWarning, stacklevel=2)
                break
            goal = min(limit, done + trials)
    finally:
        if bar is not None:
            bar.close()

    return _result(deployment, structure, acc, years, figures, root.entropy)


def exact_figures(deployment, outages) -> dict:
    """The exact values a simulation is reported beside: unavailability (reachable and
    served) and the down-episode rates (where the state count allows). Cheap."""
    structure = compile_structure(deployment, outages)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        exact_ok = structure.n_processes <= 20
        small = structure.n_processes <= TABLE_MAX_PROCESSES
        return dict(
            exact=exact_unavailability(deployment, outages) if exact_ok else None,
            exact_served=(exact_unavailability(deployment, outages, metric="served")
                          if exact_ok else None),
            episode_rate=down_episode_frequency(deployment, outages) if small else math.nan,
            unserved_rate=(down_episode_frequency(deployment, outages, metric="served")
                           if small else math.nan))


def _result(deployment, structure, acc, years, figures, seed_entropy):
    done = int(acc.total("n"))
    metric = "served" if deployment.demand_connections is not None else "reachable"
    notes = []
    if structure.active_passive and structure.delay_minutes > 0:
        notes.append("exact values exclude failover gaps")
    for label, rate, value, figure in (
            ("downtime", figures["episode_rate"], figures["exact"], "availability"),
            ("unserved time", figures["unserved_rate"], figures["exact_served"],
             "served fraction")):
        if label == "unserved time" and metric == "reachable":
            break
        expected = rate * done * years
        if not math.isnan(expected) and expected < 10 and value is not None:
            notes.append(
                f"rare events ({label}): the sample is expected to hold only {expected:.2g} "
                f"episodes; the exact value is {1 - value:.10f} (unavailability {value:.3g}) "
                f"- the simulated {figure} is not a measurement")
    return SimulationResult(structure=structure, accumulator=acc, years=years,
                            sla=deployment.sla,
                            exact=figures["exact"], exact_served=figures["exact_served"],
                            episode_rate=figures["episode_rate"],
                            unserved_episode_rate=figures["unserved_rate"],
                            seed_entropy=seed_entropy, metric_note="; ".join(notes))


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
    tables = _Tables(structure)
    T = float(years * MINUTES_PER_YEAR)
    summaries = []
    for index, n in blocks:  # a few blocks of 65,536 trials each
        out = _simulate_block(structure, tables, n, years, block_rng(seed, index))
        summaries.append((index, _block_summary(out, T, deployment.sla, years,
                                                histogram=True)[0]))
    return summaries


def result_from_summaries(deployment, outages, summaries, *, years, seed, figures=None):
    """A :class:`SimulationResult` (aggregates only) from block sums made anywhere."""
    structure = compile_structure(deployment, outages)
    acc = _Accumulator(structure.n_processes, 12 * years, keep=False)
    for index, summary in sorted(summaries, key=lambda item: item[0]):
        acc.add_summary(index, summary)
    figures = exact_figures(deployment, outages) if figures is None else figures
    return _result(deployment, structure, acc, years, figures, seed.entropy)


def availability_by_region_count(regions, outages, *, trials=100_000, seed=None,
                                 capacity_connections=None, demand_connections=None):
    """Availability as endpoints are added region by region: exact and simulated.

    Deployment ``n`` has, in each of the first ``n`` of ``regions``, a private endpoint and
    the PLS it connects to (active-active).

    Parameters
    ----------
    regions : sequence of str
    outages : OutageModel
    trials : int
        Simulated trials per deployment.
    seed : int, optional
        Deployment ``n`` uses the ``n``-th child of this seed.
    capacity_connections, demand_connections : float, optional
        Per-PLS capacity and the demand, for the served metric. [connections]

    Returns
    -------
    pandas.DataFrame
        One row per count: ``regions`` [-], ``exact_availability``, ``availability``,
        ``ci_low``, ``ci_high``, ``served_fraction`` [-] and ``mean_annual_downtime_min``
        [min per year].
    """
    from .deployment import Deployment, Destination, Endpoint
    rows = []
    children = _seed_sequence(seed).spawn(len(regions))
    for n in range(1, len(regions) + 1):  # a handful of deployments
        chosen = regions[:n]
        deployment = Deployment(
            tuple(Destination(f"pls-{r}", r, capacity_connections) for r in chosen),
            tuple(Endpoint(f"pe-{r}", r, f"pls-{r}") for r in chosen),
            demand_connections)
        result = simulate(deployment, outages, trials=trials, seed=children[n - 1],
                          keep_trials=False, progress=False)
        rows.append(dict(regions=n, exact_availability=1 - result.exact,
                         availability=result.availability, ci_low=result.ci[0],
                         ci_high=result.ci[1], served_fraction=result.served_fraction,
                         mean_annual_downtime_min=result.unavailability * MINUTES_PER_YEAR))
    return pd.DataFrame(rows)
