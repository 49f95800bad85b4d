"""The HTML report: generated from the example, every section and figure embedded, escaped,
readable at scale (top-N tables, full CSV inside), valid HTML, and laid out in a browser."""

import base64
import dataclasses
import html.parser
import io
import json
import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from browser import page_widths  # noqa: E402

import plcapacity as plc  # noqa: E402
from plcapacity.base.limits import data_path, limits_table  # noqa: E402
from plcapacity.batch.report import (
    batch_report,
    capacity_shortfall,
    glossary,
    limits_at_risk,
    readable,
    report_inputs,
    results_table,
    uncertainties,
    write_report,
)
from plcapacity.batch.run import BatchResults, run_batch
from plcapacity.batch.scenarios import read_scenarios  # noqa: E402
from plcapacity.cli import main  # noqa: E402
from plcapacity.report.html import assumptions, html_table

EXAMPLE = data_path("examples/services.csv")
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class _Collector(html.parser.HTMLParser):
    """Collects ids, images, links and text, and checks that every tag is closed in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.images, self.links, self.stack, self.text = [], [], [], [], []
        self.tags = set()
        self.in_table = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "a":
            self.links.append(attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        raise AssertionError(f"self-closing <{tag}/> in an HTML document")

    def handle_endtag(self, tag):
        assert tag not in VOID, f"</{tag}> closes a void element"
        assert self.stack, f"</{tag}> without an open tag"
        opened = self.stack.pop()
        assert opened == tag, f"</{tag}> closes <{opened}>"

    def handle_data(self, data):
        self.text.append(data)


class _Tables(html.parser.HTMLParser):
    """The text of each table's cells, by table id (no lxml needed)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables, self.current, self.row, self.cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.current = self.tables.setdefault(dict(attrs).get("id"), [])
        elif tag == "tr" and self.current is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.current.append(self.row)
            self.row = None
        elif tag == "table":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table(page, table_id):
    """A table of the page as a DataFrame of the text shown (header row as columns)."""
    parser = _Tables()
    parser.feed(page)
    rows = parser.tables[table_id]
    return pd.DataFrame(rows[1:], columns=rows[0])


def parse(page):
    parsed = _Collector()
    parsed.feed(page)
    parsed.close()
    assert parsed.stack == [], f"unclosed tags: {parsed.stack}"
    assert page.lstrip().startswith("<!DOCTYPE html>")
    assert len(parsed.ids) == len(set(parsed.ids)), "duplicate ids"
    return parsed


def download(parsed):
    """The full table from the page's embedded CSV link."""
    href = next(a["href"] for a in parsed.links if "download" in a)
    assert href.startswith("data:text/csv;base64,")
    return pd.read_csv(io.BytesIO(base64.b64decode(href.split(",", 1)[1])),
                       keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def results():
    return run_batch(EXAMPLE, trials=3_000, seed=1, workers=1)


@pytest.fixture(scope="module")
def page(results):
    return batch_report(results, scenarios=EXAMPLE, source=str(EXAMPLE), trials=3_000, seed=1)


def _served_name(results):
    return "served_availability" if "served_availability" in results else "served_fraction"


def test_report_has_every_section_and_embedded_figure(results, page):
    parsed = parse(page)
    for section in ("summary", "attention", "sizing", "availability", "warnings", "figures",
                    "download", "glossary", "assumptions", "fig-batch-overview",
                    "fig-utilization", "fig-slo-risk"):
        assert section in parsed.ids
    assert len(parsed.images) == 3
    for src in parsed.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    text = " ".join(parsed.text)
    for service in results.service:
        assert service in text
    assert "ports_per_nat_ip" in text and "64k" in text  # assumptions and uncertainty
    assert "Seed 1" in text and "--seed 1" in text
    assert "http" not in page.replace("https://learn.microsoft.com", "").replace(
        "https://github.com", "").replace("https://azure.microsoft.com", "")  # self-contained


def test_inputs_beside_the_recommendation_with_plain_headers(page):
    parsed = parse(page)
    text = " ".join(parsed.text)
    for header in ("Demand [connections]", "Headroom [%]", "VM failures tolerated [VMs]",
                   "Growth [% per year]", "Regions with endpoints", "Failover",
                   "Recommended PLS \u00d7 NAT IPs \u00d7 VMs", "Used after VM failures [%]",
                   "Served availability [%]", "Notes (rare events)"):
        assert header in text, header
    for raw in ("utilization_after_failures", "p_month_below_slo", "concurrent_connections"):
        assert f">{raw}<" not in page  # no snake_case headers
    sizing = table(page, "T_sizing")
    row = sizing.set_index("Service").loc["payments-api"]
    assert row["Demand [connections]"] == "250,000" and row["Headroom [%]"] == "30\u00a0%"
    assert row["Recommended PLS \u00d7 NAT IPs \u00d7 VMs"] == "1 \u00d7 2 \u00d7 5"
    assert row["Limiting factor"] == "connections per VM"
    assert sizing.set_index("Service").loc["hr-portal", "Max connections per VM"] == \
        "the NIC's concurrent flows (default)"


def test_inputs_are_said_to_be_missing_without_scenarios(results):
    page = batch_report(results)
    assert "The inputs are not shown" in page
    assert "Demand [connections]" not in page
    assert results.seed_entropy == 1
    assert "Seed 1:" in page  # the seed from the results
    assert "No seed was recorded" in batch_report(
        dataclasses.replace(results, seed_entropy=None))
    plain = results.table.copy()
    plain.attrs = {}  # a table read back from its CSV: no seed
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert "No seed was recorded" in batch_report(plain)
        assert "Seed 5:" in batch_report(plain, seed=5)


def test_a_dataframe_with_the_old_seed_key_still_shows_it_and_warns(results):
    old = results.table.copy()                     # 0.1's results: the seed in .attrs
    assert old.attrs["seed_entropy"] == 1
    with pytest.warns(DeprecationWarning, match=r'a results DataFrame with '
                      r'\.attrs\["seed_entropy"\] is deprecated since 0.2.0 and will be '
                      r'removed in 0.3.0; use the BatchResults'):
        page = batch_report(old)
    assert "Seed 1:" in page
    with warnings.catch_warnings():                # a seed given: .attrs is not read
        warnings.simplefilter("error", DeprecationWarning)
        assert "Seed 2:" in batch_report(old, seed=2)


def test_capacity_shortfall_is_a_risk_counted_and_highlighted(results, page):
    short = capacity_shortfall(results)
    served = results[_served_name(results)]
    assert short.loc[results.service == "cdn-origin"].item()
    assert short.sum() == (served < results.availability - 1e-9).sum() >= 1
    text = " ".join(parse(page).text)
    assert f"{short.sum()} with a capacity shortfall after a regional outage" in text
    hours = (1 - served[results.service == "cdn-origin"].item()) * 8760
    assert hours > 10 and f"{hours:,.1f} h a year" in text
    attention = table(page, "T_attention")
    assert attention.Service.iloc[0] in set(results.service[short])
    why = attention.set_index("Service").loc["cdn-origin", "Why it needs attention"]
    assert "capacity shortfall" in why
    assert 'class="data row0 col0 text bad"' in page.split('id="T_availability"')[1]


def test_served_availability_name_from_main_is_preferred(results):
    renamed = dataclasses.replace(results, table=results.table.rename(
        columns={"served_fraction": "served_availability"}))
    if "served_availability_ci_low" not in renamed:
        renamed["served_availability_ci_low"] = renamed["served_availability"] - 1e-5
        renamed["served_availability_ci_high"] = renamed["served_availability"] + 1e-5
    page = batch_report(renamed)
    assert "Served availability [%] (95 % CI)" in page
    assert capacity_shortfall(renamed).equals(capacity_shortfall(results))
    old = results.drop(columns=[c for c in results if c.startswith("served_availability")])
    if "served_fraction" not in old:
        old["served_fraction"] = results["served_availability"]
    assert capacity_shortfall(old).equals(capacity_shortfall(results))


def test_availability_notes_and_warnings_are_readable(results, page):
    text = " ".join(parse(page).text)
    assert "Exact values exclude failover gaps." in text
    assert "Availability is the deployment file's own" in text
    assert "rare events (downtime): the sample" not in text  # reworded
    note = ("rare events (downtime): the sample is expected to hold only 4.4 episodes; the "
            "exact value is 0.9999999900 (unavailability 1e-08) - the simulated availability "
            "is not a measurement; rare events (unserved time): the sample is expected to hold "
            "only 4.4 episodes; the exact value is 0.9999999900 (unavailability 1e-08) - the "
            "simulated served fraction is not a measurement")
    sentences = readable(note)
    assert len(sentences) == 2 and all(s.startswith("Rare events") for s in sentences)
    assert "served availability" in sentences[1] and "0.9999999900" in sentences[1]
    warning = ("more than the 500,000 concurrent flows a VM NIC supports on each VM; set "
               "max_connections_per_vm to size for it; failover_delay_min ignored: "
               "active-active has no failover")
    assert readable(warning) == [
        "More than the 500,000 concurrent flows a VM NIC supports on each VM; set "
        "\u201cmax connections per vm\u201d to size for it.",
        "\u201cFailover delay\u201d ignored: active-active has no failover."]
    assert readable(np.nan) == readable("") == []


def test_glossary_defines_every_term(page):
    terms = " ".join(term for term, _ in glossary())
    for term in ("nat_ports", "vm_connections", "hash_overflow", "Served availability",
                 "SLO", "Headroom", "Capacity shortfall", "Seed", "95 % confidence"):
        assert term in terms, term
    assert 'id="glossary"' in page and page.count("<dt>") == len(glossary())


def test_uncertainty_prose_comes_from_the_reference_data():
    items = uncertainties()
    table = limits_table().set_index("name")
    used = assumptions()
    for name in used.name[used.uncertain == "yes"]:
        assert any(item.startswith(f"{name} = ") and table.loc[name, "note"] in item
                   for item in items), name
    assert any("credit tiers" in item and "99.99 %: 10 % credit" in item for item in items)
    assert any("outage_median_hours" in item and "2 (assumption)" in item for item in items)
    assert any("independent" in item for item in items)


def test_hostile_names_are_escaped_not_evaluated(results):
    hostile = ["<script>alert(1)</script>", '"><img src=x onerror=alert(2)>', "{{ 7*7 }}",
               "{% raw %}x", "a$b$ & co"]
    evil = dataclasses.replace(results, table=results.table.copy())
    evil.loc[:4, "service"] = hostile
    evil.loc[0, "warning"] = "<b>bold</b> warning"
    evil.loc[1, "availability_note"] = "{{ config }} <i>note</i>"
    scenarios = read_scenarios(EXAMPLE)
    scenarios.loc[:4, "service"] = hostile
    scenarios.loc[0, "pe_regions"] = "<svg onload=alert(3)>"
    page = batch_report(evil, scenarios=scenarios, title="<title>T</title>{{ 6*6 }}",
                        source="<x>.csv")
    parsed = parse(page)
    assert "<script>" not in page and "<img src=x" not in page and "<svg" not in page
    assert "<b>bold" not in page and "<i>note" not in page and "<x>" not in page
    text = " ".join(parsed.text)
    assert "<title>T</title>{{ 6*6 }}" in parsed.text  # the h1, as written
    services = set(table(page, "T_sizing").Service)
    assert set(hostile) <= services and "49" not in services
    for name in hostile[:3]:
        assert name in text  # shown as written
    assert "{{ 7*7 }}" in text and "{{ 6*6 }}" in text and "<b>bold</b> warning" in text
    assert parsed.tags <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p",
                           "nav", "ul", "li", "a", "div", "table", "thead", "tbody", "tr",
                           "th", "td", "span", "code", "figure", "img", "figcaption", "dl",
                           "dt", "dd"}
    assert [src[:22] for src in parsed.images] == ["data:image/png;base64,"] * 3
    full = download(parsed)
    assert full.service.tolist()[:5] == hostile  # the download keeps names as written


def _many(results, n, seed=0):
    """``n`` synthetic results: the example's rows repeated, perturbed, uniquely named."""
    rng = np.random.default_rng(seed)
    reps = -(-n // len(results))
    frame = pd.concat([results.table] * reps, ignore_index=True).iloc[:n].copy()
    frame["service"] = [f"{name}-{i:05d}" for i, name in enumerate(frame["service"])]
    frame["utilization_after_failures"] = np.clip(
        frame["utilization_after_failures"] * rng.uniform(0.8, 1.2, n), 0, 1.3)
    frame["p_month_below_slo"] = frame["p_month_below_slo"] * rng.uniform(0.5, 1.5, n)
    return BatchResults(frame, results.seed_entropy)


def test_top_n_tables_and_the_complete_csv(results):
    many = _many(results, 300)
    page = batch_report(many, top=10)
    parsed = parse(page)
    for name in ("T_attention", "T_sizing", "T_availability"):
        assert len(table(page, name)) == 10, name
    sizing = table(page, "T_sizing")
    fullest = many.sort_values("utilization_after_failures", ascending=False).service[:10]
    assert sizing.Service.tolist() == fullest.tolist()
    full = download(parsed)
    assert full.service.tolist() == many.service.tolist()
    # CSV has one empty cell for "" and missing: compare with both as missing
    pd.testing.assert_frame_equal(full[list(results.columns)],
                                  many.reset_index(drop=True).replace({"": np.nan}),
                                  check_dtype=False, check_exact=True)
    assert "the 10 highest of 300 services" in page or "300" in " ".join(parsed.text)


def test_csv_with_inputs_and_file_beside(results, tmp_path):
    table = results_table(results, EXAMPLE)
    inputs = read_scenarios(EXAMPLE)
    assert table.headroom.tolist() == inputs.headroom.tolist()
    assert list(table.columns[:len(results.columns)]) == list(results.columns)
    page = batch_report(results, scenarios=EXAMPLE, full_table="results.csv")
    parsed = parse(page)
    assert {"href": "results.csv", "class": "download"} in parsed.links
    assert "travels with this page" in page and "data:text/csv" not in page


def test_report_inputs_join_by_service(results):
    shuffled = read_scenarios(EXAMPLE).sample(frac=1, random_state=1)
    inputs = report_inputs(results, shuffled)
    assert inputs.index.equals(results.index)
    expected = read_scenarios(EXAMPLE).set_index("service").loc[results.service,
                                                                "concurrent_connections"]
    assert inputs.concurrent_connections.tolist() == expected.tolist()
    twice = pd.concat([shuffled, shuffled.head(1)])
    with pytest.raises(ValueError, match="appears more than once"):
        report_inputs(results, twice)
    with pytest.raises(ValueError, match="no 'service' column"):
        report_inputs(results, shuffled.drop(columns="service"))


def test_failed_rows_come_first_and_are_counted(results):
    failed = dataclasses.replace(results, table=results.table.copy())
    columns = ["utilization_after_failures", "months_to_ceiling", "pls_count", "nat_ips",
               "backend_vms"]
    failed.loc[3, "status"] = "error"
    failed.loc[3, "error"] = ("row 4 (service 'partner-gateway'): column headroom='x' is not "
                              "allowed")
    failed.loc[3, columns] = np.nan
    page = batch_report(failed)
    text = " ".join(parse(page).text)
    assert "20 services: 19 sized, 1 failed" in text
    attention = table(page, "T_attention")
    assert attention.Service.iloc[0] == "partner-gateway"
    assert attention["Why it needs attention"].iloc[0].startswith("row 4 (service")
    sizing = table(page, "T_sizing")
    assert sizing.Service.iloc[0] == "partner-gateway"
    assert sizing.iloc[0]["Recommended PLS \u00d7 NAT IPs \u00d7 VMs"] == "error: see above"


def test_limits_at_risk_picks_full_and_soon(results):
    risk = limits_at_risk(results)
    full = results[results.utilization_after_failures > 0.8].service
    soon = results[results.months_to_ceiling < 12].service
    assert set(risk.service) == set(full) | set(soon)
    assert all(reason for reason in risk.why)


def test_building_blocks():
    table = html_table(pd.DataFrame({"name": ["<b>"], "value": [1234567]}))
    assert "&lt;b&gt;" in table and "1,234,567" in table and "<style" not in table
    assert html_table(pd.DataFrame({"x": [1.5]}), {"x": lambda v: "<&>"}).count("&lt;&amp;&gt;")
    used = assumptions()
    assert used.set_index("name").loc["ports_per_nat_ip", "uncertain"] == "yes"


def test_cli_report(tmp_path, capsys):
    path = tmp_path / "report.html"
    code = main(["report", str(EXAMPLE), "-o", str(path), "--trials", "2000", "--seed", "1",
                 "--workers", "1", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0 and path.exists() and "report of 20 services" in out
    page = path.read_text()
    assert page.count("data:image/png;base64,") == 3
    parse(page)
    code = main(["report", str(EXAMPLE), "-o", str(tmp_path / "report.pdf")])
    assert code == 2


def test_write_report_is_atomic(tmp_path):
    path = tmp_path / "r.html"
    write_report("<html></html>", path)
    assert path.read_text() == "<html></html>"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


@pytest.mark.skipif(not os.path.exists(CHROMIUM),
                    reason=f"no headless browser: {CHROMIUM} is not installed "
                           "(apt-get install chromium)")
def test_page_fits_1280_px_in_chromium(results, tmp_path):
    page = batch_report(_many(results, 400), scenarios=None, source="many.csv", top=25)
    probe = ("<script>window.addEventListener('load', () => {"
             "const e = document.documentElement; document.body.setAttribute('data-probe', "
             "JSON.stringify({scroll: e.scrollWidth, client: e.clientWidth, "
             "images: Array.from(document.images).map(i => i.naturalWidth)}));});</script>")
    path = tmp_path / "report.html"
    path.write_text(page.replace("</head>", probe + "</head>"), encoding="utf-8")
    common = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
              "--window-size=1280,2000", f"--user-data-dir={tmp_path / 'profile'}"]
    done = subprocess.run(common + ["--virtual-time-budget=5000", "--dump-dom",
                                    path.as_uri()], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    start = done.stdout.index("data-probe=\"") + len("data-probe=\"")
    probe = json.loads(html.unescape(done.stdout[start:done.stdout.index('"', start)]))
    assert probe["client"] == 1280
    assert probe["scroll"] <= 1280, f"horizontal overflow: {probe['scroll']} px"
    assert len(probe["images"]) == 3 and all(width > 0 for width in probe["images"])
    shot = tmp_path / "shot.png"
    done = subprocess.run(common + [f"--screenshot={shot}", path.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(not os.path.exists(CHROMIUM),
                    reason=f"no headless browser: {CHROMIUM} is not installed "
                           "(apt-get install chromium)")
def test_page_reads_on_a_390_px_phone_without_scrolling_sideways(results, tmp_path):
    # a 39-digit seed (what an unseeded run records) must wrap; wide tables scroll in their
    # own box; figures shrink to the width
    many = dataclasses.replace(_many(results, 60), seed_entropy=2 ** 128 - 1)
    page = batch_report(many, scenarios=None, source="many.csv", top=25)
    assert str(2 ** 128 - 1) in page
    probe = page_widths(page, tmp_path, 390)
    assert probe["client"] == 390
    assert probe["scroll"] <= 390, f"the page scrolls sideways: {probe['scroll']} px"
    assert len(probe["images"]) == 3 and max(probe["images"]) <= 390


@pytest.mark.slow
def test_wheel_ships_the_template(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path / "dist"), "-q"], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    wheel = next((tmp_path / "dist").glob("plcapacity-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for template in ("batch_report.html.j2", "estate_review.html.j2", "report.css"):
        assert f"plcapacity/report/templates/{template}" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = ("import matplotlib; matplotlib.use('Agg'); import pandas as pd;"
             "from plcapacity import batch_report;"
             f"r = pd.read_csv({str(tmp_path / 'r.csv')!r});"
             "print(batch_report(r)[:15])")
    run_batch(EXAMPLE, trials=500, seed=1, workers=1).to_csv(tmp_path / "r.csv", index=False)
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(site)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("slo", ["99.995", "99.9999", "99.95"])
def test_an_objective_is_shown_with_every_digit_given(slo):
    table = pd.DataFrame({"service": ["a"], "concurrent_connections": [1_000],
                          "pe_regions": ["eastus"], "slo_percent": [slo]})
    results = run_batch(table, trials=500, seed=1, workers=1)
    page = plc.batch_report(results, scenarios=table)
    assert f">{slo}<" in page.replace("\u00a0", " ")


def test_services_sized_with_the_default_headroom_are_not_flagged_as_full():
    """Sizing leaves a service at most 1 / 1.2 = 83.3 % used with the default 20 % headroom;
    the report must not flag it as over its threshold (it did at 80 %)."""
    from plcapacity.batch.report import UTILIZATION_AT_RISK
    assert UTILIZATION_AT_RISK == pytest.approx(1 / 1.2)
    demands = [96_000 * k + 7 for k in range(1, 40)]  # many fill levels, some near 83.3 %
    table = pd.DataFrame({"service": [f"s{i}" for i in range(len(demands))],
                          "concurrent_connections": demands})
    results = run_batch(table, seed=1, workers=1)
    assert (results.utilization_after_failures > 0.8).any()  # the case the old threshold hit
    assert results.utilization_after_failures.max() <= 1 / 1.2 + 1e-12
    assert plc.limits_at_risk(results).empty
    # without headroom a service is sized up to 100 % and is flagged past 83.3 %
    bare = table.assign(headroom=0.0)
    flagged = plc.limits_at_risk(run_batch(bare, seed=1, workers=1))
    assert len(flagged) and (flagged.utilization_after_failures > 1 / 1.2).all()
