"""Regional outage processes: duration laws, per-region processes and correlated groups.

Each process (one per region, plus one per correlated group) is a Poisson process of outage
*starts* in calendar time with ``rate_per_year``; each outage lasts an independent random
duration. Overlapping outages of one process merge. A region is down while any outage of its
own process or of a group containing it is in progress, so for one process
``P(down) = 1 - exp(-rate * E[duration])`` (the M/G/inf busy probability), and processes are
independent of each other (docs/model.md, "The availability model").

Zone outages (:class:`ZoneOutages`, ``[outages.zones]``) add one such process per availability
zone used by a zoned destination of the deployment, per region (the same rate and duration for
every zone, overridable per region). A zone outage removes that zone's backend VMs and lowers
the destinations' capacity; private endpoints and Private Link Services are zone-agnostic
(https://learn.microsoft.com/azure/private-link/private-link-faq), so no endpoint becomes
unusable. A regional outage takes every zone of the region.

Time inside the package is in minutes; a year is 365 days (525,600 minutes), as the SLA's
calendar months are months of a 365-day year.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from plcapacity.base.regions import check_region, regions_in_geography
from plcapacity.base.validation import check_number
from plcapacity.outages.laws import MINUTES_PER_YEAR, duration_law, law_toml

__all__ = ["OutageModel", "OutageGroup", "ZoneOutages", "OutageProcess"]


@dataclass(frozen=True)
class OutageProcess:
    """One independent source of outages: a region's own, or a correlated group's.

    Attributes
    ----------
    name : str
        Region name, or the group's name.
    kind : {"region", "group", "zone"}
    regions : tuple of str
        Regions this process takes down (a zone process: the region of its zone, which it
        does not take down).
    rate_per_year : float
        Outage starts per year. [1/yr]
    duration : duration law
    zone : int or None
        A zone process's zone number (``None`` for the others).
    """

    name: str
    kind: str
    regions: tuple
    rate_per_year: float
    duration: object
    zone: int | None = None

    @property
    def rate_per_minute(self) -> float:
        return self.rate_per_year / MINUTES_PER_YEAR

    @property
    def probability_down(self) -> float:
        """Steady-state probability that an outage is in progress: ``1 - exp(-rate E[D])``."""
        return -math.expm1(-self.rate_per_minute * self.duration.mean_minutes)


def _rate(value, where):
    return check_number(value, "rate_per_year", 0, where=f"{where}:",
                        allowed="a number >= 0 (outage starts per year)")


@dataclass(frozen=True)
class OutageGroup:
    """Correlated outages: all ``regions`` down together, at ``rate_per_year``.

    Parameters
    ----------
    name : str
        Names the group's process (in tables and downtime causes).
    regions : sequence of str
        Regions that go down together (at least one; names from ``data/regions.csv``).
    rate_per_year : float
        Outage starts per year of the group. [1/yr]
    duration : duration law or dict
        Duration law of the group's outages (see :func:`duration_law`).

    Raises
    ------
    ValueError
        For an unknown region, an empty region list, a negative rate or a bad duration law.

    References
    ----------
    .. [1] Azure regions list (regions, geographies, paired regions),
       https://learn.microsoft.com/azure/reliability/regions-list
    .. [2] Azure status history (the incidents behind the evidence profile),
       https://azure.status.microsoft/status/history/

    Examples
    --------
    >>> import plcapacity as plc
    >>> pair = plc.OutageGroup("us-east-pair", ("eastus", "eastus2"), 0.1,
    ...                        {"law": "fixed", "hours": 3})
    >>> pair.regions, pair.rate_per_year
    (('eastus', 'eastus2'), 0.1)
    """

    name: str
    regions: tuple
    rate_per_year: float
    duration: object

    def __post_init__(self):
        where = f"outage group {self.name!r}"
        regions = tuple(check_region(r, where=f"{where} regions") for r in self.regions)
        if len(regions) < 1:
            raise ValueError(f"{where}: regions is empty; list at least one region")
        object.__setattr__(self, "regions", regions)
        object.__setattr__(self, "rate_per_year", _rate(self.rate_per_year, where))
        object.__setattr__(self, "duration", duration_law(self.duration,
                                                          where=f"{where} duration"))

    @classmethod
    def for_geography(cls, name, geography, rate_per_year, duration):
        """A group over every region of a geography (such as ``"United States"``)."""
        return cls(name, tuple(regions_in_geography(geography)), rate_per_year, duration)


def _overrides(regions, rate, law, where_prefix, *, region_ok=check_region):
    """Per-region ``(rate, law)`` from ``{region: {"rate_per_year": ..., "duration": ...}}``,
    each key defaulting to ``rate`` / ``law``."""
    overrides = {}
    if not isinstance(regions, Mapping):
        raise ValueError(f"{where_prefix}]: expected a table of regions, got {regions!r}")
    for region, spec in dict(regions).items():
        where = f"{where_prefix}.{region}]"
        region_ok(region, where=where)
        if not isinstance(spec, dict):
            raise ValueError(f"{where}: expected a table with rate_per_year and/or "
                             f"duration, got {spec!r}")
        unknown = set(spec) - {"rate_per_year", "duration"}
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                             "allowed: rate_per_year, duration")
        overrides[region] = (_rate(spec.get("rate_per_year", rate), where),
                             duration_law(spec.get("duration", law), where=f"{where} duration"))
    return overrides


@dataclass(frozen=True)
class ZoneOutages:
    """Zone outages: one independent process per availability zone.

    Every zone (by number) that some zoned destination of a region uses gets its own Poisson
    process of outage starts at ``rate_per_year`` with ``duration``, unless the region
    overrides them. A zone outage removes that zone's backend VMs (the capacity of the
    destinations there drops to the ceiling of their other zones' VMs); endpoints stay usable
    (zone-agnostic). A regional outage (the region's own or a group's) takes every zone of the
    region with it.

    Parameters
    ----------
    rate_per_year : float
        Outage starts per year of each zone. [1/yr]
    duration : duration law or dict
        Duration law of each zone's outages.
    regions : dict, optional
        Per-region overrides for that region's zones:
        ``{"eastus": {"rate_per_year": 0.5, "duration": {...}}}`` (TOML:
        ``[outages.zones.regions.eastus]``). Only regions with availability zones.

    Raises
    ------
    ValueError
        For a negative rate, a bad duration law, or an override of a region without
        availability zones.

    References
    ----------
    .. [1] Azure availability zones overview,
       https://learn.microsoft.com/azure/reliability/availability-zones-overview
    .. [2] Azure Private Link FAQ (private endpoints and PLS are zone-agnostic),
       https://learn.microsoft.com/azure/private-link/private-link-faq

    Examples
    --------
    >>> import plcapacity as plc
    >>> zones = plc.ZoneOutages(0.5, {"law": "fixed", "hours": 1})
    >>> zones.for_region("eastus")     # (rate [1/yr], duration law)
    (0.5, FixedDuration(hours=1.0))
    >>> model = plc.OutageModel(1.0, {"law": "fixed", "hours": 4}, zones=zones)
    >>> [p.name for p in model.processes(["eastus"], zones={"eastus": (1, 2)})]
    ['eastus', 'eastus-zone1', 'eastus-zone2']
    """

    rate_per_year: float
    duration: object
    regions: dict = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "rate_per_year", _rate(self.rate_per_year, "[outages.zones]"))
        object.__setattr__(self, "duration", duration_law(self.duration,
                                                          where="[outages.zones] duration"))
        object.__setattr__(self, "regions", _overrides(
            self.regions, self.rate_per_year, self.duration, "[outages.zones.regions",
            region_ok=_check_zoned_region))

    def for_region(self, region) -> tuple:
        """``(rate_per_year, duration)`` of each zone of ``region``."""
        return self.regions.get(region, (self.rate_per_year, self.duration))


def _check_zoned_region(region, *, where):
    from plcapacity.base.regions import has_availability_zones

    check_region(region, where=where)
    if not has_availability_zones(region):
        raise ValueError(f"{where}: region {region!r} has no availability zones "
                         "(data/regions.csv), so no zone outages")
    return region


@dataclass(frozen=True)
class OutageModel:
    """Outage processes for every region, with optional per-region overrides and groups.

    Parameters
    ----------
    rate_per_year : float
        Default outage starts per year of each region. [1/yr]
    duration : duration law or dict
        Default duration law of each region's outages.
    regions : dict, optional
        Per-region overrides: ``{"eastus": {"rate_per_year": 2.0, "duration": {...}}}``.
    groups : sequence of OutageGroup, optional
        Correlated outages.
    zones : ZoneOutages or dict, optional
        Zone outages (TOML: ``[outages.zones]`` with ``rate_per_year``, ``duration`` and
        per-region overrides ``[outages.zones.regions.<region>]``): one process per zone used
        by a zoned destination (see :class:`plcapacity.Destination`), in each region of the
        deployment. Without it, zones only shape capacity and never fail on their own.
    name : str, optional
        Where the model comes from (a profile's name, a fit, a file), reported with every
        answer built on it (:meth:`describe`). Not part of the model's equality.

    Raises
    ------
    ValueError
        For a negative rate, a bad duration law, an unknown region, repeated group names or a
        malformed ``zones`` table (the message names the TOML key).

    References
    ----------
    .. [1] Azure status history (the incidents behind the evidence profile),
       https://azure.status.microsoft/status/history/
    .. [2] SLA for Azure Private Link (99.99 % monthly uptime, service credits),
       https://azure.microsoft.com/support/legal/sla/private-link/v1_0/
    .. [3] Azure regions list (regions, geographies, paired regions),
       https://learn.microsoft.com/azure/reliability/regions-list
    .. [4] Azure availability zones overview,
       https://learn.microsoft.com/azure/reliability/availability-zones-overview

    Examples
    --------
    >>> import plcapacity as plc
    >>> model = plc.OutageModel(1.0, {"law": "fixed", "hours": 4},
    ...                         regions={"eastus": {"rate_per_year": 2.0}})
    >>> [(p.name, p.rate_per_year, round(p.probability_down, 6))   # P(down) = 1 - exp(-rate E[D])
    ...  for p in model.processes(["eastus", "westus"])]
    [('eastus', 2.0, 0.000913), ('westus', 1.0, 0.000457)]
    >>> sla = plc.OutageModel.calibrated_to_sla({"law": "fixed", "hours": 4})   # 99.99 %
    >>> round(sla.rate_per_year, 4)    # outages per year [1/yr]
    0.219
    """

    rate_per_year: float
    duration: object
    regions: dict = field(default_factory=dict)
    groups: tuple = ()
    zones: ZoneOutages | None = None
    name: str = field(default="", compare=False, repr=False)

    def named(self, name: str) -> OutageModel:
        """The same model under another name (a copy; the model itself is not re-validated).

        Examples
        --------
        >>> import plcapacity as plc
        >>> plc.OutageModel(1.0, {"law": "fixed", "hours": 4}).named("my model").name
        'my model'
        """
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        object.__setattr__(copy, "name", str(name))
        return copy

    def describe(self) -> str:
        """The model in one line, for results and reports: its name, or what it holds.

        Examples
        --------
        >>> import plcapacity as plc
        >>> plc.OutageModel(1.0, {"law": "fixed", "hours": 4}).describe()
        'user-defined: 1 outage/yr per region, fixed 4 h, no correlated groups'
        >>> plc.outage_profile("azure-datapath-2018-2019").describe()[:24]
        'azure-datapath-2018-2019'
        """
        groups = (f"{len(self.groups)} correlated group(s)" if self.groups
                  else "no correlated groups")
        if self.name:
            return f"{self.name} ({groups})"
        own = f", {len(self.regions)} region(s) with their own rate" if self.regions else ""
        return (f"user-defined: {self.rate_per_year:g} outage/yr per region{own}, "
                f"{self.duration.describe()}, {groups}")

    def __post_init__(self):
        object.__setattr__(self, "rate_per_year", _rate(self.rate_per_year, "[outages]"))
        object.__setattr__(self, "duration", duration_law(self.duration,
                                                          where="[outages] duration"))
        overrides = _overrides(self.regions, self.rate_per_year, self.duration,
                               "[outages.regions")
        object.__setattr__(self, "regions", overrides)
        groups = tuple(self.groups)
        names = [g.name for g in groups]
        if len(set(names)) != len(names):
            raise ValueError(f"[[outages.groups]]: group names must be unique, got {names}")
        object.__setattr__(self, "groups", groups)
        zones = self.zones
        if isinstance(zones, dict):
            unknown = set(zones) - {"rate_per_year", "duration", "regions"}
            if unknown:
                raise ValueError(f"[outages.zones]: unknown key(s) {', '.join(sorted(unknown))}"
                                 "; allowed: duration, rate_per_year, regions")
            for key in ("rate_per_year", "duration"):
                if key not in zones:
                    raise ValueError(f"[outages.zones]: missing key {key!r}")
            zones = ZoneOutages(zones["rate_per_year"], zones["duration"],
                                zones.get("regions", {}))
        elif zones is not None and not isinstance(zones, ZoneOutages):
            raise ValueError(f"[outages.zones]: expected a table with rate_per_year and "
                             f"duration, got {zones!r}")
        object.__setattr__(self, "zones", zones)

    def to_toml(self, regions=None) -> str:
        """The model as an ``[outages]`` section of a deployment file, written out in full.

        Parameters
        ----------
        regions : sequence of str, optional
            Keep only what can take these regions down: their own rates and zones, and the
            groups containing one of them (whole). Default: every override and group.

        Returns
        -------
        str
            TOML that :func:`plcapacity.load_deployment` reads back to a model giving the
            same processes for those regions (floats in their shortest round-trip form).

        Examples
        --------
        >>> import plcapacity as plc
        >>> print(plc.OutageModel(1.0, {"law": "fixed", "hours": 4}).to_toml(), end="")
        [outages]
        rate_per_year = 1.0
        duration = { law = "fixed", hours = 4.0 }
        """
        keep = None if regions is None else set(regions)
        lines = [f"# Outage model: {self.describe()}"] if self.name else []
        lines += ["[outages]", f"rate_per_year = {float(self.rate_per_year)!r}",
                  f"duration = {law_toml(self.duration)}"]
        for region, (rate, law) in sorted(self.regions.items()):
            if keep is None or region in keep:
                lines += ["", f"[outages.regions.{region}]", f"rate_per_year = {float(rate)!r}",
                          f"duration = {law_toml(law)}"]
        if self.zones is not None:
            lines += ["", "[outages.zones]", f"rate_per_year = {float(self.zones.rate_per_year)!r}",
                      f"duration = {law_toml(self.zones.duration)}"]
            for region, (rate, law) in sorted(self.zones.regions.items()):
                if keep is None or region in keep:
                    lines += ["", f"[outages.zones.regions.{region}]",
                              f"rate_per_year = {float(rate)!r}", f"duration = {law_toml(law)}"]
        for group in self.groups:
            if keep is None or keep & set(group.regions):
                lines += ["", "[[outages.groups]]", f"name = {json.dumps(group.name)}",
                          f"regions = [{', '.join(json.dumps(r) for r in group.regions)}]",
                          f"rate_per_year = {float(group.rate_per_year)!r}",
                          f"duration = {law_toml(group.duration)}"]
        return "\n".join(lines) + "\n"

    @classmethod
    def calibrated_to_sla(cls, duration, slo_percent=99.99, **kwargs):
        """A model whose single region is down exactly ``1 - slo`` of the time.

        A CALIBRATION, not an observation: ``rate = -ln(slo) / E[duration]`` makes
        ``P(down) = 1 - exp(-rate E[D])`` equal to ``1 - slo``.
        """
        law = duration_law(duration)
        rate = -math.log(slo_percent / 100) / law.mean_minutes * MINUTES_PER_YEAR
        return cls(rate, law, **kwargs)

    def processes(self, regions, zones=None) -> list:
        """The processes that can take down any of ``regions``: one per region (sorted), then
        each group that contains at least one of them (in the order given), then, with zone
        outages, one per zone in ``zones`` (regions sorted, zones in increasing order).

        Parameters
        ----------
        regions : iterable of str
        zones : dict, optional
            ``{region: zone numbers}``: the zones of the regions' zoned destinations
            (:attr:`plcapacity.Deployment.zones`). Ignored without ``self.zones``.
        """
        regions = sorted(set(regions))
        processes = []
        for region in regions:
            rate, law = self.regions.get(region, (self.rate_per_year, self.duration))
            processes.append(OutageProcess(region, "region", (region,), rate, law))
        for group in self.groups:
            if set(group.regions) & set(regions):
                processes.append(OutageProcess(group.name, "group", group.regions,
                                               group.rate_per_year, group.duration))
        if self.zones is not None and zones:
            for region in sorted(zones):
                if region not in regions:
                    continue
                rate, law = self.zones.for_region(region)
                for zone in sorted(set(zones[region])):
                    processes.append(OutageProcess(f"{region}-zone{zone}", "zone", (region,),
                                                   rate, law, zone))
        return processes
