"""What the default run produced: ``python -m warehouse.summary [--warehouse PATH]``.

Prints where the plays came from (a simulated run, or a platform's own log and how many of its
rows were rejected), the rows of every mart and, when ``ml.model_runs`` exists, the latest
training run's split (the cutoff it stored) and its headline metrics on the validation plays.
Used at the end of ``make run``.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

from warehouse import spark_home, table_exists, warehouse_path
from warehouse.publish import snapshots_root
from warehouse.spark_tables import VIEWS_FILE

HEADLINE_METRICS = ("roc_auc", "pr_auc", "log_loss", "brier", "accuracy", "f1")
TIME_COLUMNS = ("created_at", "trained_at", "finished_at", "started_at", "run_at")


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_catalog = current_database() and table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [str(r[0]) for r in rows]


def mart_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    names = con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = current_database() and table_schema = 'marts' order by table_name"
    ).fetchall()
    out = []
    for (name,) in names:
        n = con.execute(f'select count(*) from marts."{name}"').fetchone()
        out.append((str(name), int(n[0]) if n else 0))
    return out


def latest_run(con: duckdb.DuckDBPyConnection) -> str | None:
    cols = _columns(con, "ml", "model_runs")
    if "run_id" not in cols:
        return None
    order = next((c for c in TIME_COLUMNS if c in cols), "run_id")
    row = con.execute(
        f'select cast(run_id as varchar) from ml.model_runs order by "{order}" desc, run_id desc limit 1'
    ).fetchone()
    return None if row is None else str(row[0])


def headline_metrics(con: duckdb.DuckDBPyConnection, run_id: str) -> list[tuple[str, str, float]]:
    if not table_exists(con, "ml", "model_metrics"):
        return []
    cols = _columns(con, "ml", "model_metrics")
    if not {"run_id", "model", "metric", "value"} <= set(cols):
        return []
    rows = con.execute(
        """
        select model, metric, value
        from ml.model_metrics
        where cast(run_id as varchar) = ? and metric in (select unnest(?::varchar[]))
        order by model, metric
        """,
        [run_id, list(HEADLINE_METRICS)],
    ).fetchall()
    return [(str(m), str(k), float(v)) for m, k, v in rows if v is not None]


SPLIT_COLUMNS = ("split_cutoff_at", "train_rows", "validation_rows")


def run_split(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    """The run's split as it decided it: its cutoff and row counts (None for older runs)."""
    if not set(SPLIT_COLUMNS) <= set(_columns(con, "ml", "model_runs")):
        return None
    row = con.execute(
        "select split_cutoff_at, train_rows, validation_rows from ml.model_runs "
        "where cast(run_id as varchar) = ?",
        [run_id],
    ).fetchone()
    if row is None or row[0] is None:
        return None
    cutoff, n_train, n_validation = row
    return f"  split: {n_train:,} train plays before {cutoff}, {n_validation:,} validation plays from it"


REJECT_TABLES = (("viewing_events_rejects", "plays"), ("users_rejects", "users"))


def log_source(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Where the plays came from: a simulated run, or a platform's own log and what it rejected."""
    if not table_exists(con, "raw", "viewing_events"):
        return []
    if table_exists(con, "sim", "run"):
        return ["log: simulated (`python -m simulator report` compares it with published figures)"]
    lines = ["log: a platform's own (no `sim` schema): no oracle for the model, no simulator report"]
    for table, what in REJECT_TABLES:
        if table_exists(con, "raw", table):
            row = con.execute(f"select count(*) from raw.{table}").fetchone()
            lines.append(f"  {what} rejected: {int(row[0]) if row else 0:,} (raw.{table}, with reasons)")
    return lines


def render(con: duckdb.DuckDBPyConnection) -> str:
    lines = log_source(con)
    marts = mart_rows(con)
    if not marts:
        lines.append("no marts yet: run `make build`")
    else:
        width = max(len(n) for n, _ in marts)
        lines.append(f"marts ({len(marts)}):")
        lines += [f"  {name:<{width}}  {rows:>12,}" for name, rows in marts]
    if table_exists(con, "ml", "model_runs"):
        run_id = latest_run(con)
        metrics = headline_metrics(con, run_id) if run_id else []
        lines.append(f"model run {run_id}:" if run_id else "model runs: none recorded")
        split = run_split(con, run_id) if run_id else None
        if split is not None:
            lines.append(split)
        by_model: dict[str, dict[str, float]] = {}
        for model, metric, value in metrics:
            by_model.setdefault(model, {})[metric] = value
        for model, values in by_model.items():
            shown = "  ".join(f"{m}={values[m]:.4f}" for m in HEADLINE_METRICS if m in values)
            lines.append(f"  {model:<24} {shown}")
    else:
        lines.append("no model yet: run `python ml/train.py`")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warehouse.summary", description=__doc__)
    parser.add_argument("--warehouse", help="warehouse file (default: $ANIME_WAREHOUSE)")
    args = parser.parse_args(argv)
    wh = warehouse_path(args.warehouse)
    if not wh.exists():
        print(f"error: no warehouse at {wh}: run `make run` first", file=sys.stderr)
        return 1
    try:
        con = duckdb.connect(str(wh), read_only=True)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        print(f"error: cannot open {wh} read-only: {first}", file=sys.stderr)
        return 1
    with con:
        print(f"warehouse {wh}")
        print(render(con))
    try:  # the ML step's own two-line headline (model vs baselines vs oracle), when present
        from ml.headline import format_headline, latest_headline

        headline = latest_headline(wh)
        if headline is not None:
            print(format_headline(headline))
    except (ImportError, KeyError, TypeError, duckdb.Error):
        pass
    current = snapshots_root(wh) / "CURRENT"
    if current.exists():
        # the views over a Spark build (make run ENGINE=spark) sit in the spark target's folder
        engine = " ENGINE=spark" if wh == spark_home() / VIEWS_FILE else ""
        print(f"dashboard snapshot: {current.read_text().strip()}  (make dashboard{engine})")
    else:
        print("dashboard snapshot: none (run `make publish`)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
