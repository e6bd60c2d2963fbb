-- One row per training run of `python ml/train.py` (ml.model_runs), typed; no rows before
-- the first run.
with

source as (
    {{ source_or_empty('ml', 'model_runs') }}
),

renamed as (
    select
        cast(run_id as {{ dbt.type_string() }}) as run_id,
        cast(trained_at as {{ dbt.type_timestamp() }}) as trained_at,
        cast(warehouse_path as {{ dbt.type_string() }}) as warehouse_path,
        cast(model_path as {{ dbt.type_string() }}) as model_path,
        cast(model_sha256 as {{ dbt.type_string() }}) as model_sha256,
        cast(features as {{ type_string_list() }}) as features,
        cast(n_features as {{ dbt.type_int() }}) as n_features,
        cast(train_rows as {{ dbt.type_bigint() }}) as train_rows,
        cast(validation_rows as {{ dbt.type_bigint() }}) as validation_rows,
        cast(train_positive_rate as {{ type_double() }}) as train_positive_rate,
        cast(validation_positive_rate as {{ type_double() }}) as validation_positive_rate,
        cast(train_start_at as {{ dbt.type_timestamp() }}) as train_start_at,
        cast(train_end_at as {{ dbt.type_timestamp() }}) as train_end_at,
        cast(validation_start_at as {{ dbt.type_timestamp() }}) as validation_start_at,
        cast(validation_end_at as {{ dbt.type_timestamp() }}) as validation_end_at,
        cast(decision_threshold as {{ type_double() }}) as decision_threshold,
        cast(gbm_n_iter as {{ dbt.type_int() }}) as gbm_n_iter,
        cast(has_oracle as {{ dbt.type_boolean() }}) as has_oracle,
        cast(oracle_rows as {{ dbt.type_bigint() }}) as oracle_rows,
        cast(roc_auc as {{ type_double() }}) as roc_auc,
        cast(brier as {{ type_double() }}) as brier,
        cast(baseline_episode_roc_auc as {{ type_double() }}) as baseline_episode_roc_auc,
        cast(baseline_episode_brier as {{ type_double() }}) as baseline_episode_brier,
        cast(baseline_logreg_roc_auc as {{ type_double() }}) as baseline_logreg_roc_auc,
        cast(baseline_logreg_brier as {{ type_double() }}) as baseline_logreg_brier,
        cast(oracle_roc_auc as {{ type_double() }}) as oracle_roc_auc,
        cast(oracle_brier as {{ type_double() }}) as oracle_brier,
        cast(auc_gap as {{ type_double() }}) as auc_gap,
        cast(auc_gap_se as {{ type_double() }}) as auc_gap_se,
        cast(brier_gap_pct as {{ type_double() }}) as brier_gap_pct,
        cast(sklearn_version as {{ dbt.type_string() }}) as sklearn_version,
        cast(training_seconds as {{ type_double() }}) as training_seconds,
        cast(split_cutoff_at as {{ dbt.type_timestamp() }}) as split_cutoff_at
    from source
)

select * from renamed
