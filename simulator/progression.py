"""Episode-by-episode behaviour of a chunk of users, vectorised over users in lockstep.

Each user is a small event-driven process: up to K titles in progress (slots), each with the time
its next episode is due, plus a pending "discovery" (start a new title). Step j processes every
live user's j-th event at once (the earliest due), so the Python loop runs over play ordinals,
never over users or events. Step j of user u draws its randoms from hash(seed, u, j): a user's
events depend only on the seed, the config and the catalogue, not on the chunk or the window end.

Continuation is decided at the end of each play with probability p_continue. A continued title's
next episode is always scheduled less than 13 days later (and can be pushed back by at most a few
other plays), a dropped title is never resumed, and a title is never started twice, so p_continue
is exactly the probability of the SQL label "plays episode n+1 within 14 days".
"""

from __future__ import annotations

from collections.abc import Callable
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


class _State:
    """Per-user state arrays of the live users of a chunk (compacted as users finish)."""

    def __init__(self, users: Users, k: int, disc_due: np.ndarray) -> None:
        n = len(users.user_id)
        self.row = np.arange(n)  # position in the chunk's Users (for final truth)
        self.users = users
        self.t_free = np.full(n, -np.inf)
        self.last_start = np.full(n, -np.inf)
        self.sess_start = np.zeros(n)
        self.sess_pos = np.zeros(n, dtype=np.int64)
        self.sess_dev = users.device.copy()
        self.slot_title = np.full((n, k), -1, dtype=np.int64)
        self.slot_ep = np.zeros((n, k), dtype=np.int64)
        self.slot_due = np.full((n, k), np.inf)
        self.slot_aff = np.zeros((n, k))
        self.disc_due = disc_due
        self.dorm = np.zeros(n, dtype=bool)
        self.n_dorm = np.zeros(n, dtype=np.int64)
        self.last_dorm = np.full(n, np.nan)
        self.hist = np.full((n, 8), -1, dtype=np.int64)
        self.hist_n = np.zeros(n, dtype=np.int64)

    _ARRAYS = (
        "row t_free last_start sess_start sess_pos sess_dev slot_title slot_ep slot_due "
        "slot_aff disc_due dorm n_dorm last_dorm hist hist_n"
    ).split()

    def keep(self, mask: np.ndarray) -> None:
        for name in self._ARRAYS:
            setattr(self, name, getattr(self, name)[mask])
        self.users = self.users.take(mask)

    def push_history(self, rows: np.ndarray, titles: np.ndarray) -> None:
        if rows.size and self.hist_n[rows].max() >= self.hist.shape[1]:
            grow = np.full_like(self.hist, -1)
            self.hist = np.concatenate([self.hist, grow], axis=1)
        self.hist[rows, self.hist_n[rows]] = titles
        self.hist_n[rows] += 1


class _Scheduler:
    """Start times of later sessions: a day offset with geometric-ish weights, at the user's hour."""

    def __init__(self, cfg: Config, window: Window) -> None:
        t, p = cfg.timing, cfg.population
        self.days = np.arange(int(t["max_gap_days"]) + 1, dtype=float)
        self.boost = t["weekend_boost"]
        self.start_weekday = window.start_weekday
        self.p = p

    def weekend(self, day: np.ndarray) -> np.ndarray:
        return (self.start_weekday + day.astype(np.int64)) % 7 >= 5

    def __call__(
        self,
        after: np.ndarray,
        q: np.ndarray,
        pref_hour: np.ndarray,
        u_day: np.ndarray,
        z_hour: np.ndarray,
        u_weekend: np.ndarray,
    ) -> np.ndarray:
        p = self.p
        day0 = np.floor(after / DAY)
        w = q[:, None] ** self.days[None, :]
        w = w * np.where(self.weekend(day0[:, None] + self.days[None, :]), self.boost, 1.0)
        cdf = np.cumsum(w, axis=1)
        offset = (cdf < (u_day * cdf[:, -1])[:, None]).sum(axis=1)
        day = day0 + np.minimum(offset, len(self.days) - 1)
        daytime = self.weekend(day) & (u_weekend < p["weekend_daytime_share"])
        hour = np.where(
            daytime,
            p["weekend_daytime_hour_mean"] + p["weekend_daytime_hour_sd"] * z_hour,
            pref_hour + p["session_hour_sd"] * z_hour,
        )
        t = np.floor(day * DAY + np.clip(hour, 6.0, 27.5) * HOUR)
        # A "later" session is a new session: at least the idle gap after `after`.
        return np.where(t < after + SESSION_GAP, t + DAY, t)


def _choose_titles(
    cat: Catalogue, cfg: Config, taste: np.ndarray, hist: np.ndarray, ud: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A title per discovering user (taste mixture or popularity), never one already started."""
    explore = ud[:, D_EXPLORE] < cfg.titles["explore_share"]
    cdf = np.cumsum(taste, axis=1, dtype=np.float64)
    chosen = np.full(len(ud), -1, dtype=np.int64)
    found = np.zeros(len(ud), dtype=bool)
    for t in range(TRIES):
        tag = (cdf < (ud[:, D_TAG + t] * cdf[:, -1])[:, None]).sum(axis=1)
        tag = np.minimum(tag, cdf.shape[1] - 1)
        by_tag = cat.sample_by_tag(tag, ud[:, D_PICK + t])
        c = np.where(explore, cat.sample_global(ud[:, D_PICK + t]), by_tag)
        take = ~found & ~(hist == c[:, None]).any(axis=1)
        chosen[take] = c[take]
        found |= take
    return chosen, found


def simulate_chunk(
    users: Users,
    cat: Catalogue,
    cfg: Config,
    window: Window,
    emit: Callable[[dict[str, np.ndarray]], None],
    flush_rows: int = 500_000,
) -> dict[str, np.ndarray]:
    """Simulate one chunk of users over [0, window.end).

    Event columns are handed to `emit` in batches of about `flush_rows` (bounded memory whatever
    the chunk size); the per-user truth as of the window end is returned.
    """
    from simulator.population import first_play_delay

    pt, pc, pcomp, pch, pp = cfg.timing, cfg.continuation, cfg.completion, cfg.churn, cfg.population
    k_slots = int(cfg.titles["max_parallel_titles"])
    n_users = len(users.user_id)
    first = users.signup + first_play_delay(users)
    st = _State(users, k_slots, np.where(users.never_watch, np.inf, first))
    sched = _Scheduler(cfg, window)
    _, dev_cdf = categorical(pp["device_weights"])
    n_tags = len(cat.tags)

    final_titles = np.zeros(n_users, dtype=np.int64)
    final_dorm_n = np.zeros(n_users, dtype=np.int64)
    final_dorm_last = np.full(n_users, np.nan)
    final_dorm = np.zeros(n_users, dtype=bool)

    cols: dict[str, list[np.ndarray]] = {
        name: []
        for name in (
            "user_id step title episode_number started watched duration device p_continue "
            "will_continue interest".split()
            + list(LOGIT_TERMS)
        )
    }
    end = window.end
    j = 0
    pending = 0

    def flush() -> None:
        if pending:
            emit({name: np.concatenate(v) for name, v in cols.items()})
            for v in cols.values():
                v.clear()

    while len(st.row):
        slot_min = st.slot_due.min(axis=1)
        is_disc = st.disc_due < slot_min
        t0 = np.maximum(np.where(is_disc, st.disc_due, slot_min), st.t_free)
        live = t0 < end
        if not live.all():
            dead = ~live
            r = st.row[dead]
            final_titles[r] = st.hist_n[dead]
            final_dorm_n[r] = st.n_dorm[dead]
            final_dorm_last[r] = st.last_dorm[dead]
            final_dorm[r] = st.dorm[dead]
            st.keep(live)
            is_disc, t0 = is_disc[live], t0[live]
            if not len(st.row):
                break
        if j >= 2**STEP_BITS:
            raise RuntimeError("a user exceeded 2**20 plays; shorten the window")
        u_ = st.users
        k = st.slot_due.argmin(axis=1)
        has_play = ~is_disc

        # --- discovery: pick a new title for users whose next event is a discovery ---
        ds = np.flatnonzero(is_disc)
        if ds.size:
            ud = rng.uniforms(u_.key[ds], j + DISCOVERY_COUNTER, N_DISC_U)
            free = st.slot_title[ds] < 0
            fk = free.argmax(axis=1)
            title, found = _choose_titles(cat, cfg, u_.taste[ds], st.hist[ds], ud)
            ok = free.any(axis=1) & found
            taste_match = (u_.taste[ds] * cat.title_tags[title]).sum(axis=1) / cat.n_title_tags[title]
            match = np.clip(np.log(np.maximum(taste_match * n_tags, 1e-6)), -3.0, 3.0)
            aff = cfg.titles["taste_weight"] * match + cfg.titles["affinity_sd"] * rng.normal(
                ud[:, D_AFF1], ud[:, D_AFF2]
            )
            rows, slots = ds[ok], fk[ok]
            st.slot_title[rows, slots] = title[ok]
            st.slot_ep[rows, slots] = 1
            st.slot_aff[rows, slots] = aff[ok]
            k[rows] = slots
            has_play[rows] = True
            st.push_history(rows, title[ok])
            # Next discovery, or a dormant spell (churn): no new titles until the comeback.
            td = t0[ds]
            q = sigmoid(pt["discovery_q_base"] - pt["discovery_q_engagement"] * u_.engagement[ds])
            nxt = sched(
                td + HOUR,
                q,
                u_.pref_hour[ds],
                ud[:, D_DAY],
                rng.normal(ud[:, D_H1], ud[:, D_H2]),
                ud[:, D_WK],
            )
            p_dorm = sigmoid(
                np.log(pch["dormancy_per_title"] / (1 - pch["dormancy_per_title"]))
                - pch["dormancy_engagement_slope"] * u_.engagement[ds]
            )
            dormant = ud[:, D_DORM] < p_dorm
            comeback = np.where(
                ud[:, D_NEVER] < pch["never_return_share"],
                np.inf,
                td + np.floor(-np.log(ud[:, D_LEN]) * pch["comeback_mean_days"] * DAY),
            )
            st.disc_due[ds] = np.where(dormant, comeback, nxt)
            st.dorm[ds] = dormant
            st.n_dorm[ds] += dormant
            st.last_dorm[ds] = np.where(dormant, td, st.last_dorm[ds])

        # --- plays ---
        ps = np.flatnonzero(has_play)
        if ps.size:
            up = rng.uniforms(u_.key[ps], j, N_PLAY_U)
            kp = k[ps]
            title = st.slot_title[ps, kp]
            ep = st.slot_ep[ps, kp]
            aff = st.slot_aff[ps, kp]
            eng = u_.engagement[ps]
            t = t0[ps]
            new_sess = (t - st.t_free[ps]) > SESSION_GAP
            pos = np.where(new_sess, 1, st.sess_pos[ps] + 1)
            sess_start = np.where(new_sess, t, st.sess_start[ps])
            sess_min = (t - sess_start) / 60.0
            switch = up[:, P_DEVSW] < pp["other_device_session_share"]
            dev = np.where(
                new_sess,
                np.where(switch, pick(dev_cdf, up[:, P_DEV]), u_.device[ps]),
                st.sess_dev[ps],
            )
            gap_days = (t - st.last_start[ps]) / DAY  # inf on a user's first play

            # Completion: the episode's interest, revealed (mostly) by how much is watched.
            z = (
                aff
                + pcomp["engagement_weight"] * eng
                + pcomp["episode_sd"] * rng.normal(up[:, P_EPS1], up[:, P_EPS2])
            )
            full = sigmoid(pcomp["full_intercept"] + pcomp["full_slope"] * z)
            abandon = up[:, P_AB] < sigmoid(pcomp["abandon_intercept"] - pcomp["abandon_slope"] * z)
            lo, hi = pcomp["abandon_min"], pcomp["abandon_max"]
            frac = np.where(abandon, full * (lo + (hi - lo) * up[:, P_ABF]), full)
            dur = cat.ep_duration[cat.ep_offset[title] + ep - 1].astype(np.int64)
            watched = np.clip(np.round(frac * dur), 1, dur).astype(np.int64)
            completion = watched / dur
            is_last = ep >= cat.n_episodes[title]

            # Continuation logit, term by term (stored in sim.event_truth).
            score = cat.score[title]
            terms = {
                "logit_base": np.full(ps.size, pc["base"]),
                "logit_episode": -pc["hook_drop"] * np.exp(-(ep - 1) / pc["hook_tau"]),
                "logit_title": np.where(
                    np.isfinite(score), pc["score_coef"] * (score - pc["score_centre"]), 0.0
                )
                + cat.title_effect[title],
                "logit_engagement": pc["engagement_coef"] * eng,
                "logit_affinity": pc["affinity_coef"] * aff,
                "logit_completion": pc["completion_coef"] * (completion - pc["completion_centre"]),
                "logit_fatigue": -pc["fatigue_coef"] * (pos - 1),
                "logit_recency": np.where(
                    np.isfinite(gap_days), -pc["recency_coef"] * np.log1p(gap_days), 0.0
                ),
            }
            p_cont = sigmoid(sum(terms.values()))
            cont = (up[:, P_CONT] < p_cont) & ~is_last
            t_end = t + watched

            # When the next episode is played: now (binge) or at a later session.
            hour_end = (t_end % DAY) / HOUR
            binge_logit = (
                pt["binge_base"]
                + u_.binge[ps]
                + pt["binge_engagement"] * eng
                - pt["binge_position_coef"] * pos
                - pt["binge_budget_coef"] * (sess_min + watched / 60.0) / u_.budget_minutes[ps]
                - pt["late_night_coef"] * (hour_end < 5.0)
            )
            now = up[:, P_BINGE] < sigmoid(binge_logit)
            pause = np.clip(
                np.floor(-np.log(up[:, P_PAUSE]) * pt["pause_mean_seconds"]),
                pt["pause_min_seconds"],
                pt["pause_max_seconds"],
            )
            q = sigmoid(pt["later_q_base"] - pt["later_q_engagement"] * eng)
            later = sched(
                t_end,
                q,
                u_.pref_hour[ps],
                up[:, P_LDAY],
                rng.normal(up[:, P_LH1], up[:, P_LH2]),
                up[:, P_LWK],
            )
            nxt = np.minimum(np.where(now, t_end + pause, later), t + MAX_NEXT_GAP)
            st.slot_ep[ps, kp] = ep + 1
            st.slot_due[ps, kp] = np.where(cont, nxt, np.inf)
            st.slot_title[ps, kp] = np.where(cont, title, -1)

            # After a drop or a finale, maybe browse to another title in the same session.
            left = np.clip(1.0 - (sess_min + watched / 60.0) / u_.budget_minutes[ps], 0.0, 1.0)
            browse = ~cont & ~st.dorm[ps] & (up[:, P_BROWSE] < pt["browse_after_end_share"] * left)
            b_due = t_end + 5.0 + np.floor(-np.log(up[:, P_BDELAY]) * pt["browse_delay_mean_seconds"])
            st.disc_due[ps] = np.where(browse, np.minimum(st.disc_due[ps], b_due), st.disc_due[ps])

            st.t_free[ps] = t_end
            st.last_start[ps] = t
            st.sess_pos[ps] = pos
            st.sess_start[ps] = sess_start
            st.sess_dev[ps] = dev

            cols["user_id"].append(u_.user_id[ps])
            cols["step"].append(np.full(ps.size, j, dtype=np.int64))
            cols["title"].append(title)
            cols["episode_number"].append(ep)
            cols["started"].append(t)
            cols["watched"].append(watched)
            cols["duration"].append(dur)
            cols["device"].append(dev)
            cols["p_continue"].append(np.where(is_last, np.nan, p_cont))
            cols["will_continue"].append(cont)
            cols["interest"].append(z)
            for name, v in terms.items():
                cols[name].append(v.astype(np.float32))
            pending += ps.size
            if pending >= flush_rows:
                flush()
                pending = 0
        j += 1
    flush()
    return {
        "titles_started": final_titles,
        "dormant_spells": final_dorm_n,
        "last_dormant_at": final_dorm_last,
        "is_dormant_at_window_end": final_dorm,
    }
