"""estate_table, estate_review (the template, its sections, headers and escaping) and the
``plcapacity estate`` command."""

import dataclasses
import html.parser
import io
import json
import os
import re

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from plcapacity import plotting  # noqa: E402
from plcapacity.base.limits import data_path  # noqa: E402
from plcapacity.cli import main  # noqa: E402
from plcapacity.estate.forecast import forecast_exhaustion  # noqa: E402
from plcapacity.estate.inventory import read_inventory  # noqa: E402
from plcapacity.estate.metrics import read_metrics  # noqa: E402
from plcapacity.estate.review import LABELS, estate_review, estate_table  # noqa: E402
from plcapacity.report.html import page_style  # noqa: E402

ESTATE = data_path("examples/estate")
INVENTORY = [ESTATE / "pls.json", ESTATE / "lb.json", ESTATE / "pe.json"]
METRICS = sorted(ESTATE.glob("metrics-*.json"))


@pytest.fixture(scope="module")
def estate():
    inventory = read_inventory(*INVENTORY)
    metrics = read_metrics(*METRICS)
    return inventory, metrics, forecast_exhaustion(metrics)


class Page(html.parser.HTMLParser):
    """What a reader of the page gets: element ids, images (alt and source), figure
    captions, table headers and the text of each section (by its h2 id). Checks that every
    tag is closed in order."""

    VOID = {"meta", "img", "br", "hr", "link", "input"}

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.ids, self.images, self.headers, self.captions = [], [], [], []
        self.sections, self.stack, self.section, self.title = {}, [], None, ""
        self.feed(text)
        self.close()
        assert not self.stack, f"unclosed tags: {self.stack}"

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "h2":
            self.section = attrs.get("id")
            self.sections[self.section] = ""
        if tag == "img":
            self.images.append((attrs.get("alt"), attrs.get("src")))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        opened = self.stack.pop()
        assert opened == tag, f"</{tag}> closes <{opened}>"

    def handle_data(self, data):
        where = self.stack[-1] if self.stack else None
        if where == "th":
            self.headers.append(data.strip())
        elif where == "figcaption":
            self.captions.append(data)
        elif where == "title":
            self.title += data
        if self.section is not None:
            self.sections[self.section] += data


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


# --------------------------------------------------------------------------- the table


def test_estate_table_joins_inventory_and_forecast(estate):
    inventory, metrics, forecast = estate
    table = estate_table(inventory, forecast)
    assert list(table["name"]) == list(inventory["name"])
    row = table.set_index("name")
    by_pls = forecast.drop_duplicates(["pls", "nat_ip"]).groupby("pls")
    # independent: the highest NAT IP peak, and the sum of peak shares of 6 VMs x 64,000 ports
    assert row.loc["pls-orders", "peak_nat_port_usage_percent"] == by_pls["peak_percent"].max()["pls-orders"]
    expected = by_pls["peak_percent"].sum()["pls-orders"] / 100 * 6 * 64_000
    assert row.loc["pls-orders", "peak_connections_estimate"] == pytest.approx(expected)
    assert pd.isna(row.loc["pls-legacy", "peak_connections_estimate"])   # VMs unknown
    assert row.loc["pls-search", "reaches_80"] == "not within the horizon"
    assert row.loc["pls-legacy", "reaches_80"].startswith("crossed ")
    first = forecast[(forecast["pls"] == "pls-orders") & (forecast["threshold_percent"] == 80)]
    assert row.loc["pls-orders", "reaches_80_date"] == first["crossing_date"].min()
    assert row.loc["pls-orders", "reaches_80"].startswith(f"{first['crossing_date'].min():%Y-%m-%d} (")


def test_estate_table_without_metrics_and_with_missing_ones(estate):
    inventory, metrics, forecast = estate
    bare = estate_table(inventory)
    assert "reaches_80" not in bare and list(bare["findings"]) == list(inventory["findings"])
    partial = forecast[forecast["pls"] != "pls-search"]
    assert estate_table(inventory, partial).set_index("name").loc["pls-search",
                                                                  "reaches_80"] == "no metrics"


# --------------------------------------------------------------------------- the review


def test_review_has_every_section_and_figure(estate):
    inventory, metrics, forecast = estate
    page = estate_review(inventory, metrics, forecast, sources=["pls.json"])
    seen = Page(page)
    assert list(seen.sections) == ["summary", "at-risk", "limits-at-risk", "services",
                                   "forecasts", "overview", "inputs", "glossary", "assumptions"]
    # usage figures for the services whose NAT port usage is at risk, most urgent first:
    # pls-legacy crossed 80 %, pls-payments and pls-orders reach it within 90 days; pls-search
    # (a finding only, usage far from any threshold) has none; then the one overview
    figures = [i for i in seen.ids if i.startswith("fig-")]
    assert figures == ["fig-usage-pls-legacy", "fig-usage-pls-payments", "fig-usage-pls-orders",
                       "fig-ceilings"]
    assert len(seen.images) == 3 + 1
    assert all(src.startswith("data:image/png;base64,") for _, src in seen.images)
    assert [alt for alt, _ in seen.images] == seen.captions
    assert "835 endpoint connections" in seen.sections["limits-at-risk"]
    assert "pls.json" in page.split("<h2")[0]
    assert page_style() in page                       # the batch report's style sheet
    assert page.rstrip().endswith("</html>")


def test_review_headers_are_words_with_units(estate):
    inventory, metrics, forecast = estate
    seen = Page(estate_review(inventory, metrics, forecast))
    shown = set(seen.headers)
    for column in ("ceiling", "peak_nat_port_usage_percent", "peak_throughput_mbit_s",
                   "threshold_percent", "slope_percent_per_day"):
        assert LABELS[column] in shown and column not in shown
    assert "Ceiling [connections]" in shown and "Reaches 80 % (earliest to latest)" in shown
    assert not [h for h in shown if "_" in h]         # no code names left in a header
    services = seen.sections["services"]
    assert "NAT ports" in services and "nat_ports" not in services


def test_review_shows_the_tables_numbers(estate):
    inventory, metrics, forecast = estate
    page = estate_review(inventory, metrics, forecast)
    services = Page(page).sections["services"]
    for ceiling in inventory["ceiling"].dropna():
        assert f"{int(ceiling):,}" in services
    crossed = forecast[forecast["status"] == "crossed"]
    assert len(crossed)
    for day in crossed["crossing_date"]:
        assert f"{day:%Y-%m-%d}" in Page(page).sections["forecasts"]
    assert f"horizon {forecast.horizon_days:g} days" in page


def test_review_caps_the_usage_figures(estate, monkeypatch):
    inventory, metrics, forecast = estate
    monkeypatch.setattr("plcapacity.estate.review.MAX_USAGE_FIGURES", 2)
    seen = Page(estate_review(inventory, metrics, forecast))
    assert len(seen.images) == 2 + 1
    # the two that reach a threshold first: pls-legacy has crossed, pls-payments is next
    assert {"fig-usage-pls-legacy", "fig-usage-pls-payments"} <= set(seen.ids)
    assert "fig-usage-pls-orders" not in seen.ids
    assert "1 more only in the tables" in seen.sections["at-risk"]


def test_review_without_metrics_says_so(estate):
    inventory, _, _ = estate
    seen = Page(estate_review(inventory))
    assert seen.images == []
    assert "No metrics given" in seen.sections["forecasts"]
    assert "No metrics given: no figures" in seen.sections["overview"]


def test_review_escapes_everything(tmp_path, estate):
    inventory, metrics, forecast = estate
    hostile = dataclasses.replace(inventory, table=inventory.table.copy())
    hostile.loc[0, "name"] = "<script>alert('x')</script>"
    hostile.loc[0, "findings"] = "a & b <i>"
    page = estate_review(hostile, None, None, title="<T>", sources=["<src>"])
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<i>" not in page and "a &amp; b &lt;i&gt;" in page
    assert "<title>&lt;T&gt;</title>" in page and "&lt;src&gt;" in page
    seen = Page(page)
    assert seen.title == "<T>"
    assert "<script>alert('x')</script>: a & b <i>" in seen.sections["limits-at-risk"]


def test_review_escapes_names_in_figures_and_notes(estate):
    inventory, metrics, forecast = estate
    name = "\"<b onclick='x'>{{ 7 * 7 }}"
    renamed = dataclasses.replace(forecast, table=forecast.table.copy())
    renamed.loc[renamed["pls"] == "pls-orders", "pls"] = name
    page = estate_review(inventory, metrics, renamed)
    assert "<b onclick" not in page and not any("49" in c for c in Page(page).captions)
    seen = Page(page)
    assert f"fig-usage-{name}" in seen.ids                 # the id, read back intact
    assert any(caption.startswith(f"{name}: daily peaks") for caption in seen.captions)


def test_the_table_feeds_the_ceilings_figure(estate):
    inventory, metrics, forecast = estate
    ax = plotting.ceilings_vs_peaks(estate_table(inventory, forecast))
    assert [t.get_text() for t in ax.get_yticklabels()] == list(inventory["name"])[::-1]
    plt.close(ax.figure)


# --------------------------------------------------------------------------- the objects


def without_time(page):
    return re.sub(r"Generated \d{4}-\d\d-\d\d \d\d:\d\d UTC", "Generated", page)


def test_estate_table_takes_the_inventory_or_its_table(estate):
    inventory, metrics, forecast = estate
    from_objects = estate_table(inventory, forecast)
    from_tables = estate_table(inventory.table, forecast.table)
    pd.testing.assert_frame_equal(from_objects, from_tables)
    assert from_objects.attrs == {"notes": list(inventory.notes)}   # deprecated until 0.3.0
    with pytest.raises(ValueError, match="no column.*give the result of plcapacity.read_inventory"):
        estate_table(inventory.table.drop(columns="ceiling"))


def test_0_1_dataframes_give_the_same_review_with_warnings(estate):
    inventory, metrics, forecast = estate
    old_inventory = inventory.table.copy()
    old_inventory.attrs = {"connections": inventory.connections.to_dict("records"),
                           "notes": list(inventory.notes),
                           "max_connections_per_vm": inventory.max_connections_per_vm}
    old_metrics = metrics.table.copy()
    old_metrics.attrs = {"notes": list(metrics.notes), "flattened": list(metrics.flattened)}
    old_forecast = forecast.table.copy()
    old_forecast.attrs = {"aggregation": forecast.aggregation, "fits": dict(forecast.fits),
                          "confidence": forecast.confidence, "criterion": forecast.criterion,
                          "horizon_days": forecast.horizon_days}
    with pytest.warns(DeprecationWarning) as caught:
        old = estate_review(old_inventory, old_metrics, old_forecast)
    assert sorted(str(w.message).split(" DataFrame")[0] for w in caught) == \
        ["a forecast", "a metrics", "an inventory"]
    assert {w.filename for w in caught} == {__file__}          # they point at the caller
    assert without_time(old) == without_time(estate_review(inventory, metrics, forecast))


def test_bare_tables_review_without_what_they_lack(estate):
    inventory, metrics, forecast = estate
    tables = [inventory.table.copy(), metrics.table.copy(), forecast.table.copy()]
    for table in tables:
        table.attrs = {}
    page = estate_review(*tables)                  # no warning: nothing in .attrs to read
    seen = Page(page)
    assert "per-VM cap" not in seen.sections["services"]
    assert "capped at" not in seen.sections["services"]
    assert "Theil-Sen" not in seen.sections["forecasts"]
    assert len(seen.images) == 3 + 1               # the usage figures, without trend lines


def test_the_review_states_the_cap_and_the_notes(tmp_path, estate):
    inventory, metrics, forecast = estate
    uncapped = dataclasses.replace(inventory, max_connections_per_vm=None,
                                   notes=("skipped 2 resource(s) of type x",))
    flattened = dataclasses.replace(metrics, notes=("the per-NAT-IP breakdown is lost",))
    seen = Page(estate_review(uncapped, flattened, forecast))
    assert "without a per-VM cap" in seen.sections["services"]
    assert "skipped 2 resource(s) of type x" in seen.sections["assumptions"]
    assert "the per-NAT-IP breakdown is lost" in seen.sections["assumptions"]
    capped = dataclasses.replace(inventory, max_connections_per_vm=123_456)
    assert "capped at 123,456 connections per VM" in Page(estate_review(capped)).sections[
        "services"]


# --------------------------------------------------------------------------- the command


def test_estate_command_prints_the_table_and_findings():
    code, out, err = run(["estate", "--inventory", *map(str, INVENTORY),
                          "--metrics", *map(str, METRICS)])
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["name", "region", "nat_ips", "backend_vms", "ceiling"]
    assert "1,536,000" in lines[1] and "pls-orders" in lines[1]
    assert {"peak_%", "peak_Mbit/s", "reaches_80", "reaches_100"} <= set(lines[0].split())
    assert "finding: pls-legacy: backend VMs unknown" in out
    assert "note: Theil-Sen fits" in out


def test_estate_command_json_and_csv():
    code, out, err = run(["estate", "--inventory", *map(str, INVENTORY), "--metrics",
                          *map(str, METRICS), "--format", "json", "--thresholds", "70,90"])
    assert code == 0, err
    records = json.loads(out)
    assert [r["name"] for r in records] == ["pls-orders", "pls-payments", "pls-search",
                                            "pls-legacy"]
    assert "reaches_70" in records[0] and "reaches_90_date" in records[0]
    assert records[0]["ceiling"] == 1_536_000
    code, out, err = run(["estate", "--inventory", *map(str, INVENTORY), "--format", "csv"])
    assert code == 0 and out.startswith("name,region,nat_ips")


def test_estate_command_writes_the_review_atomically(tmp_path, monkeypatch):
    target = tmp_path / "estate.html"
    code, out, err = run(["estate", "--inventory", *map(str, INVENTORY), "--metrics",
                          str(METRICS[0]), "-o", str(target)])
    assert code == 0, err
    assert target.read_text().rstrip().endswith("</html>")
    assert os.listdir(tmp_path) == ["estate.html"]              # no temporary file left
    before = target.read_text()

    def fail(*args):
        raise OSError("disk full")
    monkeypatch.setattr("plcapacity.base.files.os.replace", fail)
    code, out, err = run(["estate", "--inventory", *map(str, INVENTORY), "-o", str(target)])
    assert code == 2 and "disk full" in err
    assert target.read_text() == before and os.listdir(tmp_path) == ["estate.html"]


@pytest.mark.parametrize("argv, message", [
    (["--inventory", "missing.json"], "missing.json: cannot be read"),
    (["--inventory", "x.json", "-o", "review.txt"], "the review is an .html file"),
    (["--inventory", "x.json", "--thresholds", "high"], "is not a list of percentages"),
    (["--inventory", "x.json", "-o", "/no/such/folder/r.html"], "does not exist"),
])
def test_estate_command_bad_input_exits_2_in_one_line(argv, message):
    code, out, err = run(["estate", *argv])
    assert code == 2
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize("many", [300, 1200])
def test_estate_table_work_is_linear_in_the_thresholds(estate, monkeypatch, many):
    # 1,000 to 2,000 thresholds took 22.6 s then 85 s: each threshold filtered every row.
    # Now the rows are described once, all thresholds together.
    from plcapacity.estate import review
    inventory, metrics, _ = estate
    forecast = forecast_exhaustion(metrics, thresholds=[100 * i / many
                                                        for i in range(1, many + 1)])
    described = []
    original = review.describe_crossings

    def counted(rows):
        described.append(len(rows))
        return original(rows)
    monkeypatch.setattr(review, "describe_crossings", counted)
    table = estate_table(inventory, forecast)
    assert len(described) == 1
    assert described[0] <= len(inventory) * many           # at most one row per PLS and level
    assert sum(c.startswith("reaches_") for c in table.columns) == 2 * many
    assert table[f"reaches_{100 / many:g}"].iloc[0].startswith(("crossed", "above"))


def test_review_says_which_metrics_it_left_out(estate):
    inventory, metrics, forecast = estate
    some = dataclasses.replace(inventory, table=inventory.table[inventory["name"] != "pls-orders"])
    page = estate_review(some, metrics, forecast)
    assert "metrics of 1 resource not in the inventory are left out" in page
    assert "/privateLinkServices/pls-orders" in page
    assert "not in the inventory" not in estate_review(inventory, metrics, forecast)


@pytest.mark.parametrize("shape, expected", [
    ("above", r"above since the first day of data \(2026-01-01\)"),
    ("scale-out", r"not projected: the trend is at \d+\.\d % \(at or above 80 %\) while the last "
                  r"7 days peak at 3\d\.\d %"),
    ("plateau", r"not projected: the trend is at \d+\.\d % \(at or above 80 %\) while the last "
                r"7 days peak at 79\.9 %"),
])
def test_estate_table_words_each_status_honestly(estate, shape, expected):
    import numpy as np
    inventory = estate[0]
    rng = np.random.default_rng(4)
    if shape == "above":
        y = 90 + rng.normal(0, 1, 60)
    elif shape == "scale-out":
        y = np.concatenate([np.linspace(40, 88, 80) + rng.normal(0, 1, 80),
                            33 + rng.normal(0, 0.5, 10)])
    else:
        y = np.concatenate([np.linspace(10, 79.9, 45), 79.9 - np.abs(rng.normal(0, 0.05, 45))])
    pls = inventory["pls_id"].iloc[0]
    days = pd.date_range("2026-01-01T13:00:00Z", periods=y.size, freq="D")
    metrics = pd.DataFrame({"timestamp": days, "resource_id": pls, "metric": "PLSNatPortsUsage",
                            "dimension": "10.0.0.4", "aggregation": "maximum", "value": y,
                            "unit": "Percent"})
    table = estate_table(inventory, forecast_exhaustion(metrics, thresholds=[80]))
    assert re.fullmatch(expected, table["reaches_80"].iloc[0]), table["reaches_80"].iloc[0]
    last = days[-1].floor("D")
    assert pd.isna(table["reaches_80_date"].iloc[0]) or \
        table["reaches_80_date"].iloc[0] != last                  # never the last day


# --------------------------------------------------------------------------- at scale


def big_estate(estate, copies):
    """The example estate ``copies`` times over (ids and names suffixed), with daily metrics."""
    from plcapacity.estate.daily import read_daily_metrics
    inventory, _, forecast = estate
    daily = read_daily_metrics(*METRICS, progress=False)

    def suffixed(frame, columns, k):
        return frame.assign(**{c: frame[c].astype(str) + f"-{k:03d}" for c in columns})
    table = pd.concat([suffixed(inventory.table, ["pls_id", "name"], k) for k in range(copies)],
                      ignore_index=True)
    rows = pd.concat([suffixed(forecast.table, ["resource_id", "pls"], k)
                      for k in range(copies)], ignore_index=True)
    fits = {(f"{resource}-{k:03d}", ip): fit for (resource, ip), fit in forecast.fits.items()
            for k in range(copies)}
    peaks = pd.concat([suffixed(daily.table, ["resource_id"], k) for k in range(copies)],
                      ignore_index=True)
    return (dataclasses.replace(inventory, table=table),
            dataclasses.replace(daily, table=peaks),
            dataclasses.replace(forecast, table=rows, fits=fits))


def test_review_leads_with_the_services_at_risk(estate):
    inventory, metrics, forecast = estate
    seen = Page(estate_review(inventory, metrics, forecast))
    text = seen.sections["at-risk"]
    # crossed first, then the soonest forecasts (payments 2026-12-14, orders 2027-01-12), then
    # pls-search, whose only reason is a finding
    at = [text.index(name) for name in ("pls-legacy", "pls-payments", "pls-orders",
                                        "pls-search")]
    assert at == sorted(at)
    assert "835 endpoint connections" in text               # its findings, in the table
    assert "Findings" in seen.headers
    assert "4 need a look: 1 at or above" in " ".join(seen.sections["summary"].split())


def test_a_large_review_draws_only_what_needs_a_look(estate, monkeypatch):
    monkeypatch.setattr("plcapacity.estate.review.MAX_USAGE_FIGURES", 5)
    inventory, daily, forecast = big_estate(estate, 15)            # 60 services
    sources = [f"metrics-{k}.json" for k in range(20)]
    page = estate_review(inventory, daily, forecast, sources=sources)
    seen = Page(page)
    assert len(seen.images) == 5 + 1                  # the capped usage figures, one overview
    assert [i for i in seen.ids if i.startswith("fig-")][-1] == "fig-overview"
    assert "fig-ceilings" not in seen.ids             # no bar per service at this size
    assert "40 more only in the tables" in seen.sections["at-risk"]     # 3 x 15 at risk - 5
    # all 60 services in the sortable table, the forecasts of the 45 whose usage is at risk
    assert page.count('<div class="wide sortable">') == 3
    assert seen.sections["services"].count("pls-search-") == 15
    assert "pls-search-" not in seen.sections["forecasts"]       # a finding, usage is fine
    assert "The NAT IPs of the 45 services whose usage is at risk" in " ".join(
        seen.sections["forecasts"].split())
    assert "20 files" in page.split("<h2")[0] and "metrics-19.json" in seen.sections["inputs"]
    assert "values from 4 files" in seen.sections["summary"]


def test_usage_figure_text_is_legible_on_a_phone(estate):
    # scaled to the 358 px a 390 px phone leaves inside the page, the smallest text of each
    # figure is still about 9 px: width <= 5 in, every text >= 9.5 pt
    from matplotlib.text import Text

    from plcapacity.estate.plots import estate_overview
    from plcapacity.report.html import PHONE_CONTENT_PX, fit_for_pages
    inventory, metrics, forecast = estate
    for ax in (plotting.nat_port_forecast(metrics, forecast, "pls-orders"),
               estate_overview(estate_table(inventory, forecast)),
               plotting.ceilings_vs_peaks(estate_table(inventory, forecast))):
        figure = fit_for_pages(ax.figure)
        figure.canvas.draw()
        scale = PHONE_CONTENT_PX / (figure.get_figwidth() * figure.dpi)
        sizes = [t.get_fontsize() for t in figure.findobj(Text) if t.get_text().strip()]
        sizes += [tick.label1.get_fontsize() for axis in (ax.xaxis, ax.yaxis)
                  for tick in axis.get_major_ticks()]
        assert min(sizes) * figure.dpi / 72 * scale >= 9.0, min(sizes)
        plt.close(figure)


from browser import CHROMIUM, page_widths  # noqa: E402


@pytest.mark.skipif(not os.path.exists(CHROMIUM),
                    reason=f"no headless browser: {CHROMIUM} is not installed "
                           "(apt-get install chromium)")
@pytest.mark.parametrize("width", [1280, 390])
def test_the_review_fits_a_desktop_and_a_phone_in_chromium(estate, tmp_path, width):
    inventory, daily, forecast = big_estate(estate, 15)
    page = estate_review(inventory, daily, forecast,
                         sources=[f"/very/long/path/to/exports/metrics-{'x' * 60}-{k}.json"
                                  for k in range(3)])
    probe = page_widths(page, tmp_path, width)
    assert probe["client"] == width
    assert probe["scroll"] <= width, f"the page scrolls sideways: {probe['scroll']} px"
    assert probe["images"] and max(probe["images"]) <= width
