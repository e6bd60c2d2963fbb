-- One row per (anime, source URL), with the URL's match key: lower case, without its scheme, a
-- leading `www.` or trailing slashes (the `url_match_key` macro, shared with the relations).
with

source as (
    select
        anime_id,
        sources
    from {{ ref('stg_catalog__anime') }}
),

exploded as (
    select
        anime_id,
        {{ explode('sources') }} as raw_url
    from source
),

renamed as (
    select distinct
        anime_id,
        trim(raw_url) as source_url,
        {{ url_match_key('raw_url') }} as url_key
    from exploded
)

select * from renamed
where source_url <> ''
