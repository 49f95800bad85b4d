"""The HTML report: generated from the example, every section and every figure embedded."""

import base64
import html.parser

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from plcapacity.batch import run_batch  # noqa: E402
from plcapacity.cli import main  # noqa: E402
from plcapacity.limits import data_path  # noqa: E402
from plcapacity.report import (assumptions, batch_report, html_table,  # noqa: E402
                               limits_at_risk, write_report)

EXAMPLE = data_path("examples/services.csv")


class _Collector(html.parser.HTMLParser):
    """Collects ids, images and the text, and checks that tags are balanced."""

    VOID = {"meta", "img", "br"}

    def __init__(self):
        super().__init__()
        self.ids, self.images, self.stack, self.text = [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "img":
            self.images.append(attrs["src"])
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack.pop() == tag

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def results():
    return run_batch(EXAMPLE, trials=3_000, seed=1, workers=1)


def test_report_has_every_section_and_embedded_figure(results):
    page = batch_report(results, source=str(EXAMPLE), trials=3_000, seed=1)
    parsed = _Collector()
    parsed.feed(page)
    assert parsed.stack == []
    for section in ("summary", "limits-at-risk", "sizing", "availability", "figures",
                    "assumptions", "fig-batch-overview", "fig-utilization", "fig-slo-risk"):
        assert section in parsed.ids
    assert len(parsed.images) == 3
    for src in parsed.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    text = " ".join(parsed.text)
    for service in results.service:
        assert service in text
    assert "ports_per_nat_ip" in text and "64k" in text  # assumptions and uncertainty
    assert "http" not in page.replace("https://learn.microsoft.com", "").replace(
        "https://github.com", "").replace("https://azure.microsoft.com", "")  # self-contained


def test_limits_at_risk_picks_full_and_soon(results):
    risk = limits_at_risk(results)
    full = results[results.utilization_after_failures > 0.8].service
    soon = results[results.months_to_ceiling < 12].service
    assert set(risk.service) == set(full) | set(soon)
    assert all(reason for reason in risk.why)


def test_building_blocks():
    table = html_table(pd.DataFrame({"name": ["<b>"], "value": [1234567]}))
    assert "&lt;b&gt;" in table and "1,234,567" in table
    used = assumptions()
    assert used.set_index("name").loc["ports_per_nat_ip", "uncertain"]


def test_cli_report(tmp_path, capsys):
    path = tmp_path / "report.html"
    code = main(["report", str(EXAMPLE), "-o", str(path), "--trials", "2000", "--seed", "1",
                 "--workers", "1", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0 and path.exists() and "report of 20 services" in out
    assert path.read_text().count("data:image/png;base64,") == 3
    code = main(["report", str(EXAMPLE), "-o", str(tmp_path / "report.pdf")])
    assert code == 2


def test_write_report_is_atomic(tmp_path):
    path = tmp_path / "r.html"
    write_report("<html></html>", path)
    assert path.read_text() == "<html></html>"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]
