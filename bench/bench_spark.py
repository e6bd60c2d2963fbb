"""The whole dbt project (catalogue and engagement, without the ML outputs) built on Spark and on
DuckDB from the same log, one run each.

Prints, for one simulated log (default the `make run` size, about 1M plays):

- DuckDB: the full `dbt build`;
- Spark (`--target spark`, a local session, `local[2]`): the lake export and its registration, then
  the build split in three commands: start-up (a `dbt run-operation` that runs one query: the
  interpreter, the JVM, the Spark session and the metastore), `dbt run --full-refresh` (models) and
  `dbt test` (data and unit tests), each with its start-up included, and the sum;
- the peak resident memory of Spark's JVM over those commands (read from /proc while they run).

Figures only, never checked. Needs the spark extra and Java (`make venv-spark`).

    python -m bench.bench_spark                   # 20,000 users x 60 days
    python -m bench.bench_spark --users 2000      # a quick run
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from bench import load_average, machine
from pipeline import commands
from warehouse.sql import one_row

BUILD = ("--exclude", "tag:ml_outputs", "--quiet")


class JvmPeak:
    """The largest VmHWM (peak resident set) of any java process seen while running."""

    def __init__(self) -> None:
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.wait(0.5):
            for status in Path("/proc").glob("[0-9]*/status"):
                try:
                    text = status.read_text()
                except OSError:
                    continue
                if "\nName:\tjava\n" not in f"\n{text}":
                    continue
                for line in text.splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak_kib = max(self.peak_kib, int(line.split()[1]))

    def __enter__(self) -> JvmPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _timed(fn: Callable[[], object]) -> float:
    os.sync()
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run(users: int, days: int, work: Path) -> None:
    duck, spark_home = work / "warehouse.duckdb", work / "spark"
    print(f"  simulating {users:,} users x {days} days ...", flush=True)
    commands.build_catalog(duck)
    commands.simulate(duck, "--users", str(users), "--days", str(days), "--no-progress")
    with duckdb.connect(str(duck), read_only=True) as con:
        (plays,) = one_row(con, "select count(*) from raw.viewing_events")
    print(f"== {plays:,} plays; load {load_average()}", flush=True)

    duck_build = _timed(lambda: commands.dbt(duck, "build", "--full-refresh", *BUILD))
    print(f"  DuckDB  dbt build                    {duck_build:7.1f} s", flush=True)

    lake = _timed(
        lambda: commands.run_stage(
            commands.python("-m", "warehouse.lake", "--register-spark"), duck, spark_home=spark_home
        )
    )
    print(f"  Spark   lake export + registration   {lake:7.1f} s", flush=True)
    with JvmPeak() as peak:
        startup = _timed(
            lambda: commands.dbt_spark(
                "run-operation", "spark_session_ready", "--quiet", spark_home=spark_home
            )
        )
        print(f"  Spark   start-up (one query)         {startup:7.1f} s", flush=True)
        models = _timed(lambda: commands.dbt_spark("run", "--full-refresh", *BUILD, spark_home=spark_home))
        print(f"  Spark   dbt run --full-refresh       {models:7.1f} s (models + start-up)", flush=True)
        tests = _timed(lambda: commands.dbt_spark("test", *BUILD, spark_home=spark_home))
        print(f"  Spark   dbt test                     {tests:7.1f} s (tests + start-up)", flush=True)
    spark_build = models + tests
    print(
        f"  Spark   run + test                   {spark_build:7.1f} s = {spark_build / duck_build:.1f}x "
        f"DuckDB's build; without two start-ups {spark_build - 2 * startup:.1f} s "
        f"(models {models - startup:.1f} s, tests {tests - startup:.1f} s)"
    )
    print(f"  Spark   JVM peak resident memory     {peak.peak_kib / 1024 / 1024:7.2f} GiB")
    packages = ("dbt-core", "dbt-duckdb", "duckdb", "dbt-spark", "pyspark")
    print(f"  machine: {machine(packages)}; load at end {load_average()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_spark", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one)")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("pyspark") is None:
        print("  skipped: needs the spark extra and Java (make venv-spark)")
        return 0
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args.users, args.days, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-spark-") as work:
            run(args.users, args.days, Path(work))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
