{#-
    delete+insert with a time bound on the delete. A model that sets `window_column` (e.g. started_at)
    declares that a row's value there never changes, so every row its new batch replaces is at least
    as recent as the batch's oldest row. The delete gets that bound as a literal; DuckDB then skips
    the older row groups (the tables are written in time order) instead of probing the whole table.
    Everything else is the adapter's own delete+insert.
-#}
{% macro duckdb__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
    {%- set predicates = (incremental_predicates or []) | list -%}
    {%- set window_column = config.get('window_column') -%}
    {%- if window_column and execute -%}
        {%- set oldest = timestamp_literal_of('min(' ~ window_column ~ ')', source) -%}
        {%- if oldest is not none -%}
            {%- do predicates.append(window_column ~ " >= " ~ oldest) -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(dbt.duckdb__get_delete_insert_merge_sql(
        target, source, unique_key, dest_columns, predicates if predicates else none
    )) }}
{%- endmacro %}
