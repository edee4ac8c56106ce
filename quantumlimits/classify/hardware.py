"""Quantum classifiers on a device: ISA circuits, accuracy from counts, parameter-shift training.

The trained model's Qiskit circuit (:func:`quantumlimits.classify.executions.qiskit_circuit`) is
transpiled once to the device's instruction set with a shift parameter on every trainable gate
(:class:`DeviceCircuit`); binding a sample's features, the weights and the shifts gives the circuits
a device runs:

* evaluation: one circuit per held-out sample (shifts 0); ⟨Z_0⟩ = 1 - 2 P(clbit 0 = 1) from its
  counts, the class from ``w · ⟨Z_0⟩ + b`` as on the simulator (:func:`accuracy_from_counts`);
* training (:class:`ParameterShiftGradient`): per sample of a batch, the value circuit and the two
  circuits with one trainable gate's angle shifted by ±π/2, i.e. ``batch x (2P + 1)`` circuits per
  optimiser step — exactly what :mod:`quantumlimits.classify.trainer` counts. Every rotation here is
  ``exp(-i φ/2 P)`` with P² = I, so ``d⟨Z⟩/dφ = (⟨Z⟩(φ + π/2) - ⟨Z⟩(φ - π/2)) / 2`` exactly, and
  the chain rule gives a re-uploading gate's data scale (× its data term) and offset.

Where the circuits run is the caller's business: a function from circuits (and a step number) to
expectation values. On IBM Quantum that is :meth:`IBMExecutor.execute`, one journal key per
(model, seed, step) from :func:`job_key`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from quantumlimits.classify.ansatz import Ansatz, data_term
from quantumlimits.classify.quantum import QuantumClassifier, _bce, _sigmoid
from quantumlimits.execution.executor import JobKey

#: Seeding stream of device executions (local testing mode's sampler seed per job).
STREAM_HARDWARE = 42
#: Seeds of device jobs: model index, repetition and step packed into one integer, the batch's
#: seed path (as journal keys were before they became text; the seeds stay the same).
_MODEL_BASE = 10**9
_REP_BASE = 10**6


def job_key(*, model: int, rep: int, step: int, label: str | None = None) -> JobKey:
    """The journal key of one batch of circuits: ``step`` 0 is the evaluation of the trained
    model, steps 1, 2, ... its training steps on the device. ``label`` names it in messages.

    >>> key = job_key(model=1, rep=0, step=7)
    >>> key.name, key.seed_path, split_key(key.name)
    ('m1/r0/s7', (2000000007, 0), (1, 0, 7))
    """
    if not (0 <= model < 9 and 0 <= rep < _MODEL_BASE // _REP_BASE and 0 <= step < _REP_BASE):
        raise ValueError(
            f"model {model}, repetition {rep} or step {step} out of range "
            "(at most 9 quantum models, 1000 seeds, 999999 steps on a device)"
        )
    packed = (model + 1) * _MODEL_BASE + rep * _REP_BASE + step
    name = f"m{model}/r{rep}/s{step}"
    return JobKey(name=name, label=label or name, seed_path=(packed, 0))


def split_key(name: str) -> tuple[int, int, int]:
    """``(model, rep, step)`` of a :func:`job_key`'s name.

    >>> split_key("m0/r2/s0")
    (0, 2, 0)
    """
    try:
        model, rep, step = (int(part[1:]) for part in name.split("/"))
    except ValueError:
        raise ValueError(f"{name!r} is not a classifier journal key") from None
    return model, rep, step


def expectations_from_counts(counts: Sequence[dict[int, int]], *, bits: int = 1) -> np.ndarray:
    """The mean ⟨Z⟩ of the qubits measured into clbits ``0 .. bits-1``, per circuit:
    ``1 - 2 P(bit i = 1)`` averaged over the bits (``bits=1``: the qubit in clbit 0).

    >>> expectations_from_counts([{0: 75, 1: 25}, {3: 10, 2: 30}])
    array([0.5, 0.5])
    >>> expectations_from_counts([{0b01: 50, 0b11: 50}], bits=2)  # Z_0 = -1, Z_1 = 0
    array([-0.5])
    """
    out = []
    for c in counts:
        shots = sum(c.values())
        if shots < 1:
            raise ValueError("a circuit returned no shots")
        ones = sum(v * (k >> i & 1) for k, v in c.items() for i in range(bits))
        out.append(1.0 - 2.0 * ones / (shots * bits))
    return np.asarray(out, dtype=float)


def predict_from_expectations(
    expectations: np.ndarray, *, params: np.ndarray, classes: np.ndarray
) -> np.ndarray:
    """Classes from ⟨Z_0⟩ values with the readout ``w · ⟨Z_0⟩ + b`` of a trained model.

    >>> predict_from_expectations(np.array([0.4, -0.2]), params=np.array([0.0, 2.0, 0.1]),
    ...                           classes=np.array([0, 1]))
    array([1, 0])
    """
    logit = params[-2] * np.asarray(expectations) + params[-1]
    return np.asarray(classes[(logit > 0).astype(int)])


def accuracy_from_counts(
    counts: Sequence[dict[int, int]],
    y: np.ndarray,
    *,
    params: np.ndarray,
    classes: np.ndarray,
    bits: int = 1,
) -> tuple[float, np.ndarray]:
    """Held-out accuracy and the readout ⟨O⟩ per sample from the counts of the evaluation
    circuits (``bits``: the readout's clbits, :func:`expectations_from_counts`)."""
    expectations = expectations_from_counts(counts, bits=bits)
    if len(expectations) != len(y):
        raise ValueError(f"{len(expectations)} circuits' counts for {len(y)} samples")
    predicted = predict_from_expectations(expectations, params=params, classes=classes)
    return float(np.mean(predicted == np.asarray(y))), expectations


@dataclass(frozen=True)
class DeviceCircuit:
    """An ansatz as one ISA circuit of a device, with ``ParameterVector``s ``x`` (features),
    ``theta`` (weights) and ``shifts`` (one per trainable gate, added to its angle).

    Build it with :meth:`build`; :meth:`bind` and :meth:`shift_circuits` give the circuits a
    device runs. The ansatz's readout qubits are measured into clbits 0, 1, ...
    """

    ansatz: Ansatz
    circuit: Any
    x: Any
    theta: Any
    shifts: Any

    @classmethod
    def build(
        cls, ansatz: Ansatz, *, backend: Any, seed: int, optimization_level: int = 1
    ) -> DeviceCircuit:
        """Transpile ``ansatz`` to ``backend``'s instruction set on its best qubits
        (:func:`quantumlimits.execution.cost.isa_circuit`, the circuit the QPU projection
        prices), Parameters left unbound."""
        from qiskit.circuit import ParameterVector

        from quantumlimits.classify.executions import qiskit_circuit
        from quantumlimits.errors import UsageError
        from quantumlimits.execution.cost import isa_circuit

        if ansatz.n_qubits > backend.target.num_qubits:
            raise UsageError(
                f"the {ansatz.architecture} model needs {ansatz.n_qubits} qubits, the device "
                f"{backend.name} has {backend.target.num_qubits}: pass a smaller --width"
            )
        shifts = ParameterVector("s", ansatz.n_trainable_gates)
        qc, x, theta = qiskit_circuit(ansatz, measure=True, shifts=shifts)
        isa = isa_circuit(qc, backend=backend, seed=seed, optimization_level=optimization_level)
        return cls(ansatz=ansatz, circuit=isa, x=x, theta=theta, shifts=shifts)

    @property
    def n_shifts(self) -> int:
        """Trainable gates (P): circuits per sample of a training step are 2P + 1."""
        return self.ansatz.n_trainable_gates

    def bind(self, X: np.ndarray, theta: np.ndarray, shifts: np.ndarray | None = None) -> list[Any]:
        """One bound ISA circuit per row of ``X`` (and of ``shifts``, default all zeros)."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        theta = np.asarray(theta, dtype=float)
        if len(theta) != self.ansatz.n_params:
            raise ValueError(f"{len(theta)} weights for an ansatz of {self.ansatz.n_params}")
        n = len(X)
        S = np.zeros((n, self.n_shifts)) if shifts is None else np.asarray(shifts, dtype=float)
        columns: dict[Any, np.ndarray] = {p: X[:, i] for i, p in enumerate(self.x)}
        columns.update({p: np.full(n, theta[i]) for i, p in enumerate(self.theta)})
        columns.update({p: S[:, j] for j, p in enumerate(self.shifts)})
        parameters = list(self.circuit.parameters)
        values = np.stack([columns[p] for p in parameters], axis=-1)
        return [self.circuit.assign_parameters(row) for row in values]

    def shift_circuits(self, X: np.ndarray, theta: np.ndarray) -> list[Any]:
        """Per row of ``X``: the value circuit, then each trainable gate shifted by +π/2 and by
        -π/2 (``len(X) x (2P + 1)`` circuits, sample-major)."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        P = self.n_shifts
        S = np.zeros((2 * P + 1, P))
        S[1 + 2 * np.arange(P), np.arange(P)] = np.pi / 2
        S[2 + 2 * np.arange(P), np.arange(P)] = -np.pi / 2
        return self.bind(np.repeat(X, 2 * P + 1, axis=0), theta, np.tile(S, (len(X), 1)))

    def gradient(self, X: np.ndarray, expectations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(⟨Z_0⟩ per sample, d⟨Z_0⟩/dθ per sample)`` from the expectation values of
        :meth:`shift_circuits` (shape ``(len(X) * (2P + 1),)``)."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        P = self.n_shifts
        E = np.asarray(expectations, dtype=float).reshape(len(X), 2 * P + 1)
        d_angle = (E[:, 1::2] - E[:, 2::2]) / 2.0
        d_theta = np.zeros((len(X), self.ansatz.n_params))
        trainable = [g for g in self.ansatz.gates if g.trainable]
        for j, gate in enumerate(trainable):
            if gate.offset is not None:
                d_theta[:, gate.offset] += d_angle[:, j]
            if gate.scale is not None:
                d_theta[:, gate.scale] += d_angle[:, j] * data_term(gate, X)
        return E[:, 0], d_theta


#: ``expectations(circuits, step) -> ⟨Z_0⟩ per circuit``: where a training step's circuits run.
Expectations = Callable[[list[Any], int], np.ndarray]


class ParameterShiftGradient:
    """Loss and gradient of a batch from circuit executions, one call per optimiser step.

    The same loss as the simulator's (binary cross-entropy of ``sigmoid(w · ⟨Z_0⟩ + b)``), with
    ⟨Z_0⟩ and its derivatives from ``expectations`` of :meth:`DeviceCircuit.shift_circuits`. The
    classical readout's gradient (w, b) needs no extra circuits. Calls are numbered from 1: the
    step number passed to ``expectations`` (a journal key on a device).
    """

    def __init__(self, circuit: DeviceCircuit, *, expectations: Expectations) -> None:
        self.circuit = circuit
        self.expectations = expectations
        self.steps = 0

    def __call__(self, x: np.ndarray, t: np.ndarray, params: np.ndarray) -> tuple[float, Any]:
        self.steps += 1
        theta, w, b = params[:-2], params[-2], params[-1]
        circuits = self.circuit.shift_circuits(x, theta)
        values = np.asarray(self.expectations(circuits, self.steps), dtype=float)
        if values.shape != (len(circuits),):
            raise ValueError(f"{values.shape} expectation values for {len(circuits)} circuits")
        expval, d_theta = self.circuit.gradient(x, values)
        p = _sigmoid(w * expval + b)
        resid = (p - t) / len(t)
        g_theta = (resid * w) @ d_theta
        grad = np.concatenate([g_theta, [resid @ expval, resid.sum()]])
        return _bce(p, t), grad


class DeviceTrainedClassifier(QuantumClassifier):
    """A :class:`QuantumClassifier` whose training gradients come from circuit executions
    (:class:`ParameterShiftGradient`) instead of the simulator; prediction is unchanged (the
    simulator, exact). Attach the gradient with :meth:`use_gradient` before ``fit``."""

    _device_gradient: ParameterShiftGradient | None = None

    def use_gradient(self, gradient: ParameterShiftGradient) -> DeviceTrainedClassifier:
        """Take gradients from ``gradient`` (its circuit must be this model's ansatz)."""
        self._device_gradient = gradient
        return self

    def _gradient_function(self) -> Any:
        gradient = self._device_gradient
        if gradient is None:
            raise ValueError("DeviceTrainedClassifier needs use_gradient(...) before fit")
        if gradient.circuit.ansatz != self.ansatz_:
            raise ValueError("the device circuit was built for another ansatz than this model's")
        return gradient
