"""`python -m bench` (make bench): every benchmark in turn. Figures and ratios only."""

from __future__ import annotations

import argparse
import importlib
import sys
import time

BENCHES = ("bench_ingest", "bench_simulator", "bench_dbt", "bench_ml", "bench_dashboard")
# run only when named (`python -m bench bench_spark`): it needs the spark extra and Java
OPTIONAL = ("bench_spark",)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    choices = f"default: {', '.join(BENCHES)}; also {', '.join(OPTIONAL)}"
    parser.add_argument("only", nargs="*", help=f"benchmarks to run ({choices})")
    args = parser.parse_args()
    unknown = sorted(set(args.only) - set(BENCHES) - set(OPTIONAL))
    if unknown:
        print(f"error: unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHES + OPTIONAL)}")
        return 2
    failed = []
    for name in args.only or BENCHES:
        print(f"\n######## {name}", flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            print(f"  skipped: {exc}")
            continue
        try:
            module.main([])
        except Exception as exc:  # keep going: one broken bench must not hide the others
            failed.append(name)
            print(f"  {name} failed: {type(exc).__name__}: {exc}")
        print(f"######## {name}: {time.perf_counter() - started:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
