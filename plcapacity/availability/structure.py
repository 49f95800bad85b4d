"""Which processes a deployment involves and what each state of them means: the structure
that the exact calculation and the Monte Carlo engine share."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

__all__ = ["MASK_MAX_PROCESSES", "METRICS", "SERVED_FRACTION", "STATE_CHUNK",
           "TABLE_MAX_PROCESSES", "compile_structure", "deployment_processes",
           "destination_capacities", "port_factor"]


METRICS = ("reachable", "served")


#: States enumerated at once in the exact sum (bounds memory for many processes).
STATE_CHUNK = 1 << 16


#: Largest process count for which the simulation precomputes a table over all states.
TABLE_MAX_PROCESSES = 16


#: Served means carried capacity of at least this fraction of the demand: capacities added in
#: different orders (a convolution, a row sum) differ in the last bits, and a demand equal to
#: a sum of capacities must count as carried either way. [-]
SERVED_FRACTION = 1 - 1e-9


#: Most (states x endpoints) elements :meth:`Structure.evaluate` holds at once (bounded memory).
_EVALUATE_ELEMENTS = 1 << 20


#: Most outage processes whose states (which processes are down) fit a 64-bit mask, process
#: 63's bit being int64's sign bit. Above, states are sets (:meth:`Structure.evaluate_sets`).
MASK_MAX_PROCESSES = 64


#: Most outage processes a deployment may involve in a simulation (the engine's keys hold the
#: process index in 8 bits).
MAX_PROCESSES = 256


@dataclass(frozen=True)
class Structure:
    """A deployment reduced to bit masks over its outage processes.

    Attributes
    ----------
    processes : list of OutageProcess
    endpoint_masks : ndarray of int64, shape (E,), or None
        Bit ``k`` set when process ``k`` makes the endpoint unusable (its region's or its
        destination's region's processes). Endpoints in priority order for active-passive.
        None above ``MASK_MAX_PROCESSES`` processes (see ``endpoint_sets``).
    endpoint_destination : ndarray of int, shape (E,)
        Index of each endpoint's destination in ``capacities``.
    capacities : ndarray of float, shape (D,)
        Capacity of each used destination with all its zones up. [connections] (NaN where
        unknown)
    demand : float or None
        Connections to serve. [connections]
    active_passive : bool
    delay_minutes : float
        Failover delay (active-passive). [min]
    endpoint_names, destination_names : tuple of str
    zone_bits : tuple of tuple of int
        Per used destination, the indices of its zones' outage processes (in the order of its
        ``zones``; empty without zone outages).
    zone_capacity : tuple of ndarray
        Per used destination with ``zone_bits``, its capacity with each subset of those zones
        down (:meth:`plcapacity.Destination.zone_capacities`). [connections]
    endpoint_sets : ndarray of bool, shape (E, K)
        ``endpoint_masks`` as sets: True where process ``k`` makes the endpoint unusable.
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
    zone_bits: tuple = ()
    zone_capacity: tuple = ()
    endpoint_sets: np.ndarray | None = None

    @property
    def n_processes(self) -> int:
        return len(self.processes)

    @functools.cached_property
    def _incidence(self) -> np.ndarray:
        """(endpoints x destinations) float32: 1 where the endpoint leads to the destination."""
        n_endpoints = len(self.endpoint_destination)
        incidence = np.zeros((n_endpoints, len(self.capacities)), np.float32)
        incidence[np.arange(n_endpoints), self.endpoint_destination] = 1.0
        return incidence

    @functools.cached_property
    def _endpoint_sets_t(self) -> np.ndarray:
        """(processes x endpoints) float32: 1 where the process makes the endpoint unusable."""
        return np.ascontiguousarray(self.endpoint_sets.T, dtype=np.float32)

    def _capacity(self, d, down, shape):
        """Capacity of used destination ``d`` in each of ``shape`` states (its zones' processes
        down removing their VMs), or its scalar capacity without zone processes, ``down(k)``
        giving 0/1 per state for process ``k``. [connections]"""
        bits = self.zone_bits[d] if self.zone_bits else ()
        if not bits:
            return self.capacities[d]
        index = np.zeros(shape, dtype=np.int64)
        for j, k in enumerate(bits):  # a destination's zones: three at most
            index |= down(k).astype(np.int64) << j
        return self.zone_capacity[d][index]

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
        if states.ndim != 1:
            out = self.evaluate(states.ravel(), with_usable=with_usable)
            return tuple(None if x is None else x.reshape(states.shape + x.shape[1:])
                         for x in out)
        if states.size > self._evaluate_step:
            return self._by_pieces(self.evaluate, states, with_usable)
        usable = (states[:, None] & self.endpoint_masks[None, :]) == 0
        return self._outcome(usable, lambda k: (states >> k) & 1, with_usable)

    def evaluate_sets(self, down, *, with_usable=True):
        """:meth:`evaluate` for states given as sets: ``down`` is a bool array (n, K), True
        where process ``k`` is down (any number of processes, beyond 64-bit masks)."""
        down = np.asarray(down, dtype=bool).reshape(-1, self.n_processes)
        if down.shape[0] > self._evaluate_step:
            return self._by_pieces(self.evaluate_sets, down, with_usable)
        usable = (down.astype(np.float32) @ self._endpoint_sets_t) == 0
        return self._outcome(usable, lambda k: down[:, k], with_usable)

    @property
    def _evaluate_step(self) -> int:
        """States evaluated at once: bounded (states x endpoints) matrices."""
        return max(1, _EVALUATE_ELEMENTS // max(1, len(self.endpoint_destination),
                                                 self.n_processes))

    def _by_pieces(self, evaluate, states, with_usable):
        step = self._evaluate_step
        parts = [evaluate(states[i:i + step], with_usable=with_usable)
                 for i in range(0, len(states), step)]
        return tuple(None if parts[0][j] is None else np.concatenate([p[j] for p in parts])
                     for j in range(4))

    def _outcome(self, usable, down, with_usable):
        """Reachable, served, active and usable from the (states x endpoints) usable matrix;
        ``down(k)`` gives 0/1 per state for zone process ``k``."""
        n = usable.shape[0]
        # the highest-priority usable endpoint is the first True of its row
        reachable = usable.any(axis=1)
        active = np.where(reachable, usable.argmax(axis=1), -1).astype(np.int16)
        if self.demand is None:
            return reachable, reachable.copy(), active, usable if with_usable else None
        capacities = np.broadcast_to(self.capacities, (n, len(self.capacities)))
        if any(self.zone_bits):
            capacities = capacities.copy()
            for d, bits in enumerate(self.zone_bits):  # the zoned destinations
                if bits:
                    capacities[:, d] = self._capacity(d, down, (n,))
        if self.active_passive:
            target = self.endpoint_destination[np.maximum(active, 0)]
            capacity = capacities[np.arange(n), target]
        else:
            carrying = (usable.astype(np.float32) @ self._incidence) > 0  # (states x dests)
            capacity = np.where(carrying, capacities, 0.0).sum(axis=1)
        usable = usable if with_usable else None
        served = reachable & (capacity >= self.demand * SERVED_FRACTION)
        return reachable, served, active, usable


def compile_structure(deployment, outages) -> Structure:
    """Reduce a deployment and its outage model to a :class:`Structure`.

    Parameters
    ----------
    deployment : Deployment
    outages : OutageModel
    """
    processes = deployment_processes(deployment, outages)
    if len(processes) > MAX_PROCESSES:
        raise ValueError(f"{len(processes)} outage processes involved; at most {MAX_PROCESSES} "
                         "are supported")
    region_mask = {}
    for k, process in enumerate(processes):
        if process.kind == "zone":  # endpoints are zone-agnostic: only capacity changes
            continue
        for region in process.regions:
            region_mask[region] = region_mask.get(region, 0) | (1 << k)
    used = deployment.used_destinations
    zone_process = {(p.regions[0], p.zone): k for k, p in enumerate(processes)
                    if p.kind == "zone"}
    zone_bits, zone_capacity = [], []
    for name in used:
        target = deployment.destination(name)
        bits = tuple(zone_process[(target.region, z)] for z in target.zones
                     if (target.region, z) in zone_process)
        zone_bits.append(bits)
        zone_capacity.append(target.zone_capacities(port_factor(deployment)) if bits else None)
    masks, destinations = [], []
    for endpoint in deployment.endpoints:
        target = deployment.destination(endpoint.destination)
        masks.append(region_mask.get(endpoint.region, 0) | region_mask.get(target.region, 0))
        destinations.append(used.index(endpoint.destination))
    K = len(processes)
    sets = np.array([[m >> k & 1 for k in range(K)] for m in masks], dtype=bool).reshape(-1, K)
    # bit 63 (process 63) is int64's sign bit: build the masks unsigned, then view them; above
    # 64 processes states are sets (Structure.evaluate_sets), not masks
    masks = (np.array(masks, dtype=np.uint64).view(np.int64) if K <= MASK_MAX_PROCESSES
             else None)
    return Structure(processes, masks, np.array(destinations),
                     destination_capacities(deployment, used), deployment.demand_connections,
                     deployment.failover.mode == "active-passive",
                     deployment.failover.delay_minutes,
                     tuple(e.name for e in deployment.endpoints), tuple(used),
                     tuple(zone_bits), tuple(zone_capacity), sets)


def deployment_processes(deployment, outages) -> list:
    """The outage processes of a deployment: its regions', the groups', its zones'."""
    return outages.processes(deployment.regions, deployment.zones)


def port_factor(deployment) -> float:
    """The deployment demand's ports per open connection (1 without a demand). [-]"""
    return 1.0 if deployment.demand is None else deployment.demand.port_factor


def destination_capacities(deployment, names) -> np.ndarray:
    """Connections of the deployment's demand each named destination carries with all its
    VMs up (:meth:`plcapacity.Destination.carried`), NaN where unknown. [connections]"""
    factor = port_factor(deployment)
    return np.array([deployment.destination(n).carried(factor) for n in names], dtype=float)
