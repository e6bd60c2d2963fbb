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
    plays strictly before it (prior_<name>). A view's completion is added up piece by piece
    (view_completion_gain), so prior_completion / prior_views is the mean completion of the views
    the user started before, as far as they had got.
-#}

{{ instant_history('user_id', [
    ('plays', '1', dbt.type_bigint()),
    ('views', 'case when firsts.is_resumed then 0 else 1 end', dbt.type_bigint()),
    ('completion', 'firsts.view_completion_gain', type_double()),
    ('titles', 'case when firsts.is_first_title_play then 1 else 0 end', dbt.type_bigint()),
]) }}
