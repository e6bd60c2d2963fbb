{#-
    The incremental models assume the log only grows at its end (see rebuild_from). A replaced log
    (e.g. a new simulator run with other users, days or seed) would leave the old plays in their
    tables. Run before any model (on-run-start) of `dbt run` / `dbt build` without --full-refresh:
    when int_plays_sessionised exists, the raw plays before its newest start must be exactly as
    many as it holds there; otherwise stop with one line naming the fix. Costs two counts.
    Plays logged late at that very instant are legitimate: the incremental models rebuild it.
-#}
{% macro assert_log_only_grew() %}
    {%- if not execute or flags.FULL_REFRESH or flags.WHICH not in ('run', 'build') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set model = graph.nodes.get('model.' ~ project_name ~ '.int_plays_sessionised') -%}
    {%- set source = graph.sources.get('source.' ~ project_name ~ '.raw_events.viewing_events') -%}
    {%- if model is none or source is none or model.unique_id not in selected_resources -%}
        {{ return('') }}
    {%- endif -%}
    {%- set built = adapter.get_relation(model.database, model.schema, model.alias) -%}
    {%- set raw_plays = adapter.get_relation(source.database, source.schema, source.identifier) -%}
    {%- if built is none or raw_plays is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set newest = "(select max(started_at) from " ~ built ~ ")" -%}
    {%- set counts = run_query(
        "select (select count(*) from " ~ built ~ " where started_at < " ~ newest ~ "), "
        ~ "(select count(*) from " ~ raw_plays ~ " where started_at < " ~ newest ~ ")"
    ).rows[0] -%}
    {%- if counts[0] != counts[1] -%}
        {{ exceptions.raise_compiler_error(
            "raw.viewing_events was replaced, not appended to: it holds " ~ counts[1]
            ~ " plays before the newest play already built, the incremental tables "
            ~ counts[0] ~ ". Rebuild them with `dbt build --full-refresh` (make run does)."
        ) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
