"""The one capacity model: what a deployment carries for a demand, and which limit binds.

Every entry point that asks "does this deployment carry this demand?" answers it here:
:func:`~plcapacity.capacity.sizing.size` and the batch (through the same formulas), deployment
files (a destination's capacity under the file's ``[demand]``, for the served metric), the
estate and :func:`plcapacity.plan`. Two resources limit a deployment, and churn makes them
differ:

- **NAT ports**: ``pls_count x nat_ips x backend_vms x ports_per_nat_ip``. A connection holds
  its port while open and ``port_hold_s`` after it closes, so a demand of ``connections`` open
  connections opening ``new_connections_per_s`` keeps ``connections + rate x hold`` ports in use
  (Little's law).
- **VM connections**: ``backend_vms x max_connections_per_vm`` open connections (default: the
  NIC's documented concurrent flows). A closed connection no longer holds a flow.

A deployment carrying ``x`` of the demand's connections (and, hashing being uniform, the same
share of its opening rate) needs ``x x ports_needed / connections`` ports and ``x`` VM
connections, so what it carries of this demand is::

    carried = min(port_capacity / port_factor, vm_capacity),  port_factor = ports_needed / connections

and it carries the demand when ``carried >= connections``: exactly the two conditions sizing
checks (``ports_needed <= port_capacity`` and ``connections <= vm_capacity``). Carried
capacities add up over destinations that share a demand, which is what the availability
calculation needs.

Headroom and growth are planning figures: sizing and :func:`plcapacity.plan` add the headroom
on top of the demand; the *served* metric asks only that the demand itself is carried.

References
----------
.. [1] Azure Private Link FAQ (64k ports per NAT IP and backend VM),
   https://learn.microsoft.com/azure/private-link/private-link-faq
.. [2] NAT Gateway port reuse timers (the assumed 65 s hold after FIN),
   https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource#port-reuse-timers
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from plcapacity.base.validation import check_number
from plcapacity.capacity.ceilings import (
    NIC_FLOWS,
    connection_ceiling,
    resolve_limits,
    vm_cap,
)

__all__ = ["Demand", "deployment_capacity", "carried_connections", "DEMAND_KEYS",
           "MAX_HEADROOM"]

#: Largest headroom accepted: 10 (1,000 % spare). Beyond it a value is almost surely a
#: percentage typed as a fraction (20 meaning 20 %).
MAX_HEADROOM = 10.0

#: The keys of a deployment file's ``[demand]`` table: the batch's column names and units.
DEMAND_KEYS = ("connections", "new_connections_per_s", "port_hold_s", "headroom",
               "growth_per_year")


def _fraction(value, name, where):
    """A fraction given as a number or as text such as ``"20%"``."""
    if isinstance(value, str) and value.strip().endswith("%"):
        text = value.strip()[:-1]
        try:
            value = float(text) / 100
        except ValueError:
            raise ValueError(f"{where}{name}={value!r} is not allowed: a fraction such as 0.2 "
                             "or a percentage such as '20%'") from None
    return value


@dataclasses.dataclass(frozen=True)
class Demand:
    """A demand on a Private Link service, in the batch's names and units.

    Parameters
    ----------
    connections : float
        Connections open at the same time (at their peak). [connections]
    new_connections_per_s : float, default 0
        Connection opening rate; each closed connection holds its port for ``port_hold_s``.
        [1/s]
    port_hold_s : float, optional
        Port hold time after close. [s] Default: ``limits.default_port_hold_s`` (65 s, an
        assumption: NAT Gateway's documented figure, none documented for Private Link).
    headroom : float, default 0.2
        Spare fraction sizing adds on top of the demand (0.2 = 20 %; text ``"20%"`` also
        accepted). [-] Not part of the *served* condition.
    growth_per_year : float, default 0
        Demand growth per year, a fraction above -1 (0.3 = +30 % a year). [-]
    where : str, optional
        Prefix naming the source of the values in error messages (such as ``"[demand] "``).
    limits : Limits, optional
        Reference values (the default hold time).

    Attributes
    ----------
    ports_needed : float
        ``connections + new_connections_per_s x port_hold_s``. [ports]
    port_factor : float
        Ports per open connection, ``ports_needed / connections`` (1 without connections). [-]
    assumptions : tuple of str
        The assumed values used (the default hold time when churn needs it).

    Examples
    --------
    >>> import plcapacity as plc
    >>> demand = plc.Demand(100_000, new_connections_per_s=1_000, port_hold_s=65)
    >>> demand.ports_needed, demand.port_factor                 # [ports], [-]
    (165000.0, 1.65)
    """

    connections: float
    new_connections_per_s: float = 0.0
    port_hold_s: float | None = None
    headroom: float = 0.2
    growth_per_year: float = 0.0
    where: dataclasses.InitVar[str] = ""
    limits: dataclasses.InitVar[object] = None
    assumptions: tuple = dataclasses.field(default=(), compare=False)

    def __post_init__(self, where, limits):
        lim = resolve_limits(limits)
        connections = check_number(self.connections, "connections", 0, where=where.strip() or None)
        rate = check_number(self.new_connections_per_s, "new_connections_per_s", 0,
                            where=where.strip() or None)
        assumed = ()
        if self.port_hold_s is None:
            hold = float(lim.default_port_hold_s)
            if rate > 0:
                assumed = (f"port_hold_s={hold:g} s is an assumption (Azure documents no "
                           "Private Link port hold-down; NAT Gateway's 65 s after FIN is the "
                           "nearest figure)",)
        else:
            hold = check_number(self.port_hold_s, "port_hold_s", 0, where=where.strip() or None)
        headroom = check_number(_fraction(self.headroom, "headroom", where), "headroom", 0,
                                MAX_HEADROOM, where=where.strip() or None,
                                allowed="a fraction from 0 to 10 (0.2 or '20%' = 20 % spare)")
        growth = check_number(_fraction(self.growth_per_year, "growth_per_year", where),
                              "growth_per_year", -1, where=where.strip() or None, low_inclusive=False,
                              allowed="a fraction above -1 (0.3 = +30 % a year)")
        for name, value in (("connections", connections), ("new_connections_per_s", rate),
                            ("port_hold_s", hold)):
            if not math.isfinite(value):
                raise ValueError(f"{where}{name}={value!r} is not allowed: a finite number")
        if not math.isfinite(connections + rate * hold):
            raise ValueError(f"{where}connections + new_connections_per_s x port_hold_s "
                             "overflows a float: give smaller values")
        for name, value in (("connections", connections), ("new_connections_per_s", rate),
                            ("port_hold_s", hold), ("headroom", headroom),
                            ("growth_per_year", growth)):
            object.__setattr__(self, name, float(value))
        object.__setattr__(self, "assumptions", tuple(assumed))

    @property
    def ports_needed(self) -> float:
        """Ports the demand keeps in use: open connections plus those held after close."""
        return self.connections + self.new_connections_per_s * self.port_hold_s

    @property
    def port_factor(self) -> float:
        """Ports per open connection under this churn (1 without connections). [-]"""
        return self.ports_needed / self.connections if self.connections > 0 else 1.0

    def after(self, years) -> "Demand":
        """The demand grown by ``growth_per_year`` for ``years`` years (rates scaled alike)."""
        try:
            factor = (1 + self.growth_per_year) ** float(years)
        except OverflowError:
            factor = math.inf
        if not math.isfinite(self.ports_needed * factor):
            raise ValueError(f"growth_per_year={self.growth_per_year:g} over {float(years):g} "
                             "years grows the demand past a float (1.8e308): give a smaller "
                             "growth or horizon")
        return dataclasses.replace(self, connections=self.connections * factor,
                                   new_connections_per_s=self.new_connections_per_s * factor)

    def as_dict(self) -> dict:
        """The demand by its ``[demand]`` keys (what :meth:`from_mapping` reads back)."""
        return {key: getattr(self, key) for key in DEMAND_KEYS}

    @classmethod
    def from_mapping(cls, mapping, *, where="[demand] ", limits=None) -> "Demand":
        """A demand from a ``[demand]`` table (keys :data:`DEMAND_KEYS`; ``connections``
        required), refusing unknown keys with the list of known ones."""
        unknown = sorted(set(mapping) - set(DEMAND_KEYS))
        if unknown:
            raise ValueError(f"{where.strip()}: unknown key(s) {', '.join(unknown)}; allowed: "
                             f"{', '.join(DEMAND_KEYS)}")
        if "connections" not in mapping:
            raise ValueError(f"{where}connections is required (connections open at the same "
                             "time)")
        return cls(**dict(mapping), where=where, limits=limits)


def carried_connections(port_capacity, vm_capacity, port_factor=1.0):
    """Connections of a demand a deployment carries, given both of its capacities.

    Parameters
    ----------
    port_capacity : array_like
        NAT ports. [ports]
    vm_capacity : array_like
        Open connections the VMs hold (inf: no cap). [connections]
    port_factor : float or array_like, default 1
        The demand's ports per open connection (:attr:`Demand.port_factor`). [-]

    Returns
    -------
    ndarray of float
        ``min(port_capacity / port_factor, vm_capacity)``. [connections]
    """
    return np.minimum(np.asarray(port_capacity, dtype=float) / np.asarray(port_factor, float),
                      np.asarray(vm_capacity, dtype=float))


def deployment_capacity(nat_ips, backend_vms, pls_count=1, *, demand=None,
                        max_connections_per_vm=NIC_FLOWS, vms_lost=0, ports_per_nat_ip=None,
                        limits=None) -> dict:
    """Ceiling, binding limit and ports of a deployment for a demand: the one capacity model.

    Vectorized: every count may be an array; they broadcast together.

    Parameters
    ----------
    nat_ips, backend_vms, pls_count : int or array_like
        NAT IP configurations per PLS, backend VMs (all zones), PLSs on the load balancer.
    demand : Demand or float, optional
        The demand (a number: connections without churn). Without it, no churn.
    max_connections_per_vm : float, "nic" or None, default "nic"
        Open connections one VM holds: a number, ``"nic"`` (the NIC's documented concurrent
        flows, as sizing uses) or None (no cap). [connections]
    vms_lost : int or array_like, default 0
        VMs out of service (failures tolerated, zones down). [VMs]
    ports_per_nat_ip : int, optional
        Ports per NAT IP per VM. [ports] Default: ``limits.ports_per_nat_ip``.
    limits : Limits, optional

    Returns
    -------
    dict of ndarray
        ``port_capacity`` [ports], ``vm_capacity`` [connections; inf without a cap],
        ``ceiling`` (open connections without churn, ``min`` of the two) [connections],
        ``carried`` (connections of the demand carried, with its churn) [connections],
        ``binding_limit`` (``"nat_ports"`` or ``"vm_connections"``), ``ports_needed``
        [ports], ``utilization`` (demand over carried) [-] and ``carries`` (bool).

    Examples
    --------
    >>> import plcapacity as plc
    >>> c = plc.deployment_capacity(8, 4, demand=2_040_000)      # NIC cap: 500,000 per VM
    >>> int(c["port_capacity"]), float(c["carried"]), str(c["binding_limit"]), bool(c["carries"])
    (2048000, 2000000.0, 'vm_connections', False)
    """
    lim = resolve_limits(limits)
    if demand is None:
        demand = Demand(0.0, limits=lim)
    elif not isinstance(demand, Demand):
        demand = Demand(demand, limits=lim)
    cap = vm_cap(max_connections_per_vm, lim)
    nat, vms, pls, lost = np.broadcast_arrays(*(np.asarray(a) for a in (
        nat_ips, backend_vms, pls_count, vms_lost)))
    left = np.asarray(vms, dtype=np.int64) - np.asarray(lost, dtype=np.int64)
    if np.any(left < 0):
        raise ValueError("vms_lost is more than backend_vms")
    safe = np.maximum(left, 1)
    ports = np.where(left > 0, connection_ceiling(nat, safe, pls, ports_per_nat_ip=ports_per_nat_ip,
                                                  limits=lim), 0).astype(float)
    vm_capacity = (np.full(left.shape, np.inf) if cap is None
                   else left.astype(float) * float(cap))
    ceiling = np.minimum(ports, vm_capacity)
    carried = carried_connections(ports, vm_capacity, demand.port_factor)
    binding = np.where(ports / demand.port_factor <= vm_capacity, "nat_ports",
                       "vm_connections").astype(object)
    with np.errstate(divide="ignore", invalid="ignore"):
        utilization = np.where(carried > 0, demand.connections / carried,
                               np.where(demand.connections > 0, np.inf, 0.0))
    return dict(port_capacity=ports, vm_capacity=vm_capacity, ceiling=ceiling, carried=carried,
                binding_limit=binding, ports_needed=np.full(left.shape, demand.ports_needed),
                utilization=utilization,
                carries=carried >= demand.connections * (1 - 1e-12))
