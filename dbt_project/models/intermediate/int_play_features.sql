{{ config(
    materialized='incremental',
    unique_key='event_id',
    partition_by=day_partition('started_on'),
) }}

{#-
    Point-in-time features of every play, as known at the end of that play. Each feature is read
    from the one model that defines what it counts:
    - the user's and the title's history at the play's start: int_user_history and
      int_title_history (plays strictly before the start; labels resolved by the start);
    - the user's history of this title: int_play_firsts;
    - session context (known when the play ends): int_plays_sessionised;
    - the completion of the play's view so far (its resumed pieces added): int_play_firsts;
    - the trailing 7-day activity: the user's plays in the 7 days up to the start, below.
    docs/features.md says how to add one.

    Incremental (see rebuild_from): the plays of the rebuilt days are built again; the trailing
    activity reads 7 days before them.
-#}

{%- set window_starts_at = rebuild_from('started_at', ref('int_plays_sessionised')) %}

with

plays as (
    select * from {{ ref('int_plays_sessionised') }}
    where started_at >= {{ window_starts_at }}
),

firsts as (
    select * from {{ ref('int_play_firsts') }}
    where started_at >= {{ window_starts_at }}
),

user_history as (
    select * from {{ ref('int_user_history') }}
    where happened_at >= {{ window_starts_at }}
),

title_history as (
    select * from {{ ref('int_title_history') }}
    where happened_at >= {{ window_starts_at }}
),

users as (
    select * from {{ ref('stg_events__users') }}
),

-- the user's other plays started in the 7 days up to each start (simultaneous ones included)
trailing_activity as (
    select
        event_id,
        (count(*) over ({{ trailing_days_window('user_id', 'started_at', 7) }})) - 1 as trailing_7d_plays
    from {{ ref('int_plays_sessionised') }}
    where started_at >= {{ timestamp_add('day', -7, window_starts_at) }}
),

final as (
    select
        plays.event_id,
        plays.user_id,
        plays.anime_id,
        plays.started_at,
        plays.ended_at,
        plays.episode_number,
        plays.episodes_total,
        cast(
            cast(plays.episode_number as {{ type_double() }}) / nullif(plays.episodes_total, 0)
            as {{ type_double() }}
        ) as series_fraction,
        plays.is_last_episode,
        plays.episode_duration_seconds,
        -- the view's completion through this play: a resumed play adds to its first piece's
        firsts.view_completion as completion,  -- noqa: RF04
        firsts.is_first_episode_play,
        firsts.is_first_title_play,
        user_history.prior_plays as user_prior_plays,
        user_history.prior_titles as user_prior_titles,
        cast(user_history.prior_completion / nullif(user_history.prior_views, 0) as {{ type_double() }})
            as user_prior_mean_completion,
        user_history.resolved_labels as user_prior_resolved_labels,
        cast(
            cast(user_history.continued_labels as {{ type_double() }})
            / nullif(user_history.resolved_labels, 0)
            as {{ type_double() }}
        ) as user_prior_continuation_rate,
        cast({{ seconds_between('users.signed_up_at', 'plays.started_at') }} / 86400.0 as {{ type_double() }})
            as days_since_signup,
        cast(
            {{ seconds_between('plays.prev_started_at', 'plays.started_at') }} / 86400.0
            as {{ type_double() }}
        ) as days_since_prev_play,
        firsts.user_title_prior_plays,
        title_history.prior_plays as title_prior_plays,
        title_history.prior_viewers as title_prior_viewers,
        title_history.resolved_labels as title_prior_resolved_labels,
        cast(
            cast(title_history.continued_labels as {{ type_double() }})
            / nullif(title_history.resolved_labels, 0)
            as {{ type_double() }}
        ) as title_prior_continuation_rate,
        plays.title_score_mean,
        plays.title_popularity_members,
        plays.session_position,
        cast(cast(plays.session_watched_seconds as {{ type_double() }}) / 60.0 as {{ type_double() }})
            as session_minutes_so_far,
        cast({{ hour_of_day('plays.started_at') }} as {{ dbt.type_int() }}) as hour_of_day,
        cast({{ iso_day_of_week('plays.started_at') }} as {{ dbt.type_int() }}) as day_of_week,
        cast({{ seconds_between('plays.prev_ended_at', 'plays.started_at') }} / 60.0 as {{ type_double() }})
            as minutes_since_prev_play,
        cast(trailing_activity.trailing_7d_plays as {{ dbt.type_bigint() }}) as trailing_7d_plays,
        case
            when user_history.prior_plays = 0 then 'new'
            when trailing_activity.trailing_7d_plays = 0 then 'lapsed'
            when trailing_activity.trailing_7d_plays < 5 then 'light'
            when trailing_activity.trailing_7d_plays < 15 then 'regular'
            else 'heavy'
        end as engagement_tier,
        -- the day partition a Spark build overwrites (incremental contract)
        cast(plays.started_at as date) as started_on
    from plays
    inner join firsts
        on plays.event_id = firsts.event_id
    inner join user_history
        on
            plays.user_id = user_history.user_id
            and plays.started_at = user_history.happened_at
    inner join title_history
        on
            plays.anime_id = title_history.anime_id
            and plays.started_at = title_history.happened_at
    inner join trailing_activity
        on plays.event_id = trailing_activity.event_id
    left join users
        on plays.user_id = users.user_id
)

select * from final
-- time order: the next build's window then reads only the newest row groups
order by started_at, event_id
