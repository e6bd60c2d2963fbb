"""Running the whole flow twice gives identical marts; another seed gives other events."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipeline import commands
from tests.e2e.faults import table_fingerprint
from tests.tables import SAMPLE_EMPTY_MARTS

# Columns that name or time a run rather than describe the data.
VOLATILE = (
    "run_id",
    "trained_at",
    "training_seconds",
    "created_at",
    "loaded_at",
    "source_file",
    "model_path",
    "built_at",
)


def all_tables(db: Path, schemas: tuple[str, ...]) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema in (select unnest(?)) order by 1",
            [list(schemas)],
        ).fetchall()
        return [r[0] for r in rows]
    finally:
        con.close()


def latest_run_filters(db: Path, tables: list[str]) -> dict[str, str]:
    """ml.* and the scorecard keep every training run: compare the latest run of each build."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        run_id = con.execute("select run_id from ml.model_runs order by trained_at desc limit 1").fetchone()[
            0
        ]
        keyed = {
            f"{schema}.{name}"
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.columns where column_name = 'run_id'"
            ).fetchall()
        }
    finally:
        con.close()
    return {t: f"run_id = '{run_id}'" for t in tables if t in keyed}


def fingerprint(db: Path, tables: list[str]) -> tuple:
    return table_fingerprint(db, tables, VOLATILE, latest_run_filters(db, tables))


@pytest.mark.slow
def test_two_runs_give_identical_marts_and_seed_changes_events(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    size = {"users": 400, "days": 21}
    commands.build_all(db, **size, seed=3, model_out=tmp_path / "m.pkl")
    marts = all_tables(db, ("marts", "ml"))
    assert {"marts.anime_master", "marts.viewing_events", "marts.ml_features"} <= set(marts)
    first = fingerprint(db, marts)
    empty = {name for name, count, _ in first if name.startswith("marts.") and not count}
    assert empty == SAMPLE_EMPTY_MARTS, first

    commands.build_all(db, **size, seed=3, model_out=tmp_path / "m.pkl")
    assert fingerprint(db, marts) == first

    events = ("raw.viewing_events",)
    before = table_fingerprint(db, events)
    commands.simulate(db, "--users", "400", "--days", "21", "--seed", "4", "--start", "2026-01-01")
    assert table_fingerprint(db, events) != before
