{#-
    One row per viewing session (see int_plays_sessionised for the idle-gap rule). A session is a
    binge when it holds at least 3 episodes of one title (a resumed piece or a second view of an
    episode in the same session is not another episode). Rebuilt whole on every build: an aggregate of
    viewing_events, like the other engagement marts (a late play can change a session's first play,
    and with it the session's id, so its rows are not final by day).
-#}

with

plays as (
    select * from {{ ref('viewing_events') }}
),

session_episodes as (
    select distinct
        session_id,
        anime_id,
        episode_number
    from plays
),

per_title as (
    select
        session_id,
        anime_id,
        count(*) as n_episodes
    from session_episodes
    group by session_id, anime_id
),

title_streaks as (
    select
        session_id,
        sum(n_episodes) as n_episodes,
        max(n_episodes) as max_episodes_of_one_title
    from per_title
    group by session_id
),

aggregated as (
    select
        session_id,
        min(user_id) as user_id,
        min(session_started_at) as session_started_at,
        max(ended_at) as session_ended_at,
        count(*) as n_plays,
        count(distinct anime_id) as n_titles,
        sum(watched_seconds) as watched_seconds,
        avg(completion) as mean_completion
    from plays
    group by session_id
),

final as (
    select
        aggregated.session_id,
        aggregated.user_id,
        aggregated.session_started_at,
        aggregated.session_ended_at,
        cast(aggregated.n_plays as {{ dbt.type_int() }}) as n_plays,
        cast(title_streaks.n_episodes as {{ dbt.type_int() }}) as n_episodes,
        cast(aggregated.n_titles as {{ dbt.type_int() }}) as n_titles,
        cast(title_streaks.max_episodes_of_one_title as {{ dbt.type_int() }}) as max_episodes_of_one_title,
        cast(aggregated.watched_seconds as {{ type_double() }}) / 60.0 as watched_minutes,
        cast(
            {{ seconds_between('aggregated.session_started_at', 'aggregated.session_ended_at') }} / 60.0
            as {{ type_double() }}
        ) as elapsed_minutes,
        cast(aggregated.mean_completion as {{ type_double() }}) as mean_completion,
        title_streaks.max_episodes_of_one_title >= 3 as is_binge
    from aggregated
    inner join title_streaks
        on aggregated.session_id = title_streaks.session_id
)

select * from final
