-- One row per training run and model: validation metrics side by side and the gap to the oracle.
with

runs as (
    select
        run_id,
        trained_at,
        decision_threshold
    from {{ ref('stg_ml__model_runs') }}
),

metrics as (
    select * from {{ ref('stg_ml__model_metrics') }}
),

pivoted as (
    select
        run_id,
        model,
        max(case when metric = 'roc_auc' then value end) as roc_auc,
        max(case when metric = 'pr_auc' then value end) as pr_auc,
        max(case when metric = 'brier' then value end) as brier,
        max(case when metric = 'log_loss' then value end) as log_loss,
        max(case when metric = 'accuracy' then value end) as accuracy,
        max(case when metric = 'precision' then value end) as precision_at_threshold,
        max(case when metric = 'recall' then value end) as recall_at_threshold,
        max(case when metric = 'f1' then value end) as f1_at_threshold,
        max(case when metric = 'n_rows' then value end) as n_rows,
        max(case when metric = 'positive_rate' then value end) as positive_rate,
        max(case when metric = 'mean_score' then value end) as mean_score
    from metrics
    group by run_id, model
),

oracle as (
    select
        run_id,
        roc_auc as oracle_roc_auc,
        brier as oracle_brier
    from pivoted
    where model = 'oracle'
),

latest as (
    select max(trained_at) as latest_trained_at
    from runs
),

final as (
    select
        pivoted.run_id,
        runs.trained_at,
        pivoted.model,
        pivoted.roc_auc,
        pivoted.pr_auc,
        pivoted.brier,
        pivoted.log_loss,
        pivoted.accuracy,
        pivoted.precision_at_threshold,
        pivoted.recall_at_threshold,
        pivoted.f1_at_threshold,
        runs.decision_threshold,
        cast(pivoted.n_rows as bigint) as n_rows,
        pivoted.positive_rate,
        pivoted.mean_score,
        oracle.oracle_roc_auc - pivoted.roc_auc as auc_gap_to_oracle,
        100.0 * (pivoted.brier - oracle.oracle_brier) / oracle.oracle_brier as brier_gap_to_oracle_pct,
        pivoted.model = 'gbm' as is_production_model,
        coalesce(runs.trained_at = latest.latest_trained_at, false) as is_latest_run
    from pivoted
    inner join runs
        on pivoted.run_id = runs.run_id
    left join oracle
        on pivoted.run_id = oracle.run_id
    cross join latest
)

select * from final
