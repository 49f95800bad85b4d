"""Hashing imbalance: how unevenly connections spread over the NAT port pools, and the usable
ceiling that follows.

Connections are spread over the ``pls_count * nat_ips * backend_vms`` (NAT IP, VM) port pools
by hashing, not packed: some pools fill before others. :func:`overflow_probability` bounds the
chance that any pool (or VM) is over its capacity at a load; :func:`effective_ceiling` is the
largest load whose bound stays below a chosen probability.

References
----------
.. [1] Azure Private Link FAQ, https://learn.microsoft.com/azure/private-link/private-link-faq
"""

from __future__ import annotations

import numpy as np

from plcapacity.base.validation import Inputs, check_range
from plcapacity.capacity.ceilings import (
    INT64_SAFE,
    check_deployment_counts,
    resolve_limits,
    validated_ceiling,
)

__all__ = ["overflow_probability", "effective_ceiling", "any_bin_overflow",
           "pool_overflow_probability"]


def any_bin_overflow(connections, bins, capacity):
    """Upper bound on P(some bin holds more than ``capacity``) when ``connections`` are hashed
    uniformly into ``bins`` bins: ``min(1, bins * P(Binomial(n, 1/bins) > capacity))``.

    Boole's inequality, so the usable ceiling derived from it errs on the safe side; it is tight
    where it matters (small probabilities), where the overlap of two overflowing bins is rare.
    """
    from scipy import stats  # imported where used (import time of plcapacity)

    tail = stats.binom.sf(capacity, connections, 1.0 / bins)
    return np.minimum(bins * tail, 1.0)


def pool_overflow_probability(ports_in_use, nat_ips, backend_vms, pls_count, ports, max_per_vm,
              connections=None):
    """Union bound on any (NAT IP, VM) port pool overflowing with ``ports_in_use`` ports, or
    any VM holding more than ``max_per_vm`` of ``connections`` open connections (default: as
    many as ports; with churn, ports held after close make ports exceed connections)."""
    pools = np.multiply(np.multiply(pls_count, nat_ips, dtype=float), backend_vms)
    p = any_bin_overflow(ports_in_use, pools, ports)
    if max_per_vm is not None:
        held = ports_in_use if connections is None else connections
        p_vm = any_bin_overflow(held, np.asarray(backend_vms, dtype=float), max_per_vm)
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

    References
    ----------
    .. [1] Azure Private Link FAQ (64k ports per NAT IP and backend VM),
       https://learn.microsoft.com/azure/private-link/private-link-faq
    .. [2] Azure subscription and service limits, Private Link (NAT IPs and PLS counts),
       https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#azure-private-link-limits

    Examples
    --------
    >>> import plcapacity as plc
    >>> float(plc.overflow_probability(5_000_000, nat_ips=8, backend_vms=10))   # 98 % of 5.12 M
    7.111819635183534e-08
    >>> float(plc.overflow_probability(5_100_000, nat_ips=8, backend_vms=10)) > 0.5
    True
    """
    lim = resolve_limits(limits)
    ports = lim.ports_per_nat_ip if ports_per_nat_ip is None else ports_per_nat_ip
    named = dict(connections=connections, nat_ips=nat_ips, backend_vms=backend_vms,
                 pls_count=pls_count, ports_per_nat_ip=ports)
    if max_connections_per_vm is not None:
        named["max_connections_per_vm"] = max_connections_per_vm
    inputs = Inputs(**named)
    check_deployment_counts(inputs, lim, enforce_limits)
    check_range(inputs, "connections", 0, None)
    check_range(inputs, "ports_per_nat_ip", 0, None, low_inclusive=False)
    if max_connections_per_vm is not None:
        check_range(inputs, "max_connections_per_vm", 0, None, low_inclusive=False)
    p = pool_overflow_probability(inputs["connections"], inputs["nat_ips"], inputs["backend_vms"],
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
        :func:`overflow_probability`) is at most ``overflow_probability``
        [connections], int64, in the container of the inputs.

    Notes
    -----
    Found by a vectorized bisection over the integer connection count, between 0 and the
    nominal ceiling (which can overflow only if every pool is exactly full).

    References
    ----------
    .. [1] Azure Private Link FAQ (64k ports per NAT IP and backend VM),
       https://learn.microsoft.com/azure/private-link/private-link-faq
    .. [2] Azure subscription and service limits, Private Link (NAT IPs and PLS counts),
       https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#azure-private-link-limits

    Examples
    --------
    >>> import plcapacity as plc
    >>> int(plc.effective_ceiling(8, 10))   # nominal ceiling: 5,120,000
    5035755
    >>> int(plc.effective_ceiling(8, 10, overflow_probability=1e-6))
    5008786
    """
    if not 0 < overflow_probability < 1:
        raise ValueError(
            f"overflow_probability={overflow_probability!r} is not allowed: a probability "
            "strictly between 0 and 1"
        )
    inputs, nominal, _ = validated_ceiling(nat_ips, backend_vms, pls_count, ports_per_nat_ip,
                                  max_connections_per_vm, enforce_limits, limits)
    shape = inputs.shape
    names = ["nat_ips", "backend_vms", "pls_count", "ports_per_nat_ip"]
    if max_connections_per_vm is not None:
        names.append("max_connections_per_vm")
    args = [np.broadcast_to(inputs[n], shape).ravel() for n in names]
    nominal = np.broadcast_to(nominal, shape).ravel()
    finite = np.isfinite(nominal) & (nominal < INT64_SAFE)   # NaN only without limits
    lo = np.zeros(nominal.size, dtype=np.int64)          # 0 connections never overflow
    hi = np.where(finite, np.floor(np.where(finite, nominal, 0)), 0).astype(np.int64) + 1
    open_ = (hi - lo > 1) & finite
    while open_.any():
        mid = (lo[open_] + hi[open_]) // 2
        sub = [a[open_] for a in args]
        cap = sub[4] if max_connections_per_vm is not None else None
        ok = pool_overflow_probability(mid, *sub[:4], cap) <= overflow_probability
        lo[open_] = np.where(ok, mid, lo[open_])
        hi[open_] = np.where(ok, hi[open_], mid)
        open_ = (hi - lo > 1) & finite
    lo = lo.reshape(shape)
    if not finite.all():
        lo = np.where(finite.reshape(shape), lo, np.nan)
    return inputs.wrap(lo, name="effective_ceiling")
