{#-
    Helpers that let data tests check only what an incremental build rebuilt (see int_rebuild_window).
-#}

{#-
    The relation of model `model_name` of this project as it exists in the warehouse right now, or
    none (not built yet, or at parse time). Used to read an incremental model's state before it runs.
-#}
{% macro existing_model_relation(model_name) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.name == model_name and node.package_name == project_name -%}
            {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}

{#-
    A scalar SQL expression: the earliest time a data test has to check, i.e. the start of the window
    the current build rebuilt (from int_rebuild_window, which records it before the incremental
    models run; `window` names its column: checked_from for viewing_events and sessions,
    ml_features_checked_from for ml_features). On a full refresh, or when the models did not exist
    before the build, it is a date before any data, so the full build checks every row. When the test
    runs it is read once and inlined as a literal, so the test's scans skip the older row groups.
    Usage: `where started_at >= {{ rebuilt_window_start() }}`.
-#}
{% macro rebuilt_window_start(window='checked_from') -%}
    {%- set window_relation = existing_model_relation('int_rebuild_window') -%}
    {%- if window_relation is not none -%}
        {%- set found = timestamp_literal_of(window, window_relation) -%}
        {%- if found is not none -%}
            {{- return(found) -}}
        {%- endif -%}
    {%- endif -%}
    (select int_rebuild_window.{{ window }} from {{ ref('int_rebuild_window') }} as int_rebuild_window)
{%- endmacro %}

{#-
    A one-row query `select ... as rebuilt_from`: max(ts_column) - lookback_days of `relation` (an
    existing relation, see existing_model_relation), or null when `relation` is none or on a full
    refresh.
-#}
{% macro previous_window_start(relation, ts_column='started_at', lookback_days=0) -%}
    {%- if relation is none or flags.FULL_REFRESH -%}
        select cast(null as {{ dbt.type_timestamp() }}) as rebuilt_from
    {%- else -%}
        select {{ dbt.dateadd('day', -1 * lookback_days, 'max(' ~ ts_column ~ ')') }} as rebuilt_from
        from {{ relation }}
    {%- endif -%}
{%- endmacro %}

{#-
    The incremental models assume the log only grows at its end. A replaced log (e.g. a new
    simulator run with other users, days or seed) would leave the old plays in their tables. Run
    before any model (on-run-start): when the build selects int_plays_sessionised and it exists, the
    raw plays before its newest start must be exactly as many as it holds there; otherwise stop with
    one line naming the fix. Skipped on --full-refresh. Costs two counts.
-#}
{% macro assert_log_only_grew() %}
    {#- only commands that write models (compile, docs and tests read what is there) -#}
    {%- if not execute or flags.FULL_REFRESH or flags.WHICH not in ('run', 'build') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set watched = 'model.' ~ project_name ~ '.int_plays_sessionised' -%}
    {%- set built = existing_model_relation('int_plays_sessionised') -%}
    {%- if watched not in selected_resources or built is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.source_name == 'raw_events' and node.name == 'viewing_events' -%}
            {%- set raw_plays = adapter.get_relation(
                database=node.database, schema=node.schema, identifier=node.identifier
            ) -%}
            {%- if raw_plays is not none -%}
                {#- strictly before the newest built start: plays arriving late at that very
                    instant are legitimate (the incremental models rebuild it) -#}
                {%- set newest = "(select max(started_at) from " ~ built ~ ")" -%}
                {%- set counts = run_query(
                    "select (select count(*) from " ~ built ~ " where started_at < " ~ newest ~ "), "
                    ~ "count(*) from " ~ raw_plays ~ " where started_at < " ~ newest
                ).rows[0] -%}
                {%- if counts[0] != counts[1] -%}
                    {{ exceptions.raise_compiler_error(
                        "raw.viewing_events was replaced, not appended to: it holds " ~ counts[1]
                        ~ " plays before the newest play already built, the incremental tables "
                        ~ counts[0] ~ ". Rebuild them with `dbt build --full-refresh` (make run does)."
                    ) }}
                {%- endif -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}
