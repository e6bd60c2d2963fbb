"""docs/benchmarks.md from a `python -m bench` run: the machine, the date and each bench's output.

The figures are exactly what the benches printed in that run, so the docs cannot drift from the
code that measures them; README and DESIGN point here instead of quoting ranges.
"""

from __future__ import annotations

import io
import os
import platform
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TextIO

PACKAGES = ("duckdb", "dbt-core", "dbt-duckdb", "numpy", "scikit-learn", "streamlit")


@dataclass
class BenchOutput:
    name: str
    seconds: float
    text: str
    failed: bool


@dataclass
class Tee(io.TextIOBase, TextIO):
    """Writes to the terminal and keeps a copy (a bench's output still streams as it runs).

    A `TextIO` too, as `sys.stdout` is, so that `contextlib.redirect_stdout` takes it; `io.TextIOBase`
    comes first, so its methods (not `typing.TextIO`'s empty ones) answer what `Tee` leaves out.
    """

    terminal: TextIO
    kept: io.StringIO = field(default_factory=io.StringIO)

    def write(self, text: str) -> int:
        self.kept.write(text)
        return self.terminal.write(text)

    def flush(self) -> None:
        self.terminal.flush()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> str:
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return "unknown"
    return f"{pages * page_size / 2**30:.0f} GB"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _load() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def machine_lines(load_at_start: str) -> list[str]:
    versions = ", ".join(f"{p} {_version(p)}" for p in PACKAGES)
    return [
        f"- CPU: {_cpu_model()}, {os.cpu_count()} logical cores; memory {_memory_gb()}",
        f"- OS: {platform.platform()}; Python {sys.version.split()[0]}",
        f"- Packages: {versions}",
        f"- Load average (1 / 5 / 15 min) at the start: {load_at_start}; at the end: {_load()}",
    ]


def load_now() -> str:
    return _load()


def write_markdown(path: Path, outputs: list[BenchOutput], started_at: datetime, load_at_start: str) -> None:
    """Replace `path` with this run's figures (written whole to a temporary file, then moved)."""
    total = sum(o.seconds for o in outputs)
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`python -m bench`) on {started_at:%Y-%m-%d %H:%M} UTC, "
        f"{total / 60:.0f} minutes in all. Each section is the bench's own output, unedited; "
        "rerun `make bench` to replace this file with your machine's figures. Benchmarks print "
        "figures and ratios; no test asserts a timing.",
        "",
        "## Machine",
        "",
        *machine_lines(load_at_start),
        "",
    ]
    for output in outputs:
        status = "FAILED" if output.failed else f"{output.seconds:.0f} s"
        lines += [f"## {output.name} ({status})", "", "```text", output.text.strip("\n"), "```", ""]
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text("\n".join(lines))
    partial.replace(path)


def now() -> datetime:
    return datetime.now(UTC)
