"""A multi-region Private Link deployment: endpoints, destinations, demand, failover, SLA.

Build the objects in Python, or load them from a TOML file with :func:`load_deployment`::

    [outages]
    rate_per_year = 1.0
    duration = { law = "fixed", hours = 4 }

    [[destinations]]
    name = "pls-main"
    region = "eastus"
    capacity_connections = 5_000_000   # or nat_ips / backend_vms / pls_count

    [[endpoints]]
    name = "pe-east"
    region = "eastus"
    destination = "pls-main"

Active-passive failover, its delay built from a DNS record's TTL and health probes (or given
as ``delay_minutes``, or as a law ``delay = { law = ... }``)::

    [failover]
    mode = "active-passive"
    order = ["pe-east", "pe-west"]
    dns_ttl_s = 300              # also: probe_interval_s, tolerated_failures, probe_timeout_s,
                                 # dns_propagation_s, overstay_share, overstay_min_s, overstay_mean_s

Backend VMs in availability zones, and zone outages::

    [[destinations]]
    name = "pls-east"
    region = "eastus"            # a region with zones (data/regions.csv)
    nat_ips = 4
    backend_vms = 6
    zones = [1, 2, 3]            # spread evenly, remainder to the first zones
    # or: vms_per_zone = [2, 2, 2]

    [outages.zones]              # one process per zone used in each region
    rate_per_year = 2.0
    duration = { law = "fixed", hours = 3 }

    [outages.zones.regions.eastus]   # optional: this region's zones differ
    rate_per_year = 1.0

A zone outage removes that zone's VMs: the destination then carries the
:func:`~plcapacity.connection_ceiling` of the VMs left. Endpoints are zone-agnostic, so
reachability is unchanged; a regional outage takes every zone. Zones need the capacity model
(``nat_ips``/``backend_vms``), not ``capacity_connections``.

Regions the catalog (``data/regions.csv``) does not list are declared first, then named as
any other region (they have no geography or pair; zones only when declared with them)::

    [[regions]]
    name = "lab-1"
    availability_zones = false   # the default

The outage model: an ``[outages]`` table as above, ``[outages] profile = "<name>"`` for a
named profile (:func:`plcapacity.outage_profiles`), or no ``[outages]`` at all for the default
profile (``azure-datapath-2018-2019``; the model's name then says it was not chosen in the
file).

Every field is validated; errors name the file, the table, the key and what is allowed.
"""

from __future__ import annotations

import tomllib
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path

import numpy as np

from plcapacity.availability.failover_delay import DELAY_PART_KEYS, failover_delay_law
from plcapacity.base.limits import get_limits
from plcapacity.base.regions import (
    DeclaredRegion,
    check_region,
    has_availability_zones,
    regions_in_geography,
)
from plcapacity.base.sla import SLA
from plcapacity.base.tables import read_bytes_limited
from plcapacity.base.validation import check_number, short_repr
from plcapacity.capacity.ceilings import NIC_FLOWS, connection_ceiling, vm_cap
from plcapacity.capacity.model import Demand, carried_connections, deployment_capacity
from plcapacity.outages.laws import MAX_OUTAGE_HOURS, duration_law
from plcapacity.outages.processes import OutageGroup, OutageModel, ZoneOutages
from plcapacity.outages.profiles import DEFAULT_PROFILE, outage_profile

#: Largest deployment file read. [bytes] (1 MiB: thousands of endpoints.)
MAX_DEPLOYMENT_BYTES = 1 << 20

__all__ = ["Destination", "Endpoint", "Failover", "Deployment", "load_deployment",
           "regional_deployment", "delay_law"]

FAILOVER_MODES = ("active-active", "active-passive")


@dataclass(frozen=True)
class Destination:
    """A PLS (or PaaS resource) that endpoints connect to.

    Give its capacity directly (``capacity_connections``) or by the capacity model
    (``nat_ips`` and ``backend_vms``, optionally ``pls_count`` and ``max_connections_per_vm``):
    then ``capacity_connections`` is :func:`plcapacity.connection_ceiling` of all its VMs.

    Parameters
    ----------
    name : str
        Names the destination (endpoints refer to it).
    region : str
        Its region (names from ``data/regions.csv``).
    capacity_connections : float, optional
        Connections it can carry. [connections] Needed for the ``served`` metric.
    nat_ips : int, optional
        NAT IP configurations per PLS. [-]
    backend_vms : int, optional
        Backend VMs behind the PLS (all zones together). [-]
    pls_count : int, default 1
        Private Link Services in front of the same VMs. [-]
    max_connections_per_vm : float, "nic" or None, default "nic"
        Most open connections one VM holds. [connections] Default: the NIC's documented
        concurrent flows (``limits.vm_nic_concurrent_flows``), as sizing applies; None for no
        cap. Only with the capacity model.
    zones : sequence of int, optional
        Availability zones holding the backend VMs, such as ``(1, 2, 3)``: the VMs are spread
        evenly, any remainder going to the first zones listed (7 VMs over zones 1, 2, 3: 3, 2,
        2). Needs the capacity model and a region with availability zones.
    vms_per_zone : sequence of int, optional
        Backend VMs in each zone, instead of an even spread (with ``zones``: one count per zone
        listed; alone: zones 1, 2, ...). Implies ``backend_vms`` (their sum).

    Notes
    -----
    Under a demand with churn, what a modelled destination carries is
    :func:`plcapacity.deployment_capacity`'s ``carried``: ``min(NAT ports / port_factor, VMs x
    cap)`` (:meth:`carried`). A destination given only ``capacity_connections`` carries that
    many connections of any demand (the figure is taken to include churn).

    With zones, a zone outage removes that zone's VMs and the capacity becomes the
    ``connection_ceiling`` of the surviving VMs (same NAT IPs, PLS count and per-VM cap; 0 with
    no VM left): :meth:`zone_capacities`. The endpoints are not affected (private endpoints and
    Private Link Services are zone-agnostic,
    https://learn.microsoft.com/azure/private-link/private-link-faq). A destination given only
    ``capacity_connections`` cannot have zones: the ceiling is not linear in the VMs when the
    per-VM cap or the NAT ports bind differently, so scaling it by the surviving share would
    overstate or understate what is left; give the capacity model instead.

    Zones are matched by number within a region: two destinations in one region that list
    zone 1 lose their zone-1 VMs together. (Zone numbers are logical, per subscription; across
    subscriptions the same number can be a different physical zone.) A destination without
    zones is not affected by zone outages.

    Examples
    --------
    >>> import plcapacity as plc
    >>> pls = plc.Destination("pls-east", "eastus", nat_ips=4, backend_vms=6, zones=(1, 2, 3))
    >>> pls.capacity_connections, pls.vms_per_zone     # [connections], [VMs per zone]
    (1536000.0, (2, 2, 2))
    """

    name: str
    region: str
    capacity_connections: float | None = None
    _: KW_ONLY
    nat_ips: int | None = None
    backend_vms: int | None = None
    pls_count: int = 1
    max_connections_per_vm: float | str | None = NIC_FLOWS
    zones: tuple = ()
    vms_per_zone: tuple = ()
    port_capacity: float | None = field(default=None, init=False, repr=False)
    vm_capacity: float | None = field(default=None, init=False, repr=False)

    def __post_init__(self):
        where = f"destination {self.name!r}"
        check_region(self.region, where=f"{where} region")
        zones = _zone_list(self.zones, f"{where} zones")
        per_zone = _zone_list(self.vms_per_zone, f"{where} vms_per_zone", counts=True)
        cap_given = not (isinstance(self.max_connections_per_vm, str)
                         and self.max_connections_per_vm.strip().lower() == NIC_FLOWS)
        modelled = (self.nat_ips is not None or self.backend_vms is not None or bool(per_zone)
                    or cap_given or self.pls_count != 1)
        if (zones or per_zone) and not modelled:
            raise ValueError(
                f"{where}: zones need the capacity model (nat_ips and backend_vms or "
                "vms_per_zone): the capacity with a zone down is the connection ceiling of "
                "the surviving VMs, which capacity_connections alone does not give")
        if not modelled:
            if self.capacity_connections is not None:
                value = _number(self.capacity_connections, where, "capacity_connections", low=0)
                object.__setattr__(self, "capacity_connections", value)
            return
        if self.capacity_connections is not None:
            raise ValueError(f"{where}: give capacity_connections or nat_ips/backend_vms, "
                             "not both")
        if self.nat_ips is None or (self.backend_vms is None and not per_zone):
            raise ValueError(f"{where}: the capacity model needs both nat_ips and backend_vms "
                             "(or vms_per_zone)")
        if per_zone:
            total = sum(per_zone)
            if self.backend_vms is not None and _number(self.backend_vms, where, "backend_vms",
                                                        low=1, integer=True) != total:
                raise ValueError(f"{where}: backend_vms={self.backend_vms!r} is not the sum of "
                                 f"vms_per_zone={list(per_zone)} ({total}); give one of them")
            if zones and len(zones) != len(per_zone):
                raise ValueError(f"{where}: vms_per_zone={list(per_zone)} needs one count per "
                                 f"zone in zones={list(zones)}")
            zones = zones or tuple(range(1, len(per_zone) + 1))
            object.__setattr__(self, "backend_vms", total)
        if zones:
            _check_zones(zones, self.region, where)
            if not per_zone:
                vms = _number(self.backend_vms, where, "backend_vms", low=1, integer=True)
                per_zone = tuple(vms // len(zones) + (i < vms % len(zones))
                                 for i in range(len(zones)))
                if min(per_zone) == 0:
                    raise ValueError(
                        f"{where}: backend_vms={vms} cannot be spread over zones="
                        f"{list(zones)}: give at least one VM per zone, or fewer zones")
        object.__setattr__(self, "zones", zones)
        object.__setattr__(self, "vms_per_zone", per_zone)
        try:
            cap = vm_cap(self.max_connections_per_vm, get_limits())
            figures = deployment_capacity(self.nat_ips, self.backend_vms, self.pls_count,
                                          max_connections_per_vm=cap)
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
        object.__setattr__(self, "max_connections_per_vm", cap)
        object.__setattr__(self, "port_capacity", float(figures["port_capacity"]))
        object.__setattr__(self, "vm_capacity", float(figures["vm_capacity"]))
        object.__setattr__(self, "capacity_connections", float(figures["ceiling"]))

    @property
    def has_capacity_model(self) -> bool:
        """Whether the capacity comes from nat_ips and backend_vms."""
        return self.nat_ips is not None

    def zone_capacities(self, port_factor=1.0) -> np.ndarray:
        """Connections carried with each subset of the zones down. [connections]

        Parameters
        ----------
        port_factor : float, default 1
            The demand's ports per open connection (:attr:`plcapacity.Demand.port_factor`):
            churn makes the NAT ports carry fewer open connections.

        Returns
        -------
        ndarray of float, shape (2**Z,)
            Element ``m``: :meth:`carried` by the VMs left when zone ``zones[j]`` is down for
            each bit ``j`` set in ``m`` (0 with no VM left). Without zones, one element: all
            VMs up (NaN when the capacity is unknown).
        """
        if not self.zones:
            return np.array([self.carried(port_factor)], dtype=float)
        masks = np.arange(1 << len(self.zones), dtype=np.int64)
        down = (masks[:, None] >> np.arange(len(self.zones))[None, :]) & 1
        left = ((1 - down) * np.array(self.vms_per_zone, dtype=np.int64)[None, :]).sum(axis=1)
        figures = deployment_capacity(self.nat_ips, self.backend_vms, self.pls_count,
                                      max_connections_per_vm=self.max_connections_per_vm,
                                      vms_lost=self.backend_vms - left)
        return carried_connections(figures["port_capacity"], figures["vm_capacity"],
                                   port_factor)

    def carried(self, port_factor=1.0) -> float:
        """Connections of a demand this destination carries with all VMs up. [connections]

        ``min(port_capacity / port_factor, vm_capacity)`` with the capacity model
        (:func:`plcapacity.deployment_capacity`); ``capacity_connections`` as given otherwise
        (NaN when unknown).
        """
        if not self.has_capacity_model:
            return np.nan if self.capacity_connections is None else self.capacity_connections
        return float(carried_connections(self.port_capacity, self.vm_capacity, port_factor))

    @classmethod
    def from_capacity_model(cls, name, region, *, nat_ips, backend_vms, pls_count=1, **kwargs):
        """A destination whose capacity is :func:`plcapacity.connection_ceiling`.

        ``kwargs``: ``max_connections_per_vm``, ``zones``, ``vms_per_zone``; other
        :func:`~plcapacity.connection_ceiling` options (such as ``ports_per_nat_ip``) give a
        fixed capacity without the model (and so without zones).
        """
        model_keys = {"max_connections_per_vm", "zones", "vms_per_zone"}
        if set(kwargs) <= model_keys:
            return cls(name, region, nat_ips=nat_ips, backend_vms=backend_vms,
                       pls_count=pls_count, **kwargs)
        return cls(name, region, connection_ceiling(nat_ips, backend_vms, pls_count, **kwargs))


def _zone_list(value, where, *, counts=False) -> tuple:
    """Zone numbers (or VM counts per zone) as a tuple of ints; ``()`` when not given."""
    if value is None:
        return ()
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, np.ndarray)):
        example = "[2, 2, 2]" if counts else "[1, 2, 3]"
        raise ValueError(f"{where}={short_repr(value)} is not allowed: a list of whole numbers "
                         f"such as {example}")
    return tuple(check_number(v.item() if isinstance(v, np.generic) else v,
                              f"{where}[{i}]", 1, integer=True)
                 for i, v in enumerate(value))


def _check_zones(zones, region, where):
    """Zones must be distinct, within the region's zones, in a region that has zones."""
    if not has_availability_zones(region):
        source = ("its [[regions]] declaration" if isinstance(region, DeclaredRegion)
                  else "data/regions.csv")
        raise ValueError(f"{where}: region {region!r} has no availability zones ({source}); "
                         "remove zones/vms_per_zone or choose a region with zones")
    most = int(get_limits().zones_per_region)
    bad = [z for z in zones if z > most]
    if bad or len(set(zones)) != len(zones):
        raise ValueError(f"{where}: zones={list(zones)} is not allowed: distinct zone numbers "
                         f"from 1 to {most} (limits.zones_per_region)")


@dataclass(frozen=True)
class Endpoint:
    """A private endpoint in ``region`` connected to the destination named ``destination``.

    Parameters
    ----------
    name : str
        Names the endpoint (unique in a deployment; failover order refers to it).
    region : str
        Region of the private endpoint (names from ``data/regions.csv``).
    destination : str
        Name of the :class:`Destination` it connects to.

    Raises
    ------
    ValueError
        For an unknown region.

    Examples
    --------
    >>> import plcapacity as plc
    >>> plc.Endpoint("pe-west", "westus", "pls-east")
    Endpoint(name='pe-west', region='westus', destination='pls-east')
    """

    name: str
    region: str
    destination: str

    def __post_init__(self):
        check_region(self.region, where=f"endpoint {self.name!r} region")


#: Keys of a delay law given in minutes, and the hour keys of the duration laws they stand for.
_MINUTE_KEYS = {"minutes": "hours", "mean_minutes": "mean_hours",
                "median_minutes": "median_hours", "p95_minutes": "p95_hours",
                "scale_minutes": "scale_hours"}


def delay_law(spec, *, where="[failover] delay"):
    """A failover delay law: any outage duration law (:func:`plcapacity.outages.duration_law`),
    with its parameters in hours or in minutes.

    Parameters
    ----------
    spec : dict or duration law
        Such as ``{"law": "lognormal", "median_minutes": 10, "p95_minutes": 60}``,
        ``{"law": "exponential", "mean_minutes": 15}``, ``{"law": "fixed", "minutes": 5}``,
        ``{"law": "empirical", "minutes": [3, 8, 45]}`` or the same with ``*_hours`` keys.
    where : str
        Where the spec comes from, for error messages.

    Returns
    -------
    duration law
        ``sample(rng, n)`` gives delays in minutes; ``mean_minutes`` their mean. [min]

    Examples
    --------
    >>> delay_law({"law": "exponential", "mean_minutes": 15}).mean_minutes
    15.0
    """
    if isinstance(spec, dict):
        converted = {}
        for key, value in spec.items():
            if key in _MINUTE_KEYS:
                hours = _MINUTE_KEYS[key]
                if hours in spec:
                    raise ValueError(f"{where}: give {key} or {hours}, not both")
                if isinstance(value, (list, tuple)):
                    value = [v / 60 if _is_number(v) else v for v in value]
                elif _is_number(value):
                    value = value / 60
                converted[hours] = value
            else:
                converted[key] = value
        spec = converted
    return duration_law(spec, where=where)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Failover:
    """How traffic moves between endpoints.

    Parameters
    ----------
    mode : {"active-active", "active-passive"}
        ``active-active``: every usable endpoint carries traffic; ``active-passive``: only
        the first usable one in ``order``.
    delay_minutes : float
        Active-passive: time to fail over to the next endpoint. [min] With ``delay``, it
        becomes the mean of that law.
    order : tuple of str
        Active-passive: endpoint names, highest priority first (default: the endpoints' order).
    delay : dict or duration law, optional
        Active-passive: a random delay, drawn anew for each failover (:func:`delay_law`: any
        outage duration law, in minutes or hours), instead of the fixed ``delay_minutes``;
        :func:`~plcapacity.availability.failover_delay_law` builds one from its parts (health
        probes, the DNS change, the record's TTL). Exact values stay gap-free; the simulation
        draws the delays. See docs/failover.md.

    Raises
    ------
    ValueError
        For an unknown mode or a negative delay.

    Examples
    --------
    >>> import plcapacity as plc
    >>> plc.Failover("active-passive", delay_minutes=5)
    Failover(mode='active-passive', delay_minutes=5.0, order=(), delay=None)
    >>> from plcapacity.availability import failover_delay_law
    >>> built = plc.Failover("active-passive", delay=failover_delay_law(dns_ttl_s=300))
    >>> round(built.delay_minutes, 2)         # the built law's mean [min]
    5.85
    """

    mode: str = "active-active"
    delay_minutes: float = 0.0
    order: tuple = ()
    delay: object = None

    def __post_init__(self):
        if self.mode not in FAILOVER_MODES:
            raise ValueError(f"[failover] mode={self.mode!r} is not allowed: one of "
                             f"{', '.join(FAILOVER_MODES)}")
        object.__setattr__(self, "delay_minutes", check_number(
            self.delay_minutes, "delay_minutes", 0, MAX_OUTAGE_HOURS * 60, where="[failover]",
            allowed=f"a number of minutes from 0 to {MAX_OUTAGE_HOURS * 60:,.0f} (a year)"))
        object.__setattr__(self, "order", tuple(self.order))
        if self.delay is not None:
            law = delay_law(self.delay)
            mean = law.mean_minutes
            if self.delay_minutes and abs(self.delay_minutes - mean) > 1e-9 * mean:
                raise ValueError(f"[failover]: give delay_minutes={self.delay_minutes:g} or "
                                 f"delay ({law.describe()}), not both")
            object.__setattr__(self, "delay", law)
            object.__setattr__(self, "delay_minutes", mean)


@dataclass(frozen=True)
class Deployment:
    """Endpoints, destinations, demand, failover and SLA: the object the availability
    functions take.

    Parameters
    ----------
    destinations : sequence of Destination
        The PLSs (or PaaS resources) the endpoints connect to; names unique.
    endpoints : sequence of Endpoint
        The private endpoints (at least one), in failover order unless ``failover.order``
        says otherwise; names unique.
    demand_connections : float or Demand, optional
        Connections to serve [connections], or a :class:`~plcapacity.Demand` with its churn
        (new connections per second and port hold time), headroom and growth. Without it,
        served = reachable.
    failover : Failover, optional
        Default active-active.
    sla : SLA, optional
        Default: the Private Link SLA and its credit tiers from ``data/sla.csv``.
    demand : Demand, optional
        The demand as a :class:`~plcapacity.Demand` (instead of ``demand_connections``).

    Attributes
    ----------
    demand : Demand or None
        The demand; served means the used destinations carry its ``connections`` with its
        churn (:func:`plcapacity.deployment_capacity`); headroom and growth are not part of it.
    demand_connections : float or None
        ``demand.connections``. [connections]

    Raises
    ------
    ValueError
        Without endpoints, for repeated names, an endpoint whose destination is unknown, a
        demand without a capacity for every destination, or a failover order naming unknown
        endpoints.

    Examples
    --------
    >>> import plcapacity as plc
    >>> pair = plc.Deployment(
    ...     (plc.Destination("pls-we", "westeurope", capacity_connections=1e6),
    ...      plc.Destination("pls-ne", "northeurope", capacity_connections=1e6)),
    ...     (plc.Endpoint("pe-we", "westeurope", "pls-we"),
    ...      plc.Endpoint("pe-ne", "northeurope", "pls-ne")),
    ...     demand_connections=8e5)
    >>> pair.failover.mode, pair.sla.slo_percent
    ('active-active', 99.99)
    """

    destinations: tuple
    endpoints: tuple
    demand_connections: float | None = None
    failover: Failover = field(default_factory=Failover)
    sla: SLA = field(default_factory=SLA.private_link)
    demand: Demand | None = None

    def __post_init__(self):
        demand = self.demand
        if isinstance(self.demand_connections, Demand):
            if demand is not None and demand != self.demand_connections:
                raise ValueError("[demand]: give demand_connections or demand, not both")
            demand = self.demand_connections
        elif self.demand_connections is not None:
            connections = _number(self.demand_connections, "[demand]", "connections", low=0)
            if demand is not None and demand.connections != connections:
                raise ValueError(f"[demand]: demand_connections={connections:g} differs from "
                                 f"demand.connections={demand.connections:g}; give one")
            demand = demand or Demand(connections, where="[demand] ")
        elif demand is not None and not isinstance(demand, Demand):
            raise ValueError(f"[demand]: demand={demand!r} is not a plcapacity.Demand")
        object.__setattr__(self, "demand", demand)
        object.__setattr__(self, "demand_connections",
                           None if demand is None else demand.connections)
        destinations = tuple(self.destinations)
        endpoints = tuple(self.endpoints)
        if not endpoints:
            raise ValueError("[[endpoints]]: a deployment needs at least one endpoint")
        _unique([d.name for d in destinations], "[[destinations]] name")
        _unique([e.name for e in endpoints], "[[endpoints]] name")
        known = {d.name: d for d in destinations}
        for endpoint in endpoints:
            if endpoint.destination not in known:
                raise ValueError(
                    f"[[endpoints]] {endpoint.name!r}: destination={endpoint.destination!r} is "
                    f"not a destination; known: {', '.join(known) or 'none'}")
        if self.demand_connections is not None:
            missing = [d.name for d in destinations if d.capacity_connections is None]
            if missing:
                raise ValueError(f"[demand] needs a capacity for every destination; missing for "
                                 f"{', '.join(missing)} (capacity_connections or nat_ips/"
                                 "backend_vms)")
        order = self.failover.order or tuple(e.name for e in endpoints)
        names = [e.name for e in endpoints]
        if sorted(order) != sorted(names):
            raise ValueError(f"[failover] order={list(order)} must list every endpoint exactly "
                             f"once: {', '.join(names)}")
        if self.failover.mode == "active-passive":
            endpoints = tuple(sorted(endpoints, key=lambda e: order.index(e.name)))
        object.__setattr__(self, "failover", Failover(self.failover.mode,
                                                      self.failover.delay_minutes, order,
                                                      self.failover.delay))
        object.__setattr__(self, "destinations", destinations)
        object.__setattr__(self, "endpoints", endpoints)

    @property
    def regions(self) -> list[str]:
        """Every region an endpoint or a destination is in, sorted."""
        return sorted({e.region for e in self.endpoints} | {d.region for d in self.destinations
                                                            if d.name in self.used_destinations})

    @property
    def used_destinations(self) -> list[str]:
        """Names of the destinations some endpoint connects to, in declaration order."""
        used = {e.destination for e in self.endpoints}
        return [d.name for d in self.destinations if d.name in used]

    @property
    def zones(self) -> dict:
        """``{region: zone numbers}`` over the used destinations that have zones (sorted):
        the zones whose outages matter (one process each, with ``[outages.zones]``)."""
        used = set(self.used_destinations)
        zones = {}
        for d in self.destinations:
            if d.name in used and d.zones:
                zones.setdefault(d.region, set()).update(d.zones)
        return {region: tuple(sorted(z)) for region, z in sorted(zones.items())}

    def destination(self, name) -> Destination:
        return next(d for d in self.destinations if d.name == name)


def regional_deployment(service, pe_regions, destination_region=None, *,
                        capacity_connections=None, demand_connections=None,
                        failover="active-active", delay_minutes=0.0, delay=None,
                        sla=None, pls_regions=None, capacity_model=None) -> Deployment:
    """The layout a scenario row describes: a PLS in each PLS region, and a private endpoint
    in each endpoint region.

    Parameters
    ----------
    service : str
        Names the objects: ``<service>-pls`` (one PLS region) or ``<service>-pls-<region>``
        (several), and ``pe-<region>``.
    pe_regions : str or sequence of str
        Regions with a private endpoint, in failover order (text: names separated by ``;``).
    destination_region : str, optional
        Region of the PLS (one PLS). Default: the first of ``pe_regions``.
    capacity_connections : float, optional
        Each PLS's connection ceiling, given as a figure. [connections]
    demand_connections : float or Demand, optional
        Connections to serve [connections], or a :class:`~plcapacity.Demand` with its churn.
    failover : {"active-active", "active-passive"}
        How traffic moves between the endpoints (see :class:`Failover`).
    delay_minutes : float
        Active-passive failover delay. [min]
    delay : dict or duration law, optional
        Active-passive: a random delay drawn for each failover, instead of ``delay_minutes``
        (see :class:`Failover`).
    sla : SLA, optional
        Default: the Private Link SLA.
    pls_regions : str or sequence of str, optional
        Regions with a PLS (each the same size), instead of ``destination_region``. Each
        endpoint reaches the PLS of its own region where there is one, else the first listed.
    capacity_model : dict, optional
        Each PLS by the capacity model instead of ``capacity_connections``: ``nat_ips``,
        ``backend_vms`` and optionally ``pls_count``, ``max_connections_per_vm``, ``zones``
        (see :class:`Destination`).

    Returns
    -------
    Deployment

    Raises
    ------
    ValueError
        For an empty or repeated region, an unknown region or failover mode.

    Examples
    --------
    >>> d = regional_deployment("api", "eastus; westus", capacity_connections=1e6)
    >>> [(e.name, e.region, e.destination) for e in d.endpoints]
    [('pe-eastus', 'eastus', 'api-pls'), ('pe-westus', 'westus', 'api-pls')]
    >>> d = regional_deployment("api", "eastus; westus; centralus", pls_regions="westus;eastus",
    ...                         capacity_model={"nat_ips": 8, "backend_vms": 4})
    >>> [(e.region, e.destination) for e in d.endpoints]
    [('eastus', 'api-pls-eastus'), ('westus', 'api-pls-westus'), ('centralus', 'api-pls-westus')]
    """
    names = _region_list(pe_regions, "pe_regions")
    if pls_regions is not None and destination_region:
        raise ValueError("give destination_region (one PLS) or pls_regions (a PLS in each), "
                         "not both")
    homes = (_region_list(pls_regions, "pls_regions") if pls_regions is not None
             else [destination_region or names[0]])
    for home in homes:
        check_region(home, where="pls_regions" if pls_regions is not None
                     else "destination_region")
    if failover not in FAILOVER_MODES:
        raise ValueError(f"failover={failover!r} is not allowed: one of "
                         f"{', '.join(FAILOVER_MODES)}")
    single = len(homes) == 1 and pls_regions is None
    plss = {}
    for home in homes:
        name = f"{service}-pls" if single else f"{service}-pls-{home}"
        plss[home] = (Destination(name, home, capacity_connections) if capacity_model is None
                      else Destination(name, home, **capacity_model))
    endpoints = tuple(Endpoint(f"pe-{region}", region, plss.get(region, plss[homes[0]]).name)
                      for region in names)
    return Deployment(tuple(plss.values()), endpoints, demand_connections,
                      Failover(failover, delay_minutes, tuple(e.name for e in endpoints),
                               delay=delay),
                      SLA.private_link() if sla is None else sla)


def _region_list(text, where) -> list:
    """Region names from ``"a; b"`` or a sequence: known, non-empty, not repeated."""
    joined = text if isinstance(text, str) else ";".join(map(str, text))
    names = [r.strip() for r in joined.split(";") if r.strip()]
    if not names:
        raise ValueError(f"{where}={joined!r} is not allowed: one or more region names "
                         "separated by ';'")
    for name in names:
        check_region(name, where=where)
    if len(set(names)) != len(names):
        raise ValueError(f"{where}={joined!r} is not allowed: a region is listed twice")
    return names


def _unique(names, where):
    seen = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{where}: {name!r} appears twice; names must be unique")
        seen.add(name)


def _number(value, table, key, *, low=None, integer=False):
    return check_number(value, key, low, integer=integer, where=table)


# ----------------------------------------------------------------------------- TOML


_TOP_KEYS = {"regions", "outages", "destinations", "endpoints", "demand", "failover", "sla"}


def _declared_regions(doc) -> dict:
    """The ``[[regions]]`` a file declares (regions the catalog does not list):
    ``{name: DeclaredRegion}``."""
    declared = {}
    for i, spec in enumerate(_array_of_tables(doc, "regions", "[[regions]]"), start=1):
        where = f"[[regions]] #{i}"
        _check_keys(spec, {"name", "availability_zones"}, where)
        name = _text(_require(spec, "name", where), f"{where} name")
        if name in declared:
            raise ValueError(f"[[regions]] {name!r} is declared twice")
        try:
            declared[name] = DeclaredRegion(
                name, availability_zones=spec.get("availability_zones", False))
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
    return declared


def _with_declared(value, declared):
    """Region names (a name, a list of names, or a table keyed by names) with the declared
    ones as their :class:`DeclaredRegion`."""
    if isinstance(value, str):
        return declared.get(value, value)
    if isinstance(value, list):
        return [_with_declared(v, declared) for v in value]
    if isinstance(value, dict):
        return {declared.get(k, k): v for k, v in value.items()}
    return value


def _check_keys(table: dict, allowed, where):
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: "
                         f"{', '.join(sorted(allowed))}")


def _require(table: dict, key, where):
    if key not in table:
        raise ValueError(f"{where}: missing key {key!r}")
    return table[key]


def _table(doc, key, where):
    """``doc[key]`` as a table (``{}`` when absent), or an error naming it."""
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a table (write [{key}] and keys under it), "
                         f"got {value!r}")
    return value


def _names(value, where):
    """A list of names (strings), or an error: a lone string is not split into letters."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}={value!r} is not allowed: a list of names such as "
                         '["pe-east", "pe-west"]')
    return tuple(value)


def _array_of_tables(doc, key, where=None):
    value = doc.get(key, [])
    where = where or f"[[{key}]]"
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError(f"{where} must be an array of tables (write {where} blocks), got "
                         f"{short_repr(value)}")
    return value


def _text(value, where):
    """A name or a region: non-empty text, or an error naming the key."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}={short_repr(value)} is not allowed: non-empty text")
    return value


def _parse_outages(spec: dict, source: str, declared=None) -> OutageModel:
    if "profile" in spec:
        _check_keys(spec, {"profile"}, "[outages] with profile")
        name = spec["profile"]
        if not isinstance(name, str):
            raise ValueError(f"[outages] profile={name!r} is not allowed: a profile name such "
                             f'as "{DEFAULT_PROFILE}"')
        try:
            return outage_profile(name)
        except ValueError as error:
            raise ValueError(f"[outages] profile: {error}") from None
    _check_keys(spec, {"rate_per_year", "duration", "regions", "groups", "zones", "profile"},
                "[outages]")
    groups = []
    for i, group in enumerate(_array_of_tables(spec, "groups", "[[outages.groups]]"), start=1):
        where = f"[[outages.groups]] #{i}"
        _check_keys(group, {"name", "regions", "geography", "rate_per_year", "duration"}, where)
        name = _text(_require(group, "name", where), f"{where} name")
        where = f"[[outages.groups]] {name!r}"
        if ("regions" in group) == ("geography" in group):
            raise ValueError(f"{where}: give either regions = [...] or geography = \"...\"")
        if "geography" in group:
            geography = group["geography"]
            if not isinstance(geography, str):
                raise ValueError(f"{where}: geography={geography!r} is not allowed: a "
                                 'geography name such as "United States"')
            try:
                regions = regions_in_geography(geography)
            except ValueError as error:
                raise ValueError(f"{where} geography: {error}") from None
        else:
            regions = _with_declared(list(_names(group["regions"], f"{where} regions")),
                                     declared or {})
        groups.append(OutageGroup(name, tuple(regions), _require(group, "rate_per_year", where),
                                  _require(group, "duration", where)))
    regions = _with_declared(_table(spec, "regions", "[outages.regions]"), declared or {})
    zones = None
    if "zones" in spec:
        zones = _table(spec, "zones", "[outages.zones]")
        _check_keys(zones, {"rate_per_year", "duration", "regions"}, "[outages.zones]")
        zones = ZoneOutages(_require(zones, "rate_per_year", "[outages.zones]"),
                            _require(zones, "duration", "[outages.zones]"),
                            _with_declared(_table(zones, "regions", "[outages.zones.regions]"),
                                           declared or {}))
    return OutageModel(_require(spec, "rate_per_year", "[outages]"),
                       _require(spec, "duration", "[outages]"), regions, tuple(groups), zones,
                       name=f"[outages] of {source}")


def _parse_destination(spec, i, declared=None):
    where = f"[[destinations]] #{i}"
    model_keys = {"nat_ips", "backend_vms", "pls_count", "max_connections_per_vm", "zones",
                  "vms_per_zone"}
    _check_keys(spec, {"name", "region", "capacity_connections"} | model_keys, where)
    name = _text(_require(spec, "name", where), f"{where} name")
    where = f"[[destinations]] {name!r}"
    region = _with_declared(_text(_require(spec, "region", where), f"{where} region"),
                            declared or {})
    model = {k: spec[k] for k in model_keys if k in spec}
    if model and "capacity_connections" in spec and not set(model) <= {"zones",
                                                                         "vms_per_zone"}:
        raise ValueError(f"{where}: give capacity_connections or nat_ips/backend_vms, not both")
    try:
        return Destination(name, region, spec.get("capacity_connections"), **model)
    except ValueError as error:
        message = str(error)
        own = f"destination {name!r}"
        if message.startswith(own + ": "):
            raise ValueError(f"{where}: {message[len(own) + 2:]}") from None
        raise ValueError(message if message.startswith(own) else f"{where}: {message}"
                         ) from None


_FAILOVER_KEYS = ("delay", "delay_minutes", "mode", "order")


def _parse_failover(spec: dict) -> Failover:
    """The ``[failover]`` table: a fixed delay (``delay_minutes``), a law (``delay``) or the
    delay's parts (``dns_ttl_s`` and the other :data:`DELAY_PART_KEYS`), one of the three."""
    unknown = sorted(set(spec) - set(_FAILOVER_KEYS) - set(DELAY_PART_KEYS))
    if unknown:
        raise ValueError(f"[failover]: unknown key(s) {', '.join(unknown)}; allowed: "
                         f"{', '.join(_FAILOVER_KEYS)}, or the delay's parts "
                         f"{', '.join(DELAY_PART_KEYS)}")
    if "delay" in spec and "delay_minutes" in spec:
        raise ValueError("[failover]: give delay_minutes or delay, not both")
    parts = {key: spec[key] for key in DELAY_PART_KEYS if key in spec}
    delay = spec.get("delay")
    if parts:
        other = next((key for key in ("delay", "delay_minutes") if key in spec), None)
        if other:
            raise ValueError(f"[failover]: give {other} or the delay's parts "
                             f"({', '.join(parts)}), not both")
        if "dns_ttl_s" not in parts:
            raise ValueError(f"[failover]: {', '.join(parts)} needs dns_ttl_s, the TTL of the "
                             "endpoint's DNS record [s], to build the delay from its parts")
        delay = failover_delay_law(**parts, where="[failover]")
    return Failover(spec.get("mode", "active-active"), spec.get("delay_minutes", 0.0),
                    _names(spec.get("order", []), "[failover] order"), delay)


def _credit_tiers(tiers):
    shape = ("[sla] credit_tiers: a list of { uptime_below_percent = ..., credit_percent = ... } "
             "tables")
    if not isinstance(tiers, list) or not all(isinstance(t, dict) for t in tiers):
        raise ValueError(shape)
    for i, tier in enumerate(tiers, start=1):
        _check_keys(tier, {"uptime_below_percent", "credit_percent"},
                    f"[sla] credit_tiers #{i}")
        for key in ("uptime_below_percent", "credit_percent"):
            _require(tier, key, f"[sla] credit_tiers #{i}")
    return tuple((t["uptime_below_percent"], t["credit_percent"]) for t in tiers)


def load_deployment(path) -> tuple[Deployment, OutageModel]:
    """Read a deployment file (TOML) into ``(Deployment, OutageModel)``.

    Parameters
    ----------
    path : str or path-like
        A TOML file (at most 1 MiB), as in ``data/examples/*.toml``.

    Returns
    -------
    (Deployment, OutageModel)
        The deployment, and the outage model of its ``[outages]`` table (rates [1/yr],
        durations [h]), of its named profile, or the default profile where the file has no
        ``[outages]``; :meth:`OutageModel.describe` says which.

    Raises
    ------
    ValueError
        Naming the file, the table, the key and what is allowed.
    FileNotFoundError
        When the file does not exist.

    Examples
    --------
    >>> import plcapacity as plc
    >>> path = plc.data_path("examples/two-region-active-active.toml")
    >>> deployment, outages = plc.load_deployment(path)
    >>> [e.name for e in deployment.endpoints], deployment.demand_connections   # [connections]
    (['pe-east', 'pe-west'], 1500000.0)
    """
    path = Path(path)
    content = read_bytes_limited(path, max_bytes=MAX_DEPLOYMENT_BYTES, what="deployment file")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not a TOML text file (byte {error.start} is not UTF-8)"
                         ) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path}: not valid TOML: {error}") from None
    except RecursionError:
        raise ValueError(f"{path}: not usable TOML: arrays or tables nested too deeply"
                         ) from None
    try:
        _check_keys(doc, _TOP_KEYS, "top level")
        declared = _declared_regions(doc)
        if "outages" in doc:
            model = _parse_outages(_table(doc, "outages", "[outages]"), path.name, declared)
        else:  # the default profile, and the model's name says it was not chosen in the file
            model = outage_profile(DEFAULT_PROFILE).named(
                f"{DEFAULT_PROFILE}, the default ({path.name} has no [outages])")
        destinations = []
        for i, spec in enumerate(_array_of_tables(doc, "destinations"), start=1):
            destinations.append(_parse_destination(spec, i, declared))
        endpoints = []
        for i, spec in enumerate(_array_of_tables(doc, "endpoints"), start=1):
            where = f"[[endpoints]] #{i}"
            _check_keys(spec, {"name", "region", "destination"}, where)
            name, region, destination = (_text(_require(spec, key, where), f"{where} {key}")
                                         for key in ("name", "region", "destination"))
            endpoints.append(Endpoint(name, _with_declared(region, declared), destination))
        demand_spec = _table(doc, "demand", "[demand]")
        demand = (Demand.from_mapping(demand_spec, where="[demand] ") if demand_spec
                  else None)
        failover_spec = _table(doc, "failover", "[failover]")
        failover = _parse_failover(failover_spec)
        sla_spec = _table(doc, "sla", "[sla]")
        _check_keys(sla_spec, {"slo_percent", "credit_tiers"}, "[sla]")
        sla = SLA.private_link(sla_spec.get("slo_percent"))
        if "credit_tiers" in sla_spec:
            sla = SLA(sla.slo_percent, _credit_tiers(sla_spec["credit_tiers"]),
                      source=str(path))
        deployment = Deployment(tuple(destinations), tuple(endpoints), None, failover, sla,
                                demand=demand)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    except (TypeError, AttributeError, KeyError, IndexError, RecursionError, OverflowError,
            MemoryError) as error:  # a shape no check above foresaw: still the file's error
        raise ValueError(f"{path}: not a usable deployment file ({type(error).__name__}: "
                         f"{str(error)[:200]})") from None
    return deployment, model
