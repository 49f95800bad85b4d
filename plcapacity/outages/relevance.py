"""Which incidents touch the Private Link data path: the relevance of each Azure service.

A status-page incident names a *service* impaired in a location. Only some services carry a
private endpoint's traffic to a Private Link Service: the regional network (virtual
networks, the Standard Load Balancer under the PLS, DNS), the backend VMs, and the storage
under their disks. ``data/outages/service_relevance.csv`` classes every service name of the
shipped incidents as

- ``data_path``: a PLS, its load balancer, the backend VMs, the virtual network, DNS or the
  storage under VM disks can be impaired (``all``, ``Multiple Services``, ``Network
  Infrastructure``, ``Virtual Machines``, ``Storage`` ...);
- ``control_plane``: management operations fail while running traffic flows (Service
  Management, the Portal, sign-in);
- ``unrelated``: a platform service the data path does not pass through (App Service, Log
  Analytics, Azure DevOps ...).

Names are matched without regard to case or runs of white space. A name not in the table is
*unknown*: :func:`plcapacity.fit_outages` reports it and counts it as a data-path incident
(the conservative reading), never drops it silently.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd

from plcapacity.base.limits import read_reference

__all__ = ["RELEVANCE_FILE", "RELEVANCE_CLASSES", "UNKNOWN", "service_relevance",
           "relevance_of", "wanted_relevance"]

#: The classification, under ``data/``.
RELEVANCE_FILE = "outages/service_relevance.csv"
#: The classes, from most to least relevant to a private endpoint's traffic.
RELEVANCE_CLASSES = ("data_path", "control_plane", "unrelated")
#: The class of a service name the table does not know.
UNKNOWN = "unknown"

_SPACE = re.compile(r"\s+")


def _key(name) -> str:
    return _SPACE.sub(" ", str(name)).strip().casefold()


@functools.lru_cache(maxsize=1)
def service_relevance() -> pd.DataFrame:
    """The shipped classification of Azure service names (``data/outages/service_relevance.csv``).

    Returns
    -------
    pandas.DataFrame
        ``service_name``, ``relevance`` (one of :data:`RELEVANCE_CLASSES`), ``reason``,
        ``source``, ``as_of`` and ``uncertain`` (bool). Cached: treat it as read-only.

    References
    ----------
    .. [1] Azure control plane and data plane,
       https://learn.microsoft.com/azure/azure-resource-manager/management/control-plane-and-data-plane
    .. [2] What is Azure Private Link service?,
       https://learn.microsoft.com/azure/private-link/private-link-service-overview

    Examples
    --------
    >>> from plcapacity.outages.relevance import service_relevance
    >>> table = service_relevance().set_index("service_name")
    >>> table.loc[["Virtual Machines", "Azure Portal", "Log Analytics"], "relevance"].tolist()
    ['data_path', 'control_plane', 'unrelated']
    """
    table = read_reference(RELEVANCE_FILE)
    bad = sorted(set(table["relevance"]) - set(RELEVANCE_CLASSES))
    if bad:
        raise ValueError(f"{RELEVANCE_FILE}: relevance {bad} is not allowed: "
                         f"{', '.join(RELEVANCE_CLASSES)}")
    table["uncertain"] = table["uncertain"].astype(str).str.lower().eq("true")
    return table


@functools.lru_cache(maxsize=1)
def _lookup() -> dict:
    table = service_relevance()
    return dict(zip(table["service_name"].map(_key), table["relevance"]))


def relevance_of(service_names) -> np.ndarray:
    """The relevance class of each service name; :data:`UNKNOWN` where the table has none.

    Parameters
    ----------
    service_names : sequence of str
        Service names as incidents give them.

    Returns
    -------
    numpy.ndarray of str
        One class per name, in order.

    Examples
    --------
    >>> from plcapacity.outages.relevance import relevance_of
    >>> relevance_of(["storage", "Azure  DevOps", "Teleportation"]).tolist()
    ['data_path', 'unrelated', 'unknown']
    """
    names = pd.Series(list(service_names), dtype=object)
    lookup = _lookup()
    distinct = names.drop_duplicates()  # look each distinct name up once
    classes = {name: lookup.get(_key(name), UNKNOWN) for name in distinct}
    return names.map(classes).to_numpy(dtype=object)


def wanted_relevance(services) -> frozenset | None:
    """The relevance classes a ``services=`` argument selects.

    Parameters
    ----------
    services : None, str or sequence of str
        ``None``: every incident, whatever its service (no filter). ``"data_path"``,
        ``"control_plane"`` or ``"unrelated"``, several of them joined by ``","`` or given as a
        list, or ``"all"`` (every class, but the service names must be known or reported).

    Returns
    -------
    frozenset of str or None

    Raises
    ------
    ValueError
        For a class that does not exist (naming the allowed ones).

    Examples
    --------
    >>> from plcapacity.outages.relevance import wanted_relevance
    >>> sorted(wanted_relevance("data_path,control_plane"))
    ['control_plane', 'data_path']
    """
    if services is None:
        return None
    if isinstance(services, str):
        parts = [p.strip() for p in services.split(",")]
    elif hasattr(services, "__iter__"):
        parts = [str(p).strip() for p in services]
    else:
        parts = [services]
    if parts == ["all"]:
        return frozenset(RELEVANCE_CLASSES)
    bad = [p for p in parts if p not in RELEVANCE_CLASSES]
    if bad or not parts:
        raise ValueError(f"services={services!r} is not allowed: one or more of "
                         f"{', '.join(RELEVANCE_CLASSES)} (joined by ','), or 'all'")
    return frozenset(parts)
