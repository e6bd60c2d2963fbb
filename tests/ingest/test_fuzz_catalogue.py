"""Property-based fuzzing of catalogue entries: wrong types, missing fields, odd Unicode, extreme
numbers. Each generated entry carries whether the format allows it (worked out by the strategy, not
by the loader); the loader must accept exactly those, reject the rest with a reason, never raise
anything but its one-line IngestError, and never leave a partial write."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.errors import IngestError
from ingest.load import ingest
from tests.ingest.conftest import document, entry

POPULARITY_CSV = "mal_id,members,mal_rating\n1,10,7.0\n"

unicode_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),  # lone surrogates cannot be UTF-8
    min_size=0,
    max_size=24,
)
title_text = unicode_text.filter(lambda s: s.strip() != "")
wrong_scalar = st.one_of(
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    unicode_text,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@st.composite
def valid_entry(draw: st.DrawFn) -> dict[str, Any]:
    return entry(
        draw(title_text),
        sources=draw(st.lists(unicode_text, max_size=3)),
        type=draw(st.sampled_from(["TV", "MOVIE", "OVA", "ONA", "SPECIAL", "UNKNOWN"])),
        episodes=draw(st.integers(0, 20_000)),
        status=draw(st.sampled_from(["FINISHED", "ONGOING", "UPCOMING", "UNKNOWN"])),
        animeSeason=draw(
            st.one_of(
                st.none(),
                st.fixed_dictionaries(
                    {
                        "season": st.sampled_from(["SPRING", "SUMMER", "FALL", "WINTER", "UNDEFINED"]),
                        "year": st.one_of(st.none(), st.integers(1900, 2100)),
                    }
                ),
            )
        ),
        duration=draw(
            st.one_of(
                st.none(),
                st.fixed_dictionaries({"value": st.integers(0, 100_000), "unit": st.just("SECONDS")}),
            )
        ),
        score=draw(
            st.one_of(
                st.none(),
                st.fixed_dictionaries(
                    {
                        "arithmeticMean": st.floats(1, 10),
                        "median": st.one_of(st.none(), st.floats(1, 10)),
                    }
                ),
            )
        ),
        synonyms=draw(st.lists(unicode_text, max_size=3)),
        tags=draw(st.lists(unicode_text, max_size=4)),
    )


REQUIRED = ("title", "type", "episodes")
# today's values and the older releases' spellings ingest maps (ingest/validate.py)
TYPES_ALLOWED = ("TV", "MOVIE", "OVA", "ONA", "SPECIAL", "UNKNOWN", "Movie", "Special", "Music", "Unknown")
STATUSES_ALLOWED = ("FINISHED", "ONGOING", "UPCOMING", "UNKNOWN", "CURRENTLY")
OPTIONAL_LISTS = ("sources", "synonyms", "studios", "producers", "relatedAnime", "tags")


def _is_int_like(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@st.composite
def fuzzed_entry(draw: st.DrawFn) -> tuple[Any, bool]:
    """(entry, allowed): a valid entry, or one broken in a way whose verdict is known."""
    base = draw(valid_entry())
    kind = draw(
        st.sampled_from(
            [
                "valid",
                "drop_required",
                "drop_list",
                "drop_status",
                "old_vocabulary",
                "wrong_type",
                "extreme_episodes",
                "not_object",
            ]
        )
    )
    if kind == "valid":
        return base, True
    if kind == "drop_required":
        del base[draw(st.sampled_from(REQUIRED))]
        return base, False
    if kind == "drop_list":
        del base[draw(st.sampled_from(OPTIONAL_LISTS))]
        return base, True  # older releases omit lists: they read as empty
    if kind == "drop_status":
        del base["status"]
        return base, True  # releases before 2019-11 have no status: it reads UNKNOWN
    if kind == "old_vocabulary":
        base["type"] = draw(st.sampled_from(["Movie", "Special", "Music", "Unknown", "TV"]))
        base["status"] = draw(st.sampled_from(["CURRENTLY", "FINISHED", "UPCOMING"]))
        base["relations"] = base.pop("relatedAnime")
        return base, True
    if kind == "not_object":
        return draw(wrong_scalar.filter(lambda v: not isinstance(v, dict))), False
    if kind == "extreme_episodes":
        value = draw(
            st.one_of(
                st.integers(-(10**30), -1),
                st.integers(20_001, 10**30),
                st.floats(allow_nan=False).filter(lambda f: not math.isinf(f)),
            )
        )
        base["episodes"] = value
        return base, False
    field = draw(st.sampled_from(["title", "type", "episodes", "status", "tags", "animeSeason"]))
    value = draw(wrong_scalar)
    if field == "title" and isinstance(value, str):
        value = 12345  # a string title is the right type: force a wrong one
    if field == "episodes" and _is_int_like(value) and 0 <= value <= 20_000:
        value = str(value)
    if field == "tags" and isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = "not-a-list"
    if field == "animeSeason" and isinstance(value, dict):
        value = [value]
    base[field] = value
    allowed = field == "type" and value in TYPES_ALLOWED
    allowed = allowed or (field == "status" and value in STATUSES_ALLOWED)
    return base, allowed


@pytest.fixture(scope="module")
def fuzz_dir() -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "popularity.csv").write_text(POPULARITY_CSV)
        yield directory


@pytest.mark.slow
@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(cases=st.lists(fuzzed_entry(), min_size=1, max_size=4))
def test_fuzzed_entries_are_accepted_or_rejected_exactly(
    fuzz_dir: Path, cases: list[tuple[Any, bool]]
) -> None:
    entries = [e for e, _ in cases]
    # Titles are made unique so that no case is an exact duplicate of another.
    for i, e in enumerate(entries):
        if isinstance(e, dict) and isinstance(e.get("title"), str):
            e["title"] = f"{e['title']} #{i}"
    source = fuzz_dir / "fuzz.json"
    source.write_text(json.dumps(document(entries), ensure_ascii=False), encoding="utf-8")
    db = fuzz_dir / "fuzz.duckdb"
    db.unlink(missing_ok=True)
    expected_ok = [i for i, (_, ok) in enumerate(cases) if ok]
    try:
        ingest(source, fuzz_dir / "popularity.csv", db)
    except IngestError as exc:
        # only a file with no valid entry may fail, and then nothing is written: this first ingest
        # into a new warehouse leaves no file at all
        assert not expected_ok, str(exc)
        assert "none of its" in str(exc)
        assert not db.exists()
        return
    con = duckdb.connect(str(db), read_only=True)
    accepted = con.execute("select entry_index, title from raw.anime_catalog order by 1").fetchall()
    rejects = con.execute("select entry_index, reason from raw.anime_catalog_rejects order by 1").fetchall()
    con.close()
    assert [i for i, _ in accepted] == expected_ok
    assert [title for _, title in accepted] == [entries[i]["title"] for i in expected_ok]
    assert [i for i, _ in rejects] == [i for i in range(len(cases)) if i not in expected_ok]
    assert all(reason for _, reason in rejects)
