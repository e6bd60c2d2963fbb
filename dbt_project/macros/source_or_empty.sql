{#-
    The rows of source(source_name, table_name), or no rows while that table does not exist yet.
    For sources written after dbt's first build: the ml schema appears with the first
    `python ml/train.py`, and `dbt build` must work before it. Then the relation has the columns
    the source YAML declares, all null; the staging model that reads it casts every column, so
    both cases give it the same types. Only staging models call it (sources are read there only).
-#}
{% macro source_or_empty(source_name, table_name) -%}
    {%- set source_relation = source(source_name, table_name) -%}
    {%- set existing = none -%}
    {%- if execute -%}
        {%- set existing = adapter.get_relation(
            database=source_relation.database,
            schema=source_relation.schema,
            identifier=source_relation.identifier,
        ) -%}
    {%- endif -%}
    {%- if not execute or existing is not none -%}
    select * from {{ source_relation }}
    {%- else -%}
        {%- set declared = [] -%}
        {%- for node in graph.sources.values()
            if node.source_name == source_name and node.name == table_name -%}
            {%- do declared.extend(node.columns.keys() | list) -%}
        {%- endfor -%}
        {%- if not declared -%}
            {{ exceptions.raise_compiler_error(
                "source_or_empty: source('" ~ source_name ~ "', '" ~ table_name
                ~ "') declares no columns, so its empty stand-in has none") }}
        {%- endif %}
    select
        {%- for name in declared %}
        null as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    where 1 = 0
    {%- endif %}
{%- endmacro %}
