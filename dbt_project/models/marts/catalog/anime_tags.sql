-- One row per (anime, tag).
with

tags as (
    select * from {{ ref('stg_catalog__anime_tags') }}
),

final as (
    select
        anime_id,
        tag
    from tags
)

select * from final
