"""One simulation run: read the catalogue, simulate users chunk by chunk, write the tables."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from tqdm import tqdm

from simulator.config import Config, config_from_json
from simulator.errors import SimulatorError
from simulator.population import DAY, Users, categorical, make_users
from simulator.progression import LOGIT_TERMS, STEP_BITS, Window, simulate_chunk
from simulator.titles import Catalogue, load_catalogue
from simulator.writer import Writer, drop_staging
from warehouse import connect, warehouse_path

DEVICES_FALLBACK = ("tv", "mobile", "desktop", "tablet")


@dataclass(frozen=True)
class RunSpec:
    users: int
    start: dt.date
    end: dt.date  # exclusive: the window is [start 00:00, end 00:00)
    seed: int
    config: Config
    warehouse: Path
    append: bool = False
    chunk_users: int = 50000
    progress: bool | None = None  # None: only on a terminal


@dataclass(frozen=True)
class RunResult:
    n_users: int  # users written by this run
    n_events: int  # events written by this run
    window_start: dt.datetime
    window_end: dt.datetime


def _ts(day: dt.date) -> np.datetime64:
    return np.datetime64(day.isoformat(), "us")


def _dict_array(codes: np.ndarray, names: list[str] | np.ndarray) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(
        pa.array(np.asarray(codes, dtype=np.int32)), pa.array(list(names), pa.string())
    )


def _timestamps(base: np.datetime64, seconds: np.ndarray) -> pa.Array:
    finite = np.isfinite(seconds)
    us = base + (np.where(finite, seconds, 0) * 1_000_000).astype("timedelta64[us]")
    return pa.array(us, type=pa.timestamp("us"), mask=~finite)


def _event_tables(
    ev: dict[str, np.ndarray], keep: np.ndarray, cat: Catalogue, base: np.datetime64, devices: list
) -> tuple[pa.Table, pa.Table]:
    ev = {k: v[keep] for k, v in ev.items()}
    event_id = (ev["user_id"].astype(np.int64) << STEP_BITS) | ev["step"].astype(np.int64)
    events = pa.table(
        {
            "event_id": event_id,
            "user_id": ev["user_id"].astype(np.int64),
            "anime_id": _dict_array(ev["title"], cat.anime_id),
            "episode_number": ev["episode_number"].astype(np.int32),
            "started_at": _timestamps(base, ev["started"]),
            "watched_seconds": ev["watched"].astype(np.int32),
            "episode_duration_seconds": ev["duration"].astype(np.int32),
            "device": _dict_array(ev["device"], devices),
        }
    )
    p = ev["p_continue"]
    last = np.isnan(p)
    truth = {
        "event_id": pa.array(event_id),
        "p_continue": pa.array(np.where(last, 0.0, p), mask=last),
        "will_continue": pa.array(ev["will_continue"].astype(bool), mask=last),
        "interest": pa.array(ev["interest"].astype(np.float64)),
    }
    for name in LOGIT_TERMS:
        truth[name] = pa.array(ev[name].astype(np.float32))
    return events, pa.table(truth)


def _user_tables(
    users: Users,
    truth: dict[str, np.ndarray],
    keep: np.ndarray,
    cat: Catalogue,
    cfg: Config,
    base: np.datetime64,
) -> tuple[pa.Table, pa.Table]:
    countries, _ = categorical(cfg.population["country_weights"])
    devices, _ = categorical(cfg.population["device_weights"])
    u = users.take(keep)
    raw = pa.table(
        {
            "user_id": u.user_id,
            "signed_up_at": _timestamps(base, u.signup),
            "country": _dict_array(u.country, countries),
            "device": _dict_array(u.device, devices),
            "plan": _dict_array(u.plan, ["free", "premium"]),
        }
    )
    top = np.argsort(-u.taste, axis=1)[:, :3]
    tags = np.array(cat.tags, dtype=object)[top].ravel()
    offsets = np.arange(0, len(tags) + 1, 3, dtype=np.int32)
    t = {k: v[keep] for k, v in truth.items()}
    sim = pa.table(
        {
            "user_id": u.user_id,
            "engagement": u.engagement,
            "binge_propensity": u.binge,
            "daily_budget_minutes": u.budget_minutes,
            "preferred_hour": u.pref_hour,
            "taste_top_tags": pa.ListArray.from_arrays(offsets, pa.array(list(tags), pa.string())),
            "is_never_watcher": u.never_watch,
            "titles_started": t["titles_started"].astype(np.int32),
            "dormant_spells": t["dormant_spells"].astype(np.int32),
            "last_dormant_at": _timestamps(base, t["last_dormant_at"]),
            "is_dormant_at_window_end": t["is_dormant_at_window_end"],
        }
    )
    return raw, sim


def previous_run(con: duckdb.DuckDBPyConnection) -> dict | None:
    try:
        rows = con.execute(
            "select seed, population, config_json, window_start, window_end "
            "from sim.run order by run_id desc limit 1"
        ).fetchall()
    except duckdb.CatalogException:
        return None
    if not rows:
        return None
    row = rows[0]
    return dict(zip(["seed", "population", "config_json", "window_start", "window_end"], row, strict=True))


def resolve_append(spec: RunSpec, prev: dict | None, explicit: set[str]) -> tuple[RunSpec, dt.date]:
    """--append continues the previous run: same seed, population, start and config."""
    if prev is None:
        raise SimulatorError("--append needs a previous run in sim.run: run without --append first")
    prev_start = prev["window_start"].date()
    prev_end = prev["window_end"].date()
    checks = {
        "seed": (spec.seed, prev["seed"]),
        "users": (spec.users, prev["population"]),
        "start": (spec.start, prev_start),
        "config": (spec.config.to_json(), prev["config_json"]),
    }
    for name, (given, before) in checks.items():
        if name in explicit and given != before:
            raise SimulatorError(
                f"--append continues the previous run: --{name} differs from it (drop --{name})"
            )
    if spec.end <= prev_end:
        raise SimulatorError(
            f"--append: the new window end {spec.end} must be after the previous one {prev_end}"
        )
    resolved = RunSpec(
        users=int(prev["population"]),
        start=prev_start,
        end=spec.end,
        seed=int(prev["seed"]),
        config=config_from_json(prev["config_json"]),
        warehouse=spec.warehouse,
        append=True,
        chunk_users=spec.chunk_users,
        progress=spec.progress,
    )
    return resolved, prev_end


def run(spec: RunSpec, explicit: set[str] | None = None) -> RunResult:
    path = warehouse_path(spec.warehouse)
    try:
        con = connect(path)
    except duckdb.Error as exc:  # e.g. another process holds the write lock
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SimulatorError(f"cannot open the warehouse {path}: {first}") from None
    try:
        drop_staging(con)
        prev_end_rel = -np.inf
        prev_end_ts = None
        if spec.append:
            spec, prev_end = resolve_append(spec, previous_run(con), explicit or set())
            prev_end_rel = (prev_end - spec.start).days * DAY
            prev_end_ts = dt.datetime.combine(prev_end, dt.time())
        cat = load_catalogue(con, path, spec.config, spec.seed, spec.start.year)
        writer = Writer(con, spec.append)
        try:
            result = _simulate_into(writer, spec, cat, prev_end_rel)
            _write_run_row(con, spec, cat, result, prev_end_ts)
            writer.commit()
        except BaseException:
            writer.abandon()
            raise
        return result
    finally:
        con.close()


def _simulate_into(writer: Writer, spec: RunSpec, cat: Catalogue, prev_end_rel: float) -> RunResult:
    cfg = spec.config
    base = _ts(spec.start)
    window = Window(end=(spec.end - spec.start).days * DAY, start_weekday=spec.start.weekday())
    devices, _ = categorical(cfg.population["device_weights"])
    n_users = n_events = 0
    bar = tqdm(
        total=spec.users,
        unit="user",
        desc="simulating",
        file=sys.stderr,
        disable=None if spec.progress is None else not spec.progress,
    )
    with bar:
        for lo in range(1, spec.users + 1, spec.chunk_users):
            ids = np.arange(lo, min(lo + spec.chunk_users, spec.users + 1), dtype=np.int64)
            users = make_users(ids, cfg, cat, spec.seed)
            users = users.take(users.signup < window.end)  # not signed up yet: unknown

            def emit(ev: dict[str, np.ndarray]) -> None:
                nonlocal n_events
                keep_ev = ev["started"] >= prev_end_rel  # --append: only what is new
                events, event_truth = _event_tables(ev, keep_ev, cat, base, devices)
                writer.insert("raw.viewing_events", events)
                writer.insert("sim.event_truth", event_truth)
                n_events += events.num_rows

            truth = simulate_chunk(users, cat, cfg, window, emit)
            # User truth is "as of the window end": always rewritten for every user.
            raw_users, user_truth = _user_tables(
                users, truth, np.ones(len(users.user_id), bool), cat, cfg, base
            )
            new_user = users.signup >= prev_end_rel
            writer.insert("raw.users", raw_users.filter(pa.array(new_user)))
            writer.insert("sim.user_truth", user_truth)
            n_users += int(new_user.sum())
            bar.update(len(ids))
    return RunResult(
        n_users=n_users,
        n_events=n_events,
        window_start=dt.datetime.combine(spec.start, dt.time()),
        window_end=dt.datetime.combine(spec.end, dt.time()),
    )


def _write_run_row(
    con: duckdb.DuckDBPyConnection,
    spec: RunSpec,
    cat: Catalogue,
    result: RunResult,
    prev_end: dt.datetime | None,
) -> None:
    run_id = 1
    totals = (result.n_users, result.n_events)
    if spec.append:
        row = con.execute(
            "select coalesce(max(run_id), 0) + 1, (select count(*) from raw.users), "
            "(select count(*) from raw.viewing_events) from sim.run"
        ).fetchall()[0]
        assert row is not None
        run_id = int(row[0])
        totals = (result.n_users + int(row[1]), result.n_events + int(row[2]))
    con.execute(
        "insert into sim.__sim_staging_run values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::timestamp)",
        [
            run_id,
            "append" if spec.append else "full",
            spec.seed,
            spec.users,
            spec.config.to_json(),
            result.window_start,
            result.window_end,
            prev_end,
            totals[0],
            totals[1],
            cat.n_titles,
        ],
    )
