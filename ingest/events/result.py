"""What a load did: the counts the summary prints and raw.event_loads records."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from ingest.events import publish, titles
from ingest.events.plays import timestamp_literal
from ingest.events.sources import SourceFiles
from warehouse.sql import quote_literal


@dataclass
class EventsResult:
    rows_read: int = 0
    files: int = 0
    kind: str = ""
    plays_loaded: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    clipped: int = 0
    overlapping: int = 0
    late: int = 0
    previous_plays: int = 0
    previous_newest: datetime | None = None
    users_total: int = 0
    users_added: int = 0
    users_derived: int = 0
    users_rows_read: int = 0
    users_rejected: int = 0
    users_file: bool = False
    integer_ids: bool = True
    dropped_sim: bool = False
    append: bool = False
    first_event_id: int | None = None
    last_event_id: int | None = None
    seconds: float = 0.0

    @property
    def rejected(self) -> int:
        return sum(self.rejected_by_reason.values())


def count_kept(con: duckdb.DuckDBPyConnection, res: EventsResult, kept: str) -> None:
    newest = timestamp_literal(res.previous_newest) if res.previous_newest else "null::timestamp"
    rows = con.execute(
        f"select rule, count(*), count(*) filter (where watched > duration), "
        f"count(*) filter (where started_at < {newest}) from _plays where {kept} group by rule"
    ).fetchall()
    for rule, n, clipped, late in rows:
        res.by_rule[titles.RULES[rule]] = n
        res.plays_loaded += n
        res.clipped += clipped
        res.late += late
    res.by_rule = {name: res.by_rule[name] for name in titles.RULES.values() if name in res.by_rule}


def load_row_sql(
    res: EventsResult,
    append: bool,
    mapping_source: str,
    plays_source: SourceFiles,
    users_source: SourceFiles | None,
    load_id: int,
    loaded_at: str,
    as_of: datetime,
) -> str:
    def text(value: object) -> str:
        return "null::varchar" if value is None else quote_literal(str(value))

    def num(value: int | None) -> str:
        return "null::bigint" if value is None else str(int(value))

    values = [
        str(load_id),
        loaded_at,
        text("append" if append else "replace"),
        timestamp_literal(as_of),
        text(plays_source.label),
        str(len(plays_source.files)),
        text(users_source.label if users_source else None),
        text(mapping_source),
        num(res.rows_read),
        num(res.plays_loaded),
        num(res.first_event_id),
        num(res.last_event_id),
        num(res.rejected),
        text(json.dumps(res.rejected_by_reason)),
        num(res.duplicates),
        num(res.overlapping),
        num(res.clipped),
        num(res.late),
        *(num(res.by_rule.get(rule, 0)) for rule in titles.RULES.values()),
        num(res.users_rows_read),
        num(res.users_added),
        num(res.users_derived),
        num(res.users_rejected),
        "true" if res.dropped_sim else "false",
    ]
    names = [c.split()[0] for c in publish.SCHEMAS["event_loads"].split(", ")]
    return "select " + ", ".join(f"{v} as {n}" for v, n in zip(values, names, strict=True))
