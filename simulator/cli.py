"""Command line: `python -m simulator [options]` and `python -m simulator report`."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import NoReturn

from simulator.config import load_config
from simulator.errors import SimulatorError
from simulator.progression import POOL_USERS

DEFAULT_START = "2026-01-01"
DEFAULT_DAYS = 60
DEFAULT_USERS = 20000
DEFAULT_SEED = 42


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage, so every error is one line."""

    def error(self, message: str) -> NoReturn:
        raise SimulatorError(message)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad date {text!r} (expected YYYY-MM-DD)") from None


def _parser() -> _Parser:
    p = _Parser(prog="python -m simulator", description="Simulate viewing logs into DuckDB.")
    p.add_argument(
        "--users",
        type=int,
        help=f"population signing up over signup_span_days (60) from --start (default {DEFAULT_USERS})",
    )
    p.add_argument("--start", type=_date, help=f"window start date (default {DEFAULT_START})")
    span = p.add_mutually_exclusive_group()
    span.add_argument("--days", type=int, help=f"window length in days (default {DEFAULT_DAYS})")
    span.add_argument("--until", type=_date, help="window end date (exclusive)")
    p.add_argument("--seed", type=int, help=f"random seed (default {DEFAULT_SEED})")
    p.add_argument("--config", type=Path, help="TOML/JSON file overriding default_config.toml")
    p.add_argument("--warehouse", type=Path, help="DuckDB file (default: $ANIME_WAREHOUSE)")
    p.add_argument("--append", action="store_true", help="extend the previous run's window")
    p.add_argument(
        "--chunk-users",
        type=int,
        default=POOL_USERS,
        help=f"users simulated at once (default {POOL_USERS}); more uses more memory and is rarely faster",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def _simulate(argv: list[str]) -> int:
    from simulator.run import RunSpec, run

    args = _parser().parse_args(argv)
    explicit = {name for name in ("users", "seed", "start", "config") if getattr(args, name) is not None}
    users = DEFAULT_USERS if args.users is None else args.users
    if users <= 0:
        raise SimulatorError(f"--users must be positive, got {users}")
    if args.chunk_users <= 0:
        raise SimulatorError(f"--chunk-users must be positive, got {args.chunk_users}")
    start = args.start or dt.date.fromisoformat(DEFAULT_START)
    if args.until is not None:
        end = args.until
        if end <= start:
            raise SimulatorError(f"--until {end} must be after --start {start}")
    else:
        days = DEFAULT_DAYS if args.days is None else args.days
        if days <= 0:
            raise SimulatorError(f"--days must be positive, got {days}")
        end = start + dt.timedelta(days=days)
    config = load_config(args.config)
    spec = RunSpec(
        users=users,
        start=start,
        end=end,
        seed=DEFAULT_SEED if args.seed is None else args.seed,
        config=config,
        warehouse=args.warehouse,
        append=args.append,
        chunk_users=args.chunk_users,
        progress=False if args.no_progress else None,
    )
    t0 = time.perf_counter()
    result = run(spec, explicit)
    wall = time.perf_counter() - t0
    print(
        f"simulated {result.n_events:,} plays by {result.n_users:,} new users "
        f"over {result.window_start:%Y-%m-%d}..{result.window_end:%Y-%m-%d} "
        f"in {wall:.1f}s ({result.n_events / max(wall, 1e-9):,.0f} plays/s)"
        + (" [append]" if args.append else "")
    )
    return 0


def _report(argv: list[str]) -> int:
    from simulator.report import print_report

    p = _Parser(prog="python -m simulator report", description="Calibration report.")
    p.add_argument("--warehouse", type=Path, help="DuckDB file (default: $ANIME_WAREHOUSE)")
    args = p.parse_args(argv)
    print_report(args.warehouse)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv and argv[0] == "report":
            return _report(argv[1:])
        return _simulate(argv)
    except SimulatorError as exc:
        msg = str(exc)
        print(msg if msg.startswith("error:") else f"error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; the previous tables are unchanged", file=sys.stderr)
        return 130
