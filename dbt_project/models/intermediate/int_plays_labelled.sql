{{ config(
    materialized='incremental',
    unique_key='event_id',
    partition_by=day_partition('started_on'),
) }}

{#-
    Continuation labels with censoring, horizon H = `continuation_horizon_days` (14 days):
    - next_episode_started_at: the first play of a later episode of the same title by the same user
      (episode n+1, or a later one: skipping an episode goes past it) that starts after this play
      and no later than started_at + H (null when there is none). Which play of episode n it is
      (a first view, a resumed piece, a rewatch) does not matter: each play has its label, and the
      marts choose the plays they count (docs/real-logs.md);
    - label_resolved_at: when the label became known: next_episode_started_at if continued, else
      started_at + H. It does not depend on the end of the observed window, so point-in-time features
      can use it;
    - is_censored: started_at + H is after the observed window end (the newest started_at in the log);
    - continued_next_episode: null for a title's last episode and for censored plays.

    Incremental (see rebuild_from): the plays of the rebuilt days are labelled again; a later
    episode starts after the play it continues, so it is among them too.
-#}
{%- set horizon_days = var('continuation_horizon_days') -%}
{%- set window_starts_at = rebuild_from('started_at', ref('stg_events__viewing_events')) %}

with

-- the window end from the plays themselves (the enriched view's joins would run over every play)
observed as (
    select max(started_at) as window_ends_at
    from {{ ref('stg_events__viewing_events') }}
),

plays as (
    select
        event_id,
        user_id,
        anime_id,
        episode_number,
        started_at,
        is_last_episode,
        {{ timestamp_add('day', horizon_days, 'started_at') }} as horizon_ends_at
    from {{ ref('int_plays_enriched') }}
    where started_at >= {{ window_starts_at }}
),

next_episode as (
    select
        plays.event_id,
        min(later.started_at) as next_episode_started_at
    from plays
    inner join plays as later
        on
            plays.user_id = later.user_id
            and plays.anime_id = later.anime_id
            and plays.episode_number < later.episode_number
            and plays.started_at < later.started_at
            and plays.horizon_ends_at >= later.started_at
    where not plays.is_last_episode
    group by plays.event_id
),

final as (
    select
        plays.event_id,
        plays.user_id,
        plays.anime_id,
        plays.episode_number,
        plays.started_at,
        plays.is_last_episode,
        plays.horizon_ends_at,
        next_episode.next_episode_started_at,
        case
            when plays.is_last_episode then null
            else coalesce(next_episode.next_episode_started_at, plays.horizon_ends_at)
        end as label_resolved_at,
        plays.horizon_ends_at > observed.window_ends_at as is_censored,
        case
            when plays.is_last_episode or plays.horizon_ends_at > observed.window_ends_at then null
            else next_episode.next_episode_started_at is not null
        end as continued_next_episode,
        -- the day partition a Spark build overwrites (incremental contract)
        cast(plays.started_at as date) as started_on
    from plays
    cross join observed
    left join next_episode
        on plays.event_id = next_episode.event_id
)

select * from final
-- time order: the next build's window then reads only the newest row groups
order by started_at, event_id
