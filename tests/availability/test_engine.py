"""Event engine: against a brute-force event loop written here, the steady start, and property
tests (hypothesis) of the interval helpers against naive versions."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mc_cases import (
    FREQUENT,
    GROUPED,
    many_regions_active_passive,
    shortfall,
    three_regions_active_passive,
    two_regions_shared_destination,
    undersized_primary,
)
from tiers import sweep

from plcapacity.availability.deployment import Deployment, Destination, Endpoint, Failover
from plcapacity.availability.engine import (
    Tables,
    WideTables,
    block_intervals,
    covered,
    dense_cause,
    evaluate_block,
    key_bits,
    monthly,
    pair_slot,
    sorted_union,
    ticks_per_minute,
    union,
    unique_rows,
)
from plcapacity.availability.simulation import BLOCK_TRIALS
from plcapacity.availability.structure import compile_structure
from plcapacity.base.regions import region_names
from plcapacity.base.sla import month_edges_minutes
from plcapacity.outages.laws import MINUTES_PER_YEAR
from plcapacity.outages.processes import OutageGroup, OutageModel

PROPERTY = settings(max_examples=75, deadline=None)


# ----------------------------------------------------------------------------- time axis


@pytest.mark.parametrize("years", [1, 2, 3, 4, 5, 8, 9, 100])
def test_a_block_axis_fits_int64_keys(years):
    """The largest key of a full block (an end at its last tick, process 63) fits int64."""
    span = BLOCK_TRIALS * years * MINUTES_PER_YEAR * ticks_per_minute(years)
    assert key_bits(64) == 6  # the process index of a key: 0 to 63
    assert (span << key_bits(64) | 63) < 2 ** 63 - 1
    assert ticks_per_minute(years) & (ticks_per_minute(years) - 1) == 0  # a power of two
    assert ticks_per_minute(1) == 2 ** 20


@pytest.mark.parametrize("years", [1, 2, 3, 8, 100, 1000])
def test_keys_and_stacked_axis_fit_int64_up_to_256_processes(years):
    """Up to 64 processes: keys ``tick << 6 | k`` and 64 stacked spans fit int64; above, with
    ticks three bits coarser, keys ``tick << 9 | k << 1 | 1`` and 256 stacked spans do."""
    for bits, processes in ((key_bits(64), 64), (key_bits(65), 256)):
        assert bits == (6 if processes == 64 else 9)
        span = BLOCK_TRIALS * years * MINUTES_PER_YEAR * ticks_per_minute(years, bits)
        assert (span << bits | (1 << bits) - 1) < 2 ** 63 - 1
        assert processes * span < 2 ** 63 - 1
    assert ticks_per_minute(1, 9) == 2 ** 17


def test_steady_start_probability_down_at_time_zero():
    """P(down at t=0) must equal the stationary q = 1 - exp(-rate E[D]) (steady start)."""
    deployment = two_regions_shared_destination()
    structure = compile_structure(deployment, FREQUENT)
    n = BLOCK_TRIALS
    down_at_zero = []
    for block in range(4):
        rng = np.random.default_rng(block)
        starts, _ = block_intervals(structure, n, 1, rng).of(0)  # eastus
        trial_ticks = MINUTES_PER_YEAR * ticks_per_minute(1)
        down_at_zero.append(np.unique(starts[starts % trial_ticks == 0]).size / n)
    q = FREQUENT.processes(["eastus"])[0].probability_down
    observed = np.mean(down_at_zero)
    assert abs(observed - q) <= 4 * math.sqrt(q * (1 - q) / (4 * n))


def test_ties_at_one_tick_do_not_depend_on_process_order():
    """One process goes down at the tick where the other comes back: whichever sorts first,
    the in-between state lasts zero ticks and adds no downtime."""
    both = Deployment((Destination("pls-e", "eastus", None),
                       Destination("pls-w", "westus2", None)),
                      (Endpoint("pe-e", "eastus", "pls-e"),
                       Endpoint("pe-w", "westus2", "pls-w")))  # down while both are down
    structure = compile_structure(both, FREQUENT)
    scale = ticks_per_minute(1)
    a = (np.array([10, 50]), np.array([40, 60]))
    b = (np.array([30]), np.array([50]))
    # [a, b]: at tick 50 the start of process 0 sorts first (both down for zero ticks);
    # [b, a]: the end of process 0 sorts first (both up for zero ticks).
    for intervals in ([a, b], [b, a]):
        out = evaluate_block(structure, Tables(structure), intervals, 1, 1)
        assert out["downtime"][0] * scale == 10
        assert out["incidents"][0] == 1


def test_a_failover_gap_stops_at_its_trial_end():
    """A correlated group takes the primary's region down 100 minutes before trial 0 ends;
    at trial 1's first tick the region's own outage is already running (a steady start), and
    its key sorts before the group's end, so the primary is never seen back at that tick. The
    failover gap of trial 0 still ends with the trial: 100 minutes of downtime and of cause,
    and none in trial 1 (whose failover at its first tick is left out). Before the fix the
    cause ran on into trial 1's outage."""
    law = {"law": "fixed", "hours": 1}
    outages = OutageModel(1.0, law, groups=(OutageGroup("e-pair", ("eastus", "centralus"),
                                                        1.0, law),))
    deployment = Deployment((Destination("pls-e", "eastus", None),
                             Destination("pls-w", "westus2", None)),
                            (Endpoint("pe-e", "eastus", "pls-e"),
                             Endpoint("pe-w", "westus2", "pls-w")),
                            failover=Failover("active-passive", 600.0))
    structure = compile_structure(deployment, outages)
    assert [p.name for p in structure.processes] == ["eastus", "westus2", "e-pair"]
    scale = ticks_per_minute(1)
    T = MINUTES_PER_YEAR * scale
    none = (np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    eastus = (np.array([T]), np.array([T + 50 * scale]))
    group = (np.array([T - 100 * scale]), np.array([T]))
    out = evaluate_block(structure, Tables(structure), [eastus, none, group], 2, 1)
    np.testing.assert_allclose(out["downtime"], [100.0, 0.0])
    cause = dense_cause(out["cause"], 2, structure.n_processes)
    np.testing.assert_allclose(cause, [[0.0, 0.0, 100.0], [0.0, 0.0, 0.0]])


# ----------------------------------------------------------------------------- state tables


@PROPERTY
@given(st.lists(st.lists(st.integers(-2 ** 63, 2 ** 63 - 1) | st.integers(-2, 2),
                         min_size=3, max_size=3), min_size=1, max_size=40))
def test_unique_rows_match_numpy(rows):
    rows = np.array(rows, dtype=np.int64)
    unique, inverse = unique_rows(rows)
    expected = np.unique(rows, axis=0)
    assert sorted(map(tuple, unique.tolist())) == sorted(map(tuple, expected.tolist()))
    np.testing.assert_array_equal(unique[inverse], rows)


def test_pair_hash_gives_every_state_with_two_processes_down_its_own_slot():
    """The hash of Tables above 16 processes: the 2081 states with at most two of 64
    processes down (process 63 on int64's sign bit) land in 2081 different slots of the
    2**16-slot table."""
    bit = np.append(np.left_shift(np.int64(1), np.arange(64, dtype=np.int64)), np.int64(0))
    states = np.unique(bit[:, None] | bit[None, :])
    assert states.size == 1 + 64 + 64 * 63 // 2
    slots = pair_slot(states)
    assert np.unique(slots).size == states.size
    assert slots.min() >= 0 and slots.max() < 2 ** 16  # a 2**16-slot table


@pytest.mark.parametrize("n_processes", [12, 17, 40, 62, 64])
def test_tables_answer_as_the_structure_evaluates(n_processes):
    """Whatever the path (a full table up to 16 processes, the hash and direct evaluation
    above), every state gets the code and active endpoint that Structure.evaluate gives."""
    regions = region_names()[:min(n_processes, 40)]
    law = {"law": "fixed", "hours": 4}
    groups = tuple(OutageGroup(f"g{i}", (regions[i], regions[-1 - i]), 1.0, law)
                   for i in range(n_processes - len(regions)))
    deployment = Deployment(
        tuple(Destination(f"d-{r}", r, 1e6) for r in regions),
        tuple(Endpoint(f"e-{r}-{j}", r, f"d-{regions[(i + j) % len(regions)]}")
              for i, r in enumerate(regions) for j in range(2)),
        demand_connections=1.5e6, failover=Failover("active-passive", 5.0))
    structure = compile_structure(deployment, OutageModel(1.0, law, groups=groups))
    assert structure.n_processes == n_processes
    rng = np.random.default_rng(n_processes)
    states = []
    for down in range(6):  # 0 to 5 processes down, in every combination drawn
        for _ in range(300):
            chosen = rng.choice(n_processes, size=down, replace=False)
            states.append(int(np.bitwise_or.reduce(
                np.left_shift(np.int64(1), chosen.astype(np.int64)), initial=np.int64(0))))
    states = np.array(states, dtype=np.int64)
    reachable, served, active, _ = structure.evaluate(states, with_usable=False)
    tables = Tables(structure)
    expected = (~reachable).astype(np.int8) | ((~served).astype(np.int8) << 1)
    np.testing.assert_array_equal(tables.code_of(states), expected)
    np.testing.assert_array_equal(tables.active_of(states), active)
    assert (tables.code is None) == (n_processes > 16)


# ----------------------------------------------------------------------------- brute force


def _brute_force(deployment, outages, intervals, n_trials, years, sla, delays=None,
                 scale=None):
    """An event loop over each trial, written independently of the engine.

    Walks the elementary segments between outage boundaries, evaluates the deployment by its
    definition, adds failover gaps one by one, and splits the downtime by calendar month.
    ``delays`` (minutes), when given, are the random failover delays, taken one per failover
    in time order. Times in ticks (``scale`` per minute, by default the engine's up to 64
    processes); returns per-trial lists.
    """
    scale = ticks_per_minute(years) if scale is None else scale
    T = years * MINUTES_PER_YEAR * scale
    processes = outages.processes(deployment.regions)
    if hasattr(intervals, "of"):  # the engine's flat Intervals: one (starts, ends) per process
        intervals = [intervals.of(k) for k in range(len(processes))]
    endpoints = deployment.endpoints
    demand = deployment.demand_connections
    active_passive = deployment.failover.mode == "active-passive"
    delay = round(deployment.failover.delay_minutes * scale)
    delays = None if delays is None else iter(delays)
    edges = [round(e * scale) for e in month_edges_minutes(years)]
    destination = {d.name: d for d in deployment.destinations}

    def evaluate(down_set):
        down_regions = {r for k in down_set for r in processes[k].regions}
        usable = [e.region not in down_regions
                  and destination[e.destination].region not in down_regions
                  for e in endpoints]
        reachable = any(usable)
        active = usable.index(True) if reachable else -1
        if demand is None:
            served = reachable
        elif active_passive:
            served = reachable and destination[
                endpoints[active].destination].capacity_connections >= demand
        else:
            carrying = {e.destination for e, u in zip(endpoints, usable) if u}
            served = reachable and sum(destination[d].capacity_connections
                                       for d in carrying) >= demand
        return reachable, served, active, usable

    per_trial = {key: [] for key in ("downtime", "unserved", "incidents", "monthly", "cause")}
    by_trial = {}  # each interval, in its trial's own ticks, under the trial it starts in
    for k, (starts, ends) in enumerate(intervals):
        for s, e in zip(starts.tolist(), ends.tolist()):
            if 0 <= s < n_trials * T:
                by_trial.setdefault(s // T, []).append((s % T, e - s // T * T, k))
    for trial in range(n_trials):
        mine = by_trial.get(trial, [])
        cuts = sorted({0, T} | {s for s, _, _ in mine} | {e for _, e, _ in mine})
        segments = []
        for a, b in zip(cuts[:-1], cuts[1:]):
            down_set = frozenset(k for s, e, k in mine if s <= a < e)
            segments.append((a, b, down_set, *evaluate(down_set)))
        gaps = []
        if active_passive and (delay > 0 or delays is not None):
            for i in range(1, len(segments)):
                previous_active = segments[i - 1][5]
                a, _, down_set, _, _, active, usable = segments[i]
                if previous_active >= 0 and active >= 0 and not usable[previous_active] and a > 0:
                    this = delay if delays is None else round(next(delays) * scale)
                    # until the failed endpoint or a higher-priority one is active again
                    back = next((seg[0] for seg in segments[i:]
                                 if 0 <= seg[5] <= previous_active), T)
                    # the first process (by index) going down then that takes the lost
                    # endpoint's region or its destination's region down
                    lost = endpoints[previous_active]
                    lost_regions = {lost.region, destination[lost.destination].region}
                    trigger = min(k for s, e, k in mine if s == a < e
                                  and lost_regions & set(processes[k].regions))
                    if min(a + this, back) > a:
                        gaps.append((a, min(a + this, back), trigger))
        def union(pieces):
            merged = []
            for s, e in sorted(pieces):
                if merged and s <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], e)
                else:
                    merged.append([s, e])
            return merged

        down = union([(a, b) for a, b, _, r, *_ in segments if not r and b > a]
                     + [(s, e) for s, e, _ in gaps])
        unserved = union([(a, b) for a, b, _, _, sv, *_ in segments if not sv and b > a]
                         + [(s, e) for s, e, _ in gaps])
        by_month = {}
        for s, e in down:
            for m in range(len(edges) - 1):
                overlap = min(e, edges[m + 1]) - max(s, edges[m])
                if overlap > 0:
                    by_month[m] = by_month.get(m, 0) + overlap / scale
        cause = [0.0] * len(processes)
        down_segments = [(a, b, d) for a, b, d, r, *_ in segments if not r and b > a]
        for a, b, d in down_segments:
            critical = [k for k in d if evaluate(d - {k})[0]]
            blamed = critical or sorted(d)
            for k in blamed:
                cause[k] += (b - a) / scale / len(blamed)
        reach = 0
        for s, e, k in sorted(gaps):
            fresh = min(max(s, reach), e)
            reach = max(reach, e)
            covered = sum(max(0, min(e, b) - max(fresh, a)) for a, b, _ in down_segments)
            cause[k] += ((e - fresh) - covered) / scale
        per_trial["downtime"].append(sum(e - s for s, e in down) / scale)
        per_trial["unserved"].append(sum(e - s for s, e in unserved) / scale)
        per_trial["incidents"].append(len(down))
        per_trial["monthly"].append(by_month)
        per_trial["cause"].append(cause)
    if delays is not None:
        assert next(delays, None) is None  # as many failovers as the engine drew delays for
    return per_trial


BRUTE_CASES = {
    "undersized-primary": (undersized_primary(), FREQUENT),
    "active-passive-gaps": (three_regions_active_passive(delay=600.0), GROUPED),
    "active-passive-short-delay": (three_regions_active_passive(delay=5.0), FREQUENT),
    "active-active-served": (shortfall(), GROUPED),
    "shared-destination": (two_regions_shared_destination(), FREQUENT),
    "eighteen-processes": (many_regions_active_passive(18),
                           OutageModel(2.5, {"law": "exponential", "mean_hours": 30})),
}


@pytest.mark.parametrize("case", BRUTE_CASES.values(), ids=BRUTE_CASES.keys())
@pytest.mark.parametrize("years", sweep([1, 2], 2))  # two-year trials: the slow tier
@pytest.mark.parametrize("wide", [False, True], ids=["masks", "sets"])
def test_engine_matches_brute_force_event_loop(case, years, wide):
    """``wide``: the engine's path for more than 64 processes (states as ids of sets, keys
    with a direction bit), forced on these small deployments."""
    deployment, outages = case
    structure = compile_structure(deployment, outages)
    n_trials = 250
    kind = WideTables if wide else Tables
    tables = kind(structure)
    intervals = block_intervals(structure, n_trials, years, np.random.default_rng(years),
                                tables)
    engine = evaluate_block(structure, tables, intervals, n_trials, years)
    if wide and structure.n_processes > 3:
        assert len(tables._rare)  # states with three or more processes down were met
    reference = _brute_force(deployment, outages, intervals, n_trials, years, deployment.sla,
                             scale=tables.ticks_per_minute(years))
    assert sum(reference["downtime"]) > 0
    np.testing.assert_allclose(engine["downtime"], reference["downtime"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(engine["unserved"], reference["unserved"], rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(engine["incidents"], reference["incidents"])
    np.testing.assert_allclose(dense_cause(engine["cause"], n_trials, structure.n_processes),
                               np.array(reference["cause"]), rtol=1e-9, atol=1e-9)
    months = 12 * years
    dense = np.zeros((n_trials, months))
    trial, month, minutes = engine["monthly"]
    dense[trial, month] = minutes
    expected = np.zeros((n_trials, months))
    for t, by_month in enumerate(reference["monthly"]):
        for m, value in by_month.items():
            expected[t, m] = value
    np.testing.assert_allclose(dense, expected, rtol=1e-12, atol=1e-9)
    if deployment.failover.mode == "active-passive":
        # gaps were really exercised: downtime exceeds the gap-free "nothing usable" time
        no_gap = evaluate_block(
            compile_structure(Deployment(deployment.destinations, deployment.endpoints,
                                         deployment.demand_connections,
                                         Failover("active-passive", 0.0,
                                                  deployment.failover.order)), outages),
            kind(structure), intervals, n_trials, years)
        assert engine["downtime"].sum() > no_gap["downtime"].sum()


# ----------------------------------------------------------------------------- properties


def _naive_union(starts, ends, trial_ticks, keep):
    """A Python loop: clip each interval to its trial, merge overlapping and touching ones
    of the same trial, in start order (stable)."""
    merged = []
    for s, e, k in sorted(zip(starts, ends, keep), key=lambda item: item[0]):
        trial = s // trial_ticks
        e = min(e, (trial + 1) * trial_ticks)
        if merged and merged[-1][3] == trial and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e, k, trial])
    return ([m[0] for m in merged], [m[1] for m in merged], [m[2] for m in merged])


@st.composite
def interval_sets(draw):
    """A few trials of a few ticks, and intervals over them: some touching, some running past
    their trial's end (by up to two trials), some empty."""
    trial_ticks = draw(st.integers(1, 12))
    n_trials = draw(st.integers(1, 3))
    span = trial_ticks * n_trials
    n = draw(st.integers(0, 12))
    starts = draw(st.lists(st.integers(0, span - 1), min_size=n, max_size=n))
    lengths = draw(st.lists(st.integers(0, 2 * trial_ticks + 1), min_size=n, max_size=n))
    # touching: some intervals start exactly where an earlier one ends
    for i in range(1, n):
        if draw(st.booleans()) and starts[i - 1] + lengths[i - 1] < span:
            starts[i] = starts[i - 1] + lengths[i - 1]
    ends = [s + length for s, length in zip(starts, lengths)]
    return trial_ticks, n_trials, starts, ends


@PROPERTY
@given(interval_sets())
def test_union_matches_a_python_loop_and_a_tick_array(case):
    trial_ticks, n_trials, starts, ends = case
    order = sorted(range(len(starts)), key=lambda i: starts[i])
    s = np.array([starts[i] for i in order], dtype=np.int64)
    e = np.array([ends[i] for i in order], dtype=np.int64)
    keep = np.arange(s.size)
    got_s, got_e, got_k = union(s, e, trial_ticks, keep)
    want_s, want_e, want_k = _naive_union(s.tolist(), e.tolist(), trial_ticks, keep.tolist())
    assert got_s.tolist() == want_s and got_e.tolist() == want_e and got_k.tolist() == want_k
    # and by meaning: per trial, the ticks covered are those covered by some clipped interval
    ticks_down = np.zeros(n_trials * trial_ticks, dtype=bool)
    for a, b in zip(s.tolist(), e.tolist()):
        ticks_down[a:min(b, (a // trial_ticks + 1) * trial_ticks)] = True
    ticks_merged = np.zeros_like(ticks_down)
    for a, b in zip(got_s.tolist(), got_e.tolist()):
        assert a // trial_ticks == (b - 1) // trial_ticks or b == a  # inside one trial
        ticks_merged[a:b] = True
    np.testing.assert_array_equal(ticks_merged, ticks_down)
    # disjoint and sorted; touching only across a trial boundary
    for (a0, b0), (a1, b1) in zip(zip(got_s, got_e), zip(got_s[1:], got_e[1:])):
        assert b0 < a1 or (b0 == a1 and a1 % trial_ticks == 0)
    # without keep, the same intervals; in any order, the same intervals
    plain = union(s, e, trial_ticks)
    assert len(plain) == 2 and plain[0].tolist() == want_s and plain[1].tolist() == want_e
    shuffled = np.random.default_rng(len(starts)).permutation(s.size)
    any_order = sorted_union(s[shuffled], e[shuffled], trial_ticks)
    assert any_order[0].tolist() == want_s and any_order[1].tolist() == want_e


@st.composite
def disjoint_intervals(draw, limit):
    """Sorted disjoint intervals in [0, limit): consecutive pairs of sorted points (equal
    points give empty and touching intervals)."""
    points = sorted(draw(st.lists(st.integers(0, limit), max_size=12)))
    points = points[:len(points) // 2 * 2]
    return (np.array(points[0::2], dtype=np.int64), np.array(points[1::2], dtype=np.int64))


@PROPERTY
@given(disjoint_intervals(60), st.lists(st.integers(-5, 70), min_size=1, max_size=20))
def test_covered_matches_a_tick_array(intervals, x):
    starts, ends = intervals
    x = np.array(x, dtype=np.int64)
    ticks = np.zeros(80, dtype=np.int64)
    for a, b in zip(starts.tolist(), ends.tolist()):
        ticks[a:b] = 1
    naive = [int(ticks[:max(point, 0)].sum()) for point in x.tolist()]
    assert covered(x, starts, ends).tolist() == naive


@st.composite
def yearly_down_intervals(draw):
    """Sorted disjoint non-empty down intervals over one or two trials of one or two years, at
    1 or 2 ticks per minute, with ends often on month edges or one tick before one."""
    years = draw(st.integers(1, 2))
    scale = draw(st.sampled_from([1, 2]))
    n_trials = draw(st.integers(1, 2))
    trial_ticks = years * MINUTES_PER_YEAR * scale
    edges = (month_edges_minutes(years) * scale).astype(np.int64).tolist()
    point = st.one_of(st.integers(0, trial_ticks), st.sampled_from(edges),
                      st.sampled_from(edges).map(lambda v: max(v - 1, 0)))
    starts, ends = [], []
    for trial in range(n_trials):
        points = sorted(set(draw(st.lists(point, max_size=8))))
        points = points[:len(points) // 2 * 2]
        pairs = list(zip(points[0::2], points[1::2]))  # non-empty, as the engine's are
        starts += [trial * trial_ticks + a for a, _ in pairs]  # each inside its trial
        ends += [trial * trial_ticks + b for _, b in pairs]
    return years, scale, n_trials, np.array(starts, np.int64), np.array(ends, np.int64)


@PROPERTY
@given(yearly_down_intervals())
def test_monthly_split_matches_per_tick_accumulation(case):
    years, scale, n_trials, starts, ends = case
    trial_ticks = years * MINUTES_PER_YEAR * scale
    trial = starts // trial_ticks
    got_trial, got_month, got_minutes = monthly(starts, ends, trial, trial_ticks, scale, years)
    months = 12 * years
    pairs = got_trial * months + got_month
    assert np.all(np.diff(pairs) > 0)  # each (trial, month) once, in order
    assert np.all((got_trial >= 0) & (got_trial < n_trials))
    assert np.all((got_month >= 0) & (got_month < months))
    assert np.all(got_minutes > 0)  # only the months that have downtime
    got = np.zeros((n_trials, months))
    got[got_trial, got_month] = got_minutes
    # naive: mark every tick down, then add up each month's ticks
    down = np.zeros(n_trials * trial_ticks, dtype=np.int64)
    for a, b in zip(starts.tolist(), ends.tolist()):
        down[a:b] += 1
    edges = (month_edges_minutes(years) * scale).astype(np.int64)
    per_trial = down.reshape(n_trials, trial_ticks).cumsum(axis=1)
    per_trial = np.concatenate([np.zeros((n_trials, 1), np.int64), per_trial], axis=1)
    want = np.diff(per_trial[:, edges], axis=1) / scale
    np.testing.assert_array_equal(got, want)
    assert got.sum() == pytest.approx((ends - starts).sum() / scale)


class _RecordingLaw:
    """A delay law that remembers what it drew (so the brute force can replay it)."""

    def __init__(self, law):
        self.law, self.drawn = law, []
        self.mean_minutes = law.mean_minutes

    def sample(self, rng, n):
        values = self.law.sample(rng, n)
        self.drawn.extend(values.tolist())
        return values


TIE_CASES = dict(BRUTE_CASES, **{
    "active-passive-eight-long-delay": (
        many_regions_active_passive(8, delay=3000.0),
        OutageModel(2.5, {"law": "exponential", "mean_hours": 30})),
})


@pytest.mark.parametrize("seed", sweep(range(28), 2))
@pytest.mark.parametrize("wide", [False, True], ids=["masks", "sets"])
def test_engine_matches_brute_force_when_events_share_ticks(seed, wide):
    """Outages on a coarse grid (a fortieth of a trial), so that starts and ends of several
    processes often fall on one tick, some outages last zero ticks, and failovers, failbacks
    and month edges coincide: downtime, unserved time, incidents, causes and months equal the
    event loop's, on both state representations."""
    rng = np.random.default_rng(seed)
    name = list(TIE_CASES)[seed % len(TIE_CASES)]
    deployment, outages = TIE_CASES[name]
    structure = compile_structure(deployment, outages)
    tables = (WideTables if wide else Tables)(structure)
    n_trials, grid = 3, 40
    scale = tables.ticks_per_minute(1)
    T = MINUTES_PER_YEAR * scale
    unit = T // grid
    intervals = []
    for _ in range(structure.n_processes):
        count = rng.integers(0, 8)
        starts = np.sort(rng.integers(0, grid * n_trials, count))
        lengths = rng.integers(0, grid, count)  # zero: shorter than half a tick
        intervals.append(union(starts * unit, (starts + lengths) * unit, T))
    engine = evaluate_block(structure, tables, intervals, n_trials, 1)
    reference = _brute_force(deployment, outages, intervals, n_trials, 1, deployment.sla,
                             scale=scale)
    np.testing.assert_allclose(engine["downtime"], reference["downtime"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(engine["unserved"], reference["unserved"], rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(engine["incidents"], reference["incidents"])
    np.testing.assert_allclose(dense_cause(engine["cause"], n_trials, structure.n_processes),
                               np.array(reference["cause"]), rtol=1e-9, atol=1e-9)
    dense = np.zeros((n_trials, 12))
    trial, month, minutes = engine["monthly"]
    dense[trial, month] = minutes
    expected = np.zeros((n_trials, 12))
    for t, by_month in enumerate(reference["monthly"]):
        for m, value in by_month.items():
            expected[t, m] = value
    np.testing.assert_allclose(dense, expected, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("spec", [
    {"law": "lognormal", "median_minutes": 20, "p95_minutes": 600},
    {"law": "exponential", "mean_hours": 3},
    {"law": "empirical", "minutes": [1, 30, 2_000]},
])
@pytest.mark.parametrize("years", sweep([1, 2], 2))  # two-year trials: the slow tier
@pytest.mark.parametrize("wide", [False, True], ids=["masks", "sets"])
def test_random_failover_delays_match_the_brute_force_event_loop(spec, years, wide):
    """One random delay per failover, drawn in time order: the engine's gaps, downtime,
    unserved time, incidents, months and causes equal an event loop fed the same delays."""
    from plcapacity.availability.deployment import delay_law
    deployment, outages = three_regions_active_passive(delay=0.0), GROUPED
    structure = compile_structure(deployment, outages)
    n_trials = 200
    rng = np.random.default_rng(100 + years)
    tables = (WideTables if wide else Tables)(structure)
    intervals = block_intervals(structure, n_trials, years, rng, tables)
    law = _RecordingLaw(delay_law(spec))
    engine = evaluate_block(structure, tables, intervals, n_trials, years, delay=law, rng=rng)
    assert len(law.drawn) > 50  # failovers happened
    reference = _brute_force(deployment, outages, intervals, n_trials, years, deployment.sla,
                             delays=law.drawn, scale=tables.ticks_per_minute(years))
    np.testing.assert_allclose(engine["downtime"], reference["downtime"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(engine["unserved"], reference["unserved"], rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(engine["incidents"], reference["incidents"])
    np.testing.assert_allclose(dense_cause(engine["cause"], n_trials, structure.n_processes),
                               np.array(reference["cause"]), rtol=1e-9, atol=1e-9)
    no_gap = evaluate_block(structure, tables, intervals, n_trials, years)
    assert engine["downtime"].sum() > no_gap["downtime"].sum()  # the gaps count


def test_dense_cause_adds_as_numpy_add_at():
    """Per-trial causes by one bincount per process: the same sums, bit for bit, as adding
    every contribution in order with np.add.at."""
    rng = np.random.default_rng(0)
    trial = rng.integers(0, 300, 20_000)
    process = rng.integers(0, 3, 20_000)
    minutes = rng.standard_exponential(20_000) * 1e3
    expected = np.zeros((300, 3))
    np.add.at(expected, (trial, process), minutes)
    np.testing.assert_array_equal(dense_cause((trial, process, minutes), 300, 3), expected)
    empty = np.empty(0, np.int64)
    assert dense_cause((empty, empty, np.empty(0)), 4, 3).tolist() == [[0.0] * 3] * 4


@pytest.mark.parametrize("years", [1, 1000])
def test_heavy_tailed_durations_cannot_overflow_the_tick_axis(years):
    """A generalized Pareto law of shape 0.95 draws durations far beyond int64 ticks now and
    then (above all the residual ones at a trial's start): they are cut at a trial before
    becoming integers, so every interval is non-empty and inside its trial."""
    law = {"law": "gpd", "shape": 0.95, "scale_hours": 400}
    outages = OutageModel(0.5, law)
    structure = compile_structure(two_regions_shared_destination(), outages)
    for tables in (Tables(structure), WideTables(structure)):
        scale = tables.ticks_per_minute(years)
        trial_ticks = years * MINUTES_PER_YEAR * scale
        n_trials = 2_000
        intervals = block_intervals(structure, n_trials, years, np.random.default_rng(0), tables)
        for k in range(structure.n_processes):
            starts, ends = intervals.of(k)
            assert starts.size > 0
            assert np.all(ends > starts)
            assert np.all(ends <= (starts // trial_ticks + 1) * trial_ticks)
            assert np.all((starts >= 0) & (ends <= n_trials * trial_ticks))


def test_three_keys_on_one_tick_make_one_failover():
    """At one tick the first endpoint's region goes down, the third's comes back and the
    second's goes down: the active endpoint passes from the first to the third once (one
    random delay, blamed on the first's region), however the tick's keys sort. (A fix-up
    that stopped early saw two failovers here.)"""
    from plcapacity.availability.deployment import delay_law
    regions = ["centralus", "westus", "eastus"]  # processes: centralus 0, eastus 1, westus 2
    deployment = Deployment(tuple(Destination(f"p{i}", r, 1e6) for i, r in enumerate(regions)),
                            tuple(Endpoint(f"e{i}", r, f"p{i}") for i, r in enumerate(regions)),
                            failover=Failover("active-passive", 30.0, ("e0", "e1", "e2")))
    structure = compile_structure(deployment, OutageModel(1.0, {"law": "fixed", "hours": 1}))
    for tables in (Tables(structure), WideTables(structure)):
        M = tables.ticks_per_minute(1)
        T0 = 1000 * M
        intervals = [(np.array([T0]), np.array([T0 + 600 * M])),      # e0's region down
                     (np.array([T0 - 100 * M]), np.array([T0])),       # e2's region back
                     (np.array([T0]), np.array([T0 + 300 * M]))]       # e1's region down
        law = _RecordingLaw(delay_law({"law": "exponential", "mean_hours": 1}))
        out = evaluate_block(structure, tables, intervals, 1, 1, delay=law,
                             rng=np.random.default_rng(0))
        assert len(law.drawn) == 1
        gap = min(law.drawn[0], 600.0)
        np.testing.assert_allclose(out["downtime"], [gap], rtol=1e-6)
        np.testing.assert_allclose(dense_cause(out["cause"], 1, 3), [[gap, 0.0, 0.0]], rtol=1e-6)
