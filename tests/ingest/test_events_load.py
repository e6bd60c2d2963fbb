"""Users (a users file, derived users, ids), --append, the sim schema, and what a failed load leaves:
unreadable files, a missing catalogue and a failure injected inside the publishing transaction."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from ingest.errors import IngestError
from ingest.events import publish
from ingest.events.cli import parse_as_of
from ingest.events.load import Options, ingest_events
from tests.ingest.test_events_support import (
    AS_OF,
    HEADER,
    events,
    events_cli,
    fresh,
    ok,
    one_line_error,
    plays,
    rejects,
    state,
    write_csv,
    write_mapping,
)
from tests.tables import query_rows

USERS_HEADER = ("id", "created", "country", "device", "plan")
USERS_MAPPING = '[users]\nuser = "id"\nsigned_up_at = "created"\n'
USERS_SQL = (
    "select user_id, strftime(signed_up_at, '%Y-%m-%d %H:%M:%S'), country, device, plan, source_user_id, "
    "is_derived from raw.users order by user_id"
)


def _users_file(tmp: Path) -> Path:
    return write_csv(
        tmp / "users.csv",
        USERS_HEADER,
        [
            ("u-1", "2026-08-01 09:00:00", "JP", "TV", "premium"),  # row 1
            ("", "2026-08-01 09:00:00", "JP", "tv", "free"),  # row 2: no id
            ("u-2", "", "FR", "tv", "free"),  # row 3: no sign-up
            ("u-2", "last week", "FR", "tv", "free"),  # row 4: unparsable
            ("u-2", "2026-08-02 09:00:00", "FR", "mobile", "free"),  # row 5
            ("u-1", "2026-08-03 09:00:00", "DE", "tv", "free"),  # row 6: a later copy of u-1
            ("u-3", "2027-01-01 00:00:00", "DE", "tv", "free"),  # row 7: after --as-of
            ("u-4", "2026-08-04 09:00:00", "", "", ""),  # row 8: no plays
        ],
    )


PLAYS_FOR_USERS = [
    ("u-2", "mal-1", 1, "2026-09-01 10:00:00", 600, "tv"),
    ("u-1", "mal-1", 1, "2026-09-01 11:00:00", 600, "tv"),
    ("u-9", "mal-1", 2, "2026-09-02 10:00:00", 600, "mobile"),  # row 3: not in the users file
    ("u-9", "mal-1", 3, "2026-09-03 10:00:00", 600, "tv"),  # row 4
]


def test_users_file_and_a_user_it_lacks(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    mapping = write_mapping(tmp_path / "m.toml", USERS_MAPPING)
    source = write_csv(tmp_path / "p.csv", HEADER, PLAYS_FOR_USERS)
    run = ok(events(db, source, "--users", str(_users_file(tmp_path)), "--mapping", str(mapping)))
    # dense ids in users-file order; every row kept, with or without plays
    assert query_rows(db, USERS_SQL) == [
        (1, "2026-08-01 09:00:00", "JP", "tv", "premium", "u-1", False),
        (2, "2026-08-02 09:00:00", "FR", "mobile", "free", "u-2", False),
        (3, "2026-08-04 09:00:00", None, None, None, "u-4", False),
    ]
    assert rejects(db, "users_rejects") == [
        (2, "missing user"),
        (3, "missing sign-up time"),
        (4, "unparsable sign-up time"),
        (6, "duplicate user (an earlier row has the same id)"),
        (7, "sign-up in the future (after --as-of)"),
    ]
    assert rejects(db) == [(3, "user not in the users file"), (4, "user not in the users file")]
    assert [(p[0], p[1]) for p in plays(db)] == [(1, 2), (2, 1)]
    assert "3 users (3 from the users file), 5 users rows rejected (raw.users_rejects)" in run.out


def test_users_file_times_in_its_own_zone(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    mapping = write_mapping(tmp_path / "m.toml", USERS_MAPPING + 'timezone = "Europe/Paris"\n')
    users_file = write_csv(
        tmp_path / "users.csv",
        USERS_HEADER,
        [("a", "2026-07-01 12:00:00", "", "", ""), ("b", "2026-01-15T12:00:00-05:00", "", "", "")],
    )
    plays_file = write_csv(
        tmp_path / "p.csv",
        HEADER,
        [
            ("a", "mal-1", 1, "2026-09-01 10:00:00", 600, ""),
            ("b", "mal-1", 1, "2026-09-01 11:00:00", 600, ""),
        ],
    )
    ok(events(db, plays_file, "--users", str(users_file), "--mapping", str(mapping)))
    # Paris is +02:00 in July; the second value carries its own offset. The plays stay in UTC.
    assert query_rows(db, USERS_SQL) == [
        (1, "2026-07-01 10:00:00", None, None, None, "a", False),
        (2, "2026-01-15 17:00:00", None, None, None, "b", False),
    ]
    assert [p[4] for p in plays(db)] == ["2026-09-01 10:00:00", "2026-09-01 11:00:00"]


def test_missing_users_derive(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    mapping = write_mapping(tmp_path / "m.toml", USERS_MAPPING + 'missing_users = "derive"\n')
    source = write_csv(tmp_path / "p.csv", HEADER, PLAYS_FOR_USERS)
    ok(events(db, source, "--users", str(_users_file(tmp_path)), "--mapping", str(mapping)))
    assert query_rows(db, USERS_SQL)[-1] == (4, "2026-09-02 10:00:00", None, "mobile", None, "u-9", True)
    assert rejects(db) == []
    assert [p[1] for p in plays(db)] == [2, 1, 4, 4]


def test_integer_ids_are_kept(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    data = [
        ("1001", "mal-1", 1, "2026-09-01 10:00:00", 600, ""),
        (" 7 ", "mal-1", 1, "2026-09-01 11:00:00", 600, ""),
    ]
    ok(events(db, write_csv(tmp_path / "p.csv", HEADER, data)))
    assert [p[1] for p in plays(db)] == [1001, 7]
    users = query_rows(db, "select user_id, source_user_id from raw.users order by 1")
    assert users == [(7, "7"), (1001, "1001")]


def test_a_non_canonical_integer_makes_ids_dense(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    data = [
        ("1001", "mal-1", 1, "2026-09-01 10:00:00", 600, ""),
        ("007", "mal-1", 1, "2026-09-01 11:00:00", 600, ""),
    ]
    ok(events(db, write_csv(tmp_path / "p.csv", HEADER, data)))
    users = query_rows(db, "select user_id, source_user_id from raw.users order by 1")
    assert users == [(1, "1001"), (2, "007")]


def test_append_continues_ids_and_counts_overlaps_and_late_plays(
    catalog_warehouse: Path, tmp_path: Path
) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    first = [
        ("alice", "mal-1", 1, "2026-09-01 10:00:00", 600, "tv"),
        ("bob", "mal-1", 1, "2026-09-02 10:00:00", 1500, "tv"),  # clipped to 1440
        ("alice", "mal-1", 2, "2026-09-05 10:00:00", 600, "tv"),
    ]
    ok(events(db, write_csv(tmp_path / "p1.csv", HEADER, first)))
    second = [
        ("carol", "mal-1", 1, "2026-09-06 10:00:00", 600, "mobile"),  # new user, after the newest play
        ("alice", "mal-1", 2, "2026-09-05 10:00:00", 600, "tv"),  # already loaded: overlapping
        ("bob", "mal-1", 1, "2026-09-02 10:00:00", 1500, "tv"),  # already loaded (clipped as then)
        ("bob", "mal-1", 2, "2026-09-03 10:00:00", 600, "tablet"),  # late: before 09-05 10:00
        ("Not An Anime", "x", 1, "2026-09-03 10:00:00", 600, ""),  # row 5: rejected
        ("alice", "mal-1", 3, "2026-09-07 10:00:00", 600, "tv"),
    ]
    run = ok(events(db, write_csv(tmp_path / "p2.csv", HEADER, second), "--append"))
    assert plays(db) == [
        (1, 1, "mal-1", 1, "2026-09-01 10:00:00", 600, 1440, "tv"),
        (2, 2, "mal-1", 1, "2026-09-02 10:00:00", 1440, 1440, "tv"),
        (3, 1, "mal-1", 2, "2026-09-05 10:00:00", 600, 1440, "tv"),
        (4, 3, "mal-1", 1, "2026-09-06 10:00:00", 600, 1440, "mobile"),
        (5, 2, "mal-1", 2, "2026-09-03 10:00:00", 600, 1440, "tablet"),
        (6, 1, "mal-1", 3, "2026-09-07 10:00:00", 600, 1440, "tv"),
    ]
    assert query_rows(db, "select user_id, source_user_id from raw.users order by 1") == [
        (1, "alice"),
        (2, "bob"),
        (3, "carol"),
    ]
    assert query_rows(db, "select load_id, source_row_number, reason from raw.viewing_events_rejects") == [
        (2, 5, "unmatched title: not in the catalogue")
    ]
    assert query_rows(
        db, "select load_id, mode, plays_loaded, overlapping, late from raw.event_loads order by 1"
    ) == [
        (1, "replace", 3, 0, 0),
        (2, "append", 3, 2, 1),
    ]
    assert (
        "appended to 3 plays already loaded: 2 overlapping (already loaded) dropped, 1 late "
        "(start before the "
        "previous newest play, 2026-09-05 10:00:00); event ids 4..6" in run.out
    )
    assert "1 new users (derived from plays), 3 in all" in run.out


def test_append_moves_a_derived_sign_up_earlier(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    ok(
        events(
            db, write_csv(tmp_path / "p1.csv", HEADER, [("5", "mal-1", 2, "2026-09-05 10:00:00", 600, "tv")])
        )
    )
    late = [("5", "mal-1", 1, "2026-09-04 10:00:00", 600, "mobile")]
    ok(events(db, write_csv(tmp_path / "p2.csv", HEADER, late), "--append"))
    assert query_rows(db, USERS_SQL) == [(5, "2026-09-04 10:00:00", None, "tv", None, "5", True)]


def test_append_to_an_integer_log_with_string_ids(catalog_warehouse: Path, tmp_path: Path) -> None:
    """Loaded ids 5 and 9 stay; new string ids get ids after the largest."""
    db = fresh(catalog_warehouse, tmp_path)
    first = [
        ("9", "mal-1", 1, "2026-09-01 10:00:00", 600, ""),
        ("5", "mal-1", 1, "2026-09-01 11:00:00", 600, ""),
    ]
    ok(events(db, write_csv(tmp_path / "p1.csv", HEADER, first)))
    second = [
        ("zed", "mal-1", 2, "2026-09-02 10:00:00", 600, ""),
        ("5", "mal-1", 2, "2026-09-02 11:00:00", 600, ""),
    ]
    ok(events(db, write_csv(tmp_path / "p2.csv", HEADER, second), "--append"))
    assert [p[1] for p in plays(db)] == [9, 5, 10, 5]
    assert query_rows(db, "select user_id, source_user_id from raw.users order by 1") == [
        (5, "5"),
        (9, "9"),
        (10, "zed"),
    ]


def test_the_sim_schema_is_dropped_and_ml_kept(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = fresh(catalog_warehouse, tmp_path)
    con = duckdb.connect(str(db))
    con.execute("create schema sim; create table sim.run (run_id integer); insert into sim.run values (1)")
    con.execute(
        "create schema ml; create table ml.model_runs (run_id varchar); "
        "insert into ml.model_runs values ('r')"
    )
    con.close()
    run = ok(
        events(db, write_csv(tmp_path / "p.csv", HEADER, [("1", "mal-1", 1, "2026-09-01 10:00:00", 600, "")]))
    )
    assert "dropped schema sim" in run.out
    assert "sim" not in state(db)["schemas"]
    assert query_rows(db, "select * from ml.model_runs") == [("r",)]
    assert query_rows(db, "select dropped_sim from raw.event_loads") == [(True,)]


def _loaded(catalog_warehouse: Path, tmp_path: Path) -> Path:
    """A warehouse after one good load, with a sim schema still to drop."""
    db = fresh(catalog_warehouse, tmp_path)
    ok(
        events(
            db, write_csv(tmp_path / "good.csv", HEADER, [("1", "mal-1", 1, "2026-09-01 10:00:00", 600, "")])
        )
    )
    con = duckdb.connect(str(db))
    con.execute("create schema sim; create table sim.run (run_id integer)")
    con.close()
    return db


UNREADABLE = {
    "missing file": (lambda t: t / "nope.csv", "no such file"),
    "empty file": (lambda t: _bytes(t / "empty.csv", b""), "file is empty"),
    "unknown extension": (lambda t: _bytes(t / "plays.txt", b"a,b\n"), "cannot tell the format"),
    "corrupt parquet": (lambda t: _bytes(t / "plays.parquet", b"PAR1 not really"), "cannot read as parquet"),
    "truncated gzip": (
        lambda t: _bytes(t / "plays.csv.gz", gzip.compress(_csv_text() * 2000)[:300]),
        "cannot read as csv",
    ),
    "ragged csv": (
        lambda t: _bytes(t / "plays.csv", _csv_text() + b"1,mal-1,2,2026-09-01 10:00:00,600,tv,extra\n"),
        "cannot read as csv",
    ),
    "not json": (lambda t: _bytes(t / "plays.jsonl", b'{"user_id": 1}\nnot json\n'), "cannot read as json"),
    "empty folder": (lambda t: _folder(t / "parts"), "holds no"),
    "glob matching nothing": (lambda t: str(t / "none-*.parquet"), "no file matches"),
    "header only": (lambda t: _bytes(t / "h.csv", (",".join(HEADER) + "\n").encode()), "no rows"),
    "every row rejected": (
        lambda t: write_csv(t / "bad.csv", HEADER, [("1", "nothing", 1, "2026-09-01 10:00:00", 600, "")]),
        "none of its 1 rows is a loadable play (most: unmatched title",
    ),
}


def _csv_text() -> bytes:
    return (",".join(HEADER) + "\n").encode() + b"1,mal-1,1,2026-09-01 10:00:00,600,tv\n" * 50


def _bytes(path: Path, payload: bytes) -> Path:
    path.write_bytes(payload)
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    (path / "README").write_text("nothing here")
    return path


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_unreadable_input_is_one_line_and_changes_nothing(
    case: str, catalog_warehouse: Path, tmp_path: Path
) -> None:
    db = _loaded(catalog_warehouse, tmp_path)
    make, fragment = UNREADABLE[case]
    before = state(db)
    one_line_error(events(db, make(tmp_path)), fragment)
    assert state(db) == before


def test_the_real_command_fails_cleanly(catalog_warehouse: Path, tmp_path: Path) -> None:
    db = _loaded(catalog_warehouse, tmp_path)
    before = state(db)
    one_line_error(events_cli(db, _bytes(tmp_path / "x.parquet", b"garbage")), "cannot read as parquet")
    assert state(db) == before


def test_missing_catalogue(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "p.csv", HEADER, [("1", "mal-1", 1, "2026-09-01 10:00:00", 600, "")])
    absent = tmp_path / "absent.duckdb"
    one_line_error(events(absent, source), "build the catalogue first (make catalog)")
    assert not absent.exists()
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    one_line_error(events_cli(empty, source), "build the catalogue first (make catalog)")


def test_a_failure_inside_the_transaction_leaves_everything(
    catalog_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log and users are already replaced inside the transaction when the failure hits."""
    db = _loaded(catalog_warehouse, tmp_path)
    before = state(db)
    real_run = publish._run
    seen: list[str] = []

    def failing(con: duckdb.DuckDBPyConnection, sql: str) -> None:
        if "raw.viewing_events_rejects" in sql:
            assert any("raw.viewing_events " in s for s in seen) and any("raw.users " in s for s in seen)
            raise IngestError("injected failure")
        seen.append(sql)
        real_run(con, sql)

    monkeypatch.setattr(publish, "_run", failing)
    source = write_csv(tmp_path / "new.csv", HEADER, [("2", "mal-9253", 1, "2026-09-02 10:00:00", 600, "")])
    with pytest.raises(IngestError, match="injected failure"):
        ingest_events(Options(plays=str(source), warehouse=db, as_of=parse_as_of(AS_OF)))
    assert state(db) == before
    monkeypatch.setattr(publish, "_run", real_run)
    ok(events(db, source))  # and the next load works
    assert [p[2] for p in plays(db)] == ["mal-9253"]
