"""The event engine of the Monte Carlo: one block of trials, from outage intervals to per-trial
downtime, unserved time, monthly downtime, incidents and causes.

A block lays its trials end to end on one integer time axis: trial ``i`` covers ticks
``[i * trial_ticks, (i + 1) * trial_ticks)``, with ``trial_ticks = years * 525,600 *
ticks_per_minute(years)``. Nothing loops over trials or events:

1. :func:`block_intervals` draws the outages of every process at once and merges each
   process's into sorted, disjoint intervals, each inside its trial (:func:`union`).
2. :func:`_sweep` writes every start and end as one integer *key*, sorts the keys, and a
   cumulative XOR of one bit per key gives the *state* (the set of processes down) of the
   segment that begins at each key.
3. :func:`_down_segments` looks the states up (reachable? served?) and keeps the segments
   that are down or unserved; :func:`_failover_gaps` adds the active-passive failover gaps.
4. :func:`_reduce` merges them into incidents per metric and reduces them per trial with
   ``bincount``: totals, the monthly split (:func:`monthly`) and causes (:func:`_attribute`).

Keys and their bit budget
-------------------------
A key is ``tick << 6 | k``: the time in ticks in the high bits, the process index ``k`` in the
low ``_PROCESS_BITS = 6`` bits (processes 0..63: a state is a 64-bit mask, process 63's bit
being int64's sign bit, which the engine's bit operations treat as any other). One sort of
plain integers then orders every event in time.

Drawing a block (:func:`block_intervals`) works on all processes at once: process ``k``'s
intervals are merged on an axis where it lies at ``[k * span, (k + 1) * span)`` (at most
``64 * 2**55 = 2**61`` ticks), so one :func:`union` serves every process.

Time is an integer number of ticks, ``ticks_per_minute(years) = 2 ** (20 - ceil(log2
years))`` (2**-20 minute, 57 microseconds, for one-year trials; a coarser power of two for
longer ones), chosen so that a whole block's axis, shifted by the process bits, fits int64::

    span       = BLOCK_TRIALS * years * 525,600 * 2**20 / 2**ceil(log2 years)
              <= 2**16 * 525,600 * 2**20           (years <= 2**ceil(log2 years))
               = 525,600 * 2**36  ~ 3.6e16         (525,600 < 2**19.004)
    span << 6 <= 525,600 * 2**42  ~ 2.3e18  <  2**63 - 1 ~ 9.2e18

so the largest key (an end at the block's last tick) keeps a factor of four of headroom.
Outages are clipped to their trial before any key is made, so no key exceeds ``span << 6 | 63``.

Above 64 processes (up to 256, :class:`WideTables`) a key is ``tick << 9 | k << 1 | s``, ``s``
being 1 for a start and 0 for an end, and ticks are three bits coarser (``2 ** (17 -
ceil(log2 years))`` per minute: 0.46 ms for one-year trials), so ``span <= 525,600 * 2**33``,
keys stay below ``2**62`` and the stacked axis below ``256 * span < 2**61``. The state after
each key is then an id (see :class:`WideTables`), not a mask; the rest of the engine only looks
states up, tests them against 0 (all up) and asks :meth:`Tables.blame`.

Ties at equal ticks
-------------------
Events at the same tick are ordered by the low bits, that is by process index; for one
process (whose intervals are written start, end, start, end..., already sorted) the stable
sort keeps an end before a start at the same tick. The state after the *last* key of a tick
is the true state whatever that order, because XOR commutes; the states in between last zero
ticks. Their segments have ``end == start`` and are dropped, so downtime, unserved time,
months and causes of down segments do not depend on the order. Failover detection looks only
at the final state of each tick (every key of a tick takes that state's active endpoint), so
a failover is seen however the keys of its tick sort, and is blamed on the process of the
tick's first key. Ties between processes are certain at trial starts (every steady-start
outage begins exactly at its trial's first tick; failovers at that tick are left out) and
rare elsewhere (a tick is 2**-20 minute). An outage shorter than half a tick rounds to zero
length and is dropped before keys are made.

Touching intervals
------------------
Within a trial, intervals that touch (one starts at the tick where another ends) merge into
one: one incident, not two. Across a trial boundary they never merge: an outage clipped at
the end of trial ``i`` and a steady-start outage beginning at the first tick of trial
``i + 1`` stay two intervals, so every interval lies inside one trial and is counted in the
trial of its start (``start // trial_ticks``).

State 0 (every process up)
--------------------------
Segments in which some process is down lie inside that process's interval, hence inside one
trial. All-up segments are the only ones that can run from one trial into the next (and the
stretches before the first key and after the last one are all-up too). They are skipped in
the segment scan: with every process up the service is reachable (every endpoint is usable)
and, almost always, served. When the all-up state itself is unserved (say, an active-passive
primary destination too small for the demand), each trial's all-up time is added to its total
apart, as the trial length less the time with some process down
(:func:`_all_up_minutes`); all-up time never overlaps a failover gap (a gap ends at the
latest when every process is up, since the primary endpoint is then active again).

A worked example with two processes
-----------------------------------
Active-active, endpoint 0 in eastus (process 0) and endpoint 1 in westus2 (process 1), each
to a PLS in its own region: the service is down while both processes are down. One trial;
eastus is down over ticks [10, 40) and [50, 60), westus2 over [30, 50)::

    event            tick  k  key = tick << 6 | k  toggle 1 << k  state (XOR)  segment
    eastus down        10  0        640                0b01          0b01      [10, 30) up
    westus2 down       30  1       1921                0b10          0b11      [30, 40) DOWN
    eastus back        40  0       2560                0b01          0b10      [40, 50) up
    eastus down        50  0       3200                0b01          0b11      [50, 50) empty
    westus2 back       50  1       3201                0b10          0b01      [50, 60) up
    eastus back        60  0       3840                0b01          0b00      [60, ...) all up

At tick 50 eastus goes down and westus2 comes back: the key of process 0 sorts first, so for
zero ticks both are down; that segment is empty and dropped. The downtime is the single
segment [30, 40): 10 ticks, one incident, blamed on both processes equally (the recovery of
either alone would end it).

>>> import numpy as np
>>> from plcapacity.availability.structure import compile_structure
>>> from plcapacity.availability.deployment import Deployment, Destination, Endpoint
>>> from plcapacity.outages import OutageModel
>>> deployment = Deployment(
...     (Destination("pls-e", "eastus", None), Destination("pls-w", "westus2", None)),
...     (Endpoint("pe-e", "eastus", "pls-e"), Endpoint("pe-w", "westus2", "pls-w")))
>>> structure = compile_structure(deployment, OutageModel(1.0, {"law": "fixed", "hours": 1}))
>>> [p.name for p in structure.processes]
['eastus', 'westus2']
>>> intervals = [(np.array([10, 50]), np.array([40, 60])), (np.array([30]), np.array([50]))]
>>> keys, state = _sweep(Tables(structure), Intervals.from_list(intervals))
>>> keys.tolist(), [bin(s) for s in state]
([640, 1921, 2560, 3200, 3201, 3840], ['0b1', '0b11', '0b10', '0b11', '0b1', '0b0'])
>>> out = evaluate_block(structure, Tables(structure), intervals, n_trials=1, years=1)
>>> out["downtime"] * ticks_per_minute(1), out["incidents"]
(array([10.]), array([1]))
>>> out["cause"][1], out["cause"][2] * ticks_per_minute(1)  # processes and their minutes
(array([0, 1]), array([5., 5.]))

Units: ticks inside the engine, minutes in what it returns; a year is 365 days.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

from plcapacity.availability.structure import MASK_MAX_PROCESSES, TABLE_MAX_PROCESSES
from plcapacity.base.sla import month_edges_minutes
from plcapacity.outages.laws import MINUTES_PER_YEAR, FixedDuration

__all__ = ["Tables", "dense_cause", "simulate_block", "ticks_per_minute", "union", "sorted_union",
           "covered", "monthly", "pair_slot", "unique_rows", "evaluate_block", "Intervals"]

#: Bits of a sort key that hold the process index (processes 0..63: the state is 64 bits).
_PROCESS_BITS = 6
#: Time resolution of a one-year trial: 2**-20 minute (57 microseconds). Longer trials use a
#: coarser power of two so that a block's time axis, shifted by the process bits, fits int64.
_TICK_BITS_ONE_YEAR = 20
_PROCESS_MASK = (1 << _PROCESS_BITS) - 1
#: Rows of down states handled at once by :meth:`WideTables.critical_sets` (times K). [-]
_CRITICAL_ROWS = 1 << 16
#: Up to this many processes, per-process steps loop over slices (cheaper than the extra
#: passes of their vectorized form); above, they run for all processes at once.
_LOOP_MAX_PROCESSES = 32
#: Above 64 processes (:class:`WideTables`) a key's low bits hold ``k << 1 | starts``: eight
#: bits of process index and one of direction, so ticks are three bits coarser.
_WIDE_KEY_BITS = 9
#: Multiplicative hash of :class:`Tables`: ``(state * _PAIR_MULTIPLIER mod 2**64) >>
#: (64 - _PAIR_BITS)`` gives the 2081 states with at most two of 64 processes down 2081
#: different slots (the multiplier was found by a random search; the tests check it).
_PAIR_MULTIPLIER = 17_551_232_380_587_650_275
_PAIR_BITS = 16


def ticks_per_minute(years, bits_below_tick=_PROCESS_BITS) -> int:
    """Integer time steps per minute for trials of ``years`` years (a power of two).

    Parameters
    ----------
    years : int
        Calendar years per trial. [yr]
    bits_below_tick : int, optional
        Bits of a key below the tick: 6 up to 64 processes, 9 above (:func:`key_bits`).

    Returns
    -------
    int
        ``2 ** (20 + 6 - bits_below_tick - ceil(log2(years)))``. [ticks per min]
    """
    return 1 << (_TICK_BITS_ONE_YEAR + _PROCESS_BITS - bits_below_tick
                 - max(0, math.ceil(math.log2(years))))


def key_bits(n_processes) -> int:
    """Bits of a key below the tick for ``n_processes`` outage processes."""
    return _PROCESS_BITS if n_processes <= MASK_MAX_PROCESSES else _WIDE_KEY_BITS


# ----------------------------------------------------------------------------- state tables


def pair_slot(states):
    """Slot of each state (int64, non-negative) in the hash table of :class:`Tables`."""
    slot = np.multiply(states.view(np.uint64), np.uint64(_PAIR_MULTIPLIER))
    slot >>= np.uint64(64 - _PAIR_BITS)
    return slot.view(np.int64)


class Tables:
    """Per-state answers (down? unserved? which endpoint is active?) for the states a sweep
    meets, and scratch buffers reused from block to block (fresh multi-megabyte arrays for
    every block cost page faults that show in the run time).

    Up to ``TABLE_MAX_PROCESSES`` processes, one table over all ``2**K`` states answers every
    state with one gather. Above, a hash table holds the states with at most two processes
    down (the all-up state, every single and every pair: they make almost every segment),
    at a multiplicative hash under which no two of them collide (for any ``K <= 64``:
    :func:`pair_slot`); a population count tells which states are in it, and only the rare
    states with three or more processes down are evaluated directly (each distinct one
    once). So the cost per key does not jump above 16 processes.

    Parameters
    ----------
    structure : plcapacity.availability.Structure
        The compiled deployment and outage processes.

    Attributes
    ----------
    code : ndarray of int8 or None
        Per state (up to ``TABLE_MAX_PROCESSES`` processes): bit 0 set when down (not
        reachable), bit 1 when not served. None above (:meth:`code_of` answers).
    all_up_code : int
        The code of state 0 (every process up).
    """

    #: Bits of a key below its tick.
    shift = _PROCESS_BITS

    def __new__(cls, structure=None):
        # (structure=None: pickle and copy make the object without arguments)
        if (cls is Tables and structure is not None
                and structure.n_processes > MASK_MAX_PROCESSES):
            return super().__new__(WideTables)  # states beyond a 64-bit mask
        return super().__new__(cls)

    def __init__(self, structure):
        self.structure = structure
        self._buffers = {}
        K = structure.n_processes
        if K <= TABLE_MAX_PROCESSES:
            states = np.arange(1 << K, dtype=np.int64)
            self._pairs = False
        else:  # states with at most two processes down, hashed
            bit = np.append(np.left_shift(np.int64(1), np.arange(K, dtype=np.int64)),
                            np.int64(0))  # process 63's bit is the sign bit
            states = np.unique(bit[:, None] | bit[None, :])
            self._pairs = True
        reachable, served, active, _ = structure.evaluate(states, with_usable=False)
        self._code = self._codes(reachable, served)
        self._active = active
        if self._pairs:
            slot = pair_slot(states)
            self._code = self._scatter(slot, self._code)
            self._active = self._scatter(slot, self._active)
        self.code = None if self._pairs else self._code
        self.all_up_code = int(self.code_of(np.zeros(1, dtype=np.int64))[0])

    @functools.cached_property
    def draw_plan(self):
        """:func:`_draw_plan` of the structure, made once."""
        return _draw_plan(self.structure)

    def ticks_per_minute(self, years) -> int:
        """Time steps per minute of this structure's keys (:func:`ticks_per_minute`)."""
        return ticks_per_minute(years, self.shift)

    def process_of(self, keys):
        """The process of each key."""
        return keys & _PROCESS_MASK

    def sweep(self, keys):
        """The state after each sorted key (:func:`_sweep`): a cumulative XOR of one bit per
        key (the set of processes down, as a bit mask)."""
        toggle = np.bitwise_and(keys, _PROCESS_MASK, out=self.buffer("toggle", keys.size))
        np.left_shift(1, toggle, out=toggle)
        return np.bitwise_xor.accumulate(toggle, out=toggle)

    def goes_down(self, keys, state, i) -> bool:
        """Whether key ``i`` takes its process down (else it brings it back)."""
        return bool((state[i] >> int(self.process_of(keys[i]))) & 1)

    def blame(self, states):
        """For each down state, the processes to blame (:func:`_attribute`): those whose
        recovery alone would end the downtime, or, when none would, every process down.

        Returns
        -------
        ndarray of bool, shape (m, K)
        """
        critical = self.critical(states)
        blame = np.where(critical != 0, critical, states)
        return ((blame[:, None] >> np.arange(self.structure.n_processes)) & 1).astype(bool)

    def buffer(self, name, size, dtype=np.int64):
        """A scratch array of ``size`` elements (contents undefined), reused across blocks."""
        held = self._buffers.get(name)
        if held is None or held.size < size:  # an eighth to spare: sizes vary a little
            held = self._buffers[name] = np.empty(max(size + size // 8, 1), dtype=dtype)
        return held[:size]

    @staticmethod
    def _codes(reachable, served):
        """Bit 0: down (not reachable); bit 1: not served."""
        return ((~reachable).astype(np.int8) | ((~served).astype(np.int8) << 1))

    @staticmethod
    def _scatter(slot, values):
        table = np.zeros(1 << _PAIR_BITS, dtype=values.dtype)
        table[slot] = values
        return table

    def _answer(self, states, table, field):
        """``table`` (codes or active endpoints) for each state."""
        states = np.asarray(states, dtype=np.int64)
        if not self._pairs:
            return table[states]
        out = table[pair_slot(states)]
        many = np.bitwise_count(states.view(np.uint64)) > 2  # (signed: |x|'s count)
        if many.any():  # three or more processes down: rare, each distinct state once
            unique, inverse = np.unique(states[many], return_inverse=True)
            reachable, served, active, _ = self.structure.evaluate(unique, with_usable=False)
            found = self._codes(reachable, served) if field == "code" else active
            out[many] = found[inverse]
        return out

    def code_of(self, states):
        """The code (bit 0 down, bit 1 unserved) of each state."""
        return self._answer(states, self._code, "code")

    def active_of(self, states):
        """The active endpoint (highest-priority usable one; -1 for none) of each state."""
        return self._answer(states, self._active, "active")

    def critical(self, states):
        """For each down state (a bit mask), the processes whose recovery alone would end the
        downtime (a bit mask; 0 when no single recovery would)."""
        states = np.asarray(states, dtype=np.int64)
        mask = np.zeros_like(states)
        present = int(np.bitwise_or.reduce(states, initial=np.int64(0))) & ((1 << 64) - 1)
        for k in range(self.structure.n_processes):  # the processes down in some state
            if not present >> k & 1:
                continue
            down_k = (states >> k) & 1 == 1
            bit = np.left_shift(np.int64(1), k)  # k = 63: the sign bit
            without = states[down_k] & ~bit
            mask[down_k] |= np.where(self.code_of(without) & 1 == 0, bit, np.int64(0))
        return mask


def _unpack(words, K):
    """Sets from 64-bit words: bool (n, K), process ``64 w + k`` being bit ``k`` of word
    ``w``."""
    bits = np.unpackbits(np.ascontiguousarray(words, "<i8").view(np.uint8), axis=1,
                         bitorder="little")
    return bits[:, :K].view(bool)


def unique_rows(rows):
    """Distinct rows of an int64 matrix and the index of each row among them (a lexicographic
    sort: faster than ``np.unique(axis=0)``)."""
    order = np.lexsort(rows.T[::-1])
    ordered = rows[order]
    new = np.ones(len(rows), dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    inverse = np.empty(len(rows), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], inverse


class WideTables(Tables):
    """:class:`Tables` above 64 processes, where a state no longer fits a 64-bit mask.

    A key's low bits hold ``k << 1 | starts`` (:data:`_WIDE_KEY_BITS`), so the sweep knows
    whether each key takes its process down (+1) or brings it back (-1). Three cumulative
    sums give, after each key, the number of processes down ``c``, the sum of their indices
    ``s1`` and of their squares ``s2``, which name the state when ``c <= 2``: one process
    ``s1``, or the two roots ``(s1 -+ sqrt(2 s2 - s1**2)) / 2``. Those states have fixed
    ids (0: all up; ``1 + a``: process ``a`` down; ``1 + K + a K + b``: ``a < b`` down), each
    answered from a table made once. The rare states with three or more down are read from
    one cumulative XOR per 64-process word, and each distinct one evaluated once per block;
    they take the ids after the fixed ones. The state the engine passes around is that id.
    """

    shift = _WIDE_KEY_BITS

    def __init__(self, structure):
        self.structure = structure
        self._buffers = {}
        K = structure.n_processes
        self._fixed = 1 + K + K * K
        down = np.zeros((self._fixed, K), dtype=bool)
        down[1 + np.arange(K), np.arange(K)] = True
        a, b = np.divmod(np.arange(K * K), K)
        down[1 + K + np.arange(K * K), a] = True
        down[1 + K + np.arange(K * K), b] = True
        reachable, served, active, _ = structure.evaluate_sets(down, with_usable=False)
        self._fixed_code = self._codes(reachable, served)
        self._fixed_active = active
        self._code, self._active = self._fixed_code, self._fixed_active
        self._rare = np.zeros((0, -(-K // 64)), dtype=np.int64)
        self.code = None
        self.all_up_code = int(self._fixed_code[0])

    def process_of(self, keys):
        return (keys & ((1 << _WIDE_KEY_BITS) - 1)) >> 1

    def goes_down(self, keys, state, i) -> bool:
        return bool(keys[i] & 1)

    def sweep(self, keys):
        """State ids after each sorted key (see the class notes); also sets this block's
        table of rare states."""
        K = self.structure.n_processes
        n = keys.size
        low = np.bitwise_and(keys, (1 << _WIDE_KEY_BITS) - 1, out=self.buffer("low", n))
        process = np.right_shift(low, 1, out=self.buffer("process", n))
        sign = np.bitwise_and(low, 1, out=low)  # +1 for a start, -1 for an end
        sign <<= 1
        sign -= 1
        count = np.cumsum(sign, out=self.buffer("count", n))
        signed = np.multiply(sign, process, out=sign)
        first = np.cumsum(signed, out=self.buffer("first", n))
        signed *= process
        second = np.cumsum(signed, out=self.buffer("second", n))
        ids = np.add(first, 1, out=self.buffer("ids", n))  # one down: process ``first``
        ids *= count == 1                                  # (all up: 0)
        two = np.flatnonzero(count == 2)
        if two.size:
            s1 = first[two]
            gap = np.rint(np.sqrt((2 * second[two] - s1 * s1).astype(float))).astype(np.int64)
            ids[two] = 1 + K + ((s1 - gap) // 2) * K + (s1 + gap) // 2
        rare = np.flatnonzero(count >= 3)
        self._code, self._active = self._fixed_code, self._fixed_active
        self._rare = self._rare[:0]
        if rare.size:
            # kept as 64-bit words (K / 8 bytes a state), unpacked a piece at a time
            self._rare, inverse = unique_rows(self._rare_words(rare, ids, process))
            code = np.empty(len(self._rare), dtype=np.int8)
            active = np.empty(len(self._rare), dtype=np.int16)
            step = self.structure._evaluate_step
            for first in range(0, len(self._rare), step):  # pieces of bounded size
                piece = slice(first, first + step)
                reachable, served, active[piece], _ = self.structure.evaluate_sets(
                    _unpack(self._rare[piece], K), with_usable=False)
                code[piece] = self._codes(reachable, served)
            self._code = np.concatenate([self._fixed_code, code])
            self._active = np.concatenate([self._fixed_active, active])
            ids[rare] = self._fixed + inverse
        return ids

    def _rare_words(self, rare, ids, process):
        """The sets of processes down at the keys ``rare`` (three or more down), as 64-bit
        words (R, W): each run of consecutive rare keys starts from the state of the key
        before it (at most two down, a fixed id), and each key toggles its process's bit, so a
        cumulative XOR over the rare keys alone, restarted at each run, gives them."""
        K = self.structure.n_processes
        n_words = -(-K // 64)
        start = np.ones(rare.size, dtype=bool)
        start[1:] = rare[1:] != rare[:-1] + 1
        run = np.cumsum(start) - 1
        run_first = np.flatnonzero(start)      # position (in ``rare``) of each run's first key
        # the state before each run: all up, one process down, or two (a fixed id)
        entry = ids[rare[run_first] - 1]
        entry_words = np.zeros((run_first.size, n_words), dtype=np.int64)
        for rows, down in self._fixed_members(entry):
            entry_words[rows, down >> 6] |= np.left_shift(np.int64(1), down & 63)
        mine = process[rare]
        bit = np.left_shift(np.int64(1), mine & 63)  # process 63 of a word: the sign bit
        words = np.empty((rare.size, n_words), dtype=np.int64)
        for w in range(n_words):  # words: four at most
            toggled = np.bitwise_xor.accumulate(np.where(mine >> 6 == w, bit, 0))
            before = np.zeros(run_first.size, dtype=np.int64)
            before[1:] = toggled[run_first[1:] - 1]
            words[:, w] = entry_words[run, w] ^ toggled ^ before[run]
        return words

    def code_of(self, states):
        return self._code[states]

    def active_of(self, states):
        return self._active[states]

    def _fixed_members(self, states):
        """The processes down in the fixed ids among ``states``: ``(rows, process)`` pairs,
        the single process of one-down states, then each of the two of two-down states."""
        K = self.structure.n_processes
        one = np.flatnonzero((states >= 1) & (states <= K))
        two = np.flatnonzero((states > K) & (states < self._fixed))
        a, b = np.divmod(states[two] - 1 - K, K)
        return (one, states[one] - 1), (two, a), (two, b)

    def sets_of(self, states):
        """The set of processes down in each state id: bool (m, K)."""
        K = self.structure.n_processes
        states = np.asarray(states, dtype=np.int64)
        out = np.zeros((states.size, K), dtype=bool)
        for rows, down in self._fixed_members(states):
            out[rows, down] = True
        rare = np.flatnonzero(states >= self._fixed)
        out[rare] = _unpack(self._rare[states[rare] - self._fixed], K)
        return out

    def critical_sets(self, sets):
        """For each down state (a row of ``sets``, bool (m, K)), the processes whose recovery
        alone would end the downtime: bool (m, K). In pieces of rows: each down process of a
        row is one state to evaluate."""
        critical = np.zeros_like(sets)
        step = max(1, _CRITICAL_ROWS // max(1, self.structure.n_processes))
        for first in range(0, len(sets), step):  # pieces of a bounded size, not states
            piece = sets[first:first + step]
            row, process = np.nonzero(piece)
            if not row.size:
                continue
            without = piece[row]
            without[np.arange(row.size), process] = False
            reachable = self.structure.evaluate_sets(without, with_usable=False)[0]
            critical[first + row, process] = reachable
        return critical

    def blame(self, states):
        sets = self.sets_of(states)
        critical = self.critical_sets(sets)
        return np.where(critical.any(axis=1)[:, None], critical, sets)


# ----------------------------------------------------------------------------- intervals


def _fresh(name, size, dtype=np.int64):
    """A new array: the stand-in for :meth:`Tables.buffer` when no tables are at hand."""
    return np.empty(size, dtype=dtype)


def union(starts, ends, trial_ticks, keep=None, buffer=_fresh):
    """Union of intervals sorted by start, each clipped to its trial; touching ones merge
    (but never across a trial boundary).

    Parameters
    ----------
    starts, ends : ndarray of int64
        Intervals ``[start, end)`` sorted by start; the trial of each is
        ``start // trial_ticks``, and its end is clipped to that trial's end. [ticks]
    trial_ticks : int
        Ticks per trial. [ticks]
    keep : ndarray, optional
        A value per interval, of which the merged interval keeps its first member's.
    buffer : callable, optional
        ``buffer(name, size, dtype)`` gives scratch arrays (:meth:`Tables.buffer`, which reuses
        them across blocks); the results may be views of them.

    Returns
    -------
    starts, ends : ndarray of int64
        The merged intervals, sorted and disjoint. [ticks]
    keep : ndarray
        Only when ``keep`` was given.
    """
    if starts.size == 0:
        return (starts, ends) if keep is None else (starts, ends, keep)
    n = starts.size
    trial = np.floor_divide(starts, trial_ticks, out=buffer("union_trial", n))
    reach = np.add(trial, 1, out=buffer("union_reach", n))
    reach *= trial_ticks
    np.minimum(ends, reach, out=reach)  # clipped to the trial's end
    if not (reach[1:] >= reach[:-1]).all():  # (already running maxima with fixed durations)
        np.maximum.accumulate(reach, out=reach)
    new = buffer("union_new", n, bool)
    new[0] = True
    np.greater(starts[1:], reach[:-1], out=new[1:])
    other_trial = np.not_equal(trial[1:], trial[:-1], out=buffer("union_other", n - 1, bool))
    new[1:] |= other_trial
    if new.all():  # nothing overlapped
        return (starts, reach) if keep is None else (starts, reach, keep)
    last = buffer("union_last", n, bool)  # the last member of each merged interval
    last[:-1] = new[1:]
    last[-1] = True
    if keep is None:  # (boolean indexing: many times faster than np.compress into a buffer)
        return starts[new], reach[last]
    return starts[new], reach[last], keep[new]


def sorted_union(starts, ends, trial_ticks, keep=None):
    """:func:`union` for intervals in any order (small arrays: down periods, gaps)."""
    order = np.argsort(starts, kind="stable")
    return union(starts[order], ends[order], trial_ticks,
                 None if keep is None else keep[order])


def covered(x, starts, ends):
    """Measure of the union of sorted disjoint intervals that lies before each point of x.

    Parameters
    ----------
    x : ndarray of int64
        Points. [ticks]
    starts, ends : ndarray of int64
        Sorted, disjoint intervals ``[start, end)``. [ticks]

    Returns
    -------
    ndarray of int64
        ``sum(max(0, min(x, end) - start))`` over the intervals, for each point. [ticks]
    """
    if starts.size == 0:
        return np.zeros(x.shape, dtype=np.int64)
    cumulative = np.concatenate([[0], np.cumsum(ends - starts)])
    i = np.searchsorted(starts, x, side="right") - 1
    j = np.maximum(i, 0)
    inside = np.clip(x - starts[j], 0, (ends - starts)[j])
    return np.where(i >= 0, cumulative[j] + inside, 0)


class Intervals(NamedTuple):
    """Outage intervals of every process over a block, *stacked*: process ``k``'s lie on
    ``[k * stride, (k + 1) * stride)`` (``stride`` at least the block's span), merged, sorted
    and each inside its trial, so the whole array is sorted. [ticks]

    Attributes
    ----------
    starts, ends : ndarray of int64
        Stacked intervals ``[start, end)``. [ticks]
    first : ndarray of int64, shape (K + 1,)
        Process ``k``'s intervals are ``starts[first[k]:first[k + 1]]``.
    stride : int
        The stacking offset per process. [ticks]
    """

    starts: np.ndarray
    ends: np.ndarray
    first: np.ndarray
    stride: int

    @classmethod
    def from_list(cls, intervals):
        """From ``[(starts, ends), ...]``, one pair per process (each merged and sorted)."""
        pairs = [(np.asarray(s, dtype=np.int64), np.asarray(e, dtype=np.int64))
                 for s, e in intervals]
        stride = 1 + max((int(e.max()) for _, e in pairs if e.size), default=0)
        first = np.concatenate([[0], np.cumsum([s.size for s, _ in pairs])]).astype(np.int64)
        if not pairs or not first[-1]:
            empty = np.empty(0, dtype=np.int64)
            return cls(empty, empty, first, stride)
        return cls(np.concatenate([s + k * stride for k, (s, _) in enumerate(pairs)]),
                   np.concatenate([e + k * stride for k, (_, e) in enumerate(pairs)]),
                   first, stride)

    def of(self, k):
        """``(starts, ends)`` of process ``k``, on the block's own axis. [ticks]"""
        a, b = self.first[k], self.first[k + 1]
        return self.starts[a:b] - k * self.stride, self.ends[a:b] - k * self.stride


def _ticks(minutes, scale, longest=None):
    """Durations in whole ticks, cut at ``longest`` ticks (when given) first. [ticks]"""
    ticks = np.multiply(minutes, scale)
    if longest is not None:
        np.minimum(ticks, longest, out=ticks)
    return np.rint(ticks, out=ticks).astype(np.int64)


def _draw_plan(structure):
    """Per process, its rate [1/min] and mean duration [min]; and the law groups
    (:func:`_law_groups`)."""
    processes = structure.processes
    return (np.array([p.rate_per_minute for p in processes], dtype=float),
            np.array([p.duration.mean_minutes for p in processes], dtype=float),
            _law_groups(processes))


def _law_groups(processes):
    """Processes sharing one duration law, as lists of indices (in order of first
    appearance): their durations are drawn in one call."""
    groups = {}
    for k, process in enumerate(processes):  # a handful of processes
        law = process.duration
        try:
            key = (type(law), law)
            hash(key)
        except TypeError:  # an unhashable law: a group of its own
            key = ("id", id(law))
        groups.setdefault(key, []).append(k)
    return [(processes[members[0]].duration, members) for members in groups.values()]


def _add_durations(out, base, first, groups, scale, rng, residual=False, longest=None):
    """``out = base + duration`` in ticks for each process's slice ``first[k]:first[k + 1]``:
    fixed laws without draws, each other law in one draw for all the processes sharing it
    (in process order). Drawn durations are cut at ``longest`` ticks (a trial: the union cuts
    them there anyway) before they become integers, so heavy tails cannot overflow int64."""
    if len(groups) == 1:  # every process shares one law: one step for all (the same draw)
        law = groups[0][0]
        if isinstance(law, FixedDuration) and not residual:
            np.add(base, int(round(law.mean_minutes * scale)), out=out)
        elif out.size:
            minutes = law.sample_residual(rng, out.size) if residual else law.sample(rng, out.size)
            np.add(base, _ticks(minutes, scale, longest), out=out)
        return
    for law, members in groups:  # distinct laws: a handful
        if isinstance(law, FixedDuration) and not residual:
            ticks = int(round(law.mean_minutes * scale))
            for k in members:  # slices, not outages
                np.add(base[first[k]:first[k + 1]], ticks, out=out[first[k]:first[k + 1]])
            continue
        count = int(sum(first[k + 1] - first[k] for k in members))
        if not count:
            continue
        minutes = law.sample_residual(rng, count) if residual else law.sample(rng, count)
        ticks = _ticks(minutes, scale, longest)
        at = 0
        for k in members:  # slices, not outages
            a, b = first[k], first[k + 1]
            np.add(base[a:b], ticks[at:at + b - a], out=out[a:b])
            at += b - a


def block_intervals(structure, n_trials, years, rng, tables=None):
    """Random outage intervals of every process over one block.

    Each process's outages start at the points of a Poisson process over the block's axis (a
    Poisson count, then sorted uniform positions from cumulative exponential spacings over
    their total), plus, for a steady start, the outages already running when each trial
    begins (a Poisson count, each at a uniformly chosen trial's first tick, lasting the
    equilibrium residual duration). Each kind of draw is made once for all processes, in this
    order: counts, spacings, durations law by law (the processes sharing a law draw
    together), running counts, their trials, their residual durations law by law. The
    intervals are stacked (process ``k`` at ``[k * span, (k + 1) * span)``, at most ``64 *
    2**55 = 2**61`` ticks) so that one :func:`union` merges every process's.

    Parameters
    ----------
    structure : plcapacity.availability.Structure
    n_trials : int
        Trials in the block.
    years : int
        Years per trial. [yr]
    rng : numpy.random.Generator
        The block's generator.
    tables : Tables, optional
        Whose scratch buffers to use (reused from block to block: fresh multi-megabyte arrays
        cost page faults); the result is then a view of them, valid until the next block.

    Returns
    -------
    Intervals
        Stacked with stride ``span``: merged, sorted, each inside its trial. [ticks]
    """
    processes = structure.processes
    K = len(processes)
    scale = (ticks_per_minute(years, key_bits(K)) if tables is None
             else tables.ticks_per_minute(years))
    trial_ticks = years * MINUTES_PER_YEAR * scale
    span = n_trials * trial_ticks
    rate, mean, groups = _draw_plan(structure) if tables is None else tables.draw_plan
    counts = rng.poisson(rate * (n_trials * years * MINUTES_PER_YEAR))
    first = np.zeros(K + 1, dtype=np.int64)
    np.cumsum(counts, out=first[1:])
    buffer = _fresh if tables is None else tables.buffer
    total = int(first[-1])
    spacing = rng.standard_exponential(total + K, out=buffer("spacing", total + K, np.float64))
    starts = buffer("starts", total)
    if K <= _LOOP_MAX_PROCESSES:
        for k in range(K):  # slices of one draw: a few calls a process, none an outage
            a, b = first[k], first[k + 1]
            if a == b:
                continue
            mine = np.cumsum(spacing[a + k:b + k + 1], out=spacing[a + k:b + k + 1])
            mine *= span / mine[-1]
            starts[a:b] = mine[:-1]  # sorted uniform starts, truncated to the tick
            if starts[b - 1] >= span:  # a fraction rounded to 1: kept inside the block
                np.minimum(starts[a:b], span - 1, out=starts[a:b])
            if k:
                starts[a:b] += k * span
    else:  # the same, for all processes at once (no call per process)
        np.cumsum(spacing, out=spacing)
        closing = first[1:] + np.arange(K)     # each process's closing spacing
        base = np.zeros(K)
        base[1:] = spacing[closing[:-1]]
        factor = span / (spacing[closing] - base)
        keep = np.ones(spacing.size, dtype=bool)
        keep[closing] = False
        owner = np.repeat(np.arange(K), counts)
        local = spacing[keep]
        local -= base[owner]
        local *= factor[owner]
        starts[:] = local                      # sorted uniform starts, truncated to the tick
        np.minimum(starts, span - 1, out=starts)  # a fraction rounded to 1: kept inside
        owner *= span
        starts += owner
    ends = buffer("ends", total)
    _add_durations(ends, starts, first, groups, scale, rng, longest=trial_ticks)
    # Steady start: outages already running when a trial begins (equilibrium residual law).
    running = rng.poisson(rate * mean * n_trials)
    if running.any():
        at_first = np.zeros(K + 1, dtype=np.int64)
        np.cumsum(running, out=at_first[1:])
        owner = np.repeat(np.arange(K, dtype=np.int64), running)
        begin = rng.integers(0, n_trials, int(at_first[-1])) * trial_ticks
        begin += owner * span
        begin.sort()  # stacked: process by process, then by trial
        residual_end = np.empty_like(begin)
        _add_durations(residual_end, begin, at_first, groups, scale, rng, residual=True,
                       longest=trial_ticks)
        # before the other starts of the same process at the same tick
        at = np.searchsorted(starts, begin, side="left")
        at += np.arange(at.size)  # their places once inserted
        old = buffer("old_place", total + at.size, bool)
        old[:] = True
        old[at] = False
        merged = buffer("all_starts", total + at.size)
        merged[old] = starts
        merged[at] = begin
        starts = merged
        merged = buffer("all_ends", total + at.size)
        merged[old] = ends
        merged[at] = residual_end
        ends = merged
    starts, ends = union(starts, ends, trial_ticks, buffer=buffer)
    first = np.searchsorted(starts, np.arange(K + 1, dtype=np.int64) * span)
    return Intervals(starts, ends, first, span)


def simulate_block(structure, tables, n_trials, years, rng, *, delay=None):
    """Simulate some trials: :func:`block_intervals`, then :func:`evaluate_block` (which
    draws the random failover delays, if any, from the same generator).

    Returns
    -------
    dict
        As :func:`evaluate_block`. [min]
    """
    return evaluate_block(structure, tables,
                          block_intervals(structure, n_trials, years, rng, tables),
                          n_trials, years, delay=delay, rng=rng)


# ----------------------------------------------------------------------------- one block


def _sweep(tables, intervals):
    """Sort every start and end into keys and sweep the states.

    Keys are ``tick << 6 | k`` (``tick << 9 | k << 1 | starts`` above 64 processes). A
    process's merged intervals are disjoint, so start, end, start, end... is already sorted: K
    sorted runs, merged in nearly linear time by the stable sort. :meth:`Tables.sweep` gives
    the state of the segment from each key to the next: the cumulative XOR of one bit per key
    (the set of processes down as a bit mask), or above 64 processes a state id
    (:class:`WideTables`).

    Returns
    -------
    keys : ndarray of int64
        Sorted keys (a view of a buffer of ``tables``).
    state : ndarray of int64
        The state after each key.
    """
    starts, ends, first, stride = intervals
    empty = ends <= starts  # outages shorter than half a tick
    if empty.any():  # their keys would cancel in a mask, but not in the counts of WideTables
        kept = ~empty
        starts, ends = starts[kept], ends[kept]
        first = np.concatenate([[0], np.cumsum(kept)])[first]
    keys = tables.buffer("keys", 2 * starts.size)
    wide = tables.shift != _PROCESS_BITS
    K = first.size - 1
    if K <= _LOOP_MAX_PROCESSES:
        for k in range(K):  # slices, one a process (a handful of processes)
            a, b = first[k], first[k + 1]
            run = keys[2 * a:2 * b]
            run[0::2] = starts[a:b]
            run[1::2] = ends[a:b]
            if k:
                run -= k * stride  # back from the stacked axis to the block's
            run <<= tables.shift
            if wide:  # k << 1 | 1 on starts, k << 1 on ends
                run |= k << 1
                run[0::2] |= 1
            else:
                run |= k
    else:  # the same, for all processes at once (no call per process)
        owner = np.repeat(np.arange(K, dtype=np.int64), np.diff(first))
        keys[0::2] = starts
        keys[1::2] = ends
        shifted = owner * stride
        keys[0::2] -= shifted
        keys[1::2] -= shifted
        keys <<= tables.shift
        low = owner << 1 if wide else owner
        keys[1::2] |= low
        if wide:
            low |= 1
        keys[0::2] |= low
    keys.sort(kind="stable")
    return keys, tables.sweep(keys)


def _segment_ends(keys, index, span, shift):
    """End tick of the segment that begins at each key ``index``: the next key's time, or the
    block's end ``span`` after the last key. [ticks]"""
    following = index + 1
    return np.where(following < keys.size,
                    keys[np.minimum(following, keys.size - 1)] >> shift, span)


def _down_segments(tables, keys, state, span):
    """The non-empty segments that are down or unserved, apart from all-up ones.

    One gather answers both questions for every segment (bit 0 down, bit 1 unserved); only
    the few segments with either bit set are looked at further, and only their times are
    taken out of the keys. All-up segments (state 0) are left to :func:`_all_up_minutes`:
    they are the only segments that can run from one trial into the next.

    Returns
    -------
    candidates : ndarray of int
        Index of the key that begins each segment.
    starts, ends : ndarray of int64
        The segments. [ticks]
    code : ndarray of int8
        Bit 0: down; bit 1: unserved.
    """
    code = tables.code_of(state)
    candidates = np.flatnonzero(code != 0)  # (on a bool array: ten times faster)
    candidates = candidates[state[candidates] != 0]
    seg_start = keys[candidates] >> tables.shift
    seg_end = _segment_ends(keys, candidates, span, tables.shift)
    keep = seg_end > seg_start
    candidates, seg_start, seg_end = candidates[keep], seg_start[keep], seg_end[keep]
    return candidates, seg_start, seg_end, code[candidates]


def _failover_gaps(tables, keys, state, trial_ticks, span, delay):
    """Active-passive failover gaps: each time the active endpoint is lost while another is
    usable, the service is down for ``min(delay, time until the lost endpoint, or one of
    higher priority, is usable again)``.

    A failover at a trial's first tick (an outage already running when the trial starts) is
    left out: its remaining gap is shorter than the delay by the outage's age; the bias is
    below rate x P(down) x delay.

    Parameters
    ----------
    delay : int or callable
        Failover delay [ticks], or a function of the number of failovers that returns one
        delay per failover, in time order [ticks] (random delays).

    Returns
    -------
    starts, ends : ndarray of int64
        The non-empty gaps, in time order (possibly overlapping). [ticks]
    cause : ndarray of int64
        The process whose outage triggered each gap.
    """
    active = tables.active_of(state)  # (a new array)
    shift = tables.shift
    # States between the keys of one tick last no time: each key of a tick takes the active
    # endpoint of the tick's final state, so a change (failover or failback) is seen at the
    # tick's first key, whatever order the tick's keys sort in. Shared ticks are few (mostly
    # trial starts): copy the next key's value backwards along each run of them.
    shared_ticks = np.flatnonzero((keys[1:] ^ keys[:-1]) < (1 << shift))  # i's tick is i + 1's
    while shared_ticks.size:  # as many rounds as keys share one tick, less one
        following = active[shared_ticks + 1]
        if np.array_equal(active[shared_ticks], following):
            break
        active[shared_ticks] = following  # (all of them each round: a value may still come)
    # Only the keys where the active endpoint changes matter (a failover, or a failback that
    # ends a gap). Before the first key every process is up: the first endpoint is active.
    change = np.flatnonzero(active[1:] != active[:-1])
    change += 1
    if active.size and active[0] != 0:
        change = np.concatenate([[0], change])
    now = active[change]
    before = active[change - 1]
    if change.size and change[0] == 0:
        before[0] = 0
    # A failover: the active endpoint passes to one of lower priority (a larger index). Each
    # key toggles one process: going down it can only take endpoints away, so the endpoint
    # active before is then unusable; coming back it can only bring a better one (a failback).
    position = np.flatnonzero((before >= 0) & (now > before))  # in ``change``
    failed = before[position]
    gap_starts = keys[change[position]] >> shift
    # Not at a trial's first tick: a multiple of trial_ticks is one of its power-of-two
    # factor first (a cheap mask), and only those few need the division.
    inside = (gap_starts & ((trial_ticks & -trial_ticks) - 1)) != 0
    maybe = np.flatnonzero(~inside)
    inside[maybe] = gap_starts[maybe] % trial_ticks != 0
    if not inside.all():
        position, failed, gap_starts = position[inside], failed[inside], gap_starts[inside]
    at = change[position]
    if not at.size:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    if callable(delay):
        delay = delay(at.size)  # one draw per failover, in time order
    # The gap lasts until the failed endpoint, or one of higher priority, is usable again
    # (failing back costs nothing), or the delay has passed. After a failover the active
    # endpoint ranks below the failed one (one toggle cannot both take the failed endpoint
    # down and bring a better one up), so the end is at a later change of the active endpoint.
    # Most often the very next change is the failback: take it where it is.
    following = np.minimum(position + 1, change.size - 1)
    then = now[following]
    direct = (position + 1 < change.size) & (then >= 0) & (then <= failed)
    back = keys[change[following]] >> shift
    rest = np.flatnonzero(~direct)
    if rest.size:
        rest_failed = failed[rest]
        for endpoint in np.flatnonzero(np.bincount(rest_failed)):  # endpoints, not trials
            mine = rest[rest_failed == endpoint]
            good = (now >= 0) & (now <= endpoint)  # changes to this endpoint or a better one
            good_at = np.flatnonzero(good)
            # the next good change after a failover: goods up to it (none at it) index good_at
            rank = np.cumsum(good)[position[mine]]
            index = change[good_at[np.minimum(rank, good_at.size - 1)]] if good_at.size else 0
            back[mine] = np.where(rank < good_at.size, keys[index] >> shift, span)
    gap_ends = np.minimum(gap_starts + delay, back)
    # A gap never runs into the next trial (each trial is its own history): clip it at its
    # trial's end, as union clips down periods (else its cause would count the overrun).
    trial_end = gap_starts // trial_ticks
    trial_end += 1
    trial_end *= trial_ticks
    np.minimum(gap_ends, trial_end, out=gap_ends)
    gap_cause = _failover_causes(tables, keys, state, at, failed, shared_ticks)
    real = gap_ends > gap_starts
    if real.all():
        return gap_starts, gap_ends, gap_cause
    return gap_starts[real], gap_ends[real], gap_cause[real]


def _failover_causes(tables, keys, state, at, failed, shared_ticks):
    """The process whose outage triggered each failover: the process of the failover's key,
    or, where other keys share its tick, the first process of that tick that goes down and
    makes the failed endpoint unusable.

    Parameters
    ----------
    at : ndarray of int
        The first key of each failover's tick.
    failed : ndarray of int
        The endpoint lost at each failover.
    shared_ticks : ndarray of int
        Sorted: the keys whose tick the next key shares.
    """
    shift = tables.shift
    cause = tables.process_of(keys[at])
    place = np.minimum(np.searchsorted(shared_ticks, at), max(shared_ticks.size - 1, 0))
    shared = (np.flatnonzero(shared_ticks[place] == at) if shared_ticks.size
              else np.empty(0, dtype=np.int64))
    sets = tables.structure.endpoint_sets
    for j in shared:  # failovers at a tick with other events: a handful in a run
        i = at[j]
        while i < keys.size and keys[i] >> shift == keys[at[j]] >> shift:
            k = int(tables.process_of(keys[i]))
            if tables.goes_down(keys, state, i) and sets[failed[j], k]:
                cause[j] = k
                break
            i += 1
    return cause


def _reduce(tables, keys, state, segments, gaps, n_trials, years):
    """Per-trial totals of each metric, and for downtime its incidents, months and causes.

    Down (unserved) segments and the failover gaps are merged into incidents (touching ones
    merge, never across a trial boundary), summed per trial with ``bincount``, and, when the
    all-up state itself is down (unserved), each trial's all-up time is added.

    Parameters
    ----------
    segments : tuple
        ``(candidates, starts, ends, code)`` from :func:`_down_segments`.
    gaps : tuple
        ``(starts, ends, cause)`` from :func:`_failover_gaps`.

    Returns
    -------
    dict
        As :func:`evaluate_block`.
    """
    scale = tables.ticks_per_minute(years)
    trial_ticks = years * MINUTES_PER_YEAR * scale
    span = n_trials * trial_ticks
    candidates, seg_start, seg_end, candidate_code = segments
    gap_starts, gap_ends, gap_cause = gaps
    results = {}
    previous = None
    for name, bit in (("downtime", 1), ("unserved", 2)):
        mine = (candidate_code & bit) != 0
        if previous is not None and np.array_equal(mine, previous[0]):
            # the same segments (and gaps) as the downtime's: the same merged intervals
            seg_starts, seg_ends, merged_starts, merged_ends, trial, base = previous[1]
        else:
            seg_starts, seg_ends = seg_start[mine], seg_end[mine]
            if not seg_starts.size:  # gaps only: already in time order
                merged_starts, merged_ends = union(gap_starts, gap_ends, trial_ticks)
            elif not gap_starts.size:  # segments only: in time order too (they follow keys)
                merged_starts, merged_ends = union(seg_starts, seg_ends, trial_ticks)
            else:
                merged_starts, merged_ends = sorted_union(
                    np.concatenate([seg_starts, gap_starts]),
                    np.concatenate([seg_ends, gap_ends]), trial_ticks)
            trial = merged_starts // trial_ticks
            base = np.bincount(trial, (merged_ends - merged_starts) / scale,
                               minlength=n_trials).astype(float, copy=False)  # (empty: int)
            previous = (mine, (seg_starts, seg_ends, merged_starts, merged_ends, trial, base))
        results[name] = base.copy()
        if tables.all_up_code & bit:
            # Down (or unserved) even with every region up, such as a primary destination too
            # small for the demand: all the all-up time of each trial counts too. All-up time
            # never overlaps a gap (the failed endpoint's region is down throughout one).
            results[name] += _all_up_minutes(keys, state, trial_ticks, span, n_trials, scale,
                                             tables.shift)
        if name != "downtime":
            continue
        results["incidents"] = np.bincount(trial, minlength=n_trials)
        results["monthly"] = monthly(merged_starts, merged_ends, trial, trial_ticks, scale,
                                     years)
        results["cause"] = _attribute(tables.blame(state[candidates[mine]]), seg_starts,
                                      seg_ends, trial_ticks, scale, gap_starts, gap_ends,
                                      gap_cause)
    return results


def evaluate_block(structure, tables, intervals, n_trials, years, *, delay=None, rng=None):
    """Downtime, unserved time, months, incidents and causes of one block, from its outage
    intervals.

    Parameters
    ----------
    structure : plcapacity.availability.Structure
    tables : Tables
        Lookups (and scratch buffers) for ``structure``.
    intervals : Intervals or list of (ndarray, ndarray)
        From :func:`block_intervals`, or ``(starts, ends)`` per process: merged, sorted, each
        inside its trial. [ticks]
    n_trials : int
        Trials in the block.
    years : int
        Years per trial. [yr]
    delay : duration law, optional
        Active-passive: random failover delays, one drawn from ``rng`` per failover in time
        order (``law.sample(rng, n)``, minutes rounded to ticks). Default: the fixed
        ``structure.delay_minutes``.
    rng : numpy.random.Generator, optional
        Needed with ``delay``.

    Returns
    -------
    dict
        ``downtime``, ``unserved``: per trial [min]; ``incidents``: down episodes per trial;
        ``monthly``: ``(trial, month, minutes)`` of the months with downtime (sparse);
        ``cause``: ``(trial, process, minutes)`` contributions [min] (:func:`dense_cause`
        makes them per trial); ``n_processes``: K.
    """
    scale = tables.ticks_per_minute(years)
    trial_ticks = years * MINUTES_PER_YEAR * scale
    span = n_trials * trial_ticks
    if not isinstance(intervals, Intervals):
        intervals = Intervals.from_list(intervals)
    keys, state = _sweep(tables, intervals)
    if delay is None:
        delay = int(round(structure.delay_minutes * scale))  # in ticks: 0 means no gaps
        failover = structure.active_passive and delay > 0 and keys.size > 0
    else:
        law = delay

        def delay(n):  # one random delay per failover, in ticks (at most a trial)
            return _ticks(law.sample(rng, n), scale, trial_ticks)

        failover = structure.active_passive and keys.size > 0
    segments = _down_segments(tables, keys, state, span)
    if failover:
        gaps = _failover_gaps(tables, keys, state, trial_ticks, span, delay)
    else:
        empty = np.empty(0, dtype=np.int64)
        gaps = (empty, empty, empty)
    out = _reduce(tables, keys, state, segments, gaps, n_trials, years)
    out["n_processes"] = structure.n_processes
    return out


# ----------------------------------------------------------------------------- reductions


def _all_up_minutes(keys, state, trial_ticks, span, n_trials, scale, shift):
    """Minutes of each trial with every process up. Segments with some process down never
    cross a trial boundary, so each trial's all-up time is its length less theirs."""
    down = np.flatnonzero(state != 0)
    starts = keys[down] >> shift
    ends = _segment_ends(keys, down, span, shift)
    real = ends > starts  # zero-length states between keys of one tick (one may sit at span)
    starts, ends = starts[real], ends[real]
    busy = np.bincount(starts // trial_ticks, (ends - starts) / scale, minlength=n_trials)
    return trial_ticks / scale - busy


@functools.lru_cache(maxsize=8)
def _month_edges_ticks(years, scale):
    """Month boundaries of a trial in ticks (read-only: shared between calls)."""
    edges = np.rint(month_edges_minutes(years) * scale).astype(np.int64)
    edges.flags.writeable = False
    return edges


@functools.lru_cache(maxsize=8)
def _day_month(years):
    """The calendar month (0 to 12 * years - 1) of each day of a trial."""
    days = np.diff(month_edges_minutes(years)).astype(np.int64) // (24 * 60)
    return np.repeat(np.arange(days.size), days)


def monthly(starts, ends, trial, trial_ticks, scale, years):
    """Downtime of the calendar months that have any, as a sparse list.

    Parameters
    ----------
    starts, ends : ndarray of int64
        Sorted, disjoint down intervals, each inside its trial. [ticks]
    trial : ndarray of int
        The trial of each interval.
    trial_ticks, scale : int
        Ticks per trial and per minute.
    years : int
        Years per trial (months are those of 365-day years). [yr]

    Returns
    -------
    trial, month : ndarray of int
        Each (trial, month) with downtime, in order.
    minutes : ndarray of float
        Its downtime. [min]
    """
    edges = _month_edges_ticks(years, scale)
    months = len(edges) - 1
    local_start, local_end = starts - trial * trial_ticks, ends - trial * trial_ticks
    # Month of the first and of the last tick of each interval (intervals are non-empty),
    # through the month of each day: months are whole days (a lookup, not a binary search).
    ticks_per_day = 24 * 60 * scale
    day_month = _day_month(years)
    m0 = day_month[local_start // ticks_per_day]
    m1 = day_month[(local_end - 1) // ticks_per_day]
    if starts.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    month, overlap, flat_trial = m0, local_end - local_start, trial
    cross = np.flatnonzero(m1 != m0)
    if cross.size:  # split the few intervals that cross month edges
        # each keeps its first month's piece in place; the later pieces go right after it
        # (np.insert: linear, where sorting the whole list again would not be)
        later = m1[cross] - m0[cross]
        overlap[cross] = edges[m0[cross] + 1] - local_start[cross]
        piece = np.repeat(cross, later)
        piece_month = m0[piece] + 1 + (np.arange(piece.size)
                                       - np.repeat(np.cumsum(later) - later, later))
        piece_overlap = (np.minimum(local_end[piece], edges[piece_month + 1])
                         - edges[piece_month])
        at = piece + 1
        month = np.insert(m0, at, piece_month)
        overlap = np.insert(overlap, at, piece_overlap)
        flat_trial = np.insert(trial, at, trial[piece])
    flat = flat_trial * months + month      # nondecreasing: intervals come sorted
    step = np.diff(flat) != 0
    if step.all():  # each (trial, month) once: nothing to add up
        return flat_trial, month, overlap / scale
    first = np.flatnonzero(np.concatenate([[True], step]))
    return flat_trial[first], month[first], np.add.reduceat(overlap, first) / scale


def _attribute(bits, starts, ends, trial_ticks, scale, gap_starts, gap_ends, gap_cause):
    """Downtime attributed to the processes that caused it.

    A down stretch goes to the processes whose recovery alone would end it, split equally
    among them; when no single recovery would, to every process down then (``bits``, from
    :meth:`Tables.blame`). The part of a failover gap not already down goes to the process
    whose outage triggered the failover (where gaps overlap, each gap keeps what it adds).

    Parameters
    ----------
    bits : ndarray of bool, shape (m, K)
        The processes to blame for each down stretch.
    starts, ends : ndarray of int64
        The down stretches. [ticks]
    trial_ticks, scale : int
        Ticks per trial and per minute.
    gap_starts, gap_ends, gap_cause : ndarray of int64
        The failover gaps [ticks] and the process that triggered each.

    Returns
    -------
    trial, process : ndarray of int, shape (m,)
        The trial and the process of each contribution (a pair may appear several times);
        contributions come in time order, those of one down stretch by process.
    minutes : ndarray of float, shape (m,)
        Minutes attributed. [min]
    """
    stretch, process = np.nonzero(bits)  # row by row: each stretch's processes in order
    share = (ends - starts) / scale / np.maximum(bits.sum(axis=1), 1)
    trial = [starts[stretch] // trial_ticks]
    processes = [process]
    minutes = [share[stretch]]
    if gap_starts.size:
        gs, ge, gc = gap_starts, gap_ends, gap_cause  # in time order (_failover_gaps)
        reach = np.maximum.accumulate(ge)
        fresh = np.maximum(gs, np.concatenate([[0], reach[:-1]]))  # not in an earlier gap
        fresh = np.minimum(fresh, ge)
        only_gap = (ge - fresh) - (covered(ge, starts, ends) - covered(fresh, starts, ends))
        trial.append(gs // trial_ticks)
        processes.append(gc)
        minutes.append(only_gap / scale)
    return np.concatenate(trial), np.concatenate(processes), np.concatenate(minutes)


def dense_cause(cause, n_trials, K):
    """Per-trial attribution from the sparse contributions of :func:`evaluate_block`.

    Parameters
    ----------
    cause : tuple of ndarray
        ``(trial, process, minutes)``, one element a contribution. [min]
    n_trials, K : int
        Trials and processes.

    Returns
    -------
    ndarray of float, shape (n_trials, K)
        Downtime attributed to each process in each trial. [min]
    """
    trial, process, minutes = cause
    # one bincount over (trial, process) cells: it adds in order, as np.add.at would
    flat = np.bincount(trial * K + process, minutes, minlength=n_trials * K)
    return flat.reshape(n_trials, K)
