{{ config(
    materialized='incremental',
    unique_key='event_id',
    partition_by=day_partition('started_on'),
) }}

{#-
    Sessionisation: a user's plays belong to one session until the idle gap before a play exceeds
    `session_idle_minutes` (30). The gap is measured from the latest end of all the user's earlier
    plays, not only the previous one's: a play that overlaps a longer one (two devices at once)
    never splits a session. Plays are ordered by (started_at, event_id).

    Two passes over each user's plays in that order: the first reads the previous play and numbers
    the plays with their running watched seconds, the second carries the newest session anchor
    forward (its id and start, and the play number and seconds before its first play), so session
    positions and session seconds are differences of running figures. Both run on the few columns
    they need; the other play columns are joined back by event_id. A play without watched seconds
    counts 0 in the running seconds, so every anchor is complete.

    Incremental (see rebuild_from): the plays of the rebuilt days are sessionised again. Each
    user's last earlier play is carried in from the existing table, so a session that spans the
    window's start keeps its id, positions, running minutes and latest end.
-#}
{%- set idle_seconds = var('session_idle_minutes') * 60 -%}
{%- set play_columns = [
    'event_id', 'user_id', 'anime_id', 'episode_number', 'started_at', 'ended_at', 'watched_seconds',
    'episode_duration_seconds', 'completion', 'device', 'episodes_total', 'title_score_mean',
    'title_popularity_members', 'is_last_episode',
] -%}

{%- set window_starts_at = rebuild_from('started_at', ref('int_plays_enriched')) %}

with

plays as (
    select * from {{ ref('int_plays_enriched') }}
    where started_at >= {{ window_starts_at }}
),

{% if is_incremental() %}
    last_earlier_play as (
        select
            prior_plays.user_id,
            max(prior_plays.started_at) as started_at
        from {{ this }} as prior_plays
        where
            prior_plays.started_at < {{ window_starts_at }}
            and prior_plays.user_id in (select plays.user_id from plays)
        group by prior_plays.user_id
    ),

    -- only what the window's lag and session carry-over read (a narrow scan of the whole table)
    carried as (
        select
            prior_plays.event_id,
            prior_plays.user_id,
            prior_plays.started_at,
            prior_plays.ended_at,
            prior_plays.latest_ended_at,
            prior_plays.watched_seconds,
            prior_plays.session_id,
            prior_plays.session_started_at,
            prior_plays.session_position,
            prior_plays.session_watched_seconds,
            row_number() over (
                partition by prior_plays.user_id
                order by prior_plays.event_id desc
            ) as tie_rank
        from {{ this }} as prior_plays
        inner join last_earlier_play
            on
                prior_plays.user_id = last_earlier_play.user_id
                and prior_plays.started_at = last_earlier_play.started_at
    ),
{% endif %}

-- the window's plays, plus each user's last earlier play (carried: its session continues; it is
-- dropped at the end, so only its order, end, seconds and session are read)
timeline as (
    select
        event_id,
        user_id,
        started_at,
        ended_at,
        ended_at as ended_by,
        watched_seconds,
        false as is_carried,
        cast(null as {{ dbt.type_bigint() }}) as carried_session_id,
        cast(null as {{ dbt.type_timestamp() }}) as carried_session_started_at,
        cast(null as {{ dbt.type_bigint() }}) as carried_session_position,
        cast(null as {{ dbt.type_bigint() }}) as carried_session_watched_seconds
    from plays
    {% if is_incremental() %}
        union all
        select
            event_id,
            user_id,
            started_at,
            ended_at,
            -- the latest end of the user's plays up to the carried one, included
            latest_ended_at as ended_by,
            watched_seconds,
            true as is_carried,
            session_id as carried_session_id,
            session_started_at as carried_session_started_at,
            session_position as carried_session_position,
            session_watched_seconds as carried_session_watched_seconds
        from carried
        where tie_rank = 1
    {% endif %}
),

-- pass 1: the previous play, the latest end before the play, the play's number and the running
-- watched seconds (one sort)
ordered as (
    select
        *,
        lag(started_at) over by_user as prev_started_at,
        lag(ended_at) over by_user as prev_ended_at,
        max(ended_by) over by_user_before as prev_latest_ended_at,
        max(ended_by) over by_user_so_far as latest_ended_at,
        row_number() over by_user as user_play_number,
        sum(coalesce(watched_seconds, 0)) over by_user_so_far as user_watched_seconds
    from timeline
    window
        by_user as (partition by user_id order by started_at, event_id),
        -- the same order with explicit frames (not every engine lets a frame extend a named window)
        by_user_before as (
            partition by user_id
            order by started_at, event_id
            rows between unbounded preceding and 1 preceding
        ),
        by_user_so_far as (
            partition by user_id
            order by started_at, event_id
            rows between unbounded preceding and current row
        )
),

flagged as (
    select
        *,
        case
            when is_carried then 0
            when prev_latest_ended_at is null then 1
            when {{ seconds_between('prev_latest_ended_at', 'started_at') }} > {{ idle_seconds }} then 1
            else 0
        end as starts_session
    from ordered
),

{#
    Session anchors: a play that starts a session, or the carried play (whose session continues).
    position = play number - base, session seconds = running seconds - base, so the bases are
    "number before the session's first play" and "seconds before it" (for a carried play, taken
    from its stored position and session seconds).
#}
anchored as (
    select
        *,
        case
            when is_carried then carried_session_id
            when starts_session = 1 then event_id
        end as anchor_session_id,
        case
            when is_carried then carried_session_started_at
            when starts_session = 1 then started_at
        end as anchor_started_at,
        case
            when is_carried then user_play_number - carried_session_position
            when starts_session = 1 then user_play_number - 1
        end as anchor_position_base,
        case
            when is_carried then user_watched_seconds - carried_session_watched_seconds
            when starts_session = 1 then user_watched_seconds - coalesce(watched_seconds, 0)
        end as anchor_seconds_base
    from flagged
),

-- pass 2: the newest anchor so far (one sort)
in_session as (
    select
        *,
        {{ last_non_null('anchor_session_id', 'so_far') }} as session_anchor_id,
        {{ last_non_null('anchor_started_at', 'so_far') }} as session_anchor_started_at,
        {{ last_non_null('anchor_position_base', 'so_far') }} as position_base,
        {{ last_non_null('anchor_seconds_base', 'so_far') }} as seconds_base
    from anchored
    window so_far as (
        partition by user_id
        order by started_at, event_id
        rows between unbounded preceding and current row
    )
),

sessioned as (
    select
        event_id,
        prev_started_at,
        prev_ended_at,
        latest_ended_at,
        starts_session = 1 as is_session_start,
        -- a session is identified by the event_id of its first play
        cast(session_anchor_id as {{ dbt.type_bigint() }}) as session_id,
        session_anchor_started_at as session_started_at,
        cast(user_play_number - position_base as {{ dbt.type_int() }}) as session_position,
        cast(user_watched_seconds - seconds_base as {{ dbt.type_bigint() }}) as session_watched_seconds
    from in_session
    where not is_carried
),

final as (
    select
        {% for column in play_columns -%}
            plays.{{ column }},
        {% endfor -%}
        sessioned.prev_started_at,
        sessioned.prev_ended_at,
        sessioned.latest_ended_at,
        sessioned.is_session_start,
        sessioned.session_id,
        sessioned.session_started_at,
        sessioned.session_position,
        sessioned.session_watched_seconds,
        -- the day partition a Spark build overwrites (incremental contract)
        cast(plays.started_at as date) as started_on
    from plays
    inner join sessioned
        on plays.event_id = sessioned.event_id
)

select * from final
-- time order: the next build's window then reads only the newest row groups
order by started_at, event_id
