"""theil_sen in bounded memory: the same slope, intercept and interval as a brute-force
Theil-Sen written here (every pair, sorted), on small series of many shapes, whether the slopes
are listed or selected without listing them; and memory that stays bounded at 20,000 points."""

import itertools
import math
import statistics
import tracemalloc

import numpy as np
import pytest

from plcapacity.estate.trend import MAX_PAIRS_IN_MEMORY, inversions, theil_sen, theil_sen_rows


def brute_force(y, x, confidence):
    """Theil-Sen from its definition (Sen 1968): the median of the slopes of every pair with
    distinct x; the interval's ranks from Kendall's tau variance with ties (eq. 2.6)."""
    pairs = [(y[j] - y[i]) / (x[j] - x[i]) for i, j in itertools.combinations(range(len(x)), 2)
             if x[i] != x[j]]
    slopes = sorted(pairs)
    nt, n = len(slopes), len(x)
    slope = statistics.median(slopes)
    intercept = statistics.median(y) - slope * statistics.median(x)
    alpha = 1 - confidence if confidence > 0.5 else confidence
    z = statistics.NormalDist().inv_cdf(alpha / 2)

    def ties(values):
        return sum(k * (k - 1) * (2 * k + 5) for k in
                   (list(values).count(v) for v in set(values)) if k > 1)
    sigma = math.sqrt((n * (n - 1) * (2 * n + 5) - ties(x) - ties(y)) / 18)
    upper = min(int(round((nt - z * sigma) / 2)), nt - 1)
    lower = max(int(round((nt + z * sigma) / 2)) - 1, 0)
    return slope, intercept, slopes[lower], slopes[upper]


def series(kind, n, rng):
    x = np.arange(n, dtype=float)
    if kind == "noisy line":
        y = 30 + 0.2 * x + rng.normal(0, 2, n)
    elif kind == "two decimals":                       # how Azure reports percentages
        y = np.round(40 + 0.1 * x + rng.normal(0, 1, n), 2)
    elif kind == "few levels":                         # many equal slopes, zero above all
        y = rng.integers(0, 4, n).astype(float)
    elif kind == "falling":
        y = 90 - 0.3 * x + rng.standard_t(2, n)
    elif kind == "repeated x":                         # pairs with equal x have no slope
        x = np.sort(rng.integers(0, n // 2 + 2, n)).astype(float)
        y = 10 + 0.5 * x + rng.normal(0, 1, n)
    else:                                              # gaps: missing days
        x = np.sort(rng.choice(3 * n, n, replace=False)).astype(float)
        y = 20 + 0.05 * x + rng.normal(0, 1, n)
    return y, x


KINDS = ["noisy line", "two decimals", "few levels", "falling", "repeated x", "gaps"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("max_pairs", [MAX_PAIRS_IN_MEMORY, 40, 1],
                         ids=["listed", "selected", "selected-one-at-a-time"])
def test_the_same_line_as_brute_force(kind, seed, max_pairs):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(15, 70))
    y, x = series(kind, n, rng)
    for confidence in (0.9, 0.95, 0.8):
        expected = brute_force(y.tolist(), x.tolist(), confidence)
        got = theil_sen(y, x, confidence, max_pairs=max_pairs)
        assert tuple(got) == pytest.approx(expected, rel=1e-12, abs=1e-12), (kind, confidence)


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.3, None])
@pytest.mark.parametrize("max_pairs", [MAX_PAIRS_IN_MEMORY, 500, 30],
                         ids=["all-rows-at-once", "blocks-of-rows", "one-by-one"])
def test_many_series_at_once_are_brute_force_theil_sen_row_by_row(confidence, max_pairs):
    # rows of gaps, ties in y (two decimals, few levels), falling and flat series, and blocks
    # of rows (max_pairs 500) or series longer than a block (30 < 435 pairs: one by one)
    rng = np.random.default_rng(11)
    n = 30
    x = np.sort(np.stack([rng.choice(3 * n, n, replace=False) for _ in range(24)]), axis=1)
    y = np.stack([series(kind, n, rng)[0] for kind in KINDS if kind != "repeated x"] * 5)[:24]
    y[-1] = 7.0                                        # every value equal: every slope 0
    fits = theil_sen_rows(y, x.astype(float), confidence, max_pairs=max_pairs)
    for s in range(len(y)):
        if confidence is None:
            expected = brute_force(y[s].tolist(), x[s].tolist(), 0.9)[:2] + (math.nan,) * 2
        else:
            expected = brute_force(y[s].tolist(), x[s].tolist(), confidence)
        got = tuple(float(v[s]) for v in fits)
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-12, nan_ok=True), s
        assert got == pytest.approx(tuple(theil_sen(y[s], x[s], confidence)), nan_ok=True)


@pytest.mark.parametrize("y, x, message", [
    (np.ones(3), np.arange(3.0), "two-dimensional"),
    (np.ones((2, 1)), np.zeros((2, 1)), "at least two points"),
    (np.ones((2, 3)), np.ones((2, 4)), "one shape"),
    ([[1.0, np.nan]], [[0.0, 1.0]], "finite"),
    ([[1.0, 2.0, 3.0]], [[0.0, 2.0, 2.0]], "increase strictly"),
])
def test_bad_input_for_many_series(y, x, message):
    with pytest.raises(ValueError, match=message):
        theil_sen_rows(y, x)


def test_selection_agrees_with_listing_on_a_longer_series(rng):
    y, x = series("two decimals", 1500, rng)           # 1,124,250 pairs: listed by default
    listed = theil_sen(y, x, 0.9)
    selected = theil_sen(y, x, 0.9, max_pairs=5000)   # at most 5,000 slopes at once
    assert selected == listed


def test_no_interval_without_a_confidence(rng):
    y, x = series("noisy line", 40, rng)
    fit = theil_sen(y, x, None)
    assert fit.slope == theil_sen(y, x, 0.9).slope
    assert math.isnan(fit.low_slope) and math.isnan(fit.high_slope)


def test_memory_stays_bounded_at_20000_points(rng):
    # scipy.stats.theilslopes builds 20,000 x 20,000 arrays (9.6 GB): a MemoryError
    y, x = series("noisy line", 20_000, rng)
    tracemalloc.start()
    try:
        fit = theil_sen(y, x, 0.9)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64e6                                  # bytes
    assert fit.low_slope <= fit.slope <= fit.high_slope
    assert fit.slope == pytest.approx(0.2, abs=0.001)


@pytest.mark.parametrize("y, x, message", [
    ([1.0], [0.0], "at least two points"),
    ([1.0, 2.0], [0.0], "x has 1 values and y 2"),
    ([1.0, np.inf], [0.0, 1.0], "finite"),
    ([1.0, 2.0, 3.0], [5.0, 5.0, 5.0], "every x is the same"),
])
def test_bad_input(y, x, message):
    with pytest.raises(ValueError, match=message):
        theil_sen(y, x)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 8, 33, 200])
def test_inversions_match_every_pair(n, rng):
    sequence = rng.permutation(n)
    expected = [(a, b) for a in range(n) for b in range(a + 1, n) if sequence[a] > sequence[b]]
    count, first, second = inversions(sequence, pairs=True)
    assert count == inversions(sequence) == len(expected)
    assert sorted(zip(first.tolist(), second.tolist())) == expected
