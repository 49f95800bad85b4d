"""``plcapacity examples``: copy the bundled example files into a folder.

The scenario tables, deployment files and estate exports that ship with plcapacity, and the
Azure status incidents the outage profiles were fitted to (``outages/``, with their
provenance), to try the other commands on; files already there are kept unless ``--force``.

Writes stay inside DIR: nothing under it may be a symbolic link (none is followed), and the
whole destination is checked before the first file is written, so a file or folder in the way
leaves nothing half-copied. Each file is written beside its place and renamed over it, so an
interrupted copy leaves no partial file, and a file replaced with ``--force`` is replaced, not
written through (another name of it, a hard link, keeps its content).
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from plcapacity.base.exceptions import UsageError
from plcapacity.cli.output import EXIT_OK, printable

__all__ = ["NAME", "add_parser", "run"]

NAME = "examples"

#: The files of data/outages/ copied into DIR/outages/: the incidents and their README
#: (source, licence, limits).
_INCIDENT_FILES = ("azure_status_incidents_2018_2020.csv", "README.md")


def add_parser(commands):
    """Register ``examples`` and its options on the ``commands`` subparsers."""
    examples = commands.add_parser(
        NAME, help="copy the bundled example files into a folder",
        description="Copy the example scenario tables, deployment files and estate exports "
                    "that ship with plcapacity, and the Azure status incidents behind the "
                    "outage profiles (outages/), into DIR, to try the other commands on them "
                    "(for instance plcapacity batch DIR/services.csv).")
    examples.add_argument("directory", nargs="?", default="plcapacity-examples", metavar="DIR",
                          help="where to copy them (default: ./plcapacity-examples, created "
                               "if missing)")
    examples.add_argument("--force", action="store_true",
                          help="replace files that already exist in DIR")
    return examples


def _plan(target: Path, files, force):
    """Check the whole destination before anything is written: (folders to create, files
    that exist and will be replaced). Nothing under DIR may be a symbolic link (a link is
    never followed, so nothing is written outside DIR), a file where a folder goes or a
    folder (or anything but a regular file) where a file goes."""
    shown = target.as_posix()
    try:
        target_info = os.lstat(target)
    except FileNotFoundError:
        target_info = None
    if target_info is not None:
        if stat.S_ISLNK(target_info.st_mode) and not target.is_dir():
            raise UsageError(f"examples: {shown} is a symbolic link to no folder; give a folder")
        if not target.is_dir():
            raise UsageError(f"examples: {shown} exists and is not a folder")
    folders, existing, checked = [], [], {}

    def kind(path):
        if path not in checked:
            try:
                checked[path] = os.lstat(path).st_mode
            except FileNotFoundError:
                checked[path] = None
        return checked[path]

    for name in files:
        path = target
        for part in name.parts[:-1]:
            path = path / part
            mode = kind(path) if target_info is not None else None
            if mode is None:
                if path not in folders:
                    folders.append(path)
            elif stat.S_ISLNK(mode):
                raise UsageError(f"examples: {path.as_posix()} is a symbolic link; examples "
                                 f"writes only inside {shown}, never through links: remove it "
                                 "or choose another folder")
            elif not stat.S_ISDIR(mode):
                raise UsageError(f"examples: {path.as_posix()} is in the way: a file where the "
                                 f"folder of {name.as_posix()} goes; move it or choose another "
                                 "folder")
        path = target / name
        mode = None if any(f == path or f in path.parents for f in folders) else kind(path)
        if mode is None:
            continue
        if stat.S_ISLNK(mode):
            raise UsageError(f"examples: {path.as_posix()} is a symbolic link; examples writes "
                             f"only inside {shown}, never through links: remove it or choose "
                             "another folder")
        if not stat.S_ISREG(mode):
            what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise UsageError(f"examples: {path.as_posix()} is in the way: {what} where the file "
                             f"{name.as_posix()} goes; move it or choose another folder")
        existing.append(name)
    if existing and not force:
        raise UsageError(f"examples: {len(existing)} of the {len(files)} files already exist "
                         f"in {shown} (such as {existing[0].as_posix()}): use --force to "
                         "overwrite them, or choose another folder")
    return folders, set(existing)


def _write(path: Path, content: bytes):
    """Write ``content`` to a new file beside ``path`` and rename it over ``path``: a link or
    another name of the old file (a hard link) is replaced, never written through."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                         dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise


def run(args, out, err):
    """Copy the example files into ``args.directory``; returns the exit code."""
    from plcapacity.base.limits import data_path
    source = data_path("examples")
    if not source.is_dir():
        raise UsageError(f"examples: the bundled examples are missing ({source}); reinstall "
                         "plcapacity")
    sources = {p.relative_to(source): p for p in source.rglob("*") if p.is_file()}
    for name in _INCIDENT_FILES:  # the shipped incidents, with their provenance and licence
        sources[Path("outages") / name] = data_path(f"outages/{name}")
    files = sorted(sources)
    target = Path(args.directory)
    folders, existing = _plan(target, files, args.force)
    path = target
    try:
        if not target.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        for path in folders:
            path.mkdir()
        for name in files:
            path = target / name
            _write(path, sources[name].read_bytes())
            out.write(printable(f"{'replaced' if name in existing else 'wrote'} "
                                f"{path.as_posix()}") + "\n")
    except OSError as error:
        raise UsageError(f"examples: {path.as_posix()}: cannot write it "
                         f"({error.strerror or error})") from None
    out.write(printable(f"{len(files)} example files in {target.as_posix()}; try: plcapacity "
                        f"batch {(target / 'services.csv').as_posix()}, or plcapacity "
                        f"fit-outages {(target / 'outages' / _INCIDENT_FILES[0]).as_posix()}")
              + "\n")
    return EXIT_OK
