"""Exceptions and warnings: what they are (so callers can catch them by kind), what they
carry, and how a usage error's message reads."""

import warnings

import pytest

import plcapacity as plc
from plcapacity.base import exceptions
from plcapacity.base.exceptions import (
    BatchInputError,
    CapacityWarning,
    CheckpointError,
    ExactOutOfReach,
    InfeasibleDemandError,
    ModelWarning,
    TableError,
    UsageError,
)


def test_every_error_about_values_is_a_value_error():
    for error in (InfeasibleDemandError, TableError, BatchInputError, CheckpointError,
                  ExactOutOfReach):
        assert issubclass(error, ValueError), error
    # a checkpoint is part of a batch's input, which is a table
    assert issubclass(CheckpointError, BatchInputError)
    assert issubclass(BatchInputError, TableError)
    # a usage error is the command line's, not a value error of the API
    assert not issubclass(UsageError, ValueError)


def test_warnings_can_be_filtered_by_kind():
    assert issubclass(CapacityWarning, UserWarning) and issubclass(ModelWarning, UserWarning)
    assert not issubclass(CapacityWarning, ModelWarning)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", CapacityWarning)
        warnings.warn("near a limit", CapacityWarning)
        warnings.warn("simplified", ModelWarning)
    assert [str(w.message) for w in caught] == ["simplified"]


def test_infeasible_demand_carries_the_limit_and_both_amounts():
    error = InfeasibleDemandError("too much", limit="backend_pool_size", required=6000,
                                  available=5000)
    assert str(error) == "too much"
    assert (error.limit, error.required, error.available) == ("backend_pool_size", 6000, 5000)
    with pytest.raises(plc.InfeasibleDemandError) as raised:
        plc.size(30_000_000_000)
    assert raised.value.required > raised.value.available


@pytest.mark.parametrize("message, shown", [
    ("plcapacity batch: no such table", "batch: no such table"),
    ("plcapacity: odd", "plcapacity: odd"),        # the program name alone is kept
    ("--trials must be a whole number", "--trials must be a whole number"),
    ("", ""),
])
def test_a_usage_error_drops_the_program_name_before_a_command(message, shown):
    assert str(UsageError(message)) == shown
    assert exceptions.PROGRAM_NAME == "plcapacity"


def test_the_package_exports_what_users_catch():
    for name in ("CapacityWarning", "InfeasibleDemandError", "ModelWarning",
                 "BatchInputError"):
        assert getattr(plc, name) is getattr(exceptions, name)
    assert set(exceptions.__all__) == {"CapacityWarning", "InfeasibleDemandError",
                                       "ModelWarning", "TableError", "BatchInputError",
                                       "CheckpointError", "UsageError", "ExactOutOfReach",
                                       "UnusualExport"}


def test_an_unusual_export_is_internal_not_a_value_error():
    # the estate's typed reader raises it to hand a file to the general reader; it must not
    # be caught as the ValueError users see for a bad file
    assert not issubclass(exceptions.UnusualExport, ValueError)
