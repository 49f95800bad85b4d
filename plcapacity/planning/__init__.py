"""Planning: what to deploy in which regions so that a demand is carried and an objective
held, at the least cost — a search over regions x PLSs x NAT IPs x VMs that asks
:mod:`plcapacity.capacity` whether each candidate carries the demand after its tolerated
failures and :mod:`plcapacity.availability` how available it is.

This family is where ``plan`` lands; it holds no modules yet. Depends on the base,
capacity, outages and availability.
"""

__all__: list[str] = []
