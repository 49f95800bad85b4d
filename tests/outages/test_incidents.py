"""Outage incidents: the shipped Azure status extract, reading a user's list, locations and
the merging of duplicate reports.

Known answers are computed here independently of the module: hand-made examples, and a
brute-force merge (a Python loop over sorted rows) against the merge of random rows and of
the shipped data.
"""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import plcapacity as plc
from plcapacity.base.limits import data_path
from plcapacity.outages.incidents import (
    INCIDENTS_FILE,
    load_incidents,
    merge_duplicates,
    read_incidents,
)

SHIPPED = data_path(INCIDENTS_FILE)


def _incidents(rows):
    return pd.DataFrame(rows, columns=["start", "end", "location"])


# ----------------------------------------------------------------------------- shipped data


def test_shipped_data_is_the_unmodified_extract_with_notice():
    frame = load_incidents()
    assert len(frame) == 211
    assert list(frame.columns) == ["service_name", "location", "start_utc", "end_utc",
                                   "source_file"]
    readme = (SHIPPED.parent / "README.md").read_text()
    assert "License: MIT, Copyright (c) 2025 @Large Research; keep this notice with any copy." \
        in readme
    assert "044a5cb3744f7d0ac818c9830bdc00b4e469caf8" in readme
    for limit in ("not region outages", "Duplicates", "Partial 2020"):
        assert limit in readme


# ----------------------------------------------------------------------------- locations


# ----------------------------------------------------------------------------- merging


def test_duplicates_merged_on_a_hand_made_example():
    incidents = _incidents([
        ("2019-03-01 10:00", "2019-03-01 12:00", "West Europe"),
        ("2019-03-01 11:00", "2019-03-01 13:00", "West Europe"),   # overlaps the first
        ("2019-03-01 13:00", "2019-03-01 14:00", "westeurope"),    # touches: same incident
        ("2019-03-01 15:00", "2019-03-01 16:00", "West Europe"),   # separate
        ("2019-03-01 11:00", "2019-03-01 12:00", "North Europe"),  # other location: separate
        ("2019-03-01 10:00", "2019-03-01 11:00", "UK South / UK West"),
        ("2019-03-01 10:30", "2019-03-01 12:00", "UK West and UK South"),  # same group
        ("2019-03-02 09:00", "2019-03-02 10:00", "Multi-region"),
        ("2019-03-02 09:30", "2019-03-02 10:30", "global"),  # also Multi-region: merged
    ])
    fit = plc.fit_outages(incidents, period=("2019-01-01", "2020-01-01"), rates="own-or-pooled")
    events = fit.events.set_index(["regions", "start"])
    t = pd.Timestamp
    expected = {  # (regions, start): (end, rows merged), by hand
        ("westeurope", t("2019-03-01 10:00", tz="UTC")): (t("2019-03-01 14:00", tz="UTC"), 3),
        ("westeurope", t("2019-03-01 15:00", tz="UTC")): (t("2019-03-01 16:00", tz="UTC"), 1),
        ("northeurope", t("2019-03-01 11:00", tz="UTC")): (t("2019-03-01 12:00", tz="UTC"), 1),
        ("uksouth ukwest", t("2019-03-01 10:00", tz="UTC")): (t("2019-03-01 12:00", tz="UTC"), 2),
        ("Multi-region", t("2019-03-02 09:00", tz="UTC")): (t("2019-03-02 10:30", tz="UTC"), 2),
    }
    assert len(events) == len(expected)
    for key, (end, merged) in expected.items():
        assert events.loc[key, "end"] == end
        assert events.loc[key, "rows_merged"] == merged
    assert events.loc[("westeurope", t("2019-03-01 10:00", tz="UTC")), "hours"] == 4.0
    table = fit.table.set_index("name")
    assert table.loc["westeurope", "events"] == 2
    assert table.loc["uksouth / ukwest", "events"] == 1
    assert table.loc["Multi-region", "events"] == 1
    assert not table.loc["Multi-region", "in_model"]
    # Multi-region is not in the model: the model has region overrides and one group only.
    assert set(fit.model.regions) == {"westeurope", "northeurope"}
    assert [g.regions for g in fit.model.groups] == [("uksouth", "ukwest")]


def test_merge_duplicates_keeps_separate_keys_apart():
    t = pd.Timestamp
    frame = pd.DataFrame({"key": ["a", "b", "a"],
                          "start": [t("2019-01-01 00:00"), t("2019-01-01 00:30"),
                                    t("2019-01-01 05:00")],
                          "end": [t("2019-01-01 06:00"), t("2019-01-01 01:00"),
                                  t("2019-01-01 05:30")]})
    merged = merge_duplicates(frame)
    # "a" 05:00-05:30 lies inside 00:00-06:00: one incident; "b" stays apart.
    assert merged[["key", "rows_merged"]].values.tolist() == [["a", 2], ["b", 1]]
    assert merged.loc[0, "end"] == t("2019-01-01 06:00")


def _brute_force_merge(rows):
    """Sorted (start, end) pairs merged by a plain loop (overlapping or touching)."""
    merged = []
    for start, end in sorted(rows):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def test_shipped_profile_counts_match_a_brute_force_count():
    raw = pd.read_csv(SHIPPED)
    fit = plc.outage_profile_fit("azure-status-2018-2020")
    table = fit.table.set_index("name")
    for display, region in (("West Europe", "westeurope"), ("East US", "eastus"),
                            ("UK South", "uksouth")):
        pairs = [(pd.Timestamp(s), pd.Timestamp(e)) for s, e, loc in
                 zip(raw["start_utc"], raw["end_utc"], raw["location"])
                 if loc == display or loc.replace(" ", "").lower() == region
                 or (region == "eastus" and "resources in East US" in loc)]
        merged = [m for m in _brute_force_merge(pairs)
                  if pd.Timestamp("2018-01-01") <= m[0] < pd.Timestamp("2020-01-01")]
        assert table.loc[region, "events"] == len(merged)
        assert fit.model.regions[region][0] == pytest.approx(len(merged) / 2.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 200), st.integers(1, 40)),
                min_size=1, max_size=30))
def test_merge_duplicates_equals_brute_force(rows):
    t0 = pd.Timestamp("2019-01-01")
    frame = pd.DataFrame({"key": [k for k, _, _ in rows],
                          "start": [t0 + pd.Timedelta(minutes=s) for _, s, _ in rows],
                          "end": [t0 + pd.Timedelta(minutes=s + d) for _, s, d in rows]})
    merged = merge_duplicates(frame)
    for key in ("a", "b"):
        expected = _brute_force_merge([(s, e) for k, s, e in
                                       zip(frame["key"], frame["start"], frame["end"])
                                       if k == key])
        got = merged[merged["key"] == key]
        assert [[s, e] for s, e in zip(got["start"], got["end"])] == expected
    assert merged["rows_merged"].sum() == len(rows)


# ----------------------------------------------------------------------------- read_incidents


def test_read_incidents_takes_either_column_name_and_reads_naive_times_as_utc():
    frame = pd.DataFrame({"start_utc": ["2019-01-01 10:00", "2019-06-01 22:30"],
                          "end_utc": ["2019-01-01 12:00+01:00", "2019-06-02 01:00"],
                          "location": ["  West Europe ", "eastus"]}, index=[7, 9])
    table = read_incidents(frame)
    assert list(table.columns) == ["start", "end", "location", "service", "row"]
    assert table["service"].tolist() == ["", ""]  # no service_name column: none named
    # 12:00 at UTC+1 is 11:00 UTC: one hour after the (UTC) start
    assert table.loc[0, "end"] - table.loc[0, "start"] == pd.Timedelta(hours=1)
    assert table.loc[1, "end"] - table.loc[1, "start"] == pd.Timedelta(hours=2.5)
    assert str(table["start"].dt.tz) == "UTC"
    assert table["location"].tolist() == ["West Europe", "eastus"]  # stripped
    assert table["row"].tolist() == ["incidents row 7", "incidents row 9"]  # index labels


def test_read_incidents_end_equal_to_start_across_time_zones_is_refused():
    frame = _incidents([("2019-01-01 10:00", "2019-01-01 12:00+02:00", "East US")])
    with pytest.raises(ValueError, match=r"incidents row 0: end='2019-01-01 12:00\+02:00' is "
                                         r"not after start='2019-01-01 10:00'"):
        read_incidents(frame)


def test_read_incidents_from_csv_names_file_lines_after_comments(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("# exported by hand\n# second comment\nstart,end,location\n"
                    "2019-01-01 00:00,2019-01-01 01:00,West Europe\n"
                    "2019-02-01 00:00,2019-02-01 03:00,North Europe\n")
    table = read_incidents(path)
    # two comment lines and the header: the data rows are the file's lines 4 and 5
    assert table["row"].tolist() == [f"{path} line 4", f"{path} line 5"]
    assert (table["end"] - table["start"]).tolist() == [pd.Timedelta(hours=1),
                                                        pd.Timedelta(hours=3)]
    path.write_text("start,end,location\n2019-01-01,2019-01-02,\n")
    with pytest.raises(ValueError, match=rf"{path} line 2: location is empty"):
        read_incidents(path)


def test_read_incidents_refuses_what_is_not_an_incident_table(tmp_path):
    with pytest.raises(ValueError, match="no such incident file"):
        read_incidents(tmp_path / "missing.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("start,end,location\n2019-01-01,2019-01-02,Québec\n".encode("latin-1"))
    # the header (19 bytes), two dates and their commas (22), "Qu" (2): the é is byte 43
    with pytest.raises(ValueError, match=rf"{latin}: not UTF-8 text \(byte 43\)"):
        read_incidents(latin)
    with pytest.raises(ValueError, match="incidents=int is not allowed: a DataFrame or the "
                                         "path of a CSV file"):
        read_incidents(5)
    with pytest.raises(ValueError, match="missing column 'location'"):
        read_incidents(pd.DataFrame({"start": ["2019-01-01"], "end": ["2019-01-02"]}))


# ----------------------------------------------------------------------------- aliases


def test_merge_duplicates_of_no_rows_is_empty_with_its_count_column():
    empty = pd.DataFrame({"key": [], "start": pd.to_datetime([]), "end": pd.to_datetime([])})
    merged = merge_duplicates(empty)
    assert merged.empty and "rows_merged" in merged.columns
