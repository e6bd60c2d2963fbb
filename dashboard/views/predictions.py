"""Predictions: the model's continuation scores for one title and episode, with sample plays."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard import charts, data, ui

# marts.model_predictions (dbt, tag ml_outputs): ml.predictions of the latest run joined to the
# play's features in SQL, so this page never scans marts.ml_features.
PREDICTIONS = "marts.model_predictions"
MASTER = "marts.anime_master"

TITLES_SQL = """
with p as (
    select anime_id, count(*) as plays
    from marts.model_predictions
    group by anime_id
)
select p.anime_id, coalesce(m.title, p.anime_id) as title, p.plays
from p
left join marts.anime_master as m on m.anime_id = p.anime_id
where coalesce(m.title, p.anime_id) ilike ? escape '\\'
order by p.plays desc, title
limit 200
"""

EPISODES_SQL = """
select
    episode_number,
    count(*) as plays,
    avg(score) as mean_score,
    avg(case when label then 1.0 else 0.0 end) as observed_rate
from marts.model_predictions
where anime_id = ?
group by episode_number
order by episode_number
"""

KPI_SQL = """
select
    count(*) as plays,
    avg(score) as mean_score,
    avg(case when label then 1.0 else 0.0 end) as observed_rate,
    avg(case when is_predicted_positive then 1.0 else 0.0 end) as predicted_positive
from marts.model_predictions
where anime_id = ? and episode_number = ?
"""

HIST_SQL = """
select
    least(floor(score * 20), 19) / 20.0 + 0.025 as score_bin,
    case when label then 'continued' else 'stopped' end as outcome,
    count(*) as plays
from marts.model_predictions
where anime_id = ? and episode_number = ?
group by all
order by score_bin
"""

SAMPLE_SQL = """
select
    event_id, user_id, started_at, score, label as continued, baseline_logreg_score,
    baseline_episode_score, completion, series_fraction, session_position, user_prior_plays,
    user_prior_continuation_rate, title_prior_continuation_rate, days_since_prev_play, hour_of_day
from marts.model_predictions
where anime_id = ? and episode_number = ?
order by started_at, event_id
limit 50
"""


def page() -> None:
    left, mid, right = st.columns([2, 3, 1])
    with left:
        text = ui.search_box("Search a title", key="predictions_search", placeholder="part of a title")
    titles = data.query(TITLES_SQL, [ui.like_pattern(text)], tables=[PREDICTIONS, MASTER])
    if titles.empty:
        st.info("No validation plays for a title matching that search.")
        return
    labels = {
        anime_id: f"{title} ({plays:,} plays)"
        for anime_id, title, plays in zip(titles["anime_id"], titles["title"], titles["plays"], strict=True)
    }
    with mid:
        anime_id = st.selectbox(
            "Title", list(labels), format_func=lambda a: labels.get(a, a), key="predictions_title"
        )
    if anime_id is None:
        return
    episodes = data.query(EPISODES_SQL, [anime_id], tables=[PREDICTIONS])
    with right:
        # default: the episode with the most validation plays (the lowest on ties)
        busiest = int(episodes["plays"].to_numpy().argmax()) if len(episodes) else 0
        episode = st.selectbox(
            "Episode",
            episodes["episode_number"].tolist(),
            index=busiest,
            key=f"predictions_episode_{anime_id}",
        )
    if episode is None:
        return
    episode = int(episode)

    k = data.query(KPI_SQL, [anime_id, episode], tables=[PREDICTIONS]).iloc[0]
    ui.kpis(
        [
            (
                "Validation plays",
                ui.fmt_compact(k["plays"]),
                f"{ui.fmt_int(k['plays'])} plays of this episode in validation",
            ),
            ("Mean predicted continuation", ui.fmt_pct(k["mean_score"]), None),
            (
                "Observed continuation",
                ui.fmt_pct(k["observed_rate"]),
                "share that played the next episode within the horizon",
            ),
            (
                "Predicted to continue",
                ui.fmt_pct(k["predicted_positive"]),
                "share at or above the decision threshold",
            ),
        ]
    )

    c1, c2 = st.columns(2)
    with c1:
        df = data.query(HIST_SQL, [anime_id, episode], tables=[PREDICTIONS])
        fig = charts.bar(
            df,
            "score_bin",
            "plays",
            f"Predicted continuation, episode {episode}",
            color="outcome",
            stacked=True,
            x_title="predicted probability of playing the next episode",
            y_title="plays",
        )
        fig.update_xaxes(range=[0, 1])
        charts.show(
            fig,
            "Distribution of the model's scores for this episode, coloured by what the viewer actually did.",
        )
    with c2:
        fig = go.Figure()
        fig.add_trace(
            go.Scatter(
                x=episodes["episode_number"],
                y=episodes["mean_score"],
                name="mean predicted",
                mode="lines+markers",
                line={"color": charts.PALETTE[0]},
            )
        )
        fig.add_trace(
            go.Scatter(
                x=episodes["episode_number"],
                y=episodes["observed_rate"],
                name="observed",
                mode="lines+markers",
                line={"color": charts.PALETTE[1], "dash": "dot"},
            )
        )
        fig.add_vline(x=episode, line={"color": "#9AA0AE", "width": 1, "dash": "dash"})
        charts.layout(
            fig, "Predicted against observed, by episode", x="episode", y="continuation", percent_y=True
        )
        charts.show(
            fig,
            "Mean score and observed continuation rate of every validation episode "
            "of this title; the dashed line marks the chosen episode.",
        )

    st.subheader("Sample plays")
    with ui.guarded("Sample plays"):
        sample = data.query(SAMPLE_SQL, [anime_id, episode], tables=[PREDICTIONS])
        st.caption(
            "Up to 50 validation plays of this episode with their point-in-time features "
            "and the scores of the model and both baselines."
        )
        st.dataframe(
            sample,
            hide_index=True,
            column_config={
                "score": st.column_config.ProgressColumn(
                    "model score", min_value=0.0, max_value=1.0, format="%.2f"
                ),
                "baseline_logreg_score": st.column_config.NumberColumn("logistic", format="%.2f"),
                "baseline_episode_score": st.column_config.NumberColumn("episode rate", format="%.2f"),
                "completion": st.column_config.NumberColumn(format="%.2f"),
            },
        )


snap = ui.header(
    "Predictions",
    "Scores of the latest model on the validation plays: pick a title and an episode to see how "
    "likely viewers were to play the next one, and what they actually did.",
)
if snap is not None:
    ui.section("Predictions", page)
