"""Input handling shared by the model functions: validation across block boundaries."""

import numpy as np
import pytest

from plcapacity.base.validation import Inputs, check_range


@pytest.mark.parametrize("position", [0, 65_535, 65_536, 199_999])
@pytest.mark.parametrize("bad, message", [(np.nan, "NaN"), (2.5, "2.5"), (9.0, "9"),
                                          (np.inf, "inf")])
def test_float_validation_finds_bad_value_in_any_block(position, bad, message):
    values = np.full(200_000, 4.0)
    values[position] = bad
    with pytest.raises(ValueError, match=f"x={message} at position {position} is not allowed"):
        check_range(Inputs(x=values), "x", 1, 8, integer=True)


def test_valid_float_and_int_arrays_pass():
    check_range(Inputs(x=np.arange(1.0, 9.0).repeat(30_000)), "x", 1, 8, integer=True)
    check_range(Inputs(x=np.arange(1, 9)), "x", 1, 8, integer=True)


def test_non_integer_allowed_when_not_required():
    check_range(Inputs(x=np.array([0.5, 1.5])), "x", 0, None)
    with pytest.raises(ValueError, match="x=0 at position 1 is not allowed: a number > 0"):
        check_range(Inputs(x=np.array([1.0, 0.0])), "x", 0, None, low_inclusive=False)


@pytest.mark.parametrize("value, shown", [
    (1_000_000, "1,000,000"), (2 ** 53 - 1, "9,007,199,254,740,991"), (2 ** 53, "9.007e+15"),
    (10 ** 300, "1e+300"), (1e300, "1e+300"), (3.0, "3"), (10 ** 400, "more than 1.798e+308"),
    (float("inf"), "inf")])
def test_count_text_never_shows_digits_a_float_lacks(value, shown):
    from plcapacity.base.validation import count_text
    assert count_text(value) == shown


def test_max_count_is_the_largest_exact_float_integer():
    from plcapacity.base.validation import MAX_COUNT
    assert all(int(float(n)) == n for n in range(MAX_COUNT - 3, MAX_COUNT + 2))
    assert int(float(MAX_COUNT + 2)) != MAX_COUNT + 2  # 2**53 + 1 is the first a float lacks


@pytest.mark.parametrize("value", [2 ** 53 + 1, 9007199254740993, 1e19, "1e19"])
def test_whole_numbers_beyond_what_a_float_holds_are_refused_with_the_bound(value):
    from plcapacity.base.validation import check_number
    with pytest.raises(ValueError, match=r"at most 9,007,199,254,740,991"):
        check_number(value, "backend_vms", 1, integer=True, text=True)
    assert check_number(2 ** 53 - 1, "n", 1, integer=True) == 2 ** 53 - 1
