"""Seeds derived from one master seed and a key, so every random choice is reproducible alone.

A circuit's randomness depends on ``(seed, *key)`` only, never on how many other circuits were
drawn before it, which makes a run resumable, shardable and reorderable without changing a number.
"""

from __future__ import annotations

import numpy as np

# Fixed stream tags keep the streams for different purposes independent.
STREAM_CIRCUIT = 0
STREAM_TRANSPILE = 1
STREAM_SIMULATE = 2
STREAM_BOOTSTRAP = 3
STREAM_LAYOUT = 4


def seed_sequence(seed: int, *key: int) -> np.random.SeedSequence:
    """The SeedSequence for ``key`` under the master ``seed``.

    >>> seed_sequence(7, 0, 3).spawn_key
    (0, 3)
    """
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return np.random.SeedSequence(entropy=seed, spawn_key=tuple(int(k) for k in key))


def derive_seed(seed: int, *key: int, bits: int = 32) -> int:
    """A non-negative integer seed for ``key`` under the master ``seed``.

    >>> derive_seed(1, 2, 3) == derive_seed(1, 2, 3)
    True
    >>> derive_seed(1, 2, 3) != derive_seed(1, 2, 4)
    True
    """
    words = seed_sequence(seed, *key).generate_state(1 if bits <= 32 else 2, dtype=np.uint32)
    value = 0
    for word in words:
        value = (value << 32) | int(word)
    return value & ((1 << bits) - 1)


def rng(seed: int, *key: int) -> np.random.Generator:
    """A local generator for ``key`` under the master ``seed``."""
    return np.random.default_rng(seed_sequence(seed, *key))
