"""An organisation's own incidents: the Azure Service Health events it can export.

:func:`read_service_health` turns an export of Service Health events into the incident table
of :func:`plcapacity.outages.read_incidents` (so ``plc.fit_outages("events.json")`` and
``plcapacity fit-outages events.json`` read it too): one row per event, impacted service and
impacted region, with the impact's start and end in UTC.

Two exports are read, in either key casing:

- **Azure Resource Graph**, table ``ServiceHealthResources``, rows of type
  ``microsoft.resourcehealth/events``::

      az graph query -q "ServiceHealthResources | where type =~ 'Microsoft.ResourceHealth/events'" --first 1000 --output json

  gives ``{"count": ..., "data": [...], "skip_token": ..., "total_records": ...}`` (``--query
  data`` gives the bare list). The keys under ``properties`` are PascalCase: ``EventType``,
  ``Status``, ``Title``, ``TrackingId``, ``ImpactStartTime``, ``ImpactMitigationTime``,
  ``LastUpdateTime``, ``Impact`` (a list of ``{ImpactedService, ImpactedRegions:
  [{ImpactedRegion, ...}]}``) [2]_. Microsoft's sample queries convert the times with
  ``tolong(...)`` [2]_, so Resource Graph may give them as numbers: a number (or a text of
  digits) is read as Unix seconds, and ``0`` or ``1`` as no time (the samples keep
  ``tolong(ImpactStartTime) > 1``); ISO 8601 text is read as well.
- **The REST API** ``Microsoft.ResourceHealth/events`` (Events - List By Subscription Id)::

      az rest --method get --url "https://management.azure.com/subscriptions/{subscriptionId}/providers/Microsoft.ResourceHealth/events?api-version=2022-10-01"

  gives ``{"value": [...], "nextLink": ...}``; the keys under ``properties`` are camelCase:
  ``eventType`` (``ServiceIssue``, ``PlannedMaintenance``, ``HealthAdvisory``, ``RCA``,
  ``EmergingIssues``, ``SecurityAdvisory``), ``status`` (``Active``, ``Resolved``), ``title``,
  ``impactStartTime``, ``impactMitigationTime``, ``lastUpdateTime`` (ISO 8601 date-times),
  ``impact`` (``[{impactedService, impactedRegions: [{impactedRegion, status,
  impactedSubscriptions, impactedTenants, lastUpdateTime, updates}]}]``). That API version has
  no ``trackingId`` property: the event's ``name`` is its tracking id [1]_.

What is counted
---------------
Only **service issues** (``EventType`` ``ServiceIssue``): planned maintenance, health and
security advisories, RCAs and emerging issues are skipped and counted by type
(:attr:`ServiceHealthExport.skipped`), as are rows of other resource types (a Resource Graph
query without the ``type`` filter also returns ``.../events/impactedresources``). An impacted
region is read through the location parsing of :mod:`plcapacity.outages.incidents` (display
names such as "East US", catalog names such as "eastus"; "Global" names no region); the
``location`` column holds the parsed name (the catalog name of a region). A region the catalog
does not know is an error naming it (``aliases=`` maps it).

An issue without a mitigation time (still active when exported) ends at the event's
``LastUpdateTime``: the incident is counted, and its duration is a lower bound (how long it had
lasted when last updated). Such rows are counted in :attr:`ServiceHealthExport.open_ended`;
one whose last update is not after its start has no duration and is left out, with the reason,
in :attr:`ServiceHealthExport.left_out`. The same event exported for several subscriptions
(Resource Graph gives one row per subscription) is one row per service and region.

How long a history an export holds
----------------------------------
Service Health keeps events for a limited time: Microsoft's page on the transitions of Service
Health notifications [3]_ states that a service issue moves to the portal's Health history
when resolved, stays available through the REST API after it leaves that panel, and is
archived and no longer available through the REST API **one year from its most recent
published date** (the portal's view keeps about 90 days). An export therefore
holds at most about a year of service issues: fit a longer period only with older exports
kept by the organisation. The page says nothing specific about Resource Graph; its retention
is not confirmed here.

References
----------
.. [1] Azure REST API specification, Microsoft.ResourceHealth, api-version 2022-10-01:
   ``specification/resourcehealth/resource-manager/Microsoft.ResourceHealth/ResourceHealth/
   stable/2022-10-01/ResourceHealth.json`` (definitions ``events``, ``event``, ``impact``,
   ``impactedServiceRegion``) and its example ``examples/Events_ListByTenantId.json``,
   https://github.com/Azure/azure-rest-api-specs; Events - List By Subscription Id,
   https://learn.microsoft.com/rest/api/resourcehealth/events/list-by-subscription-id
.. [2] Azure Resource Graph sample queries for Azure Service Health,
   https://learn.microsoft.com/azure/service-health/resource-graph-samples
.. [3] Service Health notifications - data transitions,
   https://learn.microsoft.com/azure/service-health/service-health-notification-transitions
   (read here in its Azure China copy,
   https://docs.azure.cn/en-us/service-health/service-health-notification-transitions).
"""

from __future__ import annotations

import json
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from plcapacity.base.exceptions import ModelWarning
from plcapacity.base.tables import read_bytes_limited
from plcapacity.outages.locations import alias_table, parse_location_in

__all__ = ["read_service_health", "ServiceHealthExport", "MAX_EXPORT_BYTES", "SERVICE_ISSUE",
           "COLUMNS"]

#: Largest export read. [bytes] (A year of events of many subscriptions is a few MB.)
MAX_EXPORT_BYTES = 256 * 1024 * 1024
#: The event type counted as an incident.
SERVICE_ISSUE = "ServiceIssue"
#: The columns of :attr:`ServiceHealthExport.table`.
COLUMNS = ("start", "end", "location", "service_name", "tracking_id", "title")

_EVENT_TYPE = "microsoft.resourcehealth/events"
_WHAT = "Service Health events"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME_HINT = ("an ISO 8601 date and time such as \"2024-05-01T10:00:00Z\", or Unix seconds "
              "as Resource Graph gives them")


@dataclass(frozen=True, eq=False)
class ServiceHealthExport:
    """The service issues of a Service Health export, and what was not counted.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per (service issue, impacted service, impacted region), in the export's
        order: ``start``, ``end`` (``datetime64[ns, UTC]``), ``location`` (the parsed
        location: a region's catalog name, a group, or "Multi-region"), ``service_name``,
        ``tracking_id`` and ``title``. The index (``json_path``) names where each row comes
        from, such as ``data[3].properties.Impact[0].ImpactedRegions[1]``.
    skipped : dict
        Events not counted, by type: ``{"PlannedMaintenance": 4, "HealthAdvisory": 2}``
        (rows of another resource type count under that type).
    left_out : pandas.DataFrame
        Parts of service issues left out, with the reason: ``json_path``, ``tracking_id``,
        ``reason`` (no impacted service or region, no duration, a location mapped to nothing).
    open_ended : int
        Rows whose issue had no mitigation time: they end at the event's last update.
    duplicates : int
        Rows dropped because the same event, service and region came before (one per
        subscription in a Resource Graph export).
    source : str
        The file read, or ``"Service Health events"`` for an object.
    incomplete : str
        ``""``, or why the export is only part of the events (a ``skip_token`` or
        ``nextLink``: more pages to fetch).

    Examples
    --------
    >>> import plcapacity as plc
    >>> from plcapacity.outages import read_service_health
    >>> export = read_service_health(plc.data_path("examples/service_health_events.json"))
    >>> export.skipped, export.open_ended, len(export.table)
    ({'PlannedMaintenance': 1, 'HealthAdvisory': 1}, 1, 12)
    """

    table: pd.DataFrame
    skipped: dict = field(default_factory=dict)
    left_out: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["json_path", "tracking_id", "reason"]))
    open_ended: int = 0
    duplicates: int = 0
    source: str = _WHAT
    incomplete: str = ""

    @property
    def skipped_events(self) -> int:
        """How many events were not counted (not service issues)."""
        return sum(self.skipped.values())

    def __repr__(self) -> str:
        skipped = ", ".join(f"{n} {kind}" for kind, n in self.skipped.items()) or "none"
        return (f"ServiceHealthExport({self.source}: {len(self.table)} rows of "
                f"{self.table['tracking_id'].nunique()} service issues; skipped: {skipped}; "
                f"{len(self.left_out)} left out; {self.open_ended} open-ended"
                + (f"; INCOMPLETE: {self.incomplete}" if self.incomplete else "") + ")")


# ------------------------------------------------------------------------------- reading


def _get(mapping: dict, key: str):
    """``(key as written, value)`` with ``key`` matched without regard to case; ``(key,
    None)`` when absent (exports write ``ImpactStartTime`` or ``impactStartTime``)."""
    if key in mapping:
        return key, mapping[key]
    lowered = key.lower()
    for name, value in mapping.items():
        if isinstance(name, str) and name.lower() == lowered:
            return name, value
    return key, None


class _Reader:
    """Walks an export, naming the JSON path of every value it complains about."""

    def __init__(self, source: str, aliases):
        self.source = source
        self.aliases = alias_table(aliases)

    def fail(self, path: str, message: str):
        raise ValueError(f"{self.source}: {path}: {message}")

    def _type_name(self, value) -> str:
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return f"{type(value).__name__} {shown}"

    def mapping(self, value, path, expected):
        if isinstance(value, str) and value.strip().startswith("{"):
            try:  # a dynamic column Resource Graph may hand over as JSON text
                value = json.loads(value)
            except json.JSONDecodeError:
                pass
        if not isinstance(value, dict):
            self.fail(path, f"expected {expected}, got {self._type_name(value)}")
        return value

    def sequence(self, value, path, expected):
        if isinstance(value, str) and value.strip().startswith("["):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                pass
        if not isinstance(value, list):
            self.fail(path, f"expected {expected}, got {self._type_name(value)}")
        return value

    def text(self, value, path, expected, *, required=True) -> str:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(path, f"missing; expected {expected}")
            return ""
        if not isinstance(value, str):
            self.fail(path, f"expected {expected} (text), got {self._type_name(value)}")
        return value.strip()

    def time(self, value, path, what, *, required=True):
        """A UTC timestamp, or None where the export gives no time (absent, empty, 0 or 1)."""
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value.strip())
        if value is None or (isinstance(value, str) and not value.strip()) or (
                isinstance(value, (int, float)) and not isinstance(value, bool)
                and value <= 1):
            if required:
                self.fail(path, f"missing; expected {what}: {_TIME_HINT}")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.fail(path, f"expected {what}: {_TIME_HINT}; got {self._type_name(value)}")
        try:
            if isinstance(value, str):
                if not _ISO_DATE.match(value.strip()):  # not "now", "today" or "05/01/2024"
                    raise ValueError(value)
                stamp = pd.Timestamp(value.strip())
            else:
                if not math.isfinite(value):
                    raise ValueError(value)
                stamp = pd.Timestamp(value, unit="s")
            if pd.isna(stamp):
                raise ValueError(value)
            return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        except (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime):
            self.fail(path, f"{value!r} is not a date: expected {what}: {_TIME_HINT}")

    def location(self, name, path):
        try:
            return parse_location_in(name, self.aliases, f"{self.source}: {path}")
        except ValueError as error:
            raise ValueError(f"{error}; or map it with read_service_health(..., aliases="
                             f"{{{name!r}: \"West Europe\"}}) and pass the table on") from None


def _events(reader: _Reader, document):
    """(the rows, their JSON path prefix, why the export is incomplete)."""
    if isinstance(document, list):
        return document, "", ""
    if isinstance(document, dict):
        for key, more in (("data", "skip_token"), ("value", "nextLink")):
            name, rows = _get(document, key)
            if rows is not None:
                rows = reader.sequence(rows, name, "a list of events")
                more_name, token = _get(document, more)
                incomplete = ""
                if token:
                    incomplete = (f"{more_name} is set: the export holds one page of the events; "
                                  "fetch every page (az graph query --first 1000 --skip-token "
                                  "..., or follow nextLink) and read them together")
                if key == "data":
                    _, total = _get(document, "total_records")
                    if isinstance(total, int) and not isinstance(total, bool) and \
                            total > len(rows) and not incomplete:
                        incomplete = (f"total_records is {total} but data holds {len(rows)} "
                                      "rows: export every page (az graph query --first 1000)")
                return rows, name, incomplete
        keys = ", ".join(repr(k) for k in list(document)[:8]) or "none"
        reader.fail("(top level)", "expected the output of az graph query ({\"data\": [...]}), "
                    "of the REST API ({\"value\": [...]}) or a list of events; found the keys "
                    f"{keys}")
    reader.fail("(top level)", "expected {\"data\": [...]}, {\"value\": [...]} or a list of "
                f"events, got {reader._type_name(document)}")


def _read_event(reader: _Reader, event, path, rows, left_out, skipped):
    event = reader.mapping(event, path, "an event: an object with \"properties\"")
    type_key, kind = _get(event, "type")
    if kind is not None:
        kind = reader.text(kind, f"{path}.{type_key}", "a resource type")
        if not kind.lower().rstrip("/").endswith(_EVENT_TYPE):
            skipped[kind] = skipped.get(kind, 0) + 1
            return
    props_key, props = _get(event, "properties")
    props = reader.mapping(props, f"{path}.{props_key}", "the event's properties (an object)")
    base = f"{path}.{props_key}"
    key, event_type = _get(props, "EventType")
    event_type = reader.text(event_type, f"{base}.{key}",
                             "the event type (ServiceIssue, PlannedMaintenance, ...)")
    if event_type.lower() != SERVICE_ISSUE.lower():
        skipped[event_type] = skipped.get(event_type, 0) + 1
        return
    key, tracking = _get(props, "TrackingId")
    if tracking is None:  # REST 2022-10-01 has no trackingId: the event's name is the id
        key, tracking = _get(event, "name")
        key = f"{path}.{key}"
    else:
        key = f"{base}.{key}"
    tracking = reader.text(tracking, key, "the tracking id", required=False)
    key, title = _get(props, "Title")
    title = reader.text(title, f"{base}.{key}", "the title", required=False)
    key, start = _get(props, "ImpactStartTime")
    start = reader.time(start, f"{base}.{key}", "the time the impact started")
    key, end = _get(props, "ImpactMitigationTime")
    end_path = f"{base}.{key}"
    end = reader.time(end, end_path, "the time the impact was mitigated", required=False)
    update_key, last_update = _get(props, "LastUpdateTime")
    last_update = reader.time(last_update, f"{base}.{update_key}", "the time of the last update",
                              required=False)
    if end is not None and end <= start:
        reader.fail(end_path, f"{end.isoformat()} is not after the impact start "
                              f"{start.isoformat()}: an issue must end after it starts")
    impact_key, impact = _get(props, "Impact")
    impact_path = f"{base}.{impact_key}"
    if impact is None:
        left_out.append((impact_path, tracking, "no impacted service"))
        return
    impact = reader.sequence(impact, impact_path, "a list of {ImpactedService, ImpactedRegions}")
    if not impact:
        left_out.append((impact_path, tracking, "no impacted service"))
    for i, service in enumerate(impact):
        service_path = f"{impact_path}[{i}]"
        service = reader.mapping(service, service_path,
                                 "an impacted service: {ImpactedService, ImpactedRegions}")
        key, name = _get(service, "ImpactedService")
        name = reader.text(name, f"{service_path}.{key}", "the impacted service's name")
        key, regions = _get(service, "ImpactedRegions")
        regions_path = f"{service_path}.{key}"
        regions = [] if regions is None else reader.sequence(
            regions, regions_path, "a list of {ImpactedRegion, Status, ...}")
        if not regions:
            left_out.append((regions_path, tracking, f"no impacted region for {name!r}"))
        for j, region in enumerate(regions):
            region_path = f"{regions_path}[{j}]"
            region = reader.mapping(region, region_path,
                                    "an impacted region: {ImpactedRegion, Status, ...}")
            key, region_name = _get(region, "ImpactedRegion")
            region_name = reader.text(region_name, f"{region_path}.{key}",
                                      "the impacted region's name (such as \"West Europe\")")
            kind, location, _ = reader.location(region_name, f"{region_path}.{key}")
            if kind == "excluded":
                left_out.append((region_path, tracking, f"region {region_name!r}: the alias "
                                 "maps to nothing (not in the region catalog)"))
                continue
            until = end
            if until is None:
                stamp = last_update
                if stamp is None:
                    key, stamp = _get(region, "LastUpdateTime")
                    stamp = reader.time(stamp, f"{region_path}.{key}",
                                        "the time of the last update", required=False)
                if stamp is None:
                    reader.fail(end_path, "missing, and so is the last update time "
                                f"({update_key}); expected the time the impact was "
                                f"mitigated: {_TIME_HINT}")
                if stamp <= start:
                    left_out.append((region_path, tracking, "no mitigation time, and the last "
                                     f"update ({stamp.isoformat()}) is not after the start: "
                                     "no duration"))
                    continue
                until = stamp
            rows.append((region_path, start, until, location, name, tracking, title,
                         end is None))


def _load(path_or_obj):
    """(the decoded document, the source's name)."""
    if isinstance(path_or_obj, (dict, list)):
        return path_or_obj, _WHAT
    if not isinstance(path_or_obj, (str, Path)):
        raise ValueError(f"events={type(path_or_obj).__name__} is not allowed: the path of a "
                         "JSON export, or its decoded object (a dict or a list)")
    path = Path(path_or_obj)
    try:
        content = read_bytes_limited(path, max_bytes=MAX_EXPORT_BYTES,
                                     what="Service Health export")
    except FileNotFoundError as error:
        raise ValueError(str(error)) from None
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):  # PowerShell 5's ">" writes UTF-16
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text (byte {error.start}); save the export as "
                         "UTF-8 JSON") from None
    if not text.strip():
        raise ValueError(f"{path}: the file is empty; expected the JSON output of az graph "
                         "query or az rest")
    try:
        return json.loads(text), str(path)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON (line {error.lineno}, column {error.colno}: "
                         f"{error.msg})") from None


def read_service_health(path_or_obj, *, aliases=None) -> ServiceHealthExport:
    """Read a Service Health export: the service issues, one row per service and region.

    Parameters
    ----------
    path_or_obj : str, path-like, dict or list
        A JSON file (read with a size limit of :data:`MAX_EXPORT_BYTES`; UTF-8, or UTF-16 with
        a byte-order mark) or its decoded content: the output of ``az graph query`` on
        ``ServiceHealthResources`` (``{"data": [...]}``), of the REST API
        ``Microsoft.ResourceHealth/events`` (``{"value": [...]}``), or a list of events. Keys
        are matched without regard to case (``ImpactStartTime`` or ``impactStartTime``); a
        top-level ``"_comment"`` is ignored.
    aliases : dict, optional
        Extra location aliases ``{region as written: maps_to}`` on top of
        ``data/outages/location_aliases.csv`` (``""`` leaves a region out).

    Returns
    -------
    ServiceHealthExport
        ``.table`` (``start``, ``end``, ``location``, ``service_name``, ``tracking_id``,
        ``title``; indexed by JSON path), ``.skipped`` (events not counted, by type),
        ``.left_out``, ``.open_ended``, ``.duplicates`` and ``.incomplete``.

    Raises
    ------
    ValueError
        For a file that cannot be read or is not JSON, and for malformed content: a value of
        the wrong type, a missing start time (or a missing end with no last update), a text
        that is not a date, an end not after its start, a region neither the catalog nor the
        aliases know. The message names the file, the JSON path (such as
        ``data[3].properties.Impact[0].ImpactedRegions``) and what was expected.

    Warns
    -----
    ModelWarning
        When the export says more pages exist (``skip_token``, ``nextLink``, or fewer rows
        than ``total_records``): rates fitted to one page are too low.

    Notes
    -----
    Only events of type ``ServiceIssue`` are incidents. An issue without a mitigation time ends
    at its ``LastUpdateTime`` (its duration is then a lower bound); see the module docstring
    for the rules and for how long a history Service Health keeps (about one year through the
    REST API).

    References
    ----------
    .. [1] Azure REST API specification, Microsoft.ResourceHealth api-version 2022-10-01,
       ``specification/resourcehealth/resource-manager/Microsoft.ResourceHealth/ResourceHealth/
       stable/2022-10-01/ResourceHealth.json``, https://github.com/Azure/azure-rest-api-specs
    .. [2] Azure Resource Graph sample queries for Azure Service Health,
       https://learn.microsoft.com/azure/service-health/resource-graph-samples
    .. [3] Service Health notifications - data transitions,
       https://learn.microsoft.com/azure/service-health/service-health-notification-transitions

    Examples
    --------
    >>> import plcapacity as plc
    >>> from plcapacity.outages import read_service_health
    >>> export = read_service_health(plc.data_path("examples/service_health_events.json"))
    >>> export.skipped
    {'PlannedMaintenance': 1, 'HealthAdvisory': 1}
    >>> first = export.table.iloc[0]
    >>> first.location, first.service_name, str(first.end - first.start)
    ('westeurope', 'Virtual Machines', '0 days 03:30:00')
    >>> export.table.index[0]
    'data[0].properties.Impact[0].ImpactedRegions[0]'
    """
    document, source = _load(path_or_obj)
    reader = _Reader(source, aliases)
    events, prefix, incomplete = _events(reader, document)
    rows, left_out, skipped = [], [], {}
    for i, event in enumerate(events):
        _read_event(reader, event, f"{prefix}[{i}]", rows, left_out, skipped)
    paths, starts, ends, locations, services, trackings, titles, open_ = (
        zip(*rows) if rows else ((),) * 8)
    table = pd.DataFrame({
        "start": pd.DatetimeIndex(list(starts), tz="UTC").as_unit("ns"),
        "end": pd.DatetimeIndex(list(ends), tz="UTC").as_unit("ns"),
        "location": pd.Series(locations, dtype=object).to_numpy(),
        "service_name": pd.Series(services, dtype=object).to_numpy(),
        "tracking_id": pd.Series(trackings, dtype=object).to_numpy(),
        "title": pd.Series(titles, dtype=object).to_numpy()},
        index=pd.Index(list(paths), dtype=object, name="json_path"))
    # One event exported once per subscription: one row per (event, service, region).
    keyed = table["tracking_id"] != ""
    repeated = (keyed & table.duplicated(["tracking_id", "service_name", "location"])).to_numpy()
    open_ended = int(sum(flag for flag, dropped in zip(open_, repeated) if not dropped))
    table = table.loc[~repeated]
    if incomplete:
        warnings.warn(ModelWarning(f"{source}: {incomplete}"), stacklevel=2)
    return ServiceHealthExport(
        table=table, skipped=skipped,
        left_out=pd.DataFrame(left_out, columns=["json_path", "tracking_id", "reason"]),
        open_ended=open_ended, duplicates=int(repeated.sum()), source=source,
        incomplete=incomplete)
