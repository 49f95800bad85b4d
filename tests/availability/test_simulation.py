"""Monte Carlo driver: the simulation against the exact steady state within its confidence
interval, the published cross-check, reproducibility (seeds, chunks, distributed blocks),
argument checks and the names other modules import from here."""

import math
import warnings

import numpy as np
import pytest
from mc_cases import (
    FREQUENT,
    GROUPED,
    active_active_with_group,
    check_against_exact,
    shortfall,
    three_regions_active_passive,
    two_regions_shared_destination,
    undersized_primary_no_delay,
)

import plcapacity as plc
from plcapacity.availability.exact import exact_unavailability
from plcapacity.availability.simulation import BLOCK_TRIALS, seed_sequence, simulate
from plcapacity.availability.structure import compile_structure
from plcapacity.base.exceptions import ModelWarning

# ----------------------------------------------------------------------------- sim vs exact


CASES = {
    "undersized-primary": (undersized_primary_no_delay, FREQUENT, "served"),
    "shared-destination": (two_regions_shared_destination, FREQUENT, "reachable"),
    "correlated-group": (active_active_with_group, GROUPED, "reachable"),
    "served-shortfall": (shortfall, FREQUENT, "served"),
    "lognormal-served": (shortfall, GROUPED, "served"),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_simulation_matches_exact_within_ci(case):
    build, outages, metric = case
    deployment = build()
    result = simulate(deployment, outages, trials=60_000, seed=11)
    exact = exact_unavailability(deployment, outages, metric=metric)
    assert exact > 1e-3  # frequent enough for the comparison to mean something
    if metric == "reachable":
        check_against_exact(result.unavailability, exact, result.ci_half_width / 1.96)
        assert result.ci[0] <= 1 - exact + 4 * result.ci_half_width / 1.96
    else:
        check_against_exact(1 - result.served_availability, exact,
                             result.served_ci_half_width / 1.96)


def test_published_three_region_cross_check():
    """Three independent regions, 1 outage/yr, 4 h fixed; served while 2 of 3 destinations of
    1,000,000 carry a 2,000,000 demand. Exact 3q^2(1-q)+q^3 with q = 1-exp(-4/8760) = 6.25e-7;
    CERN's AvailSim4 reports 6.51e-7 +/- 0.27e-7 from 280,000 simulated years."""
    from plcapacity.availability.deployment import load_deployment
    from plcapacity.base.limits import data_path
    deployment, outages = load_deployment(data_path("examples/three-region-2of3.toml"))
    q = 1 - math.exp(-4 / 8760)
    analytic = 3 * q ** 2 * (1 - q) + q ** 3
    assert exact_unavailability(deployment, outages, metric="served") == pytest.approx(
        analytic, rel=1e-9)
    result = simulate(deployment, outages, trials=1_000_000, seed=2026)
    simulated = 1 - result.served_availability
    se = result.served_ci_half_width / 1.96
    check_against_exact(simulated, analytic, se)
    # compatible with AvailSim4's figure within the combined uncertainty
    assert abs(simulated - 6.51e-7) <= 3 * math.hypot(se, 0.27e-7)


# ----------------------------------------------------------------------------- reproducibility


def test_bit_identical_whatever_the_chunk_size():
    deployment, outages = three_regions_active_passive(), GROUPED
    runs = [simulate(deployment, outages, trials=70_000, seed=9, chunk_size=c)
            for c in (None, 1, 100_000, 10 ** 7)]
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0].downtime_min, other.downtime_min)
        assert runs[0].availability == other.availability
        assert runs[0].summary().equals(other.summary())


def test_seed_forms_and_unseeded_runs_are_reproducible():
    deployment = two_regions_shared_destination()
    a = simulate(deployment, FREQUENT, trials=2_000, seed=3)
    b = simulate(deployment, FREQUENT, trials=2_000, seed=np.random.SeedSequence(3))
    np.testing.assert_array_equal(a.downtime_min, b.downtime_min)
    c = simulate(deployment, FREQUENT, trials=2_000)
    d = simulate(deployment, FREQUENT, trials=2_000, seed=c.seed_entropy)
    np.testing.assert_array_equal(c.downtime_min, d.downtime_min)
    e = simulate(deployment, FREQUENT, trials=2_000, seed=4)
    assert not np.array_equal(a.downtime_min, e.downtime_min)


def test_target_rel_ci_keeps_going_until_reached():
    deployment = two_regions_shared_destination()
    result = simulate(deployment, FREQUENT, trials=2_000, seed=1, target_rel_ci=0.005)
    assert result.trials_run > 2_000
    assert result.ci_half_width <= 0.005 * result.unavailability


@pytest.mark.parametrize("kwargs, message", [
    (dict(trials=0), "trials=0 is not allowed"),
    (dict(trials=10, years=0.5), "years=0.5 is not allowed: a whole number"),
    (dict(trials=10, seed=-1), "seed=-1 is not allowed"),
    (dict(trials=10, target_rel_ci=2), "target_rel_ci=2 is not allowed"),
])
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate(two_regions_shared_destination(), FREQUENT, **kwargs)


def test_progress_bar_on_request(capsys):
    simulate(two_regions_shared_destination(), FREQUENT, trials=2 * BLOCK_TRIALS, seed=1,
             progress=True)
    err = capsys.readouterr().err
    assert "simulating" in err and "131k" in err.replace("131,072", "131k")


def test_no_progress_bar_for_short_runs(capsys):
    simulate(two_regions_shared_destination(), FREQUENT, trials=1_000, seed=1)
    assert capsys.readouterr().err == ""


def test_distributed_block_summaries_equal_a_local_run():
    """Blocks simulated separately (as workers would) and combined give the same numbers."""
    from plcapacity.availability.simulation import (
        block_summaries,
        blocks_for,
        result_from_summaries,
    )
    deployment, outages = three_regions_active_passive(), GROUPED
    trials = 2 * BLOCK_TRIALS + 100
    local = simulate(deployment, outages, trials=trials, seed=21, keep_trials=False)
    root = seed_sequence(21)
    blocks = blocks_for(trials)
    parts = [block_summaries(deployment, outages, years=1, seed=root, blocks=[b])
             for b in reversed(blocks)]  # any order, any grouping
    combined = result_from_summaries(deployment, outages, [s for part in parts for s in part],
                                     years=1, seed=root)
    assert combined.summary().equals(local.summary())
    assert combined.availability == local.availability


def test_seed_forms_agree():
    """int, SeedSequence, Generator and a result's entropy are all accepted seeds; the
    Generator form draws its root from the generator."""
    deployment = two_regions_shared_destination()
    a = simulate(deployment, FREQUENT, trials=500, seed=np.random.default_rng(5))
    b = simulate(deployment, FREQUENT, trials=500, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(a.downtime_min, b.downtime_min)
    c = simulate(deployment, FREQUENT, trials=500, seed=a.seed_entropy)
    np.testing.assert_array_equal(a.downtime_min, c.downtime_min)
    assert seed_sequence(7).entropy == 7
    with pytest.raises(ValueError, match="seed=True is not allowed"):
        seed_sequence(True)


def test_old_module_name_is_the_new_module_with_a_deprecation_warning():
    """plcapacity 0.1's ``plcapacity.montecarlo`` is ``plcapacity.availability.simulation``."""
    import importlib
    import sys

    from plcapacity.availability import simulation
    sys.modules.pop("plcapacity.montecarlo", None)
    with pytest.warns(DeprecationWarning, match="plcapacity.montecarlo is deprecated since "
                      "0.2.0 and will be removed in 0.3.0; use "
                      "plcapacity.availability.simulation instead"):
        old = importlib.import_module("plcapacity.montecarlo")
    assert old is simulation
    assert set(simulation.__all__) <= set(dir(simulation))
    with pytest.raises(AttributeError):
        simulation.no_such_name


# ----------------------------------------------------------------------------- memory budget


def test_same_numbers_whatever_the_memory_budget():
    """A block of this model needs far more than 64 MiB at once; the run is drawn in
    sub-blocks set by the model, so every budget gives the same numbers."""
    from plcapacity.availability.budget import simulation_bytes, sub_block_trials
    from plcapacity.availability.structure import compile_structure
    deployment, outages = shortfall(), FREQUENT
    processes = compile_structure(deployment, outages).processes
    assert simulation_bytes(processes, 1, BLOCK_TRIALS) > 64 << 20
    assert sub_block_trials(processes, 1) < BLOCK_TRIALS
    runs = [simulate(deployment, outages, trials=BLOCK_TRIALS + 5_000, seed=17,
                     max_memory_bytes=budget) for budget in (64 << 20, 256 << 20)]
    runs.append(simulate(deployment, outages, trials=BLOCK_TRIALS + 5_000, seed=17))
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0].downtime_min, other.downtime_min)
        assert runs[0].summary().equals(other.summary())


def _traced_simulation(deployment, outages, trials, budget):
    """A simulation within ``budget`` bytes, and its peak traced memory (tracemalloc sees
    numpy's buffers). [bytes]"""
    import tracemalloc
    tracemalloc.start()
    try:
        result = simulate(deployment, outages, trials=trials, seed=5, max_memory_bytes=budget,
                          keep_trials=False)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_peak_memory_stays_within_the_budget_on_a_heavy_model():
    """1,000 outages a year in each of two regions: a whole block would need gigabytes; the
    run stays within a 64 MiB budget (tracemalloc sees numpy's buffers) and still agrees
    with the exact answer."""

    from plcapacity.availability.budget import simulation_bytes
    from plcapacity.availability.structure import compile_structure
    from plcapacity.outages.processes import OutageModel
    deployment = two_regions_shared_destination()
    outages = OutageModel(1_000.0, {"law": "exponential", "mean_hours": 0.5})
    processes = compile_structure(deployment, outages).processes
    budget = 64 << 20
    assert simulation_bytes(processes, 1, BLOCK_TRIALS) > 20 * budget
    result, peak = _traced_simulation(deployment, outages, 1_500, budget)
    assert peak <= budget, peak
    exact = exact_unavailability(deployment, outages, metric="reachable")
    check_against_exact(result.unavailability, exact, result.ci_half_width / 1.96)


def test_only_a_trial_that_cannot_fit_is_refused():
    from plcapacity.outages.processes import OutageModel
    huge = OutageModel(1e8, {"law": "fixed", "hours": 0.001})  # 2e8 outages in one trial
    with pytest.raises(ValueError, match=r"one trial would need .* GiB .*rate_per_year=1e\+08"):
        simulate(two_regions_shared_destination(), huge, trials=10, seed=1)
    with pytest.raises(ValueError, match="max_memory_bytes=1000 is not allowed: at least"):
        simulate(two_regions_shared_destination(), FREQUENT, trials=10, max_memory_bytes=1000)


# ----------------------------------------------------------------------------- target metric


def _rare_reachable_common_unserved():
    """Both regions must be up to serve the demand (served unavailability ~ 2q, q ~ 4.6e-4),
    but the service is unreachable only while both are down (~ q**2)."""
    from plcapacity.outages.processes import OutageModel
    return shortfall(), OutageModel(1.0, {"law": "fixed", "hours": 4})


def test_target_rel_ci_targets_served_by_default_with_a_demand():
    from plcapacity.availability.results import mean_ci
    from plcapacity.availability.simulation import TARGET_METRICS
    deployment, outages = _rare_reachable_common_unserved()
    assert exact_unavailability(deployment, outages, metric="reachable") < 1e-6
    assert exact_unavailability(deployment, outages, metric="served") > 5e-4
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "not reached" warning: served was the question
        result = simulate(deployment, outages, trials=20_000, seed=3, target_rel_ci=0.1)
    assert result.trials_run < 100 * 20_000
    assert result.served_ci_half_width <= 0.1 * (1 - result.served_availability)
    # asked for the reachable figure, the same run cannot reach it and says so
    with pytest.warns(ModelWarning, match=r"target_rel_ci=0.1 \(reachable\) not reached"):
        simulate(deployment, outages, trials=20_000, seed=3, target_rel_ci=0.1,
                 target_metric="reachable", max_trials=60_000)
    monthly = simulate(deployment, outages, trials=20_000, seed=3, target_rel_ci=0.2,
                       target_metric="p_month_below_slo")
    total, square = TARGET_METRICS["p_month_below_slo"]
    mean, half = mean_ci(monthly._acc.total(total), monthly._acc.total(square),
                         monthly.trials_run)
    assert mean > 0 and half <= 0.2 * mean
    assert monthly.summary()["p_month_below_slo"] == pytest.approx(mean / 12)
    with pytest.raises(ValueError, match="target_metric='downtime' is not allowed"):
        simulate(deployment, outages, trials=10, target_rel_ci=0.1, target_metric="downtime")


# ----------------------------------------------------------------------------- failover delays


def _primary_fails_secondary_never(failover):
    from plcapacity.availability.deployment import Deployment, Destination, Endpoint
    from plcapacity.outages.processes import OutageModel
    deployment = Deployment(
        (Destination("pls-e", "eastus", 1e6), Destination("pls-w", "westus", 1e6)),
        (Endpoint("pe-e", "eastus", "pls-e"), Endpoint("pe-w", "westus", "pls-w")),
        failover=failover)
    outages = OutageModel(2.0, {"law": "fixed", "hours": 2},
                          regions={"westus": {"rate_per_year": 0.0}})
    return deployment, outages


def test_exponential_failover_delay_against_its_expected_gap():
    """Primary region down 2 times a year for exactly 2 h, the secondary never: the only
    downtime is the failover gaps, each min(D, time until the primary is back) = min(D, 2 h).
    With D exponential of mean m, E[min(D, L)] = m (1 - exp(-L / m)): downtime per year is
    2 x 60 x (1 - exp(-2)) minutes for m = 1 h. Exact values stay gap-free (zero here)."""
    from plcapacity.availability.deployment import Failover
    deployment, outages = _primary_fails_secondary_never(
        Failover("active-passive", delay={"law": "exponential", "mean_minutes": 60}))
    assert deployment.failover.delay_minutes == 60.0
    result = simulate(deployment, outages, trials=20_000, seed=12)
    expected = 2 * 60 * (1 - math.exp(-2)) / (365 * 24 * 60)
    check_against_exact(result.unavailability, expected, result.ci_half_width / 1.96)
    assert result.exact == 0.0
    assert "exact values exclude failover gaps" in result.note
    # a fixed 60-minute delay gives every gap 60 minutes: a different, larger figure
    fixed = simulate(_primary_fails_secondary_never(Failover("active-passive", 60.0))[0],
                     outages, trials=20_000, seed=12)
    check_against_exact(fixed.unavailability, 2 * 60 / (365 * 24 * 60),
                        fixed.ci_half_width / 1.96)
    assert fixed.unavailability > result.unavailability + 4 * result.ci_half_width / 1.96


def test_fixed_delay_law_gives_the_numbers_of_delay_minutes():
    from plcapacity.availability.deployment import Deployment, Failover
    base = three_regions_active_passive(delay=30.0)
    as_law = Deployment(base.destinations, base.endpoints, base.demand_connections,
                        Failover("active-passive", order=base.failover.order,
                                 delay={"law": "fixed", "minutes": 30}))
    a = simulate(base, GROUPED, trials=5_000, seed=4)
    b = simulate(as_law, GROUPED, trials=5_000, seed=4)
    np.testing.assert_array_equal(a.downtime_min, b.downtime_min)
    assert a.summary().equals(b.summary())


def test_random_delays_are_reproducible_and_consistent_with_distributed_blocks():
    from plcapacity.availability.deployment import Deployment, Failover
    from plcapacity.availability.simulation import (
        block_summaries,
        blocks_for,
        result_from_summaries,
    )
    base = three_regions_active_passive()
    deployment = Deployment(base.destinations, base.endpoints, base.demand_connections,
                            Failover("active-passive", order=base.failover.order,
                                     delay={"law": "lognormal", "median_minutes": 10,
                                            "p95_minutes": 120}))
    trials = BLOCK_TRIALS + 300
    local = simulate(deployment, GROUPED, trials=trials, seed=8, keep_trials=False)
    again = simulate(deployment, GROUPED, trials=trials, seed=8, chunk_size=1,
                     max_memory_bytes=64 << 20, keep_trials=False)
    assert local.summary().equals(again.summary())
    root = seed_sequence(8)
    summaries = block_summaries(deployment, GROUPED, years=1, seed=root,
                                blocks=blocks_for(trials))
    combined = result_from_summaries(deployment, GROUPED, summaries, years=1, seed=root)
    assert combined.summary().equals(local.summary())


def test_runs_that_would_draw_too_many_outages_are_refused_before_drawing():
    from meters import EngineMeter

    from plcapacity.availability.budget import MAX_EXPECTED_OUTAGES
    deployment = plc.regional_deployment("s", "eastus")
    busy = plc.OutageModel(1e6, {"law": "fixed", "hours": 0.001})
    # 1e6 outages a year (plus those running at each start) x 10,000 trials: 1e10 expected
    with EngineMeter() as meter, pytest.raises(
            ValueError, match="would draw about 1e\\+10 outages .*process eastus "
                              "has rate_per_year=1e\\+06"):
        plc.simulate(deployment, busy, trials=10_000, seed=1)
    assert meter.calls == 0  # refused before the first draw
    # just under the bound is allowed to start (checked without running it)
    from plcapacity.availability.budget import check_simulation_work
    check_simulation_work(busy.processes(["eastus"]), 1, int(MAX_EXPECTED_OUTAGES / 1.01e6))


def _sixty_four_processes():
    """55 regions, each with an endpoint to one PLS in the first region, and 9 correlated
    pairs: 64 outage processes. The last, pair-8 (bit 63, int64's sign bit), takes down the
    PLS's region as the region's own process does; pairs 0 to 7 take down endpoint regions
    only (harmless while another endpoint is up)."""
    from plcapacity.base.regions import region_names
    regions = region_names()
    assert len(regions) == 55
    law = {"law": "fixed", "hours": 4}
    pairs = [(regions[2 * i + 1], regions[2 * i + 2]) for i in range(8)]
    pairs.append((regions[0], regions[-1]))
    groups = tuple(plc.OutageGroup(f"pair-{i}", pair, 20.0, law) for i, pair in enumerate(pairs))
    deployment = plc.Deployment((plc.Destination("pls", regions[0], 1e6),),
                                tuple(plc.Endpoint(f"e-{r}", r, "pls") for r in regions))
    return deployment, plc.OutageModel(20.0, law, groups=groups)


def test_sixty_four_processes_agree_with_exact_and_blame_process_63():
    """At the most processes the engine takes, the simulation agrees with the exact
    unavailability, and the process on the sign bit gets its blame: pair-8 takes the PLS's
    region down as often as the region's own process, so both get about half the downtime,
    and pairs 0 to 7 almost none."""
    deployment, outages = _sixty_four_processes()
    structure = compile_structure(deployment, outages)
    assert structure.n_processes == 64 and structure.processes[63].name == "pair-8"
    result = simulate(deployment, outages, trials=4_000, seed=64)
    exact = exact_unavailability(deployment, outages)
    assert exact > 1e-2
    check_against_exact(result.unavailability, exact, result.ci_half_width / 1.96)
    causes = result.causes()
    first = deployment.destinations[0].region  # the PLS's region: its own process
    assert causes.index[:2].tolist() in ([first, "pair-8"], ["pair-8", first])
    assert causes["pair-8"] / causes[first] == pytest.approx(1, abs=0.2)
    assert causes.iloc[2:].sum() < 0.02 * causes.sum()


def test_more_than_256_processes_are_refused_with_the_count():
    """256 processes run (the engine's keys hold 8 bits of process index); 257 are refused."""
    from plcapacity.base.regions import region_names
    deployment, outages = _sixty_four_processes()
    law = {"law": "fixed", "hours": 4}
    regions = region_names()
    pairs = [(a, b) for i, a in enumerate(regions) for b in regions[i + 1:]]
    extra = tuple(plc.OutageGroup(f"extra-{i}", pair, 0.01, law)
                  for i, pair in enumerate(pairs[:193]))  # 64 + 192 = 256, one more: 257
    for more, runs in ((192, True), (193, False)):
        model = plc.OutageModel(20.0, law, groups=outages.groups + extra[:more])
        if runs:
            structure = compile_structure(deployment, model)
            assert structure.n_processes == 256
            result = simulate(deployment, model, trials=64, seed=1)
            assert result.trials_run == 64
        else:
            with pytest.raises(ValueError, match="257 outage processes involved; at most 256"):
                compile_structure(deployment, model)


@pytest.mark.slow  # the rare-state path at 256 processes under tracemalloc: seconds
def test_peak_memory_within_the_budget_at_256_processes_with_many_down():
    """256 processes, each down about 1.6 % of the time (four down at once on average, so
    most states are the rare ones with three or more down): the run stays within a 64 MiB
    budget (the rare states are kept as 64-bit words, unpacked a piece at a time) and agrees
    with the exact answer."""

    from plcapacity.base.regions import region_names
    regions = region_names()
    law = {"law": "fixed", "hours": 24}
    groups = tuple(plc.OutageGroup(f"g{i}", (regions[1 + i % 54], regions[1 + (7 * i + 3) % 54]),
                                   6.0, law) for i in range(201))
    deployment = plc.Deployment((plc.Destination("pls", regions[0], 1e6),),
                                tuple(plc.Endpoint(f"e-{r}", r, "pls") for r in regions))
    outages = plc.OutageModel(6.0, law, groups=groups)
    assert compile_structure(deployment, outages).n_processes == 256
    budget = 64 << 20
    result, peak = _traced_simulation(deployment, outages, 512, budget)
    assert peak <= budget, peak
    # down while the PLS's region is (the groups only take endpoint regions down, and all 54
    # of those down at once is out of reach): the stationary q = 1 - exp(-rate E[D])
    exact = 1 - math.exp(-6.0 * 24 / 8760)
    check_against_exact(result.unavailability, exact, result.ci_half_width / 1.96)


def test_engine_tables_survive_pickling():
    """Tables (and the set-based WideTables above 64 processes) pickle and copy, keeping
    their class and their answers: work may be shipped to other processes."""
    import copy
    import pickle

    from plcapacity.availability.engine import Tables, WideTables
    deployment, outages = _sixty_four_processes()
    wide = plc.OutageModel(20.0, {"law": "fixed", "hours": 4}, groups=outages.groups + (
        plc.OutageGroup("extra", ("eastus", "westus"), 1.0, {"law": "fixed", "hours": 4}),))
    for model, kind in ((outages, Tables), (wide, WideTables)):
        structure = compile_structure(deployment, model)
        tables = Tables(structure)
        assert type(tables) is kind
        for twin in (pickle.loads(pickle.dumps(tables)), copy.copy(tables),
                     copy.deepcopy(tables)):
            assert type(twin) is kind
            np.testing.assert_array_equal(twin.code_of(np.arange(5)), tables.code_of(np.arange(5)))


def test_unserved_all_up_state_and_no_outage_in_a_block():
    """The primary destination cannot hold the demand (unserved with every region up) and a
    block draws no outage at all: every minute is unserved, nothing fails."""
    from mc_cases import undersized_primary
    outages = plc.OutageModel(0.001, {"law": "fixed", "hours": 1})
    result = simulate(undersized_primary(), outages, trials=3, seed=1)
    assert result.trials["unserved_min"].tolist() == [525_600.0] * 3
    assert result.trials["downtime_min"].tolist() == [0.0] * 3


@pytest.mark.parametrize("shape, noted", [(0.3, False), (0.5, True), (0.9, True)])
def test_heavy_tailed_durations_are_noted(shape, noted):
    """From a generalized Pareto shape of 1/2, durations have infinite variance
    (E[D^2] = 2 scale^2 / ((1 - shape)(1 - 2 shape)) diverges) and the normal confidence
    intervals may be too narrow: the result says so."""
    outages = plc.OutageModel(2.0, {"law": "gpd", "shape": shape, "scale_hours": 2})
    result = simulate(two_regions_shared_destination(), outages, trials=200, seed=3)
    assert ("heavy-tailed outage durations" in result.note) is noted
