{#-
    The fallback part of the stable anime id. anime-offline-database entries carry no id: the id
    comes from the highest-ranked site's source URL (stg_catalog__anime.sql), else from the key
    below, a hash of the normalised title, type and season year.
-#}
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

{#-
    How a related-title URL is matched to the entry it names: lower case, without its scheme, a
    leading `www.` or trailing slashes. Source URLs and related-title URLs must use the same key.
-#}
{% macro url_match_key(url) -%}
    regexp_replace(regexp_replace(lower(trim({{ url }})), '^https?://(www[.])?', ''), '/+$', '')
{%- endmacro %}
