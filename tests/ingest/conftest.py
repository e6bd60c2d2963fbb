"""Small catalogue files written on the fly, and a warehouse already loaded with a valid one."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from pipeline import commands

META = {
    "$schema": "https://example.invalid/schema.json",
    "license": {"name": "ODbL", "url": "https://example.invalid/license"},
    "repository": "https://example.invalid/repo",
    "scoreRange": {"minInclusive": 1.0, "maxInclusive": 10.0},
    "lastUpdate": "2025-08-04",
}


def entry(title: str = "Sample Show", **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sources": ["https://myanimelist.net/anime/1"],
        "title": title,
        "type": "TV",
        "episodes": 12,
        "status": "FINISHED",
        "animeSeason": {"season": "SPRING", "year": 2010},
        "picture": "https://example.invalid/p.png",
        "thumbnail": "https://example.invalid/t.png",
        "duration": {"value": 1440, "unit": "SECONDS"},
        "score": {"arithmeticMean": 7.5, "median": 7.4},
        "synonyms": [],
        "studios": [],
        "producers": [],
        "relatedAnime": [],
        "tags": ["drama"],
    }
    base.update(overrides)
    return base


def valid_entries() -> list[dict[str, Any]]:
    return [
        entry("Alpha", sources=["https://myanimelist.net/anime/101"]),
        entry("Beta", sources=["https://anidb.net/anime/202"], type="ONA", episodes=3),
        entry("Gamma", sources=[], animeSeason={"season": "UNDEFINED", "year": None}),
    ]


def document(entries: list[Any], **meta: Any) -> dict[str, Any]:
    doc = copy.deepcopy(META)
    doc.update(meta)
    doc["data"] = entries
    return doc


def write_json(path: Path, payload: Any, *, gz: bool = False) -> Path:
    text = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    path.write_bytes(gzip.compress(text) if gz else text)
    return path


@pytest.fixture
def loaded_warehouse(tmp_path: Path) -> Path:
    """A warehouse whose raw tables hold the three valid entries."""
    db = tmp_path / "w.duckdb"
    source = write_json(tmp_path / "valid.json", document(valid_entries()))
    commands.ingest(db, "--source", str(source))
    return db
