"""One simulation run: read the catalogue, simulate the users (a pool at a time), write the tables."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from tqdm import tqdm

from simulator.clock import DAY, Window
from simulator.config import Config, config_from_json
from simulator.errors import SimulatorError
from simulator.events import LOGIT_TERMS
from simulator.population import Users, categorical, signed_up_batches
from simulator.progression import POOL_USERS, simulate
from simulator.titles import MISSING_MARTS, Catalogue, load_catalogue
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
    chunk_users: int = POOL_USERS  # users simulated at once (the pool's rows), made in batches of this size
    progress: bool | None = None  # None: only on a terminal


@dataclass(frozen=True)
class RunResult:
    n_users: int  # users written by this run
    n_events: int  # events written by this run
    window_start: dt.datetime
    window_end: dt.datetime


def _ts(day: dt.date) -> np.datetime64:
    return np.datetime64(day.isoformat(), "us")


# Columns become Arrow arrays straight from their NumPy buffers: no copy for numeric columns, and
# no pa.array(), whose first call imports pandas (a third of a second on a small run).
_ARROW_TYPES = {
    "int8": pa.int8(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float32": pa.float32(),
    "float64": pa.float64(),
}


def _arrow(values: np.ndarray, null: np.ndarray | None = None, type_: pa.DataType | None = None) -> pa.Array:
    """A 1-d NumPy column as an Arrow array (`null`: rows to store as NULL)."""
    values = np.ascontiguousarray(values)
    validity, n_null = None, 0
    if null is not None and null.any():
        validity = pa.py_buffer(np.packbits(~null, bitorder="little"))
        n_null = int(null.sum())
    if values.dtype == np.bool_:
        data, type_ = pa.py_buffer(np.packbits(values, bitorder="little")), pa.bool_()
    else:
        data, type_ = pa.py_buffer(values), type_ or _ARROW_TYPES[values.dtype.name]
    return pa.Array.from_buffers(type_, len(values), [validity, data], null_count=n_null)


def _strings(names: list[str] | np.ndarray) -> pa.Array:
    encoded = [str(v).encode() for v in names]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(v) for v in encoded], out=offsets[1:])
    data = pa.py_buffer(b"".join(encoded))
    return pa.Array.from_buffers(pa.string(), len(encoded), [None, pa.py_buffer(offsets), data])


def _dict_array(codes: np.ndarray, names: list[str] | np.ndarray | pa.Array) -> pa.DictionaryArray:
    dictionary = names if isinstance(names, pa.Array) else _strings(names)
    return pa.DictionaryArray.from_arrays(_arrow(np.asarray(codes, dtype=np.int32)), dictionary)


def _table(columns: dict[str, pa.Array]) -> pa.Table:
    return pa.Table.from_arrays(list(columns.values()), names=list(columns))


def _timestamps(base: np.datetime64, seconds: np.ndarray) -> pa.Array:
    """Seconds after `base` as microsecond timestamps (non-finite: NULL)."""
    finite = np.isfinite(seconds)
    us = (np.where(finite, seconds, 0) * 1_000_000).astype("timedelta64[us]")
    us = (base + us).view(np.int64)
    return _arrow(us, None if finite.all() else ~finite, pa.timestamp("us"))


def _event_tables(
    ev: dict[str, np.ndarray], keep: np.ndarray, anime_ids: pa.Array, base: np.datetime64, devices: pa.Array
) -> tuple[pa.Table, pa.Table]:
    """Arrow tables of one batch of simulated plays (columns as `simulate` emits them)."""
    if not keep.all():
        ev = {k: v[keep] for k, v in ev.items()}
    event_id = _arrow(ev["event_id"])
    events = _table(
        {
            "event_id": event_id,
            "user_id": _arrow(ev["user_id"]),
            "anime_id": _dict_array(ev["title"], anime_ids),
            "episode_number": _arrow(ev["episode_number"]),
            "started_at": _timestamps(base, ev["started"]),
            "watched_seconds": _arrow(ev["watched"]),
            "episode_duration_seconds": _arrow(ev["duration"]),
            "device": _dict_array(ev["device"], devices),
        }
    )
    last = np.isnan(ev["p_continue"])
    truth = {
        "event_id": event_id,
        "p_continue": _arrow(ev["p_continue"], last),
        "will_continue": _arrow(ev["will_continue"], last),
        "interest": _arrow(ev["interest"]),
    }
    for name in LOGIT_TERMS:
        truth[name] = _arrow(ev[name])
    for name in ("is_resumed_piece", "is_rewatch", "skipped_episodes"):
        truth[name] = _arrow(ev[name])
    return events, _table(truth)


def _user_tables(
    users: Users,
    truth: dict[str, np.ndarray],
    cat: Catalogue,
    cfg: Config,
    base: np.datetime64,
) -> tuple[pa.Table, pa.Table]:
    countries, _ = categorical(cfg.population["country_weights"])
    devices, _ = categorical(cfg.population["device_weights"])
    u, t = users, truth
    raw = _table(
        {
            "user_id": _arrow(u.user_id),
            "signed_up_at": _timestamps(base, u.signup),
            "country": _dict_array(u.country, countries),
            "device": _dict_array(u.device, devices),
            "plan": _dict_array(u.plan, ["free", "premium"]),
        }
    )
    top = np.argsort(-u.taste, axis=1)[:, :3]
    tags = _dict_array(top.ravel(), cat.tags)
    offsets = _arrow(np.arange(0, len(tags) + 1, 3, dtype=np.int32))
    sim = _table(
        {
            "user_id": _arrow(u.user_id),
            "engagement": _arrow(u.engagement),
            "binge_propensity": _arrow(u.binge),
            "daily_budget_minutes": _arrow(u.budget_minutes),
            "preferred_hour": _arrow(u.pref_hour),
            "taste_top_tags": pa.ListArray.from_arrays(offsets, tags),
            "is_never_watcher": _arrow(u.never_watch),
            "titles_started": _arrow(t["titles_started"].astype(np.int32)),
            "dormant_spells": _arrow(t["dormant_spells"].astype(np.int32)),
            "last_dormant_at": _timestamps(base, t["last_dormant_at"]),
            "is_dormant_at_window_end": _arrow(t["is_dormant_at_window_end"]),
        }
    )
    return raw, sim


def previous_run(con: duckdb.DuckDBPyConnection) -> dict | None:
    # Look the table up first: querying a missing sim.run would let DuckDB's replacement scan
    # pick up a Python object named `run` instead of failing cleanly.
    [(exists,)] = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'sim' and table_name = 'run'"
    ).fetchall()
    if not exists:
        return None
    rows = con.execute(
        "select seed, population, config_json, window_start, window_end "
        "from sim.run order by run_id desc limit 1"
    ).fetchall()
    if not rows:
        return None
    row = rows[0]
    return dict(zip(["seed", "population", "config_json", "window_start", "window_end"], row, strict=True))


def _check_truth_columns(con: duckdb.DuckDBPyConnection) -> None:
    """--append extends sim.event_truth: it must have the columns this simulator writes."""
    have = {r[0] for r in con.execute("select column_name from (describe sim.event_truth)").fetchall()}
    missing = [c for c in ("is_resumed_piece", "is_rewatch", "skipped_episodes") if c not in have]
    if missing:
        raise SimulatorError(
            "--append: the previous run was written by an older simulator (sim.event_truth has no "
            f"{', '.join(missing)}); run without --append to simulate the whole window again"
        )


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
    if not path.exists():  # the catalogue marts must be there: do not leave an empty file behind
        raise SimulatorError(MISSING_MARTS.format(path=path))
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
            _check_truth_columns(con)
            prev_end_rel = (prev_end - spec.start).days * DAY
            prev_end_ts = dt.datetime.combine(prev_end, dt.time())
        cat = load_catalogue(con, path, spec.config, spec.seed, spec.start.year)
        writer = Writer(con, spec.append)
        try:
            result = _simulate_into(writer, spec, cat, prev_end_rel)
            writer.drain()
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
    device_names, _ = categorical(cfg.population["device_weights"])
    devices, anime_ids = _strings(device_names), _strings(cat.anime_id)
    n_users = n_events = 0
    bar = tqdm(
        total=spec.users,
        unit="user",
        desc="simulating",
        file=sys.stderr,
        disable=None if spec.progress is None else not spec.progress,
    )

    def batches() -> Iterator[Users]:
        for n_ids, users in signed_up_batches(spec.users, spec.chunk_users, cfg, cat, spec.seed, window.end):
            bar.update(n_ids - len(users.user_id))  # not signed up by the window end: nothing to do
            yield users

    def emit(ev: dict[str, np.ndarray]) -> None:
        nonlocal n_events
        keep_ev = ev["started"] >= prev_end_rel  # --append: only what is new
        events, event_truth = _event_tables(ev, keep_ev, anime_ids, base, devices)
        writer.submit("raw.viewing_events", events)
        writer.submit("sim.event_truth", event_truth)
        n_events += events.num_rows

    def done(users: Users, truth: dict[str, np.ndarray]) -> None:
        nonlocal n_users
        # User truth is "as of the window end": always rewritten for every user.
        raw_users, user_truth = _user_tables(users, truth, cat, cfg, base)
        new_user = users.signup >= prev_end_rel
        writer.submit("raw.users", raw_users.filter(_arrow(new_user)))
        writer.submit("sim.user_truth", user_truth)
        n_users += int(new_user.sum())

    with bar:
        simulate(batches(), cat, cfg, window, emit, done, pool_users=spec.chunk_users, finished=bar.update)
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
