"""HTML building blocks: figures as embedded PNGs, escaped and formatted tables, the style
sheet, the template environment (escaping, strict), CSV downloads and the assumptions
table."""

import base64
import struct

import matplotlib

matplotlib.use("Agg")

import jinja2  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import plcapacity as plc  # noqa: E402
from plcapacity.report.html import (  # noqa: E402
    USED_REFERENCE,
    assumptions,
    csv_data_uri,
    figure_data_uri,
    format_cell,
    html_table,
    is_missing,
    markup,
    page_style,
    template_environment,
)


def _png_size(uri):
    png = base64.b64decode(uri.split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])  # IHDR: width, height


def test_a_figure_becomes_a_png_data_uri_and_is_closed():
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    uri = figure_data_uri(ax)  # an Axes stands for its figure
    assert uri.startswith("data:image/png;base64,")
    assert not plt.fignum_exists(fig.number)
    small = _png_size(uri)
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    large = _png_size(figure_data_uri(fig, dpi=220))
    # twice the dots per inch: twice the pixels each way (to a pixel, the bounding box
    # being tight)
    assert large[0] == pytest.approx(2 * small[0], abs=3)
    assert large[1] == pytest.approx(2 * small[1], abs=3)


@pytest.mark.parametrize("value, missing", [
    (None, True), (pd.NA, True), ("", True), ("   ", True), (float("nan"), True),
    (np.float32("nan"), True), (0, False), (0.0, False), ("nan", False), ("x", False),
    (False, False), ([1], False),
])
def test_is_missing(value, missing):
    assert is_missing(value) is missing


@pytest.mark.parametrize("value, fmt, text", [
    (None, None, "-"), (np.nan, "{:.2f}".format, "-"), ("as written", None, "as written"),
    (0.5, "{:.0%}".format, "50%"), (True, None, "yes"), (np.bool_(False), None, "no"),
    (1_234_567, None, "1,234,567"), (np.int64(-3_000), None, "-3,000"),
    (2_500_000.0, None, "2,500,000"), (0.123456, None, "0.1235"), (1_234.5678, None, "1,235"),
])
def test_format_cell(value, fmt, text):
    assert format_cell(value, fmt) == text


def test_tables_escape_every_cell_and_header_and_mark_bad_rows():
    frame = pd.DataFrame({"service": ["<script>x</script>", "ok & fine"],
                          "ceiling": [5_120_000, np.nan], "why": ["a <long> note", ""],
                          "<th>": ["x", "y"]})
    html = html_table(frame, {"ceiling": "{:,}".format}, bad=[True, False],
                      labels={"why": "Why?"}, uuid="t1")
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "ok &amp; fine" in html and "&lt;th&gt;" in html and "a &lt;long&gt; note" in html
    assert "5,120,000" in html and ">-<" in html  # formatted; missing shown as "-"
    assert ">Why?<" in html and 'id="T_t1"' in html
    assert 'class="data"' in html and "<style" not in html  # no empty style block
    # formatted numbers right-aligned (num), sentences wide (text long), other text plain;
    # every cell of the bad first row marked, none of the second
    assert 'id="T_t1_row0_col0" class="data row0 col0 text bad"' in html
    assert 'id="T_t1_row0_col1" class="data row0 col1 num bad"' in html
    assert 'id="T_t1_row0_col2" class="data row0 col2 text long bad"' in html
    assert 'id="T_t1_row1_col1" class="data row1 col1 num"' in html
    assert html.count(" bad\"") == 4


def test_the_style_sheet_is_read_once():
    css = page_style()
    assert css.startswith("/* The style of plcapacity's HTML pages")
    assert "table.data {" in css  # the class html_table gives its tables
    assert page_style() is css


def test_templates_escape_values_and_refuse_undefined_names():
    environment = template_environment()
    template = environment.from_string("<p>{{ name }}</p>{{ table }}")
    text = template.render(name="<b>x</b>", table=markup("<table></table>"))
    assert text == "<p>&lt;b&gt;x&lt;/b&gt;</p><table></table>"  # markup: already escaped
    with pytest.raises(jinja2.UndefinedError):
        template.render(name="x")
    assert environment.get_template("batch_report.html.j2") is not None


def test_csv_data_uri_carries_the_table_and_its_size():
    frame = pd.DataFrame({"service": ["a", "b,c"], "n": [1, 2]})
    uri, size = csv_data_uri(frame)
    assert uri.startswith("data:text/csv;base64,")
    data = base64.b64decode(uri.split(",", 1)[1])
    assert data.decode("utf-8") == 'service,n\na,1\n"b,c",2\n'
    assert size == len(data)


def test_assumptions_list_the_reference_values_used_with_overrides():
    table = assumptions()
    assert table["name"].tolist() == list(USED_REFERENCE)
    assert list(table.columns) == ["name", "value", "unit", "scope", "uncertain", "source",
                                   "as_of", "note"]
    assert set(table["uncertain"]) <= {"yes", "no"}
    values = table.set_index("name")["value"]
    assert values["ports_per_nat_ip"] == 64_000 and values["vm_nic_concurrent_flows"] == 500_000
    overridden = assumptions(plc.get_limits(ports_per_nat_ip=65_536)).set_index("name")
    assert overridden.loc["ports_per_nat_ip", "value"] == 65_536
    assert overridden.loc["pe_per_pls", "value"] == values["pe_per_pls"]


def test_figure_too_crowded_for_its_layout_is_saved_without_a_warning():
    """Legible text at page width can collapse a constrained layout: the figure is then
    drawn cropped, and matplotlib's warning never reaches the user."""
    import base64
    import warnings

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from plcapacity.report.html import figure_data_uri

    fig, ax = plt.subplots(figsize=(11, 0.9), layout="constrained")
    ax.set_title("a title long enough to crowd the layout " * 2, fontsize=22)
    ax.set_xlabel("demand [connections]", fontsize=22)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        uri = figure_data_uri(ax)
    png = base64.b64decode(uri.split(",", 1)[1])
    assert png.startswith(b"\x89PNG") and len(png) > 1_000


def test_csv_data_uri_neutralizes_formulas_as_every_csv_the_package_writes():
    import base64

    import pandas as pd
    frame = pd.DataFrame({"service": ['=HYPERLINK("http://x","y")', "@SUM(A1)", "+cmd", "ok"],
                          "value": [-1, 2, 3, 4]})
    uri, _ = csv_data_uri(frame)
    text = base64.b64decode(uri.split(",", 1)[1]).decode("utf-8").splitlines()
    assert text[1].startswith("\"'=HYPERLINK(") and text[2] == "'@SUM(A1),2"
    assert text[3] == "'+cmd,3" and text[4] == "ok,4" and text[1].endswith(",-1")
