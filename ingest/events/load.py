"""`ingest events`, step by step: read, match, check, number, then one transaction into raw.*.

Everything is staged in temporary tables of the one connection; nothing persistent changes before
publish.publish's transaction, so an unreadable file, a bad mapping or a killed process leaves the
warehouse as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest.errors import IngestError
from ingest.events import numbering, plays, publish, result, titles, users
from ingest.events.fields import Columns
from ingest.events.mapping import Mapping, Zone, load_mapping
from ingest.events.reasons import PLAY_REASONS
from ingest.events.result import EventsResult
from ingest.events.sources import SourceFiles, one_line, resolve, stage
from warehouse import DEFAULT_WAREHOUSE
from warehouse.sql import one_row, quote_literal, table_exists

CATALOGUE = ("anime_master", "episodes")
BUG_ERRORS = (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException)


@dataclass(frozen=True)
class Options:
    plays: str
    users: str | None = None
    mapping: Path | None = None
    append: bool = False
    warehouse: Path = DEFAULT_WAREHOUSE
    as_of: datetime | None = None  # naive UTC; default now
    progress: Callable[[str], None] | None = None


class Phases:
    """Times each phase; reports it through `progress` once the source is big."""

    BIG = 1_000_000

    def __init__(self, progress: Callable[[str], None] | None) -> None:
        self.progress = progress
        self.started = self.last = time.perf_counter()
        self.rows = 0

    def done(self, what: str) -> None:
        now = time.perf_counter()
        if self.progress and self.rows >= self.BIG:
            self.progress(f"ingest events: {what} ({now - self.last:.1f} s)")
        self.last = now


def _check_zone(con: duckdb.DuckDBPyConnection, zone: Zone, where: str) -> None:
    if zone.is_utc or zone.setting.startswith("GMT"):
        return
    (found,) = one_row(con, "select count(*) from pg_timezone_names() where name = ?", [zone.setting])
    if not found:
        raise IngestError(
            f"{where}: unknown time zone {zone.label!r} (an IANA name like Asia/Tokyo or +09:00)"
        )


def _set_zone(con: duckdb.DuckDBPyConnection, zone: Zone) -> None:
    con.execute(f"set TimeZone = {quote_literal(zone.setting)}")


def _stage_source(con: duckdb.DuckDBPyConnection, source: SourceFiles, name: str) -> Columns:
    con.execute("set preserve_insertion_order = true")  # CSV / JSON copies keep file order
    try:
        staged = stage(con, source, name)
    finally:
        con.execute("set preserve_insertion_order = false")
    return Columns(staged, f"{source.label}")


def _reading(source: SourceFiles, step: Callable[[], object]) -> object:
    """Run a step that reads the whole source; a read error becomes one IngestError line."""
    try:
        return step()
    except BUG_ERRORS:
        raise
    except duckdb.Error as exc:
        raise IngestError(f"{source.label}: cannot read as {source.kind}: {one_line(exc)}") from None


def _warehouse_state(con: duckdb.DuckDBPyConnection, res: EventsResult) -> tuple[bool, bool, set[str]]:
    """(raw.viewing_events exists, raw.users exists, raw.users' columns); notes a sim schema."""
    (sim,) = one_row(con, "select count(*) from information_schema.schemata where schema_name = 'sim'")
    res.dropped_sim = bool(sim)
    columns = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'raw' and table_name = 'users'"
    ).fetchall()
    has_events = table_exists(con, "raw", "viewing_events")
    return has_events, bool(columns), {c for (c,) in columns}


def _stage_users(
    con: duckdb.DuckDBPyConnection,
    source: SourceFiles | None,
    mapping: Mapping,
    as_of: datetime,
    res: EventsResult,
) -> None:
    """Temp table _users_checked: the users file's rows with reason codes (empty without one)."""
    if source is None:
        con.execute(
            "create or replace temp table _users_checked (pos bigint, source_user_id varchar, "
            "signed_up_at timestamp, country varchar, device varchar, plan varchar, code utinyint, "
            "file_index integer, row_number bigint, source_row varchar)"
        )
        return
    columns = _stage_source(con, source, "_users_src")
    _set_zone(con, mapping.users.zone)
    _reading(source, lambda: users.stage_users_file(con, columns, mapping.users, as_of))
    res.users_file = True
    res.users_rows_read = columns.staged.rows


def ingest_events(options: Options) -> EventsResult:
    """Validate and load a viewing log; IngestError (one line) on input it cannot accept."""
    started = time.perf_counter()
    mapping = load_mapping(options.mapping)
    plays_source = resolve(options.plays, "plays")
    users_source = resolve(options.users, "users") if options.users else None
    if not options.warehouse.is_file():
        raise IngestError(f"no warehouse at {options.warehouse}: build the catalogue first (make catalog)")
    try:
        con = duckdb.connect(str(options.warehouse))
    except duckdb.Error as exc:
        raise IngestError(f"{options.warehouse}: cannot open the warehouse: {one_line(exc)}") from None
    try:
        con.execute("set enable_progress_bar = false")
        result = _load(con, options, mapping, plays_source, users_source)
    finally:
        con.close()
    result.seconds = time.perf_counter() - started
    return result


def _load(
    con: duckdb.DuckDBPyConnection,
    options: Options,
    mapping: Mapping,
    plays_source: SourceFiles,
    users_source: SourceFiles | None,
) -> EventsResult:
    for table in CATALOGUE:
        if not table_exists(con, "marts", table):
            raise IngestError(
                f"no marts.{table} in {options.warehouse}: build the catalogue first (make catalog)"
            )
    _check_zone(con, mapping.plays.zone, f"mapping {mapping.source}: [plays].timezone")
    _check_zone(con, mapping.users.zone, f"mapping {mapping.source}: [users].timezone")
    as_of = options.as_of or datetime.now(UTC).replace(tzinfo=None)
    phases = Phases(options.progress)
    res = EventsResult(append=options.append, files=len(plays_source.files), kind=plays_source.kind)
    has_events, has_users, users_columns = _warehouse_state(con, res)
    append = options.append and has_events
    offset = 0
    if append:
        offset, res.previous_plays, res.previous_newest = one_row(
            con, "select coalesce(max(event_id), 0), count(*), max(started_at) from raw.viewing_events"
        )
    _stage_users(con, users_source, mapping, as_of, res)
    users.stage_existing(con, options.append and has_users, users_columns)
    # plays: read, match, check
    pcols = _stage_source(con, plays_source, "_plays_src")
    res.rows_read = phases.rows = pcols.staged.rows
    if res.rows_read == 0:
        raise IngestError(f"{plays_source.label}: no rows")
    plays.require_columns(pcols, mapping.plays)
    files = f"{res.files:,} file{'s' if res.files != 1 else ''}"
    phases.done(f"read {res.rows_read:,} rows ({plays_source.kind}, {files})")
    n_titles = _reading(plays_source, lambda: titles.build_keys(con, pcols, mapping.plays))
    phases.done(f"matched {n_titles:,} distinct titles")
    check_users = users_source is not None and mapping.users.missing_users == "reject"
    _, key_type = plays.user_key_sql(pcols, mapping.plays.user)
    if check_users:
        users.stage_known(con, key_type)
    _set_zone(con, mapping.plays.zone)
    outputs = _reading(plays_source, lambda: plays.stage_plays(con, pcols, mapping.plays, as_of, check_users))
    assert isinstance(outputs, plays.PlayColumns)
    _set_zone(con, Zone())
    phases.done("checked every play")
    by_code = dict(con.execute("select code, count(*) from _plays group by code").fetchall())
    accepted = by_code.pop(0, 0)
    res.rejected_by_reason = {PLAY_REASONS[c]: n for c, n in sorted(by_code.items(), key=lambda x: -x[1])}
    if accepted == 0:
        top = next(iter(res.rejected_by_reason))
        raise IngestError(
            f"{plays_source.label}: none of its {res.rows_read:,} rows is a loadable play (most: {top})"
        )
    # duplicates, users, overlaps, ids
    res.duplicates = numbering.stage_duplicates(con)
    users.stage_play_users(con, numbering.kept_filter(con), outputs.country, outputs.plan)
    derive = users_source is None or mapping.users.missing_users == "derive"
    res.integer_ids = users.stage_user_map(con, key_type, derive)
    if append:
        res.overlapping = numbering.stage_overlaps(con, res.integer_ids)
    phases.done(f"dropped {res.duplicates:,} duplicates, gave ids to users")
    result.count_kept(con, res, numbering.kept_filter(con))
    plays_sql = numbering.final_plays_sql(con, res.integer_ids, offset, res.rows_read)
    if res.plays_loaded:
        res.first_event_id, res.last_event_id = offset + 1, offset + res.plays_loaded
    res.users_added, res.users_derived = one_row(
        con, "select count(*), count(*) filter (where is_derived) from _new_users"
    )
    res.users_rejected = one_row(con, "select count(*) from _users_checked where code > 0")[0]
    load_id = 1
    if options.append and table_exists(con, "raw", "event_loads"):
        load_id = one_row(con, "select coalesce(max(load_id), 0) + 1 from raw.event_loads")[0]
    loaded_at = plays.timestamp_literal(datetime.now(UTC).replace(tzinfo=None))
    plan = publish.Publish(
        append=options.append,
        plays_sql=plays_sql,
        new_users_sql=users.new_user_rows_sql(key_type),
        updates_sql=users.derived_updates_sql(key_type) if options.append else None,
        play_rejects_sql=plays.reject_rows_sql([str(f) for f in plays_source.files]),
        user_rejects_sql=users.user_reject_rows_sql(
            [str(f) for f in users_source.files] if users_source else [""]
        ),
        load_row_sql=result.load_row_sql(
            res, options.append, mapping.source, plays_source, users_source, load_id, loaded_at, as_of
        ),
        drop_sim=res.dropped_sim,
        users_columns=frozenset(users_columns),
    )
    publish.publish(con, plan, load_id, loaded_at)
    phases.done(f"wrote {res.plays_loaded:,} plays")
    res.users_total = one_row(con, "select count(*) from raw.users")[0]
    return res
