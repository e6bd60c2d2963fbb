{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['anime_id', 'happened_at'],
    on_schema_change='fail',
) }}

{#-
    The title's history, one row per title and instant at which one of its plays started or one
    of its labels resolved: what happened at that instant, and the title's totals at it, with the
    same point-in-time rules as int_user_history (prior_*: strictly before the instant;
    resolved_labels / continued_labels: resolved by the instant, included, and not after the newest
    play of the log). int_play_features reads a play's title features at (anime_id, started_at).

    Incremental (see rebuild_from): the instants of the rebuilt days are written again; everything
    before them enters as one step per title at its last earlier instant (running totals never
    decrease, so they are the maxima of the earlier rows).
-#}

{%- set window_starts_at = rebuild_from('happened_at') %}

with

observed as (
    select max(started_at) as window_ends_at
    from {{ ref('int_plays_sessionised') }}
),

plays as (
    select
        plays.anime_id,
        plays.started_at as happened_at,
        1 as n_plays,
        case when firsts.is_first_title_play then 1 else 0 end as n_new_viewers,
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
        labelled.anime_id,
        labelled.label_resolved_at as happened_at,
        0 as n_plays,
        0 as n_new_viewers,
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
            anime_id,
            max(happened_at) as happened_at,
            max(prior_plays + n_plays) as n_plays,
            max(prior_viewers + n_new_viewers) as n_new_viewers,
            max(resolved_labels) as n_resolved,
            max(continued_labels) as n_continued
        from {{ this }}
        where happened_at < {{ window_starts_at }}
        group by anime_id
    {% endif %}
),

steps as (
    select
        anime_id,
        happened_at,
        sum(n_plays) as n_plays,
        sum(n_new_viewers) as n_new_viewers,
        sum(n_resolved) as n_resolved,
        sum(n_continued) as n_continued
    from timeline
    group by anime_id, happened_at
),

running as (
    select
        anime_id,
        happened_at,
        n_plays,
        n_new_viewers,
        (sum(n_plays) over so_far) - n_plays as prior_plays,
        (sum(n_new_viewers) over so_far) - n_new_viewers as prior_viewers,
        sum(n_resolved) over so_far as resolved_labels,
        sum(n_continued) over so_far as continued_labels
    from steps
    window so_far as (
        partition by anime_id
        order by happened_at
        rows between unbounded preceding and current row
    )
),

final as (
    select
        anime_id,
        happened_at,
        cast(n_plays as {{ dbt.type_bigint() }}) as n_plays,
        cast(n_new_viewers as {{ dbt.type_bigint() }}) as n_new_viewers,
        cast(prior_plays as {{ dbt.type_bigint() }}) as prior_plays,
        cast(prior_viewers as {{ dbt.type_bigint() }}) as prior_viewers,
        cast(resolved_labels as {{ dbt.type_bigint() }}) as resolved_labels,
        cast(continued_labels as {{ dbt.type_bigint() }}) as continued_labels
    from running
    where happened_at >= {{ window_starts_at }}
)

select * from final
-- time order: the next build's window then reads only the newest row groups
order by happened_at, anime_id
