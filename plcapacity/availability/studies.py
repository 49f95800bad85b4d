"""Studies: several simulations side by side, as one table.

Units: minutes; a year is 365 days; availabilities are fractions of time (0-1).
"""

from __future__ import annotations

import pandas as pd

from plcapacity.availability.simulation import seed_sequence, simulate
from plcapacity.outages.laws import MINUTES_PER_YEAR

__all__ = ["availability_by_region_count"]

#: Former column names, still written beside the new ones (deprecated; removed once every
#: reader uses the new names).


def availability_by_region_count(regions, outages, *, trials=100_000, seed=None,
                                 capacity_connections=None, demand_connections=None):
    """Availability as endpoints are added region by region: exact and simulated.

    Deployment ``n`` has, in each of the first ``n`` of ``regions``, a private endpoint and
    the PLS it connects to (active-active).

    Parameters
    ----------
    regions : sequence of str
        Region names, in the order endpoints are added.
    outages : OutageModel
        The outage processes: rates [1/yr] and duration laws.
    trials : int
        Simulated trials per deployment.
    seed : int, optional
        Deployment ``n`` uses the ``n``-th child of this seed.
    capacity_connections, demand_connections : float, optional
        Per-PLS capacity and the demand, for the served metric. [connections]

    Returns
    -------
    pandas.DataFrame
        One row per count: ``regions`` [-], ``exact_availability``, ``availability``,
        ``availability_ci_low``, ``availability_ci_high`` (its 95 % confidence interval),
        ``served_availability`` [-] and ``mean_annual_downtime_min`` [min per year].

    Examples
    --------
    >>> import plcapacity as plc
    >>> outages = plc.OutageModel(2.0, {"law": "fixed", "hours": 2})   # [1/yr], [h]
    >>> table = plc.availability_by_region_count(["eastus", "westus2", "centralus"], outages,
    ...                                          trials=1_000, seed=1)
    >>> table[["regions", "exact_availability"]]
       regions  exact_availability
    0        1            0.999543
    1        2            1.000000
    2        3            1.000000
    """
    from plcapacity.availability.deployment import Deployment, Destination, Endpoint
    rows = []
    children = seed_sequence(seed).spawn(len(regions))
    for n in range(1, len(regions) + 1):  # a handful of deployments
        chosen = regions[:n]
        deployment = Deployment(
            tuple(Destination(f"pls-{r}", r, capacity_connections) for r in chosen),
            tuple(Endpoint(f"pe-{r}", r, f"pls-{r}") for r in chosen),
            demand_connections)
        result = simulate(deployment, outages, trials=trials, seed=children[n - 1],
                          keep_trials=False, progress=False)
        rows.append(dict(regions=n, exact_availability=1 - result.exact,
                         availability=result.availability,
                         availability_ci_low=result.ci[0], availability_ci_high=result.ci[1],
                         served_availability=result.served_availability,
                         mean_annual_downtime_min=result.unavailability * MINUTES_PER_YEAR))
    return pd.DataFrame(rows)
