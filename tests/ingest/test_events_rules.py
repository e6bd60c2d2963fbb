"""Title matching (each rule and its counts), every reject reason, the tolerance and clipping,
duplicates and episode durations, on small hand-made logs with values worked out by hand.

Catalogue facts used (the embedded sample): Cowboy Bebop mal-1 (MAL 1, TV 1998, 26 episodes of
1440 s), Steins;Gate mal-9253 (24 x 1440 s), Shirobako: three entries (mal-25835 TV 2014 24 x 1440 s,
t-3aa6e3b60b40f5c0 OVA 2015, t-b67cb6d46f021149 MOVIE 2020), Golden Kamuy TV 2018
t-76a08dcb45efe464 (12 x 1380 s), Mirai Arise mal-30448 (1 episode, no duration), mal-33215 (1 x 300 s).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.ingest.test_events_support import (
    HEADER,
    events,
    fresh,
    ok,
    plays,
    rejects,
    write_csv,
    write_mapping,
)
from tests.tables import query_rows

TITLE_MAPPING = """
[plays]
title = "show"
title_type = "kind"
title_year = "year"
"""
TITLE_HEADER = ("user_id", "show", "kind", "year", "episode_number", "started_at", "watched_seconds")


def _title_rows(shows: list[tuple[str, str, str]]) -> list[tuple]:
    return [
        ("1", show, kind, year, 1, f"2026-09-01 {10 + i}:00:00", 600)
        for i, (show, kind, year) in enumerate(shows)
    ]


def test_auto_matching_tries_anime_id_then_mal_then_title(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    shows = [
        ("mal-1", "", ""),  # anime_id
        ("https://myanimelist.net/anime/1", "", ""),  # MAL URL
        ("myanimelist.net/anime/9253/Steins_Gate", "", ""),  # MAL URL with a slug, no scheme
        ("9253", "", ""),  # a bare MAL id
        ("  Steins;Gate ", "", ""),  # exact title, trimmed
        ("Shirobako", "TV", "2014"),  # three entries share it: type and year settle it
        ("Shirobako", "movie", ""),  # type alone, any case
        ("Golden Kamuy", "tv", "2018"),
    ]
    source = write_csv(tmp_path / "p.csv", TITLE_HEADER, _title_rows(shows))
    run = ok(events(db, source, "--mapping", str(write_mapping(tmp_path / "m.toml", TITLE_MAPPING))))
    got = [r[2] for r in plays(db)]
    assert got == [
        "mal-1",
        "mal-1",
        "mal-9253",
        "mal-9253",
        "mal-9253",
        "mal-25835",
        "t-b67cb6d46f021149",
        "t-76a08dcb45efe464",
    ]
    assert "-> 8 plays (1 by anime_id, 3 by mal, 4 by title)" in run.out


def test_ambiguous_and_unmatched_titles_are_rejected(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    shows = [
        ("Shirobako", "", ""),  # row 1: three entries, nothing to settle it
        ("Shirobako", "TV", "2020"),  # row 2: no TV entry of 2020: still ambiguous
        ("No Such Anime", "", ""),  # row 3
        ("https://myanimelist.net/anime/999999999", "", ""),  # row 4: no such MAL id
        ("mal-1", "", ""),  # row 5: loads
        ("", "", ""),  # row 6: no title
    ]
    source = write_csv(tmp_path / "p.csv", TITLE_HEADER, _title_rows(shows))
    ok(events(db, source, "--mapping", str(write_mapping(tmp_path / "m.toml", TITLE_MAPPING))))
    assert rejects(db) == [
        (1, "ambiguous title: several catalogue entries share it"),
        (2, "ambiguous title: several catalogue entries share it"),
        (3, "unmatched title: not in the catalogue"),
        (4, "unmatched title: not in the catalogue"),
        (6, "missing title"),
    ]
    assert [r[2] for r in plays(db)] == ["mal-1"]


def test_a_mal_id_two_entries_hold_is_ambiguous(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    con = duckdb.connect(str(db))
    con.execute(
        "insert into marts.anime_master by name select 'mal-1-copy' as anime_id, 1 as mal_id, 'Copy' as title"
    )
    con.close()
    shows = [("https://myanimelist.net/anime/1", "", ""), ("Steins;Gate", "", "")]
    source = write_csv(tmp_path / "p.csv", TITLE_HEADER, _title_rows(shows))
    run = ok(events(db, source, "--mapping", str(write_mapping(tmp_path / "m.toml", TITLE_MAPPING))))
    assert rejects(db) == [(1, "ambiguous MAL id: several catalogue entries share it")]
    assert "-> 1 plays (1 by title)" in run.out


def test_each_rule_alone(catalog_warehouse: Path, tmp_path: Path) -> None:
    shows = [("mal-1", "", ""), ("https://myanimelist.net/anime/1", "", ""), ("Cowboy Bebop", "", "")]
    expected = {
        "anime_id": ([1], "1 by anime_id"),
        "mal": ([2], "1 by mal"),
        "title": ([3], "1 by title"),
    }
    for rule, (loaded_rows, count) in expected.items():
        db = fresh(catalog_warehouse, tmp_path, f"{rule}.duckdb")
        source = write_csv(tmp_path / "p.csv", TITLE_HEADER, _title_rows(shows))
        mapping = write_mapping(tmp_path / f"{rule}.toml", TITLE_MAPPING + f'title_match = "{rule}"\n')
        run = ok(events(db, source, "--mapping", str(mapping)))
        assert [r[0] for r in rejects(db)] == [n for n in (1, 2, 3) if n not in loaded_rows], rule
        assert {r[2] for r in plays(db)} == {"mal-1"}
        assert f"-> 1 plays ({count})" in run.out


# Every reason for a plays row (watched seconds), one bad row each, around good ones.
BAD_SECONDS = [
    # (user, title, episode, started_at, watched, reason)
    ("", "mal-1", 1, "2026-09-01 10:00:00", 600, "missing user"),
    ("1", "", 1, "2026-09-01 10:00:00", 600, "missing title"),
    ("1", "Not An Anime", 1, "2026-09-01 10:00:00", 600, "unmatched title: not in the catalogue"),
    ("1", "Shirobako", 1, "2026-09-01 10:00:00", 600, "ambiguous title: several catalogue entries share it"),
    ("1", "mal-1", 1, "", 600, "missing start time"),
    ("1", "mal-1", 1, "soon", 600, "unparsable start time"),
    ("1", "mal-1", 1, "15/09/2026 9pm", 600, "unparsable start time"),
    ("1", "mal-1", 1, "2026-11-01T00:00:01Z", 600, "start in the future (after --as-of)"),
    ("1", "mal-1", "", "2026-09-01 10:00:00", 600, "missing episode"),
    ("1", "mal-1", "2.5", "2026-09-01 10:00:00", 600, "episode not an integer"),
    ("1", "mal-1", "ep3", "2026-09-01 10:00:00", 600, "episode not an integer"),
    ("1", "mal-1", 0, "2026-09-01 10:00:00", 600, "episode below 1"),
    ("1", "mal-1", -2, "2026-09-01 10:00:00", 600, "episode below 1"),
    ("1", "mal-1", 27, "2026-09-01 10:00:00", 600, "episode above the title's episode count"),
    ("1", "mal-1", 1, "2026-09-01 10:00:00", "", "missing watched seconds"),
    ("1", "mal-1", 1, "2026-09-01 10:00:00", "lots", "unparsable watched seconds"),
    ("1", "mal-1", 1, "2026-09-01 10:00:00", 0, "watched time not positive"),
    ("1", "mal-1", 1, "2026-09-01 10:00:00", -30, "watched time not positive"),
    ("1", "mal-1", 1, "2026-09-01 10:00:00", "0.4", "watched time not positive"),  # rounds to 0 s
    (
        "1",
        "mal-1",
        1,
        "2026-09-01 10:00:00",
        1585,
        "watched time above the duration + tolerance",
    ),  # > 1440 + 144
    (
        "1",
        "mal-33215",
        1,
        "2026-09-01 10:00:00",
        361,
        "watched time above the duration + tolerance",
    ),  # > 300 + 60
    ("1", "mal-30448", 1, "2026-09-01 10:00:00", 86401, "watched time over 24 hours (no known duration)"),
]
GOOD_SECONDS = [
    ("1", "mal-1", 26, "2026-09-01 10:00:00", 1584, 1440),  # within 1440 + 144: clipped
    ("1", "mal-33215", 1, "2026-09-01 11:00:00", 360, 300),  # within 300 + 60: clipped
    ("1", "mal-30448", 1, "2026-09-01 12:00:00", 86400, 86400),  # no duration: kept as is
    ("1", "mal-1", "3.0", "2026-11-01T00:00:00Z", "599.6", 600),  # at --as-of; 3.0 is 3; 599.6 s is 600
]


def test_every_plays_reject_reason(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    data = [g[:5] + ("tv",) for g in GOOD_SECONDS[:2]] + [b[:5] + ("tv",) for b in BAD_SECONDS]
    data += [g[:5] + ("tv",) for g in GOOD_SECONDS[2:]]
    run = ok(events(db, write_csv(tmp_path / "p.csv", HEADER, data)))
    assert rejects(db) == [(3 + i, bad[5]) for i, bad in enumerate(BAD_SECONDS)]
    assert [(p[2], p[3], p[5], p[6]) for p in plays(db)] == [
        ("mal-1", 26, 1440, 1440),
        ("mal-33215", 1, 300, 300),
        ("mal-30448", 1, 86400, None),
        ("mal-1", 3, 600, 1440),
    ]
    assert ", 22 rejected (raw.viewing_events_rejects), 0 duplicates dropped, 2 clipped;" in run.out
    assert "ingest events: rejected: " in run.out
    source = query_rows(
        db, "select source_row, source_file from raw.viewing_events_rejects where source_row_number = 8"
    )
    assert source == [
        (
            '{"user_id":"1","anime_id":"mal-1","episode_number":"1","started_at":"soon","watched_seconds":"600",'
            '"device":"tv"}',
            str((tmp_path / "p.csv").resolve()),
        )
    ]


def test_end_time_reasons(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    header = ("user_id", "anime_id", "episode_number", "started_at", "ended_at")
    data = [
        ("1", "mal-1", 1, "2026-09-01 10:00:00", "2026-09-01 10:24:00"),  # 1440 s
        ("1", "mal-1", 2, "2026-09-01 11:00:00", ""),
        ("1", "mal-1", 3, "2026-09-01 12:00:00", "later"),
        ("1", "mal-1", 4, "2026-09-01 13:00:00", "2026-09-01 12:50:00"),  # ends before it starts
        ("1", "mal-1", 5, "2026-09-01 14:00:00", "2026-09-01 14:00:00"),  # ends as it starts
        ("1", "mal-1", 6, "2026-09-01 15:00:00", "2026-09-01 15:10:00.400"),  # 600.4 s -> 600
    ]
    mapping = write_mapping(tmp_path / "m.toml", '[plays]\nended_at = "ended_at"\n')
    ok(events(db, write_csv(tmp_path / "p.csv", header, data), "--mapping", str(mapping)))
    assert rejects(db) == [
        (2, "missing end time"),
        (3, "unparsable end time"),
        (4, "end not after start"),
        (5, "end not after start"),
    ]
    assert [(p[3], p[5]) for p in plays(db)] == [(1, 1440), (6, 600)]


def test_completion_reasons(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    header = ("user_id", "anime_id", "episode_number", "started_at", "fraction")
    data = [
        ("1", "mal-1", 1, "2026-09-01 10:00:00", "0.5"),  # 720 s of 1440
        ("1", "mal-1", 2, "2026-09-01 11:00:00", ""),
        ("1", "mal-1", 3, "2026-09-01 12:00:00", "half"),
        ("1", "mal-30448", 1, "2026-09-01 13:00:00", "0.5"),  # no known duration
        ("1", "mal-1", 4, "2026-09-01 14:00:00", "0"),
        ("1", "mal-1", 5, "2026-09-01 15:00:00", "1.05"),  # 1512 s: within 1440 + 144, clipped
        ("1", "mal-1", 6, "2026-09-01 16:00:00", "1.2"),  # 1728 s: above
    ]
    mapping = write_mapping(tmp_path / "m.toml", '[plays]\ncompletion = "fraction"\n')
    run = ok(events(db, write_csv(tmp_path / "p.csv", header, data), "--mapping", str(mapping)))
    assert rejects(db) == [
        (2, "missing completion"),
        (3, "unparsable completion"),
        (4, "completion with no known duration"),
        (5, "watched time not positive"),
        (7, "watched time above the duration + tolerance"),
    ]
    assert [(p[3], p[5]) for p in plays(db)] == [(1, 720), (5, 1440)]
    assert " 1 clipped;" in run.out


def test_exact_duplicates_are_dropped_once(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    play = ("1", "mal-1", 1, "2026-09-01 10:00:00", 600, "tv")
    data = [
        play,
        ("1", "mal-1", 1, "2026-09-01 10:00:00", 601, "tv"),  # another watched time: kept
        play,  # dropped
        ("1", "https://myanimelist.net/anime/1", 1, "2026-09-01T10:00:00Z", 600, "mobile"),  # the same play
        ("2", "mal-1", 1, "2026-09-01 10:00:00", 600, "tv"),  # another user: kept
    ]
    run = ok(events(db, write_csv(tmp_path / "p.csv", HEADER, data)))
    assert [(p[0], p[1], p[5], p[7]) for p in plays(db)] == [
        (1, 1, 600, "tv"),
        (2, 1, 601, "tv"),
        (3, 2, 600, "tv"),
    ]
    assert " 0 rejected (raw.viewing_events_rejects), 2 duplicates dropped," in run.out
    assert query_rows(db, "select duplicates from raw.event_loads") == [(2,)]


def test_episode_duration_comes_from_the_episode_first(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    con = duckdb.connect(str(db))
    con.execute(
        "update marts.episodes set duration_seconds = 2000 where anime_id = 'mal-1' and episode_number = 26"
    )
    con.close()
    data = [
        ("1", "mal-1", 25, "2026-09-01 10:00:00", 1500, ""),
        ("1", "mal-1", 26, "2026-09-01 11:00:00", 1900, ""),
    ]
    ok(events(db, write_csv(tmp_path / "p.csv", HEADER, data)))
    assert [(p[3], p[5], p[6]) for p in plays(db)] == [(25, 1440, 1440), (26, 1900, 2000)]


def test_event_ids_follow_file_and_row_order_around_rejects(catalog_warehouse: Path, tmp_path: Path) -> None:
    """Ids are 1..N over the kept plays in (file, row) order, whatever lies between them."""
    db = fresh(catalog_warehouse, tmp_path)
    n = 300
    data = [
        (
            "1",
            "mal-1" if i % 7 else "Not An Anime",
            1 + i % 26,
            f"2026-09-{1 + i // 24:02d} {i % 24:02d}:00:00",
            600,
            "",
        )
        for i in range(n)
    ]
    data += data[:5]  # duplicates at the end
    ok(events(db, write_csv(tmp_path / "p.csv", HEADER, data)))
    kept = [(f"2026-09-{1 + i // 24:02d} {i % 24:02d}:00:00", 1 + i % 26) for i in range(n) if i % 7]
    got = plays(db)
    assert [p[0] for p in got] == list(range(1, len(kept) + 1))
    assert [(p[4], p[3]) for p in got] == kept
