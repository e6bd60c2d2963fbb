-- One row per (anime, producer).
with

producers as (
    select * from {{ ref('stg_catalog__anime_producers') }}
),

final as (
    select
        anime_id,
        producer
    from producers
)

select * from final
