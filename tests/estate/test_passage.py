"""The first-passage law of a trend with noise (plcapacity.estate.passage): against the
product formula with a normal law written here, against a brute-force simulation of paths,
and its parts (weekly profile, slope lines, quantiles) by hand."""

import math

import numpy as np
import pytest
from scipy.stats import norm

from plcapacity.estate.passage import (
    SLOPE_POINTS,
    WEEKLY_LEVEL,
    interp_rows,
    kruskal_rows,
    noise_model,
    noise_models,
    passage_days,
    passage_quantiles,
    passage_survival,
    passage_survival_rows,
    slope_lines,
)


def normal_residuals(n=4096):
    """n quantiles of N(0, 1): the noise is normal, and the smoothed law is the normal with
    the kernel's variance added (Silverman's bandwidth, computed here from its formula)."""
    u = norm.ppf((np.arange(n) + 0.5) / n)
    spread = min(np.std(u), (np.quantile(u, 0.75) - np.quantile(u, 0.25)) / 1.349)
    return u, 0.9 * spread * n ** -0.2


def test_survival_is_the_product_of_daily_chances_for_normal_noise():
    u, h = normal_residuals()
    noise = noise_model(np.arange(u.size) % 7 * 1.0, u)   # no weekly cycle in it
    days = np.arange(91, 200)
    survival = passage_survival([80.0], [0.3], [40.0], noise, days)[0]
    sd = math.sqrt(np.var(u) + h ** 2)
    expected = np.cumprod(norm.cdf((80 - 40 - 0.3 * days) / sd))
    assert survival == pytest.approx(expected, abs=2e-3)


def test_quantiles_match_simulated_paths():
    """Brute force: 20,000 paths of a line plus normal noise (the smoothed law's variance),
    each scanned day by day for its first day at or above the level; the quantiles agree to
    the day."""
    u, h = normal_residuals()
    noise = noise_model(np.arange(u.size) * 1.0, u)
    days = np.arange(91, 400)
    survival = passage_survival([80.0], [0.2], [40.0], noise, days)
    computed = passage_quantiles(survival, days, [0.05, 0.5, 0.95])[0]
    rng = np.random.default_rng(5)
    sd = math.sqrt(np.var(u) + h ** 2)
    paths = 40 + 0.2 * days[None, :] + rng.normal(0, sd, (20_000, days.size))
    first = days[np.argmax(paths >= 80, axis=1)]
    simulated = np.quantile(first, [0.05, 0.5, 0.95])
    assert np.abs(computed - simulated).max() <= 1


def test_the_lines_average_the_slope_uncertainty():
    """Two equally likely lines: the survival is the mean of the two lines' survivals."""
    u, _ = normal_residuals(512)
    noise = noise_model(np.arange(u.size) * 1.0, u)
    days = np.arange(60, 300)
    both = passage_survival([80.0, 90.0], [0.2, 0.4], [40.0, 40.0], noise, days)
    alone = [passage_survival([80.0, 90.0], [b], [40.0], noise, days) for b in (0.2, 0.4)]
    assert both == pytest.approx((alone[0] + alone[1]) / 2, abs=1e-12)


def test_weekly_profile_is_found_where_the_days_differ():
    rng = np.random.default_rng(1)
    t = np.arange(84.0)
    weekend = np.where(t % 7 >= 5, -8.0, 0.0)
    profile = noise_model(t, weekend + rng.normal(0, 1, t.size)).weekly
    assert profile[5] == pytest.approx(-8, abs=1.0) and profile[6] == pytest.approx(-8, abs=1)
    assert np.abs(profile[:5]).max() <= 1.0
    assert noise_model(t, rng.normal(0, 1, t.size)).weekly.tolist() == [0.0] * 7  # no cycle
    assert noise_model(t[:20], weekend[:20]).weekly.tolist() == [0.0] * 7     # too few days
    assert noise_model(t, np.zeros(t.size)).weekly.tolist() == [0.0] * 7      # all equal


def test_slope_lines_are_a_split_normal_through_the_medians():
    slopes, intercepts = slope_lines(1.0, 0.5, 2.0, 0.9, 50.0, 30.0)
    z = norm.ppf(0.95)
    ranks = norm.ppf((np.arange(SLOPE_POINTS) + 0.5) / SLOPE_POINTS)
    expected = 1.0 + np.where(ranks < 0, 0.5 / z, 1.0 / z) * ranks
    assert slopes == pytest.approx(expected)
    assert intercepts == pytest.approx(50.0 - slopes * 30.0)


def test_quantiles_by_hand():
    days = np.array([10, 11, 12, 13])
    survival = np.array([[0.9, 0.6, 0.2, 0.0],     # P(T <= d): 0.1, 0.4, 0.8, 1
                         [1.0, 1.0, 0.99, 0.98]])   # never reaches 0.5 within the days
    got = passage_quantiles(survival, days, [0.05, 0.5, 0.95])
    assert got[0].tolist() == [10, 12, 13]
    assert np.isinf(got[1]).all()                  # 2 % at most: no quantile reached


# --------------------------------------------------------------------------- many series at once

def test_kruskal_rows_is_scipys_kruskal():
    from scipy.stats import kruskal
    rng = np.random.default_rng(4)
    values = rng.normal(0, 1, (40, 35))
    values[::3] = np.round(values[::3])                # ties: the correction
    groups = np.stack([rng.permutation(np.arange(35) % 7) for _ in range(40)])
    values[5] += 2 * groups[5]                         # a strong weekly cycle
    got = kruskal_rows(values, groups)
    expected = [kruskal(*[row[g == k] for k in range(7)]).pvalue
                for row, g in zip(values, groups)]
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert got[5] < 1e-4
    assert kruskal_rows(np.ones((1, 14)), groups[:1, :14]).tolist() == [1.0]   # all equal


def test_interp_rows_is_numpys_interp_row_by_row():
    rng = np.random.default_rng(8)
    low = rng.normal(0, 5, 30)
    grids = np.linspace(low, low + rng.uniform(1e-3, 40, 30), 512, axis=1)
    tables = np.cumsum(rng.uniform(0, 1, (30, 512)), axis=1)
    rows = rng.integers(0, 30, 400)
    x = rng.uniform(-60, 60, (400, 3, 5))
    x[:, 0, :3] = np.stack([grids[rows, 0], grids[rows, 200], grids[rows, -1]], axis=1)
    got = interp_rows(x, rows, grids, tables, -7.0, 9.0)
    for p, row in enumerate(rows):
        assert np.array_equal(got[p], np.interp(x[p], grids[row], tables[row], -7.0, 9.0))


def test_noise_of_many_series_is_each_ones_smoothed_distribution():
    """Brute force per series, written here: the weekly medians where Kruskal-Wallis (scipy)
    finds a cycle, then the empirical P(u < x) on the grid convolved with the kernel by
    numpy.convolve."""
    from scipy.stats import kruskal
    rng = np.random.default_rng(9)
    count, n = 25, 42
    t = np.sort(np.stack([rng.choice(n + 9, n, replace=False) for _ in range(count)]), axis=1)
    t = t.astype(float)
    residuals = rng.normal(0, rng.uniform(0.1, 3, (count, 1)), (count, n))
    residuals[::2] += np.where(t[::2] % 7 >= 5, -6.0, 0.0)      # weekends lower
    residuals[3] = np.round(residuals[3])
    rows = noise_models(t, residuals)
    cycles = 0
    for s in range(count):
        phase = (t[s] % 7).astype(int)
        groups = [residuals[s][phase == k] for k in range(7)]
        cycle = min(map(len, groups)) >= 3 and kruskal(*groups).pvalue < WEEKLY_LEVEL
        weekly = np.array([np.median(g) for g in groups]) if cycle else np.zeros(7)
        cycles += bool(cycle)
        assert np.array_equal(rows.weekly[s], weekly), s
        u = np.sort(residuals[s] - weekly[phase])
        spread = min(np.std(u), (np.quantile(u, 0.75) - np.quantile(u, 0.25)) / 1.349)
        h = max(0.9 * spread * n ** -0.2, 1e-6 * max(abs(u[0]), abs(u[-1]), 1.0))
        grid = np.linspace(u[0] - 5 * h, u[-1] + 5 * h, 512)
        step = grid[1] - grid[0]
        half = int(math.ceil(4 * h / step))
        kernel = np.exp(-0.5 * (np.arange(-half, half + 1) * step / h) ** 2)
        padded = np.concatenate([np.zeros(half), np.searchsorted(u, grid, side="left") / n,
                                 np.ones(half)])
        smooth = np.convolve(padded, kernel / kernel.sum(), mode="valid")
        assert np.array_equal(rows.grid[s], grid)
        assert np.exp(rows.log_cdf[s]) == pytest.approx(np.clip(smooth, 0, 1), abs=1e-13)
    assert 5 <= cycles < count                        # both kinds were checked


def test_survival_of_many_pairs_is_each_series_alone():
    """Pairs of several series (other lines, noises and weekly profiles) in one call: each
    row is that series' survival computed alone, far days included."""
    rng = np.random.default_rng(12)
    t = np.tile(np.arange(60.0), (4, 1))
    residuals = rng.normal(0, [[0.5], [1.0], [2.0], [4.0]], (4, 60)) \
        + np.where(t % 7 >= 5, -5.0, 0.0) * np.array([[1], [0], [1], [0]])
    noises = noise_models(t, residuals)
    slopes = rng.uniform(0.0, 0.3, (4, SLOPE_POINTS))
    intercepts = rng.uniform(30, 50, (4, SLOPE_POINTS))
    days = passage_days(60, 60 + 3000)
    rows = np.array([0, 1, 2, 3, 2, 0, 1])
    levels = np.array([80.0, 60.0, 95.0, 100.0, 55.0, 1e4, 70.0])   # 1e4: never reached
    together = passage_survival_rows(levels, rows, slopes, intercepts, noises, days)
    for p, (row, level) in enumerate(zip(rows, levels)):
        alone = passage_survival([level], slopes[row], intercepts[row], noises.row(row), days)
        assert together[p] == pytest.approx(alone[0], abs=1e-12), p
    assert (together[5] == 1.0).all()
    assert together[:, -1].min() < 0.01                # and most are reached
