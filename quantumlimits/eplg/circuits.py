"""Simultaneous direct randomized benchmarking circuits of one two-qubit layer of a chain.

The construction of qiskit-experiments' ``LayerFidelity`` (McKay et al., arXiv:2311.05933):
a circuit of length ``m`` repeats ``m`` times [a uniformly random one-qubit Clifford on every
qubit, a barrier, the layer's two-qubit gate on each of its pairs, a barrier], then ends with the
inverse of what each subsystem did (a two-qubit Clifford per pair, a one-qubit Clifford per
qubit the layer leaves alone), so every subsystem ideally returns to ``|0…0⟩``. The random
one-qubit Cliffords twirl the layer's errors into Pauli channels, as on hardware.

Circuits are built directly in the device's native gates (``rz`` by multiples of π/2, ``sx``,
``x`` and the device's two-qubit gate in a direction it has) on ``n`` local qubits, local qubit
``i`` being the chain's ``i``-th physical qubit; nothing is transpiled. Each one-qubit Clifford is
its shortest native sequence (fewest ``sx``/``x`` pulses); the inverse Clifford of each subsystem
is found with stim (the tableau of the whole noiseless body, restricted to the subsystem, then
inverted) and compiled to native gates: a CX-optimal synthesis (Bravyi and Maslov's, qiskit's
``synth_clifford_bm``: at most 3 CX, 1.5 on average for a random two-qubit Clifford) into
one-qubit Cliffords and CX, each CX rewritten around the native two-qubit gate, one-qubit runs
merged into single Cliffords.

>>> from quantumlimits.eplg.circuits import ONE_QUBIT_CLIFFORDS, rb_circuit
>>> len(ONE_QUBIT_CLIFFORDS), max(c.pulses for c in ONE_QUBIT_CLIFFORDS)
(24, 1)
>>> circuit = rb_circuit(num_qubits=3, pairs=((0, 1),), gate="cz", directions={(0, 1): (0, 1)},
...                      length=4, seed=7)
>>> circuit.num_qubits, circuit.count_ops()["cz"] >= 4
(3, True)
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import stim
from qiskit import QuantumCircuit
from qiskit.circuit import Barrier, CircuitInstruction, Gate, Measure
from qiskit.circuit.library import (
    ECRGate,
    RGate,
    RZGate,
    RZZGate,
    SXGate,
    XGate,
    get_standard_gate_name_mapping,
)

from quantumlimits.execution.stim import StimCircuit, stim_channel_arguments

#: One-qubit native gates, as (qiskit name, angle or None) -> stim line template.
_ONE_QUBIT_NATIVE = {
    ("rz", 1): "S {0}",
    ("rz", 2): "Z {0}",
    ("rz", 3): "S_DAG {0}",
    ("sx", 0): "SQRT_X {0}",
    ("x", 0): "X {0}",
}
_GATE_OBJECTS: dict[tuple[str, int], Gate] = {
    ("rz", 1): RZGate(math.pi / 2),
    ("rz", 2): RZGate(math.pi),
    ("rz", 3): RZGate(-math.pi / 2),
    ("sx", 0): SXGate(),
    ("x", 0): XGate(),
}
#: The same pulses on devices whose one-qubit gate is ``r(θ, φ)`` (trapped-ion specs):
#: ``r(π/2, 0)`` is ``sx`` and ``r(π, 0)`` is ``x`` up to a global phase.
_R_OBJECTS: dict[tuple[str, int], Gate] = {
    **_GATE_OBJECTS,
    ("sx", 0): RGate(math.pi / 2, 0.0),
    ("x", 0): RGate(math.pi, 0.0),
}
#: One-qubit gate sets: ``sx`` (rz, sx, x: IBM) or ``r`` (rz, r: device specs).
ONE_QUBIT_BASES = ("sx", "r")
#: Two-qubit native gates this module builds on (``rzz`` runs as ``rzz(π/2)``).
TWO_QUBIT_GATES = ("cz", "ecr", "cx", "rzz")


def one_qubit_objects(basis: str) -> dict[tuple[str, int], Gate]:
    """The Qiskit gate of each native one-qubit operation in ``basis``."""
    if basis not in ONE_QUBIT_BASES:
        raise ValueError(f"one-qubit basis must be one of {ONE_QUBIT_BASES}, got {basis!r}")
    return _GATE_OBJECTS if basis == "sx" else _R_OBJECTS


def channel_name(op: tuple[str, int], basis: str) -> str:
    """The target's name of a native one-qubit operation (whose channel applies)."""
    return "r" if basis == "r" and op[0] != "rz" else op[0]


def native_gate(gate: str) -> Gate:
    """The Qiskit gate object of a native two-qubit gate name."""
    if gate == "rzz":
        return RZZGate(math.pi / 2)
    if gate == "ecr":
        return ECRGate()
    return get_standard_gate_name_mapping()[gate]


@dataclass(frozen=True)
class OneQubitClifford:
    """A one-qubit Clifford as its shortest native sequence (``(name, quarter turns)`` pairs)."""

    ops: tuple[tuple[str, int], ...]
    tableau: str

    @property
    def pulses(self) -> int:
        """Physical pulses (``sx`` and ``x``; ``rz`` is virtual on IBM devices)."""
        return sum(1 for name, _ in self.ops if name != "rz")


def _tableau(ops: Sequence[tuple[str, int]]) -> stim.Tableau:
    text = "\n".join(_ONE_QUBIT_NATIVE[op].format(0) for op in ops)
    return stim.Circuit(text).to_tableau() if text else stim.Tableau(1)


def _enumerate_one_qubit() -> tuple[OneQubitClifford, ...]:
    """The 24 one-qubit Cliffords, each by its cheapest native sequence (fewest pulses, then
    fewest gates), in a fixed order."""
    best: dict[str, tuple[tuple[int, int], tuple[tuple[str, int], ...]]] = {}
    alphabet = list(_ONE_QUBIT_NATIVE)
    for size in range(0, 6):
        for ops in itertools.product(alphabet, repeat=size):
            if any(a[0] == b[0] == "rz" for a, b in itertools.pairwise(ops)):
                continue
            key = str(_tableau(ops))
            cost = (sum(1 for n, _ in ops if n != "rz"), len(ops))
            if key not in best or cost < best[key][0]:
                best[key] = (cost, tuple(ops))
        if len(best) == 24 and size >= 4:
            break
    ordered = sorted(best.items(), key=lambda kv: (kv[1][0], kv[1][1]))
    return tuple(OneQubitClifford(ops=ops, tableau=key) for key, (_, ops) in ordered)


#: The one-qubit Clifford group, index -> shortest native sequence.
ONE_QUBIT_CLIFFORDS = _enumerate_one_qubit()
_BY_TABLEAU = {c.tableau: c for c in ONE_QUBIT_CLIFFORDS}
#: Mean pulses of a uniformly random one-qubit Clifford.
MEAN_PULSES = float(np.mean([c.pulses for c in ONE_QUBIT_CLIFFORDS]))
_STIM_1Q = tuple("\n".join(_ONE_QUBIT_NATIVE[op] for op in c.ops) for c in ONE_QUBIT_CLIFFORDS)


def _two_qubit_stim(gate: str) -> tuple[str, ...]:
    """stim lines (targets ``{0}``, ``{1}``) of the native two-qubit gate."""
    if gate == "cz":
        return ("CZ {0} {1}",)
    if gate == "cx":
        return ("CX {0} {1}",)
    operation = native_gate(gate)
    tableau = stim.Tableau.from_unitary_matrix(operation.to_matrix(), endian="little")
    return tuple(
        f"{inst.name} " + " ".join(f"{{{t.value}}}" for t in inst.targets_copy())
        for inst in tableau.to_circuit(method="elimination")
    )


@functools.cache
def _native_tableau(gate: str, flipped: bool) -> stim.Tableau:
    """Tableau of the native gate on local (0, 1), or on (1, 0) when ``flipped``."""
    a, b = (1, 0) if flipped else (0, 1)
    return stim.Circuit("\n".join(line.format(a, b) for line in _two_qubit_stim(gate))).to_tableau()


def _split(tableau: stim.Tableau) -> tuple[stim.Tableau, stim.Tableau] | None:
    """A two-qubit tableau as two one-qubit tableaux, or None when it entangles."""
    parts = []
    for q in (0, 1):
        xs, zs = tableau.x_output(q), tableau.z_output(q)
        other = 1 - q
        if xs[other] or zs[other]:
            return None
        x1 = stim.PauliString([xs[q]])
        x1.sign = xs.sign
        z1 = stim.PauliString([zs[q]])
        z1.sign = zs.sign
        parts.append(stim.Tableau.from_conjugated_generators(xs=[x1], zs=[z1]))
    return parts[0], parts[1]


@functools.cache
def _cx_around_native(gate: str, flipped: bool) -> tuple[tuple[str, str], tuple[str, str]]:
    """One-qubit Cliffords ``(before_0, before_1), (after_0, after_1)`` (tableau keys) with
    CX(0→1) = after · native · before."""
    cx = stim.Circuit("CX 0 1").to_tableau()
    native = _native_tableau(gate, flipped)
    for c0, c1 in itertools.product(ONE_QUBIT_CLIFFORDS, repeat=2):
        before = stim.Tableau(2)
        before.append(_tableau(c0.ops), [0])
        before.append(_tableau(c1.ops), [1])
        # after = cx · (native · before)^-1 must act on each qubit alone
        after = before.then(native).inverse().then(cx)
        parts = _split(after)
        if parts is not None:
            return (c0.tableau, c1.tableau), (str(parts[0]), str(parts[1]))
    raise ValueError(f"{gate} is not locally equivalent to CX")


@functools.cache
def _one_qubit_tableau(name: str) -> stim.Tableau:
    """stim's tableau of a one-qubit Clifford gate Qiskit names ``name``."""
    matrix = get_standard_gate_name_mapping()[name].to_matrix()
    return stim.Tableau.from_unitary_matrix(matrix, endian="little")


def _cx_optimal(tableau: stim.Tableau) -> list[tuple[str, tuple[int, ...]]]:
    """A two-qubit Clifford as one-qubit Clifford gates and the fewest CX (Bravyi–Maslov,
    ``qiskit.synthesis.synth_clifford_bm``): ``(qiskit gate name, local qubits)`` in order.

    >>> ops = _cx_optimal(stim.Circuit("CX 0 1 1 0 0 1").to_tableau())  # a SWAP
    >>> sum(name == "cx" for name, _ in ops)
    3
    >>> sum(name == "cx" for name, _ in _cx_optimal(stim.Circuit("H 0 1").to_tableau()))
    0
    """
    from qiskit.quantum_info import Clifford
    from qiskit.synthesis import synth_clifford_bm

    given = QuantumCircuit(2)
    for inst in tableau.to_circuit(method="elimination"):
        targets = [t.value for t in inst.targets_copy()]
        if inst.name == "CX":
            for c, t in zip(targets[::2], targets[1::2], strict=True):
                given.cx(c, t)
        elif inst.name in ("H", "S"):
            for q in targets:
                given.h(q) if inst.name == "H" else given.s(q)
        else:
            raise ValueError(f"unexpected {inst.name} in stim's synthesis")
    synthesized = synth_clifford_bm(Clifford(given))
    return [
        (inst.operation.name, tuple(synthesized.find_bit(q).index for q in inst.qubits))
        for inst in synthesized.data
    ]


@functools.lru_cache(maxsize=20000)
def compile_two_qubit(tableau_text: str, gate: str, flipped: bool) -> tuple[tuple[str, int], ...]:
    """A two-qubit Clifford (stim tableau, as text) in native gates: ``(name, k)`` with
    ``k`` the local qubit for one-qubit gates and ``-1`` for the native two-qubit gate."""
    tableau = _parse_tableau(tableau_text)
    acc = [stim.Tableau(1), stim.Tableau(1)]
    ops: list[tuple[str, int]] = []

    def flush() -> None:
        for q in (0, 1):
            for op in _BY_TABLEAU[str(acc[q])].ops:
                ops.append((f"{op[0]}:{op[1]}", q))
            acc[q] = stim.Tableau(1)

    for name, targets in _cx_optimal(tableau):
        if name != "cx":
            (q,) = targets
            acc[q] = acc[q].then(_one_qubit_tableau(name))
            continue
        for c, t in zip(targets[::2], targets[1::2], strict=True):
            (b0, b1), (a0, a1) = _cx_around_native(gate, flipped ^ (c == 1))
            before = {c: b0, t: b1}
            after = {c: a0, t: a1}
            for q in (0, 1):
                acc[q] = acc[q].then(_parse_tableau(before[q]))
            flush()
            ops.append(("native", -1))
            for q in (0, 1):
                acc[q] = _parse_tableau(after[q])
    flush()
    return tuple(ops)


@functools.cache
def _parse_tableau(text: str) -> stim.Tableau:
    for candidate in _TABLEAUX_BY_TEXT.get(text, ()):
        return candidate
    raise KeyError(text)


_TABLEAUX_BY_TEXT: dict[str, tuple[stim.Tableau, ...]] = {}


def _remember(tableau: stim.Tableau) -> str:
    text = str(tableau)
    _TABLEAUX_BY_TEXT.setdefault(text, (tableau,))
    return text


for _c in ONE_QUBIT_CLIFFORDS:
    _remember(_tableau(_c.ops))


def _restrict(tableau: stim.Tableau, qubits: Sequence[int]) -> stim.Tableau:
    """The part of ``tableau`` on ``qubits`` (which it must not entangle with the rest)."""
    xs: list[stim.PauliString] = []
    zs: list[stim.PauliString] = []
    for q in qubits:
        for out, dest in ((tableau.x_output(q), xs), (tableau.z_output(q), zs)):
            part = stim.PauliString([out[k] for k in qubits])
            part.sign = out.sign
            dest.append(part)
    return stim.Tableau.from_conjugated_generators(xs=xs, zs=zs)


def rb_circuit(
    *,
    num_qubits: int,
    pairs: Sequence[tuple[int, int]],
    gate: str,
    directions: Mapping[tuple[int, int], tuple[int, int]],
    length: int,
    seed: int,
    barriers: bool = True,
    one_qubit_basis: str = "sx",
) -> QuantumCircuit:
    """One direct-RB circuit of the layer ``pairs`` (local qubits) at ``length``.

    ``directions[pair]`` is the pair's qubits in the order the native ``gate`` runs on them.
    Qubit ``i`` is measured into clbit ``i``. Random choices come from ``seed`` alone.
    """
    if gate not in TWO_QUBIT_GATES:
        raise ValueError(f"two-qubit gate must be one of {TWO_QUBIT_GATES}, got {gate!r}")
    rng = np.random.default_rng(seed)
    n = num_qubits
    paired = {q for p in pairs for q in p}
    singles = [q for q in range(n) if q not in paired]
    circuit = QuantumCircuit(n, n)
    qubits = circuit.qubits
    native = native_gate(gate)
    objects = one_qubit_objects(one_qubit_basis)
    barrier = CircuitInstruction(Barrier(n), tuple(qubits))
    two_lines = _two_qubit_stim(gate)
    stim_lines: list[str] = []
    draws = rng.integers(len(ONE_QUBIT_CLIFFORDS), size=(length, n))
    for step in range(length):
        for q in range(n):
            index = int(draws[step, q])
            for op in ONE_QUBIT_CLIFFORDS[index].ops:
                circuit._append(CircuitInstruction(objects[op], (qubits[q],)))
            stim_lines.append(_STIM_1Q[index].format(q))
        if barriers:
            circuit._append(barrier)
        for pair in pairs:
            a, b = directions[pair]
            circuit._append(CircuitInstruction(native, (qubits[a], qubits[b])))
            stim_lines.extend(line.format(a, b) for line in two_lines)
        if barriers:
            circuit._append(barrier)
    body = (
        stim.Circuit("\n".join(line for line in stim_lines if line)).to_tableau()
        if (stim_lines)
        else stim.Tableau(n)
    )
    if len(body) < n:
        body = body + stim.Tableau(n - len(body))
    for pair in pairs:
        a, b = directions[pair]
        inverse = _restrict(body, (a, b)).inverse()
        for label, k in compile_two_qubit(_remember(inverse), gate, False):
            if k < 0:
                circuit._append(CircuitInstruction(native, (qubits[a], qubits[b])))
            else:
                name, turns = label.split(":")
                circuit._append(
                    CircuitInstruction(objects[(name, int(turns))], (qubits[(a, b)[k]],))
                )
    for q in singles:
        inverse = _restrict(body, (q,)).inverse()
        for op in _BY_TABLEAU[str(inverse)].ops:
            circuit._append(CircuitInstruction(objects[op], (qubits[q],)))
    circuit._append(barrier)
    for q in range(n):
        circuit._append(CircuitInstruction(Measure(), (qubits[q],), (circuit.clbits[q],)))
    return circuit


def rb_program(
    *,
    num_qubits: int,
    pairs: Sequence[tuple[int, int]],
    gate: str,
    directions: Mapping[tuple[int, int], tuple[int, int]],
    length: int,
    seed: int,
    channels: Mapping[tuple[str, tuple[int, ...]], dict[str, float]],
    one_qubit_basis: str = "sx",
) -> StimCircuit:
    """The circuit :func:`rb_circuit` builds, written straight into stim with Pauli noise.

    The same random draws, gates and order as ``rb_circuit`` followed by
    :func:`~quantumlimits.execution.stim.to_stim` with ``channels`` (tested equal), without
    building the Qiskit circuit: each one-qubit Clifford on each qubit is one precomputed block of
    stim text (its gates and their channels), so a 100-qubit sequence is string joins and one
    parse. Its inverse comes from the noisy program itself (stim's tableau ignoring the noise).
    """
    if gate not in TWO_QUBIT_GATES:
        raise ValueError(f"two-qubit gate must be one of {TWO_QUBIT_GATES}, got {gate!r}")
    rng = np.random.default_rng(seed)
    n = num_qubits
    paired = {q for p in pairs for q in p}
    singles = [q for q in range(n) if q not in paired]
    basis = one_qubit_basis
    noise, blocks = _blocks(channels, n, basis)
    two_lines = _two_qubit_stim(gate)
    layer_text = "".join(_native_block(two_lines, directions[p], gate, noise) for p in pairs)
    draws = rng.integers(len(ONE_QUBIT_CLIFFORDS), size=(length, n))
    parts = []
    for step in range(length):
        row = draws[step]
        parts.append("".join(blocks[q][int(row[q])] for q in range(n)))
        parts.append(layer_text)
    body = stim.Circuit("".join(parts))
    tableau = body.to_tableau(ignore_noise=True, ignore_measurement=True, ignore_reset=True)
    if len(tableau) < n:
        tableau = tableau + stim.Tableau(n - len(tableau))
    tail = []
    for pair in pairs:
        a, b = directions[pair]
        inverse = _restrict(tableau, (a, b)).inverse()
        for label, k in compile_two_qubit(_remember(inverse), gate, False):
            if k < 0:
                tail.append(_native_block(two_lines, (a, b), gate, noise))
            else:
                name, turns = label.split(":")
                tail.append(_one_qubit_block(((name, int(turns)),), (a, b)[k], noise, basis))
    for q in singles:
        inverse = _restrict(tableau, (q,)).inverse()
        tail.append(blocks[q][_INDEX_BY_TABLEAU[str(inverse)]])
    tail.append("M " + " ".join(map(str, range(n))) + "\n")
    body += stim.Circuit("".join(tail))
    return StimCircuit(
        circuit=body,
        record_clbits=tuple(range(n)),
        record_qubits=tuple(range(n)),
        num_clbits=n,
    )


_INDEX_BY_TABLEAU = {c.tableau: i for i, c in enumerate(ONE_QUBIT_CLIFFORDS)}

#: The last channels' stim text: (channels object, qubits, basis, noise lines, blocks). Every
#: sequence of a run shares one channels object (twirled_noise caches it), so the 24 blocks per
#: qubit are written once, not once per sequence.
_LAST_BLOCKS: list[Any] = []


def _blocks(
    channels: Mapping[tuple[str, tuple[int, ...]], dict[str, float]], n: int, basis: str
) -> tuple[dict[tuple[str, tuple[int, ...]], str], list[list[str]]]:
    if _LAST_BLOCKS and _LAST_BLOCKS[0] is channels and _LAST_BLOCKS[1:3] == [n, basis]:
        return _LAST_BLOCKS[3], _LAST_BLOCKS[4]
    noise = {key: _noise_text(ch) for key, ch in channels.items() if ch}
    blocks = [
        [_one_qubit_block(c.ops, q, noise, basis) for c in ONE_QUBIT_CLIFFORDS] for q in range(n)
    ]
    _LAST_BLOCKS[:] = [channels, n, basis, noise, blocks]
    return noise, blocks


def _noise_text(channel: dict[str, float]) -> str:
    args = ",".join(repr(p) for p in stim_channel_arguments(channel))
    return f"PAULI_CHANNEL_{len(next(iter(channel)))}({args})"


def _one_qubit_block(
    ops: Sequence[tuple[str, int]],
    q: int,
    noise: Mapping[tuple[str, tuple[int, ...]], str],
    basis: str,
) -> str:
    lines = []
    for op in ops:
        lines.append(_ONE_QUBIT_NATIVE[op].format(q) + "\n")
        channel = noise.get((channel_name(op, basis), (q,)))
        if channel is not None:
            lines.append(f"{channel} {q}\n")
    return "".join(lines)


def _native_block(
    lines: Sequence[str],
    qubits: tuple[int, int],
    gate: str,
    noise: Mapping[tuple[str, tuple[int, ...]], str],
) -> str:
    a, b = qubits
    text = "".join(line.format(a, b) + "\n" for line in lines)
    channel = noise.get((gate, (a, b)))
    return text + (f"{channel} {a} {b}\n" if channel is not None else "")
