{#-
    Discrete-time Kaplan-Meier survival with its Greenwood 95% band, shared by retention_by_episode
    (steps over episodes) and cohort_survival (days since a user's first play).

    kaplan_meier(relation, at_risk, events, partition_by, order_by) writes three CTEs after the
    model's own (call it after a CTE's closing "),"); the last, kaplan_meier, is `relation` with
        km_survival = prod over steps so far of (1 - events / at_risk): 0 from the first step where
            everyone at risk left (ln 0 is not defined), unchanged by a step nobody is at risk of;
        km_greenwood_sum = sum over steps so far of events / (at_risk (at_risk - events)).
    km_band('lower' | 'upper') is then survival -+ 1.96 survival sqrt(km_greenwood_sum), clipped to
    [0, 1] ([0, 0] once survival is 0).
-#}
{% macro kaplan_meier(relation, at_risk, events, partition_by, order_by) -%}
km_steps as (
    select
        *,
        case
            when {{ at_risk }} = 0 then 0.0
            when {{ events }} < {{ at_risk }}
                then ln(1.0 - cast({{ events }} as {{ type_double() }}) / {{ at_risk }})
        end as km_log_step,
        case when {{ at_risk }} > 0 and {{ events }} = {{ at_risk }} then 1 else 0 end as km_is_wipeout,
        case
            when {{ events }} < {{ at_risk }}
                then
                    cast({{ events }} as {{ type_double() }})
                    / (cast({{ at_risk }} as {{ type_double() }}) * ({{ at_risk }} - {{ events }}))
            else 0
        end as km_greenwood_term
    from {{ relation }}
),

km_cumulative as (
    select
        *,
        {%- for column, total in [
            ('km_log_step', 'km_log_survival'),
            ('km_is_wipeout', 'km_wipeouts'),
            ('km_greenwood_term', 'km_greenwood_sum'),
        ] %}
        sum({{ column }}) over (
            partition by {{ partition_by }}
            order by {{ order_by }}
            rows between unbounded preceding and current row
        ) as {{ total }}{{ ',' if not loop.last }}
        {%- endfor %}
    from km_steps
),

kaplan_meier as (
    select
        *,
        case when km_wipeouts > 0 then 0.0 else exp(km_log_survival) end as km_survival
    from km_cumulative
)
{%- endmacro %}

{% macro km_band(bound) -%}
    {%- if bound == 'lower' -%}
        greatest(0.0, km_survival - 1.96 * km_survival * sqrt(km_greenwood_sum))
    {%- elif bound == 'upper' -%}
        least(1.0, km_survival + 1.96 * km_survival * sqrt(km_greenwood_sum))
    {%- else -%}
        {{ exceptions.raise_compiler_error("km_band: bound is 'lower' or 'upper', not " ~ bound) }}
    {%- endif -%}
{%- endmacro %}
