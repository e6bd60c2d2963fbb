"""Title: one title's retention curve, step retention, depth distribution and quick stats."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, data, ui

MASTER = "marts.anime_master"
RETENTION = "marts.retention_by_episode"
BINGE = "marts.binge_depth"

TITLES_SQL = """
with watched as (
    select anime_id, viewers_reached as viewers
    from marts.retention_by_episode
    where scope = 'title' and episode_number = 1
)
select w.anime_id, coalesce(m.title, w.anime_id) as title, w.viewers
from watched as w
left join marts.anime_master as m on m.anime_id = w.anime_id
where coalesce(m.title, w.anime_id) ilike ? escape '\\'
order by w.viewers desc, title
limit 200
"""

INFO_SQL = """
select
    title, anime_type, episodes, status, season, season_year, score_mean,
    popularity_members, tags, duration_seconds
from marts.anime_master
where anime_id = ?
"""

CURVE_SQL = """
select
    episode_number, km_survival, km_ci_lower, km_ci_upper, step_retention,
    at_risk, dropped, censored, viewers_played, viewers_reached, plays, mean_completion
from marts.retention_by_episode
where scope = 'title' and anime_id = ?
order by episode_number
"""

DEPTH_SQL = """
select episode_depth as depth, n_observations as n, share_of_total as share, share_at_least
from marts.binge_depth
where scope = 'title' and anime_id = ? and depth_measure = ?
order by episode_depth
"""


def pick_title() -> str | None:
    left, right = st.columns([1, 2])
    with left:
        text = ui.search_box("Search a title", key="title_search", placeholder="part of a title")
    titles = data.query(TITLES_SQL, [ui.like_pattern(text)], tables=[RETENTION, MASTER])
    if titles.empty:
        st.info("No watched title matches that search.")
        return None
    labels = {r.anime_id: f"{r.title} ({int(r.viewers):,} viewers)" for r in titles.itertuples(index=False)}
    with right:
        picked = st.selectbox("Title", list(labels), format_func=lambda a: labels.get(a, a), key="title_pick")
    return None if picked is None else str(picked)


def stats(anime_id: str, curve: pd.DataFrame, deepest: pd.DataFrame) -> None:
    info = data.query(INFO_SQL, [anime_id], tables=[MASTER])
    if info.empty:
        st.warning("This title is not in marts.anime_master.")
        return
    r = info.iloc[0]
    viewers = int(curve["viewers_reached"].iloc[0]) if len(curve) else 0
    ep1 = curve.loc[curve["episode_number"] == 1, "km_survival"]
    episodes = None if pd.isna(r["episodes"]) else int(r["episodes"])
    finished = (
        deepest.loc[deepest["depth"] >= episodes, "n"].sum() / deepest["n"].sum()
        if episodes and len(deepest) and deepest["n"].sum() > 0
        else None
    )
    mean_depth = (
        (deepest["depth"] * deepest["n"]).sum() / deepest["n"].sum()
        if len(deepest) and deepest["n"].sum() > 0
        else None
    )
    plays = curve["plays"].sum() if len(curve) else 0
    # per play, over all of the title's episodes (each episode's mean weighted by its plays)
    completion = (curve["plays"] * curve["mean_completion"].fillna(0)).sum() / plays if plays else None
    st.subheader(str(r["title"]))
    year = "" if pd.isna(r["season_year"]) else f" · {int(r['season_year'])}"
    score = "no score" if pd.isna(r["score_mean"]) else f"score {r['score_mean']:.2f}"
    tags = list(r["tags"]) if r["tags"] is not None else []
    st.caption(
        f"{r['anime_type']} · {episodes if episodes is not None else '?'} episodes · "
        f"{r['status']}{year} · {score} · tags: {', '.join(tags[:12]) or 'none'}"
    )
    ui.kpis(
        [
            ("Viewers", ui.fmt_int(viewers), "users who played at least one episode"),
            (
                "Episode 1 → 2 retention",
                ui.fmt_pct(ep1.iloc[0] if len(ep1) else None),
                "Kaplan-Meier share going on past episode 1",
            ),
            ("Mean deepest episode", ui.fmt_float(mean_depth, 1), None),
            (
                "Finished the series",
                ui.fmt_pct(finished),
                "share of viewers whose deepest episode is the last one",
            ),
            ("Episodes", ui.fmt_int(episodes), None),
            ("Mean completion", ui.fmt_pct(completion), "share of an episode watched per play"),
        ]
    )


def page() -> None:
    anime_id = pick_title()
    if anime_id is None:
        return
    curve = data.query(CURVE_SQL, [anime_id], tables=[RETENTION])
    deepest = data.query(DEPTH_SQL, [anime_id, "deepest_episode"], tables=[BINGE])
    stats(anime_id, curve, deepest)

    left, right = st.columns(2)
    with left:
        fig = charts.lines_with_band(
            curve,
            "episode_number",
            "km_survival",
            "Retention curve",
            lo="km_ci_lower",
            hi="km_ci_upper",
            x_title="episode",
            y_title="still watching",
        )
        charts.show(
            fig, "Kaplan-Meier share of this title's viewers who go on past each episode, with its 95% band."
        )
    with right:
        steps = curve.dropna(subset=["step_retention"])
        fig = charts.bar(
            steps,
            "episode_number",
            "step_retention",
            "Step retention",
            x_title="from episode n to n + 1",
            y_title="reached the next episode",
            percent=True,
        )
        charts.show(
            fig,
            "Share of viewers who reached episode n that also reached episode n + 1: "
            "dips show the episodes that lose people.",
        )
    left, right = st.columns(2)
    with left:
        fig = charts.bar(
            deepest, "depth", "n", "Deepest episode reached", x_title="deepest episode", y_title="viewers"
        )
        fig.update_xaxes(type="category")
        charts.show(
            fig, "Where each viewer's journey through this title ends (or stands, if still watching)."
        )
    with right:
        sessions = data.query(DEPTH_SQL, [anime_id, "session_episodes"], tables=[BINGE])
        fig = charts.bar(
            sessions,
            "depth",
            "n",
            "Episodes per sitting",
            x_title="episodes of this title in one session",
            y_title="sessions",
        )
        fig.update_xaxes(type="category")
        charts.show(fig, "How many episodes of this title people watch back to back.")


snap = ui.header(
    "Title",
    "Search a title to see how far its viewers get: retention with confidence band, the episodes "
    "that lose people, and how deep viewers go.",
)
if snap is not None:
    ui.section("Title", page)
