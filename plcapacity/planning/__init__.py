"""Planning: what to deploy in which regions so that a demand is carried and an objective
held, at the least cost — a search over regions x PLSs x NAT IPs x VMs that asks
:mod:`plcapacity.capacity` whether each candidate carries the demand after its tolerated
failures and :mod:`plcapacity.availability` how available it is.

- :mod:`~plcapacity.planning.plan` — :func:`plan` and its answer, :class:`Plan` (the frontier
  of cost against served availability, the best row, a deployment file, a plot).

Depends on the base, capacity, outages and availability.
"""

from plcapacity.planning.plan import Plan, plan

__all__ = ["plan", "Plan"]
