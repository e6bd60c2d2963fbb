{#-
    DAU, WAU and MAU for every day of the log, and DAU / MAU (stickiness): a user counts in a day's
    WAU (MAU) when they played on any of the 7 (30) days ending that day.

    Counted without a user x day grid: each active day of a user opens that user's membership of the
    trailing window, and it closes at whichever comes first, the window running out (active day + 7
    or + 30) or the user's next active day (where the next membership opens). A running sum of the
    opens and closes over the days is then the number of members. The first 6 (29) days of the log
    see a shorter history: is_mau_complete says when MAU has its whole 30 days behind it.
-#}

with

user_days as (
    select
        user_id,
        active_on,
        lead(active_on) over (partition by user_id order by active_on) as next_active_on
    from {{ ref('int_user_days') }}
),

bounds as (
    select
        min(active_on) as first_active_on,
        max(active_on) as last_active_on
    from user_days
),

numbered as (
    select
        {{ days_between('bounds.first_active_on', 'user_days.active_on') }} as day_index,
        {{ days_between('bounds.first_active_on', 'user_days.next_active_on') }} as next_day_index
    from user_days
    cross join bounds
),

window_lengths as (
    select 1 as window_days
    union all
    select 7 as window_days
    union all
    select 30 as window_days
),

changes as (
    select
        numbered.day_index,
        window_lengths.window_days,
        1 as membership_change
    from numbered
    cross join window_lengths
    union all
    select
        least(
            numbered.day_index + window_lengths.window_days,
            coalesce(numbered.next_day_index, numbered.day_index + window_lengths.window_days)
        ) as day_index,
        window_lengths.window_days,
        -1 as membership_change
    from numbered
    cross join window_lengths
),

daily_changes as (
    select
        day_index,
        sum(case when window_days = 1 then membership_change else 0 end) as dau_change,
        sum(case when window_days = 7 then membership_change else 0 end) as wau_change,
        sum(case when window_days = 30 then membership_change else 0 end) as mau_change
    from changes
    group by day_index
),

days as (
    {{ integer_series(
        days_between('(select first_active_on from bounds)', '(select last_active_on from bounds)')
    ) }}
),

running as (
    select
        days.n as day_index,
        sum(coalesce(daily_changes.dau_change, 0)) over (order by days.n) as dau,
        sum(coalesce(daily_changes.wau_change, 0)) over (order by days.n) as wau,
        sum(coalesce(daily_changes.mau_change, 0)) over (order by days.n) as mau
    from days
    left join daily_changes
        on days.n = daily_changes.day_index
),

final as (
    select
        cast({{ dbt.dateadd('day', 'running.day_index', 'bounds.first_active_on') }} as date) as active_on,
        cast(running.dau as {{ dbt.type_bigint() }}) as daily_active_users,
        cast(running.wau as {{ dbt.type_bigint() }}) as weekly_active_users,
        cast(running.mau as {{ dbt.type_bigint() }}) as monthly_active_users,
        cast(
            cast(running.dau as {{ type_double() }}) / nullif(running.mau, 0) as {{ type_double() }}
        ) as dau_over_mau,
        running.day_index >= 29 as is_mau_complete
    from running
    cross join bounds
)

select * from final
