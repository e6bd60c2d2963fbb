"""Episode-by-episode behaviour of the users of a run, simulated a pool of users at a time.

Each user is a small event-driven process: up to K titles in progress (slots), each with the time
its next episode is due, plus a pending discovery (start a new title). A step takes the next event
(the earliest due) of every user in the pool at once, so the Python loop runs over steps, never
over users or events: the discovery step (simulator/discover.py) and the play step
(simulator/play.py) each work on arrays of users. The j-th event of user u draws its randoms from
hash(seed, u, j), so a user's events depend only on the seed, the config and the catalogue, not on
the pool size, on which users share the pool or on the window end.

Throughput: a user leaving the pool (window end reached) frees a row for the next waiting user, so
steps stay wide until the last users; per-user constants are computed once, when the user enters
(simulator/pool.py); a step draws only the uniform slots it uses, for the rows that use them; events
are written into preallocated batch columns. Each keeps every value bit-identical to the plainly
written behaviour model in tests/simulator/reference.py (tests/simulator/test_reference.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from simulator.clock import Window
from simulator.config import Config
from simulator.discover import discover
from simulator.errors import SimulatorError
from simulator.events import FLUSH_ROWS, STEP_BITS, EventBatch
from simulator.play import TitleTerms, play
from simulator.pool import Pool, WaitingUsers
from simulator.population import Users, categorical
from simulator.titles import Catalogue

POOL_USERS = 20000  # users simulated at once: wide enough to amortise NumPy calls, cache-sized
REFILL_SHARE = 8  # free rows are refilled once they are 1/8 of the pool


def _next_events(pool: Pool, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each user's next event: its slot (the earliest due, the first on ties), whether it is a
    discovery instead, and its time (not before the user's current play has ended)."""
    due = pool.slot_due[:, rows]
    earliest = due[0]
    slot = np.zeros(rows.size, dtype=np.int64)
    for s in range(1, pool.n_slots):
        slot[due[s] < earliest] = s
        earliest = np.minimum(earliest, due[s])
    discovery_due = pool.discovery_due[rows]
    is_discovery = discovery_due < earliest
    t = np.maximum(np.where(is_discovery, discovery_due, earliest), pool.busy_until[rows])
    return slot, is_discovery, t


def simulate(
    batches: Iterable[Users],
    cat: Catalogue,
    cfg: Config,
    window: Window,
    emit: Callable[[dict[str, np.ndarray]], None],
    done: Callable[[Users, dict[str, np.ndarray]], None],
    pool_users: int = POOL_USERS,
    flush_rows: int = FLUSH_ROWS,
    finished: Callable[[int], object] | None = None,
) -> None:
    """Simulate every user of `batches` over [0, window.end), `pool_users` at a time.

    Event columns (simulator/events.py: EVENT_COLUMNS) are handed to `emit` in batches of
    `flush_rows`, halved once no user waits, and a last smaller one (bounded memory whatever the
    number of users). `done(users, truth)` receives each batch of users with their truth as of the
    window end (`USER_TRUTH` columns) once all of them are finished; `finished(n)` hears of every n
    users finishing.
    """
    pool = Pool(cat, cfg, window, pool_users)
    waiting = WaitingUsers(batches, pool_users, done, finished)
    terms = TitleTerms(cat, cfg)
    _, device_cdf = categorical(cfg.population["device_weights"])
    batch = EventBatch(flush_rows, pool_users, emit)

    live = np.zeros(0, dtype=np.int64)  # rows of the users being simulated
    vacant = np.arange(pool_users)  # rows without a user
    refill_at = max(1, pool_users // REFILL_SHARE)
    steps = 0
    while True:
        if vacant.size >= refill_at or not live.size:
            for rows, users in waiting.take(vacant):
                pool.admit(rows, users)
                live = np.concatenate([live, rows])
                vacant = vacant[rows.size :]
            if waiting.exhausted:
                batch.rows = max(1, flush_rows // 2)
            if not live.size:
                break
        slot, is_discovery, t = _next_events(pool, live)
        inside = t < window.end
        if not inside.all():  # these users' next event falls after the window: they are done
            gone = live[~inside]
            waiting.leave(gone, pool)
            vacant = np.concatenate([vacant, gone])
            live, slot, is_discovery, t = live[inside], slot[inside], is_discovery[inside], t[inside]
            if not live.size:
                continue
        steps += 1
        if steps >= 2**STEP_BITS and pool.ordinal[live].max() >= 2**STEP_BITS:
            raise SimulatorError(
                f"a user exceeded 2**{STEP_BITS} plays (event ids would collide); shorten the window"
            )

        # A discovery that starts a title plays its first episode in the same step.
        is_play = ~is_discovery
        di = is_discovery.nonzero()[0]
        if di.size:
            starts, start_slots = discover(pool, cat, cfg, live[di], t[di])
            slot[di[starts]] = start_slots
            is_play[di[starts]] = True
        pi = is_play.nonzero()[0]
        if pi.size:
            for events in play(pool, cfg, terms, device_cdf, live[pi], slot[pi], t[pi]):
                batch.add(np.size(events["event_id"]), events)
        pool.ordinal[live] += 1
    batch.flush()
