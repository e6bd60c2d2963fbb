"""The "real" half of sim-to-real: a platform's own log, end to end, with no simulator.

On a fresh warehouse (the catalogue ingested and its marts built): `python -m ingest events` loads
the hand-made example in data/examples/ (plays, users, mapping, a fixed --as-of), `--append` adds
its late plays, then the full dbt build, training, the ml_outputs models, publish and every
dashboard page. The marts of the example's isolated titles (watched by no one else) are worked out
by hand below, from the semantics in docs/real-logs.md:

- H = 14 days. continued_next_episode: the same user starts a LATER episode (any number above n)
  of the title after the play's start and no later than start + H; null for the title's last
  episode and for censored plays (start + H after the newest start of the whole log).
- retention_by_episode (scope 'title'), per episode k: at_risk = user-titles whose FIRST play of k
  has a resolved label, dropped = those labelled false, censored = user-titles whose first play of
  k is censored, viewers_played = user-titles with a play of k, viewers_reached = user-titles whose
  deepest episode is k or more, plays = every play of k,
  km_survival(k) = prod_{j<=k} (1 - dropped(j) / at_risk(j)) (a factor 1 where at_risk is 0).
- a play resumes the view of the user's previous play of the title when it is the same episode,
  starts within 168 hours of that play's end and that play stopped short (completion < 0.9);
  a rewatch is a later view of an episode the user-title already played.
- a session starts when a play starts more than 30 minutes after the latest end of all the user's
  earlier plays (so an overlap never splits a session).

The newest start of the whole log is u-e1's episode 3 at 2026-10-24 14:30 UTC, so plays starting
after 2026-10-10 14:30 UTC are censored; every hand-worked title but E is watched in early
September.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipeline import commands
from tests.dashboard.apptest_util import assert_clean, metrics, n_charts, open_page
from tests.tables import query_rows
from warehouse import REPO_ROOT

EXAMPLES = REPO_ROOT / "data" / "examples"
PLAYS = EXAMPLES / "plays.csv"
LATE = EXAMPLES / "plays_late.csv"
USERS = EXAMPLES / "users.csv"
MAPPING = EXAMPLES / "mapping.toml"
AS_OF = "2026-11-01T00:00:00Z"

A, B, C, D, E = "mal-25835", "mal-326", "mal-1292", "mal-22507", "mal-31722"
# the whole flow on a small log: under a minute on a 2-core machine (catalogue build included)
pytestmark = pytest.mark.slow

PAGES = ("overview", "title", "compare", "cohorts", "model", "predictions", "catalogue")


@dataclass(frozen=True)
class Flow:
    db: Path
    first: subprocess.CompletedProcess[str]
    late: subprocess.CompletedProcess[str]
    train: subprocess.CompletedProcess[str]
    report: subprocess.CompletedProcess[str]
    summary: subprocess.CompletedProcess[str]

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return query_rows(self.db, sql, params or [])


@pytest.fixture(scope="module")
def flow(catalog_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Flow:
    folder = tmp_path_factory.mktemp("real_log")
    db = folder / "real.duckdb"
    shutil.copyfile(catalog_warehouse, db)  # `python -m ingest` + `dbt build -s tag:catalog`
    first = commands.ingest_events(db, PLAYS, users=USERS, mapping=MAPPING, as_of=AS_OF)
    late = commands.ingest_events(db, LATE, mapping=MAPPING, as_of=AS_OF, append=True)
    # the rest of `make run LOGS=...`: dbt build (full refresh), train, ml outputs, publish, summary
    rest = ("--only", "build", "train", "publish", "summary", "--model-out", str(folder / "model.pkl"))
    run = commands.run_stage(commands.python("-m", "pipeline", "--warehouse", str(db), *rest), db)
    report = commands.run_stage(
        commands.python("-m", "simulator", "report", "--warehouse", str(db)), db, check=False
    )
    return Flow(db, first, late, run, report, run)


def test_the_example_is_what_its_script_writes() -> None:
    """data/examples/make_example.py writes the committed files byte for byte."""
    spec = importlib.util.spec_from_file_location("make_example", EXAMPLES / "make_example.py")
    assert spec is not None and spec.loader is not None
    make_example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_example)
    for path, text in make_example.render().items():
        assert path.read_text(encoding="utf-8") == text, path.name


def test_no_sim_schema_and_every_play_accounted_for(flow: Flow) -> None:
    assert flow.rows("select count(*) from information_schema.schemata where schema_name = 'sim'") == [(0,)]
    # plays.csv: 535 rows = 508 loaded + 25 rejected + 2 exact duplicates dropped;
    # plays_late.csv: 23 rows = 22 loaded + 1 already loaded (u-s1's first play, dropped as an overlap)
    n_main, n_late = (sum(1 for _ in p.open(encoding="utf-8")) - 1 for p in (PLAYS, LATE))
    assert (n_main, n_late) == (535, 23)
    assert "-> 508 plays" in flow.first.stdout and "25 rejected" in flow.first.stdout
    assert "2 duplicates dropped, 1 clipped" in flow.first.stdout
    assert "-> 22 plays" in flow.late.stdout and "1 overlapping (already loaded) dropped" in flow.late.stdout
    assert flow.rows("select count(*) from raw.viewing_events") == [(508 + 22,)]
    assert flow.rows("select count(*) from raw.viewing_events_rejects") == [(25,)]
    assert flow.rows("select count(*) from marts.viewing_events") == [(530,)]
    # the exact duplicate of u-b1's episode 2 (and of one background play) is dropped, not rejected
    assert _plays(flow, "u-b1", B) == [1, 2, 3, 4, 1]
    assert _plays(flow, "u-s1", C) == [1, 2, 3, 4]  # its episode 1 again in the late file: an overlap
    # u-s1's episode 4 ends 30 s after the episode's 1,560 s: within the tolerance, clipped
    assert flow.rows(
        "select watched_seconds, episode_duration_seconds from raw.viewing_events as v "
        "inner join raw.users as u using (user_id) "
        "where u.source_user_id = 'u-s1' and v.anime_id = ? and v.episode_number = 4",
        [C],
    ) == [(1560, 1560)]


# Every bad row of data/examples/plays.csv: (its `ep`, `started` and `show` values, the reason's
# keyword). The reasons are the loader's (docs/ingest-events.md).
UNKNOWN = r"unknown|not in the catalogue"
BAD_ROWS = [
    ("3", "2026-09-15T21:00:00+09:00", "Steins;Gate", r"user"),  # null user
    ("4", "15/09/2026 9pm", "Steins;Gate", r"start"),  # unparsable start
    ("4", "soon", "Steins;Gate", r"start"),
    ("2", "2026-09-16T21:00:00+09:00", None, r"title"),  # null title
    ("1", "2026-09-16T22:00:00+09:00", "Definitely Not An Anime", UNKNOWN),
    ("1", "2026-09-16T23:00:00+09:00", "https://myanimelist.net/anime/99999999", UNKNOWN),
    ("1", "2026-09-17T21:00:00+09:00", "Shirobako", r"ambiguous"),  # 3 catalogue entries
    ("1", "2026-09-17T22:00:00+09:00", "Golden Kamuy", r"ambiguous"),
    ("0", "2026-09-18T21:00:00+09:00", "mal-9253", r"episode"),  # episode 0
    ("-2", "2026-09-18T22:00:00+09:00", "mal-9253", r"episode"),  # negative
    ("5", "2026-09-12T21:00:00+05:30", "Petshop of Horrors", r"episode"),  # 4 episodes
    ("30", "2026-09-19T21:00:00+09:00", "mal-9253", r"episode"),  # 24 episodes
    ("5", "2026-09-20T21:00:00+09:00", "mal-9253", r"watched|end"),  # ends 10 minutes before it starts
    ("5", "2026-09-20T22:00:00+09:00", "mal-9253", r"watched|end"),  # ends as it starts
    ("5", "2026-09-21T21:00:00+09:00", "mal-9253", r"watched|duration"),  # 5 hours of a 24-minute episode
    ("6", "2027-03-01T21:00:00+09:00", "mal-9253", r"future"),  # after --as-of
    ("ep3", "2026-09-22T21:00:00+09:00", "mal-9253", r"episode"),  # unparsable episode
    ("two", "2026-09-22T22:00:00+09:00", "mal-9253", r"episode"),
    ("7", None, "mal-9253", r"missing start"),  # no start
    ("7", "2026-09-23T21:00:00+09:00", "mal-9253", r"end time"),  # its end is `??`
]
# u-0ff1 has five plays and no row in users.csv: with a users file, the loader rejects them
MISSING_FROM_USERS_FILE = 5


def test_every_bad_row_is_rejected_with_its_reason(flow: Flow) -> None:
    rejects = [
        (json.loads(row), reason, source)
        for row, reason, source in flow.rows(
            "select cast(source_row as varchar), reason, source_file from raw.viewing_events_rejects"
        )
    ]
    found = []
    for ep, started, show, keyword in BAD_ROWS:
        hits = [
            (reason, source)
            for row, reason, source in rejects
            if row.get("ep") == ep and row.get("started") == started and row.get("show") == show
        ]
        assert len(hits) == 1, (ep, started, show, hits)
        reason, source = hits[0]
        assert re.search(keyword, reason, re.IGNORECASE), (ep, started, show, reason)
        assert Path(source).name == PLAYS.name
        found.append(reason)
    missing = [row for row, reason, _ in rejects if reason == "user not in the users file"]
    assert len(missing) == MISSING_FROM_USERS_FILE
    assert {row["viewer"] for row in missing} == {"u-0ff1"}
    assert len(rejects) == len(BAD_ROWS) + MISSING_FROM_USERS_FILE
    assert len({*found, "user not in the users file"}) == 14, sorted(set(found))  # 14 kinds of reason


def test_users(flow: Flow) -> None:
    users = dict(flow.rows("select source_user_id, is_derived from raw.users"))
    # u-9c41 is new in the late file, loaded with --append and no users file: derived from its plays
    assert users.pop("u-9c41") is True
    assert not any(users.values())
    assert {"u-a1", "u-a2", "u-a3", "u-b1", "u-b2", "u-s1", "u-e1"} <= set(users)
    assert "u-0ff1" not in users  # its plays were rejected (a users file was given)
    assert flow.rows("select signed_up_at, device from raw.users where source_user_id = 'u-9c41'") == [
        (dt.datetime(2026, 10, 5, 12, 0), "mobile")
    ]  # its first play (21:00+09:00), its device
    # users.csv: a row without an id, a sign-up time that is not a time, a second row for u-a1
    assert sorted(r for (r,) in flow.rows("select reason from raw.users_rejects")) == [
        "duplicate user (an earlier row has the same id)",
        "missing user",
        "unparsable sign-up time",
    ]
    assert flow.rows("select country, plan from raw.users where source_user_id = 'u-a1'") == [
        ("DE", "premium")
    ]


def _plays(flow: Flow, user: str, anime_id: str) -> list[int]:
    return [
        n
        for (n,) in flow.rows(
            "select v.episode_number from marts.viewing_events as v "
            "inner join raw.users as u using (user_id) "
            "where u.source_user_id = ? and v.anime_id = ? order by v.started_at",
            [user, anime_id],
        )
    ]


# Each user's plays of the hand-worked titles, in start order (UTC), with their labels:
# (episode, started_at UTC, continued_next_episode, is_censored).
LABELS = {
    # A = Shirobako (24 episodes). u-a1 (+02:00) rewatches episode 2: 1, 2, 3, 2, 4.
    ("u-a1", A): [
        (1, "2026-09-02 18:00:00", True, False),  # episode 2 starts 26 minutes later
        (2, "2026-09-02 18:26:00", True, False),  # episode 3 the next day
        (3, "2026-09-03 19:00:00", True, False),  # episode 4 on 09-05 (after the rewatch of 2)
        (2, "2026-09-04 19:00:00", True, False),  # the rewatch: episode 4 is later than 2
        (4, "2026-09-05 19:00:00", False, False),  # nothing after it
    ],
    # u-a2 (-04:00): episode 5 in two pieces (600 s, then 840 s 12h50 later); episode 7 arrives in
    # the late file (a tablet that synced late), so episode 6 continues.
    ("u-a2", A): [
        (1, "2026-09-02 23:00:00", True, False),
        (2, "2026-09-03 23:00:00", True, False),
        (3, "2026-09-04 23:00:00", True, False),
        (4, "2026-09-05 23:00:00", True, False),
        (5, "2026-09-06 23:00:00", True, False),  # episode 6 on 09-07
        (5, "2026-09-07 12:00:00", True, False),  # the resumed piece: episode 6 the same evening
        (6, "2026-09-07 23:00:00", True, False),  # episode 7 on 09-12 (late file)
        (7, "2026-09-12 17:00:00", False, False),
    ],
    # u-a3 (+09:00) skips episode 2: going from 1 to 3 counts as going past 1.
    ("u-a3", A): [
        (1, "2026-09-03 12:00:00", True, False),
        (3, "2026-09-04 12:00:00", False, False),
    ],
    # B = Petshop of Horrors (4 episodes). u-b1 (+01:00) watches 1-4 (the last: no label), then 1 again.
    ("u-b1", B): [
        (1, "2026-09-08 19:00:00", True, False),
        (2, "2026-09-08 19:25:00", True, False),
        (3, "2026-09-09 19:00:00", True, False),
        (4, "2026-09-10 19:00:00", None, False),  # the title's last episode
        (1, "2026-09-12 09:00:00", False, False),  # a rewatch of 1, nothing later
    ],
    # u-b2 (+05:30) watches out of order: 3 before 1, then 2.
    ("u-b2", B): [
        (3, "2026-09-09 15:30:00", False, False),  # nothing above 3 after it
        (1, "2026-09-10 15:30:00", True, False),  # 2 the next day
        (2, "2026-09-11 15:30:00", False, False),  # its 3 was before it
    ],
    # C = Afro Samurai (5 episodes) and D = Initial D Final Stage (4), interleaved by u-s1 (+09:00).
    ("u-s1", C): [
        (1, "2026-09-06 11:00:00", True, False),
        (2, "2026-09-06 11:54:00", True, False),
        (3, "2026-09-06 12:58:00", True, False),
        (4, "2026-09-07 13:30:00", False, False),
    ],
    ("u-s1", D): [
        (1, "2026-09-06 11:05:00", True, False),  # on a phone during C's episode 1 on the TV
        (2, "2026-09-06 12:25:00", True, False),
        (3, "2026-09-07 12:00:00", False, False),  # 3 of 4: not the last
    ],
    # E = Nanatsu no Taizai: Seisen no Shirushi (4 episodes), at the end of the log. Episode 1's
    # horizon ends exactly at the newest start (10-10 14:30 + 14 d = 10-24 14:30): not censored.
    ("u-e1", E): [
        (1, "2026-10-10 14:30:00", True, False),  # episode 2 on 10-21
        (2, "2026-10-21 18:00:00", None, True),
        (3, "2026-10-24 14:30:00", None, True),  # the newest play of the whole log
    ],
}


def test_hand_worked_labels(flow: Flow) -> None:
    for (user, anime_id), expected in LABELS.items():
        got = flow.rows(
            "select v.episode_number, strftime(v.started_at, '%Y-%m-%d %H:%M:%S'), "
            "v.continued_next_episode, v.is_censored "
            "from marts.viewing_events as v inner join raw.users as u using (user_id) "
            "where u.source_user_id = ? and v.anime_id = ? order by v.started_at",
            [user, anime_id],
        )
        assert got == expected, (user, anime_id)
    assert flow.rows("select max(started_at) from raw.viewing_events") == [
        (dt.datetime(2026, 10, 24, 14, 30),)
    ]


def test_hand_worked_views(flow: Flow) -> None:
    """u-a2's episode 5 is one view in two pieces (600 s stopped short, then 840 s within 168 h):
    (600 + 840) / 1440 = 1.0. Rewatches: u-a1's second episode 2 and u-b1's second episode 1."""
    rows = flow.rows(
        "select u.source_user_id, v.anime_id, v.episode_number, v.event_id, v.view_id, v.is_resumed, "
        "v.view_completion, v.is_rewatch "
        "from marts.viewing_events as v inner join raw.users as u using (user_id) "
        "where u.source_user_id in ('u-a1', 'u-a2', 'u-a3', 'u-b1', 'u-b2') order by v.started_at"
    )
    pieces = [r for r in rows if r[:3] == ("u-a2", A, 5)]
    (first, second) = pieces
    assert first[4] == second[4] == first[3]  # one view, named by its first piece
    assert (first[5], second[5]) == (False, True)
    assert first[6] == pytest.approx(600 / 1440) and second[6] == pytest.approx(1.0)
    rewatches = [(r[0], r[1], r[2]) for r in rows if r[7]]
    assert rewatches == [("u-a1", A, 2), ("u-b1", B, 1)]


# (episode, viewers_played, viewers_reached, plays, at_risk, dropped, censored, km_survival)
RETENTION = {
    # A: deepest episodes u-a1 4, u-a2 7, u-a3 3. First plays' labels from LABELS.
    # k=2: u-a1's rewatch is a third play, not a second entry (at_risk 2: u-a1, u-a2).
    # k=3: u-a3 stops at 3 (dropped); k=4: u-a1 stops at 4; k=7: u-a2 stops at 7.
    # km: 1, 1, 1 x (1 - 1/3) = 2/3, 2/3 x (1 - 1/2) = 1/3, 1/3, 1/3, 1/3 x (1 - 1/1) = 0
    A: [
        (1, 3, 3, 3, 3, 0, 0, 1.0),
        (2, 2, 3, 3, 2, 0, 0, 1.0),
        (3, 3, 3, 3, 3, 1, 0, 2 / 3),
        (4, 2, 2, 2, 2, 1, 0, 1 / 3),
        (5, 1, 1, 2, 1, 0, 0, 1 / 3),  # two pieces of one view: two plays, one at risk
        (6, 1, 1, 1, 1, 0, 0, 1 / 3),
        (7, 1, 1, 1, 1, 1, 0, 0.0),
    ],
    # B: deepest u-b1 4, u-b2 3. k=1: first plays u-b1 (true), u-b2 on 09-10 (true); u-b1's
    # rewatch of 1 (false) is neither an entry nor a drop. k=2: u-b2 drops. k=3: u-b2's first play
    # of 3 (false, before its 1). k=4: the last episode, nobody at risk.
    # km: 1, 1 x (1 - 1/2) = 0.5, 0.5 x (1 - 1/2) = 0.25, 0.25
    B: [
        (1, 2, 2, 3, 2, 0, 0, 1.0),
        (2, 2, 2, 2, 2, 1, 0, 0.5),
        (3, 2, 2, 2, 2, 1, 0, 0.25),
        (4, 1, 1, 1, 0, 0, 0, 0.25),
    ],
    # C: u-s1 only, 1-4 of 5, stops at 4. km 1, 1, 1, 0.
    C: [
        (1, 1, 1, 1, 1, 0, 0, 1.0),
        (2, 1, 1, 1, 1, 0, 0, 1.0),
        (3, 1, 1, 1, 1, 0, 0, 1.0),
        (4, 1, 1, 1, 1, 1, 0, 0.0),
    ],
    # D: u-s1 only, 1-3 of 4, stops at 3. km 1, 1, 0.
    D: [
        (1, 1, 1, 1, 1, 0, 0, 1.0),
        (2, 1, 1, 1, 1, 0, 0, 1.0),
        (3, 1, 1, 1, 1, 1, 0, 0.0),
    ],
    # E: episode 1 resolved (continued), 2 and 3 censored: nobody at risk after 1. km 1, 1, 1.
    E: [
        (1, 1, 1, 1, 1, 0, 0, 1.0),
        (2, 1, 1, 1, 0, 0, 1, 1.0),
        (3, 1, 1, 1, 0, 0, 1, 1.0),
    ],
}


def test_hand_worked_retention_by_episode(flow: Flow) -> None:
    for anime_id, expected in RETENTION.items():
        got = flow.rows(
            "select episode_number, viewers_played, viewers_reached, plays, at_risk, dropped, censored, "
            "km_survival from marts.retention_by_episode "
            "where scope = 'title' and anime_id = ? order by episode_number",
            [anime_id],
        )
        assert [r[:7] for r in got] == [r[:7] for r in expected], anime_id
        assert [r[7] for r in got] == pytest.approx([r[7] for r in expected]), anime_id


def test_hand_worked_sessions(flow: Flow) -> None:
    """u-s1 (UTC): C1 11:00-11:26 on the TV, D1 11:05-11:10 on a phone, C2 11:54 (28 min after the
    latest end, 11:26: the same session, though 44 min after D1's end), D2 12:25, C3 12:58;
    the next day D3 12:00-12:27, then C4 13:30 (63 min on: a new session). 3 sessions."""
    got = flow.rows(
        "select strftime(s.session_started_at, '%Y-%m-%d %H:%M'), s.n_plays, s.n_titles "
        "from marts.sessions as s inner join raw.users as u using (user_id) "
        "where u.source_user_id = 'u-s1' order by s.session_started_at"
    )
    assert got == [("2026-09-06 11:00", 5, 2), ("2026-09-07 12:00", 1, 1), ("2026-09-07 13:30", 1, 1)]


def test_training_skips_the_oracle(flow: Flow) -> None:
    assert "oracle skipped" in flow.train.stdout
    assert flow.rows("select has_oracle, oracle_rows, oracle_roc_auc from ml.model_runs") == [
        (False, 0, None)
    ]
    assert flow.rows("select count(*) from ml.model_metrics where model = 'oracle'") == [(0,)]
    assert flow.rows("select count(*) from marts.model_predictions") == flow.rows(
        "select validation_rows from ml.model_runs"
    )


def test_summary_names_the_platform_log(flow: Flow) -> None:
    out = flow.summary.stdout
    assert "log: a platform's own (no `sim` schema)" in out
    assert "plays rejected: 25 (raw.viewing_events_rejects" in out
    assert "users rejected: 3 (raw.users_rejects" in out


def test_simulator_report_needs_a_simulated_run(flow: Flow) -> None:
    assert flow.report.returncode == 2
    assert flow.report.stdout == ""
    lines = flow.report.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the calibration report needs a simulated run")
    assert "Traceback" not in flow.report.stderr


def test_every_dashboard_page_renders(flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANIME_WAREHOUSE", str(flow.db))
    for page in PAGES:
        at = open_page(page)  # no exception, error or warning
        assert n_charts(at) > 0, page
    at = open_page("model")
    m = metrics(at)
    assert "Oracle AUC" not in m and "Gap to oracle (AUC)" not in m
    assert m["Validation plays"] == f"{flow.rows('select validation_rows from ml.model_runs')[0][0]:,}"
    notices = " ".join(i.value for i in at.info)
    assert "no simulator ground truth" in notices and "platform's own log" in notices
    for chart in at.get("plotly_chart"):
        names = {trace.get("name") for trace in json.loads(chart.proto.spec).get("data", [])}
        assert not any(name and "oracle" in str(name).lower() for name in names), names
    at.selectbox(key="model_threshold_model").set_value("baseline_logreg").run()
    assert_clean(at)


def test_make_run_with_logs_loads_them_instead_of_simulating() -> None:
    def dry_run(*args: str) -> str:
        return subprocess.run(
            ["make", "-n", "run", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout

    logs = dry_run(f"LOGS={PLAYS}", f"MAPPING={MAPPING}", f"USERS_FILE={USERS}", f"AS_OF={AS_OF}")
    assert "-m pipeline " in logs
    assert f"--logs '{PLAYS}' --mapping '{MAPPING}' --users-file '{USERS}' --as-of '{AS_OF}'" in logs
    plain = dry_run()
    assert "-m pipeline " in plain and "--users 20000 --days 60 --seed 42" in plain and "--logs" not in plain

    def plan(*args: str) -> list[str]:
        """The steps `python -m pipeline` runs (its --dry-run), as `name: command`."""
        out = commands.run_stage(commands.python("-m", "pipeline", "--dry-run", *args), None).stdout
        return out.splitlines()[1:]

    own = ("--logs", str(PLAYS), "--mapping", str(MAPPING), "--users-file", str(USERS), "--as-of", AS_OF)
    steps = plan(*own)
    assert [line.split(":")[0] for line in steps] == [
        *("ingest", "catalog", "events", "build", "train", "ml outputs", "publish", "summary")
    ]
    assert steps[2] == (
        f"events: python -m ingest events --plays {PLAYS} --mapping {MAPPING} --users {USERS} --as-of {AS_OF}"
    )
    assert "--full-refresh" in steps[3] and steps[4] == "train: python ml/train.py"
    assert "simulate: python -m simulator --users 20000 --days 60 --seed 42" in plan()
