"""Overview: platform-wide KPIs, the global retention curve, binge depth, when people watch,
and the user lifecycle."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import charts, data, ui
from dashboard.panels import stickiness

SESSIONS = "marts.sessions"
RETENTION = "marts.retention_by_episode"
BINGE = "marts.binge_depth"
BY_HOUR = "marts.engagement_by_hour"
LIFECYCLE = "marts.user_lifecycle"

USERS_SQL = "select count(distinct user_id) as users from marts.sessions"
PLAYS_SQL = """
select sum(n_plays) as plays, sum(watched_minutes) / 60.0 as hours
from marts.engagement_by_hour
"""
TITLES_SQL = "select count(distinct anime_id) from marts.retention_by_episode where scope = 'title'"
SESSION_DEPTH_SQL = """
select sum(episode_depth * n_observations) / sum(n_observations)
from marts.binge_depth
where scope = 'all_titles' and depth_measure = 'session_episodes'
"""
EP1_SQL = """
select km_survival
from marts.retention_by_episode
where scope = 'all_titles' and episode_number = 1
"""

RETENTION_SQL = """
select episode_number, km_survival, km_ci_lower, km_ci_upper, at_risk, dropped, censored
from marts.retention_by_episode
where scope = 'all_titles' and episode_number <= ?
order by episode_number
"""

BINGE_SQL = """
select least(episode_depth, 15) as depth, sum(n_observations) as n
from marts.binge_depth
where scope = 'all_titles' and depth_measure = ?
group by 1
order by 1
"""

HOUR_SQL = """
select
    hour_of_day,
    ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][day_of_week] as weekday,
    share_of_plays,
    n_plays
from marts.engagement_by_hour
"""

LIFECYCLE_SQL = """
select
    week_started_on,
    lifecycle_status,
    count(*) as n_users,
    bool_and(is_week_complete) as is_week_complete
from marts.user_lifecycle
group by week_started_on, lifecycle_status
order by week_started_on
"""
LIFECYCLE_ORDER = ["new", "returning", "resurrecting", "dormant"]


def kpi_row() -> None:
    plays = data.query(PLAYS_SQL, tables=[BY_HOUR]).iloc[0]
    users = data.scalar(USERS_SQL, tables=[SESSIONS])
    titles = data.scalar(TITLES_SQL, tables=[RETENTION])
    ui.kpis(
        [
            ("Users", ui.fmt_compact(users), f"{ui.fmt_int(users)} distinct users with at least one play"),
            (
                "Plays",
                ui.fmt_compact(plays["plays"]),
                f"{ui.fmt_int(plays['plays'])} episode plays in the observed window",
            ),
            ("Titles watched", ui.fmt_compact(titles), f"{ui.fmt_int(titles)} titles with a play"),
            ("Hours watched", ui.fmt_compact(plays["hours"]), f"{ui.fmt_int(plays['hours'])} hours"),
            (
                "Episodes per session",
                ui.fmt_float(data.scalar(SESSION_DEPTH_SQL, tables=[BINGE]), 2),
                "mean plays per viewing session",
            ),
            (
                "Episode 1 → 2 retention",
                ui.fmt_pct(data.scalar(EP1_SQL, tables=[RETENTION])),
                "Kaplan-Meier: share of viewers who go on past episode 1 (censoring-aware)",
            ),
        ]
    )


def retention() -> None:
    max_ep = 26
    df = data.query(RETENTION_SQL, [max_ep], tables=[RETENTION])
    fig = charts.lines_with_band(
        df,
        "episode_number",
        "km_survival",
        "Retention over episodes, all titles",
        lo="km_ci_lower",
        hi="km_ci_upper",
        x_title="episode",
        y_title="still watching",
    )
    charts.show(
        fig,
        "Kaplan-Meier share of viewers who go on past each episode, with a 95% "
        "Greenwood band; plays whose 14-day horizon runs past the window end are censored.",
    )


def binge() -> None:
    measure = (
        st.radio(
            "Depth measure",
            ["session_episodes", "deepest_episode"],
            horizontal=True,
            format_func=lambda m: {
                "session_episodes": "episodes per session",
                "deepest_episode": "deepest episode per viewer and title",
            }[m],
            key="overview_binge_measure",
        )
        or "session_episodes"
    )
    df = data.query(BINGE_SQL, [measure], tables=[BINGE])
    df["depth_label"] = df["depth"].map(lambda d: f"{d}+" if d == 15 else str(d))
    fig = charts.bar(
        df,
        "depth_label",
        "n",
        "Binge depth distribution",
        x_title="episodes (15 = 15 or more)",
        y_title="sessions" if measure == "session_episodes" else "viewer-titles",
    )
    fig.update_xaxes(type="category")
    charts.show(
        fig, "How many episodes people watch in one sitting, or how deep they get into a title overall."
    )


def when() -> None:
    df = data.query(HOUR_SQL, tables=[BY_HOUR])
    fig = charts.heatmap(
        df,
        "hour_of_day",
        "weekday",
        "share_of_plays",
        "When people watch",
        x_title="hour of day (UTC)",
        y_title=None,
        percent=False,
        y_order=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        x_order=list(range(24)),
    )
    fig.update_traces(
        colorbar={"tickformat": ".1%"}, hovertemplate=("%{y} %{x}:00<br>%{z:.2%} of plays<extra></extra>")
    )
    charts.show(fig, "Share of all plays by hour and weekday: evenings and weekends dominate.")


def lifecycle() -> None:
    df = data.query(LIFECYCLE_SQL, tables=[LIFECYCLE])
    df["week"] = pd.to_datetime(df["week_started_on"])
    fig = go.Figure()
    for i, state in enumerate(LIFECYCLE_ORDER):
        part = df[df["lifecycle_status"] == state].sort_values("week")
        sign = -1 if state == "dormant" else 1
        fig.add_bar(
            x=part["week"],
            y=sign * part["n_users"],
            name=state,
            marker_color=charts.PALETTE[i],
            customdata=part["n_users"],
            hovertemplate=f"{state}: %{{customdata:,}} users<extra></extra>",
        )
    fig.update_layout(barmode="relative")
    charts.layout(fig, "User lifecycle by week", x="week starting", y="users")
    partial = df.loc[~df["is_week_complete"], "week"].drop_duplicates()
    for week in partial:
        fig.add_vrect(
            x0=week - pd.Timedelta(days=3.5),
            x1=week + pd.Timedelta(days=3.5),
            fillcolor="#9AA0AE",
            opacity=0.12,
            line_width=0,
        )
    charts.show(
        fig,
        "Active users each week split into new, returning and resurrecting; dormant "
        "users (no play that week) below zero; the grey week is still in progress.",
    )


snap = ui.header(
    "Overview",
    "How the audience in the log watches anime (simulated, or a platform's own): reach, depth and "
    "rhythm of viewing, from "
    "the dbt marts of the last published build.",
)
if snap is not None:
    ui.section("Headline KPIs", kpi_row)
    left, right = st.columns(2)
    with left:
        ui.section("Retention", retention)
    with right:
        ui.section("Binge depth", binge)
    left, right = st.columns(2)
    with left:
        ui.section("Viewing hours", when)
    with right:
        ui.section("Lifecycle", lifecycle)
    ui.section("Stickiness", stickiness.panel)
