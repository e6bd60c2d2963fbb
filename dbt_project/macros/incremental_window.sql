{#-
    The incremental contract, for every incremental model of the project (docs/DESIGN.md,
    "Incremental builds"): a build rebuilds whole days, from the day of the newest row the model
    already holds minus the label horizon H (`continuation_horizon_days`), to the end of the log
    (the strategy is set for every model in dbt_project.yml, per engine; each model names its grain
    in `unique_key` and its day column in `partition_by=day_partition(...)`).
    Every row before that day is final: its labels resolved, its features and sessions settled, when
    the previous build wrote it. The rebuilt rows replace the old ones by the model's grain on DuckDB
    (delete+insert) and by day partition on Spark (insert_overwrite); since a rebuilt day is rebuilt
    whole and the log only grows, both leave the same rows and no row of a rebuilt day behind.

    rebuild_from(column) returns that first day as a timestamp literal, looked up from the model's
    own table before its query is compiled (a literal is pushed into the scans), or a date before any
    data on a full build.
-#}
{% macro rebuild_from(column='started_at') -%}
    {%- if execute and is_incremental() -%}
        {%- set newest = run_query(
            "select cast(max(" ~ column ~ ") as " ~ dbt.type_string() ~ ") from " ~ this
        ).columns[0].values()[0] -%}
        {%- if newest is not none -%}
            {%- set first_day = modules.datetime.date.fromisoformat(newest[:10])
                - modules.datetime.timedelta(days=var('continuation_horizon_days')) -%}
            {{- return("cast('" ~ first_day.isoformat() ~ "' as " ~ dbt.type_timestamp() ~ ")") -}}
        {%- endif -%}
    {%- endif -%}
    {{- return("cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")") -}}
{%- endmacro %}

{#-
    The table's day partitions, for the config of an incremental model:
    `config(..., partition_by=day_partition('started_on'))`. On Spark, where Parquet tables are
    replaced a partition at a time (insert_overwrite), a rebuilt day is one partition; engines that
    replace rows by unique_key (DuckDB: delete+insert) need none.
-#}
{% macro day_partition(column) -%}
    {{ return(adapter.dispatch('day_partition', 'anime_warehouse')(column)) }}
{%- endmacro %}

{% macro default__day_partition(column) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__day_partition(column) -%}
    {{ return([column]) }}
{%- endmacro %}
