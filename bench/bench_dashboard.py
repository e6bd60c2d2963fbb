"""Dashboard render time per page (Streamlit AppTest, in process) on a 1M-play and a 10M-play
warehouse: the cold first render after a publish and the warm render (median of repeated reruns,
results cached by snapshot id), and the warm 10M/1M ratio (target: warm <= 1.5 s and ratio <= 1.5).
Prints figures; asserts nothing.

    python -m bench.bench_dashboard                          # build 1M and 10M warehouses, measure
    python -m bench.bench_dashboard --plays 1000000          # one size
    python -m bench.bench_dashboard --warehouse a.duckdb b.duckdb   # measure existing warehouses
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from pipeline import commands
from warehouse import REPO_ROOT
from warehouse.publish import publish, snapshots_root

DEFAULT_SIZES = (1_000_000, 10_000_000)
APP = REPO_ROOT / "dashboard" / "app.py"
PAGES = ("overview", "title", "compare", "cohorts", "model", "predictions", "catalogue")
WARM_RUNS = 5


def _count(db: Path, sql: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(sql).fetchone()
        return int(row[0]) if row else 0
    except duckdb.CatalogException:
        return 0
    finally:
        con.close()


def _users_for(plays: int, catalogue: Path, work: Path, days: int) -> int:
    """Users needed for ``plays`` plays, from a 1,000-user probe simulation of the same window."""
    probe = work / "probe.duckdb"
    shutil.copy(catalogue, probe)
    commands.simulate(probe, "--users", "1000", "--days", str(days), "--no-progress")
    per_user = _count(probe, "select count(*) from raw.viewing_events") / 1000
    probe.unlink()
    return max(100, round(plays / per_user))


def build(plays: int, catalogue: Path, work: Path, days: int) -> Path:
    """A full warehouse of about ``plays`` plays, trained and published, built by the real CLIs."""
    users = _users_for(plays, catalogue, work, days)
    db = work / f"plays-{plays}.duckdb"
    shutil.copy(catalogue, db)
    # what `make run` runs after the catalogue: simulate, dbt build, train, dbt ml outputs
    size = ("--users", str(users), "--days", str(days), "--model-out", str(work / f"model-{plays}.pkl"))
    times = commands.run_pipeline(db, *size, "--only", "simulate", "build", "train")
    for name, seconds in times.items():
        print(f"  {name:<15} {seconds:7.1f} s", flush=True)
    return db


def measure(db: Path) -> dict[str, tuple[float, float]]:
    """Publish ``db`` and time every page: (cold first render, warm median) in seconds."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    started = time.perf_counter()
    result = publish(db)
    print(f"  publish         {time.perf_counter() - started:7.1f} s  ({len(result.tables)} tables)")
    os.environ["ANIME_WAREHOUSE"] = str(db)
    times: dict[str, tuple[float, float]] = {}
    for page in PAGES:
        at = AppTest.from_file(str(APP), default_timeout=600)
        at.run()  # renders the default page: drop what it cached so every page starts cold
        st.cache_data.clear()
        st.cache_resource.clear()
        at.switch_page(f"views/{page}.py")
        started = time.perf_counter()
        at.run()
        cold = time.perf_counter() - started
        problems = [e.value for e in at.exception] + [w.value for w in at.warning]
        warm_runs = []
        for _ in range(WARM_RUNS):
            started = time.perf_counter()
            at.run()
            warm_runs.append(time.perf_counter() - started)
        times[page] = (cold, statistics.median(warm_runs))
        charts = len(at.get("plotly_chart"))
        note = f"  !! {problems[0][:80]}" if problems else ""
        print(
            f"  {page:<12} cold {cold:6.2f} s   warm {times[page][1]:6.3f} s   {charts} charts{note}",
            flush=True,
        )
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--plays",
        type=int,
        nargs="+",
        default=list(DEFAULT_SIZES),
        help="target log sizes to build (default 1M and 10M)",
    )
    parser.add_argument(
        "--warehouse", type=Path, nargs="+", help="measure these existing warehouses instead of building"
    )
    parser.add_argument("--days", type=int, default=60, help="simulated window (default 60)")
    parser.add_argument("--workdir", type=Path, help="keep the built files here (default: temp)")
    args = parser.parse_args(argv)

    results: list[tuple[str, int, dict[str, tuple[float, float]]]] = []
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if args.warehouse:
            targets = [Path(w).resolve() for w in args.warehouse]
        else:
            catalogue = work / "catalogue.duckdb"
            print("  building the catalogue warehouse (ingest + dbt tag:catalog) ...", flush=True)
            commands.build_catalog(catalogue)
            targets = []
            for plays in args.plays:
                print(f"\n== building a {plays:,}-play warehouse", flush=True)
                targets.append(build(plays, catalogue, work, args.days))
        for db in targets:
            n_plays = _count(db, "select count(*) from raw.viewing_events")
            print(f"\n== {db.name}: {n_plays:,} plays", flush=True)
            results.append((db.name, n_plays, measure(db)))
            if not args.warehouse and not args.workdir:
                shutil.rmtree(snapshots_root(db), ignore_errors=True)

    if len(results) >= 2:
        (_, small_n, small), (_, big_n, big) = results[0], results[-1]
        print(f"\n== warm render, {big_n:,} vs {small_n:,} plays (target <= 1.5 s, ratio <= 1.5)")
        for page in PAGES:
            ratio = big[page][1] / small[page][1] if small[page][1] else float("nan")
            print(f"  {page:<12} {small[page][1]:6.3f} s  {big[page][1]:6.3f} s   x{ratio:4.2f}")
        total_small = sum(v[1] for v in small.values())
        total_big = sum(v[1] for v in big.values())
        print(
            f"  {'all pages':<12} {total_small:6.3f} s  {total_big:6.3f} s   x{total_big / total_small:4.2f}"
        )


if __name__ == "__main__":
    main()
