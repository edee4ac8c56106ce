"""Exact numbers for the pure fits and the prediction and QPU-time models."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quantumlimits.execution.qpu_time import seconds_per_circuit
from quantumlimits.limits.fit import (
    Estimate,
    LogLinearFit,
    first_width,
    fit_exponential,
    fit_power_law,
    memory_wall_width,
)
from quantumlimits.qv.predict import predicted_hop_from_rates


def test_exponential_fit_recovers_rate_and_standard_error() -> None:
    widths = np.arange(10, 20)
    noise = np.tile([0.1, -0.1], 5)
    values = 0.001 * 2.0 ** (1.2 * widths + noise)
    fit = fit_exponential(widths=list(widths), values=list(values))
    assert fit.rate == pytest.approx(1.2, abs=0.02)
    # the residual spread is 0.1 in log2, so the slope's standard error is 0.1 / sqrt(Sxx)
    sxx = float(((widths - widths.mean()) ** 2).sum())
    assert fit.rate_se == pytest.approx(fit.residual_sd / math.sqrt(sxx), rel=1e-9)
    inside = fit.predict(15)
    outside = fit.predict(40)
    assert inside.source == "fit" and outside.source == "extrapolated"
    assert outside.low < outside.value < outside.high
    # the band widens away from the data
    assert outside.high / outside.value > inside.high / inside.value


def test_exact_fit_has_zero_band_and_round_trips() -> None:
    fit = fit_exponential(widths=[10, 11, 12], values=[1.0, 2.0, 4.0])
    assert fit.rate == pytest.approx(1.0) and fit.rate_se == pytest.approx(0.0, abs=1e-12)
    assert fit.predict(20).value == pytest.approx(1024.0)
    assert LogLinearFit.from_dict(fit.to_dict()) == fit


def test_power_law_fit() -> None:
    fit = fit_power_law(widths=[2, 4, 8, 16], values=[3.0, 12.0, 48.0, 192.0])
    assert fit.rate == pytest.approx(2.0)
    assert fit.predict(32).value == pytest.approx(768.0)


@pytest.mark.parametrize(
    ("budget", "width"), [(24e9, 30), (2e12, 36), (10e15, 49), (16 * 2**30, 30), (15.9, None)]
)
def test_memory_wall(budget: float, width: int | None) -> None:
    if width is None:
        with pytest.raises(ValueError):
            memory_wall_width(budget_bytes=budget)
    else:
        assert memory_wall_width(budget_bytes=budget) == width
        assert 16 * 2**width <= budget < 16 * 2 ** (width + 1)


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError):
        fit_exponential(widths=[1, 2], values=[1.0, -1.0])
    with pytest.raises(ValueError):
        fit_exponential(widths=[3, 3], values=[1.0, 2.0])
    with pytest.raises(ValueError):
        Estimate(value=2.0, low=3.0, high=4.0, source="x")
    assert first_width([2, 3], [False, False]) is None


def test_predicted_hop_model() -> None:
    # no errors: the ideal HOP; full noise: 1/2
    assert predicted_hop_from_rates(
        width=4, two_qubit_gates=30, two_qubit_error=0.0, readout_error=0.0
    ) == pytest.approx(0.8398)
    assert predicted_hop_from_rates(
        width=4, two_qubit_gates=30, two_qubit_error=1.0, readout_error=0.0
    ) == pytest.approx(0.5)
    f = 0.99**10 * 0.98**3
    assert predicted_hop_from_rates(
        width=3, two_qubit_gates=10, two_qubit_error=0.01, readout_error=0.02
    ) == pytest.approx(0.5 + (0.8486 - 0.5) * f)
    with pytest.raises(ValueError):
        predicted_hop_from_rates(width=3, two_qubit_gates=1, two_qubit_error=1.5, readout_error=0)


def test_qpu_seconds_per_circuit() -> None:
    seconds = seconds_per_circuit(
        duration_s=50e-6, rep_delay_s=250e-6, shots=1000, job_overhead_s=2.0, circuits_per_job=100
    )
    assert seconds == pytest.approx(0.3 + 0.02)
