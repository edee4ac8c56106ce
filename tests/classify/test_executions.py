"""One model, two executions: PennyLane and Qiskit (Aer) give the same expectation values."""

from __future__ import annotations

import numpy as np
import pytest

from quantumlimits.classify.ansatz import ARCHITECTURES, build_ansatz
from quantumlimits.classify.executions import (
    pennylane_expectation,
    qiskit_circuit,
    qiskit_expectations,
)
from quantumlimits.seeding import rng


@pytest.mark.parametrize("architecture", ARCHITECTURES)
@pytest.mark.parametrize("entangle", [True, False])
def test_pennylane_and_qiskit_aer_agree_exactly(architecture: str, entangle: bool) -> None:
    ansatz = build_ansatz(
        architecture=architecture, n_qubits=3, n_features=3, layers=2, entangle=entangle
    )
    gen = rng(21, ARCHITECTURES.index(architecture), int(entangle))
    x = gen.uniform(0, np.pi, size=(8, 3))
    theta = gen.uniform(0, 2 * np.pi, size=ansatz.n_params)
    pl = np.asarray(pennylane_expectation(ansatz)(x, theta))
    qk = qiskit_expectations(ansatz, x, theta)
    np.testing.assert_allclose(pl, qk, atol=1e-10)


def test_lightning_per_sample_agrees() -> None:
    ansatz = build_ansatz(architecture="reupload", n_qubits=2, n_features=2, layers=2)
    gen = rng(4)
    x = gen.uniform(0, np.pi, size=(3, 2))
    theta = gen.uniform(0, 2 * np.pi, size=ansatz.n_params)
    qnode = pennylane_expectation(ansatz, device="lightning.qubit", diff_method="adjoint")
    light = np.array([float(qnode(row, theta)) for row in x])
    np.testing.assert_allclose(light, qiskit_expectations(ansatz, x, theta), atol=1e-10)


def test_sampled_aer_agrees_within_shot_noise() -> None:
    ansatz = build_ansatz(architecture="iqp", n_qubits=2, n_features=2, layers=2)
    gen = rng(8)
    x = gen.uniform(0, np.pi, size=(6, 2))
    theta = gen.uniform(0, 2 * np.pi, size=ansatz.n_params)
    shots = 8000
    exact = np.asarray(pennylane_expectation(ansatz)(x, theta))
    sampled = qiskit_expectations(ansatz, x, theta, shots=shots, seed=3)
    # |<Z> estimate - <Z>| <= 5 standard deviations (sd <= 1/sqrt(shots)).
    assert np.all(np.abs(sampled - exact) <= 5 / np.sqrt(shots))


def test_device_noise_run_transpiles_and_stays_close() -> None:
    from quantumlimits.execution.backends import load_snapshot

    ansatz = build_ansatz(architecture="reupload", n_qubits=2, n_features=2, layers=1)
    gen = rng(9)
    x = gen.uniform(0, np.pi, size=(3, 2))
    theta = gen.uniform(0, 2 * np.pi, size=ansatz.n_params)
    noisy = qiskit_expectations(
        ansatz, x, theta, shots=2000, backend=load_snapshot("fake_torino"), seed=1
    )
    exact = np.asarray(pennylane_expectation(ansatz)(x, theta))
    assert noisy.shape == (3,)
    assert np.all(np.abs(noisy - exact) < 0.25)


def test_qiskit_circuit_has_one_parameter_per_input_and_weight() -> None:
    ansatz = build_ansatz(architecture="reupload", n_qubits=2, n_features=2, layers=2)
    qc, x, theta = qiskit_circuit(ansatz, measure=True)
    assert qc.num_parameters == len(x) + len(theta) == 2 + ansatz.n_params
    assert qc.count_ops()["measure"] == 1


def test_shots_required_off_the_exact_path() -> None:
    ansatz = build_ansatz(architecture="angle", n_qubits=1, n_features=1, layers=1)
    with pytest.raises(ValueError, match="shots"):
        qiskit_expectations(ansatz, np.zeros((1, 1)), np.zeros(2), shots=0)
