"""Theil-Sen lines in bounded memory: the results of :func:`scipy.stats.theilslopes` without
its ``n x n`` arrays.

:func:`scipy.stats.theilslopes` builds three ``n x n`` arrays (the differences in x and y and
their mask) and sorts every pairwise slope: 10,000 daily peaks take 2.6 GB, 20,000 end in a
MemoryError. :func:`theil_sen` returns the same slope, intercept and slope interval
(Sen's [1]_ equation 2.6, as scipy computes it) and never holds more than
:data:`MAX_PAIRS_IN_MEMORY` slopes:

- up to that many pairs, every slope is computed (in blocks of rows) and the order statistics
  are selected with :func:`numpy.partition`: bit for bit scipy's results;
- beyond it, each order statistic is selected without listing the slopes, as in the
  randomized slope selection of Dillencourt, Mount and Netanyahu [2]_: the number of slopes
  at most ``s`` is the number of inversions between the order of the points by x and their
  order by ``y - s x`` (counted by merge sort, O(n log n) memory); random pairs bracket the
  wanted rank, and once the bracket holds at most :data:`MAX_PAIRS_IN_MEMORY` slopes they are
  listed (they are the inversions between the orders at the bracket's two ends) and the
  order statistic is picked among them. The result is a pairwise slope, the one scipy picks
  (slopes that differ by less than about 1e-12 relative may be ranked in either order).

References
----------
.. [1] Sen, P. K. (1968). Estimates of the regression coefficient based on Kendall's tau.
   JASA 63(324), 1379-1389. https://doi.org/10.1080/01621459.1968.10480934
.. [2] Dillencourt, M. B., Mount, D. M., Netanyahu, N. S. (1992). A randomized algorithm for
   slope selection. International Journal of Computational Geometry & Applications 2(1),
   1-27. https://doi.org/10.1142/S0218195992000020
.. [3] scipy.stats.theilslopes,
   https://docs.scipy.org/doc/scipy/reference/generated/scipy.stats.theilslopes.html
"""

from __future__ import annotations

import math
from collections import namedtuple
from functools import lru_cache

import numpy as np

__all__ = ["TheilSen", "theil_sen", "theil_sen_rows", "inversions", "MAX_PAIRS_IN_MEMORY"]

#: Most pairwise slopes held in memory at once: 16 MiB of float64 (48 MiB with the two point
#: indices of each slope of a listed bracket). [pairs]
MAX_PAIRS_IN_MEMORY = 1 << 21
#: Rows of the pairwise differences computed at once in the direct path. [elements]
_BLOCK_ELEMENTS = 1 << 18
#: Random pairs drawn at once while bracketing a rank. [pairs]
_DRAW = 1 << 16
#: Slopes inside the bracket wanted from each round of random pairs. [pairs]
_SAMPLE = 1 << 12
#: Rounds of bracketing before the bracket's own sample value is taken. [-]
_MAX_ROUNDS = 64

#: What :func:`theil_sen` returns (the fields of scipy's ``TheilslopesResult``).
TheilSen = namedtuple("TheilSen", ["slope", "intercept", "low_slope", "high_slope"])


@lru_cache(maxsize=64)
def _normal_quantile(alpha: float) -> float:
    # scipy.special.ndtri is what scipy.stats.norm.ppf computes, without importing
    # scipy.stats (about 0.8 s)
    from scipy.special import ndtri
    return float(ndtri(alpha))


def _ranks(nt: int, n: int, x_ties, y_ties, confidence: float):
    """0-based ranks of the median (one or two) and of the interval's ends, as scipy."""
    middle = [nt // 2] if nt % 2 else [nt // 2 - 1, nt // 2]
    alpha = 1.0 - confidence if confidence > 0.5 else confidence
    z = _normal_quantile(alpha / 2.0)
    ties = sum(int(k) * (int(k) - 1) * (2 * int(k) + 5) for k in x_ties) \
        + sum(int(k) * (int(k) - 1) * (2 * int(k) + 5) for k in y_ties)
    sigma = math.sqrt(1 / 18. * float(n * (n - 1) * (2 * n + 5) - ties)) \
        if n * (n - 1) * (2 * n + 5) >= ties else math.nan
    if not math.isfinite(sigma):
        return middle, None
    upper = min(int(np.round((nt - z * sigma) / 2.)), nt - 1)
    lower = max(int(np.round((nt + z * sigma) / 2.)) - 1, 0)
    if not (0 <= lower < nt and 0 <= upper < nt):
        return middle, None
    return middle, (lower, upper)


def theil_sen(y, x, confidence=0.95, *, max_pairs=MAX_PAIRS_IN_MEMORY) -> TheilSen:
    """Theil-Sen line ``y = intercept + slope x`` with the slope's confidence interval.

    The same results as ``scipy.stats.theilslopes(y, x, confidence)`` (``method="separate"``:
    the intercept is ``median(y) - slope * median(x)``), in memory bounded by ``max_pairs``.

    Parameters
    ----------
    y, x : array_like
        Finite values, the same number (at least two), not all x equal.
    confidence : float or None, default 0.95
        Coverage of the slope's interval [-] (scipy's ``alpha``: a value below 0.5 is read as
        ``1 - confidence``); None: the slope and intercept only (the interval is NaN).
    max_pairs : int, default :data:`MAX_PAIRS_IN_MEMORY`
        Most slopes held at once; with more pairs than this, the order statistics are
        selected without listing every slope (see the module documentation).

    Returns
    -------
    TheilSen
        ``slope``, ``intercept``, ``low_slope``, ``high_slope`` (NaN when the interval's
        ranks fall outside the slopes, as in scipy).

    Raises
    ------
    ValueError
        For fewer than two points, lengths that differ, values that are not finite, or x
        all equal.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(10.0)
    >>> y = 2 + 0.5 * x + np.array([0, 1, -1, 0, 2, 0, -2, 1, 0, 0.5])
    >>> fit = theil_sen(y, x, 0.9)
    >>> float(fit.slope), float(fit.intercept)
    (0.5, 1.75)
    >>> theil_sen(y, x, 0.9, max_pairs=0) == fit        # selected without listing the pairs
    True
    """
    y = np.array(y, dtype=float, copy=True).ravel()
    x = np.array(x, dtype=float, copy=True).ravel()
    if x.size != y.size:
        raise ValueError(f"theil_sen: x has {x.size} values and y {y.size}; give as many of "
                         "each")
    if y.size < 2:
        raise ValueError("theil_sen: give at least two points")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("theil_sen: x and y must be finite numbers")
    n = y.size
    _, x_counts = np.unique(x, return_counts=True)
    x_ties = x_counts[x_counts > 1]
    tied_pairs = int(sum(int(k) * (int(k) - 1) // 2 for k in x_ties))
    nt = n * (n - 1) // 2 - tied_pairs
    if nt == 0:
        raise ValueError("theil_sen: every x is the same; no slope can be estimated")
    if confidence is None:
        middle, interval = [nt // 2] if nt % 2 else [nt // 2 - 1, nt // 2], None
    else:
        _, y_counts = np.unique(y, return_counts=True)
        middle, interval = _ranks(nt, n, x_ties, y_counts[y_counts > 1], confidence)
    wanted = sorted(set(middle) | set(interval or ()))
    if nt <= max_pairs:
        picked = _direct(x, y, wanted)
    else:
        selector = _Selector(x, y, tied_pairs, nt, max(int(max_pairs), 1))
        picked = {rank: selector.select(rank) for rank in wanted}
    slope = float(_middle([picked[rank] for rank in middle]))
    intercept = float(_median(y) - slope * _median(x))
    low, high = (math.nan, math.nan) if interval is None else \
        (float(picked[interval[0]]), float(picked[interval[1]]))
    return TheilSen(slope, intercept, low, high)


def theil_sen_rows(y, x, confidence=0.95, *, max_pairs=MAX_PAIRS_IN_MEMORY) -> TheilSen:
    """Theil-Sen lines of many series of the same length at once: row ``s`` of ``y`` against
    row ``s`` of ``x``.

    The same results, row by row, as :func:`theil_sen` (and so as
    ``scipy.stats.theilslopes``) for x strictly increasing along each row (days of daily
    peaks: no ties in x). The pairwise slopes of a block of rows (at most ``max_pairs``
    slopes, at least one row) are computed and sorted at once; series longer than that
    (over 2,048 points at the default) go one at a time through :func:`theil_sen`.

    Parameters
    ----------
    y, x : array_like
        Finite values, shape (S, n) with n >= 2; each row of x strictly increasing.
    confidence : float or None, default 0.95
        Coverage of the slope's interval [-], as in :func:`theil_sen`; None: no interval.
    max_pairs : int, default :data:`MAX_PAIRS_IN_MEMORY`
        Most slopes held at once.

    Returns
    -------
    TheilSen
        Arrays of shape (S,): ``slope``, ``intercept``, ``low_slope``, ``high_slope``.

    Raises
    ------
    ValueError
        For arrays that are not two-dimensional and of one shape, fewer than two points, values
        that are not finite, or x not strictly increasing along a row.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.tile(np.arange(10.0), (2, 1))
    >>> y = np.stack([2 + 0.5 * x[0], 1 - x[1]]) + np.array([0, 1, -1, 0, 2, 0, -2, 1, 0, 0.5])
    >>> fits = theil_sen_rows(y, x, 0.9)
    >>> fits.slope.tolist(), fits.intercept.tolist()
    ([0.5, -1.0], [1.75, 1.5])
    >>> theil_sen(y[1], x[1], 0.9) == tuple(float(v[1]) for v in fits)
    True
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    if y.ndim != 2 or x.shape != y.shape:
        raise ValueError(f"theil_sen_rows: y {y.shape} and x {x.shape} must be two-dimensional "
                         "arrays of one shape (series x points)")
    count, n = y.shape
    if n < 2:
        raise ValueError("theil_sen_rows: give at least two points per series")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("theil_sen_rows: x and y must be finite numbers")
    if (np.diff(x, axis=1) <= 0).any():
        raise ValueError("theil_sen_rows: x must increase strictly along each row (use "
                         "theil_sen for series with ties in x)")
    nt = n * (n - 1) // 2
    if nt > max_pairs or count == 0:
        fits = [theil_sen(y[s], x[s], confidence, max_pairs=max_pairs) for s in range(count)]
        return TheilSen(*(np.array([fit[k] for fit in fits], dtype=float)
                          for k in range(4)))
    middle = [nt // 2] if nt % 2 else [nt // 2 - 1, nt // 2]
    lower = upper = None
    if confidence is not None:
        lower, upper = _interval_ranks_rows(y, n, nt, confidence)
    first, second = np.triu_indices(n, 1)        # every pair i < j, as x increases
    rows = max(1, max_pairs // nt)
    slope = np.empty(count)
    low, high = np.full(count, np.nan), np.full(count, np.nan)
    for start in range(0, count, rows):          # blocks of rows: bounded memory
        block = slice(start, min(start + rows, count))
        slopes = np.sort((y[block, second] - y[block, first])
                         / (x[block, second] - x[block, first]), axis=1)
        slope[block] = _middle([slopes[:, rank] for rank in middle])
        if lower is not None:
            valid = lower[block] >= 0
            picked = np.arange(slopes.shape[0])
            low[block] = np.where(valid, slopes[picked, np.maximum(lower[block], 0)], np.nan)
            high[block] = np.where(valid, slopes[picked, np.maximum(upper[block], 0)], np.nan)
    intercept = _median_rows(y) - slope * _median_rows(x)
    return TheilSen(slope, intercept, low, high)


def _interval_ranks_rows(y, n, nt, confidence):
    """0-based ranks of the slope interval's ends per row (-1 where there is none), as
    :func:`_ranks` with no ties in x: the variance of Kendall's S less each row's y ties."""
    alpha = 1.0 - confidence if confidence > 0.5 else confidence
    z = _normal_quantile(alpha / 2.0)
    ordered = np.sort(y, axis=1)
    starts_run = np.ones(y.shape, dtype=bool)
    starts_run[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    starts = np.flatnonzero(starts_run.ravel())  # runs of equal values never span two rows
    sizes = np.diff(np.append(starts, y.size)).astype(float)
    ties = np.bincount(starts // n, weights=sizes * (sizes - 1) * (2 * sizes + 5),
                       minlength=y.shape[0])
    total = float(n * (n - 1) * (2 * n + 5))
    with np.errstate(invalid="ignore"):
        sigma = np.sqrt(1 / 18. * (total - ties))
    upper = np.minimum(np.round((nt - z * sigma) / 2.), nt - 1)
    lower = np.maximum(np.round((nt + z * sigma) / 2.) - 1, 0)
    valid = np.isfinite(sigma) & (lower >= 0) & (lower < nt) & (upper >= 0) & (upper < nt)
    return (np.where(valid, lower, -1).astype(np.int64),
            np.where(valid, upper, -1).astype(np.int64))


def _median_rows(values):
    """:func:`_median` of each row (bit for bit :func:`numpy.median` of the row)."""
    n = values.shape[1]
    ranks = [n // 2] if n % 2 else [n // 2 - 1, n // 2]
    part = np.partition(values, ranks, axis=1)
    return _middle([part[:, rank] for rank in ranks])


def _middle(values):
    """The one middle value, or the mean of the two, as :func:`numpy.median` computes it
    (scalars or arrays)."""
    return values[0] if len(values) == 1 else np.float64(values[0] + values[1]) / 2 \
        if np.ndim(values[0]) == 0 else (values[0] + values[1]) / 2


def _median(values):
    """:func:`numpy.median` of finite values, without its generality (bit for bit the same)."""
    n = values.size
    ranks = [n // 2] if n % 2 else [n // 2 - 1, n // 2]
    part = np.partition(values, ranks)
    return _middle([part[rank] for rank in ranks])


def _direct(x, y, wanted):
    """Every slope (x_i < x_j) in blocks of rows, then the wanted order statistics."""
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    n = x.size
    rows = max(1, _BLOCK_ELEMENTS // n)
    parts = []
    for start in range(0, n - 1, rows):
        stop = min(start + rows, n - 1)
        dx = x[None, :] - x[start:stop, None]
        dy = y[None, :] - y[start:stop, None]
        mask = dx > 0
        parts.append(dy[mask] / dx[mask])
    slopes = parts[0] if len(parts) == 1 else np.concatenate(parts)
    chosen = np.partition(slopes, wanted)
    return {rank: chosen[rank] for rank in wanted}


def inversions(sequence, *, pairs=False):
    """Pairs of positions ``a < b`` with ``sequence[a] > sequence[b]`` in a permutation of
    ``range(n)``, by bottom-up merge sort: the count and, with ``pairs``, the positions.

    O(n log n) memory; the work per level is a stable sort and a binary search over n
    values (plus the pairs listed).

    Returns
    -------
    int, or (int, numpy.ndarray, numpy.ndarray)
        The count; with ``pairs``, also the positions ``a`` and ``b`` of each pair.

    Examples
    --------
    >>> inversions([2, 0, 1])
    2
    >>> count, a, b = inversions([2, 0, 1], pairs=True)
    >>> sorted(zip(a.tolist(), b.tolist()))
    [(0, 1), (0, 2)]
    """
    values = np.asarray(sequence, dtype=np.int64).copy()
    n = values.size
    where = np.arange(n, dtype=np.int64)
    positions = np.arange(n, dtype=np.int64)
    total = 0
    found_a, found_b = [], []
    width = 1
    while width < n:
        group = positions // (2 * width)
        right = ((positions // width) & 1).astype(bool)
        keys = group * n + values
        left_keys = keys[~right]
        right_keys = keys[right]
        right_group = group[right]
        above = np.searchsorted(left_keys, right_keys, side="right")
        end = np.searchsorted(left_keys, (right_group + 1) * n, side="left")
        counts = end - above
        level = int(counts.sum())
        total += level
        if pairs and level:
            firsts = np.cumsum(counts) - counts
            offsets = np.repeat(above - firsts, counts) + np.arange(level)
            found_a.append(where[~right][offsets])
            found_b.append(np.repeat(where[right], counts))
        order = np.argsort(keys, kind="stable")
        values = values[order]
        where = where[order]
        width *= 2
    if not pairs:
        return total
    empty = np.empty(0, dtype=np.int64)
    return (total, np.concatenate(found_a) if found_a else empty,
            np.concatenate(found_b) if found_b else empty)


class _Selector:
    """Order statistics of the pairwise slopes without listing them (module documentation).

    The points are in order of x, ties by y descending; the predicate "slope(i, j) <= s" of
    a pair i < j is ``y_j - s x_j <= y_i - s x_i``, so the count at ``s`` is the number of
    inversions of the points' ranks by ``y - s x`` (ties: the later point first). Pairs with
    equal x satisfy it for every s and are subtracted.
    """

    def __init__(self, x, y, tied_pairs, nt, budget):
        order = np.lexsort((-y, x))
        self.x, self.y = x[order], y[order]
        self.n = x.size
        self.index = np.arange(self.n)
        self.tied_pairs = tied_pairs
        self.nt = nt
        self.budget = budget
        self.counts = {}
        self.rng = np.random.default_rng(0x5EED)   # speed only: the result does not depend on it
        gaps = np.diff(np.unique(self.x))
        self.min_gap = float(gaps.min())
        shifted = self.x - self.x[0]
        self.scale_x = float(np.abs(shifted).max())
        self.scale_y = float(np.abs(self.y).max())

    # -- the predicate and its counts

    def _margin(self, s):
        """A distance beyond which rounding cannot put a slope on the wrong side of ``s``."""
        eps = np.finfo(float).eps
        return 64 * eps * ((self.scale_y + abs(s) * (self.scale_x + self.min_gap))
                           / self.min_gap + abs(s) + 1.0)

    def _order(self, s):
        if s == -math.inf:
            return np.lexsort((-self.index, self.y, self.x))
        if s == math.inf:
            return np.lexsort((-self.index, self.y, -self.x))
        return np.lexsort((-self.index, self.y - s * (self.x - self.x[0])))

    def _ranks(self, s):
        ranks = np.empty(self.n, dtype=np.int64)
        ranks[self._order(s)] = np.arange(self.n)
        return ranks

    def count(self, s):
        """Pairs with slope at most ``s`` (by the predicate)."""
        if s not in self.counts:
            self.counts[s] = inversions(self._ranks(s)) - self.tied_pairs
        return self.counts[s]

    def _edges(self, lo, hi):
        low = lo if lo == -math.inf else lo - self._margin(lo)
        high = hi if hi == math.inf else hi + self._margin(hi)
        return low, high

    # -- bracketing by random pairs

    def _sample(self, low, high, wanted):
        """Slopes of random pairs that fall in (low, high]: about ``wanted`` of them."""
        inside = self.count(high) - self.count(low)
        wanted = min(wanted, 64 * inside)
        draws = min(int(wanted * self.nt / max(inside, 1)) + _DRAW,
                    max(4 * _DRAW, 32 * self.nt), 1 << 26)
        kept, drawn = [], 0
        while drawn < draws and sum(k.size for k in kept) < wanted:
            size = min(_DRAW, draws - drawn)
            i = self.rng.integers(0, self.n, size)
            j = self.rng.integers(0, self.n, size)
            drawn += size
            dx = self.x[j] - self.x[i]
            ok = dx != 0
            slopes = (self.y[j][ok] - self.y[i][ok]) / dx[ok]
            kept.append(slopes[(slopes > low) & (slopes <= high)])
        return np.sort(np.concatenate(kept)) if kept else np.empty(0)

    def select(self, rank):
        """The slope of 0-based ``rank`` among the nt slopes in increasing order."""
        target = rank + 1                               # count(low) < target <= count(high)
        lo, hi = -math.inf, math.inf
        guess = None
        for _ in range(_MAX_ROUNDS):
            low, high = self._edges(lo, hi)
            below = self.count(low)
            inside = self.count(high) - below
            if inside <= self.budget:
                found = self._listed(low, high, target - below, inside)
                if found is not None:
                    return found
            sample = self._sample(low, high, _SAMPLE if inside < self.nt else 4 * _SAMPLE)
            if sample.size == 0:
                break
            share = (target - below - 0.5) / inside
            centre = share * sample.size
            guess = sample[min(max(int(centre), 0), sample.size - 1)]
            if sample[0] == sample[-1]:
                return sample[0]                        # a slope shared by that many pairs
            spread = 3.5 * math.sqrt(sample.size * share * (1 - share)) + 3
            first, last = int(math.floor(centre - spread)), int(math.ceil(centre + spread))
            new_lo = sample[first] if first >= 0 else lo
            new_hi = sample[last] if last < sample.size else hi
            new_low, new_high = self._edges(new_lo, new_hi)
            if self.count(new_low) >= target:
                hi = new_lo                             # the rank lies below the bracket
            elif self.count(new_high) < target:
                lo = new_hi                             # above it
            elif (new_lo, new_hi) == (lo, hi):
                break                                   # no progress: take the sample's
            else:
                lo, hi = new_lo, new_hi
        if guess is None:
            raise ArithmeticError("theil_sen: the slope selection found no slopes")
        return guess

    def _listed(self, low, high, within, inside):
        """The ``within``-th (1-based) slope of the pairs in (low, high], listed; None when
        the listing disagrees with the counts (rounding at the edges)."""
        if inside > self.budget or not 1 <= within <= inside:
            return None
        order_low = self._order(low)
        sequence = self._ranks(high)[order_low]
        count, a, b = inversions(sequence, pairs=True)
        if count != inside:
            return None
        i, j = order_low[a], order_low[b]
        slopes = (self.y[j] - self.y[i]) / (self.x[j] - self.x[i])
        return np.partition(slopes, within - 1)[within - 1]
