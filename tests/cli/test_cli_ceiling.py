"""``plcapacity ceiling``: grids, formats, overrides."""

import io
import json

import pandas as pd


def test_ceiling_ranges_and_lists(cli):
    code, out, err = cli(["ceiling", "--nat-ips", "1-8", "--vms", "2,4,8", "--format", "csv"])
    assert code == 0 and err == ""
    table = pd.read_csv(io.StringIO(out))
    assert len(table) == 24
    assert sorted(table.nat_ips.unique()) == list(range(1, 9))
    row = table.query("nat_ips == 8 and backend_vms == 8").iloc[0]
    # 8 x 8 x 64,000 = 4,096,000 ports, capped by 8 VMs x the NIC's 500,000 flows
    assert row.nat_port_limit == 8 * 8 * 64_000 and row.ceiling == 8 * 500_000
    code, out, _ = cli(["ceiling", "--nat-ips", "8", "--vms", "8", "--max-connections-per-vm",
                        "none", "--format", "csv"])
    assert pd.read_csv(io.StringIO(out)).ceiling[0] == 8 * 8 * 64_000


def test_ceiling_table_is_readable(cli):
    code, out, _ = cli(["ceiling", "--nat-ips", "8", "--vms", "10", "--pls", "1,8"])
    assert code == 0
    assert "5,120,000" in out and "40,960,000" in out  # the FAQ's figures, with separators
    assert "binding_limit" in out.splitlines()[0]


def test_ceiling_json_and_override_note(cli):
    code, out, err = cli(["ceiling", "--nat-ips", "1", "--vms", "1", "--ports-per-nat-ip",
                          "65_536", "--format", "json"])
    assert code == 0
    assert json.loads(out)[0]["ceiling"] == 65_536
    assert "ports_per_nat_ip overridden: 65,536 instead of 64,000" in err


def test_ceiling_overflow_and_hypothetical(cli):
    code, out, _ = cli(["ceiling", "--nat-ips", "16", "--vms", "10", "--no-enforce-limits",
                        "--overflow-probability", "1e-3", "--max-connections-per-vm", "none",
                        "--format", "csv"])
    assert code == 0
    row = pd.read_csv(io.StringIO(out)).iloc[0]
    assert row.ceiling == 16 * 10 * 64_000 and row.effective_ceiling < row.ceiling


def test_single_value_has_no_position_but_a_list_does(cli):
    _, _, err = cli(["ceiling", "--nat-ips", "9", "--vms", "2"])
    assert "position" not in err
    _, _, err = cli(["ceiling", "--nat-ips", "1,2", "--vms", "2,9999"])
    assert "backend_vms=9999 at position 1" in err
