"""The kill helper itself: it counts only real kills, retries runs that finish before their kill
is due (shrinking its window to the observed run), and gives up after a bounded number of starts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.e2e.faults import kill_repeatedly


def sleeper(seconds: float) -> list[str]:
    return [sys.executable, "-c", f"import time; time.sleep({seconds})"]


def test_a_window_far_too_long_still_gives_real_kills(tmp_path: Path) -> None:
    # As if the window had been timed on a machine 400x slower: the first kill is due after at
    # least 10 s (5 % of 200 s), long after the 0.5 s run has ended, so that attempt is a miss.
    report = kill_repeatedly(
        sleeper(0.5), tmp_path / "w.duckdb", times=3, window_seconds=200, state=lambda: None, seed=1
    )
    assert report.kills == 3, report.summary()
    first = report.attempts[0]
    assert not first.killed and first.ran_seconds is not None and first.ran_seconds >= 0.5
    # later windows are the observed run length (or less), not the stale 200 s
    assert all(a.window_seconds <= first.ran_seconds for a in report.attempts[1:]), report.summary()
    assert report.kills + report.finished_before_kill == len(report.attempts) == len(report.states)


def test_attempts_are_bounded(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "pass"]
    report = kill_repeatedly(
        command, tmp_path / "w.duckdb", times=3, window_seconds=200, state=lambda: None, max_attempts=2
    )
    assert len(report.attempts) == 2 and report.kills <= 1, report.summary()
    assert not report.attempts[0].killed


def test_a_failing_stage_raises_with_its_stderr(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import sys; sys.exit('stage broke')"]
    with pytest.raises(RuntimeError, match="exited 1(.|\n)*stage broke"):
        kill_repeatedly(command, tmp_path / "w.duckdb", times=1, window_seconds=200, state=lambda: None)
