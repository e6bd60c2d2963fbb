"""The orchestrator's plan (`python -m pipeline --dry-run`), what `make run` calls, and the layering:
warehouse/ imports no stage; `python ml/train.py` and `python -m ml` run from any folder."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import commands
from pipeline.run import format_times
from pipeline.stages import Options, steps
from warehouse import REPO_ROOT

STAGE_PACKAGES = {"ingest", "simulator", "ml", "dashboard", "pipeline", "bench", "tests"}


def names(plan: list) -> list[str]:
    return [step.name for step in plan]


def test_the_default_run_is_make_runs_flow() -> None:
    plan = steps(Options(Path("/w.duckdb")), Path("/spark"))
    assert names(plan) == [
        *("ingest", "catalog", "simulate", "build", "train", "ml outputs", "publish", "summary")
    ]
    commands_ = [step.command() for step in plan]
    assert commands_[2] == "python -m simulator --users 20000 --days 60 --seed 42"
    assert commands_[3].startswith("dbt build --exclude tag:ml_outputs") and "--full-refresh" in commands_[3]
    assert commands_[4] == "python ml/train.py"
    assert commands_[5] == "dbt build -s tag:ml_outputs --quiet"


def test_spark_builds_on_the_lake_and_reads_through_the_views() -> None:
    plan = steps(Options(Path("/w.duckdb"), engine="spark"), Path("/spark"))
    assert names(plan) == [
        *("ingest", "catalog", "simulate", "lake", "build", "views"),
        *("train", "lake ml", "ml outputs", "views ml", "publish", "summary"),
    ]
    by_name = {step.name: step.command() for step in plan}
    assert by_name["catalog"] == "dbt build -s tag:catalog --quiet"  # the catalogue is built on DuckDB
    assert by_name["build"].endswith("--target spark") and "--full-refresh" in by_name["build"]
    views = "--warehouse /spark/warehouse.duckdb"
    assert by_name["train"] == f"python ml/train.py {views}"
    assert by_name["summary"] == f"python -m pipeline.summary {views}"


def dry_run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pipeline", "--warehouse", "/tmp/x.duckdb", "--dry-run", *args]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=check)


def test_only_runs_the_steps_of_the_named_targets() -> None:
    out = dry_run("--only", "train", "publish").stdout.splitlines()[1:]
    assert [line.split(":")[0] for line in out] == ["train", "ml outputs", "publish"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--mapping", "m.toml"), "--mapping goes with --logs"),
        (("--logs", "p.csv", "--engine", "spark"), "--logs runs on DuckDB only"),
        (("--only", "events"), "give --logs"),
        (("--logs", "p.csv", "--only", "simulate"), "drop --logs"),
    ],
)
def test_meaningless_combinations_are_one_line_errors(args: tuple[str, ...], message: str) -> None:
    result = dry_run(*args, check=False)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_make_run_is_one_call_of_the_orchestrator_with_every_option() -> None:
    def make_n(*args: str) -> list[str]:
        run = subprocess.run(["make", "-n", "run", *args], cwd=REPO_ROOT, capture_output=True, text=True)
        return [line for line in run.stdout.splitlines() if "-m pipeline" in line]

    (plain,) = make_n()
    assert "--engine duckdb" in plain and "--users 20000 --days 60 --seed 42" in plain
    (sized,) = make_n("USERS=500", "DAYS=7", "SEED=3", "INGEST_SOURCE=/x.json")
    assert "--source '/x.json' --users 500 --days 7 --seed 3" in sized
    (spark,) = make_n("ENGINE=spark")
    assert "--engine spark" in spark


def test_stage_times_are_read_back_by_the_test_builder() -> None:
    text = "noise\n" + format_times([("ingest", 2.5), ("ml outputs", 1.25)], 3.75)
    times = [commands.STAGE_TIME.match(line) for line in text.splitlines()]
    assert {m["name"]: float(m["seconds"]) for m in times if m} == {
        "ingest": 2.5,
        "ml outputs": 1.2,  # printed to a tenth
        "total": 3.8,
    }


def test_warehouse_imports_no_stage() -> None:
    for path in sorted((REPO_ROOT / "warehouse").glob("*.py")):
        nodes = list(ast.walk(ast.parse(path.read_text(encoding="utf-8"))))
        imported = {alias.name for node in nodes if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in nodes if isinstance(node, ast.ImportFrom)}
        assert not {name.split(".")[0] for name in imported} & STAGE_PACKAGES, path.name


@pytest.mark.parametrize("command", [["ml/train.py"], ["-m", "ml"]])
def test_the_training_cli_runs_from_any_folder(command: list[str], tmp_path: Path) -> None:
    script = [str(REPO_ROOT / command[0])] if command[0].endswith(".py") else command
    result = subprocess.run([sys.executable, *script, "--help"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "--verify-model" in result.stdout
