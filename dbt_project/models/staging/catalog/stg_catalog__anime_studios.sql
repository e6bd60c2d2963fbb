-- One row per (anime, studio); names trimmed and lower-cased (as the catalogue publishes them),
-- duplicates and blanks dropped.
with

source as (
    select
        anime_id,
        studios
    from {{ ref('stg_catalog__anime') }}
),

exploded as (
    select
        anime_id,
        {{ explode('studios') }} as raw_studio
    from source
),

renamed as (
    select distinct
        anime_id,
        lower(trim(raw_studio)) as studio
    from exploded
)

select * from renamed
where studio <> ''
