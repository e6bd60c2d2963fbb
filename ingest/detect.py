"""Work out how a catalogue file is compressed and laid out, from its bytes first and its name second.

The anime-offline-database release ships as `.json` (pretty or minified), `.jsonl` (metadata object on
line 1, one anime per following line) and zstd/gzip-compressed copies of both. The suffix can lie (a
renamed file), so the magic bytes decide and a disagreeing suffix only earns a note.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import zstandard

from ingest.errors import IngestError

Compression = Literal["none", "gzip", "zstd"]
Layout = Literal["document", "lines"]

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
PEEK_BYTES = 256 * 1024


@dataclass(frozen=True)
class SourceFormat:
    compression: Compression
    layout: Layout
    note: str | None = None


def _suffix_compression(path: Path) -> Compression:
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return "gzip"
    if suffix in {".zst", ".zstd"}:
        return "zstd"
    return "none"


def _peek_text(path: Path, compression: Compression) -> bytes:
    """The first PEEK_BYTES of the decompressed content."""
    try:
        with path.open("rb") as raw:
            if compression == "gzip":
                return gzip.GzipFile(fileobj=raw).read(PEEK_BYTES)
            if compression == "zstd":
                reader = zstandard.ZstdDecompressor().stream_reader(raw)
                return reader.read(PEEK_BYTES)
            return raw.read(PEEK_BYTES)
    except (OSError, EOFError, zlib.error, zstandard.ZstdError) as exc:
        raise IngestError(f"{path}: cannot decompress {compression} data ({exc})") from None


def detect_format(path: Path) -> SourceFormat:
    """Compression from magic bytes, layout from the first line; IngestError when neither fits."""
    if not path.exists():
        raise IngestError(f"{path}: no such file")
    if path.is_dir():
        raise IngestError(f"{path}: is a directory, expected a catalogue file")
    with path.open("rb") as raw:
        head = raw.read(4)
    if not head:
        raise IngestError(f"{path}: file is empty")

    compression: Compression = "none"
    if head.startswith(GZIP_MAGIC):
        compression = "gzip"
    elif head.startswith(ZSTD_MAGIC):
        compression = "zstd"
    named = _suffix_compression(path)
    note = None
    if named != compression:
        named_as = "uncompressed" if named == "none" else f"{named}-compressed"
        content = "uncompressed" if compression == "none" else compression
        note = f"{path.name} is named as {named_as} but its content is {content}: read as {content}"

    text = _peek_text(path, compression).lstrip(b"\xef\xbb\xbf").lstrip()
    if not text:
        raise IngestError(f"{path}: file is empty")
    first = text[:1]
    if first == b"[":
        raise IngestError(
            f"{path}: top-level JSON array; expected an anime-offline-database object with a `data` list"
        )
    if first != b"{":
        raise IngestError(f"{path}: not JSON (starts with {text[:16]!r})")
    return SourceFormat(compression=compression, layout=_layout(text), note=note)


def _layout(text: bytes) -> Layout:
    """`lines` when the first line is a complete JSON object followed by another object line."""
    newline = text.find(b"\n")
    if newline < 0:
        return "document"
    try:
        first_line = json.load(io.BytesIO(text[:newline]))
    except (ValueError, UnicodeDecodeError):
        return "document"
    if not isinstance(first_line, dict) or "data" in first_line:
        return "document"
    rest = text[newline + 1 :].lstrip()
    return "lines" if rest[:1] == b"{" else "document"
