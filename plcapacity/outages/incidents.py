"""Outage incidents: reading the shipped Azure status history or a user's own list."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from plcapacity.base.limits import read_reference
from plcapacity.base.tables import MAX_TABLE_BYTES, read_bytes_limited
from plcapacity.outages.laws import MAX_OUTAGE_HOURS

#: Earliest time an incident may have: the first whole year pandas' timestamps hold.
EARLIEST_INCIDENT = pd.Timestamp("1678-01-01", tz="UTC")

__all__ = ["load_incidents", "read_incidents", "merge_duplicates", "INCIDENTS_FILE"]


#: The shipped incident list and its alias table, under ``data/``.
INCIDENTS_FILE = "outages/azure_status_incidents_2018_2020.csv"


def load_incidents() -> pd.DataFrame:
    """The shipped Azure status incidents, 2018-2020, as a DataFrame.

    Returns
    -------
    pandas.DataFrame
        211 rows: ``service_name``, ``location``, ``start_utc``, ``end_utc`` (text, UTC) and
        ``source_file``. Provenance, license (MIT, Copyright (c) 2025 @Large Research) and
        limits: ``data/outages/README.md``.

    References
    ----------
    .. [1] Azure status history (the incidents behind the evidence profile),
       https://azure.status.microsoft/status/history/

    Examples
    --------
    >>> from plcapacity.outages import load_incidents
    >>> incidents = load_incidents()
    >>> incidents.shape, incidents.columns[:2].tolist()
    ((211, 5), ['service_name', 'location'])
    """
    return read_reference(INCIDENTS_FILE)


def _column(frame, names, where):
    for name in names:
        if name in frame.columns:
            return name
    raise ValueError(f"{where}: missing column {names[0]!r} (also accepted: "
                     f"{', '.join(repr(n) for n in names[1:])}); columns found: "
                     f"{', '.join(map(str, frame.columns)) or 'none'}")


def read_incidents(incidents) -> pd.DataFrame:
    """Validate an incident table: ``start``, ``end`` (UTC) and ``location`` per row.

    Parameters
    ----------
    incidents : pandas.DataFrame or str or path-like or dict or list
        A DataFrame, or a CSV file (leading ``#`` lines are skipped). Columns ``start`` (or
        ``start_utc``), ``end`` (or ``end_utc``) and ``location``; times without a time zone are
        read as UTC. An optional ``service_name`` (or ``service``) column names the impaired
        service (see :mod:`plcapacity.outages.relevance`). Or an Azure Service Health export:
        a ``.json`` file or its decoded dict or list, read by
        :func:`~plcapacity.outages.service_health.read_service_health` (service issues only;
        rows named by JSON path).

    Returns
    -------
    pandas.DataFrame
        Columns ``start``, ``end`` (``datetime64[ns, UTC]``), ``location`` (str), ``service``
        (str; ``""`` where the input names none) and ``row`` (the input's index label, for
        messages), in input order.

    Raises
    ------
    ValueError
        For a missing column, a missing or unreadable time, or an end not after its start;
        naming the row (the file's line for a CSV) and the value.

    Examples
    --------
    >>> import pandas as pd
    >>> from plcapacity.outages import read_incidents
    >>> table = read_incidents(pd.DataFrame({"start": ["2024-03-01 10:00"],
    ...                                      "end": ["2024-03-01 12:30"],
    ...                                      "location": ["East US"]}))
    >>> (table.end - table.start).iloc[0]        # no time zone: read as UTC
    Timedelta('0 days 02:30:00')
    """
    if isinstance(incidents, pd.DataFrame):
        frame, where, line = incidents, "incidents", None
    elif isinstance(incidents, dict) or (isinstance(incidents, list) and (
            not incidents or any(isinstance(e, dict) for e in incidents))) or (
            isinstance(incidents, (str, Path)) and Path(incidents).suffix.lower() == ".json"):
        # imported here: service_health reads locations with this module's parser
        from plcapacity.outages.service_health import read_service_health
        export = read_service_health(incidents)
        frame, where, line = export.table, export.source, None  # rows named by JSON path
    elif isinstance(incidents, (str, Path)):
        path = Path(incidents)
        try:
            content = read_bytes_limited(path, max_bytes=MAX_TABLE_BYTES, what="incident file")
        except FileNotFoundError as error:
            raise ValueError(str(error)) from None
        try:
            text = content.decode("utf-8").splitlines(keepends=True)
        except UnicodeDecodeError as error:
            raise ValueError(f"{path}: not UTF-8 text (byte {error.start}); save the incidents "
                             "as UTF-8 CSV") from None
        skipped = 0
        while skipped < len(text) and text[skipped].startswith("#"):
            skipped += 1
        try:
            frame = pd.read_csv(io.StringIO("".join(text[skipped:])), dtype=str,
                                keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            raise ValueError(f"{path}: not a readable CSV: {error}") from None
        where, line = str(path), skipped + 2  # line of the first data row (1-based)
    else:
        raise ValueError(f"incidents={type(incidents).__name__} is not allowed: a DataFrame or "
                         "the path of a CSV file, or a Service Health export (a .json path, or "
                         "its decoded dict or list of events)")
    start_col = _column(frame, ("start", "start_utc"), where)
    end_col = _column(frame, ("end", "end_utc"), where)
    location_col = _column(frame, ("location",), where)
    rows = (np.arange(len(frame)) + line) if line is not None else frame.index.to_numpy()
    label = "line" if line is not None else "row"
    times = {}
    for key, column in (("start", start_col), ("end", end_col)):
        raw = frame[column]
        parsed = pd.to_datetime(raw.where(raw.astype(str).str.strip() != ""), utc=True,
                                errors="coerce", format="mixed")
        bad = np.flatnonzero(parsed.isna().to_numpy())
        if bad.size:
            i = bad[0]
            raise ValueError(f"{where} {label} {rows[i]}: {column}={raw.iloc[i]!r} is not a "
                             f"date and time (such as 2019-05-02 21:30, UTC); {bad.size} such "
                             "row(s)")
        times[key] = parsed.reset_index(drop=True)
        latest = pd.Timestamp.now(tz="UTC").floor("D") + pd.Timedelta(days=1)
        with np.errstate(invalid="ignore"):
            outside = np.flatnonzero(((times[key] < EARLIEST_INCIDENT)
                                      | (times[key] > latest)).to_numpy())
        if outside.size:
            i = outside[0]
            why = ("an incident in the future cannot have been observed"
                   if times[key].iloc[i] > latest else "earlier than a timestamp holds")
            raise ValueError(f"{where} {label} {rows[i]}: {column}={raw.iloc[i]!r} is not "
                             f"allowed: a time from {EARLIEST_INCIDENT:%Y-%m-%d} to today "
                             f"({latest - pd.Timedelta(days=1):%Y-%m-%d}): {why} "
                             f"({outside.size} such row(s))")
    backwards = np.flatnonzero((times["end"] <= times["start"]).to_numpy())
    if backwards.size:
        i = backwards[0]
        raise ValueError(f"{where} {label} {rows[i]}: {end_col}={frame[end_col].iloc[i]!r} is "
                         f"not after {start_col}={frame[start_col].iloc[i]!r}; an incident must "
                         f"end after it starts ({backwards.size} such row(s))")
    hours = ((times["end"] - times["start"]).dt.total_seconds() / 3600).to_numpy()
    long = np.flatnonzero(hours > MAX_OUTAGE_HOURS)
    if long.size:
        i = long[0]
        raise ValueError(f"{where} {label} {rows[i]}: the incident lasts {hours[i]:,.0f} hours "
                         f"({frame[start_col].iloc[i]!r} to {frame[end_col].iloc[i]!r}): at "
                         f"most {MAX_OUTAGE_HOURS:,.0f} (a year) is allowed ({long.size} such "
                         "row(s))")
    location = frame[location_col]
    empty = np.flatnonzero(location.isna().to_numpy() | (location.astype(str).str.strip() == ""))
    if empty.size:
        raise ValueError(f"{where} {label} {rows[empty[0]]}: location is empty; give a region "
                         "(\"West Europe\"), regions joined by \" / \", a geography or "
                         "\"Multi-region\"")
    service_col = next((c for c in ("service_name", "service") if c in frame.columns), None)
    service = (frame[service_col].fillna("").astype(str).str.strip().to_numpy()
               if service_col is not None else np.full(len(frame), "", dtype=object))
    return pd.DataFrame({"start": times["start"], "end": times["end"],
                         "location": location.astype(str).str.strip().to_numpy(),
                         "service": service,
                         "row": [f"{where} {label} {r}" for r in rows]})


def merge_duplicates(events: pd.DataFrame) -> pd.DataFrame:
    """Merge events of the same ``key`` whose intervals overlap or touch.

    Parameters
    ----------
    events : pandas.DataFrame
        Columns ``key``, ``start``, ``end`` (and any others: the first row of each merged
        incident gives them).

    Returns
    -------
    pandas.DataFrame
        One row per merged incident, sorted by key and start: ``start`` the earliest start,
        ``end`` the latest end of its rows, ``rows_merged`` how many rows it stands for.
    """
    ordered = events.sort_values(["key", "start", "end"], kind="stable").reset_index(drop=True)
    if ordered.empty:
        return ordered.assign(rows_merged=np.array([], dtype=int))
    same_key = ordered["key"].eq(ordered["key"].shift())
    # The latest end so far within the key: a row overlapping it belongs to the same incident.
    reach = ordered.groupby("key", sort=False)["end"].cummax()
    previous_reach = reach.groupby(ordered["key"], sort=False).shift()
    new = ~same_key | (ordered["start"] > previous_reach)
    incident = new.cumsum()
    grouped = ordered.groupby(incident, sort=False)
    merged = grouped.first()
    merged["end"] = grouped["end"].max()
    merged["rows_merged"] = grouped.size()
    return merged.reset_index(drop=True)
