"""read_daily_metrics: the same daily peaks, throughput, notes and errors as read_metrics, file
by file; the typed reading and the general one agree; the same results whatever reads the
files (one process, several, a Dask cluster)."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from metric_documents import PLS, rest, write

import plcapacity as plc
from plcapacity.base.exceptions import ModelWarning, UnusualExport
from plcapacity.base.limits import data_path
from plcapacity.estate import daily as daily_module
from plcapacity.estate.daily import (
    DAILY_COLUMNS,
    DailyMetrics,
    interval_rates,
    parse_utc_stamps,
    read_daily_metrics,
)
from plcapacity.estate.forecast import daily_peaks, forecast_exhaustion, throughput
from plcapacity.estate.metrics import read_metrics

ESTATE = data_path("examples/estate")
EXAMPLES = sorted(ESTATE.glob("metrics-*.json"))


def hourly(values, start="2026-03-01T00:00:00", key="maximum"):
    stamps = pd.date_range(start, periods=len(values), freq="h", tz="UTC")
    return [{"timeStamp": t.strftime("%Y-%m-%dT%H:%M:%SZ"), key: v}
            for t, v in zip(stamps, values)]


def assert_same(paths, **kw):
    """Daily peaks, throughput, notes and the forecast from both readers agree."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        full = read_metrics(*paths)
        daily = read_daily_metrics(*paths, progress=False, **kw)
    assert isinstance(daily, DailyMetrics)
    assert (daily.notes, daily.flattened) == (full.notes, full.flattened)
    assert daily.points == len(full) and daily.files == len(paths)
    pd.testing.assert_frame_equal(daily_peaks(daily), daily_peaks(full))
    pd.testing.assert_frame_equal(throughput(daily), throughput(full), rtol=1e-12,
                                  check_dtype=len(throughput(full)) > 0)
    assert (throughput(daily)["peak_throughput_mbit_s"]
            == throughput(full)["peak_throughput_mbit_s"]).all()
    series = full.table[["resource_id", "metric", "dimension", "aggregation"]] \
        .drop_duplicates().reset_index(drop=True)
    mine = daily.table[["resource_id", "metric", "dimension", "aggregation"]] \
        .drop_duplicates().reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, series, check_dtype=False)
    return full, daily


def test_the_examples_give_the_forecast_of_the_full_table():
    full, daily = assert_same(EXAMPLES)
    assert list(daily.table.columns) == list(DAILY_COLUMNS)
    one, two = forecast_exhaustion(full), forecast_exhaustion(daily)
    pd.testing.assert_frame_equal(one.table.drop(columns="mean_throughput_mbit_s"),
                                  two.table.drop(columns="mean_throughput_mbit_s"),
                                  check_exact=True)
    pd.testing.assert_series_equal(one.table["mean_throughput_mbit_s"],
                                   two.table["mean_throughput_mbit_s"], rtol=1e-12)
    assert one.fits.keys() == two.fits.keys()


def test_every_example_is_read_by_the_typed_reader():
    for path in EXAMPLES:
        assert daily_module._typed_series(path)


def test_the_general_reader_takes_what_the_typed_one_does_not(tmp_path):
    points = hourly([10.0, 30.0, 20.0] * 16)
    upper = [{"TimeStamp": p["timeStamp"], "Maximum": p["maximum"]} for p in points]
    text = [{"timeStamp": p["timeStamp"], "maximum": str(p["maximum"])} for p in points]
    offset = [{"timeStamp": p["timeStamp"].replace("Z", "+00:00"), "maximum": p["maximum"]}
              for p in points]
    paths = []
    for name, data in (("upper", upper), ("text", text), ("offset", offset)):
        document = rest([([("PrivateLinkServiceIPAddress", name)], data)])
        paths.append(write(tmp_path, f"{name}.json", document))
        with pytest.raises(UnusualExport):
            daily_module._typed_series(paths[-1])
    full, daily = assert_same(paths)
    assert sorted(daily.table["dimension"].unique()) == ["offset", "text", "upper"]
    assert daily.table["peak"].tolist() == [30.0, 30.0] * 3     # two days of 24 hours each


def test_log_analytics_csv_is_read_too(tmp_path):
    path = tmp_path / "azuremetrics.csv"
    rows = ["TimeGenerated [UTC],ResourceId,MetricName,Maximum,UnitName"]
    rows += [f"2026-03-0{1 + h // 24}T{h % 24:02d}:00:00Z,{PLS},PLSNatPortsUsage,{h % 7},Percent"
             for h in range(48)]
    path.write_text("\n".join(rows) + "\n")
    with pytest.warns(ModelWarning, match="per-NAT-IP breakdown is lost"):
        daily = read_daily_metrics(path, progress=False)
    assert daily.flattened == (PLS,)
    assert daily.table["peak"].tolist() == [6.0, 6.0]


@pytest.mark.parametrize("change, message", [
    (lambda p: p[5].update(maximum=130.0), "is not a usage percentage"),
    (lambda p: p[3].update(timeStamp="1999-12-31T23:00:00Z"), "outside the years"),
    (lambda p: p[2].update(timeStamp="2026-02-30T00:00:00Z"), "is not an ISO 8601"),
    (lambda p: p[4].update(maximum=True), "not a number"),
])
def test_errors_are_those_of_read_metrics(tmp_path, change, message):
    points = hourly([10.0] * 30)
    change(points)
    path = write(tmp_path, "bad.json", rest([([("PrivateLinkServiceIPAddress", "ip")], points)]))
    with pytest.raises(ValueError) as full:
        read_metrics(path)
    with pytest.raises(ValueError) as daily:
        read_daily_metrics(write(tmp_path, "ok.json", rest([([], hourly([1.0]))])), path,
                           progress=False)
    assert str(daily.value) == str(full.value)
    assert message in str(daily.value) and "bad.json" in str(daily.value)


def test_a_series_and_a_resource_split_across_files(tmp_path):
    # NAT IP "ip" over two files (days 1-2, then day 2-3): its day 2 is the larger of both
    # files' peaks; the bytes in and out of one PLS in different files are summed per interval.
    first = rest([([("PrivateLinkServiceIPAddress", "ip")], hourly([5.0] * 24 + [7.0] * 24))])
    second = rest([([("PrivateLinkServiceIPAddress", "ip")],
                    hourly([9.0] * 24 + [3.0] * 24, start="2026-03-02T00:00:00"))])
    bytes_in = rest([([], hourly([7.5e8] * 4, key="total"))], metric="PLSBytesIn",
                    unit="Bytes")
    bytes_out = rest([([], hourly([3.75e8, 0.0, 3.75e8, 0.0], key="total"))],
                     metric="PLSBytesOut", unit="Bytes")
    paths = [write(tmp_path, f"{name}.json", document) for name, document in
             (("a", first), ("b", bytes_in), ("c", second), ("d", bytes_out))]
    full, daily = assert_same(paths)
    nat = daily.table[daily.table["metric"] == "PLSNatPortsUsage"]
    assert nat["peak"].tolist() == [5.0, 9.0, 3.0]
    # hand computation: (7.5e8 + 3.75e8) bytes x 8 / 3,600 s / 1e6 = 2.5 Mbit/s at most;
    # the mean of 2.5, 1.6667, 2.5, 1.6667 Mbit/s
    peak, mean = daily.throughput.loc[PLS]
    assert peak == pytest.approx(2.5, rel=1e-12)
    assert mean == pytest.approx((2.5 + 7.5e8 * 8 / 3600 / 1e6) / 2, rel=1e-12)


def test_interval_rates_against_a_loop():
    rng = np.random.default_rng(3)
    ns = np.cumsum(rng.choice([60, 300, 300, 300], 500)) * 10**9
    totals = rng.uniform(0, 1e9, 500)
    gaps = sorted((b - a) / 1e9 for a, b in zip(ns[:-1], ns[1:]))
    spacing = (gaps[len(gaps) // 2 - 1] + gaps[len(gaps) // 2]) / 2 if len(gaps) % 2 == 0 \
        else gaps[len(gaps) // 2]
    rates = [t * 8 / spacing / 1e6 for t in totals]
    peak, mean = interval_rates(ns, totals)
    assert peak == max(rates)
    assert mean == pytest.approx(sum(rates) / len(rates), rel=1e-12)
    assert interval_rates(ns[:1], totals[:1]) == (totals[0] * 8 / 60 / 1e6,) * 2


def test_timestamps_parse_as_pandas_does():
    rng = np.random.default_rng(11)
    seconds = rng.integers(946_684_800, 4_102_444_800, 5_000)          # 2000 to 2099
    seconds = np.append(seconds, [951_782_400, 4_107_542_399])          # 2000-02-29, 2100 leap?
    stamps = pd.to_datetime(seconds, unit="s", utc=True)
    text = [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in stamps]
    assert (parse_utc_stamps(text) == seconds * 10**9).all()
    for wrong in ("2026-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-01-01T24:00:00Z",
                  "2026-13-01T00:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01 00:00:00Z",
                  "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:0Z", "２026-01-01T00:00:00Z"):
        with pytest.raises(UnusualExport):
            parse_utc_stamps(text[:3] + [wrong])


def test_several_local_workers_give_the_same_result(tmp_path, monkeypatch):
    monkeypatch.setattr(daily_module, "PARALLEL_MIN_BYTES", 0)
    one = read_daily_metrics(*EXAMPLES, workers=1, progress=False)
    two = read_daily_metrics(*EXAMPLES, workers=2, progress=False)
    pd.testing.assert_frame_equal(one.table, two.table, check_exact=True)
    pd.testing.assert_frame_equal(one.throughput, two.throughput, check_exact=True)
    assert (one.points, one.files) == (two.points, two.files)


def test_progress_shows_files_and_values_only_when_asked(capsys):
    read_daily_metrics(*EXAMPLES, progress=True)
    err = capsys.readouterr().err
    assert "metrics" in err and "/4" in err and "file/s" in err
    read_daily_metrics(*EXAMPLES)                       # no terminal here: quiet
    assert capsys.readouterr().err == ""


def test_no_file_is_an_error():
    with pytest.raises(ValueError, match="at least one"):
        read_daily_metrics()


def test_the_review_takes_daily_metrics():
    inventory = plc.read_inventory(ESTATE / "pls.json", ESTATE / "lb.json", ESTATE / "pe.json")
    daily = read_daily_metrics(*EXAMPLES, progress=False)
    html = plc.estate_review(inventory, daily, forecast_exhaustion(daily))
    assert "pls-orders" in html and "data:image/png;base64," in html


@pytest.mark.slow
def test_a_local_dask_cluster_gives_the_local_result():
    from distributed import Client, LocalCluster
    local = read_daily_metrics(*EXAMPLES, workers=1, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        by_client = read_daily_metrics(*EXAMPLES, scheduler=client, progress=False)
        by_address = read_daily_metrics(*EXAMPLES, scheduler=cluster.scheduler_address,
                                        progress=False)
    for other in (by_client, by_address):
        pd.testing.assert_frame_equal(local.table, other.table, check_exact=True)
        pd.testing.assert_frame_equal(local.throughput, other.throughput, check_exact=True)
        assert (local.points, local.notes) == (other.points, other.notes)


def test_files_with_other_aggregations_than_the_one_before(tmp_path):
    # the typed reading tries each file with the aggregations of the one before; a file with
    # others (or a key written with an escape) is read in full all the same
    first = rest([([("PrivateLinkServiceIPAddress", "a")], hourly([10.0, 20.0] * 12))])
    points = [dict(p, average=p["maximum"] / 2, minimum=1.0)
              for p in hourly([30.0, 40.0] * 12)]
    second = rest([([("PrivateLinkServiceIPAddress", "b")], points)])
    escaped = json.dumps(rest([([("PrivateLinkServiceIPAddress", "c")],
                                hourly([50.0] * 24, key="count"))])).replace(
        '"count"', '"\\u0063ount"')
    paths = [write(tmp_path, "a.json", first), write(tmp_path, "b.json", second)]
    paths.append(tmp_path / "c.json")
    paths[-1].write_text(escaped)
    full, daily = assert_same(paths)
    assert sorted(set(zip(daily.table["dimension"], daily.table["aggregation"]))) == [
        ("a", "maximum"), ("b", "average"), ("b", "maximum"), ("b", "minimum"), ("c", "count")]
    for path in paths:
        assert daily_module._typed_series(path)               # all by the typed reading


def test_an_unreachable_scheduler_is_a_one_line_error():
    import dask
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(ValueError, match=r"scheduler='tcp://127.0.0.1:9': cannot reach"):
            read_daily_metrics(*EXAMPLES, scheduler="tcp://127.0.0.1:9", progress=False)
