"""One way to deprecate: the shared sentence, the warning, and module aliases that are the
new modules themselves."""

import importlib
import importlib.util
import sys
import warnings

import pytest

import plcapacity
from plcapacity.base.deprecation import (
    deprecation_message,
    install_module_aliases,
    warn_deprecated,
)


def test_the_sentence_says_since_when_until_when_and_what_instead():
    assert deprecation_message("plcapacity.x", since="0.2.0", removal="0.3.0",
                               alternative="plcapacity.y") == (
        "plcapacity.x is deprecated since 0.2.0 and will be removed in 0.3.0; use "
        "plcapacity.y instead")
    assert deprecation_message("old_name", since="1.0", removal="2.0") == (
        "old_name is deprecated since 1.0 and will be removed in 2.0")


def test_the_warning_is_a_deprecation_warning_at_the_callers_line():
    def deprecated_function():
        warn_deprecated("f", since="0.2.0", removal="0.3.0", alternative="g", stacklevel=3)

    def user_code():
        deprecated_function()  # the user's call: the warning points here

    with pytest.warns(DeprecationWarning) as caught:
        user_code()
    (warning,) = caught
    assert str(warning.message) == ("f is deprecated since 0.2.0 and will be removed in "
                                    "0.3.0; use g instead")
    assert warning.filename == __file__
    assert warning.lineno == user_code.__code__.co_firstlineno + 1


def test_an_alias_is_the_target_module_and_warns_once_per_import():
    old, new = "plcapacity.test_only_old_name", "plcapacity.base.tables"
    install_module_aliases({old: new}, since="0.2.0", removal="0.3.0")
    try:
        with pytest.warns(DeprecationWarning, match=f"^{old} is deprecated since 0.2.0 and will "
                                                    f"be removed in 0.3.0; use {new} instead$"):
            module = importlib.import_module(old)
        assert module is importlib.import_module(new)  # patching one patches the other
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert importlib.import_module(old) is module  # imported once: no second warning
    finally:
        sys.modules.pop(old, None)


def test_a_plain_alias_is_silent():
    old = "plcapacity.test_only_plain_alias"
    install_module_aliases({old: "plcapacity.base.sla"})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert importlib.import_module(old) is importlib.import_module(
                "plcapacity.base.sla")
    finally:
        sys.modules.pop(old, None)


def test_the_package_aliases_its_old_flat_modules_to_modules_that_exist():
    assert plcapacity.MOVED_MODULES["plcapacity.sizing"] == "plcapacity.capacity.sizing"
    for old, new in plcapacity.MOVED_MODULES.items():
        assert old.count(".") == 1, old  # the flat names of plcapacity 0.1
        assert importlib.util.find_spec(new) is not None, new
