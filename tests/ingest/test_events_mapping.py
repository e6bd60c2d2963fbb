"""The mapping file: renamed columns, time zones (IANA, fixed offsets, values with their own
offset, typed Parquet timestamps) and every kind of mapping mistake (one error line, exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.events.mapping import PLAYS_KEYS, USERS_KEYS, load_mapping
from tests.ingest.test_events_support import HEADER as DEFAULT_HEADER
from tests.ingest.test_events_support import (
    events,
    fresh,
    ok,
    one_line_error,
    plays,
    state,
    write_csv,
    write_jsonl,
    write_mapping,
    write_parquet,
)
from tests.tables import query_rows
from warehouse import REPO_ROOT

HEADER = ("account", "url", "ep", "start_local", "secs", "platform", "cc", "tier")


def _load_starts(db: Path, tmp: Path, zone: str, starts: list[str]) -> list[str]:
    data = [("a", "mal-1", i + 1, start, 600, "TV", "JP", "free") for i, start in enumerate(starts)]
    mapping = write_mapping(
        tmp / "m.toml",
        f"""
[plays]
user = "account"
title = "url"
episode = "ep"
started_at = "start_local"
watched_seconds = "secs"
device = "platform"
timezone = "{zone}"
""",
    )
    ok(events(db, write_csv(tmp / "p.csv", HEADER, data), "--mapping", str(mapping)))
    return [p[4] for p in plays(db)]


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", ["2026-10-03 21:15:00", "2026-07-01 12:00:00", "2026-01-15 12:00:00"]),
        ("Asia/Tokyo", ["2026-10-03 12:15:00", "2026-07-01 03:00:00", "2026-01-15 03:00:00"]),
        ("+09:00", ["2026-10-03 12:15:00", "2026-07-01 03:00:00", "2026-01-15 03:00:00"]),
        ("-03:30", ["2026-10-04 00:45:00", "2026-07-01 15:30:00", "2026-01-15 15:30:00"]),
        # New York: EDT (-04:00) in July, EST (-05:00) in January
        ("America/New_York", ["2026-10-04 01:15:00", "2026-07-01 16:00:00", "2026-01-15 17:00:00"]),
    ],
)
def test_naive_times_are_read_in_the_mapping_zone(
    zone: str, expected: list[str], catalog_warehouse: Path, tmp_path: Path
) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    starts = ["2026-10-03 21:15:00", "2026-07-01T12:00:00", "2026-01-15 12:00"]
    assert _load_starts(db, tmp_path, zone, starts) == expected


def test_values_with_an_offset_keep_it(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    starts = [
        "2026-10-03T21:15:00+09:00",
        "2026-10-03T21:15:00Z",
        "2026-10-03 21:15:00-0230",
        "2026-10-03 21:15",
    ]
    got = _load_starts(db, tmp_path, "Asia/Tokyo", starts)
    assert got == ["2026-10-03 12:15:00", "2026-10-03 21:15:00", "2026-10-03 23:45:00", "2026-10-03 12:15:00"]


def test_renamed_columns_and_derived_users(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    mapping = write_mapping(
        tmp_path / "m.toml",
        """
[plays]
user = "account"
title = "url"
title_match = "mal"
episode = "ep"
started_at = "start_local"
watched_seconds = "secs"
device = "platform"
country = "cc"
plan = "tier"
""",
    )
    data = [
        ("b", "https://myanimelist.net/anime/1", 2, "2026-09-02 10:00:00", 600, "TV", "JP", "free"),
        ("a", "https://myanimelist.net/anime/1", 1, "2026-09-03 10:00:00", 600, "Mobile", "JP", "free"),
        ("a", "https://myanimelist.net/anime/1", 2, "2026-09-01 10:00:00", 600, "tv", "FR", "premium"),
        ("b", "https://myanimelist.net/anime/1", 3, "2026-09-04 10:00:00", 600, "tablet", "", "free"),
        ("b", "https://myanimelist.net/anime/1", 4, "2026-09-05 10:00:00", 600, "tablet", "", "premium"),
    ]
    run = ok(events(db, write_csv(tmp_path / "p.csv", HEADER, data), "--mapping", str(mapping)))
    # dense ids by first appearance (b, then a); a: devices mobile/tv tie -> mobile, country FR/JP tie -> FR;
    # b: tablet twice; country JP (blanks do not count); plan free twice against premium once
    assert query_rows(
        db,
        "select user_id, strftime(signed_up_at, '%Y-%m-%d %H:%M'), country, device, plan, source_user_id, "
        "is_derived from raw.users order by user_id",
    ) == [
        (1, "2026-09-02 10:00", "JP", "tablet", "free", "b", True),
        (2, "2026-09-01 10:00", "FR", "mobile", "free", "a", True),
    ]
    assert [(p[1], p[7]) for p in plays(db)] == [
        (1, "tv"),
        (2, "mobile"),
        (2, "tv"),
        (1, "tablet"),
        (1, "tablet"),
    ]
    assert "users got dense ids" in run.out


def test_typed_parquet_timestamps(catalog_warehouse: Path, tmp_path: Path) -> None:
    """A naive TIMESTAMP column is read in the zone; a TIMESTAMPTZ column is an instant already."""
    db = fresh(catalog_warehouse, tmp_path)
    header = ("user_id", "anime_id", "episode_number", "started_at", "ended_at")
    source = write_parquet(
        tmp_path / "p.parquet",
        header,
        [(7, "mal-1", 1, "2026-10-03 21:15:00", "2026-10-03 12:39:00+00")],
        ("BIGINT", "VARCHAR", "INTEGER", "TIMESTAMP", "TIMESTAMPTZ"),
    )
    mapping = write_mapping(tmp_path / "m.toml", '[plays]\nended_at = "ended_at"\ntimezone = "Asia/Tokyo"\n')
    ok(events(db, source, "--mapping", str(mapping)))
    assert plays(db) == [(1, 7, "mal-1", 1, "2026-10-03 12:15:00", 1440, 1440, None)]


def test_json_lines_with_numbers_and_nested_values(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    header = ("user_id", "anime_id", "episode_number", "started_at", "watched_seconds", "extra")
    data = [
        (5, "mal-1", 1, "2026-09-01T10:00:00+02:00", 600.0, {"x": 1}),
        (5, "mal-1", 2.5, "2026-09-01T11:00:00+02:00", 600, None),
    ]
    ok(events(db, write_jsonl(tmp_path / "p.jsonl", header, data)))
    assert plays(db) == [(1, 5, "mal-1", 1, "2026-09-01 08:00:00", 600, 1440, None)]
    assert query_rows(db, "select source_row_number, reason, source_row from raw.viewing_events_rejects") == [
        (
            2,
            "episode not an integer",
            '{"user_id": 5, "anime_id": "mal-1", "episode_number": 2.5, '
            '"started_at": "2026-09-01T11:00:00+02:00", '
            '"watched_seconds": 600, "extra": null}',
        )
    ]


MAPPING_ERRORS = {
    "unknown key": ('[plays]\nusr = "account"\n', "unknown key 'usr'"),
    "unknown table": ('[events]\nuser = "account"\n', "unknown key 'events'"),
    "missing column": ('[plays]\nuser = "viewer"\n', "no column 'viewer' (mapping key user)"),
    "missing title column": ('[plays]\ntitle = "show"\n', "no column 'show' (mapping key title)"),
    "missing optional column": ('[plays]\ndevice = "screen"\n', "no column 'screen' (mapping key device)"),
    "two watched keys": (
        '[plays]\nwatched_seconds = "secs"\nended_at = "end"\n',
        "give one of watched_seconds, ended_at, completion, not watched_seconds and ended_at",
    ),
    "bad title_match": ('[plays]\ntitle_match = "fuzzy"\n', "title_match must be one of"),
    "unknown zone": ('[plays]\ntimezone = "Mars/Olympus"\n', "unknown time zone 'Mars/Olympus'"),
    "offset out of range": ('[plays]\ntimezone = "+15:00"\n', "out of range"),
    "not TOML": ("[plays\n", "not valid TOML"),
    "not a string": ("[plays]\nuser = 3\n", "must be a non-empty string"),
    "users key in a plays run": (
        '[users]\nmissing_users = "sometimes"\n',
        "missing_users must be reject or derive",
    ),
}


@pytest.mark.parametrize("case", sorted(MAPPING_ERRORS))
def test_mapping_mistakes_are_one_line(case: str, catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    text, fragment = MAPPING_ERRORS[case]
    source = write_csv(
        tmp_path / "p.csv", DEFAULT_HEADER, [("a", "mal-1", 1, "2026-09-01 10:00:00", 600, "tv")]
    )
    before = state(db)
    one_line_error(events(db, source, "--mapping", str(write_mapping(tmp_path / "m.toml", text))), fragment)
    assert state(db) == before


def test_bad_as_of_is_one_line(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    source = write_csv(
        tmp_path / "p.csv", HEADER, [("a", "mal-1", 1, "2026-09-01 10:00:00", 600, "tv", "", "")]
    )
    one_line_error(events(db, source, as_of="yesterday"), "--as-of 'yesterday' is not an ISO 8601 timestamp")


def test_the_example_mapping_documents_every_key() -> None:
    example = REPO_ROOT / "data" / "mapping.example.toml"
    mapping = load_mapping(example)
    assert (mapping.plays.user, mapping.plays.title_match, mapping.plays.zone.setting) == (
        "account_id",
        "auto",
        "Asia/Tokyo",
    )
    text = example.read_text(encoding="utf-8")
    for key in (*PLAYS_KEYS, *USERS_KEYS):
        assert f"\n{key} = " in text or f"\n# {key} = " in text, key
