"""Connection capacity of Azure Private Link: ceilings, port demand, hashing imbalance, sizing.

A private endpoint (PE) connects to one Private Link Service (PLS). A PLS sits on a Standard Load
Balancer and source-NATs consumer traffic through its NAT IPs; each NAT IP gives
``ports_per_nat_ip`` ports *per backend VM*. So one PLS holds ``nat_ips * backend_vms`` port
pools, and the ceiling of a deployment is::

    pls_count * nat_ips * backend_vms * ports_per_nat_ip

further capped by ``backend_vms * max_connections_per_vm`` when a per-VM cap is given. All
functions are vectorized: scalars, numpy arrays and pandas Series broadcast together, and the
same kind of container comes out.

References
----------
.. [1] Azure Private Link FAQ, https://learn.microsoft.com/azure/private-link/private-link-faq
.. [2] Azure subscription and service limits (Private Link),
   https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy import stats

from ._arrays import Inputs, check_range, describe_range
from .exceptions import CapacityWarning, InfeasibleDemandError
from .limits import Limits, get_limits

__all__ = [
    "connection_ceiling",
    "ceiling_table",
    "ports_needed",
    "overflow_probability",
    "effective_ceiling",
    "size",
]

def _limits(limits: Limits | None, **overrides) -> Limits:
    return (limits or get_limits()).merged(**overrides)


def _check_deployment(inputs, lim, enforce_limits):
    """Validate nat_ips, backend_vms and pls_count against Azure's limits (or just > 0)."""
    if enforce_limits:
        check_range(inputs, "nat_ips", lim.min_nat_ips_per_pls, lim.nat_ips_per_pls, integer=True,
                    allowed=f"a whole number from {lim.min_nat_ips_per_pls} to "
                            f"{lim.nat_ips_per_pls} (NAT IP configurations per PLS)")
        check_range(inputs, "backend_vms", 1, lim.backend_pool_size, integer=True,
                    allowed=f"a whole number from 1 to {lim.backend_pool_size:,} "
                            "(Standard Load Balancer backend pool size)")
        check_range(inputs, "pls_count", 1, lim.pls_per_load_balancer, integer=True,
                    allowed=f"a whole number from 1 to {lim.pls_per_load_balancer} "
                            "(PLS per Standard Load Balancer)")


#: Largest magnitude an int64 product may reach before it is computed in float64 instead.
_INT64_SAFE = 2.0 ** 62


def _magnitude(factor) -> float:
    array = np.asarray(factor)
    return float(np.abs(array).max()) if array.size else 0.0


def _product(*factors, bounds=None):
    """Product of broadcastable factors.

    Scalars are folded first so arrays are traversed once per array factor. Integer inputs
    stay exact in int64 unless the product could pass 2**62 (from ``bounds``, the largest
    magnitude of each factor when known, else measured), in which case it is float64.
    """
    arrays = [f for f in factors if np.ndim(f)]
    scalars = [f for f in factors if not np.ndim(f)]
    kinds = {np.asarray(f).dtype.kind for f in factors}
    dtype = np.int64 if kinds <= {"i", "u"} else np.float64
    if dtype is np.int64:
        bounds = bounds or [None] * len(factors)
        largest = math.prod(_magnitude(f) if b is None else float(b)
                            for f, b in zip(factors, bounds))
        if largest >= _INT64_SAFE:
            dtype = np.float64
    scalar = dtype(1)
    for s in scalars:
        scalar = dtype(scalar * dtype(s))
    if not arrays:
        return np.asarray(scalar, dtype=dtype)
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    out = np.multiply(arrays[0], scalar, dtype=dtype)
    if out.shape != shape:
        out = np.multiply(out, np.ones(shape, dtype))
    for a in arrays[1:]:
        np.multiply(out, a, out=out, dtype=dtype, casting="same_kind")
    return out


def _ceiling(nat_ips, backend_vms, pls_count, ports_per_nat_ip, max_connections_per_vm,
             enforce_limits, limits):
    """Validated inputs, the (capped) ceiling as an array, and the limits used."""
    lim = _limits(limits)
    ports = lim.ports_per_nat_ip if ports_per_nat_ip is None else ports_per_nat_ip
    named = dict(nat_ips=nat_ips, backend_vms=backend_vms, pls_count=pls_count,
                 ports_per_nat_ip=ports)
    if max_connections_per_vm is not None:
        named["max_connections_per_vm"] = max_connections_per_vm
    inputs = Inputs(**named)
    _check_deployment(inputs, lim, enforce_limits)
    if enforce_limits:
        check_range(inputs, "ports_per_nat_ip", 0, None, low_inclusive=False)
        if max_connections_per_vm is not None:
            check_range(inputs, "max_connections_per_vm", 0, None, low_inclusive=False)
    # Within Azure's limits the counts are small: the int64 overflow guard needs only the
    # magnitude of the (usually scalar) per-unit figures, not extra passes over the arrays.
    known = ([lim.pls_per_load_balancer, None, lim.nat_ips_per_pls, lim.backend_pool_size]
             if enforce_limits else None)
    ceiling = _product(inputs["pls_count"], inputs["ports_per_nat_ip"], inputs["nat_ips"],
                       inputs["backend_vms"], bounds=known)
    if max_connections_per_vm is not None:
        vm_cap = _product(inputs["backend_vms"], inputs["max_connections_per_vm"],
                          bounds=[lim.backend_pool_size, None] if enforce_limits else None)
        ceiling = np.minimum(ceiling, vm_cap)
    return inputs, ceiling, lim


def connection_ceiling(nat_ips, backend_vms, pls_count=1, *, ports_per_nat_ip=None,
                       max_connections_per_vm=None, enforce_limits=True, limits=None):
    """Most concurrent connections a Private Link deployment can carry.

    Parameters
    ----------
    nat_ips : numeric
        NAT IP configurations per PLS. [-] (Azure: 1 to 8)
    backend_vms : numeric
        Backend VMs in the load balancer's pool. [-] (Azure: 1 to 5000)
    pls_count : numeric, default 1
        Private Link Services on the load balancer, all in front of the same VMs. [-]
        (Azure: 1 to 8)
    ports_per_nat_ip : numeric, optional
        Ports each NAT IP gives per backend VM. [ports] Default: ``limits.ports_per_nat_ip``
        (64,000; the FAQ says "64k", the exact value is undocumented).
    max_connections_per_vm : numeric, optional
        Most concurrent connections one VM can hold (application, OS or NIC). [connections]
        Default: no cap. ``limits.vm_nic_concurrent_flows`` (500,000) is the NIC's figure.
    enforce_limits : bool, default True
        Reject values outside Azure's limits, non-integers and NaN. ``False`` computes
        hypothetical configurations (NaN propagates).
    limits : Limits, optional
        Reference limits to use (see :func:`plcapacity.limits.get_limits`).

    Returns
    -------
    numeric
        The ceiling [connections], in the container of the inputs (scalar, ndarray or Series
        with the Series' index). Integer inputs give exact int64 values.

    Raises
    ------
    ValueError
        Naming the argument, the value, its position and the allowed range.

    Notes
    -----
    ``ceiling = pls_count * nat_ips * backend_vms * ports_per_nat_ip``, then
    ``min(ceiling, backend_vms * max_connections_per_vm)``. Each (NAT IP, VM) pair is a separate
    pool of ports because a source port can be reused towards a different backend VM [1]_.

    Examples
    --------
    >>> connection_ceiling(8, 10)   # the FAQ's example
    5120000
    >>> connection_ceiling(8, 10, pls_count=8)
    40960000

    References
    ----------
    .. [1] https://learn.microsoft.com/azure/private-link/private-link-faq
    """
    inputs, ceiling, lim = _ceiling(nat_ips, backend_vms, pls_count, ports_per_nat_ip,
                                    max_connections_per_vm, enforce_limits, limits)
    result = inputs.wrap(ceiling, name="ceiling")
    if isinstance(result, pd.Series) and ports_per_nat_ip is not None:
        reference = lim.ports_per_nat_ip
        if np.ndim(ports_per_nat_ip) or ports_per_nat_ip != reference:
            result.attrs["overridden"] = {"ports_per_nat_ip": (reference, ports_per_nat_ip)}
    return result


def ports_needed(concurrent_connections, new_connections_per_s=0.0, port_hold_s=None, *,
                 limits=None):
    """NAT ports a demand keeps in use, by Little's law.

    Parameters
    ----------
    concurrent_connections : numeric
        Connections open at the same time. [connections]
    new_connections_per_s : numeric, default 0
        Rate at which connections are opened (and, in steady state, closed). [1/s]
    port_hold_s : numeric, optional
        Time a port stays reserved after its connection closes. [s] Default:
        ``limits.default_port_hold_s`` (65 s). This is an ASSUMPTION: Azure documents no
        Private Link hold-down; NAT Gateway's 65 s after FIN is the nearest documented figure.
    limits : Limits, optional

    Returns
    -------
    numeric
        Mean ports in use [ports], ``concurrent + rate * hold``, in the container of the inputs.

    Examples
    --------
    >>> ports_needed(100_000, 1_000, port_hold_s=65)
    165000.0
    """
    lim = _limits(limits)
    hold = lim.default_port_hold_s if port_hold_s is None else port_hold_s
    inputs = Inputs(concurrent_connections=concurrent_connections,
                    new_connections_per_s=new_connections_per_s, port_hold_s=hold)
    for name in inputs.arrays:
        check_range(inputs, name, 0, None)
    result = (inputs["concurrent_connections"]
              + np.multiply(inputs["new_connections_per_s"], inputs["port_hold_s"], dtype=float))
    result = inputs.wrap(result, name="ports_needed")
    if isinstance(result, pd.Series) and port_hold_s is None:
        result.attrs["assumptions"] = [
            f"port_hold_s={hold} s is an assumption (Azure documents no Private Link port "
            "hold-down; NAT Gateway's 65 s after FIN is the nearest figure)"]
    return result


def _any_overflow(connections, bins, capacity):
    """Upper bound on P(some bin holds more than ``capacity``) when ``connections`` are hashed
    uniformly into ``bins`` bins: ``min(1, bins * P(Binomial(n, 1/bins) > capacity))``.

    Boole's inequality, so the usable ceiling derived from it errs on the safe side; it is tight
    where it matters (small probabilities), where the overlap of two overflowing bins is rare.
    """
    tail = stats.binom.sf(capacity, connections, 1.0 / bins)
    return np.minimum(bins * tail, 1.0)


def _overflow(ports_in_use, nat_ips, backend_vms, pls_count, ports, max_per_vm,
              connections=None):
    """Union bound on any (NAT IP, VM) port pool overflowing with ``ports_in_use`` ports, or
    any VM holding more than ``max_per_vm`` of ``connections`` open connections (default: as
    many as ports; with churn, ports held after close make ports exceed connections)."""
    pools = np.multiply(np.multiply(pls_count, nat_ips, dtype=float), backend_vms)
    p = _any_overflow(ports_in_use, pools, ports)
    if max_per_vm is not None:
        held = ports_in_use if connections is None else connections
        p_vm = _any_overflow(held, np.asarray(backend_vms, dtype=float), max_per_vm)
        p = np.minimum(p + p_vm, 1.0)  # Boole again: either kind of overflow
    return p


def overflow_probability(connections, nat_ips, backend_vms, pls_count=1, *, ports_per_nat_ip=None,
                         max_connections_per_vm=None, enforce_limits=True, limits=None):
    """Probability that hashing leaves some port pool (or VM) over its capacity.

    Parameters
    ----------
    connections : numeric
        Connections (ports) in use across the deployment. [connections]
    nat_ips, backend_vms, pls_count, ports_per_nat_ip, max_connections_per_vm, enforce_limits, limits
        As in :func:`connection_ceiling`.

    Returns
    -------
    numeric
        Probability in [0, 1], in the container of the inputs.

    Notes
    -----
    Connections are spread uniformly at random over the ``pls_count * nat_ips * backend_vms``
    (NAT IP, VM) port pools, each holding ``ports_per_nat_ip`` (balls into bins). With
    ``M`` pools and ``n`` connections, ``q = P(Binomial(n, 1/M) > ports)`` and the result is
    the union bound ``min(1, M * q)``: never below the exact multinomial probability, and
    within a fraction of a percent of it at the small probabilities used for sizing. A per-VM
    cap adds the same bound over VMs (capacity ``max_connections_per_vm``). Traffic is assumed
    to be spread evenly over the PLSs (which PE connects to which PLS is the deployment's
    choice, not hashing: spread the consumers evenly for this to hold).
    """
    lim = _limits(limits)
    ports = lim.ports_per_nat_ip if ports_per_nat_ip is None else ports_per_nat_ip
    named = dict(connections=connections, nat_ips=nat_ips, backend_vms=backend_vms,
                 pls_count=pls_count, ports_per_nat_ip=ports)
    if max_connections_per_vm is not None:
        named["max_connections_per_vm"] = max_connections_per_vm
    inputs = Inputs(**named)
    _check_deployment(inputs, lim, enforce_limits)
    check_range(inputs, "connections", 0, None)
    check_range(inputs, "ports_per_nat_ip", 0, None, low_inclusive=False)
    if max_connections_per_vm is not None:
        check_range(inputs, "max_connections_per_vm", 0, None, low_inclusive=False)
    p = _overflow(inputs["connections"], inputs["nat_ips"], inputs["backend_vms"],
                  inputs["pls_count"], inputs["ports_per_nat_ip"],
                  inputs.arrays.get("max_connections_per_vm"))
    return inputs.wrap(p, name="overflow_probability")


def effective_ceiling(nat_ips, backend_vms, pls_count=1, *, overflow_probability=1e-3,
                      ports_per_nat_ip=None, max_connections_per_vm=None, enforce_limits=True,
                      limits=None):
    """Usable ceiling once hashing spreads connections unevenly over the port pools.

    Parameters
    ----------
    nat_ips, backend_vms, pls_count, ports_per_nat_ip, max_connections_per_vm, enforce_limits, limits
        As in :func:`connection_ceiling`.
    overflow_probability : float, default 1e-3
        Largest acceptable probability that any (NAT IP, VM) pool (or VM) overflows. [-]
        (0 < p < 1)

    Returns
    -------
    numeric
        The largest connection count whose overflow probability (see
        :func:`plcapacity.capacity.overflow_probability`) is at most ``overflow_probability``
        [connections], int64, in the container of the inputs.

    Notes
    -----
    Found by a vectorized bisection over the integer connection count, between 0 and the
    nominal ceiling (which can overflow only if every pool is exactly full).
    """
    if not 0 < overflow_probability < 1:
        raise ValueError(
            f"overflow_probability={overflow_probability!r} is not allowed: a probability "
            "strictly between 0 and 1"
        )
    inputs, nominal, _ = _ceiling(nat_ips, backend_vms, pls_count, ports_per_nat_ip,
                                  max_connections_per_vm, enforce_limits, limits)
    shape = inputs.shape
    names = ["nat_ips", "backend_vms", "pls_count", "ports_per_nat_ip"]
    if max_connections_per_vm is not None:
        names.append("max_connections_per_vm")
    args = [np.broadcast_to(inputs[n], shape).ravel() for n in names]
    nominal = np.broadcast_to(nominal, shape).ravel()
    finite = np.isfinite(nominal) & (nominal < _INT64_SAFE)   # NaN only without limits
    lo = np.zeros(nominal.size, dtype=np.int64)          # 0 connections never overflow
    hi = np.where(finite, np.floor(np.where(finite, nominal, 0)), 0).astype(np.int64) + 1
    open_ = (hi - lo > 1) & finite
    while open_.any():
        mid = (lo[open_] + hi[open_]) // 2
        sub = [a[open_] for a in args]
        cap = sub[4] if max_connections_per_vm is not None else None
        ok = _overflow(mid, *sub[:4], cap) <= overflow_probability
        lo[open_] = np.where(ok, mid, lo[open_])
        hi[open_] = np.where(ok, hi[open_], mid)
        open_ = (hi - lo > 1) & finite
    lo = lo.reshape(shape)
    if not finite.all():
        lo = np.where(finite.reshape(shape), lo, np.nan)
    return inputs.wrap(lo, name="effective_ceiling")


def ceiling_table(nat_ips, backend_vms, pls_count=1, *, ports_per_nat_ip=None,
                  max_connections_per_vm=None, overflow_probability=None, enforce_limits=True,
                  limits=None):
    """Ceilings over a grid of configurations, one row per combination.

    Parameters
    ----------
    nat_ips, backend_vms, pls_count : int or sequence of int
        Values to combine (every combination becomes a row).
    ports_per_nat_ip, max_connections_per_vm, enforce_limits, limits
        As in :func:`connection_ceiling` (scalars here).
    overflow_probability : float, optional
        When given, adds the usable ``effective_ceiling`` at that overflow probability.

    Returns
    -------
    pandas.DataFrame
        Columns:

        - ``pls_count``, ``nat_ips``, ``backend_vms``: the configuration. [-]
        - ``ports_per_nat_ip``: ports per NAT IP per VM used. [ports]
        - ``nat_port_limit``: ``pls_count * nat_ips * backend_vms * ports_per_nat_ip``.
          [connections]
        - ``vm_connection_limit``: ``backend_vms * max_connections_per_vm`` (``<NA>`` without a
          per-VM cap). [connections]
        - ``ceiling``: the smaller of the two. [connections]
        - ``binding_limit``: ``"nat_ports"`` or ``"vm_connections"``, the limit that sets the
          ceiling (``nat_ports`` on a tie).
        - ``max_private_endpoints``: ``pls_count * pe_per_pls``. [PEs]
        - ``effective_ceiling`` (with ``overflow_probability``). [connections]

        ``.attrs["overridden"]`` lists overridden reference values.

    Examples
    --------
    >>> ceiling_table([4, 8], 10)[["nat_ips", "ceiling"]]
       nat_ips  ceiling
    0        4  2560000
    1        8  5120000
    """
    lim = _limits(limits, ports_per_nat_ip=ports_per_nat_ip)
    axes = [np.atleast_1d(np.asarray(v)) for v in (pls_count, nat_ips, backend_vms)]
    for name, axis in zip(("pls_count", "nat_ips", "backend_vms"), axes):
        if axis.ndim != 1:
            raise ValueError(f"{name} must be a scalar or a 1-D sequence of values")
    grid = [g.ravel() for g in np.meshgrid(*axes, indexing="ij")]
    pls, nat, vms = grid
    nominal = connection_ceiling(nat, vms, pls, enforce_limits=enforce_limits, limits=lim)
    table = pd.DataFrame({
        "pls_count": pls, "nat_ips": nat, "backend_vms": vms,
        "ports_per_nat_ip": np.full(len(pls), lim.ports_per_nat_ip),
        "nat_port_limit": nominal,
    })
    if max_connections_per_vm is not None:
        vm_limit = connection_ceiling(nat, vms, pls, max_connections_per_vm=max_connections_per_vm,
                                      enforce_limits=enforce_limits, limits=lim)
        vm_only = _product(vms, np.asarray(max_connections_per_vm))
        table["vm_connection_limit"] = vm_only
        table["ceiling"] = vm_limit
        table["binding_limit"] = np.where(nominal <= vm_only, "nat_ports", "vm_connections")
    else:
        table["vm_connection_limit"] = pd.array([pd.NA] * len(pls), dtype="Int64")
        table["ceiling"] = nominal
        table["binding_limit"] = "nat_ports"
    table["max_private_endpoints"] = pls * lim.pe_per_pls
    if overflow_probability is not None:
        table["effective_ceiling"] = effective_ceiling(
            nat, vms, pls, overflow_probability=overflow_probability,
            max_connections_per_vm=max_connections_per_vm, enforce_limits=enforce_limits,
            limits=lim)
    table.attrs["overridden"] = dict(lim.overridden)
    return table


# --------------------------------------------------------------------------- sizing


def _check_scalar(name, value, low=None, high=None, *, integer=False, low_inclusive=True,
                  allowed=None):
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    ok = math.isfinite(number) and not isinstance(value, bool)
    ok = ok and (low is None or (number >= low if low_inclusive else number > low))
    ok = ok and (high is None or number <= high)
    ok = ok and (not integer or number.is_integer())
    if not ok:
        allowed = allowed or describe_range(low, high, integer=integer, low_inclusive=low_inclusive)
        raise ValueError(f"{name}={value!r} is not allowed: {allowed}")
    return int(number) if integer else number


def _decimal(value) -> Fraction:
    """The exact decimal a number was written as (``1.2`` is 6/5, not the binary float)."""
    if isinstance(value, (int, np.integer)):
        return Fraction(int(value))
    return Fraction(repr(float(value)))


def _whole_if_integral(value):
    return int(value) if float(value).is_integer() else value


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
        p = _any_overflow(required_ports[sel], pls[sel] * nat[sel] * vms, ports)
        capped = np.isfinite(cap[sel])
        if capped.any():
            p_vm = _any_overflow(required_connections[sel], vms.astype(float),
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
    cap = np.asarray(cap, dtype=float)
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
               lim, ports_per):
    """Fewest VMs for every (row, configuration), vectorized over both.

    Parameters
    ----------
    required_ports, required_connections : ndarray, shape (n,)
        Exact whole requirements with headroom (int64, or object arrays of Python ints when
        they may not fit int64). [ports], [connections]
    failures, endpoints : ndarray of int, shape (n,)
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
        ``feasible`` and ``binding``.
    """
    pls, nat = _configurations(lim)
    pool = lim.backend_pool_size
    usable = (pool - failures)[:, None]
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
    vms = healthy + failures[:, None]
    feasible = (vms <= pool) & ((pls * lim.pe_per_pls)[None, :] >= endpoints[:, None])
    shape = healthy.shape
    return dict(pls=np.broadcast_to(pls, shape), nat=np.broadcast_to(nat, shape),
                healthy=healthy, vms=vms, feasible=feasible, binding=binding)


def size(concurrent_connections, *, new_connections_per_s=0.0, port_hold_s=None, headroom=0.2,
         vm_failures_tolerated=0, max_connections_per_vm=None, consumer_endpoints=1,
         overflow_probability=None, ports_per_nat_ip=None, limits=None):
    """Smallest deployments that carry a demand with headroom, even after VM failures.

    For every (pls_count, nat_ips) within Azure's limits that accepts ``consumer_endpoints``
    private endpoints, finds the fewest backend VMs such that, after losing
    ``vm_failures_tolerated`` of them, the remaining VMs still carry the demand plus headroom.

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
    max_connections_per_vm : float, optional
        Most concurrent connections one VM holds. [connections] Default: no cap.
    consumer_endpoints : int, default 1
        Private endpoints that connect to the service (at most ``pe_per_pls`` per PLS). [-]
    overflow_probability : float, optional
        When given, size on the usable (hash-imbalanced) ceiling: the probability that any
        pool overflows at the required load must be at most this. [-]
    ports_per_nat_ip : float, optional
        Override of ``limits.ports_per_nat_ip``. [ports]
    limits : Limits, optional
        Reference limits to use.

    Returns
    -------
    pandas.DataFrame
        One row per feasible (pls_count, nat_ips), best first. Columns (units in brackets)::

            rank                         1 = best (fewest VMs, then fewest PLS, then fewest NAT IPs). [-]
            pls_count                    Private Link Services on the load balancer. [-]
            nat_ips                      NAT IP configurations per PLS. [-]
            backend_vms                  VMs to deploy, including the failures tolerated. [-]
            vms_after_failures           VMs left after losing vm_failures_tolerated. [-]
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

        ``.attrs`` holds ``overridden`` (overridden limits), ``assumptions`` (assumed values
        used) and ``demand`` (the inputs).

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
    """
    lim = _limits(limits, ports_per_nat_ip=ports_per_nat_ip)
    concurrent = _check_scalar("concurrent_connections", concurrent_connections, 0)
    rate = _check_scalar("new_connections_per_s", new_connections_per_s, 0)
    hold_given = port_hold_s is not None
    hold = _check_scalar("port_hold_s", port_hold_s if hold_given else lim.default_port_hold_s, 0)
    headroom = _check_scalar("headroom", headroom, 0)
    failures = _check_scalar("vm_failures_tolerated", vm_failures_tolerated, 0,
                             lim.backend_pool_size - 1, integer=True)
    endpoints = _check_scalar("consumer_endpoints", consumer_endpoints, 1, integer=True)
    ports_per = _whole_if_integral(_check_scalar("ports_per_nat_ip", lim.ports_per_nat_ip, 1,
                                                 allowed="a number of ports >= 1"))
    cap = max_connections_per_vm
    if cap is not None:
        cap = _whole_if_integral(_check_scalar("max_connections_per_vm", cap, 1,
                                               allowed="a number of connections >= 1"))
    probability = overflow_probability
    if probability is not None:
        probability = _check_scalar("overflow_probability", probability, 0, 1,
                                    low_inclusive=False,
                                    allowed="a probability strictly between 0 and 1")
        if probability >= 1:
            raise ValueError(f"overflow_probability={overflow_probability!r} is not allowed: "
                             "a probability strictly between 0 and 1")
    _check_endpoints(endpoints, lim)

    # Exact arithmetic on the numbers as written: correct to the last port at any size.
    needed = _decimal(concurrent) + _decimal(rate) * _decimal(hold)
    grow = 1 + _decimal(headroom)
    needed_ports = math.ceil(needed)
    required_ports = math.ceil(needed * grow)
    required_connections = math.ceil(_decimal(concurrent) * grow)
    usable_vms = lim.backend_pool_size - failures
    _check_feasible(lim, required_ports, required_connections, usable_vms, failures, cap,
                    headroom, _decimal(ports_per))

    fits_int64 = (lim.pls_per_load_balancer * lim.nat_ips_per_pls * usable_vms
                  * float(ports_per)) < 2.0 ** 62
    counts = _vm_counts(
        np.array([required_ports], dtype=np.int64 if fits_int64 else object),
        np.array([required_connections], dtype=np.int64 if fits_int64 else object),
        np.array([failures]), np.array([np.nan if cap is None else cap], dtype=float),
        np.array([endpoints]), np.array([np.nan if probability is None else probability]),
        lim, ports_per)
    pls, nat, vms, healthy, binding, feasible = (
        counts[k][0] for k in ("pls", "nat", "vms", "healthy", "binding", "feasible"))
    if not feasible.any():
        raise InfeasibleDemandError(
            f"demand needs {required_ports:,} ports with {headroom:.0%} headroom; even "
            f"{lim.pls_per_load_balancer} PLS x {lim.nat_ips_per_pls} NAT IPs x {usable_vms:,} "
            f"VMs (after {failures} failures) keep the probability that hashing overflows a "
            f"port pool or a VM above overflow_probability={probability:g}",
            limit="backend_pool_size", required=required_ports, available=None)

    pls, nat, vms, healthy, binding = (a[feasible] for a in (pls, nat, vms, healthy, binding))
    order = np.lexsort((nat, pls, vms))
    pls, nat, vms, healthy, binding = (a[order] for a in (pls, nat, vms, healthy, binding))
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
        table["overflow_probability_after_failures"] = _overflow(
            float(required_ports), nat.astype(float), healthy.astype(float), pls.astype(float),
            ports_per, cap, float(required_connections))
    table["max_private_endpoints"] = pls * lim.pe_per_pls
    table["pe_monthly_cost_usd"] = (endpoints * lim.private_endpoint_hour_usd
                                    * lim.hours_per_month)
    assumptions = []
    if not hold_given and rate > 0:
        assumptions.append(
            f"port_hold_s={lim.default_port_hold_s} s is an assumption (Azure documents no "
            "Private Link port hold-down; NAT Gateway's 65 s after FIN is the nearest figure)")
    if "ports_per_nat_ip" not in lim.overridden:
        assumptions.append(f"ports_per_nat_ip={lim.ports_per_nat_ip:,} models the FAQ's \"64k\" "
                           "(exact value undocumented)")
    table.attrs.update(overridden=dict(lim.overridden), assumptions=assumptions, demand=dict(
        concurrent_connections=concurrent, new_connections_per_s=rate, port_hold_s=hold,
        headroom=headroom, vm_failures_tolerated=failures, consumer_endpoints=endpoints,
        max_connections_per_vm=cap, overflow_probability=probability))
    best = table.iloc[0]
    if cap is None and best.connections_per_vm > lim.vm_nic_concurrent_flows:
        warnings.warn(
            f"the best configuration puts {best.connections_per_vm:,.0f} connections on each VM, "
            f"above the {lim.vm_nic_concurrent_flows:,} concurrent flows a VM NIC supports; pass "
            f"max_connections_per_vm={lim.vm_nic_concurrent_flows} to size for it",
            CapacityWarning, stacklevel=2)
    return table


def _check_endpoints(endpoints, lim):
    most = lim.pls_per_load_balancer * lim.pe_per_pls
    if endpoints > most:
        raise InfeasibleDemandError(
            f"consumer_endpoints={endpoints:,} cannot be met: {lim.pls_per_load_balancer} PLS per "
            f"load balancer x {lim.pe_per_pls:,} private endpoints per PLS accept {most:,} "
            f"({endpoints - most:,} too many); split the service over several load balancers",
            limit="pe_per_pls", required=endpoints, available=most)


def _check_feasible(lim, required_ports, required_connections, usable_vms, failures, cap,
                    headroom, ports_per):
    """Raise with the limit that cannot be met and by how much, before any sizing."""
    pool = lim.backend_pool_size
    largest = (f"{lim.pls_per_load_balancer} PLS x {lim.nat_ips_per_pls} NAT IPs x "
               f"{usable_vms:,} VMs left after {failures} failures")
    most_ports = lim.pls_per_load_balancer * lim.nat_ips_per_pls * usable_vms * ports_per
    what = f"with {headroom:.0%} headroom"
    if required_ports > most_ports:
        raise InfeasibleDemandError(
            f"demand needs {required_ports:,} ports {what}, but the largest deployment within "
            f"the limits ({largest}, {float(ports_per):,.0f} ports each) carries "
            f"{float(most_ports):,.0f} ({float(required_ports - most_ports):,.0f} short; "
            f"backend_pool_size={pool:,})",
            limit="backend_pool_size", required=required_ports, available=most_ports)
    if cap is not None and required_connections > usable_vms * _decimal(cap):
        most = usable_vms * _decimal(cap)
        raise InfeasibleDemandError(
            f"demand needs {required_connections:,} connections {what}, but {usable_vms:,} VMs "
            f"(backend_pool_size={pool:,} less {failures} failures) x {float(cap):,.0f} per VM "
            f"hold {float(most):,.0f} ({float(required_connections - most):,.0f} short)",
            limit="backend_pool_size", required=required_connections, available=most)
