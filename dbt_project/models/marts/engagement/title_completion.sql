{#-
    One row per title of the funnel (title_funnel): viewers, finishers, the hook episode, the
    number of drop-off hot spots, and how long finishers took: median_days_to_finish is the median,
    over user-titles that played the last episode, of the days from their first play of the title
    to their first play of its last episode.
-#}

with

user_titles as (
    select
        anime_id,
        first_played_at,
        first_finished_at
    from {{ ref('int_user_titles_aggregated') }}
),

funnel as (
    select * from {{ ref('title_funnel') }}
),

title_funnels as (
    select
        anime_id,
        max(episodes_total) as episodes_total,
        max(case when is_hook_episode then episode_number end) as hook_episode_number,
        sum(case when is_drop_off_hot_spot then 1 else 0 end) as drop_off_hot_spots
    from funnel
    group by anime_id
),

finishing as (
    select
        anime_id,
        count(*) as viewers,
        count(first_finished_at) as finishers,
        {{ median_of(seconds_between('first_played_at', 'first_finished_at') ~ ' / 86400.0') }}
            as median_days_to_finish
    from user_titles
    group by anime_id
),

final as (
    select
        title_funnels.anime_id,
        cast(title_funnels.episodes_total as {{ dbt.type_int() }}) as episodes_total,
        cast(finishing.viewers as {{ dbt.type_bigint() }}) as viewers,
        cast(finishing.finishers as {{ dbt.type_bigint() }}) as finishers,
        cast(title_funnels.hook_episode_number as {{ dbt.type_int() }}) as hook_episode_number,
        cast(title_funnels.drop_off_hot_spots as {{ dbt.type_int() }}) as drop_off_hot_spots,
        cast(finishing.median_days_to_finish as {{ type_double() }}) as median_days_to_finish
    from title_funnels
    inner join finishing
        on title_funnels.anime_id = finishing.anime_id
)

select * from final
