"""Atomic writes: a failed or interrupted write leaves no partial file, temporary files of
dead processes are cleaned up while those of live ones are kept, and a link is written
through, not replaced."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from plcapacity.base.files import (
    atomic_write,
    glob_escape,
    remove_stale_temporaries,
    write_target,
)


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


# ----------------------------------------------------------------------------- links

def test_a_link_is_written_through_and_kept(tmp_path):
    """-o onto a link: the file it leads to is replaced (its temporary beside it, so the
    rename stays on its file system) and the link stays a link."""
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "out.txt"
    target.write_text("old")
    link = tmp_path / "out.txt"
    link.symlink_to(Path("real") / "out.txt")                # relative, as ln -s makes it
    seen = []

    def write(temporary):
        seen.append(temporary)
        temporary.write_text("new")

    atomic_write(link, write)
    assert link.is_symlink() and os.readlink(link) == os.path.join("real", "out.txt")
    assert target.read_text() == "new"
    assert seen == [tmp_path / "real" / f".out.txt.{os.getpid()}.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt", "real"]


def test_a_link_to_a_file_not_yet_written_creates_it(tmp_path):
    link = tmp_path / "out.txt"
    link.symlink_to(tmp_path / "later.txt")
    atomic_write(link, lambda temporary: temporary.write_text("first"))
    assert link.is_symlink() and (tmp_path / "later.txt").read_text() == "first"


def test_a_chain_of_links_leads_to_its_last_file(tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("old")
    (tmp_path / "middle.txt").symlink_to(target)
    (tmp_path / "first.txt").symlink_to(tmp_path / "middle.txt")
    assert write_target(tmp_path / "first.txt") == target
    atomic_write(tmp_path / "first.txt", lambda temporary: temporary.write_text("new"))
    assert target.read_text() == "new"
    assert (tmp_path / "first.txt").is_symlink() and (tmp_path / "middle.txt").is_symlink()


def test_a_link_loop_is_refused_and_nothing_is_written(tmp_path):
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    with pytest.raises(OSError, match=r"a\.txt: a symbolic link that leads round in a loop"):
        atomic_write(tmp_path / "a.txt", lambda temporary: temporary.write_text("x"))
    assert all(p.is_symlink() for p in tmp_path.iterdir()) and len(list(tmp_path.iterdir())) == 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_link_to_something_other_than_a_file_is_refused(tmp_path):
    """Written through, the atomic rename would replace the pipe (or, as root, a device such
    as /dev/null) with a regular file."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    (tmp_path / "out.csv").symlink_to(pipe)
    with pytest.raises(OSError, match=rf"out\.csv: a symbolic link to {pipe}, which is not a "
                                      "regular file; give a file name or a link to a file"):
        atomic_write(tmp_path / "out.csv", lambda temporary: temporary.write_text("x"))
    assert stat.S_ISFIFO(pipe.stat().st_mode) and (tmp_path / "out.csv").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "pipe"]
