"""Sizing requests read from a table: one best deployment per row."""

import warnings

import pandas as pd
import pytest

import plcapacity as plc
from plcapacity import InfeasibleDemandError
from plcapacity.limits import data_path
from plcapacity.sizing_requests import read_sizing_requests, size_requests


def test_each_row_gets_the_rank_1_deployment_of_size():
    requests = read_sizing_requests(data_path("examples/sizing-requests.csv"))
    result = size_requests(requests)
    assert len(result) == len(requests)
    for request, row in zip(requests.to_dict("records"), result.itertuples()):
        kwargs = {k: v for k, v in request.items()
                  if k not in ("service", "concurrent_connections") and not pd.isna(v)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            best = plc.size(request["concurrent_connections"], **kwargs).iloc[0]
        assert (row.pls_count, row.nat_ips, row.backend_vms) == (
            best.pls_count, best.nat_ips, best.backend_vms)
        assert row.service == request["service"]


def test_defaults_fill_empty_cells_and_warnings_are_kept_per_row():
    requests = pd.DataFrame({"service": ["big", "small"],
                             "concurrent_connections": [3_000_000, 1_000],
                             "headroom": [None, 0.5]})
    result = size_requests(requests, defaults={"headroom": 0.0})
    assert result.loc[0, "ceiling"] >= 3_000_000  # headroom 0 from the defaults
    assert "500,000 concurrent flows" in result.loc[0, "warning"]
    assert result.loc[1, "warning"] == ""


def test_errors_name_source_row_and_service(tmp_path):
    path = tmp_path / "req.csv"
    path.write_text("service,concurrent_connections,vm_failures_tolerated\na,10,0\nb,10,0.5\n")
    with pytest.raises(ValueError, match="req.csv, row 2 \\(b\\): vm_failures_tolerated=0.5"):
        size_requests(read_sizing_requests(path))
    path.write_text("service,concurrent_connections\nhuge,1e13\n")
    with pytest.raises(InfeasibleDemandError, match="row 1 \\(huge\\): demand needs"):
        size_requests(read_sizing_requests(path))


def test_missing_and_unknown_columns(tmp_path):
    path = tmp_path / "req.csv"
    path.write_text("service,headroom\na,0.1\n")
    with pytest.raises(ValueError, match="missing the required column 'concurrent_connections'"):
        read_sizing_requests(path)
    path.write_text("service,concurrent_connections,colour\na,1,blue\n")
    with pytest.raises(ValueError, match="unknown column\\(s\\) 'colour'; allowed: service"):
        read_sizing_requests(path)
