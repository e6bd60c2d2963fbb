{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='event_id',
    on_schema_change='fail',
) }}

{#-
    Point-in-time features of every play, as known at the end of that play:
    - user and title history use only plays that started strictly before this play's start;
    - continuation rates use only earlier plays whose label was resolved by this play's start
      (label_resolved_at <= started_at), which never depends on the end of the observed window;
    - session context and this play's own completion are known when the play ends.
    Computed with window functions over a timeline, never with aggregates over the whole log.

    Incremental (see rebuild_from): the plays of the rebuilt days are built again. History before
    the window enters as per-user / per-title totals (group-bys of the table's own earlier rows),
    resolutions before it likewise, and the trailing 7-day activity reads 7 days of context.
-#}

{%- set window_starts_at = rebuild_from('started_at') %}

with

observed as (
    select max(started_at) as window_ends_at
    from {{ ref('int_plays_sessionised') }}
),

plays as (
    select * from {{ ref('int_plays_sessionised') }}
    where started_at >= {{ window_starts_at }}
),

users as (
    select * from {{ ref('stg_events__users') }}
),

{#
    The table's own rows before the window (incremental builds; a full build has none). They carry
    the flag "first play of the title by the user", so per-user and per-title totals (titles
    started, distinct viewers) are small group-bys, and per-pair figures are read only for the
    (user, title) pairs of the window: no aggregate over every pair of the whole history.
#}
{%- if execute and is_incremental()
    and 'is_first_title_play' not in adapter.get_columns_in_relation(this) | map(attribute='name') %}
    {{ exceptions.raise_compiler_error(
        this ~ " was built by an earlier version of the project (no is_first_title_play column): "
        ~ "run `dbt build --full-refresh` once"
    ) }}
{%- endif %}
{%- set earlier_rows -%}
    {%- if is_incremental() %}
        (
            select
                user_id,
                anime_id,
                episode_number,
                completion,
                is_first_title_play
            from {{ this }}
            where started_at < {{ window_starts_at }}
        )
    {%- else %}
        (
            select
                user_id,
                anime_id,
                episode_number,
                completion,
                true as is_first_title_play
            from {{ ref('int_plays_sessionised') }}
            where 1 = 0
        )
    {%- endif %}
{%- endset %}

user_history as (
    select
        earlier.user_id,
        count(*) as n_plays,
        sum(earlier.completion) as sum_completion,
        sum(case when earlier.is_first_title_play then 1 else 0 end) as n_titles
    from {{ earlier_rows }} as earlier
    group by earlier.user_id
),

title_history as (
    select
        earlier.anime_id,
        count(*) as n_plays,
        sum(case when earlier.is_first_title_play then 1 else 0 end) as n_viewers
    from {{ earlier_rows }} as earlier
    group by earlier.anime_id
),

-- earlier plays of the (user, title) pairs the window plays (a small share of the history)
earlier_pair_plays as (
    select
        earlier.user_id,
        earlier.anime_id,
        earlier.episode_number
    from {{ earlier_rows }} as earlier
    where exists (
        select 1
        from {{ ref('int_plays_sessionised') }} as window_plays
        where
            window_plays.started_at >= {{ window_starts_at }}
            and window_plays.user_id = earlier.user_id
            and window_plays.anime_id = earlier.anime_id
    )
),

user_title_history as (
    select
        user_id,
        anime_id,
        count(*) as n_plays
    from earlier_pair_plays
    group by user_id, anime_id
),

resolutions as (
    select
        user_id,
        anime_id,
        label_resolved_at,
        case when next_episode_started_at is not null then 1 else 0 end as is_continued
    from {{ ref('int_plays_labelled') }}
    where label_resolved_at <= (select observed.window_ends_at from observed)
),

user_resolutions_before as (
    select
        user_id,
        count(*) as n_resolved,
        sum(is_continued) as n_continued
    from resolutions
    where label_resolved_at < {{ window_starts_at }}
    group by user_id
),

title_resolutions_before as (
    select
        anime_id,
        count(*) as n_resolved,
        sum(is_continued) as n_continued
    from resolutions
    where label_resolved_at < {{ window_starts_at }}
    group by anime_id
),

recent_resolutions as (
    select * from resolutions
    where label_resolved_at >= {{ window_starts_at }}
),

{#
    Each user's first play of an episode of a title: the earliest of the window's plays of that
    (user, title, episode) when none came before the window. Ranked on a narrow read of the table
    (a window over whole plays would sort every column, and a second use of `plays` would make the
    engine materialise it instead of inlining it).
#}
episode_openers as (
    select ranked.event_id
    from (
        select
            event_id,
            user_id,
            anime_id,
            episode_number,
            row_number() over (
                partition by user_id, anime_id, episode_number
                order by started_at, event_id
            ) as episode_play_rank
        from {{ ref('int_plays_sessionised') }}
        where started_at >= {{ window_starts_at }}
    ) as ranked
    where
        ranked.episode_play_rank = 1
        and not exists (
            select 1
            from earlier_pair_plays as earlier
            where
                earlier.user_id = ranked.user_id
                and earlier.anime_id = ranked.anime_id
                and earlier.episode_number = ranked.episode_number
        )
),

first_plays as (
    select
        plays.*,
        -- the user's first play of this episode (so that distinct viewers per episode are a sum)
        episode_openers.event_id is not null as is_first_episode_play,
        -- the first play of the title by the user (the lowest event_id among simultaneous firsts)
        case
            when
                user_title_history.user_id is null
                and row_number() over (
                    partition by plays.user_id, plays.anime_id
                    order by plays.started_at, plays.event_id
                ) = 1
                then 1
            else 0
        end as is_new_user_title,
        rank() over (partition by plays.user_id, plays.anime_id order by plays.started_at) - 1
        + coalesce(user_title_history.n_plays, 0) as user_title_prior_plays
    from plays
    left join user_title_history
        on
            plays.user_id = user_title_history.user_id
            and plays.anime_id = user_title_history.anime_id
    left join episode_openers
        on plays.event_id = episode_openers.event_id
),

-- the user's 7 days before the window, for the trailing activity of the window's first week
context_plays as (
    select
        user_id,
        started_at
    from {{ ref('int_plays_sessionised') }}
    where
        started_at < {{ window_starts_at }}
        and started_at >= {{ dbt.dateadd('day', -7, window_starts_at) }}
),

{#
    One timeline per user and one per title: the window's plays, label resolutions and (per user)
    the context plays. Each timeline is first summed per instant (user or title, timestamp), so that
    every row at the same instant is one step; running sums over the steps (ROWS frames, one sort
    per timeline) then give "strictly before" = running sum minus the step's own sum and "resolved
    by the start" = running sum including the step (a label resolved exactly at the start counts).
    The integer counts of a timeline share one windowed sum (see running_count). Plays pick up
    their step's values by (user or title, started_at).
#}
user_timeline as (
    select
        user_id,
        started_at as happened_at,
        1 as is_play,
        0 as is_resolution,
        0 as is_continued,
        completion,  -- noqa: RF04
        is_new_user_title
    from first_plays
    union all
    select
        user_id,
        started_at as happened_at,
        0 as is_play,
        0 as is_resolution,
        0 as is_continued,
        0.0 as completion,  -- noqa: RF04
        0 as is_new_user_title
    from context_plays
    union all
    select
        user_id,
        label_resolved_at as happened_at,
        0 as is_play,
        1 as is_resolution,
        is_continued,
        0.0 as completion,  -- noqa: RF04
        0 as is_new_user_title
    from recent_resolutions
),

user_steps as (
    select
        user_id,
        happened_at,
        sum(is_play) as n_plays,
        sum(completion) as sum_completion,
        sum(is_new_user_title) as n_new_titles,
        sum(is_resolution) as n_resolutions,
        sum(is_continued) as n_continued,
        -- plays of the window and context plays (for the trailing activity)
        sum(1 - is_resolution) as n_active
    from user_timeline
    group by user_id, happened_at
),

{%- set user_counts = ['n_plays', 'n_new_titles', 'n_resolutions', 'n_continued'] %}

user_features as (
    select
        user_id,
        happened_at,
        {{ running_count(user_counts, 0, 'user_so_far') }} - n_plays as user_plays_before,
        sum(sum_completion) over user_so_far - sum_completion as user_completion_before,
        {{ running_count(user_counts, 1, 'user_so_far') }} - n_new_titles as user_new_titles_before,
        {{ running_count(user_counts, 2, 'user_so_far') }} as user_resolved_by,
        {{ running_count(user_counts, 3, 'user_so_far') }} as user_continued_by,
        sum(n_active) over ({{ trailing_days_window('user_id', 'happened_at', 7) }}) - 1
            as trailing_7d_plays
    from user_steps
    window user_so_far as (
        partition by user_id
        order by happened_at
        rows between unbounded preceding and current row
    )
),

title_timeline as (
    select
        anime_id,
        started_at as happened_at,
        1 as is_play,
        0 as is_resolution,
        0 as is_continued,
        is_new_user_title
    from first_plays
    union all
    select
        anime_id,
        label_resolved_at as happened_at,
        0 as is_play,
        1 as is_resolution,
        is_continued,
        0 as is_new_user_title
    from recent_resolutions
),

title_steps as (
    select
        anime_id,
        happened_at,
        sum(is_play) as n_plays,
        sum(is_new_user_title) as n_new_viewers,
        sum(is_resolution) as n_resolutions,
        sum(is_continued) as n_continued
    from title_timeline
    group by anime_id, happened_at
),

{%- set title_counts = ['n_plays', 'n_new_viewers', 'n_resolutions', 'n_continued'] %}

title_features as (
    select
        anime_id,
        happened_at,
        {{ running_count(title_counts, 0, 'title_so_far') }} - n_plays as title_plays_before,
        {{ running_count(title_counts, 1, 'title_so_far') }} - n_new_viewers as title_new_viewers_before,
        {{ running_count(title_counts, 2, 'title_so_far') }} as title_resolved_by,
        {{ running_count(title_counts, 3, 'title_so_far') }} as title_continued_by
    from title_steps
    window title_so_far as (
        partition by anime_id
        order by happened_at
        rows between unbounded preceding and current row
    )
),

combined as (
    select
        first_plays.event_id,
        first_plays.user_id,
        first_plays.anime_id,
        first_plays.started_at,
        first_plays.ended_at,
        first_plays.episode_number,
        first_plays.episodes_total,
        first_plays.is_last_episode,
        first_plays.episode_duration_seconds,
        first_plays.completion,
        first_plays.is_first_episode_play,
        first_plays.is_new_user_title,
        user_features.user_plays_before + coalesce(user_history.n_plays, 0) as user_prior_plays,
        user_features.user_new_titles_before + coalesce(user_history.n_titles, 0) as user_prior_titles,
        user_features.user_completion_before + coalesce(user_history.sum_completion, 0)
            as user_prior_completion,
        user_features.user_resolved_by + coalesce(user_resolutions_before.n_resolved, 0)
            as user_prior_resolved_labels,
        user_features.user_continued_by + coalesce(user_resolutions_before.n_continued, 0)
            as user_prior_continued_labels,
        first_plays.user_title_prior_plays,
        title_features.title_plays_before + coalesce(title_history.n_plays, 0) as title_prior_plays,
        title_features.title_new_viewers_before + coalesce(title_history.n_viewers, 0) as title_prior_viewers,
        title_features.title_resolved_by + coalesce(title_resolutions_before.n_resolved, 0)
            as title_prior_resolved_labels,
        title_features.title_continued_by + coalesce(title_resolutions_before.n_continued, 0)
            as title_prior_continued_labels,
        first_plays.title_score_mean,
        first_plays.title_popularity_members,
        users.signed_up_at,
        first_plays.prev_started_at,
        first_plays.prev_ended_at,
        first_plays.session_position,
        first_plays.session_watched_seconds,
        user_features.trailing_7d_plays
    from first_plays
    inner join user_features
        on
            first_plays.user_id = user_features.user_id
            and first_plays.started_at = user_features.happened_at
    inner join title_features
        on
            first_plays.anime_id = title_features.anime_id
            and first_plays.started_at = title_features.happened_at
    left join user_history
        on first_plays.user_id = user_history.user_id
    left join title_history
        on first_plays.anime_id = title_history.anime_id
    left join user_resolutions_before
        on first_plays.user_id = user_resolutions_before.user_id
    left join title_resolutions_before
        on first_plays.anime_id = title_resolutions_before.anime_id
    left join users
        on first_plays.user_id = users.user_id
),

final as (
    select
        event_id,
        user_id,
        anime_id,
        started_at,
        ended_at,
        episode_number,
        episodes_total,
        cast(
            cast(episode_number as {{ type_double() }}) / nullif(episodes_total, 0) as {{ type_double() }}
        ) as series_fraction,
        is_last_episode,
        episode_duration_seconds,
        completion,
        is_first_episode_play,
        is_new_user_title = 1 as is_first_title_play,
        cast(user_prior_plays as {{ dbt.type_bigint() }}) as user_prior_plays,
        cast(user_prior_titles as {{ dbt.type_bigint() }}) as user_prior_titles,
        cast(user_prior_completion / nullif(user_prior_plays, 0) as {{ type_double() }})
            as user_prior_mean_completion,
        cast(user_prior_resolved_labels as {{ dbt.type_bigint() }}) as user_prior_resolved_labels,
        cast(
            cast(user_prior_continued_labels as {{ type_double() }}) / nullif(user_prior_resolved_labels, 0)
            as {{ type_double() }}
        ) as user_prior_continuation_rate,
        cast({{ seconds_between('signed_up_at', 'started_at') }} / 86400.0 as {{ type_double() }})
            as days_since_signup,
        cast({{ seconds_between('prev_started_at', 'started_at') }} / 86400.0 as {{ type_double() }})
            as days_since_prev_play,
        cast(user_title_prior_plays as {{ dbt.type_bigint() }}) as user_title_prior_plays,
        cast(title_prior_plays as {{ dbt.type_bigint() }}) as title_prior_plays,
        cast(title_prior_viewers as {{ dbt.type_bigint() }}) as title_prior_viewers,
        cast(title_prior_resolved_labels as {{ dbt.type_bigint() }}) as title_prior_resolved_labels,
        cast(
            cast(title_prior_continued_labels as {{ type_double() }}) / nullif(title_prior_resolved_labels, 0)
            as {{ type_double() }}
        ) as title_prior_continuation_rate,
        title_score_mean,
        title_popularity_members,
        session_position,
        cast(session_watched_seconds / 60.0 as {{ type_double() }}) as session_minutes_so_far,
        cast({{ hour_of_day('started_at') }} as {{ dbt.type_int() }}) as hour_of_day,
        cast({{ iso_day_of_week('started_at') }} as {{ dbt.type_int() }}) as day_of_week,
        cast({{ seconds_between('prev_ended_at', 'started_at') }} / 60.0 as {{ type_double() }})
            as minutes_since_prev_play,
        cast(trailing_7d_plays as {{ dbt.type_bigint() }}) as trailing_7d_plays,
        case
            when user_prior_plays = 0 then 'new'
            when trailing_7d_plays = 0 then 'lapsed'
            when trailing_7d_plays < 5 then 'light'
            when trailing_7d_plays < 15 then 'regular'
            else 'heavy'
        end as engagement_tier
    from combined
)

select * from final
-- time order: the next build's window then reads only the newest row groups
order by started_at, event_id
