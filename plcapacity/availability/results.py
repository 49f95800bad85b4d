"""Results of the Monte Carlo: per-block sums, their accumulation, and
:class:`SimulationResult`.

A block's per-trial arrays (from :func:`plcapacity.availability.engine.evaluate_block`) are reduced to a
few sums (:func:`block_summary`; small, so that they travel between processes), and the sums
of all blocks are added in block order (:class:`Accumulator`), so that totals do not depend on
how the blocks were grouped or which process ran them. Means and their 95 % confidence
intervals come from the sums of values and of squares (:func:`mean_ci`; Student's t below
``SMALL_RUN_TRIALS`` trials), the chance of a month below the SLO of a plain run from
Clopper-Pearson at the effective number of months (:func:`month_share_interval`).

Units: minutes; a year is 365 days; availabilities are fractions of time (0-1).
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from plcapacity.availability.deployment import delay_law
from plcapacity.availability.engine import dense_cause
from plcapacity.availability.exact import (
    down_episode_frequency,
    exact_figures_by_metric,
    exact_unavailability,
    nines,
)
from plcapacity.availability.importance import MIN_EFFECTIVE_TRIALS, effective_sample_size
from plcapacity.base.exceptions import ModelWarning
from plcapacity.base.sla import month_edges_minutes
from plcapacity.outages.laws import MINUTES_PER_YEAR, FixedDuration

# block_summary, Accumulator, exact_figures and build_result serve the driver and the batch.
__all__ = ["SimulationResult", "format_summary", "shown_fraction", "mean_ci",
           "month_share_interval", "failover_description",
           "Accumulator", "block_summary", "build_result", "exact_figures", "HIST_GEOM",
           "last_edge_at_or_below", "Z95", "SMALL_RUN_TRIALS"]

#: Histogram of annual downtime for quantiles of runs too large to keep per trial: bin 0 holds
#: exact zeros, bins 1.. are geometric from 0.001 to 1e7 minutes, 0.46 % wide.
HIST_GEOM = np.geomspace(1e-3, 1e7, 5_001)
#: 1 / ln(ratio of consecutive edges): a first guess of the bin from a logarithm.
_HIST_INV_LOG_STEP = (HIST_GEOM.size - 1) / math.log(HIST_GEOM[-1] / HIST_GEOM[0])
Z95 = 1.959963984540054  # two-sided 95 % normal quantile
#: Fewer trials than this get Student's t quantile for a mean (the normal one is too narrow:
#: 1.96 against 2.78 for 5 trials, 2.05 for 29). From 30 trials on the normal quantile is
#: kept (4 % below t's at 30 trials, less beyond). [trials]
SMALL_RUN_TRIALS = 30


def _quantile95(n):
    """Two-sided 95 % quantile for a mean of ``n`` trials: Student's t with ``n - 1`` degrees
    of freedom below ``SMALL_RUN_TRIALS`` trials, else the normal one."""
    if 2 <= n < SMALL_RUN_TRIALS:
        from scipy.special import stdtrit  # scipy where used: import time
        return float(stdtrit(n - 1, 0.975))
    return Z95


def mean_ci(total, total_sq, n):
    """Mean over ``n`` trials and the half-width of its 95 % confidence interval, from the sum
    of the values and the sum of their squares (normal approximation; Student's t with
    ``n - 1`` degrees of freedom below ``SMALL_RUN_TRIALS`` trials).

    Parameters
    ----------
    total : float
        Sum of the per-trial values (such as the fraction of time down). [unit of the values]
    total_sq : float
        Sum of their squares. [unit squared]
    n : int
        Number of trials (at least 1).

    Returns
    -------
    mean : float
        ``total / n``. [unit of the values]
    half_width : float
        ``q * sqrt(s**2 / n)``, with ``s**2`` the unbiased sample variance (0 for one trial)
        and ``q`` the 97.5 % quantile of Student's t with ``n - 1`` degrees of freedom for 2
        to 29 trials (4.30 for 3), else of the normal law (1.96). [unit of the values]

    Examples
    --------
    >>> mean, half = mean_ci(6.0, 14.0, 3)     # values 1, 2, 3: variance 1
    >>> float(mean), round(half, 6)            # 4.302653 / sqrt(3)
    (2.0, 2.484138)
    """
    mean = total / n
    var = max(total_sq / n - mean ** 2, 0.0) * n / max(n - 1, 1)
    return mean, _quantile95(n) * math.sqrt(var / n)


def month_share_interval(total, total_sq, n, months):
    """95 % interval of the chance that a month is below the SLO, from ``n`` plain trials of
    ``months`` months each: Clopper-Pearson at the effective number of months (Korn and
    Graubard, 1998).

    A trial's months are not independent draws (one long outage can take two), so the months
    are not ``n * months`` binomial draws; the trials are. The per-trial shares of months
    below give the variance of the mean share; the binomial sample size with that variance,
    ``share * (1 - share) / variance`` (at most ``n * months``), shrunk by ``(1.96 / t)**2``
    for the ``n - 1`` degrees of freedom, is the sample size of the Clopper-Pearson bounds
    (beta quantiles, at a fractional count). Where a few trials' skewed counts make a normal
    or t interval far too narrow, this one keeps its 95 %.

    Parameters
    ----------
    total : float
        Months below the SLO, summed over the trials (more than 0). [months]
    total_sq : float
        Sum over the trials of the square of each trial's months below. [months squared]
    n : int
        Trials (at least 2). [-]
    months : int
        Calendar months per trial. [months]

    Returns
    -------
    tuple of float
        ``(low, high)``, within ``[0, 1]``. [-]

    Examples
    --------
    >>> low, high = month_share_interval(3, 3, 10, 12)   # 3 of 10 trial-years, a month each
    >>> round(low, 4), round(high, 4)
    (0.0036, 0.0821)
    """
    from scipy.special import betaincinv, stdtrit  # scipy where used: import time

    share = total / (n * months)
    # unbiased variance of the per-trial shares (months below / months)
    variance = max(total_sq / n - (total / n) ** 2, 0.0) * n / (n - 1) / months ** 2
    most = n * months  # as if every month were an independent draw
    size = most if variance == 0 else min(most, share * (1 - share) / (variance / n))
    size *= (Z95 / float(stdtrit(n - 1, 0.975))) ** 2
    count = size * share
    low = float(betaincinv(count, size - count + 1, 0.025)) if count > 0 else 0.0
    high = float(betaincinv(count + 1, size - count, 0.975)) if count < size else 1.0
    return low, high


def last_edge_at_or_below(x):
    """``np.searchsorted(HIST_GEOM, x, side="right") - 1`` for positive ``x``, from a
    logarithm and one exact correction each way (the guess is off by at most one edge):
    a binary search over 5,001 edges costs more than both."""
    last = HIST_GEOM.size - 1
    k = np.floor(np.log(x / HIST_GEOM[0]) * _HIST_INV_LOG_STEP)
    k = np.clip(np.nan_to_num(k, nan=-1.0), -1, last).astype(np.int64)
    k += (k < last) & (HIST_GEOM[np.minimum(k + 1, last)] <= x)
    k -= (k >= 0) & (HIST_GEOM[np.maximum(k, 0)] > x)
    return k


@functools.lru_cache(maxsize=8)
def _month_minutes(years):
    """Length of each month of a trial (read-only: shared between calls). [min]"""
    minutes = np.diff(month_edges_minutes(years))
    minutes.flags.writeable = False
    return minutes


def block_summary(out, T, sla, years, *, histogram, per_trial=True):
    """Sums over one block's trials, and its per-trial columns.

    Parameters
    ----------
    out : dict
        One block's output of :func:`plcapacity.availability.engine.evaluate_block`. [min]
    T : float
        Minutes per trial. [min]
    sla : plcapacity.base.sla.SLA
        Objective and credit tiers for the monthly figures.
    years : int
        Years per trial. [yr]
    histogram : bool
        Also count annual downtime into the quantile histogram (runs not kept per trial).
    per_trial : bool, default True
        Also make the per-trial columns (else the second value returned is None).

    Returns
    -------
    summary : dict
        Sums (small: they travel between processes): ``n``, ``down`` and ``down_sq`` (of the
        fraction of time down), ``unserved``, ``unserved_sq``, ``months_below`` and
        ``months_below_sq`` (of the months below the SLO per trial), ``month_credit`` and
        ``month_credit_sq`` (of the credit per trial, summed over its months) [%],
        ``incidents``, ``cause`` [min per process], and ``histogram``. With a ``weight`` per
        trial in ``out`` (importance sampling), every sum is of ``w x`` (and ``(w x)**2``),
        the histogram counts weights, and ``weight`` and ``weight_sq`` sum the weights and
        their squares.
    per_trial : tuple or None
        ``(columns, (trial, month, uptime))``: ``downtime_min`` and ``unserved_min`` [min],
        ``months_below_slo``, ``credit_sum`` [%], ``incidents`` (and ``weight``) per trial;
        and the uptime of the months with downtime [%].
    """
    fraction = out["downtime"] / T
    unserved = out["unserved"] / T
    month_trial, month, minutes = out["monthly"]
    month_minutes = _month_minutes(years)
    uptime = 100.0 * (1.0 - minutes / month_minutes[month])   # months with downtime only
    below = uptime < sla.slo_percent
    credit = sla.credit_percent(uptime)
    n = fraction.size
    below_per_trial = np.bincount(month_trial, below, minlength=n).astype(np.int64)
    credit_per_trial = np.bincount(month_trial, credit, minlength=n)
    weight = out.get("weight")
    if weight is None:  # plain sampling: every trial counts once
        summary = dict(
            n=n, down=fraction.sum(), down_sq=(fraction ** 2).sum(), unserved=unserved.sum(),
            unserved_sq=(unserved ** 2).sum(), months_below=below.sum(),
            months_below_sq=(below_per_trial ** 2).sum(),
            month_credit=credit.sum(), month_credit_sq=(credit_per_trial ** 2).sum(),
            incidents=out["incidents"].sum(),
            cause=np.bincount(out["cause"][1], out["cause"][2],
                              minlength=out["n_processes"]).astype(float, copy=False))
    else:  # importance sampling: sums of w x, the unbiased estimates' terms
        def sums(values):
            weighted = weight * values
            return weighted.sum(), (weighted ** 2).sum()
        down, down_sq = sums(fraction)
        unserved_sum, unserved_sq = sums(unserved)
        months, months_sq = sums(below_per_trial)
        credit_sum, credit_sq = sums(credit_per_trial)
        cause_trial, cause_process, cause_minutes = out["cause"]
        summary = dict(
            n=n, down=down, down_sq=down_sq, unserved=unserved_sum, unserved_sq=unserved_sq,
            months_below=months, months_below_sq=months_sq, month_credit=credit_sum,
            month_credit_sq=credit_sq, incidents=(weight * out["incidents"]).sum(),
            cause=np.bincount(cause_process, cause_minutes * weight[cause_trial],
                              minlength=out["n_processes"]).astype(float, copy=False),
            weight=weight.sum(), weight_sq=(weight ** 2).sum())
    if histogram:  # quantiles of runs not kept per trial (zeros need no search)
        annual = out["downtime"] / years
        positive = annual > 0
        bins = 1 + np.clip(last_edge_at_or_below(annual[positive]), 0, HIST_GEOM.size - 2)
        if weight is None:
            counts = np.bincount(bins, minlength=HIST_GEOM.size)
            counts[0] += annual.size - bins.size
        else:  # weighted counts: the quantiles of the true law
            counts = np.bincount(bins, weight[positive], minlength=HIST_GEOM.size)
            counts[0] += weight[~positive].sum()
        summary["histogram"] = counts
    if not per_trial:
        return summary, None
    columns = dict(downtime_min=out["downtime"], unserved_min=out["unserved"],
                   months_below_slo=below_per_trial, credit_sum=credit_per_trial,
                   incidents=out["incidents"])
    if weight is not None:
        columns["weight"] = weight
    per_trial = (columns, (month_trial, month, uptime))
    return summary, per_trial


@dataclass
class Accumulator:
    """Per-block sums, combined in block order so totals do not depend on chunking.

    Parameters
    ----------
    K : int
        Outage processes.
    months : int
        Calendar months per trial.
    keep : bool
        Keep per-trial columns (else only sums and the quantile histogram).
    """

    K: int
    months: int
    keep: bool
    blocks: list = field(default_factory=list)
    kept: list = field(default_factory=list)
    histogram: np.ndarray = field(default_factory=lambda: np.zeros(HIST_GEOM.size, np.int64))

    def add(self, block_index, out, T, sla, years):
        """Add one block's per-trial output (kept per trial when ``keep``)."""
        summary, per_trial = block_summary(out, T, sla, years, histogram=not self.keep)
        self.add_summary(block_index, summary)
        if self.keep:
            raw, monthly = per_trial
            columns = {name: (raw["credit_sum"] / self.months if name == "credit_percent"
                              else raw[name])
                       for name in _KEPT_COLUMNS if name in raw or name == "credit_percent"}
            self.kept.append((block_index, columns,
                              dense_cause(out["cause"], summary["n"], self.K), monthly))

    def add_block(self, block_index, summary, kept=None):
        """Add one block's sums and, when ``keep``, its per-trial results ``(columns, cause,
        monthly)`` as :func:`plcapacity.availability.simulation.run_block` returns them."""
        self.add_summary(block_index, summary)
        if self.keep:
            raw, cause, monthly = kept
            columns = {name: (raw["credit_sum"] / self.months if name == "credit_percent"
                              else raw[name])
                       for name in _KEPT_COLUMNS if name in raw or name == "credit_percent"}
            self.kept.append((block_index, columns, cause, monthly))

    def add_summary(self, block_index, summary):
        """Add one block's sums (as made by :func:`block_summary`, possibly elsewhere)."""
        summary = dict(summary)
        histogram = summary.pop("histogram", None)
        if histogram is not None:
            if histogram.dtype.kind == "f" and self.histogram.dtype.kind != "f":
                self.histogram = self.histogram.astype(float)  # weighted counts
            self.histogram += histogram
        self.blocks.append((block_index, summary))

    def has(self, key) -> bool:
        """Whether the blocks carry the sum ``key`` (``weight``: importance sampling)."""
        return bool(self.blocks) and key in self.blocks[0][1]

    def total(self, key):
        """Sum of ``key`` over the blocks, added in block order."""
        ordered = [b for _, b in sorted(self.blocks, key=lambda item: item[0])]
        return np.sum([b[key] for b in ordered], axis=0)


#: Per-trial columns kept (``weight`` only from importance sampling).
_KEPT_COLUMNS = ("downtime_min", "unserved_min", "months_below_slo", "credit_percent",
                 "incidents", "weight")


def _interval(value, half, high=math.inf):
    """``(value - half, value + half)`` within ``[0, high]``; NaN ends for a NaN half-width
    (too few effective trials: no interval)."""
    if math.isnan(half):
        return (math.nan, math.nan)
    return (float(max(0.0, value - half)), float(min(high, value + half)))


def _deprecated(old, new):
    warnings.warn(f"SimulationResult.{old} is deprecated: use .{new} (same value)",
                  DeprecationWarning, stacklevel=3)


class SimulationResult:
    """The outcome of :func:`plcapacity.simulate`.

    Attributes
    ----------
    availability : float
        1 - mean fraction of time down, over all trials. [-]
    ci : tuple of float
        95 % confidence interval of ``availability`` (normal approximation over trials;
        Student's t below ``SMALL_RUN_TRIALS``, 30, trials). [-]
    ci_half_width : float
        Its half-width. [-]
    unavailability : float
        1 - ``availability``. [-]
    served_availability : float
        1 - mean fraction of time not served (equal to ``availability`` without a demand). [-]
    served_availability_ci : tuple of float
        95 % confidence interval of ``served_availability``. [-]
    served_ci_half_width : float
        Its half-width. [-]
    trials_run : int
    years : int
        Years per trial.
    exact : float or None
        The exact steady-state unavailability (gap-free for active-passive).
    exact_served : float or None
        The exact steady-state fraction of time not served.
    expected_down_episodes, expected_unserved_episodes : float
        Down (unserved) episodes the sample is expected to contain (exact rate x trial-years;
        failovers count for active-passive).
    seed_entropy : int
        Root seed entropy (pass it as ``seed`` to reproduce an unseeded run).
    note : str
        Caveats (rare events, gap-free exact values).
    outage_model : str
        The outage model behind the numbers (a profile's name, a fit, a file; see
        :meth:`plcapacity.OutageModel.describe`).
    failover_delay : str
        The failover mode and its delay law.
    method : {"plain", "importance"}
        The estimator: plain Monte Carlo, or importance sampling (weighted trials; see
        :mod:`plcapacity.availability.importance`).
    effective_sample_size : float
        Kish's ``(sum w)**2 / sum w**2`` over the trials' weights [trials]: the trials run for
        plain sampling; far fewer than the trials when importance weights degenerate.
    p_month_below_slo : float
        Probability that a calendar month misses the SLO. [-]
    p_month_below_slo_ci : tuple of float
        Its 95 % confidence interval (NaN where too few effective trials stand behind it;
        from plain trials, :func:`month_share_interval`: Clopper-Pearson at the effective
        number of months). [-]
    expected_credit_percent : float
        Expected monthly service credit. [% of the monthly fee]
    expected_credit_ci : tuple of float
        Its 95 % confidence interval. [% of the monthly fee]

    Under importance sampling every figure is a weighted mean (unbiased), and an interval
    resting on fewer than ``MIN_EFFECTIVE_TRIALS`` effective trials (``(sum w x)**2 / sum
    (w x)**2``) is NaN, with a note, rather than a confident-looking interval.

    Parameters
    ----------
    structure, accumulator, years, sla, exact, exact_served, episode_rate,
    unserved_episode_rate, seed_entropy, metric_note
        Made by :func:`plcapacity.simulate` (and the batch); not built by hand.

    Examples
    --------
    >>> import plcapacity as plc
    >>> deployment, outages = plc.load_deployment(
    ...     plc.data_path("examples/two-region-active-active.toml"))
    >>> result = plc.simulate(deployment, outages, trials=2_000, seed=1, progress=False)
    >>> result.trials_run, result.ci[0] <= result.availability <= result.ci[1]
    (2000, True)
    """

    def __init__(self, *, structure, accumulator, years, sla, exact, exact_served,
                 episode_rate, unserved_episode_rate, seed_entropy, metric_note,
                 outage_model="", failover_delay=""):
        self._structure = structure
        self._acc = accumulator
        self.years = years
        self.sla = sla
        n = int(accumulator.total("n"))
        self.trials_run = n
        self.method = "importance" if accumulator.has("weight") else "plain"
        self.effective_sample_size = (
            effective_sample_size(accumulator.total("weight"), accumulator.total("weight_sq"))
            if self.method == "importance" else float(n))
        mean, half = self._mean_ci("down", n)
        self.unavailability = float(mean)
        self.availability = float(1.0 - mean)
        self.ci = _interval(1.0 - mean, half, high=1.0)
        self.ci_half_width = float(half)
        unserved, unserved_half = self._mean_ci("unserved", n)
        self.served_availability = float(1.0 - unserved)
        self.served_ci_half_width = float(unserved_half)
        self.served_availability_ci = _interval(1.0 - unserved, unserved_half, high=1.0)
        self.exact = exact
        self.exact_served = exact_served
        self.expected_down_episodes = episode_rate * n * years
        self.expected_unserved_episodes = unserved_episode_rate * n * years
        self.seed_entropy = seed_entropy
        self.note = metric_note
        self.outage_model = outage_model
        self.failover_delay = failover_delay
        months = 12 * years
        for name, key in (("p_month_below_slo", "months_below"),
                          ("expected_credit_percent", "month_credit")):
            per_trial, half = self._mean_ci(key, n)
            setattr(self, name, float(accumulator.total(key) / (n * months)) if n else 0.0)
            interval = _interval(per_trial / months, half / months)
            plain = self.method == "plain" and n >= 2
            if plain and accumulator.total(key) == 0:
                # None observed: the normal interval is [0, 0]. A month below needs a trial
                # with one (at most all of its months), so the chance is at most that of such
                # a trial: below 1 - 0.025**(1/n) (95 %, exact binomial with 0 of n).
                interval = (0.0, float(-math.expm1(math.log(0.025) / n)))
                if key == "month_credit":  # the credit of a month is at most 100 %
                    interval = (0.0, 100.0 * interval[1])
            elif plain and key == "months_below":
                # a share, often of rare months: the normal interval of a few trials' skewed
                # counts is too narrow (Clopper-Pearson at the effective number of months)
                interval = month_share_interval(accumulator.total(key),
                                                accumulator.total(key + "_sq"), n, months)
            setattr(self, "p_month_below_slo_ci" if key == "months_below"
                    else "expected_credit_ci", interval)

    def _mean_ci(self, key, n):
        """Mean of a per-trial sum and its 95 % half-width; under importance sampling, a NaN
        half-width when fewer than ``MIN_EFFECTIVE_TRIALS`` effective trials stand behind it."""
        total = self._acc.total(key)
        square = self._acc.total(key + "_sq") if self._acc.has(key + "_sq") else math.nan
        mean, half = mean_ci(total, square, n)
        if self.method == "importance" and key in ("down", "unserved"):
            mean = min(mean, 1.0)  # a weighted mean of a few trials may pass 1: a fraction
        if (self.method == "importance" and total > 0
                and effective_sample_size(total, square) < MIN_EFFECTIVE_TRIALS):
            half = math.nan
        if n < 2:  # one trial has no spread to measure: no interval, not a zero-width one
            half = math.nan
        return mean, half

    def effective_trials(self, metric="reachable") -> float:
        """The effective number of trials behind a figure: ``(sum w x)**2 / sum (w x)**2``
        (plain sampling: the trials with some of it). [trials]

        Parameters
        ----------
        metric : {"reachable", "served", "p_month_below_slo", "expected_credit_percent"}
        """
        keys = {"reachable": "down", "served": "unserved", "p_month_below_slo": "months_below",
                "expected_credit_percent": "month_credit"}
        if metric not in keys:
            raise ValueError(f"metric={metric!r} is not allowed: one of {', '.join(keys)}")
        key = keys[metric]
        return effective_sample_size(self._acc.total(key), self._acc.total(key + "_sq"))

    # deprecated names ---------------------------------------------------------
    @property
    def served_fraction(self) -> float:
        """Deprecated: :attr:`served_availability`."""
        _deprecated("served_fraction", "served_availability")
        return self.served_availability

    @property
    def served_ci(self) -> tuple:
        """Deprecated: :attr:`served_availability_ci`."""
        _deprecated("served_ci", "served_availability_ci")
        return self.served_availability_ci

    @property
    def downtime_minutes(self) -> np.ndarray:
        """Deprecated: :attr:`downtime_min`."""
        _deprecated("downtime_minutes", "downtime_min")
        return self.downtime_min

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

        Columns: ``downtime_min`` and ``unserved_min`` over the trial [min],
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
    def downtime_min(self) -> np.ndarray:
        """Downtime of each trial. [min]"""
        return np.concatenate([k[1]["downtime_min"] for k in self._kept()])

    @property
    def monthly_uptime_percent(self) -> np.ndarray:
        """Uptime of each calendar month of each trial, array (trials, 12 * years). [%]"""
        kept = self._kept()
        uptime = np.full((self.trials_run, 12 * self.years), 100.0)
        offset = 0
        for _, columns, _, (trial, month, value) in kept:  # blocks, not trials
            uptime[offset + trial, month] = value
            offset += columns["downtime_min"].size
        return uptime

    # aggregates ---------------------------------------------------------------
    def quantile(self, q) -> float:
        """Quantile of annual downtime over trials (a trial's downtime divided by its years,
        so multi-year trials average their years). Exact when trials are kept, else from a
        histogram with bins 0.46 % wide. [min per year]"""
        if self._acc.keep and self.method == "plain":
            return float(np.quantile(self.downtime_min / self.years, q))
        counts = self._acc.histogram
        if self.method == "importance":  # weighted counts (always histogrammed)
            cumulative = np.cumsum(counts)
            index = int(np.searchsorted(cumulative, q * cumulative[-1], side="left"))
            if index == 0:
                return 0.0
            index = min(index, HIST_GEOM.size - 1)
            return float(math.sqrt(HIST_GEOM[index - 1] * HIST_GEOM[index]))
        rank = q * (counts.sum() - 1)
        index = int(np.searchsorted(np.cumsum(counts), rank, side="right"))
        if index == 0:
            return 0.0
        return float(math.sqrt(HIST_GEOM[index - 1] * HIST_GEOM[index]))

    def causes(self) -> pd.Series:
        """Mean downtime per year attributed to each outage process, largest first.
        [min per year]"""
        total = self._acc.total("cause") / (self.trials_run * self.years)
        names = [p.name for p in self._structure.processes]
        return pd.Series(total, index=names, name="downtime_min_per_year").sort_values(
            ascending=False)

    def summary(self) -> pd.Series:
        """The figures people quote, as a Series.

        Availabilities and their 95 % confidence intervals are fractions of time [-];
        ``*_min`` are minutes per year; ``p_month_below_slo`` is a probability per month;
        ``expected_credit_percent`` is % of the monthly fee.
        """
        n_months = self.trials_run * 12 * self.years
        causes = self.causes()
        share = causes / causes.sum() if causes.sum() > 0 else causes
        top = ", ".join(f"{name} {fraction:.0%}" for name, fraction in share.head(3).items()
                        if fraction > 0) or "none observed"
        rows = {
            "trials": self.trials_run,
            "years_per_trial": self.years,
            "method": self.method,
            "effective_sample_size": self.effective_sample_size,
            "availability": self.availability,
            "availability_ci_low": self.ci[0],
            "availability_ci_high": self.ci[1],
            "nines": nines(self.unavailability),
            "exact_availability": None if self.exact is None else min(1.0, 1.0 - self.exact),
            "mean_annual_downtime_min": self.unavailability * MINUTES_PER_YEAR,
            "p50_annual_downtime_min": self.quantile(0.50),
            "p95_annual_downtime_min": self.quantile(0.95),
            "p99_annual_downtime_min": self.quantile(0.99),
            "p_month_below_slo": self._acc.total("months_below") / n_months,
            "p_month_below_slo_ci_low": self.p_month_below_slo_ci[0],
            "p_month_below_slo_ci_high": self.p_month_below_slo_ci[1],
            "expected_credit_percent": self._acc.total("month_credit") / n_months,
            "served_availability": self.served_availability,
            "served_availability_ci_low": self.served_availability_ci[0],
            "served_availability_ci_high": self.served_availability_ci[1],
            "exact_served_availability": (None if self.exact_served is None
                                          else min(1.0, max(0.0, 1.0 - self.exact_served))),
            "incidents_per_year": self._acc.total("incidents") / (self.trials_run * self.years),
            "expected_down_episodes_in_sample": self.expected_down_episodes,
            "expected_unserved_episodes_in_sample": self.expected_unserved_episodes,
            "top_causes": top,
            "outage_model": self.outage_model,
            "failover_delay": self.failover_delay,
            "note": self.note,
        }
        return pd.Series(rows, name="simulation", dtype=object)

    def __repr__(self):
        method = "" if self.method == "plain" else f", method={self.method!r}"
        return (f"SimulationResult(availability={self.availability:.8f}, "
                f"ci=({self.ci[0]:.8f}, {self.ci[1]:.8f}), trials={self.trials_run:,}, "
                f"years={self.years}{method})")


#: How each field of a summary is shown (the same in the CLI and in notebooks).
SUMMARY_FORMATS = {
    "availability": "{:.8f}", "availability_ci_low": "{:.8f}", "availability_ci_high": "{:.8f}",
    "exact_availability": "{:.10f}", "served_availability": "{:.10f}",
    "served_availability_ci_low": "{:.8f}", "served_availability_ci_high": "{:.8f}",
    "exact_served_availability": "{:.10f}", "nines": "{:.2f}", "unavailability_log10": "{:.2f}",
    "p_month_below_slo": "{:.4%}", "p_month_below_slo_ci_low": "{:.4%}",
    "p_month_below_slo_ci_high": "{:.4%}", "effective_sample_size": "{:,.0f}",
    "expected_credit_percent": "{:.4f} %",
}


def _enough_digits(value, pattern):
    """A fraction close to 1 in ``pattern`` (``"{:.8f}"``), with more decimals where the
    pattern would round it to 1 and hide the unavailability (two significant digits of it);
    a small positive percentage that the pattern would round to 0 in three significant
    digits (``"{:.4%}"`` of 3.2e-9: ``3.2e-07%``, not ``0.0000%``)."""
    small = re.fullmatch(r"\{:\.(\d+)(%|f\} %)\}?", pattern)
    if small and 0 < value:
        percent = 100 * value if small.group(2) == "%" else value
        if percent < 0.5 * 10.0 ** -int(small.group(1)):
            return f"{percent:.3g}%" if small.group(2) == "%" else f"{percent:.3g} %"
    if pattern.endswith("f}") and 0 < 1 - value < 1:
        decimals = int(pattern[pattern.index(".") + 1:-2])
        missing = 1 - value
        if missing < 0.5 * 10.0 ** -decimals:
            decimals = min(17, math.ceil(-math.log10(missing)) + 1)
            return f"{value:.{decimals}f}"
    return pattern.format(value)


def shown_fraction(value, pattern) -> str:
    """``value`` in ``pattern`` (``"{:.6f}"``, ``"{:.2%}"``), with the digits that keep a small
    unavailability or probability visible: ``1 - 1e-10`` is not ``1.000000``, 3e-9 not
    ``0.00%`` (see :func:`format_summary`).

    Examples
    --------
    >>> shown_fraction(1 - 9.5e-11, "{:.6f}"), shown_fraction(3.2e-9, "{:.2%}")
    ('0.999999999905', '3.2e-07%')
    >>> shown_fraction(0.25, "{:.2%}")
    '25.00%'
    """
    return _enough_digits(float(value), pattern)


def format_summary(summary) -> "pd.Series":
    """A summary (``exact_summary``, ``SimulationResult.summary()``) as readable text.

    pandas shows a Series of mixed values with six significant digits, so an availability of
    0.9999999684 appears as 1.0. This keeps the numbers as the CLI prints them: availabilities
    to 8 or 10 decimals (more when those would round to 1), percentages, thousands separators.

    Parameters
    ----------
    summary : pandas.Series

    Returns
    -------
    pandas.Series
        The same index and name, values as strings ("-" for a missing value).

    Examples
    --------
    >>> import pandas as pd
    >>> format_summary(pd.Series({"availability": 0.9999999684, "nines": 7.5003,
    ...                           "trials": 1_000_000})).tolist()
    ['0.99999997', '7.50', '1,000,000']
    >>> format_summary(pd.Series({"availability": 1 - 3e-11})).tolist()
    ['0.999999999970']
    """
    import pandas as pd

    def show(name, value):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "-"
        if isinstance(value, (bool, np.bool_)):
            return str(value)
        if name in SUMMARY_FORMATS and isinstance(value, (int, float, np.number)):
            return _enough_digits(float(value), SUMMARY_FORMATS[name])
        if isinstance(value, (float, np.floating)):
            return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
        if isinstance(value, (int, np.integer)):
            return f"{value:,}"
        return str(value)
    return pd.Series([show(name, value) for name, value in summary.items()],
                     index=summary.index, name=summary.name, dtype=object)


def exact_figures(deployment, outages) -> dict:
    """The exact values a simulation is reported beside. Cheap.

    Returns
    -------
    dict
        ``exact`` and ``exact_served``: steady-state unavailability, reachable and served
        [-] (None where the exact calculation declines the deployment); ``episode_rate`` and
        ``unserved_rate``: down (unserved) episodes [per year] (NaN where it declines).
    """
    def attempt(function, metric, missing):
        try:
            return function(deployment, outages, metric=metric)
        except ValueError:  # too large for the exact method: the simulation stands alone
            return missing

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        if deployment.failover.mode != "active-passive":  # all four from one calculation
            try:
                answer = exact_figures_by_metric(deployment, outages)
            except ValueError:  # too large for the exact method: the simulation stands alone
                return dict(exact=None, exact_served=None, episode_rate=math.nan,
                            unserved_rate=math.nan)
            return dict(exact=answer["reachable"], exact_served=answer["served"],
                        episode_rate=answer["reachable_rate"],
                        unserved_rate=answer["served_rate"],
                        bounds={m for m in ("reachable", "served") if answer[f"{m}_bound"]})
        return dict(
            exact=attempt(exact_unavailability, "reachable", None),
            exact_served=attempt(exact_unavailability, "served", None),
            episode_rate=attempt(down_episode_frequency, "reachable", math.nan),
            unserved_rate=attempt(down_episode_frequency, "served", math.nan))


#: Generalized Pareto shape from which outage durations have infinite variance, so the normal
#: confidence intervals of a simulation are not to be trusted at ordinary sample sizes. [-]
HEAVY_TAIL_SHAPE = 0.5


def failover_description(failover) -> str:
    """The failover mode and delay law in one line, for results and reports.

    Examples
    --------
    >>> import plcapacity as plc
    >>> failover_description(plc.Failover("active-passive", delay_minutes=5))
    'active-passive, delay fixed 5 min'
    >>> failover_description(plc.Failover())
    'active-active (no failover delay)'
    """
    if failover.mode != "active-passive":
        return f"{failover.mode} (no failover delay)"
    law = None if failover.delay is None else delay_law(failover.delay)
    if law is None or isinstance(law, FixedDuration):  # a fixed law is a fixed delay
        minutes = failover.delay_minutes if law is None else law.mean_minutes
        return f"active-passive, delay fixed {minutes:g} min"
    return f"active-passive, delay {law.describe()} (mean {law.mean_minutes:.3g} min)"


def build_result(deployment, structure, acc, years, figures, seed_entropy, outages=None,
                 plan=None):
    """A :class:`SimulationResult` from accumulated sums, with its notes.

    Parameters
    ----------
    deployment : Deployment
    structure : plcapacity.availability.Structure
    acc : Accumulator
        Every block of the run.
    years : int
        Years per trial. [yr]
    figures : dict
        From :func:`exact_figures`.
    seed_entropy : int or sequence of int
        The run's root entropy.
    outages : OutageModel, optional
        The outage model, named in the result.
    plan : ImportancePlan, optional
        The bias of an importance-sampled run (named in its note).
    """
    done = int(acc.total("n"))
    metric = "served" if deployment.demand_connections is not None else "reachable"
    notes = []
    if structure.active_passive and structure.delay_minutes > 0:
        notes.append("exact values exclude failover gaps")
    heavy = [p.name for p in structure.processes
             if getattr(p.duration, "shape", 0.0) >= HEAVY_TAIL_SHAPE]
    if heavy:  # generalized Pareto of shape >= 1/2: durations of infinite variance
        notes.append(f"heavy-tailed outage durations ({', '.join(heavy[:3])}"
                     f"{', ...' if len(heavy) > 3 else ''}: generalized Pareto of shape >= "
                     f"{HEAVY_TAIL_SHAPE}, infinite variance) - the confidence intervals assume "
                     "a finite variance and may be too narrow; compare with the exact value")
    trial_years = done * years
    if acc.has("weight"):  # importance sampling: its own notes, not plain sampling's
        notes.extend(_importance_notes(acc, done, metric, plan))
        return _result(deployment, structure, acc, years, figures, seed_entropy, outages,
                       notes)
    if done == 1:
        notes.append("one trial: its figures have no confidence interval (no spread to "
                     "measure); run more trials")
    if done and acc.total("incidents") == 0:
        # Nothing observed: say so whether or not an exact value is at hand (above the exact
        # calculation's reach, nothing else would).
        notes.append(
            f"no down time in {trial_years:,} trial-years: the simulated availability 1 is not "
            f"a measurement; down episodes are rarer than {3 / trial_years:.2g} per year "
            "(95 %, rule of three)")
    elif done and metric == "served" and acc.total("unserved") == 0:
        notes.append(
            f"no unserved time in {trial_years:,} trial-years: the served availability 1 is "
            f"not a measurement (episodes rarer than {3 / trial_years:.2g} per year, 95 %)")
    bounds = figures.get("bounds", set())
    for label, rate, value, figure, which in (
            ("downtime", figures["episode_rate"], figures["exact"], "availability",
             "reachable"),
            ("unserved time", figures["unserved_rate"], figures["exact_served"],
             "served availability", "served")):
        if label == "unserved time" and metric == "reachable":
            break
        expected = rate * done * years
        if not math.isnan(expected) and expected < 10 and value is not None:
            below = "below " if which in bounds else ""  # a bound: the float's range ends
            notes.append(
                f"rare events ({label}): the sample is expected to hold only "
                f"{'under ' if below else ''}{expected:.2g} episodes; the exact value is "
                f"{1 - value:.10f} (unavailability {below}{value:.3g}) - the simulated "
                f"{figure} is not a measurement")
    return _result(deployment, structure, acc, years, figures, seed_entropy, outages, notes)


def _importance_notes(acc, done, metric, plan):
    """The notes of an importance-sampled run: the method and its effective sample size,
    and the figures that rest on too few effective trials for an interval."""
    ess = effective_sample_size(acc.total("weight"), acc.total("weight_sq"))
    bias = "" if plan is None else f" ({plan.describe()})"
    notes = [f"importance sampling{bias}: effective sample size {ess:,.0f} of {done:,} trials"]
    if ess < max(MIN_EFFECTIVE_TRIALS, 1e-3 * done):
        notes.append("the importance weights are degenerate (effective sample size below "
                     f"{max(MIN_EFFECTIVE_TRIALS, 1e-3 * done):,.0f}): the figures are not to "
                     "be trusted; run method='plain' or more trials")
    labels = {"down": ("down time", "availability"),
              "unserved": ("unserved time", "served availability"),
              "months_below": ("months below the SLO", "chance of a month below the SLO")}
    for key, (what, figure) in labels.items():
        if key == "unserved" and metric == "reachable":
            continue
        total = acc.total(key)
        if total == 0:
            notes.append(f"no {what} in {done:,} importance-sampled trials: the {figure} is "
                         "not a measurement")
            continue
        behind = effective_sample_size(total, acc.total(key + "_sq"))
        if behind < MIN_EFFECTIVE_TRIALS:
            notes.append(f"the {figure} rests on {behind:.1f} effective trials (fewer than "
                         f"{MIN_EFFECTIVE_TRIALS}): no confidence interval; run more trials")
    return notes


def _result(deployment, structure, acc, years, figures, seed_entropy, outages, notes):
    return SimulationResult(structure=structure, accumulator=acc, years=years,
                            sla=deployment.sla,
                            exact=figures["exact"], exact_served=figures["exact_served"],
                            episode_rate=figures["episode_rate"],
                            unserved_episode_rate=figures["unserved_rate"],
                            seed_entropy=seed_entropy, metric_note="; ".join(notes),
                            outage_model="" if outages is None else outages.describe(),
                            failover_delay=failover_description(deployment.failover))
