"""The mapping file (TOML): which source column feeds which raw column, and how to read it.

Every key is optional. The defaults are the raw tables' own column names, so a log exported in the
simulator's shape loads with no mapping at all. Optional columns (device, country, plan) default
to a column of the same name when the file has one and to null otherwise; a column named
explicitly must exist. data/mapping.example.toml documents every key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ingest.errors import IngestError

TitleMatch = Literal["auto", "anime_id", "mal", "title"]
WatchedKind = Literal["watched_seconds", "ended_at", "completion"]
TITLE_MATCHES: tuple[TitleMatch, ...] = ("auto", "anime_id", "mal", "title")
WATCHED_KINDS: tuple[WatchedKind, ...] = ("watched_seconds", "ended_at", "completion")
MISSING_USERS = ("reject", "derive")

PLAYS_KEYS = (
    "user",
    "title",
    "title_match",
    "title_type",
    "title_year",
    "episode",
    "started_at",
    *WATCHED_KINDS,
    "device",
    "country",
    "plan",
    "timezone",
)
USERS_KEYS = ("user", "signed_up_at", "country", "device", "plan", "timezone", "missing_users")
OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


@dataclass(frozen=True)
class Zone:
    """How naive timestamps are read: `setting` is the DuckDB TimeZone value, `label` as written."""

    setting: str = "UTC"
    label: str = "UTC"

    @property
    def is_utc(self) -> bool:
        return self.setting == "UTC"


UTC = Zone()


@dataclass(frozen=True)
class OptionalColumn:
    """An optional column: `name` and whether the mapping named it (then it must exist)."""

    name: str
    explicit: bool = False


@dataclass(frozen=True)
class PlaysMapping:
    user: str = "user_id"
    title: str = "anime_id"
    title_match: TitleMatch = "auto"
    title_type: str | None = None
    title_year: str | None = None
    episode: str = "episode_number"
    started_at: str = "started_at"
    watched_kind: WatchedKind = "watched_seconds"
    watched: str = "watched_seconds"
    device: OptionalColumn = OptionalColumn("device")
    country: OptionalColumn = OptionalColumn("country")
    plan: OptionalColumn = OptionalColumn("plan")
    zone: Zone = UTC


@dataclass(frozen=True)
class UsersMapping:
    user: str = "user_id"
    signed_up_at: str = "signed_up_at"
    country: OptionalColumn = OptionalColumn("country")
    device: OptionalColumn = OptionalColumn("device")
    plan: OptionalColumn = OptionalColumn("plan")
    zone: Zone = UTC
    missing_users: Literal["reject", "derive"] = "reject"


@dataclass(frozen=True)
class Mapping:
    plays: PlaysMapping = field(default_factory=PlaysMapping)
    users: UsersMapping = field(default_factory=UsersMapping)
    source: str = "default mapping"


def parse_zone(value: str, where: str) -> Zone:
    """UTC, a fixed offset (+09:00, -0330, UTC+5) or an IANA name (checked against DuckDB later)."""
    text = value.strip()
    if text.upper() in {"UTC", "Z", "GMT", "ETC/UTC"}:
        return Zone("UTC", value)
    offset = OFFSET.match(text)
    if offset:
        sign, hours, minutes = offset.group(1), int(offset.group(2)), int(offset.group(3) or 0)
        if hours > 14 or minutes > 59 or (hours == 14 and minutes):
            raise IngestError(f"{where}: time zone offset {value!r} is out of range (-14:00..+14:00)")
        if hours == 0 and minutes == 0:
            return Zone("UTC", value)
        return Zone(f"GMT{sign}{hours:02d}:{minutes:02d}", value)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*", text):
        raise IngestError(
            f"{where}: time zone {value!r} is neither an IANA name (Asia/Tokyo) nor an offset (+09:00)"
        )
    return Zone(text, value)


def _strings(table: dict[str, Any], where: str) -> dict[str, str]:
    out = {}
    for key, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise IngestError(f"{where}.{key} must be a non-empty string, got {value!r}")
        out[key] = value.strip() if key != "timezone" else value
    return out


def _check_keys(table: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise IngestError(f"{where}: unknown key {unknown[0]!r} (known keys: {', '.join(known)})")


def _optional(values: dict[str, str], key: str) -> OptionalColumn:
    return OptionalColumn(values[key], explicit=True) if key in values else OptionalColumn(key)


def _plays(table: dict[str, Any], where: str) -> PlaysMapping:
    _check_keys(table, PLAYS_KEYS, where)
    values = _strings(table, where)
    title_match = values.get("title_match", "auto")
    if title_match not in TITLE_MATCHES:
        raise IngestError(
            f"{where}.title_match must be one of {', '.join(TITLE_MATCHES)}, got {title_match!r}"
        )
    watched = [k for k in WATCHED_KINDS if k in values]
    if len(watched) > 1:
        raise IngestError(
            f"{where}: give one of watched_seconds, ended_at, completion, not {' and '.join(watched)}"
        )
    kind: WatchedKind = watched[0] if watched else "watched_seconds"
    zone = parse_zone(values["timezone"], f"{where}.timezone") if "timezone" in values else UTC
    return PlaysMapping(
        user=values.get("user", "user_id"),
        title=values.get("title", "anime_id"),
        title_match=title_match,  # type: ignore[arg-type]
        title_type=values.get("title_type"),
        title_year=values.get("title_year"),
        episode=values.get("episode", "episode_number"),
        started_at=values.get("started_at", "started_at"),
        watched_kind=kind,
        watched=values.get(kind, "watched_seconds"),
        device=_optional(values, "device"),
        country=_optional(values, "country"),
        plan=_optional(values, "plan"),
        zone=zone,
    )


def _users(table: dict[str, Any], where: str) -> UsersMapping:
    _check_keys(table, USERS_KEYS, where)
    values = _strings(table, where)
    missing = values.get("missing_users", "reject")
    if missing not in MISSING_USERS:
        raise IngestError(f"{where}.missing_users must be reject or derive, got {missing!r}")
    zone = parse_zone(values["timezone"], f"{where}.timezone") if "timezone" in values else UTC
    return UsersMapping(
        user=values.get("user", "user_id"),
        signed_up_at=values.get("signed_up_at", "signed_up_at"),
        country=_optional(values, "country"),
        device=_optional(values, "device"),
        plan=_optional(values, "plan"),
        zone=zone,
        missing_users=missing,  # type: ignore[arg-type]
    )


def load_mapping(path: Path | None) -> Mapping:
    """Read and check a mapping file; IngestError (one line) names the first problem."""
    if path is None:
        return Mapping()
    if not path.is_file():
        raise IngestError(f"mapping {path}: no such file")
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise IngestError(f"mapping {path}: not valid TOML ({exc})") from None
    unknown = sorted(set(document) - {"plays", "users"})
    if unknown:
        raise IngestError(f"mapping {path}: unknown key {unknown[0]!r} (known tables: [plays], [users])")
    for name in ("plays", "users"):
        if not isinstance(document.get(name, {}), dict):
            raise IngestError(f"mapping {path}: {name} must be a table ([{name}])")
    return Mapping(
        plays=_plays(document.get("plays", {}), f"mapping {path}: [plays]"),
        users=_users(document.get("users", {}), f"mapping {path}: [users]"),
        source=str(path),
    )
