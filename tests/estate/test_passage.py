"""The first-passage law of a trend with noise (plcapacity.estate.passage): against the
product formula with a normal law written here, against a brute-force simulation of paths,
and its parts (weekly profile, slope lines, quantiles) by hand."""

import math

import numpy as np
import pytest
from scipy.stats import norm

from plcapacity.estate.passage import (
    SLOPE_POINTS,
    noise_model,
    passage_quantiles,
    passage_survival,
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
