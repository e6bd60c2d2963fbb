"""Find the files of a plays or users source and make them readable as one relation.

A source is a file, a folder (every data file under it, e.g. `plays/day=2026-10-01/part-0.parquet`)
or a glob. The format comes from the file name: `.csv`, `.parquet`, `.jsonl` / `.ndjson` / `.json`,
each optionally `.gz` or `.zst` (Parquet compresses inside the file). Files are read in sorted name
order, and every row gets its position: the file's index in that order and its 1-based row number in
the file, which decide event ids and name a rejected row.

Parquet is read in place (`read_parquet` with `file_row_number`); CSV (every value as text) and JSON
lines (one object per line) are first copied into a temporary table in file order, whose row ids
give the positions.
"""

from __future__ import annotations

import glob
import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import zstandard

from ingest.errors import IngestError
from warehouse.sql import one_row, quote_literal

Kind = Literal["csv", "parquet", "json"]
SUFFIXES: tuple[tuple[str, Kind, str], ...] = (
    (".csv", "csv", "none"),
    (".csv.gz", "csv", "gzip"),
    (".csv.zst", "csv", "zstd"),
    (".parquet", "parquet", "none"),
    (".jsonl", "json", "none"),
    (".ndjson", "json", "none"),
    (".json", "json", "none"),
    (".jsonl.gz", "json", "gzip"),
    (".ndjson.gz", "json", "gzip"),
    (".json.gz", "json", "gzip"),
    (".jsonl.zst", "json", "zstd"),
    (".ndjson.zst", "json", "zstd"),
    (".json.zst", "json", "zstd"),
)
EXPECTED = ".csv(.gz/.zst), .parquet (a file, a folder or a glob of parts), .jsonl/.ndjson/.json(.gz/.zst)"


def ident(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def one_line(exc: BaseException) -> str:
    """The first two lines of an error (DuckDB's CSV errors say what is wrong on the second)."""
    text = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return " ".join(text[:2]) if text else type(exc).__name__


def _first_line(path: Path, compression: str) -> str:
    try:
        with path.open("rb") as raw:
            if compression == "gzip" or (compression == "auto" and path.name.lower().endswith(".gz")):
                head = gzip.GzipFile(fileobj=raw).read(65536)
            elif compression == "zstd" or (compression == "auto" and path.name.lower().endswith(".zst")):
                head = zstandard.ZstdDecompressor().stream_reader(raw).read(65536)
            else:
                head = raw.read(65536)
    except (OSError, EOFError, zlib.error, zstandard.ZstdError) as exc:
        raise IngestError(f"{path}: cannot read as csv: cannot decompress ({exc})") from None
    return head.decode("utf-8", "replace").lstrip("\ufeff").split("\n", 1)[0]


def csv_delimiter(path: Path, compression: str) -> str:
    """The header line's most frequent of , ; tab |: the dialect is fixed, never sniffed, so a
    ragged row is an error and no line is skipped or read as a comment."""
    header = _first_line(path, compression)
    return max([",", ";", "\t", "|"], key=lambda d: (header.count(d), d == ","))


@dataclass(frozen=True)
class SourceFiles:
    given: str
    files: tuple[Path, ...]
    kind: Kind
    compression: str

    @property
    def label(self) -> str:
        return self.given if len(self.files) > 1 else str(self.files[0])


def _kind(path: Path) -> tuple[Kind, str] | None:
    name = path.name.lower()
    matches = [(s, k, c) for s, k, c in SUFFIXES if name.endswith(s)]
    if not matches:
        return None
    _, kind, compression = max(matches, key=lambda m: len(m[0]))
    return kind, compression


def resolve(given: str, what: str) -> SourceFiles:
    """The files named by a path, folder or glob, all of one format; IngestError otherwise."""
    path = Path(given).expanduser()
    if glob.has_magic(given):
        files = [Path(p) for p in sorted(glob.glob(given, recursive=True)) if Path(p).is_file()]
        if not files:
            raise IngestError(f"{what} {given}: no file matches")
    elif path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
        )
        files = [p for p in files if _kind(p) is not None]
        if not files:
            raise IngestError(f"{what} {given}: the folder holds no {EXPECTED} file")
    elif path.is_file():
        files = [path]
    else:
        raise IngestError(f"{what} {given}: no such file")
    kinds = set()
    for file in files:
        found = _kind(file)
        if found is None:
            raise IngestError(f"{what} {file}: cannot tell the format from the name (expected {EXPECTED})")
        if file.stat().st_size == 0:
            raise IngestError(f"{what} {file}: file is empty")
        kinds.add(found)
    if len(kinds) > 1:
        raise IngestError(f"{what} {given}: the files mix formats ({', '.join(sorted(k for k, _ in kinds))})")
    kind, compression = kinds.pop()
    if kind != "parquet" and path.is_dir():
        compression = "auto"
    resolved = tuple(Path(p).resolve() for p in files)
    return SourceFiles(given=given, files=resolved, kind=kind, compression=compression)


@dataclass(frozen=True)
class Staged:
    """A source as a relation `table` (aliased `s`) with the SQL that reads its rows' positions."""

    source: SourceFiles
    table: str
    columns: dict[str, str]  # the file's own columns and their DuckDB types
    rows: int
    pos: str  # 0-based position over all files, in (file, row) order
    file_index: str  # 0-based index of the row's file
    row_number: str  # 1-based row number within the file
    json_values: bool = False  # JSON sources: columns are items of a list of texts

    def col(self, name: str) -> str:
        if self.json_values:
            return f"s.__v[{list(self.columns).index(name) + 1}]"
        return f"s.{ident(name)}"

    def row_json(self) -> str:
        """The source row as JSON text (the line itself for JSON sources)."""
        if self.json_values:
            return "s.__json::varchar"
        fields = ", ".join(f"{ident(c)} := s.{ident(c)}" for c in self.columns)
        return f"to_json(struct_pack({fields}))::varchar"


def _file_list(source: SourceFiles) -> str:
    return "[" + ", ".join(quote_literal(str(f)) for f in source.files) + "]"


def stage(con: duckdb.DuckDBPyConnection, source: SourceFiles, name: str) -> Staged:
    """Make `source` readable; IngestError when a file cannot be read at all."""
    try:
        if source.kind == "parquet":
            return _parquet(con, source)
        return _copied(con, source, name)
    except duckdb.Error as exc:
        raise IngestError(f"{source.label}: cannot read as {source.kind}: {one_line(exc)}") from None


def _describe(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f"describe select * from {relation}").fetchall()}


def _parquet(con: duckdb.DuckDBPyConnection, source: SourceFiles) -> Staged:
    files = _file_list(source)
    table = (
        f"read_parquet({files}, filename = '__file', file_row_number = true, "
        "union_by_name = true, hive_partitioning = false)"
    )
    columns = {c: t for c, t in _describe(con, table).items() if c not in ("__file", "file_row_number")}
    counts = dict(con.execute(f"select file_name, num_rows from parquet_file_metadata({files})").fetchall())
    sizes = [int(counts[str(f)]) for f in source.files]
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    file_sql = f"list_position({files}, s.__file) - 1"
    file_index = "0" if len(source.files) == 1 else f"({file_sql})"
    pos = (
        "s.file_row_number"
        if len(source.files) == 1
        else (f"s.file_row_number + ([{', '.join(map(str, starts))}])[{file_sql} + 1]")
    )
    return Staged(source, table, columns, sum(sizes), pos, file_index, "s.file_row_number + 1")


def _copied(con: duckdb.DuckDBPyConnection, source: SourceFiles, name: str) -> Staged:
    """CSV / JSON: copy each file, in order, into temp table `name`; positions are row ids."""
    raw = f"{name}_raw" if source.kind == "json" else name
    sizes: list[int] = []
    for index, file in enumerate(source.files):
        if source.kind == "csv":
            delim = csv_delimiter(file, source.compression)
            reader = (
                f"read_csv({quote_literal(str(file))}, header = true, all_varchar = true, skip = 0, "
                f"delim = {quote_literal(delim)}, quote = '\"', escape = '\"', comment = '', "
                f"compression = {quote_literal(source.compression)})"
            )
        else:
            reader = (
                f"(select json as __json from read_json_objects({quote_literal(str(file))}, format = 'auto', "
                f"compression = {quote_literal(source.compression)}))"
            )
        select = f"select {index}::integer as __file_index, * from {reader}"
        if index == 0:
            con.execute(f"create or replace temp table {raw} as {select}")
            header = list(_describe(con, raw))
        else:
            got = list(_describe(con, reader))
            if got != header[1:]:
                raise IngestError(f"{file}: its columns differ from those of {source.files[0]}")
            con.execute(f"insert into {raw} {select}")
        sizes.append(one_row(con, f"select count(*) from {raw} where __file_index = {index}")[0])
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    offsets = f"([{', '.join(map(str, starts))}])[s.__file_index + 1]"
    row_number = "s.rowid + 1" if len(sizes) == 1 else f"s.rowid - {offsets} + 1"
    if source.kind == "csv":
        columns = {c: t for c, t in _describe(con, raw).items() if c != "__file_index"}
        return Staged(source, raw, columns, sum(sizes), "s.rowid", "s.__file_index", row_number)
    return _json_values(con, source, raw, name, sizes, row_number)


def _json_values(
    con: duckdb.DuckDBPyConnection,
    source: SourceFiles,
    raw: str,
    name: str,
    sizes: list[int],
    row_number: str,
) -> Staged:
    """JSON lines: the keys seen in any object are the columns; each row's values as one list."""
    keys = [
        r[0]
        for r in con.execute(
            f"select k from (select unnest(json_keys(__json)) as k, rowid as r from {raw} "
            "where json_type(__json) = 'OBJECT') group by k order by min(r), k"
        ).fetchall()
    ]
    paths = "[" + ", ".join(quote_literal("$." + ident(k)) for k in keys) + "]::varchar[]"
    values = f"json_extract_string(s.__json, {paths})" if keys else "[]::varchar[]"
    con.execute(
        f"create or replace temp table {name} as select s.rowid as __pos, s.__file_index, "
        f"{row_number} as __row, s.__json, {values} as __v from {raw} s"
    )
    con.execute(f"drop table {raw}")
    return Staged(
        source,
        name,
        dict.fromkeys(keys, "VARCHAR"),
        sum(sizes),
        "s.__pos",
        "s.__file_index",
        "s.__row",
        json_values=True,
    )
