"""The dashboard is queried in a loop while the real `dbt build` and publish run several times:
no error reaches a page and every render shows complete figures (never a half-built mart)."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

from pipeline import commands
from tests.dashboard.apptest_util import metrics, open_page

PAGES = ("overview", "catalogue", "cohorts", "title")
ROUNDS = 3
HANG_SECONDS = 600  # only guards against a hang: a loaded machine renders a first page in ~10 s


@pytest.mark.slow
def test_pages_stay_whole_while_dbt_rebuilds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "w.duckdb"
    commands.build_all(db, users=300, days=21, seed=5, model_out=tmp_path / "m.pkl")
    monkeypatch.setenv("ANIME_WAREHOUSE", str(db))
    con = duckdb.connect(str(db), read_only=True)
    plays = con.execute("select count(*) from marts.viewing_events").fetchone()[0]
    con.close()
    expected_plays = f"{int(plays):,}"

    failures: list[BaseException] = []
    first_render = threading.Event()
    # 2k+1 while rebuild round k runs, 2k+2 once it is done (written by the builder only).
    phase = [0]

    def rebuild() -> None:
        try:
            # The first AppTest run also imports Streamlit and the pages: start rebuilding once
            # pages render in a loop, so that on any machine speed the rounds meet renders.
            if not first_render.wait(HANG_SECONDS):
                raise TimeoutError("no page rendered")
            for k in range(ROUNDS):
                phase[0] = 2 * k + 1
                commands.dbt(db, "build", "--exclude", "tag:ml_outputs", "--quiet")
                commands.publish(db)
                phase[0] = 2 * k + 2
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    builder = threading.Thread(target=rebuild)
    builder.start()
    renders = 0
    rounds_met: set[int] = set()  # rebuild rounds some render overlapped
    try:
        while builder.is_alive() or renders < len(PAGES):
            page = PAGES[renders % len(PAGES)]
            started = phase[0]
            at = open_page(page)  # asserts no exception, error or warning element
            ended = phase[0]
            if page == "overview":
                assert metrics(at)["Plays"] == expected_plays
            renders += 1
            first_render.set()
            rounds_met |= {k for k in range(ROUNDS) if started <= 2 * k + 1 <= ended}
    finally:
        first_render.set()  # a failed render must not leave the builder waiting
        builder.join()
    assert not failures, failures
    # Renders follow each other without a pause from before the first round until after the last,
    # so every round (seconds of dbt) overlaps one; this fails only if pages stopped rendering.
    assert rounds_met == set(range(ROUNDS)), (rounds_met, renders)
