"""The package's version: the installed distribution's, or a marker without an install."""

import importlib.metadata
import runpy

import plcapacity
from plcapacity.base import version


def test_the_version_is_the_installed_distributions():
    try:
        installed = importlib.metadata.version("plcapacity")
    except importlib.metadata.PackageNotFoundError:
        installed = "0.0.0+unknown"
    assert version.__version__ == installed
    assert plcapacity.__version__ == version.__version__


def test_without_an_install_the_version_says_unknown(monkeypatch):
    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    namespace = runpy.run_path(version.__file__)
    assert namespace["__version__"] == "0.0.0+unknown"
