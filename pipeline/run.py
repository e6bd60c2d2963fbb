"""`python -m pipeline`: the whole flow `make run` runs, one stage after another, in one process.

ingest the catalogue -> dbt catalogue marts -> simulate the log (or load a platform's own:
--logs) -> dbt build -> train -> dbt ml outputs -> publish the dashboard's snapshot -> summary.
Each stage is printed as the command that runs it alone, and each one's wall time at the end.
`--only build train` runs the steps of those make targets; `--dry-run` prints the steps.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pipeline.dbt import InProcessDbt, spark_dbt
from pipeline.stages import DBT, ENGINES, PYTHON_STAGES, SPARK_DBT, TARGETS, Options, Step, steps
from warehouse import ENV_VAR, SPARK_HOME_VAR, spark_home, warehouse_path


def run_python(module: str, args: Sequence[str]) -> int:
    """A Python stage through its CLI's `main(argv)`; its exit code (argparse's exits included)."""
    main: Callable[[list[str]], int | None] = importlib.import_module(module).main
    try:
        code = main(list(args))
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) or exit_.code is None else 1
    return int(code or 0)


class Runner:
    """Runs steps in order in this process, timing each; stops at the first that fails."""

    def __init__(self) -> None:
        self.dbt = InProcessDbt()
        self.times: list[tuple[str, float]] = []

    def execute(self, step: Step) -> int:
        if step.tool == DBT:
            return self.dbt(step.args)
        if step.tool == SPARK_DBT:
            return spark_dbt(step.args)
        return run_python(PYTHON_STAGES[step.tool], step.args)

    def run(self, plan: Sequence[Step]) -> int:
        started = time.perf_counter()
        for step in plan:
            where = " (in dbt_project/)" if step.tool in (DBT, SPARK_DBT) else ""
            print(f"==> {step.name}: {step.command()}{where}", flush=True)
            step_started = time.perf_counter()
            code = self.execute(step)
            sys.stdout.flush()
            self.times.append((step.name, time.perf_counter() - step_started))
            if code != 0:
                print(format_times(self.times, time.perf_counter() - started))
                print(f"error: stage {step.name} failed (exit {code}); the stages after it did not run")
                return code
        print(format_times(self.times, time.perf_counter() - started))
        return 0


def format_times(times: Sequence[tuple[str, float]], total: float) -> str:
    """A line per stage and the total: where a run's time went."""
    width = max([len("total"), *(len(name) for name, _ in times)])
    lines = ["stage times:"]
    lines += [f"  {name:<{width}}  {seconds:6.1f} s" for name, seconds in times]
    lines.append(f"  {'total':<{width}}  {total:6.1f} s")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m pipeline", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--warehouse", help="DuckDB file (default: $ANIME_WAREHOUSE, else warehouse/anime.duckdb)")
    p.add_argument("--engine", choices=ENGINES, default="duckdb", help="what dbt builds on (docs/spark.md)")
    p.add_argument("--spark-home", help="the Spark target's folder (default: $ANIME_SPARK_HOME)")
    p.add_argument("--source", help="catalogue file for ingest (default: the embedded sample)")
    size = p.add_argument_group("the simulated log (without --logs)")
    size.add_argument("--users", type=int, default=20000, help="users (default %(default)s)")
    size.add_argument("--days", type=int, default=60, help="days (default %(default)s)")
    size.add_argument("--seed", type=int, default=42, help="seed (default %(default)s)")
    size.add_argument("--start", help="first day, YYYY-MM-DD (default: the simulator's)")
    own = p.add_argument_group("a platform's own log instead (README, 'Bring your own logs')")
    own.add_argument("--logs", help="plays file, folder or glob (`python -m ingest events --plays`)")
    own.add_argument("--mapping", help="TOML column mapping")
    own.add_argument("--users-file", help="users file")
    own.add_argument("--as-of", help="the load's time: plays starting later are rejected")
    p.add_argument("--model-out", help="model pickle (default: models/next_episode_model.pkl)")
    p.add_argument("--only", nargs="+", choices=TARGETS, metavar="TARGET", help=f"only {', '.join(TARGETS)}")
    p.add_argument("--dry-run", action="store_true", help="print the steps, run nothing")
    return p


def options_from(args: argparse.Namespace, p: argparse.ArgumentParser) -> Options:
    if args.logs is None:
        given = [flag for flag in ("mapping", "users_file", "as_of") if getattr(args, flag) is not None]
        if given:
            p.error(f"--{given[0].replace('_', '-')} goes with --logs (a platform's own log)")
    elif args.engine == "spark":
        p.error("--logs runs on DuckDB only for now (the Spark flow exports a simulated run's raw and sim)")
    return Options(
        warehouse=warehouse_path(args.warehouse),
        engine=args.engine,
        spark_home=Path(args.spark_home).expanduser().resolve() if args.spark_home else None,
        source=args.source,
        users=args.users,
        days=args.days,
        seed=args.seed,
        start=args.start,
        logs=args.logs,
        mapping=args.mapping,
        users_file=args.users_file,
        as_of=args.as_of,
        model_out=Path(args.model_out).expanduser().resolve() if args.model_out else None,
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    options = options_from(args, p)
    # every stage, and dbt's profile, find the warehouse (and the Spark folder) here
    os.environ[ENV_VAR] = str(options.warehouse)
    if options.spark_home is not None:
        os.environ[SPARK_HOME_VAR] = str(options.spark_home)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    plan = steps(options, spark_home())
    if args.only:
        plan = [step for step in plan if step.target in args.only]
        if not plan:
            missing = " ".join(args.only)
            hint = "give --logs (and --mapping)" if "events" in args.only else "drop --logs"
            p.error(f"this run has no step of {missing}: {hint}")
    print(f"pipeline: warehouse {options.warehouse} ({options.engine})", flush=True)
    if args.dry_run:
        for step in plan:
            print(f"{step.name}: {step.command()}")
        return 0
    return Runner().run(plan)
