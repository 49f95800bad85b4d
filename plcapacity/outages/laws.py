"""Outage duration laws: fixed, exponential, lognormal, empirical and generalized Pareto."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from plcapacity.base.validation import check_number

__all__ = ["DURATION_LAW_CLASSES", "EmpiricalDuration", "ExponentialDuration", "FixedDuration",
           "GeneralizedParetoDuration", "LognormalDuration", "MAX_OUTAGE_HOURS",
           "MINUTES_PER_YEAR", "duration_law", "law_toml"]


#: Minutes in a 365-day year: the calendar the availability model is defined on.
MINUTES_PER_YEAR = 365 * 24 * 60


_MINUTES_PER_HOUR = 60


#: Standard normal quantile at 0.95, to turn a (median, p95) pair into a lognormal sigma.
_Z95 = 1.6448536269514722  # scipy.stats.norm.ppf(0.95) (scipy not imported: import time)


#: Longest outage duration (parameter or mean) the model takes: a year. [h] A bound of the
#: model, not an Azure figure: longer "outages" are a region lost, and they would make the
#: simulated time axis overflow long before they made sense.
MAX_OUTAGE_HOURS = 8_760.0


def _positive(value, what):
    return check_number(value, what, 0, MAX_OUTAGE_HOURS, low_inclusive=False,
                        allowed=f"a positive number of hours, at most {MAX_OUTAGE_HOURS:,.0f} "
                                "(a year)")


@dataclass(frozen=True)
class FixedDuration:
    """Every outage lasts ``hours``."""

    hours: float

    def __post_init__(self):
        object.__setattr__(self, "hours", _positive(self.hours, "hours"))

    @property
    def mean_minutes(self) -> float:
        """Mean duration. [min]"""
        return self.hours * _MINUTES_PER_HOUR

    def sample(self, rng, n) -> np.ndarray:
        """``n`` durations. [min]"""
        return np.full(n, self.mean_minutes)

    def sample_residual(self, rng, n) -> np.ndarray:
        """Remaining durations of outages in progress at a random instant (equilibrium excess:
        a length-biased duration times a uniform fraction). [min]"""
        return rng.random(n) * self.mean_minutes

    def describe(self) -> str:
        return f"fixed {self.hours:g} h"


@dataclass(frozen=True)
class ExponentialDuration:
    """Exponentially distributed durations with mean ``mean_hours``."""

    mean_hours: float

    def __post_init__(self):
        object.__setattr__(self, "mean_hours", _positive(self.mean_hours, "mean_hours"))

    @property
    def mean_minutes(self) -> float:
        return self.mean_hours * _MINUTES_PER_HOUR

    def sample(self, rng, n):
        return rng.standard_exponential(n) * self.mean_minutes

    def sample_residual(self, rng, n):
        # Memoryless: the remaining time of an exponential outage is exponential again.
        return rng.standard_exponential(n) * self.mean_minutes

    def describe(self) -> str:
        return f"exponential, mean {self.mean_hours:g} h"


@dataclass(frozen=True)
class LognormalDuration:
    """Lognormal durations given by their median and 95th percentile (hours)."""

    median_hours: float
    p95_hours: float

    def __post_init__(self):
        median = _positive(self.median_hours, "median_hours")
        p95 = _positive(self.p95_hours, "p95_hours")
        if p95 <= median:
            raise ValueError(f"p95_hours={self.p95_hours!r} is not allowed: it must exceed "
                             f"median_hours={self.median_hours!r}")
        object.__setattr__(self, "median_hours", median)
        object.__setattr__(self, "p95_hours", p95)
        # the mean grows as exp(sigma^2 / 2): a wide spread can put it past any bound
        if self.mu + self.sigma ** 2 / 2 > math.log(MAX_OUTAGE_HOURS * _MINUTES_PER_HOUR):
            raise ValueError(
                f"median_hours={self.median_hours:g} with p95_hours={self.p95_hours:g} is not "
                f"allowed: their lognormal has a mean above {MAX_OUTAGE_HOURS:,.0f} h (a "
                "year); bring p95_hours closer to the median")

    @property
    def mu(self) -> float:
        """Mean of the log-duration (duration in minutes)."""
        return math.log(self.median_hours * _MINUTES_PER_HOUR)

    @property
    def sigma(self) -> float:
        """Standard deviation of the log-duration: ``ln(p95 / median) / z_0.95``."""
        return math.log(self.p95_hours / self.median_hours) / _Z95

    @property
    def mean_minutes(self) -> float:
        return math.exp(self.mu + self.sigma ** 2 / 2)

    def sample(self, rng, n):
        return np.exp(self.mu + self.sigma * rng.standard_normal(n))

    def sample_residual(self, rng, n):
        # The length-biased lognormal is lognormal with mu + sigma^2; times a uniform fraction.
        biased = np.exp(self.mu + self.sigma ** 2 + self.sigma * rng.standard_normal(n))
        return rng.random(n) * biased

    def describe(self) -> str:
        return f"lognormal, median {self.median_hours:g} h, p95 {self.p95_hours:g} h"


@dataclass(frozen=True)
class EmpiricalDuration:
    """Durations drawn with equal probability from observed ``hours`` (such as past incidents)."""

    hours: tuple

    def __post_init__(self):
        raw = self.hours if isinstance(self.hours, (list, tuple, np.ndarray)) else [self.hours]
        values = tuple(_positive(h.item() if isinstance(h, np.generic) else h, f"hours[{i}]")
                       for i, h in enumerate(raw))
        if not values:
            raise ValueError("hours=[] is not allowed: give at least one observed duration")
        object.__setattr__(self, "hours", values)

    @property
    def _minutes(self):
        return np.asarray(self.hours) * _MINUTES_PER_HOUR

    @property
    def mean_minutes(self) -> float:
        return float(self._minutes.mean())

    def sample(self, rng, n):
        return self._minutes[rng.integers(0, len(self.hours), n)]

    def sample_residual(self, rng, n):
        minutes = self._minutes
        biased = rng.choice(minutes, size=n, p=minutes / minutes.sum())
        return rng.random(n) * biased

    def describe(self) -> str:
        return f"empirical, {len(self.hours)} observations, mean {self.mean_minutes / 60:g} h"


@dataclass(frozen=True)
class GeneralizedParetoDuration:
    """Generalized Pareto durations (heavy-tailed for ``shape > 0``), location 0.

    ``P(D > x) = (1 + shape * x / scale) ** (-1 / shape)`` (``exp(-x / scale)`` at
    ``shape = 0``), the law of excesses over a threshold (Pickands-Balkema-de Haan).

    Parameters
    ----------
    shape : float
        Tail index ``xi``: ``0`` exponential, ``> 0`` heavier tails. Must be below 1 (a finite
        mean, which the availability model needs). [-]
    scale_hours : float
        Scale ``sigma``. [h]

    Notes
    -----
    Mean ``scale / (1 - shape)``. The remaining time of an outage in progress at a random
    instant (the equilibrium excess law, density ``P(D > x) / E[D]``) is again generalized
    Pareto, with shape ``xi / (1 - xi)`` and scale ``sigma / (1 - xi)``.

    References
    ----------
    .. [1] J. Pickands, "Statistical inference using extreme order statistics", Annals of
       Statistics 3(1), 1975. ``scipy.stats.genpareto`` uses the same parametrization.
    """

    shape: float
    scale_hours: float

    def __post_init__(self):
        shape = check_number(self.shape, "shape", high=1, high_inclusive=False,
                             allowed="a number below 1 (at shape >= 1 the mean duration is "
                                     "infinite, so no steady-state availability exists)")
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "scale_hours", _positive(self.scale_hours, "scale_hours"))
        if self.mean_minutes > MAX_OUTAGE_HOURS * _MINUTES_PER_HOUR:
            raise ValueError(f"shape={shape:g} with scale_hours={self.scale_hours:g} is not "
                             f"allowed: the mean duration is above {MAX_OUTAGE_HOURS:,.0f} h "
                             "(a year)")

    @property
    def mean_minutes(self) -> float:
        """Mean duration ``scale / (1 - shape)``. [min]"""
        return self.scale_hours * _MINUTES_PER_HOUR / (1 - self.shape)

    @staticmethod
    def _draw(rng, n, shape, scale):
        # Inverse CDF: x = scale ((1 - u)^-xi - 1) / xi, i.e. scale * expm1(xi E) / xi with
        # E = -ln(1 - u) standard exponential (and scale * E at xi = 0).
        e = rng.standard_exponential(n)
        if shape == 0:
            return scale * e
        return scale * np.expm1(shape * e) / shape

    def sample(self, rng, n):
        """``n`` durations. [min]"""
        return self._draw(rng, n, self.shape, self.scale_hours * _MINUTES_PER_HOUR)

    def sample_residual(self, rng, n):
        """Remaining durations of outages in progress at a random instant. [min]"""
        shape = self.shape / (1 - self.shape)
        return self._draw(rng, n, shape, self.scale_hours * _MINUTES_PER_HOUR / (1 - self.shape))

    def describe(self) -> str:
        return (f"generalized Pareto, shape {self.shape:g}, scale {self.scale_hours:g} h, "
                f"mean {self.mean_minutes / 60:g} h")


DURATION_LAW_CLASSES = {
    "fixed": (FixedDuration, ("hours",)),
    "exponential": (ExponentialDuration, ("mean_hours",)),
    "lognormal": (LognormalDuration, ("median_hours", "p95_hours")),
    "empirical": (EmpiricalDuration, ("hours",)),
    "gpd": (GeneralizedParetoDuration, ("shape", "scale_hours")),
}


def duration_law(spec, *, where="duration"):
    """Build a duration law from a mapping such as ``{"law": "fixed", "hours": 4}``.

    Parameters
    ----------
    spec : dict or duration law
        ``law`` is one of ``fixed`` (``hours``), ``exponential`` (``mean_hours``),
        ``lognormal`` (``median_hours``, ``p95_hours``), ``empirical`` (``hours``, a list) or
        ``gpd`` (generalized Pareto: ``shape`` below 1, ``scale_hours``).
    where : str
        Where the spec comes from, for error messages.

    Returns
    -------
    duration law
        A frozen object with ``mean_minutes`` [min], ``describe()`` (text) and a sampler; one
        of ``FixedDuration``, ``ExponentialDuration``, ``LognormalDuration``,
        ``EmpiricalDuration`` or ``GeneralizedParetoDuration``. A law passed in is returned as
        is.

    Raises
    ------
    ValueError
        For an unknown law, a missing or unknown key, or a value the law refuses (durations
        must be positive [h], at most ``MAX_OUTAGE_HOURS``).

    References
    ----------
    .. [1] Azure status history (the incidents behind the evidence profile),
       https://azure.status.microsoft/status/history/
    .. [2] SLA for Azure Private Link (99.99 % monthly uptime, service credits),
       https://azure.microsoft.com/support/legal/sla/private-link/v1_0/

    Examples
    --------
    >>> from plcapacity.outages import duration_law
    >>> law = duration_law({"law": "lognormal", "median_hours": 2, "p95_hours": 12})
    >>> law.describe(), round(law.mean_minutes / 60, 2)    # mean [h]
    ('lognormal, median 2 h, p95 12 h', 3.62)
    >>> duration_law({"law": "fixed", "hours": 4})
    FixedDuration(hours=4.0)
    """
    if isinstance(spec, tuple(law for law, _ in DURATION_LAW_CLASSES.values())):
        return spec
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: expected a table such as {{ law = \"fixed\", hours = 4 }}, "
                         f"got {spec!r}")
    law = spec.get("law")
    if law not in DURATION_LAW_CLASSES:
        raise ValueError(f"{where}: law={law!r} is not allowed: one of {', '.join(DURATION_LAW_CLASSES)}")
    cls, keys = DURATION_LAW_CLASSES[law]
    unknown = set(spec) - {"law", *keys}
    missing = [k for k in keys if k not in spec]
    if unknown or missing:
        problem = (f"unknown key(s) {', '.join(sorted(unknown))}" if unknown
                   else f"missing {', '.join(missing)}")
        raise ValueError(f"{where}: {problem}; law {law!r} takes {', '.join(keys)}")
    try:
        return cls(*(spec[k] for k in keys))
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def law_toml(law) -> str:
    """A duration law as an inline TOML table, such as ``{ law = "fixed", hours = 4.0 }``:
    what :func:`duration_law` reads back to an equal law (floats in Python's shortest
    round-trip form)."""
    for name, (cls, keys) in DURATION_LAW_CLASSES.items():
        if type(law) is cls:
            parts = [f'law = "{name}"']
            for key in keys:
                value = getattr(law, key)
                if isinstance(value, tuple):
                    parts.append(f"{key} = [{', '.join(repr(float(v)) for v in value)}]")
                else:
                    parts.append(f"{key} = {float(value)!r}")
            return "{ " + ", ".join(parts) + " }"
    raise ValueError(f"duration law {law!r} has no TOML form")
