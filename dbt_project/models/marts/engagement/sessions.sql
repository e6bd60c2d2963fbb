{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='session_started_at',
    window_column='session_started_at',
    on_schema_change='fail',
) }}

{#-
    One row per viewing session (see int_plays_sessionised for the idle-gap rule). A session is a
    binge when it holds at least 3 plays of one title.

    Incremental: every session starting at or after the oldest session that holds a play started at
    or after the newest session start already in the table is rebuilt from all its plays, and the
    rows replaced are those of the rebuilt start instants (unique_key session_started_at). A late
    play at the newest instant can become the first play of a session that started then, which
    changes that session's id; replacing by instant drops the old id with it.
-#}

{%- set window_starts_at = incremental_window_start('session_started_at', 0) %}
{#- the oldest session the new plays touch, inlined as a literal like every window start (with no
    new plays, the newest sessions are rebuilt as they are) -#}
{%- set rebuilt_from = window_starts_at %}
{%- if execute and is_incremental() %}
    {%- set rebuilt_from = timestamp_literal_of(
        'min(session_started_at)',
        '(select session_started_at from ' ~ ref('viewing_events')
        ~ ' where started_at >= ' ~ window_starts_at ~ ') as recent_plays'
    ) or window_starts_at %}
{%- endif %}

with

-- every session starting at or after the oldest session the new plays touch
plays as (
    select * from {{ ref('viewing_events') }}
    where
        started_at >= {{ rebuilt_from }}
        and session_started_at >= {{ rebuilt_from }}
),

per_title as (
    select
        session_id,
        anime_id,
        count(*) as n_plays
    from plays
    group by session_id, anime_id
),

title_streaks as (
    select
        session_id,
        max(n_plays) as max_plays_of_one_title
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
        cast(aggregated.n_titles as {{ dbt.type_int() }}) as n_titles,
        cast(title_streaks.max_plays_of_one_title as {{ dbt.type_int() }}) as max_plays_of_one_title,
        cast(aggregated.watched_seconds / 60.0 as {{ type_double() }}) as watched_minutes,
        cast(
            {{ seconds_between('aggregated.session_started_at', 'aggregated.session_ended_at') }} / 60.0
            as {{ type_double() }}
        ) as elapsed_minutes,
        cast(aggregated.mean_completion as {{ type_double() }}) as mean_completion,
        title_streaks.max_plays_of_one_title >= 3 as is_binge
    from aggregated
    inner join title_streaks
        on aggregated.session_id = title_streaks.session_id
)

select * from final
-- time order: incremental windows then read and replace only the newest row groups
order by session_started_at, session_id
