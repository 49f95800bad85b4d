"""Where batch tasks run: in this process, in local worker processes, a few at a time."""

import os
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from plcapacity.base.execution import (
    SCHEDULER_CONNECT_TIMEOUT_S,
    check_workers,
    executor_for,
    isolated_executor,
    stop,
    tasks_in_flight,
)


def _fail(message):
    raise ValueError(message)


def test_one_worker_or_one_task_runs_inline_in_order():
    for workers, n_tasks in ((1, 10), (4, 1), (0, 1)):
        executor = executor_for(None, workers, n_tasks)
        assert not isinstance(executor, ProcessPoolExecutor)
        order = []
        futures = [executor.submit(order.append, i) for i in range(3)]
        assert order == [0, 1, 2]  # each task ran as it was submitted
        assert all(f.done() for f in futures)
        assert executor.submit(os.getpid).result() == os.getpid()  # in this process
        executor.shutdown()


def test_a_failing_inline_task_fails_its_future_only():
    executor = executor_for(None, 1, 2)
    failed = executor.submit(_fail, "row 3")
    assert isinstance(failed.exception(), ValueError)
    with pytest.raises(ValueError, match="row 3"):
        failed.result()
    assert executor.submit(sum, [1, 2]).result() == 3


def test_several_workers_and_tasks_use_other_processes():
    executor = executor_for(None, 2, 5)
    try:
        assert isinstance(executor, ProcessPoolExecutor)
        pids = {executor.submit(os.getpid).result() for _ in range(4)}
        assert os.getpid() not in pids and 1 <= len(pids) <= 2
    finally:
        executor.shutdown()


def test_an_isolated_executor_is_one_fresh_worker():
    executor = isolated_executor()
    try:
        pids = {executor.submit(os.getpid).result() for _ in range(3)}
        assert len(pids) == 1 and os.getpid() not in pids
    finally:
        executor.shutdown()


def test_stop_cancels_what_waits():
    executor = executor_for(None, 2, 10)
    futures = [executor.submit(sum, range(10 ** 7)) for _ in range(10)]
    stop(executor)
    with pytest.raises(RuntimeError):
        executor.submit(os.getpid)  # a stopped pool takes no more work
    # the pool's manager thread cancels the waiting tasks as it stops (poll it a while:
    # never a measure of time, only a chance for that thread to run)
    for _ in range(2_000):
        if any(f.cancelled() for f in futures):
            break
        time.sleep(0.01)
    cancelled = sum(f.cancelled() for f in futures)
    # two workers run two tasks and hold three more queued (max_workers + 1): those escape;
    # the others were waiting and are cancelled (how many depends on how far the workers got
    # before stop, never zero: ten tasks of 0.1 s cannot all have started)
    assert cancelled >= 1, cancelled


@pytest.mark.parametrize("scheduler, workers, expected", [
    (None, 1, 2), (None, 3, 6), ("tcp://cluster:8786", 3, 256), ("tcp://cluster:8786", None,
                                                                  256)])
def test_tasks_in_flight_keep_every_worker_busy(scheduler, workers, expected):
    assert tasks_in_flight(scheduler, workers) == expected


def test_tasks_in_flight_default_to_the_machines_cores():
    assert tasks_in_flight() == 2 * (os.cpu_count() or 1)


class _InterruptedAgain:
    """An executor whose shutdown meets a second Ctrl-C (the signal sent to this process)."""

    def shutdown(self, wait=True, *, cancel_futures=False):
        import signal
        os.kill(os.getpid(), signal.SIGINT)
        self.finished = True


def test_stop_is_not_cut_short_by_another_ctrl_c():
    """A second Ctrl-C while stop() ends the workers is ignored (cut short, it would leave
    workers behind that the interpreter waits for at exit); the handler is restored after."""
    import signal
    before = signal.getsignal(signal.SIGINT)
    executor = _InterruptedAgain()
    stop(executor)  # no KeyboardInterrupt
    assert executor.finished
    assert signal.getsignal(signal.SIGINT) is before


@pytest.mark.parametrize("workers", [-3, 2.5, True, "4", 10**6])
def test_workers_beyond_the_machine_are_refused_in_one_line(workers):
    """Local processes each import the data stack: 10**6 of them (one per task) would exhaust
    memory long before any speed-up; the allowed range is named."""
    import os
    most = 8 * (os.cpu_count() or 1)
    with pytest.raises(ValueError, match=rf"workers={workers!r} is not allowed: a whole number "
                                         rf"of local processes from 1 to {most} "):
        executor_for(None, workers, 100)
    assert check_workers(most) == most and check_workers(None) is None


@pytest.mark.parametrize("address", ["bogus", "", "tcp://host-without-port"])
def test_a_scheduler_address_that_cannot_be_used_names_the_scheduler(address):
    pytest.importorskip("distributed")
    with pytest.raises(ValueError, match=rf"scheduler='{address}': cannot reach the Dask "
                                         r"scheduler \(.*\); give the address of a running"):
        executor_for(address, None, 4)


def _free_port():
    """A local port where nothing listens: bound by the system, then released."""
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_scheduler_is_given_the_short_connect_timeout(monkeypatch):
    """distributed retries a refused connection for its default 30 s before failing; the
    client is made with SCHEDULER_CONNECT_TIMEOUT_S instead (at most 10 s), and its failure
    is still the one-line error."""
    distributed = pytest.importorskip("distributed")
    made = []

    class Refused:
        def __init__(self, *args, **kwargs):
            made.append((args, kwargs))
            raise OSError("Timed out trying to connect to tcp://127.0.0.1:9 after 5 s")

    monkeypatch.setattr(distributed, "Client", Refused)
    with pytest.raises(ValueError, match=r"^scheduler='tcp://127.0.0.1:9': cannot reach the "
                                         r"Dask scheduler \(Timed out trying to connect"):
        executor_for("tcp://127.0.0.1:9", None, 4)
    assert made == [(("tcp://127.0.0.1:9",), {"timeout": SCHEDULER_CONNECT_TIMEOUT_S})]
    assert 0 < SCHEDULER_CONNECT_TIMEOUT_S <= 10


def test_a_port_where_nothing_listens_is_one_line_naming_the_address(monkeypatch):
    """A real refused connection (the timeout shortened further, so the test does not wait;
    the outcome is the same whatever the wait)."""
    pytest.importorskip("distributed")
    import plcapacity.base.execution as execution
    monkeypatch.setattr(execution, "SCHEDULER_CONNECT_TIMEOUT_S", 0.2)
    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(ValueError, match=rf"^scheduler='{address}': cannot reach the Dask "
                                         r"scheduler \(.*\); give the address of a running "
                                         r"one \(tcp://host:8786\)") as caught:
        executor_for(address, None, 4)
    assert "\n" not in str(caught.value)
