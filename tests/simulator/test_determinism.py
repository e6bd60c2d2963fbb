"""Same seed + config: identical tables whatever the chunking or the machine; extending keeps the prefix.

What "identical" means across machines: NumPy, libm and BLAS pick kernels by CPU at run time, and the
SIMD kernels of exp, log, pow and cos differ in their last bits from one CPU to another. The raw log
(ids, titles, episodes, timestamps, seconds) and every discrete truth column must not move at all:
they are compared exactly. The simulator's float truth (probabilities, latent traits, logit terms)
may move by a few units in the last place: it is compared to pinned sums within 1e-9 relative.
A last bit can still flip a decision (a floor of a waiting time, a draw against a probability);
on the default 1M-play run that happens for about one user in 300,000 runs (docs/DESIGN.md).

To check a machine's other kernels by hand, turn off the SIMD groups its CPU has beyond NumPy's
baseline, e.g. `NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR" pytest
tests/simulator/test_determinism.py`; `test_same_log_with_numpy_simd_kernels_off` does so for the
groups found on the machine it runs on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from simulator import pool, progression
from tests.simulator.conftest import simulate, table
from warehouse import REPO_ROOT

START = dt.datetime(2026, 1, 1)
TABLES = {
    "raw.users": "user_id",
    "raw.viewing_events": "event_id",
    "sim.event_truth": "event_id",
    "sim.user_truth": "user_id",
}
PINNED_RUN = ["--users", "300", "--days", "30", "--seed", "42", "--start", "2026-01-01"]

# users=300, days=30, seed=42 on the tiny catalogue. A change here is a change of the simulated data
# for an unchanged seed and config: make it knowingly, in the fast simulator and in the plainly
# written reference (tests/simulator/reference.py, which test_reference.py holds it equal to).
# Re-pinned when the simulator began to write resumed views, skipped episodes and rewatches
# (2,645 -> 3,138 plays: resumed views are decided on their whole completion and continue more).
# EXACT_SHA256 covers every table with its float columns
# replaced by their null masks; FLOAT_SUMS holds, per float column, the sum of its values, of their
# squares and of the values weighted by row position (so values moving between rows show).
EXACT_SHA256 = "f98641e62e0a77a23ca7b798bc4c02b29b210e3ab29b7c2cdb7b87c94902562c"
FLOAT_SUMS: dict[str, tuple[float, float, float]] = {
    "sim.event_truth.p_continue": (2638.018553459345, 2391.6110549380082, 128837.9762838523),
    "sim.event_truth.interest": (1194.1908671037595, 2881.775139129165, 56503.84890498113),
    "sim.event_truth.logit_base": (9414.0, 28242.0, 458073.0),
    "sim.event_truth.logit_episode": (-2397.2049830686537, 4811.957856830707, -116486.03338883726),
    "sim.event_truth.logit_title": (870.5993081782945, 632.5162855632343, 44184.569427064154),
    "sim.event_truth.logit_engagement": (545.6816459160764, 281.01666849655834, 26161.91858699324),
    "sim.event_truth.logit_affinity": (35.121480894245906, 17.2928233349277, 1673.8352274567587),
    "sim.event_truth.logit_completion": (208.03643230884336, 1038.7050745012486, 10523.361486948328),
    "sim.event_truth.logit_fatigue": (-297.07999697327614, 71.55359945073131, -13650.439848415554),
    "sim.event_truth.logit_recency": (-155.40435232446907, 44.85929189719986, -7879.040453568363),
    "sim.user_truth.engagement": (-21.159404121415804, 119.53045529854285, -929.8907166360893),
    "sim.user_truth.binge_propensity": (8.179411316061842, 96.85622129977169, 216.15815661458376),
    "sim.user_truth.daily_budget_minutes": (18213.7221570761, 3037675.1771862637, 720938.9125792583),
    "sim.user_truth.preferred_hour": (2553.811063996763, 50211.975428579935, 103038.5350583438),
}
FLOAT_TOLERANCE = 1e-9


def _frames(path: Path) -> dict[str, pd.DataFrame]:
    return {name: table(path, name, order) for name, order in TABLES.items()}


def _float_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]


def exact_digest(frames: dict[str, pd.DataFrame]) -> str:
    h = hashlib.sha256()
    for frame in frames.values():
        floats = _float_columns(frame)
        h.update(frame.assign(**{c: frame[c].isna() for c in floats}).to_csv(index=False).encode())
    return h.hexdigest()


def _float_values(frames: dict[str, pd.DataFrame]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per float column: its non-null values and their row weights (position mod 97, plus 1)."""
    values = {}
    for name, frame in frames.items():
        for column in _float_columns(frame):
            x = frame[column].to_numpy(dtype=np.float64)
            ok = ~np.isnan(x)
            values[f"{name}.{column}"] = (x[ok], (np.arange(len(x)) % 97 + 1.0)[ok])
    return values


def float_sums(frames: dict[str, pd.DataFrame]) -> dict[str, tuple[float, float, float]]:
    return {
        column: (math.fsum(x), math.fsum(x * x), math.fsum(x * w))
        for column, (x, w) in _float_values(frames).items()
    }


def assert_pinned(path: Path) -> None:
    frames = _frames(path)
    assert exact_digest(frames) == EXACT_SHA256, "the raw log or a discrete truth column changed"
    values = _float_values(frames)
    assert values.keys() == FLOAT_SUMS.keys()
    for column, (x, w) in values.items():
        got = (math.fsum(x), math.fsum(x * x), math.fsum(x * w))
        # each sum may move by FLOAT_TOLERANCE of the same sum taken over |values|
        bounds = (math.fsum(abs(x)), got[1], math.fsum(abs(x) * w))
        for stat, pinned, bound in zip(got, FLOAT_SUMS[column], bounds, strict=True):
            assert abs(stat - pinned) <= FLOAT_TOLERANCE * bound, (column, stat, pinned)


def simulate_in_subprocess(path: Path, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "simulator", "--warehouse", str(path), "--no-progress", *PINNED_RUN],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        timeout=600,
    )


def test_output_is_pinned(tiny_warehouse: Callable[[str], Path]) -> None:
    a = tiny_warehouse("a")
    simulate(a, users=300, days=30, chunk_users=10000)
    assert_pinned(a)


def test_same_log_with_numpy_simd_kernels_off(tiny_warehouse: Callable[[str], Path]) -> None:
    """NumPy's wider SIMD groups that this CPU has, turned off: NumPy falls back to other kernels."""
    from numpy._core import _multiarray_umath as umath

    groups = [g for g in umath.__cpu_dispatch__ if umath.__cpu_features__.get(g)]
    a = tiny_warehouse("a")
    simulate_in_subprocess(a, {"NPY_DISABLE_CPU_FEATURES": " ".join(groups)})
    assert_pinned(a)


def test_raw_log_does_not_depend_on_the_last_bits_of_libm(
    tiny_warehouse: Callable[[str], Path], tmp_path: Path
) -> None:
    """Another machine's maths library, emulated: every exp/log/pow/cos result NumPy gets from libm
    moves by up to 4 units in the last place. Floats move; the raw log must not."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None or not sys.platform.startswith("linux"):
        pytest.skip("needs a C compiler and LD_PRELOAD (Linux)")
    shim = tmp_path / "libm_nudge.so"
    source = Path(__file__).with_name("libm_nudge.c")
    build = [compiler, "-O2", "-shared", "-fPIC", "-o", str(shim), str(source), "-ldl", "-lm"]
    subprocess.run(build, check=True)
    a = tiny_warehouse("a")
    simulate_in_subprocess(a, {"LD_PRELOAD": str(shim)})
    if float_sums(_frames(a)) == FLOAT_SUMS:
        pytest.skip("NumPy on this CPU computes exp/log itself, not through libm: nothing was nudged")
    assert_pinned(a)


def test_title_history_without_bitset_is_identical(
    tiny_warehouse: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large chunks x catalogues keep started titles as a list instead of bits: same output."""
    a = tiny_warehouse("a")
    monkeypatch.setattr(pool, "BITSET_MAX_BYTES", 0)
    simulate(a, users=300, days=30, chunk_users=10000)
    assert_pinned(a)


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
    assert_pinned(a)
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
