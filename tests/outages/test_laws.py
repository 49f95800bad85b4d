"""Duration laws: analytic moments, sampling, residual durations and spec errors.

Known answers are analytic, computed here from the definitions in docs/model.md ("The
availability model"), never copied from the code's output:

- fixed: D = 60 h; exponential: E[D^k] = k! m^k; lognormal from (median, p95):
  mu = ln(60 median), sigma = ln(p95 / median) / z_0.95, E[D^k] = exp(k mu + k^2 sigma^2 / 2);
  empirical: E[D^k] = mean(v^k) over the observed minutes v; generalized Pareto: scipy's
  ``genpareto`` (an independent implementation of the same law).
- Residual (equilibrium excess) R of an outage in progress at a random instant:
  P(R <= x) = E[min(D, x)] / E[D], so E[R] = E[D^2] / (2 E[D]) and E[R^2] = E[D^3] / (3 E[D]).

Time is in minutes and a year is 365 days (525,600 minutes).
"""

import math
import re

import numpy as np
import pytest
from scipy import stats

from plcapacity.outages.laws import (
    MINUTES_PER_YEAR,
    EmpiricalDuration,
    ExponentialDuration,
    FixedDuration,
    GeneralizedParetoDuration,
    LognormalDuration,
    duration_law,
)

Z95 = stats.norm.ppf(0.95)  # standard normal 95th percentile, 1.6448536...

# ----------------------------------------------------------------------------- analytic laws

LAW_SPECS = [
    pytest.param({"law": "fixed", "hours": 4}, id="fixed-4h"),
    pytest.param({"law": "fixed", "hours": 0.25}, id="fixed-15min"),
    pytest.param({"law": "exponential", "mean_hours": 3}, id="exponential-3h"),
    pytest.param({"law": "lognormal", "median_hours": 2, "p95_hours": 12}, id="lognormal-2h-12h"),
    pytest.param({"law": "lognormal", "median_hours": 1, "p95_hours": 1.5}, id="lognormal-narrow"),
    pytest.param({"law": "empirical", "hours": [0.5, 1, 1, 6, 24]}, id="empirical-5obs"),
    pytest.param({"law": "empirical", "hours": [3]}, id="empirical-1obs"),
]


def lognormal_params(median_hours, p95_hours):
    """mu and sigma of ln(duration in minutes), from the median and 95th percentile."""
    return math.log(median_hours * 60), math.log(p95_hours / median_hours) / Z95


def raw_moment(spec, k):
    """E[D^k] of the law in ``spec`` (minutes), from the closed forms in the module docstring."""
    if spec["law"] == "fixed":
        return (spec["hours"] * 60.0) ** k
    if spec["law"] == "exponential":
        return math.factorial(k) * (spec["mean_hours"] * 60.0) ** k
    if spec["law"] == "lognormal":
        mu, sigma = lognormal_params(spec["median_hours"], spec["p95_hours"])
        return math.exp(k * mu + k * k * sigma ** 2 / 2)
    if spec["law"] == "empirical":
        return float(np.mean((np.asarray(spec["hours"], dtype=float) * 60.0) ** k))
    raise AssertionError(spec)


def expected_min_mean(spec, x):
    """E[min(D, x)] (minutes), elementwise in x; the equilibrium CDF is this over E[D]."""
    x = np.asarray(x, dtype=float)
    if spec["law"] == "fixed":
        return np.minimum(spec["hours"] * 60.0, x)
    if spec["law"] == "exponential":
        m = spec["mean_hours"] * 60.0
        return m * -np.expm1(-x / m)
    if spec["law"] == "lognormal":
        mu, sigma = lognormal_params(spec["median_hours"], spec["p95_hours"])
        logx = np.log(np.maximum(x, 1e-300))
        # E[D; D <= x] + x P(D > x)
        partial = math.exp(mu + sigma ** 2 / 2) * stats.norm.cdf((logx - mu - sigma ** 2) / sigma)
        return partial + x * stats.norm.sf((logx - mu) / sigma)
    if spec["law"] == "empirical":
        v = np.asarray(spec["hours"], dtype=float) * 60.0
        return np.minimum(v[None, :], x[:, None]).mean(axis=1)
    raise AssertionError(spec)


# ----------------------------------------------------------------------------- mean_minutes


@pytest.mark.parametrize("law, expected", [
    (FixedDuration(4), 240.0),                       # 4 h * 60
    (FixedDuration(0.5), 30.0),                      # 0.5 h * 60
    (ExponentialDuration(3), 180.0),                 # mean 3 h * 60
    (ExponentialDuration(0.1), 6.0),
    (EmpiricalDuration((1, 2, 6)), 180.0),           # mean(60, 120, 360)
    (EmpiricalDuration((0.5,)), 30.0),
], ids=["fixed-4h", "fixed-30min", "exponential-3h", "exponential-6min", "empirical-1-2-6h",
        "empirical-single"])
def test_mean_minutes_simple_laws(law, expected):
    assert law.mean_minutes == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("median, p95", [(2, 12), (3, 24), (1, 1.5), (0.25, 4)],
                         ids=["2h-12h", "3h-24h", "narrow", "wide"])
def test_lognormal_parameters_and_mean(median, p95):
    law = LognormalDuration(median, p95)
    mu = math.log(median * 60)
    sigma = math.log(p95 / median) / stats.norm.ppf(0.95)
    np.testing.assert_allclose(law.mu, mu, rtol=1e-14)
    np.testing.assert_allclose(law.sigma, sigma, rtol=1e-14)
    np.testing.assert_allclose(law.mean_minutes, math.exp(mu + sigma ** 2 / 2), rtol=1e-13)
    # Same mean from scipy's lognormal (shape sigma, scale e^mu): an independent route.
    np.testing.assert_allclose(law.mean_minutes, stats.lognorm(s=sigma, scale=math.exp(mu)).mean(),
                               rtol=1e-12)


def test_lognormal_known_answer_2h_12h():
    # sigma = ln 6 / 1.6448536 = 1.791759 / 1.644854 = 1.089312;
    # mean = 120 exp(sigma^2 / 2) = 120 exp(0.593301) = 120 * 1.809953 = 217.194 min.
    law = LognormalDuration(2, 12)
    np.testing.assert_allclose(law.sigma, 1.089312, rtol=1e-6)
    np.testing.assert_allclose(law.mean_minutes, 217.194, rtol=1e-5)


@pytest.mark.parametrize("spec", LAW_SPECS)
def test_duration_law_builds_the_right_law(spec):
    law = duration_law(spec)
    expected_type = {"fixed": FixedDuration, "exponential": ExponentialDuration,
                     "lognormal": LognormalDuration, "empirical": EmpiricalDuration}[spec["law"]]
    assert type(law) is expected_type
    np.testing.assert_allclose(law.mean_minutes, raw_moment(spec, 1), rtol=1e-13)


def test_duration_law_passes_a_law_through():
    law = LognormalDuration(2, 12)
    assert duration_law(law) is law


# ----------------------------------------------------------------------------- sample()


@pytest.mark.parametrize("spec", LAW_SPECS)
def test_sample_mean_within_standard_errors(spec, rng):
    n = 400_000
    law = duration_law(spec)
    sample = law.sample(rng, n)
    assert sample.shape == (n,)
    assert np.all(sample > 0)
    mean, second = raw_moment(spec, 1), raw_moment(spec, 2)
    se = math.sqrt(max(second - mean ** 2, 0.0) / n)
    if se == 0:   # a fixed law (or a single observation) has no spread
        np.testing.assert_allclose(sample, mean, rtol=1e-15)
    else:
        assert abs(sample.mean() - mean) < 5 * se, (sample.mean(), mean, se)


@pytest.mark.parametrize("median, p95", [(2, 12), (3, 24), (1, 1.5)],
                         ids=["2h-12h", "3h-24h", "narrow"])
def test_lognormal_sample_median_and_p95(median, p95, rng):
    sample = LognormalDuration(median, p95).sample(rng, 400_000)
    # Quantile standard errors at n = 4e5 are ~0.2 % (median) and ~0.5 % (p95) of log-scale.
    np.testing.assert_allclose(np.median(sample), median * 60, rtol=0.01)
    np.testing.assert_allclose(np.quantile(sample, 0.95), p95 * 60, rtol=0.02)


def test_empirical_sample_draws_each_observation_equally(rng):
    law = EmpiricalDuration((1, 2, 6))
    sample = law.sample(rng, 300_000)
    values, counts = np.unique(sample, return_counts=True)
    np.testing.assert_array_equal(values, [60.0, 120.0, 360.0])
    # Each with probability 1/3: binomial SE = sqrt(p (1 - p) / n) = 8.6e-4.
    np.testing.assert_allclose(counts / counts.sum(), 1 / 3, atol=5 * 8.6e-4)


# ----------------------------------------------------------------------------- sample_residual()


@pytest.mark.parametrize("spec, formula", [
    ({"law": "fixed", "hours": 4}, lambda: 240.0 / 2),                             # D / 2
    ({"law": "exponential", "mean_hours": 3}, lambda: 180.0),                      # memoryless
    ({"law": "lognormal", "median_hours": 2, "p95_hours": 12},
     lambda: math.exp(math.log(120) + 1.5 * (math.log(6) / Z95) ** 2) / 2),      # e^(mu+1.5s^2)/2
    ({"law": "empirical", "hours": [0.5, 1, 1, 6, 24]},
     lambda: sum((60.0 * h) ** 2 for h in [0.5, 1, 1, 6, 24])
     / (2 * sum(60.0 * h for h in [0.5, 1, 1, 6, 24]))),                   # sum v^2 / 2 sum v
], ids=["fixed", "exponential", "lognormal", "empirical"])
def test_residual_mean_formula_matches_general_moment_ratio(spec, formula):
    # The per-law formulas are E[D^2] / (2 E[D]); check the test's own algebra first.
    np.testing.assert_allclose(formula(), raw_moment(spec, 2) / (2 * raw_moment(spec, 1)),
                               rtol=1e-13)


@pytest.mark.parametrize("spec", LAW_SPECS)
def test_sample_residual_mean_is_equilibrium_excess(spec, rng):
    n = 1_000_000
    residual = duration_law(spec).sample_residual(rng, n)
    assert residual.shape == (n,)
    assert np.all(residual >= 0)
    m1, m2, m3 = (raw_moment(spec, k) for k in (1, 2, 3))
    expected = m2 / (2 * m1)
    se = math.sqrt((m3 / (3 * m1) - expected ** 2) / n)
    assert abs(residual.mean() - expected) < 5 * se, (residual.mean(), expected, se)
    # The residual is not the plain duration (the inspection paradox) unless D is exponential.
    if spec["law"] != "exponential":
        assert not math.isclose(expected, m1, rel_tol=1e-3)


@pytest.mark.parametrize("spec", LAW_SPECS)
def test_sample_residual_distribution_is_equilibrium_excess(spec, rng):
    # Kolmogorov-Smirnov against P(R <= x) = E[min(D, x)] / E[D] (fixed seed: deterministic).
    residual = duration_law(spec).sample_residual(rng, 20_000)
    mean = raw_moment(spec, 1)
    result = stats.kstest(residual, lambda x: expected_min_mean(spec, x) / mean)
    assert result.pvalue > 1e-3, result


def test_sample_residual_of_fixed_is_bounded_by_the_duration(rng):
    residual = FixedDuration(4).sample_residual(rng, 100_000)
    assert residual.max() < 240.0
    assert residual.min() >= 0.0


def test_minutes_per_year_is_365_days():
    assert MINUTES_PER_YEAR == 365 * 24 * 60 == 525_600


# ----------------------------------------------------------------------------- duration_law errors


@pytest.mark.parametrize("spec, fragments", [
    ({"law": "gamma", "hours": 4},
     ["law='gamma' is not allowed", "one of fixed, exponential, lognormal, empirical"]),
    ({"hours": 4}, ["law=None is not allowed", "one of fixed, exponential"]),
    ({"law": "fixed"}, ["missing hours", "law 'fixed' takes hours"]),
    ({"law": "exponential"}, ["missing mean_hours", "law 'exponential' takes mean_hours"]),
    ({"law": "lognormal", "median_hours": 2},
     ["missing p95_hours", "law 'lognormal' takes median_hours, p95_hours"]),
    ({"law": "fixed", "hours": 4, "mean_hours": 3},
     ["unknown key(s) mean_hours", "law 'fixed' takes hours"]),
    ({"law": "exponential", "hours": 3},
     ["unknown key(s) hours", "law 'exponential' takes mean_hours"]),
    ({"law": "fixed", "hours": 0}, ["hours=0 is not allowed", "a positive number of hours"]),
    ({"law": "fixed", "hours": -1}, ["hours=-1 is not allowed", "a positive number of hours"]),
    ({"law": "fixed", "hours": "four"}, ["hours='four' is not allowed", "positive number"]),
    ({"law": "fixed", "hours": True}, ["hours=True is not allowed", "positive number"]),
    ({"law": "fixed", "hours": float("nan")}, ["hours=nan is not allowed", "positive number"]),
    ({"law": "fixed", "hours": float("inf")}, ["hours=inf is not allowed", "positive number"]),
    ({"law": "exponential", "mean_hours": 0},
     ["mean_hours=0 is not allowed", "a positive number of hours"]),
    ({"law": "lognormal", "median_hours": -2, "p95_hours": 12},
     ["median_hours=-2 is not allowed", "a positive number of hours"]),
    ({"law": "lognormal", "median_hours": 2, "p95_hours": 2},
     ["p95_hours=2 is not allowed", "must exceed median_hours=2"]),
    ({"law": "lognormal", "median_hours": 4, "p95_hours": 3},
     ["p95_hours=3 is not allowed", "must exceed median_hours=4"]),
    ({"law": "empirical", "hours": []},
     ["hours=[] is not allowed", "give at least one observed duration"]),
    ({"law": "empirical", "hours": [1, 0]}, ["hours[1]=0", "is not allowed", "a positive number"]),
    (4, ["expected a table such as", "got 4"]),
], ids=["unknown-law", "no-law", "fixed-missing-hours", "exponential-missing-mean",
        "lognormal-missing-p95", "fixed-unknown-key", "exponential-unknown-key", "hours-zero",
        "hours-negative", "hours-text", "hours-bool", "hours-nan", "hours-inf", "mean-zero",
        "median-negative", "p95-equal-median", "p95-below-median", "empirical-empty",
        "empirical-zero-element", "not-a-table"])
def test_duration_law_errors(spec, fragments):
    with pytest.raises(ValueError, match=re.escape("[outages] duration: ")) as info:
        duration_law(spec, where="[outages] duration")
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_empirical_error_names_position_of_bad_observation():
    with pytest.raises(ValueError, match=r"hours\[1\]=0 is not allowed"):
        duration_law({"law": "empirical", "hours": [1, 0]})


# ----------------------------------------------------------------------------- generalized Pareto
# Known answers from scipy.stats.genpareto (an independent implementation of the same law,
# location 0): mean = scale / (1 - xi); E[D^2] = 2 scale^2 / ((1 - xi)(1 - 2 xi)) for xi < 1/2.


GPD_CASES = [pytest.param(0.3, 4.0, id="heavy-0.3"), pytest.param(0.0, 2.0, id="exponential-0"),
             pytest.param(-0.2, 3.0, id="bounded--0.2"), pytest.param(0.6, 1.0, id="heavy-0.6")]


@pytest.mark.parametrize("shape, scale", GPD_CASES)
def test_gpd_mean_matches_scipy(shape, scale):
    law = duration_law({"law": "gpd", "shape": shape, "scale_hours": scale})
    assert isinstance(law, GeneralizedParetoDuration)
    expected = stats.genpareto(shape, scale=scale * 60).mean()
    assert law.mean_minutes == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("shape, scale", GPD_CASES)
def test_gpd_sample_follows_scipy_law(shape, scale, rng):
    law = GeneralizedParetoDuration(shape, scale)
    draws = law.sample(rng, 40_000)
    assert stats.kstest(draws, stats.genpareto(shape, scale=scale * 60).cdf).pvalue > 1e-3
    # A KS test that can fail: the same draws against a law with a 10 % larger scale.
    assert stats.kstest(draws, stats.genpareto(shape, scale=scale * 66).cdf).pvalue < 1e-3


@pytest.mark.parametrize("shape, scale", GPD_CASES)
def test_gpd_residual_is_equilibrium_excess(shape, scale, rng):
    # P(R <= x) = E[min(D, x)] / E[D], with E[min(D, x)] the integral of scipy's survival
    # function from 0 to x (numerical quadrature, independent of the closed form in the code).
    from scipy import integrate
    law = GeneralizedParetoDuration(shape, scale)
    d = stats.genpareto(shape, scale=scale * 60)
    residual = law.sample_residual(rng, 40_000)
    for x in np.quantile(residual, [0.1, 0.5, 0.9]):
        expected = integrate.quad(d.sf, 0, x)[0] / d.mean()
        assert np.mean(residual <= x) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("shape", [1, 1.5, math.nan, "x", True])
def test_gpd_refuses_infinite_mean_and_bad_shape(shape):
    with pytest.raises(ValueError, match=r"shape=.* is not allowed: a number below 1"):
        duration_law({"law": "gpd", "shape": shape, "scale_hours": 2})


def test_gpd_refuses_bad_scale_and_names_keys():
    with pytest.raises(ValueError, match=r"scale_hours=0 is not allowed"):
        GeneralizedParetoDuration(0.2, 0)
    with pytest.raises(ValueError, match=r"missing scale_hours; law 'gpd' takes shape, scale_hours"):
        duration_law({"law": "gpd", "shape": 0.2})
