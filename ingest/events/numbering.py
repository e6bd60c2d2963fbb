"""Duplicates, overlaps with the loaded log, and event ids, over the staged plays (_plays).

- Exact duplicates (same user, title, episode, start and watched seconds as read, before clipping)
  keep their first row in file order; the others go to _dropped, counted, not rejected.
- On --append, a play equal to one already in raw.viewing_events (the same user_id, anime_id,
  episode, start and watched seconds as written, after clipping) overlaps: dropped and counted.
- Event ids number the kept plays 1..N in (file, row) order, after `offset` (max(event_id) on
  --append). Positions are dense over all rows, so a kept play's id is its position less the rows
  dropped (rejected, duplicate, overlapping) before it. Positions are cut into buckets of 64; each
  bucket has a 64-bit mask of its dropped rows and the count of kept rows before it, so a play's id
  is `kept_before[bucket] + its offset in the bucket - dropped rows before it in the bucket (a
  popcount of the mask) + 1`: one join with a small table and some bit arithmetic per play, no
  sort. The masks also tell which plays are kept.
"""

from __future__ import annotations

import duckdb

from warehouse.sql import one_row

BUCKET = 64
DUPLICATE_KEY = "user_key, aid, episode_number, started_at, watched"


def stage_duplicates(con: duckdb.DuckDBPyConnection) -> int:
    """Temp table _dropped(pos, why='duplicate'); returns how many rows were dropped."""
    con.execute(
        "create or replace temp table _dup_hashes as select h from (select "
        f"hash({DUPLICATE_KEY}) as h from _plays where code = 0) group by h having count(*) > 1"
    )
    con.execute("create or replace temp table _dropped (pos bigint, why varchar)")
    if one_row(con, "select count(*) from _dup_hashes")[0]:
        con.execute(
            f"""
            insert into _dropped
            select pos, 'duplicate' from (
                select pos, row_number() over (partition by {DUPLICATE_KEY} order by pos) as copy
                from _plays
                where code = 0 and hash({DUPLICATE_KEY}) in (select h from _dup_hashes)
            )
            where copy > 1
            """
        )
    return one_row(con, "select count(*) from _dropped")[0]


def kept_filter(con: duckdb.DuckDBPyConnection) -> str:
    """SQL condition over _plays for the plays that will be written (before numbering)."""
    if one_row(con, "select count(*) from _dropped")[0]:
        return "code = 0 and pos not in (select pos from _dropped)"
    return "code = 0"


def user_id_sql(integer_mode: bool) -> tuple[str, str]:
    """(user_id SQL over _plays as p, join clause) for the plays' BIGINT user id."""
    if integer_mode:
        return "cast(p.user_key as bigint)", ""
    return "m.user_id", "inner join _user_map as m on m.user_key = p.user_key"


def stage_overlaps(con: duckdb.DuckDBPyConnection, integer_mode: bool) -> int:
    """Add the plays already in raw.viewing_events to _dropped; returns how many."""
    user_id, join = user_id_sql(integer_mode)
    con.execute(
        f"""
        insert into _dropped
        select p.pos, 'overlap'
        from _plays as p
        {join}
        inner join raw.viewing_events as v
            on v.user_id = {user_id}
            and v.anime_id = p.anime_id
            and v.episode_number = p.episode_number
            and v.started_at = p.started_at
            and v.watched_seconds = least(p.watched, coalesce(p.duration, p.watched))
        where {kept_filter(con)}
        """
    )
    return one_row(con, "select count(*) from _dropped where why = 'overlap'")[0]


def _stage_buckets(con: duckdb.DuckDBPyConnection, rows: int) -> None:
    """Temp table _buckets: every bucket's mask of dropped rows and count of kept rows before it."""
    con.execute(
        f"""
        create or replace temp table _buckets as
        with dropped as (
            select
                pos // {BUCKET} as bucket,
                bit_or(cast(1 as ubigint) << cast(pos % {BUCKET} as integer)) as mask
            from (select pos from _plays where code > 0 union all select pos from _dropped)
            group by 1
        ),
        buckets as (
            select b.range as bucket, least({BUCKET}, {rows} - b.range * {BUCKET}) as size,
                coalesce(d.mask, cast(0 as ubigint)) as mask
            from range(0, ({rows} + {BUCKET} - 1) // {BUCKET}) as b
            left join dropped as d on d.bucket = b.range
        ),
        counted as (
            select bucket, mask, coalesce(sum(size - bit_count(mask)) over (
                order by bucket rows between unbounded preceding and 1 preceding
            ), 0) as kept_before
            from buckets
        )
        select bucket, mask, kept_before from counted
        """
    )


def final_plays_sql(con: duckdb.DuckDBPyConnection, integer_mode: bool, offset: int, rows: int) -> str:
    """The select that writes raw.viewing_events' rows (clipped watched time, new event ids)."""
    user_id, join = user_id_sql(integer_mode)
    columns = f"""
        cast({{event_id}} as bigint) as event_id,
        {user_id} as user_id,
        p.anime_id as anime_id,
        p.episode_number,
        p.started_at,
        least(p.watched, coalesce(p.duration, p.watched)) as watched_seconds,
        p.duration as episode_duration_seconds,
        p.device"""
    n_rejected = one_row(con, "select count(*) from _plays where code > 0")[0]
    n_dropped = one_row(con, "select count(*) from _dropped")[0]
    if n_rejected + n_dropped == 0:
        return f"select {columns.format(event_id=f'{offset} + p.pos + 1')} from _plays as p {join}"
    _stage_buckets(con, rows)
    event_id = (
        f"{offset} + p.kept_before + p.bucket_offset - "
        "bit_count(p.mask & ((cast(1 as ubigint) << p.bucket_offset) - 1)) + 1"
    )
    return f"""
        select {columns.format(event_id=event_id)}
        from (
            select p.*, cast(p.pos % {BUCKET} as integer) as bucket_offset, b.mask, b.kept_before
            from _plays as p
            inner join _buckets as b on b.bucket = p.pos // {BUCKET}
            where p.code = 0
        ) as p
        {join}
        where (p.mask >> p.bucket_offset) & 1 = 0
    """
