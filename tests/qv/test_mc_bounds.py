"""A trajectory run's Monte-Carlo variances widen its bounds, exactly as docs/method.md says."""

from __future__ import annotations

import math

import pytest

from quantumlimits.qv import stats
from quantumlimits.qv.analysis import analyse_width, cross_upper_bound


def _width(mc: list[float] | None) -> dict:
    return analyse_width(
        width=20,
        depth=20,
        heavy_counts=[700] * 60 + [740] * 40,
        shots=[1000] * 100,
        seed=3,
        bootstrap_resamples=2000,
        mc_variances=mc,
    )


def test_monte_carlo_variance_enters_the_cross_and_bootstrap_bounds() -> None:
    exact, sampled = _width(None), _width([4e-4] * 100)
    m = exact["mean_hop"]
    assert sampled["mean_hop"] == m
    extra = 4e-4 / 100  # Σ v_i / N²
    assert sampled["cross_lower"] == pytest.approx(m - 2 * math.sqrt(m * (1 - m) / 100 + extra))
    assert sampled["cross_lower"] < exact["cross_lower"]
    assert sampled["bootstrap_lower"] < exact["bootstrap_lower"]
    # zero variances change nothing
    assert _width([0.0] * 100) == exact
    assert cross_upper_bound([0.6] * 100, extra_variance=extra) > cross_upper_bound([0.6] * 100)


def test_a_negative_extra_variance_is_refused() -> None:
    with pytest.raises(ValueError, match="extra_variance"):
        stats.cross_sigma([0.7] * 10, extra_variance=-1.0)
