"""Named outage profiles: the evidence fit and the SLA-calibrated model."""

from __future__ import annotations

import dataclasses
import functools

import pandas as pd

from plcapacity.base.limits import data_path
from plcapacity.base.sla import SLA
from plcapacity.outages.fitting import OutageFit, fit_outages
from plcapacity.outages.incidents import INCIDENTS_FILE
from plcapacity.outages.processes import OutageModel

__all__ = ["outage_profile", "outage_profile_fit", "outage_profiles", "DEFAULT_PROFILE",
           "EVIDENCE_PERIOD", "SLA_CALIBRATED_MEDIAN_HOURS", "SLA_CALIBRATED_P95_HOURS"]


#: Lognormal defaults of the SLA-calibrated profile (the batch's default outage durations).
SLA_CALIBRATED_MEDIAN_HOURS = 2.0
SLA_CALIBRATED_P95_HOURS = 12.0
#: The whole years of the shipped incident list (2020 is partial).
EVIDENCE_PERIOD = ("2018-01-01", "2020-01-01")
#: The profile every answer uses unless told otherwise.
DEFAULT_PROFILE = "azure-datapath-2018-2019"

#: Evidence profiles: name -> (description, fit_outages options).
_FITTED = {
    "azure-datapath-2018-2019": (
        "fitted to the Azure status incidents of 2018-2019 that can impair a private "
        "endpoint's data path (network, VMs, storage, DNS; data/outages/service_relevance.csv): "
        "per-region rates from a gamma-Poisson model over every region open in the period, "
        "correlated pairs and geographies as groups",
        {"services": "data_path", "rates": "gamma-poisson"}),
    "azure-status-2018-2020": (
        "UPPER BOUND: every Azure status incident of 2018-2019 (any service, the Portal and "
        "DevOps included) as an outage of its region's whole path; a region's own rate, or "
        "the mean of the regions that had incidents (0.1's default)",
        {"services": None, "rates": "own-or-pooled"}),
}
_PROFILES = {
    **{name: description for name, (description, _) in _FITTED.items()},
    "sla-calibrated": (
        "each region down exactly 1 - slo_percent of the time (lognormal median 2 h, p95 12 h): "
        "a calibration that restates the SLA, not evidence"),
}


def outage_profiles() -> pd.DataFrame:
    """The named outage profiles of :func:`outage_profile`.

    Returns
    -------
    pandas.DataFrame
        ``name`` and ``description`` (one line).

    Examples
    --------
    >>> import plcapacity as plc
    >>> plc.outage_profiles().name.tolist()
    ['azure-datapath-2018-2019', 'azure-status-2018-2020', 'sla-calibrated']
    """
    return pd.DataFrame({"name": list(_PROFILES), "description": list(_PROFILES.values())})


def _check_profile(name):
    if name not in _PROFILES:
        raise ValueError(f"outage profile {name!r} is unknown; known: {', '.join(_PROFILES)}")


@functools.lru_cache(maxsize=len(_FITTED))
def _evidence_fit(name) -> OutageFit:
    fit = fit_outages(data_path(INCIDENTS_FILE), period=EVIDENCE_PERIOD, **_FITTED[name][1])
    return dataclasses.replace(fit, model=fit.model.named(name))


def outage_profile_fit(name=DEFAULT_PROFILE) -> OutageFit:
    """The fit behind an evidence profile (cached), for its tables and uncertainty.

    Parameters
    ----------
    name : str
        An evidence profile: ``"azure-datapath-2018-2019"`` (the default) or
        ``"azure-status-2018-2020"`` (every incident: an upper bound).

    Returns
    -------
    OutageFit
        The fit (cached: the same object on every call); ``.model`` is the profile's
        :class:`plcapacity.OutageModel`, ``.table`` the rates [1/yr] with 95 % intervals.

    Raises
    ------
    ValueError
        For a name that is not an evidence profile.

    References
    ----------
    .. [1] Azure status history (the incidents behind the evidence profile),
       https://azure.status.microsoft/status/history/

    Examples
    --------
    >>> import plcapacity as plc
    >>> fit = plc.outage_profile_fit("azure-status-2018-2020")
    >>> pooled = fit.table.loc[fit.table.kind == "pooled"].iloc[0]
    >>> round(float(pooled.rate_low), 2), round(float(pooled.rate_high), 2)     # [1/yr]
    (1.71, 2.7)
    >>> plc.outage_profile_fit().services                   # the default profile's incidents
    'data_path'
    """
    _check_profile(name)
    if name == "sla-calibrated":
        raise ValueError("outage profile 'sla-calibrated' is a calibration, not a fit; "
                         f"fitted profiles: {', '.join(_FITTED)}")
    return _evidence_fit(name)


@functools.lru_cache(maxsize=256)
def _calibrated(slo_percent, median_hours, p95_hours):
    model = OutageModel.calibrated_to_sla({"law": "lognormal", "median_hours": median_hours,
                                           "p95_hours": p95_hours}, slo_percent)
    return model.named(f"sla-calibrated to {slo_percent:g} % (lognormal median "
                       f"{median_hours:g} h, p95 {p95_hours:g} h)")


def outage_profile(name, **kw) -> OutageModel:
    """A named outage model, computed once and cached (cheap to call per batch row).

    Parameters
    ----------
    name : str
        ``"azure-datapath-2018-2019"`` (the default of every answer): fitted by
        :func:`fit_outages` to the shipped Azure status incidents of 2018 and 2019 that can
        impair the Private Link data path, rates pooled across regions (gamma-Poisson).
        ``"azure-status-2018-2020"``: every incident of those years, whatever the service
        (an upper bound on region outages). ``"sla-calibrated"``: every region down exactly
        ``1 - slo_percent`` of the time, lognormal durations (median 2 h, p95 12 h).
    **kw
        ``sla-calibrated`` only: ``slo_percent`` (default: the Private Link SLA of
        ``data/sla.csv``), ``median_hours``, ``p95_hours``.

    Returns
    -------
    OutageModel
        Shared between calls: treat it as read-only.

    Raises
    ------
    ValueError
        For an unknown name (listing the known ones) or an option the profile does not take.

    Examples
    --------
    >>> import plcapacity as plc
    >>> model = plc.outage_profile("sla-calibrated", slo_percent=99.99)
    >>> round(1 - model.processes(["eastus"])[0].probability_down, 6)
    0.9999
    """
    _check_profile(name)
    if name == "sla-calibrated":
        allowed = {"slo_percent", "median_hours", "p95_hours"}
        unknown = sorted(set(kw) - allowed)
        if unknown:
            raise ValueError(f"outage profile 'sla-calibrated': unknown option(s) "
                             f"{', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
        slo = kw.get("slo_percent")
        slo = SLA.private_link(slo).slo_percent  # validates, and supplies the SLA's value
        return _calibrated(float(slo), float(kw.get("median_hours",
                                                    SLA_CALIBRATED_MEDIAN_HOURS)),
                           float(kw.get("p95_hours", SLA_CALIBRATED_P95_HOURS)))
    if kw:
        raise ValueError(f"outage profile {name!r} takes no options; got "
                         f"{', '.join(sorted(kw))}")
    return _evidence_fit(name).model
