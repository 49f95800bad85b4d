"""One type for every table schema: the columns a table has, with unit and meaning.

A :class:`Column` names one column of a table, input or output, with its unit and meaning;
input columns add their default and what is allowed. A :class:`Schema` is an ordered, read-only
mapping ``name -> Column``, so the columns of a table are listed once and read everywhere the
same way: ``list(schema)`` for the order, ``schema[name].unit``, ``schema.table()`` for a
printable table (the README's column tables and ``plcapacity batch --columns`` come from it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

__all__ = ["Column", "Schema"]


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Parameters
    ----------
    name : str
        The column's name as it appears in files and frames.
    unit : str
        Its unit (``"connections"``, ``"1/s"``, ``"0-1"``; ``"-"`` for none).
    default : str, optional
        For an input column: what a blank cell means. ``None`` for output columns.
    allowed : str, optional
        For an input column: what values are accepted, in words. ``None`` for output columns.
    meaning : str
        What the column holds.

    Examples
    --------
    >>> Column("headroom", "0-1", "0.2", "a number from 0 to 10", "spare capacity kept").unit
    '0-1'
    """

    name: str
    unit: str
    default: str | None = None
    allowed: str | None = None
    meaning: str = ""

    @classmethod
    def output(cls, name: str, unit: str, meaning: str) -> Column:
        """An output column (no default, nothing to allow).

        Examples
        --------
        >>> Column.output("ceiling", "connections", "the connection ceiling").default is None
        True
        """
        return cls(name, unit, meaning=meaning)


class Schema(Mapping):
    """The columns of a table, in order: a read-only mapping ``name -> Column``.

    Parameters
    ----------
    columns : iterable of Column
        The columns, in table order; names must be unique.

    Examples
    --------
    >>> schema = Schema([Column.output("status", "-", "ok or error"),
    ...                  Column.output("ceiling", "connections", "the ceiling")])
    >>> list(schema), schema["ceiling"].unit
    (['status', 'ceiling'], 'connections')
    >>> schema.table().columns.tolist()
    ['column', 'unit', 'meaning']
    """

    def __init__(self, columns: Iterable[Column]):
        self._columns = {}
        for column in columns:
            if column.name in self._columns:
                raise ValueError(f"column {column.name!r} is listed twice")
            self._columns[column.name] = column

    def __getitem__(self, name: str) -> Column:
        return self._columns[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def __repr__(self) -> str:
        return f"Schema({list(self._columns)})"

    def without(self, *names: str) -> Schema:
        """The same schema less ``names`` (which must be in it)."""
        missing = [n for n in names if n not in self._columns]
        if missing:
            raise KeyError(f"not in the schema: {missing}")
        return Schema(c for n, c in self._columns.items() if n not in names)

    def table(self):
        """The columns as a pandas DataFrame: ``column``, ``unit``, then ``default`` and
        ``allowed`` where any column has them, and ``meaning``.

        Returns
        -------
        pandas.DataFrame
            One row per column, in order.
        """
        import pandas as pd

        columns = list(self._columns.values())
        inputs = any(c.default is not None or c.allowed is not None for c in columns)
        fields = ["unit", "default", "allowed", "meaning"] if inputs else ["unit", "meaning"]
        return pd.DataFrame([{"column": c.name, **{f: getattr(c, f) for f in fields}}
                             for c in columns], columns=["column", *fields])
