"""plcapacity: capacity planning and availability analysis for Azure Private Link.

>>> import plcapacity as plc
>>> plc.connection_ceiling(nat_ips=8, backend_vms=10)
5120000
"""

from importlib.metadata import PackageNotFoundError, version

from . import limits, plotting, regions
from .availability import exact_summary, exact_unavailability
from .batch import run_batch
from .capacity import (
    ceiling_table,
    connection_ceiling,
    effective_ceiling,
    overflow_probability,
    ports_needed,
    size,
)
from .deployment import Deployment, Destination, Endpoint, Failover, load_deployment
from .exceptions import CapacityWarning, InfeasibleDemandError, ModelWarning
from .forecast import forecast_exhaustion
from .inventory import deployment_from_inventory, read_inventory
from .limits import get_limits
from .metrics import read_metrics
from .montecarlo import SimulationResult, simulate
from .outages import OutageGroup, OutageModel
from .sla import SLA

try:
    __version__ = version("plcapacity")
except PackageNotFoundError:  # running from a checkout without an install
    __version__ = "0.0.0+unknown"

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
    "SLA",
    "SimulationResult",
    "exact_summary",
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
]
