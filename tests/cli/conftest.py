"""The ``cli`` fixture: ``main([...])`` called as a user would, its output captured."""

import pytest

from plcapacity.cli import main


@pytest.fixture
def cli(capsys):
    """A function ``argv -> (exit code, stdout, stderr)`` running :func:`plcapacity.cli.main`."""
    def run(argv):
        code = main(argv)
        captured = capsys.readouterr()
        return code, captured.out, captured.err
    return run
