-- MyAnimeList popularity snapshot, one row per MAL id.
with

source as (
    select * from {{ source('raw_catalog', 'anime_popularity') }}
),

renamed as (
    select
        mal_id,
        members as popularity_members,
        mal_rating
    from source
)

select * from renamed
