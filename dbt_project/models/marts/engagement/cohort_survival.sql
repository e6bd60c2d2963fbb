{#-
    Kaplan-Meier survival of users by cohort (the cohort grains of cohort_retention), over days
    since each user's own first play: the censoring-correct answer to "how long do users stay?".

    A user's lifetime is the days from their first to their last play. It is observed (the user
    has left) when the window's last day is at least churn_quiet_days after that last play;
    otherwise the user may still come back, and is censored at their last play (known to stay at
    least that long). "Active in day N" tables read such users as lost as soon as their latest
    days fall past the window end; here they only leave the risk set.
        at_risk(t) = cohort users whose lifetime is t days or longer (left or censored at t or later),
        left(t) = those observed to leave after day t, censored(t) = those censored at t,
        km_survival(t) = prod_{j<=t} (1 - left(j) / at_risk(j)): the probability of playing again
        later than t days after the first play, with its Greenwood 95% band (macros/kaplan_meier.sql).
-#}

with

user_days as (
    select
        user_id,
        active_on
    from {{ ref('int_user_days') }}
),

observed as (
    select cast({{ dbt.date_trunc('day', 'max(started_at)') }} as date) as last_observed_on
    from {{ ref('viewing_events') }}
),

spans as (
    select
        user_id,
        min(active_on) as first_active_on,
        max(active_on) as last_active_on
    from user_days
    group by user_id
),

lifetimes as (
    select
        spans.first_active_on,
        cast({{ dbt.date_trunc('week', 'spans.first_active_on') }} as date) as first_week,
        {{ days_between('spans.first_active_on', 'spans.last_active_on') }} as lifetime_days,
        {{ days_between('spans.last_active_on', 'observed.last_observed_on') }}
        >= {{ var('churn_quiet_days') }} as has_left
    from spans
    cross join observed
),

cohort_lifetimes as (
    select
        'day' as cohort_grain,
        first_active_on as cohort_started_on,
        lifetime_days,
        has_left
    from lifetimes
    union all
    select
        'week' as cohort_grain,
        first_week as cohort_started_on,
        lifetime_days,
        has_left
    from lifetimes
),

endings as (
    select
        cohort_grain,
        cohort_started_on,
        lifetime_days as day_number,
        count(*) as n_ending,
        sum(case when has_left then 1 else 0 end) as n_left,
        sum(case when has_left then 0 else 1 end) as n_censored
    from cohort_lifetimes
    group by cohort_grain, cohort_started_on, lifetime_days
),

cohorts as (
    select
        cohort_grain,
        cohort_started_on,
        sum(n_ending) as cohort_users,
        max(day_number) as last_day_number
    from endings
    group by cohort_grain, cohort_started_on
),

day_series as (
    {{ integer_series('(select max(cohorts.last_day_number) from cohorts)') }}
),

grid as (
    select
        cohorts.cohort_grain,
        cohorts.cohort_started_on,
        cohorts.cohort_users,
        day_series.n as day_number
    from cohorts
    inner join day_series
        on cohorts.last_day_number >= day_series.n
),

counted as (
    select
        grid.*,
        coalesce(endings.n_ending, 0) as n_ending,
        coalesce(endings.n_left, 0) as n_left,
        coalesce(endings.n_censored, 0) as n_censored
    from grid
    left join endings
        on
            grid.cohort_grain = endings.cohort_grain
            and grid.cohort_started_on = endings.cohort_started_on
            and grid.day_number = endings.day_number
),

risk_sets as (
    select
        *,
        sum(n_ending) over (
            partition by cohort_grain, cohort_started_on
            order by day_number desc
            rows between unbounded preceding and current row
        ) as n_at_risk
    from counted
),

{{ kaplan_meier('risk_sets', 'n_at_risk', 'n_left', 'cohort_grain, cohort_started_on', 'day_number') }},

final as (
    select
        cast(cohort_grain as {{ dbt.type_string() }}) as cohort_grain,
        cohort_started_on,
        cast(day_number as {{ dbt.type_int() }}) as day_number,
        cast(cohort_users as {{ dbt.type_bigint() }}) as cohort_users,
        cast(n_at_risk as {{ dbt.type_bigint() }}) as at_risk,
        cast(n_left as {{ dbt.type_bigint() }}) as users_left,
        cast(n_censored as {{ dbt.type_bigint() }}) as censored,
        cast(km_survival as {{ type_double() }}) as km_survival,
        cast({{ km_band('lower') }} as {{ type_double() }}) as km_ci_lower,
        cast({{ km_band('upper') }} as {{ type_double() }}) as km_ci_upper
    from kaplan_meier
)

select * from final
