"""Reference data: every number carries its source, and users can override any of them."""

import math

import pytest

from plcapacity import limits
from plcapacity.base.limits import (
    get_limits,
    limits_table,
    pricing,
    read_reference,
    reference_provenance,
)


def test_every_limit_has_provenance():
    table = limits_table()
    assert {"name", "value", "unit", "scope", "source", "as_of", "uncertain", "note"} <= set(table)
    assert table["name"].is_unique
    assert table["source"].str.startswith("https://").all()
    assert table["as_of"].notna().all()
    assert "docs/azure-facts.md" in table.attrs["provenance"]


def test_reference_provenance_is_the_header_without_its_hashes():
    lines = reference_provenance("sla.csv").splitlines()
    assert len(lines) == 3                              # data/sla.csv has three '#' lines
    assert lines[0].startswith("Azure Private Link SLA: the monthly uptime objective")
    assert lines[2].startswith("uncertain=true: the SLA text itself was not retrieved")
    assert reference_provenance("sla.csv") == read_reference("sla.csv").attrs["provenance"]


@pytest.mark.parametrize("name, value", [
    # docs/azure-facts.md, "Limits" (generated from data/azure_limits.csv)
    ("nat_ips_per_pls", 8), ("min_nat_ips_per_pls", 1), ("pls_per_load_balancer", 8),
    ("pe_per_pls", 1000), ("ports_per_nat_ip", 64_000), ("backend_pool_size", 5000),
    ("vm_nic_concurrent_flows", 500_000), ("nat_gateway_hold_after_fin_s", 65),
    ("default_port_hold_s", 65), ("pe_per_subscription", 64_000),
    # docs/azure-facts.md, "Prices"
    ("private_endpoint_hour_usd", 0.01), ("hours_per_month", 730),
])
def test_values_match_facts(name, value):
    assert get_limits()[name] == value


@pytest.mark.parametrize("name", ["ports_per_nat_ip", "default_port_hold_s",
                                  "pls_per_subscription", "pls_idle_timeout_s"])
def test_uncertain_values_are_flagged(name):
    table = limits_table().set_index("name")
    assert bool(table.loc[name, "uncertain"]) is True


def test_documented_values_are_not_flagged():
    table = limits_table().set_index("name")
    assert bool(table.loc["nat_ips_per_pls", "uncertain"]) is False


def test_assumed_hold_time_is_labelled_as_assumption():
    note = limits_table().set_index("name").loc["default_port_hold_s", "note"]
    assert "ASSUMPTION" in note and "NAT Gateway" in note


def test_override_records_what_changed():
    lim = get_limits(ports_per_nat_ip=65_536)
    assert lim.ports_per_nat_ip == 65_536
    assert lim.overridden == {"ports_per_nat_ip": (64_000, 65_536)}
    assert get_limits().ports_per_nat_ip == 64_000  # the reference stays untouched
    assert lim.notes() == ["ports_per_nat_ip overridden: 65,536 instead of 64,000"]


def test_override_to_reference_value_is_not_reported():
    assert get_limits(ports_per_nat_ip=64_000).overridden == {}


def test_none_keeps_reference():
    assert get_limits(backend_pool_size=None).backend_pool_size == 5000


def test_unknown_name_suggests_closest():
    with pytest.raises(KeyError, match="did you mean nat_ips_per_pls"):
        get_limits(nat_ip_per_pls=4)
    with pytest.raises(AttributeError, match="unknown limit 'backend_pool'"):
        get_limits().backend_pool


@pytest.mark.parametrize("bad", [0, -1, "many", math.inf, math.nan])
def test_override_must_be_positive_number(bad):
    with pytest.raises(ValueError, match="backend_pool_size=.* is not allowed: give a positive number"):
        get_limits(backend_pool_size=bad)


def test_limits_are_read_only():
    with pytest.raises(AttributeError, match="read-only"):
        get_limits().nat_ips_per_pls = 16


def test_pricing_has_sources():
    table = pricing()
    assert table["source"].notna().all()
    assert table.set_index("name").loc["private_link_service_hour_usd", "uncertain"]


def test_sla_tiers_are_data():
    tiers = read_reference("sla.csv")
    assert list(tiers["uptime_below_percent"]) == [99.99, 99]
    assert list(tiers["credit_percent"]) == [10, 25]
    assert tiers["uncertain"].all()


def test_data_path_points_at_existing_folder():
    assert limits.data_path("azure_limits.csv").is_file()
