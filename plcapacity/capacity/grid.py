"""Ceiling tables: one row per combination of NAT IPs, VMs and PLSs, with the binding limit
and, on request, the usable ceiling under uneven hashing (:func:`ceiling_table`, a
:class:`CeilingTable`)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from plcapacity.base.results import TableResult
from plcapacity.base.validation import Inputs
from plcapacity.capacity.ceilings import (
    NIC_FLOWS,
    check_deployment_counts,
    checked_product,
    connection_ceiling,
    resolve_limits,
    vm_cap,
)
from plcapacity.capacity.imbalance import effective_ceiling

__all__ = ["ceiling_table", "CeilingTable", "MAX_GRID_ROWS"]


#: Most rows :func:`ceiling_table` builds (a table people read, or a plot's grid). [rows]
MAX_GRID_ROWS = 1_000_000


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class CeilingTable(TableResult):
    """Connection ceilings over a grid of configurations: what :func:`ceiling_table` returns.

    The result reads like its :attr:`table` (``grid["ceiling"]``, ``grid.loc[...]``,
    ``len(grid)``; see :class:`~plcapacity.base.results.TableResult`), and says which
    reference values it was computed with as a plain attribute, not in ``DataFrame.attrs``.
    Use ``grid.table`` where a DataFrame itself is needed (``pd.concat``).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per configuration, the columns listed under :func:`ceiling_table`.
    overridden : dict, default {}
        The reference limits overridden for this table: name -> ``(reference value, value
        used)``, as in :attr:`plcapacity.Limits.overridden`.

    Attributes
    ----------
    table : pandas.DataFrame
        The ceilings [connections] and the configuration of each row.
    overridden : dict of str to (number, number)
        Each overridden limit's reference and used value, in the limit's own unit
        (``ports_per_nat_ip``: [ports]; ``vm_nic_concurrent_flows``: [connections]); empty
        when the table uses Azure's documented values.

    References
    ----------
    .. [1] Azure Private Link FAQ (64k ports per NAT IP and backend VM),
       https://learn.microsoft.com/azure/private-link/private-link-faq

    Examples
    --------
    >>> import plcapacity as plc
    >>> grid = plc.ceiling_table([4, 8], 10, ports_per_nat_ip=65_536)
    >>> grid.overridden                          # [ports]: reference, used
    {'ports_per_nat_ip': (64000, 65536)}
    >>> list(grid["ceiling"])                    # the table's columns, as before [connections]
    [2621440, 5000000]
    >>> plc.ceiling_table(8, 10).overridden      # Azure's values throughout
    {}
    """

    table: pd.DataFrame
    overridden: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.table, pd.DataFrame):
            raise TypeError(f"CeilingTable.table is {type(self.table).__name__}, not a pandas "
                            "DataFrame")
        object.__setattr__(self, "overridden", dict(self.overridden))


class _AxisInputs(Inputs):
    """Axes of a grid checked one by one (they are not broadcast together)."""

    def __init__(self, **named):
        self.index, self.scalar = None, False
        self.arrays = {}
        for name, value in named.items():
            self.arrays[name] = Inputs(**{name: value}).arrays[name]


def ceiling_table(nat_ips, backend_vms, pls_count=1, *, ports_per_nat_ip=None,
                  max_connections_per_vm=NIC_FLOWS, overflow_probability=None,
                  enforce_limits=True, limits=None) -> CeilingTable:
    """Ceilings over a grid of configurations, one row per combination.

    Parameters
    ----------
    nat_ips, backend_vms, pls_count : int or sequence of int
        Values to combine (every combination becomes a row).
    ports_per_nat_ip, enforce_limits, limits
        As in :func:`connection_ceiling` (scalars here).
    max_connections_per_vm : float, "nic" or None, default "nic"
        Per-VM cap [connections]: a number, ``"nic"`` (the concurrent flows a VM NIC
        supports, ``limits.vm_nic_concurrent_flows``) or None (no cap).
    overflow_probability : float, optional
        When given, adds the usable ``effective_ceiling`` at that overflow probability.

    Returns
    -------
    CeilingTable
        Reads like its table (``result["ceiling"]``); :attr:`CeilingTable.overridden` lists
        the overridden reference values. The table's columns:

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

        (Deprecated, until 0.3.0: ``result.table.attrs["overridden"]`` repeats
        :attr:`CeilingTable.overridden`.)

    References
    ----------
    .. [1] Azure Private Link FAQ (64k ports per NAT IP and backend VM),
       https://learn.microsoft.com/azure/private-link/private-link-faq
    .. [2] Azure subscription and service limits, Private Link (NAT IPs and PLS counts),
       https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#azure-private-link-limits
    .. [3] Azure virtual network limits (concurrent flows per VM NIC),
       https://github.com/MicrosoftDocs/azure-docs/blob/main/includes/azure-virtual-network-limits.md

    Examples
    --------
    >>> ceiling_table([4, 8], 10)[["nat_ips", "ceiling", "binding_limit"]]
       nat_ips  ceiling   binding_limit
    0        4  2560000       nat_ports
    1        8  5000000  vm_connections
    """
    lim = resolve_limits(limits, ports_per_nat_ip=ports_per_nat_ip)
    max_connections_per_vm = vm_cap(max_connections_per_vm, lim)
    axes = [np.atleast_1d(np.asarray(v)) for v in (pls_count, nat_ips, backend_vms)]
    for name, axis in zip(("pls_count", "nat_ips", "backend_vms"), axes):
        if axis.ndim != 1:
            raise ValueError(f"{name} must be a scalar or a 1-D sequence of values")
    # the values and the size of the grid are checked before the grid is built
    check_deployment_counts(_AxisInputs(pls_count=axes[0], nat_ips=axes[1], backend_vms=axes[2]),
                      lim, enforce_limits)
    rows = math.prod(axis.size for axis in axes)
    if rows > MAX_GRID_ROWS:
        raise ValueError(f"the grid of {axes[0].size:,} pls_count x {axes[1].size:,} nat_ips x "
                         f"{axes[2].size:,} backend_vms values has {rows:,} rows, more than the "
                         f"{MAX_GRID_ROWS:,} allowed; ask for fewer values")
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
        vm_only = checked_product(vms, np.asarray(max_connections_per_vm))
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
    # Deprecated (0.2.0, removed in 0.3.0): 0.1's .attrs key, for readers not yet on
    # CeilingTable.overridden.
    table.attrs["overridden"] = dict(lim.overridden)
    return CeilingTable(table, dict(lim.overridden))
