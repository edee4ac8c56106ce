"""The same ansatz as a PennyLane QNode and as a Qiskit circuit with Parameters.

* :func:`pennylane_expectation` — a QNode returning ⟨Z_0⟩ with parameter broadcasting over samples
  (``default.qubit``, backprop) or one sample per call (``lightning.qubit``, adjoint).
* :func:`qiskit_circuit` / :func:`qiskit_expectations` — a ``QuantumCircuit`` with
  ``ParameterVector`` inputs ``x`` and weights ``theta``, run on Aer exactly, with shots, or with
  the noise of a device calibration snapshot (transpiled to the device's instruction set first, on
  its best qubits).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from quantumlimits.classify.ansatz import Ansatz, Gate


def _angle(gate: Gate, x: Any, theta: Any) -> Any:
    """The gate angle for PennyLane (works on autograd arrays and broadcast batches)."""
    if len(gate.features) == 1:
        data: Any = x[..., gate.features[0]]
    elif len(gate.features) == 2:
        data = x[..., gate.features[0]] * x[..., gate.features[1]]
    else:
        data = 0.0
    scale = theta[gate.scale] if gate.scale is not None else 1.0
    offset = theta[gate.offset] if gate.offset is not None else 0.0
    return scale * data + offset


def pennylane_expectation(
    ansatz: Ansatz, *, device: str = "default.qubit", diff_method: str = "backprop"
) -> Callable[[Any, Any], Any]:
    """A QNode ``f(x, theta) -> ⟨O⟩`` for ``ansatz``, O its readout (``Z_0`` or the mean of
    ``Z_q`` over every qubit).

    ``x`` may be one sample (shape (d,)) or a batch (shape (n, d)): PennyLane broadcasts the batch
    through one circuit execution on ``default.qubit``.
    """
    import pennylane as qml

    dev = qml.device(device, wires=ansatz.n_qubits)
    ops = {"rx": qml.RX, "ry": qml.RY, "rz": qml.RZ, "zz": qml.MultiRZ}

    @qml.qnode(dev, diff_method=diff_method)
    def circuit(x: Any, theta: Any) -> Any:
        for gate in ansatz.gates:
            if gate.name == "h":
                qml.Hadamard(wires=gate.wires[0])
            elif gate.name == "cz":
                qml.CZ(wires=list(gate.wires))
            else:
                ops[gate.name](_angle(gate, x, theta), wires=list(gate.wires))
        return qml.expval(observable)

    qubits = ansatz.readout_qubits
    observable = (
        qml.PauliZ(0)
        if qubits == (0,)
        else qml.dot([1.0 / len(qubits)] * len(qubits), [qml.PauliZ(q) for q in qubits])
    )
    return circuit


def qiskit_circuit(
    ansatz: Ansatz, *, measure: bool = False, shifts: Any | None = None
) -> tuple[Any, Any, Any]:
    """``(circuit, x, theta)``: the ansatz with ``ParameterVector`` inputs and weights.

    Wire ``w`` is Qiskit qubit ``w``; with ``measure=True`` the readout qubits
    (``ansatz.readout_qubits``: 0, or every qubit) are measured into clbits 0, 1, ...
    ``shifts`` (a ``ParameterVector`` of ``ansatz.n_trainable_gates``) adds ``shifts[j]`` to the
    angle of the j-th trainable gate: bound to ±π/2 it gives the parameter-shift circuits.
    """
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector

    if shifts is not None and len(shifts) != ansatz.n_trainable_gates:
        raise ValueError(
            f"shifts has {len(shifts)} parameters, the ansatz {ansatz.n_trainable_gates} "
            "trainable gates"
        )
    x = ParameterVector("x", ansatz.n_features)
    theta = ParameterVector("theta", ansatz.n_params)
    readout = ansatz.readout_qubits
    qc = QuantumCircuit(
        ansatz.n_qubits, len(readout) if measure else 0, name=f"vqc_{ansatz.architecture}"
    )
    trainable = 0
    for gate in ansatz.gates:
        if gate.name == "h":
            qc.h(gate.wires[0])
            continue
        if gate.name == "cz":
            qc.cz(*gate.wires)
            continue
        if len(gate.features) == 1:
            data: Any = x[gate.features[0]]
        elif len(gate.features) == 2:
            data = x[gate.features[0]] * x[gate.features[1]]
        else:
            data = 0
        angle: Any = data if gate.scale is None else theta[gate.scale] * data
        if gate.offset is not None:
            angle = theta[gate.offset] if isinstance(angle, int) else angle + theta[gate.offset]
        if gate.trainable and shifts is not None:
            angle = angle + shifts[trainable]
        trainable += gate.trainable
        if gate.name == "zz":
            qc.rzz(angle, *gate.wires)
        else:
            getattr(qc, gate.name)(angle, gate.wires[0])
    if measure:
        qc.measure(list(readout), list(range(len(readout))))
    return qc, x, theta


def _bindings(circuit: Any, x_vec: Any, theta_vec: Any, x: np.ndarray, theta: np.ndarray) -> Any:
    """Parameter values in ``circuit.parameters`` order, one row per sample."""
    values = {**{p: x[:, i] for i, p in enumerate(x_vec)}}
    values.update({p: np.full(len(x), theta[i]) for i, p in enumerate(theta_vec)})
    return np.stack([values[p] for p in circuit.parameters], axis=-1)


def qiskit_expectations(
    ansatz: Ansatz,
    x: np.ndarray,
    theta: np.ndarray,
    *,
    shots: int | None = None,
    backend: Any | None = None,
    seed: int = 0,
) -> np.ndarray:
    """The readout ⟨O⟩ (⟨Z_0⟩, or the mean ⟨Z_q⟩) per row of ``x`` from the Qiskit circuit on Aer.

    ``shots=None`` — exact (Aer ``EstimatorV2``, precision 0). ``shots=N`` — sampled, noiseless.
    ``backend`` (a calibration snapshot) — transpiled to its instruction set and sampled with its
    noise (only the qubits used are simulated), ``shots`` required.
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    if backend is None and shots is None:
        from qiskit.quantum_info import SparsePauliOp
        from qiskit_aer.primitives import EstimatorV2

        qc, xv, tv = qiskit_circuit(ansatz)
        qubits = ansatz.readout_qubits
        observable = SparsePauliOp.from_sparse_list(
            [("Z", [q], 1.0 / len(qubits)) for q in qubits], num_qubits=ansatz.n_qubits
        )
        values = _bindings(qc, xv, tv, x, theta)
        result = EstimatorV2(options={"backend_options": {"seed_simulator": seed}}).run(
            [(qc, observable, values)]
        )
        return np.asarray(result.result()[0].data.evs, dtype=float)
    if shots is None or shots < 1:
        raise ValueError("sampled and noisy executions need shots >= 1")
    qc, xv, tv = qiskit_circuit(ansatz, measure=True)
    if backend is None:
        from qiskit_aer import AerSimulator

        values = _bindings(qc, xv, tv, x, theta)
        bound = [qc.assign_parameters(row) for row in values]
        result = AerSimulator(seed_simulator=seed).run(bound, shots=shots).result()
        counts = [
            {int(k, 16): v for k, v in result.data(i)["counts"].items()} for i in range(len(bound))
        ]
    else:
        from quantumlimits.execution.aer import run_noisy
        from quantumlimits.execution.cost import isa_circuit

        isa = isa_circuit(qc, backend=backend, seed=seed)
        values = _bindings(isa, xv, tv, x, theta)
        bound = [isa.assign_parameters(row) for row in values]
        counts = run_noisy(bound, target=backend.target, shots=shots, seed=seed).counts
    from quantumlimits.classify.hardware import expectations_from_counts

    return expectations_from_counts(counts, bits=len(ansatz.readout_qubits))


def noisy_accuracy(
    estimator: Any, X: np.ndarray, y: np.ndarray, *, backend: Any, shots: int, seed: int
) -> float:
    """Held-out accuracy of a fitted :class:`QuantumClassifier` run as a Qiskit circuit on Aer with
    ``backend``'s noise (ISA-transpiled, best qubits) and ``shots`` shots per sample. A
    one-vs-rest model runs each class's circuit and predicts the class of the largest logit."""
    members = getattr(estimator, "estimators_", None)
    if members is not None:
        logits = np.stack(
            [
                m.params_[-2]
                * qiskit_expectations(
                    m.ansatz_, X, m.params_[:-2], shots=shots, backend=backend, seed=seed + i
                )
                + m.params_[-1]
                for i, m in enumerate(members)
            ],
            axis=1,
        )
        predicted = estimator.classes_[np.argmax(logits, axis=1)]
        return float(np.mean(predicted == y))
    expval = qiskit_expectations(
        estimator.ansatz_, X, estimator.params_[:-2], shots=shots, backend=backend, seed=seed
    )
    logit = estimator.params_[-2] * expval + estimator.params_[-1]
    predicted = estimator.classes_[(logit > 0).astype(int)]
    return float(np.mean(predicted == y))
