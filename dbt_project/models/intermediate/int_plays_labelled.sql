{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='event_id',
    window_column='started_at',
    on_schema_change='fail',
) }}

{#-
    Continuation labels with censoring, horizon H = `continuation_horizon_days` (14 days):
    - next_episode_started_at: the first play of episode n+1 of the same title by the same user that
      starts after this play and no later than started_at + H (null when there is none);
    - label_resolved_at: when the label became known: next_episode_started_at if continued, else
      started_at + H. It does not depend on the end of the observed window, so point-in-time features
      can use it;
    - is_censored: started_at + H is after the observed window end (the newest started_at in the log);
    - continued_next_episode: null for a title's last episode and for censored plays.

    Incremental: plays that started within H of the newest play already in the table are rebuilt
    (their next episode may arrive, and their censoring changes as the window grows). Older plays
    were uncensored already and their next episode, if any, was within the data.
-#}
{%- set horizon_days = var('continuation_horizon_days') -%}

{%- set window_starts_at = incremental_window_start('started_at', horizon_days) %}

with

observed as (
    select max(started_at) as window_ends_at
    from {{ ref('int_plays_enriched') }}
),

plays as (
    select
        event_id,
        user_id,
        anime_id,
        episode_number,
        started_at,
        is_last_episode,
        {{ dbt.dateadd('day', horizon_days, 'started_at') }} as horizon_ends_at
    from {{ ref('int_plays_enriched') }}
    where started_at >= {{ window_starts_at }}
),

{#
    The first play of episode n+1 after each play, without a join: every play appears once as a
    target (keyed by its own episode) and once as a probe (keyed by the episode it would continue
    to). Within a key, ordered by time with targets before probes at the same instant, a probe's
    answer is the earliest target strictly after it: a min over the following rows. One sort.
#}
keyed as (
    select
        user_id,
        anime_id,
        episode_number as key_episode,
        started_at as happened_at,
        0 as is_probe,
        cast(null as {{ dbt.type_bigint() }}) as event_id,
        cast(null as {{ dbt.type_int() }}) as episode_number,
        cast(null as {{ dbt.type_boolean() }}) as is_last_episode,
        cast(null as {{ dbt.type_timestamp() }}) as horizon_ends_at
    from plays
    union all
    select
        user_id,
        anime_id,
        episode_number + 1 as key_episode,
        started_at as happened_at,
        1 as is_probe,
        event_id,
        episode_number,
        is_last_episode,
        horizon_ends_at
    from plays
),

probed as (
    select
        *,
        min(case when is_probe = 0 then happened_at end) over (
            partition by user_id, anime_id, key_episode
            order by happened_at, is_probe
            rows between 1 following and unbounded following
        ) as next_target_at
    from keyed
),

labelled as (
    select
        probed.event_id,
        probed.user_id,
        probed.anime_id,
        probed.episode_number,
        probed.happened_at as started_at,
        probed.is_last_episode,
        probed.horizon_ends_at,
        case
            when
                not probed.is_last_episode
                and probed.next_target_at > probed.happened_at
                and probed.next_target_at <= probed.horizon_ends_at
                then probed.next_target_at
        end as next_episode_started_at,
        probed.horizon_ends_at > observed.window_ends_at as is_censored
    from probed
    cross join observed
    where probed.is_probe = 1
),

final as (
    select
        event_id,
        user_id,
        anime_id,
        episode_number,
        started_at,
        is_last_episode,
        horizon_ends_at,
        next_episode_started_at,
        case
            when is_last_episode then null
            else coalesce(next_episode_started_at, horizon_ends_at)
        end as label_resolved_at,
        is_censored,
        case
            when is_last_episode or is_censored then null
            else next_episode_started_at is not null
        end as continued_next_episode
    from labelled
)

select * from final
-- time order: incremental windows then read and replace only the newest row groups
order by started_at, event_id
