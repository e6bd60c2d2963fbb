"""The stages `make run` runs, in order, each as the command a user would type to run it alone.

`steps(options)` is the whole list; every step names the make target it belongs to (`make build`
runs the steps of "build"), the command it is (`python -m ingest --source ...`, `dbt build ...`) and
runs in the orchestrator's process: a Python stage through its CLI's own `main(argv)`, dbt through
`pipeline.dbt`.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from warehouse.spark_tables import VIEWS_FILE

ENGINES = ("duckdb", "spark")
# the make targets, in the order a run reaches them
TARGETS = ("ingest", "catalog", "simulate", "events", "build", "train", "publish", "summary")

# Python stages: how a user runs each, and the module whose `main(argv)` that runs
PYTHON_STAGES = {
    "python -m ingest": "ingest.cli",
    "python -m simulator": "simulator.cli",
    "python ml/train.py": "ml.train",
    "python -m warehouse.lake": "warehouse.lake",
    "python -m warehouse.spark_tables": "warehouse.spark_tables",
    "python -m warehouse.publish": "warehouse.publish",
    "python -m pipeline.summary": "pipeline.summary",
}
DBT = "dbt"  # on DuckDB, in this process (pipeline.dbt.InProcessDbt)
SPARK_DBT = "dbt --target spark"  # a dbt process of its own (pipeline.dbt.spark_dbt)

CATALOG_BUILD = ("build", "-s", "tag:catalog", "--quiet")
# The log was just replaced (simulated or loaded): the incremental models are rebuilt from
# scratch. Unit tests check the SQL on fixed rows, not the data: `make test` runs them (tests/dbt),
# and the catalog step's own ones run above. (The catalogue marts are built again here: excluding
# them would also drop the test that every play's title is in the catalogue, which reads both.)
MAIN_BUILD = (
    *("build", "--exclude", "tag:ml_outputs", "--exclude-resource-type", "unit_test"),
    *("--full-refresh", "--quiet"),
)
# on Spark the same (the catalogue marts are needed there: the catalog step built them on DuckDB)
SPARK_BUILD = MAIN_BUILD
# after training: the ml sources' staging views and the marts the dashboard's Model page reads
ML_OUTPUTS_BUILD = ("build", "-s", "tag:ml_outputs", "--quiet")


@dataclass(frozen=True)
class Options:
    """What `make run` passes (`python -m pipeline --help`)."""

    warehouse: Path
    engine: str = "duckdb"
    spark_home: Path | None = None
    source: str | None = None  # the catalogue file (ingest's default: the embedded sample)
    users: int = 20000
    days: int = 60
    seed: int = 42
    start: str | None = None  # the simulated window's first day (the simulator's default)
    logs: str | None = None  # a platform's own plays instead of the simulator
    mapping: str | None = None
    users_file: str | None = None
    as_of: str | None = None
    model_out: Path | None = None


@dataclass(frozen=True)
class Step:
    name: str  # its line in the stage times
    target: str  # the make target it belongs to
    tool: str  # a key of PYTHON_STAGES, DBT or SPARK_DBT
    args: tuple[str, ...] = ()

    def command(self) -> str:
        """The step as a command line (dbt's in dbt_project/)."""
        if self.tool == SPARK_DBT:
            return shlex.join(["dbt", *self.args, "--target", "spark"])
        return f"{self.tool} {shlex.join(self.args)}".rstrip()


def log_step(options: Options) -> Step:
    """The step that writes raw.viewing_events and raw.users: the simulator, or the platform's log."""
    if options.logs is None:
        args = ["--users", str(options.users), "--days", str(options.days), "--seed", str(options.seed)]
        if options.start is not None:
            args += ["--start", options.start]
        return Step("simulate", "simulate", "python -m simulator", tuple(args))
    args = ["events", "--plays", options.logs]
    for flag, value in (("--mapping", options.mapping), ("--users", options.users_file)):
        if value is not None:
            args += [flag, value]
    if options.as_of is not None:
        args += ["--as-of", options.as_of]
    return Step("events", "events", "python -m ingest", tuple(args))


def steps(options: Options, spark_home: Path) -> list[Step]:
    """Every step of a run, in order. `spark_home` is the Spark target's folder (engine spark)."""
    train = () if options.model_out is None else ("--model-out", str(options.model_out))
    source = () if options.source is None else ("--source", options.source)
    before = [
        Step("ingest", "ingest", "python -m ingest", source),
        Step("catalog", "catalog", DBT, CATALOG_BUILD),
        log_step(options),
    ]
    if options.engine == "duckdb":
        return [
            *before,
            Step("build", "build", DBT, MAIN_BUILD),
            Step("train", "train", "python ml/train.py", train),
            Step("ml outputs", "train", DBT, ML_OUTPUTS_BUILD),
            Step("publish", "publish", "python -m warehouse.publish"),
            Step("summary", "summary", "python -m pipeline.summary"),
        ]
    # Spark: the log goes to a Parquet lake that dbt builds on; training, publish and the summary
    # read Spark's tables through a DuckDB file of views; the ML step's outputs go back to the lake
    views = ("--warehouse", str(spark_home / VIEWS_FILE))
    return [
        *before,
        Step("lake", "build", "python -m warehouse.lake", ("--schemas", "raw", "sim", "--register-spark")),
        Step("build", "build", SPARK_DBT, SPARK_BUILD),
        Step("views", "build", "python -m warehouse.spark_tables"),
        Step("train", "train", "python ml/train.py", (*views, *train)),
        Step("lake ml", "train", "python -m warehouse.lake", (*views, "--schemas", "ml", "--register-spark")),
        Step("ml outputs", "train", SPARK_DBT, ML_OUTPUTS_BUILD),
        Step("views ml", "train", "python -m warehouse.spark_tables"),
        Step("publish", "publish", "python -m warehouse.publish", views),
        Step("summary", "summary", "python -m pipeline.summary", views),
    ]
