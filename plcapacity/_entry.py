"""The ``plcapacity`` command's entry point: Ctrl-C is one line and exit 130, always.

The command line (:mod:`plcapacity.cli`) imports numpy and pandas when it loads, which takes a
moment; an interrupt then would otherwise print the interpreter's traceback. This module
imports nothing heavy itself (the package's top level is lazy), so it can catch it.

Ctrl-C is handled once. The first press stops the run (the batch cancels its tasks, ends its
worker processes and releases its checkpoint); later presses are ignored while that clean-up
runs, so that a second press cannot cut it short and leave workers, threads or the
checkpoint's lock behind. An interrupted run then leaves at once (``os._exit``), without the
interpreter's exit handlers, which would wait for the worker pool's threads.
"""

import os
import signal
import sys

__all__ = ["main", "EXIT_INTERRUPTED"]

#: Exit code of a run stopped with Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


def _interrupt_once(signum, frame):
    """SIGINT handler: the first press interrupts, later ones are ignored (the clean-up of
    the first is under way and the process leaves as soon as it is done)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _leave(code):
    """Flush what was written and leave the process with ``code`` (no exit handlers)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken pipe: nothing more to say
            pass
    os._exit(code)


def main():
    """Run the command line (``plcapacity ...``) and exit with its code."""
    try:
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, _interrupt_once)  # not when started with SIGINT ignored
        from .cli import main as run
        code = run()
    except KeyboardInterrupt:  # before the command's own handling (start-up, the parser)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        sys.stderr.write("plcapacity: interrupted\n")
        code = EXIT_INTERRUPTED
    if code == EXIT_INTERRUPTED:
        _leave(code)
    sys.exit(code)
