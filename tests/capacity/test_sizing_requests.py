"""The deprecated sizing-requests module of plcapacity 0.1: it warns once per call, naming
what to use instead, and still works."""

import pandas as pd
import pytest

from plcapacity.capacity import sizing_requests


def test_sizing_requests_module_is_deprecated_but_works():
    with pytest.warns(DeprecationWarning, match="plcapacity.sizing_requests.size_requests is "
                      "deprecated since 0.2.0 and will be removed in 0.3.0; use "
                      "plcapacity.size_table instead"):
        result = sizing_requests.size_requests(pd.DataFrame({"concurrent_connections": [10]}))
    assert result.status[0] == "ok"


def test_read_sizing_requests_is_deprecated_and_checks_the_columns(tmp_path):
    good = tmp_path / "requests.csv"
    good.write_text("service,concurrent_connections,headroom\napi,1000,0.2\n")
    with pytest.warns(DeprecationWarning, match="plcapacity.sizing_requests."
                      "read_sizing_requests is deprecated since 0.2.0 and will be removed in "
                      "0.3.0; use plcapacity.read_table instead"):
        frame = sizing_requests.read_sizing_requests(good)
    assert frame.values.tolist() == [["api", "1000", "0.2"]]
    bad = tmp_path / "bad.csv"
    bad.write_text("service,concurrent_connections,colour\napi,1000,blue\n")
    with pytest.warns(DeprecationWarning), pytest.raises(
            ValueError, match=rf"^{bad}: unknown column\(s\) 'colour'; allowed: service, "
                              "concurrent_connections"):
        sizing_requests.read_sizing_requests(bad)


def test_the_request_columns_are_the_service_and_the_demand_columns():
    assert list(sizing_requests.REQUEST_COLUMNS)[:2] == ["service", "concurrent_connections"]
    assert "headroom" in sizing_requests.REQUEST_COLUMNS
    assert sizing_requests.__all__ == []  # nothing here is public API
