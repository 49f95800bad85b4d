"""``plcapacity size``: one demand, a table of demands, bad rows and infeasible demands."""

import io

import pandas as pd
import pytest

from plcapacity.base.limits import data_path


def test_size_single_demand(cli):
    code, out, err = cli(["size", "2e6", "--new-connections-per-s", "1000",
                          "--vm-failures-tolerated", "1", "--max-connections-per-vm", "500000",
                          "--top", "3"])
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["rank", "pls_count", "nat_ips", "backend_vms"]
    assert len([l for l in lines if l.strip() and l.split()[0] in {"1", "2", "3"}]) == 3
    assert "note: showing the best 3 of" in out
    assert "port_hold_s=65 s is an assumption" in out


def test_size_csv_has_all_rows_and_warning_on_stderr(cli):
    code, out, err = cli(["size", "2000000", "--format", "csv"])
    assert code == 0
    # every distinct option: one endpoint reaches one PLS, 1 x 1..8 NAT IPs
    assert len(pd.read_csv(io.StringIO(out))) == 8
    assert err.startswith("note:") or "warning:" in err
    assert "max_connections_per_vm=500,000: the concurrent flows one VM NIC supports" in err
    code, out, err = cli(["size", "2000000", "--format", "csv", "--max-connections-per-vm",
                          "none", "--consumer-endpoints", "8"])
    assert "500,000 concurrent flows" in err  # uncapped: the warning says what a VM holds


def test_size_input_file(cli):
    code, out, err = cli(["size", "--input", str(data_path("examples/sizing-requests.csv")),
                          "--format", "csv"])
    assert code == 0
    result = pd.read_csv(io.StringIO(out))
    requests = pd.read_csv(data_path("examples/sizing-requests.csv"))
    assert list(result.service) == list(requests.service)
    # Every service keeps its headroom after the failures it asked to survive.
    headroom = requests.headroom.fillna(0.2)
    assert (result.utilization_after_failures <= 1 / (1 + headroom) + 1e-9).all()
    assert (result.spare_connections > 0).all()
    assert "port_hold_s=65 s is an assumption" in err  # notes go to stderr for csv


def test_unknown_column_in_input(tmp_path, cli):
    path = tmp_path / "requests.csv"
    path.write_text("service,concurent_connections\nx,5\n")
    code, _, err = cli(["size", "--input", str(path)])
    assert code == 2 and "unknown column(s) 'concurent_connections'" in err


def test_bad_row_names_row_and_column(tmp_path, cli):
    path = tmp_path / "requests.csv"
    path.write_text("service,concurrent_connections,headroom\nok,5,0.1\nbad,10,-3\n")
    code, out, err = cli(["size", "--input", str(path)])
    assert code == 1  # the other rows are still sized, as in batch
    assert "error: row 2 (service 'bad'): column headroom='-3' is not allowed" in err
    assert "ok" in out


@pytest.mark.parametrize("demand", ["1e13", "1e19", "1e300"])
def test_infeasible_exit_1(demand, cli):
    code, _, err = cli(["size", demand])
    assert code == 1
    assert err.startswith("plcapacity: infeasible: demand cannot be met") and err.count("\n") == 1


def test_csv_with_extra_fields_or_no_rows(tmp_path, cli):
    path = tmp_path / "requests.csv"
    path.write_text("service,concurrent_connections\na,1,2,3\n")
    code, _, err = cli(["size", "--input", str(path)])
    assert code == 2 and "a row has more fields than the header" in err
    path.write_text("service,concurrent_connections\n")
    code, _, err = cli(["size", "--input", str(path)])
    assert code == 2 and "no rows" in err
    path.write_text("")
    code, _, err = cli(["size", "--input", str(path)])
    assert code == 2 and "the file is empty" in err
