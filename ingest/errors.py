"""The one exception type the ingest CLI turns into a single error line, and how it is printed."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb


class IngestError(Exception):
    """A user-facing problem with the input: printed as one line, exit code 2."""


def first_line(exc: BaseException) -> str:
    """The first line of an error's text (DuckDB's run to several), or its type when it has none."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def report(exc: IngestError | duckdb.Error, warehouse: Path) -> int:
    """Print a failed load as one `error:` line on stderr; the CLI's exit code (2)."""
    if isinstance(exc, IngestError):
        print(f"error: {exc}", file=sys.stderr)
    else:
        print(f"error: warehouse {warehouse}: {first_line(exc)}", file=sys.stderr)
    return 2
