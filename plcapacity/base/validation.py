"""Input validation, in one place: scalars, arrays and the containers they come in.

Every check raises ``ValueError`` with one message shape, ``<where> <name>=<value> is not
allowed: <what is allowed>``, so that a user sees the field, the value and the fix whether the
value came from Python, the CLI, a TOML file or a table row.

- :func:`check_number` validates one scalar (a float or an int, never a bool, NaN or infinity;
  a string is refused unless ``text=True``).
- :class:`Inputs` and :func:`check_range` serve the vectorized model functions: scalars, numpy
  arrays and pandas Series are broadcast together and the same kind of container comes back (a
  Series keeps its index). On integer arrays a range check is one ``min`` and one ``max`` pass;
  only a failing check pays for locating the offending element so the message can name it.
"""

from __future__ import annotations

import math
import numbers
import reprlib
import sys

import numpy as np
import pandas as pd

__all__ = ["Inputs", "TableRows", "check_number", "check_range", "is_blank",
           "short_repr", "MAX_COUNT", "MAX_COUNT_TEXT", "count_text"]

#: Largest count the package computes with: 2**53 - 1 = 9,007,199,254,740,991, the largest
#: whole number a float64 holds exactly. A count above it (connections, ports, endpoints,
#: VMs) is refused where it comes in: neither a float nor, once multiplied, an int64 would
#: hold the answer exactly (an int64 wraps past 9.2e18 and prints as a negative number).
MAX_COUNT = 2 ** 53 - 1
#: How messages state that bound.
MAX_COUNT_TEXT = f"{MAX_COUNT:,} (2**53 - 1, the largest whole number a float holds exactly)"


def count_text(value) -> str:
    """A count as messages show it: with thousands separators up to :data:`MAX_COUNT`, in
    scientific notation beyond (``1e+300``, never 301 digits a float never had).

    >>> count_text(1_000_000), count_text(10 ** 300)
    ('1,000,000', '1e+300')
    """
    if isinstance(value, (int, np.integer)) and abs(int(value)) <= MAX_COUNT:
        return f"{int(value):,}"
    try:
        number = float(value)
    except OverflowError:  # an int beyond any float
        return f"more than {sys.float_info.max:.4g}"
    if math.isfinite(number) and number.is_integer() and abs(number) <= MAX_COUNT:
        return f"{int(number):,}"
    return f"{number:.4g}" if math.isfinite(number) or math.isnan(number) else str(number)


class Inputs:
    """Arguments converted to numpy, with what is needed to rebuild the output container."""

    def __init__(self, **named):
        self.index = None
        self.scalar = True
        self.arrays = {}
        for name, value in named.items():
            if isinstance(value, pd.Series):
                if self.index is None:
                    self.index = value.index
                elif not value.index.equals(self.index):
                    raise ValueError(
                        f"{name}: Series index differs from the other Series arguments; "
                        "align them first (for example with .reindex)"
                    )
                array = value.to_numpy()
                self.scalar = False
            elif isinstance(value, (numbers.Number, np.number)) and not isinstance(value, bool):
                array = np.asarray(value)
            else:
                array = np.asarray(value)
                if array.ndim:
                    self.scalar = False
            if array.dtype.kind not in "iuf":
                # Only numbers: strings, booleans, dates and complex values are mistakes here;
                # an object array passes if every element is a real number.
                convertible = array.dtype.kind == "O" and all(
                    isinstance(v, (numbers.Real, type(None))) and not isinstance(v, bool)
                    for v in array.ravel().tolist())
                if not convertible or value is None:
                    raise ValueError(f"{name} must be numeric, got {short_repr(value)}")
                array = array.astype(np.float64)
            self.arrays[name] = array
        shapes = ", ".join(f"{n} {a.shape}" for n, a in self.arrays.items())
        try:
            self.shape = np.broadcast_shapes(*(a.shape for a in self.arrays.values()))
        except ValueError:
            raise ValueError(f"arguments cannot be broadcast together: {shapes}") from None
        if self.index is not None and self.shape != (len(self.index),):
            raise ValueError(f"a Series argument must broadcast to its own length "
                             f"{len(self.index)}: {shapes}")

    def __getitem__(self, name):
        return self.arrays[name]

    def wrap(self, result, name=None):
        """Return ``result`` in the container the inputs came in."""
        if self.index is not None:
            if np.shape(result) == self.shape:  # a fresh array of ours: share, do not copy
                return pd.Series(result, index=self.index, name=name, copy=False)
            return pd.Series(np.broadcast_to(result, self.shape), index=self.index, name=name)
        if self.scalar:
            return np.asarray(result).item()
        return result


def short_repr(value, limit=60):
    """A value as a message quotes it: its repr, cut to ``limit`` characters, and safe for
    any input (deeply nested or huge containers are abbreviated, not walked)."""
    if isinstance(value, (str, bytes, int, float, bool, type(None), np.number)):
        text = repr(value)
    else:
        text = _REPR.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxtuple = 2, 4, 4, 4
_REPR.maxstring, _REPR.maxother = 40, 40


def _position(array, flat_position, index):
    if index is not None and array.ndim == 1:
        return f" at index {index[flat_position]!r}"
    if array.ndim == 0 or (array.ndim == 1 and array.size == 1 and index is None):
        return ""  # a single value: its position says nothing
    if array.ndim == 1:
        return f" at position {flat_position}"
    return f" at position {tuple(int(i) for i in np.unravel_index(flat_position, array.shape))}"


def check_range(inputs, name, low=None, high=None, *, integer=False, allowed=None,
                low_inclusive=True):
    """Raise ValueError naming ``name``, the first bad value, its position and what is allowed.

    Parameters
    ----------
    inputs : Inputs
    name : str
        Argument to check.
    low, high : float, optional
        Allowed range (``low`` inclusive unless ``low_inclusive=False``; ``high`` inclusive).
    integer : bool
        Whether only whole numbers are allowed.
    allowed : str, optional
        Human description of what is allowed (built from the range when omitted).
    """
    array = inputs[name]
    if array.size == 0:
        return
    is_int = array.dtype.kind in "iu"
    if is_int:
        lo, hi = array.min(), array.max()
        ok = (low is None or (lo >= low if low_inclusive else lo > low)) and (high is None or hi <= high)
    else:
        lo, hi, whole = _scan_float(array, integer)  # NaN gives NaN bounds: fails below
        ok = bool(np.isfinite(lo) and np.isfinite(hi)) and whole
        ok = ok and (low is None or (lo >= low if low_inclusive else lo > low))
        ok = ok and (high is None or hi <= high)
    if ok:
        return
    bad = np.zeros(array.shape, dtype=bool)
    if not is_int:
        bad |= ~np.isfinite(array)
        if integer:
            with np.errstate(invalid="ignore"):
                bad |= np.floor(array) != array
    with np.errstate(invalid="ignore"):
        if low is not None:
            bad |= (array < low) if low_inclusive else (array <= low)
        if high is not None:
            bad |= array > high
    flat = int(np.flatnonzero(bad.ravel())[0])
    value = array.ravel()[flat]
    if allowed is None:
        allowed = describe_range(low, high, integer=integer, low_inclusive=low_inclusive)
    shown = "NaN" if isinstance(value, float) and np.isnan(value) else f"{value:g}" if not is_int else f"{value}"
    raise ValueError(f"{name}={shown}{_position(array, flat, inputs.index)} is not allowed: {allowed}")


def _scan_float(array, integer, block=1 << 16):
    """Minimum, maximum and (if ``integer``) whether all values are whole, in one pass.

    Block by block with reused buffers, so that on 10^7 elements the work stays in cache
    instead of making full-size temporaries: about twice as fast as separate ``min``, ``max``
    and ``floor(a) == a`` passes.
    """
    flat = array.ravel()
    lo, hi, whole = np.inf, -np.inf, True
    floor = np.empty(min(block, flat.size))
    differs = np.empty(floor.size, dtype=bool)
    for start in range(0, flat.size, block):
        chunk = flat[start:start + block]
        lo, hi = min(lo, chunk.min()), max(hi, chunk.max())
        if np.isnan(lo) or np.isnan(hi):
            return np.nan, np.nan, False
        if integer and whole:
            n = chunk.size
            np.floor(chunk, out=floor[:n])
            whole = not np.not_equal(floor[:n], chunk, out=differs[:n]).any()
    return lo, hi, whole


def describe_range(low, high, *, integer=False, low_inclusive=True, high_inclusive=True):
    """What a range allows, in words: ``a whole number from 1 to 8``, ``a number > 0``."""
    kind = "a whole number" if integer else "a number"
    fmt = (lambda v: f"{v:,}") if integer else (lambda v: f"{v:g}")
    if low is not None and high is not None:
        if low_inclusive and high_inclusive:
            return f"{kind} from {fmt(low)} to {fmt(high)}"
        return (f"{kind} {'>=' if low_inclusive else '>'} {fmt(low)} and "
                f"{'<=' if high_inclusive else '<'} {fmt(high)}")
    if low is not None:
        return f"{kind} {'>=' if low_inclusive else '>'} {fmt(low)}"
    if high is not None:
        return f"{kind} {'<=' if high_inclusive else '<'} {fmt(high)}"
    return f"a finite {kind[2:] if kind.startswith('a ') else kind}"


def _shown(value, limit=60) -> str:
    """A value as a message quotes it: its repr, cut to ``limit`` characters."""
    return short_repr(value, limit)


def check_number(value, name, low=None, high=None, *, integer=False, low_inclusive=True,
                 high_inclusive=True, allowed=None, where=None, text=False):
    """Validate one number and return it as a float (or an int with ``integer=True``).

    Parameters
    ----------
    value : object
        What the user gave.
    name : str
        The argument, key or column it was given as.
    low, high : float, optional
        Allowed range; inclusive unless ``low_inclusive`` / ``high_inclusive`` is False.
    integer : bool, default False
        Whether only whole numbers are allowed (the result is then a Python int).
    allowed : str, optional
        What is allowed, in words (built from the range when omitted).
    where : str, optional
        Where the value came from (``"[failover]"``, ``"row 3"``), put before the name.
    text : bool, default False
        Accept numbers written as text (``"2e6"``, ``"2_000_000"``), as tables and TOML hold
        them. Otherwise a string is refused.

    Returns
    -------
    float or int

    Raises
    ------
    ValueError
        ``"<where> <name>=<value> is not allowed: <allowed>"``.

    Examples
    --------
    >>> check_number(3, "nat_ips", 1, 8, integer=True)
    3
    >>> check_number(0, "rate", 0, low_inclusive=False)
    Traceback (most recent call last):
    ...
    ValueError: rate=0 is not allowed: a number > 0
    """
    number = math.nan
    if not isinstance(value, (bool, np.bool_)) and (text or not isinstance(value, (str, bytes))):
        try:
            number = float(value.replace("_", "") if isinstance(value, str) else value)
        except (TypeError, ValueError, OverflowError):
            number = math.nan
    ok = math.isfinite(number)
    ok = ok and (low is None or (number >= low if low_inclusive else number > low))
    ok = ok and (high is None or (number <= high if high_inclusive else number < high))
    ok = ok and (not integer or number.is_integer())
    # a whole number beyond 2**53 - 1 is not the one typed once it is a float (...993 reads
    # as ...992): refused whatever the range, with the bound said
    exact = not integer or not ok or abs(number) <= MAX_COUNT
    if not ok or not exact:
        if allowed is None:
            allowed = describe_range(low, high, integer=integer, low_inclusive=low_inclusive,
                                     high_inclusive=high_inclusive)
        if not exact:
            allowed = f"{allowed} (and at most {MAX_COUNT_TEXT})"
        prefix = f"{where} " if where else ""
        raise ValueError(f"{prefix}{name}={_shown(value)} is not allowed: {allowed}")
    return int(number) if integer else number


# ----------------------------------------------------------------------------- tables


def is_blank(value) -> bool:
    """An empty cell: None, NaN, pandas' NA or text of spaces only."""
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


#: Longest cell quoted in a row's error message (a hostile table cannot make messages huge).
_QUOTE_LIMIT = 80


class TableRows:
    """A table's cells validated column by column, with every row's errors kept apart.

    Each check is vectorized over the rows; a bad cell becomes an error of its row (quoting
    the column, the value as written and what is allowed) and NaN in the values, so one bad
    row never stops the others.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table, cells as read (text or numbers).
    allowed : dict of str to str
        What each column allows, in words, for the messages.
    labels : sequence of str, optional
        How each row is named in messages (default ``row N``, 1-based).
    """

    def __init__(self, frame, allowed, labels=None):
        self.frame = frame.reset_index(drop=True)
        self.n = len(self.frame)
        self.allowed = dict(allowed)
        self.errors = [[] for _ in range(self.n)]
        self.labels = (list(labels) if labels is not None
                       else [f"row {i + 1}" for i in range(self.n)])

    def fail(self, mask, column, raw, allowed=None):
        """Record an error for the rows of ``mask``, quoting their cells of ``column``."""
        allowed = allowed or self.allowed.get(column, "")
        for i in np.flatnonzero(mask):
            self.errors[i].append(f"column {column}={short_repr(raw[i], _QUOTE_LIMIT)} is not "
                                  f"allowed: {allowed}")

    def raw(self, column) -> np.ndarray:
        """The column's cells as written (empty text for blanks and a missing column)."""
        if column not in self.frame:
            return np.full(self.n, "", dtype=object)
        # a cell that holds a list, array or mapping (Parquet, JSON) is quoted as text: it is
        # never a number, and comparisons must not broadcast over it
        cells = ["" if is_blank(v) else v if np.ndim(v) == 0 and not isinstance(v, dict)
                 else short_repr(v, _QUOTE_LIMIT) for v in self.frame[column].tolist()]
        raw = np.empty(len(cells), dtype=object)
        raw[:] = cells
        return raw

    def number(self, column, default, *, low=None, high=None, low_inclusive=True,
               high_inclusive=True, integer=False, percent=False, words=None):
        """A numeric column as float64: blanks take ``default``; bad cells become errors (NaN).

        Numbers are read as people write them: ``2_000_000``, ``2,000,000``, ``2e6``; with
        ``percent``, ``20%`` is 0.2; ``words`` maps words (any case) to values, such as
        ``{"none": inf}``, taken as they are (no range check).
        """
        raw = self.raw(column)
        text = pd.Series([str(v).replace("_", "").replace(",", "").strip() for v in raw],
                         dtype=object)
        worded = np.zeros(self.n, dtype=bool)
        word_values = np.full(self.n, np.nan)
        for word, value in (words or {}).items():
            match = (text.str.lower() == word).to_numpy(dtype=bool)
            worded |= match
            word_values[match] = value
        text = text.where(~worded, "")
        blank = (text == "").to_numpy() & ~worded
        scale = np.ones(self.n)
        if percent:
            marked = text.str.endswith("%").to_numpy(dtype=bool)
            text = text.where(~marked, text.str[:-1].str.strip())
            scale[marked] = 0.01
        values = pd.to_numeric(text.where(~blank, None), errors="coerce").to_numpy(float)
        values = values * scale
        bad = ~blank & ~worded & ~np.isfinite(values)
        checked = ~blank & ~worded
        with np.errstate(invalid="ignore"):
            if low is not None:
                bad |= checked & ((values < low) if low_inclusive else (values <= low))
            if high is not None:
                bad |= checked & ((values > high) if high_inclusive else (values >= high))
            if integer:
                bad |= checked & (np.mod(values, 1) != 0)
        self.fail(bad, column, raw)
        values = np.where(blank, default, values)
        values[bad] = np.nan
        values[worded] = word_values[worded]
        return values

    def text(self, column, default="") -> np.ndarray:
        """A text column, stripped; blanks take ``default``."""
        raw = self.raw(column)
        return np.array([str(v).strip() if str(v).strip() else default for v in raw],
                        dtype=object)

    @property
    def ok(self) -> np.ndarray:
        """Rows without errors (bool array)."""
        return np.array([not e for e in self.errors], dtype=bool)

    def messages(self) -> np.ndarray:
        """One message per row: ``"<label>: <error>; <error>"``, or empty text."""
        return np.array([f"{self.labels[i]}: {'; '.join(e)}" if e else ""
                         for i, e in enumerate(self.errors)], dtype=object)
