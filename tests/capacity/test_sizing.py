"""Sizing: the smallest deployments for a demand, one (size) or a table (size_table).

size() is checked against a brute-force search written here; size_table() row by row against
size(), and its per-row errors by hand.
"""

import dataclasses
import math
import pickle
import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

import plcapacity as plc
from plcapacity import CapacityWarning, InfeasibleDemandError
from plcapacity.base.limits import get_limits
from plcapacity.capacity.sizing import SizingOptions, SizingResults

# ----------------------------------------------------------------------------- sizing


def _brute_force_size(concurrent, rate=0, hold=65, headroom="0.2", failures=0, cap=None,
                      endpoints=1, ports=64_000, pool=5000):
    """Naive search, exact in rational arithmetic: for each (pls, nat), try VM counts from 1.
    One private endpoint reaches one PLS, so at most ``endpoints`` PLSs; options another
    option equals or beats on every count (VMs, PLSs, NAT IPs) are left out."""
    h = Fraction(headroom)
    needed = Fraction(str(concurrent)) + Fraction(str(rate)) * Fraction(str(hold))
    required_ports = math.ceil(needed * (1 + h))
    required_connections = math.ceil(Fraction(str(concurrent)) * (1 + h))
    found = []
    for pls in range(1, 9):
        if pls * 1000 < endpoints or pls > endpoints:
            continue
        for nat in range(1, 9):
            for vms in range(failures + 1, pool + 1):
                alive = vms - failures
                ports_ok = pls * nat * alive * ports >= required_ports
                vm_ok = cap is None or alive * cap >= required_connections
                if ports_ok and vm_ok:
                    found.append((vms, pls, nat))
                    break
    found.sort()
    distinct = []
    for i, option in enumerate(found):
        beaten = any(all(a <= b for a, b in zip(other, option)) and (other != option or j < i)
                     for j, other in enumerate(found) if j != i)
        if not beaten:
            distinct.append(option)
    return distinct


SIZING_CASES = {
    "faq-scale": dict(concurrent=5_000_000),
    "churn": dict(concurrent=1_000_000, rate=2_500, hold=65, headroom="0.25"),
    "failures": dict(concurrent=3_000_000, rate=1_000, hold=30, failures=2),
    "vm-cap": dict(concurrent=2_400_000, rate=100, hold=65, failures=1, cap=200_000),
    "many-endpoints": dict(concurrent=800_000, endpoints=2_500, headroom="0.5"),
    "exact-fit": dict(concurrent=512_000, headroom="0"),      # exactly one 8-NAT-IP VM
    "one-over": dict(concurrent=512_001, headroom="0"),
    "float-noise": dict(concurrent=1_000_000, headroom="0.2"),  # 1e6 * 1.2 in binary floats
    "large": dict(concurrent=1_500_000_000, rate=100_000, hold=120, failures=10),
    # 5,406,720,000 x 1.1 = 5,947,392,000 exactly, beyond where binary floats hold 1e-6
    "huge-decimal": dict(concurrent=5_406_720_000, headroom="0.1", endpoints=8),
    "tiny-headroom": dict(concurrent=1, headroom="0.0000001"),
}


@pytest.mark.parametrize("case", SIZING_CASES.values(), ids=SIZING_CASES.keys())
def test_size_matches_brute_force(case):
    expected = _brute_force_size(**case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CapacityWarning)
        table = plc.size(case["concurrent"], new_connections_per_s=case.get("rate", 0),
                         port_hold_s=case.get("hold", 65), headroom=float(case.get("headroom", 0.2)),
                         vm_failures_tolerated=case.get("failures", 0),
                         max_connections_per_vm=case.get("cap"),
                         consumer_endpoints=case.get("endpoints", 1))
    got = list(zip(table.backend_vms, table.pls_count, table.nat_ips))
    assert got == expected
    assert list(table["rank"]) == list(range(1, len(table) + 1))


@pytest.mark.filterwarnings("ignore::plcapacity.base.exceptions.CapacityWarning")
def test_size_columns_are_consistent():
    table = plc.size(1_000_000, new_connections_per_s=2_000, port_hold_s=65, headroom=0.2,
                     vm_failures_tolerated=1, consumer_endpoints=30,
                     max_connections_per_vm=None)  # the nominal formula, no per-VM cap
    best = table.iloc[0]
    needed = 1_000_000 + 2_000 * 65
    assert best.ports_needed == needed
    assert best.required_with_headroom == math.ceil(needed * 1.2)
    assert best.vms_after_failures == best.backend_vms - 1
    assert best.ceiling == best.pls_count * best.nat_ips * best.backend_vms * 64_000
    assert best.ceiling_after_failures >= best.required_with_headroom
    assert best.utilization == pytest.approx(needed / best.ceiling)
    assert best.spare_connections == best.ceiling_after_failures - needed
    # 30 PEs x 0.01 USD/h x 730 h (docs/azure-facts.md, "Prices")
    assert best.pe_monthly_cost_usd == pytest.approx(30 * 0.01 * 730)
    assert table.demand["consumer_endpoints"] == 30


def test_size_vm_cap_binding_and_spare_on_tighter_resource():
    table = plc.size(6_000_000, new_connections_per_s=20_000, port_hold_s=65,
                     vm_failures_tolerated=2, max_connections_per_vm=400_000)
    best = table.iloc[0]
    alive = best.vms_after_failures
    port_capacity = best.pls_count * best.nat_ips * alive * 64_000
    vm_capacity = alive * 400_000
    assert vm_capacity >= 6_000_000 * 1.2 and port_capacity >= 7_300_000 * 1.2
    assert best.utilization_after_failures == pytest.approx(
        max(7_300_000 / port_capacity, 6_000_000 / vm_capacity))
    assert best.spare_connections == min(port_capacity - 7_300_000, vm_capacity - 6_000_000)
    assert set(table.binding_limit) <= {"nat_ports", "vm_connections"}
    assert "vm_connections" in set(table.binding_limit)


def test_size_endpoints_need_enough_pls():
    table = plc.size(100_000, consumer_endpoints=2_001)
    assert table.pls_count.min() == 3


@pytest.mark.filterwarnings("ignore::plcapacity.base.exceptions.CapacityWarning")
def test_size_with_overflow_probability_carries_demand_with_imbalance():
    table = plc.size(2_000_000, overflow_probability=1e-3, vm_failures_tolerated=1,
                     max_connections_per_vm=None)  # ports alone: the bound checked below
    required = math.ceil(2_000_000 * 1.2)
    for row in table.itertuples():
        # after failures, the required load overflows a pool with probability <= 1e-3 ...
        assert plc.overflow_probability(required, row.nat_ips, row.vms_after_failures,
                                        row.pls_count) <= 1e-3
        # ... and one VM fewer would not do.
        if row.vms_after_failures > 1:
            assert plc.overflow_probability(required, row.nat_ips, row.vms_after_failures - 1,
                                            row.pls_count) > 1e-3
        assert row.overflow_probability_after_failures <= 1e-3
    assert "hash_overflow" in set(table.binding_limit)


def _union_bound(ports_in_use, connections, pools, ports, vms, cap):
    """Independent statement of the overflow bound: pools of ports, and VMs of connections."""
    from scipy.stats import binom
    p = pools * binom.sf(ports, ports_in_use, 1 / pools)
    if cap is not None:
        p += vms * binom.sf(cap, connections, 1 / vms)
    return min(p, 1.0)


def test_size_overflow_with_churn_and_vm_cap_counts_ports_and_connections_apart():
    # 1,000,000 open + 10,000/s x 65 s = 1,650,000 ports but only 1,000,000 connections:
    # the per-VM cap applies to connections (1,200,000 with headroom), the pools to ports.
    table = plc.size(1_000_000, new_connections_per_s=10_000, port_hold_s=65,
                     max_connections_per_vm=500_000, overflow_probability=1e-3,
                     consumer_endpoints=8)
    for row in table.itertuples():
        pools = row.pls_count * row.nat_ips * row.vms_after_failures
        assert _union_bound(1_980_000, 1_200_000, pools, 64_000, row.vms_after_failures,
                            500_000) <= 1e-3
        fewer = row.vms_after_failures - 1
        if fewer >= 1:
            pools = row.pls_count * row.nat_ips * fewer
            assert _union_bound(1_980_000, 1_200_000, pools, 64_000, fewer, 500_000) > 1e-3
    # 1.2M connections / 500,000 a VM: no option has fewer than 3 VMs, however many pools
    assert table.backend_vms.min() == 3 and table.iloc[0].backend_vms == 3


def test_size_assumptions_and_overrides_are_reported():
    table = plc.size(10_000, new_connections_per_s=100)
    assert any("port_hold_s=65 s is an assumption" in a for a in table.assumptions)
    table = plc.size(10_000, new_connections_per_s=100, port_hold_s=30, ports_per_nat_ip=65_536)
    assert not any("port_hold_s" in a for a in table.assumptions)
    assert table.overridden == {"ports_per_nat_ip": (64_000, 65_536)}
    assert table.iloc[0].ceiling == 65_536 * table.iloc[0].nat_ips * table.iloc[0].backend_vms


def test_size_applies_the_nic_flow_limit_by_default():
    # 3,000,000 connections x 1.2 headroom = 3.6M: ceil(3.6M / 500,000) = 8 VMs, not 1
    best = plc.size(3_000_000).iloc[0]
    assert (best.backend_vms, best.binding_limit) == (8, "vm_connections")
    assert best.ceiling == 8 * 500_000
    assert plc.size(3_000_000, max_connections_per_vm="nic").table.equals(
        plc.size(3_000_000).table)
    # "no cap" is explicit, and then a warning says what the VM would hold
    # (eight endpoints, so eight PLSs can carry the demand: 8 x 8 NAT IPs x 1 VM)
    with pytest.warns(CapacityWarning, match="above the 500,000 concurrent flows"):
        assert plc.size(3_000_000, max_connections_per_vm=None,
                        consumer_endpoints=8).iloc[0].backend_vms == 1
    with pytest.warns(CapacityWarning, match="above the 500,000 concurrent flows"):
        plc.size(3_000_000, max_connections_per_vm=math.inf, consumer_endpoints=8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CapacityWarning)
        plc.size(3_000_000, max_connections_per_vm=500_000)


def test_single_vm_recommendation_says_it_has_no_redundancy():
    with pytest.warns(CapacityWarning, match="one backend VM: no redundancy"):
        plc.size(10_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CapacityWarning)
        plc.size(10_000, vm_failures_tolerated=1)
    table = plc.size_table(pd.DataFrame({"concurrent_connections": [10_000, 10_000],
                                         "vm_failures_tolerated": [0, 1]}))
    assert "no redundancy" in table.warning[0] and table.warning[1] == ""


@pytest.mark.filterwarnings("ignore::plcapacity.base.exceptions.CapacityWarning")
def test_provider_cost_from_vm_price():
    table = plc.size(3_000_000, vm_hourly_usd=0.5)
    # 8 VMs x 0.5 USD/h x 730 h, PLS at 0 USD/h (pricing.csv), plus 1 PE x 0.01 x 730
    assert table.provider_monthly_cost_usd[0] == pytest.approx(8 * 0.5 * 730)
    assert table.total_monthly_cost_usd[0] == pytest.approx(8 * 0.5 * 730 + 0.01 * 730)
    assert "provider_monthly_cost_usd" not in plc.size(3_000_000)
    rows = plc.size_table(pd.DataFrame({"concurrent_connections": [3_000_000, 3_000_000],
                                        "vm_hourly_usd": [0.5, None]}))
    assert rows.provider_monthly_cost_usd[0] == pytest.approx(8 * 0.5 * 730)
    assert pd.isna(rows.provider_monthly_cost_usd[1])


def test_infeasible_ports_explains_limit_and_shortfall():
    with pytest.raises(InfeasibleDemandError) as info:
        plc.size(20_000_000_000, headroom=0.1, consumer_endpoints=8)
    error = info.value
    assert error.limit == "backend_pool_size"
    assert error.available == 8 * 8 * 5000 * 64_000
    assert error.required == 22_000_000_000
    assert "1,520,000,000 short" in str(error)
    # one endpoint reaches one PLS: 1 x 8 x 5,000 x 64,000 = 2,560,000,000 ports at most
    with pytest.raises(InfeasibleDemandError) as info:
        plc.size(20_000_000_000, headroom=0.1)
    assert info.value.available == 8 * 5000 * 64_000
    assert ("1 PLS (one per consumer endpoint: consumer_endpoints=1) x 8 NAT IPs"
            in str(info.value)) and "19,440,000,000 short" in str(info.value)


@pytest.mark.parametrize("demand, ports_short, connections_short", [
    (30e9, "15,520,000,000 short", "33,500,000,000 short"),
    (20e9, "3,520,000,000 short", "21,500,000,000 short"),
])
def test_infeasibility_names_every_limit_that_falls_short(demand, ports_short,
                                                          connections_short):
    # 8 endpoints: 8 x 8 x 5,000 x 64,000 = 20,480,000,000 ports; the NIC's 500,000
    # connections x 5,000 VMs = 2,500,000,000 connections; both short of demand x 1.2
    with pytest.raises(InfeasibleDemandError) as info:
        plc.size(demand, consumer_endpoints=8)
    text = str(info.value)
    assert f"NAT ports: {demand * 1.2:,.0f} needed" in text and ports_short in text
    assert f"connections per VM: {demand * 1.2:,.0f} needed" in text and len(text) < 450
    assert connections_short in text


def test_infeasible_vm_cap():
    with pytest.raises(InfeasibleDemandError, match="connections .* short"):
        plc.size(1_000_000_000, max_connections_per_vm=100_000)


def test_infeasible_endpoints():
    with pytest.raises(InfeasibleDemandError, match="consumer_endpoints=8,001 .* 8,000 \\(1 too many\\)"):
        plc.size(1_000, consumer_endpoints=8_001)


def test_infeasible_failures_eat_the_pool():
    with pytest.raises(InfeasibleDemandError, match="4,000 VMs of backend_pool_size=5,000 left after 1000 failures"):
        plc.size(17_000_000_000, vm_failures_tolerated=1000, headroom=0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(concurrent_connections=-5), "concurrent_connections=-5 is not allowed"),
    (dict(concurrent_connections=math.nan), "concurrent_connections=nan is not allowed"),
    (dict(concurrent_connections=10, headroom=-0.1), "headroom=-0.1 is not allowed: a fraction from 0 to 10"),
    (dict(concurrent_connections=10, headroom=20), "headroom=20 is not allowed: .* also take 20%"),
    (dict(concurrent_connections=10, headroom=1e308), "headroom=1e\\+308 is not allowed"),
    (dict(concurrent_connections=10, vm_failures_tolerated=1.5), "vm_failures_tolerated=1.5 is not allowed: a whole number"),
    (dict(concurrent_connections=10, consumer_endpoints=0), "consumer_endpoints=0 is not allowed"),
    (dict(concurrent_connections=10, overflow_probability=1.0), "overflow_probability=1.0 is not allowed"),
    (dict(concurrent_connections=10, max_connections_per_vm=0), "max_connections_per_vm=0 is not allowed"),
    (dict(concurrent_connections="lots"), "concurrent_connections='lots' is not allowed"),
])
def test_size_invalid_inputs(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plc.size(**kwargs)




# ----------------------------------------------------------------------------- size_table


def _rank_1(row):
    kwargs = {k: v for k, v in row.items() if k not in ("service", "concurrent_connections",
                                                        "growth_per_year") and not pd.isna(v)}
    if kwargs.get("max_connections_per_vm") == math.inf:
        kwargs["max_connections_per_vm"] = None  # a table writes no cap as inf or "none"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CapacityWarning)
        return plc.size(row["concurrent_connections"], **kwargs).iloc[0]


def test_size_table_rows_are_rank_1_of_size(rng):
    n = 40
    demands = pd.DataFrame({
        "service": [f"s{i}" for i in range(n)],
        "concurrent_connections": rng.integers(1, 20_000_000, n).astype(float),
        "new_connections_per_s": np.where(rng.random(n) < 0.5, rng.integers(0, 50_000, n), 0),
        "headroom": rng.choice([0.0, 0.1, 0.2, 0.5], n),
        "vm_failures_tolerated": rng.integers(0, 3, n),
        "max_connections_per_vm": np.where(rng.random(n) < 0.5, 250_000.0, np.inf),
        "overflow_probability": np.where(rng.random(n) < 0.3, 1e-3, np.nan),
    })
    result = plc.size_table(demands)
    assert (result.status == "ok").all()
    for request, row in zip(demands.to_dict("records"), result.itertuples()):
        best = _rank_1(request)
        assert (row.pls_count, row.nat_ips, row.backend_vms) == (
            best.pls_count, best.nat_ips, best.backend_vms), request
        assert row.ceiling == best.ceiling and row.binding_limit == best.binding_limit
        assert row.spare_connections == best.spare_connections
        if not pd.isna(request["overflow_probability"]):
            assert row.overflow_probability_after_failures == pytest.approx(
                best.overflow_probability_after_failures, rel=1e-12)
    # the hash_overflow binding limit is reachable from a table too
    # (100M connections from 8 endpoints, no headroom, no per-VM cap, p = 1e-6: 8 x 8 x 25 VMs
    # hold the ports, but 64 x 25 pools of mean 62,500 and capacity 64,000 overflow with
    # probability ~1.6e-6)
    hashed = plc.size_table(pd.DataFrame({"concurrent_connections": [100_000_000],
                                          "headroom": [0], "overflow_probability": [1e-6],
                                          "max_connections_per_vm": ["none"],
                                          "consumer_endpoints": [8]}))
    assert (hashed.backend_vms[0], hashed.binding_limit[0]) == (26, "hash_overflow")


def test_size_table_example_file_matches_size():
    demands = plc.read_table(get_limits.__globals__["data_path"]("examples/sizing-requests.csv"))
    result = plc.size_table(demands)
    numeric = demands.replace("", np.nan)
    for request, row in zip(numeric.to_dict("records"), result.itertuples()):
        request = {k: (v if k == "service" or pd.isna(v) else float(v))
                   for k, v in request.items()}
        best = _rank_1(request)
        assert (row.pls_count, row.nat_ips, row.backend_vms) == (
            best.pls_count, best.nat_ips, best.backend_vms)


def test_size_table_row_failures_stay_in_their_rows():
    demands = pd.DataFrame({
        "service": ["ok", "neg", "half-vm", "huge", "text", "blank", "ok2"],
        "concurrent_connections": ["1000", "-5", "10", "1e14", "lots", "", "2_000_000"],
        "vm_failures_tolerated": ["", "", "0.5", "", "", "", ""],
        "headroom": ["", "", "", "", "", "", "20%"],
    })
    result = plc.size_table(demands)
    assert list(result.status) == ["ok", "error", "error", "infeasible", "error", "error", "ok"]
    assert result.error[1] == ("row 2 (service 'neg'): column concurrent_connections='-5' is "
                               "not allowed: a number >= 0")
    assert "column vm_failures_tolerated='0.5'" in result.error[2]
    assert "infeasible: demand cannot be met: NAT ports: " in result.error[3]
    assert "column concurrent_connections='lots'" in result.error[4]
    assert "(required)" in result.error[5]
    # 2_000_000 with 20% headroom: 2.4M connections need ceil(2.4M / 500,000) = 5 VMs (the
    # NIC's flows); 2.4M ports on 5 VMs need 7.5 pools per VM: 1 PLS x 8 NAT IPs
    assert (result.pls_count[6], result.nat_ips[6], result.backend_vms[6]) == (1, 8, 5)
    assert result.failed_rows == 5
    assert pd.isna(result.pls_count[1]) and result.binding_limit[1] == ""


def test_size_table_defaults_fill_empty_cells_only():
    demands = pd.DataFrame({"concurrent_connections": [1_000_000, 1_000_000],
                            "headroom": [np.nan, 0.0]})
    result = plc.size_table(demands, defaults={"headroom": 1.0,
                                               "max_connections_per_vm": None})
    # no per-VM cap, one endpoint (so one PLS): 2,000,000 ports need 31.25 pools of 64,000:
    # 8 NAT IPs x 4 VMs; 1,000,000 need 15.6: 8 x 2
    assert list(result.pls_count) == [1, 1] and list(result.backend_vms) == [4, 2]
    capped = plc.size_table(demands, defaults={"headroom": 1.0})
    # with the NIC's 500,000 per VM: 2,000,000 -> 4 VMs, 1,000,000 -> 2 VMs
    assert list(capped.backend_vms) == [4, 2]


def test_size_table_rejects_unknown_columns_and_needs_demand():
    with pytest.raises(ValueError, match="unknown column\\(s\\) 'colour'"):
        plc.size_table(pd.DataFrame({"concurrent_connections": [1], "colour": ["blue"]}))
    with pytest.raises(ValueError, match="missing the required column 'concurrent_connections'"):
        plc.size_table(pd.DataFrame({"headroom": [0.1]}))


# ----------------------------------------------------------------------------- the results


@pytest.fixture(scope="module")
def options():
    # 2,000,000 x 1.2 = 2.4M connections: ceil(2.4M / 500,000) = 5 VMs (the NIC's flows) and
    # ceil(2.4M / (8 x 64,000)) = 5 VMs of ports; one VM more to lose: 1 PLS x 8 NAT IPs x 6
    return plc.size(2_000_000, vm_failures_tolerated=1)


def test_size_options_hold_the_demand_assumptions_and_overrides(options):
    assert isinstance(options, SizingOptions)
    assert options.demand["concurrent_connections"] == 2_000_000
    assert options.demand["headroom"] == 0.2 and options.demand["vm_failures_tolerated"] == 1
    assert options.demand["port_hold_s"] == 65
    assert options.demand["max_connections_per_vm"] == 500_000
    assert options.demand["zones"] is None and options.demand["vm_hourly_usd"] is None
    # no churn: no port-hold assumption; the 64k ports and the NIC's flows are assumptions
    assert len(options.assumptions) == 2
    assert options.assumptions[0].startswith("ports_per_nat_ip=64,000 models the FAQ")
    assert options.assumptions[1].startswith("max_connections_per_vm=500,000: the concurrent")
    assert options.overridden == {}


def test_size_options_read_like_their_table(options):
    best = options.iloc[0]
    assert (best["rank"], best.pls_count, best.nat_ips, best.backend_vms) == (1, 1, 8, 6)
    assert len(options) == len(options.table) and list(options) == list(options.table.columns)
    assert options["backend_vms"].min() == 6 and "binding_limit" in options


def test_size_options_still_write_the_old_attrs_keys_for_one_release(options):
    attrs = options.table.attrs
    assert set(attrs) == {"overridden", "assumptions", "demand"}
    assert attrs["assumptions"] == list(options.assumptions)
    assert attrs["demand"] == options.demand and attrs["overridden"] == {}


def test_size_options_pickle_replace_and_concatenate(options):
    twin = pickle.loads(pickle.dumps(options))
    assert type(twin) is SizingOptions
    assert (twin.demand, twin.assumptions, twin.overridden) == (
        options.demand, options.assumptions, options.overridden)
    pd.testing.assert_frame_equal(twin.table, options.table)
    top = dataclasses.replace(options, table=options.table.head(3))
    assert len(top) == 3 and top.demand == options.demand
    both = pd.concat([options.table.head(1), plc.size(1_000_000).table.head(1)],
                     ignore_index=True)
    # 1.2M connections: ceil(1.2M / 500,000) = 3 VMs; 1.2M ports on 3 VMs: 7 NAT IPs
    assert list(both["backend_vms"]) == [6, 3] and list(both["nat_ips"]) == [8, 7]


@pytest.fixture(scope="module")
def sized():
    demands = pd.DataFrame({"service": ["a", "b", "c"],
                            "concurrent_connections": ["100000", "lots", "1e14"]})
    return plc.size_table(demands, ports_per_nat_ip=65_536)


def test_size_table_results_hold_assumptions_overrides_and_failures(sized):
    assert isinstance(sized, SizingResults)
    assert list(sized["status"]) == ["ok", "error", "infeasible"] and sized.failed_rows == 2
    assert sized.overridden == {"ports_per_nat_ip": (64_000, 65_536)}
    # ports_per_nat_ip overridden: not an assumption; the NIC's flows fill the empty cap cells
    assert len(sized.assumptions) == 1
    assert sized.assumptions[0].startswith("max_connections_per_vm=500,000 where a row leaves")


def test_size_table_results_read_like_their_table(sized):
    # 100,000 x 1.2 = 120,000 ports: 2 NAT IPs x 65,536 on one VM
    row = sized.set_index("service").loc["a"]
    assert (row.pls_count, row.nat_ips, row.backend_vms, row.ceiling) == (1, 2, 1, 131_072)
    assert len(sized) == 3 and sized.columns[0] == "service"


def test_size_table_results_still_write_the_old_attrs_keys_for_one_release(sized):
    assert sized.table.attrs == {"assumptions": list(sized.assumptions),
                                 "overridden": {"ports_per_nat_ip": (64_000, 65_536)},
                                 "failed_rows": 2}


def test_size_table_results_pickle_replace_and_concatenate(sized):
    twin = pickle.loads(pickle.dumps(sized))
    assert type(twin) is SizingResults and twin.failed_rows == 2
    assert twin.assumptions == sized.assumptions and twin.overridden == sized.overridden
    ok = dataclasses.replace(sized, table=sized.table.head(1), failed_rows=0)
    assert ok.failed_rows == 0 and ok.overridden == sized.overridden and len(ok) == 1
    both = pd.concat([sized.table, sized.table], ignore_index=True)
    assert list(both["status"]) == ["ok", "error", "infeasible"] * 2


def test_failed_rows_default_to_the_rows_not_ok():
    assert SizingResults(pd.DataFrame({"status": ["ok", "error", "infeasible"]})).failed_rows == 2
    assert SizingResults(pd.DataFrame({"backend_vms": [1]})).failed_rows == 0
    assert SizingResults(pd.DataFrame({"status": ["ok"]}), failed_rows=3).failed_rows == 3
    with pytest.raises(TypeError, match="SizingOptions.table is dict, not a pandas DataFrame"):
        SizingOptions({"rank": [1]})
