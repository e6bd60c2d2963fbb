"""The embedded sample in every release format gives identical catalogue marts, with the counts
the data README states."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
import zstandard

from pipeline import commands
from warehouse import REPO_ROOT

SAMPLE = REPO_ROOT / "data" / "anime-offline-database-sample.json.gz"
MARTS = (
    "marts.anime_master",
    "marts.anime_tags",
    "marts.episodes",
    "marts.anime_studios",
    "marts.anime_producers",
    "marts.anime_relations",
)


def mart_fingerprints(db: Path) -> dict[str, tuple[int, int]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            mart: con.execute(f"select count(*), coalesce(sum(hash(t)), 0) from {mart} t").fetchone()
            for mart in MARTS
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def sample_document() -> dict:
    return json.loads(gzip.decompress(SAMPLE.read_bytes()))


def _pretty_json(doc: dict, path: Path) -> None:
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")


def _jsonl(doc: dict, path: Path) -> None:
    meta = {k: v for k, v in doc.items() if k != "data"}
    lines = [json.dumps(meta, ensure_ascii=False)]
    lines += [json.dumps(e, ensure_ascii=False, separators=(",", ":")) for e in doc["data"]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _zstd(writer: Callable[[dict, Path], None]) -> Callable[[dict, Path], None]:
    def write(doc: dict, path: Path) -> None:
        plain = path.with_suffix("")
        writer(doc, plain)
        path.write_bytes(zstandard.ZstdCompressor(level=3).compress(plain.read_bytes()))
        plain.unlink()

    return write


ENCODINGS: dict[str, Callable[[dict, Path], None]] = {
    "anime.json": _pretty_json,
    "anime.json.zst": _zstd(_pretty_json),
    "anime.jsonl": _jsonl,
    "anime.jsonl.zst": _zstd(_jsonl),
}


def test_sample_gives_the_documented_counts(catalog_warehouse: Path) -> None:
    con = duckdb.connect(str(catalog_warehouse), read_only=True)
    counts = con.execute(
        """
        select
            (select count(*) from marts.anime_master),
            (select count(*) from marts.episodes),
            (select sum(episodes) from marts.anime_master where episodes > 0),
            (select count(distinct tag) from marts.anime_tags),
            (select count(*) from raw.anime_catalog_rejects),
            (select count(*) from marts.anime_studios)
                + (select count(*) from marts.anime_producers)
                + (select count(*) from marts.anime_relations)
        """
    ).fetchone()
    con.close()
    n_master, n_episodes, sum_episodes, n_tags, n_rejects, n_bridged = counts
    assert n_master == 39_277
    assert n_episodes == sum_episodes == 503_946
    assert n_tags == 43
    assert n_rejects == 0
    assert n_bridged == 0  # the sample's studios, producers and relatedAnime are empty lists


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_reencoded_sample_gives_identical_marts(
    name: str, sample_document: dict, catalog_warehouse: Path, tmp_path: Path
) -> None:
    source = tmp_path / name
    ENCODINGS[name](sample_document, source)
    db = tmp_path / "w.duckdb"
    commands.ingest(db, "--source", str(source))
    commands.dbt(db, "build", "-s", "tag:catalog", "--quiet")
    assert mart_fingerprints(db) == mart_fingerprints(catalog_warehouse)
    shutil.rmtree(tmp_path, ignore_errors=True)
