"""Catalogue page: KPIs equal SQL on the warehouse, charts render, search is injection-safe; the
Title page shows the catalogue entry (picture, studios, producers, related titles)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from dashboard.ui import fmt_compact
from tests.dashboard.apptest_util import (
    INJECTIONS,
    assert_clean,
    catalogue_charts,
    fmt_int,
    fmt_pct,
    metrics,
    n_charts,
    open_page,
)
from warehouse.publish import publish


def test_catalogue_page_kpis_and_charts(warehouse_file, wh_sql):
    at = open_page("catalogue")
    assert [t.value for t in at.title] == ["Catalogue"]
    assert n_charts(at) == catalogue_charts(wh_sql)
    m = metrics(at)
    assert m["Titles"] == fmt_compact(wh_sql.one("select count(*) from marts.anime_master"))
    assert m["Used by the simulation"] == fmt_int(
        wh_sql.one("select count(*) from marts.simulation_eligibility where is_simulation_eligible")
    )
    assert m["Distinct tags"] == fmt_int(wh_sql.one("select count(distinct tag) from marts.anime_tags"))
    assert m["Rejected at ingest"] == fmt_int(wh_sql.one("select count(*) from raw.anime_catalog_rejects"))
    assert m["Missing duration"] == fmt_pct(
        wh_sql.one("select avg((duration_seconds is null)::int) from marts.anime_master")
    )
    assert m["Missing score"] == fmt_pct(
        wh_sql.one("select avg((score_mean is null)::int) from marts.anime_master")
    )


def test_catalogue_search_filters_by_parameter(warehouse_file, wh_sql):
    at = open_page("catalogue")
    title = wh_sql.one("select title from marts.anime_master order by title limit 1")
    at.text_input(key="catalogue_search").input(title).run()
    assert_clean(at)
    table = at.dataframe[-1].value
    expected = wh_sql.one(
        "select count(*) from marts.anime_master where title ilike '%' || ? || '%'", [title]
    )
    assert len(table) == min(expected, 100) and len(table) > 0
    assert (table["title"].str.lower().str.contains(title.lower(), regex=False)).all()


def test_catalogue_search_injection_is_inert(warehouse_file, wh_sql):
    before = wh_sql.one("select count(*) from marts.anime_master")
    at = open_page("catalogue")
    for text in INJECTIONS:
        at.text_input(key="catalogue_search").input(text).run()
        assert_clean(at)
        # matched literally, as a substring (a real title may contain a backslash)
        literal = wh_sql.one(
            "select count(*) from marts.anime_master where strpos(lower(title), lower(?)) > 0",
            [text],
        )
        assert len(at.dataframe[-1].value) == min(literal, 100), text
        assert n_charts(at) == catalogue_charts(wh_sql)
    assert wh_sql.one("select count(*) from marts.anime_master") == before


# ---- the Title page's catalogue entry: picture, studios, producers, related titles --------------


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_title_page_shows_the_entrys_studios_and_related_titles(warehouse_file, wh_sql):
    """On the published test warehouse (the embedded sample lists no studios, producers or
    related titles, and only the release's no-picture placeholder)."""
    at = open_page("title")
    anime_id = at.selectbox(key="title_pick").value
    studios = [r[0] for r in wh_sql.rows(STUDIOS_OF, [anime_id])]
    related = wh_sql.one("select count(*) from marts.anime_relations where anime_id = ?", [anime_id])
    text = _markdown(at)
    assert f"**Studios:** {', '.join(studios) or 'none listed'}" in text
    if not related:
        assert "**Related titles:** none listed" in text
    assert "<img" not in text  # the placeholder is not shown as a picture


STUDIOS_OF = "select studio from marts.anime_studios where anime_id = ? order by studio"
PICTURE = "https://cdn.example.invalid/images/anime/9/9453.jpg"
UNHELD = "https://anidb.net/anime/999999"


@pytest.fixture(scope="module")
def entry_warehouse(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A copy of the test warehouse whose most watched title has known studios, producers,
    related titles (one the catalogue holds, one it does not) and a picture; published."""
    path = tmp_path_factory.mktemp("entry_wh") / "anime.duckdb"
    shutil.copy(built_warehouse, path)
    con = duckdb.connect(str(path))
    try:
        top, other, other_title = con.execute(
            """
            with watched as (
                select anime_id, viewers_reached from marts.retention_by_episode
                where scope = 'title' and episode_number = 1
            )
            select
                (select w.anime_id from watched as w join marts.anime_master as m using (anime_id)
                 order by w.viewers_reached desc, m.title limit 1),
                m.anime_id, m.title
            from marts.anime_master as m
            where m.anime_id not in (select anime_id from watched)
            order by m.anime_id limit 1
            """
        ).fetchone()
        con.execute(
            "insert into marts.anime_studios values (?, 'studio pierrot'), (?, 'kyoto animation')",
            [top, top],
        )
        con.execute("insert into marts.anime_producers values (?, 'aniplex')", [top])
        con.execute(
            "insert into marts.anime_relations values (?, 'https://myanimelist.net/anime/1', ?), "
            "(?, ?, null)",
            [top, other, top, UNHELD],
        )
        con.execute("update marts.anime_master set picture = ? where anime_id = ?", [PICTURE, top])
    finally:
        con.close()
    publish(path)
    return path, {"top": top, "other_title": other_title}


def test_title_page_shows_a_known_entry(entry_warehouse, monkeypatch):
    path, known = entry_warehouse
    monkeypatch.setenv("ANIME_WAREHOUSE", str(path))
    at = open_page("title")
    assert at.selectbox(key="title_pick").value == known["top"]
    text = _markdown(at)
    assert "**Studios:** kyoto animation, studio pierrot" in text
    assert "**Producers:** aniplex" in text
    assert "**Related titles:** 2 (1 in the catalogue;" in text
    # the browser loads the picture (or leaves it out offline): the server never fetches it
    assert f'<img src="{PICTURE}" alt=""' in text
    related = at.dataframe[0].value
    assert related["related_title"].tolist() == [known["other_title"], UNHELD]
    assert related["in_catalogue"].tolist() == [True, False]
    assert n_charts(at) == 6  # retention, steps, funnel, finishing, depth, sittings
