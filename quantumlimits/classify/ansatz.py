"""One definition of each quantum classifier circuit, read by every execution path.

A circuit is a tuple of :class:`Gate` records. A gate's angle is an affine function of at most one
data term and of the trainable parameters ``theta``::

    angle = (theta[scale] if scale is not None else 1) * data + (theta[offset] if offset ... else 0)

where ``data`` is ``x[i]`` for one feature, ``x[i] * x[j]`` for two (IQP products) or 0 for none.
The NumPy simulator (:mod:`quantumlimits.classify.statevector`), the PennyLane QNode and the Qiskit
circuit (:mod:`quantumlimits.classify.executions`) are all generated from the same tuple, which is
what makes the test that they agree meaningful.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Gates with an angle: rotations ``exp(-i angle/2 P)`` with P in {X, Y, Z, Z⊗Z}.
ROTATIONS = ("rx", "ry", "rz", "zz")
#: Fixed gates.
FIXED = ("h", "cz")
ARCHITECTURES = ("angle", "reupload", "iqp")
#: What the model reads out: ``"z0"``, ⟨Z⟩ of qubit 0; ``"mean"``, the mean of ⟨Z_q⟩ over every
#: qubit (Bowles et al.'s separable models; their re-uploading model tunes how many qubits).
READOUTS = ("z0", "mean")


@dataclass(frozen=True)
class Gate:
    """One gate of a classifier circuit (see the module docstring for the angle)."""

    name: str
    wires: tuple[int, ...]
    features: tuple[int, ...] = ()
    scale: int | None = None
    offset: int | None = None

    def __post_init__(self) -> None:
        if self.name not in ROTATIONS + FIXED:
            raise ValueError(f"unknown gate {self.name!r}")
        want = 2 if self.name in ("zz", "cz") else 1
        if len(self.wires) != want:
            raise ValueError(f"gate {self.name} acts on {want} wires, got {self.wires}")
        if self.name in FIXED and (
            self.features or self.scale is not None or self.offset is not None
        ):
            raise ValueError(f"gate {self.name} takes no angle")
        if len(self.features) > 2:
            raise ValueError("a gate angle uses at most two features")

    @property
    def trainable(self) -> bool:
        """True when the angle depends on a trainable parameter."""
        return self.scale is not None or self.offset is not None


@dataclass(frozen=True)
class Ansatz:
    """A classifier circuit: gates, qubit and parameter counts, and how to initialise parameters."""

    architecture: str
    n_qubits: int
    n_features: int
    gates: tuple[Gate, ...]
    n_params: int
    scale_params: tuple[int, ...]
    readout: str = "z0"

    def __post_init__(self) -> None:
        if self.readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got {self.readout!r}")

    @property
    def readout_qubits(self) -> tuple[int, ...]:
        """The qubits whose mean ⟨Z⟩ is the model's output (measured into clbits 0, 1, ...).

        >>> build_ansatz(architecture="angle", n_qubits=3, n_features=3, layers=1,
        ...              readout="mean").readout_qubits
        (0, 1, 2)
        """
        return tuple(range(self.n_qubits)) if self.readout == "mean" else (0,)

    @property
    def n_trainable_gates(self) -> int:
        """Gates whose angle depends on ``theta``: the P in the (2P + 1) parameter-shift cost."""
        return sum(1 for g in self.gates if g.trainable)

    def init_params(self, generator: np.random.Generator) -> np.ndarray:
        """Initial parameters: offsets uniform in [0, 2π), data scales 1 (identity re-upload)."""
        theta = generator.uniform(0.0, 2.0 * np.pi, size=self.n_params)
        theta[list(self.scale_params)] = 1.0
        return theta


def _entanglers(n_qubits: int) -> list[Gate]:
    if n_qubits < 2:
        return []
    pairs = [(q, q + 1) for q in range(n_qubits - 1)]
    if n_qubits > 2:
        pairs.append((n_qubits - 1, 0))
    return [Gate("cz", p) for p in pairs]


def build_ansatz(
    *,
    architecture: str,
    n_qubits: int,
    n_features: int,
    layers: int,
    entangle: bool = True,
    readout: str = "z0",
) -> Ansatz:
    """The circuit of ``architecture`` ('angle', 'reupload' or 'iqp').

    Qubit ``q`` reads feature ``q % n_features``; ``n_features`` may not exceed ``n_qubits``.

    * ``angle``: RY(x) embedding once, then ``layers`` of trainable RY, RZ and a CZ ring.
    * ``reupload``: ``layers`` of RY(a·x + b), RZ(c) and a CZ ring (data re-uploading, Pérez-Salinas
      et al. 2020), closed by a trainable RY layer.
    * ``iqp``: IQP embedding (H, RZ(x_i), ZZ(x_i·x_j) on every pair; Havlíček et al. 2019), then
      the ``angle`` variational layers.

    ``entangle=False`` drops every entangling gate — each CZ, and the IQP embedding's ZZ data
    terms — and nothing else: the trainable parameters stay the same (the ablation switch).
    ``readout`` (:data:`READOUTS`) chooses the observable: ⟨Z⟩ of qubit 0, or the mean over all.

    >>> a = build_ansatz(architecture="reupload", n_qubits=2, n_features=2, layers=3)
    >>> a.n_params, a.n_trainable_gates
    (20, 14)
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {architecture!r}: choose one of {ARCHITECTURES}")
    if n_qubits < 1 or layers < 1 or n_features < 1:
        raise ValueError("n_qubits, n_features and layers must be positive")
    if n_features > n_qubits:
        raise ValueError(f"{n_features} features do not fit on {n_qubits} qubits")
    gates: list[Gate] = []
    scales: list[int] = []
    count = 0

    def param() -> int:
        nonlocal count
        count += 1
        return count - 1

    def variational_layer() -> None:
        for q in range(n_qubits):
            gates.append(Gate("ry", (q,), offset=param()))
            gates.append(Gate("rz", (q,), offset=param()))
        if entangle:
            gates.extend(_entanglers(n_qubits))

    if architecture == "angle":
        gates.extend(Gate("ry", (q,), features=(q % n_features,)) for q in range(n_qubits))
        for _ in range(layers):
            variational_layer()
    elif architecture == "iqp":
        gates.extend(Gate("h", (q,)) for q in range(n_qubits))
        gates.extend(Gate("rz", (q,), features=(q % n_features,)) for q in range(n_qubits))
        if entangle:  # the ZZ data terms entangle too
            for i in range(n_qubits):
                for j in range(i + 1, n_qubits):
                    gates.append(Gate("zz", (i, j), features=(i % n_features, j % n_features)))
        for _ in range(layers):
            variational_layer()
    else:
        for _ in range(layers):
            for q in range(n_qubits):
                scale = param()
                scales.append(scale)
                gates.append(
                    Gate("ry", (q,), features=(q % n_features,), scale=scale, offset=param())
                )
                gates.append(Gate("rz", (q,), offset=param()))
            if entangle:
                gates.extend(_entanglers(n_qubits))
        for q in range(n_qubits):
            gates.append(Gate("ry", (q,), offset=param()))
    return Ansatz(
        architecture=architecture,
        n_qubits=n_qubits,
        n_features=n_features,
        gates=tuple(gates),
        n_params=count,
        scale_params=tuple(scales),
        readout=readout,
    )


def gate_angles(gate: Gate, x: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """The angle of ``gate`` for each row of ``x`` (shape (n_samples,)).

    >>> g = Gate("ry", (0,), features=(1,), scale=0, offset=1)
    >>> gate_angles(g, np.array([[0.0, 2.0]]), np.array([3.0, 0.5]))
    array([6.5])
    """
    data = _data_term(gate, x)
    scale = theta[gate.scale] if gate.scale is not None else 1.0
    offset = theta[gate.offset] if gate.offset is not None else 0.0
    return np.asarray(scale * data + offset, dtype=float) * np.ones(x.shape[0])


def _data_term(gate: Gate, x: np.ndarray) -> np.ndarray | float:
    if not gate.features:
        return 0.0
    if len(gate.features) == 1:
        return x[:, gate.features[0]]
    i, j = gate.features
    return x[:, i] * x[:, j]


def data_term(gate: Gate, x: np.ndarray) -> np.ndarray:
    """The data part of ``gate``'s angle for each row of ``x`` (zeros when it reads no feature)."""
    return np.asarray(_data_term(gate, x), dtype=float) * np.ones(x.shape[0])
