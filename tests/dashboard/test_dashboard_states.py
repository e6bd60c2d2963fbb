"""Empty states and rebuilds: never a traceback, always the command to run."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.ui import fmt_compact
from tests.dashboard import handmade
from tests.dashboard.apptest_util import metrics, n_charts, open_page
from warehouse.publish import publish, snapshots_root

PAGES = ["overview", "title", "compare", "cohorts", "model", "predictions", "catalogue"]


def _infos(at) -> str:
    return " ".join(i.value for i in at.info)


def test_no_warehouse_gives_notice_on_every_page(tmp_path, monkeypatch):
    monkeypatch.setenv("ANIME_WAREHOUSE", str(tmp_path / "absent.duckdb"))
    for page in PAGES:
        at = open_page(page)
        assert n_charts(at) == 0
        assert "make run" in _infos(at), page


def test_unpublished_warehouse_asks_for_publish(tmp_path, monkeypatch):
    wh = tmp_path / "anime.duckdb"
    handmade.build(wh)
    monkeypatch.setenv("ANIME_WAREHOUSE", str(wh))
    at = open_page("overview")
    assert "make publish" in _infos(at)


def test_catalogue_only_snapshot_names_the_missing_stage(tmp_path, monkeypatch):
    wh = tmp_path / "anime.duckdb"
    handmade.build(wh, with_engagement=False, with_ml=False)
    publish(wh)
    monkeypatch.setenv("ANIME_WAREHOUSE", str(wh))
    expected = {
        "overview": "make build",
        "title": "make build",
        "compare": "make build",
        "cohorts": "make build",
        "model": "python ml/train.py",
        "predictions": "make train",
    }
    for page, command in expected.items():
        at = open_page(page)
        assert n_charts(at) == 0, page
        assert command in _infos(at), (page, _infos(at))
    at = open_page("catalogue")
    assert n_charts(at) == 9


def test_publish_keeps_three_snapshots_and_swaps_current(tmp_path):
    wh = tmp_path / "anime.duckdb"
    handmade.build(wh, with_engagement=False, with_ml=False)
    ids = [publish(wh).build_id for _ in range(5)]
    root = snapshots_root(wh)
    assert (root / "CURRENT").read_text().strip() == ids[-1]
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == sorted(ids[-3:])
    assert not list(root.glob("*.partial")) and not list(root.glob("CURRENT.*"))


def test_publish_cli_missing_warehouse_is_one_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "warehouse.publish", "--warehouse", str(tmp_path / "no.duckdb")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "make run" in proc.stderr
    assert "Traceback" not in proc.stderr


# Rebuilds and publishes until the stop file named by argv[2] appears: the test stops it once the
# pages have shown what it waits for, instead of the writer running for a fixed number of seconds
# (on a loaded machine a fixed span could end before the pages saw two snapshots).
REBUILD_LOOP = textwrap.dedent(
    """
    import os, sys, duckdb
    from warehouse.publish import publish
    wh, stop = sys.argv[1], sys.argv[2]
    while not os.path.exists(stop):
        con = duckdb.connect(wh)  # the write lock, as dbt build holds it
        con.execute("create or replace table marts.sessions as select * from marts.sessions")
        con.execute("create or replace table marts.anime_master as "
                    "select * from marts.anime_master")
        con.close()
        print(publish(wh).build_id, flush=True)
    """
)
# Only guards against a hang (a dashboard that never follows a new snapshot): a loaded machine
# gets there in well under a minute.
HANG_SECONDS = 600


def _shown_snapshot(at: AppTest) -> str:
    """The snapshot id the page's sidebar names (``Snapshot `<build id to the second>` · ...``)."""
    shown = [c.value for c in at.sidebar.caption if c.value.startswith("Snapshot `")]
    assert len(shown) == 1, [c.value for c in at.sidebar.caption]
    return shown[0].split("`")[1]


@pytest.mark.slow
def test_rebuild_and_publish_while_pages_are_queried(warehouse_file, wh_sql, tmp_path):
    """A writer rebuilds marts and publishes in another process while pages render, until the
    pages have rendered at least 4 times and shown at least 2 snapshots (the writer's own)."""
    users = wh_sql.one("select count(distinct user_id) from marts.sessions")
    titles = wh_sql.one("select count(*) from marts.anime_master")
    stop = tmp_path / "stop"
    proc = subprocess.Popen(
        [sys.executable, "-c", REBUILD_LOOP, str(warehouse_file), str(stop)],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    renders = 0
    shown_snapshots: set[str] = set()
    try:
        deadline = time.monotonic() + HANG_SECONDS
        while proc.poll() is None and (renders < 4 or len(shown_snapshots) < 2):
            assert time.monotonic() < deadline, (renders, shown_snapshots)
            for page in ("overview", "catalogue"):
                at = open_page(page)  # asserts no exception, error or warning element
                m = metrics(at)
                if page == "overview":
                    assert m.get("Users") == fmt_compact(users), m
                else:
                    assert m.get("Titles") == fmt_compact(titles), m
                shown_snapshots.add(_shown_snapshot(at))
                renders += 1
    finally:
        stop.touch()
        try:
            out, err = proc.communicate(timeout=HANG_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    assert proc.returncode == 0, err.decode()  # a writer that died early shows its error here
    assert renders >= 4 and len(shown_snapshots) >= 2, (renders, shown_snapshots)
    published = out.decode().split()
    # the pages really followed new snapshots: all but possibly one of those they showed are the
    # writer's (the one before its first publish is the fixture's)
    assert len(shown_snapshots - {b[:15] for b in published}) <= 1, (shown_snapshots, published)
    # and the final snapshot renders cleanly too
    at = open_page("overview")
    assert metrics(at)["Users"] == f"{users:,}"
    assert _shown_snapshot(at) == published[-1][:15]
