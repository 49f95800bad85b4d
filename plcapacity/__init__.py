"""plcapacity: capacity planning and availability analysis for Azure Private Link.

>>> import plcapacity as plc
>>> plc.connection_ceiling(nat_ips=8, backend_vms=10)
5120000
"""

from importlib.metadata import PackageNotFoundError, version

from . import limits, regions
from .availability import exact_summary, exact_unavailability
from .batch import run_batch
from .capacity import ceiling_table, connection_ceiling, ports_needed
from .deployment import (Deployment, Destination, Endpoint, Failover, load_deployment,
                         regional_deployment)
from .exceptions import CapacityWarning, InfeasibleDemandError, ModelWarning
from .forecast import forecast_exhaustion
from .inventory import deployment_from_inventory, read_inventory
from .limits import get_limits
from .metrics import read_metrics
from .montecarlo import SimulationResult, simulate
from .outage_fit import OutageFit, fit_outages, outage_profile, outage_profile_fit, outage_profiles
from .outages import OutageGroup, OutageModel, ZoneOutages
from .results import format_summary
from .imbalance import effective_ceiling, overflow_probability
from .scenarios import columns_table, read_scenarios
from .sizing import size, size_table
from .sla import SLA
from .tables import read_table, write_table
from .uncertainty import UncertaintyResult, simulate_with_uncertainty

try:
    __version__ = version("plcapacity")
except PackageNotFoundError:  # running from a checkout without an install
    __version__ = "0.0.0+unknown"

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
    "CapacityWarning",
    "Deployment",
    "Destination",
    "Endpoint",
    "Failover",
    "InfeasibleDemandError",
    "ModelWarning",
    "OutageGroup",
    "OutageModel",
    "ZoneOutages",
    "OutageFit",
    "fit_outages",
    "outage_profile",
    "outage_profile_fit",
    "outage_profiles",
    "UncertaintyResult",
    "simulate_with_uncertainty",
    "SLA",
    "SimulationResult",
    "exact_summary",
    "format_summary",
    "exact_unavailability",
    "load_deployment",
    "simulate",
    "ceiling_table",
    "connection_ceiling",
    "deployment_from_inventory",
    "forecast_exhaustion",
    "read_inventory",
    "read_metrics",
    "effective_ceiling",
    "get_limits",
    "limits",
    "overflow_probability",
    "plotting",
    "ports_needed",
    "run_batch",
    "regions",
    "size",
    "size_table",
    "regional_deployment",
    "columns_table",
    "read_scenarios",
    "read_table",
    "write_table",
]
