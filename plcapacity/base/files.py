"""Writing files safely: to a temporary file beside the target, then an atomic rename."""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["atomic_write", "write_target"]


def write_target(path) -> Path:
    """The file a write to ``path`` lands in: ``path`` itself, or, for a symbolic link, the
    file at the end of its links (which need not exist yet).

    Parameters
    ----------
    path : str or path-like
        The file named by the user.

    Returns
    -------
    pathlib.Path
        ``path`` unchanged when it is not a link, else the absolute path the links lead to.

    Raises
    ------
    OSError
        When the links go round in a loop, or lead to something other than a regular file
        (a device, a pipe, a folder): writing there would replace it, not write a file.

    Examples
    --------
    >>> str(write_target("results.csv"))     # not a link: the name itself
    'results.csv'
    """
    path = Path(path)
    if not path.is_symlink():
        return path
    target = Path(os.path.realpath(path))
    if target.is_symlink():  # realpath stops where the links go round in a loop
        raise OSError(f"{path}: a symbolic link that leads round in a loop; give a file name "
                      "or a link to a file")
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return target  # a link to a file not written yet: written where the link points
    if not stat.S_ISREG(mode):
        raise OSError(f"{path}: a symbolic link to {target}, which is not a regular file; "
                      "give a file name or a link to a file")
    return target


def atomic_write(path, write):
    """Call ``write(temporary_path)``, then move the result to ``path`` in one step.

    An interrupted or failed write leaves no partial file at ``path``: an older file there
    stays whole, and the temporary file is removed. A symbolic link is written through: the
    file it leads to is replaced (its temporary file beside it), and the link is kept.

    Parameters
    ----------
    path : str or path-like
        The file to (re)write, or a link to it.
    write : callable
        Writes the whole content to the path it is given.

    Raises
    ------
    OSError
        When a link at ``path`` leads round in a loop or to something other than a regular
        file (see :func:`write_target`), or the write fails.
    """
    # os.replace onto a link would replace the link itself with a regular file
    path = write_target(path)
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
