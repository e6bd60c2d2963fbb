"""`python -m ingest`: load the catalogue and popularity files into the warehouse's raw schema."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from ingest.errors import IngestError, report
from ingest.events.cli import main as events_main
from ingest.load import ingest
from warehouse import REPO_ROOT, warehouse_path

DEFAULT_SOURCE = REPO_ROOT / "data" / "anime-offline-database-sample.json.gz"
DEFAULT_POPULARITY = REPO_ROOT / "data" / "anime-popularity-mal-2016.csv"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Load an anime-offline-database release (.json, .json.gz, .json.zst, .jsonl, "
        ".jsonl.zst) and the MAL popularity CSV into raw.anime_catalog, "
        "raw.anime_catalog_rejects and raw.anime_popularity. `python -m ingest events --help`: load a "
        "platform's viewing log instead of simulating one.",
    )
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="catalogue file")
    parser.add_argument("--popularity", type=Path, default=DEFAULT_POPULARITY, help="popularity CSV")
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        help="DuckDB file (default: $ANIME_WAREHOUSE, else warehouse/anime.duckdb)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["events"]:  # `python -m ingest events ...`: a platform's viewing log
        return events_main(arguments[1:])
    args = build_parser().parse_args(arguments)
    target = warehouse_path(args.warehouse)
    try:
        result = ingest(args.source, args.popularity, target)
    except (IngestError, duckdb.Error) as exc:
        return report(exc, target)
    fmt = result.source_format
    if fmt.note:
        print(f"note: {fmt.note}")
    rate = result.entries / result.seconds if result.seconds else float("nan")
    print(
        f"ingest: {result.entries:,} entries ({fmt.layout}, {fmt.compression}, release "
        f"{result.release_last_update}) -> {result.accepted:,} accepted, {result.rejected:,} "
        f"rejected; {result.popularity_rows:,} popularity rows; {result.seconds:.1f}s "
        f"({rate:,.0f} entries/s) into {target}"
    )
    if result.mapped:
        print(
            f"ingest: {result.mapped:,} entries use an older release's vocabulary (type Movie/Special/"
            "Music, status CURRENTLY or none, `relations`): mapped to today's (data/README.md)"
        )
    if result.rejected:
        print("ingest: rejected entries and their reasons are in raw.anime_catalog_rejects")
    return 0
