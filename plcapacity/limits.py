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

__all__ = ["Limits", "get_limits", "limits_table", "pricing", "data_path"]


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
    """
    packaged = Path(str(resources.files("plcapacity"))) / "data"
    folder = packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "data"
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
    frame.attrs["provenance"] = notes
    return frame


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
            if not _is_positive_number(value):
                raise ValueError(
                    f"limit override {name}={value!r} is not allowed: give a positive number"
                )
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
        ``.attrs["overridden"]``.
    """
    return [f"{name} overridden: {used:,} instead of {ref:,}"
            for name, (ref, used) in overridden.items()]


def _is_positive_number(value) -> bool:
    try:
        return float(value) > 0 and float(value) != float("inf")
    except (TypeError, ValueError):
        return False


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
    """The Azure limits as a table: name, value, unit, scope, source, as_of, uncertain, note."""
    return read_reference("azure_limits.csv")


def pricing() -> pd.DataFrame:
    """Private Link prices (USD) as a table: name, value, unit, source, as_of, uncertain, note."""
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
    """
    return Limits(_reference_values()).merged(**overrides)
