-- One row per anime: whether the simulator streams it, and else the first rule it fails. The
-- rules are the simulator's, so they live here rather than in the catalogue master.
with

anime as (
    select
        anime_id,
        anime_type,
        status,
        episodes,
        duration_seconds,
        n_tags
    from {{ ref('anime_master') }}
),

checked as (
    select
        anime_id,
        -- the simulator only streams episodic titles it can model: series (TV/ONA) that have
        -- aired, 2-200 episodes, a known 3-60 minute runtime, and tags (user taste is modelled
        -- over tags)
        case
            when anime_type not in ('TV', 'ONA') then 'type is not TV or ONA'
            when status not in ('FINISHED', 'ONGOING') then 'not aired (status ' || status || ')'
            when episodes is null then 'episode count unknown'
            when episodes < 2 then 'fewer than 2 episodes'
            when episodes > 200 then 'more than 200 episodes'
            when duration_seconds is null then 'duration unknown'
            when duration_seconds not between 180 and 3600 then 'duration outside 3-60 minutes'
            when n_tags = 0 then 'no tags'
        end as simulation_exclusion_reason
    from anime
),

final as (
    select
        anime_id,
        simulation_exclusion_reason is null as is_simulation_eligible,
        simulation_exclusion_reason
    from checked
)

select * from final
