{{ config(
    materialized='incremental',
    unique_key='event_id',
    partition_by=day_partition('started_on'),
) }}

{#-
    Each play's place in its user's history of the title (plays ordered by start, then event_id):
    - how many plays of the title the user started strictly before it, and whether it is the
      user's first play of the title and of the episode;
    - its view (docs/real-logs.md): a play resumes the view of the user's previous play of the
      title when it is the same episode, starts after that play ended and within
      `resume_within_hours` of it, and that play stopped short (completion below
      `view_complete_fraction`); a view's completion adds up its pieces, capped at 1. A view of an
      episode the user played before is a rewatch.
    Everything here is known at the end of the play: the pieces of a view end before the next one
    starts.

    The ranks run over the whole history of every (user, title) pair the rebuilt days play
    (see rebuild_from): a window partitioned by the pair sees whole partitions, so leaving the other
    pairs out changes no rank.
-#}

{%- set window_starts_at = rebuild_from('started_at', ref('int_plays_sessionised')) %}
{%- set resume_seconds = var('resume_within_hours') * 3600 %}

with

plays as (
    select
        event_id,
        user_id,
        anime_id,
        episode_number,
        started_at,
        ended_at,
        watched_seconds,
        episode_duration_seconds,
        completion
    from {{ ref('int_plays_sessionised') }}
),

rebuilt_pairs as (
    select distinct
        user_id,
        anime_id
    from plays
    where started_at >= {{ window_starts_at }}
),

pair_plays as (
    select plays.*
    from plays
    inner join rebuilt_pairs
        on
            plays.user_id = rebuilt_pairs.user_id
            and plays.anime_id = rebuilt_pairs.anime_id
),

ranked as (
    select
        *,
        -- rank() counts the rows ordered strictly before: simultaneous plays do not see each other
        rank() over (
            partition by user_id, anime_id
            order by started_at
        ) - 1 as user_title_prior_plays,
        row_number() over by_pair = 1 as is_first_title_play,
        row_number() over by_episode = 1 as is_first_episode_play,
        first_value(event_id) over by_episode as first_episode_event_id,
        lag(episode_number) over by_pair as prev_episode_number,
        lag(ended_at) over by_pair as prev_ended_at,
        lag(completion) over by_pair as prev_completion
    from pair_plays
    window
        by_pair as (partition by user_id, anime_id order by started_at, event_id),
        by_episode as (partition by user_id, anime_id, episode_number order by started_at, event_id)
),

resumed as (
    select
        *,
        coalesce(
            prev_episode_number = episode_number
            and prev_completion < {{ var('view_complete_fraction') }}
            and started_at >= prev_ended_at
            and started_at <= {{ timestamp_add('second', resume_seconds, 'prev_ended_at') }},
            false
        ) as is_resumed
    from ranked
),

-- a view is identified by the event_id of its first piece
in_view as (
    select
        *,
        {{ last_non_null('case when not is_resumed then event_id end', 'so_far') }} as view_id
    from resumed
    window so_far as (
        partition by user_id, anime_id
        order by started_at, event_id
        rows between unbounded preceding and current row
    )
),

view_progress as (
    select
        *,
        sum(coalesce(watched_seconds, 0)) over view_so_far as view_watched_seconds
    from in_view
    window view_so_far as (
        partition by view_id
        order by started_at, event_id
        rows between unbounded preceding and current row
    )
),

final as (
    select
        event_id,
        started_at,
        cast(user_title_prior_plays as {{ dbt.type_bigint() }}) as user_title_prior_plays,
        is_first_title_play,
        is_first_episode_play,
        cast(view_id as {{ dbt.type_bigint() }}) as view_id,
        is_resumed,
        not is_resumed and not is_first_episode_play as is_rewatch,
        view_id = first_episode_event_id as is_first_view,
        cast(view_watched_seconds as {{ dbt.type_bigint() }}) as view_watched_seconds,
        cast(
            least(
                1.0,
                cast(view_watched_seconds as {{ type_double() }}) / nullif(episode_duration_seconds, 0)
            ) as {{ type_double() }}
        ) as view_completion,
        -- what this piece added to its view's completion (the user history sums these)
        cast(
            least(
                1.0,
                cast(view_watched_seconds as {{ type_double() }}) / nullif(episode_duration_seconds, 0)
            )
            - least(
                1.0,
                cast(view_watched_seconds - coalesce(watched_seconds, 0) as {{ type_double() }})
                / nullif(episode_duration_seconds, 0)
            ) as {{ type_double() }}
        ) as view_completion_gain,
        -- the day partition a Spark build overwrites (incremental contract)
        cast(started_at as date) as started_on
    from view_progress
    where started_at >= {{ window_starts_at }}
)

select * from final
-- time order: the next build's window then reads only the newest row groups
order by started_at, event_id
