-- Every label agrees with the raw log: continued_next_episode is true exactly when the same user
-- played a later episode of the same title within (started_at, started_at + H]; it is null exactly for
-- last episodes and censored plays (started_at + H after the newest started_at in the log).
-- Returns the disagreeing plays.
{%- set horizon_days = var('continuation_horizon_days') %}

with

raw_plays as (
    select * from {{ ref('stg_events__viewing_events') }}
),

window_end as (
    select max(started_at) as window_ends_at
    from raw_plays
),

labelled as (
    select * from {{ ref('viewing_events') }}
),

next_episode_seen as (
    select
        labelled.event_id,
        count(raw_plays.event_id) as n_next_episode_plays
    from labelled
    inner join raw_plays
        on
            labelled.user_id = raw_plays.user_id
            and labelled.anime_id = raw_plays.anime_id
            and labelled.episode_number < raw_plays.episode_number
            and labelled.started_at < raw_plays.started_at
            and {{ dbt.dateadd('day', horizon_days, 'labelled.started_at') }} >= raw_plays.started_at
    group by labelled.event_id
),

checked as (
    select
        labelled.event_id,
        labelled.continued_next_episode,
        labelled.is_last_episode,
        {{ dbt.dateadd('day', horizon_days, 'labelled.started_at') }} > window_end.window_ends_at
            as should_be_censored,
        coalesce(next_episode_seen.n_next_episode_plays, 0) > 0 as was_continued_in_log
    from labelled
    cross join window_end
    left join next_episode_seen
        on labelled.event_id = next_episode_seen.event_id
),

final as (
    select * from checked
    where
        case
            when is_last_episode or should_be_censored then continued_next_episode is not null
            else continued_next_episode is null or continued_next_episode != was_continued_in_log
        end
)

select * from final
