"""Which incidents touch the data path: the classification and fit_outages(services=...)."""

import numpy as np
import pandas as pd
import pytest

import plcapacity as plc
from plcapacity.outages import load_incidents
from plcapacity.outages.relevance import (
    RELEVANCE_CLASSES,
    UNKNOWN,
    relevance_of,
    service_relevance,
    wanted_relevance,
)


def test_every_service_name_in_the_shipped_incidents_is_classified():
    names = set(load_incidents()["service_name"])
    table = service_relevance()
    assert names == set(table["service_name"])
    assert set(table["relevance"]) == set(RELEVANCE_CLASSES)
    assert table["reason"].str.len().gt(20).all() and table["source"].str.startswith(
        "https://").all()
    assert table["service_name"].is_unique


@pytest.mark.parametrize("name, relevance", [
    ("Network Infrastructure", "data_path"), ("Virtual Machines", "data_path"),
    ("Storage", "data_path"), ("Multiple Services", "data_path"), ("all", "data_path"),
    ("Azure Portal", "control_plane"), ("Service Management Failures", "control_plane"),
    ("Azure Active Directory", "control_plane"),
    ("Log Analytics", "unrelated"), ("Azure DevOps", "unrelated"),
    ("Visual Studio App Center", "unrelated"), ("Cognitive Services", "unrelated"),
])
def test_the_issue_s_examples_are_classed_as_it_says(name, relevance):
    assert relevance_of([name]).tolist() == [relevance]


def test_names_match_without_case_or_spacing_and_unknown_names_say_so():
    assert relevance_of(["  virtual   MACHINES ", "Teleportation", ""]).tolist() == [
        "data_path", UNKNOWN, UNKNOWN]


@pytest.mark.parametrize("services, wanted", [
    (None, None), ("data_path", {"data_path"}),
    ("data_path, control_plane", {"data_path", "control_plane"}),
    (["unrelated"], {"unrelated"}), ("all", set(RELEVANCE_CLASSES)),
])
def test_services_argument_selects_classes(services, wanted):
    got = wanted_relevance(services)
    assert (got is None) if wanted is None else (got == wanted)


@pytest.mark.parametrize("services", ["datapath", "", ["data_path", "network"], 3])
def test_a_class_that_does_not_exist_is_refused(services):
    with pytest.raises(ValueError, match="data_path, control_plane, unrelated"):
        wanted_relevance(services)


def _incidents(services):
    starts = pd.date_range("2019-01-10", periods=len(services), freq="7D")
    return pd.DataFrame({"start": starts, "end": starts + pd.Timedelta(hours=2),
                         "location": ["West Europe", "North Europe"] * (len(services) // 2)
                         + ["West Europe"] * (len(services) % 2),
                         "service_name": services})


def test_fit_counts_only_the_selected_services_and_reports_the_rest():
    services = ["Virtual Machines", "Azure Portal", "Storage", "Log Analytics", "Network"]
    fit = plc.fit_outages(_incidents(services), period=("2019-01-01", "2020-01-01"),
                          regions=["westeurope", "northeurope"], services="data_path")
    regions = fit.table[fit.table.kind == "region"].set_index("name")["events"]
    # West Europe: VM, Storage, Network (rows 0, 2, 4); North Europe: Portal, Log Analytics
    assert regions.to_dict() == {"northeurope": 0, "westeurope": 3}
    assert fit.services == "data_path"
    left_out = fit.excluded[fit.excluded.reason.str.contains("not selected")]
    assert len(left_out) == 2
    assert left_out.reason.str.contains("'Azure Portal' is control-plane").any()
    everything = plc.fit_outages(_incidents(services), period=("2019-01-01", "2020-01-01"),
                                 regions=["westeurope", "northeurope"])
    assert everything.services == "all incidents"
    assert everything.table.query("kind == 'region'").events.sum() == 5


def test_unknown_service_names_are_counted_as_data_path_and_reported():
    services = ["Quantum Widgets", "Azure Portal", "Virtual Machines"]
    with pytest.warns(plc.ModelWarning, match="1 service name\\(s\\) are not in "
                      "data/outages/service_relevance.csv: 'Quantum Widgets'; their 1 "
                      "incident\\(s\\) count as data-path incidents"):
        fit = plc.fit_outages(_incidents(services), period=("2019-01-01", "2020-01-01"),
                              regions=["westeurope", "northeurope"], services="data_path")
    assert fit.unclassified_services == ("Quantum Widgets",)
    assert fit.table.query("kind == 'region'").events.sum() == 2


def test_a_filter_needs_the_service_of_every_incident():
    frame = _incidents(["Storage", "Network"]).drop(columns="service_name")
    with pytest.raises(ValueError, match="services='data_path' needs the service of every "
                       "incident: incidents row 0 names none \\(2 such row\\(s\\)\\)"):
        plc.fit_outages(frame, period=("2019-01-01", "2020-01-01"), services="data_path")


def test_the_default_profile_uses_data_path_incidents_only():
    fit = plc.outage_profile_fit()
    assert fit.services == "data_path" and fit.rates == "gamma-poisson"
    counted = fit.events[fit.events.in_model]
    shipped = load_incidents()
    relevance = dict(zip(shipped.service_name, relevance_of(shipped.service_name)))
    assert len(counted) > 0
    # every counted incident's first row is a data-path service
    rows = counted["row"].str.extract(r"line (\d+)$")[0].astype(int) - 2  # CSV line -> row
    header_lines = 0
    text = plc.data_path("outages/azure_status_incidents_2018_2020.csv").read_text()
    header_lines = sum(1 for line in text.splitlines() if line.startswith("#"))
    services = shipped.service_name.to_numpy()[rows - header_lines]
    assert {relevance[s] for s in services} == {"data_path"}
    upper = plc.outage_profile_fit("azure-status-2018-2020")
    assert upper.services == "all incidents"
    assert len(upper.events[upper.events.in_model]) > len(counted)


def test_the_default_profile_is_far_less_pessimistic_than_every_incident():
    one_region = plc.regional_deployment("svc", ["eastus"])
    datapath = plc.exact_unavailability(one_region, plc.outage_profile(
        "azure-datapath-2018-2019"))
    every = plc.exact_unavailability(one_region, plc.outage_profile("azure-status-2018-2020"))
    assert datapath < every / 2
    assert np.isfinite(datapath) and datapath > 0
