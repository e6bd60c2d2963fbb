"""A failed run leaves the previous tables intact and no staging tables behind."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas.testing as pdt
import pyarrow as pa
import pytest

from simulator import writer
from tests.simulator.conftest import simulate, table


def _tables(path: Path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema in ('raw', 'sim') order by 1"
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


@pytest.mark.parametrize("append", [False, True])
def test_failure_mid_run_keeps_previous_tables(
    append: bool, tiny_warehouse: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tiny_warehouse("w")
    simulate(path, users=200, days=20)
    before = {n: table(path, n, "1, 2") for n in ("raw.viewing_events", "raw.users", "sim.run")}
    names_before = _tables(path)

    calls = {"n": 0}
    original = writer.Writer.insert

    def failing(self: writer.Writer, name: str, data: pa.Table) -> None:
        calls["n"] += 1
        if calls["n"] > 3:
            raise RuntimeError("disk on fire")
        original(self, name, data)

    monkeypatch.setattr(writer.Writer, "insert", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        simulate(path, users=200, days=27 if append else 20, seed=7, chunk_users=50, append=append)
    for name, frame in before.items():
        pdt.assert_frame_equal(table(path, name, "1, 2"), frame)
    assert _tables(path) == names_before  # staging tables dropped


def test_leftover_staging_from_a_killed_run_is_cleared(
    tiny_warehouse: Callable[[str], Path],
) -> None:
    path = tiny_warehouse("w")
    con = duckdb.connect(str(path))
    con.execute("create schema raw; create table raw.__sim_staging_users (x int)")
    con.close()
    simulate(path, users=50, days=10)
    assert "raw.__sim_staging_users" not in _tables(path)
    assert "raw.users" in _tables(path)


def _threads(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("select current_setting('threads')").fetchall()[0][0])


@pytest.mark.parametrize("ending", ["commit", "insert fails", "abandon"])
def test_writer_gives_duckdb_its_threads_back(tmp_path: Path, ending: str) -> None:
    """DuckDB runs one thread fewer while the simulator generates; the setting is per database
    instance, so every way a run ends must restore it (another connection sees it)."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("set threads = 3")
    other = con.cursor()
    w = writer.Writer(con, append=False)
    assert _threads(other) == 2
    events = pa.table({"event_id": pa.array([1, 2], pa.int64())})
    if ending == "insert fails":
        w.submit("raw.viewing_events", pa.table({"no_such_column": pa.array([1])}))
        with pytest.raises(duckdb.Error):
            w.drain()
    elif ending == "abandon":
        w.submit("raw.viewing_events", events)
        w.abandon()
    else:
        w.submit("raw.viewing_events", events)
        w.commit()
        assert con.execute("select count(*) from raw.viewing_events").fetchall()[0][0] == 2
    assert _threads(other) == 3
    con.close()
