"""The headline of the latest training run (no scikit-learn import: cheap for `make run`)."""

from __future__ import annotations

import math
import os
from typing import Any

import duckdb

from warehouse import warehouse_path
from warehouse.sql import table_exists

HEADLINE_KEYS: tuple[str, ...] = (
    "run_id",
    "validation_rows",
    "roc_auc",
    "brier",
    "baseline_episode_roc_auc",
    "baseline_logreg_roc_auc",
    "has_oracle",
    "oracle_roc_auc",
    "oracle_brier",
    "auc_gap",
    "auc_gap_se",
    "brier_gap_pct",
)


def read_headline(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """Headline dict of the latest run in ml.model_runs of an open warehouse, or None when no run
    was recorded."""
    if not table_exists(con, "ml", "model_runs"):
        return None
    cols = ", ".join(HEADLINE_KEYS)
    rows = con.execute(
        f"select {cols} from ml.model_runs order by trained_at desc, run_id desc limit 1"
    ).fetchall()
    return dict(zip(HEADLINE_KEYS, rows[0], strict=True)) if rows else None


def latest_headline(warehouse: str | os.PathLike[str] | None = None) -> dict[str, Any] | None:
    """Headline dict of the latest run in ml.model_runs, or None when no run was recorded."""
    path = warehouse_path(warehouse)
    if not path.exists():
        return None
    with duckdb.connect(str(path), read_only=True) as con:
        return read_headline(con)


def _f(x: Any, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.{digits}f}"


def format_headline(h: dict[str, Any]) -> str:
    """Two short lines: model vs baselines, then vs the oracle (or why there is none)."""
    first = (
        f"model AUC {_f(h['roc_auc'])}, Brier {_f(h['brier'])} | baselines AUC: "
        f"episode rate {_f(h['baseline_episode_roc_auc'])}, "
        f"logistic {_f(h['baseline_logreg_roc_auc'])} "
        f"({h['validation_rows']:,} validation plays)"
    )
    if not h.get("has_oracle"):
        return first + "\nno simulator ground truth: oracle skipped"
    second = (
        f"oracle AUC {_f(h['oracle_roc_auc'])}, Brier {_f(h['oracle_brier'])} | gap: "
        f"AUC {_f(h['auc_gap'])} (DeLong SE {_f(h['auc_gap_se'])}), "
        f"Brier {h['brier_gap_pct']:+.2f}%"
    )
    return first + "\n" + second
