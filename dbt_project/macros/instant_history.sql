{#-
    The body of a history model (int_user_history per user, int_title_history per title): one row
    per `key` and instant at which one of its plays started, with
    - instant_<name>: the sum of each amount over the plays that started at that instant;
    - prior_<name>: its sum over the plays that started strictly before the instant (plays at the
      same instant do not see each other);
    - resolved_labels / continued_labels: the labels resolved by the instant, included (a label
      resolved exactly at a play's start is known at that start), and not after the newest play of
      the log, so no row depends on what the log will hold later.

    amounts: a list of (name, SQL expression, type), the expression over one play: `plays`
    (int_plays_sessionised) and `firsts` (int_play_firsts) of that play. The first amount must be
    `plays` (1 per play): the incremental contract counts a row's plays with it. Adding an amount
    adds a history feature (docs/features.md).

    Rows exist only at play starts (resolutions move the running label counts between them): a
    late play adds rows but never removes one, as the incremental contract needs.
    Incremental (see rebuild_from): the instants of the rebuilt days are written again. Everything
    before them enters as one step per key: its play totals at its last earlier instant (running
    totals of non-negative amounts never decrease, so they are the maxima of the earlier rows) and
    its labels resolved before the rebuilt days.
-#}
{% macro instant_history(key, amounts) -%}
{%- set window_starts_at = rebuild_from('happened_at', ref('int_plays_sessionised'), plays='sum(instant_plays)') -%}

with

observed as (
    select max(started_at) as window_ends_at
    from {{ ref('int_plays_sessionised') }}
),

plays as (
    select
        plays.{{ key }},
        plays.started_at as happened_at,
        {%- for name, expression, type in amounts %}
        cast({{ expression }} as {{ type }}) as {{ name }},
        {%- endfor %}
        1 as is_play,
        0 as resolved,
        0 as continued
    from {{ ref('int_plays_sessionised') }} as plays
    inner join {{ ref('int_play_firsts') }} as firsts
        on plays.event_id = firsts.event_id
    where
        plays.started_at >= {{ window_starts_at }}
        and firsts.started_at >= {{ window_starts_at }}
),

resolutions as (
    select
        labelled.{{ key }},
        labelled.label_resolved_at as happened_at,
        {%- for name, expression, type in amounts %}
        cast(0 as {{ type }}) as {{ name }},
        {%- endfor %}
        0 as is_play,
        1 as resolved,
        case when labelled.next_episode_started_at is not null then 1 else 0 end as continued
    from {{ ref('int_plays_labelled') }} as labelled
    cross join observed
    where
        labelled.label_resolved_at >= {{ window_starts_at }}
        and labelled.label_resolved_at <= observed.window_ends_at
),

timeline as (
    select * from plays
    union all
    select * from resolutions
    {%- if is_incremental() %}
    union all
    select
        {{ key }},
        max(happened_at) as happened_at,
        {%- for name, expression, type in amounts %}
        max(prior_{{ name }} + instant_{{ name }}) as {{ name }},
        {%- endfor %}
        0 as is_play,
        0 as resolved,
        0 as continued
    from {{ this }}
    where happened_at < {{ window_starts_at }}
    group by {{ key }}
    union all
    select
        {{ key }},
        max(label_resolved_at) as happened_at,
        {%- for name, expression, type in amounts %}
        cast(0 as {{ type }}) as {{ name }},
        {%- endfor %}
        0 as is_play,
        count(*) as resolved,
        sum(case when next_episode_started_at is not null then 1 else 0 end) as continued
    from {{ ref('int_plays_labelled') }}
    where label_resolved_at < {{ window_starts_at }}
    group by {{ key }}
    {%- endif %}
),

steps as (
    select
        {{ key }},
        happened_at,
        {%- for name, expression, type in amounts %}
        sum({{ name }}) as {{ name }},
        {%- endfor %}
        max(is_play) as has_play,
        sum(resolved) as resolved,
        sum(continued) as continued
    from timeline
    group by {{ key }}, happened_at
),

running as (
    select
        {{ key }},
        happened_at,
        has_play,
        {%- for name, expression, type in amounts %}
        {{ name }} as instant_{{ name }},
        (sum({{ name }}) over so_far) - {{ name }} as prior_{{ name }},
        {%- endfor %}
        sum(resolved) over so_far as resolved_labels,
        sum(continued) over so_far as continued_labels
    from steps
    window so_far as (
        partition by {{ key }}
        order by happened_at
        rows between unbounded preceding and current row
    )
),

final as (
    select
        {{ key }},
        happened_at,
        {%- for name, expression, type in amounts %}
        cast(instant_{{ name }} as {{ type }}) as instant_{{ name }},
        cast(prior_{{ name }} as {{ type }}) as prior_{{ name }},
        {%- endfor %}
        cast(resolved_labels as {{ dbt.type_bigint() }}) as resolved_labels,
        cast(continued_labels as {{ dbt.type_bigint() }}) as continued_labels,
        -- the day partition a Spark build overwrites (incremental contract)
        cast(happened_at as date) as happened_on
    from running
    where has_play = 1 and happened_at >= {{ window_starts_at }}
)

select * from final
-- time order: the next build's window then reads only the newest row groups
order by happened_at, {{ key }}
{%- endmacro %}
