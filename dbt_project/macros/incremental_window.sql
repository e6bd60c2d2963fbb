{#-
    The incremental contract, for every incremental model of the project (docs/DESIGN.md,
    "Incremental builds"): a build rebuilds whole days, from H (`continuation_horizon_days`) before
    the earlier of
    - the day of the newest row the model already holds, and
    - the first earlier day on which the model's input holds more plays than the model counts
      (late plays, appended with starts before the newest built play),
    to the end of the log. The strategy is set for every model in dbt_project.yml, per engine; each
    model names its grain in `unique_key` and its day column in `partition_by=day_partition(...)`.
    Every row before that day is final: a play more than H before any new play can have no new
    later episode within its horizon, nor a new play before it in its session or history. The
    rebuilt rows replace the old ones by the model's grain on DuckDB (delete+insert) and by day
    partition on Spark (insert_overwrite); plays are only ever added, and no model's row of a rebuilt
    day disappears when a play is added, so both leave the same rows.

    rebuild_from(column, log, plays, period) returns that first day as a timestamp literal, looked
    up before the model's query is compiled (a literal is pushed into the scans), or a date before
    any data on a full build. `column` is the model's time column; `log` the model's input of one
    row per play (a ref with started_at; built before the model in the same run, so it holds the
    late plays already); `plays` counts the plays a row of the model stands for (`count(*)` for one
    row per play, `sum(n_plays)` for one row per user and day, ...); `period` ('day' or 'week') is
    the period of `column`, the grain at which the model's plays are compared with the input's.
    An input that holds fewer plays on a day than the model built (plays removed: a replaced log)
    cannot be built incrementally (the removed plays' rows would stay): the build stops with one
    line.
-#}
{% macro rebuild_from(column, log, plays='count(*)', period='day') -%}
    {%- if execute and is_incremental() -%}
        {%- set newest = run_query(
            "select cast(max(" ~ column ~ ") as " ~ dbt.type_string() ~ ") from " ~ this
        ).columns[0].values()[0] -%}
        {%- if newest is not none -%}
            {%- set horizon = modules.datetime.timedelta(days=var('continuation_horizon_days')) -%}
            {%- set first_day = modules.datetime.date.fromisoformat(newest[:10]) - horizon -%}
            {%- set changed = first_changed_period(log, column, plays, period, first_day) -%}
            {%- if changed is not none and changed - horizon < first_day -%}
                {%- set first_day = changed - horizon -%}
            {%- endif -%}
            {{- return("cast('" ~ first_day.isoformat() ~ "' as " ~ dbt.type_timestamp() ~ ")") -}}
        {%- endif -%}
    {%- endif -%}
    {{- return("cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")") -}}
{%- endmacro %}

{#-
    The first period before `before` (a date) in which `log` holds more plays than the model, as a
    date, or none. Stops the build when the model holds more plays than `log` in any period.
-#}
{% macro first_changed_period(log, column, plays, period, before) -%}
    {%- set before_literal = "cast('" ~ before.isoformat() ~ "' as " ~ dbt.type_timestamp() ~ ")" -%}
    {%- set query -%}
        with

        logged as (
            select
                cast({{ dbt.date_trunc(period, 'started_at') }} as date) as period_start,
                count(*) as n_plays
            from {{ log }}
            group by cast({{ dbt.date_trunc(period, 'started_at') }} as date)
        ),

        built as (
            select
                cast({{ column }} as date) as period_start,
                {{ plays }} as n_plays
            from {{ this }}
            group by cast({{ column }} as date)
        ),

        changed as (
            select
                coalesce(logged.period_start, built.period_start) as period_start,
                coalesce(logged.n_plays, 0) as logged_plays,
                coalesce(built.n_plays, 0) as built_plays
            from logged
            full outer join built
                on logged.period_start = built.period_start
            where coalesce(logged.n_plays, 0) != coalesce(built.n_plays, 0)
        )

        select
            cast(
                min(case when period_start < {{ before_literal }} then period_start end)
                as {{ dbt.type_string() }}
            ) as first_grown,
            cast(
                min(case when built_plays > logged_plays then period_start end)
                as {{ dbt.type_string() }}
            ) as first_lost
        from changed
    {%- endset -%}
    {%- set row = run_query(query).rows[0] -%}
    {%- if row[1] is not none -%}
        {{ exceptions.raise_compiler_error(
            "the log holds fewer plays than " ~ this.identifier ~ " was built from, from "
            ~ row[1] ~ " on (raw.viewing_events was replaced, not appended to): rebuild with "
            ~ "`dbt build --full-refresh` (make run does)."
        ) }}
    {%- endif -%}
    {%- if row[0] is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(modules.datetime.date.fromisoformat(row[0][:10])) }}
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
