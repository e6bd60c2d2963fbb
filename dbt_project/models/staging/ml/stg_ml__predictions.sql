-- Validation plays of the latest training run (ml.predictions), typed; no rows before the
-- first run.
with

source as (
    {{ source_or_empty('ml', 'predictions') }}
),

-- label: the names ml/write.py gives the columns (keywords to sqlfluff)
renamed as (
    select
        cast(run_id as {{ dbt.type_string() }}) as run_id,
        cast(event_id as {{ dbt.type_bigint() }}) as event_id,
        cast(user_id as {{ dbt.type_bigint() }}) as user_id,
        cast(anime_id as {{ dbt.type_string() }}) as anime_id,
        cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
        cast(episode_number as {{ dbt.type_int() }}) as episode_number,
        cast(episode_bucket as {{ dbt.type_string() }}) as episode_bucket,
        cast(score as {{ type_double() }}) as score,
        cast(label as {{ dbt.type_boolean() }}) as label,  -- noqa: RF04
        cast(is_predicted_positive as {{ dbt.type_boolean() }}) as is_predicted_positive,
        cast(baseline_episode_score as {{ type_double() }}) as baseline_episode_score,
        cast(baseline_logreg_score as {{ type_double() }}) as baseline_logreg_score
    from source
)

select * from renamed
