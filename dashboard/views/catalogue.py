"""Catalogue: the metadata itself, its quality, and which titles the simulation uses."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, ui

MASTER = "marts.anime_master"
ELIGIBILITY = "marts.simulation_eligibility"
TAGS = "marts.anime_tags"
REJECTS = "raw.anime_catalog_rejects"

KPI_SQL = """
select
    count(*) as titles,
    (select count(*) from marts.simulation_eligibility where is_simulation_eligible) as eligible,
    avg(case when duration_seconds is null then 1.0 else 0.0 end) as missing_duration,
    avg(case when score_mean is null then 1.0 else 0.0 end) as missing_score
from marts.anime_master
"""
N_TAGS_SQL = "select count(distinct tag) from marts.anime_tags"
N_REJECTS_SQL = "select count(*) from raw.anime_catalog_rejects"

BY_FIELD_SQL = """
select coalesce({col}, 'UNKNOWN') as value, count(*) as titles
from marts.anime_master
group by 1
order by titles desc
"""
BY_TYPE_SQL = BY_FIELD_SQL.format(col="anime_type")
BY_STATUS_SQL = BY_FIELD_SQL.format(col="status")

BY_DECADE_SQL = """
select
    case when season_year is null then 'unknown'
         else cast(season_year // 10 * 10 as varchar) || 's' end as decade,
    coalesce(anime_type, 'UNKNOWN') as anime_type,
    count(*) as titles
from marts.anime_master
group by all
order by decade, titles desc
"""

EPISODE_BINS_SQL = """
with binned as (
    select
        case
            when episodes is null or episodes = 0 then 0
            when episodes = 1 then 1
            when episodes <= 6 then 2
            when episodes <= 13 then 3
            when episodes <= 26 then 4
            when episodes <= 52 then 5
            when episodes <= 100 then 6
            else 7
        end as bin
    from marts.anime_master
)
select
    bin,
    ['unknown', '1', '2-6', '7-13', '14-26', '27-52', '53-100', '101+'][bin + 1] as episodes,
    count(*) as titles
from binned
group by bin
order by bin
"""

TOP_TAGS_SQL = """
select tag, count(*) as titles
from marts.anime_tags
group by tag
order by titles desc, tag
limit ?
"""

RICHNESS_SQL = """
select least(coalesce(n_tags, 0), 40) as n_tags, count(*) as titles
from marts.anime_master
group by 1
order by 1
"""

REJECT_REASONS_SQL = """
select coalesce(reason, 'unknown') as reason, count(*) as entries
from raw.anime_catalog_rejects
group by 1
order by entries desc
"""

REJECT_SAMPLE_SQL = """
select entry_index, reason, left(entry_json, 160) as entry
from raw.anime_catalog_rejects
order by entry_index
limit 200
"""

MISSING_SQL = """
select field, missing from (
    select
        avg(case when duration_seconds is null then 1.0 else 0.0 end) as "duration",
        avg(case when score_mean is null then 1.0 else 0.0 end) as "score",
        avg(case when season_year is null then 1.0 else 0.0 end) as "year",
        avg(case when episodes is null or episodes = 0 then 1.0 else 0.0 end) as "episode count",
        avg(case when coalesce(n_tags, 0) = 0 then 1.0 else 0.0 end) as "tags",
        avg(case when popularity_members is null then 1.0 else 0.0 end) as "popularity"
    from marts.anime_master
) unpivot (missing for field in (
    "duration", "score", "year", "episode count", "tags", "popularity"
))
order by missing desc
"""

DUPLICATES_SQL = """
select
    lower(title) as title,
    count(*) as entries,
    string_agg(distinct coalesce(anime_type, '?'), ', ') as types,
    string_agg(distinct coalesce(cast(season_year as varchar), '?'), ', ') as years
from marts.anime_master
group by lower(title)
having count(*) > 1
order by entries desc, title
limit 200
"""

N_DUPLICATES_SQL = """
select count(*) from (
    select lower(title) from marts.anime_master group by lower(title) having count(*) > 1
)
"""

SIMULATION_SQL = """
select
    case when is_simulation_eligible then 'used by the simulation'
         else coalesce(simulation_exclusion_reason, 'excluded') end as reason,
    count(*) as titles
from marts.simulation_eligibility
group by 1
order by (reason = 'used by the simulation') desc, titles desc
"""

TYPES_SQL = "select distinct coalesce(anime_type, 'UNKNOWN') as t from marts.anime_master order by 1"

SEARCH_SQL = """
select
    m.anime_id, m.title, m.anime_type, m.episodes, m.status, m.season_year, m.score_mean,
    m.popularity_members, s.is_simulation_eligible, s.simulation_exclusion_reason
from marts.anime_master as m
left join marts.simulation_eligibility as s on s.anime_id = m.anime_id
where m.title ilike ? escape '\\'
  and (? = 'All types' or coalesce(m.anime_type, 'UNKNOWN') = ?)
order by m.popularity_members desc nulls last, m.title
limit 100
"""


def kpi_row() -> None:
    k = data.query(KPI_SQL, tables=[MASTER, ELIGIBILITY]).iloc[0]
    n_tags = data.scalar(N_TAGS_SQL, tables=[TAGS])
    n_rejects = data.scalar(N_REJECTS_SQL, tables=[REJECTS]) if data.current_snapshot().has(REJECTS) else None
    ui.kpis(
        [
            (
                "Titles",
                ui.fmt_compact(k["titles"]),
                f"{ui.fmt_int(k['titles'])} accepted catalogue entries (marts.anime_master)",
            ),
            ("Used by the simulation", ui.fmt_int(k["eligible"]), "marts.simulation_eligibility"),
            ("Distinct tags", ui.fmt_int(n_tags), None),
            ("Rejected at ingest", ui.fmt_int(n_rejects), "raw.anime_catalog_rejects"),
            ("Missing duration", ui.fmt_pct(k["missing_duration"]), None),
            ("Missing score", ui.fmt_pct(k["missing_score"]), None),
        ]
    )


def composition() -> None:
    left, right = st.columns(2)
    with left:
        df = data.query(BY_TYPE_SQL, tables=[MASTER])
        charts.show(
            charts.bar(df, "value", "titles", "Titles by type", y_title="titles"),
            "How many catalogue entries are TV series, movies, OVAs, ONAs and specials.",
        )
    with right:
        df = data.query(BY_STATUS_SQL, tables=[MASTER])
        charts.show(
            charts.bar(df, "value", "titles", "Titles by status", y_title="titles"),
            "Release status of each entry as the catalogue reports it.",
        )
    left, right = st.columns(2)
    with left:
        df = data.query(BY_DECADE_SQL, tables=[MASTER])
        charts.show(
            charts.bar(
                df, "decade", "titles", "Titles by decade and type", color="anime_type", y_title="titles"
            ),
            "Entries per decade of first airing, stacked by type ('unknown' = no year).",
        )
    with right:
        df = data.query(EPISODE_BINS_SQL, tables=[MASTER])
        charts.show(
            charts.bar(
                df,
                "episodes",
                "titles",
                "Episode-count distribution",
                x_title="episodes per title",
                y_title="titles",
            ),
            "Titles by announced episode count; 'unknown' covers 0 or missing counts.",
        )


def tags() -> None:
    left, right = st.columns(2)
    with left:
        top_n = 25
        df = data.query(TOP_TAGS_SQL, [top_n], tables=[TAGS])
        charts.show(
            charts.bar(df, "tag", "titles", f"Top {top_n} tags", horizontal=True, height=560),
            "Tag frequency: number of titles carrying each tag (marts.anime_tags).",
        )
    with right:
        df = data.query(RICHNESS_SQL, tables=[MASTER])
        charts.show(
            charts.bar(
                df,
                "n_tags",
                "titles",
                "Tag richness",
                x_title="tags per title (40 = 40+)",
                y_title="titles",
                height=560,
            ),
            "How richly each title is tagged; titles with no tags give the simulator no taste signal.",
        )


def rejects() -> None:
    df = data.query(REJECT_REASONS_SQL, tables=[REJECTS])
    if df.empty:
        st.markdown("**Entries rejected at ingest**")
        st.success(
            "Ingest accepted every catalogue entry: nothing was quarantined.", icon=":material/check_circle:"
        )
        return
    charts.show(
        charts.bar(df, "reason", "entries", "Entries rejected at ingest", horizontal=True),
        "Catalogue entries quarantined by ingest validation, by reason.",
    )
    with st.expander(f"Rejected entries ({int(df['entries'].sum()):,})"):
        st.dataframe(data.query(REJECT_SAMPLE_SQL, tables=[REJECTS]), hide_index=True)


def quality() -> None:
    st.subheader("Data quality")
    left, right = st.columns(2)
    with left:
        ui.section("Rejected entries", rejects)
    with right:
        df = data.query(MISSING_SQL, tables=[MASTER])
        charts.show(
            charts.bar(
                df,
                "field",
                "missing",
                "Missing values among accepted titles",
                percent=True,
                y_title="share of titles",
            ),
            "Share of accepted titles lacking each field; the simulator needs duration and count.",
        )
    n_dup = data.scalar(N_DUPLICATES_SQL, tables=[MASTER]) or 0
    with st.expander(f"Duplicate titles ({int(n_dup):,} titles appear more than once)"):
        st.caption(
            "Same title (case-insensitive) on several entries: usually a TV series and its "
            "movie or special, sometimes a remake; anime_id keeps them apart."
        )
        st.dataframe(data.query(DUPLICATES_SQL, tables=[MASTER]), hide_index=True)


def simulation() -> None:
    st.subheader("Titles the simulation uses")
    df = data.query(SIMULATION_SQL, tables=[ELIGIBILITY])
    charts.show(
        charts.bar(
            df,
            "reason",
            "titles",
            "Simulation eligibility",
            horizontal=True,
            height=max(220, 60 + 36 * len(df)),
        ),
        "Titles the behavioural simulator may pick, and why the others are left out.",
    )


def search() -> None:
    st.subheader("Find a title")
    left, right = st.columns([3, 1])
    with left:
        text = ui.search_box("Title contains", key="catalogue_search", placeholder="e.g. Cowboy Bebop")
    with right:
        types = ["All types", *data.query(TYPES_SQL, tables=[MASTER])["t"].tolist()]
        anime_type = st.selectbox("Type", types, key="catalogue_type")
    anime_type = anime_type or "All types"
    df = data.query(SEARCH_SQL, [ui.like_pattern(text), anime_type, anime_type], tables=[MASTER, ELIGIBILITY])
    st.caption(f"{len(df):,} titles shown (at most 100, most popular first).")
    st.dataframe(
        df,
        hide_index=True,
        column_config={
            "score_mean": st.column_config.NumberColumn("score", format="%.2f"),
            "popularity_members": st.column_config.NumberColumn("MAL members", format="%d"),
            "is_simulation_eligible": st.column_config.CheckboxColumn("simulated"),
        },
    )


snap = ui.header(
    "Catalogue",
    "The anime-offline-database entries behind every other page: composition, tags, data quality "
    "and the simulation's title pool.",
)
if snap is not None:
    ui.section("Catalogue KPIs", kpi_row)
    ui.section("Composition", composition)
    ui.section("Tags", tags)
    ui.section("Data quality", quality)
    ui.section("Simulation", simulation)
    ui.section("Search", search)
