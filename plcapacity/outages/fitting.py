"""Outage models fitted to evidence: incident lists in, an :class:`OutageModel` out.

:func:`fit_outages` turns a list of incidents (``start``, ``end`` in UTC and a ``location``)
into the outage model of :mod:`plcapacity.outages`: a Poisson rate per region and per
correlated group, each with an exact 95 % interval, and a duration law fitted by maximum
likelihood. :func:`outage_profile` names ready-made models, among them one fitted to the Azure
status history of 2018-2019 shipped in ``data/outages/``.

How incidents become processes
------------------------------
Locations. A ``location`` is read, after the alias table ``data/outages/location_aliases.csv``
(non-standard spellings of the shipped data, such as incident titles in the location column,
with the reason for each), as one of:

- a region, by display name ("West Europe", "West US 2") or catalog name ("westeurope"):
  matched by lower-casing and removing spaces, then checked against ``data/regions.csv``;
- several regions or geographies joined by " / ", "/" or " and " ("UK South / UK West",
  "West India and South India"): a **correlated group** over the union of their regions. The
  group is identified by its set of regions, so "UK West and UK South" is the same group;
- a geography of ``data/regions.csv`` ("Europe", "United States"): a correlated group over every
  catalog region of that geography (today's catalog: regions opened after the incident count
  too, which makes the group wider, not rarer);
- "Multi-region" (or "global"): **not attributed**. Such a row names no region, and most are
  one service's control plane (Portal, Active Directory, DevOps) rather than a region's data
  path; a group over every region would cap every deployment's availability at a rate the data
  cannot attribute to any region. They are counted in :attr:`OutageFit.table` (kind
  ``"not attributed"``) so that the count stays visible, and left out of the model.
- an alias mapped to nothing (the shipped aliases do so for Azure Government, a separate cloud
  with no regions in the catalog): left out, and listed in :attr:`OutageFit.excluded`.

Any other location is an error naming the row.

Duplicates. Rows of the same location (the same region, or the same set of regions) whose
intervals overlap or touch are one incident: the merged incident runs from the earliest start
to the latest end (the union of the intervals). Rows of different locations are never merged:
a region's own incident and a group's incident at the same time stay two events.

Rates. Incidents are counted by their (merged) start within ``period``; the exposure of each
process is the length of the period in 365-day years. A region with at least one event of its
own gets its own rate ``events / exposure``; every other region gets the *pooled* rate:
the events of all regions under observation (``regions``) over ``len(regions) x exposure``.
Each rate carries the exact (Garwood) Poisson interval. A group's rate is its own events over
the exposure. By default the regions under observation are those with an incident of their
own, so the pooled rate is the mean over regions that had incidents: biased upwards
(conservative); pass ``regions`` (the regions that existed) for the unbiased pooled rate.

Durations. One law for every process, fitted by maximum likelihood to the durations of the
events in the model (hours): exponential, lognormal and generalized Pareto (location 0,
heavy-tailed); the law with the smallest AICc whose mean is finite is chosen.

What the data support. A status-page incident is a *service* impaired in a location, not a
whole region down, so rates of incidents are an upper bound on rates of region outages. A model
fitted to them is an evidence-based, **conservative** assumption (it overstates
unavailability), and is flagged as such in :func:`outage_profiles`.

The shipped data, the decisions above and measured figures: ``docs/outage-evidence.md``.

References
----------
.. [1] Azure status history, https://azure.status.microsoft/status/history/ (collected by the
   Cloud Uptime Archive, https://github.com/atlarge-research/cloud-uptime-archive; see
   ``data/outages/README.md`` for provenance, license and limits).
.. [2] F. Garwood, "Fiducial limits for the Poisson distribution", Biometrika 28, 1936.
.. [3] H. Akaike, "A new look at the statistical model identification", IEEE Trans.
   Automatic Control 19(6), 1974.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from plcapacity.base.exceptions import ModelWarning
from plcapacity.base.regions import check_region, region_catalog
from plcapacity.outages.incidents import merge_duplicates, read_incidents
from plcapacity.outages.laws import (
    MINUTES_PER_YEAR,
    ExponentialDuration,
    GeneralizedParetoDuration,
    LognormalDuration,
    law_toml,
)
from plcapacity.outages.locations import MULTI_REGION, alias_table, parse_location_in
from plcapacity.outages.pooling import fit_gamma_poisson
from plcapacity.outages.processes import OutageGroup, OutageModel
from plcapacity.outages.relevance import (
    RELEVANCE_CLASSES,
    RELEVANCE_FILE,
    UNKNOWN,
    relevance_of,
    wanted_relevance,
)

__all__ = ["OutageFit", "fit_outages", "fit_durations", "garwood_interval", "DURATION_LAWS"]

#: Duration laws :func:`fit_durations` can fit, by the name ``duration_law`` uses.
DURATION_LAWS = ("exponential", "lognormal", "gpd")
_SECONDS_PER_YEAR = MINUTES_PER_YEAR * 60
_Z95 = 1.6448536269514722  # scipy.stats.norm.ppf(0.95) (scipy imported where used)


# ----------------------------------------------------------------------------- incidents


# ----------------------------------------------------------------------------- durations


def _fit_one(law, hours):
    """(parameters dict, frozen scipy distribution, engine law or None, note)."""
    from scipy import stats  # imported where used (import time of plcapacity)

    if law == "exponential":
        mean = float(hours.mean())
        return ({"mean_hours": mean}, stats.expon(scale=mean), ExponentialDuration(mean), "")
    if law == "lognormal":
        logs = np.log(hours)
        mu, sigma = float(logs.mean()), float(logs.std())
        if not sigma > 0:
            return ({"mu_log_hours": mu, "sigma_log_hours": sigma}, None, None,
                    "all durations equal: no lognormal spread")
        median, p95 = math.exp(mu), math.exp(mu + _Z95 * sigma)
        return ({"median_hours": median, "p95_hours": p95},
                stats.lognorm(sigma, scale=median), LognormalDuration(median, p95), "")
    shape, scale = _gpd_fit(hours)
    dist = stats.genpareto(shape, scale=scale)
    if shape >= 1:
        return ({"shape": shape, "scale_hours": scale}, dist, None,
                "shape >= 1: infinite mean, not usable")
    return ({"shape": shape, "scale_hours": scale}, dist,
            GeneralizedParetoDuration(shape, scale), "")


#: Smallest generalized Pareto shape fitted: maximum likelihood is regular (asymptotically
#: normal) above -1/2 (Smith 1985); below -1 the likelihood has no maximum at all (it grows
#: without bound as the law's upper end closes on the longest observation).
GPD_MIN_SHAPE = -0.5


def _gpd_fit(hours) -> tuple[float, float]:
    """Maximum likelihood (shape, scale [h]) of a generalized Pareto law with location 0,
    the shape held to ``>= GPD_MIN_SHAPE``: where the unrestricted fit falls below, the
    maximum over the scale at the bound (the likelihood is then largest on the boundary)."""
    from scipy import optimize, stats

    shape, _, scale = stats.genpareto.fit(hours, floc=0)
    if shape >= GPD_MIN_SHAPE:
        return float(shape), float(scale)
    top = float(hours.max())
    # At shape -1/2 the upper end is 2 * scale, which must exceed every duration.
    low = math.log(top * -GPD_MIN_SHAPE)

    def negative_log_likelihood(log_scale):
        return -float(stats.genpareto.logpdf(hours, GPD_MIN_SHAPE,
                                             scale=math.exp(log_scale)).sum())

    found = optimize.minimize_scalar(negative_log_likelihood, bounds=(low, low + math.log(1e4)),
                                     method="bounded", options={"xatol": 1e-10})
    return GPD_MIN_SHAPE, math.exp(found.x)


_N_PARAMETERS = {"exponential": 1, "lognormal": 2, "gpd": 2}


def fit_durations(hours, laws=DURATION_LAWS) -> tuple[pd.DataFrame, object]:
    """Fit duration laws by maximum likelihood and choose one by AICc.

    Parameters
    ----------
    hours : array_like
        Observed durations, all positive. [h]
    laws : sequence of str
        Among ``"exponential"``, ``"lognormal"`` and ``"gpd"`` (generalized Pareto, location
        0).

    Returns
    -------
    table : pandas.DataFrame
        One row per law: ``law``; ``parameters`` (dict, in the units of :func:`duration_law`);
        ``n`` observations; ``mean_hours`` [h]; ``log_likelihood`` (durations in hours);
        ``aic`` = 2 k - 2 ln L; ``aicc`` = AIC + 2 k (k + 1) / (n - k - 1) (infinite where
        ``n <= k + 1``; with two durations, where every law's is, AIC chooses);
        ``delta_aicc`` (0 for the best); ``ks_statistic`` and
        ``ks_pvalue`` (Kolmogorov-Smirnov against the fitted law; the p-value is optimistic
        because the parameters come from the same data); ``usable`` (a finite mean);
        ``chosen``; ``note``.
    law : duration law
        The chosen law (smallest AICc among the usable ones).

    Notes
    -----
    MLEs: exponential mean = sample mean; lognormal mu, sigma = mean and (population) standard
    deviation of the log-durations, reported as median ``e^mu`` and p95 ``e^(mu + 1.645
    sigma)``; generalized Pareto with location 0 and shape at least ``GPD_MIN_SHAPE`` (-1/2),
    where maximum likelihood is regular: with a handful of durations an unrestricted fit
    puts the law's upper end at the longest one observed (no outage could last longer).
    AICc, the small-sample correction of AIC (Hurvich and Tsai 1989), keeps two-parameter laws
    from winning on a handful of durations; it tends to AIC as ``n`` grows.

    References
    ----------
    .. [1] R. L. Smith, "Maximum likelihood estimation in a class of nonregular cases",
       Biometrika 72(1), 1985.
    .. [2] C. M. Hurvich and C.-L. Tsai, "Regression and time series model selection in small
       samples", Biometrika 76(2), 1989.
    """
    hours = np.asarray(hours, dtype=float)
    if hours.ndim != 1 or hours.size < 2 or not np.all(np.isfinite(hours) & (hours > 0)):
        raise ValueError(f"durations: {hours.size} value(s) given; at least 2 positive, finite "
                         "durations (hours) are needed to fit a law")
    laws = (laws,) if isinstance(laws, str) else tuple(laws)
    unknown = [law for law in laws if law not in DURATION_LAWS]
    if unknown or not laws:
        raise ValueError(f"duration_laws={list(laws)!r} is not allowed: one or more of "
                         f"{', '.join(DURATION_LAWS)}")
    from scipy import stats  # imported where used (import time of plcapacity)

    rows, engine = [], {}
    for law in dict.fromkeys(laws):
        parameters, dist, built, note = _fit_one(law, hours)
        engine[law] = built
        if dist is None:
            ll, ks = -math.inf, (math.nan, math.nan)
        else:
            ll = float(dist.logpdf(hours).sum())
            test = stats.kstest(hours, dist.cdf)
            ks = (float(test.statistic), float(test.pvalue))
        rows.append({"law": law, "parameters": parameters, "n": hours.size,
                     "mean_hours": (built.mean_minutes / 60 if built is not None else math.inf),
                     "log_likelihood": ll, "aic": 2 * _N_PARAMETERS[law] - 2 * ll,
                     "aicc": _aicc(ll, _N_PARAMETERS[law], hours.size),
                     "ks_statistic": ks[0], "ks_pvalue": ks[1], "usable": built is not None,
                     "note": note})
    table = pd.DataFrame(rows)
    table["delta_aicc"] = table["aicc"] - table["aicc"].min()
    usable = table[table["usable"]]
    criterion = "aicc" if np.isfinite(usable["aicc"]).any() else "aic"  # n too small: AIC
    if usable.empty:
        raise ValueError(f"durations: none of {', '.join(laws)} gives a usable law "
                         f"({'; '.join(table['note'])}); add 'lognormal' or 'exponential'")
    best = usable[criterion].idxmin()
    table["chosen"] = table.index == best
    columns = ["law", "parameters", "n", "mean_hours", "log_likelihood", "aic", "aicc",
               "delta_aicc", "ks_statistic", "ks_pvalue", "usable", "chosen", "note"]
    return table[columns], engine[table.at[best, "law"]]


def _aicc(log_likelihood, k, n) -> float:
    """AICc = -2 ln L + 2 k + 2 k (k + 1) / (n - k - 1); infinite where n <= k + 1."""
    if n <= k + 1:
        return math.inf
    return -2 * log_likelihood + 2 * k + 2 * k * (k + 1) / (n - k - 1)


# ----------------------------------------------------------------------------- rates


def garwood_interval(events, exposure_years, level=0.95):
    """Exact (Garwood) interval of a Poisson rate. [1/yr]

    ``low = chi2.ppf(a/2, 2n) / (2T)`` (0 for n = 0), ``high = chi2.ppf(1 - a/2, 2n + 2) /
    (2T)`` with ``a = 1 - level``; vectorized over ``events``.
    """
    from scipy import stats  # imported where used (import time of plcapacity)

    n = np.asarray(events, dtype=float)
    alpha = 1 - level
    low = np.where(n > 0, stats.chi2.ppf(alpha / 2, 2 * np.maximum(n, 1)) / 2, 0.0)
    high = stats.chi2.ppf(1 - alpha / 2, 2 * n + 2) / 2
    return low / exposure_years, high / exposure_years


def _timestamp(value, what):
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise ValueError(f"period: {what}={value!r} is not a date (such as \"2018-01-01\")")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


#: Earliest start of a fit period: the first whole year pandas' timestamps hold (a period
#: before the incidents listed is only warned about: synthetic histories go back centuries).
EARLIEST_PERIOD = pd.Timestamp("1678-01-01", tz="UTC")
#: A stretch of the period before the first or after the last incident listed is warned about
#: when the list's own rate makes it this unlikely (no incident in it): a list that stops
#: before the period ends (or starts after it begins) would otherwise pass its silence off as
#: a quiet time. [-] (0.1 %: 6.9 expected incidents missing)
QUIET_CHANCE = 0.001


def _period(period, frame):
    if period is None:
        return frame["start"].min(), frame["end"].max()
    if not isinstance(period, (list, tuple)) or len(period) != 2:
        raise ValueError(f"period={period!r} is not allowed: a pair (start, end) such as "
                         "(\"2018-01-01\", \"2020-01-01\")")
    begin, end = _timestamp(period[0], "start"), _timestamp(period[1], "end")
    if end <= begin:
        raise ValueError(f"period={period!r} is not allowed: the end must be after the start")
    now = pd.Timestamp.now(tz="UTC")
    for what, stamp in (("start", begin), ("end", end)):
        if not EARLIEST_PERIOD <= stamp <= now.floor("D") + pd.Timedelta(days=1):
            raise ValueError(
                f"period: {what}={period[0 if what == 'start' else 1]!r} is not allowed: a "
                f"date from {EARLIEST_PERIOD:%Y-%m-%d} to today ({now:%Y-%m-%d}): outages "
                "after today cannot have been observed, and counting those years as quiet "
                "would lower every rate")
    inside = frame[(frame["start"] >= begin) & (frame["start"] < end)]
    if len(inside):
        first, last = inside["start"].min(), inside["start"].max()
        per_day = len(inside) / max((end - begin).total_seconds() / 86_400, 1.0)
        for gap, where, edge in (((first - begin).total_seconds() / 86_400, "starts",
                                  f"before the first incident listed ({first:%Y-%m-%d})"),
                                 ((end - last).total_seconds() / 86_400, "ends",
                                  f"after the last incident listed ({last:%Y-%m-%d})")):
            if math.exp(-per_day * gap) < QUIET_CHANCE:
                warnings.warn(
                    f"the period {where} {gap / 365:.1f} years {edge}, a silence the list's "
                    f"own rate ({per_day * 365:.3g} incidents a year) makes unlikely: if the "
                    "list does not cover those years, they count as observed without "
                    "incidents, which lowers the rates; give a period within it",
                    ModelWarning, stacklevel=3)
    return begin, end


# ----------------------------------------------------------------------------- the fit


@dataclass(frozen=True)
class OutageFit:
    """The result of :func:`fit_outages`.

    Parameters
    ----------
    model, table, durations, events, excluded, period, exposure_years
        As the attributes; built by :func:`fit_outages`, not by hand.

    Attributes
    ----------
    model : OutageModel
        Per-region rates (own where a region has events, pooled otherwise), the groups, and the
        chosen duration law for every process.
    table : pandas.DataFrame
        One row per process and the pooled rate: ``kind`` (``region``, ``group``, ``pooled``
        or ``not attributed``), ``name``, ``regions`` (space-separated catalog names),
        ``events``, ``exposure_years`` [yr], ``rate_per_year`` (MLE ``events / exposure``)
        [1/yr], ``rate_low`` and ``rate_high`` (exact 95 % Poisson interval) [1/yr],
        ``in_model`` (bool) and ``note``.
    durations : pandas.DataFrame
        The candidate laws (see :func:`fit_durations`); ``chosen`` marks the one in the model.
    events : pandas.DataFrame
        The merged incidents in the period: ``kind``, ``name``, ``regions``, ``start``,
        ``end``, ``hours``, ``rows_merged``, ``row`` (the first input row).
    excluded : pandas.DataFrame
        Input rows left out (``row``, ``location``, ``reason``).
    period : tuple of pandas.Timestamp
    exposure_years : float
        Length of the period. [yr]
    services : str
        Which incidents were counted: ``"all incidents"``, or the relevance classes selected
        (``"data_path"``).
    unclassified_services : tuple of str
        Service names the relevance table does not know (counted as data path).
    rates : str
        The rate estimator: ``"gamma-poisson"`` or ``"own-or-pooled"``.
    posterior : GammaPoissonFit or None
        With ``rates="gamma-poisson"``: the model's posterior over the regions of ``table``'s
        ``region`` rows, in their order (:mod:`plcapacity.outages.pooling`).

    References
    ----------
    .. [1] Azure status history (the incidents behind the evidence profile),
       https://azure.status.microsoft/status/history/

    Examples
    --------
    >>> import plcapacity as plc
    >>> fit = plc.outage_profile_fit("azure-status-2018-2020")
    >>> fit.exposure_years, round(fit.model.rate_per_year, 3)   # [yr], pooled rate [1/yr]
    (2.0, 2.167)
    >>> fit.durations.loc[fit.durations.chosen, "law"].tolist()
    ['exponential']
    """

    model: OutageModel
    table: pd.DataFrame
    durations: pd.DataFrame
    events: pd.DataFrame
    excluded: pd.DataFrame
    period: tuple
    exposure_years: float
    services: str = "all incidents"
    unclassified_services: tuple = ()
    rates: str = "own-or-pooled"
    posterior: object = None

    def __repr__(self) -> str:
        in_model = self.table[self.table["in_model"] & (self.table["kind"] != "pooled")]
        begin, end = (p.strftime("%Y-%m-%d") for p in self.period)
        return (f"OutageFit({int(in_model['events'].sum())} incidents from {begin} to {end}, "
                f"{len(self.model.regions)} regions with own rates, "
                f"{len(self.model.groups)} groups, pooled rate "
                f"{self.model.rate_per_year:.3g}/yr, durations {self.duration.describe()})")

    @property
    def duration(self):
        """The chosen duration law."""
        return self.model.duration

    @property
    def duration_hours(self) -> np.ndarray:
        """Durations the law was fitted to. [h]"""
        return self.events.loc[self.events["in_model"], "hours"].to_numpy()

    def to_toml(self) -> str:
        """The model as an ``[outages]`` section of a deployment file.

        :func:`plcapacity.load_deployment` reads it back to an equal model (floats are written
        with Python's shortest round-trip representation).
        """
        law = law_toml(self.model.duration)
        begin, end = (p.strftime("%Y-%m-%d %H:%M") for p in self.period)
        chosen = self.durations.loc[self.durations["chosen"], "law"].iloc[0]
        in_model = self.table[self.table["in_model"] & (self.table["kind"] != "pooled")]
        lines = [
            f"# Fitted by plcapacity.fit_outages: {int(in_model['events'].sum())} incidents "
            f"from {begin} to {end} UTC ({self.exposure_years:.4g} years).",
            f"# Incidents counted: {self.services}."
            + (" Rates of service incidents: an upper bound on region outages (conservative)."
               if self.services == "all incidents" else ""),
            f"# Durations: {chosen} (smallest AICc of {', '.join(self.durations['law'])}).",
            "[outages]",
            f"rate_per_year = {_float(self.model.rate_per_year)}  # "
            + ("the population's mean rate: regions not listed below"
               if self.rates == "gamma-poisson"
               else "pooled over the regions without events of their own"),
            f"duration = {law}",
        ]
        for region, (rate, duration) in sorted(self.model.regions.items()):
            lines += ["", f"[outages.regions.{region}]", f"rate_per_year = {_float(rate)}"]
            if duration != self.model.duration:
                lines.append(f"duration = {law_toml(duration)}")
        for group in self.model.groups:
            lines += ["", "[[outages.groups]]", f"name = {json.dumps(group.name)}",
                      f"regions = [{', '.join(json.dumps(r) for r in group.regions)}]",
                      f"rate_per_year = {_float(group.rate_per_year)}",
                      f"duration = {law_toml(group.duration)}"]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict:
        """The fit as plain data (for JSON): period, rates, durations and the TOML section."""
        table = self.table.copy()
        durations = self.durations.copy()
        durations = durations.replace([np.inf, -np.inf], None)
        return {"period": [p.isoformat() for p in self.period],
                "services": self.services,
                "unclassified_services": list(self.unclassified_services),
                "exposure_years": self.exposure_years,
                "rates": json.loads(table.to_json(orient="records")),
                "durations": json.loads(durations.to_json(orient="records")),
                "chosen_law": str(self.durations.loc[self.durations["chosen"], "law"].iloc[0]),
                "excluded_rows": len(self.excluded),
                "toml": self.to_toml()}


def _float(value) -> str:
    return repr(float(value))


def fit_outages(incidents, *, period=None, regions=None, duration_laws=DURATION_LAWS,
                aliases=None, services=None, rates="gamma-poisson") -> OutageFit:
    """Fit an outage model (rates per region and group, a duration law) to incidents.

    Parameters
    ----------
    incidents : pandas.DataFrame or str or path-like
        ``start``, ``end`` (UTC) and ``location`` per incident (see :func:`read_incidents`;
        ``start_utc``/``end_utc`` are accepted too). Locations: see the module docstring.
    period : tuple, optional
        ``(start, end)`` of the observation window (dates or timestamps, UTC). Incidents are
        counted by start within ``[start, end)``. Default: the first start to the last end.
    regions : sequence of str, optional
        Regions under observation (catalog names): the population the rates are pooled over,
        and the regions whose own incidents count. Default with ``rates="gamma-poisson"``:
        every catalog region open during the period, each observed from its opening
        (``opened`` in ``data/regions.csv``) to the period's end. Default with
        ``rates="own-or-pooled"``: every region with an incident of its own in the period (the
        pooled rate is then the mean over regions that had incidents: biased upwards).
    duration_laws : sequence of str
        Candidate duration laws (see :func:`fit_durations`).
    aliases : dict, optional
        Extra location aliases on top of ``data/outages/location_aliases.csv``.
    services : None, str or sequence of str, optional
        Which incidents count, by the relevance of their service
        (:mod:`plcapacity.outages.relevance`): ``"data_path"`` for the incidents that can
        impair a private endpoint's path to its PLS, ``"control_plane"``, ``"unrelated"``,
        several joined by ``","``, or ``"all"``. Default ``None``: every incident, whatever
        its service. With a filter the incidents need a ``service_name`` column; a service
        name the classification does not know is counted as ``data_path`` (conservative) and
        reported in ``.unclassified_services`` and a :class:`~plcapacity.ModelWarning`.
    rates : {"gamma-poisson", "own-or-pooled"}
        How each region's rate is estimated. ``"gamma-poisson"`` (default): a hierarchical
        gamma-Poisson model across the regions under observation
        (:mod:`plcapacity.outages.pooling`): every region's rate is its posterior mean, which
        borrows strength from the others, and a region with no incident gets the population's
        posterior rather than zero or an average of the regions that had incidents.
        ``"own-or-pooled"``: a region's own count over the period where it has one, the mean
        over the regions under observation otherwise (plcapacity 0.1's estimator).

    Returns
    -------
    OutageFit
        ``.model``, ``.table``, ``.durations``, ``.events``, ``.excluded``, ``.to_toml()``.

    Raises
    ------
    ValueError
        For bad incidents (naming the row), unknown locations, a bad period or regions, or
        fewer than 2 incidents to fit.

    Notes
    -----
    A region's own rate is the MLE ``n / T`` with the exact 95 % interval ``[chi2(0.025; 2n) /
    2T, chi2(0.975; 2n + 2) / 2T]`` (``own_rate``, ``own_rate_low``, ``own_rate_high`` in
    ``.table``). With ``rates="gamma-poisson"``, ``rate_per_year`` is the posterior mean and
    ``rate_low``/``rate_high`` the 95 % posterior interval; with ``"own-or-pooled"`` they are
    the own figures, or the pooled rate ``sum n_r / sum T_r`` and its exact interval.

    Examples
    --------
    >>> import pandas as pd, plcapacity as plc
    >>> incidents = pd.DataFrame({
    ...     "start": ["2019-01-01 00:00", "2019-03-01 00:00", "2019-06-01 00:00"],
    ...     "end":   ["2019-01-01 02:00", "2019-03-01 05:00", "2019-06-01 01:00"],
    ...     "location": ["West Europe", "West Europe", "North Europe"]})
    >>> fit = plc.fit_outages(incidents, period=("2019-01-01", "2020-01-01"),
    ...                       rates="own-or-pooled")
    >>> fit.table[["name", "events", "rate_per_year"]].values.tolist()
    [['northeurope', 1, 1.0], ['westeurope', 2, 2.0], ['pooled', 3, 1.5]]
    >>> fit.model.regions["westeurope"][0], fit.model.rate_per_year
    (2.0, 1.5)
    >>> pooled = plc.fit_outages(incidents, period=("2019-01-01", "2020-01-01"))
    >>> bool(pooled.model.regions["westeurope"][0] < 2.0)   # shrunk towards the population
    True
    """
    frame = read_incidents(incidents)
    frame, excluded_services, unclassified = _select_services(frame, services)
    begin, end = _period(period, frame)
    exposure = (end - begin).total_seconds() / _SECONDS_PER_YEAR
    table = alias_table(aliases)
    first = frame.drop_duplicates("location")
    parsed = {loc: parse_location_in(loc, table, where)  # a loop over distinct locations only
              for loc, where in zip(first["location"], first["row"])}
    kind = frame["location"].map(lambda loc: parsed[loc][0])
    excluded = pd.concat([excluded_services, frame.loc[kind == "excluded", ["row", "location"]]
                          .assign(reason="alias maps to nothing (not in the region catalog)")],
                         ignore_index=True)
    frame = frame[kind != "excluded"].assign(
        kind=kind[kind != "excluded"],
        regions=frame["location"].map(lambda loc: parsed[loc][2]))
    frame["key"] = np.where(frame["kind"] == "not attributed", MULTI_REGION,
                            frame["regions"].map(" ".join))
    names = {}
    for k, name, regs in parsed.values():  # the first spelling met names the group
        if k in ("region", "group"):
            names.setdefault(" ".join(regs), name)
    merged = merge_duplicates(frame)
    inside = (merged["start"] >= begin) & (merged["start"] < end)
    outside = merged.loc[~inside]
    if len(outside):
        excluded = pd.concat([excluded, outside[["row", "location"]].assign(
            reason="starts outside the period")], ignore_index=True)
    merged = merged.loc[inside].reset_index(drop=True)
    merged["name"] = [names.get(k, k) for k in merged["key"]]
    merged["hours"] = (merged["end"] - merged["start"]).dt.total_seconds() / 3600

    if rates not in RATE_ESTIMATORS:
        raise ValueError(f"rates={rates!r} is not allowed: {' or '.join(RATE_ESTIMATORS)}")
    single = merged["kind"] == "region"
    if regions is None and rates == "gamma-poisson":
        observed = regions_open_during(begin, end)
    elif regions is None:
        observed = sorted(set(merged.loc[single, "key"]))
        if not observed:
            raise ValueError("incidents: no incident names a single region in the period, so "
                             "no rate can be pooled; pass regions=[...] to say which regions "
                             "were under observation")
    else:
        if isinstance(regions, str) or not hasattr(regions, "__iter__"):
            raise ValueError(f"regions={regions!r} is not allowed: a list of region names such "
                             "as [\"westeurope\", \"northeurope\"]")
        observed = sorted({check_region(r, where="regions") for r in regions})
        if not observed:
            raise ValueError("regions=[] is not allowed: name at least one region")
    outside_regions = single & ~merged["key"].isin(observed)
    if outside_regions.any():
        excluded = pd.concat([excluded, merged.loc[outside_regions, ["row", "location"]].assign(
            reason="region not in regions")], ignore_index=True)
    merged["in_model"] = (single & ~outside_regions) | (merged["kind"] == "group")
    if merged["in_model"].sum() < 2:
        raise ValueError(f"incidents: {int(merged['in_model'].sum())} incident(s) attributable "
                         f"to regions between {begin} and {end}; at least 2 are needed to fit "
                         "a model")

    durations, law = fit_durations(merged.loc[merged["in_model"], "hours"], duration_laws)

    counts = merged[single & merged["in_model"]].groupby("key").size()
    own = counts.reindex(observed, fill_value=0)
    # gamma-poisson: each region from its opening; own-or-pooled as in 0.1: the whole period
    years = (region_exposures(observed, begin, end) if rates == "gamma-poisson"
             else np.full(len(observed), exposure))
    group_counts = merged[merged["kind"] == "group"].groupby("key", sort=True).size()
    multi = int((merged["kind"] == "not attributed").sum())
    if rates == "gamma-poisson":
        posterior = fit_gamma_poisson(own.to_numpy(), years)
        region_rate = posterior.rate_mean()
        region_low, region_high = posterior.rate_interval(level=0.95)
        pooled_rate = posterior.population_mean
        pooled_low, pooled_high = posterior.population_interval(level=0.95)
        pooled_note = (f"population mean of a gamma-Poisson model over {len(observed)} regions "
                       "(the rate of a region outside them)")
    else:  # 0.1's table: each region's own MLE and exact interval; the model pools zeros
        if own.sum() == 0:
            raise ValueError(f"incidents: no incident of a single region under observation "
                             f"between {begin:%Y-%m-%d} and {end:%Y-%m-%d}: the pooled rate "
                             "would be 0 from 0 events (no evidence, not a zero rate); use "
                             "rates='gamma-poisson', or regions with incidents of their own")
        posterior = None
        pooled_rate = float(own.sum() / years.sum())
        region_rate = own.to_numpy() / years
        region_low, region_high = garwood_interval(own.to_numpy(), years)
        low, high = garwood_interval(np.array([own.sum()]), np.array([years.sum()]))
        pooled_low, pooled_high = float(low[0]), float(high[0])
        pooled_note = (f"default rate of every region without events of its own "
                       f"({len(observed)} regions observed)")
    rows = []
    for i, (region, n) in enumerate(own.items()):
        note = ("own events" if n else "no events of its own: the pooled rate applies")
        if posterior is not None:
            note = ("own events, shrunk towards the population" if n else
                    "no events of its own: the population's posterior")
        # every region of a gamma-Poisson population has a rate of its own in the model
        rows.append(("region", region, region, int(n), years[i], region_rate[i],
                     region_low[i], region_high[i], bool(n > 0 or posterior is not None),
                     note))
    group_low, group_high = garwood_interval(group_counts.to_numpy(), np.full(
        len(group_counts), exposure))
    for i, (key, n) in enumerate(group_counts.items()):
        rows.append(("group", names[key], key, int(n), exposure, n / exposure, group_low[i],
                     group_high[i], True, "correlated group"))
    rows.append(("pooled", "pooled", " ".join(observed), int(own.sum()), float(years.sum()),
                 pooled_rate, pooled_low, pooled_high, True, pooled_note))
    if multi:
        low, high = garwood_interval(np.array([multi]), np.array([exposure]))
        rows.append(("not attributed", MULTI_REGION, "", multi, exposure, multi / exposure,
                     low[0], high[0], False, "names no region: not in the model"))
    out = pd.DataFrame(rows, columns=["kind", "name", "regions", "events", "exposure_years",
                                      "rate_per_year", "rate_low", "rate_high", "in_model",
                                      "note"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["own_rate"] = np.where(out["exposure_years"] > 0,
                                   out["events"] / out["exposure_years"], np.nan)
    out["own_rate_low"], out["own_rate_high"] = garwood_interval(out["events"],
                                                                 out["exposure_years"])
    out = out[["kind", "name", "regions", "events", "exposure_years", "rate_per_year",
               "rate_low", "rate_high", "own_rate", "own_rate_low", "own_rate_high",
               "in_model", "note"]]

    if posterior is not None:
        overrides = {region: {"rate_per_year": float(r)}
                     for region, r in zip(observed, region_rate)}
    else:
        overrides = {region: {"rate_per_year": n / years[i]}
                     for i, (region, n) in enumerate(own.items()) if n > 0}
    groups = tuple(OutageGroup(names[key], tuple(key.split()), n / exposure, law)
                   for key, n in group_counts.items())
    model = OutageModel(pooled_rate, law, overrides, groups,
                        name=f"fitted by fit_outages to {int(merged['in_model'].sum())} "
                             f"incidents ({_services_label(services)}, {rates}) from "
                             f"{begin:%Y-%m-%d} to {end:%Y-%m-%d}")
    events = merged[["kind", "name", "key", "start", "end", "hours", "rows_merged", "row",
                     "in_model"]].rename(columns={"key": "regions"})
    return OutageFit(model, out, durations, events, excluded.reset_index(drop=True),
                     (begin, end), exposure, services=_services_label(services),
                     unclassified_services=unclassified, rates=rates, posterior=posterior)


#: The rate estimators of :func:`fit_outages`.
RATE_ESTIMATORS = ("gamma-poisson", "own-or-pooled")


def regions_open_during(begin, end) -> list:
    """The catalog regions open for some of ``[begin, end)`` (``opened`` before ``end``; a
    region without an opening date counts as open)."""
    catalog = region_catalog()
    if "opened" not in catalog:
        return sorted(catalog.index)
    opened = pd.to_datetime(catalog["opened"], utc=True, errors="coerce")
    return sorted(catalog.index[opened.isna() | (opened < end)])


def region_exposures(regions, begin, end) -> np.ndarray:
    """Years each region was observed in ``[begin, end)``: from its opening (``opened`` in
    ``data/regions.csv``) or ``begin``, whichever is later. [yr]"""
    catalog = region_catalog()
    start = pd.Series(begin, index=list(regions))
    if "opened" in catalog:
        opened = pd.to_datetime(catalog["opened"].reindex(list(regions)), utc=True,
                                errors="coerce")
        start = opened.where(opened > begin, begin).fillna(begin)
    seconds = (end - start).dt.total_seconds().clip(lower=0).to_numpy()
    return seconds / _SECONDS_PER_YEAR


def _services_label(services) -> str:
    wanted = wanted_relevance(services)
    if wanted is None:
        return "all incidents"
    return ", ".join(c for c in RELEVANCE_CLASSES if c in wanted)


def _select_services(frame, services):
    """The incidents of the wanted relevance classes, the rows left out (with the reason),
    and the service names the classification does not know."""
    wanted = wanted_relevance(services)
    empty = frame.iloc[:0][["row", "location"]].assign(reason="")
    if wanted is None:
        return frame, empty, ()
    unnamed = frame["service"].eq("")
    if unnamed.any():
        first = frame.loc[unnamed, "row"].iloc[0]
        raise ValueError(f"services={services!r} needs the service of every incident: {first} "
                         f"names none ({int(unnamed.sum())} such row(s)); add a service_name "
                         "column, or pass services=None to count every incident")
    relevance = relevance_of(frame["service"])
    unknown = relevance == UNKNOWN
    unclassified = tuple(sorted(set(frame.loc[unknown, "service"])))
    if unclassified:
        shown = ", ".join(repr(n) for n in unclassified[:5])
        more = f" and {len(unclassified) - 5} more" if len(unclassified) > 5 else ""
        warnings.warn(ModelWarning(
            f"{len(unclassified)} service name(s) are not in data/{RELEVANCE_FILE}: {shown}"
            f"{more}; their {int(unknown.sum())} incident(s) count as data-path incidents "
            "(conservative)"), stacklevel=3)
    relevance = np.where(unknown, "data_path", relevance)
    keep = np.isin(relevance, list(wanted))
    left_out = frame.loc[~keep, ["row", "location"]].assign(
        reason=[f"service {name!r} is {cls.replace('_', '-')}, not selected by services="
                f"{services!r}" for name, cls in zip(frame.loc[~keep, "service"],
                                                     relevance[~keep])])
    return frame.loc[keep].reset_index(drop=True), left_out, unclassified



