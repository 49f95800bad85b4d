"""Sizing: the smallest deployments that carry a demand with headroom and VM failures.

:func:`size` lists every feasible (pls_count, nat_ips) for one demand, best first;
:func:`size_table` picks the best deployment for every row of a table of demands at once
(vectorized over rows and configurations), as the batch and ``plcapacity size --input`` do.
Requirements are computed in exact decimal arithmetic, so the answer is right to the last port
at any size.

References
----------
.. [1] Azure Private Link FAQ, https://learn.microsoft.com/azure/private-link/private-link-faq
.. [2] Azure subscription and service limits (Private Link),
   https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from plcapacity.base.exceptions import CapacityWarning, InfeasibleDemandError
from plcapacity.base.results import TableResult
from plcapacity.base.schema import Column, Schema
from plcapacity.base.validation import (
    MAX_COUNT,
    MAX_COUNT_TEXT,
    TableRows,
    check_number,
    short_repr,
)
from plcapacity.capacity.ceilings import (
    NIC_FLOWS,
    PORT_NUMBERS,
    PORTS_ALLOWED,
    connection_ceiling,
    resolve_limits,
    vm_cap,
    whole_number_if_integral,
)
from plcapacity.capacity.imbalance import any_bin_overflow, pool_overflow_probability

__all__ = ["size", "size_table", "SizingOptions", "SizingResults", "DEMAND_COLUMNS",
           "SIZE_RESULT_COLUMNS", "as_counts", "size_rows", "validate_demands", "zone_survivors",
           "zone_vms"]

#: Largest headroom accepted: 10 (1,000 % spare). Beyond it a value is almost surely a
#: percentage typed as a fraction (20 meaning 20 %), so it is refused with that hint.
MAX_HEADROOM = 10.0
HEADROOM_ALLOWED = ("a fraction from 0 to 10 (0.2 = 20 % spare; tables and the CLI also take "
                    "20%)")
#: Highest price of a backend VM accepted: 1,000,000 USD an hour, thousands of times the
#: dearest VM on Azure's price list, and low enough that monthly costs of 5,000 VMs stay
#: exact to the cent in a float. [USD/h]
MAX_VM_HOURLY_USD = 1e6
VM_PRICE_ALLOWED = f"a price per hour from 0 to {MAX_VM_HOURLY_USD:,.0f} (USD)"
#: What a recommendation with one backend VM says.
SINGLE_VM_NOTE = ("one backend VM: no redundancy (a VM failure, reboot or host maintenance "
                  "stops the service); tolerate a VM failure (vm_failures_tolerated=1) for a "
                  "second VM")


def _frame(owner, table):
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{owner}.table is {type(table).__name__}, not a pandas DataFrame")


def _failed(table, failed_rows) -> int:
    """``failed_rows`` as given, or the rows whose ``status`` is not ``ok``."""
    if failed_rows is not None:
        return int(failed_rows)
    return int((table["status"] != "ok").sum()) if "status" in table.columns else 0


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class SizingOptions(TableResult):
    """Every feasible deployment for one demand, best first: what :func:`size` returns.

    The options read like their :attr:`table` (``options.iloc[0]``, ``options["backend_vms"]``,
    ``len(options)``; see :class:`~plcapacity.base.results.TableResult`), and carry the demand
    they were sized for, the assumptions used and the overridden limits as plain attributes,
    not in ``DataFrame.attrs``. Use ``options.table`` where a DataFrame itself is needed
    (``pd.concat``).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per feasible (pls_count, nat_ips), the columns listed under :func:`size`.
    demand : dict, default {}
        The inputs as checked, by argument name of :func:`size`.
    assumptions : tuple of str, default ()
        The assumed (undocumented) values the sizing used, one sentence each.
    overridden : dict, default {}
        The reference limits overridden: name -> ``(reference value, value used)``.

    Attributes
    ----------
    table : pandas.DataFrame
        The options, best first (units per column under :func:`size`).
    demand : dict
        ``concurrent_connections`` [connections], ``new_connections_per_s`` [1/s],
        ``port_hold_s`` [s], ``headroom`` [-], ``vm_failures_tolerated`` [VMs],
        ``consumer_endpoints`` [PEs], ``max_connections_per_vm`` [connections; None: no cap],
        ``overflow_probability`` [0-1 or None], ``vm_hourly_usd`` [USD/h or None], ``zones``
        [zones or None] and ``zone_failures_tolerated`` [zones].
    assumptions : tuple of str
        Sentences naming each assumed value and its unit (such as the 65 s port hold).
    overridden : dict of str to (number, number)
        Each overridden limit's reference and used value, in the limit's own unit.

    References
    ----------
    .. [1] Azure Private Link FAQ (64k ports per NAT IP and backend VM),
       https://learn.microsoft.com/azure/private-link/private-link-faq
    .. [2] NAT Gateway port reuse timers (the assumed 65 s hold after FIN),
       https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource#port-reuse-timers

    Examples
    --------
    >>> import plcapacity as plc
    >>> options = plc.size(2_000_000, new_connections_per_s=100, vm_failures_tolerated=1)
    >>> options[["rank", "pls_count", "nat_ips", "backend_vms"]].head(2)  # one endpoint
       rank  pls_count  nat_ips  backend_vms
    0     1          1        8            6
    1     2          1        7            7
    >>> options.demand["concurrent_connections"], options.demand["port_hold_s"]  # [conn.], [s]
    (2000000.0, 65.0)
    >>> options.assumptions[0].split(" (")[0]
    'port_hold_s=65 s is an assumption'
    >>> options.overridden
    {}
    """

    table: pd.DataFrame
    demand: dict = dataclasses.field(default_factory=dict)
    assumptions: tuple = ()
    overridden: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        _frame("SizingOptions", self.table)
        object.__setattr__(self, "demand", dict(self.demand))
        object.__setattr__(self, "assumptions", tuple(str(a) for a in self.assumptions))
        object.__setattr__(self, "overridden", dict(self.overridden))


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class SizingResults(TableResult):
    """The best deployment for each demand of a table: what :func:`size_table` returns.

    The results read like their :attr:`table` (``results["backend_vms"]``, ``len(results)``;
    see :class:`~plcapacity.base.results.TableResult`), and carry the assumptions used, the
    overridden limits and the number of rows that failed as plain attributes, not in
    ``DataFrame.attrs``. Use ``results.table`` where a DataFrame itself is needed
    (``pd.concat``).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per demand, the columns of :data:`SIZE_RESULT_COLUMNS`.
    assumptions : tuple of str, default ()
        The assumed (undocumented) values the sizing used, one sentence each.
    overridden : dict, default {}
        The reference limits overridden: name -> ``(reference value, value used)``.
    failed_rows : int, optional
        Rows that were not sized (``status`` ``error`` or ``infeasible``). Default: counted
        from the table's ``status`` column (0 without one).

    Attributes
    ----------
    table : pandas.DataFrame
        The results, in the order of the demands (units per column in
        :data:`SIZE_RESULT_COLUMNS`).
    assumptions : tuple of str
        Sentences naming each assumed value and its unit (such as the 65 s port hold).
    overridden : dict of str to (number, number)
        Each overridden limit's reference and used value, in the limit's own unit.
    failed_rows : int
        Rows not sized. [rows]

    References
    ----------
    .. [1] Azure Private Link FAQ (64k ports per NAT IP and backend VM),
       https://learn.microsoft.com/azure/private-link/private-link-faq
    .. [2] NAT Gateway port reuse timers (the assumed 65 s hold after FIN),
       https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource#port-reuse-timers

    Examples
    --------
    >>> import pandas as pd
    >>> import plcapacity as plc
    >>> demands = pd.DataFrame({"service": ["a", "b"],
    ...                         "concurrent_connections": ["100000", "lots"]})
    >>> results = plc.size_table(demands, ports_per_nat_ip=65_536)
    >>> list(results["status"]), results.failed_rows            # [rows]
    (['ok', 'error'], 1)
    >>> results.overridden                                      # [ports]: reference, used
    {'ports_per_nat_ip': (64000, 65536)}
    """

    table: pd.DataFrame
    assumptions: tuple = ()
    overridden: dict = dataclasses.field(default_factory=dict)
    failed_rows: int | None = None

    def __post_init__(self):
        _frame("SizingResults", self.table)
        object.__setattr__(self, "assumptions", tuple(str(a) for a in self.assumptions))
        object.__setattr__(self, "overridden", dict(self.overridden))
        object.__setattr__(self, "failed_rows", _failed(self.table, self.failed_rows))


def _decimal(value) -> Fraction:
    """The exact decimal a number was written as (``1.2`` is 6/5, not the binary float)."""
    if isinstance(value, (int, np.integer)):
        return Fraction(int(value))
    return Fraction(repr(float(value)))


def _min_vms_for_overflow(required_ports, required_connections, nat, pls, lower, lim, ports,
                          max_per_vm, probability):
    """Fewest VMs (at least ``lower``) whose overflow probability at the required load is at
    most ``probability``; ``backend_pool_size + 1`` where even a full pool is not enough.

    Vectorized bisection over the elements (configurations, or rows x configurations);
    ``max_per_vm`` and ``probability`` may be arrays (NaN cap: none). Below ``lower`` (the
    nominal VM count) the load cannot fit at all, so ``lower - 1`` always fails.
    """
    pool = lim.backend_pool_size
    shape = np.shape(lower)
    required_ports, required_connections, nat, pls, probability = (
        np.broadcast_to(np.asarray(a, dtype=float), shape)
        for a in (required_ports, required_connections, nat, pls, probability))
    cap = np.broadcast_to(np.asarray(np.nan if max_per_vm is None else max_per_vm,
                                     dtype=float), shape)

    def passes(vms, sel):
        p = any_bin_overflow(required_ports[sel], pls[sel] * nat[sel] * vms, ports)
        capped = np.isfinite(cap[sel])
        if capped.any():
            p_vm = any_bin_overflow(required_connections[sel], vms.astype(float),
                                 np.where(capped, cap[sel], 1.0))
            p = np.where(capped, np.minimum(p + p_vm, 1.0), p)
        return p <= probability[sel]

    lo = np.asarray(lower, dtype=np.int64) - 1
    hi = np.full_like(lo, pool)
    hi = np.where(passes(hi.astype(float), np.ones(lo.shape, dtype=bool)), hi, pool + 1)
    open_ = (hi - lo > 1) & (hi <= pool)
    while open_.any():
        mid = (lo[open_] + hi[open_]) // 2
        ok = passes(mid.astype(float), open_)
        hi[open_] = np.where(ok, mid, hi[open_])
        lo[open_] = np.where(ok, lo[open_], mid)
        open_ = (hi - lo > 1) & (hi <= pool)
    return np.maximum(hi, lower)


def _deployment_figures(pls, nat, vms, healthy, needed, needed_ports, concurrent, cap,
                        ports_per, lim):
    """Ceilings, utilization and spare capacity of chosen deployments (vectorized).

    ``cap`` is the connections-per-VM cap (NaN: none); ``needed`` the ports in use, and
    ``concurrent`` the open connections, per deployment or shared.

    Ports and VM connections are different resources once connections churn: ports in use
    include those held after close, a VM holds only open connections. Utilization and spare
    capacity are those of the tighter of the two.
    """
    # a VM never holds more connections than its ports: a cap beyond them changes no figure,
    # and bounding it keeps vms x cap within int64 (a wrapped product prints as negative)
    cap = np.minimum(np.asarray(cap, dtype=float), np.asarray(pls * nat, dtype=float)
                     * float(ports_per))
    capped = np.isfinite(cap)
    port_capacity = connection_ceiling(nat, vms, pls, ports_per_nat_ip=ports_per, limits=lim)
    port_capacity_failed = connection_ceiling(nat, healthy, pls, ports_per_nat_ip=ports_per,
                                              limits=lim)
    vm_capacity = np.where(capped, vms * np.where(capped, cap, 0), np.inf)
    vm_capacity_failed = np.where(capped, healthy * np.where(capped, cap, 0), np.inf)
    if np.all(capped == capped.flat[0]) and capped.flat[0] and np.all(np.mod(cap, 1) == 0):
        vm_capacity, vm_capacity_failed = (vm_capacity.astype(np.int64),
                                           vm_capacity_failed.astype(np.int64))
    ceiling = np.minimum(port_capacity, vm_capacity)
    ceiling_failed = np.minimum(port_capacity_failed, vm_capacity_failed)
    utilization = np.maximum(needed / port_capacity, concurrent / vm_capacity)
    utilization_failed = np.maximum(needed / port_capacity_failed,
                                    concurrent / vm_capacity_failed)
    spare = np.minimum(port_capacity_failed - needed_ports,
                       vm_capacity_failed - np.ceil(concurrent))
    if not capped.any():
        ceiling, ceiling_failed = port_capacity, port_capacity_failed
        spare = port_capacity_failed - needed_ports
    elif np.all(np.isfinite(spare)) and np.all(np.mod(spare, 1) == 0):
        spare = np.asarray(spare).astype(np.int64)
    return dict(ceiling=ceiling, ceiling_after_failures=ceiling_failed,
                port_capacity_after_failures=port_capacity_failed,
                utilization=utilization, utilization_after_failures=utilization_failed,
                spare_connections=spare, connections_per_vm=concurrent / healthy)


def _requirements(concurrent, rate, hold, headroom):
    """Ports in use and whole requirements with headroom, for many demands at once.

    Floats decide almost every case; where the result is within rounding of a whole number
    (or too large for a float to hold exactly), the inputs are taken as the decimals they
    were written as and computed exactly, so that the answer is always the exact one.

    Returns
    -------
    needed : ndarray of float
        ``concurrent + rate * hold``. [ports]
    needed_ports, required_ports, required_connections : ndarray of int64 (object if huge)
        ``ceil(needed)``, ``ceil(needed * (1 + headroom))``,
        ``ceil(concurrent * (1 + headroom))``.
    """
    concurrent, rate, hold, headroom = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (concurrent, rate, hold, headroom)))
    needed = concurrent + rate * hold
    values = [needed, needed * (1 + headroom), concurrent * (1 + headroom)]
    ambiguous = np.zeros(needed.shape, dtype=bool)
    for value in values:
        ambiguous |= np.abs(value - np.rint(value)) <= 1e-7 * np.maximum(1.0, value)
        ambiguous |= value >= 2.0 ** 52
    huge = any(np.any(v >= 2.0 ** 62) for v in values)
    results = [np.ceil(v).astype(object if huge else np.int64) for v in values]
    for i in np.flatnonzero(ambiguous):  # rare: exact decimal arithmetic
        exact_needed = _decimal(concurrent[i]) + _decimal(rate[i]) * _decimal(hold[i])
        grow = 1 + _decimal(headroom[i])
        for result, exact in zip(results, (exact_needed, exact_needed * grow,
                                           _decimal(concurrent[i]) * grow)):
            result[i] = math.ceil(exact)
    return (needed, *results)


def zone_vms(survive, zones, lost):
    """Fewest VMs, spread evenly over ``zones`` zones (remainder to the first), that keep at
    least ``survive`` after losing the ``lost`` largest zones; at least one VM per zone.

    Vectorized over arrays of equal shape. With ``b, r = divmod(survive, zones - lost)``:
    ``zones * b`` VMs when ``r == 0``, else ``zones * b + lost + r`` (the ``lost`` zones that
    get the remainder first must be covered too). ``zones = 1, lost = 0`` gives ``survive``.
    """
    survive, zones, lost = (np.asarray(a, dtype=np.int64) for a in (survive, zones, lost))
    b, r = np.divmod(survive, zones - lost)
    return np.maximum(zones * b + np.where(r > 0, lost + r, 0), zones)


def zone_survivors(vms, zones, lost):
    """VMs left after losing the ``lost`` largest of ``zones`` evenly spread zones: the
    largest zones hold ``ceil(vms / zones)``, so ``vms - lost * (vms // zones) -
    min(lost, vms % zones)``."""
    vms, zones, lost = (np.asarray(a, dtype=np.int64) for a in (vms, zones, lost))
    b, r = np.divmod(vms, zones)
    return vms - lost * b - np.minimum(lost, r)


def _configurations(lim):
    """Every (pls_count, nat_ips) within the limits: two int64 arrays, PLS-major order."""
    pls, nat = np.meshgrid(
        np.arange(1, lim.pls_per_load_balancer + 1, dtype=np.int64),
        np.arange(lim.min_nat_ips_per_pls, lim.nat_ips_per_pls + 1, dtype=np.int64),
        indexing="ij")
    return pls.ravel(), nat.ravel()


def _ceil_div(numerator, denominator):
    """Exact ceiling of a division of integers (int64 or Python ints in object arrays)."""
    return -(-numerator // denominator)


def _vm_counts(required_ports, required_connections, failures, cap, endpoints, probability,
               lim, ports_per, zones=None, zone_failures=None):
    """Fewest VMs for every (row, configuration), vectorized over both.

    Parameters
    ----------
    required_ports, required_connections : ndarray, shape (n,)
        Exact whole requirements with headroom (int64, or object arrays of Python ints when
        they may not fit int64). [ports], [connections]
    failures, endpoints : ndarray of int, shape (n,)
    zones, zone_failures : ndarray of int, shape (n,), optional
        Zones the VMs are spread over and zones that may be lost (default 1 and 0).
    cap : ndarray of float, shape (n,)
        Connections per VM; NaN for no cap.
    probability : ndarray of float, shape (n,)
        Overflow probability to size for; NaN to size on the nominal ceiling.
    lim : Limits
    ports_per : int or float
        Ports per NAT IP per VM.

    Returns
    -------
    dict of ndarray, shape (n, C)
        ``pls``, ``nat`` (broadcast), ``healthy`` (VMs that must survive), ``vms``,
        ``left`` (VMs left after the zones and VMs tolerated: at least ``healthy``),
        ``feasible`` and ``binding``.
    """
    pls, nat = _configurations(lim)
    pool = lim.backend_pool_size
    zones = np.ones(failures.shape, dtype=np.int64) if zones is None else zones
    zone_failures = np.zeros(failures.shape, dtype=np.int64) if zone_failures is None \
        else zone_failures
    usable = (zone_survivors(pool, zones, zone_failures) - failures)[:, None]
    required_ports = required_ports[:, None]
    required_connections = required_connections[:, None]
    if required_ports.dtype == object or not float(ports_per).is_integer():
        per_vm = (pls.astype(object) * nat.astype(object) * _decimal(ports_per))[None, :]
        required_ports = required_ports.astype(object)
    else:
        per_vm = (pls * nat * np.int64(ports_per))[None, :]
    v_ports = np.minimum(_ceil_div(required_ports, per_vm), usable + 1).astype(np.int64)
    v_ports = np.maximum(v_ports, 1)
    has_cap = np.isfinite(cap)[:, None]
    safe_cap = np.where(has_cap[:, 0], cap, 1.0)[:, None]
    if np.all(np.mod(safe_cap, 1) == 0) and required_connections.dtype != object:
        v_vm = _ceil_div(required_connections, safe_cap.astype(np.int64))
    else:
        v_vm = np.array([[math.ceil(Fraction(int(c)) / _decimal(k))]
                         for c, k in zip(required_connections[:, 0], safe_cap[:, 0])],
                        dtype=object)
    v_vm = np.where(has_cap, np.minimum(v_vm, usable + 1), 1).astype(np.int64)
    healthy = np.maximum(v_ports, np.maximum(v_vm, 1))
    port_use = required_ports.astype(float) / (per_vm.astype(float) * healthy)
    vm_use = np.where(has_cap, required_connections.astype(float) / (safe_cap * healthy), 0.0)
    binding = np.where(vm_use > port_use, "vm_connections", "nat_ports").astype(object)
    sized = np.isfinite(probability)
    if sized.any():
        rows, configs = np.nonzero(np.broadcast_to(sized[:, None], healthy.shape))
        within = healthy[rows, configs] <= usable[rows, 0]
        rows, configs = rows[within], configs[within]
        v_hash = np.full(healthy.shape, pool + 1, dtype=np.int64)
        v_hash[~sized] = 0
        v_hash[rows, configs] = _min_vms_for_overflow(
            required_ports[rows, 0].astype(float), required_connections[rows, 0].astype(float),
            nat[configs].astype(float), pls[configs].astype(float), healthy[rows, configs],
            lim, ports_per, np.where(has_cap[rows, 0], cap[rows], np.nan),
            probability[rows])
        binding = np.where(v_hash > healthy, "hash_overflow", binding)
        healthy = np.maximum(healthy, v_hash)
    # the VMs that must survive, plus the VM failures, must be left after the zone failures
    z, k = zones[:, None], zone_failures[:, None]
    vms = zone_vms(np.minimum(healthy, usable + 1) + failures[:, None], z, k)
    left = zone_survivors(vms, z, k) - failures[:, None]
    # Each private endpoint reaches one PLS: a demand spreads over at most as many PLSs as it
    # has endpoints, and needs enough PLSs for its endpoints (pe_per_pls each).
    feasible = ((vms <= pool) & ((pls * lim.pe_per_pls)[None, :] >= endpoints[:, None])
                & (pls[None, :] <= endpoints[:, None]))
    shape = healthy.shape
    return dict(pls=np.broadcast_to(pls, shape), nat=np.broadcast_to(nat, shape),
                healthy=healthy, vms=vms, left=left, feasible=feasible, binding=binding)


def size(concurrent_connections, *, new_connections_per_s=0.0, port_hold_s=None, headroom=0.2,
         vm_failures_tolerated=0, max_connections_per_vm=NIC_FLOWS, consumer_endpoints=1,
         overflow_probability=None, ports_per_nat_ip=None, vm_hourly_usd=None, limits=None,
         zones=None, zone_failures_tolerated=0) -> SizingOptions:
    """Smallest deployments that carry a demand with headroom, even after VM and zone failures.

    For every (pls_count, nat_ips) within Azure's limits that accepts ``consumer_endpoints``
    private endpoints, finds the fewest backend VMs such that, after losing
    ``vm_failures_tolerated`` of them (and, with ``zones``, the ``zone_failures_tolerated``
    largest zones' VMs as well), the remaining VMs still carry the demand plus headroom.

    Parameters
    ----------
    concurrent_connections : float
        Connections open at the same time. [connections]
    new_connections_per_s : float, default 0
        Connection opening rate; closed connections hold their port for ``port_hold_s``. [1/s]
    port_hold_s : float, optional
        Port hold time after close. [s] Default ``limits.default_port_hold_s`` (an assumption).
    headroom : float, default 0.2
        Spare fraction on top of the demand: the deployment must carry
        ``demand * (1 + headroom)``. [-]
    vm_failures_tolerated : int, default 0
        Backend VMs that may fail while the demand with headroom is still carried. [-]
    max_connections_per_vm : float, "nic" or None, default "nic"
        Most concurrent connections one VM holds. [connections] ``"nic"``: the concurrent
        flows a VM's NIC supports (``limits.vm_nic_concurrent_flows``, 500,000; one NIC per
        VM assumed, each connection one flow). ``None`` (or ``math.inf``): no cap.
    consumer_endpoints : int, default 1
        Private endpoints that connect to the service (at most ``pe_per_pls`` per PLS). [-]
    overflow_probability : float, optional
        When given, size on the usable (hash-imbalanced) ceiling: the probability that any
        pool overflows at the required load must be at most this. [-]
    ports_per_nat_ip : float, optional
        Override of ``limits.ports_per_nat_ip``. [ports]
    vm_hourly_usd : float, optional
        Price of one backend VM per hour. [USD/h] When given, the provider-side monthly cost
        of each option is added, so options can be compared by cost.
    limits : Limits, optional
        Reference limits to use.
    zones : int, optional
        Availability zones the VMs are spread over, evenly (remainder to the first zones; at
        least one VM per zone), from 1 to ``limits.zones_per_region``. Default: no zones.
    zone_failures_tolerated : int, default 0
        Zones that may be down (their VMs lost) while the demand with headroom is still
        carried, fewer than ``zones``. [-]

    Returns
    -------
    SizingOptions
        Reads like its table; :attr:`SizingOptions.demand`, :attr:`SizingOptions.assumptions`
        and :attr:`SizingOptions.overridden` say what it was sized for and with. The table has
        one row per feasible (pls_count, nat_ips), best first. Columns (units in brackets)::

            rank                         1 = best (fewest VMs, then fewest PLS, then fewest NAT IPs). [-]
            pls_count                    Private Link Services on the load balancer. [-]
            nat_ips                      NAT IP configurations per PLS. [-]
            backend_vms                  VMs to deploy, including the failures tolerated. [-]
            vms_after_failures           VMs left after losing vm_failures_tolerated (and the
                                         zone_failures_tolerated largest zones). [-]
            ceiling                      connection_ceiling with all VMs up. [connections]
            ceiling_after_failures       connection_ceiling with vms_after_failures. [connections]
            ports_needed                 ports the demand keeps in use (Little's law), rounded up. [ports]
            port_capacity_after_failures NAT ports of vms_after_failures (no per-VM cap). [ports]
            required_with_headroom       ports the deployment must carry after failures. [ports]
            utilization                  of the tighter resource, all VMs up: ports_needed / NAT
                                         ports, or concurrent / (VMs * max_connections_per_vm). [0-1]
            utilization_after_failures   the same with vms_after_failures. [0-1]
            spare_connections            more concurrent connections (at the same churn) that
                                         vms_after_failures still carry: NAT ports left, or VM
                                         connections left if fewer. [connections]
            connections_per_vm           concurrent connections per VM after failures. [connections]
            binding_limit                what sets the VM count: nat_ports, vm_connections (when
                                         both need as many VMs, the one more utilized) or
                                         hash_overflow.
            overflow_probability_after_failures   probability that hashing overflows a port pool
                                         or a VM at the required load after failures (only
                                         with overflow_probability). [0-1]
            max_private_endpoints        pls_count * pe_per_pls. [PEs]
            pe_monthly_cost_usd          consumer side: consumer_endpoints * PE hourly price * hours per month. [USD]
            provider_monthly_cost_usd    provider side (with vm_hourly_usd): backend_vms * vm_hourly_usd
                                         * hours per month, plus the PLS hourly price. [USD]
            total_monthly_cost_usd       consumer and provider sides (with vm_hourly_usd). [USD]
            largest_zone_vms             with zones: VMs in the largest zone, ceil(backend_vms / zones). [-]

        (Deprecated, until 0.3.0: ``result.table.attrs`` repeats ``overridden``,
        ``assumptions`` and ``demand``.)

    Raises
    ------
    InfeasibleDemandError
        When no deployment within the limits carries the demand; the message names the limit
        that cannot be met and by how much.
    ValueError
        For invalid inputs, naming the argument, the value and what is allowed.

    Notes
    -----
    Ports needed: ``P = concurrent + rate * hold``. Required ports ``ceil(P * (1 + headroom))``
    and required connections ``ceil(concurrent * (1 + headroom))``, in exact decimal arithmetic
    (the inputs as written, so 1,000,000 x 1.2 is 1,200,000, not one port more). For each (pls, nat):
    ``v_ports = ceil(required_ports / (pls * nat * ports_per_nat_ip))``,
    ``v_vm = ceil(required_connections / max_connections_per_vm)``, and, with
    ``overflow_probability``, the fewest VMs whose overflow probability at the required ports is
    at most that; ``backend_vms = max(v_ports, v_vm, v_overflow, 1) + vm_failures_tolerated``,
    feasible while ``backend_vms <= backend_pool_size``.

    With ``zones = Z`` and ``zone_failures_tolerated = k``, the VMs are spread evenly and the
    ``k`` largest zones (``ceil(backend_vms / Z)`` VMs each) may be lost *together with*
    ``vm_failures_tolerated`` VMs elsewhere (a zone outage while some VMs are already down):
    ``backend_vms`` is the fewest ``n >= Z`` whose survivors of the ``k`` largest zones, less
    ``vm_failures_tolerated``, are at least ``m = max(v_ports, v_vm, v_overflow, 1)``. With
    ``b, r = divmod(m + vm_failures_tolerated, Z - k)``: ``n = Z b`` when ``r = 0``, else
    ``Z b + k + r``. ``vms_after_failures`` (at least ``m``) and the ``*_after_failures``
    figures are those of the VMs left.

    References
    ----------
    .. [1] Azure Private Link FAQ (64k ports per NAT IP and backend VM),
       https://learn.microsoft.com/azure/private-link/private-link-faq
    .. [2] Azure subscription and service limits, Private Link (NAT IPs and PLS counts),
       https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#azure-private-link-limits
    .. [3] Azure Load Balancer limits (backend pool size),
       https://github.com/MicrosoftDocs/azure-docs/blob/main/includes/load-balancer-limits.md
    .. [4] Azure virtual network limits (concurrent flows per VM NIC),
       https://github.com/MicrosoftDocs/azure-docs/blob/main/includes/azure-virtual-network-limits.md
    .. [5] Azure availability zones overview,
       https://learn.microsoft.com/azure/reliability/availability-zones-overview
    .. [6] Azure Private Link pricing, https://azure.microsoft.com/pricing/details/private-link/

    Examples
    --------
    Nine VMs' worth of demand, tolerating one of three zones: 14 VMs (5, 5, 4), of which 9
    are left after losing a zone of 5.

    >>> table = size(9 * 64_000 / 1.2, headroom=0.2, zones=3, zone_failures_tolerated=1)
    >>> int(table[(table.pls_count == 1) & (table.nat_ips == 1)].backend_vms.iloc[0])
    14
    """
    lim = resolve_limits(limits, ports_per_nat_ip=ports_per_nat_ip)
    concurrent = check_number(concurrent_connections, "concurrent_connections", 0)
    rate = check_number(new_connections_per_s, "new_connections_per_s", 0)
    hold_given = port_hold_s is not None
    hold = check_number(port_hold_s if hold_given else lim.default_port_hold_s, "port_hold_s", 0)
    headroom = check_number(headroom, "headroom", 0, MAX_HEADROOM, allowed=HEADROOM_ALLOWED)
    failures = check_number(vm_failures_tolerated, "vm_failures_tolerated", 0,
                             lim.backend_pool_size - 1, integer=True)
    endpoints = check_number(consumer_endpoints, "consumer_endpoints", 1, MAX_COUNT,
                             integer=True, allowed=f"a whole number from 1 to {MAX_COUNT_TEXT}")
    ports_per = whole_number_if_integral(check_number(
        lim.ports_per_nat_ip, "ports_per_nat_ip", 1, PORT_NUMBERS,
        allowed=PORTS_ALLOWED.replace("> 0", ">= 1")))
    cap = vm_cap(max_connections_per_vm, lim)
    price = None if vm_hourly_usd is None else check_number(
        vm_hourly_usd, "vm_hourly_usd", 0, MAX_VM_HOURLY_USD, allowed=VM_PRICE_ALLOWED)
    zone_count, zone_failures = _check_zones(zones, zone_failures_tolerated, lim)
    probability = overflow_probability
    if probability is not None:
        probability = check_number(probability, "overflow_probability", 0, 1,
                                   low_inclusive=False, high_inclusive=False,
                                   allowed="a probability strictly between 0 and 1")
    _check_endpoints(endpoints, lim)

    # Exact arithmetic on the numbers as written: correct to the last port at any size.
    needed = _decimal(concurrent) + _decimal(rate) * _decimal(hold)
    grow = 1 + _decimal(headroom)
    needed_ports = math.ceil(needed)
    required_ports = math.ceil(needed * grow)
    required_connections = math.ceil(_decimal(concurrent) * grow)
    usable_vms = int(zone_survivors(lim.backend_pool_size, zone_count, zone_failures)
                     ) - failures
    if usable_vms < 1:
        raise InfeasibleDemandError(
            f"vm_failures_tolerated={failures:,} leaves no VM of backend_pool_size="
            f"{lim.backend_pool_size:,} after losing {zone_failures} of {zone_count} zones",
            limit="backend_pool_size", required=failures + 1, available=None)
    _check_feasible(lim, required_ports, required_connections, usable_vms, failures, cap,
                    endpoints,
                    headroom, _decimal(ports_per),
                    zone_failures and f" and {zone_failures} of {zone_count} zones")

    fits_int64 = (lim.pls_per_load_balancer * lim.nat_ips_per_pls * usable_vms
                  * float(ports_per)) < 2.0 ** 62
    counts = _vm_counts(
        np.array([required_ports], dtype=np.int64 if fits_int64 else object),
        np.array([required_connections], dtype=np.int64 if fits_int64 else object),
        np.array([failures]), np.array([np.nan if cap is None else cap], dtype=float),
        np.array([endpoints]), np.array([np.nan if probability is None else probability]),
        lim, ports_per, np.array([zone_count]), np.array([zone_failures]))
    pls, nat, vms, healthy, binding, feasible = (
        counts[k][0] for k in ("pls", "nat", "vms", "left", "binding", "feasible"))
    if not feasible.any():
        raise InfeasibleDemandError(
            f"demand needs {_amount(required_ports)} ports with {headroom:.0%} headroom; even "
            f"{lim.pls_per_load_balancer} PLS x {lim.nat_ips_per_pls} NAT IPs x {usable_vms:,} "
            f"VMs (after {failures} failures) keep the probability that hashing overflows a "
            f"port pool or a VM above overflow_probability={probability:g}",
            limit="backend_pool_size", required=required_ports, available=None)

    pls, nat, vms, healthy, binding = (a[feasible] for a in (pls, nat, vms, healthy, binding))
    order = np.lexsort((nat, pls, vms))
    pls, nat, vms, healthy, binding = (a[order] for a in (pls, nat, vms, healthy, binding))
    # Distinct options only: drop one that another option equals or beats on every count
    # (VMs, NAT IPs, PLSs; costs follow them). At most 64 options: a small pairwise check.
    kept = _not_dominated(np.column_stack([vms, nat, pls]))
    pls, nat, vms, healthy, binding = (a[kept] for a in (pls, nat, vms, healthy, binding))
    figures = _deployment_figures(pls, nat, vms, healthy, float(needed), needed_ports,
                                  concurrent, np.nan if cap is None else cap, ports_per, lim)
    table = pd.DataFrame({
        "rank": np.arange(1, len(pls) + 1),
        "pls_count": pls, "nat_ips": nat, "backend_vms": vms, "vms_after_failures": healthy,
        "ceiling": figures["ceiling"],
        "ceiling_after_failures": figures["ceiling_after_failures"],
        "ports_needed": needed_ports,
        "port_capacity_after_failures": figures["port_capacity_after_failures"],
        "required_with_headroom": required_ports,
        "utilization": figures["utilization"],
        "utilization_after_failures": figures["utilization_after_failures"],
        "spare_connections": figures["spare_connections"],
        "connections_per_vm": figures["connections_per_vm"],
        "binding_limit": binding,
    })
    if probability is not None:
        table["overflow_probability_after_failures"] = pool_overflow_probability(
            float(required_ports), nat.astype(float), healthy.astype(float), pls.astype(float),
            ports_per, cap, float(required_connections))
    table["max_private_endpoints"] = pls * lim.pe_per_pls
    table["pe_monthly_cost_usd"] = (endpoints * lim.private_endpoint_hour_usd
                                    * lim.hours_per_month)
    if price is not None:
        table["provider_monthly_cost_usd"] = _provider_cost(vms, pls, price, lim)
        table["total_monthly_cost_usd"] = (table["provider_monthly_cost_usd"]
                                           + table["pe_monthly_cost_usd"])
    if zones is not None:
        table["largest_zone_vms"] = _ceil_div(vms, zone_count)
    assumptions = []
    if not hold_given and rate > 0:
        assumptions.append(
            f"port_hold_s={lim.default_port_hold_s} s is an assumption (Azure documents no "
            "Private Link port hold-down; NAT Gateway's 65 s after FIN is the nearest figure)")
    if "ports_per_nat_ip" not in lim.overridden:
        assumptions.append(f"ports_per_nat_ip={lim.ports_per_nat_ip:,} models the FAQ's \"64k\" "
                           "(exact value undocumented)")
    if cap == lim.vm_nic_concurrent_flows and "vm_nic_concurrent_flows" not in lim.overridden:
        assumptions.append(f"max_connections_per_vm={cap:,}: the concurrent flows one VM NIC "
                           "supports (one NIC per VM, one flow per connection)")
    demand = dict(
        concurrent_connections=concurrent, new_connections_per_s=rate, port_hold_s=hold,
        headroom=headroom, vm_failures_tolerated=failures, consumer_endpoints=endpoints,
        max_connections_per_vm=cap, overflow_probability=probability,
        vm_hourly_usd=price, zones=zones, zone_failures_tolerated=zone_failures)
    # Deprecated (0.2.0, removed in 0.3.0): 0.1's .attrs keys, for readers not yet on
    # SizingOptions' attributes.
    table.attrs.update(overridden=dict(lim.overridden), assumptions=list(assumptions),
                       demand=dict(demand))
    best = table.iloc[0]
    if cap is None and best.connections_per_vm > lim.vm_nic_concurrent_flows:
        warnings.warn(_nic_warning(best.connections_per_vm, lim), CapacityWarning, stacklevel=2)
    if best.backend_vms == 1:
        warnings.warn(SINGLE_VM_NOTE, CapacityWarning, stacklevel=2)
    return SizingOptions(table, demand, tuple(assumptions), dict(lim.overridden))




def _not_dominated(counts) -> np.ndarray:
    """Rows that no earlier row equals or beats on every column. The rows are sorted
    lexicographically by the same counts, so a row that equals or beats another comes before
    it: earlier rows are the only ones to compare with."""
    at_most = (counts[:, None, :] <= counts[None, :, :]).all(axis=2)  # [i, j]: i <= j
    earlier = np.tri(len(counts), k=-1, dtype=bool).T  # [i, j]: i comes before j
    return ~(at_most & earlier).any(axis=0)


def _nic_warning(connections_per_vm, lim):
    return (f"the best configuration puts {connections_per_vm:,.0f} connections on each VM, "
            f"above the {lim.vm_nic_concurrent_flows:,} concurrent flows a VM NIC supports "
            "(sized without a per-VM cap)")


def _provider_cost(vms, pls, price, lim):
    """Provider side per month: the backend VMs and the PLS hours. [USD]"""
    return (np.asarray(vms) * price + np.asarray(pls) * lim.private_link_service_hour_usd) \
        * lim.hours_per_month


def _check_zones(zones, zone_failures_tolerated, lim):
    """``(zone count, zones tolerated)``: ``(1, 0)`` without zones."""
    most = int(lim.zones_per_region)
    if zones is None:
        lost = check_number(zone_failures_tolerated, "zone_failures_tolerated", 0, 0,
                            integer=True, allowed="0 without zones (give zones=...)")
        return 1, lost
    count = check_number(zones, "zones", 1, most, integer=True,
                         allowed=f"a whole number from 1 to {most} (limits.zones_per_region)")
    lost = check_number(zone_failures_tolerated, "zone_failures_tolerated", 0, count - 1,
                        integer=True, allowed=f"a whole number from 0 to {count - 1} (fewer "
                        f"than zones={count}: some zone must be left)")
    return count, lost


def _check_endpoints(endpoints, lim):
    most = lim.pls_per_load_balancer * lim.pe_per_pls
    if endpoints > most:
        raise InfeasibleDemandError(
            f"consumer_endpoints={endpoints:,} cannot be met: {lim.pls_per_load_balancer} PLS per "
            f"load balancer x {lim.pe_per_pls:,} private endpoints per PLS accept {most:,} "
            f"({endpoints - most:,} too many); split the service over several load balancers",
            limit="pe_per_pls", required=endpoints, available=most)


def _check_feasible(lim, required_ports, required_connections, usable_vms, failures, cap,
                    endpoints, headroom, ports_per, zones_lost=""):
    """Raise, before any sizing, naming every limit that falls short and by how much."""
    pool = lim.backend_pool_size
    # each consumer endpoint reaches one PLS: no more PLSs carry traffic than endpoints
    most_pls = min(lim.pls_per_load_balancer, endpoints)
    pls_why = ("" if most_pls == lim.pls_per_load_balancer else
               f" (one per consumer endpoint: consumer_endpoints={endpoints:,})")
    largest = (f"{most_pls} PLS{pls_why} x {lim.nat_ips_per_pls} NAT IPs x "
               f"{usable_vms:,} VMs of backend_pool_size={pool:,} left after {failures} "
               f"failures{zones_lost or ''}")
    most_ports = most_pls * lim.nat_ips_per_pls * usable_vms * ports_per
    what = f"with {_amount(Fraction(headroom) * 100)} % headroom"
    short = []  # (limit, required, available, sentence)
    if required_ports > most_ports:
        short.append(("backend_pool_size", required_ports, most_ports,
                      f"NAT ports: {_amount(required_ports)} needed {what}, at most "
                      f"{_amount(most_ports)} ({largest} x {_amount(ports_per)} ports; "
                      f"{_amount(required_ports - most_ports)} short)"))
    if cap is not None and required_connections > usable_vms * _decimal(cap):
        most = usable_vms * _decimal(cap)
        short.append(("backend_pool_size", required_connections, most,
                      f"connections per VM: {_amount(required_connections)} needed, at most "
                      f"{_amount(most)} ({usable_vms:,} VMs x {_amount(cap)}; "
                      f"{_amount(required_connections - most)} short)"))
    if short:
        limit, required, available, _ = short[0]
        raise InfeasibleDemandError(
            f"demand cannot be met: {'; '.join(text for *_, text in short)}",
            limit=limit, required=required, available=available)


def _amount(value) -> str:
    """A count for a message: ``1,234,567``, or ``1.235E+20`` from 10^15 on (also beyond a
    float), so that messages stay short whatever the input."""
    try:
        number = float(value)
    except OverflowError:
        return f"{Decimal(math.ceil(value)):.3E}"
    if abs(number) >= 1e15:
        return f"{Decimal(math.ceil(value)):.3E}"
    return f"{number:,.0f}"


# ----------------------------------------------------------------------------- tables

#: The demand columns of a table for :func:`size_table` (and the batch), documented once.
DEMAND_COLUMNS = Schema([
    Column("concurrent_connections", "connections", "required", "a number >= 0",
           "connections open at the same time"),
    Column("new_connections_per_s", "1/s", "0", "a number >= 0", "connection opening rate"),
    Column("port_hold_s", "s", "65 (assumption: NAT Gateway's figure)", "a number >= 0",
           "time a port stays held after its connection closes"),
    Column("headroom", "-", "0.2", "a fraction from 0 to 10 (0.2 or 20% = 20 % spare)",
           "spare fraction on top of the demand"),
    Column("vm_failures_tolerated", "VMs", "0", "a whole number >= 0",
           "backend VMs that may fail while the demand is still carried"),
    Column("max_connections_per_vm", "connections",
           "the NIC's concurrent flows (500,000, data/azure_limits.csv)",
           f"a number from 1 to {MAX_COUNT:,} (2**53 - 1), or none (no cap)",
           "most connections one VM holds (one NIC per VM, one flow per connection)"),
    Column("consumer_endpoints", "PEs", "1", "a whole number from 1 to 8,000",
           "private endpoints connecting to the service"),
    Column("overflow_probability", "-", "none (size on the nominal ceiling)",
           "a probability strictly between 0 and 1",
           "size on the usable ceiling: at most this chance that hashing overflows a port "
           "pool or a VM"),
    Column("growth_per_year", "-", "0", "a number > -1 (0.3 = +30 % a year)",
           "demand growth, for months_to_ceiling"),
    Column("vm_hourly_usd", "USD/h", "none (no provider cost)",
           f"a number from 0 to {MAX_VM_HOURLY_USD:,.0f}",
           "price of one backend VM per hour, for the provider-side cost"),
    Column("zones", "zones", "none (no zones)", "a whole number from 1 to 3",
           "availability zones the backend VMs are spread over evenly"),
    Column("zone_failures_tolerated", "zones", "0", "a whole number below zones",
           "zones that may be down (their VMs lost), with the VM failures, while the demand "
           "is still carried"),
])

#: The result columns of :func:`size_table`: one :class:`~plcapacity.base.schema.Column` each.
SIZE_RESULT_COLUMNS = Schema(Column.output(name, unit, meaning) for name, (unit, meaning) in {
    "status": ("-", "ok, error (bad input) or infeasible (no deployment within the limits)"),
    "error": ("-", "what is wrong with the row: row, column, value, what is allowed"),
    "pls_count": ("-", "recommended PLS on the load balancer"),
    "nat_ips": ("-", "recommended NAT IP configurations per PLS"),
    "backend_vms": ("VMs", "recommended backend VMs, including the failures tolerated"),
    "ceiling": ("connections", "connection ceiling with all VMs up"),
    "ceiling_after_failures": ("connections", "ceiling after losing vm_failures_tolerated "
                               "(and the zone_failures_tolerated largest zones)"),
    "ports_needed": ("ports", "ports the demand keeps in use (Little's law)"),
    "port_capacity_after_failures": ("ports", "NAT ports after the failures tolerated"),
    "utilization": ("0-1", "demand / capacity of the tighter resource, all VMs up"),
    "utilization_after_failures": ("0-1", "the same after the failures tolerated"),
    "spare_connections": ("connections", "more connections carried after the failures"),
    "binding_limit": ("-", "what sets the VM count: nat_ports, vm_connections, hash_overflow"),
    "overflow_probability_after_failures": (
        "0-1", "chance that hashing overflows a port pool or a VM at the required load after "
        "the failures (rows with overflow_probability)"),
    "months_to_ceiling": ("months", "until the growing demand uses up the capacity left after "
                          "the tolerated VM failures (inf: never; null in JSON)"),
    "pe_monthly_cost_usd": ("USD", "consumer side: private endpoint hours per month"),
    "provider_monthly_cost_usd": ("USD", "provider side (rows with vm_hourly_usd): backend VM "
                                  "hours and PLS hours per month"),
    "total_monthly_cost_usd": ("USD", "consumer and provider sides (rows with vm_hourly_usd)"),
    "warning": ("-", "capacity warnings (such as more connections per VM than a NIC holds)"),
}.items())

_COUNT_COLUMNS = ("pls_count", "nat_ips", "backend_vms", "ceiling", "ceiling_after_failures",
                  "ports_needed", "port_capacity_after_failures", "spare_connections")


def validate_demands(rows, lim, defaults=None):
    """The demand columns of a table, validated (bad cells become their rows' errors).

    Parameters
    ----------
    rows : plcapacity.base.validation.TableRows
    lim : Limits
    defaults : dict, optional
        Values for cells left empty, by column (otherwise the documented defaults).

    Returns
    -------
    dict of ndarray
        One float64 array per demand column (NaN where the cell is bad; NaN
        ``max_connections_per_vm``, ``overflow_probability`` and ``zones`` mean none).
    """
    # None means "not given", except for the cap, where it means "no cap" (as in size())
    given = {k: v for k, v in (defaults or {}).items()
             if v is not None or k == "max_connections_per_vm"}
    default = dict(new_connections_per_s=0.0, port_hold_s=float(lim.default_port_hold_s),
                   headroom=0.2, vm_failures_tolerated=0.0,
                   max_connections_per_vm=float(lim.vm_nic_concurrent_flows),
                   consumer_endpoints=1.0, overflow_probability=np.nan, growth_per_year=0.0,
                   vm_hourly_usd=np.nan, zones=np.nan, zone_failures_tolerated=0.0)
    for name, value in given.items():
        if name == "max_connections_per_vm":
            cap = vm_cap(value, lim)
            default[name] = np.inf if cap is None else float(cap)
        else:
            default[name] = float(value)
    concurrent = rows.number("concurrent_connections", np.nan, low=0)
    rows.fail(np.isnan(concurrent) & (rows.raw("concurrent_connections") == ""),
              "concurrent_connections", rows.raw("concurrent_connections"),
              "a number >= 0 (required)")
    most_zones = int(lim.zones_per_region)
    zones = rows.number("zones", default["zones"], low=1, high=most_zones, integer=True)
    lost = rows.number("zone_failures_tolerated", default["zone_failures_tolerated"], low=0,
                       high=most_zones - 1, integer=True)
    # fewer zones lost than zones; none without zones (bad zones cells are already errors)
    wrong = (lost >= np.where(np.isnan(zones), 1, zones)) & ~(
        np.isnan(zones) & (rows.raw("zones") != ""))
    rows.fail(wrong, "zone_failures_tolerated", rows.raw("zone_failures_tolerated"),
              "a whole number below zones (0 without zones)")
    lost = np.where(wrong, np.nan, lost)
    return dict(
        concurrent_connections=concurrent,
        new_connections_per_s=rows.number("new_connections_per_s",
                                          default["new_connections_per_s"], low=0),
        port_hold_s=rows.number("port_hold_s", default["port_hold_s"], low=0),
        headroom=rows.number("headroom", default["headroom"], low=0, high=MAX_HEADROOM,
                             percent=True),
        vm_failures_tolerated=rows.number("vm_failures_tolerated",
                                          default["vm_failures_tolerated"], low=0,
                                          high=lim.backend_pool_size - 1, integer=True),
        # inf (written "none") is no cap; NaN below means the same to the sizing core
        max_connections_per_vm=_no_cap_as_nan(rows.number(
            "max_connections_per_vm", default["max_connections_per_vm"], low=1, high=MAX_COUNT,
            words={"none": np.inf, "inf": np.inf, NIC_FLOWS: lim.vm_nic_concurrent_flows})),
        consumer_endpoints=rows.number("consumer_endpoints", default["consumer_endpoints"],
                                       low=1, high=lim.pls_per_load_balancer * lim.pe_per_pls,
                                       integer=True),
        overflow_probability=rows.number("overflow_probability",
                                         default["overflow_probability"], low=0, high=1,
                                         low_inclusive=False, high_inclusive=False),
        growth_per_year=rows.number("growth_per_year", default["growth_per_year"], low=-1,
                                    low_inclusive=False),
        vm_hourly_usd=rows.number("vm_hourly_usd", default["vm_hourly_usd"], low=0,
                                  high=MAX_VM_HOURLY_USD),
        zones=zones, zone_failures_tolerated=lost,
    )


def _no_cap_as_nan(values):
    return np.where(np.isinf(values), np.nan, values)


#: Rows sized at once: bounds the (rows x configurations) work arrays whatever the table's size.
_SIZE_CHUNK_ROWS = 8_192


def size_rows(demand, ok, lim):
    """Size every good row (vectorized over rows and configurations, a chunk at a time).

    Parameters
    ----------
    demand : dict of ndarray
        From :func:`validate_demands`.
    ok : ndarray of bool
        Rows to size (the others get NaN).
    lim : Limits

    Returns
    -------
    columns : dict of ndarray
        The sizing result columns of :data:`SIZE_RESULT_COLUMNS` (without status and error).
    infeasible : dict of int to str
        Rows no deployment carries, with the explanation (the limit and by how much).
    """
    n = ok.size
    out = {name: np.full(n, np.nan) for name in SIZE_RESULT_COLUMNS
           if name not in ("status", "error", "binding_limit", "warning")}
    out["binding_limit"] = np.full(n, "", dtype=object)
    out["warning"] = np.full(n, "", dtype=object)
    infeasible = {}
    good = np.flatnonzero(ok)
    for start in range(0, good.size, _SIZE_CHUNK_ROWS):  # chunks of rows, for memory
        _size_chunk(demand, good[start:start + _SIZE_CHUNK_ROWS], lim, out, infeasible)
    return out, infeasible


def _size_chunk(demand, good, lim, out, infeasible):
    """Size the rows ``good`` into ``out`` (and ``infeasible``)."""
    concurrent, rate, hold, headroom, failures, cap, endpoints, probability, growth, price = (
        demand[name][good] for name in (
            "concurrent_connections", "new_connections_per_s", "port_hold_s", "headroom",
            "vm_failures_tolerated", "max_connections_per_vm", "consumer_endpoints",
            "overflow_probability", "growth_per_year", "vm_hourly_usd"))
    zoned = np.isfinite(demand["zones"][good]) if "zones" in demand else np.zeros(good.size,
                                                                                   bool)
    zones = np.where(zoned, demand["zones"][good] if zoned.any() else 1, 1).astype(np.int64)
    lost = np.where(zoned, demand["zone_failures_tolerated"][good] if zoned.any() else 0,
                    0).astype(np.int64)
    ports_per = lim.ports_per_nat_ip
    usable = (zone_survivors(lim.backend_pool_size, zones, lost) - failures).astype(float)
    most_ports = (lim.pls_per_load_balancer * lim.nat_ips_per_pls * usable * float(ports_per))
    most_connections = np.where(np.isnan(cap), np.inf, usable * cap)
    # Rows far beyond any deployment (or beyond a float: 1e308 x 1.2) are infeasible before
    # any exact arithmetic, which then only ever sees numbers near the limits.
    with np.errstate(over="ignore", invalid="ignore"):
        rough_ports = (concurrent + rate * hold) * (1 + headroom)
        rough_connections = concurrent * (1 + headroom)
    hopeless = ~(rough_ports <= most_ports * (1 + 1e-6)) | ~(
        rough_connections <= most_connections * (1 + 1e-6))
    calm = lambda a: np.where(hopeless, 0.0, a)  # noqa: E731
    needed, needed_ports, req_ports, req_conn = _requirements(
        calm(concurrent), calm(rate), calm(hold), calm(headroom))
    too_big = hopeless | (req_ports.astype(float) > most_ports) | (
        req_conn.astype(float) > most_connections)
    # rows too large for any deployment are infeasible (explained below); zeroing them keeps
    # every other row in exact int64 arithmetic
    req_ports = np.where(too_big, 0, req_ports).astype(np.int64)
    req_conn = np.where(too_big, 0, req_conn).astype(np.int64)
    needed_ports = np.where(too_big, 0, needed_ports).astype(np.int64)
    counts = _vm_counts(req_ports, req_conn, failures.astype(np.int64), cap,
                        endpoints.astype(np.int64), probability, lim, ports_per, zones, lost)
    feasible = counts["feasible"] & ~too_big[:, None]
    # best = fewest VMs, then fewest PLS, then fewest NAT IPs (the order of size())
    pls, nat = _configurations(lim)
    key = np.where(feasible, counts["vms"] * 4096 + pls[None, :] * 64 + nat[None, :],
                   np.iinfo(np.int64).max)
    best = np.argmin(key, axis=1)
    found = feasible[np.arange(good.size), best]
    pick = lambda a: a[np.arange(good.size), best]  # noqa: E731
    vms, healthy = pick(counts["vms"]), pick(counts["left"])
    figures = _deployment_figures(pls[best], nat[best], vms, healthy, needed, needed_ports,
                                  calm(concurrent), cap, ports_per, lim)
    for name in ("ceiling", "ceiling_after_failures", "port_capacity_after_failures",
                 "utilization", "utilization_after_failures", "spare_connections"):
        out[name][good] = np.where(found, figures[name], np.nan)
    out["pls_count"][good] = np.where(found, pls[best], np.nan)
    out["nat_ips"][good] = np.where(found, nat[best], np.nan)
    out["backend_vms"][good] = np.where(found, vms, np.nan)
    out["ports_needed"][good] = np.where(found, needed_ports.astype(float), np.nan)
    out["binding_limit"][good] = np.where(found, pick(counts["binding"]), "")
    sized = np.isfinite(probability)
    if sized.any():
        p = pool_overflow_probability(req_ports.astype(float), nat[best].astype(float), healthy.astype(float),
                      pls[best].astype(float), float(ports_per),
                      np.where(np.isnan(cap), np.inf, cap), req_conn.astype(float))
        out["overflow_probability_after_failures"][good] = np.where(found & sized, p, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        # the deployment must keep carrying the demand after the failures it tolerates
        months = np.where(growth > 0, 12 * np.log(1 / figures["utilization_after_failures"])
                          / np.log1p(growth), np.inf)
    out["months_to_ceiling"][good] = np.where(found, np.maximum(months, 0), np.nan)
    out["pe_monthly_cost_usd"][good] = (endpoints * lim.private_endpoint_hour_usd
                                        * lim.hours_per_month)
    provider = _provider_cost(vms, pls[best], price, lim)
    out["provider_monthly_cost_usd"][good] = np.where(found, provider, np.nan)
    out["total_monthly_cost_usd"][good] = np.where(
        found, provider + out["pe_monthly_cost_usd"][good], np.nan)
    nic = np.isnan(cap) & (figures["connections_per_vm"] > lim.vm_nic_concurrent_flows)
    out["warning"][good[found & nic]] = (
        f"more than the {lim.vm_nic_concurrent_flows:,} concurrent flows a VM NIC supports "
        "on each VM (sized without a per-VM cap)")
    single = found & (vms == 1)
    out["warning"][good[single]] = [f"{w}; {SINGLE_VM_NOTE}" if w else SINGLE_VM_NOTE
                                    for w in out["warning"][good[single]]]
    # Rows no deployment carries: the scalar function words the explanation (rare rows).
    for j in np.flatnonzero(~found):
        i = good[j]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CapacityWarning)
                size(concurrent[j], new_connections_per_s=rate[j], port_hold_s=hold[j],
                     headroom=headroom[j], vm_failures_tolerated=int(failures[j]),
                     max_connections_per_vm=None if np.isnan(cap[j]) else cap[j],
                     consumer_endpoints=int(endpoints[j]),
                     overflow_probability=None if np.isnan(probability[j]) else probability[j],
                     limits=lim, zones=int(zones[j]) if zoned[j] else None,
                     zone_failures_tolerated=int(lost[j]))
            infeasible[i] = "no deployment within the limits carries the demand"
        except InfeasibleDemandError as error:
            infeasible[i] = str(error)
        except (ValueError, ArithmeticError) as error:  # beyond words: still the row's own
            infeasible[i] = f"no deployment within the limits carries the demand ({error})"




def as_counts(frame, columns=_COUNT_COLUMNS):
    """Whole-number result columns as nullable integers (``<NA>`` for rows without a value)."""
    for name in columns:
        if name not in frame:
            continue
        values = frame[name].to_numpy(dtype=float)
        whole = values[np.isfinite(values)]
        if np.all(np.mod(whole, 1) == 0) and np.all(np.abs(whole) < 2 ** 53):
            frame[name] = frame[name].astype("Int64")
    return frame


def size_table(demands, *, defaults=None, limits=None, ports_per_nat_ip=None) -> SizingResults:
    """The best deployment for every demand of a table, vectorized over the rows.

    Each row is sized as :func:`size` would (rank 1 of its table), with every row's
    failure its own: a bad cell gives that row an ``error`` and the others are still sized.

    Parameters
    ----------
    demands : pandas.DataFrame
        One demand per row, columns from :data:`DEMAND_COLUMNS` (numbers, or numbers as text
        such as ``2_000_000``, ``2e6`` or ``20%`` for headroom); only
        ``concurrent_connections`` is required. A ``service`` column names the rows in
        messages and is copied to the result; any other column is an error (a misspelt
        column must not be ignored silently).
    defaults : dict, optional
        Values for the cells a row leaves empty, by column name.
    limits : Limits, optional
        Reference limits (see :func:`plcapacity.get_limits`).
    ports_per_nat_ip : float, optional
        Override of ``limits.ports_per_nat_ip``. [ports]

    Returns
    -------
    SizingResults
        Reads like its table: one row per demand, in order, with the columns of
        :data:`SIZE_RESULT_COLUMNS` (``service`` first when given).
        :attr:`SizingResults.assumptions`, :attr:`SizingResults.overridden` and
        :attr:`SizingResults.failed_rows` say what it used and how many rows failed.
        (Deprecated, until 0.3.0: ``result.table.attrs`` repeats the three.)

    Raises
    ------
    ValueError
        When ``concurrent_connections`` is missing or ``demands`` is not a table.

    References
    ----------
    .. [1] Azure Private Link FAQ (64k ports per NAT IP and backend VM),
       https://learn.microsoft.com/azure/private-link/private-link-faq
    .. [2] Azure subscription and service limits, Private Link (NAT IPs and PLS counts),
       https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#azure-private-link-limits
    .. [3] Azure Load Balancer limits (backend pool size),
       https://github.com/MicrosoftDocs/azure-docs/blob/main/includes/load-balancer-limits.md
    .. [4] Azure virtual network limits (concurrent flows per VM NIC),
       https://github.com/MicrosoftDocs/azure-docs/blob/main/includes/azure-virtual-network-limits.md

    Examples
    --------
    >>> demands = pd.DataFrame({"service": ["a", "b"],
    ...                         "concurrent_connections": [100_000, 3_000_000]})
    >>> size_table(demands)[["service", "pls_count", "nat_ips", "backend_vms", "ceiling"]]
      service  pls_count  nat_ips  backend_vms  ceiling
    0       a          1        2            1   128000
    1       b          1        8            8  4000000
    """
    if not isinstance(demands, pd.DataFrame):
        raise ValueError(f"demands must be a pandas DataFrame, got {type(demands).__name__}")
    known = {c.name for c in DEMAND_COLUMNS.values()} | {"service"}
    unknown = [str(c) for c in demands.columns if c not in known]
    if unknown:
        shown = ", ".join(short_repr(c, 40) for c in unknown[:10])
        raise ValueError(f"demands: unknown column(s) {shown}; allowed: "
                         f"{', '.join(sorted(known))}")
    if "concurrent_connections" not in demands.columns:
        raise ValueError("demands: missing the required column 'concurrent_connections'")
    if len(demands) == 0:
        raise ValueError("demands: no rows (a header but no demands)")
    lim = resolve_limits(limits, ports_per_nat_ip=ports_per_nat_ip)
    frame = demands.reset_index(drop=True)
    labels = None
    if "service" in frame:
        labels = [f"row {i + 1} (service {short_repr(s, 60)})"
                  for i, s in enumerate(frame["service"].tolist())]
    rows = TableRows(frame, {c.name: c.allowed for c in DEMAND_COLUMNS.values()}, labels)
    demand = validate_demands(rows, lim, defaults)
    ok = rows.ok
    columns, infeasible = size_rows(demand, ok, lim)
    status = np.where(ok, "ok", "error").astype(object)
    for i, message in infeasible.items():
        rows.errors[i].append(f"infeasible: {message}")
        status[i] = "infeasible"
    result = pd.DataFrame({"status": status, "error": rows.messages()})
    if "service" in frame:
        result.insert(0, "service", frame["service"].to_numpy())
    for name in SIZE_RESULT_COLUMNS:
        if name in columns:
            result[name] = columns[name]
    result = as_counts(result)
    assumptions = []
    if "port_hold_s" not in lim.overridden and np.any(demand["new_connections_per_s"] > 0):
        assumptions.append(
            f"port_hold_s={lim.default_port_hold_s} s is an assumption where a row leaves it "
            "empty (Azure documents no Private Link port hold-down; NAT Gateway's 65 s after "
            "FIN is the nearest figure)")
    if "ports_per_nat_ip" not in lim.overridden:
        assumptions.append(f"ports_per_nat_ip={lim.ports_per_nat_ip:,} models the FAQ's \"64k\" "
                           "(exact value undocumented)")
    if np.any(demand["max_connections_per_vm"] == lim.vm_nic_concurrent_flows):
        assumptions.append(f"max_connections_per_vm={lim.vm_nic_concurrent_flows:,} where a row "
                           "leaves it empty: the concurrent flows one VM NIC supports (one NIC "
                           "per VM, one flow per connection)")
    failed = int((status != "ok").sum())
    # Deprecated (0.2.0, removed in 0.3.0): 0.1's .attrs keys, for readers not yet on
    # SizingResults' attributes.
    result.attrs.update(assumptions=list(assumptions), overridden=dict(lim.overridden),
                        failed_rows=failed)
    return SizingResults(result, tuple(assumptions), dict(lim.overridden), failed)
