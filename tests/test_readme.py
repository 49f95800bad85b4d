"""The README as a user meets it: every ``$ plcapacity ...`` block is run and its output
compared with what the README shows (exactly: random figures come from fixed seeds), every
Python block is run as a doctest (blocks in order, sharing their names, as a reader types
them), every TOML block parses, and every other block that names a command says why it is
not run.

Markers, an HTML comment on the line before a block (invisible on GitHub):

- ``<!-- readme-test: not run (why) -->``: a block that needs a cluster address, a browser,
  JupyterLab or the set-up itself;
- ``<!-- readme-test: abridged (...) -->``: a command block that shows some lines of the
  output (``...`` for the rest): those lines must appear in the output, in that order.

``docs/make_readme.py`` regenerates the full outputs (and leaves abridged blocks alone).
"""

from __future__ import annotations

import doctest
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"^```([a-z]*)\n(.*?)^```$", re.S | re.M)
MARKER = re.compile(r"<!-- readme-test: (not run|abridged) \(([^)]*)\) -->\n$")


def blocks():
    """``(kind, text, marker, reason, line)`` of every fenced block of the README."""
    text = README.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        before = text[:match.start()]
        marker = MARKER.search(before[-200:]) if before.endswith("-->\n") else None
        found.append((match.group(1), match.group(2), marker and marker.group(1),
                      marker and marker.group(2), before.count("\n") + 1))
    return found


def command_blocks():
    return [(text, marker, line) for kind, text, marker, _, line in blocks()
            if kind == "" and text.startswith("$ plcapacity ")]


def run_shown(command, cwd):
    """What the README's command prints (stdout, then stderr), run as the README says from a
    folder where ``data/`` is the repository's."""
    argv = shlex.split(command)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-m", "plcapacity", *argv[1:]], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=1800)
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readme")
    (folder / "data").symlink_to(ROOT / "data", target_is_directory=True)
    return folder


@pytest.mark.parametrize("text, marker, line", command_blocks(),
                         ids=lambda v: v.split("\n", 1)[0][2:60] if isinstance(v, str) else "")
def test_every_command_block_prints_what_the_readme_shows(workdir, text, marker, line):
    command, shown = text.split("\n", 1)
    output = run_shown(command[2:], workdir)
    if marker == "abridged":
        wanted = [s for s in shown.splitlines() if s.strip() != "..."]
        lines = iter(output.splitlines())
        missing = [s for s in wanted if not any(s == got for got in lines)]
        assert not missing, f"README line {line}: not in the output, in order: {missing}"
    else:
        assert output == shown, f"README line {line}: {command} prints something else " \
                                "(python docs/make_readme.py regenerates it)"


def test_every_python_block_runs_as_shown(monkeypatch):
    """All Python blocks, in order, one namespace: the outputs shown are the outputs."""
    import warnings
    monkeypatch.chdir(ROOT)
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    names = {}
    ran = 0
    for kind, text, marker, _, line in blocks():
        if kind != "python" or marker == "not run":
            continue
        assert ">>> " in text, f"README line {line}: a Python block without >>> examples"
        test = parser.get_doctest(text, names, f"README.md:{line}", str(README), line)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # warnings go to stderr; the README shows stdout
            result = runner.run(test, clear_globs=False)
        assert result.failed == 0, f"README line {line}: see the doctest report above"
        names = test.globs
        ran += result.attempted
    assert ran >= 20


def test_every_toml_block_parses():
    for kind, text, _, _, line in blocks():
        if kind == "toml":
            tomllib.loads(text)  # raises naming the line within the block


def test_blocks_not_run_say_why_and_nothing_else_escapes():
    """A block that names a command and is not compared says why (a cluster, a browser,
    JupyterLab, the set-up); a command block carries its output."""
    for kind, text, marker, reason, line in blocks():
        names_command = re.search(r"\b(plcapacity|jupyter|make)\b", text) and kind in ("bash",
                                                                                        "sh")
        if kind == "python" and marker == "not run" or names_command:
            assert marker == "not run" and reason, f"README line {line}: say why it is not run"
        if kind == "" and text.startswith("$ "):
            assert text.startswith("$ plcapacity "), f"README line {line}: only plcapacity"
            assert text.count("\n") > 1 or marker, f"README line {line}: no output shown"


def test_make_run_is_the_command_whose_output_the_readme_shows():
    recipe = re.search(r"^run:.*\n\t\$\(BIN\)/(plcapacity [^\n]*)", (ROOT / "Makefile").read_text(),
                       re.M).group(1)
    shown = [text.split("\n", 1)[0][2:] for text, _, _ in command_blocks()]
    assert recipe in shown, (recipe, shown)
    assert f"`{recipe}`" in README.read_text(encoding="utf-8")
    assert "make check" in README.read_text(encoding="utf-8")
