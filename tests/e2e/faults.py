"""Kill a pipeline stage with SIGKILL at random moments and check what it leaves behind."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse import pipeline


def table_fingerprint(
    db: Path, tables: Sequence[str], exclude: Sequence[str] = (), where: dict[str, str] | None = None
) -> tuple:
    """(table, row count, content hash) per table; excluded columns (load times, run ids) ignored,
    and `where` optionally restricts a table to some rows (e.g. the latest model run).

    Opening read-write first also proves the file still opens (and replays its WAL) after a kill.
    """
    duckdb.connect(str(db)).close()
    con = duckdb.connect(str(db), read_only=True)
    try:
        result = []
        for table in tables:
            schema, name = table.split(".")
            exists = con.execute(
                "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchone()[0]
            if not exists:
                result.append((table, None, None))
                continue
            columns = [
                # DuckDB sums floats in parallel, so a mean can differ in its last bit between two
                # identical builds: compare floating-point values to 9 significant decimals.
                f'round("{column}", 9)' if data_type in ("DOUBLE", "FLOAT") else f'"{column}"'
                for column, data_type in con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, name],
                ).fetchall()
                if column not in exclude
            ]
            select_list = ", ".join(columns)
            count, digest = con.execute(
                f"select count(*), coalesce(sum(hash(row({select_list}))), 0) from {table} "
                f"where {(where or {}).get(table, 'true')}"
            ).fetchone()
            result.append((table, count, digest))
        return tuple(result)
    finally:
        con.close()


@dataclass
class KillReport:
    kills: int = 0
    finished_before_kill: int = 0
    states: list[Hashable] = field(default_factory=list)


def kill_repeatedly(
    command: Sequence[str],
    warehouse: Path,
    *,
    times: int,
    window_seconds: float,
    state: Callable[[], Hashable],
    seed: int = 0,
) -> KillReport:
    """Start `command` `times` times, SIGKILL each at a random moment within `window_seconds`,
    and record the warehouse state after each kill."""
    rng = random.Random(seed)
    report = KillReport()
    for _ in range(times):
        process = subprocess.Popen(
            list(command),
            cwd=pipeline.REPO_ROOT,
            env=pipeline.stage_env(warehouse),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.05, window_seconds))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            report.kills += 1
        else:
            report.finished_before_kill += 1
        process.wait()
        report.states.append(state())
    return report


def timed_run(command: Sequence[str], warehouse: Path) -> float:
    """Run to completion; the wall time sets the window in which kills land."""
    started = time.perf_counter()
    pipeline.run_stage(command, warehouse)
    return time.perf_counter() - started
