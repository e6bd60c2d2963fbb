"""The one exception type the ingest CLI turns into a single error line, and how it is printed.

`first_line` (an error's first line) is `warehouse.sql.first_line`, importable from here too.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from warehouse.sql import first_line

__all__ = ["IngestError", "first_line", "report"]


class IngestError(Exception):
    """A user-facing problem with the input: printed as one line, exit code 2."""


def report(exc: IngestError | duckdb.Error, warehouse: Path) -> int:
    """Print a failed load as one `error:` line on stderr; the CLI's exit code (2)."""
    if isinstance(exc, IngestError):
        print(f"error: {exc}", file=sys.stderr)
    else:
        print(f"error: warehouse {warehouse}: {first_line(exc)}", file=sys.stderr)
    return 2
