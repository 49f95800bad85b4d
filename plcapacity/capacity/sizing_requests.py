"""Deprecated: sizing requests from a table. Use :func:`plcapacity.size_table`.

Kept so that code written against plcapacity 0.1 keeps working; each function warns once.
"""

from __future__ import annotations

import pandas as pd

from plcapacity.base.deprecation import warn_deprecated
from plcapacity.base.schema import Column, Schema
from plcapacity.base.tables import read_table
from plcapacity.capacity.sizing import DEMAND_COLUMNS, size_table

__all__: list[str] = []  # internal module: nothing here is public API

#: Columns a sizing-request table may have.
REQUEST_COLUMNS = Schema([Column("service", "-", "row number", "any text",
                                 "name of the service"), *DEMAND_COLUMNS.values()])


def _deprecated(old, new):
    warn_deprecated(f"plcapacity.sizing_requests.{old}", since="0.2.0", removal="0.3.0",
                    alternative=new, stacklevel=4)


def read_sizing_requests(path) -> pd.DataFrame:
    """Deprecated: :func:`plcapacity.read_table` (the columns are checked by
    :func:`plcapacity.size_table`)."""
    _deprecated("read_sizing_requests", "plcapacity.read_table")
    frame = read_table(path)
    unknown = [c for c in frame.columns if c not in REQUEST_COLUMNS]
    if unknown:
        raise ValueError(f"{path}: unknown column(s) {', '.join(map(repr, unknown))}; allowed: "
                         f"{', '.join(REQUEST_COLUMNS)}")
    return frame


def size_requests(requests: pd.DataFrame, *, defaults: dict | None = None) -> pd.DataFrame:
    """Deprecated: :func:`plcapacity.size_table` (which keeps every row's error its own).

    Returns the DataFrame of 0.1, with its ``.attrs``; :func:`plcapacity.size_table` returns
    a :class:`~plcapacity.capacity.sizing.SizingResults`."""
    _deprecated("size_requests", "plcapacity.size_table")
    return size_table(requests, defaults=defaults).table
