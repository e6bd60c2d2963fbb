{#- Engine-specific list and text helpers, dispatched so models stay portable. -#}

{#- The first element of a string list that contains `needle`, else null. -#}
{% macro first_containing(list_column, needle) -%}
    {{ return(adapter.dispatch('first_containing', 'anime_warehouse')(list_column, needle)) }}
{%- endmacro %}

{% macro duckdb__first_containing(list_column, needle) -%}
    list_filter({{ list_column }}, lambda u: contains(u, '{{ needle }}'))[1]
{%- endmacro %}

{% macro spark__first_containing(list_column, needle) -%}
    filter({{ list_column }}, u -> instr(u, '{{ needle }}') > 0)[0]
{%- endmacro %}

{#- One output row per list element, used as a select expression. -#}
{% macro explode(list_column) -%}
    {{ return(adapter.dispatch('explode', 'anime_warehouse')(list_column)) }}
{%- endmacro %}

{% macro duckdb__explode(list_column) -%}
    unnest({{ list_column }})
{%- endmacro %}

{% macro spark__explode(list_column) -%}
    explode({{ list_column }})
{%- endmacro %}

{#- Trim and collapse runs of whitespace to one space. -#}
{% macro clean_whitespace(text_column) -%}
    {{ return(adapter.dispatch('clean_whitespace', 'anime_warehouse')(text_column)) }}
{%- endmacro %}

{% macro duckdb__clean_whitespace(text_column) -%}
    regexp_replace(trim({{ text_column }}), '\s+', ' ', 'g')
{%- endmacro %}

{% macro default__clean_whitespace(text_column) -%}
    regexp_replace(trim({{ text_column }}), '\\s+', ' ')
{%- endmacro %}

{#- The length of a list. -#}
{% macro list_size(list_column) -%}
    {{ return(adapter.dispatch('list_size', 'anime_warehouse')(list_column)) }}
{%- endmacro %}

{% macro duckdb__list_size(list_column) -%}
    len({{ list_column }})
{%- endmacro %}

{% macro default__list_size(list_column) -%}
    size({{ list_column }})
{%- endmacro %}

{#- One row per integer 1..n_column, used as a select expression. -#}
{% macro episode_numbers(n_column) -%}
    {{ return(adapter.dispatch('episode_numbers', 'anime_warehouse')(n_column)) }}
{%- endmacro %}

{% macro duckdb__episode_numbers(n_column) -%}
    unnest(generate_series(1, {{ n_column }}))
{%- endmacro %}

{% macro spark__episode_numbers(n_column) -%}
    explode(sequence(1, {{ n_column }}))
{%- endmacro %}

{#- The type of a list of strings. -#}
{% macro type_string_list() -%}
    {{ return(adapter.dispatch('type_string_list', 'anime_warehouse')()) }}
{%- endmacro %}

{% macro duckdb__type_string_list() -%}
    varchar[]
{%- endmacro %}

{% macro default__type_string_list() -%}
    array<string>
{%- endmacro %}

{#-
    A list-of-strings literal from a list of Python strings, typed (an empty list too), e.g. in a
    unit-test fixture: `{{ string_list(['drama']) }} as tags`.
-#}
{% macro string_list(values) -%}
    {%- set quoted = [] -%}
    {%- for value in values -%}
        {%- do quoted.append(dbt.string_literal(dbt.escape_single_quotes(value))) -%}
    {%- endfor -%}
    {{ return(adapter.dispatch('string_list', 'anime_warehouse')(quoted)) }}
{%- endmacro %}

{% macro duckdb__string_list(quoted) -%}
    cast([{{ quoted | join(', ') }}] as {{ type_string_list() }})
{%- endmacro %}

{% macro default__string_list(quoted) -%}
    cast(array({{ quoted | join(', ') }}) as {{ type_string_list() }})
{%- endmacro %}
