"""Incremental builds on the shapes of a real platform's log: late plays, resumed pieces, rewatches,
overlaps and skips appended to a built warehouse give the same tables as a full refresh."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from tests.dbt.conftest import TABLE_KEYS, dbt
from tests.tables import query_rows, table_differences


def _append(db: Path, select_sql: str) -> int:
    """Insert the rows of `select_sql` (raw.viewing_events' columns, event_id left out) with new ids."""
    con = duckdb.connect(str(db))
    try:
        con.execute(
            f"""
            insert into raw.viewing_events
            select
                (select max(event_id) from raw.viewing_events)
                    + row_number() over (order by started_at, user_id),
                user_id, anime_id, episode_number, started_at, watched_seconds,
                episode_duration_seconds, device
            from ({select_sql})
            """
        )
        return con.execute("select count(*) from raw.viewing_events").fetchall()[0][0]
    finally:
        con.close()


def _assert_incremental_equals_full_refresh(db: Path, tmp_path: Path) -> None:
    refreshed = tmp_path / "refreshed.duckdb"
    shutil.copy(db, refreshed)
    dbt(db, "build")
    dbt(refreshed, "run", "--full-refresh")
    for table in TABLE_KEYS:
        only_incremental, only_full, n_rows = table_differences(db, refreshed, table)
        assert n_rows > 0, table
        assert (only_incremental, only_full) == (0, 0), table


def test_late_plays_older_than_the_rebuilt_days_are_built_incrementally(
    engagement_warehouse: Path, tmp_path: Path
) -> None:
    """Plays appended with starts three to four weeks before the newest play (a device that synced
    late): earlier than the days an incremental build would otherwise rebuild (H = 14 days before
    the newest day). Each is the next episode of an existing play two hours on, so labels resolved
    long ago (and the features that count them) change. The build must find them and rebuild from
    H before their day: every table equals a full refresh of the grown log."""
    db = tmp_path / "late.duckdb"
    shutil.copy(engagement_warehouse, db)
    [(newest,)] = query_rows(db, "select max(started_at) from raw.viewing_events")
    late = f"""
        select
            plays.user_id, plays.anime_id, plays.episode_number + 1 as episode_number,
            plays.started_at + interval 2 hour as started_at, 600 as watched_seconds,
            plays.episode_duration_seconds, plays.device
        from raw.viewing_events as plays
        inner join marts.viewing_events as built on plays.event_id = built.event_id
        where
            not built.continued_next_episode
            and plays.started_at between timestamp '{newest}' - interval 28 day
                and timestamp '{newest}' - interval 21 day
        order by plays.event_id
        limit 5
    """
    [(n_continued_before,)] = query_rows(
        db, "select count(*) from marts.viewing_events where continued_next_episode"
    )
    n_raw = _append(db, late)
    _assert_incremental_equals_full_refresh(db, tmp_path)
    assert query_rows(db, "select count(*) from marts.viewing_events") == [(n_raw,)]
    [(n_continued_after,)] = query_rows(
        db, "select count(*) from marts.viewing_events where continued_next_episode"
    )
    assert n_continued_after >= n_continued_before + 5  # the five old plays now continue


def test_resumes_rewatches_overlaps_and_skips_appended_build_as_a_full_refresh(
    engagement_warehouse: Path, tmp_path: Path
) -> None:
    """The newest days gain the shapes the simulator's log lacks: the rest of a half-watched play
    (a resumed piece), a second view of a finished episode, a play on a second device during a
    long one, and a skip past the next episode. Incremental == full refresh, and each shape is read
    as docs/real-logs.md says."""
    db = tmp_path / "shapes.duckdb"
    shutil.copy(engagement_warehouse, db)
    con = duckdb.connect(str(db))
    [(newest,)] = con.execute("select max(started_at) from raw.viewing_events").fetchall()
    # a play that stopped short in the last 10 days
    [(short_id, short_user, short_end)] = con.execute(
        f"""
        select event_id, user_id, ended_at from marts.viewing_events as plays
        where
            completion < 0.9 and started_at > timestamp '{newest}' - interval 10 day
            -- the user's last play of the title, so the rest of it comes next
            and not exists (
                select 1 from marts.viewing_events as later
                where later.user_id = plays.user_id and later.anime_id = plays.anime_id
                    and later.started_at > plays.started_at
            )
        order by event_id limit 1
        """
    ).fetchall()
    con.close()
    shapes = f"""
        -- the rest of the short play, an hour after it ended
        select user_id, anime_id, episode_number, timestamp '{short_end}' + interval 1 hour as started_at,
            episode_duration_seconds - watched_seconds as watched_seconds, episode_duration_seconds, device
        from raw.viewing_events where event_id = {short_id}
        union all
        -- the user's first-listed finished play of the last 10 days, watched again a day later
        select * from (
            select user_id, anime_id, episode_number, started_at + interval 1 day, watched_seconds,
                episode_duration_seconds, device
            from raw.viewing_events
            where watched_seconds = episode_duration_seconds
                and started_at > timestamp '{newest}' - interval 10 day
            order by event_id limit 1
        )
        union all
        -- a second device starts another title five minutes into a play, and a skip two episodes on
        select * from (
            select user_id, 'mal-8', 1, started_at + interval 5 minute, 300, episode_duration_seconds,
                'mobile'
            from raw.viewing_events
            where started_at > timestamp '{newest}' - interval 5 day and user_id != {short_user}
            order by event_id limit 1
        )
        union all
        select * from (
            select user_id, anime_id, episode_number + 2, started_at + interval 3 hour, 1440,
                episode_duration_seconds, device
            from raw.viewing_events
            where started_at > timestamp '{newest}' - interval 3 day
            order by event_id desc limit 1
        )
    """
    _append(db, shapes)
    _assert_incremental_equals_full_refresh(db, tmp_path)
    # the rest of the short play joins its view, which it completes
    [(short_completion,)] = query_rows(
        db, f"select completion from marts.viewing_events where event_id = {short_id}"
    )
    assert query_rows(
        db,
        f"select is_resumed, view_completion from marts.viewing_events where view_id = {short_id}"
        " order by started_at",
    ) == [(False, short_completion), (True, 1.0)]
    assert query_rows(db, "select count(*) > 0 from marts.viewing_events where is_rewatch") == [(True,)]
