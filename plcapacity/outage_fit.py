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

import functools
import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .limits import data_path, read_reference
from .tables import MAX_TABLE_BYTES, read_bytes_limited
from .outages import (
    _LAWS,
    MINUTES_PER_YEAR,
    ExponentialDuration,
    GeneralizedParetoDuration,
    LognormalDuration,
    OutageGroup,
    OutageModel,
)
from .regions import check_region, region_catalog
from .sla import SLA

__all__ = ["OutageFit", "fit_outages", "outage_profile", "outage_profile_fit", "outage_profiles",
           "load_incidents", "read_incidents", "DURATION_LAWS"]

#: Duration laws :func:`fit_durations` can fit, by the name ``duration_law`` uses.
DURATION_LAWS = ("exponential", "lognormal", "gpd")
#: The shipped incident list and its alias table, under ``data/``.
INCIDENTS_FILE = "outages/azure_status_incidents_2018_2020.csv"
ALIASES_FILE = "outages/location_aliases.csv"
_MULTI_REGION = "Multi-region"
_SECONDS_PER_YEAR = MINUTES_PER_YEAR * 60
_SPLIT = re.compile(r"\s*/\s*|\s+and\s+", flags=re.IGNORECASE)
_Z95 = 1.6448536269514722  # scipy.stats.norm.ppf(0.95) (scipy imported where used)


# ----------------------------------------------------------------------------- incidents


def load_incidents() -> pd.DataFrame:
    """The shipped Azure status incidents, 2018-2020, as a DataFrame.

    Returns
    -------
    pandas.DataFrame
        211 rows: ``service_name``, ``location``, ``start_utc``, ``end_utc`` (text, UTC) and
        ``source_file``. Provenance, license (MIT, Copyright (c) 2025 @Large Research) and
        limits: ``data/outages/README.md``.

    References
    ----------
    .. [1] Azure status history (the incidents behind the evidence profile),
       https://azure.status.microsoft/status/history/

    Examples
    --------
    >>> from plcapacity.outage_fit import load_incidents
    >>> incidents = load_incidents()
    >>> incidents.shape, incidents.columns[:2].tolist()
    ((211, 5), ['service_name', 'location'])
    """
    return read_reference(INCIDENTS_FILE)


def _column(frame, names, where):
    for name in names:
        if name in frame.columns:
            return name
    raise ValueError(f"{where}: missing column {names[0]!r} (also accepted: "
                     f"{', '.join(repr(n) for n in names[1:])}); columns found: "
                     f"{', '.join(map(str, frame.columns)) or 'none'}")


def read_incidents(incidents) -> pd.DataFrame:
    """Validate an incident table: ``start``, ``end`` (UTC) and ``location`` per row.

    Parameters
    ----------
    incidents : pandas.DataFrame or str or path-like
        A DataFrame, or a CSV file (leading ``#`` lines are skipped). Columns ``start`` (or
        ``start_utc``), ``end`` (or ``end_utc``) and ``location``; times without a time zone are
        read as UTC.

    Returns
    -------
    pandas.DataFrame
        Columns ``start``, ``end`` (``datetime64[ns, UTC]``), ``location`` (str) and ``row``
        (the input's index label, for messages), in input order.

    Raises
    ------
    ValueError
        For a missing column, a missing or unreadable time, or an end not after its start;
        naming the row (the file's line for a CSV) and the value.

    Examples
    --------
    >>> import pandas as pd
    >>> from plcapacity.outage_fit import read_incidents
    >>> table = read_incidents(pd.DataFrame({"start": ["2024-03-01 10:00"],
    ...                                      "end": ["2024-03-01 12:30"],
    ...                                      "location": ["East US"]}))
    >>> (table.end - table.start).iloc[0]        # no time zone: read as UTC
    Timedelta('0 days 02:30:00')
    """
    if isinstance(incidents, pd.DataFrame):
        frame, where, line = incidents, "incidents", None
    elif isinstance(incidents, (str, Path)):
        path = Path(incidents)
        try:
            content = read_bytes_limited(path, max_bytes=MAX_TABLE_BYTES, what="incident file")
        except FileNotFoundError as error:
            raise ValueError(str(error)) from None
        try:
            text = content.decode("utf-8").splitlines(keepends=True)
        except UnicodeDecodeError as error:
            raise ValueError(f"{path}: not UTF-8 text (byte {error.start}); save the incidents "
                             "as UTF-8 CSV") from None
        skipped = 0
        while skipped < len(text) and text[skipped].startswith("#"):
            skipped += 1
        try:
            frame = pd.read_csv(io.StringIO("".join(text[skipped:])), dtype=str,
                                keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            raise ValueError(f"{path}: not a readable CSV: {error}") from None
        where, line = str(path), skipped + 2  # line of the first data row (1-based)
    else:
        raise ValueError(f"incidents={type(incidents).__name__} is not allowed: a DataFrame or "
                         "the path of a CSV file")
    start_col = _column(frame, ("start", "start_utc"), where)
    end_col = _column(frame, ("end", "end_utc"), where)
    location_col = _column(frame, ("location",), where)
    rows = (np.arange(len(frame)) + line) if line is not None else frame.index.to_numpy()
    label = "line" if line is not None else "row"
    times = {}
    for key, column in (("start", start_col), ("end", end_col)):
        raw = frame[column]
        parsed = pd.to_datetime(raw.where(raw.astype(str).str.strip() != ""), utc=True,
                                errors="coerce", format="mixed")
        bad = np.flatnonzero(parsed.isna().to_numpy())
        if bad.size:
            i = bad[0]
            raise ValueError(f"{where} {label} {rows[i]}: {column}={raw.iloc[i]!r} is not a "
                             f"date and time (such as 2019-05-02 21:30, UTC); {bad.size} such "
                             "row(s)")
        times[key] = parsed.reset_index(drop=True)
    backwards = np.flatnonzero((times["end"] <= times["start"]).to_numpy())
    if backwards.size:
        i = backwards[0]
        raise ValueError(f"{where} {label} {rows[i]}: {end_col}={frame[end_col].iloc[i]!r} is "
                         f"not after {start_col}={frame[start_col].iloc[i]!r}; an incident must "
                         f"end after it starts ({backwards.size} such row(s))")
    location = frame[location_col]
    empty = np.flatnonzero(location.isna().to_numpy() | (location.astype(str).str.strip() == ""))
    if empty.size:
        raise ValueError(f"{where} {label} {rows[empty[0]]}: location is empty; give a region "
                         "(\"West Europe\"), regions joined by \" / \", a geography or "
                         "\"Multi-region\"")
    return pd.DataFrame({"start": times["start"], "end": times["end"],
                         "location": location.astype(str).str.strip().to_numpy(),
                         "row": [f"{where} {label} {r}" for r in rows]})


@functools.lru_cache(maxsize=1)
def _catalog_lookup():
    catalog = region_catalog()
    names = {name: name for name in catalog.index}
    geographies = {}
    for name, geography in catalog["geography"].items():
        geographies.setdefault(geography.lower(), (geography, []))[1].append(name)
    return names, {k: (g, tuple(sorted(v))) for k, (g, v) in geographies.items()}


def _aliases(aliases):
    if aliases is None:
        table = read_reference(ALIASES_FILE)
        return {loc: ("" if pd.isna(to) else str(to)) for loc, to in
                zip(table["location"], table["maps_to"])}
    if not isinstance(aliases, dict):
        raise ValueError(f"aliases={aliases!r} is not allowed: a dict such as "
                         "{\"USGov Virginia\": \"\", \"global\": \"Multi-region\"}")
    return {**_aliases(None), **{str(k): str(v) for k, v in aliases.items()}}


def parse_location(text, *, aliases=None, where="location"):
    """What a location names: ``(kind, name, regions)``.

    Parameters
    ----------
    text : str
    aliases : dict, optional
        Extra aliases ``{location: maps_to}`` on top of ``data/outages/location_aliases.csv``
        (``""`` leaves a location out).
    where : str
        Where the value comes from, for error messages.

    Returns
    -------
    tuple
        ``kind`` is ``"region"``, ``"group"``, ``"not attributed"`` (Multi-region) or
        ``"excluded"``; ``regions`` a sorted tuple of catalog names.
    """
    return _parse_location(text, _aliases(aliases), where)


def _parse_location(text, table, where):
    mapped = table.get(text, text).strip()
    if mapped == "":
        return "excluded", text, ()
    if mapped.lower() in (_MULTI_REGION.lower(), "global"):
        return "not attributed", _MULTI_REGION, ()
    names, geographies = _catalog_lookup()
    parts, regions = [], set()
    for part in _SPLIT.split(mapped):
        key = re.sub(r"\s+", "", part.lower())
        if key in names:
            parts.append(key)
            regions.add(key)
        elif part.lower() in geographies:
            geography, members = geographies[part.lower()]
            parts.append(geography)
            regions.update(members)
        else:
            try:
                check_region(key, where=where)
            except ValueError as error:
                hint = str(error).split(": ", 1)[1]
                raise ValueError(f"{where}: location={text!r}: {part!r} is neither a region nor "
                                 f"a geography ({hint}); write region names (\"West Europe\" or "
                                 "\"westeurope\") joined by \" / \", a geography such as "
                                 "\"Europe\", or \"Multi-region\"") from None
    regions = tuple(sorted(regions))
    if len(regions) == 1:
        return "region", regions[0], regions
    return "group", " / ".join(sorted(set(parts))), regions


def merge_duplicates(events: pd.DataFrame) -> pd.DataFrame:
    """Merge events of the same ``key`` whose intervals overlap or touch.

    Parameters
    ----------
    events : pandas.DataFrame
        Columns ``key``, ``start``, ``end`` (and any others: the first row of each merged
        incident gives them).

    Returns
    -------
    pandas.DataFrame
        One row per merged incident, sorted by key and start: ``start`` the earliest start,
        ``end`` the latest end of its rows, ``rows_merged`` how many rows it stands for.
    """
    ordered = events.sort_values(["key", "start", "end"], kind="stable").reset_index(drop=True)
    if ordered.empty:
        return ordered.assign(rows_merged=np.array([], dtype=int))
    same_key = ordered["key"].eq(ordered["key"].shift())
    # The latest end so far within the key: a row overlapping it belongs to the same incident.
    reach = ordered.groupby("key", sort=False)["end"].cummax()
    previous_reach = reach.groupby(ordered["key"], sort=False).shift()
    new = ~same_key | (ordered["start"] > previous_reach)
    incident = new.cumsum()
    grouped = ordered.groupby(incident, sort=False)
    merged = grouped.first()
    merged["end"] = grouped["end"].max()
    merged["rows_merged"] = grouped.size()
    return merged.reset_index(drop=True)


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
    for name, (cls, keys) in _LAWS.items():
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
    table = _aliases(aliases)
    first = frame.drop_duplicates("location")
    parsed = {loc: _parse_location(loc, table, where)  # a loop over distinct locations only
              for loc, where in zip(first["location"], first["row"])}
    kind = frame["location"].map(lambda loc: parsed[loc][0])
    excluded = frame.loc[kind == "excluded", ["row", "location"]].assign(
        reason="alias maps to nothing (not in the region catalog)")
    frame = frame[kind != "excluded"].assign(
        kind=kind[kind != "excluded"],
        regions=frame["location"].map(lambda loc: parsed[loc][2]))
    frame["key"] = np.where(frame["kind"] == "not attributed", _MULTI_REGION,
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
        rows.append(("not attributed", _MULTI_REGION, "", multi, exposure, False,
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

#: Lognormal defaults of the SLA-calibrated profile (the batch's default outage durations).
SLA_CALIBRATED_MEDIAN_HOURS = 2.0
SLA_CALIBRATED_P95_HOURS = 12.0
#: The whole years of the shipped incident list (2020 is partial).
EVIDENCE_PERIOD = ("2018-01-01", "2020-01-01")

_PROFILES = {
    "azure-status-2018-2020": (
        "fitted to the Azure status history 2018-2019 (data/outages): per-region rates where "
        "the data have them, a pooled rate otherwise, correlated pairs and geographies; "
        "service incidents, so a CONSERVATIVE assumption (an upper bound on region outages)"),
    "sla-calibrated": (
        "each region down exactly 1 - slo_percent of the time (lognormal median 2 h, p95 12 h): "
        "a calibration that restates the SLA, not evidence"),
}


def outage_profiles() -> pd.DataFrame:
    """The named outage profiles of :func:`outage_profile`.

    Returns
    -------
    pandas.DataFrame
        ``name`` and ``description`` (one line).

    Examples
    --------
    >>> import plcapacity as plc
    >>> plc.outage_profiles().name.tolist()
    ['azure-status-2018-2020', 'sla-calibrated']
    """
    return pd.DataFrame({"name": list(_PROFILES), "description": list(_PROFILES.values())})


def _check_profile(name):
    if name not in _PROFILES:
        raise ValueError(f"outage profile {name!r} is unknown; known: {', '.join(_PROFILES)}")


@functools.lru_cache(maxsize=None)
def _evidence_fit() -> OutageFit:
    return fit_outages(data_path(INCIDENTS_FILE), period=EVIDENCE_PERIOD)


def outage_profile_fit(name="azure-status-2018-2020") -> OutageFit:
    """The fit behind an evidence profile (cached), for its tables and uncertainty.

    Parameters
    ----------
    name : str
        An evidence profile: ``"azure-status-2018-2020"``.

    Returns
    -------
    OutageFit
        The fit (cached: the same object on every call); ``.model`` is the profile's
        :class:`plcapacity.OutageModel`, ``.table`` the rates [1/yr] with 95 % intervals.

    Raises
    ------
    ValueError
        For a name that is not an evidence profile.

    References
    ----------
    .. [1] Azure status history (the incidents behind the evidence profile),
       https://azure.status.microsoft/status/history/

    Examples
    --------
    >>> import plcapacity as plc
    >>> fit = plc.outage_profile_fit("azure-status-2018-2020")
    >>> pooled = fit.table.loc[fit.table.kind == "pooled"].iloc[0]
    >>> round(float(pooled.rate_low), 2), round(float(pooled.rate_high), 2)     # [1/yr]
    (1.71, 2.7)
    """
    _check_profile(name)
    if name == "sla-calibrated":
        raise ValueError("outage profile 'sla-calibrated' is a calibration, not a fit; "
                         "fitted profiles: azure-status-2018-2020")
    return _evidence_fit()


@functools.lru_cache(maxsize=256)
def _calibrated(slo_percent, median_hours, p95_hours):
    return OutageModel.calibrated_to_sla({"law": "lognormal", "median_hours": median_hours,
                                          "p95_hours": p95_hours}, slo_percent)


def outage_profile(name, **kw) -> OutageModel:
    """A named outage model, computed once and cached (cheap to call per batch row).

    Parameters
    ----------
    name : str
        ``"azure-status-2018-2020"``: fitted by :func:`fit_outages` to the shipped Azure status
        incidents of 2018 and 2019 (an evidence-based, conservative assumption: incident rates
        bound region-outage rates from above). ``"sla-calibrated"``: every region down exactly
        ``1 - slo_percent`` of the time, lognormal durations (median 2 h, p95 12 h).
    **kw
        ``sla-calibrated`` only: ``slo_percent`` (default: the Private Link SLA of
        ``data/sla.csv``), ``median_hours``, ``p95_hours``.

    Returns
    -------
    OutageModel
        Shared between calls: treat it as read-only.

    Raises
    ------
    ValueError
        For an unknown name (listing the known ones) or an option the profile does not take.

    Examples
    --------
    >>> import plcapacity as plc
    >>> model = plc.outage_profile("sla-calibrated", slo_percent=99.99)
    >>> round(1 - model.processes(["eastus"])[0].probability_down, 6)
    0.9999
    """
    _check_profile(name)
    if name == "sla-calibrated":
        allowed = {"slo_percent", "median_hours", "p95_hours"}
        unknown = sorted(set(kw) - allowed)
        if unknown:
            raise ValueError(f"outage profile 'sla-calibrated': unknown option(s) "
                             f"{', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
        slo = kw.get("slo_percent")
        slo = SLA.private_link(slo).slo_percent  # validates, and supplies the SLA's value
        return _calibrated(float(slo), float(kw.get("median_hours",
                                                    SLA_CALIBRATED_MEDIAN_HOURS)),
                           float(kw.get("p95_hours", SLA_CALIBRATED_P95_HOURS)))
    if kw:
        raise ValueError(f"outage profile {name!r} takes no options; got "
                         f"{', '.join(sorted(kw))}")
    return _evidence_fit().model
