"""Availability: how often a multi-region deployment is reachable and served, exactly and
simulated.

- :mod:`~plcapacity.availability.deployment` — the model's input: :class:`Deployment`
  (endpoints, destinations, demand, failover), :func:`load_deployment` (TOML),
  :func:`regional_deployment`;
- :mod:`~plcapacity.availability.failover_delay` — :func:`failover_delay_law`: an
  active-passive failover delay built from its parts (health-probe detection, the DNS change,
  the record's TTL, clients that keep answers past it), with the measured figures of
  ``data/failover_delay.csv``;
- :mod:`~plcapacity.availability.structure` — which outage processes a deployment involves
  and what each of their states means (shared by the exact sum and the engine);
- :mod:`~plcapacity.availability.exact` — steady-state values: :func:`exact_unavailability`,
  :func:`exact_summary`, :func:`process_table`;
- :mod:`~plcapacity.availability.engine` — the vectorized time-domain sweep over blocks of
  trials (internal);
- :mod:`~plcapacity.availability.importance` — rare events by importance sampling (balanced
  failure biasing of outage starts, weighted trials): ``simulate(..., method="importance")``;
- :mod:`~plcapacity.availability.budget` — memory and work estimates, checked before drawing;
- :mod:`~plcapacity.availability.results` — :class:`SimulationResult`, confidence intervals,
  :func:`format_summary`;
- :mod:`~plcapacity.availability.simulation` — :func:`simulate`: seeding, blocks, the driver;
- :mod:`~plcapacity.availability.studies` — :func:`availability_by_region_count`;
- :mod:`~plcapacity.availability.uncertainty` — :func:`simulate_with_uncertainty`: the outage
  model's own uncertainty beside Monte Carlo noise.

Depends on the base, :mod:`plcapacity.capacity` and :mod:`plcapacity.outages`.
"""

from plcapacity.availability.deployment import (
                                                Deployment,
                                                Destination,
                                                Endpoint,
                                                Failover,
                                                load_deployment,
                                                regional_deployment,
)
from plcapacity.availability.exact import exact_summary, exact_unavailability, process_table
from plcapacity.availability.failover_delay import failover_delay_law
from plcapacity.availability.results import SimulationResult, format_summary
from plcapacity.availability.simulation import simulate
from plcapacity.availability.studies import availability_by_region_count
from plcapacity.availability.uncertainty import UncertaintyResult, simulate_with_uncertainty

__all__ = ["Deployment", "Destination", "Endpoint", "Failover", "load_deployment",
           "regional_deployment", "failover_delay_law", "exact_summary", "exact_unavailability",
           "process_table", "SimulationResult", "format_summary", "simulate",
           "availability_by_region_count", "UncertaintyResult", "simulate_with_uncertainty"]
