"""Input handling shared by the vectorized model functions.

Model functions accept scalars, numpy arrays and pandas Series, broadcast them together and hand
back the same kind of container (a Series keeps its index). Validation is written for speed: on
integer arrays a range check is one ``min`` and one ``max`` pass, and only a failing check pays
for locating the offending element so that the message can name it.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd


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
                    raise ValueError(f"{name} must be numeric, got {_short(value)}")
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


def _short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _position(array, flat_position, index):
    if index is not None and array.ndim == 1:
        return f" at index {index[flat_position]!r}"
    if array.ndim == 0:
        return ""
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


def describe_range(low, high, *, integer=False, low_inclusive=True):
    kind = "a whole number" if integer else "a number"
    fmt = (lambda v: f"{v:,}") if integer else (lambda v: f"{v:g}")
    if low is not None and high is not None:
        return f"{kind} from {fmt(low)} to {fmt(high)}"
    if low is not None:
        return f"{kind} {'>=' if low_inclusive else '>'} {fmt(low)}"
    if high is not None:
        return f"{kind} <= {fmt(high)}"
    return f"a finite {kind[2:] if kind.startswith('a ') else kind}"
