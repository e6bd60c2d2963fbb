{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['user_id', 'happened_at'],
    on_schema_change='fail',
) }}

{#-
    The user's history, one row per user and instant at which one of their plays started or one
    of their labels resolved: what happened at that instant, and the user's totals at it.
    - prior_*: the user's plays strictly before the instant (plays at the same instant do not
      see each other);
    - resolved_labels / continued_labels: the user's labels resolved by the instant, included (a
      label resolved exactly at a play's start is known at that start). A label counts once it is
      resolved (label_resolved_at, see int_plays_labelled) and not after the newest play of the
      log, so it never depends on what the log will hold later.
    int_play_features reads a play's user features at (user_id, started_at).

    Incremental (see rebuild_from): the instants of the rebuilt days are written again. Everything
    before them enters as one step per user at the user's last earlier instant, holding the totals
    there (running totals never decrease, so they are the maxima of the earlier rows).
-#}

{%- set window_starts_at = rebuild_from('happened_at') %}

with

observed as (
    select max(started_at) as window_ends_at
    from {{ ref('int_plays_sessionised') }}
),

plays as (
    select
        plays.user_id,
        plays.started_at as happened_at,
        1 as n_plays,
        plays.completion as sum_completion,
        case when firsts.is_first_title_play then 1 else 0 end as n_new_titles,
        0 as n_resolved,
        0 as n_continued
    from {{ ref('int_plays_sessionised') }} as plays
    inner join {{ ref('int_play_firsts') }} as firsts
        on plays.event_id = firsts.event_id
    where
        plays.started_at >= {{ window_starts_at }}
        and firsts.started_at >= {{ window_starts_at }}
),

resolutions as (
    select
        labelled.user_id,
        labelled.label_resolved_at as happened_at,
        0 as n_plays,
        0.0 as sum_completion,
        0 as n_new_titles,
        1 as n_resolved,
        case when labelled.next_episode_started_at is not null then 1 else 0 end as n_continued
    from {{ ref('int_plays_labelled') }} as labelled
    cross join observed
    where
        labelled.label_resolved_at >= {{ window_starts_at }}
        and labelled.label_resolved_at <= observed.window_ends_at
),

timeline as (
    select * from plays
    union all
    select * from resolutions
    {% if is_incremental() %}
        union all
        select
            user_id,
            max(happened_at) as happened_at,
            max(prior_plays + n_plays) as n_plays,
            max(prior_completion + sum_completion) as sum_completion,
            max(prior_titles + n_new_titles) as n_new_titles,
            max(resolved_labels) as n_resolved,
            max(continued_labels) as n_continued
        from {{ this }}
        where happened_at < {{ window_starts_at }}
        group by user_id
    {% endif %}
),

steps as (
    select
        user_id,
        happened_at,
        sum(n_plays) as n_plays,
        sum(sum_completion) as sum_completion,
        sum(n_new_titles) as n_new_titles,
        sum(n_resolved) as n_resolved,
        sum(n_continued) as n_continued
    from timeline
    group by user_id, happened_at
),

running as (
    select
        user_id,
        happened_at,
        n_plays,
        sum_completion,
        n_new_titles,
        (sum(n_plays) over so_far) - n_plays as prior_plays,
        (sum(sum_completion) over so_far) - sum_completion as prior_completion,
        (sum(n_new_titles) over so_far) - n_new_titles as prior_titles,
        sum(n_resolved) over so_far as resolved_labels,
        sum(n_continued) over so_far as continued_labels
    from steps
    window so_far as (
        partition by user_id
        order by happened_at
        rows between unbounded preceding and current row
    )
),

final as (
    select
        user_id,
        happened_at,
        cast(n_plays as {{ dbt.type_bigint() }}) as n_plays,
        cast(sum_completion as {{ type_double() }}) as sum_completion,
        cast(n_new_titles as {{ dbt.type_bigint() }}) as n_new_titles,
        cast(prior_plays as {{ dbt.type_bigint() }}) as prior_plays,
        cast(prior_completion as {{ type_double() }}) as prior_completion,
        cast(prior_titles as {{ dbt.type_bigint() }}) as prior_titles,
        cast(resolved_labels as {{ dbt.type_bigint() }}) as resolved_labels,
        cast(continued_labels as {{ dbt.type_bigint() }}) as continued_labels
    from running
    where happened_at >= {{ window_starts_at }}
)

select * from final
-- time order: the next build's window then reads only the newest row groups
order by happened_at, user_id
