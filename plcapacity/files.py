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
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        with open(temporary, "rb") as stream:
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()
