"""Fixtures for the dashboard tests: a small published warehouse and SQL on it.

The warehouse is built once per session in a temporary folder with the real commands
(``pipeline.commands.build_all``: ``python -m pipeline``, what ``make run`` runs: ingest, dbt
catalogue, simulator, dbt build, ml/train.py, dbt ml_outputs, publish, summary) at a small size,
and named by ``ANIME_WAREHOUSE`` for the in-process AppTest runs and the ``streamlit run``
subprocess of the browser test.

``DASHBOARD_TEST_WAREHOUSE=handmade`` swaps in a hand-made warehouse in the contract shapes
(``handmade.py``, under a second to build) for quick iteration on the dashboard alone.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pipeline import commands
from tests.dashboard import handmade
from tests.tables import query_rows
from warehouse.publish import publish

FIXTURE_KIND = os.environ.get("DASHBOARD_TEST_WAREHOUSE", "pipeline")
SIM_USERS = 300
SIM_DAYS = 28

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "dashboard" / "app.py"


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The published test warehouse, built once per session."""
    folder = tmp_path_factory.mktemp("dashboard_wh")
    path = folder / "anime.duckdb"
    if FIXTURE_KIND == "handmade":
        handmade.build(path)
        publish(path)
    else:
        commands.build_all(path, users=SIM_USERS, days=SIM_DAYS, model_out=folder / "model.pkl")
    return path


@pytest.fixture
def warehouse_file(built_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test warehouse, named by ANIME_WAREHOUSE for the duration of one test only."""
    monkeypatch.setenv("ANIME_WAREHOUSE", str(built_warehouse))
    return built_warehouse


class WarehouseSQL:
    """Read-only SQL straight on the warehouse file, for expected values."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return query_rows(self.path, sql, params or [])

    def one(self, sql: str, params: list[Any] | None = None) -> Any:
        return self.rows(sql, params)[0][0]


@pytest.fixture(scope="session")
def wh_sql(built_warehouse: Path) -> WarehouseSQL:
    return WarehouseSQL(built_warehouse)
