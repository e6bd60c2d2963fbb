{#-
    Each title's episode funnel (titles of two episodes or more): how many viewers reach each
    episode, how likely a viewer who reached it is to go on to the last one, the hook episode, and
    the drop-off hot spots. Read from retention_by_episode, so it has the same censoring.

        reach_share(k) = viewers_reached(k) / viewers_reached(1)
        finish_probability(k) = S(L - 1) / S(k - 1) for k < L, where S is retention_by_episode's
            Kaplan-Meier km_survival (S(j): probability of going past episode j, S(0) = 1) and L the
            title's episode count: the censoring-correct share of those who reached k that reach L.
            Where nobody has yet gone past an episode before L - 1 it is 0 if everyone observed
            there stopped (S fell to 0) and unknown (null) if they are all still watching.
        is_hook_episode: k is the first episode before L with finish_probability >= hook_finish_share
            (dbt var, 0.7: Netflix's "hooked" rule, the episode after which 70% finish the season).
        is_drop_off_hot_spot: the step from k to k + 1 dips below the title's local trend beyond
            chance: the upper end of its 95% Wilson interval is under neighbour_step_retention, the
            mean of the steps just before (k - 1) and after (k + 1). Only steps with both
            neighbours qualify, so the steep first step of every title is not a hot spot by itself.
-#}

with

retention as (
    select
        anime_id,
        episode_number,
        viewers_reached,
        step_retention,
        step_retention_ci_lower,
        step_retention_ci_upper,
        km_survival
    from {{ ref('retention_by_episode') }}
    where scope = 'title'
),

titles as (
    select
        anime_id,
        max(episode_number) as episodes_total
    from {{ ref('episodes') }}
    group by anime_id
    having max(episode_number) >= 2
),

survival as (
    select
        retention.*,
        titles.episodes_total,
        coalesce(
            lag(retention.km_survival) over (
                partition by retention.anime_id order by retention.episode_number
            ),
            1.0
        ) as survival_before,
        max(case when retention.episode_number = titles.episodes_total - 1 then retention.km_survival end)
            over (partition by retention.anime_id) as survival_to_last,
        min(retention.km_survival) over (partition by retention.anime_id) as lowest_survival,
        first_value(retention.viewers_reached) over (
            partition by retention.anime_id
            order by retention.episode_number
            rows between unbounded preceding and current row
        ) as viewers_started,
        lag(retention.step_retention) over (
            partition by retention.anime_id order by retention.episode_number
        ) as step_before,
        lead(retention.step_retention) over (
            partition by retention.anime_id order by retention.episode_number
        ) as step_after
    from retention
    inner join titles
        on retention.anime_id = titles.anime_id
    where retention.episode_number <= titles.episodes_total
),

finishing as (
    select
        *,
        (step_before + step_after) / 2 as neighbour_step_retention,
        -- at most 1: the survival is exp(a sum of logs), so two equal ones can differ in the last bit
        -- (a case, not least(): least() skips a null on DuckDB)
        case
            when episode_number >= episodes_total or survival_before = 0 then null
            when survival_to_last is null and lowest_survival > 0 then null
            when coalesce(survival_to_last, 0.0) >= survival_before then 1.0
            else coalesce(survival_to_last, 0.0) / survival_before
        end as finish_probability
    from survival
),

hooked as (
    select
        *,
        min(case when finish_probability >= {{ var('hook_finish_share') }} then episode_number end)
            over (partition by anime_id) as hook_episode_number
    from finishing
),

final as (
    select
        hooked.anime_id,
        cast(hooked.episode_number as {{ dbt.type_int() }}) as episode_number,
        cast(hooked.episodes_total as {{ dbt.type_int() }}) as episodes_total,
        cast(hooked.viewers_reached as {{ dbt.type_bigint() }}) as viewers_reached,
        cast(
            cast(hooked.viewers_reached as {{ type_double() }}) / nullif(hooked.viewers_started, 0)
            as {{ type_double() }}
        ) as reach_share,
        hooked.step_retention,
        hooked.step_retention_ci_lower,
        hooked.step_retention_ci_upper,
        cast(hooked.finish_probability as {{ type_double() }}) as finish_probability,
        coalesce(hooked.episode_number = hooked.hook_episode_number, false) as is_hook_episode,
        coalesce(hooked.step_retention_ci_upper < hooked.neighbour_step_retention, false)
            as is_drop_off_hot_spot,
        cast(hooked.neighbour_step_retention as {{ type_double() }}) as neighbour_step_retention
    from hooked
)

select * from final
