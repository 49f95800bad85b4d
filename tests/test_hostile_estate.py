"""``plcapacity estate`` against hostile exports: every malformed file is one line naming the
file, where in it (the JSON path) and what was expected, with exit code 2, never a Python
exception (exit 3). Each defect is retried with other wrong types: a number, a list, a
boolean, null and a nested object where text, an object or a list belongs."""

import copy
import json
import re

import pytest

from plcapacity.base.limits import data_path

ESTATE = data_path("examples/estate")
PLS = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateLinkServices/p"
#: Values of every JSON type but the right one is among them.
WRONG = [7, 2.5, True, None, [1, 2], {"deep": {"er": [1]}}, "text"]


def examples():
    return {name: json.loads((ESTATE / name).read_text())
            for name in ("pls.json", "lb.json", "pe.json")}


def estate(cli, tmp_path, documents, metrics=None, *, raw=False):
    """Run the command on the example inventory with some documents replaced (``raw``: the
    metrics file's text as given)."""
    paths = []
    for name, document in documents.items():
        path = tmp_path / name
        path.write_text(json.dumps(document))
        paths.append(str(path))
    argv = ["estate", "--inventory", *paths]
    if metrics is not None:
        path = tmp_path / "metrics.json"
        path.write_text(metrics if raw else json.dumps(metrics))
        argv += ["--metrics", str(path)]
    return cli(argv)


def one_line_error(result, file, *needles):
    code, out, err = result
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("plcapacity: error: "), err
    assert "internal error" not in err and "Traceback" not in err
    assert file in err, err
    for needle in needles:
        assert needle in err, err
    return err


def set_path(document, path, value):
    document = copy.deepcopy(document)
    where = document
    for key in path[:-1]:
        where = where[key]
    where[path[-1]] = value
    return document


# ------------------------------------------------------------------ inventory fields


def kind(value):
    return {type(None): "null", bool: "bool", int: "int", float: "float", list: "list",
            dict: "dict", str: "str"}[type(value)]


INVENTORY_FIELDS = [
    # (file, path in the file, the path the message names, what belongs there)
    ("pls.json", (1, "id"), "id", str),
    ("pls.json", (0, "name"), "name", str),
    ("pls.json", (0, "location"), "location", str),
    ("pls.json", (0, "visibility", "subscriptions"), "visibility.subscriptions", list),
    ("pls.json", (0, "visibility", "subscriptions"), "visibility.subscriptions[0]", "items"),
    ("pls.json", (0, "visibility"), "visibility", dict),
    ("pls.json", (0, "ipConfigurations"), "ipConfigurations", list),
    ("pls.json", (0, "privateEndpointConnections", 0, "privateEndpoint", "id"),
     "privateEndpointConnections[0].privateEndpoint.id", str),
    ("pls.json", (0, "privateEndpointConnections", 0, "privateEndpoint"),
     "privateEndpointConnections[0].privateEndpoint", dict),
    ("pls.json", (0, "privateEndpointConnections", 0, "privateEndpointLocation"),
     "privateEndpointConnections[0].privateEndpointLocation", str),
    ("pls.json", (0, "privateEndpointConnections", 0), "privateEndpointConnections[0]", dict),
    ("pls.json", (0, "loadBalancerFrontendIpConfigurations", 0),
     "loadBalancerFrontendIpConfigurations[0]", dict),
    ("lb.json", ("data", 0, "properties", "backendAddressPools"),
     "properties.backendAddressPools", list),
    ("lb.json", ("data", 0, "properties", "loadBalancingRules", 0, "properties",
                 "backendAddressPools"),
     "properties.loadBalancingRules[0].properties.backendAddressPools", list),
    ("lb.json", ("data", 0, "properties", "frontendIPConfigurations", 0, "properties",
                 "loadBalancingRules"),
     "properties.frontendIPConfigurations[0].properties.loadBalancingRules", list),
    ("lb.json", ("data", 0, "properties", "loadBalancingRules", 0),
     "properties.loadBalancingRules[0]", dict),
    ("pe.json", (0, "id"), "id", str),
    ("pe.json", (0, "location"), "location", str),
]


@pytest.mark.parametrize("file, path, named, right", INVENTORY_FIELDS,
                         ids=[f"{f}:{n}" for f, _, n, _ in INVENTORY_FIELDS])
@pytest.mark.parametrize("value", WRONG, ids=kind)
def test_a_wrong_type_in_the_inventory_names_file_path_and_expectation(
        tmp_path, cli, file, path, named, right, value):
    if right == "items":                                  # inside the list
        value, right = [value], str
        if value[0] is not None and isinstance(value[0], str):
            pytest.skip("text is right here")
    elif isinstance(value, right) and not isinstance(value, bool):
        pytest.skip("the right type")
    documents = examples()
    documents[file] = set_path(documents[file], path, value)
    optional_and_absent = value is None or value == [None]
    code, out, err = estate(cli, tmp_path, documents)
    if optional_and_absent and code == 0:
        return                                            # an optional field left out: fine
    one_line_error((code, out, err), file, named)
    assert " is " in err and ("not " in err or "missing" in err), err
    assert "expected" in err or "has a resource id" in err, err


# ------------------------------------------------------------------ metrics exports


def rest(points, metadata=None, **metric):
    """A one-metric response of az monitor metrics list -o json."""
    return {"value": [{"id": f"{PLS}/providers/Microsoft.Insights/metrics/PLSNatPortsUsage",
                       "name": {"value": "PLSNatPortsUsage"}, "unit": "Percent",
                       "timeseries": [{"metadatavalues": metadata if metadata is not None else
                                       [{"name": {"value": "PrivateLinkServiceIPAddress"},
                                         "value": "10.0.0.4"}],
                                       "data": points}], **metric}]}


def day(d, value=40.0):
    return {"timeStamp": f"2026-03-{d:02d}T13:00:00Z", "maximum": value}


GOOD_POINTS = [day(d, 40.0 + d) for d in range(1, 21)]


@pytest.mark.parametrize("value", [7, 2.5, True, None, [1, 2], [[1]], "text"], ids=kind)
def test_points_that_are_not_objects(tmp_path, cli, value):
    # integer REST data points were an AttributeError (exit 3)
    points = copy.deepcopy(GOOD_POINTS)
    points[3] = value
    one_line_error(estate(cli, tmp_path, examples(), rest(points)), "metrics.json",
                   "value[0].timeseries[0].data[3]", f"a point is {kind(value)}",
                   "not an object", "expected timeStamp")


@pytest.mark.parametrize("field, value", [
    ("maximum", True), ("maximum", [1]), ("maximum", {"a": 1}), ("maximum", [[1]]),
    ("timeStamp", 20260301), ("timeStamp", True), ("timeStamp", {"a": "b"}),
    ("timeStamp", None),
])
def test_point_fields_of_the_wrong_type(tmp_path, cli, field, value):
    points = copy.deepcopy(GOOD_POINTS)
    points[5][field] = value
    err = one_line_error(estate(cli, tmp_path, examples(), rest(points)), "metrics.json",
                         "value[0].timeseries[0].data[5]")
    assert field in err or "timeStamp" in err


@pytest.mark.parametrize("value", [7, True, "text", {"a": 1}], ids=kind)
@pytest.mark.parametrize("where", ["data", "timeseries", "metadatavalues", "value[0]",
                                   "name", "unit", "dimension name", "dimension value"])
def test_rest_structure_of_the_wrong_type(tmp_path, cli, where, value):
    document = rest(copy.deepcopy(GOOD_POINTS))
    metric = document["value"][0]
    if where == "data":
        metric["timeseries"][0]["data"] = value
        named = "value[0].timeseries[0].data"
    elif where == "timeseries":
        metric["timeseries"] = value
        named = "value[0].timeseries"
    elif where == "metadatavalues":
        metric["timeseries"][0]["metadatavalues"] = value
        named = "value[0].timeseries[0].metadatavalues"
    elif where == "value[0]":
        document["value"][0] = value
        named = "value[0]"
    elif where == "name":
        metric["name"] = {"value": value}
        named = "value[0].name.value"
    elif where == "unit":
        metric["unit"] = value
        named = "value[0].unit"
    elif where == "dimension name":
        metric["timeseries"][0]["metadatavalues"][0]["name"] = {"value": [value]}
        named = "metadatavalues[0].name.value"
    else:
        metric["timeseries"][0]["metadatavalues"][0]["value"] = [value]
        named = "metadatavalues[0].value"
    if isinstance(value, str) and where in ("name", "unit"):
        pytest.skip("text is right here")
    one_line_error(estate(cli, tmp_path, examples(), document), "metrics.json", named)


LOG_ANALYTICS_ROW = {"TimeGenerated": "2026-03-01T13:00:00Z", "_ResourceId": PLS,
                     "MetricName": "PLSNatPortsUsage", "Maximum": 41.5, "UnitName": "Percent",
                     "Dimension": {"PrivateLinkServiceIPAddress": "10.0.0.4"}}


@pytest.mark.parametrize("field, right", [("TimeGenerated", str), ("_ResourceId", str),
                                          ("MetricName", str), ("Maximum", float),
                                          ("UnitName", str), ("Dimension", dict)])
@pytest.mark.parametrize("value", [7, True, [1, 2], {"deep": {"er": [1]}}], ids=kind)
def test_log_analytics_cells_of_the_wrong_type(tmp_path, cli, field, right, value):
    if isinstance(value, right) and not isinstance(value, bool):
        pytest.skip("the right type")
    if field == "Maximum" and isinstance(value, int) and not isinstance(value, bool):
        pytest.skip("a number is right")
    if field == "Dimension" and isinstance(value, dict):
        value = {"PrivateLinkServiceIPAddress": value}
    rows = [dict(LOG_ANALYTICS_ROW, TimeGenerated=f"2026-03-{d:02d}T13:00:00Z")
            for d in range(1, 6)]
    rows[2][field] = value
    err = one_line_error(estate(cli, tmp_path, examples(), rows), "metrics.json",
                         "Log Analytics row [2]")
    assert field.lstrip("_") in err and "not " in err


@pytest.mark.parametrize("break_it, named", [
    (lambda t: t.update(rows=7), "tables[0].rows is int"),
    (lambda t: t.update(rows={"a": 1}), "tables[0].rows is dict"),
    (lambda t: t.update(columns=None), "tables[0].columns is null"),
    (lambda t: t["rows"].__setitem__(1, 5), "tables[0].rows[1] is int"),
    (lambda t: t["rows"].__setitem__(1, True), "tables[0].rows[1] is bool"),
    (lambda t: t["rows"].__setitem__(1, {"x": 1}), "tables[0].rows[1] is dict"),
    (lambda t: t["rows"][1].pop(), "tables[0].rows[1] has 5 cells, not 6"),
    (lambda t: t["columns"].__setitem__(0, {"name": 3}), "tables[0].columns[0].name is int"),
    (lambda t: t["columns"].__setitem__(0, [1]), "tables[0].columns[0].name is null"),
], ids=["rows-number", "rows-object", "columns-null", "row-number", "row-bool", "row-object",
        "row-short", "column-name-number", "column-list"])
def test_log_analytics_tables_of_the_wrong_shape(tmp_path, cli, break_it, named):
    rows = [dict(LOG_ANALYTICS_ROW, TimeGenerated=f"2026-03-{d:02d}T13:00:00Z")
            for d in range(1, 4)]
    table = {"name": "PrimaryResult", "columns": [{"name": k} for k in rows[0]],
             "rows": [list(r.values()) for r in rows]}
    break_it(table)
    one_line_error(estate(cli, tmp_path, examples(), {"tables": [table]}), "metrics.json",
                   named)


@pytest.mark.parametrize("document", [7, "text", True, [1, 2], [[{"a": 1}]],
                                      {"tables": 3}, {"tables": [4]}, {"value": 5}])
def test_metrics_documents_of_the_wrong_shape(tmp_path, cli, document):
    one_line_error(estate(cli, tmp_path, examples(), document), "metrics.json", "expected")


@pytest.mark.parametrize("text", ["", "null", "{", "[1, 2", "1" * 5000, "\x00"])
def test_metrics_files_that_are_not_json(tmp_path, cli, text):
    one_line_error(estate(cli, tmp_path, examples(), text, raw=True), "metrics.json")


# ------------------------------------------------------------------ nesting


@pytest.mark.parametrize("depth", [5_000, 100_000])
@pytest.mark.parametrize("which", ["inventory", "metrics"])
@pytest.mark.parametrize("bracket", ["[]", "{}"])
def test_deep_nesting_is_one_line_not_a_recursion_error(tmp_path, cli, depth, which, bracket):
    opening, closing = bracket
    inner = (opening + ('"a":' if opening == "{" else "")) * depth + \
        ("1" if opening == "[" else "1") + closing * depth
    text = f'{{"value": {inner}}}' if opening == "{" else inner
    path = tmp_path / "deep.json"
    path.write_text(text)
    argv = (["estate", "--inventory", str(path)] if which == "inventory" else
            ["estate", "--inventory", str(ESTATE / "pls.json"), "--metrics", str(path)])
    one_line_error(cli(argv), "deep.json", "nested too deeply")


def test_a_deep_json_cell_in_a_csv_export(tmp_path, cli):
    path = tmp_path / "graph.csv"
    path.write_text('id,type,properties\n/x,microsoft.network/privatelinkservices,"'
                    + "[" * 50_000 + "]" * 50_000 + '"\n')
    one_line_error(cli(["estate", "--inventory", str(path)]), "graph.csv", "line 2",
                   "'properties'", "nested too deeply")


@pytest.mark.parametrize("field", ["id", "name", "location"])
def test_moderately_deep_values_are_shown_briefly(tmp_path, cli, field):
    # deep enough to break a plain repr in a message, shallow enough to parse
    documents = examples()
    value = json.loads("[" * 900 + "]" * 900)
    documents["pls.json"][0][field] = value
    err = one_line_error(estate(cli, tmp_path, documents), "pls.json", field, "is list")
    assert len(err) < 600


def test_no_nat_port_metrics_names_the_files(tmp_path, cli):
    document = rest(copy.deepcopy(GOOD_POINTS))
    document["value"][0]["name"]["value"] = "PLSBytesIn"
    one_line_error(estate(cli, tmp_path, examples(), document), "metrics.json",
                   "no PLSNatPortsUsage values", "metrics found: PLSBytesIn")


# ------------------------------------------------------------------ values that cannot be usage

NAT_RANGE = "is not a usage percentage (0 to 100"


def rest_values(text, metric="PLSNatPortsUsage", unit="Percent"):
    """A REST export whose fifth point carries ``text`` (raw JSON, e.g. Infinity)."""
    points = [day(d, 40.0 + d) for d in range(1, 21)]
    document = json.dumps(rest(points))
    document = document.replace('"PLSNatPortsUsage"', json.dumps(metric)).replace(
        '"Percent"', json.dumps(unit))
    return document.replace('"maximum": 45.0', f'"maximum": {text}')


@pytest.mark.parametrize("text", ["Infinity", "-Infinity", "1e308", "-0.5", "100.01", "130",
                                  "1e6", "-1e308"])
def test_nat_port_usage_that_cannot_be_a_percentage(tmp_path, cli, text):
    err = one_line_error(estate(cli, tmp_path, examples(), rest_values(text),
                                raw=True),
                         "metrics.json", "metric PLSNatPortsUsage of " + PLS,
                         "value[0].timeseries[0].data[4]", "2026-03-05T13:00:00")
    assert NAT_RANGE in err or "not a finite number" in err


@pytest.mark.parametrize("text", ["Infinity", "1e308", "-1", "2e18"])
def test_byte_counts_that_cannot_be(tmp_path, cli, text):
    one_line_error(estate(cli, tmp_path, examples(),
                          rest_values(text, metric="PLSBytesIn", unit="Count"),
                          raw=True),
                   "metrics.json", "metric PLSBytesIn of " + PLS, "2026-03-05T13:00:00")


@pytest.mark.parametrize("cell", ["130", "-2", "inf", "1e308"])
def test_log_analytics_csv_values_out_of_range(tmp_path, cli, cell):
    path = tmp_path / "azuremetrics.csv"
    lines = ["TimeGenerated [UTC],ResourceId,MetricName,Maximum,Total,Count,UnitName"]
    for d in range(1, 6):
        value = cell if d == 3 else "40"
        lines.append(f'"3/{d}/2026, 1:00:00.000 PM",{PLS},PLSNatPortsUsage,{value},400,9,'
                     "Percent")
    path.write_text("\n".join(lines) + "\n")
    err = one_line_error(cli(["estate", "--inventory", str(ESTATE / "pls.json"), "--metrics",
                              str(path)]), "azuremetrics.csv", "line 4",
                         "2026-03-03T13:00:00")
    assert "maximum value" in err


def test_totals_and_counts_of_a_percentage_may_exceed_100(tmp_path, cli):
    # Total sums the samples' percentages and Count counts them: not percentages themselves
    rows = [dict(LOG_ANALYTICS_ROW, TimeGenerated=f"2026-03-{d:02d}T13:00:00Z", Total=900.0,
                 Count=60) for d in range(1, 6)]
    code, _, err = estate(cli, tmp_path, examples(), rows)
    assert code == 0, err


@pytest.mark.parametrize("stamp", ["9999-01-01T00:00:00Z", "0001-01-01T00:00:00Z",
                                   "1999-12-31T23:59:59Z", "2100-01-01T00:00:00Z",
                                   "2262-04-12T00:00:00Z"])
@pytest.mark.parametrize("shape", ["rest", "log analytics"])
def test_timestamps_outside_the_years_metrics_can_have(tmp_path, cli, stamp, shape):
    if shape == "rest":
        points = [day(d, 40.0 + d) for d in range(1, 21)]
        points[7]["timeStamp"] = stamp
        document, place = rest(points), "value[0].timeseries[0].data[7]"
    else:
        document = [dict(LOG_ANALYTICS_ROW, TimeGenerated=f"2026-03-{d:02d}T13:00:00Z")
                    for d in range(1, 9)]
        document[7]["TimeGenerated"] = stamp
        place = "Log Analytics row [7]"
    err = one_line_error(estate(cli, tmp_path, examples(), document), "metrics.json", place,
                         "timestamp outside the years 2000 to 2099")
    assert stamp[:4] in err


@pytest.mark.parametrize("days", ["1e9", "36526", "0", "-5", "1e300"])
def test_horizons_out_of_range_name_the_option(cli, days):
    metrics = str(ESTATE / "metrics-pls-orders.json")
    code, out, err = cli(["estate", "--inventory", str(ESTATE / "pls.json"), "--metrics",
                          metrics, "--horizon-days", days])
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "--horizon-days" in err and "at most 36,525" in err


def test_the_longest_horizon_from_the_latest_year_gives_real_dates(rng):
    import numpy as np
    import pandas as pd

    from plcapacity.estate.forecast import MAX_HORIZON_DAYS, forecast_exhaustion
    days = pd.date_range("2099-10-01T12:00:00Z", "2099-12-31T12:00:00Z", freq="D")
    usage = 20 + 0.002 * np.arange(days.size) + rng.normal(0, 0.01, days.size)
    table = pd.DataFrame({"timestamp": days, "resource_id": PLS, "metric": "PLSNatPortsUsage",
                          "dimension": "10.0.0.4", "aggregation": "maximum", "value": usage,
                          "unit": "Percent"})
    forecast = forecast_exhaustion(table, thresholds=[80], horizon_days=MAX_HORIZON_DAYS)
    row = forecast.table.iloc[0]
    # 80 % at about day 30,000 on the line, day 13,900 if the growth is exponential (92
    # days cannot tell them apart): the dates weigh both, real dates within the century
    assert row["status"] == "forecast"
    assert pd.Timestamp("2130-01-01", tz="UTC") < row["crossing_earliest"] \
        <= row["crossing_date"] < pd.Timestamp("2200-01-01", tz="UTC")
    assert pd.isna(row["crossing_latest"]) or row["crossing_latest"] < \
        pd.Timestamp("2200-01-01", tz="UTC")


@pytest.mark.parametrize("value, reason", [(130.0, NAT_RANGE), (-1.0, NAT_RANGE),
                                           (float("inf"), "not a finite number")])
def test_a_table_passed_to_the_forecast_is_checked_too(value, reason):
    import numpy as np
    import pandas as pd

    from plcapacity.estate.forecast import forecast_exhaustion
    days = pd.date_range("2026-03-01T13:00:00Z", periods=20, freq="D")
    usage = np.linspace(30, 50, 20)
    usage[6] = value
    table = pd.DataFrame({"timestamp": days, "resource_id": PLS, "metric": "PLSNatPortsUsage",
                          "dimension": "10.0.0.4", "aggregation": "maximum", "value": usage,
                          "unit": "Percent"})
    with pytest.raises(ValueError, match=rf"metrics: PLSNatPortsUsage of {PLS} \(10\.0\.0\.4\): "
                                         rf"maximum value .* at 2026-03-07T13:00:00"):
        forecast_exhaustion(table)
    with pytest.raises(ValueError, match=re.escape(reason)):
        forecast_exhaustion(table)


# ------------------------------------------------------------------ size


def test_twenty_thousand_days_of_one_nat_ip_in_bounded_memory(tmp_path, cli):
    # 10,000 daily points took 2.6 GB and 20,000 ended in a MemoryError ("internal error")
    import tracemalloc

    import numpy as np
    import pandas as pd
    days = pd.date_range("2000-01-01T12:00:00Z", periods=20_000, freq="D")
    usage = np.round(20 + 0.002 * np.arange(days.size)
                     + np.random.default_rng(7).normal(0, 1, days.size), 2)
    points = [{"timeStamp": f"{d:%Y-%m-%dT%H:%M:%SZ}", "maximum": float(v)}
              for d, v in zip(days, usage)]
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(rest(points)))
    tracemalloc.start()
    try:
        code, out, err = cli(["estate", "--inventory", str(ESTATE / "pls.json"), "--metrics",
                              str(path), "--thresholds", "80", "--format", "json"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 0, err
    assert peak < 250e6, peak                               # bytes (about 110 MB)
    assert "not in the inventory" in err                    # the synthetic PLS is not there
