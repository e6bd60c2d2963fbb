"""docs/benchmarks.md is the benches' own output: what they printed, per bench, and the machine."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from bench import report


def test_report_holds_each_bench_output_unedited(tmp_path: Path) -> None:
    outputs = [
        report.BenchOutput("bench_ingest", 12.4, "== ingest\n  1M rows: 1.23 s\n", failed=False),
        report.BenchOutput("bench_ml", 3.0, "  bench_ml failed: ValueError: x\n", failed=True),
    ]
    target = tmp_path / "benchmarks.md"
    report.write_markdown(target, outputs, datetime(2026, 12, 3, 7, 40, tzinfo=UTC), "0.5 / 0.4 / 0.3")
    text = target.read_text()
    assert "on 2026-12-03 07:40 UTC" in text
    assert "## bench_ingest (12 s)\n\n```text\n== ingest\n  1M rows: 1.23 s\n```" in text
    assert "## bench_ml (FAILED)\n\n```text\n  bench_ml failed: ValueError: x\n```" in text
    assert "at the start: 0.5 / 0.4 / 0.3" in text
    assert "logical cores" in text and "duckdb " in text
    assert not (tmp_path / "benchmarks.md.partial").exists()


def test_tee_streams_and_keeps() -> None:
    terminal = io.StringIO()
    tee = report.Tee(terminal)
    print("figure 1", file=tee)
    assert terminal.getvalue() == tee.kept.getvalue() == "figure 1\n"
