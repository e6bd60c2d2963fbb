{#-
    The sites whose source URLs name an id, in rank order: the id comes from the first source URL
    of the highest-ranked site present (a MyAnimeList or AniDB id survives re-releases and title
    edits). Each row is (prefix, needle, pattern): the first URL containing the needle, its id the
    pattern's group. A site may have several URL forms (older releases wrote AniDB as
    anidb.net/a4563 or anidb.net/perl-bin/animedb.pl?show=anime&aid=4563): each is a row, in the
    site's place. Kitsu ids are numbers (a kitsu slug URL names no id and is passed over);
    anime-planet and notify.moe ids are their slugs. Patterns avoid backslashes (Spark and DuckDB
    read them alike).
-#}
{%- set source_sites = [
    ('mal', 'myanimelist.net/anime/', 'myanimelist[.]net/anime/([0-9]+)'),
    ('anidb', 'anidb.net/anime/', 'anidb[.]net/anime/([0-9]+)'),
    ('anidb', 'anidb.net/a', 'anidb[.]net/a([0-9]+)'),
    ('anidb', 'anidb.net/perl-bin/', 'anidb[.]net/perl-bin/animedb[.]pl[?](?:.*&)?aid=([0-9]+)'),
    ('anilist', 'anilist.co/anime/', 'anilist[.]co/anime/([0-9]+)'),
    ('kitsu', 'kitsu.app/anime/', 'kitsu[.]app/anime/([0-9]+)(?:[/?#]|$)'),
    ('kitsu', 'kitsu.io/anime/', 'kitsu[.]io/anime/([0-9]+)(?:[/?#]|$)'),
    ('animeplanet', 'anime-planet.com/anime/', 'anime-planet[.]com/anime/([^/?#]+)'),
    ('livechart', 'livechart.me/anime/', 'livechart[.]me/anime/([0-9]+)'),
    ('notify', 'notify.moe/anime/', 'notify[.]moe/anime/([^/?#]+)'),
    ('anisearch', 'anisearch.com/anime/', 'anisearch[.]com/anime/([0-9]+)'),
    ('simkl', 'simkl.com/anime/', 'simkl[.]com/anime/([0-9]+)'),
    ('animecountdown', 'animecountdown.com/', 'animecountdown[.]com/([0-9]+)'),
    ('ann', 'animenewsnetwork.com/encyclopedia/anime.php',
        'animenewsnetwork[.]com/encyclopedia/anime[.]php[?](?:.*&)?id=([0-9]+)'),
] -%}
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
        studios,
        producers,
        related_anime,
        nullif(trim(picture), '') as picture,
        nullif(trim(thumbnail), '') as thumbnail,
        {{ dbt.safe_cast(
            "regexp_extract(" ~ first_containing('sources', 'myanimelist.net/anime/')
            ~ ", 'myanimelist[.]net/anime/([0-9]+)', 1)",
            api.Column.translate_type("integer"),
        ) }} as mal_id,
        -- ingest's md5 of the entry's canonical JSON: the same whatever the file's layout
        entry_hash
    from source
),

keyed as (
    select
        *,
        coalesce(
            {%- for prefix, needle, pattern in source_sites %}
                '{{ prefix }}-' || nullif(
                    regexp_extract({{ first_containing('sources', needle) }}, '{{ pattern }}', 1), ''
                ),
            {%- endfor %}
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
        studios,
        producers,
        related_anime,
        picture,
        thumbnail,
        mal_id
    from keyed
)

select * from final
