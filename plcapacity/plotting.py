"""Pictures for capacity reviews: one function per picture, ``ax=None`` in, the Axes out.

Every function draws on the Axes it is given (or a new figure's), labels its axes with
units, and returns the Axes so that report authors can restyle or save it. matplotlib is
imported inside the functions, so importing :mod:`plcapacity` never needs a display.

This module gathers the pictures of every family (:mod:`plcapacity.report.plotting` for
capacity, availability and batch results; :mod:`plcapacity.estate.plots` for the estate;
:func:`plcapacity.planning.plan.plan_frontier` for a plan)
under the one name users know, ``plc.plotting``.

>>> import plcapacity.plotting as plots
>>> ax = plots.ceiling_heatmap(backend_vms=[2, 4, 8, 16])        # doctest: +SKIP
>>> ax.figure.savefig("ceilings.png")                            # doctest: +SKIP
"""

from plcapacity.estate.plots import estate_overview, nat_port_forecast
from plcapacity.planning.plan import plan_frontier
from plcapacity.report.plotting import (
                                        availability_vs_regions,
                                        batch_overview,
                                        ceiling_heatmap,
                                        ceiling_vs_demand,
                                        ceilings_vs_peaks,
                                        downtime_causes,
                                        downtime_cdf,
                                        downtime_histogram,
                                        effective_vs_nominal,
                                        monthly_slo_misses,
                                        ports_needed_by_rate,
                                        slo_risk_by_service,
                                        utilization_by_service,
)

__all__ = [
    "ceiling_heatmap", "ceiling_vs_demand", "ports_needed_by_rate", "effective_vs_nominal",
    "downtime_histogram", "downtime_cdf", "availability_vs_regions", "monthly_slo_misses",
    "downtime_causes", "batch_overview", "utilization_by_service", "slo_risk_by_service",
    "nat_port_forecast", "ceilings_vs_peaks", "estate_overview", "plan_frontier",
]
