"""Episode-by-episode behaviour of a pool of users, vectorised over users in lockstep.

Each user is a small event-driven process: up to K titles in progress (slots), each with the time
its next episode is due, plus a pending "discovery" (start a new title). A step processes the
next event (the earliest due) of every user in the pool at once, so the Python loop runs over
steps, never over users or events. The j-th event of user u draws its randoms from
hash(seed, u, j): a user's events depend only on the seed, the config and the catalogue, not on
the pool size, on which users share the pool or on the window end.

Continuation is decided at the end of each play with probability p_continue. A continued title's
next episode is always scheduled less than 13 days later (and can be pushed back by at most a few
other plays), a dropped title is never resumed, and a title is never started twice, so p_continue
is exactly the probability of the SQL label "plays episode n+1 within 14 days".

Throughput: a user leaving the pool (window end reached) frees a row for the next waiting user,
so steps stay wide until the last users; every per-user constant (schedule weights, taste CDF,
leading terms of the logits) is computed once, when the user enters; state arrays are never
compacted (the live users are a row index); a step draws only the uniform slots it uses, for the
rows that use them (a slot's value does not depend on which other slots are drawn); events are
written into preallocated batch columns. Each of these keeps every value bit-identical to the
straightforward formulation: same operations, same operands, same order
(tests/simulator/test_determinism.py pins a fingerprint).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from simulator import rng
from simulator.config import Config
from simulator.population import DAY, HOUR, Users, categorical, pick
from simulator.titles import Catalogue

SESSION_GAP = 1800.0  # 30-minute idle gap that separates sessions (dbt var session_idle_minutes)
MAX_NEXT_GAP = 13 * DAY  # a continued title is always played again well inside the 14-day horizon
STEP_BITS = 20  # event_id = user_id * 2**20 + play ordinal
DISCOVERY_COUNTER = 2**21  # separate counter range for discovery draws
TRIES = 3  # attempts to draw a title the user has not started before
BITSET_MAX_BYTES = 64 * 2**20  # started-title bits of the pool above which a list is kept instead
POOL_USERS = 20000  # users simulated at once: wide enough to amortise NumPy calls, cache-sized
REFILL_SHARE = 8  # free rows are refilled once they are 1/8 of the pool
# Events per batch handed to the writer: whole DuckDB row groups (122,880 rows), so that inserts
# write complete row groups instead of leaving a partial one for the next to extend (only the last
# batch, or an --append batch trimmed to the new days, is partial). Once no user is left waiting
# (from the start when the pool holds every user), batches halve: the insert still running when
# generation ends is shorter.
ROW_GROUP = 122_880
FLUSH_ROWS = 2 * ROW_GROUP

# Play-step uniform slots.
(P_EPS1, P_EPS2, P_AB, P_ABF, P_CONT, P_BINGE, P_PAUSE) = range(7)
(P_LDAY, P_LH1, P_LH2, P_LWK, P_BROWSE, P_BDELAY, P_DEVSW, P_DEV) = range(7, 15)
N_PLAY_U = 15
# Discovery-step uniform slots.
D_EXPLORE = 0
D_TAG = 1  # 1..3
D_PICK = 4  # 4..6
(D_AFF1, D_AFF2, D_DAY, D_H1, D_H2, D_WK, D_DORM, D_NEVER, D_LEN) = range(7, 16)
N_DISC_U = 16

LOGIT_TERMS = (
    "logit_base",
    "logit_episode",
    "logit_title",
    "logit_engagement",
    "logit_affinity",
    "logit_completion",
    "logit_fatigue",
    "logit_recency",
)


@dataclass(frozen=True)
class Window:
    end: float  # seconds after window start (midnight of the start date)
    start_weekday: int  # Monday = 0


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class _Scheduler:
    """Start times of later sessions: a day offset with geometric-ish weights, at the user's hour.

    The weights q^d (x the weekend boost) depend only on the user (q) and on the weekday of the
    first candidate day, so their cumulative sums are tabulated once per user, when the user
    enters the pool: (row, weekday phase, day offset). A draw then only looks its row up.
    """

    def __init__(self, cfg: Config, window: Window, n_rows: int) -> None:
        t, p = cfg.timing, cfg.population
        self.days = np.arange(int(t["max_gap_days"]) + 1, dtype=float)
        self.n_days = len(self.days)
        self.start_weekday = window.start_weekday
        self.pref_hour = np.zeros(n_rows)
        self.p = p
        weekend = (np.arange(7)[:, None] + self.days.astype(np.int64)[None, :]) % 7 >= 5
        self.factor = np.where(weekend, t["weekend_boost"], 1.0)
        self.cdf = np.zeros((n_rows * 7, self.n_days))

    def admit(self, rows: np.ndarray, q: np.ndarray, pref_hour: np.ndarray) -> None:
        """Tabulate the weights of the users now simulated in `rows`."""
        w = q[:, None, None] ** self.days[None, None, :]
        self.cdf.reshape(-1, 7, self.n_days)[rows] = np.cumsum(w * self.factor[None, :, :], axis=2)
        self.pref_hour[rows] = pref_hour

    def __call__(
        self,
        rows: np.ndarray,
        after: np.ndarray,
        u_day: np.ndarray,
        z_hour: np.ndarray,
        u_weekend: np.ndarray,
    ) -> np.ndarray:
        p = self.p
        day0 = np.floor(after / DAY)
        phase = (self.start_weekday + day0.astype(np.int64)) % 7
        cdf = self.cdf.take(rows * 7 + phase, axis=0)
        offset = np.minimum((cdf < (u_day * cdf[:, -1])[:, None]).sum(axis=1), self.n_days - 1)
        day = day0 + offset
        daytime = ((phase + offset) % 7 >= 5) & (u_weekend < p["weekend_daytime_share"])
        hour = np.where(
            daytime,
            p["weekend_daytime_hour_mean"] + p["weekend_daytime_hour_sd"] * z_hour,
            self.pref_hour[rows] + p["session_hour_sd"] * z_hour,
        )
        t = np.floor(day * DAY + np.minimum(np.maximum(hour, 6.0), 27.5) * HOUR)
        # A "later" session is a new session: at least the idle gap after `after`.
        return np.where(t < after + SESSION_GAP, t + DAY, t)


def _choose_titles(
    cat: Catalogue,
    cfg: Config,
    taste_cdf: np.ndarray,
    history: _History,
    rows: np.ndarray,
    ud: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """A title per discovering user (taste mixture or popularity), never one already started.

    `rows` are the discovering users and `taste_cdf` their rows of the taste CDFs. A later try is
    only drawn for the users whose earlier tries all hit a title they had started.
    """
    explore = ud[:, D_EXPLORE] < cfg.titles["explore_share"]
    chosen = np.full(len(ud), -1, dtype=np.int64)
    todo = np.arange(len(ud))
    last_tag = taste_cdf.shape[1] - 1
    for t in range(TRIES):
        # Popularity for the exploring users, else a tag drawn from the user's taste.
        c = np.empty(todo.size, dtype=np.int64)
        ex = explore[todo]
        gi, ti = ex.nonzero()[0], (~ex).nonzero()[0]
        c[gi] = cat.sample_global(ud[todo[gi], D_PICK + t])
        rows_t = todo[ti]
        cdf = taste_cdf[rows_t]
        tag = np.minimum((cdf < (ud[rows_t, D_TAG + t] * cdf[:, -1])[:, None]).sum(axis=1), last_tag)
        c[ti] = cat.sample_by_tag(tag, ud[rows_t, D_PICK + t])
        take = ~history.started(rows[todo], c)
        chosen[todo[take]] = c[take]
        todo = todo[~take]
        if not todo.size:
            break
    found = chosen >= 0
    return chosen, found


class _History:
    """The titles each pooled user has started (a title is never started twice).

    A bit per (row, title) when that fits in `BITSET_MAX_BYTES` (a lookup is O(1) whatever the
    number of titles a user started), else a growing (row, n-th title) matrix.
    """

    def __init__(self, n_rows: int, n_titles: int) -> None:
        self.n = np.zeros(n_rows, dtype=np.int64)
        width = (n_titles + 7) // 8
        self.bits = n_rows * width <= BITSET_MAX_BYTES
        if self.bits:
            self.seen = np.zeros((n_rows, width), dtype=np.uint8)
        else:
            self.seen = np.full((n_rows, 8), -1, dtype=np.int64)

    def reset(self, rows: np.ndarray) -> None:
        """Forget the titles of `rows` (their users left the pool; new ones take the rows)."""
        self.seen[rows] = 0 if self.bits else -1
        self.n[rows] = 0

    def started(self, rows: np.ndarray, titles: np.ndarray) -> np.ndarray:
        if self.bits:
            return (self.seen[rows, titles >> 3] >> (titles & 7).astype(np.uint8)) & 1 == 1
        return (self.seen[rows] == titles[:, None]).any(axis=1)

    def push(self, rows: np.ndarray, titles: np.ndarray) -> None:
        """Record one new title for each of `rows` (distinct rows)."""
        if self.bits:
            self.seen[rows, titles >> 3] |= np.left_shift(1, titles & 7).astype(np.uint8)
        else:
            if rows.size and self.n[rows].max() >= self.seen.shape[1]:
                grow = np.full_like(self.seen, -1)
                self.seen = np.concatenate([self.seen, grow], axis=1)
            self.seen[rows, self.n[rows]] = titles
        self.n[rows] += 1


class _Pool:
    """The users being simulated: a fixed number of rows, each holding one user at a time.

    A row holds a user's constants (derived once, when the user enters) and simulation state.
    Arrays are never compacted: the live users of a step are a row index (`act`), so a user
    leaving costs nothing, and the next waiting user takes the freed row. Keeping the pool full
    keeps every step wide (NumPy calls amortised over many users) and few: the steps of a run
    are about events / rows, not the sum of every chunk's longest user history.
    """

    def __init__(self, cat: Catalogue, cfg: Config, window: Window, n_rows: int) -> None:
        self.cfg = cfg
        self.k = k = int(cfg.titles["max_parallel_titles"])
        n = n_rows
        # Per-user constants (each the exact leading part of an expression evaluated per event).
        self.key = np.zeros(n, dtype=np.uint64)
        self.user_id = np.zeros(n, dtype=np.int64)
        self.device = np.zeros(n, dtype=np.int64)
        self.budget = np.zeros(n)
        self.interest_eng = np.zeros(n)
        self.logit_eng = np.zeros(n)
        self.binge_user = np.zeros(n)
        self.p_dorm = np.zeros(n)
        self.taste = np.zeros((n, len(cat.tags)), dtype=np.float32)
        self.taste_cdf = np.zeros((n, len(cat.tags)))
        self.later = _Scheduler(cfg, window, n)
        self.discovery = _Scheduler(cfg, window, n)
        # State.
        self.ordinal = np.zeros(n, dtype=np.int64)  # the user's next event is its ordinal-th
        self.disc_due = np.full(n, np.inf)
        self.t_free = np.full(n, -np.inf)
        self.last_start = np.full(n, -np.inf)
        self.sess_start = np.zeros(n)
        self.sess_pos = np.zeros(n, dtype=np.int64)
        self.sess_dev = np.zeros(n, dtype=np.int64)
        self.slot_due = np.full((k, n), np.inf)  # slot-major: a step reads k rows of live users
        # Flat (row * k + slot) views of the other per-slot arrays.
        self.slot_title = np.full(n * k, -1, dtype=np.int64)
        self.slot_ep = np.zeros(n * k, dtype=np.int64)
        self.slot_aff = np.zeros(n * k)
        self.dorm = np.zeros(n, dtype=bool)
        self.n_dorm = np.zeros(n, dtype=np.int64)
        self.last_dorm = np.full(n, np.nan)
        self.history = _History(n, cat.n_titles)

    def admit(self, rows: np.ndarray, users: Users) -> None:
        """Put `users` (one per row) into the free `rows`, in their initial state."""
        from simulator.population import first_play_delay

        pt, pc, pcomp, pch = self.cfg.timing, self.cfg.continuation, self.cfg.completion, self.cfg.churn
        eng = users.engagement
        self.key[rows] = users.key
        self.user_id[rows] = users.user_id
        self.device[rows] = users.device
        self.budget[rows] = users.budget_minutes
        self.interest_eng[rows] = pcomp["engagement_weight"] * eng
        self.logit_eng[rows] = pc["engagement_coef"] * eng
        self.binge_user[rows] = pt["binge_base"] + users.binge + pt["binge_engagement"] * eng
        self.p_dorm[rows] = sigmoid(
            np.log(pch["dormancy_per_title"] / (1 - pch["dormancy_per_title"]))
            - pch["dormancy_engagement_slope"] * eng
        )
        self.taste[rows] = users.taste
        self.taste_cdf[rows] = np.cumsum(users.taste, axis=1, dtype=np.float64)
        self.later.admit(rows, sigmoid(pt["later_q_base"] - pt["later_q_engagement"] * eng), users.pref_hour)
        self.discovery.admit(
            rows, sigmoid(pt["discovery_q_base"] - pt["discovery_q_engagement"] * eng), users.pref_hour
        )
        self.ordinal[rows] = 0
        first = users.signup + first_play_delay(users)
        self.disc_due[rows] = np.where(users.never_watch, np.inf, first)
        self.t_free[rows] = -np.inf
        self.last_start[rows] = -np.inf
        self.sess_start[rows] = 0.0
        self.sess_pos[rows] = 0
        self.sess_dev[rows] = users.device
        self.slot_due[:, rows] = np.inf
        flat = (rows[:, None] * self.k + np.arange(self.k)).ravel()
        self.slot_title[flat] = -1
        self.slot_ep[flat] = 0
        self.slot_aff[flat] = 0.0
        self.dorm[rows] = False
        self.n_dorm[rows] = 0
        self.last_dorm[rows] = np.nan
        self.history.reset(rows)

    def truth(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """The user truth of `rows` as of now (their users have left: as of the window end)."""
        return {
            "titles_started": self.history.n[rows],
            "dormant_spells": self.n_dorm[rows],
            "last_dormant_at": self.last_dorm[rows],
            "is_dormant_at_window_end": self.dorm[rows],
        }


USER_TRUTH = {
    "titles_started": np.int64,
    "dormant_spells": np.int64,
    "last_dormant_at": np.float64,
    "is_dormant_at_window_end": np.bool_,
}


@dataclass
class _OpenBatch:
    users: Users
    truth: dict[str, np.ndarray]  # USER_TRUTH columns, filled as its users leave the pool
    left: int  # its users not yet finished


class _Waiting:
    """Batches of users waiting to enter the pool, and those inside it until all have left.

    `done(users, truth)` is called once per batch, when its last user has left the pool (batches
    can finish out of order); `truth` holds `USER_TRUTH` columns in the batch's user order.
    `finished(n)`, if given, hears of every n users leaving (a progress measure).
    """

    def __init__(
        self,
        batches: Iterable[Users],
        n_rows: int,
        done: Callable[[Users, dict[str, np.ndarray]], None],
        finished: Callable[[int], None] | None = None,
    ) -> None:
        self._batches = iter(batches)
        self._done = done
        self._finished = finished
        self._open: dict[int, _OpenBatch] = {}  # batches with users still in the pool
        self._current: Users | None = None
        self._current_id = -1
        self._taken = 0
        self.exhausted = False
        self.batch_of = np.full(n_rows, -1, dtype=np.int64)
        self.index_of = np.zeros(n_rows, dtype=np.int64)

    def take(self, free: np.ndarray) -> list[tuple[np.ndarray, Users]]:
        """Assign waiting users to (a prefix of) the `free` rows, in user order."""
        out = []
        used = 0
        while used < free.size and not self.exhausted:
            cur = self._current
            if cur is None or self._taken == len(cur.user_id):
                self._next()
                continue
            m = min(free.size - used, len(cur.user_id) - self._taken)
            rows = free[used : used + m]
            part = slice(self._taken, self._taken + m)
            self.batch_of[rows] = self._current_id
            self.index_of[rows] = np.arange(part.start, part.stop)
            out.append((rows, cur.take(part)))
            self._taken += m
            used += m
        return out

    def _next(self) -> None:
        batch = next(self._batches, None)
        if batch is None:
            self.exhausted = True
            return
        n = len(batch.user_id)
        truth = {name: np.zeros(n, dtype=t) for name, t in USER_TRUTH.items()}
        self._current_id += 1
        self._current, self._taken = batch, 0
        if n:
            self._open[self._current_id] = _OpenBatch(batch, truth, n)
        else:
            self._done(batch, truth)

    def leave(self, rows: np.ndarray, pool: _Pool) -> None:
        """Record the truth of the users leaving `rows`; report the batches now complete."""
        if self._finished is not None:
            self._finished(rows.size)
        ids = self.batch_of[rows]
        lo, hi = ids.min(), ids.max()
        for b in (lo,) if lo == hi else np.unique(ids):
            open_batch = self._open[int(b)]
            mine = rows[ids == b]
            at = self.index_of[mine]
            for name, values in pool.truth(mine).items():
                open_batch.truth[name][at] = values
            open_batch.left -= mine.size
            if not open_batch.left:
                del self._open[int(b)]
                self._done(open_batch.users, open_batch.truth)


class _Tables:
    """Per-title and per-episode-number terms, computed once per run."""

    def __init__(self, cat: Catalogue, cfg: Config) -> None:
        pc = cfg.continuation
        score = cat.score
        self.logit_title = (
            np.where(np.isfinite(score), pc["score_coef"] * (score - pc["score_centre"]), 0.0)
            + cat.title_effect
        )
        ep = np.arange(int(cat.n_episodes.max()) + 2, dtype=np.int64)
        self.logit_episode = -pc["hook_drop"] * np.exp(-(ep - 1) / pc["hook_tau"])
        self.ep_first = cat.ep_offset - 1  # + episode number = index in ep_duration
        self.ep_duration = cat.ep_duration.astype(np.int64)
        self.n_episodes = cat.n_episodes


# Emitted event columns and their types.
EVENT_COLUMNS: dict[str, type] = {
    "event_id": np.int64,
    "user_id": np.int64,
    "title": np.int32,  # index into the catalogue
    "episode_number": np.int32,
    "started": np.float64,  # seconds after the window start
    "watched": np.int32,
    "duration": np.int32,
    "device": np.int32,  # index into the sorted device names
    "p_continue": np.float64,  # NaN for a title's last episode
    "will_continue": np.bool_,
    "interest": np.float64,
    **dict.fromkeys(LOGIT_TERMS, np.float32),
}


class _Batch:
    """Event columns filled step by step in place, handed over every `rows` events."""

    def __init__(self, rows: int, max_step: int, emit: Callable[[dict[str, np.ndarray]], None]) -> None:
        self.rows, self.capacity, self.emit = rows, rows + max_step, emit
        self._new()

    def _new(self) -> None:
        # Fresh arrays each time: the consumer may keep the emitted ones (zero-copy Arrow).
        self.cols = {name: np.empty(self.capacity, dtype=t) for name, t in EVENT_COLUMNS.items()}
        self.n = 0

    def add(self, m: int, **values: np.ndarray | float) -> None:
        lo, hi = self.n, self.n + m
        for name, v in values.items():
            self.cols[name][lo:hi] = v
        self.n = hi
        while self.n >= self.rows:  # a step wider than a batch hands over several
            self._hand_over(self.rows)

    def flush(self) -> None:
        if self.n:
            self._hand_over(self.n)

    def _hand_over(self, n: int) -> None:
        """Emit the first `n` events; the rest start the next batch."""
        full, rest = self.cols, self.n - n
        self.emit({name: v[:n] for name, v in full.items()})
        self._new()
        if rest:
            for name, v in full.items():
                self.cols[name][:rest] = v[n : n + rest]
            self.n = rest


def simulate(
    batches: Iterable[Users],
    cat: Catalogue,
    cfg: Config,
    window: Window,
    emit: Callable[[dict[str, np.ndarray]], None],
    done: Callable[[Users, dict[str, np.ndarray]], None],
    pool_users: int = POOL_USERS,
    flush_rows: int = FLUSH_ROWS,
    finished: Callable[[int], None] | None = None,
) -> None:
    """Simulate every user of `batches` over [0, window.end), `pool_users` at a time.

    Event columns (event_id, user_id, title index, episode_number, started seconds, watched,
    duration, device index, p_continue with NaN for a last episode, will_continue, interest and
    the float32 logit terms) are handed to `emit` in batches of `flush_rows`, halved once no user
    waits, and a last smaller one (bounded memory whatever the number of users).
    `done(users, truth)` receives each batch of users with their truth as of the window end
    (`USER_TRUTH` columns) once all of them are finished; `finished(n)` hears of every n users
    finishing.
    """
    pt, pc, pcomp, pch, pp = cfg.timing, cfg.continuation, cfg.completion, cfg.churn, cfg.population
    st = _Pool(cat, cfg, window, pool_users)
    waiting = _Waiting(batches, pool_users, done, finished)
    tab = _Tables(cat, cfg)
    k_slots = st.k
    _, dev_cdf = categorical(pp["device_weights"])
    n_tags = len(cat.tags)
    end = window.end
    # Scalars of the per-event expressions, hoisted out of the loop.
    ti = cfg.titles
    taste_weight, affinity_sd = ti["taste_weight"], ti["affinity_sd"]
    never_return, comeback_days = pch["never_return_share"], pch["comeback_mean_days"]
    other_device = pp["other_device_session_share"]
    episode_sd = pcomp["episode_sd"]
    full_a, full_b = pcomp["full_intercept"], pcomp["full_slope"]
    ab_a, ab_b = pcomp["abandon_intercept"], pcomp["abandon_slope"]
    ab_lo, ab_hi = pcomp["abandon_min"], pcomp["abandon_max"]
    c_base, c_aff = pc["base"], pc["affinity_coef"]
    c_comp, c_centre = pc["completion_coef"], pc["completion_centre"]
    c_fatigue, c_recency = pc["fatigue_coef"], pc["recency_coef"]
    b_pos, b_budget, b_night = pt["binge_position_coef"], pt["binge_budget_coef"], pt["late_night_coef"]
    pause_mean, pause_lo, pause_hi = (
        pt["pause_mean_seconds"],
        pt["pause_min_seconds"],
        pt["pause_max_seconds"],
    )
    browse_share, browse_delay = pt["browse_after_end_share"], pt["browse_delay_mean_seconds"]

    batch = _Batch(flush_rows, pool_users, emit)

    act = np.zeros(0, dtype=np.int64)  # rows of the live users
    vacant = np.arange(pool_users)  # rows without a user
    refill_at = max(1, pool_users // REFILL_SHARE)
    steps = 0
    while True:
        if vacant.size >= refill_at or not act.size:
            for rows, users in waiting.take(vacant):
                st.admit(rows, users)
                act = np.concatenate([act, rows])
                vacant = vacant[rows.size :]
            if waiting.exhausted:
                batch.rows = max(1, flush_rows // 2)
            if not act.size:
                break
        # The earliest slot (first on ties, as argmin) and its due time, slot by slot.
        sd = st.slot_due[:, act]
        slot_min = sd[0]
        k = np.zeros(act.size, dtype=np.int64)
        for s in range(1, k_slots):
            k[sd[s] < slot_min] = s
            slot_min = np.minimum(slot_min, sd[s])
        dd = st.disc_due[act]
        is_disc = dd < slot_min
        t0 = np.maximum(np.where(is_disc, dd, slot_min), st.t_free[act])
        live = t0 < end
        if not live.all():
            gone = act[~live]
            waiting.leave(gone, st)
            vacant = np.concatenate([vacant, gone])
            act, k, is_disc, t0 = act[live], k[live], is_disc[live], t0[live]
            if not act.size:
                continue
        steps += 1
        if steps >= 2**STEP_BITS and st.ordinal[act].max() >= 2**STEP_BITS:
            raise RuntimeError("a user exceeded 2**20 plays; shorten the window")
        has_play = ~is_disc

        # --- discovery: pick a new title for users whose next event is a discovery ---
        di = is_disc.nonzero()[0]
        if di.size:
            ds = act[di]
            ud = rng.uniforms(st.key[ds], st.ordinal[ds] + DISCOVERY_COUNTER, N_DISC_U)
            free = st.slot_title.reshape(-1, k_slots)[ds] < 0
            title, found = _choose_titles(cat, cfg, st.taste_cdf[ds], st.history, ds, ud)
            ok = free.any(axis=1) & found
            if ok.any():
                oi = ok.nonzero()[0]
                rows, slots, t_ok, u_ok = ds[oi], free[oi].argmax(axis=1), title[oi], ud[oi]
                taste_match = (st.taste[rows] * cat.title_tags[t_ok]).sum(axis=1) / cat.n_title_tags[t_ok]
                match = np.minimum(np.maximum(np.log(np.maximum(taste_match * n_tags, 1e-6)), -3.0), 3.0)
                aff = taste_weight * match + affinity_sd * rng.normal(u_ok[:, D_AFF1], u_ok[:, D_AFF2])
                flat = rows * k_slots + slots
                st.slot_title[flat] = t_ok
                st.slot_ep[flat] = 1
                st.slot_aff[flat] = aff
                k[di[oi]] = slots
                has_play[di[oi]] = True
                st.history.push(rows, t_ok)
            # Next discovery, or a dormant spell (churn): no new titles until the comeback.
            td = t0[di]
            dormant = ud[:, D_DORM] < st.p_dorm[ds]
            due = np.empty(ds.size)
            wi = (~dormant).nonzero()[0]
            if wi.size:
                uw = ud[wi]
                due[wi] = st.discovery(
                    ds[wi], td[wi] + HOUR, uw[:, D_DAY], rng.normal(uw[:, D_H1], uw[:, D_H2]), uw[:, D_WK]
                )
            si = dormant.nonzero()[0]
            if si.size:
                us = ud[si]
                due[si] = np.where(
                    us[:, D_NEVER] < never_return,
                    np.inf,
                    td[si] + np.floor(-np.log(us[:, D_LEN]) * comeback_days * DAY),
                )
                st.n_dorm[ds[si]] += 1
                st.last_dorm[ds[si]] = td[si]
            st.disc_due[ds] = due
            st.dorm[ds] = dormant

        # --- plays ---
        pi = has_play.nonzero()[0]
        if pi.size:
            ps = act[pi]
            jp = st.ordinal[ps]
            h = rng.draw_hash(st.key[ps], jp)
            up = rng.slot_uniforms(h, (P_EPS1, P_EPS2, P_AB, P_CONT, P_BINGE))
            flat = ps * k_slots + k[pi]
            title = st.slot_title[flat]
            ep = st.slot_ep[flat]
            aff = st.slot_aff[flat]
            t = t0[pi]
            new_sess = (t - st.t_free[ps]) > SESSION_GAP
            pos = np.where(new_sess, 1, st.sess_pos[ps] + 1)
            sess_start = np.where(new_sess, t, st.sess_start[ps])
            sess_min = (t - sess_start) / 60.0
            dev = st.sess_dev[ps]
            ni = new_sess.nonzero()[0]
            if ni.size:
                un = rng.slot_uniforms(h[ni], (P_DEVSW, P_DEV))
                dev[ni] = np.where(un[:, 0] < other_device, pick(dev_cdf, un[:, 1]), st.device[ps[ni]])
            gap_days = (t - st.last_start[ps]) / DAY  # inf on a user's first play

            # Completion: the episode's interest, revealed (mostly) by how much is watched.
            z = aff + st.interest_eng[ps] + episode_sd * rng.normal(up[:, 0], up[:, 1])
            frac = sigmoid(full_a + full_b * z)
            abandon = up[:, 2] < sigmoid(ab_a - ab_b * z)
            ai = abandon.nonzero()[0]
            if ai.size:
                u_abf = rng.slot_uniforms(h[ai], (P_ABF,))[:, 0]
                frac[ai] = frac[ai] * (ab_lo + (ab_hi - ab_lo) * u_abf)
            dur = tab.ep_duration[tab.ep_first[title] + ep]
            watched = np.minimum(np.maximum(np.round(frac * dur), 1), dur).astype(np.int64)
            completion = watched / dur
            is_last = ep >= tab.n_episodes[title]

            # Continuation logit, term by term (stored in sim.event_truth), summed in this order.
            l_episode = tab.logit_episode[ep]
            l_title = tab.logit_title[title]
            l_eng = st.logit_eng[ps]
            l_aff = c_aff * aff
            l_comp = c_comp * (completion - c_centre)
            l_fatigue = -c_fatigue * (pos - 1)
            l_recency = np.where(np.isfinite(gap_days), -c_recency * np.log1p(gap_days), 0.0)
            logit = c_base + l_episode
            logit += l_title
            logit += l_eng
            logit += l_aff
            logit += l_comp
            logit += l_fatigue
            logit += l_recency
            p_cont = sigmoid(logit)
            cont = (up[:, 3] < p_cont) & ~is_last
            t_end = t + watched
            used = sess_min + watched / 60.0

            # When the next episode is played: now (binge) or at a later session.
            due = np.full(ps.size, np.inf)
            ci = cont.nonzero()[0]
            if ci.size:
                pc_ = ps[ci]
                hour_end = (t_end[ci] % DAY) / HOUR
                binge_logit = (
                    st.binge_user[pc_]
                    - b_pos * pos[ci]
                    - b_budget * used[ci] / st.budget[pc_]
                    - b_night * (hour_end < 5.0)
                )
                now = up[ci, 4] < sigmoid(binge_logit)
                nxt = np.empty(ci.size)
                bi = now.nonzero()[0]
                if bi.size:
                    u_pause = rng.slot_uniforms(h[ci[bi]], (P_PAUSE,))[:, 0]
                    pause = np.minimum(
                        np.maximum(np.floor(-np.log(u_pause) * pause_mean), pause_lo), pause_hi
                    )
                    nxt[bi] = t_end[ci[bi]] + pause
                li = (~now).nonzero()[0]
                if li.size:
                    rows = ci[li]
                    ul = rng.slot_uniforms(h[rows], (P_LDAY, P_LH1, P_LH2, P_LWK))
                    nxt[li] = st.later(
                        ps[rows], t_end[rows], ul[:, 0], rng.normal(ul[:, 1], ul[:, 2]), ul[:, 3]
                    )
                due[ci] = np.minimum(nxt, t[ci] + MAX_NEXT_GAP)
            st.slot_ep[flat] = ep + 1
            st.slot_due.reshape(-1)[k[pi] * pool_users + ps] = due
            st.slot_title[flat] = np.where(cont, title, -1)

            # After a drop or a finale, maybe browse to another title in the same session.
            xi = (~cont & ~st.dorm[ps]).nonzero()[0]
            if xi.size:
                rows = ps[xi]
                ub = rng.slot_uniforms(h[xi], (P_BROWSE, P_BDELAY))
                left = np.minimum(np.maximum(1.0 - used[xi] / st.budget[rows], 0.0), 1.0)
                browse = ub[:, 0] < browse_share * left
                if browse.any():
                    xb, rb = xi[browse], rows[browse]
                    b_due = t_end[xb] + 5.0 + np.floor(-np.log(ub[browse, 1]) * browse_delay)
                    st.disc_due[rb] = np.minimum(st.disc_due[rb], b_due)

            st.t_free[ps] = t_end
            st.last_start[ps] = t
            st.sess_pos[ps] = pos
            st.sess_start[ps] = sess_start
            st.sess_dev[ps] = dev

            uid = st.user_id[ps]
            p_cont[is_last] = np.nan
            batch.add(
                ps.size,
                event_id=(uid << STEP_BITS) | jp,
                user_id=uid,
                title=title,
                episode_number=ep,
                started=t,
                watched=watched,
                duration=dur,
                device=dev,
                p_continue=p_cont,
                will_continue=cont,
                interest=z,
                logit_base=c_base,
                logit_episode=l_episode,
                logit_title=l_title,
                logit_engagement=l_eng,
                logit_affinity=l_aff,
                logit_completion=l_comp,
                logit_fatigue=l_fatigue,
                logit_recency=l_recency,
            )
        st.ordinal[act] += 1
    batch.flush()
