"""Studies: availability by region count, exact and simulated."""

import numpy as np
import pytest

from plcapacity.availability.simulation import seed_sequence, simulate
from plcapacity.availability.studies import availability_by_region_count
from plcapacity.outages.processes import OutageModel

OUTAGES = OutageModel(20.0, {"law": "fixed", "hours": 10})


@pytest.fixture(scope="module")
def table():
    return availability_by_region_count(["eastus", "westus2", "centralus"], OUTAGES,
                                        trials=4_000, seed=3, capacity_connections=1e6,
                                        demand_connections=1.5e6)


def test_columns(table):
    assert list(table.columns) == ["regions", "exact_availability", "availability",
                                       "availability_ci_low", "availability_ci_high",
                                       "served_availability", "mean_annual_downtime_min"]
    assert table.regions.tolist() == [1, 2, 3]


def test_exact_and_simulated_values(table):
    q = OUTAGES.processes(["eastus"])[0].probability_down
    assert table.exact_availability.tolist() == pytest.approx([1 - q, 1 - q ** 2, 1 - q ** 3])
    assert (table.availability_ci_low <= table.availability).all()
    assert (table.availability <= table.availability_ci_high).all()
    assert table.mean_annual_downtime_min.tolist() == pytest.approx(
        ((1 - table.availability) * 525_600).tolist())
    # one destination (1e6) never serves 1.5e6; two or three do while two are up
    assert table.served_availability[0] == 0.0
    assert table.served_availability[2] > table.served_availability[1] > 0


def test_deployment_n_uses_the_nth_child_of_the_seed(table):
    from plcapacity.availability.deployment import Deployment, Destination, Endpoint
    chosen = ["eastus", "westus2"]
    deployment = Deployment(
        tuple(Destination(f"pls-{r}", r, 1e6) for r in chosen),
        tuple(Endpoint(f"pe-{r}", r, f"pls-{r}") for r in chosen), 1.5e6)
    child = seed_sequence(3).spawn(3)[1]
    result = simulate(deployment, OUTAGES, trials=4_000, seed=child, keep_trials=False)
    assert table.availability[1] == result.availability
    assert table.served_availability[1] == result.served_availability
    assert (table.availability_ci_low[1], table.availability_ci_high[1]) == result.ci
    again = availability_by_region_count(["eastus", "westus2", "centralus"], OUTAGES,
                                         trials=4_000, seed=3, capacity_connections=1e6,
                                         demand_connections=1.5e6)
    np.testing.assert_array_equal(again.to_numpy(), table.to_numpy())
