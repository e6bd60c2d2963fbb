{#-
    Confidence intervals for the rates the marts publish.

    wilson_interval(successes, trials, bound): one end ('lower' or 'upper') of the 95% Wilson score
    interval of the proportion successes / trials (both integer SQL expressions); null when
    trials is 0. With p = successes / trials, n = trials and z = 1.96:
        (p + z^2 / 2n  -/+  z sqrt(p (1 - p) / n + z^2 / 4n^2)) / (1 + z^2 / n)
    Unlike the textbook p +- z sqrt(p (1 - p) / n) it stays inside [0, 1] and keeps a width when
    p is 0 or 1, which small cohorts and late episodes often are (Wilson 1927; Brown, Cai and
    DasGupta 2001 recommend it for every n). At p = 0 the lower end is exactly 0 and at p = 1 the
    upper end exactly 1 (the formula's value there, without its rounding).
    z is the one the Kaplan-Meier bands of retention_by_episode use. Every term is a double:
    Spark would type 1.96 * n as a decimal.
-#}
{% macro wilson_interval(successes, trials, bound) -%}
    {%- if bound not in ('lower', 'upper') -%}
        {{ exceptions.raise_compiler_error("wilson_interval: bound is 'lower' or 'upper', not " ~ bound) }}
    {%- endif -%}
    {%- set n = 'cast(' ~ trials ~ ' as ' ~ type_double() ~ ')' -%}
    {%- set p = '(cast(' ~ successes ~ ' as ' ~ type_double() ~ ') / ' ~ n ~ ')' -%}
    {%- set z = 'cast(1.96 as ' ~ type_double() ~ ')' -%}
    {%- set sign = '-' if bound == 'lower' else '+' -%}
    case
        when {{ trials }} > 0 and {{ successes }} = {{ 0 if bound == 'lower' else trials }}
            then {{ '0.0' if bound == 'lower' else '1.0' }}
        when {{ trials }} > 0
            then (
                {{ p }} + {{ z }} * {{ z }} / (2 * {{ n }})
                {{ sign }} {{ z }} * sqrt({{ p }} * (1 - {{ p }}) / {{ n }} + {{ z }} * {{ z }} / (4 * {{ n }} * {{ n }}))
            ) / (1 + {{ z }} * {{ z }} / {{ n }})
    end
{%- endmacro %}
