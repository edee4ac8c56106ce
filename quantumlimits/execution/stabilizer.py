"""Clifford circuits on Aer's stabilizer method, with a Pauli-twirled approximation of device noise.

The stabilizer method simulates Clifford circuits on hundreds of qubits in polynomial time, but
accepts only Pauli noise. :func:`twirled_noise_model` builds, for every gate of a device
snapshot, the Pauli twirl of the channel Aer's own device model (``NoiseModel.from_backend``)
attaches to it: thermal relaxation during the gate (from T1, T2 and the gate's duration) composed
with the depolarizing channel that brings the average gate infidelity to the calibrated gate
error. Readout errors stay what they are, classical bit flips.

What the approximation keeps and loses (docs/mirror.md): twirling keeps each gate's process
(and average gate) fidelity exactly, and so the calibrated gate error; it drops coherent errors
(none are in Aer's device model either) and the non-unital part of amplitude damping (decay
towards ``|0>``). For mirror circuits, whose Pauli frames randomize the ideal output, the twirl is
also what the frames do to the noise on hardware. Idle qubits get no noise, as in Aer's model.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Gate
from qiskit.transpiler import Target

from quantumlimits.execution.aer import NoisyRun, _simulator, localize, run_counts, sub_target
from quantumlimits.execution.backends import TargetKey

#: One-qubit Pauli labels; index = 2 * z + x would be symplectic, this order is Qiskit's names.
PAULIS_1Q = "IXYZ"


def _xz(code: int) -> tuple[int, int]:
    """(x, z) bits of the one-qubit Pauli ``PAULIS_1Q[code]``."""
    return (1 if code in (1, 2) else 0, 1 if code in (2, 3) else 0)


def _anticommute(p: tuple[int, ...], q: tuple[int, ...]) -> bool:
    total = 0
    for a, b in zip(p, q, strict=True):
        xa, za = _xz(a)
        xb, zb = _xz(b)
        total += xa * zb + za * xb
    return total % 2 == 1


def relaxation_eigenvalues(*, t1: float | None, t2: float | None, duration: float) -> np.ndarray:
    """Pauli eigenvalues ``(1, λx, λy, λz)`` of one qubit relaxing for ``duration`` seconds.

    ``λx = λy = exp(-t/T2)``, ``λz = exp(-t/T1)``; T2 is capped at 2·T1 and a missing time is
    infinite, as in Aer's device model.

    >>> relaxation_eigenvalues(t1=None, t2=None, duration=1e-7).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    t1 = math.inf if t1 is None else float(t1)
    t2 = 2 * t1 if t2 is None else min(float(t2), 2 * t1)
    lz = math.exp(-duration / t1) if duration and math.isfinite(t1) else 1.0
    lxy = math.exp(-duration / t2) if duration and math.isfinite(t2) else 1.0
    return np.array([1.0, lxy, lxy, lz])


def pauli_channel(
    *,
    error: float | None,
    duration: float | None,
    t1: Sequence[float | None],
    t2: Sequence[float | None],
) -> dict[str, float]:
    """The Pauli channel ``{label: probability}`` of one gate on ``len(t1)`` qubits.

    The Pauli twirl of Aer's device channel: relaxation on each qubit for ``duration``, then the
    depolarizing channel whose strength makes the average gate infidelity ``error`` (Aer's
    formula, capped the same way). Labels put the gate's first qubit rightmost (Qiskit's order).

    >>> channel = pauli_channel(error=0.003, duration=None, t1=[None], t2=[None])
    >>> round(channel["I"], 6), round(channel["X"], 6)
    (0.9955, 0.0015)
    """
    n = len(t1)
    if n != len(t2) or n < 1:
        raise ValueError("t1 and t2 need one entry per qubit of the gate")
    dim = 2**n
    per_qubit = [
        relaxation_eigenvalues(t1=a, t2=b, duration=float(duration or 0.0))
        for a, b in zip(t1, t2, strict=True)
    ]
    paulis = list(itertools.product(range(4), repeat=n))  # tuple index i = qubit i
    lam = np.array([math.prod(per_qubit[i][p[i]] for i in range(n)) for p in paulis])
    relax_fid = (dim * lam.sum() / dim**2 + 1) / (dim + 1)
    relax_infid = 1.0 - relax_fid
    if error is not None and error > relax_infid:
        err = min(float(error), dim / (dim + 1))
        depol = dim * (err - relax_infid) / (dim * relax_fid - 1)
        depol = min(depol, 4**n / (4**n - 1))
        lam = np.where(np.arange(lam.size) == 0, 1.0, (1.0 - depol) * lam)
    probabilities: dict[str, float] = {}
    for q in paulis:
        signs = np.array([-1.0 if _anticommute(p, q) else 1.0 for p in paulis])
        prob = float(np.dot(signs, lam)) / dim**2
        label = "".join(PAULIS_1Q[c] for c in reversed(q))
        probabilities[label] = max(prob, 0.0)
    total = sum(probabilities.values())
    return {k: v / total for k, v in probabilities.items()}


def process_fidelity(channel: dict[str, float]) -> float:
    """Process fidelity of a Pauli channel: the probability of its identity term."""
    n = len(next(iter(channel)))
    return float(channel.get("I" * n, 0.0))


def average_gate_error(channel: dict[str, float]) -> float:
    """Average gate infidelity ``1 - (d·F_pro + 1)/(d + 1)`` of a Pauli channel.

    >>> round(average_gate_error({"I": 0.9955, "X": 0.0015, "Y": 0.0015, "Z": 0.0015}), 6)
    0.003
    """
    n = len(next(iter(channel)))
    dim = 2**n
    return 1.0 - (dim * process_fidelity(channel) + 1) / (dim + 1)


def _readout_probabilities(props: Any) -> tuple[float, float] | None:
    if props is None:
        return None
    p01 = getattr(props, "prob_meas1_prep0", None)
    p10 = getattr(props, "prob_meas0_prep1", None)
    if p01 is None or p10 is None:
        if props.error is None:
            return None
        p01 = p10 = float(props.error)
    return float(p01), float(p10)


def twirled_channels(target: Target) -> dict[tuple[str, tuple[int, ...]], dict[str, float]]:
    """The Pauli channel of every calibrated gate of ``target``, by (name, qubits).

    Gates without error and duration (``rz``, virtual) have none; measurements and non-gate
    instructions are left out (readout is classical, see :func:`twirled_noise_model`).
    """
    props_list = target.qubit_properties
    channels: dict[tuple[str, tuple[int, ...]], dict[str, float]] = {}
    for name in target.operation_names:
        operation = target.operation_from_name(name)
        if isinstance(operation, type) or not isinstance(operation, Gate):
            continue
        for qargs, props in target[name].items():
            if qargs is None or props is None or not (props.error or props.duration):
                continue
            t1 = [props_list[q].t1 if props_list else None for q in qargs]
            t2 = [props_list[q].t2 if props_list else None for q in qargs]
            channel = pauli_channel(error=props.error, duration=props.duration, t1=t1, t2=t2)
            if process_fidelity(channel) < 1.0:
                channels[(name, tuple(qargs))] = channel
    return channels


def twirled_noise_model(target: Target, qubits: Sequence[int]) -> Any:
    """A stabilizer-compatible Aer ``NoiseModel`` for ``qubits`` of ``target`` (renumbered).

    Every gate error is a ``pauli_error`` (:func:`twirled_channels`); every readout error an Aer
    ``ReadoutError`` (a classical flip of the recorded bit). Cached per (target, qubits).
    """
    return _cached_model(TargetKey(target), tuple(qubits))


def readout_errors(target: Target) -> dict[int, tuple[float, float]]:
    """``{qubit: (p01, p10)}`` for every measured qubit of ``target`` with a readout error.

    ``p01`` is the probability of reading 1 after preparing 0, ``p10`` of reading 0 after 1;
    a snapshot with only a symmetric ``error`` gives both that value.
    """
    out: dict[int, tuple[float, float]] = {}
    if "measure" not in target.operation_names:
        return out
    for qargs, props in target["measure"].items():
        probabilities = _readout_probabilities(props)
        if qargs is None or probabilities is None or probabilities == (0.0, 0.0):
            continue
        out[int(qargs[0])] = probabilities
    return out


def pauli_noise_model(
    channels: dict[tuple[str, tuple[int, ...]], dict[str, float]],
    readout: dict[int, tuple[float, float]],
    *,
    basis_gates: Sequence[str],
) -> Any:
    """An Aer ``NoiseModel`` with a ``pauli_error`` after each gate in ``channels`` and a
    ``ReadoutError`` (a classical flip of the recorded bit) on each qubit in ``readout``."""
    from qiskit_aer.noise import NoiseModel, ReadoutError, pauli_error

    model = NoiseModel(basis_gates=list(basis_gates))
    for (name, qargs), channel in channels.items():
        terms = [(label, p) for label, p in channel.items() if p > 0.0]
        model.add_quantum_error(pauli_error(terms), name, list(qargs))
    for qubit, (p01, p10) in readout.items():
        model.add_readout_error(ReadoutError([[1 - p01, p01], [p10, 1 - p10]]), [qubit])
    return model


@functools.lru_cache(maxsize=16)
def _cached_model(key: TargetKey, qubits: tuple[int, ...]) -> Any:
    restricted = sub_target(key.target, qubits)
    return pauli_noise_model(
        twirled_channels(restricted),
        readout_errors(restricted),
        basis_gates=[n for n in restricted.operation_names if n != "measure"],
    )


#: How far from a multiple of pi/2 an rz angle may be and still count as Clifford.
ANGLE_TOLERANCE = 1e-9


def snap_clifford_angles(circuit: QuantumCircuit) -> QuantumCircuit:
    """A copy of ``circuit`` whose ``rz`` angles are exact multiples of pi/2.

    Transpiling Clifford circuits leaves angles a few ulps off (``1.5707963267948957``), which
    Aer's stabilizer method refuses; an angle farther than :data:`ANGLE_TOLERANCE` from a
    multiple of pi/2 is not Clifford and raises ``ValueError``.
    """
    from qiskit.circuit.library import RZGate

    out = circuit.copy()
    quarter = math.pi / 2
    for i, inst in enumerate(circuit.data):
        if inst.operation.name != "rz":
            continue
        angle = float(inst.operation.params[0])
        turns = round(angle / quarter)
        if abs(angle - turns * quarter) > ANGLE_TOLERANCE:
            raise ValueError(f"rz({angle}) in {circuit.name} is not a Clifford gate")
        out.data[i] = inst.replace(operation=RZGate((turns % 4) * quarter))
    return out


def run_stabilizer(
    circuits: Sequence[QuantumCircuit],
    *,
    target: Target | None,
    shots: int,
    seed: int,
    physical_qubits: Sequence[int] | None = None,
) -> NoisyRun:
    """Run Clifford ISA circuits on Aer's stabilizer method with twirled device noise.

    Qubit conventions as :func:`quantumlimits.execution.aer.run_noisy`. ``target`` None runs
    them without noise (the circuits then act on their own qubits).
    """
    circuits = [snap_clifford_angles(c) for c in circuits]
    if target is None:
        local = list(circuits)
        physical: tuple[int, ...] = ()
        noise = None
    else:
        local, physical = localize(circuits, physical_qubits)
        noise = twirled_noise_model(target, physical)
    sim = _simulator(method="stabilizer", noise_model=noise, seed_simulator=seed)
    counts = run_counts(sim, local, shots=shots, seed=seed, what="stabilizer")
    return NoisyRun(counts=counts, physical_qubits=physical, method="stabilizer")
