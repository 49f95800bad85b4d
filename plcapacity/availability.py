"""Steady-state availability of a multi-region deployment, exactly.

The state of the outage processes involved (each region's own and each correlated group's) is
a bit mask: bit ``k`` set while process ``k`` has an outage in progress. Processes are
independent, process ``k`` being down with probability ``q_k = 1 - exp(-rate_k E[D_k])``, so
the steady-state unavailability is a finite sum over the ``2**K`` states of
``P(state) * [service down in state]`` (ARCHITECTURE.md, "The availability model, defined").
The same state evaluation serves the Monte Carlo engine, so both share one definition of
"reachable" and "served".
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from .exceptions import ModelWarning
from .outages import MINUTES_PER_YEAR

__all__ = ["Structure", "compile_structure", "exact_unavailability", "down_episode_frequency",
           "exact_summary", "process_table", "nines"]

METRICS = ("reachable", "served")
#: States enumerated at once in the exact sum (bounds memory for many processes).
_STATE_CHUNK = 1 << 16
#: Largest process count for which the simulation precomputes a table over all states.
TABLE_MAX_PROCESSES = 16


@dataclass(frozen=True)
class Structure:
    """A deployment reduced to bit masks over its outage processes.

    Attributes
    ----------
    processes : list of OutageProcess
    endpoint_masks : ndarray of int64, shape (E,)
        Bit ``k`` set when process ``k`` makes the endpoint unusable (its region's or its
        destination's region's processes). Endpoints in priority order for active-passive.
    endpoint_destination : ndarray of int, shape (E,)
        Index of each endpoint's destination in ``capacities``.
    capacities : ndarray of float, shape (D,)
        Capacity of each used destination. [connections] (NaN where unknown)
    demand : float or None
        Connections to serve. [connections]
    active_passive : bool
    delay_minutes : float
        Failover delay (active-passive). [min]
    """

    processes: list
    endpoint_masks: np.ndarray
    endpoint_destination: np.ndarray
    capacities: np.ndarray
    demand: float | None
    active_passive: bool
    delay_minutes: float
    endpoint_names: tuple
    destination_names: tuple

    @property
    def n_processes(self) -> int:
        return len(self.processes)

    def usable(self, states) -> np.ndarray:
        """Which endpoints are usable in each state: bool array (n_states, E)."""
        states = np.asarray(states, dtype=np.int64)
        return (states[:, None] & self.endpoint_masks[None, :]) == 0

    def evaluate(self, states, *, with_usable=True):
        """Reachable, served and the active endpoint (-1: none) in each state.

        Returns
        -------
        reachable, served : ndarray of bool
        active : ndarray of int16
            The highest-priority usable endpoint (active-passive; the first usable one in
            active-active, where it is not used).
        usable : ndarray of bool, shape (n, E), or None without ``with_usable``
        """
        states = np.asarray(states, dtype=np.int64)
        n_endpoints = len(self.endpoint_masks)
        reachable = np.zeros(states.shape, dtype=bool)
        active = np.full(states.shape, -1, dtype=np.int16)
        carrying = np.zeros((len(self.capacities),) + states.shape, dtype=bool)
        # A loop over endpoints (a handful), each step vectorized over all states; in reverse
        # so that the highest-priority usable endpoint is the one left in ``active``.
        for e in range(n_endpoints - 1, -1, -1):
            usable_e = (states & self.endpoint_masks[e]) == 0
            reachable |= usable_e
            active[usable_e] = e
            carrying[self.endpoint_destination[e]] |= usable_e
        usable = self.usable(states) if with_usable else None
        if self.demand is None:
            return reachable, reachable.copy(), active, usable
        if self.active_passive:
            capacity = self.capacities[self.endpoint_destination[np.maximum(active, 0)]]
        else:
            capacity = np.zeros(states.shape)
            for d, cap in enumerate(self.capacities):
                capacity += np.where(carrying[d], cap, 0.0)
        served = reachable & (capacity >= self.demand)
        return reachable, served, active, usable


def compile_structure(deployment, outages) -> Structure:
    """Reduce a deployment and its outage model to a :class:`Structure`.

    Parameters
    ----------
    deployment : Deployment
    outages : OutageModel
    """
    processes = outages.processes(deployment.regions)
    if len(processes) > 62:
        raise ValueError(f"{len(processes)} outage processes involved; at most 62 are supported")
    region_mask = {}
    for k, process in enumerate(processes):
        for region in process.regions:
            region_mask[region] = region_mask.get(region, 0) | (1 << k)
    used = deployment.used_destinations
    masks, destinations = [], []
    for endpoint in deployment.endpoints:
        target = deployment.destination(endpoint.destination)
        masks.append(region_mask.get(endpoint.region, 0) | region_mask.get(target.region, 0))
        destinations.append(used.index(endpoint.destination))
    capacities = np.array([np.nan if deployment.destination(n).capacity_connections is None
                           else deployment.destination(n).capacity_connections
                           for n in used], dtype=float)
    return Structure(processes, np.array(masks, dtype=np.int64), np.array(destinations),
                     capacities, deployment.demand_connections,
                     deployment.failover.mode == "active-passive",
                     deployment.failover.delay_minutes,
                     tuple(e.name for e in deployment.endpoints), tuple(used))


#: Most outage processes the exact sum enumerates (2**24 states take a few seconds).
EXACT_MAX_PROCESSES = 24


def _check_enumerable(structure):
    if structure.n_processes > EXACT_MAX_PROCESSES:
        raise ValueError(
            f"{structure.n_processes} outage processes involved: the exact sum over 2**"
            f"{structure.n_processes} states is out of reach (at most {EXACT_MAX_PROCESSES}); "
            "use simulate()")


def _state_chunks(q):
    """Yield (states, probabilities) over all ``2**K`` states in chunks.

    ``P(s) = prod_k q_k^[bit k] (1 - q_k)^[not bit k]`` factorizes: the low 16 bits' table is
    a Kronecker product computed once, and each chunk scales it by its high bits' product.
    """
    q = np.asarray(q, dtype=float)
    low_bits = min(len(q), _STATE_CHUNK.bit_length() - 1)
    low = np.ones(1)
    for k in range(low_bits):  # bit k doubles the table: states with bit k clear, then set
        low = np.concatenate([low * (1 - q[k]), low * q[k]])
    for high in range(1 << (len(q) - low_bits)):
        factor = 1.0
        for k in range(low_bits, len(q)):
            factor *= q[k] if (high >> (k - low_bits)) & 1 else 1 - q[k]
        start = high << low_bits
        yield np.arange(start, start + low.size, dtype=np.int64), low * factor


def _check_metric(metric):
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r} is not allowed: one of {', '.join(METRICS)}")


def exact_unavailability(deployment, outages, *, metric="reachable") -> float:
    """Steady-state probability that the service is down (or not served).

    Parameters
    ----------
    deployment : Deployment
    outages : OutageModel
    metric : {"reachable", "served"}
        ``reachable``: no endpoint usable. ``served``: not reachable, or the destinations that
        carry traffic cannot hold the demand.

    Returns
    -------
    float
        Unavailability in [0, 1] (the long-run fraction of time down).

    Warns
    -----
    ModelWarning
        For active-passive failover: the value excludes failover gaps (the exact sum has no
        notion of time); :func:`plcapacity.simulate` includes them.

    Notes
    -----
    ``U = sum over states s of prod_k q_k^[k in s] (1 - q_k)^[k not in s] * [down(s)]`` with
    ``q_k = 1 - exp(-rate_k * E[D_k])``, enumerated in chunks of 65,536 states.
    """
    _check_metric(metric)
    structure = compile_structure(deployment, outages)
    _check_enumerable(structure)
    if structure.active_passive and structure.delay_minutes > 0:
        warnings.warn("active-passive: exact_unavailability excludes failover gaps (the "
                      "gap-free value); simulate() includes them", ModelWarning, stacklevel=2)
    q = np.array([p.probability_down for p in structure.processes])
    total = 0.0
    for states, probability in _state_chunks(q):
        reachable, served, _, _ = structure.evaluate(states, with_usable=False)
        up = reachable if metric == "reachable" else served
        total += probability[~up].sum()
    return float(total)


def down_episode_frequency(deployment, outages, *, metric="reachable") -> float:
    """Long-run rate at which the service goes down (gap-free). [episodes per year]

    From an up state ``s``, process ``k`` (up) starts an outage at rate ``rate_k``; the service
    goes down if ``s | k`` is a down state. So ``f = sum_s P(s) [up(s)] sum_k [k not in s]
    [down(s | k)] rate_k``. With active-passive failover and a delay, each failover (the
    active endpoint lost while another is usable) also counts as an episode. Used to say how
    many down episodes a sample should contain.
    """
    _check_metric(metric)
    structure = compile_structure(deployment, outages)
    _check_enumerable(structure)
    gaps = structure.active_passive and structure.delay_minutes > 0
    q = np.array([p.probability_down for p in structure.processes])
    rates = np.array([p.rate_per_year for p in structure.processes])
    total = 0.0
    for states, p in _state_chunks(q):
        reachable, served, active, _ = structure.evaluate(states, with_usable=False)
        up = reachable if metric == "reachable" else served
        for k, rate in enumerate(rates):  # one pass per process, vectorized over states
            candidates = up & ((states >> k) & 1 == 0)
            if not candidates.any():
                continue
            r, s, new_active, _ = structure.evaluate(states[candidates] | (1 << k),
                                                     with_usable=False)
            goes_down = ~(r if metric == "reachable" else s)
            if gaps:  # losing the active endpoint while another is usable: a failover gap
                goes_down |= r & (new_active != active[candidates])
            total += rate * p[candidates][goes_down].sum()
    return float(total)


def nines(unavailability) -> float:
    """``-log10(unavailability)``: 1e-4 is four nines (inf for zero)."""
    return math.inf if unavailability <= 0 else -math.log10(unavailability)


def annual_downtime_minutes(unavailability) -> float:
    """Expected downtime of a 365-day year at this unavailability. [min]"""
    return unavailability * MINUTES_PER_YEAR


def exact_summary(deployment, outages) -> "pd.Series":
    """The exact steady-state figures for a deployment, as a Series.

    Index: ``availability`` and ``served_availability`` [-], ``nines``,
    ``annual_downtime_min`` and ``annual_unserved_min`` [min per year],
    ``down_episodes_per_year`` [1/yr], ``processes`` (count) and ``note``.
    """
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        down = exact_unavailability(deployment, outages)
        unserved = exact_unavailability(deployment, outages, metric="served")
    structure = compile_structure(deployment, outages)
    gap_free = structure.active_passive and structure.delay_minutes > 0
    return pd.Series({
        "availability": 1.0 - down,
        "served_availability": 1.0 - unserved,
        "nines": nines(down),
        "annual_downtime_min": annual_downtime_minutes(down),
        "annual_unserved_min": annual_downtime_minutes(unserved),
        "down_episodes_per_year": down_episode_frequency(deployment, outages),
        "processes": structure.n_processes,
        "note": ("active-passive: availability excludes failover gaps (simulate includes "
                 "them); episodes count failovers") if gap_free else "",
    }, name="exact", dtype=object)


def process_table(deployment, outages) -> "pd.DataFrame":
    """The outage processes involved: name, kind, regions, rate_per_year [1/yr],
    mean_duration_h [h], duration law and probability_down [-]."""
    import pandas as pd

    return pd.DataFrame([{
        "process": p.name, "kind": p.kind, "regions": ";".join(p.regions),
        "rate_per_year": p.rate_per_year, "mean_duration_h": p.duration.mean_minutes / 60,
        "duration": p.duration.describe(), "probability_down": p.probability_down,
    } for p in outages.processes(deployment.regions)])
