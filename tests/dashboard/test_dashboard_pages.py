"""Every page through AppTest: title, chart count, KPIs equal to SQL on the test warehouse."""

from __future__ import annotations

import math

import pytest

from dashboard.ui import fmt_compact
from tests.dashboard.apptest_util import (
    INJECTIONS,
    assert_clean,
    catalogue_charts,
    figures,
    fmt_float,
    fmt_int,
    fmt_pct,
    metrics,
    n_charts,
    open_page,
)


def test_overview(warehouse_file, wh_sql):
    at = open_page("overview")
    assert [t.value for t in at.title] == ["Overview"]
    assert n_charts(at) == 6
    m = metrics(at)
    assert m["Users"] == fmt_compact(wh_sql.one("select count(distinct user_id) from marts.sessions"))
    assert m["Plays"] == fmt_compact(wh_sql.one("select sum(n_plays) from marts.sessions"))
    assert m["Hours watched"] == fmt_compact(
        round(wh_sql.one("select sum(watched_minutes) / 60 from marts.sessions"))
    )
    assert m["Titles watched"] == fmt_compact(
        wh_sql.one(
            "select count(distinct anime_id) from marts.binge_depth "
            "where scope = 'title' and depth_measure = 'deepest_episode'"
        )
    )
    assert m["Episodes per session"] == fmt_float(wh_sql.one("select avg(n_episodes) from marts.sessions"), 2)
    assert m["Episode 1 → 2 retention"] == fmt_pct(
        wh_sql.one(
            "select 1 - dropped / at_risk from marts.retention_by_episode "
            "where scope = 'all_titles' and episode_number = 1"
        )
    )
    # the other binge measure and active-days period re-render without error
    at.radio(key="overview_binge_measure").set_value("deepest_episode").run()
    at.radio(key="overview_active_days_grain").set_value("month").run()
    assert_clean(at)
    assert n_charts(at) == 6


def test_overview_stickiness_counts_users_of_the_last_whole_month(warehouse_file, wh_sql):
    """DAU, WAU, MAU on the log's last day, counted here from the plays; the test log is shorter
    than 30 days, so the month is marked partial."""
    at = open_page("overview")
    m = metrics(at)
    last_day, first_day = wh_sql.rows(
        "select max(started_at)::date, min(started_at)::date from marts.viewing_events"
    )[0]
    days = (last_day - first_day).days + 1
    assert 7 < days < 30
    notes = {x.label: x.delta for x in at.metric}
    assert notes["Monthly active users"] == f"{days} days of log"
    counts = wh_sql.rows(
        "select count(distinct user_id) filter (where started_at::date = ?::date), "
        "count(distinct user_id) filter (where started_at::date > ?::date - 7), "
        "count(distinct user_id) from marts.viewing_events "
        "where started_at::date <= ?::date and started_at::date > ?::date - 30",
        [last_day] * 4,
    )[0]
    dau, wau, mau = (int(c) for c in counts)
    assert 0 < dau <= wau <= mau
    assert m["Daily active users"] == fmt_compact(dau)
    assert m["Weekly active users"] == fmt_compact(wau)
    assert m["Monthly active users"] == fmt_compact(mau)
    assert m["DAU / MAU"] == fmt_pct(dau / mau)


def _top_title(wh_sql):
    return wh_sql.rows(
        """
        select r.anime_id, r.viewers_reached, r.km_survival, m.episodes
        from marts.retention_by_episode r join marts.anime_master m using (anime_id)
        where r.scope = 'title' and r.episode_number = 1
        order by r.viewers_reached desc, m.title
        limit 1
        """
    )[0]


def test_title(warehouse_file, wh_sql):
    at = open_page("title")
    assert [t.value for t in at.title] == ["Title"]
    assert n_charts(at) == 6
    anime_id, viewers, ep1, episodes = _top_title(wh_sql)
    assert at.selectbox(key="title_pick").value == anime_id
    m = metrics(at)
    assert m["Viewers"] == fmt_compact(viewers)
    assert m["Episode 1 → 2 retention"] == fmt_pct(ep1)
    assert m["Episodes"] == fmt_int(episodes)
    # finishers played the title's last episode (marts.episodes), counted here from the plays
    finishers = wh_sql.one(
        "select count(distinct user_id) from marts.viewing_events where anime_id = ? "
        "and episode_number = (select max(episode_number) from marts.episodes where anime_id = ?)",
        [anime_id, anime_id],
    )
    assert finishers > 0
    assert m["Finished the series"] == fmt_pct(finishers / viewers)
    assert m["Finishers"] == fmt_compact(finishers)
    hook, hot_spots = wh_sql.rows(
        "select min(episode_number) filter (where is_hook_episode), "
        "count(*) filter (where is_drop_off_hot_spot) from marts.title_funnel where anime_id = ?",
        [anime_id],
    )[0]
    assert m["Hook episode"] == ("none yet" if hook is None else f"ep. {hook}")
    assert m["Drop-off hot spots"] == fmt_int(hot_spots)
    completion = wh_sql.one(
        "select sum(plays * mean_completion) / sum(plays) from marts.retention_by_episode "
        "where scope = 'title' and anime_id = ?",
        [anime_id],
    )
    assert 0 < completion < 1
    assert m["Mean completion"] == fmt_pct(completion)


def test_title_search_narrows_and_picks(warehouse_file, wh_sql):
    at = open_page("title")
    title, anime_id = wh_sql.rows(
        "select m.title, m.anime_id from marts.retention_by_episode r "
        "join marts.anime_master m using (anime_id) "
        "where r.scope = 'title' and r.episode_number = 1 "
        "and not regexp_matches(m.title, '[%_\\\\]') "
        "and m.title not in (select title from marts.anime_master group by title "
        "having count(*) > 1) order by r.viewers_reached limit 1"
    )[0]
    at.text_input(key="title_search").input(title).run()
    assert_clean(at)
    options = at.selectbox(key="title_pick").options
    expected = wh_sql.one(
        "select count(*) from marts.retention_by_episode r join marts.anime_master m "
        "using (anime_id) where r.scope = 'title' and r.episode_number = 1 "
        "and m.title ilike '%' || ? || '%'",
        [title],
    )
    assert len(options) == expected
    assert all(title.lower() in o.lower() for o in options)
    at.selectbox(key="title_pick").set_value(anime_id).run()
    assert_clean(at)
    assert at.subheader[0].value == title
    assert n_charts(at) in (4, 6)  # a one-episode title has no funnel charts


def test_compare(warehouse_file, wh_sql):
    at = open_page("compare")
    assert [t.value for t in at.title] == ["Compare"]
    assert n_charts(at) == 2
    table = at.dataframe[0].value
    expected = wh_sql.rows(
        "select anime_id, sum(episode_depth * n_observations) from marts.binge_depth "
        "where scope = 'title' and depth_measure = 'session_episodes' "
        "group by anime_id order by 2 desc limit 5"
    )
    assert table["plays"].tolist() == [p for _, p in expected]
    at.slider(key="compare_n").set_value(3).run()
    assert_clean(at)
    assert len(at.dataframe[0].value) == 3
    at.toggle(key="compare_bands").set_value(True).run()
    assert_clean(at)


def test_compare_tests_two_titles(warehouse_file, wh_sql):
    at = open_page("compare")
    plays = dict(
        wh_sql.rows(
            "select anime_id, sum(episode_depth * n_observations) from marts.binge_depth"
            " where scope = 'title' and depth_measure = 'session_episodes' group by anime_id"
        )
    )
    id_a, id_b = at.selectbox(key="compare_a").value, at.selectbox(key="compare_b").value
    # the two most-played titles (either order on a tie)
    assert id_a != id_b and [plays[id_a], plays[id_b]] == sorted(plays.values(), reverse=True)[:2]

    # the verdict's figures, from the episode-1 step of each title computed here by hand
    def step_1(anime_id: str) -> tuple[int, int]:
        return wh_sql.rows(
            "select at_risk - dropped, at_risk from marts.retention_by_episode"
            " where scope = 'title' and episode_number = 1 and anime_id = ?",
            [anime_id],
        )[0]

    sa, na = step_1(id_a)
    # B: the most-played other title whose rate differs from A's (a test with something to test)
    fifth = sorted(plays.values(), reverse=True)[4]  # titles above it are surely on the page
    ranked = sorted((i for i in plays if plays[i] > fifth), key=lambda i: -plays[i])
    id_b = next(i for i in ranked if i != id_a and step_1(i)[1] and step_1(i)[0] * na != sa * step_1(i)[1])
    sb, nb = step_1(id_b)
    at.selectbox(key="compare_b").set_value(id_b).run()
    assert_clean(at)
    pooled = (sa + sb) / (na + nb)
    z = (sa / na - sb / nb) / math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    verdict = next(m.value for m in at.markdown if m.value.startswith("Episode 1 → 2"))
    assert f"**{fmt_pct(sa / na)}** of {na:,} viewers" in verdict
    assert f"**{fmt_pct(sb / nb)}** of {nb:,}" in verdict
    assert f"p = {math.erfc(abs(z) / math.sqrt(2)):.2g}" in verdict
    at.selectbox(key="compare_b").set_value(id_a).run()
    assert_clean(at)
    assert [i.value for i in at.info] == ["Pick two different titles."]


def test_cohorts(warehouse_file, wh_sql):
    at = open_page("cohorts")
    assert [t.value for t in at.title] == ["Cohorts"]
    assert n_charts(at) == 3
    picked = at.multiselect(key="cohorts_pick_week").value
    n_cohorts = wh_sql.one(
        "select count(distinct cohort_started_on) from marts.cohort_retention where cohort_grain = 'week'"
    )
    assert len(picked) == min(6, n_cohorts)
    m = metrics(at)
    assert m["Cohorts shown"] == fmt_int(len(picked))
    users, week1 = wh_sql.rows(
        """
        select
            (select sum(cohort_users) from (select distinct cohort_started_on, cohort_users
                from marts.cohort_retention
                where cohort_grain = 'week' and cohort_started_on in (select unnest(?::date[])))),
            sum(active_users) / sum(cohort_users)
        from marts.cohort_retention
        where cohort_grain = 'week' and period_number = 1 and is_period_complete
          and cohort_started_on in (select unnest(?::date[]))
        """,
        [list(picked), list(picked)],
    )[0]
    assert m["Users in them"] == fmt_int(users)
    assert m["Active in week 1"] == fmt_pct(week1)
    for grain in ("day", "week"):
        for measure in ("retention_rate_on_or_after", "retention_rate"):
            at.radio(key="cohorts_grain").set_value(grain).run()
            at.radio(key="cohorts_measure").set_value(measure).run()
            assert_clean(at)
            assert n_charts(at) == 3


def test_cohorts_show_intervals_and_grey_small_cohorts(warehouse_file, wh_sql):
    at = open_page("cohorts")
    picked = at.multiselect(key="cohorts_pick_week").value
    sizes = dict(
        wh_sql.rows(
            "select distinct cohort_started_on, cohort_users from marts.cohort_retention"
            " where cohort_grain = 'week'"
        )
    )
    lines, heat, stay = figures(at)
    # week 1 of the first cohort: its hover holds the mart's interval and counts
    rate, lower, upper, active, users = wh_sql.rows(
        "select retention_rate, retention_rate_ci_lower, retention_rate_ci_upper, active_users,"
        " cohort_users from marts.cohort_retention"
        " where cohort_grain = 'week' and period_number = 1 and cohort_started_on = ?",
        [picked[0]],
    )[0]
    hover = heat["data"][0]["customdata"][0][1]
    assert f"{rate:.1%} (95% interval {lower:.1%} to {upper:.1%})" in hover
    assert f"{active:,} of {users:,} users" in hover
    # one line per cohort with a complete period; no bands until asked
    n_lines = wh_sql.one(
        "select count(distinct cohort_started_on) from marts.cohort_retention"
        " where cohort_grain = 'week' and is_period_complete"
        " and cohort_started_on in (select unnest(?::date[]))",
        [list(picked)],
    )
    assert len(lines["data"]) == n_lines
    # the survival curve of the first cohort is the mart's, day by day
    km = [
        v
        for (v,) in wh_sql.rows(
            "select km_survival from marts.cohort_survival where cohort_grain = 'week'"
            " and cohort_started_on = ? order by day_number",
            [picked[0]],
        )
    ]
    assert stay["data"][0]["y"] == pytest.approx(km) and len(stay["data"]) == len(picked)
    at.toggle(key="cohorts_bands").set_value(True).run()
    assert_clean(at)
    assert len(figures(at)[0]["data"]) == 3 * n_lines  # each line with its two band edges
    assert len(figures(at)[2]["data"]) == 3 * len(picked)
    # above the biggest picked cohort every row is grey; at 0 none is
    at.number_input(key="cohorts_min_users").set_value(max(sizes[d] for d in picked) + 1).run()
    assert_clean(at)
    traces = figures(at)[1]["data"]
    assert len(traces) == 2 and all(v is None or math.isnan(v) for row in traces[0]["z"] for v in row)
    at.number_input(key="cohorts_min_users").set_value(0).run()
    assert len(figures(at)[1]["data"]) == 1


def test_model(warehouse_file, wh_sql):
    at = open_page("model")
    assert [t.value for t in at.title] == ["Model"]
    assert n_charts(at) == 8
    run_id, auc, logreg, episode, oracle, brier, n_val = wh_sql.rows(
        "select run_id, roc_auc, baseline_logreg_roc_auc, baseline_episode_roc_auc, "
        "oracle_roc_auc, brier, validation_rows from ml.model_runs "
        "order by trained_at desc limit 1"
    )[0]
    assert at.selectbox(key="model_run").value == run_id
    m = metrics(at)
    assert m["Model ROC AUC"] == fmt_float(auc, 3)
    assert m["Logistic baseline AUC"] == fmt_float(logreg, 3)
    assert m["Episode-rate baseline AUC"] == fmt_float(episode, 3)
    assert m["Oracle AUC"] == fmt_float(oracle, 3)
    assert m["Brier score"] == fmt_float(brier, 4)
    assert m["Validation plays"] == fmt_compact(n_val)
    gap, gap_se = wh_sql.rows("select auc_gap, auc_gap_se from ml.model_runs where run_id = ?", [run_id])[0]
    card = next(metric for metric in at.metric if metric.label == "Gap to oracle (AUC)")
    assert (card.value, card.delta) == (fmt_float(gap, 4), f"± {fmt_float(gap_se, 4)} SE")
    # an older run and another threshold model render too
    runs = [r for (r,) in wh_sql.rows("select run_id from ml.model_runs")]
    for run in runs:
        at.selectbox(key="model_run").set_value(run).run()
        assert_clean(at)
        assert n_charts(at) == 8
    at.selectbox(key="model_threshold_model").set_value("baseline_logreg").run()
    assert_clean(at)


def test_predictions(warehouse_file, wh_sql):
    at = open_page("predictions")
    assert [t.value for t in at.title] == ["Predictions"]
    assert n_charts(at) == 2
    anime_id = wh_sql.one(
        "select p.anime_id from marts.model_predictions p left join marts.anime_master m using (anime_id) "
        "group by p.anime_id, m.title order by count(*) desc, coalesce(m.title, p.anime_id) "
        "limit 1"
    )
    assert at.selectbox(key="predictions_title").value == anime_id
    episode = wh_sql.one(
        "select episode_number from marts.model_predictions where anime_id = ? "
        "group by episode_number order by count(*) desc, episode_number limit 1",
        [anime_id],
    )
    assert at.selectbox(key=f"predictions_episode_{anime_id}").value == episode
    plays, mean_score, observed = wh_sql.rows(
        "select count(*), avg(score), avg(label::int) from marts.model_predictions "
        "where anime_id = ? and episode_number = ?",
        [anime_id, episode],
    )[0]
    m = metrics(at)
    assert m["Validation plays"] == fmt_compact(plays)
    assert m["Mean predicted continuation"] == fmt_pct(mean_score)
    assert m["Observed continuation"] == fmt_pct(observed)
    sample = at.dataframe[0].value
    assert len(sample) == min(50, plays)
    assert sample["completion"].notna().all()  # features joined from marts.ml_features


WATCHED = {
    "title": "select anime_id from marts.retention_by_episode where scope = 'title'",
    "predictions": "select anime_id from marts.model_predictions",
    "catalogue": "select anime_id from marts.anime_master",
}
CHARTS = {"title": 6, "predictions": 2}  # the top title has an episode funnel


@pytest.mark.parametrize(
    ("page", "key"),
    [("title", "title_search"), ("predictions", "predictions_search"), ("catalogue", "catalogue_search")],
)
def test_text_inputs_are_injection_safe(warehouse_file, wh_sql, page, key):
    tables = ["marts.anime_master", "marts.sessions", "marts.model_predictions"]
    before = {t: wh_sql.one(f"select count(*) from {t}") for t in tables}
    full = catalogue_charts(wh_sql) if page == "catalogue" else CHARTS[page]
    at = open_page(page)
    for text in INJECTIONS:
        at.text_input(key=key).input(text).run()
        assert_clean(at)
        # the text is matched literally as a substring of titles, never executed
        matches = wh_sql.one(
            f"select count(*) from marts.anime_master where anime_id in ({WATCHED[page]}) "
            "and strpos(lower(title), lower(?)) > 0",
            [text],
        )
        shown = n_charts(at)
        if page == "title" and matches:
            assert shown in (4, full), text  # a one-episode match has no funnel charts
        else:
            assert shown == (full if matches or page == "catalogue" else 0), text
    at.text_input(key=key).input("").run()
    assert_clean(at)
    assert n_charts(at) == full
    assert {t: wh_sql.one(f"select count(*) from {t}") for t in tables} == before
