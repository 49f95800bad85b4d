"""read_metrics on the REST / az shape, Log Analytics exports (AzureMetrics, AzureMetricsV2)
and the bundled example."""

import csv

import pandas as pd
import pytest
from metric_documents import PLS, rest, write

from plcapacity.base.exceptions import ModelWarning
from plcapacity.base.limits import data_path
from plcapacity.estate import exports as _exports
from plcapacity.estate.forecast import forecast_exhaustion
from plcapacity.estate.metrics import (
    METRIC_COLUMNS,
    Metrics,
    as_metrics,
    metrics_frame,
    read_metrics,
)


def test_rest_response_becomes_tidy_rows(tmp_path):
    points = [{"timeStamp": "2026-03-01T00:00:00Z", "average": 10.0, "maximum": 12.5},
              {"timeStamp": "2026-03-01T01:00:00Z", "average": 11.0, "maximum": 14.0},
              {"timeStamp": "2026-03-01T02:00:00Z"}]                      # no data: dropped
    document = rest([([("PrivateLinkServiceIPAddress", "10.0.0.4")], points),
                     ([("PrivateLinkServiceIPAddress", "10.0.0.5")], points[:1])])
    table = read_metrics(write(tmp_path, "m.json", document))
    assert list(table.columns) == list(METRIC_COLUMNS)
    assert len(table) == 2 * 2 + 2
    assert set(table["resource_id"]) == {PLS}
    first = table[(table["dimension"] == "10.0.0.4") & (table["aggregation"] == "maximum")]
    assert first["value"].tolist() == [12.5, 14.0]
    assert str(first["timestamp"].dt.tz) == "UTC"
    assert first["timestamp"].iloc[1] == pd.Timestamp("2026-03-01T01:00:00Z")
    assert (table["unit"] == "Percent").all()
    assert table.notes == ()


def test_several_dimensions_are_named(tmp_path):
    document = rest([([("a", "1"), ("b", "2")], [{"timeStamp": "2026-03-01T00:00:00Z",
                                                  "total": 5}])], metric="Other", unit="Count")
    assert read_metrics(write(tmp_path, "m.json", document))["dimension"].tolist() == ["a=1, b=2"]


def test_a_list_of_responses_one_per_pls(tmp_path):
    point = [{"timeStamp": "2026-03-01T00:00:00Z", "maximum": 1.0}]
    documents = [rest([([("PrivateLinkServiceIPAddress", "ip")], point)], resource=PLS + str(i))
                 for i in range(3)]
    table = read_metrics(write(tmp_path, "m.json", documents))
    assert sorted(table["resource_id"]) == [PLS + "0", PLS + "1", PLS + "2"]


def test_unsplit_nat_ports_say_the_breakdown_is_lost(tmp_path):
    document = rest([([], [{"timeStamp": "2026-03-01T00:00:00Z", "maximum": 40.0}])])
    with pytest.warns(ModelWarning, match="per-NAT-IP breakdown is lost"):
        table = read_metrics(write(tmp_path, "m.json", document))
    assert table.flattened == (PLS,)
    assert "PrivateLinkServiceIPAddress eq '*'" in table.notes[0]


def test_azure_metrics_csv_from_the_portal(tmp_path):
    # AzureMetrics (diagnostic settings): no Dimension column, upper-case ids, [UTC] headers
    path = tmp_path / "azuremetrics.csv"
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["TimeGenerated [UTC]", "ResourceId", "MetricName", "Total", "Count",
                         "Maximum", "Minimum", "Average", "TimeGrain", "UnitName"])
        writer.writerow(["3/1/2026, 1:00:00.000 PM", PLS.upper(), "PLSNatPortsUsage", "90", "3",
                         "40", "20", "30", "PT1M", "Percent"])
        writer.writerow(["3/1/2026, 1:01:00.000 PM", PLS.upper(), "PLSBytesIn", "1000", "1",
                         "", "", "", "PT1M", "Count"])
    with pytest.warns(ModelWarning):
        table = read_metrics(path)
    nat = table[table["metric"] == "PLSNatPortsUsage"].set_index("aggregation")["value"]
    assert nat.to_dict() == {"average": 30, "count": 3, "maximum": 40, "minimum": 20,
                             "total": 90}
    bytes_in = table[table["metric"] == "PLSBytesIn"].set_index("aggregation")["value"]
    assert bytes_in.to_dict() == {"count": 1, "total": 1000}   # empty cells are no data
    assert (table["dimension"] == "").all()
    assert set(table.loc[table["metric"] == "PLSNatPortsUsage", "timestamp"]) == {
        pd.Timestamp("2026-03-01T13:00:00Z")}
    assert set(table.loc[table["metric"] == "PLSBytesIn", "timestamp"]) == {
        pd.Timestamp("2026-03-01T13:01:00Z")}


def test_azure_metrics_v2_keeps_the_dimension(tmp_path):
    rows = [{"TimeGenerated": "2026-03-01T13:00:00Z", "_ResourceId": PLS.lower(),
             "MetricName": "PLSNatPortsUsage", "Maximum": 41.5, "Average": 30.0,
             "UnitName": "Percent", "Dimension": {"PrivateLinkServiceIPAddress": "10.0.0.4"}},
            {"TimeGenerated": "2026-03-01T13:00:00Z", "_ResourceId": PLS.lower(),
             "MetricName": "PLSNatPortsUsage", "Maximum": 12.0, "Average": 10.0,
             "UnitName": "Percent", "Dimension": '{"PrivateLinkServiceIPAddress":"10.0.0.5"}'}]
    table = read_metrics(write(tmp_path, "v2.json", rows))
    assert sorted(table["dimension"].unique()) == ["10.0.0.4", "10.0.0.5"]
    assert table.flattened == ()
    # the query API's tables/columns/rows shape reads the same
    api = {"tables": [{"name": "PrimaryResult",
                       "columns": [{"name": k, "type": "string"} for k in rows[0]],
                       "rows": [list(r.values()) for r in rows]}]}
    again = read_metrics(write(tmp_path, "api.json", api))
    pd.testing.assert_frame_equal(table.table, again.table)


def test_the_bundled_example(recwarn):
    paths = sorted(data_path("examples/estate").glob("metrics-*.json"))
    table = read_metrics(*paths)
    nat = table[table["metric"] == "PLSNatPortsUsage"]
    # 4 + 1 + 2 + 2 NAT IPs, 90 days of hourly maxima each
    assert nat.groupby(["resource_id", "dimension"]).ngroups == 9
    assert (nat.groupby(["resource_id", "dimension"]).size() == 90 * 24).all()
    assert set(table["metric"]) == {"PLSNatPortsUsage", "PLSBytesIn", "PLSBytesOut"}
    assert not [w for w in recwarn if issubclass(w.category, ModelWarning)]


@pytest.mark.parametrize("document, message", [
    ({"value": [{"name": {"value": "x"}}]}, r"value\[0\] has no name.value or id"),
    ({"value": [{"id": PLS + "/providers/Microsoft.Insights/metrics/x",
                 "name": {"value": "x"}}]}, r"metric x of .*/p: timeseries is missing"),
    (rest([([], [{"timeStamp": "yesterday", "maximum": 1}])]),
     r"timestamp 'yesterday' is not an ISO 8601"),
    (rest([([], [{"timeStamp": "2026-03-01T00:00:00Z", "maximum": "lots"}])]),
     r"maximum value 'lots' is not a number"),
    ([{"a": 1}], r"not a metrics export: missing column\(s\) timegenerated, metricname"),
    ("text", r"not a metrics export"),
], ids=["no-id", "no-timeseries", "bad-time", "bad-value", "wrong-table", "not-an-object"])
def test_bad_exports_name_the_file_and_the_problem(tmp_path, document, message):
    with pytest.raises(ValueError, match=rf"m\.json: .*{message}|{message}"):
        read_metrics(write(tmp_path, "m.json", document))


def test_size_limit_and_no_paths(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="at least one export file"):
        read_metrics()
    monkeypatch.setattr(_exports, "MAX_EXPORT_BYTES", 10)
    with pytest.raises(ValueError, match=r"larger than 10 bytes"):
        read_metrics(write(tmp_path, "m.json", rest([])))


def test_dimensions_column_spelled_in_the_plural(tmp_path):
    rows = [{"TimeGenerated": "2026-03-01T13:00:00Z", "_ResourceId": PLS,
             "MetricName": "PLSNatPortsUsage", "Maximum": 41.5, "UnitName": "Percent",
             "Dimensions": '{"PrivateLinkServiceIPAddress":"10.0.0.4"}'}]
    assert read_metrics(write(tmp_path, "v2.json", rows))["dimension"].tolist() == ["10.0.0.4"]


# ------------------------------------------------------------------ the Metrics object


def flattened_export(tmp_path, name="m.json", resource=PLS):
    document = rest([([], [{"timeStamp": "2026-03-01T00:00:00Z", "maximum": 40.0}])],
                    resource=resource)
    with pytest.warns(ModelWarning):
        return read_metrics(write(tmp_path, name, document))


def test_notes_and_flattened_are_attributes(tmp_path):
    metrics = flattened_export(tmp_path)
    assert isinstance(metrics, Metrics)
    assert isinstance(metrics.notes, tuple) and isinstance(metrics.flattened, tuple)
    assert len(metrics.notes) == 1 and "p)" in metrics.notes[0]    # names the PLS
    # deprecated until 0.3.0: the same in the table's .attrs, as 0.1 wrote them
    assert metrics.table.attrs == {"notes": list(metrics.notes), "flattened": [PLS]}


def test_metrics_read_like_their_table(tmp_path):
    metrics = flattened_export(tmp_path)
    assert len(metrics) == 1 and list(metrics) == list(METRIC_COLUMNS)
    assert metrics["value"].tolist() == [40.0] and metrics.metric.iloc[0] == "PLSNatPortsUsage"
    assert metrics_frame(metrics) is metrics.table and metrics_frame(metrics.table) is \
        metrics.table


def test_two_reads_concatenate_and_forecast_together(tmp_path):
    # 0.1's tables lost their notes in pd.concat; the tables concatenate, the notes are kept
    # by whoever holds the Metrics.
    days = [{"timeStamp": f"2026-03-{d:02d}T12:00:00Z", "maximum": 10.0 + d} for d in range(1, 21)]
    one = read_metrics(write(tmp_path, "a.json", rest([([("PrivateLinkServiceIPAddress", "ip")],
                                                       days)])))
    two = read_metrics(write(tmp_path, "b.json", rest([([("PrivateLinkServiceIPAddress", "ip")],
                                                       days)], resource=PLS + "2")))
    both = pd.concat([one.table, two.table], ignore_index=True)
    forecast = forecast_exhaustion(both, thresholds=(80,))
    assert sorted(forecast["pls"]) == ["p", "p2"]


def test_as_metrics_reads_0_1_attrs_with_a_warning(tmp_path):
    metrics = flattened_export(tmp_path)
    assert as_metrics(metrics) is metrics
    with pytest.warns(DeprecationWarning, match=r"\.attrs\['notes'\], \.attrs\['flattened'\] "
                      "is deprecated since 0.2.0.*use the Metrics"):
        again = as_metrics(metrics.table)
    assert again.notes == metrics.notes and again.flattened == metrics.flattened
    bare = metrics.table.copy()
    bare.attrs = {}
    assert as_metrics(bare).notes == ()                 # no warning: nothing to read
    with pytest.raises(ValueError, match="give the result of plcapacity.read_metrics"):
        as_metrics([1])


@pytest.mark.parametrize("count", [8, 80])
def test_every_series_of_a_file_is_read_in_one_pass(tmp_path, monkeypatch, count):
    # Each time series used to become a DataFrame, melted and parsed on its own (13 ms a
    # series with the forecast): the timestamps of a file are now parsed once, all series
    # together, so the parsing calls do not grow with the series.
    days = [{"timeStamp": f"2026-03-{d:02d}T12:00:00Z", "maximum": 10.0 + d}
            for d in range(1, 21)]
    document = rest([([("PrivateLinkServiceIPAddress", f"10.0.{i // 250}.{i % 250}")], days)
                     for i in range(count)])
    path = write(tmp_path, "m.json", document)
    parsed = []
    original = pd.to_datetime

    def counted(values, *args, **kwargs):
        parsed.append(len(values))
        return original(values, *args, **kwargs)
    monkeypatch.setattr(pd, "to_datetime", counted)
    table = read_metrics(path)
    assert table["dimension"].nunique() == count and len(table) == 20 * count
    assert len(parsed) <= 2                                   # once, and once to check ranges
    assert parsed[0] == 20 * count
