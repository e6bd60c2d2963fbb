"""The dashboard's only way to data: the published parquet snapshot CURRENT points at.

``python -m warehouse.publish`` writes ``<warehouse>.snapshots/<build id>/*.parquet`` plus a
manifest and then swaps the ``CURRENT`` pointer. This module resolves CURRENT on every script run
(two tiny file reads), exposes each parquet file as a view with its warehouse name
(``marts.sessions``, ``ml.model_runs``, ``raw.anime_catalog_rejects``) inside an in-memory DuckDB,
and runs the page queries there. The warehouse file itself is never opened, so a running
``dbt build`` or ``make run`` neither blocks nor breaks the dashboard: it keeps showing the last
published snapshot until the next publish.

Rules kept here:
- SQL text is always a constant of the calling module; user values travel as parameters (``?``).
- Results are cached with ``st.cache_data`` keyed by the snapshot id, so a new publish is picked up
  on the next rerun and old results are never mixed with new ones.
- A table missing from the snapshot raises :class:`MissingData`, which names the command to run.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from warehouse import warehouse_path
from warehouse.publish import CURRENT_FILE, MANIFEST_FILE, snapshots_root
from warehouse.sql import quote_literal

# Which command produces each table (shown in empty states).
_CATALOG_MARTS = {
    "marts.anime_master",
    "marts.anime_tags",
    "marts.anime_studios",
    "marts.anime_producers",
    "marts.anime_relations",
    "marts.simulation_eligibility",
}
_ML_OUTPUT_MARTS = {"marts.model_scorecard", "marts.model_predictions"}


def command_for(table: str) -> str:
    """The command that creates ``table`` (before ``make publish``)."""
    if table in _CATALOG_MARTS or table.startswith("raw."):
        return "make run"
    if table.startswith("ml."):
        return "python ml/train.py"
    if table in _ML_OUTPUT_MARTS:
        return "make train"  # python ml/train.py, then dbt build -s tag:ml_outputs
    return "make build"


class DataError(Exception):
    """Base class for conditions a page shows as a notice instead of a traceback."""


class NoSnapshot(DataError):
    def __init__(self, root: Path, warehouse_exists: bool) -> None:
        self.root = root
        self.warehouse_exists = warehouse_exists
        if warehouse_exists:
            msg = "No published snapshot yet. Run `make publish` (or `make run`, which publishes at the end)."
        else:
            msg = "No warehouse yet. Run `make run` to build it; it publishes a snapshot at the end."
        super().__init__(msg)


class MissingData(DataError):
    def __init__(self, tables: Sequence[str]) -> None:
        self.tables = list(tables)
        commands = sorted({command_for(t) for t in self.tables})
        names = ", ".join(f"`{t}`" for t in self.tables)
        run = " or ".join(f"`{c}`" for c in commands)
        super().__init__(
            f"{names} {'is' if len(self.tables) == 1 else 'are'} not in the published snapshot yet. "
            f"Run {run}, then `make publish`."
        )


class SnapshotGone(DataError):
    def __init__(self) -> None:
        super().__init__(
            "The snapshot changed while this page was loading (a publish is running). Rerun the page."
        )


@dataclass(frozen=True)
class Snapshot:
    build_id: str
    folder: Path
    built_at: str
    warehouse_modified_at: str
    tables: dict[str, int]  # "schema.table" -> rows
    files: dict[str, str]  # "schema.table" -> parquet file name
    columns: dict[str, tuple[str, ...]]

    def has(self, *tables: str) -> bool:
        return all(t in self.tables for t in tables)

    def missing(self, tables: Sequence[str]) -> list[str]:
        return [t for t in tables if t not in self.tables]

    def has_column(self, table: str, column: str) -> bool:
        return column in self.columns.get(table, ())


@lru_cache(maxsize=16)
def _load_manifest(folder: str) -> Snapshot:
    path = Path(folder)
    raw = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
    tables = raw.get("tables", {})
    return Snapshot(
        build_id=str(raw.get("build_id", path.name)),
        folder=path,
        built_at=str(raw.get("built_at", "")),
        warehouse_modified_at=str(raw.get("warehouse_modified_at", "")),
        tables={k: int(v.get("rows", 0)) for k, v in tables.items()},
        files={k: str(v["file"]) for k, v in tables.items()},
        columns={k: tuple(v.get("columns", {}).keys()) for k, v in tables.items()},
    )


def snapshot_root() -> Path:
    return snapshots_root(warehouse_path())


def current_snapshot() -> Snapshot:
    """The snapshot CURRENT names right now (raises :class:`NoSnapshot`)."""
    root = snapshot_root()
    for _ in range(3):
        try:
            build_id = (root / CURRENT_FILE).read_text(encoding="utf-8").strip()
            return _load_manifest(str(root / build_id))
        except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError, KeyError):
            # CURRENT absent, or pointing at a folder pruned a moment ago: read it again.
            continue
    raise NoSnapshot(root, warehouse_path().exists())


def warehouse_changed_since(snap: Snapshot) -> bool:
    """True when the warehouse file was written after ``snap`` was published (a build is running
    or finished without ``make publish``)."""
    try:
        modified = datetime.fromtimestamp(warehouse_path().stat().st_mtime, UTC)
        published = datetime.fromisoformat(snap.warehouse_modified_at)
    except (OSError, ValueError):
        return False
    return (modified - published).total_seconds() > 2


def snapshot_or_none() -> Snapshot | None:
    try:
        return current_snapshot()
    except NoSnapshot:
        return None


_db_lock = threading.Lock()


@st.cache_resource(max_entries=3, show_spinner=False)
def _snapshot_db(folder: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB whose views name the snapshot's parquet files."""
    snap = _load_manifest(folder)
    con = duckdb.connect(":memory:", config={"threads": max(1, min(4, os.cpu_count() or 1))})
    for schema in sorted({name.split(".", 1)[0] for name in snap.files}):
        con.execute(f'create schema if not exists "{schema}"')
    for name, file_name in snap.files.items():
        schema, table = name.split(".", 1)
        con.execute(
            f'create view "{schema}"."{table}" as select * from read_parquet('
            f"{quote_literal(str(Path(folder) / file_name))})"
        )
    return con


@st.cache_data(max_entries=1024, show_spinner=False)
def _run_cached(build_id: str, folder: str, sql: str, params: tuple[Any, ...]) -> pd.DataFrame:
    del build_id  # part of the cache key only
    with _db_lock:
        cursor = _snapshot_db(folder).cursor()
    try:
        return cursor.execute(sql, list(params)).fetchdf()
    finally:
        cursor.close()


def query(sql: str, params: Sequence[Any] = (), *, tables: Sequence[str]) -> pd.DataFrame:
    """Run constant ``sql`` with ``params`` on the current snapshot; ``tables`` it needs.

    Raises :class:`NoSnapshot`, :class:`MissingData` or :class:`SnapshotGone`, which pages turn
    into notices.
    """
    for _ in range(3):
        snap = current_snapshot()
        missing = snap.missing(tables)
        if missing:
            raise MissingData(missing)
        try:
            return _run_cached(snap.build_id, str(snap.folder), sql, tuple(params))
        except duckdb.IOException:
            # The folder was pruned under us (three publishes during one query): retry on
            # whatever CURRENT names now.
            continue
    raise SnapshotGone()


def scalar(sql: str, params: Sequence[Any] = (), *, tables: Sequence[str]) -> Any:
    df = query(sql, params, tables=tables)
    if df.empty:
        return None
    value = df.iat[0, 0]
    # pandas-stubs: .iat may give np.bool_, Period or Interval, which isna's scalar overload leaves out
    return None if pd.isna(value) else value  # type: ignore[arg-type]
