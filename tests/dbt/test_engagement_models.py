"""The engagement models on a small warehouse: labels, point-in-time features, incremental builds."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from ml.features import FEATURES
from pipeline import commands
from tests.dbt import fixture_data
from tests.dbt.conftest import TABLE_KEYS, dbt
from tests.tables import query_rows, relation_differences, table_differences

HORIZON = timedelta(days=14)


def test_full_build_covers_labels_censoring_and_sessions(engagement_warehouse: Path) -> None:
    (n_plays, n_labelled, n_censored, n_true, n_false, n_sessions, n_multi) = query_rows(
        engagement_warehouse,
        """
        select
            count(*),
            count(continued_next_episode),
            count(*) filter (where is_censored),
            count(*) filter (where continued_next_episode),
            count(*) filter (where not continued_next_episode),
            count(distinct session_id),
            count(*) filter (where session_position > 1)
        from marts.viewing_events
        """,
    )[0]
    raw = query_rows(engagement_warehouse, "select count(*) from raw.viewing_events")[0][0]
    assert n_plays == raw
    # the fixture exercises every case
    assert n_true > 0 and n_false > 0 and n_censored > 0 and n_multi > 0
    assert n_sessions < n_plays
    n_features = query_rows(engagement_warehouse, "select count(*) from marts.ml_features")[0][0]
    assert n_features == n_labelled


def test_labels_agree_with_an_independent_python_pass(engagement_warehouse: Path) -> None:
    plays = query_rows(
        engagement_warehouse,
        "select event_id, user_id, anime_id, episode_number, started_at from raw.viewing_events",
    )
    last_episode_sql = "select anime_id, max(episode_number) from marts.episodes group by 1"
    last = dict(query_rows(engagement_warehouse, last_episode_sql))
    window_end = max(p[4] for p in plays)
    starts: dict[tuple, list] = {}
    for _, user, anime, ep, at in plays:
        starts.setdefault((user, anime, ep), []).append(at)
    expected = {}
    for event_id, user, anime, ep, at in plays:
        if ep == last[anime] or at + HORIZON > window_end:
            expected[event_id] = None
        else:
            expected[event_id] = any(at < s <= at + HORIZON for s in starts.get((user, anime, ep + 1), []))
    actual = dict(
        query_rows(engagement_warehouse, "select event_id, continued_next_episode from marts.viewing_events")
    )
    assert actual == expected


def test_singular_label_test_catches_a_wrong_label(engagement_warehouse: Path, tmp_path: Path) -> None:
    db = tmp_path / "corrupt.duckdb"
    shutil.copy(engagement_warehouse, db)
    con = duckdb.connect(str(db))
    con.execute(
        "update marts.viewing_events set continued_next_episode = not continued_next_episode "
        "where event_id = (select min(event_id) from marts.viewing_events "
        "where continued_next_episode is not null)"
    )
    con.close()
    result = dbt(db, "test", "--select", "assert_labels_agree_with_log", check=False)
    assert result.returncode != 0
    assert "assert_labels_agree_with_log" in result.stdout


def test_an_incremental_build_over_a_replaced_log_stops_with_one_line(
    engagement_warehouse: Path, tmp_path: Path
) -> None:
    """A log that lost plays (replaced, not appended to) must not be built incrementally: the old
    plays would stay. The first incremental model stops with one line naming the first day that
    lost plays, tables intact; --full-refresh rebuilds."""
    db = tmp_path / "replaced.duckdb"
    shutil.copy(engagement_warehouse, db)
    con = duckdb.connect(str(db))
    con.execute("delete from raw.viewing_events where user_id % 3 = 0")
    [(n_raw,)] = con.execute("select count(*) from raw.viewing_events").fetchall()
    [(n_built,)] = con.execute("select count(*) from marts.viewing_events").fetchall()
    [(first_lost_day,)] = con.execute(
        "select min(cast(started_at as date)) from intermediate.int_plays_sessionised where user_id % 3 = 0"
    ).fetchall()
    con.close()
    assert 0 < n_raw < n_built
    result = dbt(db, "build", check=False)
    assert result.returncode != 0
    assert (
        "the log holds fewer plays than int_plays_sessionised was built from, from "
        f"{first_lost_day} on (raw.viewing_events was replaced, not appended to)" in result.stdout
    )
    assert "--full-refresh" in result.stdout
    assert query_rows(db, "select count(*) from marts.viewing_events") == [(n_built,)]
    dbt(db, "build", "--full-refresh")
    assert query_rows(db, "select count(*) from marts.viewing_events") == [(n_raw,)]
    dbt(db, "build")  # the rebuilt tables match the log again: incremental builds go on


def test_a_play_arriving_late_at_the_newest_instant_is_built_incrementally(
    engagement_warehouse: Path, tmp_path: Path
) -> None:
    """A play logged late at exactly the newest built instant is part of a growing log (the
    incremental models rebuild that instant): the replaced-log check must let it through, and the
    tables must equal a full refresh. Here the late play (lowest id) joins the session that started
    at that instant and becomes its first play, so the session's id changes: the old id must go."""
    db = tmp_path / "late.duckdb"
    shutil.copy(engagement_warehouse, db)
    [(old_session_id, new_event_id)] = query_rows(
        db,
        "select event_id, (select min(event_id) - 1 from raw.viewing_events)"
        " from intermediate.int_plays_sessionised"
        " where is_session_start and started_at = (select max(started_at) from raw.viewing_events)",
    )
    con = duckdb.connect(str(db))
    con.execute(
        "insert into raw.viewing_events select * replace (? as event_id)"
        " from raw.viewing_events where event_id = ?",
        [new_event_id, old_session_id],
    )
    [(n_raw,)] = con.execute("select count(*) from raw.viewing_events").fetchall()
    con.close()
    dbt(db, "build")
    assert query_rows(db, "select count(*) from marts.viewing_events") == [(n_raw,)]
    sessions_sql = "select count(*) from marts.sessions where session_id = "
    assert query_rows(db, f"{sessions_sql}{old_session_id}") == [(0,)]
    assert query_rows(db, f"select n_plays from marts.sessions where session_id = {new_event_id}")[0][0] >= 2
    refreshed = tmp_path / "late_refreshed.duckdb"
    shutil.copy(db, refreshed)
    dbt(refreshed, "run", "--full-refresh")
    for table in TABLE_KEYS:
        only_incremental, only_full, n_rows = table_differences(db, refreshed, table)
        assert n_rows > 0, table
        assert (only_incremental, only_full) == (0, 0), table


def test_the_compared_tables_are_every_table_the_models_write(engagement_warehouse: Path) -> None:
    """The incremental-equals-full-refresh tests compare the tables of TABLE_KEYS: a model added
    without an entry there would never be compared. Every table the engagement build leaves in
    intermediate and marts (views are recomputed, never stored) must be listed, and nothing else."""
    written = {
        f"{schema}.{name}"
        for schema, name in query_rows(
            engagement_warehouse,
            "select table_schema, table_name from information_schema.tables"
            " where table_schema in ('intermediate', 'marts') and table_type = 'BASE TABLE'",
        )
    }
    # the catalogue marts are stand-ins the fixture writes, not built by this selection
    stand_ins = {"marts.anime_master", "marts.episodes"}
    assert stand_ins <= written
    assert written - stand_ins == set(TABLE_KEYS)


def test_each_compared_table_has_one_row_per_key(engagement_warehouse: Path) -> None:
    """TABLE_KEYS names the columns that identify a row of each table: the full builds of the fixture
    hold no two rows with the same key (a wrong key, or a model that fans out, fails here)."""
    for table, key in TABLE_KEYS.items():
        columns = ", ".join(key)
        [(n_rows, n_keys)] = query_rows(
            engagement_warehouse, f"select count(*), count(distinct ({columns})) from {table}"
        )
        assert n_rows > 0, table
        assert n_keys == n_rows, (table, key)


def _train_and_build_outputs(db: Path, model_out: Path) -> str:
    """`python ml/train.py`, then the ml_outputs marts (as `make train` does); the new run's id."""
    commands.train(db, model_out, "--quiet")
    dbt(db, "build", "--select", "tag:ml_outputs")
    [(run_id,)] = query_rows(db, "select run_id from ml.model_runs order by trained_at desc limit 1")
    return run_id


def _percentile_disc(values: list[datetime], fraction: float) -> datetime:
    """SQL's percentile_disc written out: the first value whose cumulative share reaches `fraction`."""
    ordered = sorted(values)
    return next(v for i, v in enumerate(ordered) if (i + 1) / len(ordered) >= fraction)


def test_the_runs_stored_cutoff_splits_by_time(engagement_warehouse: Path, tmp_path: Path) -> None:
    """marts.ml_features has no split: the run splits it at the 80th percentile (discrete) of
    started_at and stores that cutoff; model_predictions holds exactly the plays from the cutoff
    on, each with the split its run decided."""
    db = tmp_path / "trained.duckdb"
    shutil.copy(engagement_warehouse, db)
    run_id = _train_and_build_outputs(db, tmp_path / "model.pkl")
    assert "split" not in [r[0] for r in query_rows(db, "describe marts.ml_features")]
    [(cutoff, n_train, n_validation, last_train, first_validation)] = query_rows(
        db,
        "select split_cutoff_at, train_rows, validation_rows, train_end_at, validation_start_at"
        " from ml.model_runs",
    )
    starts = [r[0] for r in query_rows(db, "select started_at from marts.ml_features")]
    assert cutoff == _percentile_disc(starts, 0.8)
    assert n_train == sum(s < cutoff for s in starts) and n_validation == len(starts) - n_train
    assert last_train < cutoff == first_validation
    assert 0.7 < n_train / len(starts) < 0.9
    predictions = query_rows(
        db, "select event_id, run_id, split, has_features, started_at from marts.model_predictions"
    )
    validation = {
        r[0] for r in query_rows(db, "select event_id from marts.ml_features where started_at >= ?", [cutoff])
    }
    assert {r[0] for r in predictions} == validation and len(predictions) == n_validation
    assert {r[1:4] for r in predictions} == {(run_id, "validation", True)}
    assert min(r[4] for r in predictions) == cutoff


def test_a_rebuild_never_changes_a_runs_split(tmp_path: Path) -> None:
    """Train on the log a week before its end, append the week and build incrementally: the grown
    mart's 80th percentile moves past plays the run validated (the old post-hook relabelled them
    'train'), yet model_predictions keeps every row of that run, split included, and the run its
    cutoff, until the ML step trains again and decides a new split."""
    cut = fixture_data.window_end() - timedelta(days=7)
    db = tmp_path / "growing.duckdb"
    fixture_data.write_warehouse(db, until=cut)
    dbt(db, "run")
    first_run = _train_and_build_outputs(db, tmp_path / "model.pkl")
    before = tmp_path / "before.duckdb"
    shutil.copy(db, before)
    [(first_cutoff, n_first)] = query_rows(db, "select split_cutoff_at, validation_rows from ml.model_runs")

    assert fixture_data.append_events(db, since=cut) > 0
    dbt(db, "run")
    dbt(db, "build", "--select", "tag:ml_outputs")
    starts = [r[0] for r in query_rows(db, "select started_at from marts.ml_features")]
    grown_cutoff = _percentile_disc(starts, 0.8)
    [(n_moved,)] = query_rows(
        db, "select count(*) from marts.model_predictions where started_at < ?", [grown_cutoff]
    )
    assert grown_cutoff > first_cutoff and n_moved > 0
    assert table_differences(before, db, "marts.model_predictions") == (0, 0, n_first)
    assert query_rows(db, "select * from ml.model_runs") == query_rows(before, "select * from ml.model_runs")
    assert query_rows(db, "select distinct run_id, split from marts.model_predictions") == [
        (first_run, "validation")
    ]

    second_run = _train_and_build_outputs(db, tmp_path / "model.pkl")
    [(second_cutoff, n_second)] = query_rows(
        db, "select split_cutoff_at, validation_rows from ml.model_runs where run_id = ?", [second_run]
    )
    assert second_cutoff == grown_cutoff
    assert query_rows(
        db, "select run_id, split, count(*), min(started_at) from marts.model_predictions group by all"
    ) == [(second_run, "validation", n_second, second_cutoff)]
    assert query_rows(db, "select split_cutoff_at from ml.model_runs where run_id = ?", [first_run]) == [
        (first_cutoff,)
    ]


# The leak test covers every feature the model uses (one list, in ml/features.py) and the
# observable engagement columns of viewing_events.
FEATURE_COLUMNS = [*FEATURES, "trailing_7d_plays", "engagement_tier"]


def test_features_do_not_leak_the_future(engagement_warehouse: Path, tmp_path: Path) -> None:
    """Truncate the log at t and rebuild: plays that ended before t keep every feature."""
    cut = fixture_data.WINDOW_START + timedelta(days=20, hours=13)
    db = tmp_path / "truncated.duckdb"
    fixture_data.write_warehouse(db, until=cut)
    dbt(db, "run")
    con = duckdb.connect()
    try:
        con.execute(f"attach '{engagement_warehouse}' as full_log (read_only)")
        con.execute(f"attach '{db}' as cut_log (read_only)")
        select = ", ".join(["event_id", *FEATURE_COLUMNS])
        where = f"where ended_at < '{cut}'"
        features = "intermediate.int_play_features"
        (n_cut,) = con.execute(f"select count(*) from cut_log.{features} {where}").fetchone()
        differing = relation_differences(
            con,
            f"select {select} from cut_log.{features} {where}",
            f"select {select} from full_log.{features} {where}",
        )
        # the ml_features rows both builds have carry the same features
        ml_select = ", ".join(["event_id", *FEATURES])
        n_ml = con.execute("select count(*) from cut_log.marts.ml_features").fetchone()[0]
        ml_differing = relation_differences(
            con,
            f"select {ml_select} from cut_log.marts.ml_features",
            f"select {ml_select} from full_log.marts.ml_features"
            " where event_id in (select event_id from cut_log.marts.ml_features)",
        )
    finally:
        con.close()
    assert n_cut > 300 and n_ml > 100
    assert differing[:2] == (0, 0)
    assert ml_differing[:2] == (0, 0)


def test_incremental_builds_equal_a_full_refresh(engagement_warehouse: Path, tmp_path: Path) -> None:
    """Build at T - 7 days, append a week and build, append the rest and build: equal to full."""
    end = fixture_data.window_end()
    first_cut = end - timedelta(days=14)
    second_cut = end - timedelta(days=7)
    db = tmp_path / "growing.duckdb"
    fixture_data.write_warehouse(db, until=first_cut)
    dbt(db, "run")
    con = duckdb.connect(str(db))
    con.execute("delete from raw.viewing_events where started_at >= ?", [second_cut])
    con.close()
    assert fixture_data.append_events(db, since=first_cut) > 0
    con = duckdb.connect(str(db))
    con.execute("delete from raw.viewing_events where started_at >= ?", [second_cut])
    con.close()
    dbt(db, "run")
    assert fixture_data.append_events(db, since=second_cut) > 0
    dbt(db, "build")  # the incremental state also passes every data test
    for table in TABLE_KEYS:
        only_incremental, only_full, n_rows = table_differences(db, engagement_warehouse, table)
        assert n_rows > 0, table
        assert (only_incremental, only_full) == (0, 0), table
