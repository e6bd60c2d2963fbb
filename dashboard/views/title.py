"""Title: one title's retention curve, step retention, depth distribution and quick stats, with
its catalogue entry: picture, studios, producers and related titles."""

from __future__ import annotations

import html
import re

import pandas as pd
import streamlit as st

from dashboard import charts, data, ui
from dashboard.panels import title_funnel

MASTER = "marts.anime_master"
RETENTION = "marts.retention_by_episode"
BINGE = "marts.binge_depth"
STUDIOS = "marts.anime_studios"
PRODUCERS = "marts.anime_producers"
RELATIONS = "marts.anime_relations"
# the release's stand-in for "no picture" (every entry of the embedded sample has it)
NO_PICTURE = "/pics/no_pic"
NO_CATALOGUE_DETAILS = (
    "Studios, producers, related titles and pictures are not in this snapshot yet: "
    "`make run` builds and publishes them."
)

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
    episode_number, km_survival, km_ci_lower, km_ci_upper,
    step_retention, step_retention_ci_lower, step_retention_ci_upper,
    at_risk, dropped, censored, viewers_played, viewers_reached, plays, mean_completion
from marts.retention_by_episode
where scope = 'title' and anime_id = ?
order by episode_number
"""

PICTURE_SQL = "select picture from marts.anime_master where anime_id = ?"

STUDIOS_SQL = "select studio from marts.anime_studios where anime_id = ? order by studio"

PRODUCERS_SQL = "select producer from marts.anime_producers where anime_id = ? order by producer"

# titles the release holds first (by title), then the URLs it does not
RELATED_SQL = """
select
    coalesce(m.title, r.related_url) as related_title,
    m.anime_type,
    m.season_year,
    r.related_anime_id is not null as in_catalogue,
    r.related_url
from marts.anime_relations as r
left join marts.anime_master as m on m.anime_id = r.related_anime_id
where r.anime_id = ?
order by r.related_anime_id is null, m.title, r.related_url
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
    labels = {
        anime_id: f"{title} ({int(viewers):,} viewers)"
        for anime_id, title, viewers in zip(
            titles["anime_id"], titles["title"], titles["viewers"], strict=True
        )
    }
    with right:
        picked = st.selectbox("Title", list(labels), format_func=lambda a: labels.get(a, a), key="title_pick")
    return None if picked is None else str(picked)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&])")


def plain(text: str) -> str:
    """``text`` shown as it is inside Streamlit markdown: punctuation escaped, one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def picture_html(url: object) -> str | None:
    """An <img> the browser loads (or, offline, quietly leaves out: empty alt text), or None when
    the entry has no picture or only the release's placeholder. Never fetched by the server."""
    if not isinstance(url, str) or not re.match(r"https?://", url) or NO_PICTURE in url:
        return None
    src = html.escape(url, quote=True)
    return (
        f'<img src="{src}" alt="" loading="lazy" referrerpolicy="no-referrer" '
        'style="max-width:100%;max-height:320px;border-radius:4px">'
    )


def names(values: list[str]) -> str:
    return ", ".join(plain(v) for v in values) if values else "none listed"


def catalogue_entry(anime_id: str) -> None:
    """The entry's picture, studios, producers and related titles (the catalogue bridge marts)."""
    snap = data.current_snapshot()
    if not snap.has(STUDIOS, PRODUCERS, RELATIONS) or not snap.has_column(MASTER, "picture"):
        st.caption(NO_CATALOGUE_DETAILS)
        return
    picture = picture_html(data.scalar(PICTURE_SQL, [anime_id], tables=[MASTER]))
    studios = data.query(STUDIOS_SQL, [anime_id], tables=[STUDIOS])["studio"].tolist()
    producers = data.query(PRODUCERS_SQL, [anime_id], tables=[PRODUCERS])["producer"].tolist()
    related = data.query(RELATED_SQL, [anime_id], tables=[RELATIONS, MASTER])
    # only web addresses become links (a catalogue file could hold any text there)
    related["related_url"] = related["related_url"].where(
        related["related_url"].str.match(r"https?://", na=False)
    )
    if picture is not None:
        left, details = st.columns([1, 5])
        with left:
            st.markdown(picture, unsafe_allow_html=True)
    else:
        details = st.container()
    with details:
        st.markdown(f"**Studios:** {names(studios)}  \n**Producers:** {names(producers)}")
        if related.empty:
            st.markdown("**Related titles:** none listed")
            return
        held = int(related["in_catalogue"].sum())
        st.markdown(
            f"**Related titles:** {len(related):,} ({held:,} in the catalogue; the others are "
            "titles this release does not hold)"
        )
        st.dataframe(
            related,
            hide_index=True,
            height=min(36 * (len(related) + 1) + 2, 250),
            column_config={
                "related_title": st.column_config.TextColumn("title"),
                "anime_type": st.column_config.TextColumn("type"),
                "season_year": st.column_config.NumberColumn("year", format="%d"),
                "in_catalogue": st.column_config.CheckboxColumn("in catalogue"),
                "related_url": st.column_config.LinkColumn("source"),
            },
        )


def stats(anime_id: str, curve: pd.DataFrame, deepest: pd.DataFrame, summary: pd.Series | None) -> None:
    info = data.query(INFO_SQL, [anime_id], tables=[MASTER])
    if info.empty:
        st.warning("This title is not in marts.anime_master.")
        return
    r = info.iloc[0]
    viewers = int(curve["viewers_reached"].iloc[0]) if len(curve) else 0
    ep1 = curve.loc[curve["episode_number"] == 1, "km_survival"]
    episodes = None if pd.isna(r["episodes"]) else int(r["episodes"])
    # marts.title_completion's finishers played the last episode (a one-episode title has no row)
    finished = summary["finishers"] / summary["viewers"] if summary is not None else None
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
    catalogue_entry(anime_id)
    ui.kpis(
        [
            (
                "Viewers",
                ui.fmt_compact(viewers),
                f"{ui.fmt_int(viewers)} users who played at least one episode",
            ),
            (
                "Episode 1 → 2 retention",
                ui.fmt_pct(ep1.iloc[0] if len(ep1) else None),
                "Kaplan-Meier share going on past episode 1",
            ),
            ("Mean deepest episode", ui.fmt_float(mean_depth, 1), None),
            (
                "Finished the series",
                ui.fmt_pct(finished),
                "share of viewers who played the last episode",
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
    summary = title_funnel.completion(anime_id)
    stats(anime_id, curve, deepest, summary)

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
            lo="step_retention_ci_lower",
            hi="step_retention_ci_upper",
        )
        charts.show(
            fig,
            "Share of viewers who reached episode n that also reached episode n + 1, with its 95% "
            "Wilson interval: dips show the episodes that lose people.",
        )
    st.markdown("#### Funnel, hook and hot spots")
    title_funnel.panel(anime_id, summary)
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
