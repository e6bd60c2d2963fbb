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

    Incremental: a label can change only while its horizon is open. A build labels the new plays (from
    the newest play in the table on) and revisits the earlier plays whose horizon was still open at the
    previous build (started within H of its newest play): those without a next episode look for it
    among the new plays (previous builds searched the earlier ones), and their censoring is re-read
    against the new window end. Only rows that changed are written.
-#}
{%- set horizon_days = var('continuation_horizon_days') -%}

{%- set new_from = incremental_window_start('started_at', 0) %}
{%- set open_from = dbt.dateadd('day', -1 * horizon_days, new_from) %}

with

-- the window end from the plays themselves (the enriched view's joins would run over every play)
observed as (
    select max(started_at) as window_ends_at
    from {{ ref('stg_events__viewing_events') }}
),

new_plays as (
    select
        event_id,
        user_id,
        anime_id,
        episode_number,
        started_at,
        is_last_episode,
        {{ dbt.dateadd('day', horizon_days, 'started_at') }} as horizon_ends_at,
        cast(null as {{ dbt.type_timestamp() }}) as previous_next_at,
        cast(null as {{ dbt.type_boolean() }}) as was_censored
    from {{ ref('int_plays_enriched') }}
    where started_at >= {{ new_from }}
),

-- the earlier plays whose horizon was open at the previous build (none on a full build)
open_plays as (
    {% if is_incremental() %}
        select
            event_id,
            user_id,
            anime_id,
            episode_number,
            started_at,
            is_last_episode,
            horizon_ends_at,
            next_episode_started_at as previous_next_at,
            is_censored as was_censored
        from {{ this }}
        where started_at >= {{ open_from }} and started_at < {{ new_from }}
    {% else %}
        select * from new_plays
        where false
    {% endif %}
),

-- plays that look for their next episode: the new ones and the open ones that have none yet
probes as (
    select * from new_plays
    union all
    select * from open_plays
    where previous_next_at is null and not is_last_episode
),

{#
    The first play of episode n+1 after each probe, without a join: every new play appears once as
    a target (keyed by its own episode) and every probe once keyed by the episode it would continue
    to. Within a key, ordered by time with targets before probes at the same instant, a probe's
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
        cast(null as {{ dbt.type_timestamp() }}) as horizon_ends_at,
        cast(null as {{ dbt.type_boolean() }}) as was_censored
    from new_plays
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
        horizon_ends_at,
        was_censored
    from probes
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
        cast(null as {{ dbt.type_timestamp() }}) as previous_next_at,
        probed.was_censored
    from probed
    where probed.is_probe = 1
    union all
    -- open plays that had found their next episode already: only their censoring can change
    select
        event_id,
        user_id,
        anime_id,
        episode_number,
        started_at,
        is_last_episode,
        horizon_ends_at,
        previous_next_at as next_episode_started_at,
        previous_next_at,
        was_censored
    from open_plays
    where previous_next_at is not null or is_last_episode
),

censored as (
    select
        labelled.*,
        labelled.horizon_ends_at > observed.window_ends_at as is_censored
    from labelled
    cross join observed
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
    from censored
    -- new plays, and open plays whose next episode arrived or whose censoring ended
    where
        was_censored is null
        or was_censored <> is_censored
        or (next_episode_started_at is not null and previous_next_at is null)
)

select * from final
-- time order: incremental windows then read and replace only the newest row groups
order by started_at, event_id
