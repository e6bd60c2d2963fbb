"""Simulator configuration: defaults from default_config.toml, overridden by a user file.

The TOML file is the single source of defaults (with the published figure each one is calibrated
to); this module only merges, type-checks and rejects unknown keys.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.errors import SimulatorError

DEFAULT_CONFIG_PATH = Path(__file__).with_name("default_config.toml")

Params = dict[str, Any]


@dataclass(frozen=True)
class Config:
    """Merged configuration, one dict per section (keys exactly those of the default file)."""

    population: Params
    titles: Params
    completion: Params
    continuation: Params
    timing: Params
    churn: Params

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=True)

    def as_dict(self) -> dict[str, Params]:
        return {
            "population": self.population,
            "titles": self.titles,
            "completion": self.completion,
            "continuation": self.continuation,
            "timing": self.timing,
            "churn": self.churn,
        }


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise SimulatorError(f"cannot read config {path}: {exc.strerror}") from None
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SimulatorError(f"bad JSON in config {path}: {exc.msg}") from None
        if not isinstance(data, dict):
            raise SimulatorError(f"config {path} must hold an object of sections, got {type(data).__name__}")
        return data
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SimulatorError(f"bad TOML in config {path}: {exc}") from None


def _merge(defaults: dict[str, Any], override: dict[str, Any], where: str) -> dict[str, Any]:
    out = dict(defaults)
    for k, v in override.items():
        name = f"{where}.{k}" if where else k
        if k not in defaults:
            raise SimulatorError(f"unknown config key: {name}")
        d = defaults[k]
        if isinstance(d, dict):
            if not isinstance(v, dict):
                raise SimulatorError(f"config key {name} must be a table")
            if where:  # weight tables (device_weights, ...) may name new categories
                out[k] = {str(kk): _weight(f"{name}.{kk}", vv) for kk, vv in v.items()}
            else:
                out[k] = _merge(d, v, name)
        elif isinstance(d, bool) or not isinstance(v, int | float) or isinstance(v, bool):
            raise SimulatorError(f"config key {name} must be a number, got {v!r}")
        elif isinstance(d, int) and not float(v).is_integer():
            raise SimulatorError(f"config key {name} must be an integer, got {v!r}")
        else:
            out[k] = type(d)(v)
    return out


def _weight(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise SimulatorError(f"config key {name} must be a number >= 0, got {value!r}")
    return float(value)


# Ranges by what a key is (its name says it): a value outside makes the simulation meaningless.
_OPEN_UNIT = {"premium_share", "dormancy_per_title"}  # used as log odds: strictly inside (0, 1)
_POSITIVE_SUFFIXES = ("_span_days", "_mean_days", "_minutes", "_years", "_tau", "_mean_seconds")


def _check_ranges(merged: dict[str, Any]) -> None:
    def bad(name: str, rule: str, value: Any) -> SimulatorError:
        return SimulatorError(f"config key {name} must be {rule}, got {value!r}")

    for section, values in merged.items():
        for key, value in values.items():
            name = f"{section}.{key}"
            if isinstance(value, dict):
                if not sum(value.values()) > 0:
                    raise bad(name, "a table of weights with a positive total", value)
            elif key in _OPEN_UNIT:
                if not 0 < value < 1:
                    raise bad(name, "between 0 and 1 (exclusive)", value)
            elif key.endswith("_share") or key in ("abandon_min", "abandon_max", "recency_floor"):
                if not 0 <= value <= 1:
                    raise bad(name, "between 0 and 1", value)
            elif key.endswith(("_sd", "_sigma", "_seconds", "max_gap_days")):
                if value < 0:
                    raise bad(name, ">= 0", value)
            elif key.endswith(_POSITIVE_SUFFIXES) or key == "max_parallel_titles":
                if value <= 0:
                    raise bad(name, "> 0", value)
    completion, timing = merged["completion"], merged["timing"]
    if completion["abandon_min"] > completion["abandon_max"]:
        raise bad("completion.abandon_min", "<= completion.abandon_max", completion["abandon_min"])
    if timing["pause_min_seconds"] > timing["pause_max_seconds"]:
        raise bad("timing.pause_min_seconds", "<= timing.pause_max_seconds", timing["pause_min_seconds"])


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Defaults, then the file at `path`, then `overrides` (a nested dict, used by tests)."""
    merged = _read(DEFAULT_CONFIG_PATH)
    if path is not None:
        merged = _merge(merged, _read(Path(path)), "")
    if overrides:
        merged = _merge(merged, overrides, "")
    _check_ranges(merged)
    return Config(**merged)


def config_from_json(text: str) -> Config:
    """Rebuild the config a previous run stored in sim.run (for --append)."""
    return Config(**_merge(_read(DEFAULT_CONFIG_PATH), json.loads(text), ""))
