{#-
    Binge depth distributions, per title and over all titles (scope = 'all_titles', anime_id null):
    - depth_measure = 'session_episodes': episodes per session (per title: episodes of that title in a
      session; a resumed piece or a second view of an episode in the session is not another one);
    - depth_measure = 'deepest_episode': deepest episode reached per user-title.
    One row per (scope, anime_id, depth_measure, episode_depth) with the count, its share and the share at
    least that deep.
-#}

with

plays as (
    select * from {{ ref('viewing_events') }}
),

sessions as (
    select * from {{ ref('sessions') }}
),

user_titles as (
    select * from {{ ref('int_user_titles_aggregated') }}
),

session_episodes as (
    select distinct
        session_id,
        anime_id,
        episode_number
    from plays
),

session_titles as (
    select
        session_id,
        anime_id,
        count(*) as n_episodes
    from session_episodes
    group by session_id, anime_id
),

observations as (
    select
        'title' as scope,
        anime_id,
        'session_episodes' as depth_measure,
        n_episodes as episode_depth
    from session_titles
    union all
    select
        'all_titles' as scope,
        cast(null as {{ dbt.type_string() }}) as anime_id,
        'session_episodes' as depth_measure,
        n_episodes as episode_depth
    from sessions
    union all
    select
        'title' as scope,
        anime_id,
        'deepest_episode' as depth_measure,
        deepest_episode as episode_depth
    from user_titles
    union all
    select
        'all_titles' as scope,
        cast(null as {{ dbt.type_string() }}) as anime_id,
        'deepest_episode' as depth_measure,
        deepest_episode as episode_depth
    from user_titles
),

counted as (
    select
        scope,
        anime_id,
        depth_measure,
        episode_depth,
        count(*) as n_observations
    from observations
    group by scope, anime_id, depth_measure, episode_depth
),

shares as (
    select
        *,
        sum(n_observations) over (partition by scope, anime_id, depth_measure) as n_total,
        sum(n_observations) over (
            partition by scope, anime_id, depth_measure
            order by episode_depth desc
            rows between unbounded preceding and current row
        ) as n_at_least
    from counted
),

final as (
    select
        cast(scope as {{ dbt.type_string() }}) as scope,
        anime_id,
        cast(depth_measure as {{ dbt.type_string() }}) as depth_measure,
        cast(episode_depth as {{ dbt.type_int() }}) as episode_depth,
        cast(n_observations as {{ dbt.type_bigint() }}) as n_observations,
        cast(cast(n_observations as {{ type_double() }}) / n_total as {{ type_double() }}) as share_of_total,
        cast(cast(n_at_least as {{ type_double() }}) / n_total as {{ type_double() }}) as share_at_least
    from shares
)

select * from final
