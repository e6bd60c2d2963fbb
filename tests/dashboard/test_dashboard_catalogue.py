"""Catalogue page: KPIs equal SQL on the warehouse, charts render, search is injection-safe."""

from __future__ import annotations

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


def test_catalogue_page_kpis_and_charts(warehouse_file, wh_sql):
    at = open_page("catalogue")
    assert [t.value for t in at.title] == ["Catalogue"]
    assert n_charts(at) == catalogue_charts(wh_sql)
    m = metrics(at)
    assert m["Titles"] == fmt_int(wh_sql.one("select count(*) from marts.anime_master"))
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
