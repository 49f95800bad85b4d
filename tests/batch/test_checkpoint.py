"""Checkpoints of batch runs: one checksummed JSON line per finished row after a header of
the run's settings; resumed only with the same settings, never trusting a damaged line, and
locked while a run writes it.

The checksum is recomputed here from the file format (the first 32 hex digits of the SHA-256
of ``json.dumps([key, columns], sort_keys=True)``), independently of the module.
"""

import hashlib
import json
import os

import numpy as np
import pytest

from plcapacity.base.exceptions import CheckpointError
from plcapacity.batch.checkpoint import Checkpoint

HEADER = dict(entropy=[1, 2], trials=1_000, years=1, seed_given=True)


def checksum(key, columns):
    text = json.dumps([key, columns], sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def written(path, rows):
    """A finished checkpoint of ``rows`` ({key: columns}), closed."""
    store = Checkpoint(path, dict(HEADER), False, text_columns=("note",))
    for key, columns in rows.items():
        store.add(key, columns)
    store.close()
    return path


def resumed(path, **header):
    store = Checkpoint(path, {**HEADER, **header}, True, text_columns=("note",))
    store.close()
    return store


def test_a_header_line_then_one_checksummed_line_per_row(tmp_path):
    path = written(tmp_path / "c.jsonl", {"k1": {"availability": np.float64(0.5),
                                                 "trials": np.int64(1_000), "note": "ok"}})
    header, record = [json.loads(line) for line in path.read_text().splitlines()]
    assert header == HEADER
    assert record["key"] == "k1"
    assert record["columns"] == {"availability": 0.5, "trials": 1_000, "note": "ok"}
    assert type(record["columns"]["trials"]) is int  # numpy numbers written as JSON numbers
    assert record["sha256"] == checksum("k1", record["columns"])


def test_resuming_gives_back_every_row_and_the_earlier_seed(tmp_path):
    rows = {"k1": {"availability": 0.999, "ci": float("nan"), "note": "rare"},
            "k2": {"availability": float("inf"), "ci": float("-inf"), "note": ""},
            "k3": {"availability": None, "ci": 3, "note": "x"}}
    path = written(tmp_path / "c.jsonl", rows)
    store = resumed(path, entropy=[9], seed_given=False)  # no seed given: the earlier one
    assert store.entropy == [1, 2]
    assert set(store.done) == {"k1", "k2", "k3"}
    assert np.isnan(store.done["k1"]["ci"]) and store.done["k1"]["note"] == "rare"
    assert store.done["k2"] == {"availability": float("inf"), "ci": float("-inf"), "note": ""}
    assert store.done["k3"] == rows["k3"]


def test_other_settings_are_refused(tmp_path):
    path = written(tmp_path / "c.jsonl", {"k": {"availability": 0.5}})
    with pytest.raises(CheckpointError, match=r"written with trials=1000, not 2000; run "
                                              r"without --resume"):
        resumed(path, trials=2_000)
    with pytest.raises(CheckpointError, match="written with years=1, not 2"):
        resumed(path, years=2)
    with pytest.raises(CheckpointError, match="written with another seed"):
        resumed(path, entropy=[3])


def test_damaged_or_edited_lines_are_computed_again(tmp_path):
    path = written(tmp_path / "c.jsonl", {f"k{i}": {"availability": 0.5, "note": "n"}
                                          for i in range(6)})
    header, *lines = path.read_text().splitlines()
    records = [json.loads(line) for line in lines]
    records[0]["columns"]["availability"] = 0.1           # edited, checksum now wrong
    records[1]["sha256"] = "0" * 32                        # checksum damaged
    records[2]["columns"]["note"] = 5                      # a number in a text column
    records[2]["sha256"] = checksum("k2", records[2]["columns"])
    records[3]["columns"]["availability"] = True           # not a number a batch writes
    records[3]["sha256"] = checksum("k3", records[3]["columns"])
    text = [json.dumps(r) for r in records]
    text[5] = text[5][:25]                                 # the half line of a killed run
    path.write_text("\n".join([header, *text]) + "\n")
    assert set(resumed(path).done) == {"k4"}


@pytest.mark.parametrize("first, message", [
    ("[]", "its first line is not a batch header with entropy, trials and years"),
    ("not json", "its first line is not JSON"),
    ('{"entropy": -1, "trials": 1000, "years": 1}',
     "its seed entropy -1 is not a whole number >= 0 or a list of them"),
    ('{"entropy": [], "trials": 1000, "years": 1}',
     "its seed entropy [] is not a whole number >= 0 or a list of them"),
])
def test_what_is_not_a_checkpoint_is_refused(tmp_path, first, message):
    path = tmp_path / "c.jsonl"
    path.write_text(first + "\n")
    with pytest.raises(CheckpointError) as error:
        resumed(path)
    assert str(error.value) == (f"{path}: not a usable checkpoint ({message}); run without "
                                "--resume to start again")


def test_binary_content_is_refused(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_bytes(b"\xff\xfe\x00junk\n")
    with pytest.raises(CheckpointError, match=r"not a usable checkpoint \(not UTF-8 text\)"):
        resumed(path)


def test_a_run_without_resume_starts_the_file_again(tmp_path):
    path = written(tmp_path / "c.jsonl", {"k": {"availability": 0.5}})
    store = Checkpoint(path, dict(HEADER, trials=5), False)
    store.close()
    assert [json.loads(line) for line in path.read_text().splitlines()] == [
        dict(HEADER, trials=5)]
    assert store.done == {}


def test_one_run_at_a_time(tmp_path):
    path = tmp_path / "c.jsonl"
    first = Checkpoint(path, dict(HEADER), False)
    try:
        with pytest.raises(CheckpointError, match="another batch run is writing this "
                                                  "checkpoint"):
            Checkpoint(path, dict(HEADER), True)
    finally:
        first.close()
    Checkpoint(path, dict(HEADER), True).close()  # free again once the first is closed


def _idle_worker(started, release):
    started.set()
    release.wait(60)  # outlives the run's lock


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forked workers only")
def test_a_forked_worker_does_not_keep_the_lock(tmp_path):
    """A worker forked while the run holds the checkpoint (the batch's process pool) must not
    keep its lock: the lock ends with the run, even if the worker is still alive."""
    import multiprocessing
    path = tmp_path / "c.jsonl"
    first = Checkpoint(path, dict(HEADER), False)
    context = multiprocessing.get_context("fork")
    started, release = context.Event(), context.Event()
    worker = context.Process(target=_idle_worker, args=(started, release))
    worker.start()
    try:
        started.wait(60)  # the worker runs (its fork is complete)
        first.close()
        Checkpoint(path, dict(HEADER), True).close()  # free although the worker is alive
        assert worker.is_alive()
    finally:
        release.set()
        worker.join()


def test_remove_deletes_the_file_and_no_path_keeps_nothing(tmp_path):
    path = tmp_path / "deep" / "c.jsonl"  # its folder is made
    store = Checkpoint(path, dict(HEADER), False)
    store.add("k", {"availability": 0.5})
    store.remove()
    assert not path.exists() and path.parent.is_dir()
    nothing = Checkpoint(None, dict(HEADER), True)
    nothing.add("k", {"availability": 0.5})
    assert nothing.done == {} and nothing.entropy == [1, 2]
    nothing.remove()
