"""Connection ceilings and ports needed: known answers, input kinds, limits.

Known answers come from the Private Link FAQ's formula
(https://learn.microsoft.com/azure/private-link/private-link-faq): ceiling =
pls_count x nat_ips x backend_vms x 64k ports.
"""

import math

import numpy as np
import pandas as pd
import pytest

import plcapacity as plc
from plcapacity.base.limits import get_limits

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


def test_series_results_carry_overrides_and_assumptions():
    ceiling = plc.connection_ceiling(pd.Series([8]), 10, ports_per_nat_ip=65_536)
    assert ceiling.attrs["overridden"] == {"ports_per_nat_ip": (64_000, 65_536)}
    ports = plc.ports_needed(pd.Series([1_000]), 10)
    assert "port_hold_s=65 s is an assumption" in ports.attrs["assumptions"][0]
    assert plc.ports_needed(pd.Series([1_000]), 10, port_hold_s=30).attrs == {}
