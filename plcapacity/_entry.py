"""The ``plcapacity`` command's entry point: Ctrl-C while the libraries load is one line too.

The command line (:mod:`plcapacity.cli`) imports numpy and pandas when it loads, which takes a
moment; an interrupt then would otherwise print the interpreter's traceback. This module
imports nothing heavy itself (the package's top level is lazy), so it can catch it.
"""

import sys

__all__ = ["main", "EXIT_INTERRUPTED"]

#: Exit code of a run stopped with Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


def main():
    """Run the command line (``plcapacity ...``) and exit with its code."""
    try:
        from .cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("plcapacity: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(run())
