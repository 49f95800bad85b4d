"""Shared fixtures: a fixed seed for any test that draws random numbers, and ``cli``: the
command line's ``main([...])`` called as a user would, its output captured."""

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(20261126)


@pytest.fixture
def cli(capsys):
    """A function ``argv -> (exit code, stdout, stderr)`` running :func:`plcapacity.cli.main`."""
    from plcapacity.cli import main

    def run(argv):
        code = main(argv)
        captured = capsys.readouterr()
        return code, captured.out, captured.err
    return run
