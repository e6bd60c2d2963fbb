"""Model: the next-episode continuation classifier against its baselines and the oracle."""

from __future__ import annotations

from functools import partial

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import charts, data, ui

RUNS = "ml.model_runs"
METRICS = "ml.model_metrics"
ROC = "ml.roc_curve"
THRESHOLD = "ml.threshold_curve"
CALIBRATION = "ml.calibration"
PREDICTIONS = "ml.predictions"
IMPORTANCE = "ml.feature_importance"
BUCKETS = "ml.metrics_by_bucket"

MODEL_LABELS = {
    "gbm": "gradient boosting (model)",
    "baseline_episode": "baseline: episode rate",
    "baseline_logreg": "baseline: logistic",
    "oracle": "oracle (simulator truth)",
}
MODEL_ORDER = list(MODEL_LABELS)

RUNS_SQL = """
select run_id, trained_at
from ml.model_runs
order by trained_at desc, run_id desc
limit 50
"""

RUN_SQL = """
select
    run_id, trained_at, validation_rows, train_rows, roc_auc, brier,
    baseline_episode_roc_auc, baseline_logreg_roc_auc, has_oracle, oracle_roc_auc,
    auc_gap, auc_gap_se, brier_gap_pct, decision_threshold, validation_positive_rate
from ml.model_runs
where run_id = ?
"""

METRICS_SQL = """
select model, metric, value
from ml.model_metrics
where run_id = ? and metric in ('roc_auc', 'pr_auc', 'brier', 'log_loss', 'f1', 'accuracy')
  and value is not null
"""

ROC_SQL = """
select model, fpr, tpr
from ml.roc_curve
where run_id = ?
order by model, point_index
"""

THRESHOLD_SQL = """
select threshold, precision, recall, f1, predicted_positive_rate
from ml.threshold_curve
where run_id = ? and model = ?
order by threshold
"""

CALIBRATION_SQL = """
select model, bin_index, mean_predicted, observed_rate, n_rows
from ml.calibration
where run_id = ? and n_rows > 0
order by model, bin_index
"""

SCORE_HIST_SQL = """
select
    least(floor(score * 25), 24) / 25.0 + 0.02 as score_bin,
    case when label then 'continued' else 'stopped' end as outcome,
    count(*) as plays
from ml.predictions
where run_id = ?
group by all
order by score_bin
"""

IMPORTANCE_SQL = """
select feature, importance_mean, importance_std
from ml.feature_importance
where run_id = ? and model = 'gbm'
order by importance_mean desc
limit 15
"""

BUCKETS_SQL = """
select model, episode_bucket, n_rows, roc_auc, brier, positive_rate, mean_score
from ml.metrics_by_bucket
where run_id = ?
order by episode_bucket, model
"""


def _label(model: str) -> str:
    return MODEL_LABELS.get(model, model)


def _ordered(df: pd.DataFrame, col: str = "model") -> pd.DataFrame:
    rank = {m: i for i, m in enumerate(MODEL_ORDER)}
    return df.assign(_r=df[col].map(lambda m: rank.get(m, 99))).sort_values(["_r"]).drop(columns="_r")


def pick_run() -> str | None:
    runs = data.query(RUNS_SQL, tables=[RUNS])
    if runs.empty:
        st.info("`ml.model_runs` is empty. Run `python ml/train.py`, then `make publish`.")
        return None
    labels = {
        run_id: f"{run_id} · {pd.Timestamp(trained_at):%Y-%m-%d %H:%M}"
        for run_id, trained_at in zip(runs["run_id"], runs["trained_at"], strict=True)
    }
    run_id = st.selectbox(
        "Training run", list(labels), format_func=lambda r: labels.get(r, str(r)), key="model_run"
    )
    return str(run_id) if run_id is not None else None


NO_ORACLE_NOTICE = (
    "No oracle for this run: the warehouse holds no simulator ground truth (`sim.event_truth`), "
    "as on a platform's own log, where nobody knows each play's true probability of continuing. "
    "The model is graded against its two baselines only."
)


def kpi_row(run_id: str) -> None:
    r = data.query(RUN_SQL, [run_id], tables=[RUNS]).iloc[0]
    has_oracle = bool(r["has_oracle"])
    oracle_kpis: list[ui.Kpi] = []
    if has_oracle:
        oracle_kpis = [
            (
                "Oracle AUC",
                ui.fmt_float(r["oracle_roc_auc"], 3),
                "AUC of the simulator's true probabilities: the Bayes ceiling",
            ),
        ]
        gap = ("Gap to oracle (AUC)", ui.fmt_float(r["auc_gap"], 4), "oracle minus model")
        if pd.notna(r["auc_gap_se"]):  # its DeLong standard error, small under the value
            oracle_kpis.append((*gap, f"± {ui.fmt_float(r['auc_gap_se'], 4)} SE"))
        else:
            oracle_kpis.append(gap)
    ui.kpis(
        [
            ("Model ROC AUC", ui.fmt_float(r["roc_auc"], 3), "validation plays, later in time"),
            ("Logistic baseline AUC", ui.fmt_float(r["baseline_logreg_roc_auc"], 3), None),
            ("Episode-rate baseline AUC", ui.fmt_float(r["baseline_episode_roc_auc"], 3), None),
            *oracle_kpis,
            ("Brier score", ui.fmt_float(r["brier"], 4), "mean squared error of probabilities"),
            (
                "Validation plays",
                ui.fmt_compact(r["validation_rows"]),
                f"{ui.fmt_int(r['validation_rows'])} later plays the model is graded on",
            ),
            (
                "Training plays",
                ui.fmt_compact(r["train_rows"]),
                f"{ui.fmt_int(r['train_rows'])} earlier plays the model learnt from",
            ),
        ],
        per_row=4,
    )
    if not has_oracle:
        st.info(NO_ORACLE_NOTICE, icon=":material/info:")


def scoreboard(run_id: str) -> None:
    df = _ordered(data.query(METRICS_SQL, [run_id], tables=[METRICS]))
    df["model_label"] = df["model"].map(_label)
    left, right = st.columns(2)
    with left:
        part = df[df["metric"].isin(["roc_auc", "pr_auc", "f1", "accuracy"])]
        fig = charts.bar(
            part,
            "metric",
            "value",
            "Ranking and threshold metrics",
            color="model_label",
            stacked=False,
            y_title="higher is better",
        )
        charts.show(fig, "Validation metrics of the model, both baselines and the oracle ceiling.")
    with right:
        part = df[df["metric"].isin(["brier", "log_loss"])]
        fig = charts.bar(
            part,
            "metric",
            "value",
            "Probability errors",
            color="model_label",
            stacked=False,
            y_title="lower is better",
        )
        charts.show(fig, "Brier score and log loss: how good the probabilities are, not just ranks.")


def curves(run_id: str) -> None:
    left, right = st.columns(2)
    with left:
        df = _ordered(data.query(ROC_SQL, [run_id], tables=[ROC]))
        df["model_label"] = df["model"].map(_label)
        fig = charts.lines_with_band(
            df,
            "fpr",
            "tpr",
            "ROC curve",
            group="model_label",
            x_title="false positive rate",
            y_title="true positive rate",
            percent=False,
            markers=False,
        )
        fig.add_trace(
            go.Scatter(
                x=[0, 1],
                y=[0, 1],
                mode="lines",
                name="chance",
                line={"dash": "dot", "color": "#9AA0AE", "width": 1},
            )
        )
        fig.update_xaxes(range=[0, 1])
        fig.update_yaxes(range=[0, 1.01])
        charts.show(fig, "Trade-off between catching continuations and false alarms, per model.")
    with right:
        models = [m for m in MODEL_ORDER if m != "oracle"]
        model = (
            st.selectbox(
                "Model for the threshold curve", models, format_func=_label, key="model_threshold_model"
            )
            or "gbm"
        )
        df = data.query(THRESHOLD_SQL, [run_id, model], tables=[THRESHOLD])
        long = df.melt(
            id_vars="threshold",
            value_vars=["precision", "recall", "f1"],
            var_name="measure",
            value_name="value",
        )
        fig = charts.lines_with_band(
            long,
            "threshold",
            "value",
            "Precision and recall against threshold",
            group="measure",
            x_title="decision threshold",
            y_title="value",
            percent=False,
            markers=False,
        )
        charts.show(fig, "Raising the threshold trades recall for precision; F1 peaks in between.")


def calibration(run_id: str) -> None:
    left, right = st.columns(2)
    with left:
        df = _ordered(data.query(CALIBRATION_SQL, [run_id], tables=[CALIBRATION]))
        df["model_label"] = df["model"].map(_label)
        fig = charts.lines_with_band(
            df,
            "mean_predicted",
            "observed_rate",
            "Calibration",
            group="model_label",
            x_title="mean predicted probability",
            y_title="observed continuation rate",
            percent=False,
        )
        fig.add_trace(
            go.Scatter(
                x=[0, 1],
                y=[0, 1],
                mode="lines",
                name="perfect",
                line={"dash": "dot", "color": "#9AA0AE", "width": 1},
            )
        )
        charts.show(
            fig,
            "Observed continuation rate per predicted-probability bin; on the "
            "diagonal means well calibrated.",
        )
    with right:
        df = data.query(SCORE_HIST_SQL, [run_id], tables=[PREDICTIONS])
        fig = charts.bar(
            df,
            "score_bin",
            "plays",
            "Score distribution by outcome",
            color="outcome",
            stacked=False,
            x_title="predicted continuation",
            y_title="validation plays",
        )
        fig.update_layout(barmode="overlay", bargap=0.05)
        fig.update_traces(opacity=0.7)
        charts.show(
            fig,
            "Predicted probabilities of plays that did and did not continue: the "
            "less overlap, the better the separation.",
        )


def importance_and_buckets(run_id: str) -> None:
    left, right = st.columns(2)
    with left:
        df = data.query(IMPORTANCE_SQL, [run_id], tables=[IMPORTANCE])
        fig = go.Figure(
            go.Bar(
                x=df["importance_mean"],
                y=df["feature"],
                orientation="h",
                error_x={"type": "data", "array": df["importance_std"], "visible": True},
                marker_color=charts.PALETTE[0],
            )
        )
        charts.layout(
            fig,
            "Permutation importance",
            x="drop in ROC AUC when shuffled",
            height=max(340, 22 * len(df) + 80),
        )
        fig.update_yaxes(autorange="reversed", type="category")
        charts.show(fig, "How much validation AUC falls when one feature is shuffled (± std).")
    with right:
        df = _ordered(data.query(BUCKETS_SQL, [run_id], tables=[BUCKETS]))
        df["model_label"] = df["model"].map(_label)
        fig = charts.bar(
            df,
            "episode_bucket",
            "roc_auc",
            "ROC AUC by episode bucket",
            color="model_label",
            stacked=False,
            x_title="episode number",
            y_title="ROC AUC",
        )
        charts.show(
            fig,
            "Discrimination within early, middle and late episodes, where the "
            "episode number alone no longer helps.",
        )


snap = ui.header(
    "Model",
    "Next-episode continuation classifier (`python ml/train.py`), graded on later plays against "
    "two baselines and, on a simulated log, the simulator's true probabilities.",
)
if snap is not None:
    with ui.guarded("Model"):
        if not snap.has(RUNS):
            raise data.MissingData([RUNS])
        run = pick_run()
        if run is not None:
            ui.section("Model KPIs", partial(kpi_row, run))
            ui.section("Metrics", partial(scoreboard, run))
            ui.section("Curves", partial(curves, run))
            ui.section("Calibration", partial(calibration, run))
            ui.section("Importance", partial(importance_and_buckets, run))
