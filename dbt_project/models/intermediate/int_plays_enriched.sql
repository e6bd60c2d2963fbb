{{ config(materialized='view') }}

-- One row per play with the catalogue context and completion (watched / duration, capped at 1).
with

plays as (
    select * from {{ ref('stg_events__viewing_events') }}
),

episodes as (
    select * from {{ ref('episodes') }}
),

anime as (
    select * from {{ ref('anime_master') }}
),

joined as (
    select
        plays.event_id,
        plays.user_id,
        plays.anime_id,
        plays.episode_number,
        plays.started_at,
        plays.watched_seconds,
        coalesce(plays.episode_duration_seconds, episodes.duration_seconds, anime.duration_seconds)
            as episode_duration_seconds,
        plays.device,
        anime.episodes as episodes_total,
        anime.score_mean as title_score_mean,
        anime.popularity_members as title_popularity_members,
        -- the title's last episode has no "next episode" to continue to
        coalesce(episodes.is_last, plays.episode_number >= anime.episodes, false) as is_last_episode
    from plays
    left join episodes
        on
            plays.anime_id = episodes.anime_id
            and plays.episode_number = episodes.episode_number
    left join anime
        on plays.anime_id = anime.anime_id
),

final as (
    select
        event_id,
        user_id,
        anime_id,
        episode_number,
        started_at,
        {{ timestamp_add('second', 'watched_seconds', 'started_at') }} as ended_at,
        watched_seconds,
        episode_duration_seconds,
        cast(
            least(
                1.0,
                cast(watched_seconds as {{ type_double() }}) / nullif(episode_duration_seconds, 0)
            ) as {{ type_double() }}
        ) as completion,  -- noqa: RF04
        device,
        episodes_total,
        title_score_mean,
        title_popularity_members,
        is_last_episode
    from joined
)

select * from final
