"""Steady-state availability of a multi-region deployment, exactly.

The state of the outage processes involved (each region's own, each correlated group's and,
with zone outages, each availability zone's) is a bit mask: bit ``k`` set while process ``k``
has an outage in progress. A zone process never makes an endpoint unusable (endpoints are
zone-agnostic); it lowers the capacity of the destinations with VMs in that zone. Processes are
independent, process ``k`` being down with probability ``q_k = 1 - exp(-rate_k E[D_k])``, so
the steady-state unavailability is a finite sum over the ``2**K`` states of
``P(state) * [service down in state]``.

Active-active, the sum is taken without visiting the ``2**K`` states: conditioned on the few
correlated groups, the regions are independent, and the service's state follows from
per-block products and a convolution of capacity distributions (see ``conditioned``). The
full enumeration remains for active-passive failover and as the reference the tests check
against. The same state evaluation (:meth:`Structure.evaluate`) serves the Monte Carlo engine,
so both share one definition of "reachable" and "served".
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from plcapacity.availability.structure import (
    METRICS,
    SERVED_FRACTION,
    STATE_CHUNK,
    compile_structure,
    deployment_processes,
    destination_capacities,
    port_factor,
)
from plcapacity.base.exceptions import ExactOutOfReach, ModelWarning
from plcapacity.outages.laws import MINUTES_PER_YEAR

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["exact_summary", "exact_unavailability", "process_table", "EXACT_MAX_PROCESSES",
           "down_episode_frequency", "exact_figures_by_metric", "nines", "conditioned",
           "enumerated_unavailability", "enumerated_episode_frequency", "Plan",
           "UNDERFLOW_BOUND", "log10_unreachable"]

#: Smallest unavailability reported as a number. A float's range ends near 2.2e-308 (with
#: precision lost on the way): a sum of terms that small comes out 0 or meaningless, so an
#: unavailability below this is reported as this value, an upper bound, and flagged as one;
#: the reachable unavailability's log10 is then computed exactly in logarithms
#: (:func:`log10_unreachable`). 100 identical regions with 4-hour outages once a year are
#: unreachable 10^-334 of the time, for instance.
UNDERFLOW_BOUND = 1e-300


#: Most outage processes the full enumeration takes (2**24 states take a few seconds). The
#: enumeration serves active-passive failover, and active-active deployments the conditioned
#: calculation refuses.
EXACT_MAX_PROCESSES = 24
#: Most correlated groups the conditioned calculation takes (it visits their 2**G joint states).
EXACT_MAX_GROUPS = 16
#: Most variables in one block of regions coupled by cross-region endpoints (the conditioned
#: calculation visits each block's 2**m states; larger blocks are split by conditioning on
#: some of their regions).
EXACT_MAX_BLOCK = 16
#: Most processes conditioned on, groups and regions that split blocks together (their
#: 2**n joint states are visited).
EXACT_MAX_CONDITIONED = 16
#: Most distinct capacity sums below the demand that the calculation keeps.
EXACT_MAX_LEVELS = 1 << 16
#: Elements of the largest temporary array per batch of group states (8 bytes each).
_BATCH_ELEMENTS = 1 << 22
#: Most pairs of partial sums one convolution step forms per group state.
_MAX_PAIRS = 1 << 22


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
    low_bits = min(len(q), STATE_CHUNK.bit_length() - 1)
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


# ------------------------------------------------------------------ full enumeration (reference)


def enumerated_unavailability(structure, metric) -> float:
    """``sum_s P(s) [down(s)]`` over all ``2**K`` states (any failover mode)."""
    _check_enumerable(structure)
    q = np.array([p.probability_down for p in structure.processes])
    total = 0.0
    for states, probability in _state_chunks(q):
        reachable, served, _, _ = structure.evaluate(states, with_usable=False)
        up = reachable if metric == "reachable" else served
        total += probability[~up].sum()
    return float(total)


def enumerated_episode_frequency(structure, metric) -> float:
    """``sum_s P(s) [up(s)] sum_k [k not in s] [down(s | k)] rate_k`` over all states, with
    each failover counted as an episode (active-passive with a delay). [1/yr]"""
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


# ------------------------------------------------------ conditioned calculation (active-active)
#
# Given the up/down state of the correlated groups, the regions' own processes are independent.
# A region is a *variable* of the calculation when it hosts a used destination; the regions
# that only hold endpoints are pooled by the set of destinations they reach (such a pool is up
# while any of its regions is: ``P(pool down) = prod q_r``). A destination carries traffic while
# its region's variable is up and some variable holding one of its endpoints is up (with an
# endpoint in its own region, while that region is up: its other endpoints are moot). Variables
# linked through a destination form a *block*; blocks are independent given the groups, so
#
# * unreachable = product over blocks of P(no destination of the block carries), and
# * the carried capacity is the sum of independent per-block capacities: its distribution is
#   the convolution of the blocks' distributions, kept over the distinct sums below the demand
#   (every sum at or above it is one "covered" level).
#
# A block of more than EXACT_MAX_BLOCK variables (regions linked by cross-region endpoints, such
# as hub regions holding endpoints to every destination) is split by conditioning on a few of
# its regions as well: they join the groups as *outer* processes, whose joint states are
# visited one batch at a time; inside, such a region is up or down for sure, so the blocks it
# touches carry it as a variable of probability 0 or 1 and stay independent.
#
# Each block's table maps its 2**m variable states to (capacity, carries); the value sets of
# all convolutions depend only on the structure, so they are built once and each batch of
# outer states only adds probabilities. A zone process is a variable of its own (never pooled,
# never forced by a group: a group takes the region, which already stops the destination
# carrying); it joins the block of the destinations with VMs in that zone and only changes
# the block's capacity column (the destination's capacity with that zone's VMs gone).
#
# The down-episode frequency keeps the enumeration's definition. The service being monotone in
# the set of down processes (active-active), ``f = sum_k rate_k (1 - q_k) (U[k down] - U[k up])``
# with ``U[k x]`` the unavailability given process ``k`` in state ``x``. For an outer process,
# ``U[.]`` comes from the per-outer-state values. For a block's variable, the difference is a
# sum over the other variables' states of their probability times the change of the block's
# outcome when the variable goes down (whether anything is carried; the probability that the
# other blocks' capacity falls short of the demand, from prefix and suffix convolutions), so
# states where nothing changes add exactly nothing; a region in a pool counts times the
# probability that the rest of its pool is down.


def _kron_probabilities(p):
    """``P[..., s] = prod_i p_i^[bit i of s] (1 - p_i)^[not bit i]``: p shape (..., m)."""
    table = np.ones(p.shape[:-1] + (1,))
    for i in range(p.shape[-1]):
        pi = p[..., i:i + 1]
        table = np.concatenate([table * (1 - pi), table * pi], axis=-1)
    return table


def _grouped(values, demand):
    """Distinct values (below ``demand``; larger ones become ``demand``) and the inverse map."""
    if demand is not None:
        values = np.minimum(values, demand)
    return np.unique(values, return_inverse=True)


def _bin(weights, inverse, n_values):
    """Sum ``weights`` (batch, n) into ``n_values`` bins along the last axis."""
    batch = weights.shape[0]
    index = (np.arange(batch)[:, None] * n_values + inverse[None, :]).ravel()
    return np.bincount(index, weights=weights.ravel(),
                       minlength=batch * n_values).reshape(batch, n_values)


def _components(variables, edges) -> list:
    """Connected components (sorted lists, in order of their first variable) of the set
    ``variables``, linked by the hyperedges ``edges`` restricted to it."""
    parent = {v: v for v in variables}

    def root(v):
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for edge in edges:
        inside = [v for v in edge if v in parent]
        for v in inside[1:]:
            parent[root(v)] = root(inside[0])
    groups = {}
    for v in sorted(variables):
        groups.setdefault(root(v), []).append(v)
    return list(groups.values())


@dataclass
class _Block:
    variables: list          # indices into the plan's variables, bit i of a state = variables[i]
    n_own: int               # variables[:n_own] belong to the block; the rest are conditioned on
    carries: np.ndarray      # bool (2**m,): some destination of the block carries traffic
    values: np.ndarray       # distinct capacities of the block (capped at the demand)
    inverse: np.ndarray      # state -> index in values


@dataclass
class _Sums:
    """Value set of a sum of block capacities and, for each state pair, where it lands."""
    values: np.ndarray
    inverse: np.ndarray      # (len(left) * len(right),) -> index in values


class Plan:
    """The structural part of the conditioned calculation: variables, blocks, value sets."""

    def __init__(self, deployment, processes):
        self.groups = [k for k, p in enumerate(processes) if p.kind == "group"]
        # "regions": the independent processes, regions' then zones' (a zone process is a
        # variable of its own, in the block of the destinations it carries VMs for)
        self.regions = [k for k, p in enumerate(processes) if p.kind != "group"]
        if len(self.groups) > EXACT_MAX_GROUPS:
            raise ExactOutOfReach(
                f"{len(self.groups)} correlated groups involved: the exact calculation visits "
                f"their 2**{len(self.groups)} joint states (at most {EXACT_MAX_GROUPS} groups); "
                "use simulate()")
        region_index = {processes[k].regions[0]: i for i, k in enumerate(self.regions)
                        if processes[k].kind == "region"}
        zone_index = {(processes[k].regions[0], processes[k].zone): i
                      for i, k in enumerate(self.regions) if processes[k].kind == "zone"}
        # group_masks[i]: bit j set when group j contains region i
        self.group_masks = np.zeros(len(self.regions), dtype=np.int64)
        for j, k in enumerate(self.groups):
            for region in processes[k].regions:
                if region in region_index:
                    self.group_masks[region_index[region]] |= 1 << j

        used = deployment.used_destinations
        capacities = destination_capacities(deployment, used)
        dest_region = [region_index[deployment.destination(n).region] for n in used]
        endpoint_regions = [set() for _ in used]
        for endpoint in deployment.endpoints:
            endpoint_regions[used.index(endpoint.destination)].add(region_index[endpoint.region])
        for d, regions in enumerate(endpoint_regions):
            if dest_region[d] in regions:  # an endpoint in its own region: the others are moot
                endpoint_regions[d] = {dest_region[d]}
        # variables: regions hosting a destination, then pools of endpoint-only regions
        hosts = sorted(set(dest_region))
        self.members = [[r] for r in hosts]
        variable_of = {r: v for v, r in enumerate(hosts)}
        for r in sorted(zone_index.values()):
            variable_of[r] = len(self.members)
            self.members.append([r])
        pools = {}
        for r in range(len(self.regions)):
            if r not in variable_of:
                reach = frozenset(d for d, regions in enumerate(endpoint_regions) if r in regions)
                pools.setdefault(reach, []).append(r)
        for pool in pools.values():
            for r in pool:
                variable_of[r] = len(self.members)
            self.members.append(pool)
        self.variable_of = [variable_of[r] for r in range(len(self.regions))]
        home = [variable_of[r] for r in dest_region]
        reach = [sorted({variable_of[r] for r in regions}) for regions in endpoint_regions]
        zone_vars, zone_tables = [], []
        for name in used:
            target = deployment.destination(name)
            keys = [(target.region, z) for z in target.zones]
            zone_vars.append([variable_of[zone_index[key]] for key in keys if key in zone_index])
            zone_tables.append(target.zone_capacities(port_factor(deployment)) if zone_vars[-1]
                               else None)

        demand = deployment.demand_connections
        self.capacity = demand is not None and demand > 0
        # (the threshold of Structure too: sums in another order must not flip a tie)
        self.demand = float(demand) * SERVED_FRACTION if self.capacity else None
        # blocks: variables linked through a destination; a block too large is split by
        # conditioning on some of its regions (``cut``), which then join the groups
        # (zones only matter through capacity: without a demand they stay out of the blocks)
        edges = [{home[d], *reach[d], *(zone_vars[d] if self.capacity else ())}
                 for d in range(len(used))]
        self.cut = self._cut(edges, processes)
        cut_set = set(self.cut)
        components = _components(set(range(len(self.members))) - cut_set, edges)
        owner = {v: b for b, component in enumerate(components) for v in component}
        destinations = [[] for _ in components]
        orphans = []                   # destinations whose variables are all conditioned on
        for d, edge in enumerate(edges):
            free = [v for v in edge if v not in cut_set]
            (destinations[owner[free[0]]] if free else orphans).append(d)
        if orphans:
            components.append([])
            destinations.append(orphans)
        self.blocks = []
        for own, mine in zip(components, destinations):
            attached = sorted({v for d in mine for v in edges[d]} - set(own))
            variables = list(own) + attached
            local = {v: i for i, v in enumerate(variables)}
            states = np.arange(1 << len(variables), dtype=np.int64)
            up = [((states >> i) & 1) == 0 for i in range(len(variables))]
            carries = np.zeros(states.shape, dtype=bool)
            capacity = np.zeros(states.shape)
            for d in mine:
                usable = np.zeros(states.shape, dtype=bool)
                for v in reach[d]:
                    usable |= up[local[v]]
                carry = up[local[home[d]]] & usable
                carries |= carry
                if self.capacity and zone_vars[d]:  # its zones' variables pick the row
                    index = np.zeros(states.shape, dtype=np.int64)
                    for j, v in enumerate(zone_vars[d]):
                        index |= ((states >> local[v]) & 1) << j
                    capacity += np.where(carry, zone_tables[d][index], 0.0)
                elif self.capacity:
                    capacity += np.where(carry, capacities[d], 0.0)
            values, inverse = _grouped(capacity, self.demand)
            self.blocks.append(_Block(variables, len(own), carries, values, inverse))

        # value sets of the prefix sums (blocks 0..i-1) and suffix sums (blocks i+1..)
        self.prefix, self.suffix = [np.zeros(1)], [np.zeros(1)]
        self.prefix_steps, self.suffix_steps = [], []
        if self.capacity:
            for block in self.blocks:
                step = self._sum(self.prefix[-1], block.values)
                self.prefix_steps.append(step)
                self.prefix.append(step.values)
            for block in reversed(self.blocks):
                step = self._sum(block.values, self.suffix[-1])
                self.suffix_steps.append(step)
                self.suffix.append(step.values)
            self.suffix.reverse()      # suffix[i]: blocks i.. ; suffix[len]: nothing
            self.suffix_steps.reverse()
        # elements per group state: the arrays kept through a batch (state tables and pair
        # weights of every block, distributions, prefix and suffix sums), plus the largest
        # temporary (an outer product of a convolution, or the gathered CDF of one block)
        kept = sum(b.carries.size * (2 + len(b.variables)) + b.values.size
                   for b in self.blocks)
        temporary = [0]
        if self.capacity:
            kept += sum(len(v) for v in self.prefix + self.suffix)
            for i, block in enumerate(self.blocks):
                temporary.append(len(self.prefix[i]) * block.values.size)
                temporary.append(block.values.size * len(self.suffix[i + 1]))
        self.width = kept + 2 * max(temporary)

    def _cut(self, edges, processes) -> list:
        """Variables to condition on so that every block has at most ``EXACT_MAX_BLOCK``
        variables (its own and those conditioned on that it touches): greedily, the one-region
        variable whose removal leaves the smallest largest block, of those the one in most
        destinations' links (a hub region holding endpoints to many destinations)."""
        cut = set()
        everything = set(range(len(self.members)))
        coupled = [set(c) for c in _components(everything, edges)]
        degree = [sum(v in edge for edge in edges) for v in everything]

        def size(component):
            touched = {v for edge in edges if edge & component for v in edge}
            return len(touched | component)

        while True:
            components = [set(c) for c in _components(everything - cut, edges)]
            too_large = [c for c in components if size(c) > EXACT_MAX_BLOCK]
            if not too_large:
                return sorted(cut)
            block = max(too_large, key=len)
            candidates = sorted(v for v in block if len(self.members[v]) == 1)
            if not candidates or len(self.groups) + len(cut) >= EXACT_MAX_CONDITIONED:
                whole = next(c for c in coupled if c >= block)
                names = sorted(processes[self.regions[r]].name
                               for v in whole for r in self.members[v])
                raise ExactOutOfReach(
                    f"{len(names)} regions ({', '.join(names[:6])}"
                    f"{', ...' if len(names) > 6 else ''}) are coupled by cross-region "
                    f"endpoints into one block of {len(whole)} variables, which conditioning "
                    f"on at most {EXACT_MAX_CONDITIONED} groups and regions in all "
                    f"({len(self.groups)} groups here) does not split into blocks of at most "
                    f"{EXACT_MAX_BLOCK}; use simulate()")

            def largest_left(v, block=block):
                rest = [set(c) for c in _components(block - {v}, edges)]
                return max((size(c) for c in rest), default=0), -degree[v]

            cut.add(min(candidates, key=largest_left))

    def _sum(self, left, right) -> _Sums:
        if left.size * right.size > _MAX_PAIRS:
            raise ExactOutOfReach(
                f"the destinations' capacities give {left.size} x {right.size} distinct partial "
                f"sums below the demand: too many to combine exactly; use simulate()")
        values, inverse = _grouped((left[:, None] + right[None, :]).ravel(), self.demand)
        if values.size > EXACT_MAX_LEVELS:
            raise ExactOutOfReach(
                f"the destinations' capacities give {values.size} distinct sums below the "
                f"demand (at most {EXACT_MAX_LEVELS} are kept); use simulate()")
        return _Sums(values, inverse)


def _convolve(step, left, right):
    """Probabilities (batch, n) of a sum, from those of its two independent parts."""
    outer = (left[:, :, None] * right[:, None, :]).reshape(left.shape[0], -1)
    return _bin(outer, step.inverse, step.values.size)


def conditioned(deployment, processes, *, rates=True) -> dict:
    """Unavailability and down-episode frequency, both metrics, by conditioning on the groups.

    Parameters
    ----------
    deployment : Deployment
        Active-active.
    processes : list of OutageProcess
        ``deployment_processes(deployment, outages)``.
    rates : bool
        Also the episode frequencies (about twice the work).

    Returns
    -------
    dict
        ``reachable`` and ``served`` unavailability [-]; with ``rates``, ``reachable_rate``
        and ``served_rate`` down episodes [1/yr].

    Raises
    ------
    ExactOutOfReach
        Too many groups, too large a block, or too many capacity sums.
    """
    plan = Plan(deployment, processes)
    q_all = np.array([p.probability_down for p in processes])
    rate_all = np.array([p.rate_per_year for p in processes])
    q_region = q_all[plan.regions]
    # the processes conditioned on: the groups, then the regions that split blocks (bit j of
    # an outer state: process outer[j] down)
    outer = plan.groups + [plan.regions[plan.members[v][0]] for v in plan.cut]
    cut_masks = np.zeros(len(plan.regions), dtype=np.int64)
    for j, v in enumerate(plan.cut):
        cut_masks[plan.members[v][0]] = 1 << (len(plan.groups) + j)
    # an up region process turning down: rate_r (1 - q_r), times the chance it matters; the
    # regions conditioned on count with the groups
    region_flow = np.where(cut_masks > 0, 0.0, rate_all[plan.regions] * (1 - q_region))
    n_states = 1 << len(outer)
    batch = max(1, min(n_states, _BATCH_ELEMENTS // max(plan.width, 1)))
    out = {key: np.empty(n_states) for key in ("u_reach", "u_served", "f_reach", "f_served")}
    for start in range(0, n_states, batch):
        g = np.arange(start, min(start + batch, n_states), dtype=np.int64)
        forced = (g[:, None] & (plan.group_masks | cut_masks)[None, :]) != 0      # (n, R)
        q = np.where(forced, 1.0, np.where(cut_masks > 0, 0.0, q_region)[None, :])
        p_var = np.stack([np.prod(q[:, members], axis=1) for members in plan.members], axis=1)
        # P(the rest of its pool down) for each region; 0 where a group holds it down
        rest = np.stack([np.prod(q[:, [s for s in plan.members[v] if s != r]], axis=1)
                         for r, v in enumerate(plan.variable_of)], axis=1)
        coef = np.where(forced, 0.0, rest * region_flow[None, :])          # (n, R)
        result = _batch(plan, p_var, rates)
        sl = slice(start, start + g.size)
        out["u_reach"][sl] = result["u_reach"]
        out["u_served"][sl] = result["u_served"]
        if rates:
            var = np.array(plan.variable_of)
            out["f_reach"][sl] = (coef * result["delta_reach"][:, var]).sum(axis=1)
            out["f_served"][sl] = (coef * result["delta_served"][:, var]).sum(axis=1)
    # the outer processes: P(g), and each one's turning down from the states where it is up
    p_g = _kron_probabilities(q_all[outer][None, :])[0]
    states = np.arange(n_states)
    answer = {"reachable": float(p_g @ out["u_reach"]),
              "served": float(p_g @ out["u_served"])}
    if not rates:
        return answer
    for metric, u_key, f_key in (("reachable", "u_reach", "f_reach"),
                                 ("served", "u_served", "f_served")):
        rate = float(p_g @ out[f_key])
        for j, k in enumerate(outer):
            up = (states >> j) & 1 == 0
            rate += rate_all[k] * float(
                p_g[up] @ (out[u_key][states[up] | (1 << j)] - out[u_key][up]))
        answer[f"{metric}_rate"] = rate
    return answer


def _batch(plan, p_var, rates=True):
    """Per group state of a batch: unavailability and ``U[v down] - U[v up]`` per variable.

    ``p_var`` (n, V): each variable's probability of being down in each group state.
    """
    n = p_var.shape[0]
    n_blocks = len(plan.blocks)
    none = []            # (n,) P(block carries nothing)
    dists = []           # (n, values) block capacity distribution
    pairs = []           # per block, per variable i: (weights (n, 2**(m-1)), s0, s1)
    for block in plan.blocks:
        p = p_var[:, block.variables]
        table = _kron_probabilities(p)
        none.append(table[:, ~block.carries].sum(axis=1))
        if plan.capacity:
            dists.append(_bin(table, block.inverse, block.values.size))
        rows = []
        states = np.arange(block.carries.size)
        for i in range(block.n_own if rates else 0):
            # the states with variable i up (s0) and down (s1); the weight of the others'
            # state, which both share
            bit = 1 << i
            s0 = states[states & bit == 0]
            others = _kron_probabilities(np.where(np.arange(p.shape[1]) == i, 0.0, p))
            rows.append((others[:, s0], s0, s0 | bit))
        pairs.append(rows)

    none = np.stack(none, axis=1)                                          # (n, B)
    ones = np.ones((n, 1))
    before = np.cumprod(np.concatenate([ones, none[:, :-1]], axis=1), axis=1)
    after = np.cumprod(np.concatenate([ones, none[:, :0:-1]], axis=1), axis=1)[:, ::-1]
    others_none = before * after                                           # (n, B)
    u_reach = before[:, -1] * none[:, -1]

    n_vars = p_var.shape[1]
    delta_reach = np.zeros((n, n_vars))
    delta_served = np.zeros((n, n_vars))
    for b, block in enumerate(plan.blocks if rates else ()):
        lost = ~block.carries
        for i, v in enumerate(block.variables[:block.n_own]):
            # P(the others' state is such that variable i going down leaves nothing carried);
            # a difference of indicators, so no cancellation
            weights, s0, s1 = pairs[b][i]
            flips = lost[s1] & ~lost[s0]
            delta_reach[:, v] = weights[:, flips].sum(axis=1) * others_none[:, b]
    if not plan.capacity:
        return {"u_reach": u_reach, "u_served": u_reach, "delta_reach": delta_reach,
                    "delta_served": delta_reach}

    prefix = [ones]
    for b in range(n_blocks):
        prefix.append(_convolve(plan.prefix_steps[b], prefix[-1], dists[b]))
    suffix = [ones]
    for b in range(n_blocks - 1 if rates else -1, -1, -1):
        suffix.append(_convolve(plan.suffix_steps[b], dists[b], suffix[-1]))
    suffix.reverse()
    total_values = plan.prefix[-1]
    if total_values[-1] < plan.demand:   # never enough capacity: exactly 1, no episodes
        return {"u_reach": u_reach, "u_served": np.ones(n), "delta_reach": delta_reach,
                    "delta_served": delta_served}
    u_served = prefix[-1][:, total_values < plan.demand].sum(axis=1)
    for b, block in enumerate(plan.blocks if rates else ()):
        # F[c]: P(other blocks' capacity < demand - c) for each value c of this block
        left_values, right_values = plan.prefix[b], plan.suffix[b + 1]
        gap = (plan.demand - block.values)[:, None] - left_values[None, :]    # (c, a)
        index = np.searchsorted(right_values, gap, side="left")
        below = np.concatenate([np.zeros((n, 1)), np.cumsum(suffix[b + 1], axis=1)], axis=1)
        F = np.einsum("nca,na->nc", below[:, index], prefix[b])
        for i, v in enumerate(block.variables[:block.n_own]):
            weights, s0, s1 = pairs[b][i]
            changes = block.inverse[s1] != block.inverse[s0]
            gain = F[:, block.inverse[s1[changes]]] - F[:, block.inverse[s0[changes]]]
            delta_served[:, v] = (weights[:, changes] * gain).sum(axis=1)
    return {"u_reach": u_reach, "u_served": u_served, "delta_reach": delta_reach,
                "delta_served": delta_served}


def _logsumexp(values, axis=None):
    """``log(sum(exp(values)))`` without overflow or underflow (-inf for no terms)."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        shape = () if axis is None else np.delete(values.shape, axis)
        return np.full(shape, -np.inf) if axis is not None else -np.inf
    top = np.max(values, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        total = np.log(np.sum(np.exp(values - top), axis=axis, keepdims=True)) + top
    return np.squeeze(total, axis=axis) if axis is not None else float(total.ravel()[0])


def _log_kron(log_p, log_up):
    """``log P[..., s]`` of :func:`_kron_probabilities`, from the logs of ``p`` and ``1-p``."""
    table = np.zeros(log_p.shape[:-1] + (1,))
    for i in range(log_p.shape[-1]):
        table = np.concatenate([table + log_up[..., i:i + 1], table + log_p[..., i:i + 1]],
                               axis=-1)
    return table


def log10_unreachable(deployment, processes) -> float:
    """log10 of the steady-state probability that no endpoint is usable (active-active),
    computed in logarithms: exact however small (10^-5000 as well as 10^-3).

    The conditioned calculation of :func:`conditioned` with every probability as its
    logarithm: products become sums and the sums over states log-sum-exps, so nothing
    underflows.

    Parameters
    ----------
    deployment : Deployment
        Active-active.
    processes : list of OutageProcess
        ``deployment_processes(deployment, outages)``.

    Returns
    -------
    float
        ``log10(U)`` [-]; ``-inf`` when the service is always reachable.
    """
    plan = Plan(deployment, processes)
    q_all = np.array([p.probability_down for p in processes])
    with np.errstate(divide="ignore"):
        log_q_all, log_up_all = np.log(q_all), np.log1p(-q_all)
    log_q_region = log_q_all[plan.regions]
    outer = plan.groups + [plan.regions[plan.members[v][0]] for v in plan.cut]
    cut_masks = np.zeros(len(plan.regions), dtype=np.int64)
    for j, v in enumerate(plan.cut):
        cut_masks[plan.members[v][0]] = 1 << (len(plan.groups) + j)
    log_p_g = _log_kron(log_q_all[outer][None, :], log_up_all[outer][None, :])[0]
    n_states = 1 << len(outer)
    batch = max(1, min(n_states, _BATCH_ELEMENTS // max(plan.width, 1)))
    terms = []
    for start in range(0, n_states, batch):
        g = np.arange(start, min(start + batch, n_states), dtype=np.int64)
        forced = (g[:, None] & (plan.group_masks | cut_masks)[None, :]) != 0
        log_q = np.where(forced, 0.0, np.where(cut_masks > 0, -np.inf, log_q_region)[None, :])
        log_p_var = np.stack([log_q[:, members].sum(axis=1) for members in plan.members],
                             axis=1)
        with np.errstate(divide="ignore"):
            log_up_var = np.log1p(-np.exp(log_p_var))
        log_u = np.zeros(g.size)
        for block in plan.blocks:
            table = _log_kron(log_p_var[:, block.variables], log_up_var[:, block.variables])
            log_u = log_u + _logsumexp(table[:, ~block.carries], axis=1)
        terms.append(log_p_g[g] + log_u)
    return float(_logsumexp(np.concatenate(terms))) / math.log(10)


def _always_reachable(deployment, processes) -> bool:
    """Whether some endpoint is usable in every state: its region and its destination's are
    touched only by processes that are never down (the unavailability is then exactly 0)."""
    never = {}
    for p in processes:
        if p.kind in ("region", "group"):
            for region in p.regions:
                never[region] = never.get(region, True) and p.probability_down == 0
    return any(never.get(e.region, True)
               and never.get(deployment.destination(e.destination).region, True)
               for e in deployment.endpoints)


def _bounded(answer, deployment, outages) -> dict:
    """``answer`` with figures below :data:`UNDERFLOW_BOUND` replaced by that bound (and
    flagged ``<metric>_bound``), and ``<metric>_log10`` (exact for the reachable metric
    active-active, NaN where only the bound is known)."""
    processes = deployment_processes(deployment, outages)
    positive = not _always_reachable(deployment, processes)
    for metric in METRICS:
        value = answer[metric]
        bound = value < UNDERFLOW_BOUND and (positive or value > 0)
        answer[f"{metric}_bound"] = bool(bound)
        if not bound:
            answer[f"{metric}_log10"] = math.log10(value) if value > 0 else -math.inf
            continue
        answer[metric] = UNDERFLOW_BOUND
        log10 = math.nan
        if metric == "reachable" and deployment.failover.mode != "active-passive":
            try:
                log10 = log10_unreachable(deployment, processes)
            except ExactOutOfReach:
                pass
        answer[f"{metric}_log10"] = log10
        if f"{metric}_rate" in answer and answer[f"{metric}_rate"] < UNDERFLOW_BOUND:
            # monotone in the down set: U[k down] <= U / q_k, so the rate of down episodes
            # f = sum_k rate_k (1 - q_k) (U[k down] - U[k up]) <= U sum_k rate_k (1 - q_k) / q_k
            q = np.array([p.probability_down for p in processes])
            rate = np.array([p.rate_per_year for p in processes])
            some = q > 0
            spread = float(np.sum(rate[some] * (1 - q[some]) / q[some]))
            upper = log10 if math.isfinite(log10) else math.log10(UNDERFLOW_BOUND)
            with np.errstate(over="ignore"):
                answer[f"{metric}_rate"] = max(UNDERFLOW_BOUND,
                                               10.0 ** (upper + math.log10(max(spread, 1e-300))))
            answer[f"{metric}_rate_bound"] = True
    return answer


def exact_figures_by_metric(deployment, outages, *, rates=True) -> dict:
    """Both unavailabilities [-] and (with ``rates``) both episode frequencies [1/yr], keyed
    ``reachable``, ``served``, ``reachable_rate``, ``served_rate``: conditioned on the groups
    when active-active, by the full enumeration when active-passive (or when the conditioned
    calculation is out of reach and the enumeration is not).

    A figure below :data:`UNDERFLOW_BOUND` is that bound (an upper bound), flagged by
    ``reachable_bound`` / ``served_bound`` (and ``*_rate_bound``); ``reachable_log10`` and
    ``served_log10`` give log10 of each unavailability (exact for the reachable metric
    active-active however small, NaN where only the bound is known)."""
    answer = None
    if deployment.failover.mode != "active-passive":
        processes = deployment_processes(deployment, outages)
        try:
            answer = conditioned(deployment, processes, rates=rates)
        except ExactOutOfReach as refusal:
            if len(processes) > EXACT_MAX_PROCESSES:
                raise ValueError(str(refusal)) from None
    if answer is None:
        structure = compile_structure(deployment, outages)
        answer = {metric: enumerated_unavailability(structure, metric) for metric in METRICS}
        if rates:
            answer |= {f"{metric}_rate": enumerated_episode_frequency(structure, metric)
                       for metric in METRICS}
    return _bounded(answer, deployment, outages)


def exact_unavailability(deployment, outages, *, metric="reachable") -> float:
    """Steady-state probability that the service is down (or not served).

    Parameters
    ----------
    deployment : Deployment
        The endpoints, destinations, demand and failover mode.
    outages : OutageModel
        The outage processes: rates [1/yr] and duration laws.
    metric : {"reachable", "served"}
        ``reachable``: no endpoint usable. ``served``: not reachable, or the destinations that
        carry traffic cannot hold the demand.

    Returns
    -------
    float
        Unavailability in [0, 1] (the long-run fraction of time down).

    Raises
    ------
    ValueError
        Active-active: with more than 16 correlated groups, regions coupled by cross-region
        endpoints into a block that conditioning on at most 16 groups and regions in all does
        not split into blocks of at most 16 variables, or more than 65,536 distinct capacity
        sums below the demand, when there are also more than 24 outage processes (up to 24,
        the full enumeration answers instead). Active-passive: more than 24 outage processes.

    Warns
    -----
    ModelWarning
        For active-passive failover: the value excludes failover gaps (the exact sum has no
        notion of time); :func:`plcapacity.simulate` includes them.

    Notes
    -----
    ``U = sum over states s of prod_k q_k^[k in s] (1 - q_k)^[k not in s] * [down(s)]`` with
    ``q_k = 1 - exp(-rate_k * E[D_k])``. Active-active, the sum is taken by conditioning on the
    correlated groups (their ``2**G`` joint states, and those of a few regions when
    cross-region endpoints link many regions): given them the regions are independent, so the
    probability that no endpoint is usable is a product over blocks of linked regions and the
    carried capacity's distribution a convolution. Active-passive, it enumerates all ``2**K``
    states in chunks of 65,536.

    References
    ----------
    .. [1] SLA for Azure Private Link (99.99 % monthly uptime, service credits),
       https://azure.microsoft.com/support/legal/sla/private-link/v1_0/
    .. [2] Azure status history (the incidents behind the evidence profile),
       https://azure.status.microsoft/status/history/

    Examples
    --------
    >>> import plcapacity as plc
    >>> d = plc.regional_deployment("api", "eastus; westus")   # one PLS, in eastus
    >>> outages = plc.OutageModel(2.0, {"law": "fixed", "hours": 2})   # 2 per year, 2 h each
    >>> round(plc.exact_unavailability(d, outages), 6)   # the PLS's region: 1 - exp(-2/yr * 2 h)
    0.000457
    """
    _check_metric(metric)
    if deployment.failover.mode == "active-passive":
        structure = compile_structure(deployment, outages)
        if structure.delay_minutes > 0:
            warnings.warn("active-passive: exact_unavailability excludes failover gaps (the "
                          "gap-free value); simulate() includes them", ModelWarning,
                          stacklevel=2)
        answer = _bounded({m: enumerated_unavailability(structure, m) for m in METRICS},
                          deployment, outages)
    else:
        answer = exact_figures_by_metric(deployment, outages, rates=False)
    if answer[f"{metric}_bound"]:
        log10 = answer[f"{metric}_log10"]
        exactly = f" (10^{log10:.1f})" if math.isfinite(log10) else ""
        warnings.warn(f"the {metric} unavailability is below {UNDERFLOW_BOUND:g}{exactly}, "
                      f"beyond what a float holds: {UNDERFLOW_BOUND:g} is returned as an upper "
                      "bound (exact_summary gives its log10)", ModelWarning, stacklevel=2)
    return answer[metric]


def down_episode_frequency(deployment, outages, *, metric="reachable") -> float:
    """Long-run rate at which the service goes down (gap-free). [episodes per year]

    From an up state ``s``, process ``k`` (up) starts an outage at rate ``rate_k``; the service
    goes down if ``s | k`` is a down state. So ``f = sum_s P(s) [up(s)] sum_k [k not in s]
    [down(s | k)] rate_k``. With active-passive failover and a delay, each failover (the
    active endpoint lost while another is usable) also counts as an episode. Used to say how
    many down episodes a sample should contain.

    Parameters
    ----------
    deployment : Deployment
    outages : OutageModel
    metric : {"reachable", "served"}
        Episodes of being unreachable, or of not being served.

    Returns
    -------
    float
        Down episodes per year. [1/yr]

    Raises
    ------
    ValueError
        As :func:`exact_unavailability`.

    Notes
    -----
    Active-active, the service is monotone in the set of down processes, so
    ``f = sum_k rate_k (1 - q_k) (U[k down] - U[k up])``, computed with the same conditioning
    as :func:`exact_unavailability`; active-passive enumerates the states (at most 24
    processes).
    """
    _check_metric(metric)
    if deployment.failover.mode == "active-passive":
        return enumerated_episode_frequency(compile_structure(deployment, outages), metric)
    return exact_figures_by_metric(deployment, outages)[f"{metric}_rate"]


def nines(unavailability) -> float:
    """``-log10(unavailability)``: 1e-4 is four nines (inf for zero)."""
    return math.inf if unavailability <= 0 else -math.log10(unavailability)


def annual_downtime_minutes(unavailability) -> float:
    """Expected downtime of a 365-day year at this unavailability. [min]"""
    return unavailability * MINUTES_PER_YEAR


def exact_summary(deployment, outages) -> pd.Series:
    """The exact steady-state figures for a deployment, as a Series.

    Index: ``availability`` and ``served_availability`` [-], ``nines``,
    ``annual_downtime_min`` and ``annual_unserved_min`` [min per year],
    ``down_episodes_per_year`` [1/yr], ``processes`` (count) and ``note``.

    Parameters
    ----------
    deployment : Deployment
        The endpoints, destinations and failover mode.
    outages : OutageModel
        The outage processes: rates [1/yr] and duration laws.

    Returns
    -------
    pandas.Series
        Index: ``availability`` and ``served_availability`` [-], ``nines`` [-],
        ``annual_downtime_min`` and ``annual_unserved_min`` [min per year],
        ``down_episodes_per_year`` [1/yr], ``processes`` [-], ``outage_model`` (the model's
        name, :meth:`plcapacity.OutageModel.describe`) and ``note`` (text; non-empty for
        active-passive failover with a delay, whose gaps the exact sum excludes).

    Raises
    ------
    ValueError
        As :func:`exact_unavailability`.

    References
    ----------
    .. [1] SLA for Azure Private Link (99.99 % monthly uptime, service credits),
       https://azure.microsoft.com/support/legal/sla/private-link/v1_0/
    .. [2] Azure status history (the incidents behind the evidence profile),
       https://azure.status.microsoft/status/history/

    Examples
    --------
    >>> import plcapacity as plc
    >>> d = plc.regional_deployment("api", "eastus; westus")   # one PLS, in eastus
    >>> outages = plc.OutageModel(2.0, {"law": "fixed", "hours": 2})   # 2 per year, 2 h each
    >>> s = plc.exact_summary(d, outages)
    >>> round(s["availability"], 6), round(s["annual_downtime_min"], 1)
    (0.999543, 239.9)
    """
    import pandas as pd

    exact = exact_figures_by_metric(deployment, outages)
    down, unserved = exact["reachable"], exact["served"]
    gap_free = (deployment.failover.mode == "active-passive"
                and deployment.failover.delay_minutes > 0)
    notes = ["active-passive: availability excludes failover gaps (simulate includes them); "
             "episodes count failovers"] if gap_free else []
    log10 = exact["reachable_log10"]
    bounded = [m for m in METRICS if exact[f"{m}_bound"]]
    if bounded:
        exactly = (f" (reachable: 10^{log10:.1f}, {-log10:.1f} nines)"
                   if exact["reachable_bound"] and math.isfinite(log10) else "")
        notes.append(f"unavailability below {UNDERFLOW_BOUND:g}{exactly}, beyond what a float "
                     f"holds: the {' and '.join(bounded)} figures are upper bounds (from "
                     f"{UNDERFLOW_BOUND:g}), not zero")
    return pd.Series({
        "availability": 1.0 - down,
        "served_availability": 1.0 - unserved,
        "nines": -log10 if math.isfinite(log10) or log10 == -math.inf else nines(down),
        "unavailability_log10": log10 if not math.isnan(log10) else math.log10(down),
        "annual_downtime_min": annual_downtime_minutes(down),
        "annual_unserved_min": annual_downtime_minutes(unserved),
        "down_episodes_per_year": exact["reachable_rate"],
        "processes": len(deployment_processes(deployment, outages)),
        "outage_model": outages.describe(),
        "note": "; ".join(notes),
    }, name="exact", dtype=object)


def process_table(deployment, outages) -> pd.DataFrame:
    """The outage processes involved: name, kind, regions, rate_per_year [1/yr],
    mean_duration_h [h], duration law and probability_down [-].

    Parameters
    ----------
    deployment : Deployment
        The endpoints and destinations (their regions and zones select the processes).
    outages : OutageModel
        The outage model.

    Returns
    -------
    pandas.DataFrame
        One row per outage process: ``process``, ``kind`` (region, group or zone), ``regions``
        (``;``-separated), ``rate_per_year`` [1/yr], ``mean_duration_h`` [h], ``duration`` (the
        law, as text) and ``probability_down`` [-] (the steady-state share of time it is down).

    References
    ----------
    .. [1] Azure status history (the incidents behind the evidence profile),
       https://azure.status.microsoft/status/history/
    .. [2] Azure regions list (regions, geographies, paired regions),
       https://learn.microsoft.com/azure/reliability/regions-list

    Examples
    --------
    >>> import plcapacity as plc
    >>> d = plc.regional_deployment("api", "eastus; westus")   # one PLS, in eastus
    >>> outages = plc.OutageModel(2.0, {"law": "fixed", "hours": 2})   # 2 per year, 2 h each
    >>> plc.process_table(d, outages)[["process", "rate_per_year", "mean_duration_h"]]
      process  rate_per_year  mean_duration_h
    0  eastus            2.0              2.0
    1  westus            2.0              2.0
    """
    import pandas as pd

    return pd.DataFrame([{
        "process": p.name, "kind": p.kind, "regions": ";".join(p.regions),
        "rate_per_year": p.rate_per_year, "mean_duration_h": p.duration.mean_minutes / 60,
        "duration": p.duration.describe(), "probability_down": p.probability_down,
    } for p in deployment_processes(deployment, outages)])
