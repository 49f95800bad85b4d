"""Capacity model: known answers, input kinds, limits, hashing imbalance and sizing.

Known answers come from the Private Link FAQ's formula
(https://learn.microsoft.com/azure/private-link/private-link-faq): ceiling =
pls_count x nat_ips x backend_vms x 64k ports. Sizing is checked against a brute-force search
written here, and the usable ceiling against a direct simulation of the hashing.
"""

import math
import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

import plcapacity as plc
from plcapacity import CapacityWarning, InfeasibleDemandError
from plcapacity.limits import get_limits

# ----------------------------------------------------------------------------- ceiling


@pytest.mark.parametrize("nat, vms, pls, expected", [
    (8, 10, 1, 5_120_000),        # FAQ: 8 NAT IPs x 10 VMs x 64,000
    (8, 10, 8, 40_960_000),       # 8 PLS of 8 NAT IPs x 10 VMs
    (1, 1, 1, 64_000),            # the smallest deployment
    (8, 5000, 8, 20_480_000_000),  # the largest within the limits
], ids=["faq-8x10", "faq-8pls", "smallest", "largest"])
def test_known_answers(nat, vms, pls, expected):
    result = plc.connection_ceiling(nat, vms, pls)
    assert result == expected
    assert isinstance(result, int)


def test_array_in_array_out_exact_int64():
    nat = np.array([1, 4, 8])
    result = plc.connection_ceiling(nat, 10)
    assert isinstance(result, np.ndarray) and result.dtype == np.int64
    np.testing.assert_array_equal(result, [640_000, 2_560_000, 5_120_000])


def test_small_integer_dtypes_do_not_overflow():
    nat = np.array([8], dtype=np.int8)
    vms = np.array([5000], dtype=np.int16)
    assert plc.connection_ceiling(nat, vms, np.int8(8))[0] == 20_480_000_000


def test_series_keeps_index_and_name():
    vms = pd.Series([2, 4], index=["svc-a", "svc-b"])
    result = plc.connection_ceiling(8, vms)
    assert isinstance(result, pd.Series)
    assert list(result.index) == ["svc-a", "svc-b"]
    assert result.tolist() == [1_024_000, 2_048_000]


def test_series_with_array_broadcast():
    vms = pd.Series([2, 4, 6], index=[10, 20, 30])
    result = plc.connection_ceiling(np.array([1, 2, 4]), vms, pls_count=2)
    assert list(result.index) == [10, 20, 30]
    assert result.tolist() == [2 * 1 * 2 * 64_000, 2 * 2 * 4 * 64_000, 2 * 4 * 6 * 64_000]


def test_misaligned_series_are_rejected():
    with pytest.raises(ValueError, match="backend_vms: Series index differs"):
        plc.connection_ceiling(pd.Series([1, 2], index=[0, 1]), pd.Series([1, 2], index=[1, 2]))


def test_broadcast_grid():
    nat = np.arange(1, 9)[:, None]
    vms = np.array([1, 10, 100])[None, :]
    result = plc.connection_ceiling(nat, vms)
    assert result.shape == (8, 3)
    assert result[7, 1] == 5_120_000
    np.testing.assert_array_equal(result, nat * vms * 64_000)


def test_list_input_and_float_whole_numbers():
    assert plc.connection_ceiling([8.0], [10.0]).tolist() == [5_120_000.0]


def test_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match="cannot be broadcast.*nat_ips \\(2,\\).*backend_vms \\(3,\\)"):
        plc.connection_ceiling([1, 2], [1, 2, 3])


@pytest.mark.parametrize("kwargs, message", [
    (dict(nat_ips=9, backend_vms=1), "nat_ips=9 is not allowed: a whole number from 1 to 8"),
    (dict(nat_ips=0, backend_vms=1), "nat_ips=0 is not allowed"),
    (dict(nat_ips=1, backend_vms=5001), "backend_vms=5001 is not allowed: a whole number from 1 to 5,000"),
    (dict(nat_ips=1, backend_vms=0), "backend_vms=0 is not allowed"),
    (dict(nat_ips=1, backend_vms=1, pls_count=9), "pls_count=9 is not allowed: a whole number from 1 to 8"),
    (dict(nat_ips=2.5, backend_vms=1), "nat_ips=2.5 is not allowed: a whole number"),
    (dict(nat_ips=math.nan, backend_vms=1), "nat_ips=NaN is not allowed"),
    (dict(nat_ips=np.array([1, 2, 12]), backend_vms=1), "nat_ips=12 at position 2 is not allowed"),
    (dict(nat_ips=np.array([[1, 2], [3, np.nan]]), backend_vms=1), r"nat_ips=NaN at position \(1, 1\)"),
    (dict(nat_ips=1, backend_vms=pd.Series([3, -1], index=["a", "b"])), "backend_vms=-1 at index 'b'"),
    (dict(nat_ips="eight", backend_vms=1), "nat_ips must be numeric"),
    (dict(nat_ips=True, backend_vms=1), "nat_ips must be numeric"),
    (dict(nat_ips=1, backend_vms=1, ports_per_nat_ip=0), "ports_per_nat_ip=0 is not allowed"),
    (dict(nat_ips=1, backend_vms=1, max_connections_per_vm=-5), "max_connections_per_vm=-5 is not allowed"),
])
def test_invalid_inputs_name_argument_value_and_range(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plc.connection_ceiling(**kwargs)


def test_enforce_limits_false_computes_hypotheticals_and_propagates_nan():
    assert plc.connection_ceiling(16, 6000, 10, enforce_limits=False) == 16 * 6000 * 10 * 64_000
    result = plc.connection_ceiling(np.array([np.nan, 2.0]), 1, enforce_limits=False)
    assert np.isnan(result[0]) and result[1] == 128_000


def test_ports_override():
    assert plc.connection_ceiling(8, 10, ports_per_nat_ip=65_536) == 8 * 10 * 65_536


def test_limits_override_changes_allowed_range():
    lim = get_limits(backend_pool_size=1000)  # older docs' pool size
    with pytest.raises(ValueError, match="from 1 to 1,000"):
        plc.connection_ceiling(1, 1001, limits=lim)


def test_per_vm_cap():
    # 8 NAT IPs x 64,000 = 512,000 ports per VM; a 500,000-flow NIC caps each VM below that.
    assert plc.connection_ceiling(8, 10, max_connections_per_vm=500_000) == 5_000_000
    assert plc.connection_ceiling(4, 10, max_connections_per_vm=500_000) == 2_560_000
    caps = pd.Series([100_000, 1_000_000], index=["x", "y"])
    assert plc.connection_ceiling(8, 10, max_connections_per_vm=caps).tolist() == [1_000_000, 5_120_000]


# ----------------------------------------------------------------------------- ceiling_table


def test_ceiling_table_grid_and_binding_limit():
    table = plc.ceiling_table(nat_ips=[4, 8], backend_vms=[10, 20], pls_count=[1, 2],
                              max_connections_per_vm=300_000)
    assert len(table) == 8
    row = table.query("pls_count == 1 and nat_ips == 8 and backend_vms == 10").iloc[0]
    assert row.nat_port_limit == 5_120_000
    assert row.vm_connection_limit == 3_000_000
    assert row.ceiling == 3_000_000 and row.binding_limit == "vm_connections"
    row = table.query("pls_count == 1 and nat_ips == 4 and backend_vms == 10").iloc[0]
    assert row.ceiling == 2_560_000 and row.binding_limit == "nat_ports"
    assert set(table.max_private_endpoints) == {1000, 2000}


def test_ceiling_table_without_cap_and_with_effective():
    table = plc.ceiling_table(8, 10, overflow_probability=1e-3)
    assert table.loc[0, "ceiling"] == 5_120_000
    assert pd.isna(table.loc[0, "vm_connection_limit"])
    assert 0 < table.loc[0, "effective_ceiling"] < 5_120_000
    assert table.attrs["overridden"] == {}


def test_ceiling_table_reports_overrides():
    table = plc.ceiling_table(1, 1, ports_per_nat_ip=65_536)
    assert table.loc[0, "ceiling"] == 65_536
    assert table.attrs["overridden"] == {"ports_per_nat_ip": (64_000, 65_536)}


def test_ceiling_table_rejects_out_of_range():
    with pytest.raises(ValueError, match="nat_ips=9"):
        plc.ceiling_table([1, 9], 1)


# ----------------------------------------------------------------------------- ports_needed


def test_ports_needed_littles_law():
    # 100,000 open + 1,000/s x 65 s held after close = 165,000 ports (Little's law)
    assert plc.ports_needed(100_000, 1_000, port_hold_s=65) == 165_000
    assert plc.ports_needed(100_000) == 100_000


def test_ports_needed_default_hold_is_the_assumed_65_s():
    assert plc.ports_needed(0, 10) == 10 * 65


def test_ports_needed_vectorized():
    result = plc.ports_needed(pd.Series([1, 2], index=["a", "b"]), np.array([10, 20]), 2.5)
    assert result.tolist() == [26.0, 52.0] and list(result.index) == ["a", "b"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(concurrent_connections=-1), "concurrent_connections=-1 is not allowed: a number >= 0"),
    (dict(concurrent_connections=1, new_connections_per_s=math.nan), "new_connections_per_s=NaN"),
    (dict(concurrent_connections=1, port_hold_s=-2), "port_hold_s=-2"),
])
def test_ports_needed_invalid(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plc.ports_needed(**kwargs)


# ----------------------------------------------------------------------------- hashing


def _simulated_overflow(connections, bins, capacity, trials, rng):
    """Direct simulation of hashing: each trial throws ``connections`` uniformly into bins."""
    loads = rng.multinomial(connections, np.full(bins, 1.0 / bins), size=trials)
    return (loads > capacity).any(axis=1).mean()


def test_overflow_probability_against_simulated_hashing(rng):
    # 1 PLS x 2 NAT IPs x 3 VMs = 6 pools of 200 ports (small so that overflow is common).
    trials = 100_000
    for connections in (950, 1_000, 1_100):
        model = plc.overflow_probability(connections, 2, 3, ports_per_nat_ip=200)
        simulated = _simulated_overflow(connections, 6, 200, trials, rng)
        half_width = 4 * math.sqrt(simulated * (1 - simulated) / trials) + 1e-4
        # The union bound never falls below the true probability ...
        assert simulated <= model + half_width
        # ... and is close to it where probabilities are small.
        if model < 0.05:
            assert simulated >= 0.9 * model - half_width


def test_effective_ceiling_against_simulated_hashing(rng):
    p = 0.01
    usable = plc.effective_ceiling(2, 3, overflow_probability=p, ports_per_nat_ip=200)
    assert 900 < usable < 1_200
    trials = 100_000
    bound = p + 4 * math.sqrt(p * (1 - p) / trials)
    assert _simulated_overflow(usable, 6, 200, trials, rng) <= bound
    # 3% more connections overflow clearly more often than allowed.
    assert _simulated_overflow(int(usable * 1.03), 6, 200, trials, rng) > bound


def test_effective_ceiling_is_the_largest_count_within_probability():
    for nat, vms in [(8, 10), (1, 1), (3, 7)]:
        usable = plc.effective_ceiling(nat, vms)
        assert plc.overflow_probability(usable, nat, vms) <= 1e-3
        assert plc.overflow_probability(usable + 1, nat, vms) > 1e-3


def test_single_pool_has_no_imbalance():
    # One pool: nothing to spread, the usable ceiling is the nominal one.
    assert plc.effective_ceiling(1, 1) == 64_000


def test_effective_ceiling_vectorized_and_monotone():
    vms = pd.Series([1, 10, 100, 1000], index=list("abcd"))
    usable = plc.effective_ceiling(8, vms)
    nominal = plc.connection_ceiling(8, vms)
    assert list(usable.index) == list("abcd")
    assert (usable <= nominal).all() and usable.is_monotonic_increasing
    assert (usable / nominal).iloc[-1] > 0.97


def test_effective_ceiling_with_vm_cap_respects_cap():
    usable = plc.effective_ceiling(8, 10, max_connections_per_vm=100_000)
    assert usable < 1_000_000
    assert plc.overflow_probability(usable, 8, 10, max_connections_per_vm=100_000) <= 1e-3
    assert plc.overflow_probability(usable + 1, 8, 10, max_connections_per_vm=100_000) > 1e-3
    assert usable == pytest.approx(_largest_within(1e-3, 80, 64_000, 10, 100_000))


def _largest_within(p, pools, ports, vms, cap):
    """Linear scan downwards from the cap-limited ceiling with the independent bound."""
    n = min(pools * ports, vms * cap)
    while _union_bound(n, n, pools, ports, vms, cap) > p:
        n -= 1 if n < 990_000 else 500
    while _union_bound(n + 1, n + 1, pools, ports, vms, cap) <= p:
        n += 1
    return n


@pytest.mark.parametrize("p", [0, 1, -0.1, 2])
def test_effective_ceiling_probability_range(p):
    with pytest.raises(ValueError, match="overflow_probability=.* strictly between 0 and 1"):
        plc.effective_ceiling(8, 10, overflow_probability=p)


# ----------------------------------------------------------------------------- sizing


def _brute_force_size(concurrent, rate=0, hold=65, headroom="0.2", failures=0, cap=None,
                      endpoints=1, ports=64_000, pool=5000):
    """Naive search, exact in rational arithmetic: for each (pls, nat), try VM counts from 1."""
    h = Fraction(headroom)
    needed = Fraction(str(concurrent)) + Fraction(str(rate)) * Fraction(str(hold))
    required_ports = math.ceil(needed * (1 + h))
    required_connections = math.ceil(Fraction(str(concurrent)) * (1 + h))
    found = []
    for pls in range(1, 9):
        if pls * 1000 < endpoints:
            continue
        for nat in range(1, 9):
            for vms in range(failures + 1, pool + 1):
                alive = vms - failures
                ports_ok = pls * nat * alive * ports >= required_ports
                vm_ok = cap is None or alive * cap >= required_connections
                if ports_ok and vm_ok:
                    found.append((vms, pls, nat))
                    break
    return sorted(found)


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
    "huge-decimal": dict(concurrent=5_406_720_000, headroom="0.1"),
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


@pytest.mark.filterwarnings("ignore::plcapacity.exceptions.CapacityWarning")
def test_size_columns_are_consistent():
    table = plc.size(1_000_000, new_connections_per_s=2_000, port_hold_s=65, headroom=0.2,
                     vm_failures_tolerated=1, consumer_endpoints=30)
    best = table.iloc[0]
    needed = 1_000_000 + 2_000 * 65
    assert best.ports_needed == needed
    assert best.required_with_headroom == math.ceil(needed * 1.2)
    assert best.vms_after_failures == best.backend_vms - 1
    assert best.ceiling == best.pls_count * best.nat_ips * best.backend_vms * 64_000
    assert best.ceiling_after_failures >= best.required_with_headroom
    assert best.utilization == pytest.approx(needed / best.ceiling)
    assert best.spare_connections == best.ceiling_after_failures - needed
    # 30 PEs x 0.01 USD/h x 730 h (FACTS.md, pricing)
    assert best.pe_monthly_cost_usd == pytest.approx(30 * 0.01 * 730)
    assert table.attrs["demand"]["consumer_endpoints"] == 30


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


@pytest.mark.filterwarnings("ignore::plcapacity.exceptions.CapacityWarning")
def test_size_with_overflow_probability_carries_demand_with_imbalance():
    table = plc.size(2_000_000, overflow_probability=1e-3, vm_failures_tolerated=1)
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
                     max_connections_per_vm=500_000, overflow_probability=1e-3)
    for row in table.itertuples():
        pools = row.pls_count * row.nat_ips * row.vms_after_failures
        assert _union_bound(1_980_000, 1_200_000, pools, 64_000, row.vms_after_failures,
                            500_000) <= 1e-3
        fewer = row.vms_after_failures - 1
        if fewer >= 1:
            pools = row.pls_count * row.nat_ips * fewer
            assert _union_bound(1_980_000, 1_200_000, pools, 64_000, fewer, 500_000) > 1e-3
    best = table.query("pls_count == 8 and nat_ips == 8").iloc[0]
    assert best.backend_vms == 3 and best.binding_limit == "vm_connections"


def test_size_assumptions_and_overrides_are_reported():
    table = plc.size(10_000, new_connections_per_s=100)
    assert any("port_hold_s=65 s is an assumption" in a for a in table.attrs["assumptions"])
    table = plc.size(10_000, new_connections_per_s=100, port_hold_s=30, ports_per_nat_ip=65_536)
    assert not any("port_hold_s" in a for a in table.attrs["assumptions"])
    assert table.attrs["overridden"] == {"ports_per_nat_ip": (64_000, 65_536)}
    assert table.iloc[0].ceiling == 65_536 * table.iloc[0].nat_ips * table.iloc[0].backend_vms


def test_size_warns_when_a_vm_would_exceed_nic_flows():
    with pytest.warns(CapacityWarning, match="above the 500,000 concurrent flows"):
        plc.size(2_000_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CapacityWarning)
        plc.size(2_000_000, max_connections_per_vm=500_000)


def test_infeasible_ports_explains_limit_and_shortfall():
    with pytest.raises(InfeasibleDemandError) as info:
        plc.size(20_000_000_000, headroom=0.1)
    error = info.value
    assert error.limit == "backend_pool_size"
    assert error.available == 8 * 8 * 5000 * 64_000
    assert error.required == 22_000_000_000
    assert "1,520,000,000 short" in str(error)


def test_infeasible_vm_cap():
    with pytest.raises(InfeasibleDemandError, match="connections .* short"):
        plc.size(1_000_000_000, max_connections_per_vm=100_000)


def test_infeasible_endpoints():
    with pytest.raises(InfeasibleDemandError, match="consumer_endpoints=8,001 .* 8,000 \\(1 too many\\)"):
        plc.size(1_000, consumer_endpoints=8_001)


def test_infeasible_failures_eat_the_pool():
    with pytest.raises(InfeasibleDemandError, match="4,000 VMs left after 1000 failures"):
        plc.size(17_000_000_000, vm_failures_tolerated=1000, headroom=0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(concurrent_connections=-5), "concurrent_connections=-5 is not allowed"),
    (dict(concurrent_connections=math.nan), "concurrent_connections=nan is not allowed"),
    (dict(concurrent_connections=10, headroom=-0.1), "headroom=-0.1 is not allowed: a number >= 0"),
    (dict(concurrent_connections=10, vm_failures_tolerated=1.5), "vm_failures_tolerated=1.5 is not allowed: a whole number"),
    (dict(concurrent_connections=10, consumer_endpoints=0), "consumer_endpoints=0 is not allowed"),
    (dict(concurrent_connections=10, overflow_probability=1.0), "overflow_probability=1.0 is not allowed"),
    (dict(concurrent_connections=10, max_connections_per_vm=0), "max_connections_per_vm=0 is not allowed"),
    (dict(concurrent_connections="lots"), "concurrent_connections='lots' is not allowed"),
])
def test_size_invalid_inputs(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plc.size(**kwargs)


def test_series_results_carry_overrides_and_assumptions():
    ceiling = plc.connection_ceiling(pd.Series([8]), 10, ports_per_nat_ip=65_536)
    assert ceiling.attrs["overridden"] == {"ports_per_nat_ip": (64_000, 65_536)}
    ports = plc.ports_needed(pd.Series([1_000]), 10)
    assert "port_hold_s=65 s is an assumption" in ports.attrs["assumptions"][0]
    assert plc.ports_needed(pd.Series([1_000]), 10, port_hold_s=30).attrs == {}
