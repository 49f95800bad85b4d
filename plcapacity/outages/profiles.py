"""Named outage profiles: the evidence fit and the SLA-calibrated model."""

from __future__ import annotations

import functools

import pandas as pd

from plcapacity.base.limits import data_path
from plcapacity.base.sla import SLA
from plcapacity.outages.fitting import OutageFit, fit_outages
from plcapacity.outages.incidents import INCIDENTS_FILE
from plcapacity.outages.processes import OutageModel

__all__ = ["outage_profile", "outage_profile_fit", "outage_profiles", "EVIDENCE_PERIOD", "SLA_CALIBRATED_MEDIAN_HOURS", "SLA_CALIBRATED_P95_HOURS"]


#: Lognormal defaults of the SLA-calibrated profile (the batch's default outage durations).
SLA_CALIBRATED_MEDIAN_HOURS = 2.0


SLA_CALIBRATED_P95_HOURS = 12.0


#: The whole years of the shipped incident list (2020 is partial).
EVIDENCE_PERIOD = ("2018-01-01", "2020-01-01")


_PROFILES = {
    "azure-status-2018-2020": (
        "fitted to the Azure status history 2018-2019 (data/outages): per-region rates where "
        "the data have them, a pooled rate otherwise, correlated pairs and geographies; "
        "service incidents, so a CONSERVATIVE assumption (an upper bound on region outages)"),
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
    ['azure-status-2018-2020', 'sla-calibrated']
    """
    return pd.DataFrame({"name": list(_PROFILES), "description": list(_PROFILES.values())})


def _check_profile(name):
    if name not in _PROFILES:
        raise ValueError(f"outage profile {name!r} is unknown; known: {', '.join(_PROFILES)}")


@functools.lru_cache(maxsize=None)
def _evidence_fit() -> OutageFit:
    return fit_outages(data_path(INCIDENTS_FILE), period=EVIDENCE_PERIOD)


def outage_profile_fit(name="azure-status-2018-2020") -> OutageFit:
    """The fit behind an evidence profile (cached), for its tables and uncertainty.

    Parameters
    ----------
    name : str
        An evidence profile: ``"azure-status-2018-2020"``.

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
    """
    _check_profile(name)
    if name == "sla-calibrated":
        raise ValueError("outage profile 'sla-calibrated' is a calibration, not a fit; "
                         "fitted profiles: azure-status-2018-2020")
    return _evidence_fit()


@functools.lru_cache(maxsize=256)
def _calibrated(slo_percent, median_hours, p95_hours):
    return OutageModel.calibrated_to_sla({"law": "lognormal", "median_hours": median_hours,
                                          "p95_hours": p95_hours}, slo_percent)


def outage_profile(name, **kw) -> OutageModel:
    """A named outage model, computed once and cached (cheap to call per batch row).

    Parameters
    ----------
    name : str
        ``"azure-status-2018-2020"``: fitted by :func:`fit_outages` to the shipped Azure status
        incidents of 2018 and 2019 (an evidence-based, conservative assumption: incident rates
        bound region-outage rates from above). ``"sla-calibrated"``: every region down exactly
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
    return _evidence_fit().model
