"""Write one training run to the `ml` schema in a single short transaction.

Every table keeps the history of runs (keyed by run_id) except `ml.predictions`, which holds only
the latest run's validation plays. A run killed before COMMIT leaves the previous run intact.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ml.data import MLInputError
from warehouse.sql import first_line

SCHEMA = "ml"

#: Column name -> DuckDB type, per table (documented in ml/README.md).
TABLES: dict[str, dict[str, str]] = {
    "model_runs": {
        "run_id": "varchar",
        "trained_at": "timestamp",
        "warehouse_path": "varchar",
        "model_path": "varchar",
        "model_sha256": "varchar",
        "features": "varchar[]",
        "n_features": "integer",
        "train_rows": "bigint",
        "validation_rows": "bigint",
        "train_positive_rate": "double",
        "validation_positive_rate": "double",
        "train_start_at": "timestamp",
        "train_end_at": "timestamp",
        "validation_start_at": "timestamp",
        "validation_end_at": "timestamp",
        "decision_threshold": "double",
        "gbm_n_iter": "integer",
        "has_oracle": "boolean",
        "oracle_rows": "bigint",
        "roc_auc": "double",
        "brier": "double",
        "baseline_episode_roc_auc": "double",
        "baseline_episode_brier": "double",
        "baseline_logreg_roc_auc": "double",
        "baseline_logreg_brier": "double",
        "oracle_roc_auc": "double",
        "oracle_brier": "double",
        "auc_gap": "double",
        "auc_gap_se": "double",
        "brier_gap_pct": "double",
        "sklearn_version": "varchar",
        "training_seconds": "double",
        # last, so a model_runs table of an older layout gains it without losing its runs
        "split_cutoff_at": "timestamp",
    },
    "model_metrics": {
        "run_id": "varchar",
        "model": "varchar",
        "metric": "varchar",
        "value": "double",
    },
    "predictions": {
        "run_id": "varchar",
        "event_id": "bigint",
        "user_id": "bigint",
        "anime_id": "varchar",
        "started_at": "timestamp",
        "episode_number": "integer",
        "episode_bucket": "varchar",
        "score": "double",
        "label": "boolean",
        "is_predicted_positive": "boolean",
        "baseline_episode_score": "double",
        "baseline_logreg_score": "double",
    },
    "feature_importance": {
        "run_id": "varchar",
        "model": "varchar",
        "feature": "varchar",
        "importance_mean": "double",
        "importance_std": "double",
        "importance_rank": "integer",
        "n_rows": "bigint",
        "n_repeats": "integer",
    },
    "metrics_by_bucket": {
        "run_id": "varchar",
        "model": "varchar",
        "episode_bucket": "varchar",
        "n_rows": "bigint",
        "positive_rate": "double",
        "mean_score": "double",
        "roc_auc": "double",
        "pr_auc": "double",
        "accuracy": "double",
        "precision": "double",
        "recall": "double",
        "f1": "double",
        "brier": "double",
        "log_loss": "double",
    },
    "calibration": {
        "run_id": "varchar",
        "model": "varchar",
        "bin_index": "integer",
        "bin_lower": "double",
        "bin_upper": "double",
        "mean_predicted": "double",
        "observed_rate": "double",
        "n_rows": "bigint",
    },
    "roc_curve": {
        "run_id": "varchar",
        "model": "varchar",
        "point_index": "integer",
        "fpr": "double",
        "tpr": "double",
        "threshold": "double",
    },
    "threshold_curve": {
        "run_id": "varchar",
        "model": "varchar",
        "threshold": "double",
        "precision": "double",
        "recall": "double",
        "f1": "double",
        "accuracy": "double",
        "predicted_positive_rate": "double",
    },
}

#: Tables that keep only the latest run.
LATEST_ONLY = ("predictions",)


def _ddl(table: str) -> str:
    cols = ",\n    ".join(f'"{c}" {t}' for c, t in TABLES[table].items())
    return f"create table {SCHEMA}.{table} (\n    {cols}\n)"


def _existing_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, lower(data_type) from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [SCHEMA, table],
    ).fetchall()


def _ensure_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Create the table. An older layout that lacks only trailing columns gains them (its runs
    keep null there); any other layout is recreated."""
    existing = _existing_columns(con, table)
    wanted = list(TABLES[table])
    names = [c for c, _ in existing]
    if existing and names != wanted and names == wanted[: len(names)]:
        for column in wanted[len(names) :]:
            con.execute(f'alter table {SCHEMA}.{table} add column "{column}" {TABLES[table][column]}')
        return
    if existing and names != wanted:
        con.execute(f"drop table {SCHEMA}.{table}")
        existing = []
    if not existing:
        con.execute(_ddl(table))


def _connect_for_write(path: Path, timeout_s: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as exc:
            if time.monotonic() >= deadline:
                raise MLInputError(
                    f"cannot write ml.* to {path}: the warehouse is locked ({first_line(exc)})"
                ) from None
            time.sleep(1.0)


def _as_arrow(table: str, rows: dict[str, Any] | list[dict[str, Any]]) -> pa.Table:
    """Rows (a list of dicts) or columns (a dict of equal-length arrays) as an Arrow table."""
    if isinstance(rows, dict):
        return pa.table({c: rows[c] for c in TABLES[table]})
    return pa.Table.from_pylist([{c: r.get(c) for c in TABLES[table]} for r in rows])


def write_run(path: Path, tables: dict[str, Any], *, lock_timeout_s: float = 60.0) -> None:
    """Insert one run's rows into every ml.* table inside one transaction."""
    missing = set(TABLES) - set(tables)
    if missing:
        raise ValueError(f"missing tables for write_run: {sorted(missing)}")
    con = _connect_for_write(path, lock_timeout_s)
    try:
        con.execute("begin transaction")
        try:
            con.execute(f"create schema if not exists {SCHEMA}")
            for table in TABLES:
                _ensure_table(con, table)
                data = _as_arrow(table, tables[table])
                if table in LATEST_ONLY:
                    con.execute(f"delete from {SCHEMA}.{table}")
                view = f"_ml_write_{table}"
                con.register(view, data)
                cols = ", ".join(f'"{c}"' for c in TABLES[table])
                con.execute(f"insert into {SCHEMA}.{table} ({cols}) select {cols} from {view}")
                con.unregister(view)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        con.close()
