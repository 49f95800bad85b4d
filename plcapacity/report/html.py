"""HTML building blocks for plcapacity's pages: figures as embeddable PNGs, escaped tables,
the shared style sheet and the template environment."""

from __future__ import annotations

import base64
import functools
import io
import re

import numpy as np
import pandas as pd

from plcapacity.base.limits import get_limits, limits_table, pricing

__all__ = ["csv_data_uri", "figure_data_uri", "fit_for_pages", "PAGE_FIGURE_WIDTH_IN",
           "MIN_FIGURE_FONT_PT", "PHONE_CONTENT_PX", "format_cell", "html_table", "is_missing", "markup",
           "page_style", "template_environment", "assumptions",
           "USED_REFERENCE"]


#: Widest figure on a page: the PNG is at most this wide, so that on a 390 px phone (358 px
#: inside the page's margins) it is scaled by no less than 358 / (5 x 110) = 0.65. [in]
PAGE_FIGURE_WIDTH_IN = 5.0
#: Smallest text in a figure on a page: 9.5 pt at 110 dpi, scaled by 0.65, is 9.4 px on that
#: phone (an 8 pt label would be 7.9 px, a 7 pt one 6.9 px). [pt]
MIN_FIGURE_FONT_PT = 9.5
#: Width inside the page's margins on a 390 px phone (1 em of padding each side). [px]
PHONE_CONTENT_PX = 358


def fit_for_pages(figure):
    """Make a figure legible on a page at any width: at most :data:`PAGE_FIGURE_WIDTH_IN`
    wide (its height kept) and no text under :data:`MIN_FIGURE_FONT_PT`, so that scaled to a
    390 px phone its smallest text is still about 9 px.

    Parameters
    ----------
    figure : matplotlib.figure.Figure

    Returns
    -------
    matplotlib.figure.Figure
        The same figure, changed in place.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(7.2, 4.2), layout="constrained")
    >>> _ = ax.set_title("x", fontsize=7)
    >>> fig = fit_for_pages(fig)
    >>> float(fig.get_figwidth()), float(ax.title.get_fontsize())
    (5.0, 9.5)
    >>> plt.close(fig)
    """
    from matplotlib.text import Text
    width, height = figure.get_size_inches()
    if width > PAGE_FIGURE_WIDTH_IN:
        figure.set_size_inches(PAGE_FIGURE_WIDTH_IN, height)
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for which in ("major", "minor"):
                ticks = axis.get_major_ticks() if which == "major" else axis.get_minor_ticks()
                size = ticks[0].label1.get_fontsize() if ticks else MIN_FIGURE_FONT_PT
                if size < MIN_FIGURE_FONT_PT:
                    axis.set_tick_params(which=which, labelsize=MIN_FIGURE_FONT_PT)
    for text in figure.findobj(Text):
        if text.get_fontsize() < MIN_FIGURE_FONT_PT:
            text.set_fontsize(MIN_FIGURE_FONT_PT)
    return figure


def figure_data_uri(figure_or_axes, *, dpi=110) -> str:
    """A matplotlib figure (or its Axes) as a ``data:image/png;base64,...`` URI; closes it.

    The figure is first made legible on a phone (:func:`fit_for_pages`). A figure with a
    layout engine (plcapacity's figures are drawn with ``layout="constrained"``) is saved at
    its size; any other is cropped to what it drew.

    Parameters
    ----------
    figure_or_axes : matplotlib.figure.Figure or matplotlib.axes.Axes
        The picture (an Axes stands for its figure). It is closed afterwards.
    dpi : int, default 110
        Resolution of the PNG. [dots per inch]

    Returns
    -------
    str
        ``data:image/png;base64,...``, for an ``<img src=...>`` of a self-contained page.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from plcapacity.report import figure_data_uri
    >>> fig, ax = plt.subplots(figsize=(1, 1))
    >>> figure_data_uri(ax)[:22]
    'data:image/png;base64,'
    """
    import warnings

    import matplotlib.pyplot as plt
    figure = fit_for_pages(getattr(figure_or_axes, "figure", figure_or_axes))
    buffer = io.BytesIO()
    tight = None if figure.get_layout_engine() is not None else "tight"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.savefig(buffer, format="png", dpi=dpi, bbox_inches=tight)
    if any("constrained_layout not applied" in str(w.message) for w in caught):
        # the legible text no longer fits the layout at page width: draw it without the
        # layout engine, cropped to what it drew, rather than print matplotlib's warning
        figure.set_layout_engine("none")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    else:
        for warning in caught:  # anything else is the caller's to see
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def is_missing(value) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(np.isnan(value))
    except TypeError:
        return False


def format_cell(value, fmt):
    if is_missing(value):
        return "-"
    if isinstance(value, str):
        return value  # already worded
    if fmt is not None:
        return fmt(value)
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{value:,}"
    if isinstance(value, (float, np.floating)):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"
    return str(value)


#: Columns of sentences, given more width than short text. [-]
_LONG_TEXT = ("why", "availability_note", "note", "warning")


_EMPTY_STYLE = re.compile(r'^\s*<style type="text/css">\s*</style>\s*')


def html_table(frame: pd.DataFrame, formats=None, *, bad=None, labels=None, uuid=None,
               numeric=None) -> str:
    """An HTML table of ``frame`` through :class:`~pandas.io.formats.style.Styler`.

    Every cell and header is HTML-escaped (``escape="html"``); cells are formatted to text
    first, so a formatter's output is escaped too.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows to show (the index is not shown).
    formats : dict, optional
        Column name to a function from value to text; missing values show as ``-``.
    bad : array-like of bool, optional
        Rows to highlight (CSS class ``bad``).
    labels : dict, optional
        Column name to the header shown (default: the name).
    uuid : str, optional
        Id prefix of the table (default: random).
    numeric : sequence of str, optional
        Columns of text to right-align like numbers (numeric columns and formatted columns
        are right-aligned anyway; other text is left-aligned).

    Returns
    -------
    str
        ``<table>`` markup.

    Examples
    --------
    >>> import pandas as pd
    >>> from plcapacity.report import html_table
    >>> html = html_table(pd.DataFrame({"service": ["<b>x</b>"], "ceiling": [5_120_000]}),
    ...                   {"ceiling": "{:,}".format}, uuid="t")
    >>> "&lt;b&gt;x&lt;/b&gt;" in html, "5,120,000" in html     # escaped; formatted
    (True, True)
    """
    formats = formats or {}
    labels = labels or {}
    shown = pd.DataFrame({column: [format_cell(v, formats.get(column)) for v in frame[column]]
                          for column in frame.columns}, index=range(len(frame)))
    shown.columns = [str(labels.get(c, c)) for c in frame.columns]
    numeric = set(numeric or ()) | set(formats)
    kinds = ["num" if c in numeric or pd.api.types.is_numeric_dtype(frame[c]) else
             "text long" if c in _LONG_TEXT else "text" for c in frame.columns]
    marks = np.broadcast_to(np.asarray(bad, dtype=bool) if bad is not None else False,
                            (len(frame),))
    classes = pd.DataFrame([[kind + (" bad" if mark else "") for kind in kinds]
                            for mark in marks], index=shown.index, columns=shown.columns)
    styler = (shown.style.format(escape="html").format_index(escape="html", axis=1)
              .hide(axis="index").set_td_classes(classes)
              .set_table_attributes('class="data"'))
    if uuid is not None:
        styler = styler.set_uuid(uuid)
    return _EMPTY_STYLE.sub("", styler.to_html())


@functools.lru_cache(maxsize=1)
def page_style() -> str:
    """The CSS of plcapacity's HTML pages (``templates/report.css``), for pages built
    elsewhere (such as the estate review) to look the same."""
    from importlib import resources
    return (resources.files("plcapacity.report") / "templates" / "report.css").read_text("utf-8")


def template_environment():
    import jinja2
    return jinja2.Environment(loader=jinja2.PackageLoader("plcapacity.report", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)


def markup(text):
    from markupsafe import Markup
    return Markup(text)  # output of html_table: every value in it is already escaped


def csv_data_uri(frame):
    """A table as a ``data:text/csv`` link (and its size in bytes), text cells neutralized
    against spreadsheet formulas as every CSV the package writes
    (:func:`plcapacity.base.tables.neutralize_formulas`)."""
    from plcapacity.base.tables import neutralize_formulas
    data = neutralize_formulas(frame).to_csv(index=False).encode("utf-8")
    return "data:text/csv;base64," + base64.b64encode(data).decode("ascii"), len(data)


#: The limits and prices the sizing reads, in the order the assumptions table lists them.
USED_REFERENCE = ("ports_per_nat_ip", "nat_ips_per_pls", "pls_per_load_balancer", "pe_per_pls",
                  "backend_pool_size", "vm_nic_concurrent_flows", "default_port_hold_s",
                  "private_endpoint_hour_usd", "hours_per_month")


def assumptions(limits=None) -> pd.DataFrame:
    """The reference values a run relies on, with unit, source and whether it is uncertain.

    Read from ``data/azure_limits.csv`` and ``data/pricing.csv`` (``value`` is the value used,
    after any override in ``limits``); ``uncertain`` is ``"yes"`` or ``"no"``.

    Parameters
    ----------
    limits : Limits, optional
        The limits the run used (default: the reference values).

    Returns
    -------
    pandas.DataFrame
        ``name``, ``value`` (the value used, in ``unit``), ``unit``, ``scope``, ``uncertain``
        (``"yes"``/``"no"``), ``source`` (the Azure page), ``as_of`` and ``note``.

    References
    ----------
    .. [1] Azure subscription and service limits, Private Link (NAT IPs and PLS counts),
       https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#azure-private-link-limits
    .. [2] Azure Private Link FAQ (64k ports per NAT IP and backend VM),
       https://learn.microsoft.com/azure/private-link/private-link-faq
    .. [3] Azure Private Link pricing, https://azure.microsoft.com/pricing/details/private-link/

    Examples
    --------
    >>> import plcapacity as plc
    >>> from plcapacity.report import assumptions
    >>> table = assumptions(plc.get_limits(ports_per_nat_ip=65_536)).set_index("name")
    >>> float(table.loc["ports_per_nat_ip", "value"]), table.loc["ports_per_nat_ip", "uncertain"]
    (65536.0, 'yes')
    """
    lim = limits or get_limits()
    table = pd.concat([limits_table(), pricing()], ignore_index=True)
    table = table.set_index("name").loc[list(USED_REFERENCE)].reset_index()
    table["value"] = [lim[name] for name in table["name"]]
    table["uncertain"] = np.where(table["uncertain"].astype(bool), "yes", "no")
    table["scope"] = table["scope"].fillna("")
    table["note"] = table["note"].fillna("")
    return table[["name", "value", "unit", "scope", "uncertain", "source", "as_of", "note"]]
