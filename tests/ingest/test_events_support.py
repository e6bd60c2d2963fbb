"""Helpers for the `ingest events` tests: a fresh copy of the catalogue warehouse, writers for small
logs in every format, and runners for the CLI (in-process for speed, as a subprocess where the exit
code and stderr of the real command matter). No tests here."""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import zstandard

from ingest.cli import main
from pipeline import commands
from tests.tables import query_rows

RAW_TABLES = ("viewing_events", "users", "viewing_events_rejects", "users_rejects", "event_loads")
HEADER = ("user_id", "anime_id", "episode_number", "started_at", "watched_seconds", "device")
AS_OF = "2026-11-01T00:00:00Z"


@dataclass(frozen=True)
class Run:
    rc: int
    out: str
    err: str


def fresh(catalog_warehouse: Path, tmp_path: Path, name: str = "w.duckdb") -> Path:
    """A copy of the session's catalogue warehouse (`python -m ingest` + `dbt build -s tag:catalog`)."""
    db = tmp_path / name
    shutil.copyfile(catalog_warehouse, db)
    return db


def events(db: Path, plays: Path | str, *extra: str, as_of: str | None = AS_OF) -> Run:
    """`python -m ingest events` in this process (output captured)."""
    args = ["events", "--warehouse", str(db), "--plays", str(plays), *extra]
    if as_of is not None:
        args += ["--as-of", as_of]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(args)
    return Run(rc, out.getvalue(), err.getvalue())


def events_cli(db: Path, plays: Path | str, *extra: str) -> Run:
    """The real command in a subprocess."""
    command = commands.python("-m", "ingest", "events", "--warehouse", str(db), "--plays", str(plays), *extra)
    result = commands.run_stage(command, db, check=False)
    return Run(result.returncode, result.stdout, result.stderr)


def ok(run: Run) -> Run:
    assert run.rc == 0, run.err
    assert run.err == "", run.err
    return run


def one_line_error(run: Run, fragment: str) -> None:
    assert run.rc == 2, (run.out, run.err)
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith("error: "), lines
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in run.err


def plays(db: Path) -> list[tuple[Any, ...]]:
    """raw.viewing_events in event_id order, timestamps as text."""
    return query_rows(
        db,
        "select event_id, user_id, anime_id, episode_number, strftime(started_at, '%Y-%m-%d %H:%M:%S'), "
        "watched_seconds, episode_duration_seconds, device from raw.viewing_events order by event_id",
    )


def rejects(db: Path, table: str = "viewing_events_rejects") -> list[tuple[int, str]]:
    found = query_rows(db, f"select source_row_number, reason from raw.{table} order by 1")
    return [(n, reason) for n, reason in found]


def state(db: Path) -> dict[str, Any]:
    """Row count and content checksum of every table ingest events writes (None when absent), and the
    schemas present."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out: dict[str, Any] = {}
        for table in RAW_TABLES:
            exists = con.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = 'raw' and table_name = ?",
                [table],
            ).fetchone()[0]
            out[table] = (
                con.execute(f"select count(*), coalesce(sum(hash(t)), 0) from raw.{table} t").fetchone()
                if exists
                else None
            )
        out["schemas"] = sorted(
            r[0] for r in con.execute("select schema_name from information_schema.schemata").fetchall()
        )
        return out
    finally:
        con.close()


def write_csv(
    path: Path, header: Sequence[str], data: Sequence[Sequence[Any]], *, compress: str = ""
) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in data)
    payload = buffer.getvalue().encode()
    if compress == "gzip":
        payload = gzip.compress(payload)
    elif compress == "zstd":
        payload = zstandard.ZstdCompressor().compress(payload)
    path.write_bytes(payload)
    return path


def write_jsonl(
    path: Path, header: Sequence[str], data: Sequence[Sequence[Any]], *, gz: bool = False
) -> Path:
    lines = "".join(json.dumps(dict(zip(header, row, strict=True))) + "\n" for row in data).encode()
    path.write_bytes(gzip.compress(lines) if gz else lines)
    return path


def write_parquet(
    path: Path, header: Sequence[str], data: Sequence[Sequence[Any]], types: Sequence[str]
) -> Path:
    """A Parquet file with typed columns (DuckDB types), written by DuckDB."""
    con = duckdb.connect()
    try:
        columns = ", ".join(f"{name} {type_}" for name, type_ in zip(header, types, strict=True))
        con.execute(f"create table t ({columns})")
        if data:
            marks = ", ".join("?" for _ in header)
            con.executemany(f"insert into t values ({marks})", [list(r) for r in data])
        path.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"copy t to '{path}' (format parquet)")
    finally:
        con.close()
    return path


def write_mapping(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
