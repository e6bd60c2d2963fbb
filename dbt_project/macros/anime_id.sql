{#-
    The stable anime id. anime-offline-database entries carry no id, so the id comes from the first
    source URL of the highest-ranked site below (a MyAnimeList or AniDB id survives re-releases and
    title edits), else from a hash of the normalised title, type and season year.
-#}
{% macro source_site_order() -%}
    {{ return([
        ('myanimelist.net/anime/', 'mal'),
        ('anidb.net/anime/', 'anidb'),
        ('anilist.co/anime/', 'anilist'),
        ('kitsu.app/anime/', 'kitsu'),
        ('kitsu.io/anime/', 'kitsu'),
        ('anime-planet.com/anime/', 'animeplanet'),
        ('livechart.me/anime/', 'livechart'),
        ('notify.moe/anime/', 'notify'),
        ('anisearch.com/anime/', 'anisearch'),
        ('simkl.com/anime/', 'simkl'),
    ]) }}
{%- endmacro %}

{#- '<site>-<id>' for the highest-ranked site present in the list of source URLs, else null. -#}
{% macro source_key(sources_column) -%}
    coalesce(
        {%- for needle, prefix in source_site_order() %}
        '{{ prefix }}-' || nullif(
            regexp_extract(
                {{ first_containing(sources_column, needle) }},
                '{{ needle | replace(".", "[.]") }}([^/?#]+)',
                1
            ),
            ''
        ){{ "," if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#- 't-' and 16 hex digits of md5(lower(title) | type | year): for entries without a source URL. -#}
{% macro title_key(title, anime_type, season_year) -%}
    't-' || substr(
        md5(
            lower({{ title }}) || '|' || {{ anime_type }} || '|'
            || coalesce(cast({{ season_year }} as {{ dbt.type_string() }}), '')
        ),
        1,
        16
    )
{%- endmacro %}
