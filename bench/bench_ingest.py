"""Ingest throughput on the embedded sample and on the sample replicated x10, and the wall time of
`dbt build -s tag:catalog`. Prints figures; asserts nothing."""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from pathlib import Path

from ingest.load import ingest
from warehouse import REPO_ROOT, pipeline

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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--factor", type=int, default=10, help="replication factor (default 10)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        big = tmp_dir / f"sample-x{args.factor}.json.gz"
        n_big = replicate(args.factor, big)
        print("== ingest")
        for label, source in (("sample", SAMPLE), (f"sample x{args.factor}", big)):
            db = tmp_dir / f"{source.stem}.duckdb"
            result = ingest(source, POPULARITY, db)
            rate = result.entries / result.seconds
            size_mb = source.stat().st_size / 1e6
            print(
                f"  {label:<12} {result.entries:>9,} entries  {size_mb:6.1f} MB gz  "
                f"{result.seconds:6.2f} s  {rate:>10,.0f} entries/s"
            )
        assert n_big == result.entries  # the bench measured the file it wrote
        db = tmp_dir / "catalog.duckdb"
        pipeline.ingest(db)
        started = time.perf_counter()
        pipeline.dbt(db, "build", "-s", "tag:catalog", "--quiet")
        elapsed = time.perf_counter() - started
        print(f"  dbt build -s tag:catalog (sample): {elapsed:.1f} s wall, including dbt start-up")


if __name__ == "__main__":
    main()
