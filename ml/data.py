"""Read `marts.ml_features` (read-only) into index-aligned NumPy arrays, one object per split.

The split is decided here, when a run reads the mart: the cutoff is the SPLIT_QUANTILE (discrete)
of started_at over the mart's labelled rows, computed in DuckDB; plays starting before it are
train, the rest validation. The run stores the cutoff (`ml.model_runs.split_cutoff_at`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

from ml.features import (
    FEATURE_TABLE,
    FEATURES,
    KEYS,
    LABEL,
    SPLIT_QUANTILE,
    SPLIT_TIME,
    TRAIN,
    VALIDATION,
)
from warehouse.sql import first_line, table_exists


class MLInputError(Exception):
    """A problem with the input that the user fixes by running something (printed as one line)."""


@dataclass(frozen=True)
class SplitData:
    """One split. Row i of every array is the same play (ordered by started_at, event_id)."""

    name: str
    X: np.ndarray  # float64, shape (n, len(FEATURES)); NaN where the feature is null
    y: np.ndarray  # int8 0/1, the label
    event_id: np.ndarray  # int64
    user_id: np.ndarray  # int64
    anime_id: np.ndarray  # object (str)
    started_at: np.ndarray  # datetime64[us]

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    def feature(self, name: str) -> np.ndarray:
        return self.X[:, FEATURES.index(name)]

    @property
    def episode_number(self) -> np.ndarray:
        return self.feature("episode_number")

    def window(self) -> tuple[str | None, str | None]:
        if self.n == 0:
            return None, None
        return str(self.started_at.min()), str(self.started_at.max())


@dataclass(frozen=True)
class Splits:
    """The two splits of one read and the cutoff between them."""

    train: SplitData
    validation: SplitData
    #: The first instant of validation: every train play starts before it, every validation play
    #: at or after it.
    split_cutoff_at: dt.datetime


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse, or a one-line MLInputError."""
    if not path.exists():
        raise MLInputError(f"no warehouse at {path}: run `make run` (or `make build`) first")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        why = first_line(exc)
        raise MLInputError(f"cannot open {path} read-only (is a writer running?): {why}") from None


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return {r[0] for r in rows}


def check_feature_mart(con: duckdb.DuckDBPyConnection) -> None:
    """Raise a one-line MLInputError unless marts.ml_features exists with every contract column."""
    schema, table = FEATURE_TABLE
    if not table_exists(con, schema, table):
        raise MLInputError(
            f"{schema}.{table} not found in the warehouse: run `make build` "
            "(dbt builds the feature mart) first"
        )
    missing = [c for c in (*KEYS, LABEL, *FEATURES) if c not in _columns(con, schema, table)]
    if missing:
        raise MLInputError(
            f"{schema}.{table} lacks contract column(s) {', '.join(missing)}: rebuild it with `make build`"
        )


def split_cutoff(con: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    """The cutoff: the SPLIT_QUANTILE (discrete) of started_at over the mart's labelled rows.

    A discrete quantile is a start time some play has, so validation is never empty when the mart
    has rows; train is empty when no play starts before it (too few distinct start times).
    None for a mart without labelled rows.
    """
    schema, table = FEATURE_TABLE
    (cutoff,) = con.execute(
        f"select quantile_disc({SPLIT_TIME}, {SPLIT_QUANTILE}) from {schema}.{table} "
        f"where {LABEL} is not null"
    ).fetchall()[0]
    return cutoff


def _read_split(con: duckdb.DuckDBPyConnection, split: str, cutoff: dt.datetime) -> SplitData:
    schema, table = FEATURE_TABLE
    feats = ",\n    ".join(f"cast({f} as double) as {f}" for f in FEATURES)
    side = "<" if split == TRAIN else ">="
    sql = f"""
select
    event_id, user_id, anime_id, started_at,
    cast({LABEL} as tinyint) as label,
    {feats}
from {schema}.{table}
where {SPLIT_TIME} {side} $cutoff and {LABEL} is not null
order by started_at, event_id
"""
    tbl = con.sql(sql, params={"cutoff": cutoff}).to_arrow_table()

    def col(name: str) -> np.ndarray:
        return tbl.column(name).to_numpy(zero_copy_only=False)

    n = tbl.num_rows
    X = np.empty((n, len(FEATURES)), dtype=np.float64)
    for j, f in enumerate(FEATURES):
        X[:, j] = col(f)
    return SplitData(
        name=split,
        X=X,
        y=col("label").astype(np.int8),
        event_id=col("event_id").astype(np.int64),
        user_id=col("user_id").astype(np.int64),
        anime_id=col("anime_id").astype(object),
        started_at=col("started_at").astype("datetime64[us]"),
    )


def load_splits(con: duckdb.DuckDBPyConnection) -> Splits:
    """Train and validation by time, and their cutoff; one-line errors for a missing mart, no
    labelled rows, an empty split (too few distinct start times), one class."""
    check_feature_mart(con)
    schema, table = FEATURE_TABLE
    cutoff = split_cutoff(con)
    if cutoff is None:
        raise MLInputError(
            f"{schema}.{table} has no labelled rows: simulate more days or rebuild with `make build`"
        )
    out = []
    for split in (TRAIN, VALIDATION):
        data = _read_split(con, split, cutoff)
        if data.n == 0:
            where = "before" if split == TRAIN else "at or after"
            raise MLInputError(
                f"{schema}.{table} has no labelled '{split}' rows: no play starts {where} the "
                f"validation cutoff {cutoff} (the {SPLIT_QUANTILE:.0%} quantile of {SPLIT_TIME}); "
                "simulate more days or rebuild with `make build`"
            )
        positives = int(data.y.sum())
        if positives in (0, data.n):
            only = "true" if positives else "false"
            raise MLInputError(
                f"the '{split}' split of {schema}.{table} has one class only "
                f"({LABEL} is always {only} in {data.n} rows): cannot train or evaluate"
            )
        out.append(data)
    return Splits(train=out[0], validation=out[1], split_cutoff_at=cutoff)
