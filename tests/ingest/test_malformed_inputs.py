"""Every malformed input gets its documented outcome: a reject row with a reason, or one error line
and untouched raw tables. Runs the real CLI in a subprocess, as a user would."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipeline import commands
from tests.ingest.conftest import document, entry, valid_entries, write_json

RAW_TABLES = ("raw.anime_catalog", "raw.anime_catalog_rejects", "raw.anime_popularity")


def raw_state(db: Path) -> dict[str, Any]:
    """Row count and a content checksum of each raw table."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        state = {}
        for table in RAW_TABLES:
            state[table] = con.execute(
                f"select count(*), coalesce(sum(hash(t)), 0) from {table} t"
            ).fetchone()
        return state
    finally:
        con.close()


def run_ingest(db: Path, source: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = commands.python("-m", "ingest", "--warehouse", str(db), "--source", str(source), *extra)
    return commands.run_stage(command, db, check=False)


def assert_one_line_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr


# ---- files that cannot be read at all: one error line, raw tables exactly as before -------------


def _truncated(tmp: Path) -> Path:
    text = json.dumps(document(valid_entries()))
    return _bytes(tmp, "truncated.json.gz", gzip.compress(text[: len(text) // 2].encode()))


def _bytes(tmp: Path, name: str, payload: bytes) -> Path:
    path = tmp / name
    path.write_bytes(payload)
    return path


def _invalid_utf8(tmp: Path) -> Path:
    text = json.dumps(document(valid_entries())).replace("Alpha", "Al\udcffpha", 1)
    return _bytes(tmp, "bad-utf8.json", text.encode("utf-8", "surrogateescape"))


def _directory(tmp: Path) -> Path:
    path = tmp / "a-directory.json"
    path.mkdir()
    return path


FILE_ERRORS = {
    "truncated file": (_truncated, "cannot read as JSON"),
    "not JSON": (lambda t: _bytes(t, "notes.json", b"hello, this is not json\n"), "not JSON"),
    "top-level array": (
        lambda t: write_json(t / "array.json", valid_entries()),
        "top-level JSON array",
    ),
    "no data list": (
        lambda t: write_json(t / "nodata.json", {"lastUpdate": "2025-08-04", "items": []}),
        "no `data` list",
    ),
    "data is not a list": (
        lambda t: write_json(t / "datastr.json", document("oops")),  # type: ignore[arg-type]
        "no `data` list",
    ),
    "empty data list": (lambda t: write_json(t / "empty-data.json", document([])), "empty"),
    "invalid UTF-8": (_invalid_utf8, "invalid UTF-8"),
    "empty file": (lambda t: _bytes(t, "empty.json", b""), "file is empty"),
    "whitespace only": (lambda t: _bytes(t, "blank.json", b"  \n\n "), "file is empty"),
    "corrupt gzip stream": (
        lambda t: _bytes(t, "corrupt.json.gz", b"\x1f\x8b\x08\x00garbage-not-deflate"),
        "cannot decompress gzip",
    ),
    "directory instead of a file": (_directory, "is a directory"),
    "missing file": (lambda t: t / "does-not-exist.json", "no such file"),
    "two top-level objects": (
        lambda t: _bytes(t, "two.json", b'{"data": []}\n  {"data": []}'),
        "found 2 top-level values",
    ),
    "no valid entry": (
        lambda t: write_json(t / "allbad.json", document([entry(title=None)])),
        "none of its 1 entries is valid",
    ),
}


@pytest.mark.parametrize("case", sorted(FILE_ERRORS))
def test_unreadable_file_fails_cleanly_and_keeps_raw(
    case: str, loaded_warehouse: Path, tmp_path: Path
) -> None:
    make, fragment = FILE_ERRORS[case]
    before = raw_state(loaded_warehouse)
    result = run_ingest(loaded_warehouse, make(tmp_path))
    assert_one_line_error(result, fragment)
    assert raw_state(loaded_warehouse) == before


def test_bad_popularity_header_fails_cleanly(loaded_warehouse: Path, tmp_path: Path) -> None:
    source = write_json(tmp_path / "ok.json", document(valid_entries()))
    csv = _bytes(tmp_path, "pop.csv", b"id,count\n1,2\n")
    before = raw_state(loaded_warehouse)
    result = run_ingest(loaded_warehouse, source, "--popularity", str(csv))
    assert_one_line_error(result, "expected CSV header")
    assert raw_state(loaded_warehouse) == before


# ---- entries that cannot be loaded: rejected with a reason, the rest loaded --------------------

ENTRY_REJECTS: dict[str, tuple[Any, str]] = {
    "entry without title": (
        {k: v for k, v in entry("x").items() if k != "title"},
        "missing title",
    ),
    "title not a string": (entry(title=42), "title is not a string"),
    "episodes as a string": (entry("S", episodes="12"), "episodes is not an integer (VARCHAR)"),
    "episodes as a float": (entry("F", episodes=2.5), "episodes is not an integer (DOUBLE)"),
    "negative episodes": (entry("N", episodes=-3), "negative episodes"),
    "huge episode count": (entry("H", episodes=10**30), "episodes is not an integer (DOUBLE)"),
    "episode count past the cap": (entry("C", episodes=50_000), "episodes out of range"),
    "unknown type": (entry("U", type="WEB"), 'unknown type "WEB"'),
    "unknown status": (entry("St", status="PAUSED"), 'unknown status "PAUSED"'),
    "entry not an object": (17, "entry is not a JSON object"),
    "tags not a list": (entry("T", tags="drama"), "tags is not a list"),
    "non-string tag": (entry("T2", tags=["drama", 3]), "tags holds a non-string item"),
    "year out of range": (
        entry("Y", animeSeason={"season": "FALL", "year": 20100}),
        "animeSeason.year is not a year",
    ),
    "score out of range": (entry("Sc", score={"arithmeticMean": 11.0, "median": 7}), "score.arithmeticMean"),
    "duration in minutes": (entry("D", duration={"value": 24, "unit": "MINUTES"}), "duration must be"),
    "picture not a string": (
        entry("P", picture=["https://example.invalid/p.png"]),
        "picture is not a string",
    ),
    "relations not a list": (entry("R", relations="https://example.invalid/1"), "relations is not a list"),
}


def test_bad_entries_are_rejected_with_reasons(tmp_path: Path) -> None:
    cases = sorted(ENTRY_REJECTS)
    entries = valid_entries() + [ENTRY_REJECTS[c][0] for c in cases]
    db = tmp_path / "w.duckdb"
    result = run_ingest(db, write_json(tmp_path / "mixed.json", document(entries)))
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(db), read_only=True)
    accepted = [
        r[0] for r in con.execute("select title from raw.anime_catalog order by entry_index").fetchall()
    ]
    rejects = dict(con.execute("select entry_index, reason from raw.anime_catalog_rejects").fetchall())
    con.close()
    assert accepted == ["Alpha", "Beta", "Gamma"]
    assert len(rejects) == len(cases)
    for offset, case in enumerate(cases):
        reason = rejects[len(valid_entries()) + offset]
        assert ENTRY_REJECTS[case][1] in reason, (case, reason)


def test_null_anime_season_is_accepted_as_unknown(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    source = write_json(tmp_path / "s.json", document([entry("NoSeason", animeSeason=None)]))
    assert run_ingest(db, source).returncode == 0
    con = duckdb.connect(str(db), read_only=True)
    row = con.execute("select season, season_year from raw.anime_catalog").fetchone()
    con.close()
    assert row == (None, None)


def test_duplicated_entries_load_once(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    entries = valid_entries() + [valid_entries()[0]]
    assert run_ingest(db, write_json(tmp_path / "dup.json", document(entries))).returncode == 0
    con = duckdb.connect(str(db), read_only=True)
    n_alpha = con.execute("select count(*) from raw.anime_catalog where title = 'Alpha'").fetchone()[0]
    reject = con.execute("select entry_index, reason from raw.anime_catalog_rejects").fetchall()
    con.close()
    assert n_alpha == 1
    assert reject == [(3, "duplicate of entry 0")]


def test_a_repeat_written_with_its_nulls_out_is_a_duplicate(tmp_path: Path) -> None:
    """The same entry with null members written out (as a pretty file does) is the same entry."""
    db = tmp_path / "w.duckdb"
    alpha = valid_entries()[0]
    with_nulls = {
        **alpha,
        "comment": None,
        "producers": None,
        "animeSeason": {**alpha["animeSeason"], "x": None},
    }
    entries = valid_entries() + [dict(reversed(list(with_nulls.items())))]
    assert run_ingest(db, write_json(tmp_path / "dup.json", document(entries))).returncode == 0
    con = duckdb.connect(str(db), read_only=True)
    hashes = con.execute("select count(distinct entry_hash) from raw.anime_catalog").fetchone()[0]
    reject = con.execute("select entry_index, reason from raw.anime_catalog_rejects").fetchall()
    con.close()
    assert hashes == 3
    assert reject == [(3, "duplicate of entry 0")]


def test_wrong_suffix_is_read_by_content_with_a_note(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    plain_named_gz = write_json(tmp_path / "really-plain.json.gz", document(valid_entries()))
    result = run_ingest(db, plain_named_gz)
    assert result.returncode == 0, result.stderr
    note = "note: really-plain.json.gz is named as gzip-compressed but its content is uncompressed"
    assert note in result.stdout
    assert "3 accepted" in result.stdout


def test_odd_unicode_titles_survive(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    titles = ["進撃の巨人", "Pokémon ✨", "\u202eRTL", "emoji 🍙🍙"]
    source = write_json(tmp_path / "u.json", document([entry(t, sources=[]) for t in titles]))
    assert run_ingest(db, source).returncode == 0
    con = duckdb.connect(str(db), read_only=True)
    got = [r[0] for r in con.execute("select title from raw.anime_catalog order by entry_index").fetchall()]
    con.close()
    assert got == titles


def test_rerun_replaces_and_never_duplicates(loaded_warehouse: Path, tmp_path: Path) -> None:
    source = write_json(tmp_path / "valid2.json", document(valid_entries()))
    first = raw_state(loaded_warehouse)
    assert run_ingest(loaded_warehouse, source).returncode == 0
    con = duckdb.connect(str(loaded_warehouse), read_only=True)
    n = con.execute("select count(*) from raw.anime_catalog").fetchone()[0]
    con.close()
    assert n == 3
    assert raw_state(loaded_warehouse)["raw.anime_catalog"][0] == first["raw.anime_catalog"][0]


def test_a_failed_first_ingest_leaves_no_warehouse(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    no_valid_entry = write_json(tmp_path / "bad.json", document([{"title": "no sources"}]))
    assert_one_line_error(run_ingest(db, no_valid_entry), "none of its 1 entries is valid")
    assert not db.exists() and not Path(f"{db}.wal").exists()
