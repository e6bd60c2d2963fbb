"""Compare two relations row by row: exact columns exactly, floating-point columns within a tolerance.

DuckDB sums floats in parallel, so the same build can differ in a last bit from run to run, and
rounding both sides to n decimals still disagrees when a value sits on a rounding boundary. So rows
are matched on their exact columns (duplicates paired in float order) and their floats compared
within `REL_TOLERANCE` relative (or `ABS_TOLERANCE` near zero): a verdict that does not depend on
the threads' timing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

REL_TOLERANCE = 1e-9
ABS_TOLERANCE = 1e-12
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
# the embedded sample's studios, producers and relatedAnime lists are empty (data/README.md): on a
# warehouse built from it these bridge marts hold no rows, and every other mart must hold some
SAMPLE_EMPTY_MARTS = frozenset({"marts.anime_studios", "marts.anime_producers", "marts.anime_relations"})


def _close(left: str, right: str) -> str:
    within = (
        f"abs({left} - {right}) <= {REL_TOLERANCE} * greatest(abs({left}), abs({right})) + {ABS_TOLERANCE}"
    )
    both_missing = f"({left} is null and {right} is null) or (isnan({left}) and isnan({right}))"
    return f"coalesce({both_missing} or {within}, false)"


def relation_differences(con: duckdb.DuckDBPyConnection, left: str, right: str) -> tuple[int, int, int]:
    """(rows only in left, rows only in right, rows in left) for two queries with the same columns.

    Exact where the exact columns identify a row; in a group of duplicates of different sizes the
    pairs shift, so the counts there are an upper bound (never zero when the relations differ).
    """
    described = con.execute(f"describe select * from ({left})").fetchall()
    columns = [(f'"{name}"', str(data_type)) for name, data_type, *_ in described]
    exact = [c for c, t in columns if t not in FLOAT_TYPES]
    floats = [c for c, t in columns if t in FLOAT_TYPES]
    partition = f"partition by {', '.join(exact)}" if exact else ""
    order = f"order by {', '.join(floats)}" if floats else ""

    def numbered(query: str) -> str:
        return f"select *, row_number() over ({partition} {order}) as pair_number__ from ({query})"

    on = " and ".join(
        [f"l.{c} is not distinct from r.{c}" for c in exact] + ["l.pair_number__ = r.pair_number__"]
    )
    close = " and ".join(_close(f"l.{c}", f"r.{c}") for c in floats) or "true"
    paired = f"l.pair_number__ is not null and r.pair_number__ is not null and {close}"
    only_left, only_right = con.execute(
        f"""
        select
            count(*) filter (where l.pair_number__ is not null and not ({paired})),
            count(*) filter (where r.pair_number__ is not null and not ({paired}))
        from ({numbered(left)}) as l full outer join ({numbered(right)}) as r on {on}
        """
    ).fetchone()
    (n_left,) = con.execute(f"select count(*) from ({left})").fetchone()
    return only_left, only_right, n_left


def table_differences(left: Path, right: Path, table: str) -> tuple[int, int, int]:
    """(rows only in left, rows only in right, rows in left) of one table in two DuckDB files."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{left}' as l_db (read_only)")
        con.execute(f"attach '{right}' as r_db (read_only)")
        return relation_differences(con, f"select * from l_db.{table}", f"select * from r_db.{table}")
    finally:
        con.close()


def query_rows(db: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """All rows of one query on a DuckDB file opened read-only (so a test never changes what it reads)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()
