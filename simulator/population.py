"""Users: what the platform knows (signup, country, device, plan) and their latent traits.

Every attribute of user u is a function of (seed, u) only, so the population does not depend on
the batching or on the window.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from simulator import rng
from simulator.clock import DAY, HOUR
from simulator.config import Config
from simulator.titles import Catalogue


@dataclass
class Users:
    user_id: np.ndarray  # int64
    key: np.ndarray  # uint64 play-stream key
    signup: np.ndarray  # float seconds from window start
    country: np.ndarray  # int index into country names
    device: np.ndarray  # int index into device names (primary)
    plan: np.ndarray  # int 0 free, 1 premium
    engagement: np.ndarray
    binge: np.ndarray
    budget_minutes: np.ndarray
    pref_hour: np.ndarray
    taste: np.ndarray  # float32 (users, tags), rows sum to 1
    never_watch: np.ndarray  # bool

    def take(self, rows: np.ndarray | slice) -> Users:
        return Users(**{k: v[rows] for k, v in self.__dict__.items()})


def categorical(weights: dict[str, float]) -> tuple[list[str], np.ndarray]:
    names = sorted(weights)  # order-free: a config round-tripped through JSON maps the same
    w = np.array([weights[n] for n in names], dtype=float)
    return names, np.cumsum(w) / w.sum()


def pick(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)


# Uniform slots of the per-user attribute draw.
_U_SIGNUP_DAY, _U_HOUR1, _U_HOUR2, _U_COUNTRY, _U_DEVICE, _U_PLAN = range(6)
_U_ENG1, _U_ENG2, _U_BINGE1, _U_BINGE2, _U_BUD1, _U_BUD2 = range(6, 12)
_U_EVENING, _U_PREF1, _U_PREF2, _U_NEVER, _U_FIRST = range(12, 17)
_N_FIXED = 17


def make_users(user_ids: np.ndarray, cfg: Config, cat: Catalogue, seed: int) -> Users:
    p = cfg.population
    ukey = rng.key(seed, rng.NS_USER, user_ids)
    n_tags = len(cat.tags)
    u = rng.uniforms(ukey, 0, _N_FIXED + 2 * n_tags)
    eng = p["engagement_sd"] * rng.normal(u[:, _U_ENG1], u[:, _U_ENG2])
    binge = p["binge_propensity_sd"] * rng.normal(u[:, _U_BINGE1], u[:, _U_BINGE2])
    budget = p["budget_median_minutes"] * np.exp(p["budget_sigma"] * rng.normal(u[:, _U_BUD1], u[:, _U_BUD2]))
    z = rng.normal(u[:, _U_PREF1], u[:, _U_PREF2])
    evening = u[:, _U_EVENING] < p["evening_user_share"]
    pref = np.where(
        evening,
        p["evening_hour_mean"] + p["evening_hour_sd"] * z,
        p["other_hour_mean"] + p["other_hour_sd"] * z,
    )
    pref = np.clip(pref, 7.0, 26.0)
    # Sign up on a uniform day of the span, around the user's own viewing hour.
    day = np.floor(u[:, _U_SIGNUP_DAY] * p["signup_span_days"])
    hour = np.clip(pref + p["session_hour_sd"] * rng.normal(u[:, _U_HOUR1], u[:, _U_HOUR2]), 0, 23.99)
    signup = np.floor(day * DAY + hour * HOUR)
    _, country_cdf = categorical(p["country_weights"])
    _, device_cdf = categorical(p["device_weights"])
    premium_logit = np.log(p["premium_share"] / (1 - p["premium_share"]))
    premium_p = 1 / (1 + np.exp(-(premium_logit + p["premium_engagement_slope"] * eng)))
    g = rng.normal(u[:, _N_FIXED : _N_FIXED + n_tags], u[:, _N_FIXED + n_tags :])
    taste = cat.tag_prevalence[None, :] * np.exp(p["taste_sigma"] * g)
    taste = (taste / taste.sum(1, keepdims=True)).astype(np.float32)
    return Users(
        user_id=np.asarray(user_ids, dtype=np.int64),
        key=rng.key(seed, rng.NS_PLAY, user_ids),
        signup=signup,
        country=pick(country_cdf, u[:, _U_COUNTRY]),
        device=pick(device_cdf, u[:, _U_DEVICE]),
        plan=(u[:, _U_PLAN] < premium_p).astype(np.int8),
        engagement=eng,
        binge=binge,
        budget_minutes=budget,
        pref_hour=pref,
        taste=taste,
        never_watch=u[:, _U_NEVER] < p["never_watch_share"],
    )


def signed_up_batches(
    n_users: int, batch_users: int, cfg: Config, cat: Catalogue, seed: int, window_end: float
) -> Iterator[tuple[int, Users]]:
    """Users 1..n_users made `batch_users` at a time: (ids made, those signed up before the end).

    A user who has not signed up by the window end is unknown to the platform: never simulated.
    """
    for lo in range(1, n_users + 1, batch_users):
        ids = np.arange(lo, min(lo + batch_users, n_users + 1), dtype=np.int64)
        users = make_users(ids, cfg, cat, seed)
        yield len(ids), users.take(users.signup < window_end)


def first_play_delay(users: Users) -> np.ndarray:
    """Seconds from signup to the first play: minutes, exponential (mean 20 min)."""
    u = rng.uniforms(users.key, 2**40, 1)[:, 0]
    return np.floor(-np.log(u) * 1200.0) + 30.0
