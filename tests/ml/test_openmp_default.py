"""OpenMP threads wait passively by default (see ml/__init__.py), and a user's own setting wins."""

from __future__ import annotations

import os
import subprocess
import sys

from warehouse import REPO_ROOT

PROBE = "import ml.models, os; print(os.environ['OMP_WAIT_POLICY'])"


def _policy_seen(env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_passive_unless_the_user_chose() -> None:
    base = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert _policy_seen(base) == "PASSIVE"
    assert _policy_seen({**base, "OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE"
