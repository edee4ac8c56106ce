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


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_mean_readout_agrees_on_every_engine(architecture: str) -> None:
    from quantumlimits.classify.statevector import StatevectorModel

    ansatz = build_ansatz(
        architecture=architecture, n_qubits=3, n_features=3, layers=2, readout="mean"
    )
    gen = rng(33, ARCHITECTURES.index(architecture))
    x = gen.uniform(0, np.pi, size=(6, 3))
    theta = gen.uniform(0, 2 * np.pi, size=ansatz.n_params)
    numpy_sv = StatevectorModel(ansatz).expectation(x, theta)
    pl = np.asarray(pennylane_expectation(ansatz)(x, theta))
    qk = qiskit_expectations(ansatz, x, theta)
    np.testing.assert_allclose(pl, qk, atol=1e-10)
    np.testing.assert_allclose(numpy_sv, qk, atol=1e-10)
    # the mean of the single-qubit readouts, not Z_0 alone
    z0 = build_ansatz(architecture=architecture, n_qubits=3, n_features=3, layers=2)
    assert np.max(np.abs(qk - qiskit_expectations(z0, x, theta))) > 1e-3
    sampled = qiskit_expectations(ansatz, x, theta, shots=8000, seed=2)
    assert np.all(np.abs(sampled - qk) <= 5 / np.sqrt(8000))


def test_mean_readout_measures_every_qubit() -> None:
    ansatz = build_ansatz(architecture="angle", n_qubits=3, n_features=3, layers=1, readout="mean")
    qc, _, _ = qiskit_circuit(ansatz, measure=True)
    assert qc.count_ops()["measure"] == 3 and qc.num_clbits == 3


def test_without_entanglement_the_mean_readout_sees_every_feature() -> None:
    # A product state read on qubit 0 depends on feature 0 alone; read on every qubit, on all.
    x = np.array([[0.3, 0.2], [0.3, 2.9]])  # only feature 1 differs
    for readout, sees_feature_1 in (("z0", False), ("mean", True)):
        ansatz = build_ansatz(
            architecture="reupload",
            n_qubits=2,
            n_features=2,
            layers=2,
            entangle=False,
            readout=readout,
        )
        theta = rng(5).uniform(0, 2 * np.pi, size=ansatz.n_params)
        values = qiskit_expectations(ansatz, x, theta)
        assert (abs(values[0] - values[1]) > 1e-6) == sees_feature_1, readout
