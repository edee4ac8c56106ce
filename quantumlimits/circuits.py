"""Circuit builders: quantum volume model circuits, square and rectangular.

Every circuit is reproducible from ``(seed, width, depth, index)`` alone, so a run can be resumed,
sharded or extended without changing any circuit already drawn.

>>> from quantumlimits.circuits import qv_circuit
>>> circuit = qv_circuit(width=3, seed=11, index=0)
>>> circuit.num_qubits, circuit.metadata["depth"]
(3, 3)
>>> qv_circuit(width=3, seed=11, index=0) == circuit
True
"""

from __future__ import annotations

from collections.abc import Iterator

from qiskit import QuantumCircuit
from qiskit.circuit.library import quantum_volume

from quantumlimits.seeding import STREAM_CIRCUIT, derive_seed

MIN_WIDTH = 2


def _check(*, width: int, depth: int, index: int) -> None:
    if width < MIN_WIDTH:
        raise ValueError(f"quantum volume needs width >= {MIN_WIDTH}, got {width}")
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    if index < 0:
        raise ValueError(f"circuit index must be >= 0, got {index}")


def circuit_seed(*, seed: int, width: int, depth: int, index: int) -> int:
    """The 64-bit seed Qiskit's ``quantum_volume`` receives for one model circuit."""
    return derive_seed(seed, STREAM_CIRCUIT, width, depth, index, bits=64)


def qv_circuit(*, width: int, seed: int, index: int, depth: int | None = None) -> QuantumCircuit:
    """One quantum volume model circuit, without measurements.

    ``depth`` defaults to ``width`` (the square circuits the QV protocol uses); another depth gives
    the rectangular circuits of volumetric benchmarks. The metadata records width, depth, seed and
    index.
    """
    depth = width if depth is None else depth
    _check(width=width, depth=depth, index=index)
    circuit = quantum_volume(
        width, depth, seed=circuit_seed(seed=seed, width=width, depth=depth, index=index)
    )
    circuit.name = f"qv_w{width}_d{depth}_s{seed}_i{index}"
    circuit.metadata = {"width": width, "depth": depth, "seed": seed, "index": index}
    return circuit


def qv_circuits(
    *, width: int, seed: int, count: int, depth: int | None = None, start: int = 0
) -> list[QuantumCircuit]:
    """Model circuits ``start .. start + count - 1`` for one width (and depth)."""
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    return [
        qv_circuit(width=width, depth=depth, seed=seed, index=i)
        for i in range(start, start + count)
    ]


def iter_qv_circuits(
    *, width: int, seed: int, count: int, depth: int | None = None, start: int = 0
) -> Iterator[QuantumCircuit]:
    """Like :func:`qv_circuits`, one circuit at a time."""
    for i in range(start, start + count):
        yield qv_circuit(width=width, depth=depth, seed=seed, index=i)


def measured(circuit: QuantumCircuit) -> QuantumCircuit:
    """A copy of ``circuit`` with every qubit measured into a classical register ``meas``.

    Bit ``i`` of an outcome is qubit ``i`` of the model circuit, so the outcome's integer value
    indexes the ideal probability vector directly.
    """
    from qiskit.circuit import ClassicalRegister

    out = circuit.copy()
    register = ClassicalRegister(circuit.num_qubits, "meas")
    out.add_register(register)
    # No barrier before the measurements (measure_all adds one): it only adds a layer to depths.
    out.measure(out.qubits, register)
    return out


def to_standard_gates(circuit: QuantumCircuit) -> QuantumCircuit:
    """The circuit with its SU(4) blocks written as ``U`` and ``cx`` gates (for OpenQASM export)."""
    out = circuit.decompose(gates_to_decompose=["unitary"])
    out.name = circuit.name
    out.metadata = dict(circuit.metadata or {})
    return out
