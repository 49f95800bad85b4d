"""Reading exported Azure data: files with a size limit, JSON or CSV, keys in any case.

Shared by :mod:`plcapacity.estate.inventory`, :mod:`plcapacity.estate.metrics` and
:mod:`plcapacity.estate.forecast`. Every error is a ``ValueError`` that names the file (and,
where there is one, the resource and the field).
"""

from __future__ import annotations

import csv
import io
import json
import reprlib
import stat
from pathlib import Path

from plcapacity.base.tables import read_bytes_limited

__all__ = ["get", "load_records", "props", "read_text", "load_csv", "load_json",
           "MAX_EXPORT_BYTES", "json_kind", "brief"]

#: Largest export read. [bytes] A year of one-minute metrics for 8 NAT IPs is ~60 MB of JSON;
#: anything much larger is almost certainly the wrong file.
MAX_EXPORT_BYTES = 256 * 1024 * 1024


def _file_kind(mode) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_text(path, *, limit=None) -> str:
    """The text of ``path`` (UTF-8, a byte-order mark allowed), refusing anything but a
    regular file (a folder, a named pipe, a device) and files over ``limit`` bytes (default
    :data:`MAX_EXPORT_BYTES`) before reading it.

    Read with :func:`plcapacity.base.tables.read_bytes_limited`: non-blocking and never more
    than ``limit`` bytes, whatever the file system reports.

    Raises
    ------
    ValueError
        Naming the file and what it is.
    """
    path = Path(path)
    limit = MAX_EXPORT_BYTES if limit is None else limit
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ValueError(f"{path}: cannot be read (no such file)") from None
    except OSError as error:
        raise ValueError(f"{path}: cannot be read ({error.strerror or error})") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{path}: cannot be read: {_file_kind(info.st_mode)}; an export must "
                         "be a regular file")
    if info.st_size > limit:
        raise ValueError(f"{path}: larger than {limit:,} bytes; export a shorter time span or "
                         "fewer resources per file")
    try:
        raw = read_bytes_limited(path, max_bytes=limit, what="file")
    except FileNotFoundError:
        raise ValueError(f"{path}: cannot be read (no such file)") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text (byte {error.start}); export it as JSON or "
                         "CSV") from None


_BRIEF = reprlib.Repr()
_BRIEF.maxlevel, _BRIEF.maxstring, _BRIEF.maxother = 2, 60, 40
_BRIEF.maxlist = _BRIEF.maxdict = 4


def brief(value) -> str:
    """A short repr of a value read from a file, whatever its size or depth (for messages).

    Examples
    --------
    >>> brief("x" * 100)[:12], brief([[[[1]]]])
    ("'xxxxxxxxxxx", '[[[...]]]')
    """
    return _BRIEF.repr(value)


def json_kind(value) -> str:
    """The JSON type of a value as messages name it: str, int, float, bool, list, dict, null.

    Examples
    --------
    >>> [json_kind(v) for v in ("a", 1, 1.5, True, [], {}, None)]
    ['str', 'int', 'float', 'bool', 'list', 'dict', 'null']
    """
    return "null" if value is None else type(value).__name__


def load_json(path, text: str):
    """A JSON document; ValueError naming the file for invalid JSON, nesting too deep to read
    or a number too long to convert."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON (line {error.lineno}, column {error.colno}: "
                         f"{error.msg})") from None
    except RecursionError:
        raise ValueError(f"{path}: nested too deeply to read (arrays or objects inside each "
                         "other beyond Python's recursion limit); an Azure export is a few "
                         "levels deep") from None
    except ValueError as error:                          # e.g. an integer of 5,000 digits
        raise ValueError(f"{path}: not valid JSON ({str(error)[:120]})") from None


def load_csv(path, text: str, *, delimiter=",") -> list[dict]:
    """Rows of a CSV (or, with ``delimiter="\\t"``, a TSV) as dicts; cells that hold JSON
    objects or arrays are parsed."""
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames:
        raise ValueError(f"{path}: an empty CSV file (no header row)")
    rows = []
    for number, row in enumerate(reader, start=2):
        if None in row:
            raise ValueError(f"{path}: line {number} has more cells than the header")
        parsed = {}
        for key, value in row.items():
            text_value = (value or "").strip()
            if text_value[:1] in ("{", "["):
                try:
                    parsed[key] = json.loads(text_value)
                    continue
                except (ValueError, RecursionError):
                    raise ValueError(f"{path}: line {number}, column {brief(key)} looks like "
                                     "JSON but does not parse (or is nested too deeply)") \
                        from None
            parsed[key] = value
        rows.append(parsed)
    return rows


def load_records(path, *, limit=None):
    """A JSON document, or the rows of a CSV (by extension: ``.csv`` is CSV, ``.tsv``
    tab-separated)."""
    text = read_text(path, limit=limit)
    suffix = Path(path).suffix.lower()
    if suffix in (".csv", ".tsv"):
        return load_csv(path, text, delimiter="\t" if suffix == ".tsv" else ",")
    if not text.strip():
        raise ValueError(f"{path}: the file is empty")
    return load_json(path, text)


def get(mapping, key, default=None):
    """``mapping[key]`` with ``key`` matched case-insensitively (exports differ in case)."""
    if not isinstance(mapping, dict):
        return default
    if key in mapping:
        return mapping[key]
    lowered = key.lower()
    for name, value in mapping.items():
        if isinstance(name, str) and name.lower() == lowered:
            return value
    return default


def props(resource):
    """The properties of a resource or sub-resource: nested under ``properties`` in REST and
    Azure Resource Graph output, flattened into the object in ``az`` output."""
    nested = get(resource, "properties")
    return nested if isinstance(nested, dict) else resource
