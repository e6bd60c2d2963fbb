"""When a user's later sessions start: a day offset with geometric weights, at the user's hour."""

from __future__ import annotations

import numpy as np

from simulator.clock import DAY, HOUR, SESSION_GAP, Window
from simulator.config import Config


class SessionScheduler:
    """Start times of later sessions for the users of a pool's rows.

    Day d after the current one has weight q^d (times the weekend boost on weekend days); q is the
    user's and the weekend days depend on the weekday of the first candidate day, so the cumulative
    weights are tabulated once per user, when the user enters the pool, as (row, weekday phase,
    day offset). A draw then only looks its row up.
    """

    def __init__(self, cfg: Config, window: Window, n_rows: int) -> None:
        timing = cfg.timing
        self.days = np.arange(int(timing["max_gap_days"]) + 1, dtype=float)
        self.n_days = len(self.days)
        self.start_weekday = window.start_weekday
        self.pref_hour = np.zeros(n_rows)
        self.population = cfg.population
        weekend = (np.arange(7)[:, None] + self.days.astype(np.int64)[None, :]) % 7 >= 5
        self.weekend_factor = np.where(weekend, timing["weekend_boost"], 1.0)
        self.cdf = np.zeros((n_rows * 7, self.n_days))

    def admit(self, rows: np.ndarray, q: np.ndarray, pref_hour: np.ndarray) -> None:
        """Tabulate the weights of the users now simulated in `rows`."""
        w = q[:, None, None] ** self.days[None, None, :]
        self.cdf.reshape(-1, 7, self.n_days)[rows] = np.cumsum(w * self.weekend_factor[None, :, :], axis=2)
        self.pref_hour[rows] = pref_hour

    def next_start(
        self,
        rows: np.ndarray,
        after: np.ndarray,
        u_day: np.ndarray,
        z_hour: np.ndarray,
        u_weekend: np.ndarray,
    ) -> np.ndarray:
        """A session start after `after` (seconds) for each of `rows`, from its three draws."""
        p = self.population
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
