"""Noisy output distributions of wide ISA circuits by Monte-Carlo Pauli trajectories on qulacs.

The exact density matrix (:mod:`quantumlimits.execution.density`) holds ``4**n`` entries and
stops near 10 qubits; Aer's statevector method with noise pays one simulation per shot. This
engine estimates a circuit's noisy output distribution, and the probability of a tracked set of
outcomes (a heavy set), from a few dozen statevector runs:

* **Noise.** Every error after an instruction (Aer's ``NoiseModel.from_backend`` errors:
  depolarizing and thermal relaxation) is replaced by its Pauli twirl: the Pauli channel with
  ``p_P = Σ_K |Tr(P K)|² / d²`` (docs/method.md says what that changes). Readout errors are
  applied exactly to the distribution, never sampled.
* **Fusion.** Instructions are fused into blocks on at most two qubits, as the density engine
  does; a Pauli drawn at a location is folded into its block's 4x4 matrix, so a trajectory costs
  the same number of qulacs updates as the ideal circuit, whatever its errors.
* **Variance reduction.** With ``P0`` the probability that no error occurs, the distribution is
  ``P0 · p_ideal + (1 - P0) · E[p | at least one error]``: the first term is exact (one ideal
  run), and only patterns with at least one error are sampled, stratified by where the first
  error falls (equal-probability strata of the first-error location). Trajectories are run in
  order of their first error, each starting from a copy of the ideal state just before it, so
  the ideal prefix is simulated once per round.
* **Stopping rule.** With a tracked outcome set (``tracked``), trajectories are added (Neyman
  allocation over the strata, weighted by their cost) until the Monte-Carlo variance of its
  probability is at most :data:`VARIANCE_RATIO` times the binomial shot variance
  ``h (1 - h) / shots``: the recorded estimate's variance then exceeds the shot noise's by at most
  21 %, its standard error by at most 10 %. The variance is recorded, and the QV bounds add it.
* **Shots** are drawn from the sampled mixture (readout applied), so counts are real counts.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.transpiler import Target

from quantumlimits.execution.density import (
    DeviceChannels,
    Unsupported,
    _superop,
    error_kraus,
    sample,
)

#: Monte-Carlo variance allowed per circuit, as a fraction of the binomial shot variance.
VARIANCE_RATIO = 0.21
#: Strata of the first-error location (when the error-free part is split off).
STRATA = 4
#: Trajectories per stratum of a batch's first circuit, and of any circuit at least.
FIRST_PER_STRATUM = 3
MIN_PER_STRATUM = 2
#: Without strata, once this many circuits of a batch have their own variances, a circuit whose
#: allocation is one trajectory takes one and records the pooled variance of those before it;
#: every POOL_EVERY-th circuit still takes two, so the pool keeps learning.
POOL_AFTER = 4
POOL_EVERY = 4
#: Below this probability of no error at all, patterns are sampled whole, without strata.
SPLIT_ERROR_FREE = 0.02
#: Most trajectories one circuit may take; a circuit that reaches it records its larger variance.
MAX_TRAJECTORIES = 2000
#: Trajectories per circuit when no outcome set is tracked (no variance to aim at).
UNTRACKED_TRAJECTORIES = 32

_PAULI_1Q = np.array(
    [
        [[1, 0], [0, 1]],
        [[0, 1], [1, 0]],
        [[0, -1j], [1j, 0]],
        [[1, 0], [0, -1]],
    ],
    dtype=complex,
)


@functools.cache
def pauli_matrices(k: int) -> np.ndarray:
    """The ``4**k`` Paulis on ``k`` qubits: index ``Σ 4**q · p_q`` (p: I, X, Y, Z) for qubit
    ``q``, Qiskit's order (qubit 0 the least significant bit of the matrix index).

    >>> pauli_matrices(2).shape
    (16, 4, 4)
    """
    out = _PAULI_1Q
    for _ in range(k - 1):
        # the new qubit is the most significant: index = 4 * p_high + p_low
        out = np.einsum("aij,bkl->abikjl", _PAULI_1Q, out).reshape(
            len(out) * 4, out.shape[1] * 2, out.shape[2] * 2
        )
    return out


def pauli_twirl(kraus: Sequence[np.ndarray]) -> np.ndarray:
    """Probabilities of the Pauli twirl of the channel with Kraus operators ``kraus``.

    Entry ``i`` is ``Σ_K |Tr(P_i† K)|² / d²`` for :func:`pauli_matrices`' ``P_i``.

    >>> p = 0.1
    >>> k = [np.sqrt(1 - p) * np.eye(2), np.sqrt(p) * _PAULI_1Q[1]]
    >>> np.round(pauli_twirl(k), 12).tolist()
    [0.9, 0.1, 0.0, 0.0]
    """
    stack = np.asarray(kraus, dtype=complex)
    d = stack.shape[1]
    paulis = pauli_matrices(d.bit_length() - 1)
    traces = np.einsum("pji,kji->pk", paulis.conj(), stack)
    probabilities = (np.abs(traces) ** 2).sum(axis=1) / d**2
    return np.asarray(np.clip(probabilities, 0.0, None), dtype=float)


@dataclass
class PauliNoise:
    """A device's noise with every gate error replaced by its Pauli twirl.

    ``errors[(name, qubits)]`` holds the probabilities of the ``4**k`` Paulis after instruction
    ``name`` on local ``qubits`` (:func:`pauli_matrices` order); ``readout[q]`` is qubit ``q``'s
    assignment matrix ``P(recorded j | prepared i)``.
    """

    errors: dict[tuple[str, tuple[int, ...]], np.ndarray]
    readout: dict[int, np.ndarray]
    num_qubits: int

    @classmethod
    def from_target(cls, target: Target, *, readout_error: bool = True) -> PauliNoise:
        """The twirl of Aer's device noise (``NoiseModel.from_backend``) on ``target``'s qubits."""
        from qiskit_aer.noise.device import basic_device_gate_errors, basic_device_readout_errors

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gate_errors = basic_device_gate_errors(target=target)
            readout_errors = basic_device_readout_errors(target=target) if readout_error else []
        errors = {}
        for name, q, error in gate_errors:
            if error.num_qubits > 2:
                raise Unsupported(f"a {error.num_qubits}-qubit error on {name}")
            errors[(name, tuple(q))] = pauli_twirl(error_kraus(error))
        readout = {
            int(q[0]): np.asarray(error.probabilities, dtype=float) for q, error in readout_errors
        }
        return cls(errors=errors, readout=readout, num_qubits=target.num_qubits)

    def aer_noise_model(self) -> Any:
        """The same Pauli noise as an Aer ``NoiseModel`` (gate errors only; readout is applied
        to distributions exactly, as here): what Aer's own trajectory method (the statevector
        method with noise, one trajectory per shot) is compared against. Errors after
        ``measure`` are left out, as they change no outcome."""
        from qiskit_aer.noise import NoiseModel, pauli_error

        model = NoiseModel()
        for (name, qubits), probabilities in self.errors.items():
            if name in ("measure", "reset"):
                continue
            k = len(qubits)
            terms = []
            for index, p in enumerate(probabilities):
                if p <= 0.0:
                    continue
                # Qiskit labels are big-endian: qubit 0 is the rightmost letter
                letters = ["IXYZ"[(index >> (2 * q)) & 3] for q in range(k)]
                terms.append(("".join(reversed(letters)), float(p)))
            model.add_quantum_error(pauli_error(terms), name, list(qubits))
        return model

    def channels(self) -> DeviceChannels:
        """The same Pauli noise as channel matrices for the exact density engine (the
        reference the trajectories are tested against)."""
        errors = {}
        for key, probabilities in self.errors.items():
            paulis = pauli_matrices(len(key[1]))
            errors[key] = _superop(np.sqrt(probabilities)[:, None, None] * paulis)
        return DeviceChannels(errors=errors, readout=dict(self.readout), num_qubits=self.num_qubits)


# -- a circuit as fused blocks with error locations ------------------------------------------


@dataclass
class _Step:
    """A unitary (``matrix`` on ``qubits``) or an error location (``location`` on ``qubits``)."""

    qubits: tuple[int, ...]
    matrix: np.ndarray | None = None
    location: int = -1


@dataclass
class _Block:
    """Instructions fused on ``qubits`` (qulacs targets: the first is the low bit)."""

    qubits: tuple[int, ...]
    steps: list[_Step] = field(default_factory=list)


def _placement(qubits: tuple[int, ...], block: tuple[int, ...]) -> str:
    """How a matrix on ``qubits`` sits in ``block``: same, swapped pair, low or high qubit."""
    if qubits == block or len(block) == 1:
        return "same"
    if len(qubits) == 2:
        return "swap"
    return "low" if qubits[0] == block[0] else "high"


_SWAP4 = np.eye(4, dtype=complex)[[0, 2, 1, 3]]


def _lift(matrix: np.ndarray, placement: str) -> np.ndarray:
    """A matrix (or a stack of them) as a matrix on its block's qubits (:func:`_placement`)."""
    if placement == "same":
        return matrix
    if placement == "swap":
        return _SWAP4 @ matrix @ _SWAP4
    # kron(I, m) puts m on the low qubit, kron(m, I) on the high one
    stack = matrix.reshape((-1, 2, 2))
    out = np.zeros((stack.shape[0], 2, 2, 2, 2), dtype=complex)
    for i in range(2):
        if placement == "low":
            out[:, i, :, i, :] = stack
        else:
            out[:, :, i, :, i] = stack
    return out.reshape((*matrix.shape[:-2], 4, 4))


@functools.lru_cache(maxsize=16)
def _lifted_paulis(k: int, placement: str) -> np.ndarray:
    """The non-identity Paulis on ``k`` qubits lifted to a block (:func:`_placement`)."""
    return _lift(pauli_matrices(k)[1:], placement)


@dataclass
class Compiled:
    """A circuit as blocks for trajectories: the ideal block matrices, the error locations in
    the order they act, and where each outcome bit comes from."""

    num_qubits: int
    blocks: list[tuple[tuple[int, ...], np.ndarray]]
    #: per location: its block, its error rate, its Paulis lifted to the block and their
    #: probabilities given an error, and the steps of its block
    location_block: np.ndarray
    rates: np.ndarray
    paulis: list[np.ndarray]
    conditional: list[np.ndarray]
    block_steps: list[list[_Step]]
    #: clbit -> qubit of its final measurement
    measured: list[int]

    @property
    def error_free(self) -> float:
        """The probability that no error occurs."""
        return float(np.exp(np.log1p(-self.rates).sum()))

    def block_matrix(self, b: int, errors: dict[int, int]) -> np.ndarray:
        """Block ``b``'s matrix with Pauli ``errors[location]`` inserted at its locations."""
        qubits = self.blocks[b][0]
        d = 2 ** len(qubits)
        out = np.eye(d, dtype=complex)
        for step in self.block_steps[b]:
            if step.matrix is not None:
                out = step.matrix @ out
            elif step.location in errors:
                out = self.paulis[step.location][errors[step.location]] @ out
        return out


def _matrix(operation: Any) -> np.ndarray:
    """An instruction's unitary; parameterless gates' and ``rz``'s without building a gate
    matrix through Qiskit each time (a width-20 ISA circuit has about 12,000 of them)."""
    name = operation.name
    if name == "rz":
        try:
            half = 0.5 * float(operation.params[0])
        except TypeError:
            raise Unsupported("a parameterized rz") from None
        return np.diag([np.exp(-1j * half), np.exp(1j * half)])
    if operation.params or name not in _STANDARD:
        return np.asarray(operation.to_matrix(), dtype=complex)
    return _fixed_matrix(name, operation)


def _fixed_matrix(name: str, operation: Any) -> np.ndarray:
    found = _FIXED.get(name)
    if found is None:
        found = _FIXED[name] = np.asarray(operation.to_matrix(), dtype=complex)
    return found


_FIXED: dict[str, np.ndarray] = {}
#: Standard parameterless gates, whose matrix the name alone fixes.
_STANDARD = frozenset(
    {"id", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg", "cx", "cz", "ecr", "swap"}
)


def compile_circuit(circuit: QuantumCircuit, noise: PauliNoise) -> Compiled:
    """Fuse ``circuit``'s instructions into blocks of at most two qubits, with an error location
    after every instruction that has an error. Raises :class:`Unsupported` for what is not a
    unitary gate on at most two qubits followed by final measurements."""
    n = circuit.num_qubits
    index = {bit: i for i, bit in enumerate(circuit.qubits)}
    clbit_index = {bit: i for i, bit in enumerate(circuit.clbits)}
    pending: list[list[_Step]] = [[] for _ in range(n)]
    open_block: list[_Block | None] = [None] * n
    emitted: list[_Block] = []
    rates: list[float] = []
    probs: list[np.ndarray] = []
    sizes: list[int] = []
    measured: dict[int, int] = {}

    def flush(block: _Block) -> None:
        for q in block.qubits:
            open_block[q] = None
        emitted.append(block)

    def add(step: _Step) -> None:
        q0 = step.qubits[0]
        if len(step.qubits) == 1:
            block = open_block[q0]
            (block.steps if block is not None else pending[q0]).append(step)
            return
        a, b = step.qubits
        block = open_block[a]
        if block is None or set(block.qubits) != {a, b}:
            for q in (a, b):
                if open_block[q] is not None:
                    flush(open_block[q])  # type: ignore[arg-type]
            block = _Block((a, b), pending[a] + pending[b])
            pending[a], pending[b] = [], []
            open_block[a] = open_block[b] = block
        block.steps.append(step)

    for inst in circuit.data:
        name = inst.name
        if name == "barrier":
            continue
        qubits = tuple(index[q] for q in inst.qubits)
        if any(q in measured for q in qubits):
            raise Unsupported(f"{name} after a measurement in {circuit.name}")
        if name == "measure":
            clbit = clbit_index[inst.clbits[0]]
            if clbit in measured.values():
                raise Unsupported(f"clbit {clbit} written twice in {circuit.name}")
            measured[qubits[0]] = clbit
        else:
            if (
                name == "delay"
                or inst.clbits
                or inst.is_control_flow()
                or inst.is_parameterized()
                or len(qubits) > 2
                or not hasattr(inst.operation, "to_matrix")
            ):
                raise Unsupported(f"{name} in {circuit.name}")
            add(_Step(qubits, matrix=_matrix(inst.operation)))
        p = noise.errors.get((name, qubits))
        if p is not None and p[0] < 1.0:
            add(_Step(qubits, location=len(rates)))
            rates.append(1.0 - float(p[0]))
            probs.append(p[1:] / p[1:].sum())
            sizes.append(len(qubits))
    for q in range(n):
        if open_block[q] is not None:
            flush(open_block[q])  # type: ignore[arg-type]
    for q in range(n):
        if pending[q]:
            emitted.append(_Block((q,), pending[q]))
    if len(measured) != circuit.num_clbits:
        raise Unsupported(f"{circuit.name} leaves clbits unmeasured")

    # renumber the locations in the order they act; lift every step to its block
    order: list[int] = []
    location_block: list[int] = []
    blocks: list[tuple[tuple[int, ...], np.ndarray]] = []
    block_steps: list[list[_Step]] = []
    lifted: dict[int, np.ndarray] = {}
    for b, block in enumerate(emitted):
        d = 2 ** len(block.qubits)
        ideal = np.eye(d, dtype=complex)
        steps = []
        for step in block.steps:
            placement = _placement(step.qubits, block.qubits)
            if step.matrix is not None:
                m = _lift(step.matrix, placement)
                ideal = m @ ideal
                steps.append(_Step(block.qubits, matrix=m))
            else:
                old = step.location
                new = len(order)
                order.append(old)
                location_block.append(b)
                lifted[new] = _lifted_paulis(sizes[old], placement)
                steps.append(_Step(block.qubits, location=new))
        blocks.append((block.qubits, ideal))
        block_steps.append(steps)
    return Compiled(
        num_qubits=n,
        blocks=blocks,
        location_block=np.asarray(location_block, dtype=np.int64),
        rates=np.asarray([rates[o] for o in order], dtype=float),
        paulis=[lifted[i] for i in range(len(order))],
        conditional=[probs[o] for o in order],
        block_steps=block_steps,
        measured=[q for q, _ in sorted(measured.items(), key=lambda qc: qc[1])],
    )


# -- outcome spaces ------------------------------------------------------------------------


def _outcome_of_index(compiled: Compiled) -> np.ndarray:
    """For every basis state of the qubits, the integer outcome its clbits record."""
    n = compiled.num_qubits
    x = np.arange(1 << n, dtype=np.int64)
    y = np.zeros(1 << n, dtype=np.int64)
    for c, q in enumerate(compiled.measured):
        y |= ((x >> q) & 1) << c
    return y


def _apply_readout(
    vector: np.ndarray, compiled: Compiled, readout: dict[int, np.ndarray], *, forward: bool
) -> np.ndarray:
    """A distribution on outcomes pushed through the readout (``forward``), or an outcome
    weight pulled back through it (``forward=False``: ``w(i) = Σ_j A[i, j] v(j)``)."""
    k = len(compiled.measured)
    t = vector.reshape((2,) * k) if k else vector
    for c, q in enumerate(compiled.measured):
        a = readout.get(q)
        if a is None:
            continue
        axis = k - 1 - c
        matrix = a.T if forward else a
        t = np.moveaxis(np.tensordot(matrix, t, axes=([1], [axis])), 0, axis)
    return np.ascontiguousarray(t).reshape(-1)


# -- the engine ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrajectoryEstimate:
    """One circuit's result: its counts, the tracked outcome set's probability estimate and
    Monte-Carlo variance (None without one), and how many trajectories it took."""

    counts: dict[int, int]
    probability: float | None
    variance: float | None
    trajectories: int
    error_free: float
    strata: int = 1


def _probabilities(state: Any) -> np.ndarray:
    amplitudes = state.get_vector()
    parts = amplitudes.view(np.float64)
    np.square(parts, out=parts)
    return np.add(parts[0::2], parts[1::2])


class _Runner:
    """Trajectories of one compiled circuit, run from copies of its ideal prefix states."""

    def __init__(self, compiled: Compiled, weight: np.ndarray | None) -> None:
        from qulacs.gate import DenseMatrix

        self.c = compiled
        self.weight = weight
        self.dense = DenseMatrix
        self.ideal_gates = [DenseMatrix(list(q), m) for q, m in compiled.blocks]
        self.block_cost = np.array([4.0 ** len(q) for q, _ in compiled.blocks])
        tail = np.cumsum(self.block_cost[::-1])[::-1]
        self.suffix_cost = np.append(tail, 0.0)

    def run(
        self,
        patterns: list[tuple[int, dict[int, int]]],
        sums: np.ndarray | None,
        *,
        ideal: bool = False,
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Run ``(stratum, errors)`` patterns in order of their first error, each from a copy of
        the ideal state before it: the tracked probability of each (when weighted), the ideal
        distribution (with ``ideal``: the prefix walk is carried to the end) and per-stratum
        sums of distributions (added into ``sums``)."""
        import qulacs

        c = self.c
        end = len(c.blocks)
        first_block = [int(c.location_block[min(e)]) if e else end for _, e in patterns]
        order = sorted(range(len(patterns)), key=lambda i: first_block[i])
        values = np.zeros(len(patterns))
        state = qulacs.QuantumState(c.num_qubits)
        at = 0
        for i in order:
            stratum, errors = patterns[i]
            while at < first_block[i]:
                self.ideal_gates[at].update_quantum_state(state)
                at += 1
            # an error-free pattern is the walk itself (nothing is applied to it)
            branch = state if at == end else state.copy()
            blocks_hit = {int(c.location_block[loc]) for loc in errors}
            for b in range(at, end):
                if b in blocks_hit:
                    gate = self.dense(list(c.blocks[b][0]), c.block_matrix(b, errors))
                    gate.update_quantum_state(branch)
                else:
                    self.ideal_gates[b].update_quantum_state(branch)
            p = _probabilities(branch)
            del branch
            if self.weight is not None:
                values[i] = float(p @ self.weight)
            if sums is not None:
                sums[stratum] += p
        out = None
        if ideal:
            while at < end:
                self.ideal_gates[at].update_quantum_state(state)
                at += 1
            out = _probabilities(state)
        return values, out, sums


def _sample_patterns(
    compiled: Compiled,
    cumulative: np.ndarray,
    stratum_edges: np.ndarray,
    counts: Sequence[int],
    rng: np.random.Generator,
) -> list[tuple[int, dict[int, int]]]:
    """``counts[s]`` error patterns whose first error falls in stratum ``s``."""
    rates = compiled.rates
    out = []
    for s, count in enumerate(counts):
        lo, hi = stratum_edges[s], stratum_edges[s + 1]
        for _ in range(count):
            u = lo + (hi - lo) * rng.random()
            first = min(int(np.searchsorted(cumulative, u, side="right")), rates.size - 1)
            errors = {
                first: int(
                    rng.choice(len(compiled.conditional[first]), p=compiled.conditional[first])
                )
            }
            later = np.nonzero(rng.random(rates.size - first - 1) < rates[first + 1 :])[0]
            for loc in (later + first + 1).tolist():
                cond = compiled.conditional[loc]
                errors[loc] = int(rng.choice(len(cond), p=cond))
            out.append((s, errors))
    return out


class Allocator:
    """How many trajectories each stratum of the next circuit gets.

    A circuit's own allocation never depends on its own trajectories: it comes from the
    per-stratum variances of the circuits before it in the batch (circuits of one width are
    alike), so each circuit's sample variance is an unbiased estimate of its Monte-Carlo
    variance. The first circuit of a batch takes :data:`FIRST_PER_STRATUM` per stratum. Every
    stratum gets at least :data:`MIN_PER_STRATUM` (a variance needs two draws; but see
    :data:`POOL_AFTER`); the allocation
    is Neyman's weighted by cost (``n_s ∝ m_s σ_s / sqrt(c_s)``) and sized so that the variance
    meets :data:`VARIANCE_RATIO` times the shot variance at the batch's mean HOP so far.
    """

    def __init__(
        self,
        *,
        shots: int,
        variance_ratio: float = VARIANCE_RATIO,
        max_trajectories: int = MAX_TRAJECTORIES,
    ) -> None:
        self.shots = shots
        self.variance_ratio = variance_ratio
        self.max_trajectories = max_trajectories
        self.variances: dict[int, list[np.ndarray]] = {}
        self.values: list[float] = []

    def counts(self, masses: np.ndarray, costs: np.ndarray) -> list[int]:
        """Trajectories per stratum for a circuit with these stratum masses and costs."""
        s_count = masses.size
        past = self.variances.get(s_count)
        if not past:
            return [FIRST_PER_STRATUM] * s_count
        sd = np.sqrt(np.maximum(np.mean(past, axis=0), 1e-12))
        h = min(max(float(np.mean(self.values)), 1e-3), 1 - 1e-3)
        target = self.variance_ratio * h * (1.0 - h) / self.shots
        root = np.sqrt(costs)
        k = float((masses * sd * root).sum()) / target
        least = MIN_PER_STRATUM
        if s_count == 1 and len(past) >= POOL_AFTER and len(self.values) % POOL_EVERY:
            least = 1  # its variance is the pooled one (:meth:`pooled`)
        n = np.maximum(np.ceil(k * masses * sd / root), least)
        if n.sum() > self.max_trajectories:
            n = np.maximum(np.floor(n * self.max_trajectories / n.sum()), least)
        return [int(x) for x in n]

    def pooled(self, s_count: int) -> np.ndarray:
        """The mean per-stratum variance of the earlier circuits (what a circuit with a single
        trajectory records as its own)."""
        return np.asarray(np.mean(self.variances[s_count], axis=0))

    def record(self, variances: np.ndarray | None, value: float) -> None:
        """A finished circuit's per-stratum sample variances (None: it drew one trajectory and
        has none of its own) and its estimate."""
        if variances is not None:
            self.variances.setdefault(variances.size, []).append(variances)
        self.values.append(value)


def estimate(
    circuit: QuantumCircuit | Compiled,
    noise: PauliNoise,
    *,
    shots: int,
    rng: np.random.Generator,
    tracked: np.ndarray | None = None,
    allocator: Allocator | None = None,
    strata: int = STRATA,
) -> TrajectoryEstimate:
    """Counts of ``circuit`` under ``noise``'s Pauli noise, and the probability of the outcomes
    ``tracked`` (a boolean mask over outcomes, outcome ``k`` recording clbit ``j`` as bit ``j``
    of ``k``) with its Monte-Carlo variance (module docstring). ``circuit`` may be compiled
    already (:func:`compile_circuit`); ``allocator`` carries what earlier circuits of the batch
    taught (a fresh one when None)."""
    c = circuit if isinstance(circuit, Compiled) else compile_circuit(circuit, noise)
    name = getattr(circuit, "name", "the circuit")
    allocator = allocator or Allocator(shots=shots)
    n_out = len(c.measured)
    outcome = _outcome_of_index(c)
    weight = None
    if tracked is not None:
        mask = np.asarray(tracked, dtype=float).reshape(-1)
        if mask.size != 1 << n_out:
            raise ValueError(f"tracked has {mask.size} outcomes, {name} has {1 << n_out}")
        weight = _apply_readout(mask, c, noise.readout, forward=False)[outcome]
    runner = _Runner(c, weight)
    p0 = c.error_free
    dim = 1 << c.num_qubits
    if c.rates.size == 0:
        _, mixture, _ = runner.run([], None, ideal=True)
        value = float(mixture @ weight) if weight is not None else 0.0
        variance, used, s_count = 0.0, 0, 0
    else:
        # With errors likely everywhere (P0 small) the exact error-free term is not worth an
        # ideal run, nor strata by the first error: plain sampling of whole patterns.
        split = p0 >= SPLIT_ERROR_FREE
        s_count = max(1, min(strata, c.rates.size)) if split else 1
        q_total = 1.0 - p0 if split else 1.0
        mass = q_total / s_count
        edges = np.linspace(0.0, q_total, s_count + 1)
        cumulative = -np.expm1(np.cumsum(np.log1p(-c.rates)))  # P(first error at or before l)
        first_loc = np.minimum(
            np.searchsorted(cumulative, edges[:-1], side="right"), c.rates.size - 1
        )
        costs = np.maximum(runner.suffix_cost[c.location_block[first_loc]], 1.0)
        masses = np.full(s_count, mass)
        if weight is None:
            counts = [max(MIN_PER_STRATUM, UNTRACKED_TRAJECTORIES // s_count)] * s_count
        else:
            counts = allocator.counts(masses, costs)
        if split:
            patterns = _sample_patterns(c, cumulative, edges, counts, rng)
        else:
            patterns = _sample_unconditioned(c, counts[0], rng)
        sums = np.zeros((s_count, dim))
        values, ideal, _ = runner.run(patterns, sums, ideal=split)
        by = [values[[i for i, (s, _) in enumerate(patterns) if s == k]] for k in range(s_count)]
        means = np.array([v.mean() for v in by])
        sizes = np.array([v.size for v in by], dtype=float)
        own = bool((sizes >= 2).all())
        variances = np.array([v.var(ddof=1) for v in by]) if own else allocator.pooled(s_count)
        mixture = np.zeros(dim)
        value = mass * float(means.sum())
        if split:
            assert ideal is not None
            mixture += p0 * ideal
            value += p0 * (float(ideal @ weight) if weight is not None else 0.0)
        for k in range(s_count):
            mixture += (mass / sizes[k]) * sums[k]
        variance = float((mass**2 * variances / sizes).sum())
        used = int(sizes.sum())
        if weight is not None:
            allocator.record(variances if own else None, value)
    del runner
    recorded = np.bincount(outcome, weights=mixture, minlength=1 << n_out)
    recorded = _apply_readout(recorded, c, noise.readout, forward=True)
    counts_out = sample(recorded, shots=shots, rng=rng)
    return TrajectoryEstimate(
        counts=counts_out,
        probability=value if weight is not None else None,
        variance=variance if weight is not None else None,
        trajectories=used,
        error_free=p0,
        strata=s_count,
    )


def _sample_unconditioned(
    compiled: Compiled, count: int, rng: np.random.Generator
) -> list[tuple[int, dict[int, int]]]:
    """``count`` error patterns drawn whole (no error at all is one of them)."""
    rates = compiled.rates
    out = []
    for _ in range(count):
        errors = {}
        for loc in np.nonzero(rng.random(rates.size) < rates)[0].tolist():
            cond = compiled.conditional[loc]
            errors[loc] = int(rng.choice(len(cond), p=cond))
        out.append((0, errors))
    return out


def run_trajectories(
    circuits: Sequence[QuantumCircuit],
    noise: PauliNoise,
    *,
    shots: int,
    seed: int,
    tracked: Sequence[np.ndarray | None] | None = None,
) -> list[TrajectoryEstimate]:
    """:func:`estimate` for each circuit in order, from one generator seeded by ``seed`` and
    one :class:`Allocator`.

    Raises :class:`Unsupported` before any simulation when a circuit is outside what the engine
    models.
    """
    for circuit in circuits:
        if circuit.num_qubits > noise.num_qubits:
            raise ValueError(
                f"{circuit.name} has {circuit.num_qubits} qubits, the noise {noise.num_qubits}"
            )
    compiled = [compile_circuit(circuit, noise) for circuit in circuits]
    rng = np.random.default_rng(seed)
    allocator = Allocator(shots=shots)
    masks = list(tracked) if tracked is not None else [None] * len(circuits)
    return [
        estimate(c, noise, shots=shots, rng=rng, tracked=m, allocator=allocator)
        for c, m in zip(compiled, masks, strict=True)
    ]


def standard_error_factor(variance_ratio: float = VARIANCE_RATIO) -> float:
    """How much the stopping rule lets the Monte-Carlo error add to a circuit's standard error.

    >>> round(standard_error_factor(), 3)
    1.1
    """
    return math.sqrt(1.0 + variance_ratio)
