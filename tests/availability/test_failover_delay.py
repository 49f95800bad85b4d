"""The failover delay built from its parts (plcapacity.availability.failover_delay): known
answers for each part alone and for sums of parts (exact CDFs computed here, independently of
the code), the published figures it is fitted to, its use by Failover, deployment files and the
simulation, and refused values."""

import itertools
import math
import pickle
import re
import textwrap

import numpy as np
import pytest
from mc_cases import check_against_exact

import plcapacity as plc
from plcapacity.availability import failover_delay_law
from plcapacity.availability.failover_delay import POINTS, default_delay_parts
from plcapacity.outages.laws import EmpiricalDuration

#: Every automated part switched off: only what a test turns on remains.
NOTHING = dict(probe_interval_s=0, tolerated_failures=0, probe_timeout_s=0,
               dns_propagation_s=0, overstay_share=0)


def seconds(law):
    """The law's equally likely delays, sorted. [s]"""
    return np.sort(np.asarray(law.hours) * 3600)


def cdf_gap(values, cdf):
    """Largest distance between the equally weighted points' CDF and ``cdf``."""
    n = len(values)
    exact = cdf(values)
    return max(np.abs(exact - np.arange(1, n + 1) / n).max(),
               np.abs(exact - np.arange(n) / n).max())


def sum_of_uniforms_cdf(x, widths):
    """P(U1 + ... + Um <= x) for independent U_i uniform on [0, w_i] (inclusion-exclusion over
    the corners of the box, as for the Irwin-Hall law)."""
    widths = [w for w in widths if w > 0]
    m = len(widths)
    total = np.zeros_like(x, dtype=float)
    for r in range(m + 1):
        for corner in itertools.combinations(widths, r):
            total += (-1) ** r * np.maximum(0.0, x - sum(corner)) ** m
    return total / (math.factorial(m) * math.prod(widths))


# ----------------------------------------------------------------------------- each part alone


@pytest.mark.parametrize("ttl", [1, 30, 300, 3600, 86_400])
def test_remaining_ttl_alone_is_uniform_on_zero_to_ttl(ttl):
    law = failover_delay_law(dns_ttl_s=ttl, **NOTHING)
    s = seconds(law)
    assert isinstance(law, EmpiricalDuration) and len(s) == POINTS
    assert 0 < s.min() and s.max() < ttl
    assert s.mean() == pytest.approx(ttl / 2, rel=1e-12)
    assert np.median(s) == pytest.approx(ttl / 2, abs=ttl / POINTS)
    assert np.quantile(s, 0.95) == pytest.approx(0.95 * ttl, abs=ttl / POINTS)
    assert cdf_gap(s, lambda x: x / ttl) <= 1.01 / POINTS
    assert law.mean_minutes == pytest.approx(ttl / 120, rel=1e-12)


@pytest.mark.parametrize("interval, tolerated, timeout", [(30, 3, 10), (10, 0, 5), (10, 9, 9),
                                                          (60, 2, 0)])
def test_detection_alone_is_uniform_between_k_and_k_plus_one_intervals_after_the_timeout(
        interval, tolerated, timeout):
    parts = dict(NOTHING, probe_interval_s=interval, tolerated_failures=tolerated,
                 probe_timeout_s=timeout)
    s = seconds(failover_delay_law(dns_ttl_s=0, **parts))
    low, high = tolerated * interval + timeout, (tolerated + 1) * interval + timeout
    assert low < s.min() and s.max() < high
    assert s.mean() == pytest.approx((low + high) / 2, rel=1e-12)
    assert cdf_gap(s, lambda x: (x - low) / interval) <= 1.01 / POINTS


def test_the_traffic_manager_timeline_is_reproduced():
    """Traffic Manager's documented example: probes every 30 s with a 10 s timeout and 3
    tolerated failures; the endpoint is Degraded at the 4th consecutive failure, so 3 intervals
    and a timeout after the first failed probe, which comes within one interval of the
    failure: detection between 100 s and 130 s."""
    s = seconds(failover_delay_law(dns_ttl_s=0, **dict(
        NOTHING, probe_interval_s=30, tolerated_failures=3, probe_timeout_s=10)))
    assert 100 < s.min() and s.max() < 130


def test_dns_propagation_alone_is_uniform():
    s = seconds(failover_delay_law(dns_ttl_s=0, **dict(NOTHING, dns_propagation_s=60)))
    assert s.mean() == pytest.approx(30, rel=1e-12)
    assert cdf_gap(s, lambda x: x / 60) <= 1.01 / POINTS


def test_overstay_alone_is_a_shifted_exponential():
    """Every client overstays 40 s plus an exponential time of mean 500 s."""
    law = failover_delay_law(dns_ttl_s=0, **dict(NOTHING, overstay_share=1, overstay_min_s=40,
                                                 overstay_mean_s=540))
    s = seconds(law)
    assert s.min() > 40
    assert s.mean() == pytest.approx(540, rel=1e-9)
    for x in (50, 100, 500, 1500):
        assert (s > 40 + x).mean() == pytest.approx(math.exp(-x / 500), abs=1.5 / POINTS)


def test_a_fixed_overstay_when_its_mean_is_its_minimum():
    s = seconds(failover_delay_law(dns_ttl_s=0, **dict(NOTHING, overstay_share=1,
                                                       overstay_min_s=90, overstay_mean_s=90)))
    np.testing.assert_allclose(s, 90)


@pytest.mark.parametrize("share", [0.1, 0.25, 0.5])
def test_the_overstaying_share_is_the_share_of_points_past_the_ttl(share):
    ttl = 100
    s = seconds(failover_delay_law(dns_ttl_s=ttl, **dict(NOTHING, overstay_share=share,
                                                         overstay_min_s=200,
                                                         overstay_mean_s=700)))
    # a client past 2 TTLs must be overstaying (overstay >= 200 s), one below 1 TTL must not
    assert (s > 2 * ttl).mean() == pytest.approx(share, abs=0.51 / POINTS)
    assert (s < ttl).mean() == pytest.approx(1 - share, abs=0.51 / POINTS)


# ----------------------------------------------------------------------------- sums of parts


def test_the_mean_is_the_sum_of_the_parts_means():
    """Independent parts: E[delay] = I (k + 1/2) + T + P / 2 + TTL / 2 + share x mean
    overstay, the share rounded to the lattice's points."""
    interval, tolerated, timeout, propagation, ttl = 10, 2, 5, 60, 300
    share, low, mean = 0.25, 30, 200
    law = failover_delay_law(dns_ttl_s=ttl, probe_interval_s=interval,
                             tolerated_failures=tolerated, probe_timeout_s=timeout,
                             dns_propagation_s=propagation, overstay_share=share,
                             overstay_min_s=low, overstay_mean_s=mean)
    rounded_share = round(share * POINTS) / POINTS
    expected = (interval * (tolerated + 0.5) + timeout + propagation / 2 + ttl / 2
                + rounded_share * mean)
    assert seconds(law).mean() == pytest.approx(expected, rel=1e-9)
    assert law.mean_minutes == pytest.approx(expected / 60, rel=1e-9)
    assert rounded_share == pytest.approx(share, abs=0.51 / POINTS)


@pytest.mark.parametrize("ttl, propagation", [(300, 60), (60, 60), (3600, 60), (10, 60)])
def test_ttl_and_propagation_add_as_independent_uniforms(ttl, propagation):
    """The sum of two uniforms has a trapezoidal CDF: the lattice's points must follow it (to
    a few tenths of a percent in probability, where independent draws would need ~10^6)."""
    s = seconds(failover_delay_law(dns_ttl_s=ttl, **dict(NOTHING,
                                                         dns_propagation_s=propagation)))
    assert cdf_gap(s, lambda x: sum_of_uniforms_cdf(x, [ttl, propagation])) < 0.004


@pytest.mark.parametrize("ttl", [30, 300, 3600])
def test_detection_propagation_and_ttl_add_as_independent_uniforms(ttl):
    interval, tolerated, timeout, propagation = 30, 3, 10, 60
    s = seconds(failover_delay_law(dns_ttl_s=ttl, probe_interval_s=interval,
                                   tolerated_failures=tolerated, probe_timeout_s=timeout,
                                   dns_propagation_s=propagation, overstay_share=0))
    shift = tolerated * interval + timeout
    gap = cdf_gap(s, lambda x: sum_of_uniforms_cdf(x - shift, [interval, propagation, ttl]))
    assert gap < 0.004
    # the median of the exact law, found by bisection on its CDF
    lo, hi = shift, shift + interval + propagation + ttl
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if sum_of_uniforms_cdf(np.array([mid - shift]),
                                                  [interval, propagation, ttl])[0] < 0.5 else (lo, mid)
    assert np.median(s) == pytest.approx(lo, abs=0.01 * (interval + propagation + ttl))


def test_a_longer_ttl_delays_every_client_at_least_as_much():
    short, long = (seconds(failover_delay_law(dns_ttl_s=ttl)) for ttl in (30, 300))
    assert (long >= short).all() and long.mean() - short.mean() == pytest.approx(135, rel=1e-9)


# ----------------------------------------------------------------------------- the evidence


def test_defaults_are_traffic_managers_and_azure_dns_documented_values():
    """Traffic Manager: 30 s probing, 3 tolerated failures, 10 s timeout (endpoint
    monitoring); Azure DNS: changes on the name servers within 60 s (DNS FAQ)."""
    parts = default_delay_parts()
    assert parts["probe_interval_s"] == 30
    assert parts["tolerated_failures"] == 3
    assert parts["probe_timeout_s"] == 10
    assert parts["dns_propagation_s"] == 60


def test_the_overstay_default_reproduces_flavel_et_al():
    """Flavel, Mani and Maltz (IEEE LANMAN 2014), TTL 20 s: 90 % of requests on the new answer
    within 60 s, 2 % of users still on the old one after 15 minutes. With no detection and no
    propagation delay the default law must give back both figures (to 3 %, as docs/failover.md
    says: the fit measures overstay from the end of the TTL, ignoring the up-to-20-s residual)."""
    s = seconds(failover_delay_law(dns_ttl_s=20, probe_interval_s=0, tolerated_failures=0,
                                   probe_timeout_s=0, dns_propagation_s=0))
    assert (s > 60).mean() == pytest.approx(0.10, rel=0.03)
    assert (s > 15 * 60).mean() == pytest.approx(0.02, rel=0.03)
    # a client that honours the TTL has switched by 20 s
    assert (s > 20).mean() == pytest.approx(0.10, abs=1 / POINTS)


def test_the_data_file_cites_a_source_for_every_figure():
    from plcapacity.base.limits import read_reference
    table = read_reference("failover_delay.csv")
    assert list(table.columns) == ["name", "value", "unit", "source", "as_of", "uncertain",
                                   "note"]
    assert table["name"].is_unique
    assert table["source"].str.match(r"https://").all()
    assert set(table["uncertain"].astype(str).str.lower()) <= {"true", "false"}
    # the DNS propagation figure is said of public Azure DNS only: flagged
    flagged = table.set_index("name")["uncertain"].astype(str).str.lower()
    assert flagged["azure_dns_propagation_s"] == "true"


# ----------------------------------------------------------------------------- the object


def test_the_law_is_deterministic_and_touches_no_global_generator():
    np.random.seed(5)
    state = np.random.get_state()[1].copy()
    a = failover_delay_law(dns_ttl_s=300)
    b = failover_delay_law(dns_ttl_s=300)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    assert a == b and a.hours == b.hours and hash(a) == hash(b)
    assert pickle.loads(pickle.dumps(a)) == a
    assert a != failover_delay_law(dns_ttl_s=301)


def test_repr_and_describe_show_the_parts():
    law = failover_delay_law(dns_ttl_s=120, probe_interval_s=10, tolerated_failures=1,
                             probe_timeout_s=5, dns_propagation_s=30, overstay_share=0)
    text = repr(law)
    assert text.startswith("failover_delay_law(dns_ttl_s=120, probe_interval_s=10, "
                           "tolerated_failures=1, probe_timeout_s=5, dns_propagation_s=30, "
                           "overstay_share=0, ")
    assert len(text) < 300  # not thousands of points
    assert "DNS TTL 120 s" in law.describe() and "probes every 10 s" in law.describe()
    # by hand: 10 x 1.5 + 5 + 15 + 60 = 95 s
    assert law.mean_minutes == pytest.approx(95 / 60, rel=1e-9)
    assert law.quantile_minutes(0) > 15 / 60 and law.quantile_minutes(1) <= 175 / 60


def test_samples_are_the_laws_points_in_minutes(rng):
    law = failover_delay_law(dns_ttl_s=60)
    draws = law.sample(rng, 20_000)
    assert np.isin(draws, np.asarray(law.hours) * 60).all()
    assert draws.mean() == pytest.approx(law.mean_minutes, rel=0.05)


# ----------------------------------------------------------------------------- Failover and files


def test_failover_takes_a_built_law_and_keeps_its_repr_and_fields():
    law = failover_delay_law(dns_ttl_s=300)
    failover = plc.Failover("active-passive", delay=law)
    assert failover.delay is law
    assert failover.delay_minutes == law.mean_minutes
    assert repr(failover) == (f"Failover(mode='active-passive', delay_minutes="
                              f"{law.mean_minutes!r}, order=(), delay={law!r})")
    with pytest.raises(ValueError, match=re.escape("[failover]: give delay_minutes=5 or delay "
                                                   "(built from its parts (DNS TTL 300 s")):
        plc.Failover("active-passive", 5.0, delay=law)


VALID = textwrap.dedent("""\
    [outages]
    rate_per_year = 1.0
    duration = { law = "fixed", hours = 4 }

    [[destinations]]
    name = "pls-east"
    region = "eastus"
    capacity_connections = 1_000_000

    [[destinations]]
    name = "pls-west"
    region = "westus"
    capacity_connections = 1_000_000

    [[endpoints]]
    name = "pe-east"
    region = "eastus"
    destination = "pls-east"

    [[endpoints]]
    name = "pe-west"
    region = "westus"
    destination = "pls-west"

    [failover]
    mode = "active-passive"
    order = ["pe-west", "pe-east"]
    """)


def write(tmp_path, text):
    path = tmp_path / "deployment.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_deployment_file_builds_the_delay_from_its_parts(tmp_path):
    path = write(tmp_path, VALID + textwrap.dedent("""\
        dns_ttl_s = 300
        probe_interval_s = 10
        tolerated_failures = 1
        probe_timeout_s = 5
        dns_propagation_s = 20
        overstay_share = 0
        """))
    deployment, _ = plc.load_deployment(path)
    failover = deployment.failover
    assert failover.order == ("pe-west", "pe-east")
    assert failover.delay == failover_delay_law(dns_ttl_s=300, probe_interval_s=10,
                                                tolerated_failures=1, probe_timeout_s=5,
                                                dns_propagation_s=20, overstay_share=0)
    # by hand: 10 x 1.5 + 5 + 20 / 2 + 300 / 2 = 180 s = 3 minutes
    assert failover.delay_minutes == pytest.approx(3.0, rel=1e-9)


def test_deployment_file_takes_the_ttl_alone_with_the_documented_defaults(tmp_path):
    deployment, _ = plc.load_deployment(write(tmp_path, VALID + "dns_ttl_s = 30\n"))
    assert deployment.failover.delay == failover_delay_law(dns_ttl_s=30)
    assert dict(deployment.failover.delay.parts)["probe_interval_s"] == 30


@pytest.mark.parametrize("extra, message", [
    ("dns_ttl_s = 300\ndelay_minutes = 5\n",
     "[failover]: give delay_minutes or the delay's parts (dns_ttl_s), not both"),
    ('dns_ttl_s = 300\nprobe_interval_s = 10\ndelay = { law = "fixed", minutes = 5 }\n',
     "[failover]: give delay or the delay's parts (dns_ttl_s, probe_interval_s), not both"),
    ("probe_interval_s = 10\n",
     "[failover]: probe_interval_s needs dns_ttl_s, the TTL of the endpoint's DNS record"),
    ("dns_ttl_s = -5\n", "[failover] dns_ttl_s=-5 is not allowed: a number of seconds from 0 "
                         "to 604,800 (a week)"),
    ('dns_ttl_s = "300"\n', "[failover] dns_ttl_s='300' is not allowed"),
    ("dns_ttl_s = 300\ntolerated_failures = 1.5\n",
     "[failover] tolerated_failures=1.5 is not allowed: a whole number from 0 to 100"),
    ("dns_ttl_s = 300\noverstay_share = 2\n",
     "[failover] overstay_share=2 is not allowed: a share from 0 to 1"),
    ("dns_ttl_s = 300\nprobe_intervall_s = 10\n",
     "[failover]: unknown key(s) probe_intervall_s; allowed: delay, delay_minutes, mode, order, "
     "or the delay's parts dns_ttl_s, probe_interval_s"),
], ids=["with-delay-minutes", "with-delay", "no-ttl", "negative-ttl", "ttl-as-text",
        "fractional-failures", "share-above-one", "misspelt-key"])
def test_deployment_file_errors_name_the_key(tmp_path, extra, message):
    path = write(tmp_path, VALID + extra)
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        plc.load_deployment(path)
    text = str(info.value)
    assert text.startswith(str(path)) and "\n" not in text


# ----------------------------------------------------------------------------- refused values


BAD = {
    "dns_ttl_s": ([-1, 604_801, 1e12, math.nan, math.inf, "300", True, None],
                  "a number of seconds from 0 to 604,800 (a week)"),
    "probe_interval_s": ([-5, 3601, math.inf, "30", False], "a number of seconds from 0 to 3,600"),
    "tolerated_failures": ([-1, 2.5, 101, "3", math.nan], "a whole number from 0 to 100"),
    "probe_timeout_s": ([-0.1, 3600.5, "10"], "a number of seconds from 0 to 3,600"),
    "dns_propagation_s": ([-1, 7200, [60]], "a number of seconds from 0 to 3,600"),
    "overstay_share": ([-0.01, 1.01, "10%", math.nan], "a share from 0 to 1"),
    "overstay_min_s": ([-1, 86_401, "40"], "a number of seconds from 0 to 86,400 (a day)"),
    "overstay_mean_s": ([10, 39.9, 604_801, "500"],
                        "a number of seconds from overstay_min_s (40) to 604,800 (a week)"),
}


@pytest.mark.parametrize("field, value, allowed",
                         [(f, v, allowed) for f, (values, allowed) in BAD.items()
                          for v in values],
                         ids=[f"{f}={v!r}" for f, (values, _) in BAD.items() for v in values])
def test_bad_values_are_refused_naming_field_value_and_range(field, value, allowed):
    kwargs = {"dns_ttl_s": 300, "overstay_min_s": 40, field: value}
    with pytest.raises(ValueError) as info:
        failover_delay_law(**kwargs)
    text = str(info.value)
    assert text.startswith(f"{field}=") and "is not allowed: " + allowed in text, text


def test_the_ttl_has_no_default():
    with pytest.raises(TypeError, match="dns_ttl_s"):
        failover_delay_law()
    with pytest.raises(TypeError):
        failover_delay_law(300)  # keyword only: a bare number could be any part


def test_parts_that_leave_some_clients_no_delay_are_refused():
    with pytest.raises(ValueError, match="these parts make the delay 0 for some clients"):
        failover_delay_law(dns_ttl_s=0, **NOTHING)
    with pytest.raises(ValueError, match=re.escape("[failover]: these parts make the delay 0")):
        failover_delay_law(dns_ttl_s=0, where="[failover]", **dict(NOTHING, overstay_share=0.5))


# ----------------------------------------------------------------------------- the simulation


def test_simulated_gaps_have_the_built_laws_mean():
    """Primary region down twice a year for exactly 2 h, the secondary never: the downtime is
    the failover gaps, min(delay, 2 h) each; every delay of this law is below 10 minutes, so a
    year's expected downtime is 2 x its mean, 2 x (10 x 1.5 + 5 + 20 / 2 + 300 / 2) s = 6 min."""
    law = failover_delay_law(dns_ttl_s=300, probe_interval_s=10, tolerated_failures=1,
                             probe_timeout_s=5, dns_propagation_s=20, overstay_share=0)
    assert seconds(law).max() < 600
    deployment = plc.Deployment(
        (plc.Destination("pls-e", "eastus", 1e6), plc.Destination("pls-w", "westus", 1e6)),
        (plc.Endpoint("pe-e", "eastus", "pls-e"), plc.Endpoint("pe-w", "westus", "pls-w")),
        failover=plc.Failover("active-passive", delay=law))
    outages = plc.OutageModel(2.0, {"law": "fixed", "hours": 2},
                              regions={"westus": {"rate_per_year": 0.0}})
    result = plc.simulate(deployment, outages, trials=20_000, seed=3)
    check_against_exact(result.unavailability, 6 / (365 * 24 * 60),
                        result.ci_half_width / 1.96)


# ----------------------------------------------------------------------------- the documentation


def test_the_docs_table_and_figures_are_the_codes():
    """docs/failover.md: the table is the one docs/make_failover_table.py writes, and the
    figures its text quotes are the code's."""
    import importlib.util
    from pathlib import Path

    from plcapacity.outages.laws import LognormalDuration

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("make_failover_table",
                                                  root / "docs" / "make_failover_table.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    page = (root / "docs" / "failover.md").read_text(encoding="utf-8")
    assert f"{script.START}\n{script.render()}\n{script.END}" in page, \
        "run: python docs/make_failover_table.py"
    text = " ".join(page.split())
    ten, five_minutes, hour = (failover_delay_law(dns_ttl_s=t) for t in (10, 300, 3600))
    median, p95 = ten.quantile_minutes([0.5, 0.95])
    assert (f"a median of {median:.1f} minutes, a 95th percentile of {p95:.0f} minutes and a "
            f"mean of {ten.mean_minutes:.1f} minutes at the 10 s TTL") in text
    median, p95 = five_minutes.quantile_minutes([0.5, 0.95])
    assert f"({median:.1f}, {p95:.1f} and {five_minutes.mean_minutes:.1f} minutes at 300 s)" in text
    assert f"{five_minutes.mean_minutes * 60:.0f} s, {five_minutes.mean_minutes:.1f} minutes" in text
    assumed = LognormalDuration(15 / 60, 120 / 60).mean_minutes
    assert f"Its mean ({assumed:.0f} minutes) is that of the built law with a one-hour TTL" in text
    assert round(hour.mean_minutes) == round(assumed)
