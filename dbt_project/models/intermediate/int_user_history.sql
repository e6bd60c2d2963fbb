{{ config(
    materialized='incremental',
    unique_key=['user_id', 'happened_at'],
    partition_by=day_partition('happened_on'),
) }}

{#-
    The user's history: one row per user and instant at which one of their plays started or one of
    their labels resolved, with the user's totals at that instant (see instant_history for the
    point-in-time rules and the incremental build). int_play_features reads a play's user features
    at (user_id, started_at). Each amount below is summed per instant (instant_<name>) and over the
    plays strictly before it (prior_<name>).
-#}

{{ instant_history('user_id', [
    ('plays', '1', dbt.type_bigint()),
    ('completion', 'plays.completion', type_double()),
    ('titles', 'case when firsts.is_first_title_play then 1 else 0 end', dbt.type_bigint()),
]) }}
