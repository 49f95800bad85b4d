"""The gamma-Poisson model of rates across regions, against independent calculations.

The posterior mean of a region's rate is checked against a direct two-dimensional numerical
integration over the hyperparameters (scipy's ``dblquad``, not the module's grid); the
predictive law against its defining sums; the limits against closed forms.
"""

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import gammaln

from plcapacity.outages.pooling import MEAN_RANGE, SHAPE_RANGE, fit_gamma_poisson


def _brute_force_rate_mean(events, exposure, region):
    """E[lambda_region | data] by integrating over (log m, log a) with dblquad: prior
    uniform in log m, a/(1+a)^2 in log a; negative-binomial marginal likelihood."""
    n, t = np.asarray(events, float), np.asarray(exposure, float)

    def joint(log_a, log_m, with_rate):
        a = np.exp(log_a)
        b = a / np.exp(log_m)
        p = b / (b + t)
        log_like = np.sum(gammaln(n + a) - gammaln(a) - gammaln(n + 1) + a * np.log(p)
                          + n * np.log1p(-p))
        value = np.exp(log_like + np.log(a) - 2 * np.log1p(a) + 40.0)  # scaled, cancels
        return value * ((a + n[region]) / (b + t[region]) if with_rate else 1.0)

    bounds = (np.log(MEAN_RANGE[0]), np.log(MEAN_RANGE[1]),
              np.log(SHAPE_RANGE[0]), np.log(SHAPE_RANGE[1]))
    opts = dict(epsabs=0, epsrel=1e-7)
    top = integrate.dblquad(lambda la, lm: joint(la, lm, True), *bounds, **opts)[0]
    bottom = integrate.dblquad(lambda la, lm: joint(la, lm, False), *bounds, **opts)[0]
    return top / bottom


@pytest.mark.parametrize("events, exposure", [
    ([0, 2, 5], [1.0, 2.0, 1.0]),
    ([0, 0, 0, 1], [2.0, 2.0, 0.5, 2.0]),
    ([4, 6, 5, 7, 3], [1.0, 1.0, 1.0, 1.0, 1.0]),
], ids=["spread", "sparse", "alike"])
def test_posterior_mean_matches_a_direct_integration(events, exposure):
    fit = fit_gamma_poisson(events, exposure)
    got = fit.rate_mean()
    for region in range(len(events)):
        want = _brute_force_rate_mean(events, exposure, region)
        assert got[region] == pytest.approx(want, rel=2e-3), region


def test_predictive_law_sums_to_one_and_has_the_posterior_mean():
    fit = fit_gamma_poisson([0, 1, 3, 8], [2.0, 2.0, 1.0, 2.0])
    horizon = 1.5
    k = np.arange(400)
    pmf = np.exp([fit.predictive_logpmf(np.full(4, c), horizon) for c in k])  # (k, regions)
    assert pmf.sum(axis=0) == pytest.approx(np.ones(4), abs=1e-9)
    # E[N] = horizon * E[lambda]: the count's mean is the rate's posterior mean times h
    assert (k[:, None] * pmf).sum(axis=0) == pytest.approx(horizon * fit.rate_mean(),
                                                           rel=1e-6)


def test_prediction_interval_brackets_the_stated_probability():
    fit = fit_gamma_poisson([0, 2, 9], [1.0, 1.0, 1.0])
    low, high = fit.predictive_interval(1.0, level=0.9)
    cdf = np.cumsum(np.exp([fit.predictive_logpmf(np.full(3, c), 1.0) for c in range(200)]),
                    axis=0)
    for r in range(3):
        assert cdf[high[r], r] >= 0.95 - 1e-12
        assert high[r] == 0 or cdf[high[r] - 1, r] < 0.95
        assert cdf[low[r], r] >= 0.05 and (low[r] == 0 or cdf[low[r] - 1, r] < 0.05)


def test_rate_interval_holds_the_stated_posterior_probability():
    fit = fit_gamma_poisson([0, 3, 7], [1.0, 2.0, 1.0])
    low, high = fit.rate_interval(level=0.8)
    for r in range(3):  # the mixture CDF, computed here from the gamma laws directly
        cdf = [np.sum(fit.weights * stats.gamma.cdf(x, fit.shape + fit.events[r],
                                                     scale=1 / (fit.rate + fit.exposure_years[r])))
               for x in (low[r], high[r])]
        assert cdf == pytest.approx([0.1, 0.9], abs=1e-6)


def test_a_region_with_no_exposure_gets_the_population_rate():
    fit = fit_gamma_poisson([0, 2, 5, 0], [1.0, 1.0, 1.0, 0.0])
    assert fit.rate_mean()[3] == pytest.approx(fit.population_mean, rel=1e-12)


def test_much_evidence_of_its_own_leaves_a_region_near_its_own_rate():
    # 400 years at 2.5/yr among regions at about 0.5/yr: shrinkage is negligible
    fit = fit_gamma_poisson([1000, 5, 4, 6, 5], [400.0, 10.0, 10.0, 10.0, 10.0])
    assert fit.rate_mean()[0] == pytest.approx(2.5, rel=0.01)


def test_equal_regions_with_much_evidence_pool_to_their_common_rate():
    # 30 regions, each 200 incidents in 100 years: the population is tight around 2/yr
    fit = fit_gamma_poisson([200] * 30, [100.0] * 30)
    assert fit.population_mean == pytest.approx(2.0, rel=0.01)
    assert fit.rate_mean() == pytest.approx(np.full(30, 2.0), rel=0.01)


def test_zero_incident_regions_are_shrunk_up_not_to_zero_and_ordered_by_evidence():
    fit = fit_gamma_poisson([0, 0, 1, 4], [2.0, 0.5, 2.0, 2.0])
    mean = fit.rate_mean()
    assert 0 < mean[0] < mean[1]          # less exposure, closer to the population mean
    assert mean[0] < mean[2] < mean[3] < 2.0   # 4 in 2 years shrinks below its own 2/yr


@pytest.mark.parametrize("events, exposure, match", [
    ([1, -1], [1.0, 1.0], "whole numbers >= 0"),
    ([1.5], [1.0], "whole numbers >= 0"),
    ([1], [-1.0], "finite numbers >= 0"),
    ([1], [np.inf], "finite numbers >= 0"),
    ([1], [0.0], "no exposure"),
    ([0, 0], [0.0, 0.0], "no region was observed"),
    ([1, 2], [1.0], "one length"),
])
def test_bad_input_is_refused_with_what_is_allowed(events, exposure, match):
    with pytest.raises(ValueError, match=match):
        fit_gamma_poisson(events, exposure)


@pytest.mark.slow
def test_prediction_intervals_cover_counts_drawn_from_the_model():
    """Regions drawn from a gamma population (shape 1.5, mean 0.6/yr), one year observed:
    the 90 % prediction intervals of the next year's counts cover about 90 % of them (at
    least 90 % for a discrete law's central interval, which errs wide)."""
    rng = np.random.default_rng(20261207)
    covered = []
    for _ in range(200):
        rates = rng.gamma(1.5, 0.6 / 1.5, size=40)
        seen, future = rng.poisson(rates), rng.poisson(rates)
        low, high = fit_gamma_poisson(seen, np.ones(40)).predictive_interval(1.0, level=0.9)
        covered.append(np.mean((future >= low) & (future <= high)))
    assert 0.88 <= np.mean(covered) <= 0.995
