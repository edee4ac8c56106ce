"""Effective polarization and the lower bound, with exact numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quantumlimits.mirror import stats


def test_polarization_of_perfect_and_uniform_outputs() -> None:
    assert stats.effective_polarization([50, 0, 0, 0]) == pytest.approx(1.0)
    width = 5
    uniform = np.array([math.comb(width, k) for k in range(width + 1)]) * 10
    assert stats.effective_polarization(uniform) == pytest.approx(0.0, abs=1e-12)


def test_polarization_of_one_flipped_bit() -> None:
    # w = 1, all shots at distance 1: (4/3)(-1/2) - 1/3 = -1.
    assert stats.effective_polarization([0, 10]) == pytest.approx(-1.0)


def test_wide_polarization_does_not_overflow() -> None:
    h = np.zeros(157, dtype=int)
    h[0] = 7
    assert stats.effective_polarization(h) == pytest.approx(1.0)


def test_hamming_histogram_on_wide_outcomes() -> None:
    target = (1 << 132) | 5
    h = stats.hamming_histogram({target: 3, target ^ (1 << 100): 2}, target=target, width=133)
    assert h[0] == 3 and h[1] == 2 and h.sum() == 5


def test_lower_bound_is_the_student_t_bound() -> None:
    values = [0.5, 0.7, 0.6, 0.6]
    from scipy import stats as scipy_stats

    expected = 0.6 - scipy_stats.t.ppf(0.97725, 3) * np.std(values, ddof=1) / 2
    assert stats.lower_bound(values) == pytest.approx(expected)
    assert stats.passes(stats.lower_bound([0.9, 0.95, 0.92]))
    assert not stats.passes(stats.lower_bound([0.4, 0.3, 0.5]))
    with pytest.raises(ValueError, match="two"):
        stats.lower_bound([0.5])
