"""The one column-schema type: Column and Schema."""

import pytest

from plcapacity.base.schema import Column, Schema
from plcapacity.batch.scenarios import COLUMNS, RESULT_COLUMNS
from plcapacity.capacity.sizing import DEMAND_COLUMNS, SIZE_RESULT_COLUMNS


def test_schema_is_an_ordered_read_only_mapping_of_columns():
    schema = Schema([Column.output("b", "-", "second letter"),
                     Column("a", "s", "0", "a number >= 0", "first letter")])
    assert list(schema) == ["b", "a"]
    assert schema["a"].allowed == "a number >= 0" and schema["b"].default is None
    assert len(schema) == 2 and "a" in schema and "c" not in schema
    with pytest.raises(TypeError):
        schema["c"] = Column.output("c", "-", "")  # read-only
    with pytest.raises(KeyError):
        schema["c"]


def test_a_name_listed_twice_is_refused():
    with pytest.raises(ValueError, match="column 'a' is listed twice"):
        Schema([Column.output("a", "-", "x"), Column.output("a", "-", "y")])


def test_without_drops_named_columns_and_refuses_unknown_ones():
    schema = Schema([Column.output(n, "-", n) for n in "abc"])
    assert list(schema.without("b")) == ["a", "c"]
    with pytest.raises(KeyError, match="not in the schema"):
        schema.without("z")


def test_table_has_input_fields_only_for_input_schemas():
    inputs = Schema([Column("x", "s", "1", "a number", "x")]).table()
    assert inputs.columns.tolist() == ["column", "unit", "default", "allowed", "meaning"]
    assert inputs.iloc[0].tolist() == ["x", "s", "1", "a number", "x"]
    outputs = Schema([Column.output("y", "-", "why")]).table()
    assert outputs.columns.tolist() == ["column", "unit", "meaning"]


def test_every_table_schema_of_the_package_is_a_schema_of_columns():
    for schema in (COLUMNS, RESULT_COLUMNS, DEMAND_COLUMNS, SIZE_RESULT_COLUMNS):
        assert isinstance(schema, Schema)
        assert all(isinstance(c, Column) and c.name == name and c.unit and c.meaning
                   for name, c in schema.items())
    # inputs carry a default and what is allowed; results do not
    assert all(c.default is not None and c.allowed for c in COLUMNS.values())
    assert all(c.default is None and c.allowed is None for c in RESULT_COLUMNS.values())
    # the batch's inputs and results extend the sizing's, sharing their Column objects
    assert [n for n in COLUMNS if n in DEMAND_COLUMNS] == list(DEMAND_COLUMNS)
    assert all(RESULT_COLUMNS[n] is c for n, c in SIZE_RESULT_COLUMNS.items())
