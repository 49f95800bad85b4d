"""Where batch tasks run: in this process, on this machine's cores, or on a Dask cluster.

Every backend is a :class:`concurrent.futures.Executor` (a ``ProcessPoolExecutor``, or the
executor of a ``distributed.Client``, whose futures are ``concurrent.futures`` futures), so one
loop collects results whatever ran them. Tasks are submitted a few at a time
(:func:`tasks_in_flight`), so a run of any size keeps only a bounded number waiting. The numbers never depend on the backend: each task's
randomness comes from its own seed.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, Future, ProcessPoolExecutor

__all__ = ["executor_for", "isolated_executor", "stop", "tasks_in_flight", "check_workers",
           "WORKERS_PER_CORE", "SCHEDULER_CONNECT_TIMEOUT_S"]

#: Most local processes per core of the machine. Each worker imports the data stack (about
#: 150 MB): beyond the cores they add no speed, only memory (``--workers 100000`` would start
#: one process per task). [processes per core]
WORKERS_PER_CORE = 8

#: How long to try to reach a Dask scheduler given by its address before saying it cannot be
#: reached. distributed keeps retrying a refused connection for its default of 30 s, so a
#: mistyped address (nothing listening) answered only after half a minute; a running
#: scheduler answers in well under a second, even across regions. The client keeps it as its
#: timeout for reconnecting and closing too (a lost scheduler fails the run's tasks anyway).
#: [s]
SCHEDULER_CONNECT_TIMEOUT_S = 5


class InlineExecutor(Executor):
    """Runs each task in this process as it is submitted, so that with one core every
    finished row is checkpointed before the next one starts."""

    def submit(self, fn, /, *args, **kwargs):
        future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:  # noqa: BLE001 (the task's failure, kept in its future)
            future.set_exception(error)
        return future


def _exit_with_parent():
    """Pool initializer: on Linux, ask the kernel to end this worker when its parent dies,
    so that a killed batch leaves no idle workers behind (elsewhere: nothing to do). Ctrl-C
    is the parent's to handle: a worker ignores it instead of printing a traceback."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes
        import signal
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def check_workers(workers):
    """``workers`` if it is None (or 0: the machine's cores) or a whole number of local
    processes from 1 to ``WORKERS_PER_CORE`` per core of this machine; else a one-line
    ValueError."""
    if workers is None or (type(workers) is int and workers == 0):
        return None
    cores = os.cpu_count() or 1
    most = WORKERS_PER_CORE * cores
    if (isinstance(workers, bool) or not isinstance(workers, (int, float))
            or not float(workers).is_integer() or not 1 <= workers <= most):
        raise ValueError(f"workers={workers!r} is not allowed: a whole number of local "
                         f"processes from 1 to {most} ({WORKERS_PER_CORE} per core of this "
                         f"machine's {cores}; more add memory, not speed; a Dask scheduler "
                         "runs on more machines)")
    return int(workers)


class _DaskExecutor:
    """The executor of a Dask client, closing the client if this module opened it."""

    def __init__(self, scheduler):
        from distributed import Client
        self.own = not isinstance(scheduler, Client)
        if self.own:
            try:
                self.client = Client(scheduler, timeout=SCHEDULER_CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError, ValueError, TypeError, AssertionError) as error:
                # (distributed asserts on some malformed addresses)
                raise ValueError(
                    f"scheduler={str(scheduler)!r}: cannot reach the Dask scheduler "
                    f"({str(error).strip() or type(error).__name__}); give the address of a "
                    "running one (tcp://host:8786), or leave it out to run on this "
                    "machine") from None
        else:
            self.client = scheduler
        self.executor = self.client.get_executor(pure=False)

    def submit(self, fn, /, *args):
        return self.executor.submit(fn, *args)

    def shutdown(self, wait=True, *, cancel_futures=False):
        self.executor.shutdown(wait=wait)
        if self.own:
            self.client.close()


def executor_for(scheduler=None, workers=None, n_tasks=1):
    """The executor for a run.

    Parameters
    ----------
    scheduler : str or distributed.Client, optional
        A Dask scheduler address or client; otherwise this machine. An address that cannot
        be reached within ``SCHEDULER_CONNECT_TIMEOUT_S`` (5 s) is a one-line ValueError
        naming it (for a longer wait, pass a client made with its own ``timeout``).
    workers : int, optional
        Local processes (default: the machine's cores).
    n_tasks : int
        Tasks to run (one task, or one worker, runs in this process).
    """
    workers = check_workers(workers)
    if scheduler is not None:
        return _DaskExecutor(scheduler)
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or n_tasks <= 1:
        return InlineExecutor()
    return ProcessPoolExecutor(max_workers=min(workers, n_tasks), initializer=_exit_with_parent)


def isolated_executor():
    """A pool of one fresh local worker: to run again, on its own, a task whose worker died
    with others (only the task that kills its worker fails a second time)."""
    return ProcessPoolExecutor(max_workers=1, initializer=_exit_with_parent)


def tasks_in_flight(scheduler=None, workers=None) -> int:
    """How many tasks to keep submitted at once: enough to keep every worker busy."""
    if scheduler is not None:
        return 256  # a cluster's size is its own; the scheduler queues what waits
    return 2 * (workers or os.cpu_count() or 1)


def stop(executor):
    """Stop at once (an interrupt or an error): cancel what waits, end local workers.

    A second Ctrl-C while this runs is ignored (in the main thread): cut short, it would leave
    worker processes behind, and the interpreter would then wait for them at exit.
    """
    import signal
    import threading
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main_thread else None
    try:
        executor.shutdown(wait=False, cancel_futures=True)
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            process.terminate()
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, previous)
