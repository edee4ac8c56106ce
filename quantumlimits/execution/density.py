"""Exact noisy output distributions of small ISA circuits: a fused density-matrix simulator.

A quantum volume width is a hundred small circuits (2-8 qubits, a few hundred gates each) under
the same device noise. Aer's density-matrix method simulates each one well, but for circuits this
small its cost is per-instruction and per-call overhead rather than arithmetic. This module
computes the same output distribution with far fewer state updates:

* The density matrix of ``n`` qubits is held as its Pauli coefficients ``Tr(P ρ)``: an ``n``-axis
  real tensor of dimension 4, axis ``q`` indexing qubit ``q``'s Pauli (I, X, Y, Z). A one-qubit
  channel is then a real 4x4 matrix on one axis and a two-qubit channel a real 16x16 matrix on two
  axes (its Pauli transfer matrix), like gates on 4-level qudits; real arithmetic is a quarter of
  the complex one's and the state half its memory.
* Every instruction's channel is the device's noise after its unitary, ``E ∘ U``, with ``E`` from
  the same calibration functions Aer's ``NoiseModel.from_backend`` uses
  (``basic_device_gate_errors``, ``basic_device_readout_errors``), so the noise is Aer's.
* Channels are fused before they touch the state, in batches rather than one instruction at a
  time: one pass over the circuit lists each qubit's runs of one-qubit instructions between its
  two-qubit ones and the two-qubit gates; all runs are folded at once, one batched product per
  position in a run, on the (row bit, column bit) pairs where ``rz`` is diagonal (it scales
  rows), then turned into transfer matrices; each two-qubit gate absorbs the runs before it on
  its qubits, and every sequence of two-qubit gates on the same pair with nothing else on either
  qubit becomes one 16x16 block. A transpiled width-6 QV circuit (about 700 instructions, 90
  ``cz``) updates the state about 28 times.
* Measurement is exact: the populations of the final state (``(I ± Z) / 2`` of each qubit after
  its last run), pushed through each measured qubit's
  readout assignment matrix, give the distribution of recorded outcomes; the shots are one
  multinomial draw from it.

The distribution equals Aer's density matrix under ``NoiseModel.from_backend`` to rounding
(tests/execution/test_density.py). Circuits with instructions this simulator does not model
(delays, resets, mid-circuit measurements, conditions) raise :class:`Unsupported`; callers fall
back to Aer.
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.transpiler import Target

#: Widths this simulator takes on: the state has 4**n real entries (8 B each); 10 qubits is 8 MiB.
MAX_QUBITS = 10

_IGNORED = frozenset({"barrier"})


class Unsupported(ValueError):
    """A circuit this simulator does not model exactly (the caller falls back to Aer)."""


def _superop(kraus: Sequence[np.ndarray]) -> np.ndarray:
    """The channel ``ρ -> Σ K ρ K†`` as a matrix on the qudit axes of its qubits.

    For ``k`` qubits (Qiskit order: qubit 0 is the least significant bit of ``K``'s index) the
    matrix acts on the axes of qubits ``k-1 .. 0``, each axis the (row, column) bit pair.
    """
    stack = np.asarray(kraus, dtype=complex)
    k = stack.shape[1].bit_length() - 1
    t = stack.reshape((len(stack),) + (2,) * (2 * k))
    # out[r'_i, c'_i ..., r_i, c_i ...] = Σ_K K[r', r] conj(K[c', c]), bits interleaved per qubit
    batch = [4 * k]
    rows_out, rows_in = list(range(k)), list(range(k, 2 * k))
    cols_out, cols_in = list(range(2 * k, 3 * k)), list(range(3 * k, 4 * k))
    out = [x for pair in zip(rows_out, cols_out, strict=True) for x in pair]
    inp = [x for pair in zip(rows_in, cols_in, strict=True) for x in pair]
    return np.einsum(
        t, batch + rows_out + rows_in, t.conj(), batch + cols_out + cols_in, out + inp
    ).reshape(4**k, 4**k)


def _swap_pairs(superop: np.ndarray) -> np.ndarray:
    """A two-qubit channel matrix with its two qubits' roles exchanged."""
    return superop.reshape(4, 4, 4, 4).transpose(1, 0, 3, 2).reshape(16, 16)


_I4 = np.eye(4, dtype=complex)
_I2 = np.eye(2, dtype=complex)
_SWAP = np.eye(4, dtype=complex)[[0, 2, 1, 3]]
_RESET_KRAUS = (
    np.array([[1, 0], [0, 0]], dtype=complex),
    np.array([[0, 1], [0, 0]], dtype=complex),
)


@functools.lru_cache(maxsize=256)
def _fixed_kraus(name: str, label: str) -> tuple[np.ndarray, ...]:
    """Kraus operators of a parameterless instruction or Pauli ``label`` of an error circuit."""
    if name == "reset":
        return _RESET_KRAUS
    if name == "pauli":
        from qiskit.quantum_info import Pauli

        return (Pauli(label).to_matrix(),)
    from qiskit.circuit.library import get_standard_gate_name_mapping

    return (get_standard_gate_name_mapping()[name].to_matrix(),)


def _operation_kraus(operation: Any) -> Sequence[np.ndarray]:
    """Kraus operators of one instruction of an Aer error circuit."""
    if operation.name == "kraus":
        return [np.asarray(k, dtype=complex) for k in operation.params]
    if operation.name in {"reset", "pauli", "id", "x", "y", "z"}:
        label = operation.params[0] if operation.name == "pauli" else ""
        return _fixed_kraus(operation.name, str(label))
    return [operation.to_matrix()]


def error_superop(error: Any) -> np.ndarray:
    """The channel matrix of an Aer ``QuantumError`` on one or two qubits, in the layout of
    :func:`_superop`: the mixture of its circuits, each circuit's Kraus operators the products
    of its instructions' (lifted to the error's qubits).

    Equal to ``_superop(Kraus(error.to_quantumchannel()).data)`` (test), without building qiskit
    channel objects, which made up most of what a device's noise cost to set up.
    """
    return _superop(error_kraus(error))


def error_kraus(error: Any) -> list[np.ndarray]:
    """Kraus operators of an Aer ``QuantumError`` on one or two qubits (Qiskit's qubit order)."""
    k = error.num_qubits
    if k > 2:
        raise Unsupported(f"a {k}-qubit error")
    kraus: list[np.ndarray] = []
    for circuit, probability in zip(error.circuits, error.probabilities, strict=True):
        if probability == 0:
            continue
        ops = np.sqrt(probability) * np.eye(2**k, dtype=complex)[None]
        for inst in circuit.data:
            qubits = [circuit.find_bit(q).index for q in inst.qubits]
            local = np.asarray(_operation_kraus(inst.operation))
            if len(qubits) == 1 and k == 2:
                pattern = "nab,ij->naibj" if qubits[0] == 1 else "ab,nij->naibj"
                operands = (local, _I2) if qubits[0] == 1 else (_I2, local)
                local = np.einsum(pattern, *operands).reshape(-1, 4, 4)
            elif qubits == [1, 0]:
                local = _SWAP @ local @ _SWAP
            ops = (local[:, None] @ ops[None]).reshape(-1, 2**k, 2**k)
        kraus.extend(ops)
    return kraus


_DIAG_VEC = np.array([1.0, 0.0, 0.0, 1.0])  # vec of the one-qubit identity, axis (row, column)


def gate_channels(target: Target) -> dict[tuple[str, tuple[int, ...]], np.ndarray]:
    """Channel matrices of the errors Aer's ``basic_device_gate_errors(target=...)`` builds
    (the noise of ``NoiseModel.from_backend``), computed from the calibration figures directly.

    The model is Aer's, term by term: each instruction with a duration gets thermal relaxation
    on each of its qubits (T1, T2 truncated to 2·T1, ground-state equilibrium: temperature 0),
    each gate with an error gets a depolarizing channel whose parameter makes the average gate
    infidelity of depolarizing-then-relaxation equal the calibrated error (clipped as Aer
    clips), measurements get none. Building Aer's ``QuantumError`` objects and converting them
    cost about 0.3 s per six-qubit device; this costs milliseconds. Equal to
    ``error_superop`` of Aer's errors to rounding (tests/execution/test_error_superop.py).
    """
    from qiskit.circuit import Gate, Measure

    channels: dict[tuple[str, tuple[int, ...]], np.ndarray] = {}
    properties = target.qubit_properties
    relax_cache: dict[tuple[int, float], np.ndarray] = {}

    def relaxation(q: int, duration: float) -> np.ndarray:
        key = (q, duration)
        if key not in relax_cache:
            qp = properties[q] if properties is not None else None
            t1 = getattr(qp, "t1", None)
            t2 = getattr(qp, "t2", None)
            t2 = (2 * t1 if t2 is None else min(t2, 2 * t1)) if t1 is not None else t2
            p_reset = 0.0 if t1 is None else 1.0 - math.exp(-duration / t1)
            coherence = 1.0 if t2 is None else math.exp(-duration / t2)
            m = np.zeros((4, 4))
            m[0, 0], m[0, 3] = 1.0, p_reset
            m[3, 3] = 1.0 - p_reset
            m[1, 1] = m[2, 2] = coherence
            relax_cache[key] = m
        return relax_cache[key]

    for name, by_qubits in target.items():
        operation = target.operation_from_name(name)
        if isinstance(operation, Measure) or by_qubits is None:
            continue
        for qubits, props in by_qubits.items():
            if props is None or qubits is None:
                continue
            k = len(qubits)
            if k > 2:
                raise Unsupported(f"{k}-qubit {name} in the target")
            relax = None
            if props.duration:
                relax = relaxation(qubits[0], props.duration)
                if k == 2:  # the error's qubit 1 is the more significant axis
                    relax = np.kron(relaxation(qubits[1], props.duration), relax)
            depol = None
            if props.error and isinstance(operation, Gate):
                dim = 2**k
                relax_fid = 1.0
                if relax is not None:
                    relax_fid = (np.trace(relax).real / dim + 1) / (dim + 1)
                if props.error > 1 - relax_fid:
                    error = min(props.error, dim / (dim + 1))
                    param = dim * (error - (1 - relax_fid)) / (dim * relax_fid - 1)
                    param = min(param, 4**k / (4**k - 1))
                    u = _DIAG_VEC if k == 1 else np.kron(_DIAG_VEC, _DIAG_VEC)
                    depol = (1 - param) * np.eye(4**k) + (param / dim) * np.outer(u, u)
            if depol is None and relax is None:
                continue
            if depol is None:
                channel = relax
            elif relax is None:
                channel = depol
            else:
                channel = relax @ depol  # Aer's depol.compose(relax): depolarizing first
            channels[(name, tuple(qubits))] = np.asarray(channel, dtype=complex)
    return channels


@dataclass
class DeviceChannels:
    """The noise of a device's qubits as channel matrices, for :func:`noisy_distribution`.

    ``errors[(name, qubits)]`` is the channel matrix of the error after instruction ``name`` on
    local ``qubits``; ``readout[q]`` is qubit ``q``'s assignment matrix
    ``P(recorded j | prepared i)``, absent when it has no readout error.
    """

    errors: dict[tuple[str, tuple[int, ...]], np.ndarray]
    readout: dict[int, np.ndarray]
    num_qubits: int

    def __post_init__(self) -> None:
        #: channel matrices of the parameterless instructions met so far, per (name, qubits)
        self.known: dict[tuple[str, tuple[int, ...]], np.ndarray] = {}
        #: real transfer matrices of the parameterless two-qubit instructions met so far, per
        #: (name, qubits, swapped)
        self.transfers: dict[tuple[str, tuple[int, ...], bool], np.ndarray] = {}

    @classmethod
    def from_target(cls, target: Target, *, readout_error: bool = True) -> DeviceChannels:
        """Aer's device noise (as ``NoiseModel.from_backend`` builds it) on every qubit of
        ``target`` (restrict a device's target first: ``aer.sub_target``, or use
        ``aer.device_channels``)."""
        from qiskit_aer.noise.device import basic_device_readout_errors

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            readout_errors = basic_device_readout_errors(target=target) if readout_error else []
        readout = {
            int(q[0]): np.asarray(error.probabilities, dtype=float) for q, error in readout_errors
        }
        return cls(errors=gate_channels(target), readout=readout, num_qubits=target.num_qubits)

    def instruction(self, inst: Any, qubits: tuple[int, ...], where: str) -> np.ndarray:
        """The channel matrix of a circuit instruction on local ``qubits``, noise included.

        Parameterless instructions are remembered in :attr:`known` per (name, qubits).
        """
        name = inst.name
        # a delay's noise is relaxation for its duration (Aer's RelaxationNoisePass), not modelled
        if name == "delay" or inst.clbits or inst.is_control_flow() or inst.is_parameterized():
            raise Unsupported(f"{name} in {where}")
        if len(qubits) > 2:
            raise Unsupported(f"{len(qubits)}-qubit {name} in {where}")
        operation = inst.operation
        if not hasattr(operation, "to_matrix"):
            raise Unsupported(f"{name} in {where} is not a unitary instruction")
        superop = _superop([operation.to_matrix()])
        error = self.errors.get((name, qubits))
        if error is not None:
            superop = error @ superop
        if not inst.params:
            self.known[(name, qubits)] = superop
        return superop

    def transfer(self, inst: Any, qubits: tuple[int, int], swapped: bool, where: str) -> np.ndarray:
        """The real 16x16 Pauli transfer matrix of a two-qubit instruction on local ``qubits``,
        noise included, acting on the axes (``qubits[1]``, ``qubits[0]``), or the other way
        round if ``swapped``. Parameterless instructions are remembered in :attr:`transfers`."""
        key = (inst.name, qubits, swapped)
        transfer = self.transfers.get(key)
        if transfer is None:
            superop = self.known.get((inst.name, qubits))
            if superop is None:
                superop = self.instruction(inst, qubits, where)
            transfer = _ptm(superop, f"{inst.name} in {where}")
            if swapped:
                transfer = np.ascontiguousarray(_swap_pairs(transfer))
            if not inst.params:
                self.transfers[key] = transfer
        return transfer


# One qubit's (row bit, column bit) pair -> its Pauli coefficients Tr(P ρ), P = I, X, Y, Z: the
# Pauli transfer matrix (PTM) of a channel S on k qubits is T_k S T_k^† / 2^k, real for every
# Hermiticity-preserving map.
_T = np.array([[1, 0, 0, 1], [0, 1, 1, 0], [0, 1j, -1j, 0], [1, 0, 0, -1]])
_TH = _T.conj().T / 2
_T2 = np.kron(_T, _T)
_T2H = _T2.conj().T / 4
#: the populations (p0, p1) of one qubit from its Pauli coefficients: (I ± Z) / 2
_POPULATIONS = np.array([[0.5, 0.0, 0.0, 0.5], [0.5, 0.0, 0.0, -0.5]])


def _ptm(superop: np.ndarray, where: str) -> np.ndarray:
    """The real Pauli transfer matrix of a one- or two-qubit channel matrix."""
    ptm = _T @ superop @ _TH if superop.shape[0] == 4 else _T2 @ superop @ _T2H
    if np.abs(ptm.imag).max(initial=0.0) > 1e-9:
        raise Unsupported(f"{where} is not a Hermiticity-preserving map")
    return np.ascontiguousarray(ptm.real)


class _Factor:
    """The Pauli coefficients of some qubits, one axis of 4 per qubit (see the module docstring)."""

    def __init__(self, order: list[int], rho: np.ndarray) -> None:
        #: the qubit each axis of ``rho`` holds, most significant first
        self.order = order
        self.rho = rho

    def apply(self, matrix: np.ndarray, high: int, low: int) -> None:
        """Apply a 16x16 transfer matrix on the axes of qubits (``high``, ``low``).

        Axes next to each other are updated where they are, as one matrix product (or one per
        leading index); otherwise the two axes are moved to the front, the others keeping their
        order, which copies the state with contiguous stretches as long as the trailing axes
        allow (moving them last would copy element by element: twice as slow at 10 qubits).
        """
        order, rho = self.order, self.rho
        n = len(order)
        i, j = order.index(high), order.index(low)
        p = min(i, j)
        if abs(i - j) == 1 and not 0 < p == n - 3:  # (there: 4 columns per leading index, slow)
            if i > j:
                matrix = _swap_pairs(matrix)
            if p == 0:
                self.rho = matrix @ rho.reshape(16, -1)
            elif p == n - 2:
                self.rho = rho.reshape(-1, 16) @ matrix.T
            else:
                self.rho = np.matmul(matrix, rho.reshape(4**p, 16, -1))
            return
        rest = [k for k in range(n) if k != i and k != j]
        moved = rho.reshape((4,) * n).transpose([i, j, *rest])
        self.rho = matrix @ np.ascontiguousarray(moved).reshape(16, -1)
        self.order = [high, low] + [order[k] for k in rest]

    def contract(self, rows: Sequence[np.ndarray]) -> np.ndarray:
        """The coefficients with each qubit ``q``'s axis contracted with ``rows[q]`` (k x 4): a
        tensor with one axis of length k per qubit, in the order of :attr:`order`."""
        x = self.rho.reshape(-1)
        for q in reversed(self.order):  # the last axis each time; the result's axis comes first
            x = rows[q] @ x.reshape(-1, 4).T
        return x.reshape([rows[q].shape[0] for q in self.order])


_ZERO = np.array([1.0, 0.0, 0.0, 1.0])  # Pauli coefficients of |0><0|: I and Z


class _State:
    """A density matrix as a product of factors, updated by two-qubit channel blocks.

    Every qubit starts in its own factor, |0><0|; a block on two factors merges them first (their
    outer product). While the blocks have not yet connected all qubits, they update smaller
    tensors than the whole state: at 10 qubits, the first layer of QV blocks costs nothing.
    """

    def __init__(self, num_qubits: int) -> None:
        self.factor = [_Factor([q], _ZERO) for q in range(num_qubits)]  # each qubit's factor

    def apply(self, matrix: np.ndarray, high: int, low: int) -> None:
        """Apply a 16x16 transfer matrix on the axes of qubits (``high``, ``low``)."""
        factor, other = self.factor[high], self.factor[low]
        if factor is not other:
            rho = np.multiply.outer(factor.rho.reshape(-1), other.rho.reshape(-1)).reshape(-1)
            factor = _Factor(factor.order + other.order, rho)
            for q in factor.order:
                self.factor[q] = factor
        factor.apply(matrix, high, low)

    def contract(self, rows: Sequence[np.ndarray]) -> tuple[np.ndarray, list[int]]:
        """The state with each qubit ``q``'s axis contracted with ``rows[q]`` (k x 4): a tensor
        with one axis of length k per qubit, and the qubit of each axis."""
        result, order = np.ones(()), []
        for factor in {id(f): f for f in self.factor}.values():
            result = np.multiply.outer(result, factor.contract(rows))
            order += factor.order
        return result, order


class _Scan:
    """One pass over a circuit's instructions: what to multiply, without multiplying.

    Each qubit's one-qubit instructions between its two-qubit ones form a *run* (ids: qubit ``q``
    starts in run ``q``; every two-qubit gate starts two new runs); the k-th lists of
    ``channel_runs`` and ``rz_runs`` hold the runs whose k-th instruction is a channel or an ideal
    rz, so that all runs are folded together, one batched product per position. Two-qubit gates
    on the same pair with nothing else on either qubit in between form a *block*;
    ``block_gates[b]`` lists block ``b``'s gates in order.
    """

    def __init__(self, circuit: QuantumCircuit, channels: DeviceChannels) -> None:
        n = circuit.num_qubits
        index = {bit: i for i, bit in enumerate(circuit.qubits)}
        errors, known = channels.errors, channels.known
        self.where = where = circuit.name
        #: complex 4x4 channel matrices of this circuit's one-qubit instructions
        self.one: list[np.ndarray] = []
        #: per position k in a run: the runs whose k-th instruction is a channel in ``one`` and
        #: its id there; the runs whose k-th instruction is an ideal rz and its angle
        self.channel_runs: list[list[int]] = []
        self.channel_ids: list[list[int]] = []
        self.rz_runs: list[list[int]] = []
        self.rz_angles: list[list[float]] = []
        self.runs = n
        #: real 16x16 transfer matrices of this circuit's two-qubit instructions, in the
        #: orientation of their block
        self.two: list[np.ndarray] = []
        self.gate_matrix: list[int] = []  # per two-qubit gate: its id in ``two``
        self.gate_high_run: list[int] = []  # the runs before it on its block's high, low qubit
        self.gate_low_run: list[int] = []
        self.keys: list[tuple[int, int]] = []  # per block: its (high, low) qubits
        self.block_gates: list[list[int]] = []  # per block: its gates
        self.measured: dict[int, int] = {}  # qubit -> clbit
        #: the open run of each qubit; after the scan, the run each qubit ends with
        self.final = run = list(range(n))
        length = [0] * n  # instructions in the open run
        #: per qubit: ids in ``one`` of its parameterless instructions, and whether its rz is an
        #: ideal phase; both emptied once it is measured, so that the general path sees it
        one_ids: list[dict[str, int]] = [{} for _ in range(n)]
        ideal_rz = [("rz", (q,)) not in errors for q in range(n)]
        channel_runs, channel_ids = self.channel_runs, self.channel_ids
        rz_runs, rz_angles = self.rz_runs, self.rz_angles
        depth = 0  # len(channel_runs)
        partner = [-1] * n  # the other qubit of each qubit's open block
        block_of = [-1] * n
        two_ids: dict[tuple[str, int, int, bool], int] = {}  # parameterless ids in ``two``
        keys, block_gates = self.keys, self.block_gates
        for inst in circuit.data:
            name = inst.name
            if name == "rz":  # the common cases first: an ideal rz, a known channel
                q = index[inst.qubits[0]]
                if ideal_rz[q]:
                    k = length[q]
                    length[q] = k + 1
                    if k == depth:
                        for lists in (channel_runs, channel_ids, rz_runs, rz_angles):
                            lists.append([])
                        depth += 1
                    try:
                        rz_angles[k].append(float(inst.params[0]))
                    except TypeError:  # an unbound parameter
                        raise Unsupported(f"parameterized rz in {where}") from None
                    rz_runs[k].append(run[q])
                    continue
            qargs = inst.qubits
            if len(qargs) == 1:
                q = index[qargs[0]]
                tid = one_ids[q].get(name)
                if tid is None:
                    if name in _IGNORED:
                        continue
                    if q in self.measured:
                        raise Unsupported(f"{name} after a measurement in {where}")
                    if name == "measure":
                        self._measure(inst, q, circuit)
                        one_ids[q] = {}
                        ideal_rz[q] = False
                        if ("measure", (q,)) not in errors:
                            continue
                        tid = len(self.one)  # Aer applies its error before measuring
                        self.one.append(errors[("measure", (q,))])
                    else:
                        tid = len(self.one)
                        superop = known.get((name, (q,)))
                        if superop is None:
                            superop = channels.instruction(inst, (q,), where)
                        self.one.append(superop)
                        if not inst.params:
                            one_ids[q][name] = tid
                k = length[q]
                length[q] = k + 1
                if k == depth:
                    for lists in (channel_runs, channel_ids, rz_runs, rz_angles):
                        lists.append([])
                    depth += 1
                channel_runs[k].append(run[q])
                channel_ids[k].append(tid)
                continue
            if name in _IGNORED:
                continue
            if len(qargs) != 2:
                raise Unsupported(f"{len(qargs)}-qubit {name} in {where}")
            low, high = index[qargs[0]], index[qargs[1]]  # Qiskit's matrix: qargs[1] high
            if self.measured and (low in self.measured or high in self.measured):
                raise Unsupported(f"{name} after a measurement in {where}")
            if partner[high] == low:
                block = block_of[high]
            else:
                for q in (high, low):
                    if partner[q] >= 0:
                        partner[partner[q]] = -1
                block = len(keys)
                keys.append((high, low))
                block_gates.append([])
                partner[high], partner[low] = low, high
                block_of[high] = block_of[low] = block
            kh, kl = keys[block]
            swapped = kh != high
            tid = two_ids.get((name, low, high, swapped))
            if tid is None:
                tid = len(self.two)
                self.two.append(channels.transfer(inst, (low, high), swapped, where))
                if not inst.params:
                    two_ids[(name, low, high, swapped)] = tid
            block_gates[block].append(len(self.gate_matrix))
            self.gate_matrix.append(tid)
            self.gate_high_run.append(run[kh])
            self.gate_low_run.append(run[kl])
            run[kh], run[kl] = self.runs, self.runs + 1
            self.runs += 2
            length[high] = length[low] = 0
        if len(self.measured) != circuit.num_clbits:
            raise Unsupported(f"{where} leaves clbits unmeasured")

    def _measure(self, inst: Any, q: int, circuit: QuantumCircuit) -> None:
        clbit = circuit.find_bit(inst.clbits[0]).index
        if clbit in self.measured.values():
            raise Unsupported(f"clbit {clbit} written twice in {circuit.name}")
        self.measured[q] = clbit

    def run_transfers(self) -> np.ndarray:
        """The real transfer matrix of every run, ``(runs, 4, 4)``."""
        folded = np.empty((self.runs, 4, 4), dtype=complex)
        folded[:] = _I4
        table = np.array(self.one) if self.one else _I4[None]
        # every rz's diagonal (1, e, e*, 1), in the order of the positions
        e = np.exp(-1j * np.array(list(itertools.chain.from_iterable(self.rz_angles))))
        phases = np.ones((e.size, 4, 1), dtype=complex)
        phases[:, 1, 0] = e
        phases[:, 2, 0] = e.conj()
        start = 0
        for k, runs in enumerate(self.channel_runs):
            if runs:
                ids = self.channel_ids[k]
                folded[runs] = table[ids] if k == 0 else table[ids] @ folded[runs]
            runs = self.rz_runs[k]
            if runs:  # rz is diagonal: it scales rows
                folded[runs] *= phases[start : start + len(runs)]
                start += len(runs)
        # T M T^† / 2 per run, as two plain matrix products over the stacked rows
        half = (folded.reshape(-1, 4) @ _TH).reshape(-1, 4, 4).transpose(0, 2, 1)
        ptm = (half.reshape(-1, 4) @ _T.T).reshape(-1, 4, 4).transpose(0, 2, 1)
        return np.ascontiguousarray(ptm.real)

    def blocks(self, runs: np.ndarray) -> np.ndarray:
        """The real transfer matrix of every block, ``(blocks, 16, 16)``: each gate's matrix
        times the Kronecker product of the runs before it on its two qubits, chained."""
        if not self.keys:
            return np.empty((0, 16, 16))
        high = runs[self.gate_high_run]
        low = runs[self.gate_low_run]
        count = len(self.gate_matrix)
        before = (high[:, :, None, :, None] * low[:, None, :, None, :]).reshape(count, 16, 16)
        gates = np.array(self.two)[self.gate_matrix] @ before
        # chained with the longest blocks first, so that the blocks with a j-th gate are a prefix
        order = sorted(range(len(self.keys)), key=lambda b: -len(self.block_gates[b]))
        lists = [self.block_gates[b] for b in order]
        products = gates[[g[0] for g in lists]]
        count = len(lists)
        for j in range(1, len(lists[0])):
            while len(lists[count - 1]) <= j:
                count -= 1
            products[:count] = gates[[g[j] for g in lists[:count]]] @ products[:count]
        # back in the order the blocks start
        blocks = np.empty_like(products)
        blocks[order] = products
        return blocks


def noisy_distribution(circuit: QuantumCircuit, channels: DeviceChannels) -> np.ndarray:
    """The exact distribution of ``circuit``'s recorded outcomes under ``channels``' noise.

    Entry ``k`` is the probability of the outcome whose clbit ``j`` is bit ``j`` of ``k`` (the
    integer keys of Aer's counts). Every clbit must be written by exactly one final measurement.
    """
    n = circuit.num_qubits
    if n > channels.num_qubits:
        raise ValueError(f"{circuit.name} has {n} qubits, the channels {channels.num_qubits}")
    if n > MAX_QUBITS:
        raise Unsupported(f"{n} qubits is over this simulator's {MAX_QUBITS}")
    scan = _Scan(circuit, channels)
    runs = scan.run_transfers()
    state = _State(n)
    for matrix, (high, low) in zip(scan.blocks(runs), scan.keys, strict=True):
        state.apply(matrix, high, low)
    # each qubit's last run, then its populations (p0, p1), then its readout
    populations = _POPULATIONS @ runs[scan.final]
    measured = scan.measured
    rows = []
    for q in range(n):
        if q not in measured:
            rows.append(populations[q].sum(axis=0, keepdims=True))  # its trace: summed out
            continue
        assignment = channels.readout.get(q)
        rows.append(populations[q] if assignment is None else assignment.T @ populations[q])
    p, order = state.contract(rows)
    where = {q: i for i, q in enumerate(order)}
    qubit_of = {clbit: q for q, clbit in measured.items()}
    # the outcome's axes, most significant clbit first, then the summed-out ones (length 1)
    axes = [where[qubit_of[c]] for c in reversed(range(circuit.num_clbits))]
    axes += [where[q] for q in range(n) if q not in measured]
    return np.ascontiguousarray(p.transpose(axes)).reshape(-1)


def sample(distribution: np.ndarray, *, shots: int, rng: np.random.Generator) -> dict[int, int]:
    """``shots`` draws from an outcome distribution, as ``{outcome: count}``.

    With far more outcomes than shots (a wide ideal distribution) the shots are drawn by inverse
    transform on the cumulative sum, one pass over the outcomes instead of the multinomial's
    binomial per outcome (31 ms against 4 ms for 2^20 outcomes); otherwise one multinomial draw.
    Both give multinomially distributed counts.
    """
    p = np.clip(distribution, 0.0, None)
    if p.size <= 4 * shots:
        draws = rng.multinomial(shots, p / p.sum())
        (nonzero,) = np.nonzero(draws)
        return {int(k): int(draws[k]) for k in nonzero}
    cdf = np.cumsum(p, out=p)
    outcomes = np.searchsorted(cdf, rng.random(shots) * cdf[-1], side="right")
    values, counts = np.unique(np.minimum(outcomes, p.size - 1), return_counts=True)
    return dict(zip(values.tolist(), counts.tolist(), strict=True))


def run_density(
    circuits: Sequence[QuantumCircuit],
    channels: DeviceChannels,
    *,
    shots: int,
    seed: int,
) -> list[dict[int, int]]:
    """Counts of each circuit: ``shots`` draws from its exact noisy distribution.

    One generator seeded by ``seed`` draws for the circuits in order. Raises :class:`Unsupported`
    before any draw when a circuit is outside what this simulator models.
    """
    # The products are 16x16 by 4**n: a second BLAS thread only adds synchronisation, and on a
    # loaded machine its spinning costs 10x.
    with _blas_controller().limit(limits=1, user_api="blas"):
        distributions = [noisy_distribution(c, channels) for c in circuits]
    rng = np.random.default_rng(seed)
    return [sample(d, shots=shots, rng=rng) for d in distributions]


@functools.cache
def _blas_controller() -> Any:
    """One threadpoolctl controller per process (making one scans every loaded library, ~1.5 ms)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()
