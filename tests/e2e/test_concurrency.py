"""The dashboard is queried in a loop while the real `dbt build` and publish run several times:
no error reaches a page and every render shows complete figures (never a half-built mart)."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

from tests.dashboard.apptest_util import metrics, open_page
from warehouse import pipeline

PAGES = ("overview", "catalogue", "cohorts", "title")


@pytest.mark.slow
def test_pages_stay_whole_while_dbt_rebuilds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "w.duckdb"
    pipeline.build_all(db, users=300, days=21, seed=5, model_out=tmp_path / "m.pkl")
    monkeypatch.setenv("ANIME_WAREHOUSE", str(db))
    con = duckdb.connect(str(db), read_only=True)
    plays = con.execute("select count(*) from marts.viewing_events").fetchone()[0]
    con.close()
    expected_plays = f"{int(plays):,}"

    failures: list[BaseException] = []

    def rebuild() -> None:
        try:
            for _ in range(3):
                pipeline.dbt(db, "build", "--exclude", "tag:ml_outputs", "--quiet")
                pipeline.publish(db)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    builder = threading.Thread(target=rebuild)
    builder.start()
    renders = 0
    while builder.is_alive() or renders < len(PAGES):
        page = PAGES[renders % len(PAGES)]
        at = open_page(page)  # asserts no exception, error or warning element
        if page == "overview":
            assert metrics(at)["Plays"] == expected_plays
        renders += 1
    builder.join()
    assert not failures, failures
    assert renders >= len(PAGES)
