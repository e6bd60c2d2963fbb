"""SQL that reads one source column as text, a number or a UTC timestamp, whatever its file type.

CSV and JSON values are text; Parquet columns keep their types, so each reader picks the cheapest
expression for the column's type (a BIGINT user id needs no parsing). Every expression is null for
a missing value and for one it cannot parse; `present` tells the two apart for the reject reason.
Timestamps: text is cast to TIMESTAMPTZ under the session's TimeZone (set to the mapping's zone by
the caller), so a value with its own offset (`2026-10-03T21:15:00+09:00`, `...Z`) keeps it and a
naive one is read in the zone; typed TIMESTAMP columns are read in the zone, TIMESTAMPTZ as is.
"""

from __future__ import annotations

from ingest.errors import IngestError
from ingest.events.mapping import OptionalColumn, Zone
from ingest.events.sources import Staged
from warehouse.sql import quote_literal

INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
NUMBER_TYPES = INTEGER_TYPES | {"HUGEINT", "UHUGEINT", "FLOAT", "DOUBLE", "REAL"}
NAIVE_TIME_TYPES = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATE", "DATETIME"}
AWARE_TIME_TYPES = {"TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"}


def _is_number(type_: str) -> bool:
    return type_ in NUMBER_TYPES or type_.startswith("DECIMAL")


class Columns:
    """Typed readers of a staged source's columns; `where` names the source in errors."""

    def __init__(self, staged: Staged, where: str) -> None:
        self.staged = staged
        self.where = where

    def require(self, name: str, key: str) -> str:
        """The column's type; IngestError naming the mapping key when the file lacks it."""
        if name not in self.staged.columns:
            have = ", ".join(list(self.staged.columns)[:20])
            raise IngestError(f"{self.where}: no column {name!r} (mapping key {key}); the file has: {have}")
        return self.staged.columns[name]

    def optional(self, column: OptionalColumn, key: str) -> str | None:
        """The column's name when it is used: named in the mapping (must exist) or present by default."""
        if column.explicit:
            self.require(column.name, key)
            return column.name
        return column.name if column.name in self.staged.columns else None

    def raw(self, name: str) -> str:
        return self.staged.col(name)

    def present(self, name: str) -> str:
        """True when the value is there (not null, not blank text)."""
        value = self.raw(name)
        if self.staged.columns[name] == "VARCHAR":
            return f"(nullif(trim({value}), '') is not null)"
        return f"({value} is not null)"

    def text(self, name: str) -> str:
        value = self.raw(name)
        if self.staged.columns[name] == "VARCHAR":
            return f"nullif(trim({value}), '')"
        return f"nullif(trim(cast({value} as varchar)), '')"

    def is_integer_typed(self, name: str) -> bool:
        return self.staged.columns[name] in INTEGER_TYPES - {"UBIGINT"}

    def number(self, name: str, key: str) -> str:
        """A DOUBLE (null when unparsable or not finite)."""
        type_ = self.require(name, key)
        value = self.raw(name)
        if type_ in INTEGER_TYPES:
            return f"cast({value} as double)"
        if _is_number(type_):
            return f"(case when isfinite(cast({value} as double)) then cast({value} as double) end)"
        if type_ != "VARCHAR":
            raise IngestError(f"{self.where}: column {name!r} ({key}) is {type_}; expected numbers or text")
        parsed = f"try_cast(trim({value}) as double)"
        return f"(case when isfinite({parsed}) then {parsed} end)"

    def timestamp(self, name: str, key: str, zone: Zone) -> str:
        """A naive UTC TIMESTAMP (null when unparsable)."""
        type_ = self.require(name, key)
        value = self.raw(name)
        if type_ == "VARCHAR":
            return f"timezone('UTC', try_cast(trim({value}) as timestamptz))"
        if type_ in AWARE_TIME_TYPES:
            return f"timezone('UTC', {value})"
        if type_ in NAIVE_TIME_TYPES:
            naive = f"cast({value} as timestamp)"
            if zone.is_utc:
                return naive
            return f"timezone('UTC', timezone({quote_literal(zone.setting)}, {naive}))"
        raise IngestError(f"{self.where}: column {name!r} ({key}) is {type_}; expected timestamps or text")


def integral(number_sql: str) -> str:
    """An INTEGER when the DOUBLE is a whole number in INTEGER's range, else null."""
    return (
        f"(case when {number_sql} = floor({number_sql}) and {number_sql} between -2147483648 and 2147483647 "
        f"then cast({number_sql} as integer) end)"
    )
