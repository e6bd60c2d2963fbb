{{ config(
    materialized='incremental',
    unique_key=['anime_id', 'happened_at'],
    partition_by=day_partition('happened_on'),
) }}

{#-
    The title's history: one row per title and instant at which one of its plays started or one of
    its labels resolved, with the title's totals at that instant (see instant_history for the
    point-in-time rules and the incremental build). int_play_features reads a play's title features
    at (anime_id, started_at). Each amount below is summed per instant (instant_<name>) and over the
    plays strictly before it (prior_<name>).
-#}

{{ instant_history('anime_id', [
    ('plays', '1', dbt.type_bigint()),
    ('viewers', 'case when firsts.is_first_title_play then 1 else 0 end', dbt.type_bigint()),
]) }}
