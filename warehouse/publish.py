"""Publish the marts the dashboard reads as an immutable parquet snapshot.

``python -m warehouse.publish [--warehouse PATH] [--keep N]``

The warehouse is opened read-only and every table and view of the ``marts`` and ``ml`` schemas
(``ml`` may be absent; the row-level ``marts.viewing_events`` and ``marts.ml_features`` are
skipped) plus ``raw.anime_catalog_rejects`` is copied to parquet in a new folder
``<warehouse file>.snapshots/<build id>/``. ``manifest.json`` is written last, the folder is
renamed into place, and only then is the pointer file ``<warehouse file>.snapshots/CURRENT``
replaced atomically (``os.replace``). The dashboard reads only the folder CURRENT names, so a
rebuild never shows a half-built mart and the dashboard never takes the warehouse lock.
The newest ``keep`` snapshots (default 3) are kept, so a reader that resolved CURRENT just
before a publish still finds its files.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse import warehouse_path
from warehouse.sql import first_line, quote_literal, table_exists

PUBLISHED_SCHEMAS = ("marts", "ml")
EXTRA_TABLES = (("raw", "anime_catalog_rejects"),)
# Row-level marts (one row per play) that no page reads: copying them would make most of a 10M-play
# snapshot and of its publish time. The dashboard reads the aggregates built from them.
SKIPPED_TABLES = (("marts", "viewing_events"), ("marts", "ml_features"))
CURRENT_FILE = "CURRENT"
MANIFEST_FILE = "manifest.json"
PARTIAL_SUFFIX = ".partial"
DEFAULT_KEEP = 3


class PublishError(RuntimeError):
    """A publish that cannot run (no warehouse, locked warehouse, ...)."""


@dataclass
class PublishResult:
    build_id: str
    folder: Path
    tables: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    removed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        n_rows = sum(self.tables.values())
        return (
            f"published snapshot {self.build_id}: {len(self.tables)} tables, "
            f"{n_rows:,} rows in {self.seconds:.1f}s -> {self.folder}"
        )


def snapshots_root(warehouse: str | os.PathLike[str] | None = None) -> Path:
    """``<warehouse file>.snapshots``: where snapshots and the CURRENT pointer live."""
    wh = warehouse_path(warehouse)
    return wh.with_name(wh.name + ".snapshots")


def new_build_id() -> str:
    """Sortable and unique: UTC time to the microsecond plus a random suffix."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _published_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    rows = con.execute(
        """
        select table_schema, table_name
        from information_schema.tables
        where table_catalog = current_database()
          and table_schema in (select unnest(?::varchar[]))
        order by table_schema, table_name
        """,
        [list(PUBLISHED_SCHEMAS)],
    ).fetchall()
    tables = [(str(s), str(t)) for s, t in rows if (str(s), str(t)) not in SKIPPED_TABLES]
    tables += [(schema, table) for schema, table in EXTRA_TABLES if table_exists(con, schema, table)]
    return tables


def _prune(root: Path, keep: int, current: str) -> list[str]:
    """Remove all but the newest ``keep`` complete snapshots, and stale partial folders."""
    removed: list[str] = []
    complete = sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir() and not p.name.endswith(PARTIAL_SUFFIX) and (p / MANIFEST_FILE).exists()
    )
    for name in complete[: max(0, len(complete) - keep)]:
        if name == current:
            continue
        shutil.rmtree(root / name, ignore_errors=True)
        removed.append(name)
    # Partial folders left by a crashed publish (older than an hour, so never a running one).
    for p in root.iterdir():
        if p.is_dir() and p.name.endswith(PARTIAL_SUFFIX) and time.time() - p.stat().st_mtime > 3600:
            shutil.rmtree(p, ignore_errors=True)
    return removed


def publish(warehouse: str | os.PathLike[str] | None = None, *, keep: int = DEFAULT_KEEP) -> PublishResult:
    """Copy the published tables to a new snapshot and point CURRENT at it."""
    started = time.perf_counter()
    wh = warehouse_path(warehouse)
    if not wh.exists():
        raise PublishError(f"no warehouse at {wh}: run `make run` first")
    try:
        con = duckdb.connect(str(wh), read_only=True)
    except duckdb.Error as exc:
        raise PublishError(f"cannot open {wh} read-only (is a build running?): {first_line(exc)}") from exc

    root = snapshots_root(wh)
    root.mkdir(parents=True, exist_ok=True)
    build_id = new_build_id()
    partial = root / (build_id + PARTIAL_SUFFIX)
    final = root / build_id
    partial.mkdir()
    result = PublishResult(build_id=build_id, folder=final)
    manifest_tables: dict[str, dict[str, object]] = {}
    try:
        with con:
            for schema, table in _published_tables(con):
                key = f"{schema}.{table}"
                file_name = f"{key}.parquet"
                source = f"{_ident(schema)}.{_ident(table)}"
                con.execute(
                    f"copy (select * from {source}) to {quote_literal(str(partial / file_name))} "
                    "(format parquet, compression zstd, row_group_size 122880)"
                )
                described = con.execute(f"describe select * from {source}").fetchall()
                n_rows = con.execute(
                    f"select count(*) from read_parquet({quote_literal(str(partial / file_name))})"
                ).fetchone()
                rows = int(n_rows[0]) if n_rows else 0
                manifest_tables[key] = {
                    "file": file_name,
                    "rows": rows,
                    "columns": {str(c[0]): str(c[1]) for c in described},
                }
                result.tables[key] = rows
        manifest = {
            "build_id": build_id,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "warehouse": str(wh),
            "warehouse_modified_at": datetime.fromtimestamp(wh.stat().st_mtime, UTC).isoformat(
                timespec="seconds"
            ),
            "tables": manifest_tables,
        }
        tmp_manifest = partial / (MANIFEST_FILE + ".tmp")
        tmp_manifest.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp_manifest, partial / MANIFEST_FILE)
        os.replace(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise

    tmp_pointer = root / f"{CURRENT_FILE}.{build_id}.tmp"
    tmp_pointer.write_text(build_id + "\n", encoding="utf-8")
    os.replace(tmp_pointer, root / CURRENT_FILE)

    result.removed = _prune(root, keep, build_id)
    result.seconds = time.perf_counter() - started
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m warehouse.publish",
        description="Snapshot marts.*, ml.* and raw.anime_catalog_rejects to parquet for the dashboard.",
    )
    parser.add_argument("--warehouse", help="warehouse file (default: $ANIME_WAREHOUSE)")
    parser.add_argument("--keep", type=int, default=DEFAULT_KEEP, help="snapshots to keep (default 3)")
    args = parser.parse_args(argv)
    if args.keep < 1:
        parser.error("--keep must be at least 1")
    try:
        result = publish(args.warehouse, keep=args.keep)
    except PublishError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except duckdb.Error as exc:
        print(f"error: publish failed: {first_line(exc)}", file=sys.stderr)
        return 1
    if not result.tables:
        print(f"warning: {result.build_id} holds no tables: run `make build` first", file=sys.stderr)
    print(result.summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
