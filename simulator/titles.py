"""The catalogue as NumPy arrays, and title choice (popularity x taste x recency x type).

Reads marts.anime_master / marts.episodes for the titles marts.simulation_eligibility marks
eligible, ordered by anime_id so title indices are stable for a given catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt

from simulator import rng
from simulator.config import Config
from simulator.errors import SimulatorError

# The catalogue marts the simulator reads (dbt build -s tag:catalog writes all three).
CATALOGUE_MARTS = ("anime_master", "episodes", "simulation_eligibility")
MISSING_MARTS = (
    "error: no catalogue marts in {path}: run `make catalog` "
    "(python -m ingest, then dbt build -s tag:catalog)"
)


@dataclass(frozen=True)
class Catalogue:
    anime_id: np.ndarray  # object (str), one per title
    n_episodes: np.ndarray  # int32
    ep_offset: np.ndarray  # int64: index of episode 1 of each title in ep_duration
    ep_duration: np.ndarray  # int32 seconds, flat over titles
    score: np.ndarray  # float64, nan when unknown
    weight: np.ndarray  # float64 choice weight (popularity x recency x type)
    title_effect: np.ndarray  # float64 latent continuation term
    tags: list[str]  # tag vocabulary
    tag_prevalence: np.ndarray  # float64 share of titles with each tag
    title_tags: np.ndarray  # bool (titles, tags)
    n_title_tags: np.ndarray  # int (titles,)
    # Sampling tables: per-tag CDFs laid end to end, key = tag index + cdf within tag.
    tag_key: np.ndarray
    tag_title: np.ndarray
    tag_end: np.ndarray  # last flat position of each tag
    global_cdf: np.ndarray

    @property
    def n_titles(self) -> int:
        return len(self.anime_id)

    def sample_by_tag(self, tag: np.ndarray, u: np.ndarray) -> np.ndarray:
        """A title with tag `tag`, drawn by weight, for each (tag, uniform) pair."""
        pos = np.searchsorted(self.tag_key, tag + u, side="right")
        return self.tag_title[np.minimum(pos, self.tag_end[tag])]

    def sample_global(self, u: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.global_cdf, u, side="right")
        return np.minimum(pos, self.n_titles - 1)


def has_catalogue(con: duckdb.DuckDBPyConnection) -> bool:
    names = ", ".join(f"'{name}'" for name in CATALOGUE_MARTS)
    row = con.execute(
        "select count(*) from information_schema.tables "
        f"where table_schema = 'marts' and table_name in ({names})"
    ).fetchall()[0]
    return bool(row and row[0] == len(CATALOGUE_MARTS))


def load_catalogue(
    con: duckdb.DuckDBPyConnection, path: Path, cfg: Config, seed: int, ref_year: int
) -> Catalogue:
    """Eligible titles with their episodes, weights and latent title effects."""
    if not has_catalogue(con):
        raise SimulatorError(MISSING_MARTS.format(path=path))
    master = con.execute(
        """
        select m.anime_id, m.anime_type, m.episodes, m.duration_seconds, m.score_mean, m.tags,
               m.popularity_members, m.season_year
        from marts.anime_master as m
        inner join marts.simulation_eligibility as s using (anime_id)
        where s.is_simulation_eligible
        order by m.anime_id
        """
    ).fetchnumpy()
    n = len(master["anime_id"])
    if n == 0:
        raise SimulatorError(
            MISSING_MARTS.format(path=path).replace("no catalogue marts", "no eligible titles")
        )
    ids = [str(a) for a in master["anime_id"]]
    n_eps = np.asarray(master["episodes"], dtype=np.int32)
    ep_offset = np.concatenate([[0], np.cumsum(n_eps)[:-1]]).astype(np.int64)
    ep_duration = np.repeat(np.asarray(master["duration_seconds"], dtype=np.int32), n_eps)
    # Per-episode durations from marts.episodes where given (same title order, 1-based numbers).
    eps = con.execute(
        """
        select m.anime_id, e.episode_number, e.duration_seconds
        from marts.episodes as e
        inner join marts.anime_master as m using (anime_id)
        inner join marts.simulation_eligibility as s using (anime_id)
        where s.is_simulation_eligible and e.duration_seconds > 0
            and e.episode_number between 1 and m.episodes
        """
    ).fetchnumpy()
    if len(eps["anime_id"]):
        index = {a: i for i, a in enumerate(ids)}
        t = np.array([index[str(a)] for a in eps["anime_id"]], dtype=np.int64)
        ep_duration[ep_offset[t] + np.asarray(eps["episode_number"], dtype=np.int64) - 1] = np.asarray(
            eps["duration_seconds"], dtype=np.int32
        )
    score = _floats(master["score_mean"])
    members = _floats(master["popularity_members"])
    years = _floats(master["season_year"])
    weight = _weights(cfg, members, score, years, np.asarray(master["anime_type"]), ref_year)
    tag_lists = [list(t) if t is not None else [] for t in master["tags"]]
    tags = sorted({tag for ts in tag_lists for tag in ts})
    tag_index = {tag: i for i, tag in enumerate(tags)}
    title_tags = np.zeros((n, len(tags)), dtype=bool)
    for i, ts in enumerate(tag_lists):
        title_tags[i, [tag_index[tag] for tag in ts]] = True
    n_title_tags = np.maximum(title_tags.sum(1), 1)
    keys, titles, ends = _tag_tables(title_tags, weight)
    tkeys = rng.key(seed, rng.NS_TITLE, rng.string_ids(ids))
    u = rng.uniforms(tkeys, 0, 2)
    effect = cfg.titles["title_effect_sd"] * rng.normal(u[:, 0], u[:, 1])
    cdf = np.cumsum(weight)
    return Catalogue(
        anime_id=np.array(ids, dtype=object),
        n_episodes=n_eps,
        ep_offset=ep_offset,
        ep_duration=ep_duration,
        score=score,
        weight=weight,
        title_effect=effect,
        tags=tags,
        tag_prevalence=title_tags.mean(0),
        title_tags=title_tags,
        n_title_tags=n_title_tags,
        tag_key=keys,
        tag_title=titles,
        tag_end=ends,
        global_cdf=cdf / cdf[-1],
    )


def _floats(values: npt.ArrayLike) -> np.ndarray:
    """A nullable column (masked array from fetchnumpy) as float64 with NaN for null."""
    return np.ma.filled(np.ma.asarray(values).astype(np.float64), np.nan)


def popularity(members: np.ndarray, score: np.ndarray) -> np.ndarray:
    """MAL members where known, else exp(a + b score) fitted on titles with both."""
    known = np.isfinite(members) & (members > 0)
    both = known & np.isfinite(score)
    fill = np.nanmedian(members[known]) if known.any() else 1000.0
    pop = np.where(known, members, np.nan)
    if both.sum() >= 10:
        b, a = _line_fit(score[both], np.log(members[both]))
        fitted = np.exp(a + b * score)
        pop = np.where(known, members, np.where(np.isfinite(score), fitted, fill))
    return np.where(np.isfinite(pop) & (pop > 0), pop, fill)


def _line_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope and intercept of y on x.

    Written out rather than np.polyfit, whose LAPACK call runs CPU-specific BLAS kernels: the
    simulator uses only element-wise arithmetic and NumPy's fixed-order sums, so its log does not
    depend on the machine.
    """
    dx = x - x.mean()
    slope = float((dx * (y - y.mean())).sum() / (dx * dx).sum())
    return slope, float(y.mean() - slope * x.mean())


def _weights(
    cfg: Config,
    members: np.ndarray,
    score: np.ndarray,
    years: np.ndarray,
    types: np.ndarray,
    ref_year: int,
) -> np.ndarray:
    p = cfg.titles
    age = np.clip(ref_year - np.nan_to_num(years, nan=ref_year - 30), 0, None)
    recency = np.maximum(0.5 ** (age / p["recency_half_life_years"]), p["recency_floor"])
    type_factor = np.where(types == "ONA", p["ona_factor"], 1.0)
    w = popularity(members, score) ** p["popularity_exponent"] * recency * type_factor
    return w / w.sum()


def _tag_tables(title_tags: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    keys: list[np.ndarray] = []
    titles: list[np.ndarray] = []
    ends: list[int] = []
    pos = 0
    for g in range(title_tags.shape[1]):
        members = np.flatnonzero(title_tags[:, g])
        if len(members) == 0:  # cannot happen for a vocabulary built from titles; keep safe
            members = np.array([int(np.argmax(weight))])
        cdf = np.cumsum(weight[members])
        keys.append(g + cdf / cdf[-1])
        titles.append(members)
        pos += len(members)
        ends.append(pos - 1)
    return (
        np.concatenate(keys),
        np.concatenate(titles).astype(np.int64),
        np.array(ends, dtype=np.int64),
    )
