"""The top level (:mod:`plcapacity.cli.main`): one-line errors and exit codes for every
command, --version and --help, the installed ``plcapacity`` command and
``python -m plcapacity.cli``."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from plcapacity import __version__
from plcapacity.cli.main import COMMANDS


@pytest.mark.parametrize("argv, message", [
    (["ceiling", "--nat-ips", "9", "--vms", "2"], "nat_ips=9 is not allowed"),
    (["ceiling", "--nat-ips", "2,9", "--vms", "2"], "nat_ips=9 at position 1 is not allowed"),
    (["ceiling", "--nat-ips", "a-b", "--vms", "2"], "is not a list of whole numbers"),
    (["ceiling", "--vms", "2", "--format", "xml"], "invalid choice: 'xml'"),
    (["ceiling"], "the following arguments are required: --vms"),
    (["size", "lots"], "'lots' is not a number"),
    (["size", "100", "--headroom", "-1"], "headroom=-1 is not allowed"),
    (["size", "100", "--new-connections-per-s", "1e309"], "'1e309' is not a finite number"),
    (["size", "100", "--ports-per-nat-ip", "1e-300"], "ports_per_nat_ip=1e-300 is not allowed"),
    (["size", "100", "--top", "0"], "'0' is not allowed: a whole number from 1 to 9,007,199,254,740,991"),
    (["ceiling", "--nat-ips", "8-1", "--vms", "2"], "the range 8-1 runs backwards"),
    (["ceiling", "--nat-ips", "1", "--vms", "1-99999999999999999999"], "more than 100,000"),
    (["simulate", "no-such.toml"], "no-such.toml: no such deployment file"),
    (["simulate", "x.toml", "--trials", "0"], "'0' is not allowed"),
    (["exact"], "the following arguments are required: deployment"),
    (["size"], "give either CONCURRENT_CONNECTIONS or --input TABLE"),
    (["size", "--input", "no-such-file.csv"], "no-such-file.csv: no such table"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_bad_input_is_one_line_exit_2(argv, message, cli):
    code, out, err = cli(argv)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("argv", [
    ["size", "100", "--headroom", "x"],            # argparse's own error, in a subcommand
    ["frobnicate"],                                # argparse's error, top level
    ["batch"],                                     # a command's own usage error
    ["batch", "x.csv", "-o", "x.txt"],
    ["report", "x.csv", "-o", "x.pdf"],
    ["ceiling", "--nat-ips", "9", "--vms", "2"],   # a library error
])
def test_error_lines_start_with_the_prefix_once(argv, cli):
    code, _, err = cli(argv)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("plcapacity: error: ")
    assert err.count("plcapacity:") == 1 and "plcapacity: error: plcapacity" not in err


def test_version_and_help(cli):
    code, out, _ = cli(["--version"])
    assert code == 0 and out.strip() == f"plcapacity {__version__}"
    for command in ("ceiling", "size"):
        code, out, _ = cli([command, "--help"])
        assert code == 0 and "--format" in out


def test_installed_command_runs():
    beside = Path(sys.executable).with_name("plcapacity")  # this environment's own command
    exe = str(beside) if beside.exists() else shutil.which("plcapacity")
    done = subprocess.run([exe, "ceiling", "--nat-ips", "8", "--vms", "10", "--format", "csv"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "5120000" in done.stdout
    done = subprocess.run([exe, "ceiling", "--nat-ips", "0", "--vms", "10"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1


def test_every_command_module_is_registered_in_order(cli):
    code, out, _ = cli(["--help"])
    assert code == 0
    listed = [command.NAME for command in COMMANDS]
    assert listed == ["ceiling", "size", "plan", "simulate", "exact", "batch", "report", "fit-outages",
                      "estate", "examples"]
    positions = [re.search(rf"^ +{name}\s", out, re.MULTILINE).start() for name in listed]
    assert positions == sorted(positions)


def test_no_command_prints_the_help_and_exits_2(cli):
    code, out, err = cli([])
    assert code == 2 and out.startswith("usage: plcapacity") and err == ""


def test_internal_errors_are_one_line_and_debug_shows_the_traceback(cli, monkeypatch):
    from plcapacity.cli import ceiling

    def broken(args, out, err):
        raise RuntimeError("boom")
    monkeypatch.setattr(ceiling, "run", broken)
    code, _, err = cli(["ceiling", "--vms", "2"])
    assert code == 3 and err.count("\n") == 1
    assert err.startswith("plcapacity: internal error (RuntimeError: boom)")
    code, _, err = cli(["--debug", "ceiling", "--vms", "2"])
    assert code == 3 and "Traceback" in err and "RuntimeError: boom" in err


def test_an_interrupt_is_one_line_exit_130(cli, monkeypatch):
    from plcapacity.cli import size

    def interrupted(args, out, err):
        raise KeyboardInterrupt
    monkeypatch.setattr(size, "run", interrupted)
    code, _, err = cli(["size", "100"])
    assert code == 130 and err == "plcapacity: interrupted\n"


def test_python_dash_m_runs_the_command_line():
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(root), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, "-m", "plcapacity.cli", "--version"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == f"plcapacity {__version__}"


def _loaded_after(argv):
    """The heavy libraries loaded by running ``plcapacity ARGV`` in a fresh interpreter."""
    import subprocess
    import sys
    probe = ("import sys\nfrom plcapacity.cli import main\ntry:\n    main(%r)\n"
             "except SystemExit:\n    pass\n"
             "print(sorted(m for m in ('pandas', 'numpy', 'scipy', 'matplotlib', "
             "'importlib.metadata') if m in sys.modules))") % (argv,)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("argv", [["--help"], ["size", "--help"], ["batch", "--help"],
                                  ["estate", "--help"], ["size", "--bogus"]],
                         ids=["help", "size-help", "batch-help", "estate-help", "bad-flag"])
def test_help_and_argument_errors_do_not_wait_for_the_data_stack(argv):
    assert _loaded_after(argv) == "[]"


def test_version_is_read_when_asked_for(cli):
    code, out, _ = cli(["--version"])
    assert code == 0 and out == f"plcapacity {__version__}\n"


def test_months_to_full_read_never_on_the_terminal_as_in_the_report():
    import pandas as pd

    from plcapacity.cli.output import format_table
    text = format_table(pd.DataFrame({"months_to_ceiling": [float("inf"), 12.345, float("nan")]}))
    assert text.split() == ["months_to_ceiling", "never", "12.3", "-"]
