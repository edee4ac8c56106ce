"""The NumPy simulator: exact gradients and agreement with the PennyLane QNode."""

from __future__ import annotations

import numpy as np
import pytest

from quantumlimits.classify.ansatz import ARCHITECTURES, Gate, build_ansatz
from quantumlimits.classify.executions import pennylane_expectation
from quantumlimits.classify.statevector import StatevectorModel
from quantumlimits.seeding import rng


@pytest.mark.parametrize("architecture", ARCHITECTURES)
@pytest.mark.parametrize(("n_qubits", "n_features"), [(1, 1), (2, 2), (3, 2), (4, 4)])
def test_matches_pennylane_qnode(architecture: str, n_qubits: int, n_features: int) -> None:
    ansatz = build_ansatz(
        architecture=architecture, n_qubits=n_qubits, n_features=n_features, layers=2
    )
    gen = rng(11, n_qubits, n_features)
    x = gen.uniform(0, np.pi, size=(7, n_features))
    theta = gen.uniform(0, 2 * np.pi, size=ansatz.n_params)
    ours = StatevectorModel(ansatz).expectation(x, theta)
    theirs = np.asarray(pennylane_expectation(ansatz)(x, theta))
    np.testing.assert_allclose(ours, theirs, atol=1e-12)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_adjoint_gradient_matches_pennylane_backprop(architecture: str) -> None:
    import pennylane as qml
    from pennylane import numpy as pnp

    ansatz = build_ansatz(architecture=architecture, n_qubits=3, n_features=3, layers=2)
    gen = rng(5)
    x = gen.uniform(0, np.pi, size=(6, 3))
    theta = gen.uniform(0, 2 * np.pi, size=ansatz.n_params)
    upstream = gen.normal(size=6)
    qnode = pennylane_expectation(ansatz)

    def weighted(t: pnp.ndarray) -> pnp.ndarray:
        return pnp.dot(qnode(pnp.array(x, requires_grad=False), t), upstream)

    expected = qml.grad(weighted)(pnp.array(theta, requires_grad=True))
    _, ours = StatevectorModel(ansatz).expectation_vjp(x, theta, upstream)
    np.testing.assert_allclose(ours, expected, atol=1e-10)


def test_adjoint_gradient_matches_finite_differences() -> None:
    ansatz = build_ansatz(architecture="reupload", n_qubits=2, n_features=2, layers=3)
    sim = StatevectorModel(ansatz)
    gen = rng(3)
    x = gen.uniform(0, np.pi, size=(4, 2))
    theta = gen.uniform(0, 2 * np.pi, size=ansatz.n_params)
    up = gen.normal(size=4)
    _, grad = sim.expectation_vjp(x, theta, up)
    h = 1e-6
    numeric = np.array(
        [
            (up @ sim.expectation(x, theta + h * e) - up @ sim.expectation(x, theta - h * e))
            / (2 * h)
            for e in np.eye(len(theta))
        ]
    )
    np.testing.assert_allclose(grad, numeric, atol=1e-8)


def test_states_are_normalised() -> None:
    ansatz = build_ansatz(architecture="iqp", n_qubits=4, n_features=4, layers=2)
    gen = rng(2)
    psi = StatevectorModel(ansatz).states(
        gen.uniform(0, np.pi, (5, 4)), gen.uniform(0, 6, ansatz.n_params)
    )
    np.testing.assert_allclose(np.sum(np.abs(psi) ** 2, axis=1), 1.0, atol=1e-12)


def test_entangle_switch_removes_every_cz() -> None:
    on = build_ansatz(architecture="angle", n_qubits=3, n_features=3, layers=2, entangle=True)
    off = build_ansatz(architecture="angle", n_qubits=3, n_features=3, layers=2, entangle=False)
    assert sum(g.name == "cz" for g in on.gates) == 6
    assert not any(g.name == "cz" for g in off.gates)
    assert on.n_params == off.n_params


def test_without_entanglement_qubit_zero_ignores_other_features() -> None:
    ansatz = build_ansatz(
        architecture="reupload", n_qubits=2, n_features=2, layers=2, entangle=False
    )
    sim = StatevectorModel(ansatz)
    theta = rng(1).uniform(0, 6, ansatz.n_params)
    a = sim.expectation(np.array([[0.3, 0.1]]), theta)
    b = sim.expectation(np.array([[0.3, 2.9]]), theta)
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_bad_gates_and_ansatz_raise() -> None:
    with pytest.raises(ValueError, match="unknown gate"):
        Gate("cnot", (0, 1))
    with pytest.raises(ValueError, match="takes no angle"):
        Gate("cz", (0, 1), offset=0)
    with pytest.raises(ValueError, match="do not fit"):
        build_ansatz(architecture="angle", n_qubits=2, n_features=3, layers=1)
    with pytest.raises(ValueError, match="unknown architecture"):
        build_ansatz(architecture="qcnn", n_qubits=2, n_features=2, layers=1)
