"""Connection capacity of Azure Private Link: ceilings and the ports a demand needs.

A private endpoint (PE) connects to one Private Link Service (PLS). A PLS sits on a Standard Load
Balancer and source-NATs consumer traffic through its NAT IPs; each NAT IP gives
``ports_per_nat_ip`` ports *per backend VM*. So one PLS holds ``nat_ips * backend_vms`` port
pools, and the ceiling of a deployment is::

    pls_count * nat_ips * backend_vms * ports_per_nat_ip

further capped by ``backend_vms * max_connections_per_vm`` when a per-VM cap is given. All
functions are vectorized: scalars, numpy arrays and pandas Series broadcast together, and the
same kind of container comes out.

Hashing imbalance (the usable ceiling) is in :mod:`plcapacity.capacity.imbalance`; the smallest
deployment for a demand in :mod:`plcapacity.capacity.sizing`.

References
----------
.. [1] Azure Private Link FAQ, https://learn.microsoft.com/azure/private-link/private-link-faq
.. [2] Azure subscription and service limits (Private Link),
   https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from plcapacity.base.limits import Limits, get_limits
from plcapacity.base.validation import (
    MAX_COUNT,
    MAX_COUNT_TEXT,
    Inputs,
    check_number,
    check_range,
    short_repr,
)

__all__ = ["connection_ceiling", "ports_needed", "NIC_FLOWS", "INT64_SAFE",
           "check_deployment_counts", "resolve_limits", "validated_ceiling", "vm_cap",
           "whole_number_if_integral", "checked_product", "PORT_NUMBERS", "PORTS_ALLOWED",
           "VM_CAP_ALLOWED"]

#: Port numbers of one IP address: a TCP or UDP port is a 16-bit field (RFC 9293 section 3.1,
#: RFC 768), so no NAT IP offers more than 65,536 ports to one backend VM. The bound of
#: ``ports_per_nat_ip`` within Azure's limits (the model's 64,000 is the FAQ's "64k").
PORT_NUMBERS = 2 ** 16
#: What ``ports_per_nat_ip`` allows, in words.
PORTS_ALLOWED = (f"a number of ports > 0 and at most {PORT_NUMBERS:,} (a port is a 16-bit "
                 "number)")
#: What a number given as ``max_connections_per_vm`` allows, in words.
VM_CAP_ALLOWED = f"a number of connections from 1 to {MAX_COUNT_TEXT}"

#: ``max_connections_per_vm`` default of sizing and tables: the NIC's documented
#: concurrent-flow limit (``limits.vm_nic_concurrent_flows``).
NIC_FLOWS = "nic"


def resolve_limits(limits: Limits | None, **overrides) -> Limits:
    return (limits or get_limits()).merged(**overrides)


def check_deployment_counts(inputs, lim, enforce_limits):
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
INT64_SAFE = 2.0 ** 62


def _magnitude(factor) -> float:
    array = np.asarray(factor)
    return float(np.abs(array).max()) if array.size else 0.0


def checked_product(*factors, bounds=None):
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
        if largest >= INT64_SAFE:
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


def validated_ceiling(nat_ips, backend_vms, pls_count, ports_per_nat_ip, max_connections_per_vm,
             enforce_limits, limits):
    """Validated inputs, the (capped) ceiling as an array, and the limits used."""
    lim = resolve_limits(limits)
    ports = lim.ports_per_nat_ip if ports_per_nat_ip is None else ports_per_nat_ip
    named = dict(nat_ips=nat_ips, backend_vms=backend_vms, pls_count=pls_count,
                 ports_per_nat_ip=ports)
    if max_connections_per_vm is not None:
        named["max_connections_per_vm"] = max_connections_per_vm
    inputs = Inputs(**named)
    check_deployment_counts(inputs, lim, enforce_limits)
    if enforce_limits:
        check_range(inputs, "ports_per_nat_ip", 0, PORT_NUMBERS, low_inclusive=False,
                    allowed=PORTS_ALLOWED)
        if max_connections_per_vm is not None:
            check_range(inputs, "max_connections_per_vm", 0, MAX_COUNT, low_inclusive=False,
                        allowed=f"a number of connections > 0 and at most {MAX_COUNT_TEXT}")
    else:  # hypothetical configurations: any value a float holds exactly (NaN propagates)
        for name in inputs.arrays:
            _check_magnitude(inputs, name)
    # Within Azure's limits the counts are small: the int64 overflow guard needs only the
    # magnitude of the (usually scalar) per-unit figures, not extra passes over the arrays.
    known = ([lim.pls_per_load_balancer, None, lim.nat_ips_per_pls, lim.backend_pool_size]
             if enforce_limits else None)
    ceiling = checked_product(inputs["pls_count"], inputs["ports_per_nat_ip"], inputs["nat_ips"],
                       inputs["backend_vms"], bounds=known)
    if max_connections_per_vm is not None:
        cap = inputs["max_connections_per_vm"]
        vm_cap = checked_product(inputs["backend_vms"], cap,
                                 bounds=[lim.backend_pool_size, None] if enforce_limits else None)
        if vm_cap.dtype.kind == "f" and ceiling.dtype.kind == "i":
            # only a huge cap made the product a float: a VM never holds more connections
            # than its ports, so the cap beyond them changes nothing and the ceiling stays exact
            per_vm = checked_product(inputs["pls_count"], inputs["ports_per_nat_ip"],
                                     inputs["nat_ips"])
            with np.errstate(invalid="ignore"):
                cap = np.where(cap < per_vm, cap, per_vm)
            if cap.dtype.kind == "f" and np.all(np.mod(cap, 1) == 0):
                cap = cap.astype(np.int64)
            vm_cap = checked_product(inputs["backend_vms"], cap)
        ceiling = np.minimum(ceiling, vm_cap)
    return inputs, ceiling, lim


def _check_magnitude(inputs, name):
    """Refuse a count beyond :data:`~plcapacity.base.validation.MAX_COUNT` (infinite ones
    too, but for the cap, where infinity means no cap); NaN passes (it propagates)."""
    array = inputs[name]
    if array.size == 0 or (array.dtype.kind in "iu" and array.max() <= MAX_COUNT
                           and array.min() >= -MAX_COUNT):
        return
    with np.errstate(invalid="ignore"):
        bad = np.abs(array) > MAX_COUNT
        if name == "max_connections_per_vm":
            bad &= ~np.isposinf(array)
    if bad.any():
        position = int(np.flatnonzero(bad.ravel())[0])
        value = array.ravel()[position]
        where = f" at position {position}" if array.size > 1 else ""
        raise ValueError(f"{name}={short_repr(value.item())}{where} is not allowed: at most "
                         f"{MAX_COUNT_TEXT} in magnitude, also without Azure's limits")


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
    inputs, ceiling, lim = validated_ceiling(nat_ips, backend_vms, pls_count, ports_per_nat_ip,
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
        Reference limits, for the default hold time (default :func:`plcapacity.get_limits`).

    Returns
    -------
    numeric
        Mean ports in use [ports], ``concurrent + rate * hold``, in the container of the inputs.

    References
    ----------
    .. [1] NAT Gateway port reuse timers (the assumed 65 s hold after FIN),
       https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource#port-reuse-timers
    .. [2] Azure Private Link FAQ (64k ports per NAT IP and backend VM),
       https://learn.microsoft.com/azure/private-link/private-link-faq

    Examples
    --------
    >>> ports_needed(100_000, 1_000, port_hold_s=65)
    165000.0
    """
    lim = resolve_limits(limits)
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


def vm_cap(value, lim):
    """The per-VM connection cap a user asked for: a number, ``"nic"`` (the NIC's concurrent
    flows, from the reference data) or None / inf / ``"none"`` (no cap, returned as None)."""
    if isinstance(value, str) and value.strip().lower() == NIC_FLOWS:
        return lim.vm_nic_concurrent_flows
    if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
        return None
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool) \
            and math.isinf(value) and value > 0:
        return None
    return whole_number_if_integral(check_number(
        value, "max_connections_per_vm", 1, MAX_COUNT,
        allowed=f'{VM_CAP_ALLOWED}, "{NIC_FLOWS}" (the NIC\'s '
                f'{lim.vm_nic_concurrent_flows:,} flows) or None (no cap)'))


def whole_number_if_integral(value):
    return int(value) if float(value).is_integer() else value


