"""Compare: the top titles by plays side by side."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, data, stats, ui

MASTER = "marts.anime_master"
RETENTION = "marts.retention_by_episode"
BINGE = "marts.binge_depth"

TOP_SQL = """
with plays as (
    select anime_id, sum(episode_depth * n_observations) as plays
    from marts.binge_depth
    where scope = 'title' and depth_measure = 'session_episodes'
    group by anime_id
),
deepest as (
    select
        anime_id,
        sum(n_observations) as viewers,
        sum(episode_depth * n_observations) / sum(n_observations) as mean_deepest_episode
    from marts.binge_depth
    where scope = 'title' and depth_measure = 'deepest_episode'
    group by anime_id
),
ep1 as (
    select anime_id, km_survival as retention_1_2, at_risk as at_risk_1, at_risk - dropped as continued_1
    from marts.retention_by_episode
    where scope = 'title' and episode_number = 1
),
ranked as (
    select
        p.anime_id,
        coalesce(m.title, p.anime_id) as title,
        m.anime_type,
        m.episodes,
        m.score_mean,
        p.plays,
        d.viewers,
        d.mean_deepest_episode,
        e.retention_1_2,
        e.at_risk_1,
        e.continued_1
    from plays as p
    left join deepest as d on d.anime_id = p.anime_id
    left join ep1 as e on e.anime_id = p.anime_id
    left join marts.anime_master as m on m.anime_id = p.anime_id
)
select *
from ranked
order by plays desc, title
limit ?
"""

CURVES_SQL = """
select r.anime_id, r.episode_number, r.km_survival, r.km_ci_lower, r.km_ci_upper
from marts.retention_by_episode as r
where r.scope = 'title' and r.anime_id in (select unnest(?::varchar[]))
order by r.anime_id, r.episode_number
"""


def page() -> None:
    n = st.slider("Number of titles", min_value=2, max_value=10, value=5, key="compare_n")
    top = data.query(TOP_SQL, [int(n)], tables=[BINGE, RETENTION, MASTER])
    if top.empty:
        st.info("No title has been watched yet.")
        return
    ids = top["anime_id"].tolist()
    names = dict(zip(top["anime_id"], top["title"], strict=True))
    curves = data.query(CURVES_SQL, [ids], tables=[RETENTION])
    curves["title"] = curves["anime_id"].map(names)
    curves["rank"] = curves["anime_id"].map({a: i for i, a in enumerate(ids)})
    curves = curves.sort_values(["rank", "episode_number"])
    show_band = st.toggle("Show 95% bands", value=False, key="compare_bands")

    left, right = st.columns([3, 2])
    with left:
        fig = charts.lines_with_band(
            curves,
            "episode_number",
            "km_survival",
            f"Retention of the top {len(ids)} titles",
            group="title",
            lo="km_ci_lower" if show_band else None,
            hi="km_ci_upper" if show_band else None,
            x_title="episode",
            y_title="still watching",
            height=420,
            markers=False,
        )
        charts.show(
            fig,
            "Kaplan-Meier retention of the most-played titles, overlaid: steeper "
            "early drops mean weaker hooks.",
        )
    with right:
        fig = charts.bar(top, "title", "plays", "Plays and viewers", horizontal=True, height=420)
        fig.add_bar(
            x=top["viewers"], y=top["title"], orientation="h", name="viewers", marker_color=charts.PALETTE[1]
        )
        fig.data[0].name = "plays"
        fig.update_traces(showlegend=True)
        fig.update_layout(barmode="group")
        charts.show(fig, "Total episode plays and distinct viewers of each compared title.")

    st.dataframe(
        top.drop(columns=["anime_id", "continued_1"]),
        hide_index=True,
        column_config={
            "score_mean": st.column_config.NumberColumn("score", format="%.2f"),
            "plays": st.column_config.NumberColumn(format="%d"),
            "viewers": st.column_config.NumberColumn(format="%d"),
            "mean_deepest_episode": st.column_config.NumberColumn("mean deepest episode", format="%.1f"),
            "retention_1_2": st.column_config.ProgressColumn(
                "episode 1 → 2", min_value=0.0, max_value=1.0, format="percent"
            ),
            "at_risk_1": st.column_config.NumberColumn("viewers observed past episode 1", format="%d"),
        },
    )
    st.caption(
        "Titles ranked by plays; episode 1 → 2 is the Kaplan-Meier share going on past episode 1, "
        "out of the viewers whose next step was observed (not censored)."
    )
    compare_two(top)


def compare_two(top: pd.DataFrame) -> None:
    """Whether two of the compared titles' episode 1 -> 2 retention differ beyond chance."""
    observed = top[top["at_risk_1"].fillna(0) > 0]
    if len(observed) < 2:
        return
    st.markdown("**Do two titles keep their viewers differently?**")
    ids = observed["anime_id"].tolist()
    names = dict(zip(observed["anime_id"], observed["title"], strict=True))
    c1, c2 = st.columns(2)
    with c1:
        id_a = st.selectbox("Title A", ids, index=0, format_func=names.__getitem__, key="compare_a")
    with c2:
        id_b = st.selectbox("Title B", ids, index=1, format_func=names.__getitem__, key="compare_b")
    if id_a == id_b:
        st.info("Pick two different titles.")
        return
    a = observed[observed["anime_id"] == id_a].iloc[0]
    b = observed[observed["anime_id"] == id_b].iloc[0]
    result = stats.compare_proportions(
        int(a["continued_1"]), int(a["at_risk_1"]), int(b["continued_1"]), int(b["at_risk_1"])
    )
    threshold = stats.bonferroni_threshold(len(observed))
    verdict = (
        "a difference beyond chance"
        if result.p_value < threshold
        else "no difference that chance could not explain"
    )
    st.markdown(
        f"Episode 1 → 2: **{ui.fmt_pct(result.rate_a)}** of {int(a['at_risk_1']):,} viewers against "
        f"**{ui.fmt_pct(result.rate_b)}** of {int(b['at_risk_1']):,}; difference "
        f"{100 * result.difference:+.1f} points (95% interval {100 * result.ci_lower:+.1f} to "
        f"{100 * result.ci_upper:+.1f}), p = {result.p_value:.2g}: {verdict}."
    )
    st.caption(
        f"Two-proportion z-test. Among {len(observed)} titles there are "
        f"{len(observed) * (len(observed) - 1) // 2} pairs to compare, and at p < 0.05 one pair in "
        f"twenty would differ by chance alone; so a pair counts as different only below "
        f"p < {threshold:.2g} (Bonferroni: 0.05 / pairs)."
    )


snap = ui.header(
    "Compare",
    "The most-played titles side by side: how well each one keeps its viewers.",
)
if snap is not None:
    ui.section("Compare", page)
