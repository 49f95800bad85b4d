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
heavy-tailed); the law with the smallest AIC whose mean is finite is chosen.

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
from dataclasses import dataclass

import numpy as np
import pandas as pd

from plcapacity.base.regions import check_region
from plcapacity.outages.incidents import (
    MULTI_REGION,
    alias_table,
    merge_duplicates,
    parse_location_in,
    read_incidents,
)
from plcapacity.outages.laws import (
    DURATION_LAW_CLASSES,
    MINUTES_PER_YEAR,
    ExponentialDuration,
    GeneralizedParetoDuration,
    LognormalDuration,
)
from plcapacity.outages.processes import OutageGroup, OutageModel

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
    shape, _, scale = stats.genpareto.fit(hours, floc=0)
    shape, scale = float(shape), float(scale)
    dist = stats.genpareto(shape, scale=scale)
    if shape >= 1:
        return ({"shape": shape, "scale_hours": scale}, dist, None,
                "shape >= 1: infinite mean, not usable")
    return ({"shape": shape, "scale_hours": scale}, dist,
            GeneralizedParetoDuration(shape, scale), "")


_N_PARAMETERS = {"exponential": 1, "lognormal": 2, "gpd": 2}


def fit_durations(hours, laws=DURATION_LAWS) -> tuple[pd.DataFrame, object]:
    """Fit duration laws by maximum likelihood and choose one by AIC.

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
        ``aic`` = 2 k - 2 ln L; ``delta_aic`` (0 for the best); ``ks_statistic`` and
        ``ks_pvalue`` (Kolmogorov-Smirnov against the fitted law; the p-value is optimistic
        because the parameters come from the same data); ``usable`` (a finite mean);
        ``chosen``; ``note``.
    law : duration law
        The chosen law (smallest AIC among the usable ones).

    Notes
    -----
    MLEs: exponential mean = sample mean; lognormal mu, sigma = mean and (population) standard
    deviation of the log-durations, reported as median ``e^mu`` and p95 ``e^(mu + 1.645
    sigma)``; generalized Pareto by ``scipy.stats.genpareto.fit`` with location 0.
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
                     "ks_statistic": ks[0], "ks_pvalue": ks[1], "usable": built is not None,
                     "note": note})
    table = pd.DataFrame(rows)
    table["delta_aic"] = table["aic"] - table["aic"].min()
    usable = table[table["usable"]]
    if usable.empty:
        raise ValueError(f"durations: none of {', '.join(laws)} gives a usable law "
                         f"({'; '.join(table['note'])}); add 'lognormal' or 'exponential'")
    best = usable["aic"].idxmin()
    table["chosen"] = table.index == best
    columns = ["law", "parameters", "n", "mean_hours", "log_likelihood", "aic", "delta_aic",
               "ks_statistic", "ks_pvalue", "usable", "chosen", "note"]
    return table[columns], engine[table.at[best, "law"]]


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


def _period(period, frame):
    if period is None:
        return frame["start"].min(), frame["end"].max()
    if not isinstance(period, (list, tuple)) or len(period) != 2:
        raise ValueError(f"period={period!r} is not allowed: a pair (start, end) such as "
                         "(\"2018-01-01\", \"2020-01-01\")")
    begin, end = _timestamp(period[0], "start"), _timestamp(period[1], "end")
    if end <= begin:
        raise ValueError(f"period={period!r} is not allowed: the end must be after the start")
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
        law = _law_toml(self.model.duration)
        begin, end = (p.strftime("%Y-%m-%d %H:%M") for p in self.period)
        chosen = self.durations.loc[self.durations["chosen"], "law"].iloc[0]
        in_model = self.table[self.table["in_model"] & (self.table["kind"] != "pooled")]
        lines = [
            f"# Fitted by plcapacity.fit_outages: {int(in_model['events'].sum())} incidents "
            f"from {begin} to {end} UTC ({self.exposure_years:.4g} years).",
            "# Rates of service incidents: an upper bound on region outages (conservative).",
            f"# Durations: {chosen} (smallest AIC of {', '.join(self.durations['law'])}).",
            "[outages]",
            f"rate_per_year = {_float(self.model.rate_per_year)}  # pooled over the regions "
            "without events of their own",
            f"duration = {law}",
        ]
        for region, (rate, duration) in sorted(self.model.regions.items()):
            lines += ["", f"[outages.regions.{region}]", f"rate_per_year = {_float(rate)}"]
            if duration != self.model.duration:
                lines.append(f"duration = {_law_toml(duration)}")
        for group in self.model.groups:
            lines += ["", "[[outages.groups]]", f"name = {json.dumps(group.name)}",
                      f"regions = [{', '.join(json.dumps(r) for r in group.regions)}]",
                      f"rate_per_year = {_float(group.rate_per_year)}",
                      f"duration = {_law_toml(group.duration)}"]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict:
        """The fit as plain data (for JSON): period, rates, durations and the TOML section."""
        table = self.table.copy()
        durations = self.durations.copy()
        durations = durations.replace([np.inf, -np.inf], None)
        return {"period": [p.isoformat() for p in self.period],
                "exposure_years": self.exposure_years,
                "rates": json.loads(table.to_json(orient="records")),
                "durations": json.loads(durations.to_json(orient="records")),
                "chosen_law": str(self.durations.loc[self.durations["chosen"], "law"].iloc[0]),
                "excluded_rows": len(self.excluded),
                "toml": self.to_toml()}


def _float(value) -> str:
    return repr(float(value))


def _law_toml(law) -> str:
    for name, (cls, keys) in DURATION_LAW_CLASSES.items():
        if type(law) is cls:
            parts = [f'law = "{name}"']
            for key in keys:
                value = getattr(law, key)
                if isinstance(value, tuple):
                    parts.append(f"{key} = [{', '.join(_float(v) for v in value)}]")
                else:
                    parts.append(f"{key} = {_float(value)}")
            return "{ " + ", ".join(parts) + " }"
    raise ValueError(f"duration law {law!r} has no TOML form")  # pragma: no cover


def fit_outages(incidents, *, period=None, regions=None, duration_laws=DURATION_LAWS,
                aliases=None) -> OutageFit:
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
        Regions under observation (catalog names): the population of the pooled rate, and the
        regions whose own incidents count. Default: every region with an incident of its own
        in the period, so that the pooled rate is the mean over regions that had incidents
        (biased upwards: a conservative default; pass the regions that existed to remove it).
    duration_laws : sequence of str
        Candidate duration laws (see :func:`fit_durations`).
    aliases : dict, optional
        Extra location aliases on top of ``data/outages/location_aliases.csv``.

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
    Rate MLE ``n / T``, exact 95 % interval ``[chi2(0.025; 2n) / 2T, chi2(0.975; 2n + 2) /
    2T]``. Pooled rate ``sum n_r / (R T)`` over the ``R`` regions under observation.

    Examples
    --------
    >>> import pandas as pd, plcapacity as plc
    >>> incidents = pd.DataFrame({
    ...     "start": ["2019-01-01 00:00", "2019-03-01 00:00", "2019-06-01 00:00"],
    ...     "end":   ["2019-01-01 02:00", "2019-03-01 05:00", "2019-06-01 01:00"],
    ...     "location": ["West Europe", "West Europe", "North Europe"]})
    >>> fit = plc.fit_outages(incidents, period=("2019-01-01", "2020-01-01"))
    >>> fit.table[["name", "events", "rate_per_year"]].values.tolist()
    [['northeurope', 1, 1.0], ['westeurope', 2, 2.0], ['pooled', 3, 1.5]]
    >>> fit.model.regions["westeurope"][0], fit.model.rate_per_year
    (2.0, 1.5)
    """
    frame = read_incidents(incidents)
    begin, end = _period(period, frame)
    exposure = (end - begin).total_seconds() / _SECONDS_PER_YEAR
    table = alias_table(aliases)
    first = frame.drop_duplicates("location")
    parsed = {loc: parse_location_in(loc, table, where)  # a loop over distinct locations only
              for loc, where in zip(first["location"], first["row"])}
    kind = frame["location"].map(lambda loc: parsed[loc][0])
    excluded = frame.loc[kind == "excluded", ["row", "location"]].assign(
        reason="alias maps to nothing (not in the region catalog)")
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

    single = merged["kind"] == "region"
    if regions is None:
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
    pooled_events = int(own.sum())
    pooled_rate = pooled_events / (len(observed) * exposure)
    group_counts = merged[merged["kind"] == "group"].groupby("key", sort=True).size()
    multi = int((merged["kind"] == "not attributed").sum())
    rows = []
    for region, n in own.items():
        rows.append(("region", region, region, int(n), exposure, n > 0,
                     "own events" if n else "no events of its own: the pooled rate applies"))
    for key, n in group_counts.items():
        rows.append(("group", names[key], key, int(n), exposure, True, "correlated group"))
    rows.append(("pooled", "pooled", " ".join(observed), pooled_events,
                 len(observed) * exposure, True,
                 f"default rate of every region without events of its own "
                 f"({len(observed)} regions observed)"))
    if multi:
        rows.append(("not attributed", MULTI_REGION, "", multi, exposure, False,
                     "names no region: not in the model"))
    out = pd.DataFrame(rows, columns=["kind", "name", "regions", "events", "exposure_years",
                                      "in_model", "note"])
    out["rate_per_year"] = out["events"] / out["exposure_years"]
    out["rate_low"], out["rate_high"] = garwood_interval(out["events"], out["exposure_years"])
    out = out[["kind", "name", "regions", "events", "exposure_years", "rate_per_year",
               "rate_low", "rate_high", "in_model", "note"]]

    overrides = {region: {"rate_per_year": n / exposure} for region, n in own.items() if n > 0}
    groups = tuple(OutageGroup(names[key], tuple(key.split()), n / exposure, law)
                   for key, n in group_counts.items())
    model = OutageModel(pooled_rate, law, overrides, groups)
    events = merged[["kind", "name", "key", "start", "end", "hours", "rows_merged", "row",
                     "in_model"]].rename(columns={"key": "regions"})
    return OutageFit(model, out, durations, events, excluded.reset_index(drop=True),
                     (begin, end), exposure)


# ----------------------------------------------------------------------------- profiles


