{#-
    Stickiness as a distribution: for each user-week (ISO week) and user-month with at least one
    play, the number of days with a play (1-7, 1-31), counted over periods wholly inside the log,
    so that the first and last partial weeks or months do not read as low-activity ones.
-#}

with

user_days as (
    select
        user_id,
        active_on
    from {{ ref('int_user_days') }}
),

bounds as (
    select
        min(active_on) as first_active_on,
        max(active_on) as last_active_on
    from user_days
),

periods as (
    select
        'week' as period_grain,
        user_id,
        cast({{ dbt.date_trunc('week', 'active_on') }} as date) as period_started_on,
        cast({{ dbt.dateadd('day', 7, dbt.date_trunc('week', 'active_on')) }} as date)
            as next_period_started_on
    from user_days
    union all
    select
        'month' as period_grain,
        user_id,
        cast({{ dbt.date_trunc('month', 'active_on') }} as date) as period_started_on,
        cast({{ dbt.dateadd('month', 1, dbt.date_trunc('month', 'active_on')) }} as date)
            as next_period_started_on
    from user_days
),

user_periods as (
    select
        periods.period_grain,
        periods.user_id,
        periods.period_started_on,
        count(*) as active_days
    from periods
    cross join bounds
    where
        periods.period_started_on >= bounds.first_active_on
        and periods.next_period_started_on <= {{ dbt.dateadd('day', 1, 'bounds.last_active_on') }}
    group by periods.period_grain, periods.user_id, periods.period_started_on
),

counted as (
    select
        period_grain,
        active_days,
        count(*) as user_periods
    from user_periods
    group by period_grain, active_days
),

final as (
    select
        cast(period_grain as {{ dbt.type_string() }}) as period_grain,
        cast(active_days as {{ dbt.type_int() }}) as active_days,
        cast(user_periods as {{ dbt.type_bigint() }}) as user_periods,
        cast(
            cast(user_periods as {{ type_double() }})
            / sum(user_periods) over (partition by period_grain) as {{ type_double() }}
        ) as share_of_user_periods
    from counted
)

select * from final
