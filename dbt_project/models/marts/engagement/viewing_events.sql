{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='event_id',
    window_column='started_at',
    on_schema_change='fail',
) }}

{#-
    One row per play. Incremental: rows are final once their horizon H has elapsed. A build writes the
    new plays (from the newest play in the table on) and, among the plays that started within H of
    it, those whose label columns int_plays_labelled may have changed: the horizon elapsed with the
    new data (censoring ends) or the next episode is one of the new plays. int_rebuild_window
    records the window from H before the newest play before this model runs (for the data tests).
-#}

-- depends_on: {{ ref('int_rebuild_window') }}

{%- set new_from = incremental_window_start('started_at', 0) %}
{%- set window_starts_at = dbt.dateadd('day', -1 * var('continuation_horizon_days'), new_from) %}

with

sessionised as (
    select * from {{ ref('int_plays_sessionised') }}
    where started_at >= {{ window_starts_at }}
),

observed as (
    select max(started_at) as window_ends_at
    from {{ ref('int_plays_labelled') }}
),

-- new plays, plays whose horizon has elapsed since, plays whose next episode is new (all on a full build)
labelled as (
    select * from {{ ref('int_plays_labelled') }}
    where
        started_at >= {{ window_starts_at }}
        and (
            started_at >= {{ new_from }}
            or horizon_ends_at <= (select observed.window_ends_at from observed)
            or next_episode_started_at >= {{ new_from }}
        )
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
        features.is_first_episode_play,
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
