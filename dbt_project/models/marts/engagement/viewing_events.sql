{{ config(
    materialized='incremental',
    unique_key='event_id',
    partition_by=day_partition('started_on'),
) }}

{#-
    One row per play: the play, its session, its view, its label and the engagement features the
    marts use.
    Incremental (see rebuild_from): the plays of the rebuilt days are written again.
-#}

{%- set window_starts_at = rebuild_from('started_at', ref('int_plays_sessionised')) %}

with

sessionised as (
    select * from {{ ref('int_plays_sessionised') }}
    where started_at >= {{ window_starts_at }}
),

labelled as (
    select * from {{ ref('int_plays_labelled') }}
    where started_at >= {{ window_starts_at }}
),

firsts as (
    select * from {{ ref('int_play_firsts') }}
    where started_at >= {{ window_starts_at }}
),

features as (
    select * from {{ ref('int_play_features') }}
    where started_at >= {{ window_starts_at }}
),

final as (
    select
        sessionised.event_id,
        sessionised.user_id,
        sessionised.anime_id,
        sessionised.episode_number,
        sessionised.started_at,
        sessionised.ended_at,
        sessionised.watched_seconds,
        sessionised.episode_duration_seconds,
        sessionised.completion,
        sessionised.device,
        sessionised.episodes_total,
        sessionised.is_last_episode,
        sessionised.session_id,
        sessionised.session_started_at,
        sessionised.session_position,
        sessionised.is_session_start,
        labelled.horizon_ends_at,
        labelled.next_episode_started_at,
        labelled.label_resolved_at,
        labelled.is_censored,
        labelled.continued_next_episode,
        firsts.is_first_episode_play,
        firsts.view_id,
        firsts.is_resumed,
        firsts.is_rewatch,
        firsts.is_first_view,
        firsts.view_completion,
        features.trailing_7d_plays,
        features.engagement_tier,
        -- the day partition a Spark build overwrites (incremental contract)
        sessionised.started_on
    from sessionised
    inner join labelled
        on sessionised.event_id = labelled.event_id
    inner join firsts
        on sessionised.event_id = firsts.event_id
    inner join features
        on sessionised.event_id = features.event_id
)

select * from final
-- time order: the next build's window then reads only the newest row groups
order by started_at, event_id
