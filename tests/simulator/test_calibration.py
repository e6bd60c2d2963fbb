"""The default config lands inside the documented bands (on the embedded sample catalogue)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from simulator.report import compute, format_report
from tests.simulator.conftest import simulate


def test_default_config_is_calibrated(sample_warehouse: Path) -> None:
    simulate(sample_warehouse, users=4000, days=60)
    con = duckdb.connect(str(sample_warehouse), read_only=True)
    try:
        figs = compute(con)
    finally:
        con.close()
    names = {f.name for f in figs}
    assert any("episodes per session" in n for n in names)
    assert any("1 -> 2" in n for n in names) and any("2 -> 3" in n for n in names)
    off = [f for f in figs if not f.ok]
    assert not off, "\n" + format_report(figs)
