-- One row per anime: the catalogue master every other stage joins to.
with

anime as (
    select * from {{ ref('stg_catalog__anime') }}
),

popularity as (
    select * from {{ ref('stg_catalog__popularity') }}
),

joined as (
    select
        anime.anime_id,
        anime.title,
        anime.anime_type,
        anime.episodes,
        anime.status,
        anime.season,
        anime.season_year,
        anime.duration_seconds,
        anime.score_mean,
        anime.score_median,
        anime.tags,
        popularity.popularity_members,
        popularity.mal_rating,
        anime.mal_id,
        anime.picture,
        anime.thumbnail,
        cast({{ list_size('anime.tags') }} as integer) as n_tags,
        cast({{ list_size('anime.sources') }} as integer) as n_sources,
        cast({{ list_size('anime.synonyms') }} as integer) as n_synonyms
    from anime
    left join popularity
        on anime.mal_id = popularity.mal_id
),

final as (
    select
        anime_id,
        title,
        anime_type,
        episodes,
        status,
        season,
        season_year,
        duration_seconds,
        score_mean,
        score_median,
        tags,
        n_tags,
        n_sources,
        n_synonyms,
        mal_id,
        popularity_members,
        mal_rating,
        picture,
        thumbnail
    from joined
)

select * from final
