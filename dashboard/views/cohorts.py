"""Cohorts: retention of users grouped by the day or week of their first play."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard import charts, data, ui

COHORTS = "marts.cohort_retention"

MEASURES = {
    "retention_rate": "active in period N",
    "retention_rate_on_or_after": "active in period N or later",
}

COHORT_LIST_SQL = """
select cohort_started_on, max(cohort_users) as cohort_users
from marts.cohort_retention
where cohort_grain = ?
group by cohort_started_on
order by cohort_started_on
"""

GRID_SQL = """
select
    cohort_started_on, period_number, cohort_users, active_users, active_users_on_or_after,
    is_period_complete, retention_rate, retention_rate_on_or_after
from marts.cohort_retention
where cohort_grain = ? and cohort_started_on in (select unnest(?::date[]))
order by cohort_started_on, period_number
"""

KPI_SQL = """
select
    sum(active_users) filter (where period_number = 1 and is_period_complete)
        / sum(cohort_users) filter (where period_number = 1 and is_period_complete)
        as p1_in,
    sum(active_users_on_or_after) filter (where period_number = 1 and is_period_complete)
        / sum(cohort_users) filter (where period_number = 1 and is_period_complete)
        as p1_after,
    sum(active_users) filter (where period_number = 4 and is_period_complete)
        / sum(cohort_users) filter (where period_number = 4 and is_period_complete)
        as p4_in,
    sum(active_users_on_or_after) filter (where period_number = 4 and is_period_complete)
        / sum(cohort_users) filter (where period_number = 4 and is_period_complete)
        as p4_after
from marts.cohort_retention
where cohort_grain = ? and cohort_started_on in (select unnest(?::date[]))
"""


def _default_cohorts(cohorts: list[date], grain: str) -> list[date]:
    """A spread of up to six cohorts across the window (every cohort if there are few)."""
    if len(cohorts) <= 6:
        return cohorts
    step = (len(cohorts) - 1) / 5
    return sorted({cohorts[round(i * step)] for i in range(6)})


def page() -> None:
    c1, c2 = st.columns([1, 2])
    with c1:
        grain = (
            st.radio("Cohort by first play", ["week", "day"], horizontal=True, key="cohorts_grain") or "week"
        )
    with c2:
        measure = (
            st.radio(
                "Retention",
                list(MEASURES),
                format_func=MEASURES.__getitem__,
                horizontal=True,
                key="cohorts_measure",
            )
            or "retention_rate"
        )
    listing = data.query(COHORT_LIST_SQL, [grain], tables=[COHORTS])
    if listing.empty:
        st.info("No cohorts yet: the viewing log is empty.")
        return
    cohorts = [pd.Timestamp(d).date() for d in listing["cohort_started_on"]]
    sizes = dict(zip(cohorts, listing["cohort_users"], strict=True))
    picked = st.multiselect(
        "Cohorts",
        cohorts,
        default=_default_cohorts(cohorts, grain),
        format_func=lambda d: f"{d:%Y-%m-%d} ({int(sizes.get(d, 0)):,} users)",
        key=f"cohorts_pick_{grain}",
    )
    if not picked:
        st.info("Pick at least one cohort.")
        return
    picked = sorted(picked)
    grid = data.query(GRID_SQL, [grain, picked], tables=[COHORTS])
    k = data.query(KPI_SQL, [grain, picked], tables=[COHORTS]).iloc[0]
    unit = "day" if grain == "day" else "week"
    suffix = "" if measure == "retention_rate" else " or later"
    p1 = k["p1_in"] if measure == "retention_rate" else k["p1_after"]
    p4 = k["p4_in"] if measure == "retention_rate" else k["p4_after"]
    ui.kpis(
        [
            ("Cohorts shown", ui.fmt_int(len(picked)), f"of {len(cohorts)} {unit} cohorts"),
            ("Users in them", ui.fmt_int(sum(int(sizes[d]) for d in picked)), None),
            (
                f"Active in {unit} 1{suffix}",
                ui.fmt_pct(p1),
                "pooled over the picked cohorts whose period is complete",
            ),
            (
                f"Active in {unit} 4{suffix}",
                ui.fmt_pct(p4),
                "pooled over the picked cohorts whose period is complete",
            ),
        ]
    )

    grid["cohort"] = pd.to_datetime(grid["cohort_started_on"]).dt.strftime("%Y-%m-%d")
    complete = grid[grid["is_period_complete"]]
    left, right = st.columns(2)
    with left:
        fig = charts.lines_with_band(
            complete,
            "period_number",
            measure,
            f"Cohort survival ({MEASURES[measure]})",
            group="cohort",
            x_title=f"{unit}s since first play",
            y_title="users active",
        )
        charts.show(
            fig,
            f"Share of each cohort {MEASURES[measure].replace('period N', unit + ' N')}"
            "; only complete periods are drawn.",
        )
    with right:
        grid["label"] = [
            f"{v:.0%}" if ok and pd.notna(v) else "…"
            for v, ok in zip(grid[measure], grid["is_period_complete"], strict=True)
        ]
        fig = charts.heatmap(
            grid,
            "period_number",
            "cohort",
            measure,
            "Cohort heatmap",
            x_title=f"{unit}s since first play",
            y_title=None,
            percent=True,
            text="label",
            height=max(300, 60 + 26 * len(picked)),
        )
        charts.show(
            fig,
            "Each row is a cohort; '…' marks periods that have not finished yet, "
            "so they are not read as drops.",
        )


snap = ui.header(
    "Cohorts",
    "Users grouped by the day or week of their first play: how many come back in each later "
    "period, either exactly then or at any point after.",
)
if snap is not None:
    ui.section("Cohorts", page)
