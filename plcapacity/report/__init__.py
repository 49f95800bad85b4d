"""Report: the building blocks of plcapacity's pictures and pages. It knows tables, not the
batch or the estate that build pages from it.

- :mod:`~plcapacity.report.plotting` — one function per picture (``ax=None`` in, the Axes
  out): ceilings, ports, hashing, downtime, SLO misses, batch overviews;
- :mod:`~plcapacity.report.figures` — helpers every picture shares;
- :mod:`~plcapacity.report.html` — pages: :func:`figure_data_uri`, :func:`html_table`,
  :func:`assumptions`, the shared style sheet and the Jinja2 environment over
  ``templates/``.

Depends on the base, capacity, outages and availability.
"""

from plcapacity.base.deprecation import warn_deprecated
from plcapacity.report.html import assumptions, figure_data_uri, html_table, page_style

__all__ = ["figure_data_uri", "html_table", "assumptions", "page_style"]

#: Names of 0.1's flat ``plcapacity.report`` module that moved to the batch family.
_MOVED_TO_BATCH = ("batch_report", "write_report", "limits_at_risk", "readable",
                   "uncertainties", "glossary", "capacity_shortfall", "report_inputs",
                   "results_table")


def __getattr__(name):
    # A deprecation shim, not a dependency: the name is looked up by string, once, for code
    # written against 0.1 (removed in 0.3.0).
    if name in _MOVED_TO_BATCH:
        import importlib
        warn_deprecated(f"plcapacity.report.{name}", since="0.2.0", removal="0.3.0",
                        alternative=f"plcapacity.{name}" if name in (
                            "batch_report", "write_report", "limits_at_risk")
                        else f"plcapacity.batch.report.{name}")
        return getattr(importlib.import_module("plcapacity.batch.report"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
