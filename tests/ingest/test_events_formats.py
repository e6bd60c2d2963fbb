"""Every format `ingest events` reads gives the same raw tables for the same five plays."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ingest.test_events_support import (
    HEADER,
    events,
    fresh,
    ok,
    plays,
    write_csv,
    write_jsonl,
    write_parquet,
)
from tests.tables import query_rows

# user_id, anime_id, episode_number, started_at (UTC), watched_seconds, device
BASE = [
    ("1", "mal-1", 1, "2026-09-01 20:00:00", 1400, "TV"),
    ("1", "mal-1", 2, "2026-09-01 20:30:00", 1440, "tv"),
    ("2", "mal-9253", 1, "2026-09-02 21:00:00", 600, "Mobile"),
    ("2", "mal-9253", 2, "2026-09-03 21:00:00", 1500, "mobile"),  # 60 s over 1440, within 144: clipped
    ("3", "mal-25835", 1, "2026-09-04 10:00:00", 1000, None),
]
# Cowboy Bebop (mal-1), Steins;Gate (mal-9253) and Shirobako (mal-25835) all last 1440 s.
EXPECTED_PLAYS = [
    (1, 1, "mal-1", 1, "2026-09-01 20:00:00", 1400, 1440, "tv"),
    (2, 1, "mal-1", 2, "2026-09-01 20:30:00", 1440, 1440, "tv"),
    (3, 2, "mal-9253", 1, "2026-09-02 21:00:00", 600, 1440, "mobile"),
    (4, 2, "mal-9253", 2, "2026-09-03 21:00:00", 1440, 1440, "mobile"),
    (5, 3, "mal-25835", 1, "2026-09-04 10:00:00", 1000, 1440, None),
]
# derived: the first play's start, the most frequent device (ties: alphabetical)
EXPECTED_USERS = [
    (1, "2026-09-01 20:00:00", None, "tv", None, "1", True),
    (2, "2026-09-02 21:00:00", None, "mobile", None, "2", True),
    (3, "2026-09-04 10:00:00", None, None, None, "3", True),
]
TYPES = ("BIGINT", "VARCHAR", "INTEGER", "TIMESTAMP", "INTEGER", "VARCHAR")


def _typed(row: tuple) -> tuple:
    return (int(row[0]), *row[1:])


def _parquet_days(tmp: Path) -> Path:
    """plays/day=YYYY-MM-DD/part-0.parquet, one part per day (as real exports are partitioned)."""
    folder = tmp / "plays"
    for day in sorted({row[3][:10] for row in BASE}):
        part = [_typed(r) for r in BASE if r[3].startswith(day)]
        write_parquet(folder / f"day={day}" / "part-0.parquet", HEADER, part, TYPES)
    (folder / "_SUCCESS").write_text("")
    return folder


def _csv_parts(tmp: Path) -> str:
    write_csv(tmp / "plays-1.csv", HEADER, BASE[:2])
    write_csv(tmp / "plays-2.csv", HEADER, BASE[2:])
    return str(tmp / "plays-*.csv")


FORMATS: dict[str, Callable[[Path], Path | str]] = {
    "csv": lambda t: write_csv(t / "plays.csv", HEADER, BASE),
    "csv.gz": lambda t: write_csv(t / "plays.csv.gz", HEADER, BASE, compress="gzip"),
    "csv.zst": lambda t: write_csv(t / "plays.csv.zst", HEADER, BASE, compress="zstd"),
    "csv glob": _csv_parts,
    "parquet": lambda t: write_parquet(t / "plays.parquet", HEADER, [_typed(r) for r in BASE], TYPES),
    "parquet day parts": _parquet_days,
    "parquet glob": lambda t: str(_parquet_days(t) / "*" / "*.parquet"),
    "jsonl": lambda t: write_jsonl(t / "plays.jsonl", HEADER, [_typed(r) for r in BASE]),
    "jsonl.gz": lambda t: write_jsonl(t / "plays.jsonl.gz", HEADER, [_typed(r) for r in BASE], gz=True),
    "ndjson": lambda t: write_jsonl(t / "plays.ndjson", HEADER, BASE),
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_loads_the_same_plays(fmt: str, catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    run = ok(events(db, FORMATS[fmt](tmp_path)))
    assert plays(db) == EXPECTED_PLAYS
    users = query_rows(
        db,
        "select user_id, strftime(signed_up_at, '%Y-%m-%d %H:%M:%S'), country, device, plan, source_user_id, "
        "is_derived from raw.users order by user_id",
    )
    assert users == EXPECTED_USERS
    assert query_rows(db, "select count(*) from raw.viewing_events_rejects") == [(0,)]
    files = 4 if "day" in fmt or "parquet glob" in fmt else 2 if "glob" in fmt else 1  # 4 days
    summary = [line for line in run.out.splitlines() if " rows from " in line]
    assert summary and summary[0].startswith(
        f"ingest events: 5 rows from {files} file{'s' if files > 1 else ''} -> 5 plays (5 by anime_id), "
        "0 rejected (raw.viewing_events_rejects), 0 duplicates dropped, 1 clipped; "
        "3 users (derived from plays); "
    )


def test_raw_tables_have_the_simulators_types(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    ok(events(db, FORMATS["csv"](tmp_path)))
    types = query_rows(
        db,
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'raw' "
        "and table_name in ('viewing_events', 'users') order by table_name, ordinal_position",
    )
    assert types == [
        ("users", "user_id", "BIGINT"),
        ("users", "signed_up_at", "TIMESTAMP"),
        ("users", "country", "VARCHAR"),
        ("users", "device", "VARCHAR"),
        ("users", "plan", "VARCHAR"),
        ("users", "source_user_id", "VARCHAR"),
        ("users", "is_derived", "BOOLEAN"),
        ("viewing_events", "event_id", "BIGINT"),
        ("viewing_events", "user_id", "BIGINT"),
        ("viewing_events", "anime_id", "VARCHAR"),
        ("viewing_events", "episode_number", "INTEGER"),
        ("viewing_events", "started_at", "TIMESTAMP"),
        ("viewing_events", "watched_seconds", "INTEGER"),
        ("viewing_events", "episode_duration_seconds", "INTEGER"),
        ("viewing_events", "device", "VARCHAR"),
    ]


def test_load_row_records_the_counts(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    ok(events(db, FORMATS["csv"](tmp_path)))
    assert query_rows(
        db,
        "select load_id, mode, strftime(as_of, '%Y-%m-%d %H:%M'), plays_files, rows_read, plays_loaded, "
        "first_event_id, last_event_id, rejected, duplicates, clipped, matched_by_anime_id, users_added, "
        "users_derived from raw.event_loads",
    ) == [(1, "replace", "2026-11-01 00:00", 1, 5, 5, 1, 5, 0, 0, 1, 5, 3, 3)]
