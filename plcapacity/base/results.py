"""Tables with what was learnt making them: :class:`TableResult`, the base of every result
that is a table plus facts about it (the limits overridden, the assumptions used, the seed),
kept as plain attributes beside the table rather than in :attr:`pandas.DataFrame.attrs`.

pandas calls ``attrs`` experimental, deep-copies it on every operation and drops it in
:func:`pandas.concat`; a result object keeps its facts whatever is done to its table. The
results built on it: :class:`~plcapacity.capacity.grid.CeilingTable`,
:class:`~plcapacity.capacity.sizing.SizingOptions`,
:class:`~plcapacity.capacity.sizing.SizingResults`,
:class:`~plcapacity.batch.run.BatchResults`, :class:`~plcapacity.estate.inventory.Inventory`,
:class:`~plcapacity.estate.metrics.Metrics` and :class:`~plcapacity.estate.forecast.Forecast`.
"""

from __future__ import annotations

import dataclasses

__all__ = ["TableResult", "table_of"]


class TableResult:
    """A table with what was learnt making it, as plain attributes beside it (not in
    :attr:`pandas.DataFrame.attrs`, which pandas deep-copies on every operation and drops in
    :func:`pandas.concat`).

    The base of plcapacity's table results (:class:`~plcapacity.capacity.grid.CeilingTable`,
    :class:`~plcapacity.capacity.sizing.SizingOptions`, :class:`~plcapacity.capacity.sizing.
    SizingResults`, :class:`~plcapacity.batch.run.BatchResults` and the estate's
    :class:`~plcapacity.estate.inventory.Inventory`, :class:`~plcapacity.estate.metrics.
    Metrics`, :class:`~plcapacity.estate.forecast.Forecast`): frozen dataclasses whose first
    field is ``table``. A result reads like its table, so code written for the DataFrame these
    functions used to return keeps working: ``result["name"]``, ``result.loc[...]``,
    ``result.set_index(...)``, ``len(result)``, ``"name" in result`` and iteration over the
    column names all go to ``result.table``, as does any other public attribute a result does
    not have itself. What comes back is the table's (a DataFrame or Series, without the
    result's other fields); pass the result itself, or ``dataclasses.replace(result,
    table=...)``, to the functions that need them. Where a DataFrame is needed as such
    (:func:`pandas.concat`, a library that checks the type), use ``result.table``
    (:func:`table_of` takes either).

    Examples
    --------
    >>> import dataclasses
    >>> import pandas as pd
    >>> @dataclasses.dataclass(frozen=True, eq=False, repr=False)
    ... class Sized(TableResult):
    ...     table: pd.DataFrame
    ...     unit: str
    >>> result = Sized(pd.DataFrame({"name": ["a", "b"], "vms": [2, 3]}), "VMs")
    >>> result.unit, len(result), list(result["vms"]), int(result.vms.sum())
    ('VMs', 2, [2, 3], 5)
    >>> result
    Sized(unit='VMs') with table:
      name  vms
    0    a    2
    1    b    3
    """

    def __getattr__(self, name):
        # Only called for names the result does not have. Private and special names are
        # never forwarded (copy, pickle and pandas look those up), nor "table" itself
        # (not yet set while unpickling).
        if name.startswith("_") or name == "table" or "table" not in vars(self):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(vars(self)["table"], name)

    def __getitem__(self, key):
        return self.table[key]

    def __setitem__(self, key, value):
        self.table[key] = value

    def __len__(self):
        return len(self.table)

    def __iter__(self):
        return iter(self.table)

    def __contains__(self, key):
        return key in self.table

    def __dir__(self):
        return sorted(set(object.__dir__(self))
                      | {name for name in dir(self.table) if not name.startswith("_")})

    def _repr_html_(self):
        return self.table._repr_html_()

    def __repr__(self):
        fields = [f.name for f in dataclasses.fields(self) if f.name != "table"]
        text = ", ".join(f"{name}={_brief(getattr(self, name))}" for name in fields)
        return f"{type(self).__name__}({text}) with table:\n{self.table!r}"


def table_of(result):
    """The table of a result: ``result.table`` for a :class:`TableResult`, anything else (a
    DataFrame a user built or read back from a file) as it is.

    Parameters
    ----------
    result : TableResult or pandas.DataFrame
        A result of plcapacity, or a table.

    Returns
    -------
    pandas.DataFrame
        The same object as ``result.table``, or ``result`` itself: not a copy.

    Examples
    --------
    >>> import dataclasses
    >>> import pandas as pd
    >>> @dataclasses.dataclass(frozen=True, eq=False, repr=False)
    ... class Counted(TableResult):
    ...     table: pd.DataFrame
    ...     notes: tuple = ()
    >>> frame = pd.DataFrame({"ceiling": [5_120_000]})
    >>> table_of(Counted(frame)) is frame, table_of(frame) is frame
    (True, True)
    """
    return result.table if isinstance(result, TableResult) else result


def _brief(value) -> str:
    """A field in a result's repr: sizes for tables and long collections."""
    if hasattr(value, "shape") and hasattr(value, "columns"):
        return f"<{len(value)} rows>"
    if isinstance(value, (tuple, list, dict)) and len(value) > 2:
        return f"<{len(value)} items>"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
