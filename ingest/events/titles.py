"""Match the plays' title values to the catalogue (marts.anime_master), once per distinct value.

Rules (`title_match` in the mapping):
- anime_id: the value is a catalogue anime_id;
- mal: an integer MyAnimeList id, or a myanimelist.net/anime/<id>[/slug] URL, matched to mal_id;
  an id that several entries hold is ambiguous;
- title: the exact title (trimmed, runs of whitespace read as one space, as the catalogue's
  titles are); when several entries share it, the mapped title_type / title_year columns settle
  it (the one entry of that type and season year); otherwise it is ambiguous;
- auto: the first of anime_id, mal, title that matches one entry.
The distinct values (with their type and year, when mapped) go into temp table _title_keys; the
plays join it on the raw values, so the per-play cost is one hash join; besides the anime_id they
keep `aid`, a small integer per anime, which duplicates are found by.
"""

from __future__ import annotations

import duckdb

from ingest.events import reasons as r
from ingest.events.fields import Columns
from ingest.events.mapping import PlaysMapping
from warehouse.sql import one_row

RULES = {1: "anime_id", 2: "mal", 3: "title"}
MAL_URL = r"^(?:https?://)?(?:www\.)?myanimelist\.net/anime/([0-9]+)(?:[/?#].*)?$"


def key_columns(columns: Columns, plays: PlaysMapping) -> list[tuple[str, str]]:
    """(key column name, raw SQL) of the values a title is matched on."""
    keys = [("raw_title", columns.raw(plays.title))]
    if plays.title_type:
        columns.require(plays.title_type, "title_type")
        keys.append(("raw_type", columns.raw(plays.title_type)))
    if plays.title_year:
        columns.require(plays.title_year, "title_year")
        keys.append(("raw_year", columns.raw(plays.title_year)))
    return keys


def join_condition(keys: list[tuple[str, str]]) -> str:
    """How a play finds its key: by its raw values (DuckDB hashes them once per play)."""
    first, *rest = keys
    parts = [f"k.{first[0]} = {first[1]}"] + [f"k.{name} is not distinct from {sql}" for name, sql in rest]
    return " and ".join(parts)


def _matched(mode: str) -> str:
    """SQL (over the match CTE) for the rule that matched, 0 for none."""
    by_id = "id_match is not null"
    by_mal = "mal_candidates = 1"
    by_title = "title_id is not null"
    order = {"anime_id": [by_id], "mal": [by_mal], "title": [by_title], "auto": [by_id, by_mal, by_title]}
    codes = {by_id: 1, by_mal: 2, by_title: 3}
    branches = " ".join(f"when {cond} then {codes[cond]}" for cond in order[mode])
    return f"case {branches} else 0 end"


def build_keys(con: duckdb.DuckDBPyConnection, columns: Columns, plays: PlaysMapping) -> int:
    """Fill temp table _title_keys; returns the number of distinct title values."""
    columns.require(plays.title, "title")
    keys = key_columns(columns, plays)
    names = [name for name, _ in keys]
    select = ", ".join(f"{sql} as {name}" for name, sql in keys)
    table = columns.staged.table
    con.execute(
        f"create or replace temp table _title_raw as select {select}, count(*) as n_plays "
        f"from {table} s where {keys[0][1]} is not null group by all"
    )
    title_text = "nullif(regexp_replace(trim(cast(raw_title as varchar)), '\\s+', ' ', 'g'), '')"
    type_text = "upper(nullif(trim(cast(raw_type as varchar)), ''))" if "raw_type" in names else "null"
    year = "try_cast(trim(cast(raw_year as varchar)) as double)" if "raw_year" in names else "null"
    matched = _matched(plays.title_match)
    mode = plays.title_match
    ambiguous_title = "title_candidates > 1" if mode in ("title", "auto") else "false"
    ambiguous_mal = "mal_candidates > 1" if mode in ("mal", "auto") else "false"
    con.execute(
        f"""
        create or replace temp table _title_keys as
        with keys as (
            select
                row_number() over (order by n_plays desc, {", ".join(names)})::integer as kid,
                *,
                {title_text} as title_text,
                {type_text} as type_text,
                {year} as year_value
            from _title_raw
        ),
        mal_keys as (
            select kid, coalesce(
                try_cast(regexp_extract(title_text, '^([0-9]+)$', 1) as integer),
                try_cast(regexp_extract(title_text, '{MAL_URL}', 1) as integer)
            ) as mal_id
            from keys
        ),
        by_mal as (
            select mk.kid, count(*) as mal_candidates, min(m.anime_id) as mal_id_match
            from mal_keys as mk inner join marts.anime_master as m on m.mal_id = mk.mal_id
            group by mk.kid
        ),
        title_candidates as (
            select
                k.kid,
                m.anime_id,
                (k.type_text is not null or k.year_value is not null)
                and (k.type_text is null or m.anime_type = k.type_text)
                and (k.year_value is null or m.season_year = k.year_value) as settles
            from keys as k
            inner join marts.anime_master as m on m.title = k.title_text
        ),
        by_title as (
            select
                kid,
                count(*) as title_candidates,
                count(*) filter (where settles) as settled,
                min(anime_id) as only_id,
                min(anime_id) filter (where settles) as settled_id
            from title_candidates
            group by kid
        ),
        matched as (
            select
                keys.*,
                id.anime_id as id_match,
                coalesce(by_mal.mal_candidates, 0) as mal_candidates,
                by_mal.mal_id_match,
                coalesce(by_title.title_candidates, 0) as title_candidates,
                case
                    when by_title.title_candidates = 1 then by_title.only_id
                    when by_title.settled = 1 then by_title.settled_id
                end as title_id
            from keys
            left join marts.anime_master as id on id.anime_id = keys.title_text
            left join by_mal using (kid)
            left join by_title using (kid)
        ),
        ruled as (
            select *, ({matched})::utinyint as rule from matched
        ),
        resolved as (
            select
                {", ".join(names)}, kid, n_plays, rule,
                case rule when 1 then id_match when 2 then mal_id_match when 3 then title_id end as anime_id,
                case
                    when title_text is null then {r.MISSING_TITLE}
                    when rule > 0 then null
                    when {ambiguous_title} then {r.AMBIGUOUS_TITLE}
                    when {ambiguous_mal} then {r.AMBIGUOUS_MAL}
                    else {r.UNMATCHED_TITLE}
                end::utinyint as title_code
            from ruled
        ),
        episode_durations as (
            select e.anime_id, map_from_entries(list((e.episode_number, e.duration_seconds))) as ep_durations
            from marts.episodes as e
            inner join marts.anime_master as m using (anime_id)
            where e.anime_id in (select anime_id from resolved)
            group by e.anime_id, m.duration_seconds
            having bool_or(e.duration_seconds is distinct from m.duration_seconds)
        )
        select
            resolved.*,
            (dense_rank() over (order by resolved.anime_id))::integer as aid,
            m.episodes,
            m.duration_seconds,
            d.ep_durations
        from resolved
        left join marts.anime_master as m using (anime_id)
        left join episode_durations as d using (anime_id)
        """
    )
    return one_row(con, "select count(*) from _title_keys")[0]
