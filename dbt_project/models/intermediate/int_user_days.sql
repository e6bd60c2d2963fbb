{{ config(
    materialized='incremental',
    unique_key=['user_id', 'active_on'],
    partition_by=day_partition('active_on'),
) }}

{#-
    One row per user and day with a play: the day's plays and watched seconds. The cohort and
    lifecycle marts group these (a few rows per user) instead of every play.

    Incremental (see rebuild_from): the rebuilt days are grouped again.
-#}

{%- set window_starts_at = rebuild_from('active_on', ref('viewing_events'), plays='sum(n_plays)') %}

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
-- time order: the next build's window then reads only the newest row groups
order by active_on, user_id
