"""Mirror circuits built from quantum volume layers: one known output bitstring, no 2^n simulation.

A mirror circuit runs ``depth`` QV layers (a random pairing of the qubits, then a random two-qubit
block on every pair), a random Pauli on every qubit, then the layers' inverses in reverse order.
Every inverse block is compiled together with Pauli frames, as randomized compiling does: block
``B`` on qubits ``(a, b)`` becomes ``R · B† · F`` where ``F`` is the Pauli frame the pair carries
in (it cancels) and ``R`` a fresh random Pauli it carries out. The frames change which two-qubit
unitaries are run, not how many; they twirl coherent errors into stochastic ones and make the
ideal output a uniformly random bitstring (so decay towards ``|0...0>`` is not rewarded). The
frame left on each qubit at the end is tracked classically: the ideal output is ``|x>`` with
``x_q = 1`` where that frame is X or Y.

Variants:

* ``su4`` — the forward half is exactly the QV model circuit of the same ``(seed, width, depth,
  index)`` (Haar-random SU(4) blocks, :func:`quantumlimits.circuits.qv_circuit`).
* ``clifford`` — the same pairings with uniformly random two-qubit Cliffords
  (``qiskit.quantum_info.random_clifford(2)``): the whole circuit is Clifford, so stabilizer
  simulators (stim, Aer's stabilizer method) run it at any width in polynomial time.

Everything random derives from ``(seed, width, depth, index)`` alone.

>>> from quantumlimits.mirror.circuits import mirror_circuit
>>> m = mirror_circuit(width=3, seed=5, index=0, variant="clifford")
>>> m.circuit.num_qubits, m.depth, len(m.target_bits)
(3, 3, 3)
>>> mirror_circuit(width=3, seed=5, index=0, variant="clifford").target == m.target
True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import UnitaryGate
from qiskit.quantum_info import Clifford, Pauli, random_clifford

from quantumlimits.circuits import MIN_WIDTH, qv_circuit
from quantumlimits.seeding import rng

VARIANTS = ("su4", "clifford")

# Stream tags of the mirror-specific random choices, far from seeding.STREAM_* so that a new
# package-wide stream can never collide with them.
STREAM_MIRROR_FRAMES = 101
STREAM_MIRROR_CLIFFORD = 102

_PAULI_LABELS = "IXYZ"


@dataclass(frozen=True)
class MirrorCircuit:
    """A mirror circuit (without measurements) and the bitstring it ideally returns.

    ``target`` is the integer whose bit ``q`` is the ideal outcome of qubit ``q`` (the order of
    Qiskit's counts keys); ``target_bits`` is the same as a string, qubit 0 rightmost.
    """

    circuit: QuantumCircuit
    target: int
    width: int
    depth: int
    seed: int
    index: int
    variant: str

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {self.variant!r}")
        if self.circuit.num_qubits != self.width:
            raise ValueError(f"circuit has {self.circuit.num_qubits} qubits, width {self.width}")
        if not 0 <= self.target < (1 << self.width):
            raise ValueError(f"target {self.target} does not fit in {self.width} bits")

    @property
    def target_bits(self) -> str:
        """The target as a bitstring, qubit 0 rightmost (Qiskit's order)."""
        return format(self.target, f"0{self.width}b")


def qv_pairs(*, width: int, depth: int, seed: int, index: int) -> list[list[tuple[int, int]]]:
    """The qubit pairs of each layer of the QV model circuit ``(seed, width, depth, index)``.

    >>> [len(layer) for layer in qv_pairs(width=5, depth=2, seed=1, index=0)]
    [2, 2]
    """
    circuit = qv_circuit(width=width, depth=depth, seed=seed, index=index)
    per_layer = width // 2
    flat = [
        (circuit.find_bit(i.qubits[0]).index, circuit.find_bit(i.qubits[1]).index)
        for i in circuit.data
    ]
    return [flat[k * per_layer : (k + 1) * per_layer] for k in range(depth)]


def _pauli_label(codes: tuple[int, int]) -> str:
    # Pauli labels put qubit 0 rightmost: qargs[0] of a block is the last character.
    return _PAULI_LABELS[codes[1]] + _PAULI_LABELS[codes[0]]


@functools.cache
def _pauli_clifford(label: str) -> Clifford:
    return Clifford(Pauli(label).to_instruction())


def _append_circuit(out: QuantumCircuit, block: QuantumCircuit, qubits: tuple[int, int]) -> None:
    # Plain appends: QuantumCircuit.compose costs about ten times more per small block.
    for inst in block.data:
        out.append(
            inst.operation, [qubits[block.find_bit(q).index] for q in inst.qubits], copy=False
        )


def mirror_circuit(
    *, width: int, seed: int, index: int, depth: int | None = None, variant: str = "su4"
) -> MirrorCircuit:
    """The mirror circuit ``index`` of ``(seed, width, depth)`` and its ideal output.

    ``depth`` (default ``width``) counts the forward QV layers; the circuit has twice as many.
    """
    depth = width if depth is None else depth
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    if width < MIN_WIDTH:
        raise ValueError(f"mirror circuits need width >= {MIN_WIDTH}, got {width}")
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    if index < 0:
        raise ValueError(f"circuit index must be >= 0, got {index}")

    out = QuantumCircuit(width, name=f"mirror_{variant}_w{width}_d{depth}_s{seed}_i{index}")
    frames_rng = rng(seed, STREAM_MIRROR_FRAMES, width, depth, index)
    su4_blocks: list[tuple[tuple[int, int], np.ndarray]] = []
    clifford_blocks: list[tuple[tuple[int, int], Clifford]] = []
    if variant == "su4":
        forward = qv_circuit(width=width, depth=depth, seed=seed, index=index)
        for inst in forward.data:
            a, b = (forward.find_bit(q).index for q in inst.qubits)
            qubits = (a, b)
            out.append(inst.operation, list(qubits), copy=False)
            su4_blocks.append((qubits, np.asarray(inst.operation.to_matrix())))
    else:
        clifford_rng = rng(seed, STREAM_MIRROR_CLIFFORD, width, depth, index)
        for layer in qv_pairs(width=width, depth=depth, seed=seed, index=index):
            for pair in layer:
                block = random_clifford(2, seed=clifford_rng)
                _append_circuit(out, block.to_circuit(), pair)
                clifford_blocks.append((pair, block))

    # The barrier keeps the transpiler from cancelling the forward half against its inverse.
    out.barrier()
    frame = frames_rng.integers(0, 4, size=width)
    for q, code in enumerate(frame):
        if code:
            getattr(out, _PAULI_LABELS[code].lower())(q)

    if variant == "su4":
        for (a, b), matrix in reversed(su4_blocks):
            fresh = frames_rng.integers(0, 4, size=2)
            incoming = Pauli(_pauli_label((frame[a], frame[b]))).to_matrix()
            outgoing = Pauli(_pauli_label((fresh[0], fresh[1]))).to_matrix()
            compiled = outgoing @ matrix.conj().T @ incoming
            out.append(UnitaryGate(compiled, check_input=False), [a, b])
            frame[a], frame[b] = fresh
    else:
        for (a, b), block in reversed(clifford_blocks):
            fresh = frames_rng.integers(0, 4, size=2)
            incoming = _pauli_clifford(_pauli_label((frame[a], frame[b])))
            outgoing = _pauli_clifford(_pauli_label((fresh[0], fresh[1])))
            compiled = incoming.compose(block.adjoint()).compose(outgoing)
            _append_circuit(out, compiled.to_circuit(), (a, b))
            frame[a], frame[b] = fresh

    # X and Y flip a computational basis state; I and Z leave it (up to a phase).
    target = sum(1 << q for q, code in enumerate(frame) if code in (1, 2))
    out.metadata = {
        "width": width,
        "depth": depth,
        "seed": seed,
        "index": index,
        "variant": variant,
        "target": format(target, f"0{width}b"),
    }
    return MirrorCircuit(
        circuit=out,
        target=target,
        width=width,
        depth=depth,
        seed=seed,
        index=index,
        variant=variant,
    )


def mirror_circuits(
    *,
    width: int,
    seed: int,
    count: int,
    depth: int | None = None,
    variant: str = "su4",
    start: int = 0,
) -> list[MirrorCircuit]:
    """Mirror circuits ``start .. start + count - 1`` of one width, depth and variant."""
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    return [
        mirror_circuit(width=width, depth=depth, seed=seed, index=i, variant=variant)
        for i in range(start, start + count)
    ]
