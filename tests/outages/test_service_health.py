"""Reading an Azure Service Health export: the example file's rows by hand, both key casings,
the Resource Graph and REST shapes, what is skipped, malformed input, and fit_outages end to
end on the example."""

import copy
import dataclasses
import json
import warnings

import pandas as pd
import pytest

import plcapacity as plc
from plcapacity.base.exceptions import ModelWarning
from plcapacity.outages import (
    ServiceHealthExport,
    read_incidents,
    read_service_health,
    service_health,
)

EXAMPLE = plc.data_path("examples/service_health_events.json")


def utc(text):
    return pd.Timestamp(text, tz="UTC")


# The example file, event by event, as it was written (data/examples/service_health_events.json,
# _comment): tracking id, service, location (parsed), start, end (UTC).
EXAMPLE_ROWS = [
    ("EX01-0001", "Virtual Machines", "westeurope", "2023-02-14 09:10", "2023-02-14 12:40"),
    ("EX02-0002", "Storage", "eastus", "2023-04-03 22:00", "2023-04-04 03:15"),
    # EX03: PlannedMaintenance, skipped
    ("EX04-0004", "Azure Portal", "Multi-region", "2023-06-21 13:05", "2023-06-21 15:50"),
    ("EX05-0005", "Virtual Machines", "westeurope", "2023-09-05 07:30", "2023-09-05 10:00"),
    ("EX05-0005", "Virtual Machines", "northeurope", "2023-09-05 07:30", "2023-09-05 10:00"),
    ("EX05-0005", "Virtual Network", "westeurope", "2023-09-05 07:30", "2023-09-05 10:00"),
    # EX06: HealthAdvisory, skipped
    ("EX07-0007", "Virtual Machines", "uksouth", "2024-01-18 16:45", "2024-01-18 19:05"),
    ("EX08-0008", "Storage", "westeurope", "2024-03-12 04:20", "2024-03-12 06:50"),
    ("EX09-0009", "Log Analytics", "eastus", "2024-05-27 11:00", "2024-05-27 14:30"),
    ("EX10-0010", "Virtual Machines", "eastus", "2024-08-08 19:40", "2024-08-08 23:10"),
    ("EX11-0011", "Virtual Network", "northeurope", "2024-10-02 02:15", "2024-10-02 03:45"),
    # still active: no mitigation time, ends at its LastUpdateTime
    ("EX12-0012", "Storage", "westeurope", "2024-12-20 08:00", "2024-12-20 14:30"),
]


def test_the_example_file_gives_the_rows_written_into_it():
    export = read_service_health(EXAMPLE)
    table = export.table
    assert list(table.columns) == ["start", "end", "location", "service_name", "tracking_id",
                                   "title"]
    got = [(r.tracking_id, r.service_name, r.location, r.start, r.end)
           for r in table.itertuples()]
    assert got == [(t, s, loc, utc(a), utc(b)) for t, s, loc, a, b in EXAMPLE_ROWS]
    assert str(table["start"].dtype) == "datetime64[ns, UTC]"
    assert export.skipped == {"PlannedMaintenance": 1, "HealthAdvisory": 1}
    assert export.skipped_events == 2
    assert export.open_ended == 1 and export.duplicates == 0 and export.incomplete == ""
    assert export.left_out.empty
    assert export.source == str(EXAMPLE)
    # the event with two services and two regions: three rows, named by JSON path
    assert table.index[3:6].tolist() == [
        "data[4].properties.Impact[0].ImpactedRegions[0]",
        "data[4].properties.Impact[0].ImpactedRegions[1]",
        "data[4].properties.Impact[1].ImpactedRegions[0]"]
    assert table.loc["data[0].properties.Impact[0].ImpactedRegions[0]", "title"] == (
        "Virtual Machines - West Europe - Mitigated")
    assert table.attrs == {}  # what was skipped travels in the result, not in .attrs
    assert "12 rows of 10 service issues" in repr(export)


def test_the_result_is_frozen():
    export = read_service_health(EXAMPLE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        export.open_ended = 3


# ----------------------------------------------------------------------- shapes and casing


def _key(name, casing):
    return name if casing == "pascal" else name[0].lower() + name[1:]


def event(casing="pascal", *, tracking="TRK-1", event_type="ServiceIssue",
          start="2024-05-01T10:00:00Z", end="2024-05-01T12:30:00Z",
          last="2024-05-02T08:00:00Z", impact=(("Virtual Machines", ("West Europe",)),),
          rest=False, subscription="sub-1"):
    """An event of the documented shape: Resource Graph (PascalCase, TrackingId) or REST
    (camelCase; api-version 2022-10-01 has no trackingId: the name is the id)."""
    k = (lambda name: _key(name, casing))
    props = {k("EventType"): event_type, k("Status"): "Resolved",
             k("Title"): f"Issue {tracking}"}
    if not rest:
        props[k("TrackingId")] = tracking
    for name, value in (("ImpactStartTime", start), ("ImpactMitigationTime", end),
                        ("LastUpdateTime", last)):
        if value is not None:
            props[k(name)] = value
    props[k("Impact")] = [
        {k("ImpactedService"): service,
         k("ImpactedRegions"): [{k("ImpactedRegion"): r, k("Status"): "Resolved",
                                 k("ImpactedSubscriptions"): [subscription]}
                                for r in regions]}
        for service, regions in impact]
    if rest:
        return {"id": f"/providers/Microsoft.ResourceHealth/events/{tracking}", "name": tracking,
                "type": "/providers/Microsoft.ResourceHealth/events", "properties": props}
    return {"id": f"/subscriptions/{subscription}/providers/Microsoft.ResourceHealth/events/"
                  f"{tracking}", "name": tracking, "type": "microsoft.resourcehealth/events",
            "subscriptionId": subscription, "properties": props}


def _rows(export):
    return [(r.tracking_id, r.service_name, r.location, r.start, r.end, r.title)
            for r in export.table.itertuples()]


TWO_EVENTS = [
    dict(tracking="TRK-1"),
    dict(tracking="TRK-2", start="2024-06-01T00:00:00Z", end="2024-06-01T01:00:00Z",
         impact=(("Storage", ("East US", "eastus2")), ("Virtual Network", ("UK South",)))),
]
TWO_EVENTS_ROWS = [
    ("TRK-1", "Virtual Machines", "westeurope", utc("2024-05-01 10:00"), utc("2024-05-01 12:30"),
     "Issue TRK-1"),
    ("TRK-2", "Storage", "eastus", utc("2024-06-01 00:00"), utc("2024-06-01 01:00"),
     "Issue TRK-2"),
    ("TRK-2", "Storage", "eastus2", utc("2024-06-01 00:00"), utc("2024-06-01 01:00"),
     "Issue TRK-2"),
    ("TRK-2", "Virtual Network", "uksouth", utc("2024-06-01 00:00"), utc("2024-06-01 01:00"),
     "Issue TRK-2"),
]


@pytest.mark.parametrize("casing", ["pascal", "camel"])
def test_both_key_casings_give_the_same_rows(casing):
    export = read_service_health({"data": [event(casing, **e) for e in TWO_EVENTS]})
    assert _rows(export) == TWO_EVENTS_ROWS
    impact, regions = _key("Impact", casing), _key("ImpactedRegions", casing)
    assert export.table.index[2] == f"data[1].properties.{impact}[0].{regions}[1]"


def test_keys_are_matched_without_regard_to_case():
    shouting = json.loads(json.dumps(event()).replace('"ImpactStartTime"', '"IMPACTSTARTTIME"')
                          .replace('"ImpactedRegion"', '"impactedregion"'))
    assert _rows(read_service_health([shouting])) == TWO_EVENTS_ROWS[:1]


def test_the_rest_form_with_value_reads_the_spec_example():
    """The 200 body of Events_ListByTenantId.json (azure-rest-api-specs, ResourceHealth stable
    2022-10-01), trimmed to the fields read; its nextLink is dropped here (see below)."""
    body = {"value": [{
        "id": "/providers/Microsoft.ResourceHealth/events/BC_1-FXZ", "name": "BC_1-FXZ",
        "type": "/providers/Microsoft.ResourceHealth/events",
        "properties": {
            "eventType": "ServiceIssue", "eventSource": "ServiceHealth", "status": "Active",
            "title": "ACTIVE: Virtual machines in West US",
            "impactStartTime": "2018-11-07T00:00:00Z",
            "impactMitigationTime": "2018-11-08T00:00:00Z",
            "impact": [{"impactedService": "Virtual Machines", "impactedRegions": [{
                "impactedRegion": "West US", "status": "Active", "impactedSubscriptions": [],
                "impactedTenants": ["00000000-0000-0000-0000-000000000000"],
                "lastUpdateTime": "2017-12-05T21:05:00Z"}]}],
            "isHIR": False, "priority": 2, "lastUpdateTime": "2018-11-08T00:00:00Z",
            "hirStage": "resolved"}}]}
    export = read_service_health(body)
    assert _rows(export) == [("BC_1-FXZ", "Virtual Machines", "westus", utc("2018-11-07"),
                              utc("2018-11-08"), "ACTIVE: Virtual machines in West US")]
    assert export.table.index.tolist() == [
        "value[0].properties.impact[0].impactedRegions[0]"]
    assert export.incomplete == ""


def test_a_rest_page_with_a_next_link_is_read_and_flagged_incomplete():
    body = {"value": [event("camel", rest=True, **e) for e in TWO_EVENTS],
            "nextLink": "https://management.azure.com/...&$skipToken=2"}
    with pytest.warns(ModelWarning, match="nextLink"):
        export = read_service_health(body)
    assert _rows(export) == TWO_EVENTS_ROWS  # tracking ids from the events' names
    assert "nextLink" in export.incomplete and "INCOMPLETE" in repr(export)


def test_the_resource_graph_form_with_data_and_its_page_markers():
    rows = [event(**e) for e in TWO_EVENTS]
    complete = {"count": 2, "data": rows, "skip_token": None, "total_records": 2}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _rows(read_service_health(complete)) == TWO_EVENTS_ROWS
    with pytest.warns(ModelWarning, match="skip_token"):
        paged = read_service_health({**complete, "skip_token": "ew0KICAiJGlkIjogIjEiLA0K"})
    assert "skip_token" in paged.incomplete
    with pytest.warns(ModelWarning, match="total_records is 40"):
        short = read_service_health({**complete, "total_records": 40})
    assert "data holds 2 rows" in short.incomplete


def test_a_bare_list_is_read_and_named_by_index():
    export = read_service_health([event(**e) for e in TWO_EVENTS])
    assert _rows(export) == TWO_EVENTS_ROWS
    assert export.table.index[0] == "[0].properties.Impact[0].ImpactedRegions[0]"
    assert export.source == "Service Health events"


def test_the_comment_key_and_other_columns_are_ignored():
    assert _rows(read_service_health({"_comment": "made up", "count": 1, "data": [
        event(**TWO_EVENTS[0])]})) == TWO_EVENTS_ROWS[:1]


# ------------------------------------------------------------------ what counts, what not


def test_only_service_issues_count_the_others_are_counted_by_type():
    kinds = ["PlannedMaintenance", "HealthAdvisory", "SecurityAdvisory", "HealthAdvisory",
             "RCA", "EmergingIssues", "ServiceIssue"]
    rows = [event(tracking=f"T{i}", event_type=kind) for i, kind in enumerate(kinds)]
    impacted = {"id": "/subscriptions/s/providers/Microsoft.ResourceHealth/events/T6/"
                      "impactedResources/r1",
                "type": "microsoft.resourcehealth/events/impactedresources",
                "properties": {"targetRegion": "westeurope"}}
    export = read_service_health({"data": rows + [impacted]})
    assert export.skipped == {"PlannedMaintenance": 1, "HealthAdvisory": 2,
                              "SecurityAdvisory": 1, "RCA": 1, "EmergingIssues": 1,
                              "microsoft.resourcehealth/events/impactedresources": 1}
    assert export.skipped_events == 7
    assert export.table["tracking_id"].tolist() == ["T6"]


def test_event_type_is_matched_without_case():
    export = read_service_health([event(event_type="serviceissue")])
    assert len(export.table) == 1 and export.skipped == {}


@pytest.mark.parametrize("no_end", [None, 0, 1, "", "0"])
def test_an_issue_without_mitigation_time_ends_at_its_last_update(no_end):
    """Absent, empty, or 0/1 (Resource Graph's 'no time', cf. its tolong(...) > 1 samples)."""
    export = read_service_health([event(end=no_end, last="2024-05-01T16:45:00Z")])
    assert export.table["end"].tolist() == [utc("2024-05-01 16:45")]
    assert export.open_ended == 1


def test_an_open_issue_without_event_last_update_uses_the_region_s():
    e = event(end=None, last=None)
    e["properties"]["Impact"][0]["ImpactedRegions"][0]["LastUpdateTime"] = "2024-05-01T11:00Z"
    assert read_service_health([e]).table["end"].tolist() == [utc("2024-05-01 11:00")]


def test_an_open_issue_whose_last_update_is_not_after_its_start_is_left_out_with_the_reason():
    export = read_service_health([event(tracking="OPEN", end=None, last="2024-05-01T10:00:00Z"),
                                  event(tracking="OK")])
    assert export.table["tracking_id"].tolist() == ["OK"]
    assert export.open_ended == 0
    assert export.left_out["json_path"].tolist() == [
        "[0].properties.Impact[0].ImpactedRegions[0]"]
    assert export.left_out["tracking_id"].tolist() == ["OPEN"]
    assert "not after the start" in export.left_out["reason"].iloc[0]


def test_issues_without_impacted_service_or_region_are_left_out_with_the_reason():
    no_impact = event(tracking="A")
    del no_impact["properties"]["Impact"]
    empty_impact = event(tracking="B", impact=())
    no_region = event(tracking="C", impact=(("Storage", ()),))
    export = read_service_health([no_impact, empty_impact, no_region, event(tracking="D")])
    assert export.table["tracking_id"].tolist() == ["D"]
    assert export.left_out.values.tolist() == [
        ["[0].properties.Impact", "A", "no impacted service"],
        ["[1].properties.Impact", "B", "no impacted service"],
        ["[2].properties.Impact[0].ImpactedRegions", "C", "no impacted region for 'Storage'"]]


def test_the_same_event_from_several_subscriptions_is_one_row_per_service_and_region():
    rows = [event(subscription=s, **TWO_EVENTS[1]) for s in ("sub-1", "sub-2", "sub-3")]
    export = read_service_health({"data": rows})
    assert _rows(export) == TWO_EVENTS_ROWS[1:]
    assert export.duplicates == 6  # 3 rows each from the second and third subscription
    assert export.table.index[0] == "data[0].properties.Impact[0].ImpactedRegions[0]"


@pytest.mark.parametrize("start, end, hours", [
    ("2024-05-01T10:00:00Z", "2024-05-01T12:30:00Z", 2.5),
    ("2024-05-01T12:00:00+02:00", "2024-05-01T12:30:00Z", 2.5),  # an offset: converted
    ("2024-05-01T10:00:00", "2024-05-01 12:30", 2.5),  # no zone: UTC
    ("2024-05-01T10:00:00.1203530Z", "2024-05-01T12:30:00.1203530Z", 2.5),  # 7 digits (spec)
    (1714557600, 1714566600, 2.5),  # Unix seconds, as Resource Graph may give them
    ("1714557600", "1714566600", 2.5),
    (1714557600.0, "2024-05-01T12:30:00Z", 2.5),
])
def test_times_in_every_documented_form(start, end, hours):
    table = read_service_health([event(start=start, end=end)]).table
    assert table["start"].iloc[0].floor("s") == utc("2024-05-01 10:00")
    assert (table["end"] - table["start"]).iloc[0] == pd.Timedelta(hours=hours)


def test_json_text_for_the_dynamic_columns_is_read():
    e = event()
    e["properties"]["Impact"] = json.dumps(e["properties"]["Impact"])
    e["properties"] = json.dumps(e["properties"])
    assert _rows(read_service_health([e])) == TWO_EVENTS_ROWS[:1]


def test_locations_go_through_the_location_parsing_and_aliases():
    export = read_service_health([event(impact=(("Azure Portal", ("Global",)),
                                                ("Storage", ("uksouth", "UK West"))))])
    assert export.table["location"].tolist() == ["Multi-region", "uksouth", "ukwest"]
    with pytest.raises(ValueError, match=r"'Atlantis' is neither a region nor a geography"):
        read_service_health([event(impact=(("Storage", ("Atlantis",)),))])
    mapped = read_service_health([event(impact=(("Storage", ("Atlantis", "West Europe")),))],
                                 aliases={"Atlantis": "North Europe", "West Europe": ""})
    assert mapped.table["location"].tolist() == ["northeurope"]
    assert mapped.left_out["json_path"].tolist() == [
        "[0].properties.Impact[0].ImpactedRegions[1]"]
    assert "maps to nothing" in mapped.left_out["reason"].iloc[0]


# -------------------------------------------------------------------------- malformed input


def _set(path, value):
    """A change to a good event: ``path`` of keys and indices below the event; ``value`` is
    written there (``DELETE`` removes it)."""
    def change(e):
        target = e
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return e
    return change


DELETE = object()
P = ("properties",)
IMPACT = P + ("Impact",)
REGION0 = IMPACT + (0, "ImpactedRegions", 0)

MALFORMED = [
    # (change, JSON path in the message, what the message says)
    (_set(P, "ServiceIssue in West Europe"), "data[0].properties",
     "expected the event's properties (an object), got str"),
    (_set(P, ["ServiceIssue"]), "data[0].properties", "expected the event's properties"),
    (_set(P, None), "data[0].properties", "expected the event's properties"),
    (_set(P + ("EventType",), DELETE), "data[0].properties.EventType", "missing"),
    (_set(P + ("EventType",), 3), "data[0].properties.EventType", "(text), got int 3"),
    (_set(IMPACT, "West Europe"), "data[0].properties.Impact", "expected a list of"),
    (_set(IMPACT, {"ImpactedService": "Storage"}), "data[0].properties.Impact",
     "expected a list of {ImpactedService, ImpactedRegions}, got dict"),
    (_set(IMPACT, 12), "data[0].properties.Impact", "expected a list of"),
    (_set(IMPACT + (0,), "Virtual Machines"), "data[0].properties.Impact[0]",
     "expected an impacted service"),
    (_set(IMPACT + (0, "ImpactedService"), DELETE), "data[0].properties.Impact[0].ImpactedService",
     "missing; expected the impacted service's name"),
    (_set(IMPACT + (0, "ImpactedService"), ["Storage"]),
     "data[0].properties.Impact[0].ImpactedService", "(text), got list"),
    (_set(IMPACT + (0, "ImpactedRegions"), "West Europe"),
     "data[0].properties.Impact[0].ImpactedRegions", "expected a list of {ImpactedRegion"),
    (_set(IMPACT + (0, "ImpactedRegions"), {"ImpactedRegion": "West Europe"}),
     "data[0].properties.Impact[0].ImpactedRegions", "expected a list of {ImpactedRegion"),
    (_set(REGION0, "West Europe"), "data[0].properties.Impact[0].ImpactedRegions[0]",
     "expected an impacted region"),
    (_set(REGION0 + ("ImpactedRegion",), DELETE),
     "data[0].properties.Impact[0].ImpactedRegions[0].ImpactedRegion", "missing"),
    (_set(REGION0 + ("ImpactedRegion",), "  "),
     "data[0].properties.Impact[0].ImpactedRegions[0].ImpactedRegion", "missing"),
    (_set(REGION0 + ("ImpactedRegion",), 42),
     "data[0].properties.Impact[0].ImpactedRegions[0].ImpactedRegion", "(text), got int 42"),
    (_set(P + ("ImpactStartTime",), DELETE), "data[0].properties.ImpactStartTime",
     "missing; expected the time the impact started"),
    (_set(P + ("ImpactStartTime",), 0), "data[0].properties.ImpactStartTime", "missing"),
    (_set(P + ("ImpactMitigationTime",), "2024-05-01T09:00:00Z"),
     "data[0].properties.ImpactMitigationTime", "is not after the impact start"),
    (_set(P + ("ImpactMitigationTime",), "2024-05-01T10:00:00Z"),
     "data[0].properties.ImpactMitigationTime", "is not after the impact start"),
]


def _bad_export(change):
    return {"count": 1, "data": [change(copy.deepcopy(event()))]}


@pytest.mark.parametrize("change, path, says", MALFORMED)
def test_malformed_content_is_one_error_naming_file_path_and_expectation(tmp_path, change, path,
                                                                         says):
    file = tmp_path / "events.json"
    file.write_text(json.dumps(_bad_export(change)))
    with pytest.raises(ValueError) as caught:
        read_service_health(file)
    message = str(caught.value)
    assert message.startswith(f"{file}: {path}: "), message
    assert says in message, message


@pytest.mark.parametrize("value", ["yesterday", "now", "05/01/2024 10:00", "2024-13-45T00:00:00Z",
                                   "2024-05-01T25:00:00Z", True, [2024, 5, 1], {"t": 1},
                                   1e30, float("nan"), 1714557600000000])
def test_a_start_time_that_is_not_a_date_is_refused(value):
    with pytest.raises(ValueError) as caught:
        read_service_health(_bad_export(_set(P + ("ImpactStartTime",), value)))
    message = str(caught.value)
    assert message.startswith("Service Health events: data[0].properties.ImpactStartTime: ")
    assert "ISO 8601" in message and "Unix seconds" in message


@pytest.mark.parametrize("key", ["ImpactMitigationTime", "LastUpdateTime"])
@pytest.mark.parametrize("value", ["soon", "2024-02-30T00:00:00Z", False, [1]])
def test_an_end_or_update_time_that_is_not_a_date_is_refused(key, value):
    with pytest.raises(ValueError, match=rf"data\[0\]\.properties\.{key}: .*(not a date|expected)"):
        read_service_health(_bad_export(_set(P + (key,), value)))


def test_an_open_issue_without_any_last_update_is_an_error():
    change = _set(P + ("ImpactMitigationTime",), DELETE)
    export = _bad_export(change)
    del export["data"][0]["properties"]["LastUpdateTime"]
    with pytest.raises(ValueError, match=r"data\[0\]\.properties\.ImpactMitigationTime: missing, "
                                         r"and so is the last update time \(LastUpdateTime\)"):
        read_service_health(export)


@pytest.mark.parametrize("document, says", [
    ("West Europe", "(top level): expected {\"data\": [...]}"),
    (42, "(top level): expected"),
    ({"events": []}, "(top level): expected the output of az graph query"),
    ({"data": "all of them"}, "data: expected a list of events, got str"),
    ({"value": {"properties": {}}}, "value: expected a list of events, got dict"),
    ({"data": [5]}, "data[0]: expected an event"),
    ([None], "[0]: expected an event"),
    ([{"type": 7, "properties": {}}], "[0].type: expected a resource type (text)"),
])
def test_malformed_documents(tmp_path, document, says):
    file = tmp_path / "export.json"
    file.write_text(json.dumps(document))
    with pytest.raises(ValueError) as caught:
        read_service_health(file)
    assert str(caught.value).startswith(f"{file}: "), caught.value
    assert says in str(caught.value), caught.value


def test_file_errors_name_the_file(tmp_path, monkeypatch):
    missing = tmp_path / "nothing.json"
    with pytest.raises(ValueError, match="nothing.json: no such Service Health export"):
        read_service_health(missing)
    bad = tmp_path / "bad.json"
    bad.write_text('{"data": [\n  {"name": "x",}\n]}')
    with pytest.raises(ValueError, match=r"bad\.json: not valid JSON \(line 2, column"):
        read_service_health(bad)
    empty = tmp_path / "empty.json"
    empty.write_text("  \n")
    with pytest.raises(ValueError, match="empty.json: the file is empty"):
        read_service_health(empty)
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"data": [], "_comment": "caf\xe9"}')
    with pytest.raises(ValueError, match="latin.json: not UTF-8 text"):
        read_service_health(latin)
    with pytest.raises(ValueError, match="events=int is not allowed"):
        read_service_health(3)
    monkeypatch.setattr(service_health, "MAX_EXPORT_BYTES", 100)
    with pytest.raises(ValueError, match="larger than the 100 bytes"):
        read_service_health(EXAMPLE)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_a_byte_order_mark_is_allowed(tmp_path, encoding):
    """PowerShell 5 writes UTF-16 with '>' and UTF-8 with a BOM with Out-File -Encoding utf8."""
    file = tmp_path / "events.json"
    file.write_text(json.dumps({"data": [event()]}), encoding=encoding)
    assert _rows(read_service_health(file)) == TWO_EVENTS_ROWS[:1]


# ------------------------------------------------------------- read_incidents, fit_outages


def test_read_incidents_reads_a_json_file_or_object_through_read_service_health():
    table = read_incidents(EXAMPLE)
    assert list(table.columns) == ["start", "end", "location", "service", "row"]
    assert len(table) == len(EXAMPLE_ROWS)
    assert table["service"].tolist() == [s for _, s, _, _, _ in EXAMPLE_ROWS]
    assert table["row"].iloc[0] == (f"{EXAMPLE} row "
                                    "data[0].properties.Impact[0].ImpactedRegions[0]")
    from_object = read_incidents(json.loads(EXAMPLE.read_text()))
    assert from_object[["start", "end", "location", "service"]].equals(
        table[["start", "end", "location", "service"]])
    assert read_incidents([event()])["location"].tolist() == ["westeurope"]


def test_fit_outages_on_the_example_counts_by_hand():
    """Data-path incidents in 2023-2024 by region, from EXAMPLE_ROWS: West Europe EX01, EX05
    (its Virtual Machines and Virtual Network rows overlap: one incident), EX08, EX12 = 4;
    North Europe EX05, EX11 = 2; East US EX02, EX10 = 2 (EX09 Log Analytics is unrelated);
    UK South EX07 = 1. EX04 (Azure Portal, Global) is control plane."""
    regions = ["westeurope", "northeurope", "eastus", "uksouth"]
    fit = plc.fit_outages(str(EXAMPLE), services="data_path", period=("2023-01-01", "2025-01-01"),
                          regions=regions)
    own = fit.table[fit.table["kind"] == "region"].set_index("name")
    assert own["events"].to_dict() == {"eastus": 2, "northeurope": 2, "uksouth": 1,
                                       "westeurope": 4}
    years = 731 / 365  # 2023-01-01 to 2025-01-01 (2024 is a leap year), in 365-day years
    assert own["own_rate"].to_dict() == pytest.approx(
        {"eastus": 2 / years, "northeurope": 2 / years, "uksouth": 1 / years,
         "westeurope": 4 / years})
    merged = fit.events.set_index(["regions", "start"])
    assert merged.loc[("westeurope", utc("2023-09-05 07:30")), "rows_merged"] == 2
    assert sorted(fit.excluded["reason"].str.extract(r"service '([^']+)'")[0]) == [
        "Azure Portal", "Log Analytics"]
    # the still-active issue counts, with its duration to the last update
    last = fit.events[fit.events["start"] == utc("2024-12-20 08:00")]
    assert last["hours"].tolist() == [6.5]

    everything = plc.fit_outages(EXAMPLE, services="all", period=("2023-01-01", "2025-01-01"),
                                 regions=regions)
    counts = everything.table.set_index("name")["events"]
    assert counts["westeurope"] == 4 and counts["eastus"] == 3  # + EX09 Log Analytics
    assert (everything.events["kind"] == "not attributed").sum() == 1  # EX04, Global


def test_the_command_line_fits_a_service_health_export(cli):
    code, out, err = cli(["fit-outages", str(EXAMPLE), "--period", "2023-01-01", "2025-01-01",
                          "--regions", "westeurope,northeurope,eastus,uksouth"])
    assert code == 0, err
    assert "westeurope" in out and "uksouth" in out


def test_the_example_is_the_documented_resource_graph_shape():
    document = json.loads(EXAMPLE.read_text())
    assert set(document) == {"_comment", "count", "data", "skip_token", "total_records"}
    assert document["count"] == document["total_records"] == len(document["data"]) == 12
    assert "NOT real Azure events" in document["_comment"]
    for row in document["data"]:
        assert row["type"] == "microsoft.resourcehealth/events"
        assert {"EventType", "Status", "Title", "TrackingId", "ImpactStartTime",
                "LastUpdateTime", "Impact"} <= set(row["properties"])


def test_the_result_type_is_documented():
    assert ServiceHealthExport.__doc__ and "Examples" in ServiceHealthExport.__doc__


def test_read_incidents_still_refuses_what_is_neither_a_table_nor_an_export():
    for value in ([1, 2], 3.5, ("a", "b")):
        with pytest.raises(ValueError, match="is not allowed: a DataFrame or the path of a CSV "
                                             "file, or a Service Health export"):
            read_incidents(value)
    with pytest.raises(ValueError, match=r"\[1\]: expected an event"):
        read_incidents([event(), 5])  # a list with an event is read as an export
