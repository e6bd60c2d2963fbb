"""A small, deterministic warehouse for the dbt tests: catalogue stand-ins plus a viewing log.

The log is generated once for the whole period; "simulate to T" is the log truncated at T, so an
extended log reproduces every earlier event exactly (like ``python -m simulator --append``).
Only the catalogue columns the engagement models read are meaningful; the rest follow the contract.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

WINDOW_START = datetime(2024, 1, 1)
N_DAYS = 42
DURATION = 1440  # 24-minute episodes


@dataclass(frozen=True)
class Title:
    anime_id: str
    episodes: int
    score_mean: float
    members: int


TITLES = [
    Title("mal-1", 12, 8.1, 500_000),
    Title("mal-2", 24, 7.4, 250_000),
    Title("mal-3", 3, 6.9, 40_000),
    Title("mal-4", 13, 8.6, 900_000),
    Title("mal-5", 6, 7.0, 80_000),
    Title("anidb-6", 26, 7.7, 120_000),
    Title("t-00000000000007", 10, 6.2, 5_000),
    Title("mal-8", 2, 7.9, 60_000),
]


def generate(n_users: int = 70, n_days: int = N_DAYS, seed: int = 7) -> tuple[list, list]:
    """Users and plays: sessions of consecutive episodes, re-watches, title switches, long gaps."""
    rng = random.Random(seed)
    users, plays = [], []
    event_id = 1000
    end = WINDOW_START + timedelta(days=n_days)
    for user_id in range(1, n_users + 1):
        signed_up = WINDOW_START + timedelta(days=rng.uniform(-30, n_days * 0.6))
        users.append(
            (
                user_id,
                signed_up,
                rng.choice(["JP", "US", "DE", "BR"]),
                rng.choice(["tv", "mobile", "desktop", "tablet"]),
                rng.choice(["free", "premium"]),
            )
        )
        device = users[-1][3]
        engagement = rng.uniform(0.05, 0.6)
        t = max(signed_up, WINDOW_START) + timedelta(hours=rng.uniform(0, 48))
        progress: dict[str, int] = {}
        title = rng.choice(TITLES)
        while t < end:
            # one session: consecutive episodes with short idle gaps
            for _ in range(rng.choice([1, 1, 2, 3, 4, 6])):
                if rng.random() < 0.15:
                    title = rng.choice(TITLES)
                ep = progress.get(title.anime_id, 0) + 1
                if ep > title.episodes:
                    title = rng.choice(TITLES)
                    ep = progress.get(title.anime_id, 0) + 1
                    if ep > title.episodes:
                        ep = 1  # re-watch from the start
                if rng.random() < 0.08 and ep > 1:
                    ep -= 1  # re-watch the previous episode
                watched = DURATION if rng.random() < 0.6 else rng.randint(60, DURATION)
                plays.append((event_id, user_id, title.anime_id, ep, t, watched, DURATION, device))
                event_id += 1
                progress[title.anime_id] = max(progress.get(title.anime_id, 0), ep)
                t += timedelta(seconds=watched + rng.choice([5, 60, 300, 900, 1500, 2400]))
                if t >= end:
                    break
            # time to the next session: hours to weeks; disengaged users drift away
            gap_days = rng.expovariate(engagement) if rng.random() < 0.9 else rng.uniform(5, 25)
            t += timedelta(days=min(gap_days, 30), hours=rng.uniform(0, 6))
    plays.sort(key=lambda p: (p[4], p[0]))
    return users, plays


def _catalogue(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists marts")
    con.execute(
        """
        create or replace table marts.anime_master (
            anime_id varchar, title varchar, anime_type varchar, episodes integer, status varchar,
            season varchar, season_year integer, duration_seconds integer, score_mean double,
            score_median double, tags varchar[], n_tags integer, n_sources integer,
            n_synonyms integer, mal_id integer, popularity_members bigint, mal_rating double
        )
        """
    )
    for i, t in enumerate(TITLES):
        con.execute(
            "insert into marts.anime_master values "
            "(?, ?, 'TV', ?, 'FINISHED', 'SPRING', 2020, ?, ?, ?, ['action'], 1, 1, 0, ?, ?, ?)",
            [
                t.anime_id,
                f"Title {i}",
                t.episodes,
                DURATION,
                t.score_mean,
                t.score_mean,
                i + 1,
                t.members,
                t.score_mean,
            ],
        )
    con.execute(
        """
        create or replace table marts.episodes as
        select
            anime_id,
            cast(e.episode_number as integer) as episode_number,
            duration_seconds,
            e.episode_number = 1 as is_first,
            e.episode_number = episodes as is_last
        from marts.anime_master,
            (select unnest(range(1, 201)) as episode_number) as e
        where e.episode_number <= episodes
        """
    )


def write_warehouse(path: Path, *, until: datetime | None = None, **kwargs) -> int:
    """Create a warehouse file with the log up to (not including) `until`; returns the play count."""
    users, plays = generate(**kwargs)
    if until is not None:
        plays = [p for p in plays if p[4] < until]
    con = duckdb.connect(str(path))
    try:
        _catalogue(con)
        con.execute("create schema if not exists raw")
        con.execute(
            "create or replace table raw.users (user_id bigint, signed_up_at timestamp,"
            " country varchar, device varchar, plan varchar)"
        )
        con.executemany("insert into raw.users values (?, ?, ?, ?, ?)", users)
        con.execute(
            "create or replace table raw.viewing_events (event_id bigint, user_id bigint,"
            " anime_id varchar, episode_number integer, started_at timestamp,"
            " watched_seconds integer, episode_duration_seconds integer, device varchar)"
        )
        con.executemany("insert into raw.viewing_events values (?, ?, ?, ?, ?, ?, ?, ?)", plays)
    finally:
        con.close()
    return len(plays)


def append_events(path: Path, since: datetime, **kwargs) -> int:
    """Append the log's events from `since` on (the extension of a truncated log)."""
    _, plays = generate(**kwargs)
    new = [p for p in plays if p[4] >= since]
    con = duckdb.connect(str(path))
    try:
        con.executemany("insert into raw.viewing_events values (?, ?, ?, ?, ?, ?, ?, ?)", new)
    finally:
        con.close()
    return len(new)


def window_end(**kwargs) -> datetime:
    """The newest started_at of the full log."""
    return max(p[4] for p in generate(**kwargs)[1])


if __name__ == "__main__":
    import sys

    print(write_warehouse(Path(sys.argv[1])))
