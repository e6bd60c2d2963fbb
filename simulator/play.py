"""The play step: a user plays the next episode of a title in progress, watches part or all of it,
decides whether to go on with the title, and when (now, binging, or at a later session).

Continuation is decided at the end of each play with probability p_continue. A continued title's
next episode is due within `MAX_NEXT_GAP` (a day inside the label horizon), a dropped title is never
resumed and a title is never started twice, so p_continue is exactly the probability of the SQL label.
"""

from __future__ import annotations

import numpy as np

from simulator import rng
from simulator.clock import DAY, HOUR, MAX_NEXT_GAP, SESSION_GAP
from simulator.config import Config
from simulator.events import LOGIT_TERMS, VIEW_TRUTH, event_id
from simulator.pool import Pool, sigmoid
from simulator.population import pick
from simulator.titles import Catalogue

# Uniform slots of a play draw (a slot's value does not depend on which other slots are drawn, so
# each is drawn only for the plays that use it).
(U_INTEREST1, U_INTEREST2, U_ABANDON, U_ABANDON_AT, U_CONTINUE, U_BINGE, U_PAUSE) = range(7)
(U_LATER_DAY, U_LATER_HOUR1, U_LATER_HOUR2, U_LATER_WEEKEND, U_BROWSE, U_BROWSE_DELAY) = range(7, 13)
(U_SWITCH_DEVICE, U_DEVICE, U_RESUME, U_RESUME_GAP, U_SKIP, U_REWATCH) = range(13, 19)
RESUME_GAP_MIN, RESUME_GAP_MAX = 60.0, 20 * HOUR


class TitleTerms:
    """Per-title and per-episode-number terms of the behaviour model, computed once per run."""

    def __init__(self, cat: Catalogue, cfg: Config) -> None:
        cont = cfg.continuation
        score = cat.score
        self.logit_title = (
            np.where(np.isfinite(score), cont["score_coef"] * (score - cont["score_centre"]), 0.0)
            + cat.title_effect
        )
        ep = np.arange(int(cat.n_episodes.max()) + 2, dtype=np.int64)
        # The "hook": early episodes lose more viewers, decaying with the episode number.
        self.logit_episode = -cont["hook_drop"] * np.exp(-(ep - 1) / cont["hook_tau"])
        self.ep_first = cat.ep_offset - 1  # + episode number = index in ep_duration
        self.ep_duration = cat.ep_duration.astype(np.int64)
        self.n_episodes = cat.n_episodes


def _session(
    pool: Pool, cfg: Config, rows: np.ndarray, t: np.ndarray, h: np.ndarray, device_cdf: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Position in the session, the session's start and its device, for plays starting at `t`."""
    new = (t - pool.busy_until[rows]) > SESSION_GAP
    position = np.where(new, 1, pool.session_position[rows] + 1)
    start = np.where(new, t, pool.session_start[rows])
    device = pool.session_device[rows]
    ni = new.nonzero()[0]
    if ni.size:  # a new session mostly plays on the user's own device
        u = rng.slot_uniforms(h[ni], (U_SWITCH_DEVICE, U_DEVICE))
        other = u[:, 0] < cfg.population["other_device_session_share"]
        device[ni] = np.where(other, pick(device_cdf, u[:, 1]), pool.device[rows[ni]])
    return position, start, device


def _seconds(fraction: np.ndarray, duration: np.ndarray) -> np.ndarray:
    return np.minimum(np.maximum(np.round(fraction * duration), 1), duration).astype(np.int64)


def _watch(
    pool: Pool,
    cfg: Config,
    rows: np.ndarray,
    affinity: np.ndarray,
    duration: np.ndarray,
    h: np.ndarray,
    u: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The episode's interest, the seconds watched in this play, and in the whole view.

    Interest is revealed (mostly) by how much is watched. An abandoned play stops somewhere inside
    the episode; a resumed one (a share of those) is finished later: its view then holds the
    seconds the user would have watched without stopping.
    """
    comp = cfg.completion
    interest = (
        affinity + pool.interest_from_engagement[rows] + comp["episode_sd"] * rng.normal(u[:, 0], u[:, 1])
    )
    fraction = sigmoid(comp["full_intercept"] + comp["full_slope"] * interest)
    abandon = u[:, 2] < sigmoid(comp["abandon_intercept"] - comp["abandon_slope"] * interest)
    view = watched = _seconds(fraction, duration)
    ai = abandon.nonzero()[0]
    if ai.size:
        ua = rng.slot_uniforms(h[ai], (U_ABANDON_AT, U_RESUME))
        lo, hi = comp["abandon_min"], comp["abandon_max"]
        watched = watched.copy()
        watched[ai] = _seconds(fraction[ai] * (lo + (hi - lo) * ua[:, 0]), duration[ai])
        resumed = (ua[:, 1] < comp["resume_share"]) & (view[ai] > watched[ai])
        view = watched.copy()
        view[ai[resumed]] = _seconds(fraction[ai[resumed]], duration[ai[resumed]])
    return interest, watched, view


def _continuation_logit(
    pool: Pool,
    cfg: Config,
    terms: TitleTerms,
    rows: np.ndarray,
    title: np.ndarray,
    episode: np.ndarray,
    affinity: np.ndarray,
    completion: np.ndarray,
    position: np.ndarray,
    gap_days: np.ndarray,
) -> dict[str, np.ndarray | float]:
    """The continuation logit's terms (LOGIT_TERMS), each as stored in sim.event_truth."""
    cont = cfg.continuation
    return {
        "logit_base": cont["base"],
        "logit_episode": terms.logit_episode[episode],
        "logit_title": terms.logit_title[title],
        "logit_engagement": pool.logit_engagement[rows],
        "logit_affinity": cont["affinity_coef"] * affinity,
        "logit_completion": cont["completion_coef"] * (completion - cont["completion_centre"]),
        "logit_fatigue": -cont["fatigue_coef"] * (position - 1),
        # gap_days is inf on a user's first play: no recency term
        "logit_recency": np.where(np.isfinite(gap_days), -cont["recency_coef"] * np.log1p(gap_days), 0.0),
    }


def _next_episode_due(
    pool: Pool,
    cfg: Config,
    rows: np.ndarray,
    t: np.ndarray,
    t_end: np.ndarray,
    position: np.ndarray,
    used_minutes: np.ndarray,
    h: np.ndarray,
    u_binge: np.ndarray,
) -> np.ndarray:
    """When a continued title's next episode is played: after a short pause (binge) or later."""
    timing = cfg.timing
    hour_end = (t_end % DAY) / HOUR
    binge_logit = (
        pool.binge_logit_base[rows]
        - timing["binge_position_coef"] * position
        - timing["binge_budget_coef"] * used_minutes / pool.budget_minutes[rows]
        - timing["late_night_coef"] * (hour_end < 5.0)
    )
    now = u_binge < sigmoid(binge_logit)
    due = np.empty(rows.size)
    bi = now.nonzero()[0]
    if bi.size:
        u_pause = rng.slot_uniforms(h[bi], (U_PAUSE,))[:, 0]
        pause = np.floor(-np.log(u_pause) * timing["pause_mean_seconds"])
        pause = np.minimum(np.maximum(pause, timing["pause_min_seconds"]), timing["pause_max_seconds"])
        due[bi] = t_end[bi] + pause
    li = (~now).nonzero()[0]
    if li.size:
        ul = rng.slot_uniforms(h[li], (U_LATER_DAY, U_LATER_HOUR1, U_LATER_HOUR2, U_LATER_WEEKEND))
        z_hour = rng.normal(ul[:, 1], ul[:, 2])
        due[li] = pool.later_sessions.next_start(rows[li], t_end[li], ul[:, 0], z_hour, ul[:, 3])
    return np.minimum(due, t + MAX_NEXT_GAP)


def _maybe_browse(
    pool: Pool, cfg: Config, rows: np.ndarray, t_end: np.ndarray, used_minutes: np.ndarray, h: np.ndarray
) -> None:
    """After a drop or a finale a user with budget left may look for another title in the session."""
    timing = cfg.timing
    u = rng.slot_uniforms(h, (U_BROWSE, U_BROWSE_DELAY))
    budget_left = np.minimum(np.maximum(1.0 - used_minutes / pool.budget_minutes[rows], 0.0), 1.0)
    browse = u[:, 0] < timing["browse_after_end_share"] * budget_left
    if browse.any():
        at = t_end[browse] + 5.0 + np.floor(-np.log(u[browse, 1]) * timing["browse_delay_mean_seconds"])
        pool.discovery_due[rows[browse]] = np.minimum(pool.discovery_due[rows[browse]], at)


def _plan_resume(cfg: Config, t_end: np.ndarray, h: np.ndarray) -> np.ndarray:
    """When the rest of each resumed view is played: a gap (minutes to hours) after the first piece."""
    u = rng.slot_uniforms(h, (U_RESUME_GAP,))[:, 0]
    gap = np.floor(-np.log(u) * cfg.completion["resume_gap_mean_minutes"] * 60.0)
    return t_end + np.minimum(np.maximum(gap, RESUME_GAP_MIN), RESUME_GAP_MAX)


def play(
    pool: Pool,
    cfg: Config,
    terms: TitleTerms,
    device_cdf: np.ndarray,
    rows: np.ndarray,
    slots: np.ndarray,
    t: np.ndarray,
) -> list[dict[str, np.ndarray | float]]:
    """Play events of `rows` (the title in `slots`) starting at `t`; returns their event columns
    (one dict per kind of play, each column an array or one value for all its rows).

    A slot whose view is waiting to be resumed plays the rest of it (`_play_rest`); the others
    play their next episode.
    """
    rest = pool.resume_left[pool.flat(rows, slots)] > 0
    if not rest.any():
        return [_play_episode(pool, cfg, terms, device_cdf, rows, slots, t)]
    ri, ni = rest.nonzero()[0], (~rest).nonzero()[0]
    return [
        _play_episode(pool, cfg, terms, device_cdf, rows[ni], slots[ni], t[ni]),
        _play_rest(pool, cfg, terms, device_cdf, rows[ri], slots[ri], t[ri]),
    ]


def _after_play(
    pool: Pool, rows: np.ndarray, t: np.ndarray, t_end: np.ndarray, position, session_start, device
) -> None:
    pool.busy_until[rows] = t_end
    pool.last_play_start[rows] = t
    pool.session_position[rows] = position
    pool.session_start[rows] = session_start
    pool.session_device[rows] = device


def _play_episode(
    pool: Pool,
    cfg: Config,
    terms: TitleTerms,
    device_cdf: np.ndarray,
    rows: np.ndarray,
    slots: np.ndarray,
    t: np.ndarray,
) -> dict[str, np.ndarray | float]:
    """Each of `rows` plays the next episode of the title in its slot, then decides what follows."""
    cont = cfg.continuation
    ordinal = pool.ordinal[rows]
    h = rng.draw_hash(pool.play_key[rows], ordinal)
    u = rng.slot_uniforms(h, (U_INTEREST1, U_INTEREST2, U_ABANDON, U_CONTINUE, U_BINGE))
    flat = pool.flat(rows, slots)
    title = pool.slot_title[flat]
    episode = pool.slot_episode[flat]
    affinity = pool.slot_affinity[flat]
    is_rewatch = pool.slot_rewatch[flat]
    skipped = pool.slot_skipped[flat]
    position, session_start, device = _session(pool, cfg, rows, t, h, device_cdf)
    session_minutes = (t - session_start) / 60.0
    gap_days = (t - pool.last_play_start[rows]) / DAY  # inf on a user's first play

    duration = terms.ep_duration[terms.ep_first[title] + episode]
    interest, watched, view = _watch(pool, cfg, rows, affinity, duration, h, u)
    resumed = view > watched
    completion = view / duration  # the continuation is decided at the end of the view
    is_last = episode >= terms.n_episodes[title]
    logit_terms = _continuation_logit(
        pool, cfg, terms, rows, title, episode, affinity, completion, position, gap_days
    )
    logit = np.zeros(rows.size)
    for name in LOGIT_TERMS:  # summed in this order: the float rounding is part of the pinned output
        logit += logit_terms[name]
    p_continue = sigmoid(logit)
    will_continue = (u[:, 3] < p_continue) & ~is_last
    t_end = t + watched
    view_end = t_end.copy()
    ri = resumed.nonzero()[0]
    if ri.size:
        resume_at = _plan_resume(cfg, t_end[ri], h[ri])
        view_end[ri] = resume_at + (view[ri] - watched[ri])
    used_minutes = session_minutes + view / 60.0

    # What follows: the next episode (or the one after, skipping), episode 1 again after a finale
    # (a rewatch, once), or nothing (the title is dropped).
    skip = will_continue & (episode + 2 <= terms.n_episodes[title])
    si = skip.nonzero()[0]
    skip[si] = rng.slot_uniforms(h[si], (U_SKIP,))[:, 0] < cont["skip_share"]
    restart = is_last & ~is_rewatch
    fi = restart.nonzero()[0]
    restart[fi] = rng.slot_uniforms(h[fi], (U_REWATCH,))[:, 0] < cont["rewatch_share"]
    goes_on = will_continue | restart
    due = np.full(rows.size, np.inf)
    gi = goes_on.nonzero()[0]
    if gi.size:
        due[gi] = _next_episode_due(
            pool, cfg, rows[gi], t[gi], view_end[gi], position[gi], used_minutes[gi], h[gi], u[gi, 4]
        )
    pool.slot_episode[flat] = np.where(restart, 1, episode + 1 + skip)
    pool.slot_rewatch[flat] = is_rewatch | restart
    pool.slot_skipped[flat] = skip
    pool.slot_due.reshape(-1)[slots * pool.n_rows + rows] = due
    pool.slot_title[flat] = np.where(goes_on | resumed, title, -1)
    xi = (~goes_on & ~resumed & ~pool.is_dormant[rows]).nonzero()[0]
    if xi.size:
        _maybe_browse(pool, cfg, rows[xi], t_end[xi], used_minutes[xi], h[xi])
    _after_play(pool, rows, t, t_end, position, session_start, device)

    user_id = pool.user_id[rows]
    p_continue[is_last] = np.nan
    events: dict[str, np.ndarray | float] = {
        "event_id": event_id(user_id, ordinal),
        "user_id": user_id,
        "title": title,
        "episode_number": episode,
        "started": t,
        "watched": watched,
        "duration": duration,
        "device": device,
        "p_continue": p_continue,
        "will_continue": will_continue,
        "interest": interest,
        **logit_terms,
        "is_resumed_piece": False,
        "is_rewatch": is_rewatch,
        "skipped_episodes": skipped,
    }
    if ri.size:  # the slot now waits for the rest of the view, then goes on as decided
        fr = flat[ri]
        pool.slot_due.reshape(-1)[slots[ri] * pool.n_rows + rows[ri]] = resume_at
        pool.resume_left[fr] = view[ri] - watched[ri]
        pool.resume_episode[fr] = episode[ri]
        pool.after_resume_due[fr] = due[ri]
        for name in VIEW_TRUTH:
            pool.resume_truth[name][fr] = np.broadcast_to(events[name], rows.size)[ri]
    return events


def _play_rest(
    pool: Pool,
    cfg: Config,
    terms: TitleTerms,
    device_cdf: np.ndarray,
    rows: np.ndarray,
    slots: np.ndarray,
    t: np.ndarray,
) -> dict[str, np.ndarray | float]:
    """Each of `rows` plays the rest of a resumed view; the view's decision was made before."""
    ordinal = pool.ordinal[rows]
    h = rng.draw_hash(pool.play_key[rows], ordinal)
    flat = pool.flat(rows, slots)
    title = pool.slot_title[flat]
    episode = pool.resume_episode[flat]
    watched = pool.resume_left[flat]
    position, session_start, device = _session(pool, cfg, rows, t, h, device_cdf)
    after = pool.after_resume_due[flat]
    pool.resume_left[flat] = 0
    pool.slot_due.reshape(-1)[slots * pool.n_rows + rows] = after
    pool.slot_title[flat] = np.where(np.isfinite(after), title, -1)
    _after_play(pool, rows, t, t + watched, position, session_start, device)
    user_id = pool.user_id[rows]
    return {
        "event_id": event_id(user_id, ordinal),
        "user_id": user_id,
        "title": title,
        "episode_number": episode,
        "started": t,
        "watched": watched,
        "duration": terms.ep_duration[terms.ep_first[title] + episode],
        "device": device,
        **{name: pool.resume_truth[name][flat] for name in VIEW_TRUTH},
        "is_resumed_piece": True,
        "skipped_episodes": 0,
    }
