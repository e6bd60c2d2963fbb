{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='event_id',
    window_column='started_at',
    on_schema_change='fail',
) }}

{#-
    Sessionisation: a user's plays belong to one session until the idle gap between the end of a play
    and the start of the next exceeds `session_idle_minutes` (30). Plays are ordered by
    (started_at, event_id).

    Incremental: only plays starting at or after the newest play already in the table are (re)built.
    Each user's last earlier play is carried in from the existing table, so a session that spans the
    boundary keeps its id, positions and running minutes. Late events older than that need a
    --full-refresh.
-#}
{%- set idle_seconds = var('session_idle_minutes') * 60 -%}
{%- set play_columns = [
    'event_id', 'user_id', 'anime_id', 'episode_number', 'started_at', 'ended_at', 'watched_seconds',
    'episode_duration_seconds', 'completion', 'device', 'episodes_total', 'title_score_mean',
    'title_popularity_members', 'is_last_episode',
] -%}

{%- set carried_columns = ['event_id', 'user_id', 'started_at', 'ended_at', 'watched_seconds'] -%}

{%- set window_starts_at = incremental_window_start('started_at', 0) %}

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
-- dropped at the end, so only its order, end and session are read)
timeline as (
    select
        {% for column in play_columns -%}
            {{ column }},
        {% endfor -%}
        false as is_carried,
        cast(null as {{ dbt.type_bigint() }}) as carried_session_id,
        cast(null as {{ dbt.type_timestamp() }}) as carried_session_started_at,
        cast(null as {{ dbt.type_bigint() }}) as carried_position_offset,
        cast(null as {{ dbt.type_bigint() }}) as carried_seconds_offset
    from plays
    {% if is_incremental() %}
        union all
        select
            {% for column in play_columns -%}
                {{ column if column in carried_columns else 'null as ' ~ column }},
            {% endfor -%}
            true as is_carried,
            session_id as carried_session_id,
            session_started_at as carried_session_started_at,
            session_position - 1 as carried_position_offset,
            session_watched_seconds - watched_seconds as carried_seconds_offset
        from carried
        where tie_rank = 1
    {% endif %}
),

with_previous as (
    select
        *,
        lag(started_at) over (partition by user_id order by started_at, event_id) as prev_started_at,
        lag(ended_at) over (partition by user_id order by started_at, event_id) as prev_ended_at
    from timeline
),

flagged as (
    select
        *,
        case
            when is_carried then 0
            when prev_ended_at is null then 1
            when {{ seconds_between('prev_ended_at', 'started_at') }} > {{ idle_seconds }} then 1
            else 0
        end as starts_session
    from with_previous
),

numbered as (
    select
        *,
        sum(starts_session) over (
            partition by user_id
            order by started_at, event_id
            rows between unbounded preceding and current row
        ) as session_seq
    from flagged
),

-- one window per session; a carried play is the first row of its group, so first_value picks it
in_session as (
    select
        *,
        first_value(event_id) over session_so_far as first_event_id,
        first_value(started_at) over session_so_far as first_started_at,
        first_value(carried_session_id) over session_so_far as session_carried_id,
        first_value(carried_session_started_at) over session_so_far as session_carried_started_at,
        first_value(carried_position_offset) over session_so_far as position_offset,
        first_value(carried_seconds_offset) over session_so_far as seconds_offset,
        row_number() over session_so_far as position_in_group,
        sum(watched_seconds) over session_so_far as seconds_in_group
    from numbered
    window session_so_far as (
        partition by user_id, session_seq
        order by started_at, event_id
        rows between unbounded preceding and current row
    )
),

final as (
    select
        {% for column in play_columns -%}
            {{ column }},
        {% endfor -%}
        prev_started_at,
        prev_ended_at,
        starts_session = 1 as is_session_start,
        -- a session is identified by the event_id of its first play
        cast(coalesce(session_carried_id, first_event_id) as {{ dbt.type_bigint() }}) as session_id,
        coalesce(session_carried_started_at, first_started_at) as session_started_at,
        cast(position_in_group + coalesce(position_offset, 0) as {{ dbt.type_int() }}) as session_position,
        cast(seconds_in_group + coalesce(seconds_offset, 0) as {{ dbt.type_bigint() }})
            as session_watched_seconds
    from in_session
    where not is_carried
)

select * from final
-- time order: incremental windows then read and replace only the newest row groups
order by started_at, event_id
