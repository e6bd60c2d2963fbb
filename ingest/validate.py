"""Entry-level validation rules, written as SQL over a staged table of JSON entries.

Each rule is (condition, reason): the first condition that holds rejects the entry with that reason.
The rules follow the anime-offline-database schema; lists that are absent count as empty (older
releases omit some), while a value of the wrong type is always a reject, never silently coerced.

Older releases spell some values differently, and those spellings are mapped, not rejected:
`type` Movie / Special / Music / Unknown (MOVIE, SPECIAL, SPECIAL, UNKNOWN), `status` CURRENTLY
(ONGOING) or no `status` at all (UNKNOWN: releases before 2019-11 have none), and the related
titles under `relations` (today `relatedAnime`). data/README.md lists the mapping.
"""

from __future__ import annotations

ANIME_TYPES = ("TV", "MOVIE", "OVA", "ONA", "SPECIAL", "UNKNOWN")
STATUSES = ("FINISHED", "ONGOING", "UPCOMING", "UNKNOWN")
SEASONS = ("SPRING", "SUMMER", "FALL", "WINTER", "UNDEFINED")
# older releases' spellings -> today's (the upstream converters file MUSIC under SPECIAL)
TYPE_ALIASES = {"Movie": "MOVIE", "Special": "SPECIAL", "Music": "SPECIAL", "Unknown": "UNKNOWN"}
STATUS_ALIASES = {"CURRENTLY": "ONGOING"}
MISSING_STATUS = "UNKNOWN"  # releases before 2019-11 carry no status
LIST_FIELDS = {
    "sources": "sources",
    "synonyms": "synonyms",
    "studios": "studios",
    "producers": "producers",
    "relatedAnime": "related_anime",
    "tags": "tags",
}
# older releases' names of a list field: read when today's name is absent
LEGACY_LIST_FIELDS = {"relations": "relatedAnime"}
TEXT_FIELDS = ("picture", "thumbnail")
MAX_EPISODES = 20_000  # the longest real series has under 4,000; beyond this is a data error
MAX_DURATION_SECONDS = 100_000
INTEGER_TYPES = "('BIGINT', 'UBIGINT')"
NUMBER_TYPES = "('BIGINT', 'UBIGINT', 'DOUBLE')"


def _in_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _jt(path: str) -> str:
    """json_type of a path, with absent and JSON null both reading as 'NULL'."""
    return f"coalesce(json_type(entry, '{path}'), 'NULL')"


def _mapped(path: str, canonical: tuple[str, ...], aliases: dict[str, str]) -> str:
    """The value at `path` in today's vocabulary (aliases mapped), null when it is not a known string."""
    branches = " ".join(f"when '{v}' then '{v}'" for v in canonical)
    branches += " " + " ".join(f"when '{old}' then '{new}'" for old, new in aliases.items())
    return f"case when json_type(entry, '{path}') = 'VARCHAR' then case entry ->> '{path}' {branches} end end"


def type_sql() -> str:
    """SQL over `entry`: the entry's type as one of ANIME_TYPES, or null when it is not one."""
    return _mapped("$.type", ANIME_TYPES, TYPE_ALIASES)


def status_sql() -> str:
    """SQL over `entry`: the entry's status as one of STATUSES (absent or null: UNKNOWN), else null."""
    mapped = _mapped("$.status", STATUSES, STATUS_ALIASES)
    return f"case when {_jt('$.status')} = 'NULL' then '{MISSING_STATUS}' else {mapped} end"


def legacy_sql() -> str:
    """SQL over `entry`: true when the entry uses an older release's spelling that ingest maps."""
    old_types = _in_list(tuple(TYPE_ALIASES))
    old_statuses = _in_list(tuple(STATUS_ALIASES))
    old_lists = " or ".join(
        f"({_jt('$.' + old)} <> 'NULL' and {_jt('$.' + new)} = 'NULL')"
        for old, new in LEGACY_LIST_FIELDS.items()
    )
    return (
        f"coalesce((entry ->> '$.type') in {old_types}, false) "
        f"or coalesce((entry ->> '$.status') in {old_statuses}, false) "
        f"or {_jt('$.status')} = 'NULL' or {old_lists}"
    )


def _rules() -> list[tuple[str, str]]:
    rules: list[tuple[str, str]] = [
        ("json_type(entry) <> 'OBJECT'", "'entry is not a JSON object'"),
        (f"{_jt('$.title')} = 'NULL'", "'missing title'"),
        (f"{_jt('$.title')} <> 'VARCHAR'", "'title is not a string'"),
        ("trim(entry ->> '$.title') = ''", "'title is empty'"),
        (f"{_jt('$.type')} = 'NULL'", "'missing type'"),
        (
            f"({type_sql()}) is null",
            "'unknown type ' || coalesce(json_extract(entry, '$.type')::varchar, '')",
        ),
        (f"{_jt('$.episodes')} = 'NULL'", "'missing episodes'"),
        (
            f"{_jt('$.episodes')} not in {INTEGER_TYPES}",
            f"'episodes is not an integer (' || {_jt('$.episodes')} || ')'",
        ),
        ("try_cast(entry ->> '$.episodes' as bigint) < 0", "'negative episodes'"),
        (
            f"coalesce(try_cast(entry ->> '$.episodes' as bigint) > {MAX_EPISODES}, true)",
            f"'episodes out of range (0..{MAX_EPISODES})'",
        ),
        (
            f"({status_sql()}) is null",
            "'unknown status ' || coalesce(json_extract(entry, '$.status')::varchar, 'null')",
        ),
        (
            f"{_jt('$.animeSeason')} not in ('NULL', 'OBJECT')",
            "'animeSeason is not an object'",
        ),
        (
            f"{_jt('$.animeSeason.season')} not in ('NULL', 'VARCHAR') "
            f"or (entry ->> '$.animeSeason.season') not in {_in_list(SEASONS)}",
            "'unknown season ' || json_extract(entry, '$.animeSeason.season')::varchar",
        ),
        (
            f"{_jt('$.animeSeason.year')} not in ('NULL', 'BIGINT', 'UBIGINT') "
            "or not coalesce(try_cast(entry ->> '$.animeSeason.year' as bigint) between 1900 and 2100,"
            f" {_jt('$.animeSeason.year')} = 'NULL')",
            "'animeSeason.year is not a year between 1900 and 2100'",
        ),
        (f"{_jt('$.duration')} not in ('NULL', 'OBJECT')", "'duration is not an object'"),
        (
            f"{_jt('$.duration')} = 'OBJECT' and ({_jt('$.duration.value')} not in {INTEGER_TYPES} "
            "or not coalesce(try_cast(entry ->> '$.duration.value' as bigint) "
            f"between 0 and {MAX_DURATION_SECONDS}, false) "
            "or coalesce(entry ->> '$.duration.unit', '') <> 'SECONDS')",
            f"'duration must be 0..{MAX_DURATION_SECONDS} SECONDS'",
        ),
        (f"{_jt('$.score')} not in ('NULL', 'OBJECT')", "'score is not an object'"),
    ]
    for field in ("arithmeticMean", "median"):
        path = f"$.score.{field}"
        rules.append(
            (
                f"{_jt(path)} not in ('NULL', 'BIGINT', 'UBIGINT', 'DOUBLE') "
                f"or not coalesce(try_cast(entry ->> '{path}' as double) between 0 and 10, "
                f"{_jt(path)} = 'NULL')",
                f"'score.{field} is not a number between 0 and 10'",
            )
        )
    for field in TEXT_FIELDS:
        rules.append((f"{_jt('$.' + field)} not in ('NULL', 'VARCHAR')", f"'{field} is not a string'"))
    for field in (*LIST_FIELDS, *LEGACY_LIST_FIELDS):
        path = f"$.{field}"
        rules.append((f"{_jt(path)} not in ('NULL', 'ARRAY')", f"'{field} is not a list'"))
        rules.append(
            (
                f"not coalesce(list_bool_and(list_transform(json_extract(entry, '{path}[*]'), "
                "lambda x: json_type(x) = 'VARCHAR')), true)",
                f"'{field} holds a non-string item'",
            )
        )
    return rules


def reject_reason_sql() -> str:
    """A SQL expression over column `entry` (JSON): the reject reason, or null when the entry is fine."""
    branches = "\n".join(f"        when {cond} then {reason}" for cond, reason in _rules())
    return f"case\n{branches}\n        else null\n    end"


def _list_sql(field: str) -> str:
    """The list at `field` as varchar[]: absent or null reads empty; an older name is read when
    today's is absent."""
    names = [field] + [old for old, new in LEGACY_LIST_FIELDS.items() if new == field]
    branches = " ".join(
        f"when {_jt('$.' + name)} = 'ARRAY' then json_extract_string(entry, '$.{name}[*]')" for name in names
    )
    return f"case {branches} else []::varchar[] end"


def typed_columns_sql() -> str:
    """The select list that turns a valid entry into the columns of raw.anime_catalog.

    Expects columns `entry_index`, `entry` (JSON) and `entry_hash` (load.py's content hash)."""
    lists = ",\n".join(f"    {_list_sql(src)} as {dst}" for src, dst in LIST_FIELDS.items())
    texts = ",\n".join(f"    entry ->> '$.{field}' as {field}" for field in TEXT_FIELDS)
    return f"""
    entry_index,
    entry ->> '$.title' as title,
    {type_sql()} as anime_type,
    (entry ->> '$.episodes')::integer as episodes,
    {status_sql()} as status,
    entry ->> '$.animeSeason.season' as season,
    try_cast(entry ->> '$.animeSeason.year' as integer) as season_year,
    try_cast(entry ->> '$.duration.value' as integer) as duration_value,
    entry ->> '$.duration.unit' as duration_unit,
    try_cast(entry ->> '$.score.arithmeticMean' as double) as score_arithmetic_mean,
    try_cast(entry ->> '$.score.median' as double) as score_median,
{lists},
{texts},
    entry as entry_json,
    entry_hash"""
