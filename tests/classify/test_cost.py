"""The QPU projection: exact arithmetic, and calibrated constants from a device snapshot."""

from __future__ import annotations

import pytest

from quantumlimits.classify.ansatz import build_ansatz
from quantumlimits.classify.executions import qiskit_circuit
from quantumlimits.errors import UsageError
from quantumlimits.execution.cost import DEFAULT_PRICE_PER_SECOND, QpuCostModel, cost_model_for


def test_arithmetic_follows_ibm_usage_model() -> None:
    m = QpuCostModel(
        device_model="x",
        calibration_date=None,
        circuit_seconds=5e-6,
        rep_delay_seconds=250e-6,
        price_per_second=2.0,
    )
    # 3 sub-jobs x 2 s + 100 circuits x 400 shots x 255 µs
    assert m.seconds(circuits=100, shots=400, sub_jobs=3) == pytest.approx(6.0 + 10.2)
    assert m.cost(seconds=10.0) == 20.0
    assert pytest.approx(96 / 60) == DEFAULT_PRICE_PER_SECOND


def test_negative_constants_are_refused() -> None:
    with pytest.raises(ValueError, match="circuit_seconds"):
        QpuCostModel(
            device_model="x", calibration_date=None, circuit_seconds=-1, rep_delay_seconds=0
        )


def test_snapshot_gives_calibrated_duration_and_date() -> None:
    ansatz = build_ansatz(architecture="reupload", n_qubits=2, n_features=2, layers=3)
    circuit, _, _ = qiskit_circuit(ansatz, measure=True)
    m = cost_model_for(circuit, device_model="fake_torino", price_per_second=1.0)
    assert m.calibration_date is not None and m.calibration_date.startswith("2025-")
    assert 1e-7 < m.circuit_seconds < 1e-4  # a few gates and one readout: microseconds
    assert m.rep_delay_seconds == pytest.approx(250e-6)
    deeper, _, _ = qiskit_circuit(
        build_ansatz(architecture="reupload", n_qubits=2, n_features=2, layers=9), measure=True
    )
    assert cost_model_for(deeper, device_model="fake_torino").circuit_seconds > m.circuit_seconds


def test_unknown_device_is_a_usage_error() -> None:
    circuit, _, _ = qiskit_circuit(
        build_ansatz(architecture="angle", n_qubits=1, n_features=1, layers=1), measure=True
    )
    with pytest.raises(UsageError, match="unknown backend"):
        cost_model_for(circuit, device_model="fake_nowhere")
