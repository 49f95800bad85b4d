"""``plcapacity examples``: copying the bundled files, never overwriting unasked."""

import pandas as pd

from plcapacity.base.limits import data_path


def test_examples_copies_the_bundled_files(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bundled = sorted(p.relative_to(data_path("examples")).as_posix()
                     for p in data_path("examples").rglob("*") if p.is_file())
    assert "services.csv" in bundled and "estate/pls.json" in bundled
    code, out, err = cli(["examples"])
    assert code == 0 and err == ""
    target = tmp_path / "plcapacity-examples"
    copied = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert copied == bundled
    for name in bundled:
        assert f"wrote plcapacity-examples/{name}\n" in out
        assert (target / name).read_bytes() == (data_path("examples") / name).read_bytes()
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
