"""The two spans every stage must agree on, read from where dbt defines them (dbt_project.yml vars).

The label horizon and the session idle gap are dbt vars because the labels and sessions are built in
SQL; the simulator (its truth horizon, its session rule), its calibration report and the dashboard's
text read the same values here, so changing one var changes them all.
"""

from __future__ import annotations

import functools
from typing import Any

import yaml

from warehouse import REPO_ROOT

DBT_PROJECT_FILE = REPO_ROOT / "dbt_project" / "dbt_project.yml"


@functools.cache
def dbt_vars() -> dict[str, Any]:
    """The `vars:` of dbt_project.yml (the defaults a plain `dbt build` uses)."""
    with DBT_PROJECT_FILE.open() as f:
        return dict(yaml.safe_load(f)["vars"])


def continuation_horizon_days() -> int:
    """A play continues when a later episode of its title is played within this many days."""
    return int(dbt_vars()["continuation_horizon_days"])


def session_idle_minutes() -> float:
    """Idle minutes after which the next play starts a new session."""
    return float(dbt_vars()["session_idle_minutes"])
