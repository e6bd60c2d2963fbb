"""What a run produced: ``python -m pipeline.summary [--warehouse PATH]`` (the last stage of a run).

Prints where the plays came from (a simulated run, or a platform's own log and how many of its
rows were rejected), the rows of every mart and, once `ml/train.py` has run, the latest run's split
(the cutoff it stored), its headline metrics on the validation plays and its two-line headline
(`ml.headline`). Reads the tables by the columns their writers define (`ml/write.py: TABLES`).
"""

from __future__ import annotations

import argparse
import sys

import duckdb

from ml.headline import format_headline, read_headline
from warehouse import first_line, one_row, spark_home, table_exists, warehouse_path
from warehouse.publish import CURRENT_FILE, snapshots_root
from warehouse.spark_tables import VIEWS_FILE

HEADLINE_METRICS = ("roc_auc", "pr_auc", "log_loss", "brier", "accuracy", "f1")
REJECT_TABLES = (("viewing_events_rejects", "plays"), ("users_rejects", "users"))


def mart_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """(mart, rows) for every table and view of `marts`."""
    names = con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = current_database() and table_schema = 'marts' order by table_name"
    ).fetchall()
    rows = []
    for (name,) in names:
        (n,) = one_row(con, f'select count(*) from marts."{name}"')
        rows.append((str(name), int(n)))
    return rows


def log_source(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Where the plays came from: a simulated run, or a platform's own log and what it rejected."""
    if not table_exists(con, "raw", "viewing_events"):
        return []
    if table_exists(con, "sim", "run"):
        return ["log: simulated (`python -m simulator report` compares it with published figures)"]
    lines = ["log: a platform's own (no `sim` schema): no oracle for the model, no simulator report"]
    for table, what in REJECT_TABLES:
        if table_exists(con, "raw", table):
            (n,) = one_row(con, f"select count(*) from raw.{table}")
            lines.append(f"  {what} rejected: {int(n):,} (raw.{table}, with reasons)")
    return lines


def model_run(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The latest training run: its split and headline metrics per model (ml.model_runs and
    ml.model_metrics, written together by `ml/train.py`)."""
    if not table_exists(con, "ml", "model_runs"):
        return ["no model yet: run `python ml/train.py`"]
    latest = con.execute(
        "select run_id, split_cutoff_at, train_rows, validation_rows from ml.model_runs "
        "order by trained_at desc, run_id desc limit 1"
    ).fetchone()
    if latest is None:
        return ["model runs: none recorded"]
    run_id, cutoff, n_train, n_validation = latest
    lines = [f"model run {run_id}:"]
    if cutoff is not None:  # a run recorded before runs stored their cutoff has none
        lines.append(
            f"  split: {n_train:,} train plays before {cutoff}, {n_validation:,} validation plays from it"
        )
    metrics = con.execute(
        "select model, metric, value from ml.model_metrics "
        "where run_id = ? and metric in (select unnest(?::varchar[])) and value is not null "
        "order by model",
        [run_id, list(HEADLINE_METRICS)],
    ).fetchall()
    by_model: dict[str, dict[str, float]] = {}
    for model, metric, value in metrics:
        by_model.setdefault(model, {})[metric] = value
    for model, values in by_model.items():
        shown = "  ".join(f"{m}={values[m]:.4f}" for m in HEADLINE_METRICS if m in values)
        lines.append(f"  {model:<24} {shown}")
    headline = read_headline(con)
    if headline is not None:
        lines.append(format_headline(headline))
    return lines


def render(con: duckdb.DuckDBPyConnection) -> str:
    lines = log_source(con)
    marts = mart_rows(con)
    if marts:
        width = max(len(name) for name, _ in marts)
        lines.append(f"marts ({len(marts)}):")
        lines += [f"  {name:<{width}}  {rows:>12,}" for name, rows in marts]
    else:
        lines.append("no marts yet: run `make build`")
    lines += model_run(con)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.summary", description=__doc__.split("\n")[0])
    parser.add_argument("--warehouse", help="warehouse file (default: $ANIME_WAREHOUSE)")
    args = parser.parse_args(argv)
    wh = warehouse_path(args.warehouse)
    if not wh.exists():
        print(f"error: no warehouse at {wh}: run `make run` first", file=sys.stderr)
        return 1
    try:
        con = duckdb.connect(str(wh), read_only=True)
    except duckdb.Error as exc:
        print(f"error: cannot open {wh} read-only: {first_line(exc)}", file=sys.stderr)
        return 1
    with con:
        print(f"warehouse {wh}")
        print(render(con))
    current = snapshots_root(wh) / CURRENT_FILE
    if current.exists():
        # the views over a Spark build (make run ENGINE=spark) sit in the Spark target's folder
        engine = " ENGINE=spark" if wh == spark_home() / VIEWS_FILE else ""
        print(f"dashboard snapshot: {current.read_text().strip()}  (make dashboard{engine})")
    else:
        print("dashboard snapshot: none (run `make publish`)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
