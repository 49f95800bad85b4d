"""``plcapacity examples``: copy the bundled example files into a folder.

The scenario tables, deployment files and estate exports that ship with plcapacity, to try
the other commands on; files already there are kept unless ``--force``.
"""

from __future__ import annotations

from plcapacity.base.exceptions import UsageError
from plcapacity.cli.output import EXIT_OK

__all__ = ["NAME", "add_parser", "run"]

NAME = "examples"


def add_parser(commands):
    """Register ``examples`` and its options on the ``commands`` subparsers."""
    examples = commands.add_parser(
        NAME, help="copy the bundled example files into a folder",
        description="Copy the example scenario tables, deployment files and estate exports "
                    "that ship with plcapacity into DIR, to try the other commands on them "
                    "(for instance plcapacity batch DIR/services.csv).")
    examples.add_argument("directory", nargs="?", default="plcapacity-examples", metavar="DIR",
                          help="where to copy them (default: ./plcapacity-examples, created "
                               "if missing)")
    examples.add_argument("--force", action="store_true",
                          help="overwrite files that already exist in DIR")
    return examples


def run(args, out, err):
    """Copy the example files into ``args.directory``; returns the exit code."""
    import shutil
    from pathlib import Path

    from plcapacity.base.limits import data_path
    source = data_path("examples")
    if not source.is_dir():
        raise UsageError(f"examples: the bundled examples are missing ({source}); reinstall "
                         "plcapacity")
    files = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    target = Path(args.directory)
    if target.exists() and not target.is_dir():
        raise UsageError(f"examples: {args.directory} exists and is not a folder")
    existing = [name for name in files if (target / name).exists()]
    if existing and not args.force:
        raise UsageError(f"examples: {len(existing)} of the {len(files)} files already exist "
                         f"in {args.directory} (such as {existing[0].as_posix()}): use --force "
                         "to overwrite them, or choose another folder")
    for name in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, target / name)
        out.write(f"{'replaced' if name in existing else 'wrote'} "
                  f"{(target / name).as_posix()}\n")
    out.write(f"{len(files)} example files in {target.as_posix()}; try: plcapacity batch "
              f"{(target / 'services.csv').as_posix()}\n")
    return EXIT_OK
