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

# (the version first: report and estate read it while the package loads)
from . import limits, regions
from .availability import exact_summary, exact_unavailability, process_table
from .batch import batch_overview, run_batch, write_results
from .capacity import ceiling_table, connection_ceiling, ports_needed
from .deployment import (Deployment, Destination, Endpoint, Failover, load_deployment,
                         regional_deployment)
from .estate import estate_review, estate_table
from .exceptions import CapacityWarning, InfeasibleDemandError, ModelWarning
from .forecast import forecast_exhaustion
from .imbalance import effective_ceiling, overflow_probability
from .inventory import deployment_from_inventory, read_inventory
from .limits import Limits, data_path, get_limits, limits_table
from .metrics import read_metrics
from .montecarlo import SimulationResult, simulate
from .outage_fit import OutageFit, fit_outages, outage_profile, outage_profile_fit, outage_profiles
from .outages import OutageGroup, OutageModel, ZoneOutages
from .report import batch_report, limits_at_risk, write_report
from .results import format_summary
from .scenarios import BatchInputError, columns_table, read_scenarios
from .sizing import size, size_table
from .sla import SLA
from .studies import availability_by_region_count
from .tables import read_table, write_table
from .uncertainty import UncertaintyResult, simulate_with_uncertainty

#: Submodules imported on first use (``plc.plotting``): they pull in heavy libraries.
_LAZY_SUBMODULES = ("plotting",)


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib

        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))

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
