"""What every run must satisfy: valid plays, no events after the window, exact p_continue."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pandas.testing as pdt
import pytest

from simulator import clock, report
from tests.simulator.conftest import simulate
from warehouse import settings


@pytest.fixture(scope="module")
def run_db(tmp_path_factory: pytest.TempPathFactory, _tiny_template: Path) -> Path:
    import shutil

    path = tmp_path_factory.mktemp("inv") / "inv.duckdb"
    shutil.copy(_tiny_template, path)
    simulate(path, users=600, days=40)
    return path


def _frame(path: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


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


def test_the_simulator_reads_the_label_horizon_and_idle_gap_of_dbt() -> None:
    """One definition: the truth horizon sits a day inside dbt's label horizon, the idle gap is dbt's."""
    assert clock.MAX_NEXT_GAP == (settings.continuation_horizon_days() - 1) * clock.DAY
    assert clock.SESSION_GAP == settings.session_idle_minutes() * 60
    assert (report.HORIZON_DAYS, report.SESSION_IDLE_MINUTES) == (
        settings.continuation_horizon_days(),
        settings.session_idle_minutes(),
    )


def test_label_is_the_simulated_decision(run_db: Path) -> None:
    """The SQL label (a later episode within dbt's horizon) equals the draw made with p_continue:
    fails when the simulator's truth horizon and the label horizon disagree."""
    horizon = settings.continuation_horizon_days()
    n, mismatch, label_rate, p_mean = _one(
        run_db,
        f"""
        with v as (
            select v.*, t.p_continue, t.will_continue, m.episodes
            from raw.viewing_events as v
            inner join sim.event_truth as t using (event_id)
            inner join marts.anime_master as m using (anime_id)
        ),
        labelled as (
            select v.event_id, any_value(v.will_continue) as will_continue,
                   any_value(v.p_continue) as p_continue,
                   coalesce(bool_or(n.started_at <= v.started_at + interval {horizon} day), false)
                       as label
            from v
            left join raw.viewing_events as n
                on n.user_id = v.user_id and n.anime_id = v.anime_id
                and n.episode_number > v.episode_number and n.started_at > v.started_at
            where v.episode_number < v.episodes
              and v.started_at + interval {horizon} day <= (select window_end from sim.run)
            group by v.event_id
        )
        select count(*), count(*) filter (where label <> will_continue),
               avg(label::int), avg(p_continue)
        from labelled
        """,
    )
    assert n > 5000 and mismatch == 0
    assert abs(label_rate - p_mean) < 0.02


def test_replays_only_as_resumed_views_or_rewatches(run_db: Path) -> None:
    """A second play of an episode is the rest of a resumed view or part of a rewatch, never else;
    and the log holds some of each (the default rates are low, not zero)."""
    unexplained, resumed, rewatches = _one(
        run_db,
        """
        with p as (
            select v.event_id, t.is_resumed_piece, t.is_rewatch,
                row_number() over (
                    partition by v.user_id, v.anime_id, v.episode_number order by v.started_at
                ) as nth
            from raw.viewing_events as v
            inner join sim.event_truth as t using (event_id)
        )
        select count(*) filter (where nth > 1 and not is_resumed_piece and not is_rewatch),
            count(*) filter (where is_resumed_piece), count(*) filter (where is_rewatch)
        from p
        """,
    )
    assert unexplained == 0 and resumed > 0 and rewatches > 0


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


def test_chunk_outputs_are_vectorised_per_step(tiny_warehouse: Callable[[str], Path], run_db: Path) -> None:
    """Each NumPy step handles the next event of every user in the pool at once, so no value may
    depend on the other rows of the step. A pool of one row (the degenerate step: each user alone,
    the next one entering the row the last one left) writes exactly users 1-4's rows of the
    600-user run above (one pool of 10,000 rows), in the log and in the truth tables."""
    path = tiny_warehouse("one")
    simulate(path, users=4, days=40, chunk_users=1)
    user_ids = "(1, 2, 3, 4)"
    queries = {
        "raw.users": f"select * from raw.users where user_id in {user_ids} order by user_id",
        "sim.user_truth": f"select * from sim.user_truth where user_id in {user_ids} order by user_id",
        "raw.viewing_events": (
            f"select * from raw.viewing_events where user_id in {user_ids} order by event_id"
        ),
        "sim.event_truth": (
            "select t.* from sim.event_truth as t inner join raw.viewing_events as v using (event_id) "
            f"where v.user_id in {user_ids} order by t.event_id"
        ),
    }
    alone = {name: _frame(path, sql) for name, sql in queries.items()}
    among_others = {name: _frame(run_db, sql) for name, sql in queries.items()}
    # the alone run holds nothing but these users, and they do play
    assert _one(path, "select count(*) from raw.viewing_events")[0] == len(alone["raw.viewing_events"])
    assert len(alone["raw.users"]) >= 2 and len(alone["raw.viewing_events"]) > 20
    assert alone["raw.viewing_events"]["user_id"].nunique() >= 2
    for name in queries:
        a, b = alone[name], among_others[name]
        floats = [c for c in a.columns if pd.api.types.is_float_dtype(a[c])]
        # integers, strings and timestamps exactly; the float truth within a few units in the last
        # place (a SIMD kernel may treat a one-element array as a loop tail)
        pdt.assert_frame_equal(a.drop(columns=floats), b.drop(columns=floats), check_exact=True)
        pdt.assert_frame_equal(a[floats], b[floats], check_exact=False, rtol=1e-12, atol=0)
