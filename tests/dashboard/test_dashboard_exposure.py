"""The dbt exposure of the dashboard lists exactly the marts the dashboard's code reads."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MART_NAME = re.compile(r"\bmarts\.([a-z_]+)\b")
REF = re.compile(r"ref\('([a-z_]+)'\)")


def marts_read_by_dashboard() -> set[str]:
    """Every ``marts.<name>`` the dashboard's Python names, comments left out."""
    names: set[str] = set()
    for path in (ROOT / "dashboard").rglob("*.py"):
        for line in path.read_text().splitlines():
            code = line.split("#", 1)[0]
            names.update(MART_NAME.findall(code))
    return names


def exposure_refs(name: str) -> set[str]:
    exposures = yaml.safe_load((ROOT / "dbt_project/models/exposures.yml").read_text())["exposures"]
    (exposure,) = [e for e in exposures if e["name"] == name]
    return {m for dep in exposure["depends_on"] for m in REF.findall(dep)}


def test_dashboard_exposure_lists_the_marts_it_reads() -> None:
    read = marts_read_by_dashboard()
    # SQL and the empty-state command map both name marts; a mart only named is still listed
    assert "anime_master" in read and "model_predictions" in read
    assert exposure_refs("engagement_dashboard") == read
