{#-
    Cohort retention. A user's cohort is the day (cohort_grain = 'day') or ISO week ('week') of their
    first play; period_number N counts days or weeks since it (0 = the cohort period).
    - active_users: cohort users with a play in period N ("on day/week N");
    - active_users_on_or_after: cohort users with a play in period N or any later observed period
      ("unbounded" retention: can still grow while the window extends).
    A period is complete when it ended by the observed window end (newest play). Rows exist for every
    period that has begun; rates of incomplete periods are null (flagged, never shown as drops).
    Each rate carries its 95% Wilson interval (macros/intervals.sql) over the cohort's users.
-#}

with

user_days as (
    select
        user_id,
        active_on
    from {{ ref('int_user_days') }}
),

observed as (
    select max(started_at) as window_ends_at
    from {{ ref('viewing_events') }}
),

first_days as (
    select
        user_id,
        min(active_on) as first_active_on
    from user_days
    group by user_id
),

dated as (
    select
        user_days.user_id,
        user_days.active_on,
        first_days.first_active_on as first_on,
        cast({{ dbt.date_trunc('week', 'user_days.active_on') }} as date) as active_week,
        cast({{ dbt.date_trunc('week', 'first_days.first_active_on') }} as date) as first_week
    from user_days
    inner join first_days
        on user_days.user_id = first_days.user_id
),

activity as (
    select
        'day' as cohort_grain,
        user_id,
        first_on as cohort_started_on,
        {{ days_between('first_on', 'active_on') }} as period_number
    from dated
    union all
    select distinct
        'week' as cohort_grain,
        user_id,
        first_week as cohort_started_on,
        {{ days_between('first_week', 'active_week') }} / 7 as period_number
    from dated
),

user_spans as (
    select
        cohort_grain,
        cohort_started_on,
        user_id,
        max(period_number) as last_period_number
    from activity
    group by cohort_grain, cohort_started_on, user_id
),

cohorts as (
    select
        cohort_grain,
        cohort_started_on,
        count(*) as cohort_users
    from user_spans
    group by cohort_grain, cohort_started_on
),

day_span as (
    select {{ days_between('min(active_on)', 'max(active_on)') }} as n_days
    from user_days
),

period_series as (
    {{ integer_series('(select day_span.n_days from day_span)') }}
),

cohort_periods as (
    select
        cohorts.cohort_grain,
        cohorts.cohort_started_on,
        cohorts.cohort_users,
        period_series.n as period_number,
        case when cohorts.cohort_grain = 'day' then 1 else 7 end as period_days
    from cohorts
    cross join period_series
),

grid as (
    select cohort_periods.*
    from cohort_periods
    cross join observed
    where
        {{ dbt.dateadd('day', 'period_number * period_days', 'cohort_started_on') }}
        <= observed.window_ends_at
),

active as (
    select
        cohort_grain,
        cohort_started_on,
        period_number,
        count(*) as active_users
    from activity
    group by cohort_grain, cohort_started_on, period_number
),

last_active as (
    select
        cohort_grain,
        cohort_started_on,
        last_period_number,
        count(*) as n_users
    from user_spans
    group by cohort_grain, cohort_started_on, last_period_number
),

joined as (
    select
        grid.cohort_grain,
        grid.cohort_started_on,
        grid.period_number,
        grid.cohort_users,
        coalesce(active.active_users, 0) as active_users,
        coalesce(last_active.n_users, 0) as n_last_active,
        {{ dbt.dateadd(
            'day', '(grid.period_number + 1) * grid.period_days', 'grid.cohort_started_on'
        ) }} <= observed.window_ends_at as is_period_complete
    from grid
    cross join observed
    left join active
        on
            grid.cohort_grain = active.cohort_grain
            and grid.cohort_started_on = active.cohort_started_on
            and grid.period_number = active.period_number
    left join last_active
        on
            grid.cohort_grain = last_active.cohort_grain
            and grid.cohort_started_on = last_active.cohort_started_on
            and grid.period_number = last_active.last_period_number
),

cumulated as (
    select
        *,
        sum(n_last_active) over (
            partition by cohort_grain, cohort_started_on
            order by period_number desc
            rows between unbounded preceding and current row
        ) as active_users_on_or_after
    from joined
),

-- a period still in progress has no rate yet: its denominator is null
rated as (
    select
        *,
        case when is_period_complete then cohort_users end as complete_cohort_users
    from cumulated
),

final as (
    select
        cast(cohort_grain as {{ dbt.type_string() }}) as cohort_grain,
        cohort_started_on,
        cast(period_number as {{ dbt.type_int() }}) as period_number,
        cast(cohort_users as {{ dbt.type_bigint() }}) as cohort_users,
        cast(active_users as {{ dbt.type_bigint() }}) as active_users,
        cast(active_users_on_or_after as {{ dbt.type_bigint() }}) as active_users_on_or_after,
        is_period_complete,
        cast(
            cast(active_users as {{ type_double() }}) / complete_cohort_users as {{ type_double() }}
        ) as retention_rate,
        cast(
            cast(active_users_on_or_after as {{ type_double() }}) / complete_cohort_users
            as {{ type_double() }}
        ) as retention_rate_on_or_after,
        cast(
            {{ wilson_interval('active_users', 'complete_cohort_users', 'lower') }} as {{ type_double() }}
        ) as retention_rate_ci_lower,
        cast(
            {{ wilson_interval('active_users', 'complete_cohort_users', 'upper') }} as {{ type_double() }}
        ) as retention_rate_ci_upper,
        cast(
            {{ wilson_interval('active_users_on_or_after', 'complete_cohort_users', 'lower') }}
            as {{ type_double() }}
        ) as retention_rate_on_or_after_ci_lower,
        cast(
            {{ wilson_interval('active_users_on_or_after', 'complete_cohort_users', 'upper') }}
            as {{ type_double() }}
        ) as retention_rate_on_or_after_ci_upper
    from rated
)

select * from final
