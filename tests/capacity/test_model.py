"""The one capacity model: Demand and deployment_capacity against hand computations, and the
same answer as sizing for the deployments sizing picks."""

import math

import numpy as np
import pytest

import plcapacity as plc
from plcapacity.capacity.model import Demand, carried_connections, deployment_capacity

PORTS = 64_000      # ports per NAT IP per VM (data/azure_limits.csv)
NIC = 500_000       # the NIC's concurrent flows per VM (data/azure_limits.csv)


def test_reference_values_are_the_data_files():
    lim = plc.get_limits()
    assert (lim.ports_per_nat_ip, lim.vm_nic_concurrent_flows) == (PORTS, NIC)


def test_demand_ports_by_littles_law():
    d = Demand(100_000, new_connections_per_s=1_000, port_hold_s=65)
    assert d.ports_needed == 100_000 + 1_000 * 65 == 165_000
    assert d.port_factor == pytest.approx(1.65, rel=1e-15)
    assert d.assumptions == ()


def test_demand_defaults_and_assumption():
    d = Demand(10, new_connections_per_s=1)
    assert d.port_hold_s == plc.get_limits().default_port_hold_s
    assert "port_hold_s=65 s is an assumption" in d.assumptions[0]
    assert Demand(10).assumptions == ()       # no churn: the hold time plays no part
    assert Demand(0).port_factor == 1.0
    assert Demand(10, headroom="25%").headroom == 0.25


def test_demand_growth():
    d = Demand(1_000_000, new_connections_per_s=100, growth_per_year=0.3).after(2)
    assert d.connections == pytest.approx(1_000_000 * 1.3 ** 2)
    assert d.new_connections_per_s == pytest.approx(100 * 1.3 ** 2)


@pytest.mark.parametrize("kwargs, match", [
    (dict(connections=-1), r"connections=-1 is not allowed"),
    (dict(connections=math.inf), r"connections=inf is not allowed"),
    (dict(connections=1, headroom=20), r"headroom=20 is not allowed: a fraction from 0 to 10"),
    (dict(connections=1, headroom="x%"), r"headroom='x%' is not allowed"),
    (dict(connections=1, growth_per_year=-1), r"growth_per_year=-1 is not allowed"),
    (dict(connections=1e308, new_connections_per_s=1e308, port_hold_s=10), r"overflows"),
])
def test_demand_refuses_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Demand(**kwargs)


def test_from_mapping_names_unknown_and_missing_keys():
    with pytest.raises(ValueError, match=r"\[demand\]: unknown key\(s\) conns; allowed: "
                                         r"connections, new_connections_per_s"):
        Demand.from_mapping({"conns": 1})
    with pytest.raises(ValueError, match=r"\[demand\] connections is required"):
        Demand.from_mapping({"headroom": 0.1})
    d = Demand.from_mapping({"connections": 5, "new_connections_per_s": 2, "port_hold_s": 30})
    assert Demand.from_mapping(d.as_dict()) == d


def test_the_issue_example_four_vms_hold_two_million():
    # 8 NAT IPs x 4 VMs = 2,048,000 ports, but 4 VMs x 500,000 flows = 2,000,000 connections
    c = deployment_capacity(8, 4, demand=2_040_000)
    assert c["port_capacity"] == 8 * 4 * PORTS == 2_048_000
    assert c["vm_capacity"] == 4 * NIC
    assert c["ceiling"] == c["carried"] == 2_000_000
    assert c["binding_limit"] == "vm_connections"
    assert not c["carries"]
    assert deployment_capacity(8, 4, demand=2_000_000)["carries"]
    assert deployment_capacity(8, 4, demand=2_040_000, max_connections_per_vm=None)["carries"]


def test_churn_makes_ports_bind():
    # 1,000,000 open, 10,000/s x 65 s held: 1,650,000 ports; 8 x 10 x 64,000 = 5,120,000 ports
    demand = Demand(1_000_000, new_connections_per_s=10_000, port_hold_s=65)
    c = deployment_capacity(8, 10, demand=demand)
    assert c["ports_needed"] == 1_650_000
    assert c["carried"] == pytest.approx(min(5_120_000 / 1.65, 10 * NIC))
    assert c["binding_limit"] == "nat_ports"
    assert c["utilization"] == pytest.approx(1_000_000 / (5_120_000 / 1.65))
    # 2 VMs: 1,024,000 ports < 1,650,000 needed: not carried, although 2 VMs hold 1,000,000
    assert not deployment_capacity(8, 2, demand=demand)["carries"]


def test_vms_lost_and_broadcasting():
    c = deployment_capacity(np.array([1, 8]), 10, vms_lost=np.array([[0], [10]]))
    assert c["port_capacity"].tolist() == [[10 * PORTS, 80 * PORTS], [0, 0]]
    assert c["carried"].tolist() == [[10 * PORTS, min(80 * PORTS, 10 * NIC)], [0, 0]]
    with pytest.raises(ValueError, match="vms_lost is more than backend_vms"):
        deployment_capacity(1, 2, vms_lost=3)


def test_carried_adds_the_two_conditions_exactly():
    """carried >= connections iff ports_needed <= ports and connections <= VM capacity."""
    rng = np.random.default_rng(3)
    ports = rng.integers(1, 10**7, 2_000).astype(float)
    vm = rng.integers(1, 10**7, 2_000).astype(float)
    connections = rng.integers(1, 10**7, 2_000).astype(float)
    rate, hold = rng.integers(0, 10_000, 2_000), 65.0
    needed = connections + rate * hold
    carried = carried_connections(ports, vm, needed / connections)
    direct = (needed <= ports) & (connections <= vm)
    close = np.isclose(needed, ports, rtol=1e-12) | np.isclose(connections, vm, rtol=1e-12)
    assert np.array_equal((carried >= connections)[~close], direct[~close])


@pytest.mark.parametrize("connections, rate, failures, cap", [
    (2_000_000, 0, 0, "nic"), (2_000_000, 100, 1, "nic"), (3_000_000, 5_000, 2, None),
    (480_000, 0, 1, 250_000), (45_000_000, 0, 0, "nic"), (123_457, 77, 3, 10_000),
])
def test_size_picks_the_smallest_deployment_the_model_carries(connections, rate, failures, cap):
    """Same model as sizing: the chosen deployment carries the demand plus headroom after the
    failures, with the same ceiling; one VM fewer does not."""
    options = plc.size(connections, new_connections_per_s=rate, vm_failures_tolerated=failures,
                       max_connections_per_vm=cap, consumer_endpoints=8)
    top = options.iloc[0]
    grown = Demand(connections * 1.2, new_connections_per_s=rate * 1.2, headroom=0)
    kw = dict(demand=grown, max_connections_per_vm=cap)
    pls, nat, vms = int(top["pls_count"]), int(top["nat_ips"]), int(top["backend_vms"])
    c = deployment_capacity(nat, vms, pls, **kw)
    assert c["ceiling"] == top["ceiling"]
    after = deployment_capacity(nat, vms, pls, vms_lost=failures, **kw)
    assert after["ceiling"] == top["ceiling_after_failures"]
    assert after["carries"]
    assert not deployment_capacity(nat, vms - 1, pls, vms_lost=failures, **kw)["carries"] \
        or vms - 1 - failures < 1
