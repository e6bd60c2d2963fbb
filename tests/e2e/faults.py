"""Kill a pipeline stage with SIGKILL at random moments and check what it leaves behind."""

from __future__ import annotations

import random
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline import commands
from warehouse.sql import table_exists


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
            if not table_exists(con, schema, name):
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
class KillAttempt:
    """One start of the command: when the kill was due and what happened."""

    due_seconds: float  # delay after the start at which the SIGKILL was due
    window_seconds: float  # the run length the delay was drawn from (a fraction of it)
    killed: bool  # True only when the process was still running and died of the SIGKILL
    ran_seconds: float | None = None  # when it finished first: how long the whole run took


@dataclass
class KillReport:
    kills: int = 0
    finished_before_kill: int = 0
    states: list[Hashable] = field(default_factory=list)
    attempts: list[KillAttempt] = field(default_factory=list)

    def summary(self) -> str:
        due = ", ".join(
            f"{a.due_seconds:.2f}/{a.window_seconds:.2f}s"
            + ("" if a.killed else f" (ran {a.ran_seconds:.2f}s)")
            for a in self.attempts
        )
        return (
            f"{self.kills} kills in {len(self.attempts)} attempts "
            f"({self.finished_before_kill} finished first); kill due at/window: {due}"
        )


# Kill moments are drawn from this part of the run (fractions of the last observed run length).
KILL_FRACTIONS = (0.05, 0.95)
# After a run that finished first, each further consecutive miss shrinks the window by this factor.
SHRINK_AFTER_MISS = 0.6


def kill_repeatedly(
    command: Sequence[str],
    warehouse: Path,
    *,
    times: int,
    window_seconds: float,
    state: Callable[[], Hashable],
    seed: int = 0,
    max_attempts: int | None = None,
) -> KillReport:
    """Start `command` until it has been SIGKILLed `times` times, recording the warehouse state
    after every attempt (a kill or a run that finished first).

    How kill moments are chosen: each attempt draws a fraction uniformly in `KILL_FRACTIONS`
    (5-95 %) of the current window and kills the process that long after its start, so the kills
    are spread over the whole run (start-up, compute, the final write) rather than bunched at
    start-up. The window starts as `window_seconds` (one timed run, from `timed_run`). A machine
    that is faster or less loaded now than during that run can finish before the kill is due:
    such an attempt is not counted as a kill (`finished_before_kill`); the window becomes the
    run length just observed, and every further consecutive miss shrinks it by
    `SHRINK_AFTER_MISS`, so the next kill is due well inside a run of the current speed.

    A kill is counted only when it really happened: the process was still running when the kill
    was due (`wait` timed out) and its exit status is death by SIGKILL. Any other exit status
    than 0 or SIGKILL raises (the stage itself failed). At most `max_attempts` starts (default
    3 * `times`) are made, so this never hangs; the caller asserts `kills == times`.
    """
    rng = random.Random(seed)
    report = KillReport()
    window = window_seconds
    misses = 0  # consecutive runs that finished before their kill was due
    budget = 3 * times if max_attempts is None else max_attempts
    while report.kills < times and len(report.attempts) < budget:
        current = window * SHRINK_AFTER_MISS ** max(0, misses - 1)
        due = rng.uniform(*KILL_FRACTIONS) * current
        with tempfile.TemporaryFile() as stderr:
            process = subprocess.Popen(
                list(command),
                cwd=commands.REPO_ROOT,
                env=commands.stage_env(warehouse),
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
            started = time.perf_counter()
            try:
                process.wait(timeout=due)  # returns early, at once, if the run finishes first
                ran: float | None = time.perf_counter() - started
            except subprocess.TimeoutExpired:
                process.kill()  # a no-op when it exited in the meantime (poll sees it first)
                process.wait()
                ran = None
            returncode = process.returncode
            if returncode not in (0, -signal.SIGKILL):
                stderr.seek(0)
                message = stderr.read().decode(errors="replace")[-4000:]
                raise RuntimeError(f"{' '.join(command)} exited {returncode}\n--- stderr ---\n{message}")
        killed = returncode == -signal.SIGKILL
        if killed:
            report.kills += 1
            misses = 0
        else:
            # Finished before the kill was due (or between the timeout and the signal).
            report.finished_before_kill += 1
            misses += 1
            window = min(ran, due) if ran is not None else due  # the run ended by `due`
        report.attempts.append(KillAttempt(due, current, killed, None if killed else window))
        report.states.append(state())
    return report


def timed_run(command: Sequence[str], warehouse: Path) -> float:
    """Run to completion; the wall time sets the window in which kills land."""
    started = time.perf_counter()
    commands.run_stage(command, warehouse)
    return time.perf_counter() - started
