"""The users being simulated: a fixed number of rows, each holding one user at a time.

A row holds a user's constants (derived once, when the user enters) and simulation state. Arrays are
never compacted: the live users of a step are a row index, so a user leaving costs nothing and the
next waiting user takes the freed row. Keeping the pool full keeps every step wide (NumPy calls
amortised over many users) and few.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from simulator.clock import Window
from simulator.config import Config
from simulator.events import EVENT_COLUMNS, VIEW_TRUTH
from simulator.population import Users, first_play_delay
from simulator.scheduler import SessionScheduler
from simulator.titles import Catalogue

BITSET_MAX_BYTES = 64 * 2**20  # started-title bits of the pool above which a list is kept instead


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class StartedTitles:
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

    def contains(self, rows: np.ndarray, titles: np.ndarray) -> np.ndarray:
        if self.bits:
            return (self.seen[rows, titles >> 3] >> (titles & 7).astype(np.uint8)) & 1 == 1
        return (self.seen[rows] == titles[:, None]).any(axis=1)

    def add(self, rows: np.ndarray, titles: np.ndarray) -> None:
        """Record one new title for each of `rows` (distinct rows)."""
        if self.bits:
            self.seen[rows, titles >> 3] |= np.left_shift(1, titles & 7).astype(np.uint8)
        else:
            if rows.size and self.n[rows].max() >= self.seen.shape[1]:
                grow = np.full_like(self.seen, -1)
                self.seen = np.concatenate([self.seen, grow], axis=1)
            self.seen[rows, self.n[rows]] = titles
        self.n[rows] += 1


class Pool:
    """Per-row user constants and state; slots are the titles a user has in progress."""

    def __init__(self, cat: Catalogue, cfg: Config, window: Window, n_rows: int) -> None:
        self.cfg = cfg
        self.n_rows = n = n_rows
        self.n_slots = k = int(cfg.titles["max_parallel_titles"])
        # Constants: each is the exact leading part of an expression evaluated per event.
        self.play_key = np.zeros(n, dtype=np.uint64)
        self.user_id = np.zeros(n, dtype=np.int64)
        self.device = np.zeros(n, dtype=np.int64)
        self.budget_minutes = np.zeros(n)
        self.interest_from_engagement = np.zeros(n)
        self.logit_engagement = np.zeros(n)
        self.binge_logit_base = np.zeros(n)
        self.p_dormant = np.zeros(n)
        self.taste = np.zeros((n, len(cat.tags)), dtype=np.float32)
        self.taste_cdf = np.zeros((n, len(cat.tags)))
        self.later_sessions = SessionScheduler(cfg, window, n)
        self.discoveries = SessionScheduler(cfg, window, n)
        # State.
        self.ordinal = np.zeros(n, dtype=np.int64)  # the user's next event is its ordinal-th
        self.discovery_due = np.full(n, np.inf)
        self.busy_until = np.full(n, -np.inf)  # end of the user's latest play
        self.last_play_start = np.full(n, -np.inf)
        self.session_start = np.zeros(n)
        self.session_position = np.zeros(n, dtype=np.int64)
        self.session_device = np.zeros(n, dtype=np.int64)
        self.slot_due = np.full((k, n), np.inf)  # slot-major: a step reads k rows of live users
        # Flat (row * k + slot) per-slot arrays.
        self.slot_title = np.full(n * k, -1, dtype=np.int64)
        self.slot_episode = np.zeros(n * k, dtype=np.int64)
        self.slot_affinity = np.zeros(n * k)
        self.slot_rewatch = np.zeros(n * k, dtype=bool)  # the title is being watched again
        self.slot_skipped = np.zeros(n * k, dtype=np.int32)  # episodes skipped before the next play
        # A resumed view: the slot's next event is the rest of episode `resume_episode` (seconds
        # left), then its next episode is due at `after_resume_due` (inf: the title was dropped).
        self.resume_left = np.zeros(n * k, dtype=np.int64)
        self.resume_episode = np.zeros(n * k, dtype=np.int64)
        self.after_resume_due = np.full(n * k, np.inf)
        self.resume_truth: dict[str, np.ndarray] = {
            name: np.zeros(n * k, dtype=EVENT_COLUMNS[name]) for name in VIEW_TRUTH
        }
        self.is_dormant = np.zeros(n, dtype=bool)
        self.dormant_spells = np.zeros(n, dtype=np.int64)
        self.last_dormant_at = np.full(n, np.nan)
        self.started = StartedTitles(n, cat.n_titles)

    def admit(self, rows: np.ndarray, users: Users) -> None:
        """Put `users` (one per row) into the free `rows`, in their initial state."""
        timing, cont, comp, churn = (
            self.cfg.timing,
            self.cfg.continuation,
            self.cfg.completion,
            self.cfg.churn,
        )
        eng = users.engagement
        self.play_key[rows] = users.key
        self.user_id[rows] = users.user_id
        self.device[rows] = users.device
        self.budget_minutes[rows] = users.budget_minutes
        self.interest_from_engagement[rows] = comp["engagement_weight"] * eng
        self.logit_engagement[rows] = cont["engagement_coef"] * eng
        self.binge_logit_base[rows] = timing["binge_base"] + users.binge + timing["binge_engagement"] * eng
        self.p_dormant[rows] = sigmoid(
            np.log(churn["dormancy_per_title"] / (1 - churn["dormancy_per_title"]))
            - churn["dormancy_engagement_slope"] * eng
        )
        self.taste[rows] = users.taste
        self.taste_cdf[rows] = np.cumsum(users.taste, axis=1, dtype=np.float64)
        later_q = sigmoid(timing["later_q_base"] - timing["later_q_engagement"] * eng)
        discovery_q = sigmoid(timing["discovery_q_base"] - timing["discovery_q_engagement"] * eng)
        self.later_sessions.admit(rows, later_q, users.pref_hour)
        self.discoveries.admit(rows, discovery_q, users.pref_hour)
        self.ordinal[rows] = 0
        first = users.signup + first_play_delay(users)
        self.discovery_due[rows] = np.where(users.never_watch, np.inf, first)
        self.busy_until[rows] = -np.inf
        self.last_play_start[rows] = -np.inf
        self.session_start[rows] = 0.0
        self.session_position[rows] = 0
        self.session_device[rows] = users.device
        self.slot_due[:, rows] = np.inf
        flat = self.flat(rows[:, None], np.arange(self.n_slots)).ravel()
        self.slot_title[flat] = -1
        self.slot_episode[flat] = 0
        self.slot_affinity[flat] = 0.0
        self.clear_shapes(flat)
        self.is_dormant[rows] = False
        self.dormant_spells[rows] = 0
        self.last_dormant_at[rows] = np.nan
        self.started.reset(rows)

    def clear_shapes(self, flat: np.ndarray) -> None:
        """A slot taking a new title: no rewatch, skip or resume pending."""
        self.slot_rewatch[flat] = False
        self.slot_skipped[flat] = 0
        self.resume_left[flat] = 0

    def flat(self, rows: np.ndarray, slots: np.ndarray) -> np.ndarray:
        """Index of (row, slot) in the flat per-slot arrays."""
        return rows * self.n_slots + slots

    def free_slots(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), n_slots): which slots of each row hold no title."""
        return self.slot_title.reshape(-1, self.n_slots)[rows] < 0

    def truth(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """The user truth of `rows` as of now (their users have left: as of the window end)."""
        return {
            "titles_started": self.started.n[rows],
            "dormant_spells": self.dormant_spells[rows],
            "last_dormant_at": self.last_dormant_at[rows],
            "is_dormant_at_window_end": self.is_dormant[rows],
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


class WaitingUsers:
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
        finished: Callable[[int], object] | None = None,
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
        truth: dict[str, np.ndarray] = {name: np.zeros(n, dtype=t) for name, t in USER_TRUTH.items()}
        self._current_id += 1
        self._current, self._taken = batch, 0
        if n:
            self._open[self._current_id] = _OpenBatch(batch, truth, n)
        else:
            self._done(batch, truth)

    def leave(self, rows: np.ndarray, pool: Pool) -> None:
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
