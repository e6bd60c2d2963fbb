"""Cohorts: retention of users grouped by the day or week of their first play."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard import charts, data, ui

COHORTS = "marts.cohort_retention"
SURVIVAL = "marts.cohort_survival"

MEASURES = {
    "retention_rate": "active in period N",
    "retention_rate_on_or_after": "active in period N or later",
}
# cohorts smaller than this are greyed on the heatmap by default: their intervals are too wide to
# read a rate (at 30 users a 50% rate's 95% interval spans about 33%-67%)
MIN_COHORT_USERS = 30

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
    is_period_complete, retention_rate, retention_rate_on_or_after,
    retention_rate_ci_lower, retention_rate_ci_upper,
    retention_rate_on_or_after_ci_lower, retention_rate_on_or_after_ci_upper
from marts.cohort_retention
where cohort_grain = ? and cohort_started_on in (select unnest(?::date[]))
order by cohort_started_on, period_number
"""

SURVIVAL_SQL = """
select cohort_started_on, day_number, km_survival, km_ci_lower, km_ci_upper, at_risk, censored
from marts.cohort_survival
where cohort_grain = ? and cohort_started_on in (select unnest(?::date[]))
order by cohort_started_on, day_number
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


def _cell_hovers(grid: pd.DataFrame, measure: str, unit: str) -> pd.Series:
    """Each heatmap cell's hover: the rate, its 95% interval and the counts behind it."""
    active = grid["active_users" if measure == "retention_rate" else "active_users_on_or_after"]

    def percent(column: str) -> pd.Series:
        return grid[column].map("{:.1%}".format)

    head = "cohort " + grid["cohort"].astype(str) + f", {unit} " + grid["period_number"].astype(str)
    counts = active.map("{:,.0f}".format) + " of " + grid["cohort_users"].map("{:,.0f}".format) + " users"
    interval = f"{measure}_ci_lower", f"{measure}_ci_upper"
    over = (
        head
        + "<br>"
        + percent(measure)
        + " (95% interval "
        + percent(interval[0])
        + " to "
        + percent(interval[1])
        + ")<br>"
        + counts
    )
    return over.where(grid["is_period_complete"], head + "<br>period not over yet<br>" + counts + " so far")


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
    c1, c2 = st.columns([1, 2])
    with c1:
        show_band = st.toggle("Show 95% intervals", value=False, key="cohorts_bands")
    with c2:
        min_users = st.number_input(
            "Grey out cohorts under this many users",
            min_value=0,
            value=MIN_COHORT_USERS,
            step=10,
            key="cohorts_min_users",
        )
    left, right = st.columns(2)
    with left:
        fig = charts.lines_with_band(
            complete,
            "period_number",
            measure,
            f"Cohort survival ({MEASURES[measure]})",
            lo=f"{measure}_ci_lower" if show_band else None,
            hi=f"{measure}_ci_upper" if show_band else None,
            group="cohort",
            x_title=f"{unit}s since first play",
            y_title="users active",
        )
        charts.show(
            fig,
            f"Share of each cohort {MEASURES[measure].replace('period N', unit + ' N')}"
            "; only complete periods are drawn (bands: 95% Wilson intervals).",
        )
    with right:
        grid["label"] = [
            f"{v:.0%}" if ok and pd.notna(v) else "…"
            for v, ok in zip(grid[measure], grid["is_period_complete"], strict=True)
        ]
        grid["hover"] = _cell_hovers(grid, measure, unit)
        grid["is_small"] = grid["cohort_users"] < int(min_users)
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
            hover="hover",
            grey="is_small",
            height=max(300, 60 + 26 * len(picked)),
        )
        charts.show(
            fig,
            "Each row is a cohort; '…' marks periods that have not finished yet, "
            f"so they are not read as drops. Grey rows: cohorts under {int(min_users):,} users. "
            "Hover a cell for its 95% interval and counts.",
        )

    survival(grain, picked, show_band)


def survival(grain: str, picked: list[date], show_band: bool) -> None:
    """How long each picked cohort's users stay: Kaplan-Meier over days since their first play."""
    curves = data.query(SURVIVAL_SQL, [grain, picked], tables=[SURVIVAL])
    if curves.empty:
        return
    curves["cohort"] = pd.to_datetime(curves["cohort_started_on"]).dt.strftime("%Y-%m-%d")
    fig = charts.lines_with_band(
        curves,
        "day_number",
        "km_survival",
        "How long users stay (Kaplan-Meier)",
        lo="km_ci_lower" if show_band else None,
        hi="km_ci_upper" if show_band else None,
        group="cohort",
        x_title="days since first play",
        y_title="still coming back",
        markers=False,
    )
    charts.show(
        fig,
        "Share of each cohort's users who play again later than day N. A user has left once the "
        "window holds 14 quiet days after their last play (dbt var churn_quiet_days); users seen "
        "more recently are censored, not counted as lost, so the curve does not sag at the window's "
        "end as 'active in day N' does.",
    )


snap = ui.header(
    "Cohorts",
    "Users grouped by the day or week of their first play: how many come back in each later "
    "period, either exactly then or at any point after.",
)
if snap is not None:
    ui.section("Cohorts", page)
