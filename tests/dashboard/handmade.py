"""A small hand-made warehouse in the contract shapes (used until the real pipeline is wired in)."""

from __future__ import annotations

from pathlib import Path

import duckdb

CATALOG_SQL = r"""
create schema if not exists raw;
create schema if not exists marts;

create temp table catalogue as
with base as (
    select
        i,
        ['TV', 'MOVIE', 'OVA', 'ONA', 'SPECIAL', 'TV'][1 + i % 6] as anime_type,
        ['FINISHED', 'FINISHED', 'ONGOING', 'UPCOMING', 'UNKNOWN'][1 + i % 5] as status
    from range(60) t(i)
)
select
    case when i % 7 = 3 then 't-' || md5('x' || i)[:16] else 'mal-' || (1000 + i) end as anime_id,
    case when i in (10, 11, 12) then 'Duplicate Show' else 'Show ' || i end as title,
    anime_type,
    case when i % 11 = 0 then 0 else 1 + (i * 7) % 40 end as episodes,
    status,
    ['SPRING', 'SUMMER', 'FALL', 'WINTER'][1 + i % 4] as season,
    case when i % 13 = 0 then null else 1975 + i % 50 end as season_year,
    case when i % 9 = 0 then null else 1440 end as duration_seconds,
    case when i % 8 = 0 then null else 5.0 + (i % 40) / 10.0 end as score_mean,
    case when i % 8 = 0 then null else 5.0 + (i % 40) / 10.0 end as score_median,
    list_slice(['action', 'comedy', 'drama', 'romance', 'sci-fi', 'slice of life'], 1, i % 6)
        as tags,
    i % 6 as n_tags,
    1 + i % 3 as n_sources,
    i % 4 as n_synonyms,
    case when i % 7 = 3 then null else 1000 + i end as mal_id,
    case when i % 5 = 0 then null else 100000 - i * 1000 end as popularity_members,
    case when i % 5 = 0 then null else 6.0 + (i % 30) / 10.0 end as mal_rating,
    (episodes > 0 and duration_seconds is not null and i % 10 <> 7) as is_simulation_eligible,
    case
        when episodes = 0 then 'unknown episode count'
        when duration_seconds is null then 'missing duration'
        when i % 10 = 7 then 'not yet aired'
    end as simulation_exclusion_reason
from base;

create table marts.anime_master as
select * exclude (is_simulation_eligible, simulation_exclusion_reason) from catalogue;

create table marts.simulation_eligibility as
select anime_id, is_simulation_eligible, simulation_exclusion_reason from catalogue;

create table marts.anime_tags as
select anime_id, unnest(tags) as tag from marts.anime_master;

create table marts.episodes as
select
    anime_id,
    e as episode_number,
    coalesce(duration_seconds, 1440) as duration_seconds,
    e = 1 as is_first,
    e = episodes as is_last
from marts.anime_master, range(1, episodes + 1) r(e)
where episodes > 0;

create table raw.anime_catalog_rejects as
select * from (values
    (3, '{"title": null}', 'missing title', 'sample.json', timestamp '2024-01-01'),
    (17, '{"title": "X", "episodes": -2}', 'negative episode count', 'sample.json',
        timestamp '2024-01-01'),
    (42, '{"title": "Y", "type": "WEIRD"}', 'unknown type', 'sample.json', timestamp '2024-01-01'),
    (43, '{"title": "Z"}', 'missing title', 'sample.json', timestamp '2024-01-01')
) v(entry_index, entry_json, reason, source_file, loaded_at);
"""


FEATURES_SQL = r"""
create table marts.ml_features as
with titles as (
    select anime_id, episodes, row_number() over (order by anime_id) - 1 as k
    from marts.anime_master
    inner join marts.simulation_eligibility using (anime_id)
    where is_simulation_eligible and episodes >= 2
),
n as (select count(*) as n from titles),
plays as (
    select
        i as event_id,
        100 + i % 150 as user_id,
        (i * 7) % (select n from n) as k,
        timestamp '2024-03-01' + to_minutes(i * 17) as started_at,
        hash(i) % 1000 / 1000.0 as u
    from range(3000) t(i)
)
select
    p.event_id,
    p.user_id,
    t.anime_id,
    p.started_at,
    (p.u < 0.35 + 0.5 * ((p.event_id % (t.episodes - 1) + 1) > 2)::int) as continued_next_episode,
    p.event_id % (t.episodes - 1) + 1 as episode_number,
    t.episodes as episodes_total,
    (p.event_id % (t.episodes - 1) + 1) / t.episodes as series_fraction,
    false as is_last_episode,
    1440 as episode_duration_seconds,
    0.5 + p.u / 2 as completion,
    p.event_id // 150 as user_prior_plays,
    p.event_id // 600 as user_prior_titles,
    0.8 as user_prior_mean_completion,
    p.event_id // 200 as user_prior_resolved_labels,
    0.6 as user_prior_continuation_rate,
    10 + p.event_id % 30 as days_since_signup,
    1.5 as days_since_prev_play,
    p.event_id % 5 as user_title_prior_plays,
    p.event_id // 3 as title_prior_plays,
    p.event_id // 9 as title_prior_viewers,
    0.55 as title_prior_continuation_rate,
    7.5 as title_score_mean,
    50000 as title_popularity_members,
    1 + p.event_id % 4 as session_position,
    (p.event_id % 4) * 24.0 as session_minutes_so_far,
    hour(p.started_at) as hour_of_day,
    dayofweek(p.started_at) as day_of_week,
    90.0 as minutes_since_prev_play
from plays p
join titles t using (k);
"""

ENGAGEMENT_SQL = r"""
create temp table plays as
with titles as (
    select anime_id, episodes, row_number() over (order by anime_id) - 1 as k
    from marts.anime_master
    inner join marts.simulation_eligibility using (anime_id)
    where is_simulation_eligible and episodes >= 2
),
user_titles as (
    select
        u as user_id,
        j,
        (u * 3 + j * 5) % (select count(*) from titles) as k,
        (1 + hash(u * 31 + j) % 12)::bigint as depth,
        timestamp '2024-03-01' + to_hours(u * 5 + j * 50) as first_at
    from range(100, 220) a(u), range(3) b(j)
)
select
    row_number() over (order by ut.user_id, ut.j, e) as event_id,
    ut.user_id,
    t.anime_id,
    e as episode_number,
    ut.first_at + to_minutes(e * 26 + (e // 4) * 1440) as started_at,
    1200 + hash(ut.user_id + e) % 240 as watched_seconds,
    ut.user_id * 100 + ut.j * 10 + e // 4 as session_key
from user_titles ut
join titles t using (k),
    range(1, least(ut.depth, t.episodes::bigint) + 1) r(e);

create table marts.sessions as
select
    'sess-' || session_key as session_id,
    min(user_id) as user_id,
    min(started_at) as session_started_at,
    max(started_at) + interval 24 minute as session_ended_at,
    count(*)::integer as n_plays,
    count(*)::integer as n_episodes,
    count(distinct anime_id)::integer as n_titles,
    count(*)::integer as max_episodes_of_one_title,
    sum(watched_seconds) / 60.0 as watched_minutes,
    date_diff('second', min(started_at), max(started_at) + interval 24 minute) / 60.0
        as elapsed_minutes,
    avg(watched_seconds / 1440.0) as mean_completion,
    count(*) >= 3 as is_binge
from plays
group by session_key;

create table marts.engagement_by_hour as
with grid as (
    select h as hour_of_day, d as day_of_week from range(24) a(h), range(1, 8) b(d)
),
agg as (
    select hour(started_at) as hour_of_day, isodow(started_at) as day_of_week,
        count(*) as n_plays, count(distinct user_id) as n_users,
        sum(watched_seconds) as watched_seconds
    from plays group by all
)
select
    grid.hour_of_day::integer as hour_of_day,
    grid.day_of_week::integer as day_of_week,
    coalesce(n_plays, 0)::bigint as n_plays,
    coalesce(n_users, 0)::bigint as n_users,
    coalesce(watched_seconds, 0) / 60.0 as watched_minutes,
    coalesce(n_plays, 0) / sum(coalesce(n_plays, 0)) over () as share_of_plays
from grid left join agg using (hour_of_day, day_of_week);

create temp table user_titles as
select user_id, anime_id, max(episode_number) as deepest_episode,
    hash(user_id, anime_id) % 4 > 0 as has_dropped
from plays group by all;

create table marts.retention_by_episode as
with per_title as (
    select 'title' as scope, anime_id, e as episode_number,
        count(*) filter (where deepest_episode >= e) as at_risk,
        count(*) filter (where deepest_episode = e and has_dropped) as dropped,
        count(*) filter (where deepest_episode = e and not has_dropped) as censored
    from user_titles, range(1, 13) r(e)
    group by all
    having count(*) filter (where deepest_episode >= e) > 0
),
all_titles as (
    select 'all_titles' as scope, null::varchar as anime_id, episode_number,
        sum(at_risk) as at_risk, sum(dropped) as dropped, sum(censored) as censored
    from per_title group by episode_number
),
u as (select * from per_title union all select * from all_titles),
episode_plays as (
    select 'title' as scope, anime_id, episode_number, count(*) as plays,
        avg(watched_seconds / 1440.0) as mean_completion
    from plays group by all
    union all
    select 'all_titles', null, episode_number, count(*), avg(watched_seconds / 1440.0)
    from plays group by all
),
km as (
    select *,
        exp(sum(ln(greatest(1e-9, 1 - dropped / at_risk))) over w) as km_survival,
        sum(case when dropped < at_risk then dropped / (at_risk * (at_risk - dropped)) else 0 end)
            over w as gw,
        lead(at_risk) over (partition by scope, anime_id order by episode_number) as at_risk_next
    from u
    window w as (partition by scope, anime_id order by episode_number
                 rows between unbounded preceding and current row)
)
select
    scope, anime_id, episode_number::integer as episode_number,
    at_risk::bigint as viewers_played, at_risk::bigint as viewers_reached,
    coalesce(ep.plays, 0)::bigint as plays, ep.mean_completion,
    at_risk_next / at_risk as step_retention,
    0.9 * at_risk_next / at_risk as step_retention_ci_lower,  -- stand-ins (real: macros/intervals.sql)
    least(1.0, 1.1 * at_risk_next / at_risk) as step_retention_ci_upper,
    at_risk::bigint as at_risk,
    dropped::bigint as dropped, censored::bigint as censored, km_survival,
    greatest(0.0, km_survival - 1.96 * km_survival * sqrt(gw)) as km_ci_lower,
    least(1.0, km_survival + 1.96 * km_survival * sqrt(gw)) as km_ci_upper
from km
left join episode_plays as ep using (scope, anime_id, episode_number);

create table marts.binge_depth as
with obs as (
    select 'title' as scope, anime_id, 'session_episodes' as depth_measure, count(*) as depth
    from plays group by session_key, anime_id
    union all
    select 'all_titles', null, 'session_episodes', n_plays from marts.sessions
    union all
    select 'title', anime_id, 'deepest_episode', deepest_episode from user_titles
    union all
    select 'all_titles', null, 'deepest_episode', deepest_episode from user_titles
),
c as (select scope, anime_id, depth_measure, depth, count(*) as n from obs group by all)
select
    scope, anime_id, depth_measure, depth::integer as episode_depth, n::bigint as n_observations,
    n / sum(n) over (partition by scope, anime_id, depth_measure) as share_of_total,
    sum(n) over (partition by scope, anime_id, depth_measure order by depth desc)
        / sum(n) over (partition by scope, anime_id, depth_measure) as share_at_least
from c;

create table marts.user_lifecycle as
with weeks as (
    select user_id, date_trunc('week', started_at)::date as week_started_on,
        count(*) as n_plays, sum(watched_seconds) as watched_seconds
    from plays group by all
),
firsts as (select user_id, min(week_started_on) as first_week from weeks group by user_id),
last_week as (select max(week_started_on) as w from weeks),
grid as (
    select f.user_id, f.first_week, (f.first_week + to_weeks(n::integer))::date as week_started_on
    from firsts f, last_week, range(0, 20) r(n)
    where f.first_week + to_weeks(n::integer) <= last_week.w
),
filled as (
    select g.*, w.user_id is not null as is_active,
        coalesce(w.n_plays, 0) as n_plays, coalesce(w.watched_seconds, 0) as watched_seconds,
        lag(w.user_id is not null) over (partition by g.user_id order by g.week_started_on)
            as was_active
    from grid g left join weeks w using (user_id, week_started_on)
)
select
    user_id, week_started_on,
    (date_diff('day', first_week, week_started_on) // 7)::integer as weeks_since_first_play,
    case when week_started_on = first_week then 'new' when not is_active then 'dormant'
         when was_active then 'returning' else 'resurrecting' end as lifecycle_status,
    is_active, n_plays::bigint as n_plays, watched_seconds / 60.0 as watched_minutes,
    week_started_on + 7 <= (select max(started_at) from plays) as is_week_complete
from filled;

create table marts.cohort_retention as
with days as (select distinct user_id, started_at::date as active_on from plays),
firsts as (select user_id, min(active_on) as first_on from days group by user_id),
observed as (select max(started_at) as window_ends_at from plays),
activity as (
    select 'day' as cohort_grain, d.user_id, f.first_on as cohort_started_on,
        date_diff('day', f.first_on, d.active_on) as period_number
    from days d join firsts f using (user_id)
    union
    select 'week', d.user_id, date_trunc('week', f.first_on)::date,
        date_diff('day', date_trunc('week', f.first_on), date_trunc('week', d.active_on)) // 7
    from days d join firsts f using (user_id)
),
spans as (
    select cohort_grain, cohort_started_on, user_id, max(period_number) as last_period
    from activity group by all
),
cohorts as (
    select cohort_grain, cohort_started_on, count(*) as cohort_users from spans group by all
),
grid as (
    select c.*, n as period_number, case when cohort_grain = 'day' then 1 else 7 end as period_days
    from cohorts c, observed, range(0, 80) r(n)
    where c.cohort_started_on + to_days((n * case when cohort_grain = 'day' then 1 else 7 end)::integer)
        <= observed.window_ends_at
),
active as (
    select cohort_grain, cohort_started_on, period_number, count(*) as active_users
    from activity group by all
),
last_active as (
    select cohort_grain, cohort_started_on, last_period as period_number, count(*) as n_last
    from spans group by all
),
joined as (
    select g.cohort_grain, g.cohort_started_on, g.period_number, g.cohort_users,
        coalesce(a.active_users, 0) as active_users,
        sum(coalesce(l.n_last, 0)) over (partition by g.cohort_grain, g.cohort_started_on
            order by g.period_number desc) as active_users_on_or_after,
        g.cohort_started_on + to_days(((g.period_number + 1) * g.period_days)::integer)
            <= o.window_ends_at as is_period_complete
    from grid g cross join observed o
    left join active a using (cohort_grain, cohort_started_on, period_number)
    left join last_active l using (cohort_grain, cohort_started_on, period_number)
)
select
    cohort_grain, cohort_started_on, period_number::integer as period_number,
    cohort_users::bigint as cohort_users, active_users::bigint as active_users,
    active_users_on_or_after::bigint as active_users_on_or_after, is_period_complete,
    case when is_period_complete then active_users / cohort_users end as retention_rate,
    case when is_period_complete then active_users_on_or_after / cohort_users end
        as retention_rate_on_or_after,
    -- stand-in intervals (the real ones: macros/intervals.sql), the shape is what matters here
    case when is_period_complete then 0.9 * active_users / cohort_users end as retention_rate_ci_lower,
    case when is_period_complete then least(1.0, 1.1 * active_users / cohort_users) end
        as retention_rate_ci_upper,
    case when is_period_complete then 0.9 * active_users_on_or_after / cohort_users end
        as retention_rate_on_or_after_ci_lower,
    case when is_period_complete then least(1.0, 1.1 * active_users_on_or_after / cohort_users) end
        as retention_rate_on_or_after_ci_upper
from joined;

create table marts.cohort_survival as
with days as (select distinct user_id, started_at::date as active_on from plays),
lives as (
    select user_id, min(active_on) as first_on, date_diff('day', min(active_on), max(active_on)) as lifetime,
        date_diff('day', max(active_on), (select max(started_at)::date from plays)) >= 14 as has_left
    from days group by user_id
),
cohorted as (
    select 'day' as cohort_grain, first_on as cohort_started_on, * from lives
    union all
    select 'week', date_trunc('week', first_on)::date, * from lives
),
steps as (
    select cohort_grain, cohort_started_on, d as day_number, lifetime, has_left
    from cohorted, range(0, 80) r(d)
    where lifetime >= d
),
counted as (
    select cohort_grain, cohort_started_on, day_number, count(*) as at_risk,
        count(*) filter (where lifetime = day_number and has_left) as users_left,
        count(*) filter (where lifetime = day_number and not has_left) as censored
    from steps group by all
),
km as (
    select *,
        max(at_risk) over (partition by cohort_grain, cohort_started_on) as cohort_users,  -- day 0's
        exp(sum(ln(greatest(1e-9, 1 - users_left / at_risk))) over (
            partition by cohort_grain, cohort_started_on order by day_number
        )) as km_survival
    from counted
)
select
    cohort_grain, cohort_started_on, day_number::integer as day_number, cohort_users::bigint as cohort_users,
    at_risk::bigint as at_risk, users_left::bigint as users_left, censored::bigint as censored, km_survival,
    0.9 * km_survival as km_ci_lower,  -- stand-ins (real: macros/kaplan_meier.sql)
    least(1.0, 1.1 * km_survival) as km_ci_upper
from km;

create table marts.title_funnel as
with r as (
    select r.*, e.episodes_total,
        first_value(viewers_reached) over w as viewers_started,
        coalesce(lag(km_survival) over w, 1.0) as survival_before,
        max(case when episode_number = e.episodes_total - 1 then km_survival end)
            over (partition by anime_id) as survival_to_last,
        (lag(step_retention) over w + lead(step_retention) over w) / 2 as neighbour_step_retention
    from marts.retention_by_episode r
    join (select anime_id, max(episode_number) as episodes_total from marts.episodes group by all
          having max(episode_number) >= 2) e using (anime_id)
    where r.scope = 'title' and r.episode_number <= e.episodes_total
    window w as (partition by anime_id order by episode_number)
),
f as (
    select *,
        case when episode_number < episodes_total and survival_before > 0
             then least(1.0, coalesce(survival_to_last, 0.0) / survival_before) end
            as finish_probability
    from r
)
select
    anime_id, episode_number, episodes_total::integer as episodes_total, viewers_reached,
    viewers_reached / viewers_started as reach_share,
    step_retention, step_retention_ci_lower, step_retention_ci_upper, finish_probability,
    coalesce(episode_number = min(case when finish_probability >= 0.7 then episode_number end)
        over (partition by anime_id), false) as is_hook_episode,
    coalesce(step_retention_ci_upper < neighbour_step_retention, false) as is_drop_off_hot_spot,
    neighbour_step_retention
from f;

create table marts.title_completion as
with finishes as (
    select p.anime_id, p.user_id, min(p.started_at) as first_played_at,
        min(p.started_at) filter (where p.episode_number = t.episodes_total) as first_finished_at
    from plays p
    join (select anime_id, max(episodes_total) as episodes_total from marts.title_funnel
          group by all) t using (anime_id)
    group by all
),
per_title as (
    select anime_id, count(*) as viewers, count(first_finished_at) as finishers,
        median(date_diff('second', first_played_at, first_finished_at) / 86400.0)
            as median_days_to_finish
    from finishes group by anime_id
),
funnels as (
    select anime_id, max(episodes_total) as episodes_total,
        max(case when is_hook_episode then episode_number end) as hook_episode_number,
        count(*) filter (where is_drop_off_hot_spot) as drop_off_hot_spots
    from marts.title_funnel group by anime_id
)
select
    anime_id, episodes_total::integer as episodes_total, viewers::bigint as viewers,
    finishers::bigint as finishers, hook_episode_number::integer as hook_episode_number,
    drop_off_hot_spots::integer as drop_off_hot_spots, median_days_to_finish
from funnels join per_title using (anime_id);

create table marts.daily_active_users as
with days as (select distinct user_id, started_at::date as active_on from plays),
calendar as (
    select unnest(range(min(active_on), max(active_on) + 1, interval 1 day))::date as active_on
    from days
),
counted as (
    select c.active_on,
        count(distinct d.user_id) filter (where d.active_on = c.active_on) as dau,
        count(distinct d.user_id) filter (where d.active_on > c.active_on - 7) as wau,
        count(distinct d.user_id) as mau
    from calendar c
    left join days d on d.active_on <= c.active_on and d.active_on > c.active_on - 30
    group by c.active_on
)
select
    active_on, dau::bigint as daily_active_users, wau::bigint as weekly_active_users,
    mau::bigint as monthly_active_users, dau / nullif(mau, 0) as dau_over_mau,
    active_on >= (select min(active_on) from calendar) + 29 as is_mau_complete
from counted;

create table marts.active_days_distribution as
with days as (select distinct user_id, started_at::date as active_on from plays),
periods as (
    select 'week' as period_grain, user_id, date_trunc('week', active_on) as started_on from days
    union all
    select 'month', user_id, date_trunc('month', active_on) from days
),
counted as (
    select period_grain, user_id, started_on, count(*) as active_days from periods group by all
)
select
    period_grain, active_days::integer as active_days, count(*)::bigint as user_periods,
    count(*) / sum(count(*)) over (partition by period_grain) as share_of_user_periods
from counted  -- stand-in: partial periods at the log's ends are kept
group by period_grain, active_days;
"""

ML_SQL = r"""
create schema if not exists ml;

create table ml.model_runs as
select
    run_id, trained_at, '/tmp/wh' as warehouse_path, '/tmp/model.pkl' as model_path,
    'abc' as model_sha256, ['episode_number', 'completion'] as features, 24 as n_features,
    2000::bigint as train_rows, 1000::bigint as validation_rows, 0.6 as train_positive_rate,
    0.62 as validation_positive_rate, timestamp '2024-03-01' as train_start_at,
    timestamp '2024-03-24' as train_end_at, timestamp '2024-03-24' as validation_start_at,
    timestamp '2024-04-05' as validation_end_at, 0.5 as decision_threshold, 120 as gbm_n_iter,
    true as has_oracle, 1000::bigint as oracle_rows, roc_auc, 0.18 as brier,
    0.61 as baseline_episode_roc_auc, 0.66 as baseline_episode_brier,
    0.68 as baseline_logreg_roc_auc, 0.2 as baseline_logreg_brier, 0.78 as oracle_roc_auc,
    0.16 as oracle_brier, 0.78 - roc_auc as auc_gap, 0.011 as auc_gap_se,
    4.2 as brier_gap_pct, '1.9.1' as sklearn_version, 3.5 as training_seconds,
    timestamp '2024-03-01' + to_minutes(2000 * 17) as split_cutoff_at
from (values
    ('run-old', timestamp '2024-04-06 10:00', 0.71),
    ('run-new', timestamp '2024-04-07 10:00', 0.742)
) v(run_id, trained_at, roc_auc);

create table ml.model_metrics as
select r.run_id, m.model, x.metric,
    x.base + m.shift + case when r.run_id = 'run-new' then 0.01 else 0 end as value
from ml.model_runs r,
    (values ('gbm', 0.05), ('baseline_episode', -0.05), ('baseline_logreg', 0.0),
            ('oracle', 0.09)) m(model, shift),
    (values ('roc_auc', 0.69), ('pr_auc', 0.72), ('accuracy', 0.66), ('precision', 0.7),
            ('recall', 0.8), ('f1', 0.74), ('brier', 0.2), ('log_loss', 0.6),
            ('n_rows', 1000), ('positive_rate', 0.62), ('mean_score', 0.61)) x(metric, base);

create table ml.roc_curve as
select r.run_id, m.model, p as point_index, p / 20.0 as fpr,
    least(1.0, pow(p / 20.0, m.power)) as tpr, 1 - p / 20.0 as threshold
from ml.model_runs r,
    (values ('gbm', 0.45), ('baseline_episode', 0.75), ('baseline_logreg', 0.6),
            ('oracle', 0.35)) m(model, power),
    range(21) t(p);

create table ml.threshold_curve as
select r.run_id, m.model, t / 20.0 as threshold,
    0.6 + 0.35 * t / 20.0 as precision, 1 - pow(t / 20.0, 1.5) as recall,
    2 * (0.6 + 0.35 * t / 20.0) * (1 - pow(t / 20.0, 1.5))
        / nullif(0.6 + 0.35 * t / 20.0 + 1 - pow(t / 20.0, 1.5), 0) as f1,
    0.7 as accuracy, 1 - t / 20.0 as predicted_positive_rate
from ml.model_runs r,
    (values ('gbm'), ('baseline_episode'), ('baseline_logreg')) m(model),
    range(21) x(t);

create table ml.calibration as
select r.run_id, m.model, b as bin_index, b / 10.0 as bin_lower, (b + 1) / 10.0 as bin_upper,
    (b + 0.5) / 10.0 as mean_predicted, least(1.0, (b + 0.5) / 10.0 * m.slope) as observed_rate,
    (100 + b * 10)::bigint as n_rows
from ml.model_runs r,
    (values ('gbm', 1.0), ('baseline_episode', 0.9), ('baseline_logreg', 1.1),
            ('oracle', 1.0)) m(model, slope),
    range(10) t(b);

create table ml.feature_importance as
select r.run_id, 'gbm' as model, f.feature, f.imp as importance_mean, f.imp / 5 as importance_std,
    row_number() over (partition by r.run_id order by f.imp desc)::integer as importance_rank,
    1000::bigint as n_rows, 5 as n_repeats
from ml.model_runs r,
    (values ('episode_number', 0.06), ('completion', 0.05), ('user_prior_continuation_rate', 0.04),
            ('series_fraction', 0.02), ('hour_of_day', 0.004)) f(feature, imp);

create table ml.metrics_by_bucket as
select r.run_id, m.model, b.episode_bucket, 300::bigint as n_rows, 0.6 as positive_rate,
    0.6 as mean_score, b.auc + m.shift as roc_auc, 0.7 as pr_auc, 0.66 as accuracy,
    0.7 as precision, 0.8 as recall, 0.74 as f1, 0.2 as brier, 0.6 as log_loss
from ml.model_runs r,
    (values ('gbm', 0.05), ('baseline_episode', -0.05), ('baseline_logreg', 0.0),
            ('oracle', 0.09)) m(model, shift),
    (values ('1-3', 0.64), ('4-8', 0.66), ('9+', 0.7)) b(episode_bucket, auc);

create table ml.predictions as
select
    'run-new' as run_id, f.event_id, f.user_id, f.anime_id, f.started_at, f.episode_number,
    case when f.episode_number <= 3 then '1-3' when f.episode_number <= 8 then '4-8' else '9+' end
        as episode_bucket,
    least(0.99, greatest(0.01,
        0.3 + 0.4 * f.continued_next_episode::int + (hash(f.event_id * 3) % 100) / 400.0))
        as score,
    f.continued_next_episode as label,
    false as is_predicted_positive,
    0.6 as baseline_episode_score,
    0.55 as baseline_logreg_score
from marts.ml_features f
where f.started_at >= (select split_cutoff_at from ml.model_runs where run_id = 'run-new');
update ml.predictions set is_predicted_positive = score >= 0.5;

create table marts.model_predictions as
select
    p.*,
    case when p.started_at < r.split_cutoff_at then 'train' else 'validation' end as split,
    f.completion, f.series_fraction, f.session_position, f.user_prior_plays,
    f.user_prior_continuation_rate, f.title_prior_continuation_rate, f.days_since_prev_play,
    f.hour_of_day, f.event_id is not null as has_features, p.is_predicted_positive = p.label as is_correct
from ml.predictions p
left join ml.model_runs r using (run_id)
left join marts.ml_features f using (event_id);
"""


def build(path: Path, *, with_engagement: bool = True, with_ml: bool = True) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute(CATALOG_SQL)
        if with_engagement:
            con.execute(ENGAGEMENT_SQL)
            con.execute(FEATURES_SQL)
        if with_engagement and with_ml:
            con.execute(ML_SQL)
    finally:
        con.close()
    return path
