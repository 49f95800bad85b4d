"""Atomic writes: a failed or interrupted write leaves no partial file, and temporary files of
dead processes are cleaned up while those of live ones are kept."""

import os
import subprocess
import sys

import pytest

from plcapacity.base.files import atomic_write, glob_escape, remove_stale_temporaries


def _dead_pid():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_atomic_write_replaces_the_file_in_one_step(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    seen = []

    def write(temporary):
        seen.append(temporary)
        assert path.read_text() == "old"  # the target is untouched while writing
        temporary.write_text("new")

    atomic_write(path, write)
    assert path.read_text() == "new"
    # written beside the target, under a hidden name carrying this process's id
    assert seen == [tmp_path / f".out.txt.{os.getpid()}.tmp"]
    assert not seen[0].exists()


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")

    def half_then_fail(temporary):
        temporary.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left on device"):
        atomic_write(path, half_then_fail)
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path):
    path = tmp_path / "r.csv"
    dead = tmp_path / f".r.csv.{_dead_pid()}.tmp"
    huge_pid = tmp_path / ".r.csv.999999999999.tmp"  # no such process (beyond pid_max)
    live = tmp_path / f".r.csv.{os.getppid()}.tmp"    # our parent is alive
    mine = tmp_path / f".r.csv.{os.getpid()}.tmp"     # this process: never removed
    other = tmp_path / ".r.csv.notapid.tmp"
    unrelated = tmp_path / ".other.csv.1.tmp"
    for file in (dead, huge_pid, live, mine, other, unrelated):
        file.write_text("partial")
    removed = remove_stale_temporaries(path)
    assert sorted(removed) == sorted([dead, huge_pid])
    assert not dead.exists() and not huge_pid.exists()
    assert all(f.exists() for f in (live, mine, other, unrelated))


def test_names_with_glob_characters_are_taken_literally(tmp_path):
    assert glob_escape("we ird[1]*?.csv") == "we ird[[]1][*][?].csv"
    path = tmp_path / "a[1].csv"
    stale = tmp_path / f".a[1].csv.{_dead_pid()}.tmp"
    lookalike = tmp_path / f".a1.csv.{_dead_pid()}.tmp"  # what an unescaped [1] would match
    stale.write_text("x")
    lookalike.write_text("x")
    assert remove_stale_temporaries(path) == [stale]
    assert lookalike.exists()


def test_a_folder_that_cannot_be_listed_removes_nothing(tmp_path):
    assert remove_stale_temporaries(tmp_path / "missing-folder" / "r.csv") == []
