"""Deployments and outage models shared by the Monte Carlo tests (engine, results, driver)."""

from plcapacity.availability.deployment import Deployment, Destination, Endpoint, Failover
from plcapacity.outages.processes import OutageGroup, OutageModel


def two_regions_shared_destination():
    """PEs in eastus and westus2, both to one PLS in eastus: down when eastus is down."""
    return Deployment(
        (Destination("pls", "eastus", 1e6),),
        (Endpoint("pe-e", "eastus", "pls"), Endpoint("pe-w", "westus2", "pls")))


def active_active_with_group():
    return Deployment(
        (Destination("pls-e", "eastus", 1e6), Destination("pls-w", "westus", 1e6)),
        (Endpoint("pe-e", "eastus", "pls-e"), Endpoint("pe-w", "westus", "pls-w")))


def shortfall():
    """Either destination alone is short of the demand: served needs both regions up."""
    return Deployment(
        (Destination("pls-e", "eastus", 600_000), Destination("pls-w", "westus2", 600_000)),
        (Endpoint("pe-e", "eastus", "pls-e"), Endpoint("pe-w", "westus2", "pls-w")),
        demand_connections=1_000_000)


def three_regions_active_passive(delay=30.0):
    return Deployment(
        (Destination("pls-e", "eastus", 2e6), Destination("pls-w", "westus", 1e6),
         Destination("pls-c", "centralus", 3e6)),
        (Endpoint("pe-e", "eastus", "pls-e"), Endpoint("pe-w", "westus", "pls-w"),
         Endpoint("pe-c", "centralus", "pls-c")),
        demand_connections=1_500_000,
        failover=Failover("active-passive", delay, ("pe-e", "pe-w", "pe-c")))


def undersized_primary():
    """Active-passive whose primary destination cannot hold the demand: unserved even with
    every region up (helper review finding)."""
    return Deployment(
        (Destination("small", "eastus", 1e6), Destination("big", "westus", 3e6)),
        (Endpoint("e0", "eastus", "small"), Endpoint("e1", "westus", "big")),
        demand_connections=2e6, failover=Failover("active-passive", 30.0, ("e0", "e1")))


def undersized_primary_no_delay():
    d = undersized_primary()
    return Deployment(d.destinations, d.endpoints, d.demand_connections,
                      Failover("active-passive", 0.0, d.failover.order))


def many_regions_active_passive(n=18, delay=30.0):
    """``n`` regions, each an endpoint to its own PLS, in failover order; more than 16
    processes, so the engine answers states through its hash table and direct evaluation."""
    from plcapacity.base.regions import region_names
    regions = region_names()[:n]
    return Deployment(tuple(Destination(f"pls-{r}", r, 1e6 * (1 + i % 3))
                            for i, r in enumerate(regions)),
                      tuple(Endpoint(f"pe-{r}", r, f"pls-{r}") for r in regions),
                      demand_connections=1.5e6,
                      failover=Failover("active-passive", delay,
                                        tuple(f"pe-{r}" for r in regions)))


FREQUENT = OutageModel(12.0, {"law": "exponential", "mean_hours": 30})
GROUPED = OutageModel(8.0, {"law": "lognormal", "median_hours": 12, "p95_hours": 60},
                      groups=(OutageGroup("us-pair", ("eastus", "westus"), 3.0,
                                          {"law": "fixed", "hours": 20}),))


def check_against_exact(result, exact, se, z=4.0):
    """|simulated - exact| within z standard errors (z = 4: these checks must not flake)."""
    assert abs(result - exact) <= z * se, (result, exact, se)
