-- User-title progress: one row per user and title, with the survival status used by Kaplan-Meier.
{%- set horizon_days = var('continuation_horizon_days') %}

with

plays as (
    select * from {{ ref('viewing_events') }}
),

observed as (
    select max(started_at) as window_ends_at
    from plays
),

aggregated as (
    select
        user_id,
        anime_id,
        min(started_at) as first_played_at,
        max(started_at) as last_played_at,
        count(*) as n_plays,
        max(episode_number) as deepest_episode,
        max(episodes_total) as episodes_total,
        max(case when is_last_episode then 1 else 0 end) as has_played_last_episode,
        min(case when is_last_episode then started_at end) as first_finished_at
    from plays
    group by user_id, anime_id
),

final as (
    select
        aggregated.user_id,
        aggregated.anime_id,
        aggregated.first_played_at,
        aggregated.last_played_at,
        cast(aggregated.n_plays as {{ dbt.type_int() }}) as n_plays,
        aggregated.deepest_episode,
        aggregated.episodes_total,
        aggregated.has_played_last_episode = 1 as has_completed_series,
        aggregated.first_finished_at,
        -- still watching: the newest play's horizon runs past the window end, so a stop is not yet known
        {{ timestamp_add('day', horizon_days, 'aggregated.last_played_at') }} > observed.window_ends_at
            as is_active_at_window_end,
        aggregated.has_played_last_episode = 0
        and {{ timestamp_add('day', horizon_days, 'aggregated.last_played_at') }} <= observed.window_ends_at
            as has_dropped
    from aggregated
    cross join observed
)

select * from final
