{#- One query, nothing else: `dbt run-operation spark_session_ready` times the start-up of a session. -#}
{% macro spark_session_ready() %}
    {%- do run_query('select 1') -%}
{% endmacro %}
