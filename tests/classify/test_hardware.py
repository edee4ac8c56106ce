"""Classifiers as device circuits: parameter shift against the adjoint method, counts, keys."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from qiskit.quantum_info import Statevector

from quantumlimits.classify.ansatz import build_ansatz
from quantumlimits.classify.hardware import (
    DeviceCircuit,
    DeviceTrainedClassifier,
    ParameterShiftGradient,
    accuracy_from_counts,
    job_key,
    split_key,
)
from quantumlimits.classify.quantum import QuantumClassifier
from quantumlimits.classify.results import Curve, SeedRun
from quantumlimits.execution.backends import load_snapshot


def exact_expectations(circuits: list[Any], step: int = 0) -> np.ndarray:
    """The mean ⟨Z⟩ of the measured physical qubits of bound ISA circuits (one for the z0
    readout, every one for the mean readout), from their statevector."""
    out = []
    for c in circuits:
        qubits = [c.find_bit(i.qubits[0]).index for i in c.data if i.operation.name == "measure"]
        state = Statevector(c.remove_final_measurements(inplace=False))
        z = [state.probabilities([q]) @ np.array([1.0, -1.0]) for q in qubits]
        out.append(float(np.mean(z)))
    return np.array(out)


@pytest.fixture(scope="module")
def manila() -> Any:
    return load_snapshot("fake_manila")


@pytest.mark.parametrize(
    ("architecture", "readout"),
    [("reupload", "z0"), ("angle", "z0"), ("iqp", "z0"), ("reupload", "mean"), ("iqp", "mean")],
)
def test_parameter_shift_on_the_isa_circuit_is_the_adjoint_gradient(
    architecture: str, readout: str, manila: Any
) -> None:
    ansatz = build_ansatz(
        architecture=architecture, n_qubits=2, n_features=2, layers=2, readout=readout
    )
    circuit = DeviceCircuit.build(ansatz, backend=manila, seed=3)
    assert circuit.circuit.num_qubits == manila.num_qubits  # placed on the device
    rng = np.random.default_rng(1)
    X = rng.uniform(0, np.pi, (3, 2))
    t = np.array([0.0, 1.0, 1.0])
    params = np.concatenate([rng.uniform(0, 2 * np.pi, ansatz.n_params), [1.3, -0.2]])
    calls: list[int] = []

    def expectations(circuits: list[Any], step: int) -> np.ndarray:
        calls.append(len(circuits))
        return exact_expectations(circuits)

    loss, grad = ParameterShiftGradient(circuit, expectations=expectations)(X, t, params)
    reference = QuantumClassifier(architecture=architecture, layers=2, readout=readout)
    reference._prepare(X, t.astype(int))
    ref_loss, ref_grad = reference._gradient_function()(X, t, params)
    assert calls == [3 * (2 * ansatz.n_trainable_gates + 1)]  # batch x (2P + 1)
    assert loss == pytest.approx(ref_loss, abs=1e-12)
    np.testing.assert_allclose(grad, ref_grad, atol=1e-10)
    assert np.abs(ref_grad).max() > 1e-3  # a gradient worth comparing


def test_device_training_follows_the_simulator_with_exact_expectations(manila: Any) -> None:
    X = np.array([[0.2, 1.1], [2.5, 0.4], [1.7, 2.9], [0.9, 0.3]])
    y = np.array([0, 1, 1, 0])
    settings = {"architecture": "angle", "layers": 1, "max_steps": 3, "random_state": 5}
    simulated = QuantumClassifier(**settings).fit(X, y)
    ansatz = build_ansatz(architecture="angle", n_qubits=2, n_features=2, layers=1)
    steps: list[int] = []

    def expectations(circuits: list[Any], step: int) -> np.ndarray:
        steps.append(step)
        return exact_expectations(circuits)

    gradient = ParameterShiftGradient(
        DeviceCircuit.build(ansatz, backend=manila, seed=0), expectations=expectations
    )
    device = DeviceTrainedClassifier(**settings).use_gradient(gradient).fit(X, y)
    assert steps == [1, 2, 3]
    np.testing.assert_allclose(device.params_, simulated.params_, atol=1e-9)
    with pytest.raises(ValueError, match="use_gradient"):
        DeviceTrainedClassifier(**settings).fit(X, y)
    with pytest.raises(ValueError, match="another ansatz"):
        DeviceTrainedClassifier(**{**settings, "layers": 2}).use_gradient(gradient).fit(X, y)


def test_evaluation_circuits_give_the_model_accuracy(manila: Any) -> None:
    X = np.array([[0.2, 1.1], [2.5, 0.4], [1.7, 2.9]])
    clf = QuantumClassifier(architecture="reupload", layers=1, max_steps=5, random_state=2)
    clf.fit(X, np.array([0, 1, 1]))
    circuit = DeviceCircuit.build(clf.ansatz_, backend=manila, seed=0)
    bound = circuit.bind(X, clf.params_[:-2])
    assert all(not c.parameters for c in bound)
    np.testing.assert_allclose(exact_expectations(bound), clf.expectation(X), atol=1e-12)
    # counts whose ⟨Z⟩ is the exact one (to 1e-6): the device predicts what the simulator does
    shots = 1_000_000
    ones = np.round((1 - clf.expectation(X)) / 2 * shots).astype(int)
    counts = [{1: int(k), 2: shots - int(k)} for k in ones]  # outcome 2 has clbit 0 = 0
    accuracy, expectations = accuracy_from_counts(
        counts, clf.predict(X), params=clf.params_, classes=clf.classes_
    )
    np.testing.assert_allclose(expectations, clf.expectation(X), atol=1e-6)
    assert accuracy == 1.0
    flipped = [{1: c.get(2, 0), 2: c.get(1, 0)} for c in counts]  # ⟨Z⟩ -> -⟨Z⟩
    assert (
        accuracy_from_counts(flipped, clf.predict(X), params=clf.params_, classes=clf.classes_)[0]
        < 1.0
    )


def test_job_keys_round_trip_and_stay_apart() -> None:
    keys = [job_key(model=m, rep=r, step=s) for m in range(3) for r in range(4) for s in range(5)]
    assert len({k.name for k in keys}) == len({k.seed_path for k in keys}) == 60
    assert all(
        split_key(job_key(model=2, rep=3, step=s).name) == (2, 3, s) for s in (0, 1, 999_999)
    )
    with pytest.raises(ValueError, match="out of range"):
        job_key(model=0, rep=0, step=1_000_000)


def test_seed_runs_keep_hardware_results_and_old_documents_still_read() -> None:
    curve = Curve(
        steps=(1,),
        train_seconds=(0.1,),
        accuracy=(0.8,),
        executions=(5,),
        shots=(500,),
        qpu_seconds=(2.0,),
    )
    run = SeedRun(
        seed=1,
        curve=curve,
        eval_seconds=0.0,
        hardware_accuracy=0.75,
        hardware={"backend": "ibm_x", "usage_seconds": None, "expectations": [0.5]},
    )
    assert SeedRun.from_dict(run.to_dict()) == run
    old = run.to_dict()
    del old["hardware_accuracy"], old["hardware"]
    assert SeedRun.from_dict(old).hardware_accuracy is None
    with pytest.raises(ValueError, match="hardware_accuracy"):
        SeedRun(seed=1, curve=curve, eval_seconds=0.0, hardware_accuracy=1.5)
