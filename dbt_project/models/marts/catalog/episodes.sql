-- One row per episode of every title with a known, positive episode count.
with

anime as (
    select
        anime_id,
        episodes,
        duration_seconds
    from {{ ref('anime_master') }}
    where episodes > 0
),

numbered as (
    select
        anime_id,
        episodes,
        duration_seconds,
        {{ episode_numbers('episodes') }} as episode_number
    from anime
),

final as (
    select
        anime_id,
        cast(episode_number as integer) as episode_number,
        duration_seconds,
        episode_number = 1 as is_first,
        episode_number = episodes as is_last
    from numbered
)

select * from final
