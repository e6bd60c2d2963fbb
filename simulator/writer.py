"""Writes the simulator's tables into DuckDB, safely.

Chunks go into staging tables (`<schema>.__sim_staging_<table>`); only when every chunk is in does
one short transaction swap them in (a fresh run) or append them (--append). A failed or killed run
therefore leaves the previous tables untouched; its staging leftovers are dropped by the next run.
Chunks arrive as Arrow tables (dictionary-encoded strings) and are inserted via register + insert,
which is several times faster than building Python strings. `submit` hands a chunk to a background
thread that inserts in submission order, so DuckDB writes one batch (it releases the GIL) while the
simulator generates the next; at most `QUEUE_DEPTH` tables (a few batches) wait, so memory stays
bounded; the slack lets generation run on while DuckDB checkpoints. While the simulator generates,
DuckDB runs on one thread fewer than it would (one on two cores): generation owns a core, and an
insert thread more would only take turns with it; once generation is done (`drain`), the remaining
inserts get every thread again. DuckDB's thread count is per database instance, so it is restored
however the run ends.
"""

from __future__ import annotations

import queue
import threading

import duckdb
import pyarrow as pa

STAGING_PREFIX = "__sim_staging_"
MEMORY_LIMIT = "512MB"
QUEUE_DEPTH = 8  # tables waiting for the background insert thread (4 batches of plays + truth)

SCHEMAS: dict[str, str] = {
    "raw.users": """
        user_id BIGINT, signed_up_at TIMESTAMP, country VARCHAR, device VARCHAR, plan VARCHAR
    """,
    "raw.viewing_events": """
        event_id BIGINT, user_id BIGINT, anime_id VARCHAR, episode_number INTEGER,
        started_at TIMESTAMP, watched_seconds INTEGER, episode_duration_seconds INTEGER,
        device VARCHAR
    """,
    "sim.event_truth": """
        event_id BIGINT, p_continue DOUBLE, will_continue BOOLEAN, interest DOUBLE,
        logit_base FLOAT, logit_episode FLOAT, logit_title FLOAT, logit_engagement FLOAT,
        logit_affinity FLOAT, logit_completion FLOAT, logit_fatigue FLOAT, logit_recency FLOAT,
        is_resumed_piece BOOLEAN, is_rewatch BOOLEAN, skipped_episodes INTEGER
    """,
    "sim.user_truth": """
        user_id BIGINT, engagement DOUBLE, binge_propensity DOUBLE, daily_budget_minutes DOUBLE,
        preferred_hour DOUBLE, taste_top_tags VARCHAR[], is_never_watcher BOOLEAN,
        titles_started INTEGER, dormant_spells INTEGER, last_dormant_at TIMESTAMP,
        is_dormant_at_window_end BOOLEAN
    """,
    "sim.run": """
        run_id INTEGER, mode VARCHAR, seed BIGINT, population BIGINT, config_json VARCHAR,
        window_start TIMESTAMP, window_end TIMESTAMP, previous_window_end TIMESTAMP,
        n_users BIGINT, n_events BIGINT, n_titles INTEGER, created_at TIMESTAMP
    """,
}
# Tables that --append extends; the others are replaced (user truth is "as of the window end").
APPENDED = ("raw.users", "raw.viewing_events", "sim.event_truth")


def staging(table: str) -> str:
    schema, name = table.split(".")
    return f"{schema}.{STAGING_PREFIX}{name}"


class Writer:
    """Stages chunks, then commits them in one transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection, append: bool) -> None:
        self.con = con
        self.append = append
        # Bound DuckDB's buffer pool: staging data spills to the file, so peak RSS stays flat.
        con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
        [(threads,)] = con.execute("select current_setting('threads')").fetchall()
        self._threads: int | None = int(threads)
        con.execute(f"set threads = {max(1, self._threads - 1)}")
        self._generating = True  # cleared by drain: the worker then gives DuckDB every thread
        con.execute("create schema if not exists raw")
        con.execute("create schema if not exists sim")
        for table, columns in SCHEMAS.items():
            con.execute(f"create or replace table {staging(table)} ({columns})")
        self._queue: queue.Queue[tuple[str, pa.Table] | None] = queue.Queue(QUEUE_DEPTH)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None  # first failed insert (stays set)
        self._raised = False

    def submit(self, table: str, data: pa.Table) -> None:
        """Insert `data` on the background thread (after every earlier submit); raises the
        error of an earlier insert that failed. `drain` waits for them all."""
        self._raise_failure()
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="simulator-writer", daemon=True)
            self._thread.start()
        self._queue.put((table, data))

    def drain(self) -> None:
        """Wait until every submitted insert is done; raise the first insert error, if any."""
        self._generating = False
        self._join()
        try:
            self._raise_failure()
        finally:
            self._restore_threads()

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None:  # after a failure, only drain the queue
                try:
                    if not self._generating:
                        self._restore_threads()
                    self.insert(*item)
                except BaseException as exc:
                    self._error = exc

    def _join(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _restore_threads(self) -> None:
        """Give DuckDB its thread count back (only from the thread that owns the connection).

        A failure here means the database is already unusable: the error that made it so is the
        one to report, so this one is dropped.
        """
        threads, self._threads = self._threads, None
        if threads is not None:
            try:
                self.con.execute(f"set threads = {threads}")
            except duckdb.Error:
                pass

    def _raise_failure(self) -> None:
        if self._error is not None and not self._raised:
            self._raised = True
            raise self._error

    def insert(self, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        self.con.register("__sim_chunk", data)
        try:
            names = ", ".join(data.column_names)
            self.con.execute(f"insert into {staging(table)} ({names}) select {names} from __sim_chunk")
        finally:
            self.con.unregister("__sim_chunk")

    def commit(self) -> None:
        self.drain()
        con = self.con
        con.execute("begin transaction")
        try:
            for table in SCHEMAS:
                exists = _exists(con, table)
                if self.append and exists and (table in APPENDED or table == "sim.run"):
                    con.execute(f"insert into {table} select * from {staging(table)}")
                    con.execute(f"drop table {staging(table)}")
                else:
                    con.execute(f"drop table if exists {table}")
                    con.execute(f"alter table {staging(table)} rename to {table.split('.')[1]}")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise

    def abandon(self) -> None:
        """Drop the staging tables (after a failure); the published tables are untouched."""
        self._join()  # the connection is the background thread's until it has stopped
        try:
            self._restore_threads()
        finally:
            drop_staging(self.con)


def drop_staging(con: duckdb.DuckDBPyConnection) -> None:
    for table in SCHEMAS:
        con.execute(f"drop table if exists {staging(table)}")


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()[0]
    return bool(row and row[0])
