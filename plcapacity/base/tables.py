"""Reading and writing tables by their file's suffix: CSV, Parquet or JSON (records).

One reader and one writer for every table plcapacity reads or writes (scenario tables, sizing
requests, batch results), so that every table gets the same protections:

- only regular files are read, and none larger than :data:`MAX_TABLE_BYTES` (a path such as
  ``/dev/zero`` or a runaway export is refused before it is read);
- CSV cells are kept as text, so that errors quote what was written, and a row with more
  fields than the header is an error (data would otherwise be dropped silently);
- results are written atomically (see :func:`plcapacity.base.files.atomic_write`), and in CSV,
  text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return) are prefixed with ``'``, as OWASP advises against CSV
  injection. JSON and Parquet keep every value exactly.

References
----------
.. [1] OWASP, CSV Injection, https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import io
import os
import stat
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from plcapacity.base.exceptions import TableError
from plcapacity.base.files import atomic_write
from plcapacity.base.results import table_of

__all__ = ["read_table", "write_table", "FORMATS", "MAX_TABLE_BYTES",
           "neutralize_formulas", "read_bytes_limited", "same_file"]

#: Largest table file read. [bytes] (1 GiB: about ten million rows of a scenario table.)
MAX_TABLE_BYTES = 1 << 30
#: File formats by suffix.
FORMATS = (".csv", ".parquet", ".json")
#: First characters that make a spreadsheet treat a cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def check_readable_file(path, *, max_bytes, what="file") -> Path:
    """Refuse anything but an existing regular file of at most ``max_bytes``.

    Parameters
    ----------
    path : str or path-like
    max_bytes : int
        Largest size allowed. [bytes]
    what : str
        What the file is, for the message.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        When nothing is there.
    TableError
        For a folder, a device or pipe, or a file that is too large.
    """
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such {what}") from None
    except OSError as error:
        raise TableError(f"{path}: cannot read the {what} ({error.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise TableError(f"{path}: {kind}; the {what} must be a regular file")
    if info.st_size > max_bytes:
        raise TableError(f"{path}: {info.st_size:,} bytes is larger than the {max_bytes:,} "
                         f"bytes a {what} may have")
    return path


def read_bytes_limited(path, *, max_bytes, what="file") -> bytes:
    """The content of a regular file, read without blocking and never more than ``max_bytes``.

    Some files stat as regular but are not (``/proc/kmsg`` and friends report a size of 0 and
    block when read): the file is opened non-blocking, so such a read fails at once instead
    of hanging, and reading stops past ``max_bytes`` whatever the size reported.

    Raises
    ------
    FileNotFoundError, TableError
    """
    path = check_readable_file(path, max_bytes=max_bytes, what=what)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise TableError(f"{path}: cannot read the {what} ({error.strerror})") from None
    chunks, size = [], 0
    try:
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise TableError(f"{path}: more than the {max_bytes:,} bytes a {what} may have")
            chunks.append(chunk)
    except BlockingIOError:
        raise TableError(f"{path}: not a regular file that can be read (it would block); the "
                         f"{what} must be a regular file") from None
    except OSError as error:
        raise TableError(f"{path}: cannot read the {what} ({error.strerror})") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def _suffix(path) -> str:
    return Path(path).suffix.lower()


def read_table(path, *, max_bytes=MAX_TABLE_BYTES) -> pd.DataFrame:
    """Read a table by its suffix: ``.parquet``, ``.json`` (records), anything else as CSV.

    Parameters
    ----------
    path : str or path-like
        The table file.
    max_bytes : int, optional
        Largest file read. [bytes]

    Returns
    -------
    pandas.DataFrame
        CSV cells as text (empty cells as empty text); ``attrs["source"]`` is the path.

    Raises
    ------
    FileNotFoundError, TableError
        Naming the file and what is wrong.

    Examples
    --------
    >>> import plcapacity as plc
    >>> table = plc.read_table(plc.data_path("examples/services.csv"))
    >>> table.loc[0, "concurrent_connections"]      # CSV cells stay text
    '250000'
    >>> table.attrs["source"].endswith("services.csv")
    True
    """
    content = read_bytes_limited(path, max_bytes=max_bytes, what="table")
    path = Path(path)
    suffix = _suffix(path)
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(io.BytesIO(content))
        elif suffix == ".json":
            frame = pd.read_json(io.StringIO(content.decode("utf-8")), orient="records",
                                 dtype=False)
        else:
            with warnings.catch_warnings():
                # a row longer than the header would lose its extra fields: an error here
                warnings.simplefilter("error", pd.errors.ParserWarning)
                frame = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False,
                                    index_col=False, skipinitialspace=True, encoding="utf-8")
    except pd.errors.ParserWarning:
        raise TableError(f"{path}: a row has more fields than the header (extra fields would "
                         "be lost); quote cells that contain commas") from None
    except pd.errors.EmptyDataError:
        raise TableError(f"{path}: the file is empty; expected a header row and one row per "
                         "service") from None
    except UnicodeDecodeError as error:
        raise TableError(f"{path}: not UTF-8 text (byte {error.start}); save the table as "
                         "UTF-8 CSV") from None
    except (ValueError, OSError, TypeError, pd.errors.ParserError, ImportError,
            RecursionError, MemoryError) as error:
        detail = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise TableError(f"{path}: cannot read the table ({detail})") from None
    if not isinstance(frame, pd.DataFrame):
        raise TableError(f"{path}: not a table (a JSON file must hold a list of records)")
    frame.columns = [str(c) for c in frame.columns]
    frame.attrs["source"] = str(path)
    return frame


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as spreadsheet formulas (``'`` prefixed).

    Only text cells change: numbers (including negative ones) stay numbers.

    Examples
    --------
    >>> neutralize_formulas(pd.DataFrame({"s": ["=1+1", "ok", "-2+3"], "x": [-1, 2, 3]}))
           s  x
    0  '=1+1 -1
    1     ok  2
    2  '-2+3  3
    """
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype != object and not pd.api.types.is_string_dtype(column):
            continue
        values = column.to_numpy(dtype=object)
        text = np.array([isinstance(v, str) and v.startswith(_FORMULA_START) for v in values],
                        dtype=bool)
        if text.any():
            values = values.copy()
            values[text] = ["'" + v for v in values[text]]
            out[name] = values
    return out


def write_table(frame, path) -> None:
    """Write a table atomically, in the format of the suffix (``.csv``, ``.parquet``, ``.json``).

    An interrupted write leaves no partial file at ``path`` (an older file there stays
    whole); a symbolic link is written through, to the file it leads to. CSV text cells are
    neutralized against formula injection (:func:`neutralize_formulas`); JSON and Parquet keep
    the values exactly.

    Parameters
    ----------
    frame : pandas.DataFrame or TableResult
        The table, or a result whose :attr:`~plcapacity.base.results.TableResult.table` is
        written (such as :func:`plcapacity.run_batch`'s).
    path : str or path-like
        Output file: ``.csv``, ``.parquet`` or ``.json`` (records).

    Returns
    -------
    None

    Raises
    ------
    TableError
        For another suffix, or when ``path`` is a folder.

    Examples
    --------
    >>> import pandas as pd
    >>> import plcapacity as plc
    >>> plc.write_table(pd.DataFrame({"service": ["=cmd"]}), "out.csv")  # doctest: +SKIP
    >>> plc.read_table("out.csv").service.tolist()   # a leading "=" is quoted  # doctest: +SKIP
    ["'=cmd"]
    """
    frame = table_of(frame)
    path = Path(path)
    suffix = _suffix(path)
    if suffix not in FORMATS:
        raise TableError(f"{path}: output format {suffix or '(none)'} is not allowed: .csv, "
                         ".parquet or .json")
    if path.is_dir():
        raise TableError(f"{path}: is a folder; give a file name ending in {suffix}")
    # CRLF line ends (RFC 4180) make the writer quote any cell holding a carriage return, so
    # a '\r' inside a name can never start a new row (and with it a formula)
    writers = {".csv": lambda target: neutralize_formulas(frame).to_csv(
                   target, index=False, lineterminator="\r\n"),
               ".parquet": lambda target: frame.to_parquet(target, index=False),
               ".json": lambda target: frame.to_json(target, orient="records", indent=1,
                                                     double_precision=15)}
    atomic_write(path, writers[suffix])


def same_file(a, b) -> bool:
    """Whether two paths name the same file (through links too); False if either is absent."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
