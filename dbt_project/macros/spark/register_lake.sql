{#-
    Declare Parquet datasets as the Spark target's source tables, one per entry of `tables`
    ({schema, name, partition_column}), at `<lake>/<schema>/<name>`: replaces an earlier declaration
    (the files stay: the tables are external), then lists a partitioned table's day folders in the metastore.
    `python -m warehouse.lake --register-spark` calls it after each export; on a cluster, run
    it with your own lake path, or create the tables yourself (docs/spark.md).
    dbt run-operation register_lake --target spark --args '{lake: /path, tables: [...]}'
-#}
{% macro register_lake(lake, tables) %}
    {%- if target.type != 'spark' -%}
        {{ exceptions.raise_compiler_error("register_lake is for the spark target: add --target spark") }}
    {%- endif -%}
    {%- for table in tables -%}
        {%- set relation = table.schema ~ '.' ~ table.name -%}
        {%- do run_query('create database if not exists ' ~ table.schema) -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
        {#- columns and day partitions are read from the files -#}
        {%- do run_query(
            'create table ' ~ relation ~ " using parquet location '" ~ lake ~ '/' ~ table.schema ~ '/' ~ table.name ~ "'"
        ) -%}
        {%- if table.partition_column -%}
            {%- do run_query('msck repair table ' ~ relation) -%}
        {%- endif -%}
        {{ log('registered ' ~ relation, info=true) }}
    {%- endfor -%}
{% endmacro %}

{#-
    On the spark target, before any model runs (on-run-start): the raw tables the selected models
    read must be declared, else stop with one line naming the step (Spark's own error is a page
    of query plan).
-#}
{% macro assert_lake_registered() %}
    {%- if not execute or target.type != 'spark' or flags.WHICH not in ('run', 'build') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set missing = [] -%}
    {%- set read = [] -%}
    {%- for node in graph.nodes.values() if node.unique_id in selected_resources -%}
        {%- do read.extend(node.sources | map('join', '.') | list) -%}
    {%- endfor -%}
    {%- for source in graph.sources.values()
        if source.schema == 'raw' and (source.source_name ~ '.' ~ source.name) in read -%}
        {%- if adapter.get_relation(source.database, source.schema, source.identifier) is none -%}
            {%- do missing.append(source.schema ~ '.' ~ source.identifier) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            missing | join(', ') ~ " not declared on Spark: run `python -m warehouse.lake --register-spark`"
            ~ " first (docs/spark.md)"
        ) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
