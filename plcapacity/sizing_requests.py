"""Sizing requests from a table: the best deployment for each of several demands.

A small front end over :func:`plcapacity.size` for a CSV with one demand per row. (The batch
engine, with availability, progress and scale-out, builds on the same function.)
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .capacity import size
from .exceptions import CapacityWarning, InfeasibleDemandError

__all__ = ["REQUEST_COLUMNS", "read_sizing_requests", "size_requests"]

#: Columns a sizing-request table may have: name -> (unit, default, meaning).
REQUEST_COLUMNS = {
    "service": ("-", "row number", "name of the service"),
    "concurrent_connections": ("connections", "required", "connections open at once"),
    "new_connections_per_s": ("1/s", 0.0, "connection opening rate"),
    "port_hold_s": ("s", "65 (assumption)", "port hold time after close"),
    "headroom": ("-", 0.2, "spare fraction on top of the demand"),
    "vm_failures_tolerated": ("VMs", 0, "VM failures the deployment must survive"),
    "max_connections_per_vm": ("connections", "no cap", "cap per VM"),
    "consumer_endpoints": ("PEs", 1, "private endpoints connecting to the service"),
    "overflow_probability": ("-", "none", "size on the usable ceiling at this probability"),
}

_RESULT_COLUMNS = ["service", "pls_count", "nat_ips", "backend_vms", "ceiling", "ports_needed",
                   "port_capacity_after_failures", "utilization_after_failures",
                   "spare_connections", "binding_limit", "pe_monthly_cost_usd", "warning"]


def read_sizing_requests(path) -> pd.DataFrame:
    """Read a sizing-request CSV, checking its columns.

    Raises
    ------
    ValueError
        For an unknown or missing column (naming the file and the allowed columns).
    """
    try:
        # index_col=False keeps pandas from turning extra leading fields into an index; the
        # warning it gives for rows longer than the header is made an error: data would be lost.
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(path, index_col=False)
    except pd.errors.ParserWarning:
        raise ValueError(f"{path}: not a readable CSV (a row has more fields than the "
                         "header)") from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: the file is empty; expected a header such as "
                         "service,concurrent_connections and one row per service") from None
    except pd.errors.ParserError as error:
        raise ValueError(f"{path}: not a readable CSV ({error})") from None
    if frame.empty:
        raise ValueError(f"{path}: no requests (a header but no rows)")
    unknown = [c for c in frame.columns if c not in REQUEST_COLUMNS]
    if unknown:
        raise ValueError(f"{path}: unknown column(s) {', '.join(map(repr, unknown))}; allowed: "
                         f"{', '.join(REQUEST_COLUMNS)}")
    if "concurrent_connections" not in frame.columns:
        raise ValueError(f"{path}: missing the required column 'concurrent_connections'")
    frame.attrs["source"] = str(path)
    return frame


def size_requests(requests: pd.DataFrame, *, defaults: dict | None = None) -> pd.DataFrame:
    """The best deployment (rank 1 of :func:`plcapacity.size`) for each request row.

    Parameters
    ----------
    requests : pandas.DataFrame
        One demand per row, columns from :data:`REQUEST_COLUMNS`.
    defaults : dict, optional
        Keyword arguments of :func:`plcapacity.size` for the columns a row leaves empty.

    Returns
    -------
    pandas.DataFrame
        One row per request: ``service`` and the best configuration's ``pls_count``,
        ``nat_ips``, ``backend_vms``, ``ceiling`` [connections], ``ports_needed`` [ports],
        ``port_capacity_after_failures`` [ports], ``utilization_after_failures`` [0-1],
        ``spare_connections`` [connections], ``binding_limit``, ``pe_monthly_cost_usd`` [USD]
        and ``warning`` (a capacity warning, or empty).

    Raises
    ------
    ValueError
        Naming the row (1-based, as in a spreadsheet after the header), the column, the value
        and what is allowed; InfeasibleDemandError likewise for a demand no deployment carries.
    """
    defaults = {k: v for k, v in (defaults or {}).items() if v is not None}
    source = requests.attrs.get("source", "input")
    rows, assumptions, overridden = [], [], {}
    for number, row in enumerate(requests.to_dict("records"), start=1):
        kwargs = dict(defaults)
        kwargs.update({k: v for k, v in row.items() if k != "service" and not pd.isna(v)})
        service = row.get("service", f"row {number}")
        concurrent = kwargs.pop("concurrent_connections", np.nan)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CapacityWarning)
            try:
                table = size(concurrent, **kwargs)
            except InfeasibleDemandError as error:
                raise InfeasibleDemandError(f"{source}, row {number} ({service}): {error}",
                                            limit=error.limit, required=error.required,
                                            available=error.available) from None
            except ValueError as error:
                raise ValueError(f"{source}, row {number} ({service}): {error}") from None
        best = table.iloc[0].to_dict()
        best["service"] = service
        best["warning"] = "; ".join(str(w.message) for w in caught)
        rows.append(best)
        assumptions += [a for a in table.attrs["assumptions"] if a not in assumptions]
        overridden.update(table.attrs["overridden"])
    result = pd.DataFrame(rows, columns=_RESULT_COLUMNS)
    result.attrs.update(assumptions=assumptions, overridden=overridden)
    return result
