"""How the orchestrator runs dbt.

On DuckDB, dbt runs inside the orchestrator's own process through dbt's programmatic entry point
(`dbtRunner`, supported since dbt-core 1.5): dbt is imported once and the project parsed once per
run, and every dbt step reuses that manifest, instead of three dbt processes that each start up
and parse. On Spark, each dbt step is a `dbt` process of its own, as on the command line: the
dbt-spark session holds the target's Derby metastore for as long as its process lives, and
`python -m warehouse.lake --register-spark` needs it in between.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from typing import Any

from warehouse import DBT_PROJECT, dbt_command, first_line

PROJECT_FLAGS = ("--profiles-dir", str(DBT_PROJECT), "--project-dir", str(DBT_PROJECT))


class InProcessDbt:
    """`dbt <args>` on the DuckDB target, in this process; the project is parsed on the first call."""

    def __init__(self) -> None:
        self._manifest: Any = None

    def __call__(self, args: Sequence[str]) -> int:
        """dbt's exit code: 0 success, 1 a model or test failed, 2 dbt could not run."""
        from dbt.cli.main import dbtRunner

        if self._manifest is None:
            # partial parsing (target/partial_parse.msgpack) applies as on the command line
            parsed = dbtRunner().invoke(["parse", "--quiet", *PROJECT_FLAGS])
            if not parsed.success:
                why = first_line(parsed.exception) if parsed.exception else "see dbt's errors above"
                print(f"error: dbt parse failed: {why}", flush=True)
                return 2
            self._manifest = parsed.result
        try:
            result = dbtRunner(manifest=self._manifest).invoke([*args, *PROJECT_FLAGS])
        finally:
            release_duckdb()
        if result.success:
            return 0
        if result.exception is not None:
            print(f"error: dbt {' '.join(args)}: {first_line(result.exception)}", flush=True)
            return 2
        return 1


def release_duckdb() -> None:
    """Close the warehouse dbt-duckdb keeps open after a command.

    dbt-duckdb holds its DuckDB database in class state (`DuckDBConnectionManager._ENV`) for the
    next command of the same process. The next stage here opens the file its own way (training
    reads it read-only, which DuckDB refuses beside an open read-write instance), and other
    processes (the dashboard's publish, a reader) must get the lock between stages.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


def spark_dbt(args: Sequence[str]) -> int:
    """`dbt <args> --target spark` in dbt_project/, as a process of its own; its exit code."""
    return subprocess.run(dbt_command(*args, target="spark"), cwd=DBT_PROJECT).returncode
