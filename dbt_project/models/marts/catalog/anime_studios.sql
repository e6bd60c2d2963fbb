-- One row per (anime, studio).
with

studios as (
    select * from {{ ref('stg_catalog__anime_studios') }}
),

final as (
    select
        anime_id,
        studio
    from studios
)

select * from final
