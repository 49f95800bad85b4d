"""Figure helpers every picture shares: compact numbers, literal text, a new Axes when none
is given, thousands separators on an axis."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from plcapacity.report.figures import (  # noqa: E402
    axes_or_new,
    compact_number,
    literal_text,
    thousands_axis,
)


@pytest.mark.parametrize("value, text", [
    (1_280_000, "1.28M"), (5_120_000, "5.12M"), (64_000, "64k"), (1_000, "1k"),
    (999, "999"), (0, "0"), (12_345, "12.3k"), (2.5e9, "2.5G"), (20_480_000_000, "20.5G"),
    (-1_500, "-1.5k"), (0.4, "0"),
])
def test_compact_number(value, text):
    assert compact_number(value) == text


def test_literal_text_keeps_dollar_signs_out_of_mathtext():
    assert literal_text("cost $5 to $7") == r"cost \$5 to \$7"
    assert literal_text(42) == "42"
    fig, ax = plt.subplots()
    label = ax.set_title(literal_text("$x$"))
    fig.canvas.draw()  # drawn as written: no math parsing error, the dollars shown
    assert label.get_text() == r"\$x\$"
    plt.close(fig)


def test_axes_or_new_uses_the_given_axes_or_makes_one():
    fig, ax = plt.subplots()
    assert axes_or_new(ax) is ax
    new = axes_or_new(None)
    assert new is not ax
    assert tuple(new.figure.get_size_inches()) == pytest.approx((6.4, 4.2))
    assert new.figure.get_layout_engine() is not None  # constrained: labels fit
    assert tuple(axes_or_new(None, figsize=(3, 2)).figure.get_size_inches()) == (3, 2)
    plt.close("all")


def test_thousands_axis_writes_separators():
    fig, ax = plt.subplots()
    thousands_axis(ax.yaxis)
    formatter = ax.yaxis.get_major_formatter()
    assert formatter(1_234_567, 0) == "1,234,567"
    assert formatter(2_500.4, 0) == "2,500"
    plt.close(fig)
