"""The documentation stands on its own: every cited file exists, and the Azure facts page is the
one docs/make_facts.py generates from data/."""

import importlib.util
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
MD_NAME = re.compile(r"\b[A-Za-z0-9_-]+\.md\b")
URL = re.compile(r"\b(?:https?://|github\.com/|learn\.microsoft\.com/)\S+")
MD_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")


def _repo_files() -> list[Path]:
    """Files of the repository: git's list where git knows the checkout, else the tree."""
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
        files = [ROOT / line for line in out.splitlines() if line]
        if files:
            return files
    except (OSError, subprocess.CalledProcessError):
        pass
    skip = {".git", ".venv", "__pycache__", ".ipynb_checkpoints"}
    return [p for p in ROOT.rglob("*") if p.is_file() and not skip & set(p.relative_to(ROOT).parts)]


def _cited_in() -> list[Path]:
    files = [ROOT / "README.md"]
    for folder, patterns in [("docs", ["*.md", "*.py"]), ("data", ["*.md", "*.csv"]),
                             ("plcapacity", ["*.py", "*.j2", "*.css"]), ("notebooks", ["*.ipynb"]),
                             ("benchmarks", ["*.md", "*.py"])]:
        for pattern in patterns:
            files += sorted((ROOT / folder).rglob(pattern))
    return [f for f in files if f.is_file()]


def _load_make_facts():
    spec = importlib.util.spec_from_file_location("make_facts", ROOT / "docs" / "make_facts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_cited_md_file_exists():
    known = {p.name for p in _repo_files()}
    missing = []
    for path in _cited_in():
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for name in MD_NAME.findall(URL.sub(" ", line)):  # a URL's page is not a file here
                if name not in known:
                    missing.append(f"{path.relative_to(ROOT)}:{lineno}: {name}")
    assert not missing, "cited .md files not in the repository:\n" + "\n".join(missing)


def test_relative_links_in_markdown_resolve():
    broken = []
    for path in [ROOT / "README.md", *sorted(ROOT.glob("docs/**/*.md")),
                 *sorted(ROOT.glob("data/**/*.md")), *sorted(ROOT.glob("benchmarks/*.md"))]:
        for target in MD_LINK.findall(path.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target):          # http:, https:, mailto:
                continue
            if not (path.parent / target).exists():
                broken.append(f"{path.relative_to(ROOT)}: {target}")
    assert not broken, "broken relative links:\n" + "\n".join(broken)


def test_the_checks_can_fail(tmp_path):
    """The patterns above do find names and links (a check that finds nothing proves nothing)."""
    text = "see [the model](docs/model.md#capacity) and NOT-THERE.md, https://x.org/a/page.md"
    assert MD_NAME.findall(URL.sub(" ", text)) == ["model.md", "NOT-THERE.md"]
    assert MD_LINK.findall(text) == ["docs/model.md"]
    assert "NOT-THERE.md" not in {p.name for p in _repo_files()}


def test_design_notes_are_not_cited():
    """The design notes outside the repository are replaced by docs/model.md and
    docs/azure-facts.md."""
    gone = [n + ".md" for n in ("ARCHITECTURE", "FACTS")]
    hits = [f"{p.relative_to(ROOT)}" for p in _cited_in() + sorted((ROOT / "tests").glob("*.py"))
            if p.name != "test_docs.py"
            and any(g in p.read_text(encoding="utf-8") for g in gone)]
    assert not hits


def test_azure_facts_page_is_generated_from_data():
    make_facts = _load_make_facts()
    committed = (ROOT / "docs" / "azure-facts.md").read_text(encoding="utf-8")
    assert committed == make_facts.render(), "run: python docs/make_facts.py"


def test_azure_facts_page_lists_every_limit_price_and_tier():
    from plcapacity.base.limits import limits_table, pricing, read_reference

    page = (ROOT / "docs" / "azure-facts.md").read_text(encoding="utf-8")
    for table in (limits_table(), pricing()):
        for name, source in zip(table["name"], table["source"]):
            row = next(line for line in page.splitlines() if line.startswith(f"| `{name}` |"))
            assert source in row
    sla = read_reference("sla.csv")
    for below, credit in zip(sla["uptime_below_percent"], sla["credit_percent"]):
        assert f"| below {below:g} % | {credit:g} % |" in page
    regions = read_reference("regions.csv")
    assert f"{len(regions)} regions" in page


@pytest.mark.parametrize("doc", ["model.md", "azure-facts.md", "outage-evidence.md"])
def test_docs_exist_and_are_tracked(doc):
    assert (ROOT / "docs" / doc).is_file()


def test_readme_benchmark_figures_are_the_recorded_run():
    """The README quotes the Monte Carlo benchmark from a recorded run, with its machine."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    cited = re.search(r"benchmarks/results/(bench_montecarlo-[\d-]+\.txt)", readme)
    assert cited, "the README names the recorded benchmark output"
    log = (ROOT / "benchmarks" / "results" / cited.group(1)).read_text(encoding="utf-8")
    machine = re.search(r"machine: (.+?), (\d+) logical CPUs, \w+; load average ([\d.]+)", log)
    ratio = re.search(r"simulate\s+[\d.]+\s+([\d.]+)x", log).group(1)
    rate = re.search(r"trial-years per second: ([\d,]+)", log).group(1)
    long = re.search(r"long run: ([\d,]+) trial-years in ([\d.]+) s .*?, ([\d.]+) s of CPU; "
                     r"peak RSS of this process ([\d,]+) MiB", log)
    assert long.group(1) == "100,000,000"
    text = " ".join(readme.split())
    for quoted in (f"{machine.group(2)} logical CPUs ({machine.group(1)})",
                   f"load average of about {float(machine.group(3)):.1f}", f"{ratio}x",
                   f"{rate} trial-years a second", f"took {long.group(2)} s of wall time and "
                   f"{long.group(3)} s of CPU", f"peak RSS of {long.group(4)} MiB"):
        assert quoted in text, quoted


def test_model_doc_figures_match_the_code():
    """The few numbers docs/model.md states are the ones the code uses."""
    from scipy import stats

    from plcapacity.availability.results import Z95
    from plcapacity.base.limits import get_limits
    from plcapacity.batch import scenarios
    from plcapacity.outages.profiles import outage_profile_fit

    text = " ".join((ROOT / "docs" / "model.md").read_text(encoding="utf-8").split())
    assert f"the model uses {get_limits().ports_per_nat_ip:,}" in text
    assert (f"lognormal, median {scenarios._DEFAULT_MEDIAN_HOURS:g} h, "
            f"p95 {scenarios._DEFAULT_P95_HOURS:g} h") in text
    lim = get_limits()
    assert (f"(lognormal, median {lim.default_failover_delay_median_min:g} min, "
            f"p95 {lim.default_failover_delay_p95_min:g} min") in text
    assert f"{2 * stats.norm.cdf(Z95) - 1:.0%}".replace("%", " %") + " confidence" in text
    fit = outage_profile_fit("azure-status-2018-2020")
    begin, end = fit.period                      # [2018-01-01, 2020-01-01): 2018 and 2019
    last = (end - pd.Timedelta(days=1)).year
    assert f"status history of {begin.year}-{last}" in text
