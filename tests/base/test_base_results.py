"""TableResult, the base of plcapacity's table results: a table with plain attributes beside it
that reads like the table, copies, pickles and is replaced as a dataclass; and table_of."""

import copy
import dataclasses
import pickle

import pandas as pd
import pytest

from plcapacity.base.results import TableResult, table_of


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Counted(TableResult):
    table: pd.DataFrame
    notes: tuple = ()
    sizes: dict = dataclasses.field(default_factory=dict)


@pytest.fixture
def result():
    return Counted(pd.DataFrame({"name": ["a", "b", "c"], "vms": [2, 3, 4]}), ("n1",),
                   {"a": 1})


def test_a_result_reads_like_its_table(result):
    assert len(result) == 3 and list(result) == ["name", "vms"] and "vms" in result
    assert list(result["name"]) == ["a", "b", "c"]
    assert result.loc[result["vms"] > 2, "name"].tolist() == ["b", "c"]
    assert result.set_index("name")["vms"].to_dict() == {"a": 2, "b": 3, "c": 4}
    assert list(result.columns) == ["name", "vms"]
    assert "set_index" in dir(result) and "notes" in dir(result)


def test_its_own_fields_come_first(result):
    result.table["notes"] = ["x", "y", "z"]       # a column named like a field
    assert result.notes == ("n1",)
    assert list(result["notes"]) == ["x", "y", "z"]


def test_writing_a_column_writes_the_table(result):
    result["gb"] = result["vms"] * 2
    assert list(result.table["gb"]) == [4, 6, 8]


def test_what_comes_back_is_the_tables(result):
    assert type(result.copy()) is pd.DataFrame
    assert type(result[result["vms"] > 2]) is pd.DataFrame


def test_a_result_is_frozen_and_compared_by_identity(result):
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.notes = ()
    twin = Counted(result.table, result.notes, result.sizes)
    assert result == result and result != twin


def test_private_and_unknown_names_are_not_forwarded(result):
    with pytest.raises(AttributeError, match="'Counted' object has no attribute '_secret'"):
        result._secret
    with pytest.raises(AttributeError, match="no_such_method"):
        result.no_such_method


def test_copies_and_pickles_are_results_not_tables(result):
    for twin in (copy.copy(result), copy.deepcopy(result),
                 pickle.loads(pickle.dumps(result))):
        assert type(twin) is Counted
        assert twin.notes == ("n1",) and twin.sizes == {"a": 1}
        pd.testing.assert_frame_equal(twin.table, result.table)
    deep = copy.deepcopy(result)
    deep.table.loc[0, "vms"] = 99
    assert result.table.loc[0, "vms"] == 2


def test_replace_keeps_the_fields_with_another_table(result):
    some = dataclasses.replace(result, table=result.table[result["vms"] >= 3])
    assert list(some["name"]) == ["b", "c"] and some.notes == ("n1",)


def test_repr_names_the_fields_and_shows_the_table(result):
    text = repr(result)
    first, rest = text.split("\n", 1)
    assert first == "Counted(notes=('n1',), sizes={'a': 1}) with table:"
    assert rest == repr(result.table)
    long = Counted(result.table, tuple("abcdef"))
    assert repr(long).startswith("Counted(notes=<6 items>,")
    assert result._repr_html_() == result.table._repr_html_()


def test_concat_takes_the_tables_of_results(result):
    both = pd.concat([result.table, result.table], ignore_index=True)
    assert list(both["vms"]) == [2, 3, 4, 2, 3, 4]


def test_table_of_unwraps_a_result_and_passes_anything_else(result):
    frame = pd.DataFrame({"x": [1]})
    assert table_of(result) is result.table
    assert table_of(frame) is frame
    assert table_of(None) is None
