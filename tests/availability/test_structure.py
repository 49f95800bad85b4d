"""The structure shared by the exact calculation and the engine: which outage processes make
which endpoint unusable, and what each state (a set of processes down) means.

Known answers are written by hand from the definitions in docs/model.md: an endpoint is
usable while its region and its destination's region are up; reachable while any endpoint is
usable; served while the destinations carrying traffic hold the demand (active-active: every
destination with a usable endpoint; active-passive: the destination of the first usable
endpoint in failover order).
"""

import itertools

import numpy as np
import pytest

import plcapacity as plc
from plcapacity.availability.structure import (
    MASK_MAX_PROCESSES,
    SERVED_FRACTION,
    compile_structure,
    deployment_processes,
    destination_capacities,
)
from plcapacity.base.regions import region_names

LAW = {"law": "fixed", "hours": 4}
#: eastus, westus and northeurope, and a group "us" taking eastus and westus down together.
MODEL = plc.OutageModel(1.0, LAW, groups=(plc.OutageGroup("us", ("eastus", "westus"), 0.5,
                                                          LAW),))
DESTINATIONS = (plc.Destination("a", "eastus", 2e6), plc.Destination("b", "westus", 1e6),
                plc.Destination("unused", "centralus", 5e5))
#: e1 in eastus to a (eastus), e2 in westus to b (westus), e3 in northeurope to a (eastus).
ENDPOINTS = (plc.Endpoint("e1", "eastus", "a"), plc.Endpoint("e2", "westus", "b"),
             plc.Endpoint("e3", "northeurope", "a"))


def deployment(failover=None):
    return plc.Deployment(DESTINATIONS, ENDPOINTS, demand_connections=1.5e6,
                          failover=failover or plc.Failover("active-active"))


def all_states(structure):
    """Every state as (names down, bit mask)."""
    names = [p.name for p in structure.processes]
    for downs in itertools.product((False, True), repeat=len(names)):
        down = {n for n, d in zip(names, downs) if d}
        yield down, sum(1 << k for k, d in enumerate(downs) if d)


def test_processes_are_the_regions_then_the_groups_that_touch_them():
    names = [p.name for p in deployment_processes(deployment(), MODEL)]
    assert sorted(names[:3]) == ["eastus", "northeurope", "westus"] and names[3] == "us"
    assert [p.name for p in compile_structure(deployment(), MODEL).processes] == names


def test_endpoint_masks_name_the_processes_that_make_each_endpoint_unusable():
    structure = compile_structure(deployment(), MODEL)
    names = [p.name for p in structure.processes]
    by_hand = {"e1": {"eastus", "us"}, "e2": {"westus", "us"},
               "e3": {"northeurope", "eastus", "us"}}
    assert structure.endpoint_names == ("e1", "e2", "e3")
    for endpoint, mask, row in zip(structure.endpoint_names, structure.endpoint_masks,
                                   structure.endpoint_sets):
        assert {n for k, n in enumerate(names) if mask >> k & 1} == by_hand[endpoint]
        assert {n for k, n in enumerate(names) if row[k]} == by_hand[endpoint]
    # the unused destination is left out; endpoints point at their destination's position
    assert structure.destination_names == ("a", "b")
    assert structure.capacities.tolist() == [2e6, 1e6]
    assert structure.endpoint_destination.tolist() == [0, 1, 0]


def test_active_active_states_by_hand():
    structure = compile_structure(deployment(), MODEL)
    for down, state in all_states(structure):
        group = "us" in down
        e_up, w_up, n_up = "eastus" not in down, "westus" not in down, "northeurope" not in down
        # e1 and e3 need eastus (and the group) up, e2 westus; a alone (2e6) holds 1.5e6
        reachable = not group and (e_up or w_up)
        served = not group and e_up
        (r,), (s,), _, (usable,) = structure.evaluate(np.array([state]))
        assert (r, s) == (reachable, served), down
        assert usable.tolist() == [not group and e_up, not group and w_up,
                                   not group and e_up and n_up], down


def test_active_passive_serves_from_the_first_usable_endpoint_only():
    """Failover order e2, e1, e3: e2's destination b (1e6) cannot hold 1.5e6, so the service
    is served only while e2 is unusable and e1 or e3 (to a) takes over."""
    order = plc.Failover("active-passive", 0.0, ("e2", "e1", "e3"))
    structure = compile_structure(deployment(order), MODEL)
    assert structure.endpoint_names == ("e2", "e1", "e3") and structure.active_passive
    for down, state in all_states(structure):
        group = "us" in down
        e_up, w_up = "eastus" not in down, "westus" not in down
        active = 0 if not group and w_up else 1 if not group and e_up else -1
        (r,), (s,), (a,), _ = structure.evaluate(np.array([state]))
        assert a == active, down
        assert r == (active >= 0) and s == (active == 1), down


def test_states_as_sets_answer_as_states_as_masks():
    structure = compile_structure(deployment(), MODEL)
    states = np.arange(1 << structure.n_processes)
    down = (states[:, None] >> np.arange(structure.n_processes)) & 1
    for masks, sets in zip(structure.evaluate(states), structure.evaluate_sets(down)):
        np.testing.assert_array_equal(masks, sets)


def test_a_demand_equal_to_the_summed_capacities_is_served():
    """Sums of capacities differ in their last bits with the order of addition (a convolution,
    a row sum): a demand a few ulps above the sum of the capacities still counts as carried
    with both destinations up, and not with one."""
    caps = [100_000.1, 200_000.2]
    demand = sum(caps[::-1]) * (1 + 5e-16)  # a last-bit difference above the sum
    assert demand > caps[0] + caps[1]
    d = plc.Deployment((plc.Destination("x", "eastus", caps[0]),
                        plc.Destination("y", "westus", caps[1])),
                       (plc.Endpoint("ex", "eastus", "x"), plc.Endpoint("ey", "westus", "y")),
                       demand_connections=demand)
    structure = compile_structure(d, plc.OutageModel(1.0, LAW))
    assert demand * SERVED_FRACTION <= caps[0] + caps[1]
    reachable, served, _, _ = structure.evaluate(np.array([0, 1, 2, 3]))
    assert reachable.tolist() == [True, True, True, False]
    assert served.tolist() == [True, False, False, False]  # both needed


def test_many_states_are_evaluated_in_pieces_with_the_same_answers():
    """Twenty regions, each its own endpoint and destination of 1e6, a demand of 2.5e6: served
    while at least three are up, reachable while one is. 200,000 states exceed one piece of
    (states x endpoints) elements; the answer is the count of processes up, by hand."""
    regions = region_names()[:20]
    d = plc.Deployment(tuple(plc.Destination(f"d-{r}", r, 1e6) for r in regions),
                       tuple(plc.Endpoint(f"e-{r}", r, f"d-{r}") for r in regions),
                       demand_connections=2.5e6)
    structure = compile_structure(d, plc.OutageModel(1.0, LAW))
    assert structure.n_processes == 20
    states = np.random.default_rng(3).integers(0, 1 << 20, 200_000)
    # which bit belongs to which region does not matter here: each region is one process
    up = 20 - np.unpackbits(states.astype("<u4").view(np.uint8)).reshape(-1, 32).sum(axis=1)
    reachable, served, _, usable = structure.evaluate(states, with_usable=False)
    assert usable is None
    np.testing.assert_array_equal(reachable, up >= 1)
    np.testing.assert_array_equal(served, up >= 3)
    assert served.any() and not served.all()


def test_above_64_processes_states_are_sets():
    """55 regions with an endpoint each and ten groups over neighbouring pairs: 65 processes,
    beyond a 64-bit mask. Group g0 down takes the first two regions' endpoints down."""
    regions = region_names()
    groups = tuple(plc.OutageGroup(f"g{i}", (regions[i], regions[i + 1]), 0.1, LAW)
                   for i in range(10))
    d = plc.Deployment(tuple(plc.Destination(f"d-{r}", r) for r in regions),
                       tuple(plc.Endpoint(f"e-{r}", r, f"d-{r}") for r in regions))
    structure = compile_structure(d, plc.OutageModel(1.0, LAW, groups=groups))
    assert structure.n_processes == 65 > MASK_MAX_PROCESSES
    assert structure.endpoint_masks is None
    names = [p.name for p in structure.processes]
    down = np.zeros((3, 65), dtype=bool)
    down[1, names.index("g0")] = True
    down[2, [names.index(r) for r in regions]] = True  # every region down
    reachable, _, _, usable = structure.evaluate_sets(down)
    assert reachable.tolist() == [True, True, False]
    assert usable[0].all()
    unusable = {structure.endpoint_names[j] for j in np.flatnonzero(~usable[1])}
    assert unusable == {f"e-{regions[0]}", f"e-{regions[1]}"}


def test_more_than_256_processes_are_refused():
    regions = region_names()
    groups = tuple(plc.OutageGroup(f"g{i}", (regions[i % 55], regions[(i + 1) % 55]), 0.1,
                                   LAW) for i in range(202))
    d = plc.Deployment(tuple(plc.Destination(f"d-{r}", r) for r in regions),
                       tuple(plc.Endpoint(f"e-{r}", r, f"d-{r}") for r in regions))
    with pytest.raises(ValueError, match="^257 outage processes involved; at most 256 are "
                                         "supported$"):
        compile_structure(d, plc.OutageModel(1.0, LAW, groups=groups))


def test_destination_capacities_are_nan_where_unknown():
    d = plc.Deployment((plc.Destination("known", "eastus", 3e5),
                        plc.Destination("unknown", "westus")),
                       (plc.Endpoint("e1", "eastus", "known"),
                        plc.Endpoint("e2", "westus", "unknown")))
    capacities = destination_capacities(d, ["unknown", "known"])
    assert np.isnan(capacities[0]) and capacities[1] == 3e5
