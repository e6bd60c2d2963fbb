-- Plays and minutes by hour of day (0-23) x ISO weekday (1 = Monday), every cell present.
with

plays as (
    select
        user_id,
        watched_seconds,
        cast({{ hour_of_day('started_at') }} as {{ dbt.type_int() }}) as hour_of_day,
        cast({{ iso_day_of_week('started_at') }} as {{ dbt.type_int() }}) as day_of_week
    from {{ ref('viewing_events') }}
),

hours as (
    {{ integer_series(23) }}
),

weekdays as (
    {{ integer_series(6) }}
),

grid as (
    select
        hours.n as hour_of_day,
        weekdays.n + 1 as day_of_week
    from hours
    cross join weekdays
),

totals as (
    select count(*) as n_plays
    from plays
),

aggregated as (
    select
        hour_of_day,
        day_of_week,
        count(*) as n_plays,
        count(distinct user_id) as n_users,
        sum(watched_seconds) as watched_seconds
    from plays
    group by hour_of_day, day_of_week
),

final as (
    select
        cast(grid.hour_of_day as {{ dbt.type_int() }}) as hour_of_day,
        cast(grid.day_of_week as {{ dbt.type_int() }}) as day_of_week,
        cast(coalesce(aggregated.n_plays, 0) as {{ dbt.type_bigint() }}) as n_plays,
        cast(coalesce(aggregated.n_users, 0) as {{ dbt.type_bigint() }}) as n_users,
        cast(coalesce(aggregated.watched_seconds, 0) as {{ type_double() }}) / 60.0 as watched_minutes,
        cast(
            coalesce(aggregated.n_plays, 0) / cast(totals.n_plays as {{ type_double() }})
            as {{ type_double() }}
        ) as share_of_plays
    from grid
    cross join totals
    left join aggregated
        on
            grid.hour_of_day = aggregated.hour_of_day
            and grid.day_of_week = aggregated.day_of_week
)

select * from final
