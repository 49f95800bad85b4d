"""Reading and writing tables by suffix: what is read (CSV cells as text), what is refused
(naming the file), and what is written (atomically; CSV neutralised against formulas)."""

import csv
import dataclasses
import json

import pandas as pd
import pytest

from plcapacity.base.exceptions import TableError
from plcapacity.base.results import TableResult
from plcapacity.base.tables import (
    FORMATS,
    MAX_TABLE_BYTES,
    neutralize_formulas,
    read_bytes_limited,
    read_table,
    same_file,
    write_table,
)


def test_formats_and_size_limit():
    assert FORMATS == (".csv", ".parquet", ".json")
    assert MAX_TABLE_BYTES == 2 ** 30


def test_csv_cells_stay_text_and_blanks_stay_empty(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("service,concurrent_connections,headroom\napi, 0250000,\nweb,1e6,0.2\n")
    frame = read_table(path)
    assert frame.columns.tolist() == ["service", "concurrent_connections", "headroom"]
    # as written (leading spaces skipped): "0250000" keeps its zero, the blank is ""
    assert frame.values.tolist() == [["api", "0250000", ""], ["web", "1e6", "0.2"]]
    assert frame.attrs["source"] == str(path)


def test_json_records_and_parquet_keep_their_types(tmp_path):
    records = [{"service": "a", "n": 1.5}, {"service": "b", "n": 2.0}]
    (tmp_path / "t.json").write_text(json.dumps(records))
    frame = read_table(tmp_path / "t.json")
    assert frame["n"].tolist() == [1.5, 2.0] and frame["service"].tolist() == ["a", "b"]
    pd.DataFrame(records).to_parquet(tmp_path / "t.parquet")
    back = read_table(tmp_path / "t.parquet")
    assert back.to_dict("records") == records
    (tmp_path / "scalar.json").write_text("5")
    with pytest.raises(TableError, match="scalar.json: "):
        read_table(tmp_path / "scalar.json")


@pytest.mark.parametrize("name, content, message", [
    ("empty.csv", b"", "the file is empty; expected a header row"),
    ("extra.csv", b"a,b\n1,2,3\n", "a row has more fields than the header"),
    ("latin.csv", "a\ncaf\xe9\n".encode("latin-1"), r"not UTF-8 text \(byte \d+\)"),
    ("broken.parquet", b"PAR1 not really", "cannot read the table"),
])
def test_unreadable_tables_name_the_file_and_the_problem(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TableError, match=rf"^{path}: {message}"):
        read_table(path)


def test_only_existing_regular_files_within_the_size_limit_are_read(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"missing.csv: no such table"):
        read_table(tmp_path / "missing.csv")
    with pytest.raises(TableError, match="a folder; the table must be a regular file"):
        read_table(tmp_path)
    with pytest.raises(TableError, match="not a regular file; the table must be a regular"):
        read_table("/dev/null")
    path = tmp_path / "t.csv"
    path.write_text("a\n" + "1\n" * 50)  # 102 bytes
    with pytest.raises(TableError, match="102 bytes is larger than the 100 bytes a table "
                                         "may have"):
        read_table(path, max_bytes=100)
    assert len(read_table(path, max_bytes=102)) == 50


def test_read_bytes_limited_reads_whole_files_and_names_what_it_reads(tmp_path):
    path = tmp_path / "blob"
    path.write_bytes(bytes(range(256)) * 5_000)  # 1.28 MB: more than one read of 1 MiB
    assert read_bytes_limited(path, max_bytes=2 << 20) == bytes(range(256)) * 5_000
    with pytest.raises(TableError, match="larger than the 1,000 bytes a deployment file"):
        read_bytes_limited(path, max_bytes=1_000, what="deployment file")


def test_neutralize_formulas_quotes_text_cells_only():
    frame = pd.DataFrame({"s": ["=1+1", "+x", "-y", "@z", "\tt", "\rr", "ok", None, "a=b"],
                          "n": [-1.0, 2, 3, 4, 5, 6, 7, 8, 9]})
    out = neutralize_formulas(frame)
    text = out["s"].tolist()
    assert text[:7] + text[8:] == ["'=1+1", "'+x", "'-y", "'@z", "'\tt", "'\rr", "ok", "a=b"]
    assert pd.isna(text[7])  # a missing cell stays missing
    assert out["n"].tolist() == frame["n"].tolist()  # numbers, even negative, unchanged
    assert frame["s"].tolist()[0] == "=1+1"  # a copy: the input is left alone


def test_write_table_by_suffix_neutralises_csv_only(tmp_path):
    frame = pd.DataFrame({"service": ["=cmd", "ok"], "value": [1.25, -2.0]})
    write_table(frame, tmp_path / "t.csv")
    with open(tmp_path / "t.csv", newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows == [["service", "value"], ["'=cmd", "1.25"], ["ok", "-2.0"]]
    assert (tmp_path / "t.csv").read_bytes().count(b"\r\n") == 3  # RFC 4180 line ends
    write_table(frame, tmp_path / "t.json")
    assert json.loads((tmp_path / "t.json").read_text()) == frame.to_dict("records")
    write_table(frame, tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), frame)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Noted(TableResult):
    table: pd.DataFrame
    note: str = ""


def test_write_table_writes_the_table_of_a_result(tmp_path):
    result = Noted(pd.DataFrame({"service": ["=cmd", "ok"], "value": [1, 2]}), "a note")
    write_table(result, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text(encoding="utf-8").splitlines() == [
        "service,value", "'=cmd,1", "ok,2"]
    write_table(result, tmp_path / "t.json")
    assert json.loads((tmp_path / "t.json").read_text()) == [
        {"service": "=cmd", "value": 1}, {"service": "ok", "value": 2}]


def test_write_table_refuses_other_suffixes_and_folders(tmp_path):
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(TableError, match=r"t.xlsx: output format .xlsx is not allowed: .csv, "
                                         r".parquet or .json"):
        write_table(frame, tmp_path / "t.xlsx")
    with pytest.raises(TableError, match=r"output format \(none\) is not allowed"):
        write_table(frame, tmp_path / "noext")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(TableError, match="dir.csv: is a folder; give a file name ending in "
                                         ".csv"):
        write_table(frame, tmp_path / "dir.csv")


def test_a_failed_write_leaves_the_older_file_whole(tmp_path):
    path = tmp_path / "t.csv"
    write_table(pd.DataFrame({"a": [1, 2]}), path)
    before = path.read_bytes()
    unwritable = pd.DataFrame({"a": [object()]})  # Parquet cannot hold it

    with pytest.raises((TypeError, ValueError)):  # pyarrow's ArrowInvalid is a ValueError
        write_table(unwritable, tmp_path / "t.parquet")
    assert not (tmp_path / "t.parquet").exists()
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_same_file_sees_through_links(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("x\n")
    (tmp_path / "link.csv").symlink_to(a)
    (tmp_path / "sub").mkdir()
    assert same_file(a, tmp_path / "link.csv")
    assert same_file(a, tmp_path / "sub" / ".." / "a.csv")
    assert not same_file(a, tmp_path / "missing.csv")
    other = tmp_path / "b.csv"
    other.write_text("x\n")  # the same content is not the same file
    assert not same_file(a, other)
    assert same_file(a, a) is True
