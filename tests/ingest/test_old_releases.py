"""Older anime-offline-database releases load with their vocabulary mapped to today's: type Movie /
Special / Music / Unknown, status CURRENTLY, no status at all (releases before 2019-11), related
titles under `relations` (today `relatedAnime`). Small hand-written files in those shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipeline import commands
from tests.ingest.conftest import write_json


def old_entry(title: str, **fields: Any) -> dict[str, Any]:
    """An entry as releases before 2019-11 wrote it: an `id`, no status, no animeSeason."""
    base: dict[str, Any] = {
        "id": "2d88de4c-9dbd-4837-b3ab-66c597c379ce",
        "sources": [],
        "type": "TV",
        "title": title,
        "picture": "https://myanimelist.cdn-dena.com/images/anime/9/9453.jpg",
        "relations": [],
        "thumbnail": "https://myanimelist.cdn-dena.com/images/anime/9/9453t.jpg",
        "episodes": 1,
        "synonyms": [],
    }
    base.update(fields)
    return base


# a 2018 release (week 43 layout): only `data`, sources in the forms of the time
RELEASE_2018 = {
    "data": [
        old_entry(
            "Death Note",
            sources=[
                "http://anilist.co/anime/1535",
                "https://anidb.net/a4563",
                "https://animenewsnetwork.com/encyclopedia/anime.php?id=6592",
                "https://kitsu.io/anime/1376",
                "https://myanimelist.net/anime/1535",
            ],
            relations=["http://anilist.co/anime/2994", "https://anidb.net/a8146", "https://anidb.net/a9999"],
            episodes=37,
        ),
        old_entry(
            "Death Note: Rewrite",
            type="Special",
            sources=["http://anilist.co/anime/2994", "https://anidb.net/a8146"],
            relations=["https://myanimelist.net/anime/1535"],
        ),
        old_entry("Death Note Movie", type="Movie", sources=["https://anidb.net/a8147"]),
        old_entry("Death Note Song", type="Music", sources=["https://kitsu.io/anime/death-note-song"]),
        old_entry("Who Knows", type="Unknown"),
    ]
}

# a 2019 release: status with CURRENTLY, still `relations`
RELEASE_2019 = {
    "data": [
        {
            "sources": ["https://anidb.net/anime/69", "https://myanimelist.net/anime/21"],
            "title": "One Piece",
            "type": "TV",
            "episodes": 900,
            "status": "CURRENTLY",
            "picture": "https://cdn.myanimelist.net/images/anime/6/73245.jpg",
            "thumbnail": "https://cdn.myanimelist.net/images/anime/6/73245t.jpg",
            "synonyms": ["ワンピース"],
            "relations": ["https://myanimelist.net/anime/459"],
        },
        {
            "sources": ["https://myanimelist.net/anime/459"],
            "title": "One Piece Movie 1",
            "type": "Movie",
            "episodes": 1,
            "status": "FINISHED",
            "picture": "https://cdn.myanimelist.net/images/anime/1/1.jpg",
            "thumbnail": "https://cdn.myanimelist.net/images/anime/1/1t.jpg",
            "synonyms": [],
            "relations": [],
        },
        {
            "sources": ["https://myanimelist.net/anime/99999"],
            "title": "Soon",
            "type": "Special",
            "episodes": 0,
            "status": "UPCOMING",
            "picture": "https://cdn.myanimelist.net/images/anime/2/2.jpg",
            "thumbnail": "https://cdn.myanimelist.net/images/anime/2/2t.jpg",
            "synonyms": [],
            "relations": [],
        },
    ],
}

RAW_SQL = (
    "select title, anime_type, status, related_anime, picture from raw.anime_catalog order by entry_index"
)


def load_raw(db: Path, source: Path) -> tuple[list[tuple[Any, ...]], int, str]:
    result = commands.ingest(db, "--source", str(source))
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(RAW_SQL).fetchall()
        rejects = con.execute("select count(*) from raw.anime_catalog_rejects").fetchone()[0]
    finally:
        con.close()
    return rows, rejects, result.stdout


def test_a_2018_release_loads_with_types_mapped_and_no_status(tmp_path: Path) -> None:
    rows, rejects, out = load_raw(tmp_path / "w.duckdb", write_json(tmp_path / "2018.json", RELEASE_2018))
    assert rejects == 0
    assert [r[:3] for r in rows] == [
        ("Death Note", "TV", "UNKNOWN"),
        ("Death Note: Rewrite", "SPECIAL", "UNKNOWN"),
        ("Death Note Movie", "MOVIE", "UNKNOWN"),
        ("Death Note Song", "SPECIAL", "UNKNOWN"),
        ("Who Knows", "UNKNOWN", "UNKNOWN"),
    ]
    # `relations` kept as the related titles, not dropped
    assert rows[0][3] == [
        "http://anilist.co/anime/2994",
        "https://anidb.net/a8146",
        "https://anidb.net/a9999",
    ]
    assert rows[1][3] == ["https://myanimelist.net/anime/1535"]
    assert rows[0][4] == "https://myanimelist.cdn-dena.com/images/anime/9/9453.jpg"
    assert "5 entries use an older release's vocabulary" in out


def test_a_2019_release_maps_currently_to_ongoing(tmp_path: Path) -> None:
    rows, rejects, out = load_raw(tmp_path / "w.duckdb", write_json(tmp_path / "2019.json", RELEASE_2019))
    assert rejects == 0
    assert [r[:4] for r in rows] == [
        ("One Piece", "TV", "ONGOING", ["https://myanimelist.net/anime/459"]),
        ("One Piece Movie 1", "MOVIE", "FINISHED", []),
        ("Soon", "SPECIAL", "UPCOMING", []),
    ]
    assert "3 entries use an older release's vocabulary" in out


def test_todays_names_win_and_unknown_values_are_still_rejected(tmp_path: Path) -> None:
    today = {k: v for k, v in RELEASE_2019["data"][1].items() if k != "relations"} | {"type": "MOVIE"}
    both = dict(today, title="Both", relatedAnime=["https://a.invalid/1"], relations=["https://b.invalid/2"])
    lower = dict(today, title="Lower", type="movie")  # never a release's spelling
    paused = dict(today, title="Paused", status="CURRENTLY_AIRING")
    objects = dict(today, title="Objects", relations=[{"relation": "Summary", "id": "x"}])
    doc = {"lastUpdate": "2019-06-01", "data": [today, both, lower, paused, objects]}
    db = tmp_path / "w.duckdb"
    rows, rejects, out = load_raw(db, write_json(tmp_path / "mixed.json", doc))
    assert [(r[0], r[3]) for r in rows] == [("One Piece Movie 1", []), ("Both", ["https://a.invalid/1"])]
    con = duckdb.connect(str(db), read_only=True)
    reasons = [
        r[0] for r in con.execute("select reason from raw.anime_catalog_rejects order by 1").fetchall()
    ]
    con.close()
    assert reasons == [
        "relations holds a non-string item",
        'unknown status "CURRENTLY_AIRING"',
        'unknown type "movie"',
    ]
    assert "entries use an older release's vocabulary" not in out  # today's names throughout


@pytest.mark.slow
def test_an_old_release_builds_the_catalogue_marts(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    source = tmp_path / "2018.json"
    source.write_text(json.dumps(RELEASE_2018, indent=4), encoding="utf-8")
    commands.ingest(db, "--source", str(source))
    commands.dbt(db, "build", "-s", "tag:catalog", "--quiet")
    con = duckdb.connect(str(db), read_only=True)
    try:
        master = con.execute(
            "select title, anime_id, anime_type, status from marts.anime_master order by title"
        ).fetchall()
        relations = con.execute(
            "select anime_id, related_url, related_anime_id from marts.anime_relations order by 1, 2"
        ).fetchall()
    finally:
        con.close()
    who_knows = [r for r in master if r[0] == "Who Knows"][0][1]
    song = [r for r in master if r[0] == "Death Note Song"][0][1]
    assert who_knows.startswith("t-") and song.startswith("t-")  # a kitsu slug names no id
    assert master == [
        ("Death Note", "mal-1535", "TV", "UNKNOWN"),
        ("Death Note Movie", "anidb-8147", "MOVIE", "UNKNOWN"),
        ("Death Note Song", song, "SPECIAL", "UNKNOWN"),
        ("Death Note: Rewrite", "anidb-8146", "SPECIAL", "UNKNOWN"),
        ("Who Knows", who_knows, "UNKNOWN", "UNKNOWN"),
    ]
    # old-form URLs resolve to the entries that list them (http/https alike); a9999 is not held
    assert relations == [
        ("anidb-8146", "https://myanimelist.net/anime/1535", "mal-1535"),
        ("mal-1535", "http://anilist.co/anime/2994", "anidb-8146"),
        ("mal-1535", "https://anidb.net/a8146", "anidb-8146"),
        ("mal-1535", "https://anidb.net/a9999", None),
    ]
