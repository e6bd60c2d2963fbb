"""Bad input gives exit status 2 and one line on stderr naming the fix; never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from tests.ml.conftest import run_train_cli


def _sql(db: Path, sql: str) -> None:
    con = duckdb.connect(str(db))
    try:
        con.execute(sql)
    finally:
        con.close()


def _no_mart(db: Path) -> None:
    _sql(db, "drop table marts.ml_features")


def _one_class(db: Path) -> None:
    _sql(db, "update marts.ml_features set continued_next_episode = true")


def _no_rows(db: Path) -> None:
    _sql(db, "delete from marts.ml_features")


def _one_start_time(db: Path) -> None:
    # too few distinct start times for a cutoff: no play starts before the 80th percentile
    _sql(db, "update marts.ml_features set started_at = timestamp '2024-01-01 12:00:00'")


def _cutoff_at_the_first_start(db: Path) -> None:
    # 85% of the plays share the earliest start: the cutoff is that start, and no play precedes it
    _sql(
        db,
        "update marts.ml_features set started_at = (select min(started_at) from marts.ml_features) "
        "where event_id % 20 < 17",
    )


def _missing_column(db: Path) -> None:
    _sql(db, "alter table marts.ml_features drop column completion")


CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "no feature mart": (_no_mart, "run `make build`"),
    "one class": (_one_class, "one class only"),
    "empty mart": (_no_rows, "marts.ml_features has no labelled rows"),
    "empty split": (_one_start_time, "no labelled 'train' rows: no play starts before the validation cutoff"),
    "empty split, cutoff at the first start": (_cutoff_at_the_first_start, "no labelled 'train' rows"),
    "missing column": (_missing_column, "lacks contract column(s) completion"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_line_error(case: str, synth_copy: Path, tmp_path: Path) -> None:
    breaker, expected = CASES[case]
    breaker(synth_copy)
    result = run_train_cli("--warehouse", str(synth_copy), "--model-out", str(tmp_path / "m.pkl"))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "m.pkl").exists()


def test_missing_warehouse_file(tmp_path: Path) -> None:
    result = run_train_cli("--warehouse", str(tmp_path / "absent.duckdb"))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no warehouse" in result.stderr
    assert not (tmp_path / "absent.duckdb").exists()
