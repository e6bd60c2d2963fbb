"""The tolerant table comparison used by the equality tests, on relations worked out by hand."""

from __future__ import annotations

import duckdb
import pytest

from tests.tables import relation_differences

BASE = (
    "select * from (values (1, 'a', 0.1::double), (2, 'b', 1e6::double), (2, 'b', 3.0::double), "
    "(3, null, null::double)) as t(k, s, x)"
)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def test_equal_relations_and_last_bit_differences(con: duckdb.DuckDBPyConnection) -> None:
    assert relation_differences(con, BASE, BASE) == (0, 0, 4)
    # 0.1 + 0.2 - 0.2 differs from 0.1 in its last bit; a rounding to 9 decimals would also agree here,
    # but 0.5e-9 and its neighbour one bit below sit on both sides of a rounding boundary
    moved = BASE.replace("0.1::double", "(0.1 + 0.2 - 0.2)").replace("3.0::double", "nextafter(3.0, 4.0)")
    assert relation_differences(con, BASE, moved) == (0, 0, 4)
    boundary = "select 0.5e-9::double as x"
    assert relation_differences(con, boundary, "select nextafter(0.5e-9, 0.0) as x") == (0, 0, 1)


def test_real_differences_are_counted(con: duckdb.DuckDBPyConnection) -> None:
    assert relation_differences(con, BASE, BASE.replace("1e6::double", "1000000.01::double")) == (1, 1, 4)
    assert relation_differences(con, BASE, BASE.replace("(3, null", "(4, null")) == (1, 1, 4)
    assert relation_differences(con, BASE, BASE.replace("null::double", "0.0::double")) == (1, 1, 4)
    # a missing duplicate: the pairs after it shift, so the counts are an upper bound, never zero
    fewer = BASE.replace(", (2, 'b', 3.0::double)", "")
    assert relation_differences(con, BASE, fewer) == (2, 1, 4)
    assert relation_differences(con, fewer, BASE) == (1, 2, 3)


def test_duplicates_pair_in_float_order(con: duckdb.DuckDBPyConnection) -> None:
    swapped = BASE.replace("1e6::double), (2, 'b', 3.0::double)", "3.0::double), (2, 'b', 1e6::double)")
    assert relation_differences(con, BASE, swapped) == (0, 0, 4)
