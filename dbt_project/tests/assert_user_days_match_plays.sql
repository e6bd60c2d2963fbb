-- int_user_days holds every play exactly once: its plays and watched seconds add up to those of
-- viewing_events (an incremental build that dropped or double-counted a day's plays would not).
-- Returns a row per total that disagrees.

with

from_plays as (
    select
        count(*) as n_plays,
        coalesce(sum(watched_seconds), 0) as watched_seconds
    from {{ ref('viewing_events') }}
),

from_user_days as (
    select
        coalesce(sum(n_plays), 0) as n_plays,
        coalesce(sum(watched_seconds), 0) as watched_seconds
    from {{ ref('int_user_days') }}
),

compared as (
    select
        'n_plays' as total,
        from_plays.n_plays as from_plays,
        from_user_days.n_plays as from_user_days
    from from_plays
    cross join from_user_days
    union all
    select
        'watched_seconds' as total,
        from_plays.watched_seconds as from_plays,
        from_user_days.watched_seconds as from_user_days
    from from_plays
    cross join from_user_days
)

select * from compared
where from_plays <> from_user_days
