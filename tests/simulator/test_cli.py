"""The command line: one-line errors (exit 2, no traceback), missing catalogue, a real run."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from warehouse import REPO_ROOT


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _assert_one_line_error(result: subprocess.CompletedProcess[str], needle: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and needle in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--users", "0"], "--users must be positive"),
        (["--users", "-5"], "--users must be positive"),
        (["--start", "2026-02-01", "--until", "2026-01-15"], "must be after --start"),
        (["--start", "2026-13-45"], "bad date"),
        (["--days", "3", "--until", "2026-02-01"], "not allowed with argument"),
        (["--users", "many"], "invalid int value"),
    ],
)
def test_bad_arguments(args: list[str], needle: str, tiny_warehouse: Callable[[str], Path]) -> None:
    _assert_one_line_error(_cli(*args, "--warehouse", str(tiny_warehouse("w"))), needle)


def test_unknown_config_key(tiny_warehouse: Callable[[str], Path], tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[continuation]\nbase = 1.0\nhook_dorp = 2.0\n")
    result = _cli("--config", str(cfg), "--warehouse", str(tiny_warehouse("w")))
    _assert_one_line_error(result, "unknown config key: continuation.hook_dorp")


@pytest.mark.parametrize(
    ("name", "text", "needle"),
    [
        ("list.json", "[1, 2]", "must hold an object of sections, got list"),
        ("share.toml", "[population]\nnever_watch_share = 1.5\n", "never_watch_share must be between 0"),
        ("sd.toml", "[population]\nengagement_sd = -1\n", "population.engagement_sd must be >= 0"),
        ("odds.toml", "[churn]\ndormancy_per_title = 0\n", "between 0 and 1 (exclusive)"),
        ("weights.toml", "[population.device_weights]\ntv = 'lots'\n", "device_weights.tv must be a number"),
        ("order.toml", "[completion]\nabandon_min = 0.9\nabandon_max = 0.1\n", "<= completion.abandon_max"),
    ],
)
def test_bad_config_values(
    name: str, text: str, needle: str, tiny_warehouse: Callable[[str], Path], tmp_path: Path
) -> None:
    cfg = tmp_path / name
    cfg.write_text(text)
    result = _cli("--config", str(cfg), "--warehouse", str(tiny_warehouse("w")))
    _assert_one_line_error(result, needle)


def test_append_without_a_previous_run(tiny_warehouse: Callable[[str], Path]) -> None:
    result = _cli("--append", "--days", "10", "--warehouse", str(tiny_warehouse("w")))
    _assert_one_line_error(result, "--append needs a previous run in sim.run")


def test_append_to_a_run_of_an_older_simulator(tiny_warehouse: Callable[[str], Path]) -> None:
    """A warehouse simulated before the real-log shapes: --append says so in one line, changes nothing."""
    path = tiny_warehouse("w")
    first = _cli(
        "--users", "50", "--days", "10", "--start", "2026-01-01", "--warehouse", str(path), "--no-progress"
    )
    assert first.returncode == 0, first.stderr
    with duckdb.connect(str(path)) as con:
        con.execute("alter table sim.event_truth drop column is_rewatch")
        before = con.execute("select count(*) from raw.viewing_events").fetchall()
    result = _cli("--append", "--until", "2026-01-15", "--warehouse", str(path), "--no-progress")
    _assert_one_line_error(result, "written by an older simulator")
    with duckdb.connect(str(path)) as con:
        assert con.execute("select count(*) from raw.viewing_events").fetchall() == before


def test_missing_warehouse_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "sub" / "none.duckdb"
    result = _cli("--users", "10", "--warehouse", str(missing))
    _assert_one_line_error(result, f"no catalogue marts in {missing}")
    assert not missing.exists() and not missing.parent.exists()


def test_missing_catalogue(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    result = _cli("--users", "10", "--warehouse", str(empty))
    _assert_one_line_error(result, f"no catalogue marts in {empty}: run `make catalog`")
    assert "dbt build -s tag:catalog" in result.stderr


def test_run_then_report(tiny_warehouse: Callable[[str], Path]) -> None:
    path = tiny_warehouse("w")
    result = _cli("--users", "200", "--days", "20", "--warehouse", str(path))
    assert result.returncode == 0, result.stderr
    assert "plays by 200 new users" not in result.stdout  # only signed-up users are written
    assert result.stdout.startswith("simulated ")
    report = _cli("report", "--warehouse", str(path))
    assert report.returncode == 0, report.stderr
    assert "episodes per session" in report.stdout and "step retention" in report.stdout
