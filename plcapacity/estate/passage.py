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

import numpy as np
from scipy.special import ndtri

__all__ = ["SLOPE_POINTS", "WEEKLY_MIN_DAYS", "WEEKLY_LEVEL", "Noise", "NoiseRows", "noise_model",
           "noise_models", "kruskal_rows", "slope_lines", "passage_days", "passage_survival",
           "passage_survival_rows", "passage_quantiles", "interp_rows", "EXACT_DAYS",
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
#: Elements of the largest temporary array (thresholds x lines x days, or series x grid x
#: residuals) per block. [-]
_BLOCK_ELEMENTS = 1 << 21
#: log of "probability 0" in the tables (exp of it is 0; no -inf in the arithmetic). [-]
_LOG_ZERO = -1e4


class Noise:
    """The noise about one trend: a weekly profile and the smoothed distribution function of
    what is left, tabulated (log of ``P(u < x)`` on a grid of ``x``)."""

    def __init__(self, weekly, grid, log_cdf):
        self.weekly, self.grid, self.log_cdf = weekly, grid, log_cdf

    def log_below(self, x):
        """``log P(u < x)`` (0 above the grid, :data:`_LOG_ZERO` below it)."""
        return np.interp(x, self.grid, self.log_cdf, left=_LOG_ZERO, right=0.0)


class NoiseRows:
    """The :class:`Noise` of many series at once: row ``s`` of ``weekly`` (S, 7), ``grid``
    and ``log_cdf`` (S, G) is series ``s``."""

    def __init__(self, weekly, grid, log_cdf):
        self.weekly, self.grid, self.log_cdf = weekly, grid, log_cdf

    def __len__(self):
        return self.weekly.shape[0]

    def row(self, s) -> Noise:
        """Series ``s`` alone."""
        return Noise(self.weekly[s], self.grid[s], self.log_cdf[s])

    def log_below(self, x, rows):
        """``log P(u < x)`` with ``x[p, ...]`` in the noise of series ``rows[p]``."""
        return interp_rows(x, rows, self.grid, self.log_cdf, _LOG_ZERO, 0.0)


def interp_rows(x, rows, xp, fp, left, right):
    """:func:`numpy.interp` with a table per series: ``x[p, ...]`` looked up in
    ``(xp[rows[p]], fp[rows[p]])``, for tables on equally spaced points (as
    :func:`numpy.linspace` gives them), with numpy's arithmetic (``slope * (x - xp[j]) +
    fp[j]``; ``fp[j]`` at ``x == xp[j]``).

    Examples
    --------
    >>> xp = np.array([[0.0, 1.0, 2.0], [0.0, 2.0, 4.0]])
    >>> fp = np.array([[0.0, 10.0, 20.0], [1.0, 2.0, 3.0]])
    >>> interp_rows(np.array([[0.5, 3.0], [3.0, 9.0]]), [0, 1], xp, fp, -1.0, 99.0).tolist()
    [[5.0, 99.0], [2.5, 99.0]]
    """
    x = np.asarray(x, float)
    rows = np.asarray(rows, np.int64).reshape((-1,) + (1,) * (x.ndim - 1))
    size = xp.shape[1]
    first, end = xp[:, 0][rows], xp[:, -1][rows]
    step = (end - first) / (size - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        guess = np.floor((x - first) / step)
    j = np.clip(np.nan_to_num(guess, nan=0.0), 0, size - 2).astype(np.int64)
    j += rows * size                                  # positions in the flattened tables
    flat_x, flat_f = xp.ravel(), fp.ravel()
    # the guess is off by at most one point, where the grid's rounding differs from ours
    lowest, highest = rows * size, rows * size + size - 2
    j += (j < highest) & (flat_x.take(j + 1) <= x)
    j -= (j > lowest) & (flat_x.take(j) > x)
    x0, x1 = flat_x.take(j), flat_x.take(j + 1)
    f0, f1 = flat_f.take(j), flat_f.take(j + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        inside = (f1 - f0) / (x1 - x0) * (x - x0) + f0
    inside = np.where(x == x0, f0, inside)
    inside = np.where(x == end, fp[:, -1][rows], inside)
    inside = np.where(x > end, right, inside)
    return np.where(x < first, left, inside)


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
    t = np.asarray(t, float).ravel()
    residuals = np.asarray(residuals, float).ravel()
    return noise_models(t[None, :], residuals[None, :]).row(0)


def noise_models(t, residuals) -> NoiseRows:
    """The noise of many fits at once: row ``s`` of ``t`` and ``residuals`` (S, n) is one
    series (``t`` in whole days since its first day).

    The weekly profile is the median residual of each day of the week where the days differ
    (:func:`kruskal_rows` at :data:`WEEKLY_LEVEL`, every day of the week seen at least three
    times, at least :data:`WEEKLY_MIN_DAYS` days); what is left is smoothed by a normal
    kernel of Silverman's bandwidth: the empirical ``P(u < x)`` on :data:`_GRID` points,
    convolved with the kernel sampled on that grid (within four bandwidths).

    Returns
    -------
    NoiseRows
    """
    t = np.asarray(t, float)
    residuals = np.asarray(residuals, float)
    count, n = residuals.shape
    phase = np.mod(t, 7).astype(np.int64)
    weekly = np.zeros((count, 7))
    if n >= WEEKLY_MIN_DAYS:
        weekly = _weekly_profiles(residuals, phase)
    u = np.sort(residuals - np.take_along_axis(weekly, phase, axis=1), axis=1)
    if n > _MOST_RESIDUALS:
        u = np.quantile(u, (np.arange(_MOST_RESIDUALS) + 0.5) / _MOST_RESIDUALS, axis=1).T
    size = u.shape[1]
    quartiles = np.quantile(u, [0.75, 0.25], axis=1)
    spread = np.minimum(np.std(u, axis=1), (quartiles[0] - quartiles[1]) / 1.349)
    scale = np.maximum(np.maximum(np.abs(u[:, 0]), np.abs(u[:, -1])), 1.0)
    bandwidth = np.maximum(0.9 * spread * size ** -0.2, 1e-6 * scale)
    grid = np.linspace(u[:, 0] - 5 * bandwidth, u[:, -1] + 5 * bandwidth, _GRID, axis=1)
    smooth = np.empty((count, _GRID))
    rows = max(1, _BLOCK_ELEMENTS // (_GRID * size))
    for start in range(0, count, rows):           # blocks of series: bounded memory
        block = slice(start, min(start + rows, count))
        smooth[block] = _smoothed_cdf(u[block], grid[block], bandwidth[block])
    with np.errstate(divide="ignore"):
        log_cdf = np.maximum(np.log(np.clip(smooth, 0.0, 1.0)), _LOG_ZERO)
    return NoiseRows(weekly, grid, log_cdf)


def _smoothed_cdf(u, grid, bandwidth):
    """The empirical ``P(u < x)`` of each row's sorted ``u`` on its ``grid``, convolved with a
    normal kernel of the row's ``bandwidth`` sampled on the grid's step and cut at four
    bandwidths (beyond the grid: 0 below, 1 above).

    The empirical function steps up by ``1/n`` at each ``u_m`` (first grid point above it,
    ``j_m``), so the convolution at grid point ``i`` is the mean over ``m`` of the kernel's
    weight at offsets from ``j_m - i`` on: one table of tail sums per row.
    """
    count, size = u.shape
    step = grid[:, 1] - grid[:, 0]
    half = np.ceil(4 * bandwidth / step).astype(np.int64)            # the kernel's reach
    widest = int(half.max())
    offsets = np.arange(-widest, widest + 1)
    with np.errstate(under="ignore"):
        kernel = np.where(np.abs(offsets)[None, :] <= half[:, None],
                          np.exp(-0.5 * (offsets[None, :] * (step / bandwidth)[:, None]) ** 2),
                          0.0)
    kernel /= kernel.sum(axis=1, keepdims=True)
    # tails[s, k] = the kernel's weight at offsets >= k - widest (0 past the last)
    tails = np.concatenate([np.cumsum(kernel[:, ::-1], axis=1)[:, ::-1],
                            np.zeros((count, 1))], axis=1)
    jumps = (grid[:, None, :] <= u[:, :, None]).sum(axis=2)          # j_m, (S, n)
    points = np.arange(grid.shape[1])
    position = np.clip(jumps[:, None, :] - points[None, :, None], -widest, widest + 1) + widest
    picked = np.take_along_axis(tails, position.reshape(count, -1), axis=1)
    return picked.reshape(count, grid.shape[1], size).sum(axis=2) / size


def _weekly_profiles(residuals, phase):
    """Each row's median residual per day of the week where the days differ, else zeros."""
    count, n = residuals.shape
    seen = (phase[:, :, None] == np.arange(7)).sum(axis=1)          # (S, 7)
    cycle = (seen.min(axis=1) >= 3)
    if not cycle.any():
        return np.zeros((count, 7))
    cycle &= kruskal_rows(residuals, phase) < WEEKLY_LEVEL
    order = np.lexsort((residuals, phase), axis=1)                   # by phase, then value
    ordered = np.take_along_axis(residuals, order, axis=1)
    starts = np.cumsum(seen, axis=1) - seen
    low = np.clip(starts + (seen - 1) // 2, 0, n - 1)
    high = np.clip(starts + seen // 2, 0, n - 1)
    a = np.take_along_axis(ordered, low, axis=1)
    b = np.take_along_axis(ordered, high, axis=1)
    median = np.where(seen % 2 == 1, a, (a + b) / 2)                 # as numpy.median
    return np.where(cycle[:, None], median, 0.0)


def kruskal_rows(values, groups, count=7):
    """p-values of the Kruskal-Wallis test of each row of ``values`` (S, n), split by
    ``groups`` (integers 0 to ``count - 1``, every group present in every row): as
    :func:`scipy.stats.kruskal` computes them (average ranks, the tie correction, the
    chi-squared law with ``count - 1`` degrees of freedom); 1 for a row of equal values
    (scipy raises on those; no group differs).

    Examples
    --------
    >>> values = np.array([[1.0, 2.0, 3.0, 10.0, 11.0, 12.0], [1.0, 11.0, 2.0, 10.0, 3.0, 12.0]])
    >>> groups = np.array([[0, 0, 0, 1, 1, 1]] * 2)
    >>> kruskal_rows(values, groups, 2).round(4).tolist()
    [0.0495, 0.2752]
    """
    from scipy.special import chdtrc

    values = np.asarray(values, float)
    groups = np.asarray(groups, np.int64)
    rows, n = values.shape
    order = np.argsort(values, axis=1, kind="stable")
    ordered = np.take_along_axis(values, order, axis=1)
    new = np.ones(values.shape, dtype=bool)
    new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    starts = np.flatnonzero(new.ravel())
    sizes = np.diff(np.append(starts, values.size))
    first = starts % n
    run_rank = first + (sizes + 1) / 2.0                             # average 1-based rank
    ranks_sorted = np.repeat(run_rank, sizes).reshape(rows, n)
    ranks = np.empty_like(ranks_sorted)
    np.put_along_axis(ranks, order, ranks_sorted, axis=1)
    ties = np.bincount(starts // n, weights=(sizes.astype(float) ** 3 - sizes),
                       minlength=rows)
    correction = 1.0 - ties / float(n ** 3 - n)
    members = groups[:, :, None] == np.arange(count)                 # (S, n, groups)
    sums = np.einsum("sn,sng->sg", ranks, members.astype(float))
    sizes_in = members.sum(axis=1)
    total = float(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        h = (12.0 / (total * (total + 1)) * (sums ** 2 / sizes_in).sum(axis=1)
             - 3 * (total + 1)) / correction
        pvalue = chdtrc(count - 1, h)
    return np.where(correction > 0, pvalue, 1.0)


def slope_lines(slope, low, high, confidence, z_median, t_median):
    """:data:`SLOPE_POINTS` equally likely (slope, intercept) pairs: a split normal with its
    median at ``slope`` and its ``confidence`` interval at ``[low, high]`` (Theil-Sen's), each
    line through the medians. Scalars give arrays of :data:`SLOPE_POINTS`; arrays of S series
    give (S, :data:`SLOPE_POINTS`).

    Examples
    --------
    >>> slopes, _ = slope_lines(1.0, 0.5, 2.0, 0.9, 0.0, 0.0)
    >>> float(slopes[SLOPE_POINTS // 2]), bool(slopes[0] < 1 < slopes[-1])
    (1.0, True)
    """
    z = float(ndtri((1 + confidence) / 2))
    slope, low, high, z_median, t_median = (np.asarray(v, float)[..., None] for v in
                                            (slope, low, high, z_median, t_median))
    below = np.where(np.isfinite(low), (slope - low) / z, 0.0)
    above = np.where(np.isfinite(high), (high - slope) / z, 0.0)
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
    """``P(T > d)`` for each level and each day ``d`` of ``days``, for one series
    (:func:`passage_survival_rows` with one row).

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
    levels = np.asarray(levels, float).ravel()
    rows = NoiseRows(noise.weekly[None, :], noise.grid[None, :], noise.log_cdf[None, :])
    return passage_survival_rows(levels, np.zeros(levels.size, np.int64),
                                 np.asarray(slopes, float)[None, :],
                                 np.asarray(intercepts, float)[None, :], rows, days)


def passage_survival_rows(levels, rows, slopes, intercepts, noise, days) -> np.ndarray:
    """``P(T > d)`` for many (series, level) pairs at once: pair ``p`` is level
    ``levels[p]`` of series ``rows[p]``, whose lines are ``slopes[rows[p]]``,
    ``intercepts[rows[p]]`` and noise ``noise.row(rows[p])``; the days (from
    :func:`passage_days`: consecutive days from the first day a peak may reach the level,
    then sparser ones) are the same for every pair. Averaged over the lines.

    On the consecutive days the product of the daily chances is exact; between the sparser
    days each day of the week's sum of ``log G`` is the integral of ``log G`` along the line
    (midpoint rule: exact for a straight ``log G``, and there only lines rising less than the
    noise's width in a week are still short of the level). A level no line comes within the
    noise's reach of before the last day survives with probability 1; one no line comes near
    in the consecutive days, 1 on those days.

    Parameters
    ----------
    levels : array_like
        Thresholds in each series' fit scale. (P,)
    rows : array_like of int
        The series of each pair. (P,)
    slopes, intercepts : array_like
        Each series' equally likely lines. (S, K)
    noise : NoiseRows
        Each series' noise.
    days : array_like of int
        Days since the series' first day. (D,)

    Returns
    -------
    numpy.ndarray
        Survival probabilities, shape (P, D).
    """
    levels = np.asarray(levels, float).ravel()
    rows = np.asarray(rows, np.int64).ravel()
    slopes = np.asarray(slopes, float)
    intercepts = np.asarray(intercepts, float)
    days = np.asarray(days, np.int64)
    gaps = np.diff(days)
    exact = days.size if not (gaps > 1).any() else int(np.argmax(gaps > 1)) + 1
    near, far = days[:exact], days[exact:]
    out = np.ones((levels.size, days.size))
    # levels no line comes within the noise's reach of before the last day: never reached
    top = noise.grid[:, -1] + noise.weekly.max(axis=1)                   # (S,)

    def highest(first, last):  # the highest any line of each series gets on first..last
        return np.max(intercepts + np.maximum(slopes * first, slopes * last), axis=1)

    reachable = np.flatnonzero(levels - highest(days[0], days[-1])[rows] < top[rows])
    # levels no line comes near in the consecutive days: survival 1 there, the rest sparse
    near_reach = levels[reachable] - highest(near[0], near[-1])[rows[reachable]] \
        < top[rows[reachable]]
    phase = np.mod(near, 7)
    lines = slopes.shape[1]
    for pairs, exact_days in ((reachable[near_reach], True), (reachable[~near_reach], False)):
        per_pair = lines * ((near.size if exact_days else 0) + 7 * far.size)
        block = max(1, _BLOCK_ELEMENTS // max(per_pair, 1))
        for start in range(0, pairs.size, block):
            some = pairs[start:start + block]
            series = rows[some]
            chunk = levels[some]
            if exact_days:
                week = noise.weekly[series][:, phase]                      # (p, D)
                trend = (intercepts[series][:, :, None] + slopes[series][:, :, None]
                         * near[None, None, :] + week[:, None, :])         # (p, K, D)
                log_stay = noise.log_below(chunk[:, None, None] - trend, series)
                np.cumsum(log_stay, axis=2, out=log_stay)
                log_near = np.maximum(log_stay, _LOG_ZERO)
                survival = [np.exp(log_near).mean(axis=1)]
                carried = log_near[:, :, -1:]
            else:
                survival = [np.ones((some.size, near.size))]
                carried = np.zeros((some.size, lines, 1))
            if far.size:
                survival.append(np.exp(np.maximum(
                    carried + _far_sums(chunk, series, slopes, intercepts, noise, near[-1],
                                        far), _LOG_ZERO)).mean(axis=1))
            out[some] = np.concatenate(survival, axis=1)
    return out


def _far_sums(levels, series, slopes, intercepts, noise, after, far):
    """``sum_{after < s <= d} log G(level - a - b s - w[s mod 7])`` for each ``d`` of ``far``
    and each pair (level, series): for each day of the week, the integral of ``log G`` along
    the line over its share of the days (a seventh), by the tabulated antiderivative; one
    integral for a series without a weekly profile (its seven sevenths are equal). Shape
    (P, K, len(far))."""
    grid, log_cdf = noise.grid, noise.log_cdf
    antiderivative = np.concatenate([np.zeros((grid.shape[0], 1)), np.cumsum(
        (log_cdf[:, 1:] + log_cdf[:, :-1]) / 2 * np.diff(grid, axis=1), axis=1)], axis=1)
    lower = after + 0.5
    upper = far[None, None, :] + 0.5

    def integral(pairs, shift):  # for the pairs' days of the week ``shift`` below the trend
        rows = series[pairs]

        def F(y):  # integral of log G from grid[0] to y (log G is LOG_ZERO below, 0 above)
            start = grid[rows, :1][:, :, None]
            inside = interp_rows(y, rows, grid, antiderivative, 0.0,
                                 antiderivative[rows, -1:][:, :, None])
            return np.where(y < start, _LOG_ZERO * (y - start), inside)

        b = slopes[rows][:, :, None]
        y = levels[pairs][:, None, None] - intercepts[rows][:, :, None] - shift
        flat = np.abs(b) < 1e-12
        sloped = (F(y - b * lower) - F(y - b * upper)) / np.where(flat, 1.0, b)
        level_line = (upper - lower) * noise.log_below(y, rows)
        return np.where(flat, level_line, sloped)

    total = np.empty((levels.size, slopes.shape[1], far.size))
    weekly = noise.weekly[series]
    cycle = weekly.any(axis=1)
    plain = np.flatnonzero(~cycle)
    if plain.size:
        total[plain] = integral(plain, 0.0)
    cycled = np.flatnonzero(cycle)
    if cycled.size:
        total[cycled] = 0.0
        for day in range(7):
            total[cycled] += integral(cycled, weekly[cycled, day][:, None, None]) / 7
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
