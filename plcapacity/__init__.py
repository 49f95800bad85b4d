"""plcapacity: capacity planning and availability analysis for Azure Private Link.

Everything a notebook or report needs is here, at the top level (``plc.<name>``):

- capacity: :func:`connection_ceiling`, :func:`ceiling_table`, :func:`ports_needed`,
  :func:`effective_ceiling`, :func:`overflow_probability`, :func:`size`, :func:`size_table`,
  :class:`Demand` and :func:`deployment_capacity` (the one capacity model),
  :func:`get_limits`, :func:`limits_table`, and the results :class:`CeilingTable`,
  :class:`SizingOptions`, :class:`SizingResults`;
- deployments and outages: :class:`Deployment`, :class:`Destination`, :class:`Endpoint`,
  :class:`Failover`, :func:`load_deployment`, :func:`regional_deployment`,
  :class:`OutageModel`, :class:`OutageGroup`, :class:`ZoneOutages`, :func:`fit_outages`,
  :func:`outage_profile`, :func:`outage_profile_fit`, :func:`outage_profiles`, :class:`SLA`;
- availability: :func:`exact_summary`, :func:`exact_unavailability`, :func:`process_table`,
  :func:`simulate`, :func:`format_summary`, :func:`availability_by_region_count`,
  :func:`simulate_with_uncertainty`;
- batch runs and reports: :func:`read_scenarios`, :func:`columns_table`, :func:`run_batch`
  (a :class:`BatchResults`), :func:`batch_overview`, :func:`write_results`, :func:`batch_report`,
  :func:`limits_at_risk`, :func:`write_report`, :func:`read_table`, :func:`write_table`,
  :func:`data_path`;
- estate review: :func:`read_inventory`, :func:`read_metrics` (or, for an estate of any size,
  :func:`read_daily_metrics`), :func:`forecast_exhaustion`, :func:`deployment_from_inventory`,
  :func:`estate_table`, :func:`estate_review`, and the results :class:`Inventory`,
  :class:`Metrics`, :class:`DailyMetrics`, :class:`Forecast`;
- pictures: the :mod:`plcapacity.plotting` module; reference data: :mod:`plcapacity.limits`
  and :mod:`plcapacity.regions`.

Behind these names the package is a set of families, each a folder whose ``__init__`` says
what it is for: :mod:`plcapacity.base`, :mod:`~plcapacity.capacity`,
:mod:`~plcapacity.outages`, :mod:`~plcapacity.availability`, :mod:`~plcapacity.planning`,
:mod:`~plcapacity.report`, :mod:`~plcapacity.batch`, :mod:`~plcapacity.estate` and
:mod:`~plcapacity.cli`. A module's ``__all__`` lists what it shares with the rest of the
package (constants such as :data:`plcapacity.batch.scenarios.COLUMNS`, the report's building
blocks); names not listed are internal and may move.

>>> import plcapacity as plc
>>> plc.connection_ceiling(nat_ips=8, backend_vms=10)
5120000
"""

from plcapacity.base.deprecation import install_module_aliases

#: Where each top-level name lives: ``name -> module`` (a name that is itself a module maps to
#: it). Nothing is imported until a name is first used (PEP 562), so ``import plcapacity`` and
#: the command line start fast and load numpy, pandas or scipy only when they are needed.
_EXPORTS = {
    # modules users import by name
    "limits": "plcapacity.base.limits",
    "regions": "plcapacity.base.regions",
    "plotting": "plcapacity.plotting",
    # capacity
    "connection_ceiling": "plcapacity.capacity.ceilings",
    "ports_needed": "plcapacity.capacity.ceilings",
    "Demand": "plcapacity.capacity.model",
    "plan": "plcapacity.planning.plan",
    "Plan": "plcapacity.planning.plan",
    "deployment_capacity": "plcapacity.capacity.model",
    "ceiling_table": "plcapacity.capacity.grid",
    "CeilingTable": "plcapacity.capacity.grid",
    "effective_ceiling": "plcapacity.capacity.imbalance",
    "overflow_probability": "plcapacity.capacity.imbalance",
    "size": "plcapacity.capacity.sizing",
    "size_table": "plcapacity.capacity.sizing",
    "SizingOptions": "plcapacity.capacity.sizing",
    "SizingResults": "plcapacity.capacity.sizing",
    # reference data, tables and errors (the base)
    "Limits": "plcapacity.base.limits",
    "data_path": "plcapacity.base.limits",
    "get_limits": "plcapacity.base.limits",
    "limits_table": "plcapacity.base.limits",
    "read_table": "plcapacity.base.tables",
    "write_table": "plcapacity.base.tables",
    "SLA": "plcapacity.base.sla",
    "CapacityWarning": "plcapacity.base.exceptions",
    "InfeasibleDemandError": "plcapacity.base.exceptions",
    "ModelWarning": "plcapacity.base.exceptions",
    # outages
    "OutageGroup": "plcapacity.outages.processes",
    "OutageModel": "plcapacity.outages.processes",
    "ZoneOutages": "plcapacity.outages.processes",
    "OutageFit": "plcapacity.outages.fitting",
    "fit_outages": "plcapacity.outages.fitting",
    "outage_profile": "plcapacity.outages.profiles",
    "outage_profile_fit": "plcapacity.outages.profiles",
    "outage_profiles": "plcapacity.outages.profiles",
    # availability
    "Deployment": "plcapacity.availability.deployment",
    "Destination": "plcapacity.availability.deployment",
    "Endpoint": "plcapacity.availability.deployment",
    "Failover": "plcapacity.availability.deployment",
    "load_deployment": "plcapacity.availability.deployment",
    "regional_deployment": "plcapacity.availability.deployment",
    "exact_summary": "plcapacity.availability.exact",
    "exact_unavailability": "plcapacity.availability.exact",
    "process_table": "plcapacity.availability.exact",
    "SimulationResult": "plcapacity.availability.results",
    "format_summary": "plcapacity.availability.results",
    "simulate": "plcapacity.availability.simulation",
    "availability_by_region_count": "plcapacity.availability.studies",
    "UncertaintyResult": "plcapacity.availability.uncertainty",
    "simulate_with_uncertainty": "plcapacity.availability.uncertainty",
    "failover_delay_law": "plcapacity.availability.failover_delay",
    "read_service_health": "plcapacity.outages.service_health",
    # batch runs and their report
    "BatchInputError": "plcapacity.base.exceptions",
    "TableError": "plcapacity.base.exceptions",
    "columns_table": "plcapacity.batch.scenarios",
    "read_scenarios": "plcapacity.batch.scenarios",
    "batch_overview": "plcapacity.batch.run",
    "run_batch": "plcapacity.batch.run",
    "BatchResults": "plcapacity.batch.run",
    "write_results": "plcapacity.batch.run",
    "batch_report": "plcapacity.batch.report",
    "limits_at_risk": "plcapacity.batch.report",
    "write_report": "plcapacity.batch.report",
    # estate review
    "read_inventory": "plcapacity.estate.inventory",
    "deployment_from_inventory": "plcapacity.estate.inventory",
    "read_metrics": "plcapacity.estate.metrics",
    "read_daily_metrics": "plcapacity.estate.daily",
    "DailyMetrics": "plcapacity.estate.daily",
    "forecast_exhaustion": "plcapacity.estate.forecast",
    "estate_review": "plcapacity.estate.review",
    "estate_table": "plcapacity.estate.review",
    "Inventory": "plcapacity.estate.inventory",
    "Metrics": "plcapacity.estate.metrics",
    "Forecast": "plcapacity.estate.forecast",
}

#: The flat modules of 0.1, now in families: importable under the old name until 0.3.0, with
#: a DeprecationWarning (``plcapacity.base.deprecation``). A flat module that was split maps
#: to its family, which re-exports its public names.
MOVED_MODULES = {
    "plcapacity.validation": "plcapacity.base.validation",
    "plcapacity.tables": "plcapacity.base.tables",
    "plcapacity.files": "plcapacity.base.files",
    "plcapacity.exceptions": "plcapacity.base.exceptions",
    "plcapacity.progress": "plcapacity.base.progress",
    "plcapacity.execution": "plcapacity.base.execution",
    "plcapacity.sla": "plcapacity.base.sla",
    "plcapacity.imbalance": "plcapacity.capacity.imbalance",
    "plcapacity.sizing": "plcapacity.capacity.sizing",
    "plcapacity.sizing_requests": "plcapacity.capacity.sizing_requests",
    "plcapacity.outage_fit": "plcapacity.outages",
    "plcapacity.deployment": "plcapacity.availability.deployment",
    "plcapacity.engine": "plcapacity.availability.engine",
    "plcapacity.results": "plcapacity.availability.results",
    "plcapacity.montecarlo": "plcapacity.availability.simulation",
    "plcapacity.studies": "plcapacity.availability.studies",
    "plcapacity.budget": "plcapacity.availability.budget",
    "plcapacity.uncertainty": "plcapacity.availability.uncertainty",
    "plcapacity.scenarios": "plcapacity.batch.scenarios",
    "plcapacity.checkpoint": "plcapacity.batch.checkpoint",
    "plcapacity.inventory": "plcapacity.estate.inventory",
    "plcapacity.metrics": "plcapacity.estate.metrics",
    "plcapacity.forecast": "plcapacity.estate.forecast",
}
#: Version that moved them, and the one that removes the old names.
MOVED_SINCE, MOVED_REMOVAL = "0.2.0", "0.3.0"

install_module_aliases(MOVED_MODULES, since=MOVED_SINCE, removal=MOVED_REMOVAL)
# Documented modules that live in the base: plain aliases, no warning.
install_module_aliases({"plcapacity.limits": "plcapacity.base.limits",
                        "plcapacity.regions": "plcapacity.base.regions"})


def __getattr__(name):
    import importlib

    if name == "__version__":  # looked up on first use: package metadata is slow to read
        from plcapacity.base.version import __version__ as value
    elif name in _EXPORTS:
        module = importlib.import_module(_EXPORTS[name])
        value = module if module.__name__ == f"{__name__}.{name}" or name in (
            "limits", "regions") else getattr(module, name)
    elif f"{__name__}.{name}" in MOVED_MODULES:
        value = importlib.import_module(f"{__name__}.{name}")  # warns (deprecated module)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


__all__ = [
    "__version__",
    # capacity: ceilings, ports, usable ceiling, sizing
    "connection_ceiling", "ceiling_table", "ports_needed", "effective_ceiling",
    "overflow_probability", "size", "size_table", "get_limits", "limits_table", "Limits",
    "Demand", "deployment_capacity",
    # planning: regions x PLSs x NAT IPs x VMs, cheapest meeting an objective
    "plan", "Plan",
    "CeilingTable", "SizingOptions", "SizingResults",
    # deployments and outage models
    "Deployment", "Destination", "Endpoint", "Failover", "load_deployment", "regional_deployment",
    "OutageModel", "OutageGroup", "ZoneOutages", "OutageFit", "fit_outages", "outage_profile",
    "outage_profile_fit", "outage_profiles", "SLA",
    # availability: exact, simulated, studies, uncertainty
    "exact_summary", "exact_unavailability", "process_table", "simulate", "SimulationResult",
    "format_summary", "availability_by_region_count", "simulate_with_uncertainty",
    "UncertaintyResult", "failover_delay_law", "read_service_health",
    # batch runs and reports
    "read_scenarios", "columns_table", "run_batch", "BatchResults", "batch_overview",
    "write_results",
    "BatchInputError", "TableError", "batch_report", "limits_at_risk", "write_report", "read_table",
    "write_table", "data_path",
    # estate review
    "read_inventory", "read_metrics", "read_daily_metrics", "forecast_exhaustion",
    "deployment_from_inventory", "estate_table", "estate_review", "Inventory", "Metrics",
    "DailyMetrics", "Forecast",
    # warnings and errors
    "CapacityWarning", "InfeasibleDemandError", "ModelWarning",
    # modules
    "limits", "plotting", "regions",
]
