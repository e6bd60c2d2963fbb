"""Entry-level validation rules, written as SQL over a staged table of JSON entries.

Each rule is (condition, reason): the first condition that holds rejects the entry with that reason.
The rules follow the anime-offline-database schema; lists that are absent count as empty (older
releases omit some), while a value of the wrong type is always a reject, never silently coerced.
"""

from __future__ import annotations

ANIME_TYPES = ("TV", "MOVIE", "OVA", "ONA", "SPECIAL", "UNKNOWN")
STATUSES = ("FINISHED", "ONGOING", "UPCOMING", "UNKNOWN")
SEASONS = ("SPRING", "SUMMER", "FALL", "WINTER", "UNDEFINED")
LIST_FIELDS = {
    "sources": "sources",
    "synonyms": "synonyms",
    "studios": "studios",
    "producers": "producers",
    "relatedAnime": "related_anime",
    "tags": "tags",
}
MAX_EPISODES = 20_000  # the longest real series has under 4,000; beyond this is a data error
MAX_DURATION_SECONDS = 100_000
INTEGER_TYPES = "('BIGINT', 'UBIGINT')"
NUMBER_TYPES = "('BIGINT', 'UBIGINT', 'DOUBLE')"


def _in_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _jt(path: str) -> str:
    """json_type of a path, with absent and JSON null both reading as 'NULL'."""
    return f"coalesce(json_type(entry, '{path}'), 'NULL')"


def _rules() -> list[tuple[str, str]]:
    rules: list[tuple[str, str]] = [
        ("json_type(entry) <> 'OBJECT'", "'entry is not a JSON object'"),
        (f"{_jt('$.title')} = 'NULL'", "'missing title'"),
        (f"{_jt('$.title')} <> 'VARCHAR'", "'title is not a string'"),
        ("trim(entry ->> '$.title') = ''", "'title is empty'"),
        (f"{_jt('$.type')} = 'NULL'", "'missing type'"),
        (
            f"{_jt('$.type')} <> 'VARCHAR' or (entry ->> '$.type') not in {_in_list(ANIME_TYPES)}",
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
            f"{_jt('$.status')} <> 'VARCHAR' or (entry ->> '$.status') not in {_in_list(STATUSES)}",
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
    for field in LIST_FIELDS:
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


def typed_columns_sql() -> str:
    """The select list that turns a valid entry into the columns of raw.anime_catalog."""
    lists = ",\n".join(
        f"    coalesce(json_extract_string(entry, '$.{src}[*]'), []::varchar[]) as {dst}"
        for src, dst in LIST_FIELDS.items()
    )
    return f"""
    entry_index,
    entry ->> '$.title' as title,
    entry ->> '$.type' as anime_type,
    (entry ->> '$.episodes')::integer as episodes,
    entry ->> '$.status' as status,
    entry ->> '$.animeSeason.season' as season,
    try_cast(entry ->> '$.animeSeason.year' as integer) as season_year,
    try_cast(entry ->> '$.duration.value' as integer) as duration_value,
    entry ->> '$.duration.unit' as duration_unit,
    try_cast(entry ->> '$.score.arithmeticMean' as double) as score_arithmetic_mean,
    try_cast(entry ->> '$.score.median' as double) as score_median,
{lists},
    entry as entry_json"""
