"""plcapacity: capacity planning and availability analysis for Azure Private Link.

Everything a notebook or report needs is here, at the top level (``plc.<name>``):

- capacity: :func:`connection_ceiling`, :func:`ceiling_table`, :func:`ports_needed`,
  :func:`effective_ceiling`, :func:`overflow_probability`, :func:`size`, :func:`size_table`,
  :func:`get_limits`, :func:`limits_table`;
- deployments and outages: :class:`Deployment`, :class:`Destination`, :class:`Endpoint`,
  :class:`Failover`, :func:`load_deployment`, :func:`regional_deployment`,
  :class:`OutageModel`, :class:`OutageGroup`, :class:`ZoneOutages`, :func:`fit_outages`,
  :func:`outage_profile`, :func:`outage_profile_fit`, :func:`outage_profiles`, :class:`SLA`;
- availability: :func:`exact_summary`, :func:`exact_unavailability`, :func:`process_table`,
  :func:`simulate`, :func:`format_summary`, :func:`availability_by_region_count`,
  :func:`simulate_with_uncertainty`;
- batch runs and reports: :func:`read_scenarios`, :func:`columns_table`, :func:`run_batch`,
  :func:`batch_overview`, :func:`write_results`, :func:`batch_report`,
  :func:`limits_at_risk`, :func:`write_report`, :func:`read_table`, :func:`write_table`,
  :func:`data_path`;
- estate review: :func:`read_inventory`, :func:`read_metrics`, :func:`forecast_exhaustion`,
  :func:`deployment_from_inventory`, :func:`estate_table`, :func:`estate_review`;
- pictures: the :mod:`plcapacity.plotting` module; reference data: :mod:`plcapacity.limits`
  and :mod:`plcapacity.regions`.

The submodules' ``__all__`` list the rest of the public names (constants such as
:data:`plcapacity.scenarios.COLUMNS`, the report's building blocks); other names are
internal and may move.

>>> import plcapacity as plc
>>> plc.connection_ceiling(nat_ips=8, backend_vms=10)
5120000
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("plcapacity")
except PackageNotFoundError:  # running from a checkout without an install
    __version__ = "0.0.0+unknown"

#: Where each top-level name lives: ``name -> submodule`` (None: the name is a submodule).
#: Nothing is imported until a name is first used (PEP 562), so ``import plcapacity`` and the
#: command line start fast and load numpy, pandas or scipy only when they are needed.
_EXPORTS = {
    "limits": None,
    "plotting": None,
    "regions": None,
    "exact_summary": "availability",
    "exact_unavailability": "availability",
    "process_table": "availability",
    "batch_overview": "batch",
    "run_batch": "batch",
    "write_results": "batch",
    "ceiling_table": "capacity",
    "connection_ceiling": "capacity",
    "ports_needed": "capacity",
    "Deployment": "deployment",
    "Destination": "deployment",
    "Endpoint": "deployment",
    "Failover": "deployment",
    "load_deployment": "deployment",
    "regional_deployment": "deployment",
    "estate_review": "estate",
    "estate_table": "estate",
    "CapacityWarning": "exceptions",
    "InfeasibleDemandError": "exceptions",
    "ModelWarning": "exceptions",
    "forecast_exhaustion": "forecast",
    "effective_ceiling": "imbalance",
    "overflow_probability": "imbalance",
    "deployment_from_inventory": "inventory",
    "read_inventory": "inventory",
    "Limits": "limits",
    "data_path": "limits",
    "get_limits": "limits",
    "limits_table": "limits",
    "read_metrics": "metrics",
    "SimulationResult": "montecarlo",
    "simulate": "montecarlo",
    "OutageFit": "outage_fit",
    "fit_outages": "outage_fit",
    "outage_profile": "outage_fit",
    "outage_profile_fit": "outage_fit",
    "outage_profiles": "outage_fit",
    "OutageGroup": "outages",
    "OutageModel": "outages",
    "ZoneOutages": "outages",
    "batch_report": "report",
    "limits_at_risk": "report",
    "write_report": "report",
    "format_summary": "results",
    "BatchInputError": "scenarios",
    "columns_table": "scenarios",
    "read_scenarios": "scenarios",
    "size": "sizing",
    "size_table": "sizing",
    "SLA": "sla",
    "availability_by_region_count": "studies",
    "read_table": "tables",
    "write_table": "tables",
    "UncertaintyResult": "uncertainty",
    "simulate_with_uncertainty": "uncertainty",
}


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module = _EXPORTS[name]
    value = (importlib.import_module(f".{name}", __name__) if module is None
             else getattr(importlib.import_module(f".{module}", __name__), name))
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


__all__ = [
    # capacity: ceilings, ports, usable ceiling, sizing
    "connection_ceiling", "ceiling_table", "ports_needed", "effective_ceiling",
    "overflow_probability", "size", "size_table", "get_limits", "limits_table", "Limits",
    # deployments and outage models
    "Deployment", "Destination", "Endpoint", "Failover", "load_deployment", "regional_deployment",
    "OutageModel", "OutageGroup", "ZoneOutages", "OutageFit", "fit_outages", "outage_profile",
    "outage_profile_fit", "outage_profiles", "SLA",
    # availability: exact, simulated, studies, uncertainty
    "exact_summary", "exact_unavailability", "process_table", "simulate", "SimulationResult",
    "format_summary", "availability_by_region_count", "simulate_with_uncertainty",
    "UncertaintyResult",
    # batch runs and reports
    "read_scenarios", "columns_table", "run_batch", "batch_overview", "write_results",
    "BatchInputError", "batch_report", "limits_at_risk", "write_report", "read_table",
    "write_table", "data_path",
    # estate review
    "read_inventory", "read_metrics", "forecast_exhaustion", "deployment_from_inventory",
    "estate_table", "estate_review",
    # warnings and errors
    "CapacityWarning", "InfeasibleDemandError", "ModelWarning",
    # modules
    "limits", "plotting", "regions",
]
