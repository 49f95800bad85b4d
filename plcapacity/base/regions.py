"""The Azure region catalog: names, geographies, pairs and availability zones.

Read from ``data/regions.csv`` (source in its header). Used to check the region names users
write and to look up geographies and pairs for correlated outages.
"""

from __future__ import annotations

import difflib
import functools

import pandas as pd

from plcapacity.base.limits import read_reference
from plcapacity.base.validation import short_repr

__all__ = ["region_catalog", "region_names", "regions_in_geography", "check_region"]


def region_catalog() -> pd.DataFrame:
    """The region catalog, indexed by region name.

    Returns
    -------
    pandas.DataFrame
        Columns: ``geography`` (str), ``paired_region`` (str, NaN where none),
        ``availability_zones`` (bool), ``restricted_access`` (bool, access on request),
        ``one_way_pair`` (bool), ``source`` and ``as_of``.

    References
    ----------
    .. [1] Azure regions list (regions, geographies, paired regions),
       https://learn.microsoft.com/azure/reliability/regions-list
    .. [2] Azure availability zones overview,
       https://learn.microsoft.com/azure/reliability/availability-zones-overview

    Examples
    --------
    >>> from plcapacity import regions
    >>> regions.region_catalog().loc["eastus", ["geography", "paired_region"]].tolist()
    ['United States', 'westus']
    """
    return read_reference("regions.csv").set_index("name")


def region_names() -> list[str]:
    """All known region names, sorted.

    Returns
    -------
    list of str
        The names of ``data/regions.csv`` (such as ``"eastus"``), sorted.

    References
    ----------
    .. [1] Azure regions list (regions, geographies, paired regions),
       https://learn.microsoft.com/azure/reliability/regions-list

    Examples
    --------
    >>> from plcapacity import regions
    >>> "westeurope" in regions.region_names()
    True
    """
    return list(_sorted_names())


@functools.lru_cache(maxsize=1)
def _sorted_names() -> tuple:
    """The catalog's names, read once: region checks run for every object built."""
    return tuple(sorted(region_catalog().index))


def check_region(name, *, where: str = "region") -> str:
    """Return ``name`` if it is a known region, else raise with the closest known names.

    Parameters
    ----------
    name : str
        A region name such as ``"eastus"``.
    where : str
        What to call the field in the error message (file, table and key).

    Raises
    ------
    ValueError
        For an unknown name.
    """
    known = _sorted_names()
    if not isinstance(name, str):
        raise ValueError(f"{where}={short_repr(name)} is not allowed: a region name (text) such "
                         "as \"eastus\"")
    if name in known:
        return name
    close = difflib.get_close_matches(str(name).lower().replace(" ", ""), known, n=3, cutoff=0.6)
    hint = f"; closest known: {', '.join(close)}" if close else ""
    raise ValueError(f"{where}: unknown region {short_repr(name)}{hint} ({len(known)} regions in data/regions.csv)")


def regions_in_geography(geography: str) -> list[str]:
    """Names of the regions in a geography (such as ``"United States"``), sorted.

    Parameters
    ----------
    geography : str
        A geography of the catalog (its ``geography`` column), such as ``"Norway"``.

    Returns
    -------
    list of str
        Region names, sorted.

    Raises
    ------
    ValueError
        For an unknown geography (the message suggests the closest names).

    References
    ----------
    .. [1] Azure regions list (regions, geographies, paired regions),
       https://learn.microsoft.com/azure/reliability/regions-list

    Examples
    --------
    >>> from plcapacity import regions
    >>> regions.regions_in_geography("Norway")
    ['norwayeast', 'norwaywest']
    """
    catalog = region_catalog()
    members = sorted(catalog.index[catalog["geography"] == geography])
    if not members:
        geos = sorted(catalog["geography"].unique())
        close = difflib.get_close_matches(geography, geos, n=3)
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise ValueError(f"unknown geography {geography!r}{hint}")
    return members
