{#-
    Select columns of source('ml', table_name), cast to the data_type declared for them in
    models/staging/ml/_ml__sources.yml, or, when the table does not exist yet (no training run so
    far), an empty result with the same typed columns. The ml_outputs marts use it so `dbt build`
    works before `python ml/train.py` has run.

    column_names: the columns to select (default: every column declared in the YAML, in order).
    The source() call always happens, so lineage and `dbt ls -s source:ml` stay correct.
-#}
{% macro ml_source_or_empty(table_name, column_names=none) -%}
    {%- set source_relation = source('ml', table_name) -%}
    {%- if not execute -%}
        select 1 as parsing_only
    {%- else -%}
        {%- set declared = {} -%}
        {%- for node in graph.sources.values()
            if node.source_name == 'ml' and node.name == table_name -%}
            {%- for column in node.columns.values() -%}
                {%- do declared.update({column.name: column.data_type}) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- set names = column_names if column_names is not none else declared.keys() | list -%}
        {%- for name in names if name not in declared -%}
            {{ exceptions.raise_compiler_error(
                "ml_source_or_empty: column '" ~ name ~ "' of ml." ~ table_name
                ~ " has no data_type in _ml__sources.yml") }}
        {%- endfor -%}
        {%- set existing = adapter.get_relation(
            database=source_relation.database,
            schema=source_relation.schema,
            identifier=source_relation.identifier,
        ) -%}
    select
        {%- for name in names %}
        {%- if existing is none %}
        cast(null as {{ declared[name] }}) as {{ name }}
        {%- else %}
        cast({{ name }} as {{ declared[name] }}) as {{ name }}
        {%- endif -%}
        {{- "," if not loop.last }}
        {%- endfor %}
        {%- if existing is none %}
    where 1 = 0
        {%- else %}
    from {{ source_relation }}
        {%- endif %}
    {%- endif %}
{%- endmacro %}
