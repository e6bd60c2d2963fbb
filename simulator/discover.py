"""The discovery step: a user picks a new title (taste or popularity), then either plans the next
discovery or falls dormant (churn: no new titles until a comeback, or ever)."""

from __future__ import annotations

import numpy as np

from simulator import rng
from simulator.clock import DAY, HOUR
from simulator.config import Config
from simulator.pool import Pool, StartedTitles
from simulator.titles import Catalogue

COUNTER = 2**21  # discovery draws use counters of their own, apart from the plays'
TRIES = 3  # attempts to draw a title the user has not started before
# Uniform slots of a discovery draw.
U_EXPLORE = 0
U_TAG = 1  # 1..3, one per try
U_PICK = 4  # 4..6, one per try
(U_AFFINITY1, U_AFFINITY2, U_DAY, U_HOUR1, U_HOUR2, U_WEEKEND, U_DORMANT, U_NEVER, U_SPELL) = range(7, 16)
N_UNIFORMS = 16


def choose_titles(
    cat: Catalogue,
    explore_share: float,
    taste_cdf: np.ndarray,
    started: StartedTitles,
    rows: np.ndarray,
    u: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """A title per discovering user (popularity or a tag of its taste), never one already started.

    `rows` are the discovering users and `taste_cdf` their rows of the taste CDFs. A later try is
    only drawn for the users whose earlier tries all hit a title they had started. Returns the
    titles (-1 where every try failed) and whether one was found.
    """
    explore = u[:, U_EXPLORE] < explore_share
    chosen = np.full(len(u), -1, dtype=np.int64)
    todo = np.arange(len(u))
    last_tag = taste_cdf.shape[1] - 1
    for attempt in range(TRIES):
        title = np.empty(todo.size, dtype=np.int64)
        by_popularity = explore[todo]
        pi, ti = by_popularity.nonzero()[0], (~by_popularity).nonzero()[0]
        title[pi] = cat.sample_global(u[todo[pi], U_PICK + attempt])
        by_taste = todo[ti]
        cdf = taste_cdf[by_taste]
        tag = np.minimum((cdf < (u[by_taste, U_TAG + attempt] * cdf[:, -1])[:, None]).sum(axis=1), last_tag)
        title[ti] = cat.sample_by_tag(tag, u[by_taste, U_PICK + attempt])
        new = ~started.contains(rows[todo], title)
        chosen[todo[new]] = title[new]
        todo = todo[~new]
        if not todo.size:
            break
    return chosen, chosen >= 0


def affinity(
    pool: Pool, cat: Catalogue, cfg: Config, rows: np.ndarray, titles: np.ndarray, u: np.ndarray
) -> np.ndarray:
    """How much each user likes its new title: the log taste match (capped at +-3) plus noise."""
    taste_match = (pool.taste[rows] * cat.title_tags[titles]).sum(axis=1) / cat.n_title_tags[titles]
    match = np.minimum(np.maximum(np.log(np.maximum(taste_match * len(cat.tags), 1e-6)), -3.0), 3.0)
    noise = rng.normal(u[:, U_AFFINITY1], u[:, U_AFFINITY2])
    return cfg.titles["taste_weight"] * match + cfg.titles["affinity_sd"] * noise


def plan_next_discovery(pool: Pool, cfg: Config, rows: np.ndarray, t: np.ndarray, u: np.ndarray) -> None:
    """The next discovery of each of `rows`, or a dormant spell (after which one, or never)."""
    churn = cfg.churn
    dormant = u[:, U_DORMANT] < pool.p_dormant[rows]
    due = np.empty(rows.size)
    wi = (~dormant).nonzero()[0]
    if wi.size:
        uw = u[wi]
        z_hour = rng.normal(uw[:, U_HOUR1], uw[:, U_HOUR2])
        due[wi] = pool.discoveries.next_start(rows[wi], t[wi] + HOUR, uw[:, U_DAY], z_hour, uw[:, U_WEEKEND])
    si = dormant.nonzero()[0]
    if si.size:
        us = u[si]
        spell = np.floor(-np.log(us[:, U_SPELL]) * churn["comeback_mean_days"] * DAY)
        due[si] = np.where(us[:, U_NEVER] < churn["never_return_share"], np.inf, t[si] + spell)
        pool.dormant_spells[rows[si]] += 1
        pool.last_dormant_at[rows[si]] = t[si]
    pool.discovery_due[rows] = due
    pool.is_dormant[rows] = dormant


def discover(
    pool: Pool, cat: Catalogue, cfg: Config, rows: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Discovery events of `rows` at times `t`: a new title into a free slot, then the next plan.

    Returns which of `rows` started a title (their first episode is played in this same step) and
    the slot each put it in.
    """
    u = rng.uniforms(pool.play_key[rows], pool.ordinal[rows] + COUNTER, N_UNIFORMS)
    free = pool.free_slots(rows)
    title, found = choose_titles(
        cat, cfg.titles["explore_share"], pool.taste_cdf[rows], pool.started, rows, u
    )
    starts = (free.any(axis=1) & found).nonzero()[0]
    slots = free[starts].argmax(axis=1)
    if starts.size:
        new_rows, new_titles = rows[starts], title[starts]
        flat = pool.flat(new_rows, slots)
        pool.slot_title[flat] = new_titles
        pool.slot_episode[flat] = 1
        pool.clear_shapes(flat)
        pool.slot_affinity[flat] = affinity(pool, cat, cfg, new_rows, new_titles, u[starts])
        pool.started.add(new_rows, new_titles)
    plan_next_discovery(pool, cfg, rows, t, u)
    return starts, slots
