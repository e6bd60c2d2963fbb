{{ config(materialized='table') }}

{#-
    The windows of rows the current build rebuilds in the incremental tables, recorded before those
    models run (viewing_events and ml_features depend on this model) so that data tests can check
    only the rebuilt rows on an incremental build:
    - checked_from: viewing_events rebuilds plays starting at or after max(started_at) - H of the
      table as it was before this build (sessions rebuild the sessions started after that too);
    - ml_features_checked_from: ml_features adds plays starting at or after its own max(started_at).
    On a full refresh, or when a table does not exist yet, the window starts before any data: the
    full build checks everything. Rows before a window are final (their horizon had fully elapsed
    within the data) and were checked by the build that wrote them.
-#}
{%- set horizon_days = var('continuation_horizon_days') -%}

with

events_bounds as (
    {{ previous_window_start(existing_model_relation('viewing_events'), 'started_at', horizon_days) }}
),

features_bounds as (
    {{ previous_window_start(existing_model_relation('ml_features'), 'started_at', 0) }}
),

final as (
    select
        cast(
            coalesce(events_bounds.rebuilt_from, cast('1900-01-01' as {{ dbt.type_timestamp() }}))
            as {{ dbt.type_timestamp() }}
        ) as checked_from,
        cast(
            coalesce(features_bounds.rebuilt_from, cast('1900-01-01' as {{ dbt.type_timestamp() }}))
            as {{ dbt.type_timestamp() }}
        ) as ml_features_checked_from
    from events_bounds
    cross join features_bounds
)

select * from final
