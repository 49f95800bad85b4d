"""plan: the cheapest deployment meeting an objective, checked against a brute force over every
region set, loss count and per-region configuration, with availability enumerated here."""

import itertools
import math

import matplotlib
import numpy as np
import pytest

import plcapacity as plc
from plcapacity.base.exceptions import InfeasibleDemandError
from plcapacity.capacity.sizing import zone_vms

matplotlib.use("Agg")

PORTS, NIC = 64_000, 500_000          # data/azure_limits.csv
PE_HOUR, HOURS = 0.01, 730            # data/pricing.csv
YEAR_H = 365 * 24

RATES = {"eastus": 2.0, "westus2": 1.0, "northeurope": 3.0}
HOURS_DOWN = 6.0
GROUP = ("eastus", "westus2")
GROUP_RATE = 0.5


def model():
    return plc.OutageModel(
        1.0, {"law": "fixed", "hours": HOURS_DOWN},
        regions={r: {"rate_per_year": rate} for r, rate in RATES.items()},
        groups=[plc.OutageGroup("us", GROUP, GROUP_RATE, {"law": "fixed", "hours": HOURS_DOWN})])


def q(rate):
    """M/G/inf: a process is down 1 - exp(-rate E[D]) of the time."""
    return 1 - math.exp(-rate * HOURS_DOWN / YEAR_H)


def served_availability(regions, carried, demand):
    """Enumerate every up/down state of the regions' processes and the group."""
    processes = [(q(RATES[r]), {r}) for r in regions]
    if set(GROUP) & set(regions):
        processes.append((q(GROUP_RATE), set(GROUP)))
    total = 0.0
    for state in itertools.product((0, 1), repeat=len(processes)):
        p, down = 1.0, set()
        for (qk, hits), is_down in zip(processes, state):
            p *= qk if is_down else 1 - qk
            if is_down:
                down |= hits
        up = [r for r in regions if r not in down]
        if up and len(up) * carried >= demand * (1 - 1e-9):
            total += p
    return total


def brute_force(demand, slo, price, failures=1, headroom=0.2):
    """Cheapest (cost, availability) over every region set, regions lost tolerated, VMs and
    NAT IPs per region (one PLS, one endpoint per region), meeting the objective."""
    best = (math.inf, None)
    names = list(RATES)
    for k in range(1, len(names) + 1):
        for regions in itertools.combinations(names, k):
            for lost in range(k):
                need = math.ceil(demand * (1 + headroom) / (k - lost))
                for vms in range(failures + 1, 60):
                    for nat in range(1, 9):
                        after = min(nat * (vms - failures) * PORTS, (vms - failures) * NIC)
                        if after < need:
                            continue
                        cost = k * (vms * price + PE_HOUR) * HOURS
                        if cost > best[0]:
                            continue
                        carried = min(nat * vms * PORTS, vms * NIC)
                        a = served_availability(regions, carried, demand)
                        if a >= slo / 100 and (cost < best[0] or a > best[1]):
                            best = (cost, a)
    return best


@pytest.mark.parametrize("demand, slo", [(2_000_000, 99.99), (700_000, 99.999),
                                         (2_000_000, 99.9), (5_000_000, 99.995)])
def test_plan_finds_the_brute_force_cheapest(demand, slo):
    price = 0.1
    p = plc.plan(demand, regions=list(RATES), slo_percent=slo, outages=model(),
                 vm_hourly_usd=price)
    cost, availability = brute_force(demand, slo, price)
    assert p.best is not None
    assert p.best["total_monthly_cost_usd"] == pytest.approx(cost, rel=1e-12)
    assert p.best["served_availability"] >= slo / 100
    # the plan's own figure for its deployment, enumerated independently
    regions = p.best["regions"].split(";")
    vms, nat = int(p.best["backend_vms"]), int(p.best["nat_ips"])
    carried = min(nat * vms * PORTS, vms * NIC)
    assert p.best["served_availability"] == pytest.approx(
        served_availability(regions, carried, demand), abs=1e-13)


def test_frontier_rows_are_distinct_and_undominated():
    p = plc.plan(2_000_000, regions=list(RATES), slo_percent=99.99, outages=model(),
                 vm_hourly_usd=0.1)
    cost = p.table["total_monthly_cost_usd"].to_numpy()
    avail = p.table["served_availability"].to_numpy()
    assert np.all(np.diff(cost) > 0) and np.all(np.diff(avail) > 0)
    assert p.candidates == sum(k * math.comb(3, k) for k in range(1, 4))
    # one endpoint per region: never more PLSs than endpoints
    assert (p.table["pls_count"].astype(int) <= 1).all()


def test_to_toml_round_trips(tmp_path):
    p = plc.plan(2_000_000, regions="eastus, northeurope", slo_percent=99.99,
                 new_connections_per_s=2_000, outages=model(), vm_hourly_usd=0.1)
    path = tmp_path / "plan.toml"
    path.write_text(p.to_toml())
    deployment, outages = plc.load_deployment(path)
    again = plc.exact_summary(deployment, outages)
    assert again["served_availability"] == pytest.approx(p.best["served_availability"],
                                                         abs=1e-14)
    assert deployment.demand == p.demand
    assert [d.region for d in deployment.destinations] == p.best["regions"].split(";")
    original, _ = p.deployment()
    assert deployment.destinations == original.destinations


def test_growth_and_churn_size_for_the_horizon():
    p = plc.plan(1_000_000, regions="northeurope", slo_percent=90, growth_per_year=0.5,
                 horizon_years=2, new_connections_per_s=1_000, port_hold_s=60,
                 outages=model(), vm_hourly_usd=0.1)
    assert p.demand.connections == pytest.approx(2_250_000)
    assert p.demand.new_connections_per_s == pytest.approx(2_250)
    # 2,250,000 x 1.2 = 2,700,000 connections: 6 VMs of 500,000, plus one failure tolerated
    assert int(p.best["backend_vms"]) == 7


def test_objective_out_of_reach_says_what_limits_it():
    p = plc.plan(1_000_000, regions="eastus,westus2", slo_percent=99.99999, outages=model(),
                 vm_hourly_usd=0.1)
    assert p.best is None
    assert "no candidate reaches 99.99999 %" in p.shortfall
    assert "limited by the outage model" in p.shortfall
    with pytest.raises(ValueError, match="no deployment meets the objective"):
        p.to_toml()


def test_infeasible_demand_names_the_limits():
    with pytest.raises(InfeasibleDemandError, match="no set of the regions eastus"):
        plc.plan(1e13, regions="eastus", outages=model())


def test_month_risk_is_simulated_for_finalists():
    p = plc.plan(2_000_000, regions=list(RATES), slo_percent=99.9, max_month_risk=0.05,
                 outages=model(), vm_hourly_usd=0.1, trials=2_000, seed=4)
    best = p.best
    assert best["method"] == "simulated"
    assert best["p_month_below_slo_ci_high"] <= 0.05
    # rows not simulated cannot be said to meet a month-risk cap
    assert not p.table.loc[p.table["method"] != "simulated", "meets_objective"].any()


def test_month_risk_bound_is_the_simulations_own():
    """The finalist's bound is what simulate reports for its deployment (trials, not months,
    as independent draws): recomputed here from a simulation of the plan's own deployment
    with the same trials and seed, and never below the Clopper-Pearson bound of the same
    months counted as if every month were an independent draw."""
    from scipy.stats import beta
    p = plc.plan(2_000_000, regions=list(RATES), slo_percent=99.9, max_month_risk=0.05,
                 outages=model(), vm_hourly_usd=0.1, trials=2_000, seed=4)
    row = p.table[p.table["method"] == "simulated"].index[0]
    deployment, outages = p.deployment(row)
    again = plc.simulate(deployment, outages, trials=2_000, seed=4, progress=False)
    assert p.table.at[row, "p_month_below_slo_ci_high"] == again.p_month_below_slo_ci[1]
    months = round(again.p_month_below_slo * 2_000 * 12)
    as_if_independent = beta.ppf(0.975, months + 1, 2_000 * 12 - months)
    assert again.p_month_below_slo_ci[1] >= as_if_independent * (1 - 1e-9)


def test_active_passive_finalists_include_failover_gaps():
    p = plc.plan(500_000, regions="eastus,northeurope", slo_percent=99.9,
                 failover="active-passive", outages=model(), vm_hourly_usd=0.1,
                 trials=4_000, seed=2)
    simulated = p.table[p.table["method"] == "simulated"]
    assert len(simulated) >= 1
    row = simulated.iloc[0]
    assert row["served_availability_ci_low"] <= row["served_availability"] \
        <= row["served_availability_ci_high"]
    assert any("failover delay" in a for a in p.assumptions)


@pytest.mark.parametrize("kwargs, match", [
    (dict(regions=""), "regions is empty"),
    (dict(regions="eastus,eastus"), "listed twice"),
    (dict(regions="eastus,mars"), "unknown region 'mars'"),
    (dict(regions=",".join(plc.regions.region_names()[:11])), "at most 10"),
    (dict(regions="eastus", failover="sideways"), "failover='sideways' is not allowed"),
    (dict(regions="eastus", max_month_risk=2), "max_month_risk=2 is not allowed"),
    (dict(regions="eastus", outages=3), "outages=3 is not allowed"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plc.plan(1_000, **kwargs)


def test_plot_draws_the_frontier():
    p = plc.plan(2_000_000, regions=list(RATES), slo_percent=99.99, outages=model(),
                 vm_hourly_usd=0.1)
    ax = p.plot()
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == len(p.table)
    assert ax.get_yscale() == "log"


@pytest.mark.parametrize("kwargs, match", [
    (dict(connections=7e250), r"carries 7\.000e\+250 connections"),
    (dict(connections=3e6, growth_per_year=40, horizon_years=90), r"carries \d\.\d{3}e\+\d+ "),
    (dict(connections=3e6, trials=5e12), r"trials=5000000000000(\.0)? is not allowed"),
    (dict(connections=3e6, slo_percent=100), "slo_percent=100 is not allowed"),
    (dict(connections=3e6, vm_hourly_usd=7e300), "vm_hourly_usd=7e\\+300 is not allowed"),
    (dict(connections=3e6, new_connections_per_s=1e200, port_hold_s=1e200), "overflows"),
])
def test_numbers_past_the_arithmetic_are_refused_in_one_short_line(kwargs, match):
    connections = kwargs.pop("connections")
    with pytest.raises(ValueError, match=match) as info:
        plc.plan(connections, regions="northeurope", outages=model(), **kwargs)
    assert len(str(info.value)) < 800


def test_zones_where_regions_have_them():
    zoned = plc.regions.region_catalog().loc["eastus", "availability_zones"]
    plain = plc.regions.region_catalog().loc["westus", "availability_zones"]
    assert zoned and not plain
    p = plc.plan(1_200_000, regions="eastus,westus", zones=3, zone_failures_tolerated=1,
                 slo_percent=50, outages=plc.OutageModel(1.0, {"law": "fixed", "hours": 4}),
                 vm_hourly_usd=0.1, regions_lost_tolerated=0)
    row = p.table[p.table["region_count"] == 2].iloc[0]
    assert row["zones"] == "3;0"
    deployment, _ = p.deployment(int(row.name))
    east, west = deployment.destinations
    assert east.zones == (1, 2, 3) and west.zones == ()
    # eastus: 600,000 x 1.2 = 720,000 connections after a zone and a VM are lost: 2 VMs of
    # 500,000 must survive, plus one failure, with a zone of them lost (zone_vms: 6)
    vms = [int(v) for v in str(row["backend_vms"]).split(";")]
    assert vms[0] == zone_vms(2 + 1, 3, 1) and vms[1] == 3


def test_declared_regions_are_candidates_and_written_back(tmp_path):
    """A DeclaredRegion (what the unknown-region error suggests) is planned with its zones, and
    the deployment file declares it so that it loads back."""
    lab = plc.regions.DeclaredRegion("lab-7", availability_zones=True)
    p = plc.plan(1_000, regions=[lab, "northeurope"], zones=3, slo_percent=50,
                 outages=plc.OutageModel(1.0, {"law": "fixed", "hours": 4}))
    row = p.table.index[p.table["regions"] == "lab-7;northeurope"][0]
    assert p.table.loc[row, "zones"] == 3
    path = tmp_path / "lab.toml"
    path.write_text(p.to_toml(row), encoding="utf-8")
    deployment, _ = plc.load_deployment(path)
    assert [d.zones for d in deployment.destinations] == [(1, 2, 3), (1, 2, 3)]


@pytest.mark.parametrize("regions", [None, 5, ["eastus", 5]])
def test_regions_of_another_type_are_refused_in_one_line(regions):
    with pytest.raises(ValueError, match="regions=.* is not allowed"):
        plc.plan(1_000, regions=regions)


def test_growth_past_a_float_names_the_growth():
    with pytest.raises(ValueError, match=r"growth_per_year=1e\+308 over 1 years"):
        plc.plan(1_000, regions="northeurope", growth_per_year=1e308)


def test_trials_beyond_what_the_search_runs_silently_are_refused():
    """Up to five finalists are simulated inside the search, without a progress bar: 1e9
    trial-years each would run for hours (about 5e-6 s a trial-year here) with nothing shown."""
    from plcapacity.planning.plan import MAX_PLAN_TRIALS
    with pytest.raises(ValueError, match=r"trials=1000000000(\.0)? is not allowed: a whole number "
                                         r"from 1 to 2,000,000 per simulated finalist"):
        plc.plan(1_000, regions="eastus,northeurope", failover="active-passive", trials=1e9)
    assert MAX_PLAN_TRIALS == 2_000_000
