"""Training time and peak memory of the continuation model at 1M and 10M feature rows.

Feature rows are synthetic (ml/synthetic.py: the contract's 24 features, labels from a known
P(continue)), generated once per size and saved as .npy; each measurement then runs in a fresh
process that loads them, so peak RSS is that of loading + training only. Prints figures; asserts
nothing. `python -m bench.bench_ml [--rows 1000000 10000000]`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from warehouse import REPO_ROOT

DEFAULT_ROWS = (1_000_000, 10_000_000)


def _generate(rows: int, folder: Path) -> tuple[Path, Path]:
    from ml.synthetic import synthetic_matrix

    X, y = synthetic_matrix(rows, seed=5)
    x_path, y_path = folder / f"X_{rows}.npy", folder / f"y_{rows}.npy"
    np.save(x_path, X)
    np.save(y_path, y)
    return x_path, y_path


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS: now, VmHWM: peak), MB.

    VmHWM belongs to the process image, unlike getrusage's ru_maxrss, which Linux carries over
    from the parent across fork + exec (it would report the parent's data generation).
    """
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"{field} not in /proc/self/status")


def measure(x_path: str, y_path: str) -> dict[str, float]:
    """Runs in a fresh process: load the rows, fit the model and the baselines, time each step."""
    from ml.models import EpisodeRateBaseline, fit_gbm, fit_logreg

    X, y = np.load(x_path), np.load(y_path)
    out: dict[str, float] = {"rows": float(len(y)), "data_mb": (X.nbytes + y.nbytes) / 1e6}
    out["rss_after_load_mb"] = _status_mb("VmRSS")
    started = time.perf_counter()
    gbm = fit_gbm(X, y)
    out["gbm_fit_s"] = time.perf_counter() - started
    out["gbm_iterations"] = float(gbm.n_iter_)
    out["peak_after_gbm_mb"] = _status_mb("VmHWM")
    started = time.perf_counter()
    gbm.predict_proba(X[: min(len(y), 1_000_000)])
    out["gbm_predict_1m_s"] = time.perf_counter() - started
    started = time.perf_counter()
    EpisodeRateBaseline().fit(X[:, 0], y)
    fit_logreg(X, y)
    out["baselines_fit_s"] = time.perf_counter() - started
    out["peak_rss_mb"] = _status_mb("VmHWM")
    return out


def _run_child(x_path: Path, y_path: Path) -> dict[str, float]:
    code = (
        "import json, sys; from bench.bench_ml import measure; "
        "print(json.dumps(measure(sys.argv[1], sys.argv[2])))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(x_path), str(y_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=list(DEFAULT_ROWS))
    args = parser.parse_args(argv)
    print("== ml training (synthetic feature rows, 24 features, fresh process per size)")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            started = time.perf_counter()
            x_path, y_path = _generate(rows, Path(tmp))
            gen_s = time.perf_counter() - started
            r = _run_child(x_path, y_path)
            x_path.unlink()
            y_path.unlink()
            results.append(r)
            print(
                f"  {rows:>11,} rows  gbm fit {r['gbm_fit_s']:7.1f} s "
                f"({int(r['gbm_iterations'])} iter, {rows / r['gbm_fit_s']:>9,.0f} rows/s)  "
                f"predict 1M {r['gbm_predict_1m_s']:5.1f} s  baselines {r['baselines_fit_s']:6.1f} s  "
                f"data {r['data_mb']:6.0f} MB  RSS after load {r['rss_after_load_mb']:6.0f} MB  "
                f"peak RSS {r['peak_rss_mb']:6.0f} MB (gbm fit {r['peak_after_gbm_mb']:.0f} MB)  "
                f"[generate {gen_s:.0f} s]",
                flush=True,
            )
    if len(results) >= 2:
        a, b = results[0], results[-1]
        scale = b["rows"] / a["rows"]
        per_iter = (b["gbm_fit_s"] / b["gbm_iterations"]) / (a["gbm_fit_s"] / a["gbm_iterations"])
        print(
            f"  x{scale:.0f} rows: gbm fit time x{b['gbm_fit_s'] / a['gbm_fit_s']:.1f}, "
            f"time per iteration x{per_iter:.1f}, "
            f"peak RSS x{b['peak_rss_mb'] / a['peak_rss_mb']:.1f}"
        )


if __name__ == "__main__":
    main()
