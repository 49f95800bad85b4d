"""Outage processes: the busy probability of one process, the model and its groups, and
the model calibrated to an SLA.

Known answers are analytic, computed here from the definitions in docs/model.md ("The
availability model"), never copied from the code's output:

- One process's busy probability (M/G/inf): P(down) = 1 - exp(-rate E[D]), with the mean
  durations E[D] of the laws in closed form (fixed: 60 h; exponential: 60 m; lognormal from
  (median, p95): exp(mu + sigma^2 / 2), mu = ln(60 median), sigma = ln(p95 / median) /
  z_0.95; empirical: the mean of the observed minutes).
- Calibrated to an SLA: rate = -ln(slo) / E[D] starts a minute.

(The laws themselves: test_laws.py.) Time is in minutes and a year is 365 days.
"""

import math

import numpy as np
import pytest
from scipy import stats

from plcapacity.base.regions import regions_in_geography
from plcapacity.outages.laws import (
    EmpiricalDuration,
    ExponentialDuration,
    FixedDuration,
    LognormalDuration,
)
from plcapacity.outages.processes import OutageGroup, OutageModel, OutageProcess

Z95 = stats.norm.ppf(0.95)  # standard normal 95th percentile, 1.6448536...


def mean_minutes(spec):
    """E[D] of the law in ``spec`` (minutes), in closed form."""
    if spec["law"] == "fixed":
        return spec["hours"] * 60.0
    if spec["law"] == "exponential":
        return spec["mean_hours"] * 60.0
    if spec["law"] == "lognormal":
        mu = math.log(spec["median_hours"] * 60)
        sigma = math.log(spec["p95_hours"] / spec["median_hours"]) / Z95
        return math.exp(mu + sigma ** 2 / 2)
    if spec["law"] == "empirical":
        return float(np.mean(np.asarray(spec["hours"], dtype=float) * 60.0))
    raise AssertionError(spec)


# ----------------------------------------------------------------------------- probability_down


@pytest.mark.parametrize("rate, law", [
    (1.0, FixedDuration(4)),
    (2.0, ExponentialDuration(3)),
    (0.1, LognormalDuration(3, 24)),
    (12.0, EmpiricalDuration((1, 2, 6))),
    (500.0, FixedDuration(24)),          # busy most of the time
    (1e-6, FixedDuration(1)),            # tiny: needs expm1 to keep digits
], ids=["fixed", "exponential", "lognormal", "empirical", "heavy", "tiny"])
def test_probability_down_is_m_g_inf_busy_probability(rate, law):
    process = OutageProcess("eastus", "region", ("eastus",), rate, law)
    x = rate / 525_600 * law.mean_minutes
    # 1 - exp(-x), written with expm1 so that the tiny case keeps its digits.
    np.testing.assert_allclose(process.probability_down, -math.expm1(-x), rtol=1e-12)
    # The naive form loses digits to cancellation when x is tiny (1e-16 / x relative).
    np.testing.assert_allclose(process.probability_down, 1 - math.exp(-x), rtol=1e-5)
    np.testing.assert_allclose(process.rate_per_minute, rate / 525_600, rtol=1e-15)


def test_probability_down_published_cross_check():
    # data/examples/three-region-2of3.toml: one outage a year of 4 h, q = 1 - exp(-4 / 8760).
    process = OutageProcess("eastus", "region", ("eastus",), 1.0, FixedDuration(4))
    np.testing.assert_allclose(process.probability_down, -math.expm1(-4 / 8760), rtol=1e-12)
    np.testing.assert_allclose(process.probability_down, 4.5651e-4, rtol=1e-4)


def test_probability_down_zero_rate():
    assert OutageProcess("g", "group", ("eastus",), 0.0, FixedDuration(4)).probability_down == 0


# ----------------------------------------------------------------------------- OutageModel

FOUR_HOURS = {"law": "fixed", "hours": 4}


def test_model_defaults_apply_to_every_region():
    model = OutageModel(1.5, FOUR_HOURS)
    processes = model.processes(["westus2", "eastus"])
    assert [p.name for p in processes] == ["eastus", "westus2"]
    for p in processes:
        assert p.kind == "region" and p.regions == (p.name,)
        assert p.rate_per_year == 1.5
        assert p.duration == FixedDuration(4)


def test_model_per_region_overrides():
    model = OutageModel(1.0, FOUR_HOURS, regions={
        "eastus": {"rate_per_year": 2.0},                                       # rate only
        "westus2": {"duration": {"law": "exponential", "mean_hours": 3}},      # duration only
        "centralus": {"rate_per_year": 0.5,
                      "duration": {"law": "lognormal", "median_hours": 2, "p95_hours": 12}},
    })
    processes = {p.name: p for p in model.processes(
        ["westus2", "eastus", "centralus", "northeurope"])}
    assert list(processes) == ["centralus", "eastus", "northeurope", "westus2"]
    assert processes["eastus"].rate_per_year == 2.0
    assert processes["eastus"].duration == FixedDuration(4)
    assert processes["westus2"].rate_per_year == 1.0
    assert processes["westus2"].duration == ExponentialDuration(3)
    assert processes["centralus"].rate_per_year == 0.5
    assert processes["centralus"].duration == LognormalDuration(2, 12)
    assert (processes["northeurope"].rate_per_year,
            processes["northeurope"].duration) == (1.0, FixedDuration(4))
    # P(down) with the override: 1 - exp(-2 * 240 / 525600).
    np.testing.assert_allclose(processes["eastus"].probability_down,
                               -math.expm1(-2 * 240 / 525_600), rtol=1e-12)


def test_model_groups_included_only_when_they_touch_the_regions():
    pair = OutageGroup("us-pair", ("eastus", "westus"), 0.1, {"law": "fixed", "hours": 6})
    europe = OutageGroup("europe", ("northeurope", "westeurope"), 0.05, FOUR_HOURS)
    model = OutageModel(1.0, FOUR_HOURS, groups=(pair, europe))

    assert [p.name for p in model.processes(["centralus"])] == ["centralus"]
    assert [p.name for p in model.processes(["eastus"])] == ["eastus", "us-pair"]
    # Regions sorted first, then the groups in the order given (not sorted by name).
    names = [p.name for p in model.processes(["westeurope", "eastus", "centralus"])]
    assert names == ["centralus", "eastus", "westeurope", "us-pair", "europe"]

    group = model.processes(["eastus"])[1]
    assert group.kind == "group"
    assert group.regions == ("eastus", "westus")     # all its regions, not only those asked for
    assert group.rate_per_year == 0.1
    assert group.duration == FixedDuration(6)


def test_model_group_order_follows_the_order_given():
    a = OutageGroup("zeta", ("eastus",), 0.1, FOUR_HOURS)
    b = OutageGroup("alpha", ("eastus", "westus"), 0.1, FOUR_HOURS)
    model = OutageModel(1.0, FOUR_HOURS, groups=[a, b])
    assert [p.name for p in model.processes(["eastus"])] == ["eastus", "zeta", "alpha"]


def test_model_processes_deduplicate_regions():
    model = OutageModel(1.0, FOUR_HOURS)
    assert [p.name for p in model.processes(["eastus", "eastus"])] == ["eastus"]


def test_model_rejects_duplicate_group_names():
    g1 = OutageGroup("pair", ("eastus", "westus"), 0.1, FOUR_HOURS)
    g2 = OutageGroup("pair", ("westeurope",), 0.1, FOUR_HOURS)
    with pytest.raises(ValueError, match=r"\[\[outages.groups\]\]: group names must be unique, "
                                         r"got \['pair', 'pair'\]"):
        OutageModel(1.0, FOUR_HOURS, groups=(g1, g2))


def test_model_rejects_unknown_region_in_overrides():
    with pytest.raises(ValueError, match=r"\[outages.regions.eastus3\]: unknown region 'eastus3'; "
                                         r"closest known: eastus\b"):
        OutageModel(1.0, FOUR_HOURS, regions={"eastus3": {"rate_per_year": 1.0}})


def test_model_rejects_unknown_key_in_overrides():
    with pytest.raises(ValueError, match=r"\[outages.regions.eastus\]: unknown key\(s\) rate; "
                                         r"allowed: rate_per_year, duration"):
        OutageModel(1.0, FOUR_HOURS, regions={"eastus": {"rate": 1.0}})


def test_model_rejects_bad_override_duration():
    with pytest.raises(ValueError, match=r"\[outages.regions.eastus\] duration: hours=-4 is not "
                                         r"allowed"):
        OutageModel(1.0, FOUR_HOURS, regions={"eastus": {"duration": {"law": "fixed",
                                                                       "hours": -4}}})


def test_group_rejects_unknown_region_with_closest_names():
    with pytest.raises(ValueError, match=r"outage group 'g' regions: unknown region 'westeurop'; "
                                         r"closest known: westeurope"):
        OutageGroup("g", ("eastus", "westeurop"), 0.1, FOUR_HOURS)


def test_group_rejects_empty_regions():
    with pytest.raises(ValueError, match="outage group 'g': regions is empty"):
        OutageGroup("g", (), 0.1, FOUR_HOURS)


@pytest.mark.parametrize("build, where", [
    (lambda r: OutageModel(r, FOUR_HOURS), r"\[outages\]"),
    (lambda r: OutageModel(1.0, FOUR_HOURS, regions={"eastus": {"rate_per_year": r}}),
     r"\[outages.regions.eastus\]"),
    (lambda r: OutageGroup("pair", ("eastus", "westus"), r, FOUR_HOURS), r"outage group 'pair'"),
], ids=["default", "override", "group"])
@pytest.mark.parametrize("rate", [-1.0, -1e-9, float("nan"), float("inf"), "often", True],
                         ids=["minus-one", "tiny-negative", "nan", "inf", "text", "bool"])
def test_rejects_bad_rate(build, where, rate):
    with pytest.raises(ValueError, match=where + r": rate_per_year=.* is not allowed: a number "
                                                 r">= 0 \(outage starts per year\)"):
        build(rate)


def test_zero_rate_is_allowed():
    model = OutageModel(0, FOUR_HOURS)
    assert model.processes(["eastus"])[0].probability_down == 0.0


def test_group_for_geography():
    us = regions_in_geography("United States")
    group = OutageGroup.for_geography("us", "United States", 0.05, FOUR_HOURS)
    assert group.regions == tuple(us)
    assert {"eastus", "westus2", "centralus"} <= set(group.regions)
    assert "westeurope" not in group.regions
    assert list(group.regions) == sorted(group.regions)
    assert group.name == "us" and group.rate_per_year == 0.05
    assert group.duration == FixedDuration(4)
    europe = OutageGroup.for_geography("eu", "Europe", 0.05, FOUR_HOURS)
    assert europe.regions == tuple(regions_in_geography("Europe"))


def test_group_for_unknown_geography_suggests_closest():
    with pytest.raises(ValueError, match="unknown geography 'Europa'; closest: Europe"):
        OutageGroup.for_geography("eu", "Europa", 0.05, FOUR_HOURS)


# ----------------------------------------------------------------------------- calibrated_to_sla


@pytest.mark.parametrize("slo", [99.99, 99.9, 99.95, 99.0, 99.999])
@pytest.mark.parametrize("spec", [
    FOUR_HOURS,
    {"law": "exponential", "mean_hours": 3},
    {"law": "lognormal", "median_hours": 2, "p95_hours": 12},
    {"law": "empirical", "hours": [1, 2, 7]},
], ids=["fixed", "exponential", "lognormal", "empirical"])
def test_calibrated_to_sla(spec, slo):
    model = OutageModel.calibrated_to_sla(spec, slo)
    (process,) = model.processes(["eastus"])
    np.testing.assert_allclose(process.probability_down, 1 - slo / 100, rtol=1e-12)
    # rate = -ln(slo) / E[D], in starts per year
    np.testing.assert_allclose(process.rate_per_year,
                               -math.log(slo / 100) / mean_minutes(spec) * 525_600, rtol=1e-12)


def test_calibrated_to_sla_9999_is_1e_4():
    # 99.99 -> 1e-4. The float 99.99 / 100 carries a 1e-16 error that 1 - x magnifies 1e4-fold,
    # so against the literal 1e-4 the agreement is 1.0e-12 relative (hence rtol 2e-12 here; the
    # exact agreement with 1 - slo / 100 is checked to 1e-12 above).
    model = OutageModel.calibrated_to_sla(FOUR_HOURS, 99.99)
    np.testing.assert_allclose(model.processes(["eastus"])[0].probability_down, 1e-4, rtol=2e-12)
    # The two-region example's rate: -ln(0.9999) * 8760 / 4 = 0.21901 starts a year.
    np.testing.assert_allclose(model.rate_per_year, 0.219011, rtol=1e-5)


def test_calibrated_to_sla_passes_overrides_and_groups():
    pair = OutageGroup("pair", ("eastus", "westus"), 0.1, FOUR_HOURS)
    model = OutageModel.calibrated_to_sla(FOUR_HOURS, 99.9, groups=(pair,),
                                          regions={"eastus": {"rate_per_year": 3.0}})
    names = [p.name for p in model.processes(["eastus", "westus"])]
    assert names == ["eastus", "westus", "pair"]
    assert model.processes(["eastus"])[0].rate_per_year == 3.0
    np.testing.assert_allclose(model.processes(["westus"])[0].probability_down, 1e-3, rtol=1e-9)
