"""Coverage of the marts' 95% Wilson intervals on cohorts whose true rate is known.

For each true rate p and cohort size n it draws many cohorts (binomial counts of returning users,
seeded), evaluates the interval exactly as dbt compiles `wilson_interval` (macros/intervals.sql)
in DuckDB, and prints how often the interval holds p (about 95% is the goal) and its mean width.
The textbook p +- 1.96 sqrt(p (1 - p) / n) is printed beside it for contrast: it falls short at
small cohorts and rates near 0 or 1, which is why the marts use Wilson's. Prints figures; asserts
nothing. `python -m bench.bench_intervals [--cohorts 4000]`.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from pipeline.dbt import PROJECT_FLAGS
from warehouse import ENV_VAR

RATES = (0.05, 0.2, 0.5, 0.8)
SIZES = (10, 30, 100, 1000)


def compiled_interval_sql() -> tuple[str, str]:
    """The lower and upper bound of `wilson_interval(successes, trials)` as dbt compiles them on
    DuckDB (a throwaway warehouse file and dbt folders, so the project's own stay untouched)."""
    from dbt.cli.main import dbtRunner

    inline = (
        "select {{ wilson_interval('successes', 'trials', 'lower') }} as lower_bound"
        " -- bound --\n{{ wilson_interval('successes', 'trials', 'upper') }} as upper_bound"
    )
    before = os.environ.get(ENV_VAR)
    with tempfile.TemporaryDirectory(prefix="bench-intervals-") as folder:
        os.environ[ENV_VAR] = str(Path(folder) / "compile.duckdb")
        try:
            result = dbtRunner().invoke(
                [
                    *("--log-level", "none", "compile", "--inline", inline),
                    *("--target-path", f"{folder}/target", "--log-path", f"{folder}/logs"),
                    *PROJECT_FLAGS,
                ]
            )
        finally:
            if before is None:
                del os.environ[ENV_VAR]
            else:
                os.environ[ENV_VAR] = before
    if not result.success:
        raise RuntimeError(f"dbt could not compile wilson_interval: {result.exception}")
    run: Any = result.result  # a RunExecutionResult for compile; dbt types it as a union
    code: str = run.results[0].node.compiled_code
    lower, upper = code.removeprefix("select ").split(" -- bound --\n")
    return lower.removesuffix(" as lower_bound"), upper.removesuffix(" as upper_bound")


def coverage(
    rates: tuple[float, ...] = RATES,
    sizes: tuple[int, ...] = SIZES,
    cohorts: int = 4000,
    seed: int = 19,
) -> pd.DataFrame:
    """Per (true rate, cohort size): the share of cohorts whose interval holds the true rate, and
    the mean width, for the marts' Wilson interval and the textbook one."""
    rng = np.random.default_rng(seed)
    true_rate, trials = (grid.ravel() for grid in np.meshgrid(rates, sizes, indexing="ij"))
    draws = pd.DataFrame(
        {
            "true_rate": np.repeat(true_rate, cohorts),
            "trials": np.repeat(trials, cohorts),
            "successes": rng.binomial(np.repeat(trials, cohorts), np.repeat(true_rate, cohorts)),
        }
    )
    lower, upper = compiled_interval_sql()
    con = duckdb.connect()
    try:
        con.register("draws", draws)
        return con.execute(
            f"""
            with bounds as (
                select
                    true_rate, trials, successes,
                    {lower} as wilson_lower,
                    {upper} as wilson_upper,
                    successes / trials as rate,
                    1.96 * sqrt(rate * (1 - rate) / trials) as half_width
                from draws
            )
            select
                true_rate,
                trials as cohort_users,
                count(*) as cohorts,
                avg(case when wilson_lower <= true_rate and true_rate <= wilson_upper then 1 else 0 end)
                    as wilson_coverage,
                avg(wilson_upper - wilson_lower) as wilson_mean_width,
                avg(case when abs(rate - true_rate) <= half_width then 1 else 0 end) as textbook_coverage
            from bounds
            group by true_rate, trials
            order by true_rate, trials
            """
        ).df()
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_intervals", description=__doc__)
    parser.add_argument("--cohorts", type=int, default=4000, help="cohorts drawn per rate and size")
    args = parser.parse_args(argv)
    table = coverage(cohorts=args.cohorts)
    print(f"95% intervals on {args.cohorts:,} simulated cohorts per cell (goal: coverage about 95%)")
    print(f"{'true rate':>9}  {'users':>6}  {'Wilson':>7}  {'width':>6}  {'textbook':>8}")
    for row in table.itertuples():
        print(
            f"{row.true_rate:>9.2f}  {row.cohort_users:>6,}  {row.wilson_coverage:>7.1%}  "
            f"{row.wilson_mean_width:>6.3f}  {row.textbook_coverage:>8.1%}"
        )
    print(
        f"mean coverage: Wilson {table['wilson_coverage'].mean():.1%}, "
        f"textbook {table['textbook_coverage'].mean():.1%}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
