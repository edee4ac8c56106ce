"""Clifford circuits on stim's Pauli-frame sampler, with the stabilizer runner's twirled noise.

Aer's stabilizer method runs every noisy shot as its own tableau simulation: at 133 qubits each
operation touches the whole tableau, about 2.4 s per shot for a shallow full-width mirror circuit.
stim (Gidney, *Stim: a fast stabilizer circuit simulator*, Quantum 5, 497, 2021) runs the
noiseless circuit once for a reference sample, then propagates every shot's sampled Pauli errors
together as bit-packed Pauli frames: the cost per shot is a few machine words per operation.

The noise is the one :mod:`quantumlimits.execution.stabilizer` gives Aer, term for term: after each
calibrated gate, the Pauli twirl of Aer's device channel for that gate on those qubits
(:func:`~quantumlimits.execution.stabilizer.twirled_channels`) as ``PAULI_CHANNEL_1`` or
``PAULI_CHANNEL_2``; asymmetric readout errors (``p01 != p10``) as classical flips of the recorded
bits, drawn with numpy after sampling (stim's noisy measurement ``M(p)`` is symmetric).

Seeds: a run's seed fixes every shot on this machine and stim release; stim documents that its
streams may differ between releases and between machines with different SIMD widths.

>>> from qiskit import QuantumCircuit
>>> bell = QuantumCircuit(2, 2)
>>> _ = bell.sx(0); _ = bell.cz(0, 1); _ = bell.measure([0, 1], [0, 1])
>>> print(to_stim(bell).circuit)
SQRT_X 0
CZ 0 1
M 0 1
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import stim
from qiskit import QuantumCircuit
from qiskit.transpiler import Target

from quantumlimits.execution.aer import NoisyRun, localize, sub_target
from quantumlimits.execution.backends import TargetKey
from quantumlimits.execution.stabilizer import (
    ANGLE_TOLERANCE,
    readout_errors,
    twirled_channels,
)

#: Qiskit gate name -> stim gate name, for gates whose names differ only.
DIRECT_GATES = {
    "id": "I",
    "x": "X",
    "y": "Y",
    "z": "Z",
    "h": "H",
    "s": "S",
    "sdg": "S_DAG",
    "sx": "SQRT_X",
    "sxdg": "SQRT_X_DAG",
    "cx": "CX",
    "cy": "CY",
    "cz": "CZ",
    "swap": "SWAP",
    "iswap": "ISWAP",
}
#: ``rz(k·π/2)`` for k = 0..3, up to a global phase.
RZ_GATES = (None, "S", "Z", "S_DAG")
#: Instructions with no effect on the outcome distribution of this model.
IGNORED = frozenset({"barrier", "delay"})

Channels = dict[tuple[str, tuple[int, ...]], dict[str, float]]


@dataclass(frozen=True)
class StimCircuit:
    """A Qiskit circuit as a stim circuit, and where each measurement record goes.

    ``record_clbits[k]`` and ``record_qubits[k]`` are the classical bit that measurement record
    ``k`` writes and the qubit it measures; a later record overwrites an earlier one on the same
    bit.
    """

    circuit: stim.Circuit
    record_clbits: tuple[int, ...]
    record_qubits: tuple[int, ...]
    num_clbits: int


def stim_channel_arguments(channel: dict[str, float]) -> tuple[float, ...]:
    """The parens arguments of ``PAULI_CHANNEL_1`` / ``PAULI_CHANNEL_2`` for a Pauli channel.

    ``channel`` labels put the gate's first qubit rightmost (Qiskit's order); stim's
    ``PAULI_CHANNEL_2`` takes ``(pIX, pIY, ..., pZZ)`` with the first letter on its first target.

    >>> stim_channel_arguments({"I": 0.9, "X": 0.1})
    (0.1, 0.0, 0.0)
    >>> args = stim_channel_arguments({"II": 0.9, "IX": 0.1})  # X on the gate's first qubit
    >>> args.index(0.1), len(args)  # stim's pXI: X on the first target
    (3, 15)
    """
    n = len(next(iter(channel)))
    if n == 1:
        return tuple(float(channel.get(p, 0.0)) for p in "XYZ")
    if n != 2:
        raise ValueError(f"stim takes one- and two-qubit Pauli channels, got {n} qubits")
    # stim's (first, second) is the Qiskit label second + first; [1:] drops the identity.
    labels = [second + first for first in "IXYZ" for second in "IXYZ"][1:]
    return tuple(float(channel.get(label, 0.0)) for label in labels)


@functools.cache
def _decomposition(name: str, params: tuple[float, ...], num_qubits: int) -> tuple[str, ...]:
    """stim lines (targets as ``{0}``, ``{1}``) for one Clifford gate, up to a global phase."""
    if name in DIRECT_GATES:
        return (DIRECT_GATES[name] + "".join(f" {{{i}}}" for i in range(num_qubits)),)
    if name == "rz":
        (angle,) = params
        turns = round(angle / (math.pi / 2))
        if abs(angle - turns * math.pi / 2) > ANGLE_TOLERANCE:
            raise ValueError(f"rz({angle}) is not a Clifford gate: stim runs Clifford circuits")
        gate = RZ_GATES[turns % 4]
        return () if gate is None else (f"{gate} {{0}}",)
    from qiskit.circuit.library import get_standard_gate_name_mapping

    gate_class = get_standard_gate_name_mapping().get(name)
    if gate_class is None:
        raise ValueError(f"{name} is not a gate stim can run here (Clifford gates only)")
    # Any other Clifford gate (ecr, ...): its tableau, compiled to stim's gate set.
    operation = type(gate_class)(*params) if params else gate_class
    tableau = clifford_tableau(operation.to_matrix())
    if tableau is None:
        raise ValueError(f"{name}{list(params)} is not a Clifford gate: stim cannot run it")
    lines = []
    for inst in tableau.to_circuit(method="elimination"):
        targets = " ".join(f"{{{t.value}}}" for t in inst.targets_copy())
        lines.append(f"{inst.name} {targets}")
    return tuple(lines)


def clifford_tableau(matrix: np.ndarray) -> stim.Tableau | None:
    """The stim tableau of a Clifford unitary (little-endian), None when it is not Clifford.

    ``stim.Tableau.from_unitary_matrix`` rounds a unitary near a Clifford to it without saying
    so; the tableau is kept only when its own unitary equals ``matrix`` up to a global phase.

    >>> from qiskit.circuit.library import RGate
    >>> clifford_tableau(RGate(0.3, 0.1).to_matrix()) is None
    True
    >>> clifford_tableau(RGate(np.pi / 2, 0.0).to_matrix()) is not None
    True
    """
    matrix = np.asarray(matrix, dtype=complex)
    try:
        tableau = stim.Tableau.from_unitary_matrix(matrix, endian="little")
    except ValueError:
        return None
    overlap = abs(np.trace(tableau.to_unitary_matrix(endian="little").conj().T @ matrix))
    return tableau if abs(overlap - matrix.shape[0]) < 1e-6 else None


def _is_clifford_1q(name: str, inst: Any) -> bool:
    try:
        _decomposition(name, tuple(float(p) for p in inst.params), 1)
    except (ValueError, TypeError):
        return False
    return True


class _Run:
    """One-qubit gates that are Clifford only together (a transpiler merges rotations into
    ``r(θ, φ)`` and ``rz(λ)`` of any angle, as for a device spec's ``rz``/``r`` basis).

    Their product runs as one Clifford gate, followed by their channels. Moving a channel past
    the later gates of the run is exact only for a depolarizing channel (it commutes with every
    unitary), which is what a spec's gates carry; any other channel is refused.
    """

    def __init__(self) -> None:
        self.matrix = np.eye(2, dtype=complex)
        self.channels: list[dict[str, float]] = []

    def add(self, operation: Any, channel: dict[str, float] | None) -> None:
        self.matrix = np.asarray(operation.to_matrix(), dtype=complex) @ self.matrix
        if channel:
            self.channels.append(channel)

    def tableau(self) -> stim.Tableau | None:
        return clifford_tableau(self.matrix)

    def is_clifford(self) -> bool:
        return self.tableau() is not None

    def lines(self, qubit: int, where: str) -> list[str]:
        tableau = self.tableau()
        if tableau is None:
            raise ValueError(
                f"one-qubit gates on qubit {qubit} of {where} are not a Clifford gate together: "
                "stim runs Clifford circuits"
            )
        out = [
            f"{inst.name} {qubit}"  # stim lists a gate repeated on one qubit as several targets
            for inst in tableau.to_circuit(method="elimination")
            for _ in inst.targets_copy()
            if inst.name != "I"
        ]
        for channel in self.channels[:-1]:
            px, py, pz = (channel.get(p, 0.0) for p in "XYZ")
            if max(px, py, pz) - min(px, py, pz) > 1e-12:
                raise ValueError(
                    f"a non-depolarizing channel inside a merged rotation on qubit {qubit} of "
                    f"{where}: it cannot move past a non-Clifford piece exactly"
                )
        out += [f"{_channel_line(ch)} {qubit}" for ch in self.channels]
        return out


def _channel_line(channel: dict[str, float]) -> str:
    args = ",".join(repr(p) for p in stim_channel_arguments(channel))
    return f"PAULI_CHANNEL_{len(next(iter(channel)))}({args})"


def to_stim(circuit: QuantumCircuit, *, channels: Channels | None = None) -> StimCircuit:
    """``circuit`` (Clifford, on its own qubits) as a stim circuit with Pauli noise.

    After each gate ``(name, qubits)`` that ``channels`` lists comes its Pauli channel, on the
    gate's qubits in the gate's order. Measurements become ``M``, resets ``R``; barriers and
    delays are dropped. A non-Clifford gate (``rz`` off a multiple of π/2, ``t``, ...) or a
    conditional raises ``ValueError``. Readout errors are not part of the circuit: pass them to
    :func:`sample_counts`.
    """
    index = {q: i for i, q in enumerate(circuit.qubits)}
    clbit_index = {c: i for i, c in enumerate(circuit.clbits)}
    channels = channels or {}
    channel_lines = {key: _channel_line(ch) for key, ch in channels.items() if ch}
    lines: list[str] = []
    record_clbits: list[int] = []
    record_qubits: list[int] = []
    runs: dict[int, _Run] = {}  # one-qubit runs that are Clifford only as a whole

    def flush(q: int) -> None:
        run = runs.pop(q, None)
        if run is not None:
            lines.extend(run.lines(q, circuit.name))

    for inst in circuit.data:
        name = inst.name
        if name in IGNORED:
            continue
        qubits = tuple(index[q] for q in inst.qubits)
        if len(qubits) == 1 and name not in ("measure", "reset") and not inst.clbits:
            q = qubits[0]
            run = runs.get(q)
            if run is None and _is_clifford_1q(name, inst):
                pass  # the common case below
            else:
                if run is None:
                    run = runs[q] = _Run()
                run.add(inst.operation, channels.get((name, qubits)))
                if run.is_clifford():
                    flush(q)
                continue
        for q in qubits:
            flush(q)
        if name == "measure":
            lines.append(f"M {qubits[0]}")
            record_qubits.append(qubits[0])
            record_clbits.append(clbit_index[inst.clbits[0]])
            continue
        if name == "reset":
            lines.append(f"R {qubits[0]}")
            continue
        if getattr(inst.operation, "condition", None) is not None or inst.clbits:
            raise ValueError(f"{name} on classical bits: stim runs unconditioned Clifford gates")
        params = tuple(float(p) for p in inst.params)
        for line in _decomposition(name, params, len(qubits)):
            lines.append(line.format(*qubits))
        noise = channel_lines.get((name, qubits))
        if noise is not None:
            lines.append(noise + " " + " ".join(map(str, qubits)))
    for q in list(runs):
        flush(q)
    return StimCircuit(
        circuit=stim.Circuit("\n".join(lines)),
        record_clbits=tuple(record_clbits),
        record_qubits=tuple(record_qubits),
        num_clbits=circuit.num_clbits,
    )


def sample_counts(
    program: StimCircuit,
    *,
    shots: int,
    seed: int,
    readout: dict[int, tuple[float, float]] | None = None,
) -> dict[int, int]:
    """``shots`` samples of ``program`` as ``{outcome: count}``, bit ``i`` of ``outcome`` = clbit i.

    ``readout`` maps a qubit to ``(p01, p10)``: each record of that qubit reads 1 for 0 with
    probability ``p01`` and 0 for 1 with probability ``p10``, drawn after stim's sample.
    ``seed`` fixes stim's sampler and the readout flips.
    """
    if shots < 1:
        raise ValueError(f"shots must be >= 1, got {shots}")
    stim_seq, flip_seq = np.random.SeedSequence(seed).spawn(2)
    stim_seed = int(stim_seq.generate_state(1, dtype=np.uint64)[0])
    records = program.circuit.compile_sampler(seed=stim_seed).sample(shots)
    if readout:
        flips = np.random.default_rng(flip_seq)
        draws = flips.random(records.shape)
        p01 = np.array([readout.get(q, (0.0, 0.0))[0] for q in program.record_qubits])
        p10 = np.array([readout.get(q, (0.0, 0.0))[1] for q in program.record_qubits])
        records = records ^ (draws < np.where(records, p10, p01))
    bits = np.zeros((shots, max(program.num_clbits, 1)), dtype=bool)
    for k, clbit in enumerate(program.record_clbits):
        bits[:, clbit] = records[:, k]
    packed = np.packbits(bits, axis=1, bitorder="little")
    rows, counts = np.unique(packed, axis=0, return_counts=True)
    return {
        int.from_bytes(row.tobytes(), "little"): int(count)
        for row, count in zip(rows, counts, strict=True)
    }


@functools.lru_cache(maxsize=16)
def _noise(
    key: TargetKey, qubits: tuple[int, ...]
) -> tuple[Channels, dict[int, tuple[float, float]]]:
    restricted = sub_target(key.target, qubits)
    return twirled_channels(restricted), readout_errors(restricted)


def twirled_noise(
    target: Target, qubits: Sequence[int]
) -> tuple[Channels, dict[int, tuple[float, float]]]:
    """Gate channels and readout errors of ``qubits`` of ``target``, renumbered 0..k-1.

    The same channels :func:`~quantumlimits.execution.stabilizer.twirled_noise_model` gives Aer.
    """
    return _noise(TargetKey(target), tuple(qubits))


def run_stim(
    circuits: Sequence[QuantumCircuit],
    *,
    target: Target | None,
    shots: int,
    seed: int,
    physical_qubits: Sequence[int] | None = None,
) -> NoisyRun:
    """Run Clifford ISA circuits on stim with the twirled device noise; counts as Aer's runners.

    Qubit conventions as :func:`quantumlimits.execution.aer.run_noisy`; ``target`` None runs
    them without noise on their own qubits. Circuit ``i`` draws from its own stream of ``seed``.
    """
    if target is None:
        local = list(circuits)
        physical: tuple[int, ...] = ()
        channels: Channels = {}
        readout: dict[int, tuple[float, float]] = {}
    else:
        local, physical = localize(circuits, physical_qubits)
        channels, readout = twirled_noise(target, physical)
    streams = np.random.SeedSequence(seed).spawn(len(local))
    counts = []
    for circuit, stream in zip(local, streams, strict=True):
        program = to_stim(circuit, channels=channels)
        circuit_seed = int(stream.generate_state(1, dtype=np.uint64)[0])
        counts.append(sample_counts(program, shots=shots, seed=circuit_seed, readout=readout))
    return NoisyRun(counts=counts, physical_qubits=physical, method="stim")
