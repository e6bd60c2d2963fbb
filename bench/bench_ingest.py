"""Ingest throughput on the embedded sample and on the sample replicated x10, the wall time of
`dbt build -s tag:catalog`, and `ingest events` on a generated Parquet viewing log next to DuckDB's
own copy of the same file. Prints figures; asserts nothing.

    python -m bench.bench_ingest [--factor 10] [--events-rows 10000000] [--events-only] [--repeat 2]

The events part writes an N-row log (the default mapping's columns, sorted by start, one day's
plays after another) with DuckDB SQL from the sample catalogue's titles: 0.1% exact duplicate rows,
0.1% plays of titles the catalogue lacks, and some watched times a little over the episode (clipped).
Each side runs in a fresh subprocess on a fresh warehouse, timed after its imports; the peak RSS is
the child's own (getrusage maxrss). The baseline is `create table t as select * from
read_parquet(file)` into an empty DuckDB file; ingest additionally matches titles, checks every
row, drops duplicates, numbers events, derives users and writes five tables in one transaction.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from bench import load_average, machine
from ingest.load import ingest
from pipeline import commands
from warehouse import REPO_ROOT
from warehouse.sql import one_row

SAMPLE = REPO_ROOT / "data" / "anime-offline-database-sample.json.gz"
POPULARITY = REPO_ROOT / "data" / "anime-popularity-mal-2016.csv"


def replicate(factor: int, target: Path) -> int:
    """Write the sample with every entry repeated `factor` times under distinct titles."""
    doc = json.loads(gzip.decompress(SAMPLE.read_bytes()))
    entries = doc["data"]
    doc["data"] = [
        {**e, "title": f"{e['title']} #{copy}", "sources": []} if copy else e
        for copy in range(factor)
        for e in entries
    ]
    target.write_bytes(gzip.compress(json.dumps(doc).encode(), compresslevel=1))
    return len(doc["data"])


_BASELINE = """
import json, resource, sys, time
import duckdb
db, src = sys.argv[1], sys.argv[2]
cpu = time.process_time()
t = time.perf_counter()
con = duckdb.connect(db)
con.execute(f"create table t as select * from read_parquet('{src}')")
con.close()
wall = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall": wall, "cpu": time.process_time() - cpu, "maxrss_mb": peak}))
"""

_INGEST = """
import contextlib, io, json, resource, sys, time
import duckdb, ingest.events.load
from ingest.events.cli import main
out = io.StringIO()
cpu = time.process_time()
t = time.perf_counter()
with contextlib.redirect_stdout(out):
    rc = main(sys.argv[1:])
wall = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(out.getvalue(), end="")
print(json.dumps({"rc": rc, "wall": wall, "cpu": time.process_time() - cpu, "maxrss_mb": peak}))
"""


def write_log(catalog: Path, rows: int, target: Path) -> float:
    """An N-row Parquet viewing log from the catalogue's titles; returns the seconds it took."""
    started = time.perf_counter()
    con = duckdb.connect(str(catalog), read_only=True)
    try:
        n_titles = one_row(
            con, "select count(*) from marts.anime_master where episodes > 0 and duration_seconds > 0"
        )[0]
        con.execute(
            f"""
            copy (
                with titles as (
                    select (row_number() over (order by anime_id) - 1)::ubigint as i, anime_id, episodes,
                        duration_seconds
                    from marts.anime_master where episodes > 0 and duration_seconds > 0
                ),
                g as (
                    -- every 1000th row repeats the row before it: an exact duplicate
                    select range as r, hash(case when range % 1000 = 999 then range - 1 else range end) as h
                    from range({rows})
                )
                select
                    (g.h % {max(rows // 50, 1)})::bigint + 1 as user_id,
                    case when g.r % 1000 = 500 then 'not-in-catalogue-' || (g.h % 97) else t.anime_id end
                        as anime_id,
                    (1 + (g.h >> 20) % t.episodes)::integer as episode_number,
                    timestamp '2026-01-01' + to_seconds(((g.h >> 30) % (60 * 86400))::bigint) as started_at,
                    (1 + (g.h >> 40) % (t.duration_seconds + 30))::integer as watched_seconds,
                    (['tv', 'mobile', 'desktop', 'tablet'])[1 + ((g.h >> 50) % 4)::integer] as device
                from g inner join titles as t on t.i = (g.h >> 8) % {n_titles}
                order by started_at
            ) to '{target}' (format parquet, row_group_size 122880)
            """
        )
    finally:
        con.close()
    return time.perf_counter() - started


def _child(code: str, args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    stats = json.loads(out.stdout.strip().splitlines()[-1])
    stats["stdout"] = out.stdout
    return stats


def bench_events(catalog: Path, rows: int, repeat: int, work: Path) -> None:
    log = work / "plays.parquet"
    seconds = write_log(catalog, rows, log)
    size_mb = log.stat().st_size / 1e6
    print(f"== ingest events ({machine(['duckdb'])}; load {load_average()})")
    print(f"  log: {rows:,} rows, {size_mb:.0f} MB Parquet, written in {seconds:.1f} s")
    best: dict[str, dict] = {}
    for attempt in range(repeat):
        db = work / "baseline.duckdb"
        db.unlink(missing_ok=True)
        base = _child(_BASELINE, [str(db), str(log)])
        db = work / "events.duckdb"
        shutil.copyfile(catalog, db)
        events = _child(_INGEST, ["--plays", str(log), "--warehouse", str(db), "--as-of", "2027-01-01"])
        if events["rc"] != 0:
            raise RuntimeError(f"ingest events failed: {events['stdout']}")
        for name, stats in (("baseline", base), ("events", events)):
            if name not in best or stats["wall"] < best[name]["wall"]:
                best[name] = stats
        ratio = base["wall"] / events["wall"]
        print(
            f"  run {attempt + 1}: duckdb copy {base['wall']:.2f} s ({rows / base['wall']:,.0f} rows/s, "
            f"cpu {base['cpu']:.1f} s, peak {base['maxrss_mb']:,.0f} MB); "
            f"ingest events {events['wall']:.2f} s "
            f"({rows / events['wall']:,.0f} rows/s, cpu {events['cpu']:.1f} s, peak "
            f"{events['maxrss_mb']:,.0f} MB); ratio {ratio:.0%} (cpu {base['cpu'] / events['cpu']:.0%})"
        )
    base, events = best["baseline"], best["events"]
    print(
        f"  best: ingest events {rows / events['wall']:,.0f} rows/s vs duckdb copy "
        f"{rows / base['wall']:,.0f} rows/s = {base['wall'] / events['wall']:.0%} of DuckDB's rate "
        f"(goal 50%; cpu seconds {base['cpu'] / events['cpu']:.0%}); peak RSS {events['maxrss_mb']:,.0f} MB "
        f"vs {base['maxrss_mb']:,.0f} MB"
    )
    for line in events["stdout"].splitlines()[:-1]:
        print(f"    {line}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--factor", type=int, default=10, help="replication factor (default 10)")
    parser.add_argument("--events-rows", type=float, default=1e7, help="rows of the events log (0: skip)")
    parser.add_argument("--events-only", action="store_true", help="skip the catalogue figures")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each events side (best is kept)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        if not args.events_only:
            catalogue_figures(tmp_dir, args.factor)
        db = tmp_dir / "catalog.duckdb"
        commands.ingest(db)
        started = time.perf_counter()
        commands.dbt(db, "build", "-s", "tag:catalog", "--quiet")
        elapsed = time.perf_counter() - started
        print(f"  dbt build -s tag:catalog (sample): {elapsed:.1f} s wall, including dbt start-up")
        if args.events_rows > 0:
            bench_events(db, int(args.events_rows), max(args.repeat, 1), tmp_dir)


def catalogue_figures(tmp_dir: Path, factor: int) -> None:
    big = tmp_dir / f"sample-x{factor}.json.gz"
    n_big = replicate(factor, big)
    print("== ingest")
    for label, source in (("sample", SAMPLE), (f"sample x{factor}", big)):
        db = tmp_dir / f"{source.stem}.duckdb"
        result = ingest(source, POPULARITY, db)
        rate = result.entries / result.seconds
        size_mb = source.stat().st_size / 1e6
        print(
            f"  {label:<12} {result.entries:>9,} entries  {size_mb:6.1f} MB gz  "
            f"{result.seconds:6.2f} s  {rate:>10,.0f} entries/s"
        )
    assert n_big == result.entries  # the bench measured the file it wrote


if __name__ == "__main__":
    main()
