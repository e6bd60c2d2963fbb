-- One row per (anime, producer); names trimmed and lower-cased (as the catalogue publishes them),
-- duplicates and blanks dropped.
with

source as (
    select
        anime_id,
        producers
    from {{ ref('stg_catalog__anime') }}
),

exploded as (
    select
        anime_id,
        {{ explode('producers') }} as raw_producer
    from source
),

renamed as (
    select distinct
        anime_id,
        lower(trim(raw_producer)) as producer
    from exploded
)

select * from renamed
where producer <> ''
