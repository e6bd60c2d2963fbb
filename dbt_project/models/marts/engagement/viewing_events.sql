{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='event_id',
    window_column='started_at',
    on_schema_change='fail',
) }}

{#-
    One row per play. Incremental: plays that started within the horizon H of the newest play in the
    table are rebuilt (their label and censoring may change as the log grows); older rows are final.
    int_rebuild_window records that window before this model runs (for the data tests).
-#}

-- depends_on: {{ ref('int_rebuild_window') }}

{%- set window_starts_at = incremental_window_start('started_at', var('continuation_horizon_days')) %}

with

sessionised as (
    select * from {{ ref('int_plays_sessionised') }}
    where started_at >= {{ window_starts_at }}
),

labelled as (
    select * from {{ ref('int_plays_labelled') }}
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
        features.trailing_7d_plays,
        features.engagement_tier
    from sessionised
    inner join labelled
        on sessionised.event_id = labelled.event_id
    inner join features
        on sessionised.event_id = features.event_id
)

select * from final
-- time order: incremental windows then read and replace only the newest row groups
order by started_at, event_id
