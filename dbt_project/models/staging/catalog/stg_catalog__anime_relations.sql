-- One row per (anime, related-title URL) as the entry lists it (`relatedAnime`; `relations` in
-- older releases), with the URL's match key (see stg_catalog__anime_sources).
with

source as (
    select
        anime_id,
        related_anime
    from {{ ref('stg_catalog__anime') }}
),

exploded as (
    select
        anime_id,
        {{ explode('related_anime') }} as raw_url
    from source
),

renamed as (
    select distinct
        anime_id,
        trim(raw_url) as related_url,
        {{ url_match_key('raw_url') }} as url_key
    from exploded
)

select * from renamed
where related_url <> ''
