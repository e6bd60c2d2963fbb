"""Calibration report: simulated figures next to the published figure / band they aim at.

Computed in SQL from what a platform logs (raw.*), so it is also a sanity check of the logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from simulator.errors import SimulatorError
from warehouse import connect, table_exists, warehouse_path
from warehouse.settings import continuation_horizon_days, dbt_vars, session_idle_minutes

HORIZON_DAYS = continuation_horizon_days()
SESSION_IDLE_MINUTES = session_idle_minutes()
RESUME_WITHIN_HOURS = dbt_vars()["resume_within_hours"]
VIEW_COMPLETE_FRACTION = dbt_vars()["view_complete_fraction"]


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    low: float
    high: float
    source: str

    @property
    def ok(self) -> bool:
        return self.low <= self.value <= self.high


_PLAYS = f"""
    with e as (
        select user_id, anime_id, episode_number, started_at, watched_seconds,
               episode_duration_seconds,
               started_at + to_seconds(watched_seconds) as ended_at
        from raw.viewing_events
    ),
    flagged as (
        select *,
            case when lag(ended_at) over w is null
                 or started_at > lag(ended_at) over w + interval {SESSION_IDLE_MINUTES} minute
                 then 1 else 0 end as is_new_session
        from e
        window w as (partition by user_id order by started_at)
    )
    select *, sum(is_new_session) over (partition by user_id order by started_at
                                        rows unbounded preceding) as session_no
    from flagged
"""

_STEP = f"""
    with p as (
        select v.user_id, v.anime_id, v.episode_number, v.started_at, m.episodes
        from raw.viewing_events as v
        inner join marts.anime_master as m using (anime_id)
    ),
    labelled as (
        select p.*, coalesce(bool_or(
            n.started_at > p.started_at
            and n.started_at <= p.started_at + interval {HORIZON_DAYS} day), false) as continued
        from p
        left join raw.viewing_events as n
            on n.user_id = p.user_id and n.anime_id = p.anime_id
            and n.episode_number > p.episode_number
        where p.episode_number < p.episodes and p.episode_number <= 3
          and p.started_at + interval {HORIZON_DAYS} day <= (select max_end from run)
        group by all
    )
    select episode_number, avg(continued::int) as step_retention, count(*) as n
    from labelled where episode_number <= 3 group by 1 order by 1
"""


# Real-log shapes found by the dbt rules (docs/real-logs.md), from the log alone.
_SHAPES = f"""
    with p as (
        select user_id, anime_id, episode_number, started_at,
            lag(episode_number) over w as previous_episode,
            lag(started_at + to_seconds(watched_seconds)) over w as previous_ended_at,
            lag(watched_seconds / episode_duration_seconds) over w as previous_completion,
            max(episode_number) over (w rows between unbounded preceding and 1 preceding) as reached,
            row_number() over (
                partition by user_id, anime_id, episode_number order by started_at, event_id
            ) as nth_play_of_episode
        from raw.viewing_events
        window w as (partition by user_id, anime_id order by started_at, event_id)
    ),
    flagged as (
        select *,
            coalesce(previous_episode = episode_number
                and started_at >= previous_ended_at
                and started_at <= previous_ended_at + interval {RESUME_WITHIN_HOURS} hour
                and previous_completion < {VIEW_COMPLETE_FRACTION}, false) as is_resumed
        from p
    )
    select avg(is_resumed::int),
        avg((not is_resumed and nth_play_of_episode > 1)::int),
        avg((episode_number > reached + 1)::int)
    from flagged
"""


def _run_end(con: duckdb.DuckDBPyConnection) -> object:
    row = con.execute("select max(window_end) from sim.run").fetchall()[0]
    return row[0] if row else None


def compute(con: duckdb.DuckDBPyConnection) -> list[Figure]:
    """All calibration figures for the run in the warehouse."""
    end = _run_end(con)
    con.execute("create or replace temp table run as select ?::timestamp as max_end", [end])
    con.execute(f"create or replace temp table plays as {_PLAYS}")
    figs: list[Figure] = []

    (eps_per_session,) = con.execute(
        "select count(*) / count(distinct (user_id, session_no)) from plays"
    ).fetchall()[0]
    figs.append(
        Figure(
            "episodes per session (30-min idle gap)",
            eps_per_session,
            3.0,
            4.8,
            "Hulu 2009: 3.9 episodes/session (Schweidel & Moe 2016)",
        )
    )

    steps = {int(r[0]): float(r[1]) for r in con.execute(_STEP).fetchall()}
    figs.append(
        Figure(
            f"step retention episode 1 -> 2 ({HORIZON_DAYS} d)",
            steps.get(1, float("nan")),
            0.45,
            0.72,
            "pilot drop-off: the largest step loss is after episode 1 (Netflix 2015)",
        )
    )
    figs.append(
        Figure(
            f"step retention episode 2 -> 3 ({HORIZON_DAYS} d)",
            steps.get(2, float("nan")),
            0.65,
            0.90,
            "hook forms from episode 2 (Netflix 2015: hook at episodes 2-8)",
        )
    )
    hook = _hook_episode(con)
    figs.append(
        Figure(
            "median hooked episode (70% go on to ep 12)",
            hook,
            2.0,
            8.0,
            "Netflix 2015: hooked episode between 2 and 8 for 25 series",
        )
    )

    (evening,) = con.execute(
        "select avg((hour(started_at) between 20 and 22)::int) from raw.viewing_events"
    ).fetchall()[0]
    figs.append(
        Figure(
            "share of plays starting 20:00-23:00",
            evening,
            0.28,
            0.48,
            "streaming traffic peaks 20:00-23:00 (Sandvine); 3 of 24 hours = 0.125 if flat",
        )
    )

    (d7,) = con.execute(
        """
        with first_day as (
            select user_id, min(started_at::date) as d0 from raw.viewing_events group by 1
        ),
        eligible as (
            select * from first_day where d0 + 8 <= (select max_end from run)::date
        ),
        active as (select distinct user_id, started_at::date as d from raw.viewing_events)
        select avg((a.user_id is not null)::int)
        from eligible as e
        left join active as a on a.user_id = e.user_id and a.d = e.d0 + 7
        """
    ).fetchall()[0]
    figs.append(
        Figure(
            "day-7 retention of new viewers (active on day 7)",
            d7,
            0.20,
            0.50,
            "SVOD new-viewer cohorts; free entertainment apps keep ~10-20% on day 7 (AppsFlyer)",
        )
    )

    top_plays, top_members = con.execute(
        """
        with t as (
            select m.anime_id, m.popularity_members, count(v.anime_id) as plays
            from marts.anime_master as m
            inner join marts.simulation_eligibility as s using (anime_id)
            left join raw.viewing_events as v using (anime_id)
            where s.is_simulation_eligible group by 1, 2
        ),
        ranked as (
            select *, row_number() over (order by plays desc) as rp,
                      row_number() over (order by popularity_members desc nulls last) as rm,
                      count(*) over () as n
            from t
        )
        select sum(plays) filter (where rp <= ceil(n / 100)) / sum(plays),
               sum(popularity_members) filter (where rm <= ceil(n / 100))
                   / sum(popularity_members)
        from ranked
        """
    ).fetchall()[0]
    figs.append(
        Figure(
            "top 1% of titles: share of plays",
            top_plays,
            0.6 * top_members,
            min(1.0, 1.5 * top_members),
            f"MAL members (the catalogue's own audience): top 1% of titles hold {top_members:.0%}",
        )
    )

    mean_c, full, low = con.execute(
        """
        select avg(c), avg((c >= 0.9)::int), avg((c < 0.25)::int)
        from (select watched_seconds / episode_duration_seconds as c from raw.viewing_events)
        """
    ).fetchall()[0]
    figs.append(Figure("mean completion", mean_c, 0.72, 0.92, "episodic VOD: most plays watched through"))
    figs.append(Figure("share of plays >= 90% watched", full, 0.50, 0.85, "credits skipped counts as full"))
    figs.append(
        Figure(
            "share of plays < 25% watched (abandoned)",
            low,
            0.03,
            0.15,
            "mid-episode abandonment when disengaged",
        )
    )
    resumed, rewatched, skipped = con.execute(_SHAPES).fetchall()[0]
    assumed = "assumed low rate: no published figure found (docs/real-logs.md)"
    figs.append(Figure("share of plays resuming a view", resumed, 0.005, 0.06, assumed))
    figs.append(Figure("share of plays rewatching an episode", rewatched, 0.002, 0.03, assumed))
    figs.append(Figure("share of plays after a skipped episode", skipped, 0.002, 0.03, assumed))
    return figs


def _hook_episode(con: duckdb.DuckDBPyConnection, target: int = 12) -> float:
    """Netflix's definition: first episode after which >= 70% of its viewers reach `target`."""
    row = con.execute(
        f"""
        with viewers as (
            select v.anime_id, v.user_id, max(v.episode_number) as reached,
                   min(v.started_at) as first_at
            from raw.viewing_events as v
            inner join marts.anime_master as m using (anime_id)
            where m.episodes >= {target}
            group by 1, 2
        ),
        settled as (
            select * from viewers
            where first_at + interval 30 day <= (select max_end from run)
        ),
        per_ep as (
            select s.anime_id, e.n,
                   avg((s.reached >= {target})::int) as share, count(*) as viewers
            from settled as s, range(1, {target}) as e(n)
            where s.reached >= e.n
            group by 1, 2
        ),
        popular as (
            select anime_id from settled group by 1 having count(*) >= 30
        ),
        hooked as (
            select anime_id, min(n) as hook
            from per_ep where share >= 0.7 and anime_id in (select anime_id from popular)
            group by 1
        )
        select median(coalesce(h.hook, {target}))
        from popular as p left join hooked as h using (anime_id)
        """
    ).fetchall()[0]
    return float(row[0]) if row and row[0] is not None else float("nan")


def summary(con: duckdb.DuckDBPyConnection) -> str:
    n_users, n_events, start, end = con.execute(
        "select n_users, n_events, window_start, window_end from sim.run order by run_id desc limit 1"
    ).fetchall()[0]
    return f"run: {n_users:,} users, {n_events:,} plays, window {start:%Y-%m-%d}..{end:%Y-%m-%d}"


def format_report(figs: list[Figure]) -> str:
    lines = [f"{'figure':46} {'simulated':>10} {'target band':>15}  ok  source"]
    for f in figs:
        digits = 3 if 0 < f.low < 0.01 else 2  # small rates: keep their band readable
        band = f"{f.low:.{digits}f}-{f.high:.{digits}f}"
        lines.append(f"{f.name:46} {f.value:10.3f} {band:>15}  {'yes' if f.ok else 'NO ':3} {f.source}")
    return "\n".join(lines)


def print_report(path: Path | None) -> None:
    target = warehouse_path(path)
    if not target.exists():
        raise SimulatorError(f"no warehouse at {target}: run `python -m simulator` first")
    con = connect(target, read_only=True)
    try:
        if not table_exists(con, "raw", "viewing_events"):
            raise SimulatorError(f"no simulation in {target}: run `python -m simulator` first")
        if not table_exists(con, "sim", "run"):
            # a platform's own log (`python -m ingest events` drops `sim`): no run, no targets
            raise SimulatorError(
                f"the calibration report needs a simulated run, and {target} has none (no `sim` "
                "schema: its plays are a platform's own log); simulate one with `python -m simulator`"
            )
        print(summary(con))
        print(format_report(compute(con)))
    finally:
        con.close()
