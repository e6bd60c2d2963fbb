"""The Overview page's stickiness: daily, weekly and monthly active users, DAU / MAU, and how many
days a week or month people come back (marts.daily_active_users, marts.active_days_distribution)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, data, ui

ACTIVE = "marts.daily_active_users"
ACTIVE_DAYS = "marts.active_days_distribution"

# the log's last day, and how many days of log its trailing month holds
LATEST_SQL = """
select
    active_on, daily_active_users, weekly_active_users, monthly_active_users, dau_over_mau,
    is_mau_complete, least(30, date_diff('day', first_on, active_on) + 1) as days_in_month
from (select *, min(active_on) over () as first_on from marts.daily_active_users)
order by active_on desc
limit 1
"""

ACTIVE_SQL = """
select active_on, daily_active_users, weekly_active_users, monthly_active_users, is_mau_complete
from marts.daily_active_users
order by active_on
"""

ACTIVE_DAYS_SQL = """
select active_days, user_periods, share_of_user_periods
from marts.active_days_distribution
where period_grain = ?
order by active_days
"""

WINDOWS = {
    "daily_active_users": "DAU (that day)",
    "weekly_active_users": "WAU (7 days)",
    "monthly_active_users": "MAU (30 days)",
}


def kpis() -> None:
    latest = data.query(LATEST_SQL, tables=[ACTIVE])
    if latest.empty:
        st.caption("No active day in the log yet.")
        return
    row = latest.iloc[0]
    day = pd.Timestamp(row["active_on"]).strftime("%Y-%m-%d")
    # a log shorter than 30 days still shows its month, marked as such
    partial = () if row["is_mau_complete"] else (f"{int(row['days_in_month'])} days of log",)
    ui.kpis(
        [
            (
                "DAU / MAU",
                ui.fmt_pct(row["dau_over_mau"]),
                f"on {day}: daily over monthly active users",
                *partial,
            ),
            ("Daily active users", ui.fmt_compact(row["daily_active_users"]), f"users with a play on {day}"),
            (
                "Weekly active users",
                ui.fmt_compact(row["weekly_active_users"]),
                f"users with a play in the 7 days to {day}",
            ),
            (
                "Monthly active users",
                ui.fmt_compact(row["monthly_active_users"]),
                f"users with a play in the 30 days to {day}",
                *partial,
            ),
        ]
    )


def active_users_chart() -> None:
    wide = data.query(ACTIVE_SQL, tables=[ACTIVE])
    long = wide.melt(
        id_vars=["active_on", "is_mau_complete"],
        value_vars=list(WINDOWS),
        var_name="window",
        value_name="users",
    )
    long["window"] = long["window"].map(WINDOWS)
    fig = charts.lines_with_band(
        long,
        "active_on",
        "users",
        "Active users",
        group="window",
        x_title="day",
        y_title="users",
        percent=False,
        markers=False,
    )
    partial = wide.loc[~wide["is_mau_complete"], "active_on"]
    if len(partial):
        fig.add_vrect(x0=partial.min(), x1=partial.max(), fillcolor="#9AA0AE", opacity=0.12, line_width=0)
    charts.show(
        fig,
        "Users with a play on the day, in the 7 days and in the 30 days ending it; in the grey "
        "stretch the log does not yet reach 30 days back, so MAU (and WAU in its first week) reads low.",
    )


def active_days_chart() -> None:
    grain = (
        st.radio(
            "Period",
            ["week", "month"],
            horizontal=True,
            format_func=lambda g: f"per user-{g}",
            key="overview_active_days_grain",
        )
        or "week"
    )
    df = data.query(ACTIVE_DAYS_SQL, [grain], tables=[ACTIVE_DAYS])
    fig = charts.bar(
        df,
        "active_days",
        "share_of_user_periods",
        f"Active days per user-{grain}",
        x_title=f"days with a play in the {grain}",
        y_title=f"share of active user-{grain}s",
        percent=True,
    )
    fig.update_xaxes(type="category")
    charts.show(
        fig,
        f"Of the users who played in a {grain}, how many days of it they played; only {grain}s "
        "wholly inside the log count.",
    )


def panel() -> None:
    """The stickiness section of the Overview page."""
    st.markdown("#### Stickiness")
    kpis()
    left, right = st.columns(2)
    with left:
        active_users_chart()
    with right:
        active_days_chart()
