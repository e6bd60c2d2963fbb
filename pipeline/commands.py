"""Run each stage's command as a user would (the real CLIs, in subprocesses) on a chosen warehouse.

Tests and benchmarks build their own warehouses with these, so they exercise the same commands as
`make run` instead of calling internals; `build_all` runs the orchestrator itself
(`python -m pipeline`), the very command `make run` runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from warehouse import DBT_PROJECT, ENV_VAR, REPO_ROOT, SPARK_HOME_VAR, dbt_command

__all__ = [
    "DBT_PROJECT",
    "ENGAGEMENT_SELECTION",
    "REPO_ROOT",
    "build_all",
    "build_catalog",
    "dbt",
    "dbt_spark",
    "ingest",
    "ingest_events",
    "publish",
    "python",
    "run_pipeline",
    "run_stage",
    "simulate",
    "stage_env",
    "train",
]

# The engagement models and their tests (everything `dbt build` makes from the viewing log, before
# the model outputs); use with `--indirect-selection cautious` to leave other stages' tests out.
ENGAGEMENT_SELECTION = (
    "-s",
    "path:models/staging/events",
    "path:models/intermediate",
    "path:models/marts/engagement",
    "path:models/marts/ml",
    "assert_labels_agree_with_log",
)


def stage_env(warehouse: Path | None, spark_home: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if warehouse is not None:
        env[ENV_VAR] = str(Path(warehouse).resolve())
    if spark_home is not None:
        env[SPARK_HOME_VAR] = str(Path(spark_home).resolve())
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    return env


def run_stage(
    args: Sequence[str],
    warehouse: Path | None,
    *,
    spark_home: Path | None = None,
    cwd: Path = REPO_ROOT,
    check: bool = True,
    timeout: float = 1800,
) -> subprocess.CompletedProcess[str]:
    """Run one command with ANIME_WAREHOUSE set; on failure raise with its output attached."""
    result = subprocess.run(
        list(args),
        cwd=cwd,
        env=stage_env(warehouse, spark_home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} exited {result.returncode}\n"
            f"--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}"
        )
    return result


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def ingest(warehouse: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_stage(python("-m", "ingest", "--warehouse", str(warehouse), *extra), warehouse)


def ingest_events(
    warehouse: Path,
    plays: Path,
    *extra: str,
    users: Path | None = None,
    mapping: Path | None = None,
    as_of: str | None = None,
    append: bool = False,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """`python -m ingest events`: a platform's own log into raw.viewing_events and raw.users."""
    args = ["-m", "ingest", "events", "--warehouse", str(warehouse), "--plays", str(plays)]
    if users is not None:
        args += ["--users", str(users)]
    if mapping is not None:
        args += ["--mapping", str(mapping)]
    if as_of is not None:
        args += ["--as-of", as_of]
    if append:
        args.append("--append")
    return run_stage(python(*args, *extra), warehouse, check=check)


def dbt(warehouse: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`dbt <args>` inside dbt_project with the project's own profile."""
    return run_stage(dbt_command(*args), warehouse, cwd=DBT_PROJECT, check=check)


def dbt_spark(
    *args: str, spark_home: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """`dbt <args> --target spark`: the Spark tables under `spark_home` (default $ANIME_SPARK_HOME)."""
    command = dbt_command(*args, target="spark")
    return run_stage(command, None, spark_home=spark_home, cwd=DBT_PROJECT, check=check, timeout=7200)


def simulate(warehouse: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_stage(python("-m", "simulator", "--warehouse", str(warehouse), *extra), warehouse)


def train(warehouse: Path, model_out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_stage(
        python("ml/train.py", "--warehouse", str(warehouse), "--model-out", str(model_out), *extra),
        warehouse,
    )


def publish(warehouse: Path) -> subprocess.CompletedProcess[str]:
    return run_stage(python("-m", "warehouse.publish", "--warehouse", str(warehouse)), warehouse)


def build_catalog(warehouse: Path) -> None:
    """The embedded catalogue ingested and its marts built: `make ingest catalog`."""
    run_pipeline(warehouse, "--only", "ingest", "catalog")


STAGE_TIME = re.compile(r"^  (?P<name>.+?) +(?P<seconds>[0-9.]+) s$")


def build_all(
    warehouse: Path,
    *,
    users: int,
    days: int,
    seed: int = 7,
    start: str = "2026-01-01",
    model_out: Path | None = None,
) -> dict[str, float]:
    """The whole `make run` flow (`python -m pipeline`) at a chosen size; each stage's wall time."""
    out = model_out or Path(warehouse).with_suffix(".model.pkl")
    size = ["--users", str(users), "--days", str(days), "--seed", str(seed), "--start", start]
    return run_pipeline(warehouse, *size, "--model-out", str(out))


def run_pipeline(warehouse: Path, *args: str) -> dict[str, float]:
    """`python -m pipeline --warehouse <warehouse> <args>`; the wall time of each stage it ran."""
    result = run_stage(python("-m", "pipeline", "--warehouse", str(warehouse), *args), warehouse)
    times = result.stdout[result.stdout.rindex("stage times:") :].splitlines()[1:]
    return {m["name"]: float(m["seconds"]) for m in map(STAGE_TIME.match, times) if m}
