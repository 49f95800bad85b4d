"""Rates that borrow strength: outage rates across regions from a gamma-Poisson model.

A region observed for ``T_r`` years with ``n_r`` incidents says little about its rate on its
own: most regions have none or one in a year. Regions are alike without being identical, which
is the situation of failure rates across a population of plants in NUREG/CR-6823 (chapter 8):

    n_r ~ Poisson(lambda_r T_r),    lambda_r ~ Gamma(shape a, rate b)   (independent regions)

with population mean ``m = a / b`` [1/yr] and shape ``a`` (variance ``m**2 / a``: a large
``a`` means nearly equal regions). The hyperparameters are not plugged in: a plug-in (empirical
Bayes) prior understates the uncertainty of the population. They get a posterior of their own
on a grid in ``(log m, log a)``, from the negative-binomial likelihood of every region's count
(a region with no incident counts too, through its exposure), under the hyperprior

- ``m`` log-uniform on ``[MEAN_RANGE]`` (no preferred scale), and
- ``a`` with density ``1 / (1 + a)**2`` (proper, median 1: from large variation between regions
  to a common rate; the data decide).

Every per-region figure is then a mixture over that posterior: the rate's posterior
``Gamma(a + n_r, b + T_r)`` and the count over a horizon ``h``, negative binomial with ``a +
n_r`` and success probability ``(b + T_r) / (b + T_r + h)``. A region with no exposure (not yet
open) gets the population's predictive rate ``E[m]``.

References
----------
.. [1] C. L. Atwood et al., *Handbook of Parameter Estimation for Probabilistic Risk
   Assessment*, NUREG/CR-6823, U.S. Nuclear Regulatory Commission, 2003, chapter 8
   ("Parameter estimation using data from different sources": hierarchical Bayes, the
   gamma-Poisson model of rates across plants).
.. [2] A. Gelman et al., *Bayesian Data Analysis*, 3rd ed., CRC Press, 2013, section 5.3
   (hierarchical models on a grid of hyperparameters).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["GammaPoissonFit", "fit_gamma_poisson", "MEAN_RANGE", "SHAPE_RANGE"]

#: Range of the population mean rate on the grid. [1/yr] (one incident a millennium to a
#: hundred a year: wider than any region's evidence).
MEAN_RANGE = (1e-3, 1e2)
#: Range of the gamma shape on the grid. [-] (0.02: rates spread over orders of magnitude;
#: 1e4: regions equal to within about 1 %.)
SHAPE_RANGE = (2e-2, 1e4)
#: Grid points per hyperparameter.
GRID_POINTS = 161
#: Grid points whose posterior weight is below this share of the largest are dropped.
NEGLIGIBLE_WEIGHT = 1e-12


def _grid(log_m_range, log_a_range):
    """A ``GRID_POINTS`` x ``GRID_POINTS`` grid in (log m, log a) and each cell's log prior
    mass: uniform in log m; in log a the density 1/(1+a)^2 times the Jacobian a."""
    log_m = np.linspace(*log_m_range, GRID_POINTS)
    log_a = np.linspace(*log_a_range, GRID_POINTS)
    lm, la = (g.ravel() for g in np.meshgrid(log_m, log_a, indexing="ij"))
    return lm, la, la - 2 * np.log1p(np.exp(la))


def _log_posterior(lm, la, log_prior, count, exposure, multiplicity):
    """Log posterior (unnormalised) at grid points: the prior plus the sum over regions of
    log NB(n_r; a, b / (b + T_r)). Regions repeat the same (n, T), so the (grid x distinct
    pairs) array stays small."""
    from scipy.special import gammaln, xlog1py, xlogy
    a = np.exp(la)[:, None]
    b = np.exp(la - lm)[:, None]
    p = b / (b + exposure)
    terms = (gammaln(count + a) - gammaln(a) - gammaln(count + 1)
             + xlogy(a, p) + xlog1py(count, -p))
    return log_prior + terms @ multiplicity


def _neg_binomial_logpmf(k, shape, p):
    """log NegBin(k; shape, p) = log[Gamma(k+shape)/(Gamma(shape) k!) p^shape (1-p)^k],
    broadcast; ``p = 1`` gives the point mass at 0."""
    from scipy.special import gammaln, xlog1py, xlogy
    return (gammaln(k + shape) - gammaln(shape) - gammaln(k + 1)
            + xlogy(shape, p) + xlog1py(k, -p))


@dataclass(frozen=True)
class GammaPoissonFit:
    """The posterior of a gamma-Poisson model of rates across regions.

    Built by :func:`fit_gamma_poisson`. Arrays are per region, in the input order.

    Attributes
    ----------
    events : numpy.ndarray
        Incidents of each region in the period. [-]
    exposure_years : numpy.ndarray
        Years each region was observed (0 for a region not yet open). [yr]
    shape, rate : numpy.ndarray
        The hyperparameter grid points kept, ``a`` [-] and ``b`` [yr].
    weights : numpy.ndarray
        Their posterior probabilities (summing to 1).

    Examples
    --------
    >>> from plcapacity.outages.pooling import fit_gamma_poisson
    >>> fit = fit_gamma_poisson([0, 1, 4], [2.0, 2.0, 2.0])
    >>> means = fit.rate_mean()                  # [1/yr]
    >>> bool(means[0] > 0 and means[0] < means[1] < means[2] < 2.0)   # shrunk towards the mean
    True
    """

    events: np.ndarray
    exposure_years: np.ndarray
    shape: np.ndarray
    rate: np.ndarray
    weights: np.ndarray

    @property
    def population_mean(self) -> float:
        """Posterior mean of the population's mean rate ``E[a/b]``: the rate of a region with
        no exposure. [1/yr]"""
        return float(np.sum(self.weights * self.shape / self.rate))

    def population_interval(self, level=0.9) -> tuple[float, float]:
        """Equal-tailed posterior interval of the population's mean rate ``a/b``. [1/yr]"""
        mean = self.shape / self.rate
        order = np.argsort(mean)
        cumulative = np.cumsum(self.weights[order])
        tails = np.searchsorted(cumulative, [(1 - level) / 2, (1 + level) / 2])
        low, high = mean[order][np.minimum(tails, mean.size - 1)]
        return float(low), float(high)

    def rate_mean(self) -> np.ndarray:
        """Posterior mean rate of each region, ``E[(a + n) / (b + T)]``. [1/yr]"""
        post_shape = self.shape[:, None] + self.events
        post_rate = self.rate[:, None] + self.exposure_years
        return self.weights @ (post_shape / post_rate)

    def _distinct(self):
        """The distinct (events, exposure) pairs and, per region, the index of its pair:
        regions with equal evidence have equal posteriors, computed once."""
        pairs, inverse = np.unique(np.column_stack([self.events, self.exposure_years]),
                                   axis=0, return_inverse=True)
        return pairs[:, 0], pairs[:, 1], inverse.ravel()

    def rate_interval(self, level=0.9) -> tuple[np.ndarray, np.ndarray]:
        """Equal-tailed posterior interval of each region's rate. [1/yr]

        The mixture's distribution function is inverted by bisection on a log scale,
        vectorized over the distinct (events, exposure) pairs and both tails.
        """
        from scipy.special import gammainc
        events, exposure, inverse = self._distinct()
        post_shape = self.shape[:, None] + np.concatenate([events, events])
        post_rate = self.rate[:, None] + np.concatenate([exposure, exposure])
        tail = np.repeat([(1 - level) / 2, (1 + level) / 2], events.size)
        low, high = np.full(tail.size, 1e-9), np.full(tail.size, 1e4)
        for _ in range(40):  # bisection on log x: 2^-40 of 13 decades
            mid = np.sqrt(low * high)
            below = self.weights @ gammainc(post_shape, post_rate * mid) < tail
            low, high = np.where(below, mid, low), np.where(below, high, mid)
        x = np.sqrt(low * high)
        return x[:events.size][inverse], x[events.size:][inverse]

    def predictive_logpmf(self, counts, horizon_years) -> np.ndarray:
        """log P(a region has ``counts`` incidents in the next ``horizon_years``), per region
        (``counts`` and ``horizon_years`` [yr] one per region, or one for all).
        """
        counts = np.broadcast_to(np.asarray(counts, dtype=float), self.events.shape)
        horizon = np.broadcast_to(np.asarray(horizon_years, dtype=float), self.events.shape)
        keys = np.column_stack([self.events, self.exposure_years, counts, horizon])
        pairs, inverse = np.unique(keys, axis=0, return_inverse=True)
        events, exposure, k, h = pairs.T
        p = (self.rate[:, None] + exposure) / (self.rate[:, None] + exposure + h)
        logs = _neg_binomial_logpmf(k, self.shape[:, None] + events, p)
        top = logs.max(axis=0)
        return (top + np.log(self.weights @ np.exp(logs - top)))[inverse.ravel()]

    def predictive_interval(self, horizon_years, level=0.9) -> tuple[np.ndarray, np.ndarray]:
        """Central prediction interval of each region's count over ``horizon_years`` [yr]
        (one per region, or one for all): the smallest count whose predictive distribution
        function reaches ``(1 - level) / 2`` and the smallest that reaches ``(1 + level) /
        2``. [-]"""
        low_tail, high_tail = (1 - level) / 2, (1 + level) / 2
        n = self.events.size
        low, high = np.full(n, -1), np.full(n, -1)
        cdf = np.zeros(n)
        k = 0
        while (high < 0).any():  # counts 0, 1, 2 ...: a few dozen at the most
            cdf = cdf + np.exp(self.predictive_logpmf(np.full(n, k), horizon_years))
            low = np.where((low < 0) & (cdf >= low_tail), k, low)
            high = np.where((high < 0) & (cdf >= high_tail - 1e-12), k, high)
            k += 1
            if k > 100_000:
                raise RuntimeError("predictive_interval: the counts do not converge")
        return low, high


def fit_gamma_poisson(events, exposure_years) -> GammaPoissonFit:
    """Fit the gamma-Poisson model of rates across regions (hierarchical Bayes on a grid).

    Parameters
    ----------
    events : array_like of int
        Incidents of each region. [-]
    exposure_years : array_like of float
        Years each region was observed; 0 for a region that was not open. [yr]

    Returns
    -------
    GammaPoissonFit
        The posterior: per-region rates (:meth:`~GammaPoissonFit.rate_mean`, intervals) and
        predictive counts.

    Raises
    ------
    ValueError
        For negative or non-whole counts, negative exposures, a count with no exposure,
        arrays of different lengths, or no exposure at all.

    Notes
    -----
    The marginal likelihood of region ``r`` given ``(a, b)`` is negative binomial,
    ``NB(n_r; a, b / (b + T_r))``; the hyperparameters' posterior is that product times the
    hyperprior, on a ``161 x 161`` grid in ``(log m, log a)``.

    References
    ----------
    .. [1] NUREG/CR-6823, chapter 8 (see the module docstring).

    Examples
    --------
    >>> from plcapacity.outages.pooling import fit_gamma_poisson
    >>> fit = fit_gamma_poisson([3, 3, 3, 3], [1.0, 1.0, 1.0, 1.0])
    >>> round(fit.population_mean, 1)          # equal regions: about their common rate
    3.3
    """
    n = np.asarray(events, dtype=float)
    t = np.asarray(exposure_years, dtype=float)
    if n.ndim != 1 or t.shape != n.shape:
        raise ValueError(f"events and exposure_years must be 1-d and of one length; got "
                         f"shapes {n.shape} and {t.shape}")
    if not (np.isfinite(n).all() and (n >= 0).all() and (n == np.round(n)).all()):
        raise ValueError("events: whole numbers >= 0 are allowed")
    if not (np.isfinite(t).all() and (t >= 0).all()):
        raise ValueError("exposure_years: finite numbers >= 0 are allowed")
    if ((t == 0) & (n > 0)).any():
        raise ValueError("events: a region with no exposure (0 years) cannot have incidents")
    if t.sum() <= 0:
        raise ValueError("exposure_years: no region was observed (all exposures are 0)")
    pairs, multiplicity = np.unique(np.column_stack([n, t]), axis=0, return_counts=True)
    count, exposure = pairs[:, 0], pairs[:, 1]
    # Two passes: the whole hyperprior's box, then a grid as fine over the part of it that
    # holds the posterior (a posterior narrower than the first grid's cells, as with many
    # alike regions, is resolved by the second).
    box = ((np.log(MEAN_RANGE[0]), np.log(MEAN_RANGE[1])),
           (np.log(SHAPE_RANGE[0]), np.log(SHAPE_RANGE[1])))
    for _ in range(2):
        lm, la, log_prior = _grid(*box)
        log_post = _log_posterior(lm, la, log_prior, count, exposure, multiplicity)
        w = np.exp(log_post - log_post.max())
        keep = w >= NEGLIGIBLE_WEIGHT
        steps = [(hi - lo) / (GRID_POINTS - 1) for lo, hi in box]
        box = tuple((max(lo, g[keep].min() - step), min(hi, g[keep].max() + step))
                    for (lo, hi), g, step in zip(box, (lm, la), steps))
    w = w[keep] / w[keep].sum()
    a, b = np.exp(la), np.exp(la - lm)
    return GammaPoissonFit(n, t, a[keep], b[keep], w)
