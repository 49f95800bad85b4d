"""How much an availability answer rests on guesses: outage parameters drawn from their fit.

A fitted outage model (:func:`plcapacity.fit_outages`) rests on a handful of incidents per
region, so its rates and duration parameters are uncertain. :func:`simulate_with_uncertainty`
draws the parameters from the fit's sampling distribution, computes the availability of each
draw exactly (no Monte Carlo noise) and, optionally, simulates each draw to get the chance of a
month below the SLO; it reports each figure with an interval from model uncertainty, and the
Monte Carlo noise separately.

The sampling distribution
-------------------------
- **Rates.** Each process's rate (a region's own, the pooled rate, each group's) is drawn from
  its posterior under Jeffreys' prior for a Poisson rate, ``Gamma(n + 1/2, 1/T)`` for ``n``
  events over ``T`` years (finite and positive even for a handful of events). Processes are
  drawn independently (the pooled rate shares data with the regions' own rates, but the model
  uses it only for regions without events of their own).
- **Durations.** A parametric bootstrap of the chosen law: the law of its maximum-likelihood
  estimates from ``n`` durations drawn from the fitted law. Exact in closed form for the
  exponential (mean x ``Gamma(n, 1/n)``) and the lognormal (``mu + sigma Z / sqrt(n)``,
  ``sigma^2 chi2(n - 1) / n``); for the generalized Pareto, the asymptotic normal law of the
  MLE, ``n Cov(xi, sigma) = (1 + xi) [[1 + xi, -sigma], [-sigma, 2 sigma^2]]``, with draws of
  infinite mean (``xi >= 1``) or non-positive scale drawn again; for a fitted ``xi <= -1/2``
  (short, bounded durations), where that law does not hold, samples refitted one by one.

Both are vectorized over draws; the exact availability of all draws is one product over the
down states of the deployment. Simulations (for the SLO-miss probability) run one vectorized
:func:`plcapacity.simulate` per draw, each with a seed of its own derived from ``seed``.

References
----------
.. [1] H. Jeffreys, "An invariant form for the prior probability in estimation problems",
   Proc. R. Soc. A 186, 1946 (the ``Gamma(n + 1/2)`` posterior of a Poisson rate).
.. [2] R. L. Smith, "Maximum likelihood estimation in a class of nonregular cases",
   Biometrika 72(1), 1985; J. R. M. Hosking and J. R. Wallis, "Parameter and quantile
   estimation for the generalized Pareto distribution", Technometrics 29(3), 1987 (the
   asymptotic covariance of the generalized Pareto MLE).
.. [3] B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*, Chapman & Hall,
   1993 (parametric bootstrap).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from plcapacity.availability.budget import DEFAULT_MEMORY_BYTES, check_memory_budget
from plcapacity.availability.exact import EXACT_MAX_PROCESSES
from plcapacity.availability.simulation import seed_sequence, simulate
from plcapacity.availability.structure import METRICS, compile_structure
from plcapacity.base.exceptions import ModelWarning
from plcapacity.outages.fitting import OutageFit
from plcapacity.outages.laws import (
    MINUTES_PER_YEAR,
    ExponentialDuration,
    GeneralizedParetoDuration,
    LognormalDuration,
)
from plcapacity.outages.processes import OutageGroup, OutageModel

__all__ = ["UncertaintyResult", "simulate_with_uncertainty", "least_draws"]

_Z95 = 1.6448536269514722  # standard normal 0.95 quantile (lognormal p95 from mu, sigma)
#: Entries of the (draws x down states) probability table computed at once.
_CHUNK_ENTRIES = 1 << 22


def _child(root, *key) -> np.random.SeedSequence:
    """A child seed addressed by ``key`` (independent of call order, unlike ``spawn``)."""
    return np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + key)


def _whole(value, name, low):
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number.is_integer() and number >= low) \
            or isinstance(value, bool):
        raise ValueError(f"{name}={value!r} is not allowed: a whole number >= {low}")
    return int(number)


# ----------------------------------------------------------------------------- parameter draws


def _rate_sources(fit: OutageFit) -> dict:
    """``{process name: (events, exposure years)}`` for every rate in the model."""
    table = fit.table.set_index(["kind", "name"])
    sources = {}
    for region in fit.model.regions:
        row = table.loc[("region", region)]
        sources[region] = (int(row["events"]), float(row["exposure_years"]))
    for group in fit.model.groups:
        row = table.loc[("group", group.name)]
        sources[group.name] = (int(row["events"]), float(row["exposure_years"]))
    row = table.loc[("pooled", "pooled")]
    sources["pooled"] = (int(row["events"]), float(row["exposure_years"]))
    return sources


def _check_fit(fit):
    if not isinstance(fit, OutageFit):
        raise ValueError(f"fit={type(fit).__name__} is not allowed: an OutageFit from "
                         "plcapacity.fit_outages or plcapacity.outage_profile_fit")


def least_draws(level) -> int:
    """Fewest draws that put two beyond each end of a percentile interval at ``level``."""
    return math.ceil(2 / (1 - level) - 1e-9)


def _hierarchical_rate_draws(fit: OutageFit, draws, rng) -> dict:
    """Rates of the regions of a gamma-Poisson fit, drawn from its joint posterior: the
    hyperparameters ``(a, b)`` by their posterior weights, then each region's rate from
    ``Gamma(a + n_r, b + T_r)`` (regions share the draw's hyperparameters, so their rates
    move together as the population's do) and ``pooled``, the rate of a region outside the
    population, from ``Gamma(a, b)``."""
    posterior = fit.posterior
    pick = rng.choice(posterior.weights.size, size=draws, p=posterior.weights)
    a, b = posterior.shape[pick][:, None], posterior.rate[pick][:, None]
    regions = fit.table.loc[fit.table["kind"] == "region", "name"].tolist()
    rates = rng.gamma(a + posterior.events, 1 / (b + posterior.exposure_years))
    out = {name: rates[:, i] for i, name in enumerate(regions)}
    out["pooled"] = rng.gamma(a[:, 0], 1 / b[:, 0])
    return out


def _draw_gpd(shape, scale, n, draws, rng):
    if shape <= -0.5:
        # The MLE is not asymptotically normal here (Smith 1985): refit bootstrap samples.
        law = GeneralizedParetoDuration(shape, scale)
        from scipy import stats  # imported where used (import time of plcapacity)

        refits = [stats.genpareto.fit(law.sample(rng, n) / 60, floc=0) for _ in range(draws)]
        out = np.array([(c, sc) for c, _, sc in refits])
        out[:, 0] = np.minimum(out[:, 0], 0.999)  # a bounded law's refit cannot reach 1
        return out[:, 0], out[:, 1]
    cov = (1 + shape) * np.array([[1 + shape, -scale], [-scale, 2 * scale ** 2]]) / n
    out = np.empty((draws, 2))
    todo = np.arange(draws)
    for _ in range(100):  # redraw the few draws outside the finite-mean region
        pairs = rng.multivariate_normal([shape, scale], cov, size=todo.size)
        ok = (pairs[:, 0] < 1) & (pairs[:, 1] > 0)
        out[todo[ok]] = pairs[ok]
        todo = todo[~ok]
        if todo.size == 0:
            return out[:, 0], out[:, 1]
    raise ValueError(f"generalized Pareto fit (shape {shape:.3g}, n={n}) is too uncertain: "
                     "almost every draw has an infinite mean; fit a lognormal instead")


def draw_parameters(fit: OutageFit, draws, seed=None, *, vary_rates=True,
                    vary_durations=True) -> pd.DataFrame:
    """Outage parameters drawn from the fit's sampling distribution.

    Parameters
    ----------
    fit : OutageFit
    draws : int
    seed : None, int, SeedSequence or Generator
    vary_rates, vary_durations : bool
        Draw the rates (durations); ``False`` keeps the fitted values.

    Returns
    -------
    pandas.DataFrame
        One row per draw: ``rate:<process>`` [1/yr] for each region with its own rate, each
        group and ``rate:pooled`` (a gamma-Poisson fit's regions and ``pooled`` from its
        joint posterior, other rates from the Jeffreys posterior of their own counts); the duration law's parameters (``duration:<name>``, in the
        units of :func:`plcapacity.outages.duration_law`); ``mean_duration_hours`` [h].
    """
    draws = _whole(draws, "draws", 1)
    _check_fit(fit)
    rng = np.random.default_rng(seed_sequence(seed))
    columns = {}
    fitted = {**{r: rate for r, (rate, _) in fit.model.regions.items()},
              **{g.name: g.rate_per_year for g in fit.model.groups},
              "pooled": fit.model.rate_per_year}
    pooled_regions = {}
    if vary_rates and fit.posterior is not None:
        pooled_regions = _hierarchical_rate_draws(fit, draws, rng)
    for name, (events, exposure) in _rate_sources(fit).items():
        if name in pooled_regions:
            columns[f"rate:{name}"] = pooled_regions[name]
        else:
            columns[f"rate:{name}"] = (rng.gamma(events + 0.5, 1 / exposure, draws)
                                       if vary_rates else np.full(draws, fitted[name]))
    law = fit.model.duration
    n = len(fit.duration_hours)
    if isinstance(law, ExponentialDuration):
        # The mean's law given the sample mean m of n exponential durations: m n / Gamma(n, 1)
        # (the posterior under the scale prior 1/mean; the fiducial law). Drawing m Gamma(n)/n,
        # the sampling law of the estimate, puts the interval on the wrong side: it covered
        # the truth 92-93 % of the time at a nominal 95 % with 12-30 incidents.
        mean = law.mean_hours * (n / rng.gamma(n, 1.0, draws) if vary_durations else 1.0)
        columns["duration:mean_hours"] = np.broadcast_to(mean, (draws,)).copy()
        columns["mean_duration_hours"] = columns["duration:mean_hours"]
    elif isinstance(law, LognormalDuration):
        mu = math.log(law.median_hours)
        sigma = math.log(law.p95_hours / law.median_hours) / _Z95
        if vary_durations:
            mu = mu + sigma * rng.standard_normal(draws) / math.sqrt(n)
            sigma = sigma * np.sqrt(rng.chisquare(n - 1, draws) / n)
        mu, sigma = np.broadcast_to(mu, (draws,)), np.broadcast_to(sigma, (draws,))
        columns["duration:median_hours"] = np.exp(mu)
        columns["duration:p95_hours"] = np.exp(mu + _Z95 * sigma)
        columns["mean_duration_hours"] = np.exp(mu + sigma ** 2 / 2)
    elif isinstance(law, GeneralizedParetoDuration):
        if vary_durations:
            shape, scale = _draw_gpd(law.shape, law.scale_hours, n, draws, rng)
        else:
            shape, scale = np.full(draws, law.shape), np.full(draws, law.scale_hours)
        columns["duration:shape"], columns["duration:scale_hours"] = shape, scale
        columns["mean_duration_hours"] = scale / (1 - shape)
    else:  # pragma: no cover - fit_outages only chooses the three laws above
        raise ValueError(f"duration law {law.describe()} has no sampling distribution")
    frame = pd.DataFrame(columns)
    frame.index.name = "draw"
    return frame


def _law(row, template):
    if isinstance(template, ExponentialDuration):
        return ExponentialDuration(row["duration:mean_hours"])
    if isinstance(template, LognormalDuration):
        return LognormalDuration(row["duration:median_hours"], row["duration:p95_hours"])
    return GeneralizedParetoDuration(row["duration:shape"], row["duration:scale_hours"])


def _model(fit, row, regions):
    """The draw's OutageModel, restricted to what ``regions`` need (cheap to build)."""
    law = _law(row, fit.model.duration)
    overrides = {r: {"rate_per_year": row[f"rate:{r}"]} for r in fit.model.regions
                 if r in regions}
    groups = tuple(OutageGroup(g.name, g.regions, row[f"rate:{g.name}"], law)
                   for g in fit.model.groups if set(g.regions) & set(regions))
    return OutageModel(row["rate:pooled"], law, overrides, groups)


# ----------------------------------------------------------------------------- exact, vectorized


def _exact_unavailability(structure, rates, mean_minutes, metric):
    """Unavailability of every draw: sum over down states of prod_k q_k^b (1 - q_k)^(1 - b).

    ``rates`` (draws, K) [1/yr], ``mean_minutes`` (draws,) [min].
    """
    K = structure.n_processes
    q = -np.expm1(-rates * (mean_minutes[:, None] / MINUTES_PER_YEAR))  # (draws, K)
    states = np.arange(1 << K, dtype=np.int64)
    reachable, served, _, _ = structure.evaluate(states, with_usable=False)
    down = states[~(reachable if metric == "reachable" else served)]
    total = np.zeros(q.shape[0])
    step = max(1, _CHUNK_ENTRIES // max(1, q.shape[0]))
    for start in range(0, down.size, step):  # chunks of states; each vectorized over draws
        chunk = down[start:start + step]
        p = np.ones((q.shape[0], chunk.size))
        for k in range(K):  # a handful of processes
            bit = ((chunk >> k) & 1).astype(bool)
            p *= np.where(bit[None, :], q[:, k:k + 1], 1 - q[:, k:k + 1])
        total += p.sum(axis=1)
    return total


# ----------------------------------------------------------------------------- the driver


@dataclass(frozen=True)
class UncertaintyResult:
    """The outcome of :func:`simulate_with_uncertainty`.

    Parameters
    ----------
    draws, availability_at_fit, level, trials_per_draw, years, metric
        As the attributes; built by :func:`simulate_with_uncertainty`, not by hand.

    Attributes
    ----------
    draws : pandas.DataFrame
        One row per parameter draw: the parameters (see :func:`draw_parameters`),
        ``availability`` (exact for the draw: no Monte Carlo noise) [-], and with simulations
        ``simulated_availability`` and its Monte Carlo standard error
        ``simulated_availability_se``, ``p_month_below_slo`` and ``p_month_below_slo_se``
        (standard error of the draw's estimate over its trials) [-].
    availability_at_fit : float
        Exact availability with the fitted (point) parameters. [-]
    level : float
        Level of the intervals, such as 0.95.
    trials_per_draw, years : int
    metric : str

    Examples
    --------
    >>> import plcapacity as plc
    >>> fit = plc.outage_profile_fit("azure-status-2018-2020")
    >>> api = plc.regional_deployment("api", "eastus; westus")    # one PLS, in eastus
    >>> result = plc.simulate_with_uncertainty(api, fit, draws=50, trials_per_draw=0, seed=1)
    >>> s = result.summary()                   # availabilities [-], at level 0.95
    >>> int(s["draws"]), bool(s["availability_low"] < s["availability_high"])
    (50, True)
    """

    draws: pd.DataFrame
    availability_at_fit: float
    level: float
    trials_per_draw: int
    years: int
    metric: str

    def summary(self) -> pd.Series:
        """The figures with their intervals.

        Returns
        -------
        pandas.Series
            ``availability_at_fit``; ``availability_median``, ``availability_low`` and
            ``availability_high`` (quantiles over draws: model uncertainty alone, the exact
            calculation having no Monte Carlo noise); with simulations:
            ``p_month_below_slo`` (mean over draws), ``p_month_below_slo_low``/``_high``
            (quantiles of the draws' estimates: model uncertainty plus noise),
            ``p_month_below_slo_model_sd`` (spread between draws with the noise variance
            removed), ``p_month_below_slo_mc_se`` (typical Monte Carlo standard error of one
            draw) and ``p_month_below_slo_mean_se`` (standard error of the mean over draws);
            ``simulated_availability_mc_se`` likewise; ``draws``, ``trials_per_draw``,
            ``years``, ``level``, ``metric``, and ``note`` (with fewer draws than
            :func:`least_draws` gives, the intervals' ends are NaN and the note says why).
        """
        d = self.draws
        a = (1 - self.level) / 2
        least = least_draws(self.level)
        enough = len(d) >= least

        def end(values, q):  # no interval from too few draws: an end is not made up
            return float(values.quantile(q)) if enough else math.nan

        rows = {"availability_at_fit": self.availability_at_fit,
                "availability_median": float(d["availability"].median()),
                "availability_low": end(d["availability"], a),
                "availability_high": end(d["availability"], 1 - a)}
        if "p_month_below_slo" in d:
            p, se = d["p_month_below_slo"], d["p_month_below_slo_se"]
            between = float(p.var(ddof=1)) if len(p) > 1 else 0.0
            rows.update({
                "p_month_below_slo": float(p.mean()),
                "p_month_below_slo_low": end(p, a),
                "p_month_below_slo_high": end(p, 1 - a),
                "p_month_below_slo_model_sd": math.sqrt(max(between - float((se ** 2).mean()),
                                                            0.0)),
                "p_month_below_slo_mc_se": float(np.sqrt((se ** 2).mean())),
                "p_month_below_slo_mean_se": math.sqrt(between / len(p)),
                "simulated_availability_mean": float(d["simulated_availability"].mean()),
                "simulated_availability_mc_se": float(
                    np.sqrt((d["simulated_availability_se"] ** 2).mean())),
            })
        rows.update({"draws": len(d), "trials_per_draw": self.trials_per_draw,
                     "years": self.years, "level": self.level, "metric": self.metric,
                     "note": "" if enough else (
                         f"{len(d):,} draws are too few for a {self.level:.0%} interval (at "
                         f"least {least:,}: two beyond each end); its ends are not given")})
        return pd.Series(rows, name="uncertainty", dtype=object)


def simulate_with_uncertainty(deployment, fit, *, draws=200, trials_per_draw=2_000, years=1,
                              seed=None, metric="reachable", level=0.95, vary_rates=True,
                              vary_durations=True,
                              max_memory_bytes=DEFAULT_MEMORY_BYTES) -> UncertaintyResult:
    """Availability and SLO-miss probability with intervals that include model uncertainty.

    Parameters
    ----------
    deployment : Deployment
        The endpoints, destinations, demand and failover mode.
    fit : OutageFit
        From :func:`plcapacity.fit_outages` or :func:`plcapacity.outage_profile_fit`.
    draws : int, default 200
        Parameter draws from the fit's sampling distribution (see the module docstring).
    trials_per_draw : int, default 2000
        Simulated trials per draw, for the SLO-miss probability; ``0``: exact availability
        only (fast).
    years : int, default 1
        Years per trial. [yr]
    seed : None, int, SeedSequence or Generator
        The same seed gives the same numbers.
    metric : {"reachable", "served"}
        What the exact availability counts as up.
    level : float, default 0.95
        Level of the intervals.
    vary_rates, vary_durations : bool
        Draw the rates (the duration parameters); ``False`` keeps the fitted values, to see how
        much of the spread each causes.
    max_memory_bytes : float, default 2 GiB
        Memory budget, as :func:`plcapacity.simulate`'s: a run whose draws and kept trials
        would need more is refused before anything is drawn. [bytes]

    Returns
    -------
    UncertaintyResult
        ``.draws`` (one row per draw) and ``.summary()``.

    Raises
    ------
    ValueError
        For a bad argument, or more outage processes than the exact sum can enumerate.

    Warns
    -----
    ModelWarning
        For active-passive failover with a delay: the exact availability excludes failover
        gaps (the simulated one includes them).

    Notes
    -----
    Availability of draw ``d``: ``1 - sum_(down states s) prod_k q_dk^[k in s] (1 -
    q_dk)^[k not in s]`` with ``q_dk = 1 - exp(-rate_dk E[D_d])``; its interval is the
    ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles over draws. The SLO-miss probability
    of a draw is the fraction of its simulated months below the SLO, with standard error
    ``sd(per-trial fraction) / sqrt(trials)``; the model part of its spread is
    ``sqrt(var_between_draws - mean(se^2))``.

    Examples
    --------
    >>> import plcapacity as plc
    >>> fit = plc.outage_profile_fit("azure-status-2018-2020")
    >>> two = plc.Deployment(
    ...     (plc.Destination("pls-we", "westeurope"), plc.Destination("pls-ne", "northeurope")),
    ...     (plc.Endpoint("pe-we", "westeurope", "pls-we"),
    ...      plc.Endpoint("pe-ne", "northeurope", "pls-ne")))
    >>> result = plc.simulate_with_uncertainty(two, fit, draws=500, trials_per_draw=0, seed=1)
    >>> s = result.summary()
    >>> bool(s["availability_low"] < s["availability_at_fit"] < s["availability_high"])
    True
    """
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r} is not allowed: one of {', '.join(METRICS)}")
    draws = _whole(draws, "draws", 1)
    trials_per_draw = _whole(trials_per_draw, "trials_per_draw", 0)
    years = _whole(years, "years", 1)
    try:
        level = float(level)
    except (TypeError, ValueError):
        level = math.nan
    if not 0 < level < 1:
        raise ValueError(f"level={level!r} is not allowed: a fraction between 0 and 1, such "
                         "as 0.95")
    budget = check_memory_budget(max_memory_bytes)
    _check_fit(fit)
    structure = compile_structure(deployment, fit.model)
    # Before drawing: the draws' table (parameters, copies, results) and one draw's kept
    # trials (per-trial months below the SLO and downtime) must fit the budget.
    columns = len(fit.model.regions) + len(fit.model.groups) + 12
    needed = draws * columns * 8 * 4 + trials_per_draw * years * (64 + 8 * structure.n_processes)
    if needed > budget:
        raise ValueError(f"draws={draws:,} with trials_per_draw={trials_per_draw:,} x "
                         f"years={years:,} would need about {needed / 2**30:.3g} GiB, more "
                         f"than max_memory_bytes={budget:,.0f} ({budget / 2**30:.3g} GiB): use "
                         "fewer draws or trials per draw")
    root = seed_sequence(seed)
    parameters = draw_parameters(fit, draws, _child(root, 0), vary_rates=vary_rates,
                                 vary_durations=vary_durations)
    if structure.n_processes > EXACT_MAX_PROCESSES:
        raise ValueError(f"{structure.n_processes} outage processes involved: at most "
                         f"{EXACT_MAX_PROCESSES} for the exact calculation")
    if structure.active_passive and structure.delay_minutes > 0:
        warnings.warn("active-passive: the exact availability excludes failover gaps; the "
                      "simulated one includes them", ModelWarning, stacklevel=2)
    own = set(fit.model.regions)
    columns = [(f"rate:{p.name}" if p.kind == "group" or p.name in own else "rate:pooled")
               for p in structure.processes]
    rates = parameters[columns].to_numpy()
    mean_minutes = parameters["mean_duration_hours"].to_numpy() * 60
    result = parameters.copy()
    result["availability"] = 1 - _exact_unavailability(structure, rates, mean_minutes, metric)
    point_rates = np.array([[p.rate_per_year for p in structure.processes]])
    at_fit = 1 - _exact_unavailability(structure, point_rates,
                                       np.array([fit.model.duration.mean_minutes]), metric)[0]
    if trials_per_draw:
        regions = deployment.regions
        sims = {"simulated_availability": [], "simulated_availability_se": [],
                "p_month_below_slo": [], "p_month_below_slo_se": []}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ModelWarning)
            for d, row in enumerate(parameters.to_dict("records")):  # one vectorized run each
                run = simulate(deployment, _model(fit, row, regions), trials=trials_per_draw,
                               years=years, seed=_child(root, 1, d), progress=False,
                               keep_trials=True, max_memory_bytes=budget)
                below = run.trials["months_below_slo"].to_numpy() / (12 * years)
                down = run.downtime_min / (years * MINUTES_PER_YEAR)
                sims["simulated_availability"].append(run.availability)
                sims["simulated_availability_se"].append(down.std(ddof=1) / math.sqrt(down.size)
                                                         if down.size > 1 else math.nan)
                sims["p_month_below_slo"].append(below.mean())
                sims["p_month_below_slo_se"].append(below.std(ddof=1) / math.sqrt(below.size)
                                                    if below.size > 1 else math.nan)
        for key, values in sims.items():
            result[key] = values
    return UncertaintyResult(result, float(at_fit), level, trials_per_draw, years, metric)
