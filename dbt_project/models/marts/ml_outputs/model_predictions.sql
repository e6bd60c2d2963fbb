-- Validation plays of the latest training run: the model's score next to the play's features.
-- A play's split is the one its run decided (the run's stored cutoff), whatever the feature mart
-- holds now.
with

predictions as (
    select * from {{ ref('stg_ml__predictions') }}
),

runs as (
    select
        run_id,
        split_cutoff_at
    from {{ ref('stg_ml__model_runs') }}
),

features as (
    select
        event_id,
        completion,
        series_fraction,
        session_position,
        user_prior_plays,
        user_prior_continuation_rate,
        title_prior_continuation_rate,
        days_since_prev_play,
        hour_of_day
    from {{ ref('ml_features') }}
),

final as (
    select
        predictions.run_id,
        predictions.event_id,
        predictions.user_id,
        predictions.anime_id,
        predictions.started_at,
        predictions.episode_number,
        predictions.episode_bucket,
        predictions.score,
        predictions.label,
        predictions.is_predicted_positive,
        predictions.baseline_episode_score,
        predictions.baseline_logreg_score,
        cast(
            case
                when predictions.started_at < runs.split_cutoff_at then 'train'
                when predictions.started_at >= runs.split_cutoff_at then 'validation'
            end as {{ dbt.type_string() }}
        ) as split,
        features.completion,
        features.series_fraction,
        features.session_position,
        features.user_prior_plays,
        features.user_prior_continuation_rate,
        features.title_prior_continuation_rate,
        features.days_since_prev_play,
        features.hour_of_day,
        features.event_id is not null as has_features,
        predictions.is_predicted_positive = predictions.label as is_correct
    from predictions
    left join runs
        on predictions.run_id = runs.run_id
    left join features
        on predictions.event_id = features.event_id
)

select * from final
