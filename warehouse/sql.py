"""Four small SQL helpers every stage shares (each written once, here).

- ``table_exists(con, schema, table)``: does the relation exist in the connection's own database;
- ``one_row(con, sql, params)``: the row of a query that always answers with one (an aggregate
  without ``group by``, ``COPY``'s count of the rows it wrote);
- ``first_line(exc)``: the first line of an error's text (DuckDB's errors run to several lines);
- ``quote_literal(text)``: ``text`` as a SQL string literal, for the statements that take no
  parameters (``COPY ... TO '<path>'``, ``read_parquet('<glob>')``, ``CREATE VIEW``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """True when schema.table (a table or a view) exists in the database `con` opened."""
    row = con.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = current_database() and table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def one_row(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> tuple[Any, ...]:
    """The one row of `sql`, a query that answers with exactly one (`select count(*) ...`)."""
    row = con.execute(sql, params).fetchone()
    if row is None:
        raise RuntimeError(f"no row from a query that always answers with one: {' '.join(sql.split())}")
    return row


def first_line(exc: BaseException) -> str:
    """The first line of an error's text, or its type's name when it has no text."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def quote_literal(text: str) -> str:
    """A SQL string literal: `text` in single quotes, its own single quotes doubled."""
    return "'" + text.replace("'", "''") + "'"
