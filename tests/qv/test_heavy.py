from __future__ import annotations

import numpy as np
import pytest

from quantumlimits.qv.heavy import (
    counts_to_arrays,
    heavy_count,
    heavy_count_arrays,
    heavy_mask,
    ideal_hop,
    mask_digest,
    pack_mask,
    unpack_mask,
)


def test_heavy_mask_is_strictly_above_the_median() -> None:
    p = np.array([0.05, 0.30, 0.10, 0.20, 0.15, 0.05, 0.10, 0.05])
    # median of the 8 values is (0.10 + 0.10) / 2 = 0.10: only strictly larger ones are heavy
    assert heavy_mask(p).tolist() == [False, True, False, True, True, False, False, False]
    assert ideal_hop(p, heavy_mask(p)) == pytest.approx(0.65)


def test_heavy_count_accepts_every_outcome_format() -> None:
    mask = np.array([False, True, True, False])
    assert heavy_count({"00": 3, "01": 4, "10": 5, "11": 6}, mask) == 9
    assert heavy_count({"0x1": 4, "0x2": 5, "0x3": 6}, mask) == 9
    assert heavy_count({1: 4, 3: 6}, mask) == 4
    outcomes, values = counts_to_arrays({"11": 6, "01": 4, "10": 0})
    assert outcomes.tolist() == [1, 3] and values.tolist() == [4, 6]
    assert heavy_count_arrays(outcomes, values, mask) == 4


def test_outcome_outside_mask_is_an_error() -> None:
    with pytest.raises(ValueError, match="outside"):
        heavy_count({"111": 1}, np.array([True, False, True, False]))


def test_pack_roundtrip_and_digest() -> None:
    rng = np.random.default_rng(3)
    for width in (1, 2, 3, 5, 10):
        mask = rng.random(1 << width) > 0.5
        assert np.array_equal(unpack_mask(pack_mask(mask), width), mask)
    mask = rng.random(64) > 0.5
    assert len(pack_mask(mask)) == 8
    flipped = mask.copy()
    flipped[17] = not flipped[17]
    assert mask_digest(mask) != mask_digest(flipped)


def test_rejects_a_vector_that_is_not_a_power_of_two() -> None:
    with pytest.raises(ValueError, match="2\\*\\*n"):
        heavy_mask(np.ones(6) / 6)
