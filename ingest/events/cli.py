"""`python -m ingest events`: load a platform's viewing log into raw.viewing_events and raw.users."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest.errors import IngestError, report
from ingest.events.load import Options, ingest_events
from ingest.events.result import EventsResult
from warehouse import warehouse_path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest events",
        description="Load a platform's viewing log (CSV, Parquet or JSON lines; gzip or zstd; a file, a "
        "folder or a glob of parts) into raw.viewing_events and raw.users, with the rows it cannot load "
        "in raw.viewing_events_rejects and raw.users_rejects (docs/ingest-events.md).",
    )
    parser.add_argument("--plays", required=True, help="plays file, folder or glob")
    parser.add_argument("--users", default=None, help="users file (default: users derived from the plays)")
    parser.add_argument(
        "--mapping", type=Path, default=None, help="TOML column mapping (data/mapping.example.toml)"
    )
    parser.add_argument("--append", action="store_true", help="add to the loaded log instead of replacing it")
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        help="DuckDB file (default: $ANIME_WAREHOUSE, else warehouse/anime.duckdb)",
    )
    parser.add_argument(
        "--as-of",
        default=None,
        help="the load's time (ISO 8601; naive = UTC; default now): plays starting later are rejected",
    )
    return parser


def parse_as_of(text: str | None) -> datetime | None:
    """A naive UTC datetime from ISO 8601 text (with or without an offset)."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise IngestError(
            f"--as-of {text!r} is not an ISO 8601 timestamp (e.g. 2026-11-01T00:00:00Z)"
        ) from None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _n(value: int) -> str:
    return f"{value:,}"


def summary(result: EventsResult, target: Path) -> list[str]:
    """The lines printed after a load."""
    lines = []
    if result.dropped_sim:
        lines.append(
            "ingest events: dropped schema sim (the simulator's ground truth; a real log has no simulator)"
        )
    files = f"{_n(result.files)} file{'s' if result.files != 1 else ''}"
    rules = ", ".join(f"{_n(n)} by {rule}" for rule, n in result.by_rule.items())
    rate = result.rows_read / result.seconds if result.seconds else float("nan")
    if result.users_file:
        users = f"{_n(result.users_added - result.users_derived)} from the users file"
        if result.users_derived:
            users += f", {_n(result.users_derived)} derived from plays"
    else:
        users = "derived from plays"
    users_part = f"{_n(result.users_total)} users ({users})"
    if result.append:
        users_part = f"{_n(result.users_added)} new users ({users}), {_n(result.users_total)} in all"
    if result.users_rejected:
        users_part += f", {_n(result.users_rejected)} users rows rejected (raw.users_rejects)"
    lines.append(
        f"ingest events: {_n(result.rows_read)} rows from {files} -> {_n(result.plays_loaded)} plays "
        f"({rules}), "
        f"{_n(result.rejected)} rejected (raw.viewing_events_rejects), {_n(result.duplicates)} duplicates "
        f"dropped, {_n(result.clipped)} clipped; {users_part}; {result.seconds:.1f} s ({rate:,.0f} rows/s) "
        f"into {target}"
    )
    if result.rejected:
        reasons = "; ".join(f"{reason} {_n(n)}" for reason, n in result.rejected_by_reason.items())
        lines.append(f"ingest events: rejected: {reasons}")
    if result.append:
        newest = f"{result.previous_newest:%Y-%m-%d %H:%M:%S}" if result.previous_newest else "none"
        lines.append(
            f"ingest events: appended to {_n(result.previous_plays)} plays already loaded: "
            f"{_n(result.overlapping)} overlapping (already loaded) dropped, {_n(result.late)} late "
            f"(start before the previous newest play, {newest}); event ids "
            f"{result.first_event_id or '-'}..{result.last_event_id or '-'}"
        )
    if not result.integer_ids:
        lines.append(
            "ingest events: user ids are not all integers: users got dense ids (raw.users.source_user_id)"
        )
    build = "dbt build" if result.append else "dbt build --full-refresh"
    lines.append(f"ingest events: next, in dbt_project/: {build}")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    target = warehouse_path(args.warehouse)
    try:
        options = Options(
            plays=args.plays,
            users=args.users,
            mapping=args.mapping,
            append=args.append,
            warehouse=target,
            as_of=parse_as_of(args.as_of),
            progress=lambda line: print(line, flush=True),
        )
        result = ingest_events(options)
    except (IngestError, duckdb.Error) as exc:
        return report(exc, target)
    for line in summary(result, target):
        print(line)
    return 0
