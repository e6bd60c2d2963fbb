-- One row per (anime, tag); tags lower-cased and trimmed, empty tags dropped.
with

source as (
    select
        anime_id,
        tags
    from {{ ref('stg_catalog__anime') }}
),

exploded as (
    select
        anime_id,
        {{ explode('tags') }} as raw_tag
    from source
),

renamed as (
    select distinct
        anime_id,
        lower(trim(raw_tag)) as tag
    from exploded
)

select * from renamed
where tag <> ''
