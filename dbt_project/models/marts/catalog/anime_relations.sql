-- One row per (anime, related-title URL): the related title's anime_id when the URL is one of a
-- catalogue entry's source URLs, else null (a title the release does not hold).
with

relations as (
    select * from {{ ref('stg_catalog__anime_relations') }}
),

sources as (
    select * from {{ ref('stg_catalog__anime_sources') }}
),

-- a source URL belongs to one entry in a release; min() keeps the join one row per URL if not
url_owners as (
    select
        url_key,
        min(anime_id) as related_anime_id
    from sources
    group by url_key
),

final as (
    select
        relations.anime_id,
        relations.related_url,
        url_owners.related_anime_id
    from relations
    left join url_owners
        on relations.url_key = url_owners.url_key
)

select * from final
