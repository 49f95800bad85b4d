"""Checkpoints of batch runs: finished rows' results, so that a stopped run can resume.

One JSON line per finished row, appended and fsynced as rows finish; the first line records
the run's settings. Each line carries a SHA-256 checksum of its content, so a line damaged on
disk (or edited) is recomputed rather than trusted. While a run writes a checkpoint it holds
an exclusive lock on it (``flock``): a second run with the same output refuses to start
instead of interleaving its lines with the first's. Worker processes forked during the run do
not keep the file (and so its lock) open: the lock ends with the run that took it, even if a
worker outlives it.

The checkpoint is removed only once the results file is in place (see
:func:`plcapacity.batch.run_batch`'s ``output``), so a failed final write loses nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import weakref
from pathlib import Path

import numpy as np

from plcapacity.base.exceptions import CheckpointError
from plcapacity.base.validation import short_repr

__all__ = ["Checkpoint"]

#: Largest checkpoint read back. [bytes] (about a million rows)
MAX_CHECKPOINT_BYTES = 1 << 30


#: The open files of the checkpoints this process holds locked (see :func:`_drop_in_child`);
#: weak, so that a checkpoint dropped without ``close`` leaves no stale descriptor number.
_LOCKED = weakref.WeakSet()


def _drop_in_child():
    """In a forked child (a batch worker), point the inherited descriptors of locked
    checkpoints at /dev/null: an ``flock`` lock lasts while any descriptor of the file is
    open, so a worker that outlived its run would otherwise keep the lock, and ``--resume``
    would refuse."""
    if not _LOCKED:
        return
    null = os.open(os.devnull, os.O_RDWR)
    for stream in list(_LOCKED):
        try:
            if not stream.closed:
                os.dup2(null, stream.fileno())
        except (OSError, ValueError):
            pass
    os.close(null)
    _LOCKED.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_in_child)


def _jsonable(value):
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _unjson(value):
    return float(value) if value in ("inf", "-inf", "nan") else value


def _is_entropy(value) -> bool:
    """What SeedSequence takes as entropy: a whole number >= 0, or a non-empty list of them."""
    def whole(v):
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0
    return whole(value) or (isinstance(value, list) and bool(value) and all(map(whole, value)))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class Checkpoint:
    """Finished rows of a batch run, one checksummed JSON line each.

    Parameters
    ----------
    path : str or path-like, optional
        The checkpoint file; None keeps nothing.
    header : dict
        The run's settings (``entropy``, ``trials``, ``years``, ``seed_given``).
    resume : bool
        Read the rows an earlier run finished (the settings must match).

    Raises
    ------
    CheckpointError
        When another run holds the checkpoint, or, with ``resume``, when it is not a
        checkpoint of this kind or was written with other settings.
    """

    def __init__(self, path, header, resume, *, text_columns=()):
        self.path = Path(path) if path else None
        self.done = {}
        self.header = header
        self.text_columns = set(text_columns)
        self._stream = None
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock()
        if resume and self.path.exists():
            self._read()
        if not self.done:
            self._stream.seek(0)
            self._stream.truncate()
            self._write_line(self.header)

    # -- locking --------------------------------------------------------------------
    def _lock(self):
        import fcntl
        stream = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            stream.close()
            raise CheckpointError(
                f"{self.path}: another batch run is writing this checkpoint (same output "
                "file); wait for it to finish or choose another -o") from None
        self._stream = stream
        _LOCKED.add(stream)

    def close(self):
        """Release the lock (the file stays)."""
        if self._stream is not None:
            _LOCKED.discard(self._stream)
            self._stream.close()
            self._stream = None

    # -- reading --------------------------------------------------------------------
    def _fail(self, what):
        raise CheckpointError(f"{self.path}: not a usable checkpoint ({what}); run without "
                              "--resume to start again")

    def _read(self):
        size = self.path.stat().st_size
        if size > MAX_CHECKPOINT_BYTES:
            self._fail(f"{size:,} bytes, more than the {MAX_CHECKPOINT_BYTES:,} allowed")
        self._stream.seek(0)
        try:
            lines = self._stream.read().splitlines()
        except UnicodeDecodeError:
            self._fail("not UTF-8 text")
        if not lines:
            return
        try:
            stored = json.loads(lines[0])
        except (json.JSONDecodeError, RecursionError):
            self._fail("its first line is not JSON")
        if not isinstance(stored, dict) or not {"entropy", "trials", "years"} <= set(stored):
            self._fail("its first line is not a batch header with entropy, trials and years")
        if not _is_entropy(stored["entropy"]):
            self._fail(f"its seed entropy {short_repr(stored['entropy'])} is not a whole number "
                       ">= 0 or a list of them")
        for key in ("trials", "years"):
            if stored.get(key) != self.header[key]:
                raise CheckpointError(
                    f"{self.path}: the checkpoint was written with {key}={stored.get(key)}, "
                    f"not {self.header[key]}; run without --resume to start again")
        if self.header.get("seed_given") and stored["entropy"] != self.header["entropy"]:
            raise CheckpointError(f"{self.path}: the checkpoint was written with another "
                                  "seed; run without --resume to start again")
        self.header = stored
        for line in lines[1:]:
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, RecursionError):
                continue  # the last line of a killed run
            if not (isinstance(record, dict) and isinstance(record.get("key"), str)
                    and isinstance(record.get("columns"), dict)
                    and record.get("sha256") == _digest(
                        json.dumps([record["key"], record["columns"]], sort_keys=True))
                    and self._plausible(record["columns"])):
                continue  # damaged, edited or of another kind: the row is computed again
            self.done[record["key"]] = {k: _unjson(v) for k, v in record["columns"].items()}

    def _plausible(self, columns) -> bool:
        """Whether a record's values have the kinds a batch writes: numbers (or "inf",
        "-inf", "nan", None), and text in the text columns."""
        for name, value in columns.items():
            if name in self.text_columns:
                if not isinstance(value, str):
                    return False
            elif not (value is None or value in ("inf", "-inf", "nan") or (
                    isinstance(value, (int, float)) and not isinstance(value, bool))):
                return False
        return True

    # -- writing --------------------------------------------------------------------
    def _write_line(self, record):
        self._stream.seek(0, os.SEEK_END)
        self._stream.write(json.dumps(record) + "\n")
        self._stream.flush()
        os.fsync(self._stream.fileno())

    @property
    def entropy(self):
        """The run's seed entropy (an earlier run's, when resuming)."""
        return self.header["entropy"]

    def add(self, key, columns):
        """Record a finished row's results."""
        if self.path is None:
            return
        columns = {k: _jsonable(v) for k, v in columns.items()}
        self._write_line({"key": key, "columns": columns,
                          "sha256": _digest(json.dumps([key, columns], sort_keys=True))})

    def remove(self):
        """Delete the checkpoint (once the results it protects are safely written)."""
        if self.path is not None and self.path.exists():
            self.path.unlink()
        self.close()
