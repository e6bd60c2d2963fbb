"""The event columns the simulator emits, filled step by step into batches for the writer."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

STEP_BITS = 20  # event_id = user_id * 2**20 + play ordinal
# Events per batch handed to the writer: whole DuckDB row groups (122,880 rows), so that inserts
# write complete row groups instead of leaving a partial one for the next to extend (only the last
# batch, or an --append batch trimmed to the new days, is partial). Once no user is left waiting
# (from the start when the pool holds every user), batches halve: the insert still running when
# generation ends is shorter.
ROW_GROUP = 122_880
FLUSH_ROWS = 2 * ROW_GROUP

# The continuation logit's terms, summed in this order (stored in sim.event_truth).
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
    "is_resumed_piece": np.bool_,  # the second play of a view (the rest of an abandoned play)
    "is_rewatch": np.bool_,  # an episode of a title watched again after its finale
    "skipped_episodes": np.int32,  # episodes skipped right before this play (0 or 1)
}
# The truth of a view, shared by its two plays when it is resumed (kept in the slot in between).
VIEW_TRUTH = ("p_continue", "will_continue", "interest", *LOGIT_TERMS, "is_rewatch")


def event_id(user_id: np.ndarray, ordinal: np.ndarray) -> np.ndarray:
    return (user_id << STEP_BITS) | ordinal


class EventBatch:
    """Event columns filled step by step in place, handed over every `rows` events."""

    def __init__(self, rows: int, max_step: int, emit: Callable[[dict[str, np.ndarray]], None]) -> None:
        self.rows, self.capacity, self.emit = rows, rows + max_step, emit
        self._new()

    def _new(self) -> None:
        # Fresh arrays each time: the consumer may keep the emitted ones (zero-copy Arrow).
        self.cols: dict[str, np.ndarray] = {
            name: np.empty(self.capacity, dtype=t) for name, t in EVENT_COLUMNS.items()
        }
        self.n = 0

    def add(self, m: int, values: dict[str, np.ndarray | float]) -> None:
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
