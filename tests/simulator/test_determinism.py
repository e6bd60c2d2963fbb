"""Same seed + config: identical tables whatever the chunking; extending keeps the prefix."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from simulator import progression
from tests.simulator.conftest import simulate, table

START = dt.datetime(2026, 1, 1)
TABLES = {
    "raw.users": "user_id",
    "raw.viewing_events": "event_id",
    "sim.event_truth": "event_id",
    "sim.user_truth": "user_id",
}


# Fingerprint of the four tables for users=300, days=30, seed=42 on the tiny catalogue, as written
# by the straightforward (pre-optimisation) simulator. Throughput work must keep it: a change here
# is a change of the simulated data for an unchanged seed and config.
FINGERPRINT = "4c61050a483fc0c6d97dc7984296035e078005a5d40a0e3912feb2df4da95061"


def _frames(path: Path) -> dict[str, pd.DataFrame]:
    return {name: table(path, name, order) for name, order in TABLES.items()}


def _fingerprint(path: Path) -> str:
    h = hashlib.sha256()
    for frame in _frames(path).values():
        h.update(frame.to_csv(index=False).encode())
    return h.hexdigest()


def test_output_is_pinned(tiny_warehouse: Callable[[str], Path]) -> None:
    a = tiny_warehouse("a")
    simulate(a, users=300, days=30, chunk_users=10000)
    assert _fingerprint(a) == FINGERPRINT


def test_title_history_without_bitset_is_identical(
    tiny_warehouse: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large chunks x catalogues keep started titles as a list instead of bits: same output."""
    a = tiny_warehouse("a")
    monkeypatch.setattr(progression, "BITSET_MAX_BYTES", 0)
    simulate(a, users=300, days=30, chunk_users=10000)
    assert _fingerprint(a) == FINGERPRINT


@pytest.mark.parametrize("pool", [10000, 300, 50])
def test_small_event_batches_are_identical(
    tiny_warehouse: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch, pool: int
) -> None:
    """Events are handed to the writer in batches of the asked size, halved once no user waits;
    their size changes nothing, even when one step plays more events than a batch holds."""
    a = tiny_warehouse("a")
    original = progression.simulate
    sizes: list[int] = []

    def simulate_in_small_batches(*args: Any, **kw: Any) -> None:
        batches, cat, cfg, window, emit, done = args

        def counted(ev: dict[str, np.ndarray]) -> None:
            sizes.append(len(ev["event_id"]))
            emit(ev)

        original(batches, cat, cfg, window, counted, done, **kw, flush_rows=97)

    monkeypatch.setattr("simulator.run.simulate", simulate_in_small_batches)
    simulate(a, users=300, days=30, chunk_users=pool)
    assert _fingerprint(a) == FINGERPRINT
    assert len(sizes) > 10
    assert set(sizes[:-1]) <= {97, 48} and sizes[-1] <= 97
    if pool >= 300:  # every user in the pool from the start: halved batches throughout
        assert set(sizes[:-1]) == {48}
    else:
        assert sizes[0] == 97


def test_identical_whatever_the_chunk_size(tiny_warehouse: Callable[[str], Path]) -> None:
    a, b = tiny_warehouse("a"), tiny_warehouse("b")
    simulate(a, users=300, days=30, chunk_users=1000)
    simulate(b, users=300, days=30, chunk_users=37)
    fa, fb = _frames(a), _frames(b)
    assert len(fa["raw.viewing_events"]) > 1500
    for name in TABLES:
        pdt.assert_frame_equal(fa[name], fb[name], check_like=False)


def test_rerun_is_idempotent(tiny_warehouse: Callable[[str], Path]) -> None:
    a = tiny_warehouse("a")
    simulate(a, users=150, days=20)
    first = _frames(a)
    simulate(a, users=150, days=20)
    second = _frames(a)
    for name in TABLES:
        pdt.assert_frame_equal(first[name], second[name])
    assert len(table(a, "sim.run", "run_id")) == 1


def test_different_seed_differs(tiny_warehouse: Callable[[str], Path]) -> None:
    a, b = tiny_warehouse("a"), tiny_warehouse("b")
    simulate(a, users=100, days=15, seed=1)
    simulate(b, users=100, days=15, seed=2)
    ea, eb = table(a, "raw.viewing_events", "event_id"), table(b, "raw.viewing_events", "event_id")
    assert not ea.equals(eb)


def test_longer_window_keeps_every_earlier_event(tiny_warehouse: Callable[[str], Path]) -> None:
    short, long = tiny_warehouse("short"), tiny_warehouse("long")
    simulate(short, users=300, days=20)
    simulate(long, users=300, days=27)
    cut = START + dt.timedelta(days=20)
    s, lg = _frames(short), _frames(long)
    ev_long = lg["raw.viewing_events"]
    before = ev_long[ev_long.started_at < cut].reset_index(drop=True)
    pdt.assert_frame_equal(s["raw.viewing_events"], before)
    assert (ev_long.started_at >= cut).sum() > 0
    truth_long = lg["sim.event_truth"]
    truth_before = truth_long[truth_long.event_id.isin(before.event_id)].reset_index(drop=True)
    pdt.assert_frame_equal(s["sim.event_truth"], truth_before)
    users_long = lg["raw.users"]
    pdt.assert_frame_equal(s["raw.users"], users_long[users_long.signed_up_at < cut].reset_index(drop=True))
    # 20 of the 60 signup days fall in the short window, 27 in the long one: new users appear.
    assert len(users_long) > len(s["raw.users"])


def test_append_equals_a_full_run(tiny_warehouse: Callable[[str], Path]) -> None:
    inc, full = tiny_warehouse("inc"), tiny_warehouse("full")
    simulate(inc, users=300, days=20)
    before = table(inc, "raw.viewing_events", "event_id")
    simulate(inc, users=300, days=27, append=True)
    simulate(full, users=300, days=27)
    fi, ff = _frames(inc), _frames(full)
    for name in TABLES:
        pdt.assert_frame_equal(fi[name], ff[name])
    # Only events after the previous window end were appended; earlier rows were kept.
    after = fi["raw.viewing_events"]
    assert set(before.event_id) <= set(after.event_id)
    runs = table(inc, "sim.run", "run_id")
    assert list(runs["mode"]) == ["full", "append"]
    assert runs["n_events"].iloc[-1] == len(after)
