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
        cast({{ list_size('anime.tags') }} as integer) as n_tags,
        cast({{ list_size('anime.sources') }} as integer) as n_sources,
        cast({{ list_size('anime.synonyms') }} as integer) as n_synonyms
    from anime
    left join popularity
        on anime.mal_id = popularity.mal_id
),

eligibility as (
    select
        *,
        -- the first rule a title fails; the simulator only streams episodic titles it can model:
        -- series (TV/ONA) that have aired, 2-200 episodes, a known 3-60 minute runtime, and tags
        -- (user taste is modelled over tags)
        case
            when anime_type not in ('TV', 'ONA') then 'type is not TV or ONA'
            when status not in ('FINISHED', 'ONGOING') then 'not aired (status ' || status || ')'
            when episodes is null then 'episode count unknown'
            when episodes < 2 then 'fewer than 2 episodes'
            when episodes > 200 then 'more than 200 episodes'
            when duration_seconds is null then 'duration unknown'
            when duration_seconds not between 180 and 3600 then 'duration outside 3-60 minutes'
            when n_tags = 0 then 'no tags'
        end as simulation_exclusion_reason
    from joined
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
        simulation_exclusion_reason is null as is_simulation_eligible,
        simulation_exclusion_reason
    from eligibility
)

select * from final
