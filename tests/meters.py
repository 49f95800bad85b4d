"""Work meters for tests: what a call did, never how long it took.

A test that asserts on the clock fails on a busy machine and passes a slow algorithm on a
fast one. These meters count work instead, so the same assertion holds under any load:

- :class:`EngineMeter` counts what the Monte Carlo engine draws (sub-blocks, trials and the
  memory the budget estimates for each) in this process;
- :func:`peak_bytes` is the peak of memory traced by ``tracemalloc`` (numpy's buffers too);
- :func:`elements_handed` sums, over every Python-level call, the length of the largest
  container the call was handed: linear code hands each function whole columns a bounded
  number of times, while a per-row scan of a column hands it ``rows x rows`` elements.
"""

from __future__ import annotations

import inspect
import sys
import tracemalloc

import numpy as np
import pandas as pd

import plcapacity.availability.engine as engine
from plcapacity.availability.budget import simulation_bytes

#: Containers whose length counts as elements handed to a call.
_CONTAINERS = (np.ndarray, pd.Series, pd.Index, pd.DataFrame, list, tuple, dict, set)
#: Receivers of Python methods: a method of a big object may touch a small part of it (a
#: per-group ``take`` on a table's index), so what counts is what the method is handed.
_RECEIVERS = ("self", "cls")
#: Code flags of frames that resume (generators, coroutines).
_RESUMABLE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


class EngineMeter:
    """Counts the engine's draws (``block_intervals``: one sub-block of trials each) while the
    ``with`` block runs, in this process.

    Attributes
    ----------
    draws : list of (int, int, float)
        Each call's trials, the merged outage intervals it returned and the peak memory the
        budget estimates for it (:func:`plcapacity.availability.budget.simulation_bytes`).
    """

    def __init__(self):
        self.draws = []

    def __enter__(self):
        self._real = engine.block_intervals

        def counting(structure, n_trials, years, rng, tables=None):
            estimate = simulation_bytes(structure.processes, years, n_trials)
            intervals = self._real(structure, n_trials, years, rng, tables)
            self.draws.append((int(n_trials), int(intervals.starts.size), estimate))
            return intervals

        engine.block_intervals = counting
        return self

    def __exit__(self, *exc):
        engine.block_intervals = self._real
        return False

    @property
    def calls(self) -> int:
        return len(self.draws)

    @property
    def trials(self) -> int:
        return sum(draw[0] for draw in self.draws)

    @property
    def largest_estimate(self) -> float:
        """The largest estimated peak of one draw. [bytes]"""
        return max((draw[2] for draw in self.draws), default=0.0)


def peak_bytes(fn, *args, **kwargs):
    """``(fn(*args, **kwargs), peak traced bytes)`` (tracemalloc sees numpy's buffers)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = fn(*args, **kwargs)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _largest(values) -> int:
    largest = 0
    for value in values:
        if isinstance(value, np.ndarray):
            largest = max(largest, value.shape[0] if value.ndim else 1)
        elif isinstance(value, _CONTAINERS):
            try:
                largest = max(largest, len(value))
            except Exception:  # noqa: BLE001 (a pandas object still being built)
                continue
    return largest


def elements_handed(fn, *args, **kwargs):
    """``(fn(*args, **kwargs), elements)``: the sum over every Python function called, and
    every builtin method called on a container, of the largest container it was handed.

    A Python method's receiver (``self``) does not count: what it is handed does. A builtin
    method's receiver does (``list.index`` scans its list). Each step of a generator counts
    one (a profiler sees every resumption as a call, with the whole container its frame
    holds)."""
    count = [0]

    def profile(frame, event, arg):
        if event == "call":
            code = frame.f_code
            if code.co_flags & _RESUMABLE:  # a generator resumed: one step, not a call
                count[0] += 1
                return
            n = code.co_argcount + code.co_kwonlyargcount
            local = frame.f_locals
            count[0] += 1 + _largest(local[name] for name in code.co_varnames[:n]
                                     if name in local and name not in _RECEIVERS)
        elif event == "c_call":
            count[0] += 1 + _largest([getattr(arg, "__self__", None)])

    sys.setprofile(profile)
    try:
        result = fn(*args, **kwargs)
    finally:
        sys.setprofile(None)
    return result, count[0]
