"""Fixtures shared across the suite: warehouses built by the real commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import commands


@pytest.fixture(scope="session")
def catalog_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded sample ingested and the catalogue marts built (`dbt build -s tag:catalog`)."""
    db = tmp_path_factory.mktemp("catalog") / "catalog.duckdb"
    commands.build_catalog(db)
    return db
