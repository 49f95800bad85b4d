"""Outages: the regional outage processes a deployment is exposed to, and their evidence.

- :mod:`~plcapacity.outages.laws` — outage duration laws (fixed, exponential, lognormal,
  empirical, generalized Pareto) and :func:`duration_law`;
- :mod:`~plcapacity.outages.processes` — :class:`OutageModel`: a Poisson process of outage
  starts per region, correlated :class:`OutageGroup`\\ s and :class:`ZoneOutages`;
- :mod:`~plcapacity.outages.locations` — what an incident's location names: a region, a
  correlated group of regions, or none (:func:`parse_location`);
- :mod:`~plcapacity.outages.incidents` — reading incident lists (the shipped Azure status
  history or a user's own): :func:`load_incidents`, :func:`read_incidents`;
- :mod:`~plcapacity.outages.service_health` — an organisation's own incidents from an Azure
  Service Health export (Resource Graph or REST, JSON): :func:`read_service_health`;
- :mod:`~plcapacity.outages.relevance` — which incidents touch the Private Link data path,
  by service (``data/outages/service_relevance.csv``);
- :mod:`~plcapacity.outages.pooling` — rates that borrow strength across regions: a
  gamma-Poisson (hierarchical) model;
- :mod:`~plcapacity.outages.fitting` — rates and duration laws fitted to incidents:
  :func:`fit_outages` -> :class:`OutageFit`;
- :mod:`~plcapacity.outages.profiles` — named outage models: :func:`outage_profile`,
  :func:`outage_profiles`, :func:`outage_profile_fit`.

Depends on the base only.
"""

from plcapacity.outages.fitting import OutageFit, fit_outages
from plcapacity.outages.incidents import load_incidents, read_incidents
from plcapacity.outages.laws import MAX_OUTAGE_HOURS, MINUTES_PER_YEAR, duration_law
from plcapacity.outages.processes import OutageGroup, OutageModel, ZoneOutages
from plcapacity.outages.profiles import outage_profile, outage_profile_fit, outage_profiles
from plcapacity.outages.service_health import ServiceHealthExport, read_service_health

__all__ = ["OutageModel", "OutageGroup", "ZoneOutages", "duration_law", "MINUTES_PER_YEAR",
           "MAX_OUTAGE_HOURS", "OutageFit", "fit_outages", "load_incidents", "read_incidents",
           "outage_profile", "outage_profile_fit", "outage_profiles", "read_service_health",
           "ServiceHealthExport"]
