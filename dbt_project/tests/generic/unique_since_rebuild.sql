{#-
    `column_name` is unique, checked for what an incremental build rebuilt: every value carried by a
    row whose `time_column` is in the rebuilt window (see rebuilt_window_start; `window` names the
    window) occurs once in the whole table, older rows included. Rows before the window were checked
    by the build that wrote them. On a full build the window covers everything: the plain `unique`.
    Fails with one row per repeated value.
-#}
{% test unique_since_rebuild(model, column_name, time_column='started_at', window='checked_from') %}

    with

    rebuilt as (
        select {{ column_name }} as rebuilt_value
        from {{ model }}
        where {{ time_column }} >= {{ rebuilt_window_start(window) }}
    )

    select
        {{ column_name }} as unique_field,
        count(*) as n_records
    from {{ model }}
    where {{ column_name }} in (select rebuilt.rebuilt_value from rebuilt)
    group by {{ column_name }}
    having count(*) > 1

{% endtest %}
