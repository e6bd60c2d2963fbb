"""Simulator throughput and memory, next to the machine's raw DuckDB write limit.

    python -m bench.bench_simulator [--sizes 1e6,1e7] [--warehouse PATH]

For each target size the simulator runs end to end (catalogue read, generation, DuckDB write) in a
fresh subprocess, so its peak RSS is its own. The raw limit generates random columns of the same
count and types as what the simulator writes (raw.viewing_events + sim.event_truth) and inserts
them the same way (Arrow, register + insert). Figures only; nothing is asserted.

On a shared machine wall-clock rates move with the load; the CPU seconds of both sides (all
threads) and their ratio are printed too, as a steadier comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pipeline import commands
from simulator.titles import CATALOGUE_MARTS
from warehouse import REPO_ROOT, warehouse_path

DAYS = 60
PILOT_USERS = 2000
CORES = os.cpu_count() or 1

# Modules are imported before the clock starts, as the raw limit's are: interpreter start-up is
# not generation or writing.
_CHILD = """
import json, resource, sys, time
import duckdb, numpy, pyarrow, tqdm
import simulator.run
from simulator.cli import main
t = time.perf_counter()
rc = main(sys.argv[1:])
wall = time.perf_counter() - t
use = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"rc": rc, "wall": wall, "cpu": use.ru_utime + use.ru_stime,
                  "maxrss_mb": use.ru_maxrss / 1024}))
"""


# Generation alone: the same users and pool, events handed to a no-op instead of DuckDB.
_GENERATE_ONLY = """
import datetime as dt, json, sys, time
import duckdb
from simulator.config import load_config
from simulator.clock import DAY, Window
from simulator.population import signed_up_batches
from simulator.progression import POOL_USERS, simulate
from simulator.titles import load_catalogue
db, users, days = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
con = duckdb.connect(db, read_only=True)
cfg = load_config()
start = dt.date(2026, 1, 1)
cat = load_catalogue(con, db, cfg, 42, start.year)
window = Window(end=days * DAY, start_weekday=start.weekday())
n = 0
def emit(ev):
    global n
    n += len(ev["event_id"])
t, c = time.perf_counter(), time.process_time()
batches = (u for _, u in signed_up_batches(users, POOL_USERS, cfg, cat, 42, window.end))
simulate(batches, cat, cfg, window, emit, lambda users, truth: None)
print(json.dumps({"plays": n, "wall": time.perf_counter() - t, "cpu": time.process_time() - c}))
"""


def _generate_only(db: Path, users: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _GENERATE_ONLY, str(db), str(users), str(DAYS)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _catalogue_copy(source: Path, target: Path) -> None:
    """A fresh DuckDB holding only the catalogue marts the simulator reads."""
    con = duckdb.connect(str(target))
    try:
        con.execute(f"attach '{source}' as src (read_only)")
        con.execute("create schema marts")
        for name in CATALOGUE_MARTS:
            con.execute(f"create table marts.{name} as select * from src.marts.{name}")
        con.execute("detach src")
    finally:
        con.close()


def _simulate(db: Path, users: int) -> tuple[int, dict]:
    args = ["--users", str(users), "--days", str(DAYS), "--warehouse", str(db), "--no-progress"]
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    stats = json.loads(out.stdout.strip().splitlines()[-1])
    con = duckdb.connect(str(db), read_only=True)
    try:
        plays = con.execute("select count(*) from raw.viewing_events").fetchall()[0][0]
    finally:
        con.close()
    return int(plays), stats


def raw_limit(n: int, db: Path, batch: int = 500_000) -> tuple[float, float]:
    """Rows/s and CPU seconds for generating and writing random columns shaped like the
    simulator's output."""
    from simulator.writer import SCHEMAS

    con = duckdb.connect(str(db))
    rng = np.random.default_rng(0)
    names = pa.array([f"mal-{i}" for i in range(3500)])
    devices = pa.array(["tv", "mobile", "desktop", "tablet"])
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        con.execute("create schema raw; create schema sim")
        for table in ("raw.viewing_events", "sim.event_truth"):
            con.execute(f"create table {table} ({SCHEMAS[table]})")
        for lo in range(0, n, batch):
            m = min(batch, n - lo)
            ids = np.arange(lo, lo + m, dtype=np.int64)
            starts = np.datetime64("2026-01-01", "us") + rng.integers(0, 5 * 10**12, m).astype(
                "timedelta64[us]"
            )
            events = pa.table(
                {
                    "event_id": ids,
                    "user_id": rng.integers(0, 10**6, m),
                    "anime_id": pa.DictionaryArray.from_arrays(
                        pa.array(rng.integers(0, 3500, m).astype(np.int32)), names
                    ),
                    "episode_number": rng.integers(1, 50, m).astype(np.int32),
                    "started_at": starts,
                    "watched_seconds": rng.integers(1, 1440, m).astype(np.int32),
                    "episode_duration_seconds": rng.integers(1, 1440, m).astype(np.int32),
                    "device": pa.DictionaryArray.from_arrays(
                        pa.array(rng.integers(0, 4, m).astype(np.int32)), devices
                    ),
                }
            )
            truth = {
                "event_id": ids,
                "p_continue": rng.random(m),
                "will_continue": rng.random(m) < 0.9,
                "interest": rng.random(m),
            }
            for k in range(8):
                truth[f"c{k}"] = rng.random(m, dtype=np.float32)
            # the real-log shapes the truth records (resumed pieces, rewatches, skips)
            truth["is_resumed_piece"] = rng.random(m) < 0.05
            truth["is_rewatch"] = rng.random(m) < 0.03
            truth["skipped_episodes"] = rng.integers(0, 2, m).astype(np.int32)
            truth_table = pa.table(truth)
            for table, data in (("raw.viewing_events", events), ("sim.event_truth", truth_table)):
                con.register("chunk", data)
                con.execute(f"insert into {table} select * from chunk")
                con.unregister("chunk")
    finally:
        con.close()
    return n / (time.perf_counter() - t0), time.process_time() - c0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.bench_simulator")
    p.add_argument("--sizes", default="1e6,1e7", help="target plays, comma separated")
    p.add_argument(
        "--warehouse",
        type=Path,
        help="where to read the catalogue marts from (default: the project's warehouse, or, when it"
        " has none, a catalogue built here from the embedded sample)",
    )
    args = p.parse_args(argv)
    sizes = [int(float(s)) for s in args.sizes.split(",") if s]
    source = warehouse_path(args.warehouse)
    with tempfile.TemporaryDirectory(prefix="bench_sim_") as tmp:
        work = Path(tmp)
        catalogue = work / "catalogue.duckdb"
        if args.warehouse is None and not source.exists():
            # a fresh clone: build the catalogue as `make catalog` would, in the work folder
            print("  no warehouse yet: building the catalogue (ingest + dbt tag:catalog) ...", flush=True)
            source = work / "built.duckdb"
            commands.build_catalog(source)
        try:
            _catalogue_copy(source, catalogue)
        except duckdb.Error as exc:
            print(f"error: cannot read the catalogue marts from {source}: {exc}", file=sys.stderr)
            print("run `make catalog` first", file=sys.stderr)
            return 1
        pilot = work / "pilot.duckdb"
        pilot.write_bytes(catalogue.read_bytes())
        plays, _ = _simulate(pilot, PILOT_USERS)
        per_user = plays / PILOT_USERS
        print(f"simulator bench: {DAYS}-day window, {per_user:.1f} plays per user (pilot)")
        header = (
            f"{'target':>10} {'users':>9} {'plays':>11} {'wall s':>7} {'plays/s':>11} "
            f"{'raw rows/s':>11} {'ratio':>6} {'peak MB':>8} {'cpu s':>6} {'raw cpu s':>9} {'cpu ratio':>9} "
            f"{'gen plays/s':>11} {'gen cpu s':>9} {'bound 1t':>8} {'bound all':>9}"
        )
        print(header)
        for size in sizes:
            users = max(1, round(size / per_user))
            db = work / f"sim_{size}.duckdb"
            db.write_bytes(catalogue.read_bytes())
            plays, stats = _simulate(db, users)
            db.unlink()
            gen = _generate_only(catalogue, users)
            rate = plays / stats["wall"]
            limit, limit_cpu = raw_limit(plays, work / f"raw_{size}.duckdb")
            (work / f"raw_{size}.duckdb").unlink()
            raw_wall = plays / limit
            print(
                f"{size:>10.0e} {users:>9,} {plays:>11,} {stats['wall']:>7.1f} {rate:>11,.0f} "
                f"{limit:>11,.0f} {rate / limit:>6.0%} {stats['maxrss_mb']:>8,.0f} {stats['cpu']:>6.1f} "
                f"{limit_cpu:>9.1f} {limit_cpu / stats['cpu']:>9.0%} "
                f"{gen['plays'] / gen['wall']:>11,.0f} {gen['cpu']:>9.1f} "
                f"{min(1.0, raw_wall / gen['wall']):>8.0%} "
                f"{min(1.0, raw_wall * CORES / (limit_cpu + gen['cpu'])):>9.0%}"
            )
        print(
            "plays/s: end to end (catalogue read + generation + DuckDB write of raw.viewing_events"
            " and sim.event_truth, users too); raw: random columns of the same shape, same writer;"
            " cpu: CPU seconds of each side (the simulator's include its imports and catalogue read),"
            " cpu ratio = raw cpu / simulator cpu for the same rows. gen: generation alone (same users,"
            " events dropped instead of written). Upper bounds on the ratio: bound 1t = raw wall /"
            " generation wall (generation runs on one thread, so the run can never be faster);"
            f" bound all = raw wall x {CORES} cores / (raw cpu + gen cpu) (every core kept busy with"
            " generating and writing, nothing else)."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
