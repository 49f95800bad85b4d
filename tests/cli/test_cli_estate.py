"""``plcapacity estate``: the table of the example estate, its formats and usage errors."""

import io
import json
import os

import pandas as pd
import pytest

from plcapacity.base.limits import data_path

ESTATE = data_path("examples/estate")
INVENTORY = [str(ESTATE / name) for name in ("pls.json", "lb.json", "pe.json")]
METRICS = [str(path) for path in sorted(ESTATE.glob("metrics-*.json"))]


def test_table_has_a_row_per_pls_findings_and_the_forecast_criterion(cli):
    code, out, err = cli(["estate", "--inventory", *INVENTORY, "--metrics", *METRICS])
    assert code == 0, err
    header = out.splitlines()[0].split()
    assert header[:2] == ["name", "region"] and "peak_%" in header and "reaches_80" in header
    assert "pls-orders" in out and "finding: " in out
    assert "note: " in out


def test_csv_and_json_keep_notes_off_stdout(cli):
    code, out, err = cli(["estate", "--inventory", *INVENTORY, "--metrics", *METRICS,
                          "--format", "csv"])
    assert code == 0
    table = pd.read_csv(io.StringIO(out))
    assert "pls-orders" in set(table["name"])
    dates = table["reaches_80_date"].dropna()
    assert dates.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()  # days, not timestamps
    assert "note: " in err and "note: " not in out
    code, out, _ = cli(["estate", "--inventory", *INVENTORY, "--format", "json"])
    assert code == 0 and {row["name"] for row in json.loads(out)} >= {"pls-orders"}


@pytest.mark.parametrize("argv, message", [
    (["estate"], "the following arguments are required: --inventory"),
    (["estate", "--inventory", "x.json", "-o", "review.pdf"], "the review is an .html file"),
    (["estate", "--inventory", "x.json", "--thresholds", "high"], "is not a list of "
                                                                   "percentages"),
])
def test_usage_errors(argv, message, cli):
    code, _, err = cli(argv)
    assert code == 2 and err.count("\n") == 1 and message in err


@pytest.mark.parametrize("count", [101, 2000])
def test_thresholds_beyond_the_columns_a_table_can_show(cli, count):
    levels = ",".join(f"{100 * (i + 1) / count:.4f}" for i in range(count))
    code, out, err = cli(["estate", "--inventory", *INVENTORY, "--thresholds", levels])
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"{count:,} levels; at most 100" in err


# ------------------------------------------------------------------ -o never names an input


def inputs_in(folder):
    """The example inventory and one metrics export, copied under names -o could take."""
    inventory = folder / "inventory.html"                # an export may have any suffix
    inventory.write_bytes((ESTATE / "pls.json").read_bytes())
    metrics = folder / "metrics.htm"
    metrics.write_bytes((ESTATE / "metrics-pls-orders.json").read_bytes())
    return inventory, metrics


@pytest.mark.parametrize("which", ["inventory", "metrics"])
@pytest.mark.parametrize("spelling", ["same path", "relative", "through dots", "symlink",
                                      "hard link"])
def test_output_naming_an_input_is_refused(tmp_path, cli, monkeypatch, which, spelling):
    inventory, metrics = inputs_in(tmp_path)
    target = inventory if which == "inventory" else metrics
    before = target.read_bytes()
    monkeypatch.chdir(tmp_path)
    if spelling == "same path":
        output = str(target)
    elif spelling == "relative":
        output = target.name
    elif spelling == "through dots":
        (tmp_path / "sub").mkdir()
        output = f"sub/../{target.name}"
    elif spelling == "symlink":
        (tmp_path / "review.html").symlink_to(target)
        output = "review.html"
    else:
        os.link(target, tmp_path / "review.html")
        output = "review.html"
    code, out, err = cli(["estate", "--inventory", str(inventory), "--metrics", str(metrics),
                          "-o", output])
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"-o {output} is the input" in err and "never overwritten" in err
    assert target.read_bytes() == before


def test_another_case_is_another_file_where_case_matters(tmp_path, cli):
    inventory, metrics = inputs_in(tmp_path)
    other = tmp_path / "INVENTORY.html"
    if other.exists():
        pytest.skip("a case-insensitive file system: the same file")   # pragma: no cover
    before = inventory.read_bytes()
    code, out, err = cli(["estate", "--inventory", str(inventory), "--metrics", str(metrics),
                          "-o", str(other)])
    assert code == 0, err
    assert other.read_text().startswith("<!DOCTYPE html>")
    assert inventory.read_bytes() == before


def test_output_that_is_a_folder(tmp_path, cli):
    (tmp_path / "review.html").mkdir()
    code, _, err = cli(["estate", "--inventory", *INVENTORY, "-o", str(tmp_path / "review.html")])
    assert code == 2 and err.count("\n") == 1 and "is a folder" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
@pytest.mark.parametrize("option", ["--inventory", "--metrics"])
def test_a_named_pipe_is_an_error_not_a_wait(tmp_path, cli, monkeypatch, option):
    # fit-outages refused a FIFO; estate waited forever for a writer
    import builtins
    fifo = tmp_path / "export.json"
    os.mkfifo(fifo)
    for module, name in ((builtins, "open"), (os, "open")):     # fail, never hang, if opened
        real = getattr(module, name)

        def guarded(file, *args, _real=real, **kwargs):
            assert not (isinstance(file, (str, os.PathLike))
                        and os.path.abspath(file) == str(fifo)), "the FIFO was opened"
            return _real(file, *args, **kwargs)
        monkeypatch.setattr(module, name, guarded)
    argv = (["estate", "--inventory", str(fifo)] if option == "--inventory" else
            ["estate", "--inventory", *INVENTORY, "--metrics", str(fifo)])
    code, out, err = cli(argv)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"{fifo}: cannot be read: a named pipe (FIFO)" in err


# ------------------------------------------------------------------ text from files, escaped


@pytest.mark.parametrize("bad", ["\x1b[2J\x1b[31mred", "bell\x07", "two\nlines\rback",
                                 "\x9b31m", "tab\there\x00nul"])
def test_findings_and_notes_show_control_characters_escaped(tmp_path, cli, bad):
    services = json.loads((ESTATE / "pls.json").read_text())
    legacy = services[3]                                     # its load balancer is not given
    legacy["name"] = f"pls-{bad}"
    frontend = legacy["loadBalancerFrontendIpConfigurations"][0]
    frontend["id"] = frontend["id"].replace("/loadBalancers/lb-legacy/",
                                            f"/loadBalancers/lb-{bad}/")
    twice = dict(legacy)                                     # read twice: a note names it
    path = tmp_path / "pls.json"
    path.write_text(json.dumps(services + [twice]))
    code, out, err = cli(["estate", "--inventory", str(path), str(ESTATE / "lb.json")])
    assert code == 0, err
    shown = [line for line in out.splitlines()
             if line.startswith(("finding: ", "note: "))]
    mine = [line for line in shown if "pls-" in line and ("\\" in line)]
    assert mine, out
    for line in out.splitlines() + err.splitlines():
        assert line.isprintable(), repr(line)                # no raw control character
    assert any(line.startswith("note: ") and "read twice" in line for line in mine)
    assert any(line.startswith("finding: ") and "lb-" in line for line in mine)


# ------------------------------------------------------------------ metrics outside the inventory


def without(tmp_path, name):
    """pls.json without the PLS ``name``."""
    services = [s for s in json.loads((ESTATE / "pls.json").read_text()) if s["name"] != name]
    path = tmp_path / "pls.json"
    path.write_text(json.dumps(services))
    return str(path)


@pytest.mark.parametrize("missing", ["pls-orders", "pls-search"])
@pytest.mark.parametrize("fmt", ["table", "json"])
def test_metrics_of_a_pls_not_in_the_inventory_are_named(tmp_path, cli, missing, fmt):
    code, out, err = cli(["estate", "--inventory", without(tmp_path, missing), "--metrics",
                          *METRICS, "--format", fmt])
    assert code == 0, err
    notes = [line for line in (out if fmt == "table" else err).splitlines()
             if "not in the inventory" in line]
    assert len(notes) == 1 and notes[0].startswith("note: metrics of 1 resource not in the "
                                                   "inventory are left out (")
    assert f"/privateLinkServices/{missing};" in notes[0]
    series = json.loads((ESTATE / f"metrics-{missing}.json").read_text())["value"]
    assert f"({sum(len(m['timeseries']) for m in series)} series)" in notes[0]


def test_many_unknown_resources_are_counted_and_a_few_named(tmp_path, cli):
    document = json.loads((ESTATE / "metrics-pls-orders.json").read_text())
    template = document["value"][0]
    document["value"] = []
    for i in range(12):
        metric = json.loads(json.dumps(template))
        metric["id"] = metric["id"].replace("/pls-orders/", f"/pls-elsewhere-{i:02d}/")
        metric["timeseries"] = metric["timeseries"][:1]
        document["value"].append(metric)
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(document))
    code, out, err = cli(["estate", "--inventory", str(ESTATE / "pls.json"), "--metrics",
                          str(path)])
    assert code == 0, err
    note = next(line for line in out.splitlines() if "not in the inventory" in line)
    assert "metrics of 12 resources not in the inventory are left out (12 series)" in note
    assert note.count("/pls-elsewhere-") == 5 and note.endswith(
        "and 7 more; add their private link service export to the inventory")
    assert "pls-elsewhere-04" in note and "pls-elsewhere-05" not in note


def test_no_note_when_every_metric_has_its_pls(cli):
    code, out, err = cli(["estate", "--inventory", *INVENTORY, "--metrics", *METRICS])
    assert code == 0 and "not in the inventory" not in out + err


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_dates_without_any_crossing_print_without_warnings(tmp_path, cli, fmt):
    # a reaches_<threshold>_date column of NaT only made pandas warn about its JSON dates
    code, out, err = cli(["estate", "--inventory", without(tmp_path, "pls-orders"),
                          "--metrics", str(ESTATE / "metrics-pls-orders.json"), "--format", fmt])
    assert code == 0 and "warning" not in err.lower(), err
    assert "no metrics" in out


def test_pending_connections_beside_approved(cli):
    code, out, _ = cli(["estate", "--inventory", *INVENTORY])
    assert code == 0
    header, *rows = out.splitlines()
    columns = header.split()
    assert columns[columns.index("private_endpoints") + 1] == "pending"
    search = next(r.split() for r in rows if r.split()[0] == "pls-search")
    # pls-search: 823 approved and 12 pending connections in the example export
    assert search[columns.index("private_endpoints"):columns.index("pending") + 1] == [
        "823", "12"]


def test_one_worker_or_several_print_the_same(cli, monkeypatch):
    monkeypatch.setattr("plcapacity.estate.daily.PARALLEL_MIN_BYTES", 0)
    base = ["estate", "--inventory", *INVENTORY, "--metrics", *METRICS, "--format", "csv"]
    one = cli(base + ["--workers", "1", "--no-progress"])
    two = cli(base + ["--workers", "2"])
    assert one[0] == two[0] == 0
    assert one[1] == two[1]


@pytest.mark.slow
def test_a_local_dask_cluster_prints_what_this_machine_prints(cli, tmp_path):
    from distributed import LocalCluster
    base = ["estate", "--inventory", *INVENTORY, "--metrics", *METRICS]
    local = cli(base + ["-o", str(tmp_path / "local.html")])
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        remote = cli(base + ["--scheduler", cluster.scheduler_address,
                             "-o", str(tmp_path / "dask.html")])
    assert local[0] == remote[0] == 0, remote[2]
    assert local[1].replace("local.html", "dask.html") == remote[1]

    def without_time(page):
        return "\n".join(line for line in page.splitlines() if "Generated " not in line)
    assert without_time((tmp_path / "local.html").read_text()) == \
        without_time((tmp_path / "dask.html").read_text())


def test_output_onto_a_link_writes_the_file_it_leads_to(tmp_path, cli):
    target = tmp_path / "site" / "review.html"
    target.parent.mkdir()
    link = tmp_path / "review.html"
    link.symlink_to(target)
    code, _, err = cli(["estate", "--inventory", *INVENTORY, "-o", str(link)])
    assert code == 0, err
    assert link.is_symlink() and link.resolve() == target
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
