"""bench package: benchmarks that print figures and ratios (`python -m bench`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path


def machine(packages: Sequence[str]) -> str:
    """CPU model, core count and the versions of `packages`: the line a figure is reported with."""
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((x.split(":", 1)[1].strip() for x in lines if x.startswith("model name")), "unknown CPU")
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in packages)
    return f"{cpu}, {os.cpu_count()} cores; {versions}"


def load_average() -> str:
    """The 1/5/15-minute load averages: a loaded run is visible as such."""
    return "/".join(f"{x:.2f}" for x in os.getloadavg())
