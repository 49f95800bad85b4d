"""The two tiers of the suite (see the Makefile): ``make check`` runs what is not marked slow,
``make slow`` what is. A random sweep runs a sample of its cases in the fast tier and all of
them in the slow tier, so the fast tier still covers each kind of case."""

import pytest


def sweep(values, fast_every):
    """``values`` as parameters: every ``fast_every``-th in the fast tier, the others slow."""
    return [value if i % fast_every == 0 else pytest.param(value, marks=pytest.mark.slow)
            for i, value in enumerate(values)]
