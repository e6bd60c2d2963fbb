"""Fixtures for the ML tests: small synthetic warehouses (fast) and one trained run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from threadpoolctl import threadpool_limits

from ml.synthetic import make_synthetic_warehouse
from warehouse import REPO_ROOT

SYNTH_ROWS = 20_000


@pytest.fixture(scope="session", autouse=True)
def _one_thread() -> Any:
    """One OpenMP/BLAS thread: the data are small, and a busy 2-core box (other suites, dbt) makes
    spinning OpenMP threads many times slower than one."""
    with threadpool_limits(limits=1):
        yield


def run_train_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python ml/train.py <args>` exactly as a user runs it."""
    return subprocess.run(
        [sys.executable, "ml/train.py", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def synth_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pristine synthetic warehouse (marts.ml_features + sim.event_truth); copy before writing."""
    return make_synthetic_warehouse(tmp_path_factory.mktemp("synth") / "synth.duckdb", SYNTH_ROWS, seed=11)


@pytest.fixture()
def synth_copy(synth_source: Path, tmp_path: Path) -> Path:
    """A private copy of the synthetic warehouse for tests that modify it."""
    target = tmp_path / "synth.duckdb"
    shutil.copyfile(synth_source, target)
    return target


@pytest.fixture(scope="session")
def trained(synth_source: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One training run on a copy of the synthetic warehouse (via the Python API)."""
    from ml.train import run

    root = tmp_path_factory.mktemp("trained")
    db = root / "synth.duckdb"
    shutil.copyfile(synth_source, db)
    model = root / "models" / "next_episode_model.pkl"
    headline = run(db, model, quiet=True)
    return {"warehouse": db, "model": model, "headline": headline}
