"""The orchestrator: `python -m pipeline` runs every stage of `make run`, in order, in one process.

- `pipeline.stages`: the steps, each the command that runs it alone (`python -m ingest ...`,
  `dbt build ...`), and the make target it belongs to;
- `pipeline.run`: runs them and prints each stage's time (`python -m pipeline --help`);
- `pipeline.dbt`: dbt in this process on DuckDB (one start-up, one parse), in its own on Spark;
- `pipeline.summary`: what the run produced (its last stage);
- `pipeline.commands`: each stage's command in a subprocess, as a user runs it (tests, benches).
"""
