"""dbt engagement build at growing log sizes: wall time of the full `dbt build` (models and data
tests of staging/events, intermediate, marts/engagement, marts/ml), of the incremental build after
the simulator appends 7 more days (and its ratio to the full build; target <= 20%), and the heaviest
models and tests from target/run_results.json, with the time outside any query (dbt start-up and
per-node overhead). Both builds are production builds: unit tests check the SQL logic on fixed
fixtures, not the data, so (as dbt recommends) they run in development and CI (`make test`) rather
than on every scheduled build; they are timed once on their own and printed. Prints figures;
asserts nothing.

The ratio depends on how much of the log the appended week is: on the default 60-day window it
adds about 17% of the plays (sign-ups accumulate, so the newest days are the busiest), on a
180-day history about 5%. Both histories are run by default.

    python -m bench.bench_dbt                              # 1M and 10M plays, 60 and 180 days
    python -m bench.bench_dbt --plays 1000000 --days 60    # one size, one history
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from warehouse import pipeline

DEFAULT_SIZES = (1_000_000, 10_000_000)
DEFAULT_DAYS = (60, 180)
SELECTION = (*pipeline.ENGAGEMENT_SELECTION, "--indirect-selection", "cautious")
PRODUCTION = ("--exclude-resource-type", "unit_test")


def _count(db: Path, sql: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


def _dbt_build(
    db: Path, target: Path, *extra: str, command: str = "build"
) -> tuple[float, list[tuple[str, float]]]:
    """Wall time of `dbt <command>` on the selection and the per-node times (models and tests,
    tests named `test:<name>`), heaviest first."""
    started = time.perf_counter()
    pipeline.dbt(db, command, *SELECTION, "--target-path", str(target), "--quiet", *extra)
    wall = time.perf_counter() - started
    run_results = json.loads((target / "run_results.json").read_text())
    nodes = [
        (
            ("" if r["unique_id"].startswith("model.") else "test:") + r["unique_id"].split(".")[2],
            float(r["execution_time"]),
        )
        for r in run_results["results"]
    ]
    return wall, sorted(nodes, key=lambda n: -n[1])


def _breakdown(wall: float, nodes: list[tuple[str, float]]) -> str:
    """Models, tests and dbt's fixed cost (start-up: parse, connect, cache; per-node overhead)."""
    models = sum(seconds for name, seconds in nodes if not name.startswith("test:"))
    tests = sum(seconds for name, seconds in nodes if name.startswith("test:"))
    return f"models {models:.1f} s, tests {tests:.1f} s, dbt overhead {wall - models - tests:.1f} s"


def _catalogue(work: Path) -> Path:
    db = work / "catalogue.duckdb"
    print("  building the catalogue warehouse (ingest + dbt tag:catalog) ...", flush=True)
    pipeline.build_catalog(db)
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
    pipeline.simulate(
        probe, "--users", "1000", "--days", str(days), *_signup_config(work, days), "--no-progress"
    )
    per_user = _count(probe, "select count(*) from raw.viewing_events") / 1000
    probe.unlink()
    return max(100, round(plays / per_user)), per_user


def bench_size(plays: int, catalogue: Path, work: Path, days: int, extra_days: int, refresh: bool) -> None:
    users, per_user = _users_for(plays, catalogue, work, days)
    db = work / f"plays-{plays}-{days}d.duckdb"
    shutil.copy(catalogue, db)
    started = time.perf_counter()
    pipeline.simulate(
        db, "--users", str(users), "--days", str(days), *_signup_config(work, days), "--no-progress"
    )
    sim_seconds = time.perf_counter() - started
    n_plays = _count(db, "select count(*) from raw.viewing_events")
    print(
        f"\n== {n_plays:,} plays ({users:,} users x {days} days, {per_user:.1f} plays/user; "
        f"simulated in {sim_seconds:.0f} s)",
        flush=True,
    )
    # One target folder for every build, parsed once up front: each build then re-parses only what
    # changed, as repeated `dbt build`s in the project folder do (a cold parse is about 2 s more).
    target = work / f"target-{plays}-{days}d"
    pipeline.dbt(db, "parse", "--target-path", str(target), "--quiet")
    full_wall, full_nodes = _dbt_build(db, target, *PRODUCTION)
    print(f"  full dbt build          {full_wall:8.1f} s   {n_plays / full_wall:>12,.0f} plays/s")
    print(f"      ({_breakdown(full_wall, full_nodes)})")
    for name, seconds in full_nodes[:8]:
        print(f"      {name:<40} {seconds:7.1f} s  {seconds / full_wall:5.0%}")

    pipeline.simulate(db, "--append", "--days", str(days + extra_days), "--no-progress")
    n_after = _count(db, "select count(*) from raw.viewing_events")
    inc_wall, inc_nodes = _dbt_build(db, target, *PRODUCTION)
    print(
        f"  +{extra_days} days (+{n_after - n_plays:,} plays) incremental build "
        f"{inc_wall:6.1f} s = {inc_wall / full_wall:.0%} of the full build (target <= 20%)"
    )
    print(f"      ({_breakdown(inc_wall, inc_nodes)})")
    for name, seconds in inc_nodes[:8]:
        print(f"      {name:<40} {seconds:7.1f} s  {seconds / inc_wall:5.0%}")

    unit_wall, unit_nodes = _dbt_build(db, target, "--resource-type", "unit_test", command="test")
    print(
        f"  unit tests on their own (dev / CI) {unit_wall:5.1f} s "
        f"({len(unit_nodes)} tests, {sum(seconds for _, seconds in unit_nodes):.1f} s in queries)"
    )

    if refresh:
        refresh_wall, _ = _dbt_build(db, target, "--full-refresh", *PRODUCTION)
        print(
            f"  full refresh at +{extra_days} days {refresh_wall:8.1f} s; incremental = "
            f"{inc_wall / refresh_wall:.0%} of it"
        )
    db.unlink()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
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
        "--refresh", action="store_true", help="also time a --full-refresh build after the append"
    )
    parser.add_argument("--workdir", type=Path, help="keep the files here (default: a temp dir)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-dbt-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        catalogue = _catalogue(work)
        for days in args.days:
            for plays in args.plays:
                bench_size(plays, catalogue, work, days, args.extra_days, args.refresh)


if __name__ == "__main__":
    main()
