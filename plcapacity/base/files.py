"""Writing files safely: to a temporary file beside the target, then an atomic rename."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["atomic_write"]


def atomic_write(path, write):
    """Call ``write(temporary_path)``, then move the result to ``path`` in one step.

    An interrupted or failed write leaves no partial file at ``path``: an older file there
    stays whole, and the temporary file is removed.

    Parameters
    ----------
    path : str or path-like
        The file to (re)write.
    write : callable
        Writes the whole content to the path it is given.
    """
    path = Path(path)
    remove_stale_temporaries(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        with open(temporary, "rb") as stream:
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except (OverflowError, ValueError):
        return False
    return True


def remove_stale_temporaries(path) -> list:
    """Remove temporary files of earlier writes to ``path`` whose process has died.

    A process killed (SIGKILL, power loss) during :func:`atomic_write` leaves its
    ``.NAME.PID.tmp`` behind; a live process's file is left alone.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    path = Path(path)
    removed = []
    try:
        candidates = list(path.parent.glob(f".{glob_escape(path.name)}.*.tmp"))
    except OSError:
        return removed
    for candidate in candidates:
        pid = candidate.name[len(path.name) + 2:-len(".tmp")]
        if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            try:
                candidate.unlink()
                removed.append(candidate)
            except OSError:
                pass
    return removed


def glob_escape(name: str) -> str:
    """``name`` with glob's special characters taken literally."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)
