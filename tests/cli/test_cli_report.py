"""``plcapacity report``: where the report may go (checked before the batch runs)."""

import pytest

from plcapacity.base.limits import data_path


@pytest.mark.parametrize("name, message", [
    ("report.pdf", "the report is an .html file"),
    ("no/such/folder/report.html", "does not exist"),
])
def test_the_output_is_an_html_file_in_an_existing_folder(tmp_path, cli, name, message):
    code, out, err = cli(["report", str(data_path("examples/services.csv")), "-o",
                          str(tmp_path / name)])
    assert code == 2 and out == "" and err.count("\n") == 1
    assert message in err


def test_the_input_is_never_overwritten_nor_a_folder_taken(tmp_path, cli):
    table = tmp_path / "services.html"
    table.write_text("service,concurrent_connections\na,1000\n")
    code, _, err = cli(["report", str(table), "-o", str(table)])
    assert code == 2 and "is the input table itself" in err
    (tmp_path / "folder.html").mkdir()
    code, _, err = cli(["report", str(table), "-o", str(tmp_path / "folder.html")])
    assert code == 2 and "is a folder" in err


def test_the_output_is_required(cli):
    code, _, err = cli(["report", "services.csv"])
    assert code == 2 and "the following arguments are required: -o/--output" in err


def test_output_onto_a_link_writes_the_file_it_leads_to(tmp_path, cli):
    table = tmp_path / "services.csv"
    table.write_text("service,concurrent_connections\na,1000\n")
    target = tmp_path / "site" / "report.html"
    target.parent.mkdir()
    target.write_text("an older report")
    link = tmp_path / "report.html"
    link.symlink_to(target)
    code, _, err = cli(["report", str(table), "-o", str(link), "--no-progress"])
    assert code == 0, err
    assert link.is_symlink() and link.resolve() == target
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_a_link_to_the_input_is_refused_in_one_line(tmp_path, cli):
    table = tmp_path / "services.html"
    table.write_text("service,concurrent_connections\na,1000\n")
    before = table.read_bytes()
    link = tmp_path / "report.html"
    link.symlink_to(table)
    code, out, err = cli(["report", str(table), "-o", str(link)])
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"-o {link} is the input table itself" in err
    assert table.read_bytes() == before and link.is_symlink()
