{{ config(
    materialized='incremental',
    unique_key='event_id',
    partition_by=day_partition('started_on'),
) }}

{#-
    Each play's place in its user's history of the title: how many plays of the title the user
    started strictly before it, and whether it is the user's first play of the title and of the
    episode (earliest start; the lowest event_id among simultaneous ones).

    The ranks run over the whole history of every (user, title) pair the rebuilt days play
    (see rebuild_from): a window partitioned by the pair sees whole partitions, so leaving the other
    pairs out changes no rank.
-#}

{%- set window_starts_at = rebuild_from('started_at') %}

with

plays as (
    select
        event_id,
        user_id,
        anime_id,
        episode_number,
        started_at
    from {{ ref('int_plays_sessionised') }}
),

rebuilt_pairs as (
    select distinct
        user_id,
        anime_id
    from plays
    where started_at >= {{ window_starts_at }}
),

pair_plays as (
    select plays.*
    from plays
    inner join rebuilt_pairs
        on
            plays.user_id = rebuilt_pairs.user_id
            and plays.anime_id = rebuilt_pairs.anime_id
),

ranked as (
    select
        event_id,
        started_at,
        -- rank() counts the rows ordered strictly before: simultaneous plays do not see each other
        rank() over (
            partition by user_id, anime_id
            order by started_at
        ) - 1 as user_title_prior_plays,
        row_number() over (
            partition by user_id, anime_id
            order by started_at, event_id
        ) = 1 as is_first_title_play,
        row_number() over (
            partition by user_id, anime_id, episode_number
            order by started_at, event_id
        ) = 1 as is_first_episode_play
    from pair_plays
),

final as (
    select
        event_id,
        started_at,
        cast(user_title_prior_plays as {{ dbt.type_bigint() }}) as user_title_prior_plays,
        is_first_title_play,
        is_first_episode_play,
        -- the day partition a Spark build overwrites (incremental contract)
        cast(started_at as date) as started_on
    from ranked
    where started_at >= {{ window_starts_at }}
)

select * from final
-- time order: the next build's window then reads only the newest row groups
order by started_at, event_id
