"""Ceiling tables: one row per combination of PLSs, NAT IPs and VMs, the binding limit, and
a bounded grid.

Known answers come from the Private Link FAQ's formula
(https://learn.microsoft.com/azure/private-link/private-link-faq): ceiling =
pls_count x nat_ips x backend_vms x 64k ports, capped by backend_vms x the per-VM cap.
"""

import dataclasses
import pickle

import numpy as np
import pandas as pd
import pytest

import plcapacity as plc
from plcapacity.capacity.grid import MAX_GRID_ROWS, CeilingTable, ceiling_table

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
    table = plc.ceiling_table(8, 10, overflow_probability=1e-3, max_connections_per_vm=None)
    assert table.loc[0, "ceiling"] == 5_120_000
    assert pd.isna(table.loc[0, "vm_connection_limit"])
    assert 0 < table.loc[0, "effective_ceiling"] < 5_120_000
    assert table.overridden == {}


def test_ceiling_table_reports_overrides():
    table = plc.ceiling_table(1, 1, ports_per_nat_ip=65_536)
    assert table.loc[0, "ceiling"] == 65_536
    assert table.overridden == {"ports_per_nat_ip": (64_000, 65_536)}


def test_ceiling_table_rejects_out_of_range():
    with pytest.raises(ValueError, match="nat_ips=9"):
        plc.ceiling_table([1, 9], 1)


def test_every_combination_is_a_row_in_axis_order():
    table = ceiling_table([1, 2], [3, 4, 5], [1, 2], enforce_limits=False)
    assert len(table) == 2 * 3 * 2
    rows = list(zip(table.pls_count, table.nat_ips, table.backend_vms))
    assert rows == [(p, n, v) for p in (1, 2) for n in (1, 2) for v in (3, 4, 5)]
    # without a per-VM cap the ceiling is the product times 64,000 ports, row by row
    uncapped = ceiling_table([1, 2], [3, 4, 5], [1, 2], max_connections_per_vm=None)
    np.testing.assert_array_equal(uncapped.ceiling, uncapped.pls_count * uncapped.nat_ips
                                  * uncapped.backend_vms * 64_000)
    assert (uncapped.ports_per_nat_ip == 64_000).all()


def test_the_nic_cap_binds_only_above_its_flows():
    """The NIC's 500,000 concurrent flows per VM (data/azure_limits.csv) cap each VM by
    default: 8 NAT IPs give a VM 512,000 ports, above the cap; 1 NAT IP gives 64,000."""
    assert plc.get_limits().vm_nic_concurrent_flows == 500_000
    table = ceiling_table([1, 8], 2).set_index("nat_ips")
    assert table.loc[1, "binding_limit"] == "nat_ports" and table.loc[1, "ceiling"] == 128_000
    assert table.loc[8, "binding_limit"] == "vm_connections"
    assert table.loc[8, "ceiling"] == 1_000_000 and table.loc[8, "nat_port_limit"] == 1_024_000


def test_a_grid_larger_than_a_million_rows_is_refused_before_it_is_built():
    assert MAX_GRID_ROWS == 1_000_000
    with pytest.raises(ValueError, match=r"^the grid of 101 pls_count x 100 nat_ips x 100 "
                                         r"backend_vms values has 1,010,000 rows, more than "
                                         r"the 1,000,000 allowed; ask for fewer values$"):
        ceiling_table(range(1, 101), range(1, 101), range(1, 102), enforce_limits=False)
    assert len(ceiling_table(range(1, 101), range(1, 101), range(1, 11),
                             enforce_limits=False)) == 100_000


def test_axes_must_be_scalars_or_one_dimensional():
    with pytest.raises(ValueError, match="backend_vms must be a scalar or a 1-D sequence"):
        ceiling_table(1, [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="backend_vms=0"):
        ceiling_table(1, [0, 1])
    assert isinstance(ceiling_table(pd.Series([2]), 3).table, pd.DataFrame)


# ------------------------------------------------------------------ the result object


def test_ceiling_table_is_a_ceiling_table_that_reads_like_its_table():
    grid = ceiling_table([4, 8], 10, ports_per_nat_ip=65_536)
    assert isinstance(grid, CeilingTable) and isinstance(grid.table, pd.DataFrame)
    # 4 x 10 x 65,536 = 2,621,440; 8 x 10 x 65,536 = 5,242,880 > 10 x 500,000 (the NIC cap)
    assert list(grid["ceiling"]) == [2_621_440, 5_000_000] and len(grid) == 2
    assert grid.loc[1, "binding_limit"] == "vm_connections" and "ceiling" in grid
    assert grid.overridden == {"ports_per_nat_ip": (64_000, 65_536)}


def test_ceiling_table_still_writes_the_old_attrs_key_for_one_release():
    grid = ceiling_table(1, 1, ports_per_nat_ip=65_536)
    assert grid.table.attrs == {"overridden": {"ports_per_nat_ip": (64_000, 65_536)}}
    grid.table.attrs["overridden"]["ports_per_nat_ip"] = None   # a copy: the result keeps its own
    assert grid.overridden == {"ports_per_nat_ip": (64_000, 65_536)}


def test_ceiling_table_pickles_replaces_and_concatenates():
    grid = ceiling_table([1, 2], 3, ports_per_nat_ip=65_536)
    twin = pickle.loads(pickle.dumps(grid))
    assert type(twin) is CeilingTable and twin.overridden == grid.overridden
    pd.testing.assert_frame_equal(twin.table, grid.table)
    first = dataclasses.replace(grid, table=grid.table.head(1))
    assert list(first["ceiling"]) == [196_608] and first.overridden == grid.overridden
    both = pd.concat([grid.table, ceiling_table(4, 3).table], ignore_index=True)
    assert list(both["nat_ips"]) == [1, 2, 4] and list(both["ports_per_nat_ip"]) == [
        65_536, 65_536, 64_000]


def test_a_ceiling_table_is_built_from_a_dataframe_only():
    assert CeilingTable(pd.DataFrame({"ceiling": [1]})).overridden == {}
    with pytest.raises(TypeError, match="CeilingTable.table is list, not a pandas DataFrame"):
        CeilingTable([1, 2])
