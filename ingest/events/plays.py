"""Read every play once, set-based: parse, match, check, and keep the result in temp table _plays.

One statement turns the source into one row per play with its typed values and a reason code
(0 = accepted; reasons.py): the parse level reads the mapped columns, the derived level works out
the episode, the duration and the watched seconds, the check level picks the first reason that
holds. Rejected rows keep their file, row number and the source row as JSON; accepted ones keep
only what raw.viewing_events needs.

Watched time is rounded to whole seconds. With the episode's duration known, a watched time above
duration + tolerance (tolerance = max(60 s, 10% of the duration)) is rejected; one within it is
kept here as it is and clipped to the duration when written (and counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from ingest.events import reasons as r
from ingest.events.fields import Columns, integral
from ingest.events.mapping import PlaysMapping
from ingest.events.titles import join_condition, key_columns
from warehouse.sql import quote_literal


@dataclass(frozen=True)
class PlayColumns:
    """Which optional outputs the plays carry."""

    user_key_type: str  # BIGINT (an integer-typed source column) or VARCHAR
    device: bool
    country: bool
    plan: bool


def user_key_sql(columns: Columns, name: str) -> tuple[str, str]:
    """(SQL, type) of a source user id: BIGINT for an integer column, else trimmed text."""
    columns.require(name, "user")
    if columns.is_integer_typed(name):
        return f"cast({columns.raw(name)} as bigint)", "BIGINT"
    return columns.text(name), "VARCHAR"


def timestamp_literal(value: datetime) -> str:
    return f"timestamp '{value.isoformat(sep=' ')}'"


def require_columns(columns: Columns, plays: PlaysMapping) -> None:
    """Check every mapped column exists before any data is read (the first missing one is named)."""
    for name, key in (
        (plays.user, "user"),
        (plays.title, "title"),
        (plays.title_type, "title_type"),
        (plays.title_year, "title_year"),
        (plays.episode, "episode"),
        (plays.started_at, "started_at"),
        (plays.watched, plays.watched_kind),
    ):
        if name is not None:
            columns.require(name, key)
    for column, key in ((plays.device, "device"), (plays.country, "country"), (plays.plan, "plan")):
        columns.optional(column, key)


def stage_plays(
    con: duckdb.DuckDBPyConnection,
    columns: Columns,
    plays: PlaysMapping,
    as_of: datetime,
    check_users: bool,
) -> PlayColumns:
    """Create temp table _plays (one row per source row) from the staged plays source."""
    user_key, user_type = user_key_sql(columns, plays.user)
    ep_name = plays.episode
    columns.require(ep_name, "episode")
    columns.require(plays.started_at, "started_at")
    columns.require(plays.watched, plays.watched_kind)
    device = columns.optional(plays.device, "device")
    country = columns.optional(plays.country, "country")
    plan = columns.optional(plays.plan, "plan")
    kind = plays.watched_kind
    if kind == "ended_at":
        watched_parsed = columns.timestamp(plays.watched, kind, plays.zone)
    else:
        watched_parsed = columns.number(plays.watched, kind)
    keys = key_columns(columns, plays)
    extras = []
    if device:
        extras.append(f"lower({columns.text(device)}) as __device")
    if country:
        extras.append(f"{columns.text(country)} as __country")
    if plan:
        extras.append(f"{columns.text(plan)} as __plan")
    known_join = f"left join _known_users as u on u.user_key = {user_key}" if check_users else ""
    known = ", u.user_key is not null as __user_known" if check_users else ""
    parse = f"""
        select
            s.*,
            {columns.staged.pos} as __x_pos,
            {columns.staged.file_index} as __x_file,
            {columns.staged.row_number} as __x_row,
            {user_key} as __user_key,
            k.kid as __kid, k.aid as __aid, k.anime_id as __anime_id,
            k.rule as __rule, k.title_code as __title_code,
            k.episodes as __episodes, k.duration_seconds as __title_duration,
            k.ep_durations as __ep_durations,
            {columns.present(ep_name)} as __ep_present,
            {columns.number(ep_name, "episode")} as __ep_number,
            {columns.present(plays.started_at)} as __st_present,
            {columns.timestamp(plays.started_at, "started_at", plays.zone)} as __st_parsed,
            {columns.present(plays.watched)} as __w_present,
            {watched_parsed} as __w_parsed
            {"".join(", " + e for e in extras)}
            {known}
        from {columns.staged.table} as s
        left join _title_keys as k on {join_condition(keys)}
        {known_join}
    """
    duration = (
        "case when s.__ep_durations is null then s.__title_duration "
        "else coalesce(s.__ep_durations[s.__ep], s.__title_duration) end"
    )
    derived = f"""
        select
            s.*,
            case when isfinite(s.__st_parsed) then s.__st_parsed end as __started_at,
            case when isfinite(s.__w_parsed) then s.__w_parsed end as __w_value
        from ({parse}) as s
    """
    derived2 = f"""
        select s.*, {integral("s.__ep_number")} as __ep
        from ({derived}) as s
    """
    if kind == "watched_seconds":
        watched = "s.__w_value"
    elif kind == "ended_at":
        watched = "(epoch_us(s.__w_value) - epoch_us(s.__started_at)) / 1e6"
    else:
        watched = "s.__w_value * s.__duration"
    derived3 = f"select s.*, {duration} as __duration from ({derived2}) as s"
    derived4 = f"select s.*, {watched} as __watched from ({derived3}) as s"
    tolerance = f"greatest({r.TOLERANCE_SECONDS}, {r.TOLERANCE_FRACTION} * s.__duration)"
    rules: list[tuple[str, str]] = [
        ("s.__user_key is null", str(r.MISSING_USER)),
        (f"s.__kid is null or s.__title_code = {r.MISSING_TITLE}", str(r.MISSING_TITLE)),
        ("s.__title_code is not null", "s.__title_code"),
        ("not s.__st_present", str(r.MISSING_START)),
        ("s.__started_at is null", str(r.UNPARSABLE_START)),
        (f"s.__started_at > {timestamp_literal(as_of)}", str(r.FUTURE_START)),
        ("not s.__ep_present", str(r.MISSING_EPISODE)),
        ("s.__ep is null", str(r.EPISODE_NOT_INTEGER)),
        ("s.__ep < 1", str(r.EPISODE_BELOW_1)),
        ("s.__ep > s.__episodes", str(r.EPISODE_ABOVE_COUNT)),
        ("not s.__w_present", str(r.MISSING_WATCHED[kind])),
        ("s.__w_value is null", str(r.UNPARSABLE_WATCHED[kind])),
    ]
    if kind == "ended_at":
        rules.append(("s.__w_value <= s.__started_at", str(r.END_NOT_AFTER_START)))
    if kind == "completion":
        rules.append(("s.__duration is null", str(r.COMPLETION_NO_DURATION)))
    rules += [
        ("round(s.__watched) < 1", str(r.WATCHED_NOT_POSITIVE)),
        (
            f"s.__duration is not null and s.__watched > s.__duration + {tolerance}",
            str(r.WATCHED_ABOVE_DURATION),
        ),
        (
            f"s.__duration is null and s.__watched > {r.MAX_WATCHED_UNKNOWN_DURATION}",
            str(r.WATCHED_OVER_A_DAY),
        ),
    ]
    if check_users:
        rules.append(("not s.__user_known", str(r.USER_NOT_IN_USERS_FILE)))
    branches = "\n".join(f"when {cond} then {code}" for cond, code in rules)
    checked = f"""
        select s.*, cast(case {branches} else {r.ACCEPTED} end as utinyint) as __code
        from ({derived4}) as s
    """
    outputs = [
        "s.__x_pos::bigint as pos",
        f"s.__user_key::{user_type} as user_key",
        "s.__aid as aid",
        "s.__anime_id as anime_id",
        "s.__rule as rule",
        "s.__ep as episode_number",
        "s.__started_at as started_at",
        "case when s.__code = 0 then cast(round(s.__watched) as integer) end as watched",
        "s.__duration::integer as duration",
        "s.__device as device" if device else "null::varchar as device",
    ]
    if country:
        outputs.append("s.__country as country")
    if plan:
        outputs.append("s.__plan as plan")
    outputs += [
        "s.__code as code",
        "case when s.__code > 0 then s.__x_file end::integer as file_index",
        "case when s.__code > 0 then s.__x_row end::bigint as row_number",
        f"case when s.__code > 0 then {columns.staged.row_json()} end as source_row",
    ]
    select = ",\n            ".join(outputs)
    con.execute(f"create or replace temp table _plays as select {select} from ({checked}) as s")
    return PlayColumns(user_key_type=user_type, device=bool(device), country=bool(country), plan=bool(plan))


def reject_rows_sql(source_files: list[str]) -> str:
    """The rejected plays as rows of raw.viewing_events_rejects (less load_id and loaded_at)."""
    files = "[" + ", ".join(quote_literal(f) for f in source_files) + "]"
    return (
        f"select {files}[file_index + 1] as source_file, row_number as source_row_number, "
        f"{r.text_sql('code', r.PLAY_REASONS)} as reason, source_row "
        "from _plays where code > 0 order by pos"
    )
