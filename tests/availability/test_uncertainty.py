"""Availability with model uncertainty: parameter draws, exact per draw, noise kept apart.

Known answers, computed here:

- One region, durations held at the fitted mean m, rate drawn from Jeffreys' posterior
  Gamma(n + 1/2, 1/T): the availability A = exp(-rate m / year) is a decreasing function of
  the rate, so P(A <= a) = P(rate >= -ln(a) year / m) = GammaSF(...), and A's quantile q is
  exp(-Gamma_(1-q) m / year) (Gamma quantiles from scipy).
- The parametric bootstrap of a duration law is checked against a brute-force bootstrap
  written here (samples of n drawn from the fitted law, refitted one by one).
- The vectorized exact sum over draws is checked against plcapacity.exact_unavailability, an
  independent (per-model) implementation, draw by draw.
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import plcapacity as plc
from plcapacity.availability.uncertainty import draw_parameters
from plcapacity.base.exceptions import ModelWarning
from plcapacity.outages.laws import MINUTES_PER_YEAR, ExponentialDuration, LognormalDuration

Z95 = stats.norm.ppf(0.95)


def _incidents(rows):
    return pd.DataFrame(rows, columns=["start", "end", "location"])


def _one_region_fit(events=4, years=2):
    """``events`` West Europe incidents of 1 to ``events`` hours over ``years`` years."""
    rows = [(pd.Timestamp("2018-01-10") + pd.Timedelta(days=30 * i),
             pd.Timestamp("2018-01-10") + pd.Timedelta(days=30 * i, hours=i + 1), "West Europe")
            for i in range(events)]
    return plc.fit_outages(_incidents(rows), period=("2018-01-01",
                                                     pd.Timestamp("2018-01-01")
                                                     + pd.Timedelta(days=365 * years)),
                           rates="own-or-pooled")


def _single(region):
    return plc.Deployment((plc.Destination("pls", region),), (plc.Endpoint("pe", region, "pls"),))


def _synthetic_fit(rng, law="lognormal", n=400):
    starts = pd.Timestamp("2000-01-01", tz="UTC") + pd.to_timedelta(
        np.sort(rng.uniform(0, 20 * MINUTES_PER_YEAR, n)), unit="min")
    if law == "lognormal":
        hours = np.exp(np.log(3) + rng.standard_normal(n))
    elif law == "gpd":
        hours = stats.genpareto(0.3, scale=2.0).rvs(n, random_state=rng)
    else:
        hours = rng.exponential(4.0, n)
    locations = rng.choice(["West Europe", "North Europe", "East US", "UK South / UK West"], n,
                           p=[0.4, 0.2, 0.3, 0.1])
    return plc.fit_outages(_incidents(list(zip(starts, starts + pd.to_timedelta(hours, unit="h"),
                                               locations))), duration_laws=(law,),
                           rates="own-or-pooled")


# ----------------------------------------------------------------------------- analytic


def test_one_region_availability_interval_from_gamma_quantiles():
    n, years = 4, 2
    fit = _one_region_fit(n, years)
    m = fit.model.duration.mean_minutes  # held fixed (an input here, not an output)
    result = plc.simulate_with_uncertainty(_single("westeurope"), fit, draws=20_000,
                                           trials_per_draw=0, seed=3, vary_durations=False)
    posterior = stats.gamma(n + 0.5, scale=1 / years)
    summary = result.summary()
    for key, q in (("availability_low", 0.025), ("availability_median", 0.5),
                   ("availability_high", 0.975)):
        expected = math.exp(-posterior.ppf(1 - q) * m / MINUTES_PER_YEAR)
        assert 1 - summary[key] == pytest.approx(1 - expected, rel=0.03), key
    # The whole law: P(A <= a) = P(rate >= -ln(a) year / m).
    def cdf(a):
        return posterior.sf(-np.log(a) * MINUTES_PER_YEAR / m)
    assert stats.kstest(result.draws["availability"], cdf).pvalue > 1e-3
    # A test that can fail: Gamma(n) (no Jeffreys half) is rejected by the same draws.
    wrong = stats.gamma(n, scale=1 / years)
    assert stats.kstest(result.draws["availability"],
                        lambda a: wrong.sf(-np.log(a) * MINUTES_PER_YEAR / m)).pvalue < 1e-3
    # At the fit: exp(-(n / T) m / year).
    assert summary["availability_at_fit"] == pytest.approx(
        math.exp(-n / years * m / MINUTES_PER_YEAR), rel=1e-12)


def test_nothing_varied_gives_a_point():
    fit = _one_region_fit()
    result = plc.simulate_with_uncertainty(_single("westeurope"), fit, draws=50,
                                           trials_per_draw=0, seed=1, vary_rates=False,
                                           vary_durations=False)
    s = result.summary()
    assert s["availability_low"] == pytest.approx(s["availability_high"], rel=1e-15)
    assert s["availability_low"] == pytest.approx(s["availability_at_fit"], rel=1e-15)


# ----------------------------------------------------------------------------- duration draws


def _brute_bootstrap(law, n, resamples, rng):
    """Refit ``resamples`` samples of ``n`` from the fitted law, one by one. [h]"""
    out = []
    for _ in range(resamples):
        hours = law.sample(rng, n) / 60
        if isinstance(law, ExponentialDuration):
            out.append(hours.mean())
        elif isinstance(law, LognormalDuration):
            logs = np.log(hours)
            out.append((logs.mean(), logs.std()))
        else:
            shape, _, scale = stats.genpareto.fit(hours, floc=0)
            out.append((shape, scale))
    return np.array(out)


@pytest.mark.parametrize("law", ["exponential", "lognormal"])
def test_duration_draws_match_a_brute_force_bootstrap(law, rng):
    fit = _synthetic_fit(rng, law, n=60)
    n = len(fit.duration_hours)
    draws = draw_parameters(fit, 4000, seed=5, vary_rates=False)
    brute = _brute_bootstrap(fit.model.duration, n, 4000, rng)
    if law == "exponential":
        assert stats.ks_2samp(draws["duration:mean_hours"], brute).pvalue > 1e-3
    else:
        mu = np.log(draws["duration:median_hours"])
        sigma = np.log(draws["duration:p95_hours"] / draws["duration:median_hours"]) / Z95
        assert stats.ks_2samp(mu, brute[:, 0]).pvalue > 1e-3
        assert stats.ks_2samp(sigma, brute[:, 1]).pvalue > 1e-3
        assert np.allclose(draws["mean_duration_hours"], np.exp(mu + sigma ** 2 / 2))
    # Rates held: every draw carries the fitted rate.
    assert (draws["rate:westeurope"] == fit.model.regions["westeurope"][0]).all()


@pytest.mark.slow  # a bootstrap against a brute-force bootstrap: seconds of refits
def test_gpd_draws_spread_like_a_brute_force_bootstrap(rng):
    fit = _synthetic_fit(rng, "gpd", n=400)
    n = len(fit.duration_hours)
    draws = draw_parameters(fit, 4000, seed=5, vary_rates=False)
    brute = _brute_bootstrap(fit.model.duration, n, 150, rng)
    assert draws["duration:shape"].std() == pytest.approx(brute[:, 0].std(), rel=0.25)
    assert draws["duration:scale_hours"].std() == pytest.approx(brute[:, 1].std(), rel=0.25)
    corr = np.corrcoef(draws["duration:shape"], draws["duration:scale_hours"])[0, 1]
    assert corr == pytest.approx(np.corrcoef(brute.T)[0, 1], abs=0.2)
    assert (draws["duration:shape"] < 1).all()


def test_rate_draws_follow_jeffreys_posterior():
    fit = _one_region_fit(events=3, years=2)
    draws = draw_parameters(fit, 20_000, seed=2, vary_durations=False)
    assert stats.kstest(draws["rate:westeurope"],
                        stats.gamma(3.5, scale=0.5).cdf).pvalue > 1e-3
    # The pooled rate: the events of the regions under observation over their exposure.
    assert stats.kstest(draws["rate:pooled"], stats.gamma(3.5, scale=0.5).cdf).pvalue > 1e-3


# ----------------------------------------------------------------------------- exact per draw


def drawn_model(fit, row):
    """The outage model of one draw (a row of ``result.draws``), built here from the draw's
    columns: the pooled rate, each region's and group's own rate, the drawn lognormal law."""
    law = {"law": "lognormal", "median_hours": row["duration:median_hours"],
           "p95_hours": row["duration:p95_hours"]}
    return plc.OutageModel(
        row["rate:pooled"], law,
        regions={r: {"rate_per_year": row[f"rate:{r}"]} for r in fit.model.regions},
        groups=tuple(plc.OutageGroup(g.name, g.regions, row[f"rate:{g.name}"], law)
                     for g in fit.model.groups))


@pytest.mark.parametrize("metric", ["reachable", "served"])
def test_vectorized_exact_matches_exact_unavailability_per_draw(metric, rng):
    fit = _synthetic_fit(rng, "lognormal")
    deployment = plc.Deployment(
        (plc.Destination("pls-we", "westeurope", 3e6), plc.Destination("pls-uk", "uksouth", 3e6),
         plc.Destination("pls-us", "eastus", 2e6)),
        (plc.Endpoint("pe-we", "westeurope", "pls-we"), plc.Endpoint("pe-ne", "northeurope",
                                                                     "pls-we"),
         plc.Endpoint("pe-uk", "ukwest", "pls-uk"), plc.Endpoint("pe-us", "eastus", "pls-us")),
        demand_connections=4e6)
    result = plc.simulate_with_uncertainty(deployment, fit, draws=12, trials_per_draw=0,
                                           seed=9, metric=metric)
    for d, row in enumerate(result.draws.to_dict("records")):
        model = drawn_model(fit, row)
        expected = plc.exact_unavailability(deployment, model, metric=metric)
        assert 1 - row["availability"] == pytest.approx(expected, rel=1e-9)
    assert 1 - result.availability_at_fit == pytest.approx(
        plc.exact_unavailability(deployment, fit.model, metric=metric), rel=1e-9)


def test_groups_and_pooled_regions_take_their_own_draws(rng):
    fit = _synthetic_fit(rng, "lognormal")
    assert "uksouth" not in fit.model.regions  # only in the UK group: the pooled rate
    deployment = plc.Deployment(
        (plc.Destination("p", "francecentral"), plc.Destination("q", "uksouth")),
        (plc.Endpoint("a", "francecentral", "p"), plc.Endpoint("b", "uksouth", "q")))
    result = plc.simulate_with_uncertainty(deployment, fit, draws=3, trials_per_draw=0, seed=4)
    assert result.draws["rate:pooled"].nunique() == 3
    for row in result.draws.to_dict("records"):
        q_pooled, q_group = (-math.expm1(-row[f"rate:{name}"] * row["mean_duration_hours"] * 60
                                         / MINUTES_PER_YEAR)
                             for name in ("pooled", "uksouth / ukwest"))
        # Down while francecentral is down and (uksouth or the UK group is down); by hand.
        expected = q_pooled * (1 - (1 - q_pooled) * (1 - q_group))
        assert 1 - row["availability"] == pytest.approx(expected, rel=1e-12)


# ----------------------------------------------------------------------------- simulation


def test_simulation_noise_is_reported_apart_from_model_uncertainty(rng):
    fit = _one_region_fit(events=6, years=2)
    deployment = _single("westeurope")
    held = plc.simulate_with_uncertainty(deployment, fit, draws=40, trials_per_draw=1000,
                                         seed=8, vary_rates=False, vary_durations=False)
    s = held.summary()
    # Same parameters in every draw: the spread between draws is noise alone.
    assert s["p_month_below_slo_model_sd"] < s["p_month_below_slo_mc_se"]
    z = (held.draws["simulated_availability"] - held.draws["availability"]) \
        / held.draws["simulated_availability_se"]
    # Simulated vs exact per draw: z-scores of unit variance (chi-square, 40 draws).
    assert stats.chi2(40).ppf(0.001) < (z ** 2).sum() < stats.chi2(40).ppf(0.999)
    varied = plc.simulate_with_uncertainty(deployment, fit, draws=40, trials_per_draw=1000,
                                           seed=8).summary()
    assert varied["p_month_below_slo_model_sd"] > 5 * varied["p_month_below_slo_mc_se"]
    assert varied["p_month_below_slo_low"] < s["p_month_below_slo"] \
        < varied["p_month_below_slo_high"]


def test_same_seed_same_numbers(rng):
    fit = _one_region_fit()
    deployment = _single("westeurope")
    a = plc.simulate_with_uncertainty(deployment, fit, draws=5, trials_per_draw=300, seed=42)
    b = plc.simulate_with_uncertainty(deployment, fit, draws=5, trials_per_draw=300,
                                      seed=np.random.SeedSequence(42))
    pd.testing.assert_frame_equal(a.draws, b.draws)
    c = plc.simulate_with_uncertainty(deployment, fit, draws=5, trials_per_draw=300, seed=43)
    assert not a.draws["availability"].equals(c.draws["availability"])


def test_evidence_profile_with_uncertainty():
    fit = plc.outage_profile_fit("azure-status-2018-2020")
    two = plc.Deployment(
        (plc.Destination("pls-we", "westeurope"), plc.Destination("pls-ne", "northeurope")),
        (plc.Endpoint("pe-we", "westeurope", "pls-we"),
         plc.Endpoint("pe-ne", "northeurope", "pls-ne")))
    s = plc.simulate_with_uncertainty(two, fit, draws=300, trials_per_draw=0, seed=1).summary()
    assert s["availability_low"] < s["availability_at_fit"] < s["availability_high"]
    # Two independent regions: U = q_we q_ne at the fit (by hand from the fitted rates).
    m = fit.model.duration.mean_minutes
    q = [-math.expm1(-fit.model.regions[r][0] * m / MINUTES_PER_YEAR)
         for r in ("westeurope", "northeurope")]
    assert 1 - s["availability_at_fit"] == pytest.approx(q[0] * q[1], rel=1e-12)


def test_active_passive_warns_that_exact_excludes_gaps():
    fit = _one_region_fit()
    deployment = plc.Deployment(
        (plc.Destination("p", "westeurope"), plc.Destination("q", "northeurope")),
        (plc.Endpoint("a", "westeurope", "p"), plc.Endpoint("b", "northeurope", "q")),
        failover=plc.Failover("active-passive", 5.0))
    with pytest.warns(ModelWarning, match="excludes failover gaps"):
        plc.simulate_with_uncertainty(deployment, fit, draws=2, trials_per_draw=0, seed=1)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"draws": 0}, "draws=0 is not allowed: a whole number >= 1"),
    ({"trials_per_draw": -1}, "trials_per_draw=-1 is not allowed: a whole number >= 0"),
    ({"years": 0.5}, "years=0.5 is not allowed"),
    ({"level": 1.5}, "level=1.5 is not allowed: a fraction between 0 and 1"),
    ({"metric": "up"}, "metric='up' is not allowed: one of reachable, served"),
    ({"seed": -3}, "seed=-3 is not allowed"),
])
def test_bad_arguments(kwargs, fragment):
    fit = _one_region_fit()
    with pytest.raises(ValueError) as error:
        plc.simulate_with_uncertainty(_single("westeurope"), fit, **kwargs)
    assert fragment in str(error.value)


def test_fit_must_be_an_outage_fit():
    with pytest.raises(ValueError, match="fit=OutageModel is not allowed: an OutageFit"):
        plc.simulate_with_uncertainty(_single("westeurope"),
                                      plc.outage_profile("sla-calibrated"), trials_per_draw=0)


def test_gpd_with_short_bounded_durations_refits(rng):
    # Durations spread evenly over 1-6 h: a generalized Pareto fit with shape <= -1/2, where
    # the asymptotic normal law of the MLE fails; the draws come from refitted samples.
    fit = _one_region_fit(events=6, years=2)
    fit = plc.fit_outages(fit.events.assign(location="West Europe")[["start", "end", "location"]],
                          period=fit.period, duration_laws=("gpd",), rates="own-or-pooled")
    assert fit.model.duration.shape <= -0.5
    draws = draw_parameters(fit, 30, seed=1, vary_rates=False)
    assert (draws["duration:shape"] < 1).all() and (draws["duration:scale_hours"] > 0).all()
    assert draws["duration:shape"].nunique() == 30


def test_gamma_poisson_rate_draws_come_from_the_hierarchical_posterior():
    """A gamma-Poisson fit's region rates are drawn from its joint posterior: their mean is
    the posterior mean of the fit (an independent check: the fit's own closed-form mixture
    mean), and a region without incidents draws from the population, not from Gamma(0.5)."""
    rows = [(pd.Timestamp("2019-01-10") + pd.Timedelta(days=20 * i),
             pd.Timestamp("2019-01-10") + pd.Timedelta(days=20 * i, hours=2),
             ["West Europe", "North Europe", "West Europe"][i % 3]) for i in range(9)]
    fit = plc.fit_outages(_incidents(rows), period=("2019-01-01", "2020-01-01"),
                          regions=["westeurope", "northeurope", "uksouth", "francecentral"])
    assert fit.rates == "gamma-poisson"
    n = 40_000
    draws = draw_parameters(fit, n, seed=7, vary_durations=False)

    def within_noise(column, expected):  # 4 standard errors of the draws' own mean
        return abs(column.mean() - expected) < 4 * column.std() / np.sqrt(n)

    means = fit.posterior.rate_mean()
    for i, region in enumerate(["francecentral", "northeurope", "uksouth", "westeurope"]):
        assert within_noise(draws[f"rate:{region}"], means[i]), region
    # the two regions without incidents and one year each are exchangeable
    difference = draws["rate:uksouth"] - draws["rate:francecentral"]
    assert within_noise(difference, 0.0)
    # a region outside the population: mean a/b = the population mean
    assert within_noise(draws["rate:pooled"], fit.posterior.population_mean)


@pytest.mark.slow
def test_availability_interval_covers_the_truth_at_its_level():
    """2,000 replications of one region's history: 7 outages a year for 3 years (12 to 30
    incidents, as the shipped evidence has per region), exponential durations of mean 3 h.
    The 95 % availability interval of simulate_with_uncertainty (exact per draw, rates and
    mean duration drawn) holds the true availability exp(-rate x mean) in at least 94 % of
    them (it held it 92-93 % when the mean was drawn from the estimate's sampling law)."""
    rng = np.random.default_rng(2026_12_07)
    rate, mean_hours, years = 7.0, 3.0, 3
    truth = math.exp(-rate * mean_hours / 8760)
    region = _single("westeurope")
    begin = pd.Timestamp("2018-01-01")
    covered, counted = 0, 0
    while counted < 2_000:
        n = rng.poisson(rate * years)
        if not 12 <= n <= 30:
            continue
        starts = begin + pd.to_timedelta(np.sort(rng.uniform(0, years * 365, n)), unit="D")
        ends = starts + pd.to_timedelta(rng.exponential(mean_hours, n), unit="h")
        fit = plc.fit_outages(_incidents(list(zip(starts, ends, ["West Europe"] * n))),
                              period=(begin, begin + pd.Timedelta(days=365 * years)),
                              regions=["westeurope"], rates="own-or-pooled",
                              duration_laws=("exponential",))
        result = plc.simulate_with_uncertainty(region, fit, draws=400, trials_per_draw=0,
                                               seed=counted).summary()
        covered += result["availability_low"] <= truth <= result["availability_high"]
        counted += 1
    assert covered / counted >= 0.94, covered / counted


def test_exponential_mean_duration_is_drawn_from_its_fiducial_law():
    """Given the sample mean m of n exponential durations, the mean is drawn as m n / G with
    G ~ Gamma(n, 1) (an inverse gamma), not m G / n (the estimate's own sampling law, which
    put the availability interval on the wrong side)."""
    fit = _one_region_fit(events=12, years=2)
    fit = plc.fit_outages(fit.events.assign(location="West Europe")[["start", "end", "location"]],
                          period=fit.period, duration_laws=("exponential",),
                          rates="own-or-pooled")
    n, m = len(fit.duration_hours), fit.model.duration.mean_hours
    draws = draw_parameters(fit, 20_000, seed=3, vary_rates=False)["duration:mean_hours"]
    fiducial = stats.invgamma(n, scale=n * m)
    assert stats.kstest(draws, fiducial.cdf).pvalue > 1e-3
    assert stats.kstest(draws, stats.gamma(n, scale=m / n).cdf).pvalue < 1e-6


@pytest.mark.parametrize("draws, level, least", [(1, 0.95, 40), (39, 0.95, 40), (19, 0.9, 20),
                                                 (3, 0.5, 4)])
def test_too_few_draws_give_no_interval_and_say_so(draws, level, least):
    fit = _one_region_fit(events=8, years=2)
    summary = plc.simulate_with_uncertainty(_single("westeurope"), fit, draws=draws,
                                            level=level, trials_per_draw=5, seed=1).summary()
    for name in ("availability_low", "availability_high", "p_month_below_slo_low",
                 "p_month_below_slo_high"):
        assert math.isnan(summary[name]), name
    assert summary["note"] == (f"{draws:,} draws are too few for a {level:.0%} interval (at "
                               f"least {least:,}: two beyond each end); its ends are not given")
    enough = plc.simulate_with_uncertainty(_single("westeurope"), fit, draws=least,
                                           level=level, trials_per_draw=0, seed=1).summary()
    assert enough["availability_low"] <= enough["availability_high"] and enough["note"] == ""


@pytest.mark.parametrize("draws, trials_per_draw", [(300_000_000, 0), (200, 100_000_000),
                                                    (int(5e9), 10)])
def test_runs_beyond_the_memory_budget_are_refused_before_drawing(draws, trials_per_draw):
    import tracemalloc
    fit = _one_region_fit(events=8, years=2)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="more than max_memory_bytes=2,147,483,648"):
            plc.simulate_with_uncertainty(_single("westeurope"), fit, draws=draws,
                                          trials_per_draw=trials_per_draw, seed=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 << 20  # refused, not attempted


def test_a_smaller_budget_refuses_what_the_default_allows():
    fit = _one_region_fit(events=8, years=2)
    with pytest.raises(ValueError, match="more than max_memory_bytes=67,108,864"):
        plc.simulate_with_uncertainty(_single("westeurope"), fit, draws=200,
                                      trials_per_draw=2_000_000, seed=1,
                                      max_memory_bytes=64 << 20)
