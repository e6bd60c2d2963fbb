"""Simulator fixtures: small DuckDB warehouses with hand-made catalogue marts (no dbt needed).

`tiny_warehouse`: a few dozen titles, for fast property tests.
`sample_warehouse`: the embedded sample catalogue turned into marts.anime_master/episodes/
simulation_eligibility in plain Python (same columns and eligibility rule as the dbt marts), for
calibration bands.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from simulator.config import load_config
from simulator.run import RunSpec, run
from warehouse import REPO_ROOT

TAGS = ["action", "comedy", "drama", "romance", "fantasy", "sci-fi", "slice of life", "sports"]
MASTER_DDL = """
    create schema if not exists marts;
    create or replace table marts.anime_master (
        anime_id varchar, title varchar, anime_type varchar, episodes integer,
        duration_seconds integer, score_mean double, tags varchar[],
        popularity_members bigint, season_year integer
    );
    create or replace table marts.simulation_eligibility (
        anime_id varchar, is_simulation_eligible boolean, simulation_exclusion_reason varchar
    );
    create or replace table marts.episodes (
        anime_id varchar, episode_number integer, duration_seconds integer,
        is_first boolean, is_last boolean
    );
"""


def _write_catalogue(path: Path, master: pd.DataFrame) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute(MASTER_DDL)
        con.register("m", master)
        con.execute("insert into marts.anime_master by name select * exclude (is_simulation_eligible) from m")
        con.execute(
            "insert into marts.simulation_eligibility by name select anime_id, is_simulation_eligible from m"
        )
        con.execute(
            """
            insert into marts.episodes
            select anime_id, e.n, duration_seconds, e.n = 1, e.n = episodes
            from marts.anime_master, range(1, episodes + 1) as e(n)
            where anime_id in (select anime_id from marts.simulation_eligibility where is_simulation_eligible)
            """
        )
    finally:
        con.close()


def _tiny_master() -> pd.DataFrame:
    r = np.random.default_rng(7)
    n = 40
    eps = r.choice([2, 3, 6, 12, 13, 24, 26, 50], n)
    return pd.DataFrame(
        {
            "anime_id": [f"mal-{1000 + i}" for i in range(n)],
            "title": [f"Title {i}" for i in range(n)],
            "anime_type": r.choice(["TV", "ONA"], n, p=[0.8, 0.2]),
            "episodes": eps.astype("int32"),
            "duration_seconds": r.choice([300, 1380, 1440, 1500], n).astype("int32"),
            "score_mean": np.where(r.random(n) < 0.1, np.nan, r.uniform(5.5, 9.0, n)),
            "tags": [list(r.choice(TAGS, r.integers(1, 4), replace=False)) for _ in range(n)],
            "popularity_members": pd.array(
                np.where(r.random(n) < 0.2, -1, np.exp(r.normal(10, 1.5, n))).astype("int64"),
                dtype="Int64",
            ).astype("Int64"),
            "season_year": r.integers(1995, 2026, n).astype("int32"),
            "is_simulation_eligible": np.ones(n, dtype=bool),
        }
    ).assign(popularity_members=lambda d: d.popularity_members.mask(d.popularity_members < 0))


def _sample_master() -> pd.DataFrame:
    """The embedded sample, eligible titles only (TV/ONA, 2..200 episodes, duration, tags)."""
    data = json.load(gzip.open(REPO_ROOT / "data" / "anime-offline-database-sample.json.gz"))
    with open(REPO_ROOT / "data" / "anime-popularity-mal-2016.csv") as f:
        members = {int(r["mal_id"]): int(r["members"]) for r in csv.DictReader(f)}
    rows = []
    for a in data["data"]:
        if a["type"] not in ("TV", "ONA") or not 2 <= a["episodes"] <= 200:
            continue
        if not a.get("duration") or not a["tags"]:
            continue
        mal = [s for s in a["sources"] if "myanimelist.net/anime/" in s]
        mal_id = int(mal[0].rsplit("/", 1)[1]) if mal else None
        rows.append(
            {
                "anime_id": f"mal-{mal_id}" if mal_id else f"t-{abs(hash(a['title'])):016x}",
                "title": a["title"],
                "anime_type": a["type"],
                "episodes": a["episodes"],
                "duration_seconds": a["duration"]["value"],
                "score_mean": (a.get("score") or {}).get("arithmeticMean"),
                "tags": a["tags"],
                "popularity_members": members.get(mal_id) if mal_id else None,
                "season_year": (a.get("animeSeason") or {}).get("year"),
                "is_simulation_eligible": True,
            }
        )
    df = pd.DataFrame(rows).drop_duplicates("anime_id")
    df["popularity_members"] = df["popularity_members"].astype("Int64")
    df["season_year"] = df["season_year"].astype("Int64")
    return df


@pytest.fixture(scope="session")
def _tiny_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sim_tiny") / "tiny.duckdb"
    _write_catalogue(path, _tiny_master())
    return path


@pytest.fixture(scope="session")
def _sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sim_sample") / "sample.duckdb"
    _write_catalogue(path, _sample_master())
    return path


@pytest.fixture
def tiny_warehouse(_tiny_template: Path, tmp_path: Path) -> Callable[[str], Path]:
    """A factory of fresh copies of the tiny catalogue warehouse (one per name)."""

    def make(name: str = "w") -> Path:
        target = tmp_path / f"{name}.duckdb"
        shutil.copy(_tiny_template, target)
        return target

    return make


@pytest.fixture
def sample_warehouse(_sample_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "sample.duckdb"
    shutil.copy(_sample_template, target)
    return target


def simulate(
    warehouse: Path,
    *,
    users: int = 300,
    days: int = 30,
    seed: int = 42,
    chunk_users: int = 10000,
    append: bool = False,
    start: dt.date = dt.date(2026, 1, 1),
) -> None:
    """Run the simulator in-process (faster than the CLI) with the default config."""
    run(
        RunSpec(
            users=users,
            start=start,
            end=start + dt.timedelta(days=days),
            seed=seed,
            config=load_config(),
            warehouse=warehouse,
            append=append,
            chunk_users=chunk_users,
            progress=False,
        )
    )


def table(path: Path, name: str, order: str) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"select * from {name} order by {order}").df()
    finally:
        con.close()
