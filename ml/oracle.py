"""The Bayes ceiling: the simulator's own P(continue) for each validation play.

This module is the only code in the project that reads the `sim` schema. On real platform logs
there is no `sim` schema and the oracle is skipped.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

TRUTH_TABLE = ("sim", "event_truth")
NO_TRUTH_MESSAGE = "no simulator ground truth: oracle skipped"


def has_truth(con: duckdb.DuckDBPyConnection) -> bool:
    schema, table = TRUTH_TABLE
    row = con.execute(
        "select count(*) from information_schema.columns "
        "where table_schema = ? and table_name = ? and column_name in ('event_id', 'p_continue')",
        [schema, table],
    ).fetchall()
    return row[0][0] == 2


def load_truth(con: duckdb.DuckDBPyConnection, event_id: np.ndarray) -> np.ndarray | None:
    """sim.event_truth.p_continue aligned row by row with `event_id` (NaN where absent).

    Returns None when the warehouse has no simulator ground truth.
    """
    if not has_truth(con):
        return None
    schema, table = TRUTH_TABLE
    ids = pa.table(
        {
            "row_index": pa.array(np.arange(len(event_id), dtype=np.int64)),
            "event_id": pa.array(np.asarray(event_id, dtype=np.int64)),
        }
    )
    con.register("_ml_oracle_ids", ids)
    try:
        result = con.sql(
            f"""
select ids.row_index, cast(t.p_continue as double) as p_continue
from _ml_oracle_ids as ids
left join {schema}.{table} as t on ids.event_id = t.event_id
order by ids.row_index
"""
        ).to_arrow_table()
    finally:
        con.unregister("_ml_oracle_ids")
    if result.num_rows != len(event_id):
        raise RuntimeError("sim.event_truth has duplicate event_id values")
    return result.column("p_continue").to_numpy(zero_copy_only=False).astype(float)
