"""The stable anime_id: which source URL names a title (every site of the release, old URL forms
included, worked out by hand below), and suffixes for colliding `t-` ids that depend on the
entries only, never on how the file writes them (pretty or minified, nulls written out or left
away, `.json` or `.jsonl`, compressed or not)."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
import zstandard

from ingest.load import canonical_json, entry_hash
from pipeline import commands
from tests.ingest.conftest import META, document, entry, write_json

# (title, source URLs, the anime_id worked out by hand): the first URL of the highest-ranked site
URL_CASES: list[tuple[str, list[str], str]] = [
    (
        "mal outranks anidb",
        ["https://anidb.net/anime/4563", "https://myanimelist.net/anime/1535"],
        "mal-1535",
    ),
    ("mal url with a slug", ["https://myanimelist.net/anime/5114/Fullmetal_Alchemist"], "mal-5114"),
    ("anidb today", ["https://anidb.net/anime/4564", "https://anilist.co/anime/1"], "anidb-4564"),
    ("anidb 2018 short form", ["http://anilist.co/anime/2994", "https://anidb.net/a8146"], "anidb-8146"),
    ("anidb perl-bin form", ["https://anidb.net/perl-bin/animedb.pl?show=anime&aid=69"], "anidb-69"),
    ("anilist", ["https://anilist.co/anime/21", "https://kitsu.app/anime/12"], "anilist-21"),
    ("kitsu.app", ["https://kitsu.app/anime/1376", "https://anime-planet.com/anime/x"], "kitsu-1376"),
    ("kitsu.io", ["https://kitsu.io/anime/13"], "kitsu-13"),
    # a kitsu slug is not kitsu's id (even one that starts with digits): passed over
    ("kitsu slug", ["https://kitsu.io/anime/death-note", "https://livechart.me/anime/100"], "livechart-100"),
    (
        "kitsu digits slug",
        ["https://kitsu.io/anime/86-eighty-six", "https://notify.moe/anime/0-A-5Fimg"],
        "notify-0-A-5Fimg",
    ),
    (
        "anime-planet slug",
        ["https://www.anime-planet.com/anime/death-note", "https://anisearch.com/anime/1"],
        "animeplanet-death-note",
    ),
    ("livechart", ["https://www.livechart.me/anime/3437", "https://simkl.com/anime/1"], "livechart-3437"),
    ("anisearch with a name", ["https://www.anisearch.com/anime/3633,death-note"], "anisearch-3633"),
    ("simkl", ["https://simkl.com/anime/37431", "https://animecountdown.com/37431"], "simkl-37431"),
    ("animecountdown", ["https://animecountdown.com/1535"], "animecountdown-1535"),
    (
        "animenewsnetwork",
        ["https://www.animenewsnetwork.com/encyclopedia/anime.php?id=6592"],
        "ann-6592",
    ),
]


def title_key(title: str, anime_type: str, year: int | None) -> str:
    """`t-` and 16 hex digits of md5(lower(title)|type|year), as dbt's title_key macro."""
    text = f"{title.lower()}|{anime_type}|{'' if year is None else year}"
    return "t-" + hashlib.md5(text.encode("utf-8")).hexdigest()[:16]


def stg_ids(db: Path) -> dict[tuple[str, int], str]:
    """(title, episodes) -> anime_id from staging.stg_catalog__anime."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("select title, episodes, anime_id from staging.stg_catalog__anime").fetchall()
    finally:
        con.close()
    return {(title, episodes): anime_id for title, episodes, anime_id in rows}


def build_ids(db: Path, source: Path) -> dict[tuple[str, int], str]:
    commands.ingest(db, "--source", str(source))
    commands.dbt(db, "run", "-s", "stg_catalog__anime", "--quiet")
    return stg_ids(db)


@pytest.mark.slow
def test_every_site_and_old_url_form_names_the_id(tmp_path: Path) -> None:
    entries = [entry(title, sources=urls, episodes=1) for title, urls, _ in URL_CASES]
    entries.append(entry("No Known Site", sources=["https://example.invalid/anime/7"], episodes=1))
    ids = build_ids(tmp_path / "w.duckdb", write_json(tmp_path / "urls.json", document(entries)))
    expected = {(title, 1): anime_id for title, _, anime_id in URL_CASES}
    expected[("No Known Site", 1)] = title_key("No Known Site", "TV", 2010)
    assert ids == expected


# ---- colliding `t-` ids: the same entries, four ways of writing them ---------------------------

TWINS = [
    # same title, type and year, no source URL: one base key, suffixes by content
    entry("Twin", sources=[], type="OVA", episodes=n, animeSeason={"season": "FALL", "year": 2001})
    for n in (1, 2, 3, 4, 5, 6)
]
for i, twin in enumerate(TWINS):  # a null member in some (the pretty file writes them out)
    if i % 2:
        twin["score"] = None
        twin["duration"] = None
        twin["animeSeason"]["year"] = 2001
        twin["synonyms"] = [f"twin {i}"]


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed_keys(value[k]) for k in reversed(list(value))}
    return value


def _pretty_with_nulls(path: Path) -> Path:
    path = path / "anime-offline-database.json"
    path.write_text(json.dumps(document(TWINS), indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def _minified_without_nulls_gz(path: Path) -> Path:
    doc = _without_nulls(document(TWINS))
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    path = path / "anime-offline-database-minified.json.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    return path


def _jsonl(path: Path) -> Path:
    lines = [json.dumps(META)] + [json.dumps(_reversed_keys(_without_nulls(t))) for t in TWINS]
    path = path / "anime-offline-database.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _jsonl_zst_with_nulls(path: Path) -> Path:
    lines = [json.dumps(META)] + [json.dumps(t, ensure_ascii=True) for t in TWINS]
    path = path / "anime-offline-database.jsonl.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(("\n".join(lines) + "\n").encode()))
    return path


WRITERS = {
    "pretty .json with nulls": _pretty_with_nulls,
    "minified .json.gz without nulls": _minified_without_nulls_gz,
    ".jsonl without nulls, keys reversed": _jsonl,
    ".jsonl.zst with nulls": _jsonl_zst_with_nulls,
}


def test_canonical_form_ignores_layout_nulls_and_key_order() -> None:
    twin = TWINS[1]
    forms = [
        json.dumps(twin, indent=2),
        json.dumps(_without_nulls(twin), separators=(",", ":")),
        json.dumps(_reversed_keys(twin)),
        json.dumps(twin, ensure_ascii=False).replace('"episodes": 2', '"episodes": 2.0'),
    ]
    assert len({canonical_json(text) for text in forms}) == 1
    assert len({entry_hash(text) for text in forms}) == 1
    assert canonical_json('{"b": [1, null, {}], "a": {"x": null, "y": ""}, "c": "é"}') == (
        '{"b":[1,null,{}],"c":"\\u00e9"}'
    )
    # content does change the hash
    assert len({entry_hash(json.dumps(t)) for t in TWINS}) == len(TWINS)


@pytest.mark.slow
def test_same_entries_get_the_same_ids_however_the_file_writes_them(tmp_path: Path) -> None:
    got = {}
    for name, write in WRITERS.items():
        folder = tmp_path / name.split()[0].strip(".")
        folder.mkdir(exist_ok=True)
        got[name] = build_ids(folder / "w.duckdb", write(folder))
    base = title_key("Twin", "OVA", 2001)
    # suffixes in the order of the entries' canonical hashes
    by_hash = sorted(TWINS, key=lambda t: entry_hash(json.dumps(t)))
    expected = {("Twin", t["episodes"]): f"{base}-{rank}" for rank, t in enumerate(by_hash, start=1)}
    for name, ids in got.items():
        assert ids == expected, name
