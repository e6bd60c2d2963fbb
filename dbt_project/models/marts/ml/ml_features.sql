{{ config(materialized='table') }}

{#-
    The training table of the next-episode model: one row per labelled, uncensored play (not a
    title's last episode), with the label and point-in-time features only (see int_play_features).

    No split column: the ML step splits these plays by time when it trains (ml/data.py) and stores
    the cutoff with its run (ml.model_runs.split_cutoff_at), so a build never moves a play from one
    split to the other behind a run's back.

    Rebuilt whole on every build: a join of two incremental tables, filtered (its rows are not
    one per play, so it does not take part in the incremental contract).
-#}

with

labels as (
    select * from {{ ref('int_plays_labelled') }}
    where continued_next_episode is not null
),

features as (
    select * from {{ ref('int_play_features') }}
),

final as (
    select
        features.event_id,
        features.user_id,
        features.anime_id,
        features.started_at,
        labels.continued_next_episode,
        features.episode_number,
        features.episodes_total,
        features.series_fraction,
        features.is_last_episode,
        features.episode_duration_seconds,
        features.completion,
        features.user_prior_plays,
        features.user_prior_titles,
        features.user_prior_mean_completion,
        features.user_prior_resolved_labels,
        features.user_prior_continuation_rate,
        features.days_since_signup,
        features.days_since_prev_play,
        features.user_title_prior_plays,
        features.title_prior_plays,
        features.title_prior_viewers,
        features.title_prior_continuation_rate,
        features.title_score_mean,
        features.title_popularity_members,
        features.session_position,
        features.session_minutes_so_far,
        features.hour_of_day,
        features.day_of_week,
        features.minutes_since_prev_play,
        -- the day partition a Spark build overwrites (incremental contract)
        features.started_on
    from features
    inner join labels
        on features.event_id = labels.event_id
)

select * from final
-- time order: the next build's window then reads only the newest row groups
order by started_at, event_id
