"""Empty states and rebuilds: never a traceback, always the command to run."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.dashboard import handmade
from tests.dashboard.apptest_util import assert_clean, metrics, n_charts, open_page
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


REBUILD_LOOP = textwrap.dedent(
    """
    import sys, time, duckdb
    from warehouse.publish import publish
    wh = sys.argv[1]
    stop = time.monotonic() + float(sys.argv[2])
    while time.monotonic() < stop:
        con = duckdb.connect(wh)  # the write lock, as dbt build holds it
        con.execute("create or replace table marts.sessions as select * from marts.sessions")
        con.execute("create or replace table marts.anime_master as "
                    "select * from marts.anime_master")
        con.close()
        publish(wh)
    """
)


@pytest.mark.slow
def test_rebuild_and_publish_while_pages_are_queried(warehouse_file, wh_sql):
    """A writer rebuilds marts and publishes in another process while pages render."""
    users = wh_sql.one("select count(distinct user_id) from marts.sessions")
    titles = wh_sql.one("select count(*) from marts.anime_master")
    seconds = 8
    proc = subprocess.Popen(
        [sys.executable, "-c", REBUILD_LOOP, str(warehouse_file), str(seconds)],
        cwd=Path(__file__).resolve().parents[2],
        stderr=subprocess.PIPE,
    )
    renders = 0
    seen_snapshots = set()
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            for page in ("overview", "catalogue"):
                at = open_page(page)  # asserts no exception, error or warning element
                assert_clean(at)
                m = metrics(at)
                if page == "overview":
                    assert m["Users"] == f"{users:,}"
                else:
                    assert m["Titles"] == f"{titles:,}"
                renders += 1
            seen_snapshots.add((snapshots_root(warehouse_file) / "CURRENT").read_text().strip())
    finally:
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    assert renders >= 4
    assert len(seen_snapshots) >= 2  # the pages really followed new snapshots
    # and the final snapshot renders cleanly too
    at = open_page("overview")
    assert metrics(at)["Users"] == f"{users:,}"
