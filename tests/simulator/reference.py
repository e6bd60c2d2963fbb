"""The simulator's behaviour model written plainly: one user at a time, one event at a time.

This is the specification the fast simulator (simulator/progression.py and the step modules) is
tested against: tests/simulator/test_reference.py runs both on small populations and requires the
same events and truth. It is slow (a Python loop per event) and meant to be read: a change of
behaviour is made here and in the fast simulator, knowingly, and the pinned fingerprint in
test_determinism.py is re-pinned.

What it shares with the fast simulator is what is not behaviour: the users' attributes
(simulator.population.make_users), the catalogue and its sampling tables (simulator.titles), the
counter-based random numbers (simulator.rng: the event with ordinal j of a user draws its uniforms
from hash(user key, j), discoveries from hash(user key, j + 2**21)) and the config. Arithmetic is
done with NumPy scalars in the fast simulator's order, so values agree to the last bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulator import rng
from simulator.clock import DAY, HOUR, MAX_NEXT_GAP, SESSION_GAP, Window
from simulator.config import Config
from simulator.population import Users, categorical, first_play_delay
from simulator.titles import Catalogue

DISCOVERY_COUNTER = 2**21
TRIES = 3
# the uniforms of a play draw, by slot
(INTEREST1, INTEREST2, ABANDON, ABANDON_AT, CONTINUE, BINGE, PAUSE) = range(7)
(LATER_DAY, LATER_HOUR1, LATER_HOUR2, LATER_WEEKEND, BROWSE, BROWSE_DELAY) = range(7, 13)
(SWITCH_DEVICE, DEVICE, RESUME, RESUME_GAP, SKIP, REWATCH) = range(13, 19)
# the uniforms of a discovery draw, by slot (TAG and PICK: one per try)
(EXPLORE, TAG, PICK) = (0, 1, 4)
(AFFINITY1, AFFINITY2, DAY_U, HOUR1, HOUR2, WEEKEND, DORMANT, NEVER, SPELL) = range(7, 16)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + np.exp(-x))


def normal(u1: float, u2: float) -> float:
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def uniforms(key: np.uint64, counter: int, n: int) -> np.ndarray:
    return rng.uniforms(np.array([key]), np.array([counter]), n)[0]


@dataclass
class Title:
    """A title in progress: its next episode, when that is due, how much the user likes it."""

    title: int
    episode: int
    affinity: float
    due: float = np.inf
    is_rewatch: bool = False  # watched again from episode 1 after its finale
    skipped: int = 0  # episodes skipped before the next play


@dataclass
class Resume:
    """A view waiting to be finished: the rest of `episode`, then `then` (None: dropped)."""

    title: int
    episode: int
    due: float
    seconds_left: int
    truth: dict[str, float]
    then: Title | None


@dataclass
class User:
    i: int  # row in `users`
    slots: list[Title | Resume | None]
    discovery_due: float
    busy_until: float = -np.inf
    last_play_start: float = -np.inf
    session_start: float = 0.0
    session_position: int = 0
    session_device: int = 0
    started: set[int] = field(default_factory=set)
    is_dormant: bool = False
    dormant_spells: int = 0
    last_dormant_at: float = np.nan


class Reference:
    def __init__(self, users: Users, cat: Catalogue, cfg: Config, window: Window) -> None:
        self.users, self.cat, self.cfg, self.window = users, cat, cfg, window
        self.device_cdf = categorical(cfg.population["device_weights"])[1]
        self.first_play = users.signup + first_play_delay(users)

    # --- the user's traits, as the behaviour model reads them ---
    def engagement(self, user: User) -> float:
        return self.users.engagement[user.i]

    def session_start_after(
        self, user: User, after: float, q: float, u_day: float, z: float, u_weekend: float
    ) -> float:
        """A later session: day d after `after`'s day has weight q^d (x the weekend boost), then an hour."""
        timing, pop = self.cfg.timing, self.cfg.population
        days = np.arange(int(timing["max_gap_days"]) + 1, dtype=float)
        first_day = np.floor(after / DAY)
        weekday = (self.window.start_weekday + int(first_day) + days.astype(np.int64)) % 7
        weights = np.power(q, days) * np.where(weekday >= 5, timing["weekend_boost"], 1.0)
        cdf = np.cumsum(weights)
        offset = min(int((cdf < u_day * cdf[-1]).sum()), len(days) - 1)
        if weekday[offset] >= 5 and u_weekend < pop["weekend_daytime_share"]:
            hour = pop["weekend_daytime_hour_mean"] + pop["weekend_daytime_hour_sd"] * z
        else:
            hour = self.users.pref_hour[user.i] + pop["session_hour_sd"] * z
        t = np.floor((first_day + offset) * DAY + min(max(hour, 6.0), 27.5) * HOUR)
        return t + DAY if t < after + SESSION_GAP else t

    # --- a discovery: choose a title, then plan the next discovery or fall dormant ---
    def choose_title(self, user: User, u: np.ndarray) -> int | None:
        cat, taste = self.cat, self.users.taste[user.i]
        for attempt in range(TRIES):
            if u[EXPLORE] < self.cfg.titles["explore_share"]:
                title = int(cat.sample_global(np.array([u[PICK + attempt]]))[0])
            else:
                cdf = np.cumsum(taste, dtype=np.float64)
                tag = min(int((cdf < u[TAG + attempt] * cdf[-1]).sum()), len(cdf) - 1)
                title = int(cat.sample_by_tag(np.array([tag]), np.array([u[PICK + attempt]]))[0])
            if title not in user.started:
                return title
        return None

    def affinity(self, user: User, title: int, u: np.ndarray) -> float:
        cat = self.cat
        taste_match = (self.users.taste[user.i] * cat.title_tags[title]).sum() / cat.n_title_tags[title]
        match = np.minimum(np.maximum(np.log(np.maximum(taste_match * len(cat.tags), 1e-6)), -3.0), 3.0)
        titles = self.cfg.titles
        return titles["taste_weight"] * match + titles["affinity_sd"] * normal(u[AFFINITY1], u[AFFINITY2])

    def discover(self, user: User, ordinal: int, t: float) -> int | None:
        """Returns the slot of a newly started title (played at once), else None."""
        u = uniforms(self.users.key[user.i], ordinal + DISCOVERY_COUNTER, 16)
        title = self.choose_title(user, u)
        free = [s for s, slot in enumerate(user.slots) if slot is None]
        started = None
        if title is not None and free:
            started = free[0]
            user.slots[started] = Title(title, 1, self.affinity(user, title, u))
            user.started.add(title)
        churn, timing, eng = self.cfg.churn, self.cfg.timing, self.engagement(user)
        prior = np.log(churn["dormancy_per_title"] / (1 - churn["dormancy_per_title"]))
        user.is_dormant = bool(u[DORMANT] < sigmoid(prior - churn["dormancy_engagement_slope"] * eng))
        if user.is_dormant:
            user.dormant_spells += 1
            user.last_dormant_at = t
            if u[NEVER] < churn["never_return_share"]:
                user.discovery_due = np.inf
            else:
                user.discovery_due = t + np.floor(-np.log(u[SPELL]) * churn["comeback_mean_days"] * DAY)
        else:
            q = sigmoid(timing["discovery_q_base"] - timing["discovery_q_engagement"] * eng)
            z = normal(u[HOUR1], u[HOUR2])
            user.discovery_due = self.session_start_after(user, t + HOUR, q, u[DAY_U], z, u[WEEKEND])
        return started

    # --- a play: watch, decide to continue, plan the next episode ---
    def start_session_or_not(self, user: User, t: float, u: np.ndarray) -> None:
        cfg, users, i = self.cfg, self.users, user.i
        if t - user.busy_until > SESSION_GAP:  # a new session, mostly on the user's own device
            user.session_position, user.session_start = 1, t
            user.session_device = int(users.device[i])
            if u[SWITCH_DEVICE] < cfg.population["other_device_session_share"]:
                pick = np.searchsorted(self.device_cdf, u[DEVICE], side="right")
                user.session_device = int(min(pick, len(self.device_cdf) - 1))
        else:
            user.session_position += 1

    def seconds(self, fraction: float, duration: int) -> int:
        return int(min(max(np.round(fraction * duration), 1), duration))

    def play(self, user: User, ordinal: int, slot: int, t: float) -> dict[str, float]:
        cfg, cat, users, i = self.cfg, self.cat, self.users, user.i
        comp, cont, timing = cfg.completion, cfg.continuation, cfg.timing
        u = uniforms(users.key[i], ordinal, 19)
        playing = user.slots[slot]
        if isinstance(playing, Resume):
            return self.play_rest(user, ordinal, slot, t, u)
        assert playing is not None
        title, episode, affinity = playing.title, playing.episode, playing.affinity
        eng = self.engagement(user)
        self.start_session_or_not(user, t, u)
        position = user.session_position
        gap_days = (t - user.last_play_start) / DAY

        interest = (
            affinity
            + comp["engagement_weight"] * eng
            + comp["episode_sd"] * normal(u[INTEREST1], u[INTEREST2])
        )
        fraction = sigmoid(comp["full_intercept"] + comp["full_slope"] * interest)
        duration = int(cat.ep_duration[cat.ep_offset[title] - 1 + episode])
        watched = view = self.seconds(fraction, duration)
        if u[ABANDON] < sigmoid(comp["abandon_intercept"] - comp["abandon_slope"] * interest):
            stop_at = comp["abandon_min"] + (comp["abandon_max"] - comp["abandon_min"]) * u[ABANDON_AT]
            watched = view = self.seconds(fraction * stop_at, duration)
            if u[RESUME] < comp["resume_share"]:  # finished later: the view is what it would have been
                view = max(self.seconds(fraction, duration), watched)
        resumed = view > watched
        completion = view / duration  # decided at the end of the view
        is_last = episode >= cat.n_episodes[title]

        score = cat.score[title]
        terms = {
            "logit_base": cont["base"],
            "logit_episode": -cont["hook_drop"] * np.exp(-(episode - 1) / cont["hook_tau"]),
            "logit_title": (
                cont["score_coef"] * (score - cont["score_centre"]) if np.isfinite(score) else 0.0
            )
            + cat.title_effect[title],
            "logit_engagement": cont["engagement_coef"] * eng,
            "logit_affinity": cont["affinity_coef"] * affinity,
            "logit_completion": cont["completion_coef"] * (completion - cont["completion_centre"]),
            "logit_fatigue": -cont["fatigue_coef"] * (position - 1),
            "logit_recency": -cont["recency_coef"] * np.log1p(gap_days) if np.isfinite(gap_days) else 0.0,
        }
        logit = 0.0
        for value in terms.values():
            logit += value
        p_continue = sigmoid(logit)
        will_continue = bool(u[CONTINUE] < p_continue) and not is_last
        t_end = view_end = t + watched
        if resumed:
            gap = np.floor(-np.log(u[RESUME_GAP]) * comp["resume_gap_mean_minutes"] * 60.0)
            resume_at = t_end + min(max(gap, 60.0), 20 * HOUR)
            view_end = resume_at + (view - watched)
        used_minutes = (t - user.session_start) / 60.0 + view / 60.0
        budget = users.budget_minutes[i]
        skip = will_continue and episode + 2 <= cat.n_episodes[title] and u[SKIP] < cont["skip_share"]
        restart = is_last and not playing.is_rewatch and u[REWATCH] < cont["rewatch_share"]

        following: Title | None = None
        if will_continue or restart:
            binge_logit = (
                timing["binge_base"]
                + users.binge[i]
                + timing["binge_engagement"] * eng
                - timing["binge_position_coef"] * position
                - timing["binge_budget_coef"] * used_minutes / budget
                - timing["late_night_coef"] * ((view_end % DAY) / HOUR < 5.0)
            )
            if u[BINGE] < sigmoid(binge_logit):  # straight on, after a short pause
                pause = np.floor(-np.log(u[PAUSE]) * timing["pause_mean_seconds"])
                due = view_end + min(max(pause, timing["pause_min_seconds"]), timing["pause_max_seconds"])
            else:
                q = sigmoid(timing["later_q_base"] - timing["later_q_engagement"] * eng)
                z = normal(u[LATER_HOUR1], u[LATER_HOUR2])
                due = self.session_start_after(user, view_end, q, u[LATER_DAY], z, u[LATER_WEEKEND])
            next_episode = 1 if restart else episode + 1 + int(skip)
            following = Title(
                title,
                next_episode,
                affinity,
                min(due, t + MAX_NEXT_GAP),
                playing.is_rewatch or restart,
                int(skip),
            )
        elif not resumed:
            budget_left = min(max(1.0 - used_minutes / budget, 0.0), 1.0)
            if not user.is_dormant and u[BROWSE] < timing["browse_after_end_share"] * budget_left:
                delay = np.floor(-np.log(u[BROWSE_DELAY]) * timing["browse_delay_mean_seconds"])
                user.discovery_due = min(user.discovery_due, t_end + 5.0 + delay)
        user.slots[slot] = following
        user.busy_until, user.last_play_start = t_end, t
        event = {
            "event_id": (int(users.user_id[i]) << 20) | ordinal,
            "user_id": int(users.user_id[i]),
            "title": title,
            "episode_number": episode,
            "started": t,
            "watched": watched,
            "duration": duration,
            "device": user.session_device,
            "p_continue": np.nan if is_last else p_continue,
            "will_continue": will_continue,
            "interest": interest,
            **terms,
            "is_resumed_piece": False,
            "is_rewatch": playing.is_rewatch,
            "skipped_episodes": playing.skipped,
        }
        if resumed:
            truth = {
                k: v
                for k, v in event.items()
                if k in ("p_continue", "will_continue", "interest", "is_rewatch")
            }
            truth.update(terms)
            user.slots[slot] = Resume(title, episode, resume_at, view - watched, truth, following)
        return event

    def play_rest(self, user: User, ordinal: int, slot: int, t: float, u: np.ndarray) -> dict[str, float]:
        """The rest of a resumed view: the view's decision was made at its first piece."""
        resume = user.slots[slot]
        assert isinstance(resume, Resume)
        self.start_session_or_not(user, t, u)
        user.slots[slot] = resume.then
        user.busy_until, user.last_play_start = t + resume.seconds_left, t
        cat, user_id = self.cat, int(self.users.user_id[user.i])
        return {
            "event_id": (user_id << 20) | ordinal,
            "user_id": user_id,
            "title": resume.title,
            "episode_number": resume.episode,
            "started": t,
            "watched": resume.seconds_left,
            "duration": int(cat.ep_duration[cat.ep_offset[resume.title] - 1 + resume.episode]),
            "device": user.session_device,
            **resume.truth,
            "is_resumed_piece": True,
            "skipped_episodes": 0,
        }

    # --- one user's whole history ---
    def simulate_user(self, i: int) -> tuple[list[dict[str, float]], dict[str, float]]:
        users = self.users
        k = int(self.cfg.titles["max_parallel_titles"])
        first = np.inf if users.never_watch[i] else self.first_play[i]
        user = User(i, [None] * k, first, session_device=int(users.device[i]))
        events = []
        ordinal = 0
        while True:
            dues = [np.inf if slot is None else slot.due for slot in user.slots]
            slot = int(np.argmin(dues))  # the earliest title, the first on ties
            is_discovery = user.discovery_due < dues[slot]
            t = max(user.discovery_due if is_discovery else dues[slot], user.busy_until)
            if t >= self.window.end:
                break
            play_slot = self.discover(user, ordinal, t) if is_discovery else slot
            if play_slot is not None:
                events.append(self.play(user, ordinal, play_slot, t))
            ordinal += 1
        truth = {
            "titles_started": len(user.started),
            "dormant_spells": user.dormant_spells,
            "last_dormant_at": user.last_dormant_at,
            "is_dormant_at_window_end": user.is_dormant,
        }
        return events, truth


def simulate(users: Users, cat: Catalogue, cfg: Config, window: Window) -> tuple[list[dict], list[dict]]:
    """Every user's events (in user, then ordinal order) and truth (in user order)."""
    model = Reference(users, cat, cfg, window)
    events, truths = [], []
    for i in range(len(users.user_id)):
        user_events, truth = model.simulate_user(i)
        events += user_events
        truths.append(truth)
    return events, truths
