"""Load a catalogue file and the popularity CSV into raw.* in one transaction.

Everything is staged in temporary tables first; the raw tables are replaced only inside a single
transaction at the end, so a file that fails to parse (or a killed process) leaves them as they were.

Each entry also gets `entry_hash`, the md5 of a canonical form of its JSON (`canonical_json`): the
same entry hashes the same whether the release wrote it pretty or minified, with its nulls written
out or left away, as a `.json` document or a `.jsonl` line, compressed or not. Exact repeats are
found by it, and dbt orders colliding `t-` ids by it.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path

import duckdb

from ingest.detect import SourceFormat, detect_format
from ingest.errors import IngestError, first_line
from ingest.validate import legacy_sql, reject_reason_sql, typed_columns_sql
from warehouse.sql import one_row

MAX_DOCUMENT_BYTES = 2_000_000_000  # the whole release is one JSON object of ~40 MB; allow growth
POPULARITY_HEADER = ["mal_id", "members", "mal_rating"]


@dataclass(frozen=True)
class IngestResult:
    entries: int
    accepted: int
    rejected: int
    popularity_rows: int
    release_last_update: str | None
    source_format: SourceFormat
    seconds: float
    mapped: int = 0  # accepted entries written in an older release's vocabulary (validate.py)


_EMPTY: tuple[object, ...] = (None, "", [], {})


def _canonical_object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """An object's members sorted by key, its null and empty (string, list, object) members left out;
    the decoder builds objects bottom-up, so nested objects are canonical already."""
    pairs.sort(key=itemgetter(0))
    return {key: value for key, value in pairs if value not in _EMPTY}


def _number(text: str) -> int | float:
    """A JSON number with a fraction or exponent: an integer when it is integral (6.0 is 6)."""
    value = float(text)
    return int(value) if value.is_integer() else value


_DECODER = json.JSONDecoder(object_pairs_hook=_canonical_object, parse_float=_number)
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True)


def canonical_json(text: str) -> str:
    """The canonical form of one entry's JSON text: compact, ASCII-escaped, keys sorted, null and
    empty members dropped at every depth, lists in their order. Text that is not JSON is returned
    as it is."""
    try:
        value = _DECODER.decode(text)
    except ValueError:
        return text
    return _ENCODER.encode(value)


def entry_hash(text: str) -> str:
    """md5 (hex) of the entry's canonical JSON."""
    return hashlib.md5(canonical_json(text).encode("utf-8"), usedforsecurity=False).hexdigest()


def _stage_entries(con: duckdb.DuckDBPyConnection, path: Path, fmt: SourceFormat) -> str | None:
    """Fill temp table _entries(entry_index, entry); return the release lastUpdate."""
    compression = "none" if fmt.compression == "none" else fmt.compression
    try:
        if fmt.layout == "document":
            con.execute(
                "create temp table _doc as select json as doc from read_json_objects("
                "?, format = 'unstructured', compression = ?, maximum_object_size = ?)",
                [str(path), compression, MAX_DOCUMENT_BYTES],
            )
            n_docs, doc_type, data_type = one_row(
                con,
                "select count(*), any_value(json_type(doc)), any_value(json_type(doc, '$.data')) from _doc",
            )
            if n_docs != 1 or doc_type != "OBJECT":
                raise IngestError(f"{path}: expected one JSON object, found {n_docs} top-level values")
            if data_type != "ARRAY":
                raise IngestError(f"{path}: no `data` list in the top-level object")
            con.execute(
                """
                create temp table _entries as
                with listed as (select json_extract(doc, '$.data[*]') as entries from _doc)
                select
                    (generate_subscripts(entries, 1) - 1)::integer as entry_index,
                    unnest(entries) as entry
                from listed
                """
            )
            meta_sql = "select doc ->> '$.lastUpdate' from _doc"
        else:
            con.execute(
                "create temp table _lines as select (row_number() over () - 1)::integer as line_index,"
                " json as entry from read_json_objects(?, format = 'newline_delimited', "
                "compression = ?, maximum_object_size = ?)",
                [str(path), compression, MAX_DOCUMENT_BYTES],
            )
            con.execute(
                "create temp table _entries as select line_index - 1 as entry_index, entry "
                "from _lines where line_index > 0"
            )
            meta_sql = "select entry ->> '$.lastUpdate' from _lines where line_index = 0"
    except duckdb.Error as exc:
        raise IngestError(f"{path}: cannot read as JSON: {first_line(exc)}") from None
    row = con.execute(meta_sql).fetchone()
    return row[0] if row else None


def _stage_catalog(con: duckdb.DuckDBPyConnection) -> None:
    """Split _entries into _accepted (typed columns) and _rejects (with reasons)."""
    con.execute(
        "create temp table _hashed as "
        "select entry_index, entry, _entry_hash(entry::varchar) as entry_hash from _entries"
    )
    con.execute(
        f"""
        create temp table _checked as
        with reasons as (
            select entry_index, entry, entry_hash, {reject_reason_sql()} as reason
            from _hashed
        ),
        ranked as (
            -- a repeat of an earlier valid entry (the same canonical JSON) is a duplicate, not a
            -- second anime
            select
                *,
                min(case when reason is null then entry_index end)
                    over (partition by entry_hash) as first_index
            from reasons
        )
        select
            entry_index,
            entry,
            entry_hash,
            coalesce(
                reason,
                case when first_index < entry_index
                    then 'duplicate of entry ' || first_index end
            ) as reason
        from ranked
        """
    )
    con.execute(
        f"create temp table _accepted as select {typed_columns_sql()}, {legacy_sql()} as is_mapped "
        "from (select entry_index, json(entry) as entry, entry_hash from _checked where reason is null)"
    )
    con.execute(
        "create temp table _rejects as select entry_index, entry::varchar as entry_json, reason "
        "from _checked where reason is not null"
    )


def _stage_popularity(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    if not path.is_file():
        raise IngestError(f"{path}: no such popularity file")
    with path.open("rb") as handle:
        header = handle.readline().decode("utf-8", "replace").strip().lstrip("\ufeff")
    if [c.strip() for c in header.split(",")] != POPULARITY_HEADER:
        raise IngestError(f"{path}: expected CSV header {','.join(POPULARITY_HEADER)}, got {header!r}")
    try:
        con.execute(
            "create temp table _popularity as select * from read_csv(?, header = true, "
            "columns = {'mal_id': 'INTEGER', 'members': 'BIGINT', 'mal_rating': 'DOUBLE'}) "
            "where mal_id is not null",
            [str(path)],
        )
    except duckdb.Error as exc:
        raise IngestError(f"{path}: cannot read popularity CSV: {first_line(exc)}") from None
    duplicates = one_row(con, "select count(*) - count(distinct mal_id) from _popularity")[0]
    if duplicates:
        raise IngestError(f"{path}: {duplicates} duplicated mal_id rows")
    return one_row(con, "select count(*) from _popularity")[0]


def _replace_raw_tables(
    con: duckdb.DuckDBPyConnection,
    source: Path,
    popularity: Path,
    last_update: str | None,
    loaded_at: datetime,
) -> None:
    """Swap in the staged tables atomically: all of raw's catalogue tables, or none."""
    params = [str(source), last_update, loaded_at]
    con.execute("begin transaction")
    try:
        con.execute("create schema if not exists raw")
        con.execute(
            "create or replace table raw.anime_catalog as select entry_index, sources, title, "
            "anime_type, episodes, status, season, season_year, duration_value, duration_unit, "
            "score_arithmetic_mean, score_median, synonyms, studios, producers, related_anime, "
            "tags, picture, thumbnail, entry_json, entry_hash, ?::varchar as source_file, "
            "try_cast(? as date) as release_last_update, ?::timestamp as loaded_at "
            "from _accepted order by entry_index",
            params,
        )
        con.execute(
            "create or replace table raw.anime_catalog_rejects as select entry_index, entry_json, "
            "reason, ?::varchar as source_file, try_cast(? as date) as release_last_update, "
            "?::timestamp as loaded_at from _rejects order by entry_index",
            params,
        )
        con.execute(
            "create or replace table raw.anime_popularity as select mal_id, members, mal_rating, "
            "?::varchar as source_file, ?::timestamp as loaded_at from _popularity order by mal_id",
            [str(popularity), loaded_at],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def ingest(source: Path, popularity: Path, warehouse: Path) -> IngestResult:
    """Validate and load; raises IngestError (one line) on input the loader cannot accept."""
    started = time.perf_counter()
    fmt = detect_format(source)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    created = not warehouse.exists()
    try:
        con = duckdb.connect(str(warehouse))
    except duckdb.Error as exc:
        raise IngestError(f"{warehouse}: cannot open the warehouse: {first_line(exc)}") from None
    try:
        return _load(con, source, popularity, fmt, started)
    except BaseException:
        con.close()
        if created:  # a failed first ingest leaves no empty warehouse behind
            for leftover in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
                leftover.unlink(missing_ok=True)
        raise
    finally:
        con.close()


def _load(
    con: duckdb.DuckDBPyConnection, source: Path, popularity: Path, fmt: SourceFormat, started: float
) -> IngestResult:
    """Stage, validate and swap in the catalogue tables over an open connection."""
    con.create_function("_entry_hash", entry_hash, [duckdb.sqltype("VARCHAR")], duckdb.sqltype("VARCHAR"))
    last_update = _stage_entries(con, source, fmt)
    _stage_catalog(con)
    popularity_rows = _stage_popularity(con, popularity)
    entries, accepted, mapped = one_row(
        con,
        "select (select count(*) from _entries), (select count(*) from _accepted), "
        "(select count(*) from _accepted where is_mapped)",
    )
    if entries == 0:
        raise IngestError(f"{source}: the `data` list is empty")
    if accepted == 0:
        # every entry was rejected, so _rejects has a reason
        top = one_row(
            con, "select reason from _rejects group by reason order by count(*) desc, reason limit 1"
        )[0]
        raise IngestError(f"{source}: none of its {entries} entries is valid (most: {top})")
    _replace_raw_tables(con, source, popularity, last_update, datetime.now(UTC).replace(tzinfo=None))
    return IngestResult(
        entries=entries,
        accepted=accepted,
        rejected=entries - accepted,
        popularity_rows=popularity_rows,
        release_last_update=last_update,
        source_format=fmt,
        seconds=time.perf_counter() - started,
        mapped=mapped,
    )
