"""plcapacity: capacity planning and availability analysis for Azure Private Link.

>>> import plcapacity as plc
>>> plc.connection_ceiling(nat_ips=8, backend_vms=10)
5120000
"""

from importlib.metadata import PackageNotFoundError, version

from . import limits, regions
from .capacity import (
    ceiling_table,
    connection_ceiling,
    effective_ceiling,
    overflow_probability,
    ports_needed,
    size,
)
from .exceptions import CapacityWarning, InfeasibleDemandError
from .limits import get_limits

try:
    __version__ = version("plcapacity")
except PackageNotFoundError:  # running from a checkout without an install
    __version__ = "0.0.0+unknown"

__all__ = [
    "CapacityWarning",
    "InfeasibleDemandError",
    "ceiling_table",
    "connection_ceiling",
    "effective_ceiling",
    "get_limits",
    "limits",
    "overflow_probability",
    "ports_needed",
    "regions",
    "size",
]
