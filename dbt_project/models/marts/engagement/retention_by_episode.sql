{#-
    Episode-to-episode retention per title and over all titles (scope = 'all_titles', anime_id null).

    Discrete-time Kaplan-Meier over episodes (macros/kaplan_meier.sql), built on the play labels
    so that it uses the same censoring as everything else. It counts user-titles, never plays: the step past episode k of a
    user-title is read from the label of its first play of episode k, observed when that label is
    resolved (a later episode was played within H, or H has fully elapsed before the window end); a
    play whose horizon runs past the window end is censored and leaves the risk set without
    counting as a drop. A rewatch or a resumed piece of episode k is neither a second entry nor a
    drop; a user-title that skips episode k went past k - 1 and is not at risk at k.
    (Counting a user-title as "still active" instead would keep the quick continuers of the last H
    days and drop their non-continuing peers: an upward bias.)
        viewers_reached(k) = user-titles whose deepest episode is k or later,
        at_risk(k) = user-titles with a resolved label at episode k, dropped(k) = those labelled 0,
        censored(k) = user-titles whose episode-k play is censored,
        km_survival(k) = prod_{j<=k} (1 - dropped(j) / at_risk(j))   (probability of going past k),
        Greenwood: var(k) = km_survival(k)^2 * sum_{j<=k} dropped(j) / (at_risk(j) (at_risk(j) - dropped(j)))
        95% interval km_survival +- 1.96 sqrt(var), clipped to [0, 1]; steps with nobody at risk (and
        the last episode, which has no next step) leave the survival unchanged, and the interval is
        [0, 0] once the survival is 0.
    step_retention (viewers reaching k + 1 of those reaching k) carries its 95% Wilson interval
    (macros/intervals.sql); the last episode, with no next step, has none.
-#}

with

user_titles as (
    select * from {{ ref('int_user_titles_aggregated') }}
),

plays as (
    select * from {{ ref('viewing_events') }}
),

-- the whole of each user-title's first view of an episode (all its pieces)
first_views as (
    select
        anime_id,
        episode_number,
        max(view_completion) as view_completion
    from plays
    where is_first_view
    group by anime_id, episode_number, view_id
),

view_completion as (
    select
        anime_id,
        episode_number,
        count(*) as n_first_views,
        sum(view_completion) as sum_view_completion
    from first_views
    group by anime_id, episode_number
),

-- a user-title enters episode k's risk set once, by its first play of k
episode_viewers as (
    select
        anime_id,
        episode_number,
        sum(case when is_first_episode_play then 1 else 0 end) as viewers_played,
        count(*) as n_plays,
        sum(case when is_first_episode_play and continued_next_episode is not null then 1 else 0 end)
            as n_resolved,
        sum(case when is_first_episode_play and not continued_next_episode then 1 else 0 end)
            as n_dropped,
        sum(case when is_first_episode_play and is_censored then 1 else 0 end) as n_censored
    from plays
    group by anime_id, episode_number
),

endpoints as (
    select
        anime_id,
        deepest_episode,
        count(*) as n_user_titles
    from user_titles
    group by anime_id, deepest_episode
),

title_depths as (
    select
        anime_id,
        max(deepest_episode) as max_episode
    from endpoints
    group by anime_id
),

episode_series as (
    {{ integer_series('(select max(title_depths.max_episode) from title_depths)') }}
),

title_episodes as (
    select
        title_depths.anime_id,
        episode_series.n as episode_number
    from title_depths
    inner join episode_series
        on episode_series.n between 1 and title_depths.max_episode
),

per_title as (
    select
        'title' as scope,
        title_episodes.anime_id,
        title_episodes.episode_number,
        coalesce(endpoints.n_user_titles, 0) as n_ending,
        coalesce(episode_viewers.n_resolved, 0) as n_resolved,
        coalesce(episode_viewers.n_dropped, 0) as n_dropped,
        coalesce(episode_viewers.n_censored, 0) as n_censored,
        coalesce(episode_viewers.viewers_played, 0) as viewers_played,
        coalesce(episode_viewers.n_plays, 0) as n_plays,
        view_completion.n_first_views,
        view_completion.sum_view_completion
    from title_episodes
    left join endpoints
        on
            title_episodes.anime_id = endpoints.anime_id
            and title_episodes.episode_number = endpoints.deepest_episode
    left join episode_viewers
        on
            title_episodes.anime_id = episode_viewers.anime_id
            and title_episodes.episode_number = episode_viewers.episode_number
    left join view_completion
        on
            title_episodes.anime_id = view_completion.anime_id
            and title_episodes.episode_number = view_completion.episode_number
),

all_titles as (
    select
        'all_titles' as scope,
        cast(null as {{ dbt.type_string() }}) as anime_id,
        episode_number,
        sum(n_ending) as n_ending,
        sum(n_resolved) as n_resolved,
        sum(n_dropped) as n_dropped,
        sum(n_censored) as n_censored,
        sum(viewers_played) as viewers_played,
        sum(n_plays) as n_plays,
        sum(n_first_views) as n_first_views,
        sum(sum_view_completion) as sum_view_completion
    from per_title
    group by episode_number
),

unioned as (
    select * from per_title
    union all
    select * from all_titles
),

reached as (
    select
        *,
        sum(n_ending) over (
            partition by scope, anime_id
            order by episode_number desc
            rows between unbounded preceding and current row
        ) as viewers_reached
    from unioned
),

steps as (
    select
        *,
        n_resolved as at_risk,
        lead(viewers_reached) over (partition by scope, anime_id order by episode_number)
            as viewers_reached_next
    from reached
),

{{ kaplan_meier('steps', 'n_resolved', 'n_dropped', 'scope, anime_id', 'episode_number') }},

final as (
    select
        cast(scope as {{ dbt.type_string() }}) as scope,
        anime_id,
        cast(episode_number as {{ dbt.type_int() }}) as episode_number,
        cast(viewers_played as {{ dbt.type_bigint() }}) as viewers_played,
        cast(viewers_reached as {{ dbt.type_bigint() }}) as viewers_reached,
        cast(n_plays as {{ dbt.type_bigint() }}) as plays,
        cast(sum_view_completion / nullif(n_first_views, 0) as {{ type_double() }}) as mean_completion,
        cast(
            cast(viewers_reached_next as {{ type_double() }}) / viewers_reached as {{ type_double() }}
        ) as step_retention,
        cast(
            {{ wilson_interval('viewers_reached_next', 'viewers_reached', 'lower') }} as {{ type_double() }}
        ) as step_retention_ci_lower,
        cast(
            {{ wilson_interval('viewers_reached_next', 'viewers_reached', 'upper') }} as {{ type_double() }}
        ) as step_retention_ci_upper,
        cast(at_risk as {{ dbt.type_bigint() }}) as at_risk,
        cast(n_dropped as {{ dbt.type_bigint() }}) as dropped,
        cast(n_censored as {{ dbt.type_bigint() }}) as censored,
        cast(km_survival as {{ type_double() }}) as km_survival,
        cast({{ km_band('lower') }} as {{ type_double() }}) as km_ci_lower,
        cast({{ km_band('upper') }} as {{ type_double() }}) as km_ci_upper
    from kaplan_meier
)

select * from final
