"""The Azure region catalog: names, geographies, pairs and availability zones.

Read from ``data/regions.csv`` (source in its header). Used to check the region names users
write and to look up geographies and pairs for correlated outages.

A region the catalog does not list (a sovereign cloud, a region opened since, a hypothetical
site of a study with hundreds of regions) is *declared*: :class:`DeclaredRegion` in Python,
``[[regions]]`` in a deployment file. A declared region is its name (a ``str``) that carries
its declaration, so every check downstream accepts it; it has no geography or pair, and
availability zones only when declared with them.
"""

from __future__ import annotations

import difflib
import functools
import re

import pandas as pd

from plcapacity.base.limits import read_reference
from plcapacity.base.validation import short_repr

__all__ = ["region_catalog", "region_names", "regions_in_geography", "check_region",
           "DeclaredRegion", "has_availability_zones"]

#: What a declared region's name may be: lower-case letters, digits and hyphens, starting with
#: a letter or digit, as catalog names are written (at most 64 characters).
_DECLARED_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


class DeclaredRegion(str):
    """A region the catalog (``data/regions.csv``) does not list, declared by the user.

    It is its name, a ``str`` (``DeclaredRegion("lab-1") == "lab-1"``), carrying the
    declaration: deployments, endpoints, destinations and outage models accept it wherever a
    region name goes. Its outages follow the outage model's default rate and duration unless
    the model names it.

    Parameters
    ----------
    name : str
        Lower-case letters, digits and hyphens (at most 64), not a catalog name.
    availability_zones : bool, default False
        Whether backend VMs there may be spread over availability zones.

    Raises
    ------
    ValueError
        For a name of another form, or a catalog region's name (use it as it is).

    Examples
    --------
    >>> import plcapacity as plc
    >>> lab = plc.regions.DeclaredRegion("lab-1")
    >>> plc.Endpoint("pe-lab", lab, "pls-lab").region == "lab-1"
    True
    """

    def __new__(cls, name, *, availability_zones=False):
        if not isinstance(name, str) or not _DECLARED_NAME.fullmatch(name):
            raise ValueError(f"declared region {short_repr(name)} is not allowed: a name of "
                             "lower-case letters, digits and hyphens (at most 64), such as "
                             "\"lab-1\"")
        if name in set(region_catalog().index):
            raise ValueError(f"declared region {name!r} is a catalog region (data/regions.csv): "
                             "use its name without declaring it")
        if not isinstance(availability_zones, bool):
            raise ValueError(f"declared region {name!r}: availability_zones="
                             f"{short_repr(availability_zones)} is not allowed: true or false")
        region = super().__new__(cls, name)
        region.availability_zones = availability_zones
        return region

    def __reduce__(self):  # pickles (to worker processes) keep the declaration
        return (_declared, (str(self), self.availability_zones))


def _declared(name, availability_zones):
    region = str.__new__(DeclaredRegion, name)
    region.availability_zones = availability_zones
    return region


def has_availability_zones(region) -> bool:
    """Whether ``region`` (a catalog name or a :class:`DeclaredRegion`) has availability
    zones."""
    if isinstance(region, DeclaredRegion):
        return region.availability_zones
    return bool(region_catalog().loc[check_region(region), "availability_zones"])


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
    if isinstance(name, DeclaredRegion):
        return name
    known = _sorted_names()
    if not isinstance(name, str):
        raise ValueError(f"{where}={short_repr(name)} is not allowed: a region name (text) such "
                         "as \"eastus\"")
    if name in known:
        return name
    close = difflib.get_close_matches(str(name).lower().replace(" ", ""), known, n=3, cutoff=0.6)
    hint = f"; closest known: {', '.join(close)}" if close else ""
    raise ValueError(f"{where}: unknown region {short_repr(name)}{hint} ({len(known)} regions "
                     "in data/regions.csv; declare others: [[regions]] in a deployment file, "
                     "plcapacity.regions.DeclaredRegion in Python)")


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
