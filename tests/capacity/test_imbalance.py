"""Hashing imbalance: the overflow bound and the usable ceiling.

Checked against a direct multinomial simulation of the hashing written here.
"""

import math

import numpy as np
import pandas as pd
import pytest
from test_sizing import _union_bound  # the same independent bound, written once

import plcapacity as plc

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


