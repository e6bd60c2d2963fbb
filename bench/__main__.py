"""`python -m bench` (make bench): every benchmark in turn. Figures and ratios only.

A run of the default set also writes docs/benchmarks.md (`bench/report.py`) from what the benches
printed; a run of named benches writes it only with `--write PATH`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import time
from pathlib import Path

from bench import report

BENCHES = ("bench_ingest", "bench_simulator", "bench_dbt", "bench_ml", "bench_dashboard", "bench_intervals")
# run only when named (`python -m bench bench_spark`): it needs the spark extra and Java
OPTIONAL = ("bench_spark",)
DEFAULT_REPORT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def run_one(name: str) -> report.BenchOutput:
    """Run one bench, its output shown and kept; a failure is reported, not raised."""
    print(f"\n######## {name}", flush=True)
    started = time.perf_counter()
    tee = report.Tee(sys.stdout)
    failed = False
    with contextlib.redirect_stdout(tee):
        try:
            module = importlib.import_module(f"bench.{name}")
            failed = bool(module.main([]))  # a bench's own error line and non-zero exit code
        except ModuleNotFoundError as exc:
            print(f"  skipped: {exc}")
        except Exception as exc:  # keep going: one broken bench must not hide the others
            failed = True
            print(f"  {name} failed: {type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - started
    print(f"######## {name}: {seconds:.0f} s", flush=True)
    return report.BenchOutput(name, seconds, tee.kept.getvalue(), failed)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    choices = f"default: {', '.join(BENCHES)}; also {', '.join(OPTIONAL)}"
    parser.add_argument("only", nargs="*", help=f"benchmarks to run ({choices})")
    parser.add_argument("--write", type=Path, help=f"write the figures here (default run: {DEFAULT_REPORT})")
    parser.add_argument("--no-write", action="store_true", help="write no report")
    args = parser.parse_args()
    unknown = sorted(set(args.only) - set(BENCHES) - set(OPTIONAL))
    if unknown:
        print(f"error: unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHES + OPTIONAL)}")
        return 2
    target = None if args.no_write else args.write or (None if args.only else DEFAULT_REPORT)
    started_at, load_at_start = report.now(), report.load_now()
    outputs = [run_one(name) for name in args.only or BENCHES]
    if target is not None:
        report.write_markdown(target, outputs, started_at, load_at_start)
        print(f"\nfigures written to {target}")
    return 1 if any(o.failed for o in outputs) else 0


if __name__ == "__main__":
    sys.exit(main())
