"""Locations of incidents: a region, several regions or a geography, or none.

A status-page location is a region's display name ("West Europe"), a pair ("UK South / UK
West", "West India and South India"), a geography ("North America"), "Multi-region" or
"global", or an alias listed in ``data/outages/location_aliases.csv``. :func:`parse_location`
says which regions it names and whether they form one region's process or a correlated group;
incident lists and Service Health exports read their locations through it.
"""

from __future__ import annotations

import functools
import re

import pandas as pd

from plcapacity.base.limits import read_reference
from plcapacity.base.regions import check_region, region_catalog

__all__ = ["parse_location", "parse_location_in", "alias_table", "ALIASES_FILE",
           "MULTI_REGION"]


ALIASES_FILE = "outages/location_aliases.csv"


MULTI_REGION = "Multi-region"


_SPLIT = re.compile(r"\s*/\s*|\s+and\s+", flags=re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def _catalog_lookup():
    catalog = region_catalog()
    names = {name: name for name in catalog.index}
    geographies = {}
    for name, geography in catalog["geography"].items():
        geographies.setdefault(geography.lower(), (geography, []))[1].append(name)
    return names, {k: (g, tuple(sorted(v))) for k, (g, v) in geographies.items()}


def alias_table(aliases):
    if aliases is None:
        table = read_reference(ALIASES_FILE)
        return {loc: ("" if pd.isna(to) else str(to)) for loc, to in
                zip(table["location"], table["maps_to"])}
    if not isinstance(aliases, dict):
        raise ValueError(f"aliases={aliases!r} is not allowed: a dict such as "
                         "{\"USGov Virginia\": \"\", \"global\": \"Multi-region\"}")
    return {**alias_table(None), **{str(k): str(v) for k, v in aliases.items()}}


def parse_location(text, *, aliases=None, where="location"):
    """What a location names: ``(kind, name, regions)``.

    Parameters
    ----------
    text : str
    aliases : dict, optional
        Extra aliases ``{location: maps_to}`` on top of ``data/outages/location_aliases.csv``
        (``""`` leaves a location out).
    where : str
        Where the value comes from, for error messages.

    Returns
    -------
    tuple
        ``kind`` is ``"region"``, ``"group"``, ``"not attributed"`` (Multi-region) or
        ``"excluded"``; ``regions`` a sorted tuple of catalog names.
    """
    return parse_location_in(text, alias_table(aliases), where)


def parse_location_in(text, table, where):
    mapped = table.get(text, text).strip()
    if mapped == "":
        return "excluded", text, ()
    if mapped.lower() in (MULTI_REGION.lower(), "global"):
        return "not attributed", MULTI_REGION, ()
    names, geographies = _catalog_lookup()
    parts, regions = [], set()
    for part in _SPLIT.split(mapped):
        key = re.sub(r"\s+", "", part.lower())
        if key in names:
            parts.append(key)
            regions.add(key)
        elif part.lower() in geographies:
            geography, members = geographies[part.lower()]
            parts.append(geography)
            regions.update(members)
        else:
            try:
                check_region(key, where=where)
            except ValueError as error:
                hint = str(error).split(": ", 1)[1]
                raise ValueError(f"{where}: location={text!r}: {part!r} is neither a region nor "
                                 f"a geography ({hint}); write region names (\"West Europe\" or "
                                 "\"westeurope\") joined by \" / \", a geography such as "
                                 "\"Europe\", or \"Multi-region\"") from None
    regions = tuple(sorted(regions))
    if len(regions) == 1:
        return "region", regions[0], regions
    return "group", " / ".join(sorted(set(parts))), regions
