from __future__ import annotations

import math

import numpy as np
import pytest

from quantumlimits.qv import stats


def test_cross_bound_matches_a_hand_computed_example() -> None:
    hop = [0.8, 0.7, 0.75, 0.65]
    mean = 0.725
    expected = mean - 2 * math.sqrt(mean * (1 - mean) / 4)
    assert stats.cross_lower_bound(hop) == pytest.approx(expected, abs=1e-15)
    assert stats.cross_lower_bound(hop) == pytest.approx(0.278486, abs=1e-6)


@pytest.mark.parametrize(
    ("n", "threshold"), [(100, 0.7529), (200, 0.7295), (500, 0.7074), (1000, 0.6958)]
)
def test_pass_threshold_table(n: int, threshold: float) -> None:
    h = stats.cross_threshold(n)
    assert round(h, 4) == threshold
    # at the threshold the bound sits exactly on 2/3
    assert h - 2 * math.sqrt(h * (1 - h) / n) == pytest.approx(2 / 3, abs=1e-12)


def test_two_sigma_confidence() -> None:
    assert pytest.approx(0.97725, abs=1e-5) == stats.CONFIDENCE_TWO_SIGMA


def test_bootstrap_is_seeded_and_allows_unequal_shots() -> None:
    heavy = [700, 140, 900, 75]
    shots = [1000, 200, 1200, 100]
    a = stats.bootstrap_lower_bound(heavy_counts=heavy, shots=shots, seed=5, resamples=2000)
    b = stats.bootstrap_lower_bound(heavy_counts=heavy, shots=shots, seed=5, resamples=2000)
    c = stats.bootstrap_lower_bound(heavy_counts=heavy, shots=shots, seed=6, resamples=2000)
    assert a == b and a != c
    pooled = sum(heavy) / sum(shots)
    assert stats.pooled_hop(heavy, shots) == pytest.approx(pooled)
    assert a < pooled


def test_bootstrap_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError, match="between 0"):
        stats.bootstrap_lower_bound(heavy_counts=[11], shots=[10], seed=0)
    with pytest.raises(ValueError, match="at least one shot"):
        stats.hops([0], [0])


def _synthetic(rng: np.random.Generator, mean: float, n: int, shots: int) -> np.ndarray:
    """Heavy counts of n circuits whose true HOPs spread around ``mean``."""
    p = np.clip(rng.normal(mean, 0.08, n), 0.0, 1.0)
    return rng.binomial(shots, p)


def test_bootstrap_coverage_at_the_threshold() -> None:
    """At true mean HOP 2/3 the bootstrap test passes at most about 2.3 % of the time."""
    experiments, n, shots = 600, 100, 1000
    rng = np.random.default_rng(20261124)
    passed = 0
    for e in range(experiments):
        heavy = _synthetic(rng, 2 / 3, n, shots)
        lower = stats.bootstrap_lower_bound(
            heavy_counts=heavy, shots=np.full(n, shots), resamples=1000, seed=e
        )
        passed += stats.passes(lower)
    alpha = 1 - stats.CONFIDENCE_TWO_SIGMA
    tolerance = 3 * math.sqrt(alpha * (1 - alpha) / experiments)
    assert passed / experiments <= alpha + tolerance


def test_bootstrap_has_power_where_the_cross_test_has_little() -> None:
    experiments, n, shots = 100, 100, 1000
    rng = np.random.default_rng(7)
    boot = cross = 0
    for e in range(experiments):
        heavy = _synthetic(rng, 0.72, n, shots)
        boot += stats.passes(
            stats.bootstrap_lower_bound(
                heavy_counts=heavy, shots=np.full(n, shots), resamples=1000, seed=e
            )
        )
        cross += stats.passes(stats.cross_lower_bound(heavy / shots))
    assert boot / experiments > 0.9
    assert cross / experiments < 0.1


def test_quantum_volume_is_two_to_the_largest_passing_width() -> None:
    assert stats.quantum_volume([2, 3, 4]) == 16
    assert stats.quantum_volume([3]) == 8
    assert stats.quantum_volume([]) == 1


@pytest.mark.parametrize("circuits", [5, 300])
def test_bootstrap_replicates_do_not_depend_on_the_thread(
    circuits: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small bootstraps run both halves inline, large ones the second in a thread: the same
    two seeded streams fill the same halves either way."""
    heavy = np.arange(circuits) % 7 + 690
    shots = np.full(circuits, 1000)
    kwargs = {"heavy_counts": heavy, "shots": shots, "resamples": 1001, "seed": 4}
    monkeypatch.setattr(stats, "_THREAD_DRAWS", 1 << 40)  # inline
    inline = stats.bootstrap_distribution(**kwargs)
    monkeypatch.setattr(stats, "_THREAD_DRAWS", 0)  # threaded
    threaded = stats.bootstrap_distribution(**kwargs)
    assert np.array_equal(inline, threaded)
