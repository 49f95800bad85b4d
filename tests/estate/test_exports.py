"""Reading exports: size limit, encodings, JSON and CSV, keys in any case."""


import pytest

from plcapacity.estate import exports
from plcapacity.estate.exports import (
    get,
    load_csv,
    load_json,
    load_records,
    props,
    read_text,
)

# ------------------------------------------------------------------ files


def test_read_text_takes_utf8_with_or_without_a_byte_order_mark(tmp_path):
    plain, marked = tmp_path / "a.json", tmp_path / "b.json"
    plain.write_bytes("[\"é\"]".encode("utf-8"))
    marked.write_bytes(b"\xef\xbb\xbf" + "[\"é\"]".encode("utf-8"))
    assert read_text(plain) == read_text(marked) == "[\"é\"]"


def test_read_text_refuses_other_encodings_and_names_the_byte(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(b"id,name\n1,caf\xe9\n")         # "id,name\n" is 8 bytes, "1,caf" 5
    with pytest.raises(ValueError, match=r"latin\.csv: not UTF-8 text \(byte 13\)"):
        read_text(path)


def test_the_size_limit_is_inclusive(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[" + " " * 8 + "]")                 # 10 bytes
    assert read_text(path, limit=10) == "[" + " " * 8 + "]"
    with pytest.raises(ValueError, match=r"x\.json: larger than 9 bytes"):
        read_text(path, limit=9)


def test_the_default_limit_is_the_module_constant(tmp_path, monkeypatch):
    path = tmp_path / "x.json"
    path.write_text("[1, 2, 3]")
    monkeypatch.setattr(exports, "MAX_EXPORT_BYTES", 4)
    with pytest.raises(ValueError, match="larger than 4 bytes"):
        load_records(path)


def test_a_missing_file_or_a_folder_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match=r"nope\.json: cannot be read"):
        read_text(tmp_path / "nope.json")
    with pytest.raises(ValueError, match="cannot be read"):
        read_text(tmp_path)


def test_bad_json_names_line_and_column():
    with pytest.raises(ValueError, match=r"f\.json: not valid JSON \(line 2, column 3"):
        load_json("f.json", "{\n  x: 1}")


def test_empty_json_file(tmp_path):
    path = tmp_path / "e.json"
    path.write_text("  \n")
    with pytest.raises(ValueError, match=r"e\.json: the file is empty"):
        load_records(path)


# ------------------------------------------------------------------ CSV


def test_csv_cells_holding_json_are_parsed_and_others_kept_as_text():
    rows = load_csv("r.csv", 'id,properties,count\n/x,"{""a"": [1, 2]}",7\n/y,,[]\n')
    assert rows == [{"id": "/x", "properties": {"a": [1, 2]}, "count": "7"},
                    {"id": "/y", "properties": "", "count": []}]


@pytest.mark.parametrize("text, message", [
    ("", "an empty CSV file"),
    ("a,b\n1,2,3\n", "line 2 has more cells than the header"),
    ('a,b\n1,"{not json"\n', "line 2, column 'b' looks like JSON but does not parse"),
])
def test_csv_problems_name_file_and_line(text, message):
    with pytest.raises(ValueError, match=message):
        load_csv("r.csv", text)


def test_csv_by_extension_in_any_case(tmp_path):
    path = tmp_path / "GRAPH.CSV"
    path.write_text("id,name\n/x,a\n")
    assert load_records(path) == [{"id": "/x", "name": "a"}]


def test_tab_separated_exports_are_split_on_tabs(tmp_path):
    path = tmp_path / "graph.tsv"
    path.write_text('id\tname\tproperties\n/x\ta, b\t{"k": 1}\n')
    assert load_records(path) == [{"id": "/x", "name": "a, b", "properties": {"k": 1}}]


# ------------------------------------------------------------------ keys


def test_get_matches_keys_in_any_case_and_prefers_the_exact_one():
    assert get({"PrivateEndpoint": 1}, "privateEndpoint") == 1
    assert get({"Status": "x", "status": "y"}, "status") == "y"
    assert get({"a": 1}, "b", "default") == "default"
    assert get(["not", "a", "dict"], "a", 0) == 0
    assert get({1: "int key"}, "1") is None


def test_props_reads_nested_and_flattened_resources_alike():
    nested = {"id": "/x", "properties": {"ipConfigurations": [1]}}
    flat = {"id": "/x", "ipConfigurations": [1]}
    assert props(nested)["ipConfigurations"] == props(flat)["ipConfigurations"] == [1]
    assert props(nested) is nested["properties"] and props(flat) is flat
    assert props({"properties": "text"}) == {"properties": "text"}   # not an object: flat


# ------------------------------------------------------------------ what is not a file


@pytest.fixture
def no_open_of(monkeypatch):
    """Fail (rather than hang) if anything opens one of the given paths: a FIFO would block."""
    import builtins
    import os
    watched = set()
    real_open, real_os_open = builtins.open, os.open

    def guarded(opener):
        def call(file, *args, **kwargs):
            if isinstance(file, (str, os.PathLike)) and os.path.abspath(file) in watched:
                raise AssertionError(f"{file} was opened")
            return opener(file, *args, **kwargs)
        return call
    monkeypatch.setattr(builtins, "open", guarded(real_open))
    monkeypatch.setattr(os, "open", guarded(real_os_open))
    return lambda path: watched.add(os.path.abspath(path))


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes here")
@pytest.mark.parametrize("name", ["pls.json", "graph.csv", "metrics.tsv"])
def test_a_named_pipe_is_refused_before_it_is_opened(tmp_path, no_open_of, name):
    import os
    fifo = tmp_path / name
    os.mkfifo(fifo)
    no_open_of(fifo)
    with pytest.raises(ValueError, match=rf"{name}: cannot be read: a named pipe \(FIFO\); an "
                                         "export must be a regular file"):
        load_records(fifo)
    link = tmp_path / f"link-{name}"                     # through a link: the same
    link.symlink_to(fifo)
    with pytest.raises(ValueError, match="a named pipe"):
        read_text(link)


@pytest.mark.parametrize("kind", ["folder", "device"])
def test_folders_and_devices_are_refused(tmp_path, kind):
    import os
    path = tmp_path if kind == "folder" else os.devnull
    if kind == "device" and not os.path.exists(path):
        pytest.skip("no null device here")              # pragma: no cover
    with pytest.raises(ValueError, match=rf"cannot be read: a {kind}; an export must be a "
                                         "regular file"):
        read_text(path)
