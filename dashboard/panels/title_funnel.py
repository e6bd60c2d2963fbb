"""The Title page's funnel: how many viewers reach each episode, the chance of finishing from each
one, the hook episode and the drop-off hot spots (marts.title_funnel, marts.title_completion)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import charts, data, ui

FUNNEL = "marts.title_funnel"
COMPLETION = "marts.title_completion"

COMPLETION_SQL = """
select viewers, finishers, hook_episode_number, drop_off_hot_spots, median_days_to_finish
from marts.title_completion
where anime_id = ?
"""

FUNNEL_SQL = """
select
    episode_number, viewers_reached, reach_share, finish_probability,
    step_retention, step_retention_ci_lower, step_retention_ci_upper, neighbour_step_retention,
    is_hook_episode, is_drop_off_hot_spot
from marts.title_funnel
where anime_id = ?
order by episode_number
"""

HOT_SPOT, HOOK, PLAIN = charts.PALETTE[1], charts.PALETTE[2], charts.PALETTE[0]


def completion(anime_id: str) -> pd.Series | None:
    """The title's row of marts.title_completion (None for a one-episode title)."""
    row = data.query(COMPLETION_SQL, [anime_id], tables=[COMPLETION])
    return None if row.empty else row.iloc[0]


def kpis(summary: pd.Series) -> None:
    hook = summary["hook_episode_number"]
    ui.kpis(
        [
            (
                "Finishers",
                ui.fmt_compact(summary["finishers"]),
                f"{ui.fmt_int(summary['finishers'])} of {ui.fmt_int(summary['viewers'])} viewers "
                "played the last episode",
            ),
            (
                "Hook episode",
                "none yet" if pd.isna(hook) else f"ep. {int(hook)}",
                "the first episode from which at least hook_finish_share (a dbt var, 70% by "
                "default) of the viewers who reach it go on to finish (Kaplan-Meier)",
            ),
            (
                "Median days to finish",
                ui.fmt_float(summary["median_days_to_finish"], 1),
                "finishers' days from their first play of the title to their first play of its last episode",
            ),
            (
                "Drop-off hot spots",
                ui.fmt_int(summary["drop_off_hot_spots"]),
                "steps whose 95% interval lies under the mean of the steps just before and after",
            ),
        ]
    )


def funnel_chart(funnel: pd.DataFrame) -> go.Figure:
    colours = [
        HOT_SPOT if spot else HOOK if hook else PLAIN
        for spot, hook in zip(funnel["is_drop_off_hot_spot"], funnel["is_hook_episode"], strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=funnel["episode_number"],
            y=funnel["reach_share"],
            marker_color=colours,
            customdata=funnel[["viewers_reached"]],
            hovertemplate="episode %{x}: %{y:.1%} of starters (%{customdata[0]:,} viewers)<extra></extra>",
        )
    )
    charts.layout(fig, "Episode funnel", x="episode", y="reached it", percent_y=True)
    return fig


def finish_chart(funnel: pd.DataFrame) -> go.Figure:
    fig = charts.lines_with_band(
        funnel.dropna(subset=["finish_probability"]),
        "episode_number",
        "finish_probability",
        "Chance to finish from each episode",
        x_title="episode reached",
        y_title="go on to the last episode",
    )
    hook = funnel[funnel["is_hook_episode"]]
    if len(hook):
        episode, share = int(hook["episode_number"].iloc[0]), float(hook["finish_probability"].iloc[0])
        fig.add_annotation(
            x=episode, y=share, text=f"hook: ep. {episode}", showarrow=True, arrowhead=2, ax=-40, ay=-30
        )
    return fig


def hot_spots_table(funnel: pd.DataFrame) -> None:
    spots = funnel.loc[
        funnel["is_drop_off_hot_spot"],
        [
            "episode_number",
            "viewers_reached",
            "step_retention",
            "step_retention_ci_lower",
            "step_retention_ci_upper",
            "neighbour_step_retention",
        ],
    ]
    if spots.empty:
        st.caption("No drop-off hot spot: no step falls below its neighbours beyond chance.")
        return
    st.dataframe(
        spots,
        hide_index=True,
        height=min(36 * (len(spots) + 1) + 2, 250),
        column_config={
            "episode_number": st.column_config.NumberColumn("from episode", format="%d"),
            "viewers_reached": st.column_config.NumberColumn("viewers there", format="localized"),
            "step_retention": st.column_config.NumberColumn("went on", format="percent"),
            "step_retention_ci_lower": st.column_config.NumberColumn("95% from", format="percent"),
            "step_retention_ci_upper": st.column_config.NumberColumn("95% to", format="percent"),
            "neighbour_step_retention": st.column_config.NumberColumn("neighbours' mean", format="percent"),
        },
    )


def panel(anime_id: str, summary: pd.Series | None) -> None:
    """The funnel section of the Title page for ``anime_id`` (``summary``: its :func:`completion`)."""
    if summary is None:
        st.caption("A one-episode title has no episode funnel.")
        return
    kpis(summary)
    funnel = data.query(FUNNEL_SQL, [anime_id], tables=[FUNNEL])
    left, right = st.columns(2)
    with left:
        charts.show(
            funnel_chart(funnel),
            "Share of the title's viewers who reach each episode; coral bars are drop-off hot spots "
            "(the step from them falls below its neighbours beyond chance), the teal bar the hook.",
        )
    with right:
        charts.show(
            finish_chart(funnel),
            "Of the viewers who reach episode k, the Kaplan-Meier share who go on to the last one "
            "(unknown where everyone there is still watching).",
        )
    st.markdown("**Drop-off hot spots**")
    hot_spots_table(funnel)
