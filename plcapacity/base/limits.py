"""Azure reference data: named limits and prices, with their sources.

The numbers live in ``data/*.csv`` (a header of ``#`` lines says where they come from, and each
row carries its ``source``, ``as_of`` date and an ``uncertain`` flag). This module is the one
place that reads them; model code refers to a limit by name (``limits.nat_ips_per_pls``), never
by a bare number.

Examples
--------
>>> from plcapacity.limits import get_limits
>>> get_limits().nat_ips_per_pls
8
>>> lim = get_limits(ports_per_nat_ip=65_536)
>>> lim.ports_per_nat_ip, lim.overridden
(65536, {'ports_per_nat_ip': (64000, 65536)})
"""

from __future__ import annotations

import difflib
import functools
import io
from importlib import resources
from pathlib import Path

import pandas as pd

from plcapacity.base.validation import check_number

__all__ = ["Limits", "get_limits", "limits_table", "pricing", "data_path", "override_notes",
           "read_reference", "reference_provenance"]


def data_path(name: str = "") -> Path:
    """Path to a file in the reference data folder.

    An installed wheel carries the folder inside the package (``plcapacity/data``); a checkout
    (or an editable install) reads the repository's top-level ``data/``.

    Parameters
    ----------
    name : str
        File name relative to the data folder, such as ``"azure_limits.csv"``.

    Returns
    -------
    pathlib.Path

    References
    ----------
    The reference tables here carry their sources row by row (``source`` column): Azure
    subscription and service limits,
    https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits,
    and the other pages listed in ``docs/azure-facts.md``.

    Examples
    --------
    >>> from plcapacity import data_path
    >>> data_path("azure_limits.csv").name
    'azure_limits.csv'
    >>> data_path("examples/two-region-active-active.toml").is_file()
    True
    """
    packaged = Path(str(resources.files("plcapacity"))) / "data"
    folder = packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "data"
    return folder / name


@functools.lru_cache(maxsize=None)
def _read_reference_cached(name: str) -> tuple[pd.DataFrame, str]:
    text = data_path(name).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    header = [line for line in lines if line.startswith("#")]
    # Only leading '#' lines are provenance; a '#' inside a URL anchor is data.
    body = "".join(lines[len(header):])
    frame = pd.read_csv(io.StringIO(body), keep_default_na=False, na_values=[""])
    notes = "".join(line[1:].strip() + "\n" for line in header)
    return frame, notes


def read_reference(name: str) -> pd.DataFrame:
    """Read a reference table from ``data/``, with its provenance header in ``.attrs``.

    Parameters
    ----------
    name : str
        File name, such as ``"regions.csv"``.

    Returns
    -------
    pandas.DataFrame
        The table; ``frame.attrs["provenance"]`` holds the file's header text.
    """
    frame, notes = _read_reference_cached(name)
    frame = frame.copy()
    # Kept in .attrs (not a result object): a reference table is data users treat as a plain
    # DataFrame, and its header text is a small string. Code reads reference_provenance().
    frame.attrs["provenance"] = notes
    return frame


def reference_provenance(name: str) -> str:
    """The provenance header of a reference table in ``data/``: its leading ``#`` lines,
    without the ``#``.

    Parameters
    ----------
    name : str
        File name, such as ``"sla.csv"``.

    Returns
    -------
    str
        One line per header line; the same text as ``read_reference(name).attrs["provenance"]``.
    """
    return _read_reference_cached(name)[1]


def _as_number(value):
    number = float(value)
    return int(number) if number.is_integer() else number


class Limits:
    """Named Azure limits, read-only, with the values a user overrode.

    Attribute access (``limits.backend_pool_size``) and item access (``limits["pe_per_pls"]``)
    both work; an unknown name raises with the closest known names.

    Parameters
    ----------
    values : dict
        Name to value.
    overridden : dict, optional
        Name to ``(reference value, value used)`` for each overridden limit.

    Attributes
    ----------
    overridden : dict
        Name to ``(reference value, value used)`` for each overridden limit.
    <name> : int or float
        Each named limit, in the unit of ``limits_table()`` (such as ``nat_ips_per_pls``
        [NAT IPs per PLS], ``ports_per_nat_ip`` [ports], ``default_port_hold_s`` [s]).

    References
    ----------
    .. [1] Azure subscription and service limits, Private Link (NAT IPs and PLS counts),
       https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#azure-private-link-limits
    .. [2] Azure Private Link FAQ (64k ports per NAT IP and backend VM),
       https://learn.microsoft.com/azure/private-link/private-link-faq
    .. [3] Azure Load Balancer limits (backend pool size),
       https://github.com/MicrosoftDocs/azure-docs/blob/main/includes/load-balancer-limits.md
    .. [4] Azure virtual network limits (concurrent flows per VM NIC),
       https://github.com/MicrosoftDocs/azure-docs/blob/main/includes/azure-virtual-network-limits.md
    .. [5] NAT Gateway port reuse timers (the assumed 65 s hold after FIN),
       https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource#port-reuse-timers
    .. [6] Azure Private Link pricing, https://azure.microsoft.com/pricing/details/private-link/

    Examples
    --------
    >>> from plcapacity import get_limits
    >>> lim = get_limits(backend_pool_size=1000)
    >>> lim.nat_ips_per_pls, lim["backend_pool_size"], lim.overridden
    (8, 1000, {'backend_pool_size': (5000, 1000)})
    >>> "pe_per_pls" in lim
    True
    """

    def __init__(self, values: dict, overridden: dict | None = None):
        object.__setattr__(self, "_values", dict(values))
        object.__setattr__(self, "overridden", dict(overridden or {}))

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(_unknown_limit_message(name, self._values)) from None

    def __getitem__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise KeyError(_unknown_limit_message(name, self._values)) from None

    def __setattr__(self, name, value):
        raise AttributeError("Limits are read-only; use get_limits(name=value) to override one")

    def __contains__(self, name):
        return name in self._values

    def __iter__(self):
        return iter(self._values)

    def __repr__(self):
        extra = f", overridden={self.overridden}" if self.overridden else ""
        return f"Limits({len(self._values)} values{extra})"

    def merged(self, **overrides) -> "Limits":
        """A copy with more values overridden (``None`` values are ignored)."""
        overrides = {k: v for k, v in overrides.items() if v is not None}
        if not overrides:
            return self
        base = {**self._values}
        overridden = dict(self.overridden)
        for name, value in overrides.items():
            if name not in base:
                raise KeyError(_unknown_limit_message(name, base))
            reference = _reference_values().get(name, base[name])
            check_number(value, name, 0, low_inclusive=False, where="limit override",
                         allowed="give a positive number", text=True)
            value = _as_number(value)
            base[name] = value
            if value != reference:
                overridden[name] = (reference, value)
            else:
                overridden.pop(name, None)
        return Limits(base, overridden)

    def notes(self) -> list[str]:
        """One line per overridden value, for printing under a result."""
        return override_notes(self.overridden)


def override_notes(overridden: dict) -> list[str]:
    """Lines such as ``ports_per_nat_ip overridden: 65,536 instead of 64,000``.

    Parameters
    ----------
    overridden : dict
        Name to ``(reference, used)``, as in ``Limits.overridden`` or a result's
        ``.overridden`` (such as :class:`~plcapacity.capacity.grid.CeilingTable`'s).
    """
    return [f"{name} overridden: {used:,} instead of {ref:,}"
            for name, (ref, used) in overridden.items()]


def _unknown_limit_message(name, known) -> str:
    close = difflib.get_close_matches(str(name), list(known), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"unknown limit {name!r}{hint} Known limits: {', '.join(sorted(known))}"


@functools.lru_cache(maxsize=None)
def _reference_values() -> dict:
    values = {}
    for file in ("azure_limits.csv", "pricing.csv"):
        frame, _ = _read_reference_cached(file)
        values.update({row.name: _as_number(row.value) for row in frame.itertuples()})
    return values


def limits_table() -> pd.DataFrame:
    """The Azure limits as a table: name, value, unit, scope, source, as_of, uncertain, note.

    Returns
    -------
    pandas.DataFrame
        One row per named limit: ``name``, ``value`` (in ``unit``), ``unit``, ``scope``,
        ``source`` (the Azure page), ``as_of`` (date read), ``uncertain`` (bool: the best public
        figure, not a documented exact value) and ``note``; ``.attrs["provenance"]`` holds the
        file's header.

    References
    ----------
    .. [1] Azure subscription and service limits, Private Link (NAT IPs and PLS counts),
       https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#azure-private-link-limits
    .. [2] Azure Private Link FAQ (64k ports per NAT IP and backend VM),
       https://learn.microsoft.com/azure/private-link/private-link-faq
    .. [3] Azure Load Balancer limits (backend pool size),
       https://github.com/MicrosoftDocs/azure-docs/blob/main/includes/load-balancer-limits.md
    .. [4] Azure virtual network limits (concurrent flows per VM NIC),
       https://github.com/MicrosoftDocs/azure-docs/blob/main/includes/azure-virtual-network-limits.md
    .. [5] NAT Gateway port reuse timers (the assumed 65 s hold after FIN),
       https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource#port-reuse-timers
    .. [6] Azure Private Link pricing, https://azure.microsoft.com/pricing/details/private-link/

    Examples
    --------
    >>> from plcapacity import limits_table
    >>> table = limits_table().set_index("name")
    >>> row = table.loc["ports_per_nat_ip"]
    >>> float(row.value), row.unit, bool(row.uncertain)
    (64000.0, 'ports', True)
    """
    return read_reference("azure_limits.csv")


def pricing() -> pd.DataFrame:
    """Private Link prices (USD) as a table: name, value, unit, source, as_of, uncertain, note.

    Returns
    -------
    pandas.DataFrame
        One row per price: ``name``, ``value`` [USD per ``unit``], ``unit`` (such as
        "USD per PLS per hour"), ``source``, ``as_of``, ``uncertain`` and ``note``.

    References
    ----------
    .. [1] Azure Private Link pricing, https://azure.microsoft.com/pricing/details/private-link/

    Examples
    --------
    >>> from plcapacity.limits import pricing
    >>> "private_link_service_hour_usd" in set(pricing().name)
    True
    """
    return read_reference("pricing.csv")


def get_limits(**overrides) -> Limits:
    """The reference limits and prices, with any values overridden.

    Parameters
    ----------
    **overrides : numeric
        ``name=value`` for each limit to replace, such as ``ports_per_nat_ip=65_536``.
        ``None`` keeps the reference value.

    Returns
    -------
    Limits
        ``.overridden`` maps each overridden name to ``(reference, used)``.

    Raises
    ------
    KeyError
        For an unknown name (the message lists the closest known names).
    ValueError
        For a value that is not a positive number.

    References
    ----------
    .. [1] Azure subscription and service limits, Private Link (NAT IPs and PLS counts),
       https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#azure-private-link-limits
    .. [2] Azure Private Link FAQ (64k ports per NAT IP and backend VM),
       https://learn.microsoft.com/azure/private-link/private-link-faq
    .. [3] Azure Load Balancer limits (backend pool size),
       https://github.com/MicrosoftDocs/azure-docs/blob/main/includes/load-balancer-limits.md
    .. [4] Azure virtual network limits (concurrent flows per VM NIC),
       https://github.com/MicrosoftDocs/azure-docs/blob/main/includes/azure-virtual-network-limits.md
    .. [5] NAT Gateway port reuse timers (the assumed 65 s hold after FIN),
       https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource#port-reuse-timers
    .. [6] Azure Private Link pricing, https://azure.microsoft.com/pricing/details/private-link/

    Examples
    --------
    >>> from plcapacity import get_limits
    >>> get_limits().ports_per_nat_ip
    64000
    >>> get_limits(ports_per_nat_ip=65_536).notes()
    ['ports_per_nat_ip overridden: 65,536 instead of 64,000']
    """
    return Limits(_reference_values()).merged(**overrides)
