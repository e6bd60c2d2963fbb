{#-
    Helpers for the engagement models (staging/events, intermediate, marts/engagement, marts/ml).
    Everything engine-specific is dispatched: a duckdb__ implementation and a portable default__.
-#}

{#- A double-precision float type (dbt.type_float() is 4-byte REAL on some engines). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'anime_warehouse')()) }}
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{#- Spark parses `double`, not `double precision`. -#}
{% macro spark__type_double() -%}
    double
{%- endmacro %}

{#- Seconds from `start_ts` to `end_ts` as a double (fractional seconds kept). -#}
{% macro seconds_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('seconds_between', 'anime_warehouse')(start_ts, end_ts)) }}
{%- endmacro %}

{#-
    Counted in whole microseconds, then divided: epoch() (seconds as a double) leaves a recent
    timestamp only about 0.2 microseconds of precision, which a difference of close plays shows.
-#}
{% macro duckdb__seconds_between(start_ts, end_ts) -%}
    (cast(epoch_us({{ end_ts }}) - epoch_us({{ start_ts }}) as double) / 1000000)
{%- endmacro %}

{% macro default__seconds_between(start_ts, end_ts) -%}
    cast({{ dbt.datediff(start_ts, end_ts, 'second') }} as {{ type_double() }})
{%- endmacro %}

{#- dbt.datediff on Spark counts whole seconds (to_unix_timestamp): count microseconds instead. -#}
{% macro spark__seconds_between(start_ts, end_ts) -%}
    (cast(unix_micros({{ end_ts }}) - unix_micros({{ start_ts }}) as double) / 1000000)
{%- endmacro %}

{#-
    A timestamp plus `interval` whole days or seconds (an integer SQL expression), fractions of a
    second kept: dbt.dateadd does this on DuckDB, but on Spark it goes through whole-second Unix
    times and drops them.
-#}
{% macro timestamp_add(datepart, interval, ts) -%}
    {%- if datepart not in ('day', 'second') -%}
        {{ exceptions.raise_compiler_error("timestamp_add: datepart is day or second, not " ~ datepart) }}
    {%- endif -%}
    {{ return(adapter.dispatch('timestamp_add', 'anime_warehouse')(datepart, interval, ts)) }}
{%- endmacro %}

{% macro default__timestamp_add(datepart, interval, ts) -%}
    {{ dbt.dateadd(datepart, interval, ts) }}
{%- endmacro %}

{% macro spark__timestamp_add(datepart, interval, ts) -%}
    {%- if datepart == 'day' -%}
    ({{ ts }} + make_dt_interval({{ interval }}))
    {%- else -%}
    ({{ ts }} + make_dt_interval(0, 0, 0, {{ interval }}))
    {%- endif -%}
{%- endmacro %}

{#- ISO day of week: 1 = Monday ... 7 = Sunday. -#}
{% macro iso_day_of_week(ts) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'anime_warehouse')(ts)) }}
{%- endmacro %}

{% macro duckdb__iso_day_of_week(ts) -%}
    isodow({{ ts }})
{%- endmacro %}

{% macro default__iso_day_of_week(ts) -%}
    extract(isodow from {{ ts }})
{%- endmacro %}

{% macro spark__iso_day_of_week(ts) -%}
    (((dayofweek({{ ts }}) + 5) % 7) + 1)
{%- endmacro %}

{#- Hour of day 0-23. -#}
{% macro hour_of_day(ts) -%}
    extract(hour from {{ ts }})
{%- endmacro %}

{#-
    Window frame over the `days` days up to and including the current row's timestamp, per partition:
    `count(*) over ({{ trailing_days_window('user_id', 'started_at', 7) }})`.
-#}
{% macro trailing_days_window(partition_by, order_ts, days) -%}
    {{ return(adapter.dispatch('trailing_days_window', 'anime_warehouse')(partition_by, order_ts, days)) }}
{%- endmacro %}

{% macro duckdb__trailing_days_window(partition_by, order_ts, days) -%}
    partition by {{ partition_by }}
    order by {{ order_ts }}
    range between interval {{ days }} day preceding and current row
{%- endmacro %}

{% macro spark__trailing_days_window(partition_by, order_ts, days) -%}
    partition by {{ partition_by }}
    order by unix_micros({{ order_ts }})
    range between {{ days * 86400 * 1000000 }} preceding and current row
{%- endmacro %}

{% macro default__trailing_days_window(partition_by, order_ts, days) -%}
    partition by {{ partition_by }}
    order by {{ dbt.datediff("cast('1970-01-01' as " ~ dbt.type_timestamp() ~ ")", order_ts, 'second') }}
    range between {{ days * 86400 }} preceding and current row
{%- endmacro %}

{#-
    The newest non-null value of `expr` over the named window `window` (rows up to the current one).
    Engines spell "ignore nulls" differently: DuckDB (and BigQuery) inside the call, Spark as a flag
    of `last`, the SQL standard after the call.
-#}
{% macro last_non_null(expr, window) -%}
    {{ return(adapter.dispatch('last_non_null', 'anime_warehouse')(expr, window)) }}
{%- endmacro %}

{% macro duckdb__last_non_null(expr, window) -%}
    last_value({{ expr }} ignore nulls) over {{ window }}
{%- endmacro %}

{% macro spark__last_non_null(expr, window) -%}
    last({{ expr }}, true) over {{ window }}
{%- endmacro %}

{% macro default__last_non_null(expr, window) -%}
    last_value({{ expr }}) ignore nulls over {{ window }}
{%- endmacro %}

{#-
    A one-column relation `n` holding the integers 0..upper_bound, where upper_bound is a scalar SQL
    expression (e.g. a scalar subquery). Use as `from ({{ integer_series('(select ...)') }}) as s`.
-#}
{% macro integer_series(upper_bound) -%}
    {{ return(adapter.dispatch('integer_series', 'anime_warehouse')(upper_bound)) }}
{%- endmacro %}

{% macro duckdb__integer_series(upper_bound) -%}
    select cast(unnest(range(0, cast({{ upper_bound }} as bigint) + 1)) as integer) as n
{%- endmacro %}

{% macro default__integer_series(upper_bound) -%}
    {#- dbt's generate_series needs a constant bound: 4096 days or weeks is more than any window. -#}
    select cast(generated_number - 1 as {{ dbt.type_int() }}) as n
    from ({{ dbt.generate_series(4097) }}) as generated
    where generated_number - 1 <= {{ upper_bound }}
{%- endmacro %}

{#- Whole days from `start_date` to `end_date` (dates or timestamps truncated to dates). -#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'anime_warehouse')(start_date, end_date)) }}
{%- endmacro %}

{% macro duckdb__days_between(start_date, end_date) -%}
    date_diff('day', cast({{ start_date }} as date), cast({{ end_date }} as date))
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}

{#- The median of `expr` as an aggregate, halfway between the middle two values of an even count. -#}
{% macro median_of(expr) -%}
    {{ return(adapter.dispatch('median_of', 'anime_warehouse')(expr)) }}
{%- endmacro %}

{% macro duckdb__median_of(expr) -%}
    median({{ expr }})
{%- endmacro %}

{% macro default__median_of(expr) -%}
    percentile_cont(0.5) within group (order by {{ expr }})
{%- endmacro %}

{% macro spark__median_of(expr) -%}
    percentile({{ expr }}, 0.5)
{%- endmacro %}
