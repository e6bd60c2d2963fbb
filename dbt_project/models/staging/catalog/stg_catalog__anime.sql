-- One row per catalogue entry: cleaned columns and the stable anime_id.
with

source as (
    select * from {{ source('raw_catalog', 'anime_catalog') }}
),

renamed as (
    select
        entry_index,
        {{ clean_whitespace('title') }} as title,
        anime_type,
        -- 0 episodes is how the catalogue says "not known yet" (upcoming titles)
        nullif(episodes, 0) as episodes,
        status,
        nullif(season, 'UNDEFINED') as season,
        season_year,
        case when duration_unit = 'SECONDS' and duration_value > 0 then duration_value end
            as duration_seconds,
        score_arithmetic_mean as score_mean,
        score_median,
        sources,
        synonyms,
        tags,
        {{ dbt.safe_cast(
            "regexp_extract(" ~ first_containing('sources', 'myanimelist.net/anime/')
            ~ ", 'myanimelist[.]net/anime/([0-9]+)', 1)",
            api.Column.translate_type("integer"),
        ) }} as mal_id,
        md5(cast(entry_json as {{ dbt.type_string() }})) as entry_hash
    from source
),

keyed as (
    select
        *,
        coalesce(
            {{ source_key('sources') }},
            {{ title_key('title', 'anime_type', 'season_year') }}
        ) as base_id
    from renamed
),

final as (
    select
        -- distinct entries that share a base id get a suffix ordered by their content hash,
        -- so the assignment does not depend on file order or format
        base_id || case
            when count(*) over (partition by base_id) > 1
                then '-' || cast(
                    row_number() over (partition by base_id order by entry_hash) as {{ dbt.type_string() }}
                )
            else ''
        end as anime_id,
        entry_index,
        title,
        anime_type,
        episodes,
        status,
        season,
        season_year,
        duration_seconds,
        score_mean,
        score_median,
        sources,
        synonyms,
        tags,
        mal_id
    from keyed
)

select * from final
