"""What every run must satisfy: valid plays, no events after the window, exact p_continue."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from tests.simulator.conftest import simulate


@pytest.fixture(scope="module")
def run_db(tmp_path_factory: pytest.TempPathFactory, _tiny_template: Path) -> Path:
    import shutil

    path = tmp_path_factory.mktemp("inv") / "inv.duckdb"
    shutil.copy(_tiny_template, path)
    simulate(path, users=600, days=40)
    return path


def _one(path: Path, sql: str) -> tuple:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute(sql).fetchall()[0]
    finally:
        con.close()
    return row


def test_watched_seconds_within_duration(run_db: Path) -> None:
    n, bad = _one(
        run_db,
        "select count(*), count(*) filter (where watched_seconds <= 0 "
        "or watched_seconds > episode_duration_seconds) from raw.viewing_events",
    )
    assert n > 10000 and bad == 0


def test_nothing_after_the_window(run_db: Path) -> None:
    (late,) = _one(
        run_db,
        "select count(*) from raw.viewing_events "
        "where started_at >= (select window_end from sim.run) "
        "or started_at < (select window_start from sim.run)",
    )
    assert late == 0


def test_events_match_catalogue_and_users(run_db: Path) -> None:
    orphans, bad_ep, before_signup, dup = _one(
        run_db,
        """
        select
            count(*) filter (where m.anime_id is null),
            count(*) filter (where v.episode_number < 1 or v.episode_number > m.episodes),
            count(*) filter (where v.started_at < u.signed_up_at),
            count(*) - count(distinct v.event_id)
        from raw.viewing_events as v
        left join marts.anime_master as m using (anime_id)
        left join raw.users as u using (user_id)
        """,
    )
    assert (orphans, bad_ep, before_signup, dup) == (0, 0, 0, 0)


def test_p_continue_null_exactly_on_last_episodes(run_db: Path) -> None:
    n, out_of_range, null_mismatch = _one(
        run_db,
        """
        select count(*),
            count(*) filter (where t.p_continue < 0 or t.p_continue > 1),
            count(*) filter (where (t.p_continue is null) <> (v.episode_number = m.episodes))
        from raw.viewing_events as v
        inner join sim.event_truth as t using (event_id)
        inner join marts.anime_master as m using (anime_id)
        """,
    )
    assert n > 0 and out_of_range == 0 and null_mismatch == 0


def test_label_is_the_simulated_decision(run_db: Path) -> None:
    """The SQL label (next episode within 14 days) equals the draw made with p_continue."""
    n, mismatch, label_rate, p_mean = _one(
        run_db,
        """
        with v as (
            select v.*, t.p_continue, t.will_continue, m.episodes
            from raw.viewing_events as v
            inner join sim.event_truth as t using (event_id)
            inner join marts.anime_master as m using (anime_id)
        ),
        labelled as (
            select v.event_id, any_value(v.will_continue) as will_continue,
                   any_value(v.p_continue) as p_continue,
                   coalesce(bool_or(n.started_at <= v.started_at + interval 14 day), false)
                       as label
            from v
            left join raw.viewing_events as n
                on n.user_id = v.user_id and n.anime_id = v.anime_id
                and n.episode_number = v.episode_number + 1 and n.started_at > v.started_at
            where v.episode_number < v.episodes
              and v.started_at + interval 14 day <= (select window_end from sim.run)
            group by v.event_id
        )
        select count(*), count(*) filter (where label <> will_continue),
               avg(label::int), avg(p_continue)
        from labelled
        """,
    )
    assert n > 5000 and mismatch == 0
    assert abs(label_rate - p_mean) < 0.02


def test_never_replays_or_restarts(run_db: Path) -> None:
    (dups,) = _one(
        run_db,
        "select count(*) from (select user_id, anime_id, episode_number "
        "from raw.viewing_events group by all having count(*) > 1)",
    )
    assert dups == 0


def test_truth_tables_complete(run_db: Path) -> None:
    users, truth_users, events, truth_events, runs = _one(
        run_db,
        """
        select (select count(*) from raw.users), (select count(*) from sim.user_truth),
               (select count(*) from raw.viewing_events), (select count(*) from sim.event_truth),
               (select count(*) from sim.run)
        """,
    )
    assert users == truth_users and 300 < users < 600  # 40 of 60 signup days in the window
    assert events == truth_events and runs == 1


def test_chunk_outputs_are_vectorised_per_step(tiny_warehouse: Callable[[str], Path]) -> None:
    """A 1-user run works (degenerate chunk) and writes consistent counts."""
    path = tiny_warehouse("one")
    simulate(path, users=1, days=60)
    (n,) = _one(path, "select count(*) from raw.users")
    assert n == 1
