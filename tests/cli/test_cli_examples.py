"""``plcapacity examples``: copying the bundled files, never overwriting unasked."""

import os

import pandas as pd
import pytest

from plcapacity.base.limits import data_path

#: The shipped incidents (and their README: source, licence), copied into DIR/outages/.
INCIDENTS = ["outages/README.md", "outages/azure_status_incidents_2018_2020.csv"]


def test_examples_copies_the_bundled_files(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bundled = sorted(p.relative_to(data_path("examples")).as_posix()
                     for p in data_path("examples").rglob("*") if p.is_file())
    assert "services.csv" in bundled and "estate/pls.json" in bundled
    code, out, err = cli(["examples"])
    assert code == 0 and err == ""
    target = tmp_path / "plcapacity-examples"
    copied = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert copied == sorted(bundled + INCIDENTS)
    for name in bundled:
        assert f"wrote plcapacity-examples/{name}\n" in out
        assert (target / name).read_bytes() == (data_path("examples") / name).read_bytes()
    for name in INCIDENTS:  # the incident data a user fits outage models to, after pip install
        assert (target / name).read_bytes() == data_path(name).read_bytes()
    code, out, _ = cli(["fit-outages", str(target / INCIDENTS[1]), "--period", "2018-01-01",
                        "2020-01-01"])
    assert code == 0 and "Rates per year" in out
    # The copies are usable as they are: the scenario table finds its deployment files.
    code, out, _ = cli(["batch", str(target / "services.csv"), "--trials", "200", "--seed", "1",
                        "--no-progress", "--workers", "1"])
    assert code == 0 and f"{len(pd.read_csv(target / 'services.csv'))} of" in out


def test_examples_refuses_to_overwrite_without_force(tmp_path, cli):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "services.csv").write_text("my own table\n")
    code, out, err = cli(["examples", str(target)])
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "already exist" in err and "services.csv" in err and "--force" in err
    assert (target / "services.csv").read_text() == "my own table\n"
    assert not (target / "two-region-active-active.toml").exists()  # nothing half-copied
    code, out, _ = cli(["examples", str(target), "--force"])
    assert code == 0 and "replaced" in out and "services.csv" in out
    assert (target / "services.csv").read_bytes() == data_path("examples/services.csv").read_bytes()


def test_examples_into_a_file_is_an_error(tmp_path, cli):
    path = tmp_path / "a-file"
    path.write_text("x")
    code, _, err = cli(["examples", str(path)])
    assert code == 2 and "is not a folder" in err


# ------------------------------------------------------------------ writes stay inside DIR

BUNDLED = sorted([p.relative_to(data_path("examples")).as_posix()
                  for p in data_path("examples").rglob("*") if p.is_file()] + INCIDENTS)
#: A top-level file, a nested one and the last one copied.
SOME = ["services.csv", "estate/pls.json", BUNDLED[-1]]


def files_under(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() or p.is_symlink())


def refused(cli, argv, *needles):
    code, out, err = cli(argv)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, err
    return err


@pytest.mark.parametrize("name", SOME)
@pytest.mark.parametrize("force", [False, True])
def test_a_dangling_link_in_dir_is_not_followed(tmp_path, cli, name, force):
    target, outside = tmp_path / "mine", tmp_path / "outside" / "planted.txt"
    outside.parent.mkdir()
    (target / name).parent.mkdir(parents=True)
    (target / name).symlink_to(outside)                       # points to nothing (yet)
    refused(cli, ["examples", str(target), *(["--force"] if force else [])],
            f"{(target / name).as_posix()} is a symbolic link", "never through links")
    assert not outside.exists() and files_under(outside.parent) == []
    assert files_under(target) == [name]                      # nothing copied


@pytest.mark.parametrize("name", SOME)
def test_force_never_writes_through_a_link_to_a_file_outside(tmp_path, cli, name):
    target, outside = tmp_path / "mine", tmp_path / "precious.txt"
    outside.write_text("keep me\n")
    (target / name).parent.mkdir(parents=True)
    (target / name).symlink_to(outside)
    refused(cli, ["examples", str(target), "--force"], "is a symbolic link")
    assert outside.read_text() == "keep me\n"


@pytest.mark.parametrize("outside_exists", [True, False])
@pytest.mark.parametrize("force", [False, True])
def test_a_linked_folder_in_dir_is_refused(tmp_path, cli, outside_exists, force):
    target, outside = tmp_path / "mine", tmp_path / "elsewhere"
    target.mkdir()
    if outside_exists:
        outside.mkdir()
    (target / "estate").symlink_to(outside, target_is_directory=True)
    refused(cli, ["examples", str(target), *(["--force"] if force else [])],
            "estate is a symbolic link")
    assert files_under(outside) == [] if outside_exists else not outside.exists()
    assert files_under(target) == ["estate"]


@pytest.mark.parametrize("in_the_way, kind", [
    ("estate", "a file where the folder"),                # a file where a folder goes
    ("services.csv/", "a folder where the file"),         # a folder where a file goes
    ("estate/pls.json/", "a folder where the file"),
])
@pytest.mark.parametrize("force", [False, True])
def test_something_in_the_way_is_named_and_nothing_is_copied(tmp_path, cli, in_the_way, kind,
                                                             force):
    target = tmp_path / "mine"
    path = target / in_the_way.rstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    if in_the_way.endswith("/"):
        path.mkdir()
    else:
        path.write_text("mine\n")
    before = files_under(target)
    err = refused(cli, ["examples", str(target), *(["--force"] if force else [])],
                  f"{path.as_posix()} is in the way: {kind}")
    assert "Errno" not in err
    assert files_under(target) == before                      # no partial copy


def test_dir_itself_may_be_a_link_to_a_folder_but_not_to_nothing(tmp_path, cli):
    real, link = tmp_path / "real", tmp_path / "link"
    real.mkdir()
    link.symlink_to(real, target_is_directory=True)
    code, _, err = cli(["examples", str(link)])
    assert code == 0, err
    assert files_under(real) == BUNDLED
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    refused(cli, ["examples", str(dangling)], "is a symbolic link to no folder")
    assert not (tmp_path / "nowhere").exists()


def test_force_replaces_a_file_and_leaves_its_other_names_alone(tmp_path, cli):
    # a hard link is another name of the same file: replaced, not written through
    target, mine = tmp_path / "mine", tmp_path / "my-services.csv"
    target.mkdir()
    mine.write_text("my own table\n")
    os.link(mine, target / "services.csv")
    code, out, err = cli(["examples", str(target), "--force"])
    assert code == 0, err
    assert "replaced" in out and mine.read_text() == "my own table\n"
    assert (target / "services.csv").read_bytes() == \
        data_path("examples/services.csv").read_bytes()
    assert not [p for p in target.rglob("*") if p.name.endswith(".tmp")]   # no leftovers


def test_a_failed_write_is_one_line_naming_the_path(tmp_path, cli, monkeypatch):
    # the disk fills up at the third file: one line naming it, no raw errno, no temporary
    target = tmp_path / "mine"
    calls = []
    real_fsync = os.fsync

    def full(fd):
        calls.append(fd)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real_fsync(fd)
    monkeypatch.setattr(os, "fsync", full)
    code, out, err = cli(["examples", str(target)])
    assert code == 2 and err.count("\n") == 1 and "Errno" not in err
    assert "cannot write it (No space left on device)" in err
    failed = err.split("examples: ", 1)[1].split(": cannot write", 1)[0]
    assert failed.startswith(target.as_posix()) and not os.path.lexists(failed)
    written = [line.removeprefix(f"wrote {target.as_posix()}/") for line in out.splitlines()]
    assert len(written) == 2 and files_under(target) == sorted(written)   # whole files only
