"""When daily peaks first reach a threshold: the distribution of the first-passage day of a
trend with noise, from which the forecast's dates and their interval come.

The event users care about is the first day a daily peak reaches the threshold, not the day
the fitted trend line does: with noise, peaks reach a threshold some days before their trend
does. Model, per series (in the fit's scale: percent, or log percent for a log-linear fit):

``peak(s) = a + b s + w[s mod 7] + u_s``

- ``a + b s``: the Theil-Sen line; the slope ``b`` uncertain, drawn from a split normal
  matched to Theil-Sen's confidence interval (below and above the slope separately), each line
  through the medians (``a = median(z) - b median(t)``), on :data:`SLOPE_POINTS` equally
  likely values;
- ``w``: a weekly profile, the median residual of each day of the week, where the days
  differ (Kruskal-Wallis at :data:`WEEKLY_LEVEL`, with at least :data:`WEEKLY_MIN_DAYS` days;
  zero otherwise);
- ``u_s``: independent noise, the residuals less the weekly profile, smoothed by a normal
  kernel (Silverman's bandwidth) so that a peak a little above the largest seen is possible.

Given a line, the days are independent: ``P(T > d) = prod_{s <= d} G(c - a - b s - w[s])``
with ``G`` the noise's distribution function; the forecast's distribution is the average over
the lines (and over both models, equally weighted, when the data cannot tell them apart). Its
median is the date shown, its ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles
the interval. Computed exactly on whole days from the day after the data to the horizon, in
logarithms (no underflow), a block of thresholds at a time (bounded memory).

References
----------
.. [1] Sen, P. K. (1968). Estimates of the regression coefficient based on Kendall's tau.
   JASA 63(324), 1379-1389. https://doi.org/10.1080/01621459.1968.10480934
.. [2] Silverman, B. W. (1986). Density Estimation for Statistics and Data Analysis,
   section 3.4.2 (the rule-of-thumb bandwidth). Chapman & Hall.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtri

__all__ = ["SLOPE_POINTS", "WEEKLY_MIN_DAYS", "WEEKLY_LEVEL", "Noise", "noise_model", "slope_lines",
           "passage_days", "passage_survival", "passage_quantiles", "EXACT_DAYS",
           "FAR_POINTS"]

#: Equally likely slopes standing for the slope's uncertainty. [-]
SLOPE_POINTS = 11
#: Fewest daily peaks from which the weekly profile is estimated (four weeks). [days]
WEEKLY_MIN_DAYS = 28
#: Significance level at which the days of the week are taken to differ. [-]
WEEKLY_LEVEL = 0.01
#: Days after the data on which the law is exact, day by day (a year and a day). [days]
EXACT_DAYS = 366
#: Days beyond them on which it is evaluated (spread geometrically to the horizon). [-]
FAR_POINTS = 64
#: Points of the grid the noise's distribution function is tabulated on. [-]
_GRID = 512
#: Most residuals the distribution function is built from (beyond: that many quantiles). [-]
_MOST_RESIDUALS = 4096
#: Elements of the largest temporary array (thresholds x lines x days) per block. [-]
_BLOCK_ELEMENTS = 1 << 21
#: log of "probability 0" in the tables (exp of it is 0; no -inf in the arithmetic). [-]
_LOG_ZERO = -1e4


class Noise:
    """The noise about a trend: a weekly profile and the smoothed distribution function of
    what is left, tabulated (log of ``P(u < x)`` on a grid of ``x``)."""

    def __init__(self, weekly, grid, log_cdf):
        self.weekly, self.grid, self.log_cdf = weekly, grid, log_cdf

    def log_below(self, x):
        """``log P(u < x)`` (0 above the grid, :data:`_LOG_ZERO` below it)."""
        return np.interp(x, self.grid, self.log_cdf, left=_LOG_ZERO, right=0.0)


def noise_model(t, residuals) -> Noise:
    """The :class:`Noise` of a fit's residuals (``t``: whole days since the first day).

    Examples
    --------
    >>> t = np.arange(56.0)
    >>> noise = noise_model(t, np.where(t % 7 >= 5, -10.0, 0.0) + np.tile([1.0, -1.0], 28))
    >>> noise.weekly.tolist()             # weekends 10 below the weekdays
    [0.0, 0.0, 0.0, 0.0, 0.0, -10.0, -10.0]
    >>> float(np.exp(noise.log_below(0.0)).round(2))   # half the noise below 0
    0.5
    """
    t = np.asarray(t, float)
    residuals = np.asarray(residuals, float)
    phase = np.mod(t, 7).astype(np.int64)
    weekly = np.zeros(7)
    if residuals.size >= WEEKLY_MIN_DAYS:
        counts = np.bincount(phase, minlength=7)
        if counts.min() >= 3 and _weekly_cycle(residuals, phase):
            order = np.lexsort((residuals, phase))        # by phase, then value
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
            for k in range(7):  # the median of each day of the week (seven small slices)
                weekly[k] = np.median(residuals[order[starts[k]:starts[k] + counts[k]]])
    u = np.sort(residuals - weekly[phase])
    if u.size > _MOST_RESIDUALS:
        u = np.quantile(u, (np.arange(_MOST_RESIDUALS) + 0.5) / _MOST_RESIDUALS)
    spread = min(np.std(u), (np.quantile(u, 0.75) - np.quantile(u, 0.25)) / 1.349)
    scale = max(abs(float(u[0])), abs(float(u[-1])), 1.0)
    bandwidth = max(0.9 * spread * u.size ** -0.2, 1e-6 * scale)
    grid = np.linspace(u[0] - 5 * bandwidth, u[-1] + 5 * bandwidth, _GRID)
    empirical = np.searchsorted(u, grid, side="left") / u.size          # P(u < x), a step
    step = grid[1] - grid[0]
    half = int(math.ceil(4 * bandwidth / step))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) * step / bandwidth) ** 2)
    kernel /= kernel.sum()
    padded = np.concatenate([np.zeros(half), empirical, np.ones(half)])
    smooth = np.clip(np.convolve(padded, kernel, mode="valid"), 0.0, 1.0)
    with np.errstate(divide="ignore"):
        log_cdf = np.maximum(np.log(smooth), _LOG_ZERO)
    return Noise(weekly, grid, log_cdf)


def _weekly_cycle(residuals, phase) -> bool:
    """Whether the days of the week differ (Kruskal-Wallis, 1 % level): a profile estimated
    from noise alone would move some days' peaks up for nothing."""
    import warnings

    from scipy.stats import kruskal
    groups = [residuals[phase == k] for k in range(7)]
    if min(np.ptp(g) for g in groups) == 0 and np.ptp(residuals) == 0:
        return False  # every value equal: no cycle (and no test to run)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        pvalue = kruskal(*groups).pvalue
    return bool(pvalue < WEEKLY_LEVEL)


def slope_lines(slope, low, high, confidence, z_median, t_median):
    """:data:`SLOPE_POINTS` equally likely (slope, intercept) pairs: a split normal with its
    median at ``slope`` and its ``confidence`` interval at ``[low, high]`` (Theil-Sen's), each
    line through the medians.

    Examples
    --------
    >>> slopes, _ = slope_lines(1.0, 0.5, 2.0, 0.9, 0.0, 0.0)
    >>> float(slopes[SLOPE_POINTS // 2]), bool(slopes[0] < 1 < slopes[-1])
    (1.0, True)
    """
    z = float(ndtri((1 + confidence) / 2))
    below = (slope - low) / z if math.isfinite(low) else 0.0
    above = (high - slope) / z if math.isfinite(high) else 0.0
    normal = ndtri((np.arange(SLOPE_POINTS) + 0.5) / SLOPE_POINTS)
    slopes = slope + np.where(normal < 0, below, above) * normal
    return slopes, z_median - slopes * t_median


def passage_days(first, last):
    """The days the law is evaluated on: every day from ``first`` for :data:`EXACT_DAYS` days,
    then :data:`FAR_POINTS` days spread geometrically to ``last`` (a date years ahead needs no
    single-day precision, and the work stays bounded whatever the horizon).

    Examples
    --------
    >>> passage_days(10, 14).tolist()
    [10, 11, 12, 13, 14]
    >>> days = passage_days(1, 36_525)
    >>> int(days[EXACT_DAYS - 1]), int(days[-1]), days.size <= EXACT_DAYS + FAR_POINTS
    (366, 36525, True)
    """
    first, last = int(first), int(last)
    near = np.arange(first, min(last, first + EXACT_DAYS - 1) + 1)
    if near.size == 0 or near[-1] >= last:
        return near
    far = np.unique(np.ceil(np.geomspace(near[-1] - first + 1, last - first + 1, FAR_POINTS)
                            + first - 1).astype(np.int64))
    return np.concatenate([near, far[far > near[-1]]])


def passage_survival(levels, slopes, intercepts, noise, days) -> np.ndarray:
    """``P(T > d)`` for each level and each day ``d`` of ``days`` (from
    :func:`passage_days`: consecutive days from the first day a peak may reach the level,
    then sparser ones), averaged over the lines.

    On the consecutive days the product of the daily chances is exact; between the sparser
    days each day of the week's sum of ``log G`` is the integral of ``log G`` along the line
    (midpoint rule: exact for a straight ``log G``, and there only lines rising less than the
    noise's width in a week are still short of the level).

    Parameters
    ----------
    levels : array_like
        Thresholds in the fit's scale. (L,)
    slopes, intercepts : array_like
        The equally likely lines. (K,)
    noise : Noise
    days : array_like of int
        Days since the series' first day, from :func:`passage_days`. (D,)

    Returns
    -------
    numpy.ndarray
        Survival probabilities, shape (L, D).
    """
    levels = np.asarray(levels, float)
    slopes = np.asarray(slopes, float)
    intercepts = np.asarray(intercepts, float)
    days = np.asarray(days, np.int64)
    gaps = np.diff(days)
    exact = days.size if not (gaps > 1).any() else int(np.argmax(gaps > 1)) + 1
    near, far = days[:exact], days[exact:]
    out = np.ones((levels.size, days.size))
    # levels no line comes within the noise's reach of before the last day: never reached
    top = float(noise.grid[-1]) + float(noise.weekly.max())

    def highest(first, last):  # the highest any line gets on the days first..last
        return float(np.max(intercepts + np.maximum(slopes * first, slopes * last)))

    reachable = np.flatnonzero(levels - highest(days[0], days[-1]) < top)
    # levels no line comes near in the consecutive days: survival 1 there, the rest sparse
    near_reach = levels[reachable] - highest(near[0], near[-1]) < top
    week = noise.weekly[np.mod(near, 7)]
    for rows, exact_days in ((reachable[near_reach], True), (reachable[~near_reach], False)):
        per_level = slopes.size * ((near.size if exact_days else 0) + 7 * far.size)
        block = max(1, _BLOCK_ELEMENTS // max(per_level, 1))
        for start in range(0, rows.size, block):
            some = rows[start:start + block]
            chunk = levels[some]
            if exact_days:
                trend = intercepts[:, None] + slopes[:, None] * near[None, :] + week[None, :]
                log_stay = noise.log_below(chunk[:, None, None] - trend[None, :, :])  # l, K, D
                np.cumsum(log_stay, axis=2, out=log_stay)
                log_near = np.maximum(log_stay, _LOG_ZERO)
                survival = [np.exp(log_near).mean(axis=1)]
                carried = log_near[:, :, -1:]
            else:
                survival = [np.ones((some.size, near.size))]
                carried = np.zeros((some.size, slopes.size, 1))
            if far.size:
                survival.append(np.exp(np.maximum(
                    carried + _far_sums(chunk, slopes, intercepts, noise, near[-1], far),
                    _LOG_ZERO)).mean(axis=1))
            out[some] = np.concatenate(survival, axis=1)
    return out


def _far_sums(levels, slopes, intercepts, noise, after, far):
    """``sum_{after < s <= d} log G(level - a - b s - w[s mod 7])`` for each ``d`` of ``far``:
    for each day of the week, the integral of ``log G`` along the line over its share of the
    days (a seventh), by the tabulated antiderivative. Shape (L, K, len(far))."""
    grid, log_cdf = noise.grid, noise.log_cdf
    antiderivative = np.concatenate([[0.0], np.cumsum((log_cdf[1:] + log_cdf[:-1]) / 2
                                                      * np.diff(grid))])

    def F(y):  # integral of log G from grid[0] to y (log G is LOG_ZERO below, 0 above)
        inside = np.interp(y, grid, antiderivative)
        return np.where(y < grid[0], _LOG_ZERO * (y - grid[0]), inside)

    b = slopes[None, :, None]
    base = levels[:, None, None] - intercepts[None, :, None]
    total = np.zeros((levels.size, slopes.size, far.size))
    lower = after + 0.5
    upper = far[None, None, :] + 0.5
    flat = np.abs(b) < 1e-12
    safe = np.where(flat, 1.0, b)
    for w in noise.weekly:
        y = base - w
        sloped = (F(y - b * lower) - F(y - b * upper)) / safe
        level_line = (upper - lower) * noise.log_below(y)
        total += np.where(flat, level_line, sloped) / 7
    return total


def passage_quantiles(survival, days, probabilities) -> np.ndarray:
    """The first day by which the passage has happened with each probability: for each level
    (row of ``survival``) and probability ``p``, the first ``d`` with ``P(T <= d) >= p``,
    interpolated linearly between sparse days (inf when not within ``days``). Shape (L, P)."""
    reached = 1.0 - np.asarray(survival)
    days = np.asarray(days, float)
    rows = np.arange(reached.shape[0])
    out = np.full((reached.shape[0], len(probabilities)), np.inf)
    for j, p in enumerate(probabilities):
        hit = reached >= p - 1e-12
        first = np.argmax(hit, axis=1)
        found = hit[rows, first]
        day = days[first]
        before = np.maximum(first - 1, 0)
        gap = days[first] - days[before]
        sparse = found & (first > 0) & (gap > 1)
        if sparse.any():  # between two sparse days: where the line between them reaches p
            low, high = reached[rows, before], reached[rows, first]
            share = np.clip((p - low) / np.where(high > low, high - low, 1.0), 0.0, 1.0)
            day = np.where(sparse, np.ceil(days[before] + share * gap), day)
        out[found, j] = day[found]
    return out
