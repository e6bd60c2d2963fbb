-- Validation metrics of every training run in long form (ml.model_metrics), typed; no rows
-- before the first run.
with

source as (
    {{ source_or_empty('ml', 'model_metrics') }}
),

-- model and value: the names ml/write.py gives the columns (keywords to sqlfluff)
renamed as (
    select
        cast(run_id as {{ dbt.type_string() }}) as run_id,
        cast(model as {{ dbt.type_string() }}) as model,  -- noqa: RF04
        cast(metric as {{ dbt.type_string() }}) as metric,
        cast(value as {{ type_double() }}) as value  -- noqa: RF04
    from source
)

select * from renamed
