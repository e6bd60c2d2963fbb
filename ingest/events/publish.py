"""Write the staged load into raw.* in one transaction: every table, or none.

A load replaces raw.viewing_events, raw.users, the two rejects tables and raw.event_loads; --append
inserts into them instead (and gives already loaded derived users an earlier sign-up when a new
play starts before it). A warehouse holding the simulator's ground truth loses its `sim` schema in
the same transaction: a real log has no simulator. Any error (or a killed process) before the
commit leaves every table as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

SCHEMAS = {
    "viewing_events": (
        "event_id BIGINT, user_id BIGINT, anime_id VARCHAR, episode_number INTEGER, started_at TIMESTAMP, "
        "watched_seconds INTEGER, episode_duration_seconds INTEGER, device VARCHAR"
    ),
    "users": (
        "user_id BIGINT, signed_up_at TIMESTAMP, country VARCHAR, device VARCHAR, plan VARCHAR, "
        "source_user_id VARCHAR, is_derived BOOLEAN"
    ),
    "viewing_events_rejects": (
        "load_id INTEGER, source_file VARCHAR, source_row_number BIGINT, reason VARCHAR, "
        "source_row VARCHAR, loaded_at TIMESTAMP"
    ),
    "users_rejects": (
        "load_id INTEGER, source_file VARCHAR, source_row_number BIGINT, reason VARCHAR, "
        "source_row VARCHAR, loaded_at TIMESTAMP"
    ),
    "event_loads": (
        "load_id INTEGER, loaded_at TIMESTAMP, mode VARCHAR, as_of TIMESTAMP, plays_source VARCHAR, "
        "plays_files INTEGER, users_source VARCHAR, mapping VARCHAR, rows_read BIGINT, plays_loaded BIGINT, "
        "first_event_id BIGINT, last_event_id BIGINT, rejected BIGINT, rejected_by_reason VARCHAR, "
        "duplicates BIGINT, overlapping BIGINT, clipped BIGINT, late BIGINT, matched_by_anime_id BIGINT, "
        "matched_by_mal BIGINT, matched_by_title BIGINT, users_rows_read BIGINT, users_added BIGINT, "
        "users_derived BIGINT, users_rejected BIGINT, dropped_sim BOOLEAN"
    ),
}


@dataclass(frozen=True)
class Publish:
    append: bool
    plays_sql: str  # rows of raw.viewing_events (SCHEMAS order)
    new_users_sql: str  # rows of raw.users to add
    updates_sql: str | None  # (user_id, signed_up_at) of loaded derived users, on --append
    play_rejects_sql: str  # (source_file, source_row_number, reason, source_row)
    user_rejects_sql: str
    load_row_sql: str  # one row of raw.event_loads
    drop_sim: bool
    users_columns: frozenset[str]  # columns raw.users has now (empty: no table)


def _run(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """One statement of the transaction (tests wrap this to inject a failure)."""
    con.execute(sql)


def _casted(table: str, select: str) -> str:
    columns = [c.split()[0] for c in SCHEMAS[table].split(", ")]
    types = [c.split(" ", 1)[1] for c in SCHEMAS[table].split(", ")]
    cast = ", ".join(f"cast({c} as {t}) as {c}" for c, t in zip(columns, types, strict=True))
    return f"select {cast} from ({select})"


def _rejects(select: str, load_id: int, loaded_at: str) -> str:
    return (
        f"select {load_id} as load_id, source_file, source_row_number, reason, source_row, "
        f"{loaded_at} as loaded_at from ({select})"
    )


def _write(con: duckdb.DuckDBPyConnection, table: str, select: str, append: bool) -> None:
    typed = _casted(table, select)
    if append:
        _run(con, f"create table if not exists raw.{table} ({SCHEMAS[table]})")
        _run(con, f"insert into raw.{table} by name {typed}")
    else:
        _run(con, f"create or replace table raw.{table} as {typed}")


def publish(con: duckdb.DuckDBPyConnection, plan: Publish, load_id: int, loaded_at: str) -> None:
    """The one transaction; raises (after a rollback) on any error."""
    _run(con, "begin transaction")
    try:
        _run(con, "create schema if not exists raw")
        _write(con, "viewing_events", plan.plays_sql, plan.append)
        if plan.append and plan.users_columns:
            for column, type_, value in (
                ("source_user_id", "VARCHAR", "cast(user_id as varchar)"),
                ("is_derived", "BOOLEAN", "false"),
            ):
                if column not in plan.users_columns:
                    _run(con, f"alter table raw.users add column {column} {type_}")
                    _run(con, f"update raw.users set {column} = {value}")
            if plan.updates_sql:
                _run(
                    con,
                    f"update raw.users as u set signed_up_at = d.signed_up_at from ({plan.updates_sql}) as d "
                    "where u.user_id = d.user_id and d.signed_up_at < u.signed_up_at",
                )
        _write(con, "users", f"select * from ({plan.new_users_sql}) order by user_id", plan.append)
        _write(
            con, "viewing_events_rejects", _rejects(plan.play_rejects_sql, load_id, loaded_at), plan.append
        )
        _write(con, "users_rejects", _rejects(plan.user_rejects_sql, load_id, loaded_at), plan.append)
        _write(con, "event_loads", plan.load_row_sql, plan.append)
        if plan.drop_sim:
            _run(con, "drop schema if exists sim cascade")
        _run(con, "commit")
    except BaseException:
        con.execute("rollback")
        raise
