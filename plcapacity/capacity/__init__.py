"""Capacity: how many connections a Private Link deployment carries, and what to deploy.

A PLS source-NATs through its NAT IPs, each giving ``ports_per_nat_ip`` ports per backend VM,
so the ceiling is ``pls_count x nat_ips x backend_vms x ports_per_nat_ip``, capped by what each
VM holds. Pure, vectorized functions (scalars, arrays or Series in; the same out):

- :mod:`~plcapacity.capacity.ceilings` — :func:`connection_ceiling`, :func:`ports_needed`
  (connection churn holds ports);
- :mod:`~plcapacity.capacity.model` — the one capacity model every entry point uses:
  :class:`Demand` (connections, churn, headroom, growth) and :func:`deployment_capacity`
  (ceiling, binding limit, ports needed, what a deployment carries of a demand);
- :mod:`~plcapacity.capacity.grid` — :func:`ceiling_table` over combinations, with the
  binding limit (a :class:`CeilingTable`);
- :mod:`~plcapacity.capacity.imbalance` — uneven hashing: :func:`overflow_probability`,
  :func:`effective_ceiling`;
- :mod:`~plcapacity.capacity.sizing` — the smallest deployments for a demand with headroom
  and failures: :func:`size` (:class:`SizingOptions`), :func:`size_table`
  (:class:`SizingResults`);
- :mod:`~plcapacity.capacity.sizing_requests` — deprecated (0.1's sizing requests; use
  :func:`size_table`), removed in 0.3.0.

Depends on the base only.
"""

from plcapacity.capacity.ceilings import connection_ceiling, ports_needed
from plcapacity.capacity.grid import CeilingTable, ceiling_table
from plcapacity.capacity.imbalance import effective_ceiling, overflow_probability
from plcapacity.capacity.model import Demand, deployment_capacity
from plcapacity.capacity.sizing import SizingOptions, SizingResults, size, size_table

__all__ = ["connection_ceiling", "ports_needed", "Demand", "deployment_capacity", "ceiling_table", "CeilingTable",
           "effective_ceiling", "overflow_probability", "size", "SizingOptions", "size_table",
           "SizingResults"]
