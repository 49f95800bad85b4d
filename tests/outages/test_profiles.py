"""Named outage profiles: the evidence profile (the fit of the shipped incidents) and the
SLA-calibrated one, their listing, options and errors."""

import pytest

import plcapacity as plc
from plcapacity.outages.processes import OutageModel

# ----------------------------------------------------------------------------- profiles


def test_outage_profiles_lists_names_with_a_description():
    profiles = plc.outage_profiles()
    assert profiles["name"].tolist() == ["azure-datapath-2018-2019", "azure-status-2018-2020",
                                         "sla-calibrated"]
    assert profiles["description"].str.len().min() > 20
    assert "UPPER BOUND" in profiles.set_index("name").loc["azure-status-2018-2020",
                                                             "description"]


def test_unknown_profile_lists_known_names():
    with pytest.raises(ValueError, match="outage profile 'azure' is unknown; known: "
                                         "azure-datapath-2018-2019, azure-status-2018-2020, "
                                         "sla-calibrated"):
        plc.outage_profile("azure")


def test_evidence_profile_is_the_fit_of_the_shipped_whole_years_and_cached():
    model = plc.outage_profile("azure-status-2018-2020")
    assert model is plc.outage_profile("azure-status-2018-2020")  # cached
    fit = plc.outage_profile_fit("azure-status-2018-2020")
    assert model is fit.model
    assert [p.isoformat() for p in fit.period] == ["2018-01-01T00:00:00+00:00",
                                                   "2020-01-01T00:00:00+00:00"]
    assert fit.exposure_years == pytest.approx(730 / 365)
    # Pairs named in the data are correlated groups.
    assert ("uksouth", "ukwest") in [g.regions for g in model.groups]
    with pytest.raises(ValueError, match="takes no options; got slo_percent"):
        plc.outage_profile("azure-status-2018-2020", slo_percent=99.9)
    with pytest.raises(ValueError, match="is a calibration, not a fit"):
        plc.outage_profile_fit("sla-calibrated")


@pytest.mark.parametrize("slo", [None, 99.9, 99.995])
def test_sla_calibrated_profile_restates_the_slo(slo):
    kw = {} if slo is None else {"slo_percent": slo}
    model = plc.outage_profile("sla-calibrated", **kw)
    expected_slo = 99.99 if slo is None else slo  # data/sla.csv: the Private Link SLA 99.99 %
    process = model.processes(["eastus"])[0]
    assert 1 - process.probability_down == pytest.approx(expected_slo / 100, rel=1e-12)
    law = model.duration
    assert (law.median_hours, law.p95_hours) == (2.0, 12.0)
    assert model == OutageModel.calibrated_to_sla(
        {"law": "lognormal", "median_hours": 2, "p95_hours": 12}, expected_slo)


def test_sla_calibrated_profile_rejects_bad_options():
    with pytest.raises(ValueError, match="unknown option.*colour; allowed: median_hours, "
                                         "p95_hours, slo_percent"):
        plc.outage_profile("sla-calibrated", colour=1)
    with pytest.raises(ValueError, match=r"slo_percent=101"):
        plc.outage_profile("sla-calibrated", slo_percent=101)
