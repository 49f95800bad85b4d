"""Outage models fitted to incidents: parsing, merging, rates, durations, TOML, profiles, CLI.

Known answers are computed here independently of the module:

- Garwood interval of a Poisson count n over T years: for n = 0 the upper limit is
  -ln(0.025) / T = 3.68888 / T; for n = 1 the lower limit is -ln(0.975) / T = 0.025318 / T and
  the upper 5.5716 / T; for n = 10, [4.7954, 18.3904] / T (published tables, e.g. Ulm 1990,
  Am. J. Epidemiol. 131(2), Table 1).
- MLEs: exponential mean = sample mean; lognormal mu, sigma = mean and population standard
  deviation of the log-durations.
- The recovery test draws incidents from a known model (Poisson counts per region and for a
  correlated pair, lognormal durations) over many years and checks each true parameter lies in
  the fit's 95 % interval (rates: Garwood; lognormal mu and sigma: normal and chi-square
  intervals computed here).
- A brute-force merge (a Python loop over sorted rows) checks the merge of the shipped data.
"""

import json
import math
import textwrap
import tomllib

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import plcapacity as plc
from plcapacity.base.limits import data_path
from plcapacity.cli import main
from plcapacity.outages.fitting import DURATION_LAWS, fit_durations, garwood_interval
from plcapacity.outages.incidents import (
    INCIDENTS_FILE,
)
from plcapacity.outages.laws import (
    MINUTES_PER_YEAR,
    ExponentialDuration,
    GeneralizedParetoDuration,
    LognormalDuration,
)

SHIPPED = data_path(INCIDENTS_FILE)
Z95 = stats.norm.ppf(0.95)

DEPLOYMENT_TAIL = textwrap.dedent("""
    [[destinations]]
    name = "pls"
    region = "westeurope"

    [[endpoints]]
    name = "pe-we"
    region = "westeurope"
    destination = "pls"

    [[endpoints]]
    name = "pe-ne"
    region = "northeurope"
    destination = "pls"
""")


def _incidents(rows):
    return pd.DataFrame(rows, columns=["start", "end", "location"])


# ----------------------------------------------------------------------------- rates


def test_garwood_interval_known_values():
    low, high = garwood_interval([0, 1, 10], 1.0)
    np.testing.assert_allclose(low, [0.0, -math.log(0.975), 4.7954], rtol=1e-4)
    np.testing.assert_allclose(high, [-math.log(0.025), 5.5716, 18.3904], rtol=1e-4)
    low, high = garwood_interval(10, 2.0)
    assert (low, high) == pytest.approx((4.7954 / 2, 18.3904 / 2), rel=1e-4)


def test_rates_pooled_rate_and_regions_argument():
    incidents = _incidents([
        ("2019-01-05", "2019-01-05 03:00", "West Europe"),
        ("2019-02-05", "2019-02-05 01:00", "West Europe"),
        ("2019-03-05", "2019-03-05 05:00", "North Europe"),
        ("2019-04-05", "2019-04-05 02:00", "East US"),
    ])
    period = ("2019-01-01", "2021-01-01")  # 731 days
    years = 731 / 365
    fit = plc.fit_outages(incidents, period=period, rates="own-or-pooled")
    assert fit.exposure_years == pytest.approx(years)
    assert fit.model.rate_per_year == pytest.approx(4 / (3 * years))
    assert fit.model.regions["westeurope"][0] == pytest.approx(2 / years)
    # Given regions: a region without events takes the pooled rate; events elsewhere are left
    # out (and listed).
    fit = plc.fit_outages(incidents, period=period,
                          regions=["westeurope", "northeurope", "francecentral", "uksouth"], rates="own-or-pooled")
    assert fit.model.rate_per_year == pytest.approx(3 / (4 * years))
    assert "francecentral" not in fit.model.regions
    row = fit.table.set_index("name").loc["francecentral"]
    assert row["events"] == 0 and not row["in_model"]
    assert row["rate_high"] == pytest.approx(-math.log(0.025) / years)
    assert fit.excluded["reason"].tolist() == ["region not in regions"]


def test_period_filters_by_start():
    incidents = _incidents([
        ("2017-12-31 23:00", "2018-01-01 02:00", "West Europe"),  # starts before
        ("2018-06-01", "2018-06-01 02:00", "West Europe"),
        ("2018-07-01", "2018-07-01 02:00", "West Europe"),
        ("2018-12-31 23:00", "2019-01-01 05:00", "West Europe"),  # starts inside, ends after
        ("2019-01-02", "2019-01-02 02:00", "West Europe"),  # after the end
    ])
    fit = plc.fit_outages(incidents, period=("2018-01-01", "2019-01-01"), rates="own-or-pooled")
    assert fit.table.set_index("name").loc["westeurope", "events"] == 3
    assert fit.events["hours"].max() == 6.0
    assert (fit.excluded["reason"] == "starts outside the period").sum() == 2


# ----------------------------------------------------------------------------- durations


def test_fit_durations_closed_form_mles_and_aic():
    hours = np.array([0.5, 1.0, 2.0, 2.5, 4.0, 8.0, 30.0])
    table, _ = fit_durations(hours)
    table = table.set_index("law")
    mean = hours.mean()
    assert table.loc["exponential", "parameters"]["mean_hours"] == pytest.approx(mean)
    ll_exp = -len(hours) * math.log(mean) - hours.sum() / mean  # by hand
    assert table.loc["exponential", "log_likelihood"] == pytest.approx(ll_exp)
    assert table.loc["exponential", "aic"] == pytest.approx(2 - 2 * ll_exp)
    logs = np.log(hours)
    mu, sigma = logs.mean(), math.sqrt(((logs - logs.mean()) ** 2).mean())
    p = table.loc["lognormal", "parameters"]
    assert p["median_hours"] == pytest.approx(math.exp(mu))
    assert p["p95_hours"] == pytest.approx(math.exp(mu + Z95 * sigma))
    ll_ln = sum(-math.log(h * sigma * math.sqrt(2 * math.pi))
                - (math.log(h) - mu) ** 2 / (2 * sigma ** 2) for h in hours)
    assert table.loc["lognormal", "log_likelihood"] == pytest.approx(ll_ln)
    assert table.loc["lognormal", "aic"] == pytest.approx(4 - 2 * ll_ln)
    assert table["delta_aicc"].min() == 0 and table["chosen"].sum() == 1
    assert table.loc[table["aicc"].idxmin(), "chosen"]


def test_gpd_fit_is_a_maximum_of_the_likelihood(rng):
    hours = stats.genpareto(0.3, scale=3).rvs(400, random_state=rng)
    table, law = fit_durations(hours, laws=("gpd",))
    shape, scale = table.loc[0, "parameters"]["shape"], table.loc[0, "parameters"]["scale_hours"]
    assert isinstance(law, GeneralizedParetoDuration)
    best = stats.genpareto(shape, scale=scale).logpdf(hours).sum()
    assert table.loc[0, "log_likelihood"] == pytest.approx(best)
    for ds, dc in ((0.02, 0), (-0.02, 0), (0, 0.05), (0, -0.05)):
        assert stats.genpareto(shape + ds, scale=scale * (1 + dc)).logpdf(hours).sum() < best


@pytest.mark.parametrize("truth, law_name, cls", [
    pytest.param(stats.lognorm(1.2, scale=3.0), "lognormal", LognormalDuration, id="lognormal"),
    pytest.param(stats.genpareto(0.45, scale=2.0), "gpd", GeneralizedParetoDuration, id="gpd"),
    pytest.param(stats.expon(scale=4.0), "exponential", ExponentialDuration, id="exponential"),
])
def test_aic_chooses_the_law_the_data_come_from(truth, law_name, cls, rng):
    hours = truth.rvs(4000, random_state=rng)
    table, law = fit_durations(hours)
    assert table.loc[table["chosen"], "law"].item() == law_name or (
        # An exponential sample is also a GPD with shape 0 (one parameter more): AIC may
        # prefer either by less than 2.
        law_name == "exponential" and table.set_index("law").loc["exponential", "delta_aic"] < 2)
    if law_name != "exponential":
        assert isinstance(law, cls)
    assert law.mean_minutes / 60 == pytest.approx(truth.mean(), rel=0.1)


def test_gpd_with_infinite_mean_is_not_usable(rng):
    hours = stats.genpareto(1.5, scale=1.0).rvs(3000, random_state=rng)
    table, law = fit_durations(hours, laws=("gpd", "lognormal"))
    gpd = table.set_index("law").loc["gpd"]
    assert gpd["parameters"]["shape"] >= 1 and not gpd["usable"]
    assert "infinite mean" in gpd["note"]
    assert isinstance(law, LognormalDuration)
    with pytest.raises(ValueError, match="none of gpd gives a usable law"):
        fit_durations(hours, laws=("gpd",))


# ----------------------------------------------------------------------------- recovery

TRUE_RATES = {"westeurope": 3.0, "northeurope": 1.0, "eastus": 2.0}
TRUE_PAIR = (("uksouth", "ukwest"), 0.5)
TRUE_MU, TRUE_SIGMA = math.log(3.0), 1.0  # log-hours: median 3 h


def _synthetic_incidents(years, seed):
    rng = np.random.default_rng(seed)
    rows = []
    span = years * MINUTES_PER_YEAR
    for location, rate in [*TRUE_RATES.items(), (" / ".join(TRUE_PAIR[0]), TRUE_PAIR[1])]:
        n = rng.poisson(rate * years)
        starts = np.sort(rng.uniform(0, span, n))
        hours = np.exp(TRUE_MU + TRUE_SIGMA * rng.standard_normal(n))
        origin = pd.Timestamp("1750-01-01", tz="UTC")  # centuries of history, all in the past
        rows += [(origin + pd.Timedelta(minutes=s), origin + pd.Timedelta(minutes=s + 60 * h),
                  location) for s, h in zip(starts, hours)]
    return _incidents(rows), ("1750-01-01", pd.Timestamp("1750-01-01") + pd.Timedelta(
        minutes=span))


def test_fit_recovers_a_known_model_within_its_intervals():
    years = 240
    incidents, period = _synthetic_incidents(years, seed=11)
    fit = plc.fit_outages(incidents, period=period, rates="own-or-pooled")
    table = fit.table.set_index("name")
    assert fit.exposure_years == pytest.approx(years)
    for region, rate in TRUE_RATES.items():
        row = table.loc[region]
        assert row["rate_low"] <= rate <= row["rate_high"], (region, row)
    pair = table.loc["uksouth / ukwest"]
    assert pair["kind"] == "group"
    assert pair["rate_low"] <= TRUE_PAIR[1] <= pair["rate_high"]
    pooled = table.loc["pooled"]
    assert pooled["rate_low"] <= np.mean(list(TRUE_RATES.values())) <= pooled["rate_high"]
    # Durations: lognormal chosen; mu and sigma within their 95 % intervals (computed here).
    chosen = fit.durations.loc[fit.durations["chosen"]].iloc[0]
    assert chosen["law"] == "lognormal"
    n = chosen["n"]
    mu = math.log(chosen["parameters"]["median_hours"])
    sigma = math.log(chosen["parameters"]["p95_hours"] / chosen["parameters"]["median_hours"]) \
        / Z95
    half = stats.norm.ppf(0.975) * sigma / math.sqrt(n)
    assert mu - half <= TRUE_MU <= mu + half
    sigma_low = sigma * math.sqrt(n / stats.chi2.ppf(0.975, n - 1))
    sigma_high = sigma * math.sqrt(n / stats.chi2.ppf(0.025, n - 1))
    assert sigma_low <= TRUE_SIGMA <= sigma_high
    # The model carries the fitted numbers: own rates, the group, the lognormal law.
    assert fit.model.regions["westeurope"][0] == table.loc["westeurope", "rate_per_year"]
    assert fit.model.groups[0].regions == TRUE_PAIR[0]
    assert isinstance(fit.model.duration, LognormalDuration)


def test_fitted_model_works_with_exact_and_simulate():
    incidents, period = _synthetic_incidents(50, seed=3)
    fit = plc.fit_outages(incidents, period=period, rates="own-or-pooled")
    we = plc.Deployment((plc.Destination("pls", "westeurope"),),
                        (plc.Endpoint("pe", "westeurope", "pls"),))
    rate, law = fit.model.regions["westeurope"]
    # One region outside any group: U = 1 - exp(-rate E[D]) (M/G/inf busy probability).
    expected = -math.expm1(-rate * law.mean_minutes / MINUTES_PER_YEAR)
    assert plc.exact_unavailability(we, fit.model) == pytest.approx(expected, rel=1e-12)
    result = plc.simulate(we, fit.model, trials=20_000, seed=5)
    assert result.ci[0] <= 1 - expected <= result.ci[1]


# ----------------------------------------------------------------------------- TOML


@pytest.mark.parametrize("source", ["shipped", "synthetic-gpd"])
def test_to_toml_round_trips_through_load_deployment(source, tmp_path, rng):
    if source == "shipped":
        fit = plc.outage_profile_fit("azure-status-2018-2020")
    else:
        n = 300
        starts = pd.Timestamp("2010-01-01", tz="UTC") + pd.to_timedelta(
            np.sort(rng.uniform(0, 10 * 525_600, n)), unit="min")
        hours = stats.genpareto(0.4, scale=2.0).rvs(n, random_state=rng)
        locations = rng.choice(["West Europe", "North Europe", "UK South / UK West"], n)
        fit = plc.fit_outages(_incidents(list(zip(starts, starts + pd.to_timedelta(
            hours, unit="h"), locations))), duration_laws=("gpd",), rates="own-or-pooled")
        assert isinstance(fit.model.duration, GeneralizedParetoDuration)
    path = tmp_path / "fitted.toml"
    path.write_text(fit.to_toml() + DEPLOYMENT_TAIL)
    _, model = plc.load_deployment(path)
    assert model == fit.model
    assert tomllib.loads(fit.to_toml())["outages"]["rate_per_year"] == fit.model.rate_per_year


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("frame, fragments", [
    pytest.param(pd.DataFrame({"begin": ["2019-01-01"], "end": ["2019-01-02"],
                               "location": ["West Europe"]}),
                 ["incidents: missing column 'start'", "'start_utc'", "columns found: begin"],
                 id="missing-column"),
    pytest.param(_incidents([("2019-01-01", "2019-01-02", "West Europe"),
                             ("2019-01-03 05:00", "2019-01-03 04:00", "West Europe")]),
                 ["incidents row 1", "end='2019-01-03 04:00' is not after",
                  "start='2019-01-03 05:00'"], id="end-before-start"),
    pytest.param(_incidents([("2019-01-01", "2019-01-02", "West Europe"),
                             ("2019-01-01", "2019-01-02", "Atlantis Central")]),
                 ["incidents row 1", "location='Atlantis Central'",
                  "neither a region nor a geography"], id="unknown-region"),
    pytest.param(_incidents([("2019-01-01", "2019-01-02", "West Europe"),
                             ("2019-01-01", "2019-01-02", "Wets Europe")]),
                 ["incidents row 1", "closest known: westeurope"], id="typo-suggests"),
    pytest.param(_incidents([("2019-01-01", "2019-01-02", "West Europe"),
                             (pd.NaT, "2019-01-02", "West Europe")]),
                 ["incidents row 1", "start=NaT is not a date and time"], id="nat"),
    pytest.param(_incidents([("2019-01-01", "yesterday", "West Europe")]),
                 ["incidents row 0", "end='yesterday' is not a date and time"], id="garbage"),
    pytest.param(_incidents([("2019-01-01", "2019-01-02", "")]),
                 ["incidents row 0", "location is empty"], id="empty-location"),
    pytest.param(_incidents([("2019-01-01", "2019-01-02", "West Europe")]),
                 ["1 incident(s) attributable", "at least 2"], id="too-few"),
    pytest.param(_incidents([("2019-01-01", "2019-01-02", "Multi-region"),
                             ("2019-02-01", "2019-02-02", "UK South / UK West")]),
                 ["no incident names a single region", "pass regions="], id="no-single"),
])
def test_bad_incidents_give_clear_errors(frame, fragments):
    with pytest.raises(ValueError) as error:
        plc.fit_outages(frame, rates="own-or-pooled")
    for fragment in fragments:
        assert fragment in str(error.value)


def test_bad_csv_names_the_file_and_line(tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_text("# a comment line\nstart,end,location\n2019-01-01,2019-01-02,West Europe\n"
                    "2019-01-05,2019-01-04,West Europe\n")
    with pytest.raises(ValueError, match=rf"{path} line 4: end='2019-01-04' is not after"):
        plc.fit_outages(path, rates="own-or-pooled")
    with pytest.raises(ValueError, match="no such incident file"):
        plc.fit_outages(tmp_path / "missing.csv", rates="own-or-pooled")


@pytest.mark.parametrize("kwargs, fragment", [
    ({"period": ("2020-01-01", "2019-01-01")}, "the end must be after the start"),
    ({"period": "2019"}, "a pair (start, end)"),
    ({"period": ("soon", "2019-01-01")}, "period: start='soon' is not a date"),
    ({"regions": "westeurope"}, "regions='westeurope' is not allowed: a list"),
    ({"regions": ["westeurope", "atlantis"]}, "regions: unknown region 'atlantis'"),
    ({"duration_laws": ("weibull",)}, ("duration_laws=['weibull'] is not allowed: one or more "
                                       "of exponential, lognormal, gpd")),
    ({"aliases": ["x"]}, "aliases=['x'] is not allowed"),
])
def test_bad_arguments_give_clear_errors(kwargs, fragment):
    incidents = _incidents([("2019-01-01", "2019-01-02", "West Europe"),
                            ("2019-02-01", "2019-02-02", "West Europe")])
    with pytest.raises(ValueError) as error:
        plc.fit_outages(incidents, **kwargs, rates="own-or-pooled")
    assert fragment in str(error.value)


def test_non_table_input_is_refused():
    with pytest.raises(ValueError, match="incidents=list is not allowed: a DataFrame or"):
        plc.fit_outages([1, 2], rates="own-or-pooled")


# ----------------------------------------------------------------------------- CLI


def test_cli_fit_outages_table(capsys):
    code = main(["fit-outages", str(SHIPPED), "--period", "2018-01-01", "2020-01-01"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Rates per year, 2018-01-01 to 2020-01-01 (2 years; incidents: all incidents); " \
           "rate: posterior mean of a gamma-Poisson model across regions" in out
    assert "westeurope" in out and "uksouth / ukwest" in out and "Multi-region" in out
    for law in DURATION_LAWS:
        assert law in out


def test_cli_fit_outages_toml_loads_back(capsys, tmp_path):
    assert main(["fit-outages", str(SHIPPED), "--format", "toml", "--period", "2018-01-01",
                 "2020-01-01", "--rates", "own-or-pooled"]) == 0
    path = tmp_path / "d.toml"
    path.write_text(capsys.readouterr().out + DEPLOYMENT_TAIL)
    _, model = plc.load_deployment(path)
    assert model == plc.outage_profile("azure-status-2018-2020")
    # and the default profile's fit, written by the command, reads back to the profile
    assert main(["fit-outages", str(SHIPPED), "--format", "toml", "--period", "2018-01-01",
                 "2020-01-01", "--services", "data_path"]) == 0
    path.write_text(capsys.readouterr().out + DEPLOYMENT_TAIL)
    _, model = plc.load_deployment(path)
    assert model == plc.outage_profile("azure-datapath-2018-2019")


def test_cli_fit_outages_json(capsys):
    assert main(["fit-outages", str(SHIPPED), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["chosen_law"] in DURATION_LAWS
    assert {r["kind"] for r in doc["rates"]} == {"region", "group", "pooled", "not attributed"}
    assert sum(d["chosen"] for d in doc["durations"]) == 1
    assert doc["toml"].count("[outages]") == 1


def test_cli_fit_outages_bad_input_is_one_line_exit_2(capsys, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("start,end,location\n2019-01-01,2019-01-02,Atlantis\n")
    assert main(["fit-outages", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("plcapacity: error: ")
    assert "line 2" in err and "Atlantis" in err


def test_gpd_fitted_model_simulates_to_its_exact_value(rng):
    # Heavy-tailed durations end to end: fitted law, exact busy probability, and the Monte
    # Carlo engine's sampling and steady start (equilibrium residuals) agreeing with it.
    n = 600
    starts = pd.Timestamp("2000-01-01", tz="UTC") + pd.to_timedelta(
        np.sort(rng.uniform(0, 20 * MINUTES_PER_YEAR, n)), unit="min")
    hours = stats.genpareto(0.3, scale=20.0).rvs(n, random_state=rng)
    fit = plc.fit_outages(_incidents(list(zip(starts, starts + pd.to_timedelta(hours, unit="h"),
                                              ["West Europe"] * n))), duration_laws=("gpd",), rates="own-or-pooled")
    law = fit.model.duration
    assert isinstance(law, GeneralizedParetoDuration) and 0.15 < law.shape < 0.45
    we = plc.Deployment((plc.Destination("pls", "westeurope"),),
                        (plc.Endpoint("pe", "westeurope", "pls"),))
    rate = fit.model.regions["westeurope"][0]
    expected = -math.expm1(-rate * law.mean_minutes / MINUTES_PER_YEAR)
    assert plc.exact_unavailability(we, fit.model) == pytest.approx(expected, rel=1e-12)
    result = plc.simulate(we, fit.model, trials=20_000, seed=6)
    assert result.ci[0] <= 1 - expected <= result.ci[1]


def test_cli_fit_outages_bad_period_is_exit_2(capsys):
    assert main(["fit-outages", str(SHIPPED), "--period", "2020-01-01", "2018-01-01"]) == 2
    assert "the end must be after the start" in capsys.readouterr().err


def test_repr_is_one_line():
    text = repr(plc.outage_profile_fit("azure-status-2018-2020"))
    assert text.startswith("OutageFit(85 incidents from 2018-01-01 to 2020-01-01, 18 regions")
    assert "\n" not in text


def test_cli_fit_outages_regions_option(capsys):
    regions = "westeurope,northeurope,francecentral,swedencentral"
    assert main(["fit-outages", str(SHIPPED), "--format", "json", "--period", "2018-01-01",
                 "2020-01-01", "--regions", regions, "--rates", "own-or-pooled"]) == 0
    rates = {r["name"]: r for r in json.loads(capsys.readouterr().out)["rates"]}
    # 22 + 4 + 1 + 0 own incidents (brute-force counts: test_incidents.py) over 4 regions
    # x 2 years.
    assert rates["pooled"]["events"] == 27
    assert rates["pooled"]["rate_per_year"] == pytest.approx(27 / 8)
    assert rates["swedencentral"]["events"] == 0 and not rates["swedencentral"]["in_model"]
    assert "eastus" not in rates


@pytest.mark.parametrize("regions", [["westeurope", "northeurope"], ["francecentral"]])
def test_a_pooled_rate_from_no_events_is_refused_not_written_as_zero(regions):
    incidents = _incidents([("2019-01-05", "2019-01-05 03:00", "UK South / UK West"),
                            ("2019-02-05", "2019-02-05 01:00", "UK South / UK West")])
    with pytest.raises(ValueError, match="the pooled rate would be 0 from 0 events"):
        plc.fit_outages(incidents, period=("2019-01-01", "2020-01-01"), regions=regions,
                        rates="own-or-pooled")
    # the hierarchical model gives a positive rate (its posterior), never zero
    fit = plc.fit_outages(incidents, period=("2019-01-01", "2020-01-01"), regions=regions)
    assert fit.model.rate_per_year > 0
    assert "rate_per_year = 0\n" not in fit.to_toml()
