{{ config(materialized='table') }}

{#-
    The window of plays the current build rebuilds in the incremental viewing_events (plays starting
    at or after max(started_at) - H of the table as it was before this build), recorded before
    viewing_events runs (viewing_events depends on this model) so that data tests can check only
    those rows on an incremental build. On a full refresh, or when viewing_events does not exist yet,
    the window starts before any data: the full build checks everything.
    Rows before the window are final (their horizon had fully elapsed within the data) and were
    checked by the build that wrote them.
-#}
{%- set horizon_days = var('continuation_horizon_days') -%}
{%- set previous_build = existing_model_relation('viewing_events') -%}

with

bounds as (
    {{ previous_window_start(previous_build, 'started_at', horizon_days) }}
),

final as (
    select
        cast(
            coalesce(bounds.rebuilt_from, cast('1900-01-01' as {{ dbt.type_timestamp() }}))
            as {{ dbt.type_timestamp() }}
        ) as checked_from
    from bounds
)

select * from final
