"""dbt engagement build against a floor, at growing log sizes.

For each size and history it simulates a warehouse and prints, in one run:

- the floor: one DuckDB pass that sorts the whole log (`raw.viewing_events`) by user and time and
  writes it as a table, with as many DuckDB threads as dbt's own connection reports; the median of
  a few repeats (all repeats printed). It is the least any build that reads every play in
  per-user order can cost on this machine, so the builds below are given as multiples of it;
- the full `dbt build` of the engagement selection (models and data tests of staging/events,
  intermediate, marts/engagement, marts/ml), on a fresh warehouse; goal <= 10x the floor at 10M;
- `dbt run -s +ml_features` (models only: everything upstream of ml_features, the work a
  feature pipeline in a dataframe library does), on a fresh copy of the same warehouse; goal
  <= 5x the floor;
- dbt's start-up with nothing to do: a `dbt build` whose selection matches no node, with the same
  target folder (so the same partial parse) as the builds; that is the interpreter, imports,
  project load and selection, which every build pays before its first query;
- the incremental build after the simulator appends 7 more days, as a share of the full build
  (aim <= 30% over a 180-day history), with the appended plays as a share of the log and the
  heaviest nodes of that build from target/run_results.json, which say what sets the share.

Goals and aims are printed beside the figures, never checked. Both builds are production builds:
unit tests check the SQL on fixed fixtures, not the data, so they run in development and CI (`make
test`); they are timed once on their own. Ends with a table to paste into a report and the
machine (CPU, cores, load average at start and end: a loaded run is visible as such).

    python -m bench.bench_dbt                              # 1M and 10M plays, 60 and 180 days
    python -m bench.bench_dbt --plays 1000000 --days 180   # one size, one history
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from bench import load_average, machine
from pipeline import commands
from warehouse.sql import one_row

DEFAULT_SIZES = (1_000_000, 10_000_000)
DEFAULT_DAYS = (60, 180)
SELECTION = (*commands.ENGAGEMENT_SELECTION, "--indirect-selection", "cautious")
PRODUCTION = ("--exclude-resource-type", "unit_test")
FLOOR_SQL = "create table floor as select * from wh.raw.viewing_events order by user_id, started_at, event_id"
NOTHING = ("-s", "tag:bench_selects_no_node")  # a selection that matches no node


@dataclass
class Row:
    plays: int
    days: int
    floor: float
    full: float
    features: float
    startup: float
    appended: float  # appended plays / plays before the append
    incremental: float


def _machine() -> str:
    return machine(("dbt-core", "dbt-duckdb", "duckdb"))


def _count(db: Path, sql: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return int(one_row(con, sql)[0])
    finally:
        con.close()


def _dbt_threads(db: Path, work: Path) -> tuple[int, str]:
    """DuckDB threads and memory limit of dbt's own connection (the profile may set them)."""
    sql = "select current_setting('threads') as t, current_setting('memory_limit') as m"
    out = commands.dbt(
        db, "show", "--inline", sql, "--output", "json", "--target-path", str(work / "target-probe"), "-q"
    ).stdout
    row = json.loads(out[out.index("{") :])["show"][0]
    return int(row["t"]), str(row["m"])


def _floor(db: Path, work: Path, threads: int, repeats: int) -> list[float]:
    """Sort the log by user and time into a table of a new file (the warehouse attached read-only,
    so it stays as the builds will find it); the write is timed up to its checkpoint."""
    times = []
    for _ in range(repeats):
        out = work / "floor.duckdb"
        out.unlink(missing_ok=True)
        con = duckdb.connect(str(out), config={"threads": threads})
        try:
            con.execute(f"attach '{db}' as wh (read_only)")
            os.sync()  # as before every dbt step (see _dbt_timed)
            started = time.perf_counter()
            con.execute(FLOOR_SQL)
            con.execute("checkpoint")
            times.append(time.perf_counter() - started)
        finally:
            con.close()
        out.unlink()
    return times


def _dbt_timed(db: Path, target: Path, *args: str) -> tuple[float, list[tuple[str, float]]]:
    """Wall time of `dbt <args>` and its per-node times (tests as `test:<name>`), heaviest first.

    The disk first writes back what earlier steps left dirty (copies of multi-GB warehouses): else
    that writeback lands in this step's time (seen: an incremental build at 10M plays 125 s after
    a copy, 59 s on its own)."""
    os.sync()
    started = time.perf_counter()
    commands.dbt(db, *args, "--target-path", str(target), "--quiet")
    wall = time.perf_counter() - started
    nodes = []
    for r in json.loads((target / "run_results.json").read_text())["results"]:
        kind, _, *parts = r["unique_id"].split(".")  # unit_test.<project>.<model>.<name>
        name = parts[-1] if kind == "unit_test" else parts[0]
        nodes.append((("" if kind == "model" else f"{kind}:") + name, float(r["execution_time"])))
    return wall, sorted(nodes, key=lambda n: -n[1])


def _report(label: str, wall: float, nodes: list[tuple[str, float]], floor: float, top: int) -> None:
    """Wall time, multiple of the floor, query time vs dbt's fixed cost, and the heaviest nodes."""
    models = sum(s for n, s in nodes if ":" not in n)
    other = sum(s for n, s in nodes if ":" in n)
    print(
        f"  {label:<34} {wall:7.1f} s = {wall / floor:5.1f}x floor   ({len(nodes)} nodes: models "
        f"{models:.1f} s, tests/hooks {other:.1f} s, outside queries {wall - models - other:.1f} s)"
    )
    for name, seconds in nodes[:top]:
        print(f"      {name:<44} {seconds:7.1f} s  {seconds / wall:5.0%}")


def _catalogue(work: Path) -> Path:
    db = work / "catalogue.duckdb"
    print("  building the catalogue warehouse (ingest + dbt tag:catalog) ...", flush=True)
    commands.build_catalog(db)
    return db


def _signup_config(work: Path, days: int) -> tuple[str, ...]:
    """Sign-ups spread over the whole window (the default spreads them over 60 days), so a longer
    history keeps a steady flow of new users instead of an ageing population."""
    config = work / f"signups-{days}d.toml"
    config.write_text(f"[population]\nsignup_span_days = {days}\n")
    return ("--config", str(config))


def _users_for(plays: int, catalogue: Path, work: Path, days: int) -> tuple[int, float]:
    """Calibrate plays per user with a 1,000-user simulation of the same window."""
    probe = work / "probe.duckdb"
    shutil.copy(catalogue, probe)
    commands.simulate(
        probe, "--users", "1000", "--days", str(days), *_signup_config(work, days), "--no-progress"
    )
    per_user = _count(probe, "select count(*) from raw.viewing_events") / 1000
    probe.unlink()
    return max(100, round(plays / per_user)), per_user


def bench_size(
    plays: int, catalogue: Path, work: Path, days: int, args: argparse.Namespace, threads: int
) -> Row:
    users, per_user = _users_for(plays, catalogue, work, days)
    db, copy = work / f"plays-{plays}-{days}d.duckdb", work / f"features-{plays}-{days}d.duckdb"
    shutil.copy(catalogue, db)
    started = time.perf_counter()
    commands.simulate(
        db, "--users", str(users), "--days", str(days), *_signup_config(work, days), "--no-progress"
    )
    sim_seconds = time.perf_counter() - started
    n_plays = _count(db, "select count(*) from raw.viewing_events")
    print(
        f"\n== {n_plays:,} plays ({users:,} users x {days} days, {per_user:.1f} plays/user; "
        f"simulated in {sim_seconds:.0f} s; load {load_average()})",
        flush=True,
    )
    shutil.copy(db, copy)  # +ml_features gets a warehouse as fresh as the full build's
    # One target folder per warehouse, parsed once up front: each build then re-parses only what
    # changed, as repeated `dbt build`s in the project folder do (a cold parse is about 2 s more).
    target, copy_target = work / f"target-{plays}-{days}d", work / f"target-features-{plays}-{days}d"
    commands.dbt(db, "parse", "--target-path", str(target), "--quiet")
    commands.dbt(copy, "parse", "--target-path", str(copy_target), "--quiet")

    floors = _floor(db, work, threads, args.repeats)
    floor = statistics.median(floors)
    print(
        f"  floor: sort the log into a table  {floor:7.2f} s (median of {len(floors)}: "
        f"{', '.join(f'{t:.2f}' for t in floors)}; {threads} threads)   {n_plays / floor:,.0f} plays/s"
    )
    full_wall, full_nodes = _dbt_timed(db, target, "build", *SELECTION, *PRODUCTION)
    _report("full dbt build", full_wall, full_nodes, floor, 5)
    ml_wall, ml_nodes = _dbt_timed(copy, copy_target, "run", "-s", "+ml_features")
    _report("dbt run -s +ml_features", ml_wall, ml_nodes, floor, 5)
    copy.unlink()

    starts = [_dbt_timed(db, target, "build", *NOTHING)[0] for _ in range(args.repeats)]
    startup = statistics.median(starts)
    print(
        f"  dbt start-up, nothing selected     {startup:7.2f} s (median of {len(starts)}: "
        f"{', '.join(f'{t:.2f}' for t in starts)})"
    )

    commands.simulate(db, "--append", "--days", str(days + args.extra_days), "--no-progress")
    appended = _count(db, "select count(*) from raw.viewing_events") - n_plays
    inc_wall, inc_nodes = _dbt_timed(db, target, "build", *SELECTION, *PRODUCTION)
    print(
        f"  +{args.extra_days} days appended: +{appended:,} plays = {appended / n_plays:.1%} of the log; "
        f"incremental build {inc_wall:.1f} s = {inc_wall / full_wall:.0%} of the full build"
        + (" (aim <= 30%)" if days >= 180 else "")
    )
    _report("incremental build, heaviest nodes", inc_wall, inc_nodes, floor, 8)

    unit_wall, unit_nodes = _dbt_timed(db, target, "test", *SELECTION, "--resource-type", "unit_test")
    units = [s for n, s in unit_nodes if n.startswith("unit_test:")]
    print(
        f"  unit tests on their own (dev / CI) {unit_wall:7.1f} s "
        f"({len(units)} tests, {sum(units):.1f} s in queries)"
    )
    if args.refresh:
        refresh_wall, _ = _dbt_timed(db, target, "build", *SELECTION, "--full-refresh", *PRODUCTION)
        print(
            f"  full refresh after the append      {refresh_wall:7.1f} s; incremental = "
            f"{inc_wall / refresh_wall:.0%} of it"
        )
    db.unlink()
    return Row(n_plays, days, floor, full_wall, ml_wall, startup, appended / n_plays, inc_wall)


def _table(rows: list[Row], extra_days: int) -> None:
    print(
        f"\n| plays | days | floor s | full build s | x floor | +ml_features s | x floor | "
        f"dbt start-up s | +{extra_days} d plays | incremental s | share of full |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r.plays:,} | {r.days} | {r.floor:.2f} | {r.full:.1f} | {r.full / r.floor:.1f} | "
            f"{r.features:.1f} | {r.features / r.floor:.1f} | {r.startup:.2f} | {r.appended:.1%} | "
            f"{r.incremental:.1f} | {r.incremental / r.full:.0%} |"
        )
    print(
        "\nGoals (printed, not checked): full build <= 10x floor at 10M plays; +ml_features <= 5x "
        f"floor; incremental +{extra_days} d over 180 days <= 30% of the full build."
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--plays", type=int, nargs="+", default=list(DEFAULT_SIZES), help="target log sizes")
    parser.add_argument(
        "--days",
        type=int,
        nargs="+",
        default=list(DEFAULT_DAYS),
        help="simulated windows, sign-ups spread over each (default 60 and 180)",
    )
    parser.add_argument("--extra-days", type=int, default=7, help="days appended (default 7)")
    parser.add_argument(
        "--repeats", type=int, default=3, help="repeats of the floor and of dbt's start-up (default 3)"
    )
    parser.add_argument(
        "--refresh", action="store_true", help="also time a --full-refresh build after the append"
    )
    parser.add_argument("--workdir", type=Path, help="keep the files here (default: a temp dir)")
    args = parser.parse_args(argv)
    load_start = load_average()
    print(f"machine: {_machine()}; load average (1/5/15 min) at start {load_start}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-dbt-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        catalogue = _catalogue(work)
        threads, memory = _dbt_threads(catalogue, work)
        print(f"  dbt's DuckDB connection: {threads} threads, memory limit {memory}", flush=True)
        rows = [
            bench_size(plays, catalogue, work, days, args, threads)
            for days in args.days
            for plays in args.plays
        ]
    _table(rows, args.extra_days)
    print(f"machine: {_machine()}; load average at start {load_start}, at end {load_average()}")


if __name__ == "__main__":
    main()
