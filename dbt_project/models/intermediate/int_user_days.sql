{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='active_on',
    window_column='active_on',
    on_schema_change='fail',
) }}

{#-
    One row per user and day with a play: the day's plays and watched seconds. The cohort and
    lifecycle marts group these (a few rows per user) instead of every play.

    Incremental: a day's totals change only while plays of that day arrive, so the newest day in the
    table and the days after it are rebuilt, whole: the replace key is the day (a late play at the
    newest instant lands on that day).
-#}

{%- set window_starts_at = incremental_window_start('active_on', 0) %}

with

plays as (
    select
        user_id,
        cast({{ dbt.date_trunc('day', 'started_at') }} as date) as active_on,
        watched_seconds
    from {{ ref('viewing_events') }}
    where started_at >= {{ window_starts_at }}
),

final as (
    select
        user_id,
        active_on,
        cast(count(*) as {{ dbt.type_bigint() }}) as n_plays,
        cast(sum(watched_seconds) as {{ dbt.type_bigint() }}) as watched_seconds
    from plays
    group by user_id, active_on
)

select * from final
-- time order: incremental windows then read and replace only the newest row groups
order by active_on, user_id
