{{ config(
    materialized='incremental',
    unique_key=['user_id', 'week_started_on'],
    partition_by=day_partition('week_started_on'),
) }}

{#-
    Weekly lifecycle per user, from the ISO week of their first play to the newest week of the log:
    new (first active week), returning (active this week and the week before), resurrecting (active
    this week, not the week before, not new), dormant (no play this week).
    The newest week is usually partial: is_week_complete is false there.

    Incremental (see rebuild_from): the weeks starting in the rebuilt days are rebuilt, whole, for
    every user; the week before them is read only for "active the week before".
-#}

{%- set rebuilt_from = rebuild_from(
    'week_started_on', ref('viewing_events'), plays='sum(n_plays)', period='week'
) %}
{%- set previous_week_starts_on = "cast(" ~ dbt.date_trunc('week', dbt.dateadd('day', -7, rebuilt_from))
    ~ " as date)" %}

with

-- the rebuilt weeks and the week before them
user_days as (
    select
        user_id,
        n_plays,
        watched_seconds,
        cast({{ dbt.date_trunc('week', 'active_on') }} as date) as week_started_on
    from {{ ref('int_user_days') }}
    where active_on >= {{ previous_week_starts_on }}
),

observed as (
    select
        max(started_at) as window_ends_at,
        cast({{ dbt.date_trunc('week', 'max(started_at)') }} as date) as last_week_started_on
    from {{ ref('viewing_events') }}
),

user_weeks as (
    select
        user_id,
        week_started_on,
        sum(n_plays) as n_plays,
        sum(watched_seconds) as watched_seconds
    from user_days
    group by user_id, week_started_on
),

first_weeks as (
    select
        user_id,
        cast({{ dbt.date_trunc('week', 'min(active_on)') }} as date) as first_week_started_on
    from {{ ref('int_user_days') }}
    group by user_id
),

grid_start as (
    select
        greatest(
            min(first_week_started_on), {{ previous_week_starts_on }}
        ) as week_started_on
    from first_weeks
),

week_span as (
    select {{ days_between('grid_start.week_started_on', 'observed.last_week_started_on') }} / 7 as n_weeks
    from grid_start
    cross join observed
),

week_series as (
    {{ integer_series('(select week_span.n_weeks from week_span)') }}
),

user_week_grid as (
    select
        first_weeks.user_id,
        first_weeks.first_week_started_on,
        cast(
            {{ dbt.dateadd('day', 'week_series.n * 7', 'grid_start.week_started_on') }} as date
        ) as week_started_on
    from first_weeks
    cross join grid_start
    cross join week_series
),

grid as (
    select * from user_week_grid
    where week_started_on >= first_week_started_on
),

filled as (
    select
        grid.user_id,
        grid.week_started_on,
        grid.first_week_started_on,
        coalesce(user_weeks.n_plays, 0) as n_plays,
        coalesce(user_weeks.watched_seconds, 0) as watched_seconds,
        user_weeks.user_id is not null as is_active
    from grid
    left join user_weeks
        on
            grid.user_id = user_weeks.user_id
            and grid.week_started_on = user_weeks.week_started_on
),

with_previous as (
    select
        *,
        lag(is_active) over (partition by user_id order by week_started_on) as was_active_previous_week
    from filled
),

final as (
    select
        with_previous.user_id,
        with_previous.week_started_on,
        cast(
            {{ days_between('with_previous.first_week_started_on', 'with_previous.week_started_on') }}
            / 7 as {{ dbt.type_int() }}
        ) as weeks_since_first_play,
        cast(
            case
                when with_previous.week_started_on = with_previous.first_week_started_on then 'new'
                when not with_previous.is_active then 'dormant'
                when with_previous.was_active_previous_week then 'returning'
                else 'resurrecting'
            end as {{ dbt.type_string() }}
        ) as lifecycle_status,
        with_previous.is_active,
        cast(with_previous.n_plays as {{ dbt.type_bigint() }}) as n_plays,
        cast(with_previous.watched_seconds as {{ type_double() }}) / 60.0 as watched_minutes,
        {{ dbt.dateadd('day', 7, 'with_previous.week_started_on') }} <= observed.window_ends_at
            as is_week_complete
    from with_previous
    cross join observed
    where with_previous.week_started_on >= {{ rebuilt_from }}
)

select * from final
-- time order: the next build's window then reads only the newest row groups
order by week_started_on, user_id
