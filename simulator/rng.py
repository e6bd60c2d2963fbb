"""Counter-based random numbers: u = hash(seed, user, play ordinal, slot).

Every draw is a pure function of its coordinates, so a user's events do not depend on which
batch or pool the user is simulated in, on how many users run alongside, or on where the window ends.
That is what makes runs reproducible across pool sizes and extendable (prefix property).
The mixer is SplitMix64's finaliser (Steele et al. 2014), applied to uint64 NumPy arrays.
"""

from __future__ import annotations

import zlib

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_STEP = np.uint64(0xD1B54A32D192ED03)
_INV53 = 2.0**-53
_BLOCK = 2**15  # values per block in slot_uniforms

# Namespaces keep streams of different purposes apart (user attributes vs plays vs titles).
NS_USER = 1
NS_PLAY = 2
NS_TITLE = 3


def mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a bijective avalanche on uint64 (wrapping arithmetic)."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def key(seed: int, namespace: int, ids: np.ndarray) -> np.ndarray:
    """A uint64 key per id (user or title) for one seed and namespace."""
    base = mix(np.array([(seed * 0x100000001B3 + namespace) % 2**64], dtype=np.uint64))[0]
    with np.errstate(over="ignore"):
        return mix(np.asarray(ids, dtype=np.uint64) * _GOLDEN + base)


def uniforms(keys: np.ndarray, counter: np.ndarray | int, n_slots: int) -> np.ndarray:
    """(len(keys), n_slots) uniforms in (0, 1) for draw `counter` of each key."""
    return slot_uniforms(draw_hash(keys, counter), range(n_slots))


def draw_hash(keys: np.ndarray, counter: np.ndarray | int) -> np.ndarray:
    """The per-key hash of draw `counter`: slot s of the draw is `slot_uniforms(h, [s])`."""
    c: np.uint64 | np.ndarray
    if isinstance(counter, int):
        c = np.uint64((counter * int(_STEP)) % 2**64)
    else:
        with np.errstate(over="ignore"):
            c = np.asarray(counter, dtype=np.uint64) * _STEP
    return _mix_inplace(keys + c)


def slot_uniforms(h: np.ndarray, slots: range | list[int] | tuple[int, ...]) -> np.ndarray:
    """(len(h), len(slots)) uniforms in (0, 1): the given slots of the draws hashed as `h`.

    Only the slots asked for are computed, so a caller can draw rarely used slots for the rows
    that need them; every value is the same as in the full draw (`uniforms`).
    """
    offsets = (np.asarray(slots, dtype=np.uint64) + np.uint64(1)) * _GOLDEN
    out = np.empty((len(h), len(offsets)))
    rows = max(1, _BLOCK // max(len(offsets), 1))  # blocks that stay in cache
    for lo in range(0, len(h), rows):
        x = _mix_inplace(np.add.outer(h[lo : lo + rows], offsets))
        x >>= np.uint64(11)
        u = out[lo : lo + rows]
        u[...] = x
        u += 0.5
        u *= _INV53
    return out


def _mix_inplace(x: np.ndarray) -> np.ndarray:
    """`mix` computed in place on a fresh uint64 array (same values, fewer temporaries)."""
    t = x >> np.uint64(30)
    x ^= t
    x *= _M1
    np.right_shift(x, np.uint64(27), out=t)
    x ^= t
    x *= _M2
    np.right_shift(x, np.uint64(31), out=t)
    x ^= t
    return x


def normal(u1: np.ndarray, u2: np.ndarray) -> np.ndarray:
    """Standard normals from two uniforms (Box-Muller)."""
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def string_ids(values: list[str]) -> np.ndarray:
    """Stable uint64 ids for strings (anime_id), independent of catalogue order."""
    lo = np.array([zlib.crc32(v.encode()) for v in values], dtype=np.uint64)
    hi = np.array([zlib.adler32(v.encode()) for v in values], dtype=np.uint64)
    return (hi << np.uint64(32)) | lo
