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

from quantumlimits.execution.density import DeviceChannels, Unsupported, _superop, error_kraus

#: Monte-Carlo variance allowed per circuit, as a fraction of the binomial shot variance.
VARIANCE_RATIO = 0.21
#: Strata of the first-error location, and trajectories each gets before the rule is checked.
STRATA = 4
PILOT_PER_STRATUM = 4
#: Trajectories per stratum at least in the second sample, which the variance is estimated from.
SECOND_PER_STRATUM = 2
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
            add(_Step(qubits, matrix=np.asarray(inst.operation.to_matrix(), dtype=complex)))
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
        self, patterns: list[tuple[int, dict[int, int]]], sums: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Run ``(stratum, errors)`` patterns in order of their first error; the tracked
        probability of each (when weighted), the ideal distribution on the first call (``sums``
        None) and per-stratum sums of distributions (added into ``sums``)."""
        import qulacs

        c = self.c
        first_block = [int(c.location_block[min(e)]) for _, e in patterns]
        order = sorted(range(len(patterns)), key=lambda i: first_block[i])
        values = np.zeros(len(patterns))
        state = qulacs.QuantumState(c.num_qubits)
        at = 0
        for i in order:
            stratum, errors = patterns[i]
            while at < first_block[i]:
                self.ideal_gates[at].update_quantum_state(state)
                at += 1
            branch = state.copy()
            blocks_hit = {int(c.location_block[loc]) for loc in errors}
            for b in range(at, len(c.blocks)):
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
        ideal = None
        if sums is None or not patterns:
            while at < len(c.blocks):
                self.ideal_gates[at].update_quantum_state(state)
                at += 1
            ideal = _probabilities(state)
        return values, ideal, sums


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


def estimate(
    circuit: QuantumCircuit | Compiled,
    noise: PauliNoise,
    *,
    shots: int,
    rng: np.random.Generator,
    tracked: np.ndarray | None = None,
    variance_ratio: float = VARIANCE_RATIO,
    max_trajectories: int = MAX_TRAJECTORIES,
    strata: int = STRATA,
) -> TrajectoryEstimate:
    """Counts of ``circuit`` under ``noise``'s Pauli noise, and the probability of the outcomes
    ``tracked`` (a boolean mask over outcomes, outcome ``k`` recording clbit ``j`` as bit ``j``
    of ``k``) with its Monte-Carlo variance (module docstring). ``circuit`` may be compiled
    already (:func:`compile_circuit`)."""
    c = circuit if isinstance(circuit, Compiled) else compile_circuit(circuit, noise)
    name = getattr(circuit, "name", "the circuit")
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
    q_total = 1.0 - p0
    cumulative = -np.expm1(np.cumsum(np.log1p(-c.rates)))  # P(first error at or before l)
    dim = 1 << c.num_qubits
    _, ideal, _ = runner.run([], None)
    assert ideal is not None
    ideal_value = float(ideal @ weight) if weight is not None else 0.0
    if c.rates.size == 0 or q_total <= 0.0:
        mixture = ideal
        estimate_value, variance, used = ideal_value, 0.0, 0
    else:
        s_count = max(1, min(strata, c.rates.size))
        mass = q_total / s_count
        edges = np.linspace(0.0, q_total, s_count + 1)
        first_loc = np.minimum(
            np.searchsorted(cumulative, edges[:-1], side="right"), c.rates.size - 1
        )
        cost = np.maximum(runner.suffix_cost[c.location_block[first_loc]], 1.0)
        sums = np.zeros((s_count, dim))
        values_by: list[list[float]] = [[] for _ in range(s_count)]
        if weight is None:
            phases = [[max(2, UNTRACKED_TRAJECTORIES // s_count)] * s_count]
        else:
            phases = [[PILOT_PER_STRATUM] * s_count]
        for phase, counts in enumerate(phases):
            patterns = _sample_patterns(c, cumulative, edges, counts, rng)
            values, _, _ = runner.run(patterns, sums)
            for (s, _), v in zip(patterns, values, strict=True):
                values_by[s].append(float(v))
            if phase or weight is None:
                break
            # The pilot decides the allocation of a second sample (Neyman, weighted by cost:
            # n_s ∝ σ_s / sqrt(c_s)) to reach the target; the variance is then estimated from
            # the second sample alone, whose size does not depend on it, so it is unbiased.
            pilot = np.array(values_by)
            mean = p0 * ideal_value + mass * float(pilot.mean(axis=1).sum())
            h = min(max(mean, 0.0), 1.0)
            target = variance_ratio * max(h * (1.0 - h), 1e-6) / shots
            sds = np.maximum(pilot.std(axis=1, ddof=1), 1e-4)
            k = float((mass * sds * np.sqrt(cost)).sum()) / target
            total = np.ceil(k * mass * sds / np.sqrt(cost))
            second = np.maximum(total - PILOT_PER_STRATUM, SECOND_PER_STRATUM)
            room = max(max_trajectories - pilot.size, SECOND_PER_STRATUM * s_count)
            if second.sum() > room:
                second = np.maximum(np.floor(second * room / second.sum()), SECOND_PER_STRATUM)
            phases.append([int(x) for x in second])
        sizes = np.array([len(v) for v in values_by], dtype=float)
        means = np.array([np.mean(v) for v in values_by])
        estimate_value = p0 * ideal_value + mass * float(means.sum())
        if weight is None:
            variance = 0.0
        else:
            late = [v[PILOT_PER_STRATUM:] for v in values_by]
            variance = float(
                sum(mass**2 * np.var(v, ddof=1) / n for v, n in zip(late, sizes, strict=True))
            )
        used = int(sizes.sum())
        mixture = p0 * ideal
        for s in range(s_count):
            mixture += (mass / len(values_by[s])) * sums[s]
    del runner
    recorded = np.bincount(outcome, weights=mixture, minlength=1 << n_out)
    recorded = _apply_readout(recorded, c, noise.readout, forward=True)
    from quantumlimits.execution.density import sample

    counts_out = sample(recorded, shots=shots, rng=rng)
    return TrajectoryEstimate(
        counts=counts_out,
        probability=estimate_value if weight is not None else None,
        variance=variance if weight is not None else None,
        trajectories=used,
        error_free=p0,
    )


def run_trajectories(
    circuits: Sequence[QuantumCircuit],
    noise: PauliNoise,
    *,
    shots: int,
    seed: int,
    tracked: Sequence[np.ndarray | None] | None = None,
) -> list[TrajectoryEstimate]:
    """:func:`estimate` for each circuit in order, from one generator seeded by ``seed``.

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
    masks = list(tracked) if tracked is not None else [None] * len(circuits)
    return [
        estimate(c, noise, shots=shots, rng=rng, tracked=m)
        for c, m in zip(compiled, masks, strict=True)
    ]


def standard_error_factor(variance_ratio: float = VARIANCE_RATIO) -> float:
    """How much the stopping rule lets the Monte-Carlo error add to a circuit's standard error.

    >>> round(standard_error_factor(), 3)
    1.1
    """
    return math.sqrt(1.0 + variance_ratio)
