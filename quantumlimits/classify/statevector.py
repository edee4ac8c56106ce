"""A NumPy statevector simulator for small classifier circuits, with adjoint gradients.

Why this exists: for 2–4 qubits and a few hundred samples the simulation itself is microseconds;
what costs time in general-purpose frameworks is their per-call overhead (tape construction,
dispatch, autodiff bookkeeping), paid at every optimisation step. This module executes an
:class:`~quantumlimits.classify.ansatz.Ansatz` for a whole batch at once, as a handful of NumPy
operations per gate, and computes exact gradients by the adjoint method (Jones & Gacon 2020): one
forward pass storing the states, one backward pass. ``tests/classify/test_executions.py`` proves it
agrees with the PennyLane QNode and the Qiskit circuit built from the same ansatz.

Conventions: wire 0 is the most significant bit of a basis index (PennyLane's order); a rotation
is ``exp(-i angle/2 P)``; the model's readout is ⟨Z⟩ on wire 0, or the mean of ⟨Z⟩ over every wire
(``Ansatz.readout``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quantumlimits.classify.ansatz import Ansatz, Gate, data_term


def _bit(n_qubits: int, wire: int) -> np.ndarray:
    index = np.arange(1 << n_qubits)
    return (index >> (n_qubits - 1 - wire)) & 1


class _Compiled:
    """Per-gate constants: a permutation and a phase vector with ``P ψ = phase · ψ[:, perm]``."""

    __slots__ = ("data_gates", "first_trainable", "gates", "kinds", "perms", "phases")

    def __init__(self, ansatz: Ansatz) -> None:
        n = ansatz.n_qubits
        self.gates = ansatz.gates
        self.kinds: list[str] = []
        self.perms: list[np.ndarray | None] = []
        self.phases: list[np.ndarray] = []
        for gate in ansatz.gates:
            kind, perm, phase = _pauli(gate, n)
            self.kinds.append(kind)
            self.perms.append(perm)
            self.phases.append(phase)
        trainable = [i for i, g in enumerate(ansatz.gates) if g.trainable]
        self.first_trainable = trainable[0] if trainable else len(ansatz.gates)
        self.data_gates = [i for i, g in enumerate(ansatz.gates) if g.features]


def _pauli(gate: Gate, n: int) -> tuple[str, np.ndarray | None, np.ndarray]:
    """How ``gate`` acts: ('rot', perm, phase of P) / ('diag', None, diagonal) / ('h', perm, z)."""
    if gate.name == "cz":
        a, b = (_bit(n, w) for w in gate.wires)
        return "diag", None, np.where(a & b, -1.0, 1.0).astype(complex)
    bit = _bit(n, gate.wires[0])
    flip = np.arange(1 << n) ^ (1 << (n - 1 - gate.wires[0]))
    z = (1.0 - 2.0 * bit).astype(complex)
    if gate.name == "h":
        return "h", flip, z
    if gate.name == "rx":
        return "rot", flip, np.ones(1 << n, dtype=complex)
    if gate.name == "ry":
        return "rot", flip, 1j * (2.0 * bit - 1.0)
    if gate.name == "rz":
        return "rot", None, z
    other = _bit(n, gate.wires[1])
    return "rot", None, z * (1.0 - 2.0 * other)  # zz


class StatevectorModel:
    """Batched exact execution of an ansatz: ⟨Z_0⟩ per sample and its gradient.

    >>> from quantumlimits.classify.ansatz import build_ansatz
    >>> a = build_ansatz(architecture="angle", n_qubits=1, n_features=1, layers=1)
    >>> sim = StatevectorModel(a)
    >>> x = np.array([[0.0], [np.pi]])
    >>> np.round(sim.expectation(x, np.zeros(a.n_params)), 12)  # RY(0)|0> and RY(π)|0>
    array([ 1., -1.])
    """

    def __init__(self, ansatz: Ansatz) -> None:
        self.ansatz = ansatz
        self._c = _Compiled(ansatz)
        n = ansatz.n_qubits
        # the readout observable, diagonal: mean of Z_q over the readout qubits
        qubits = ansatz.readout_qubits
        self._z0 = sum(1.0 - 2.0 * _bit(n, q) for q in qubits) / len(qubits)

    def _apply(
        self, i: int, psi: np.ndarray, c: np.ndarray | None, s: np.ndarray | None
    ) -> np.ndarray:
        kind, perm, phase = self._c.kinds[i], self._c.perms[i], self._c.phases[i]
        if kind == "diag":
            return psi * phase
        if kind == "h":
            assert perm is not None
            return (psi[:, perm] + psi * phase) * np.sqrt(0.5)
        assert c is not None and s is not None
        p_psi = psi * phase if perm is None else psi[:, perm] * phase
        return c * psi - 1j * s * p_psi

    def _trig(self, x: np.ndarray, theta: np.ndarray) -> tuple[list[np.ndarray | None], ...]:
        cos: list[np.ndarray | None] = []
        sin: list[np.ndarray | None] = []
        datas: list[np.ndarray | None] = []
        for gate, kind in zip(self._c.gates, self._c.kinds, strict=True):
            if kind != "rot":
                cos.append(None)
                sin.append(None)
                datas.append(None)
                continue
            data = data_term(gate, x) if gate.features else None
            scale = theta[gate.scale] if gate.scale is not None else 1.0
            offset = theta[gate.offset] if gate.offset is not None else 0.0
            half = 0.5 * (scale * data + offset if data is not None else offset * np.ones(len(x)))
            cos.append(np.cos(half)[:, None])
            sin.append(np.sin(half)[:, None])
            datas.append(data)
        return cos, sin, datas

    def _initial(self, n_samples: int) -> np.ndarray:
        psi = np.zeros((n_samples, 1 << self.ansatz.n_qubits), dtype=complex)
        psi[:, 0] = 1.0
        return psi

    def states(self, x: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """Final statevectors, shape (n_samples, 2**n_qubits)."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        cos, sin, _ = self._trig(x, theta)
        psi = self._initial(len(x))
        for i in range(len(self._c.gates)):
            psi = self._apply(i, psi, cos[i], sin[i])
        return psi

    def expectation(self, x: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """⟨Z_0⟩ for each row of ``x``."""
        psi = self.states(x, theta)
        return np.asarray((np.abs(psi) ** 2) @ self._z0)

    def forward(self, x: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, _Tape]:
        """⟨Z_0⟩ per sample, and the tape :meth:`backward` needs (the states after each gate)."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        cos, sin, datas = self._trig(x, theta)
        psi = self._initial(len(x))
        stored: list[np.ndarray] = []
        for i in range(len(self._c.gates)):
            psi = self._apply(i, psi, cos[i], sin[i])
            stored.append(psi)
        expval = np.asarray((np.abs(psi) ** 2) @ self._z0)
        return expval, _Tape(cos=cos, sin=sin, datas=datas, stored=stored, n_params=len(theta))

    def backward(self, tape: _Tape, upstream: np.ndarray) -> np.ndarray:
        """``Σ_n upstream[n] · ∂⟨Z_0⟩_n/∂theta`` by the adjoint method, from a :meth:`forward` tape.

        ``upstream`` is the derivative of a loss with respect to each sample's expectation.
        """
        cos, sin, datas, stored = tape.cos, tape.sin, tape.datas, tape.stored
        grad = np.zeros(tape.n_params, dtype=float)
        lam = (upstream[:, None] * self._z0) * stored[-1]
        first = self._c.first_trainable
        for i in range(len(self._c.gates) - 1, first - 1, -1):
            gate = self._c.gates[i]
            kind, perm, phase = self._c.kinds[i], self._c.perms[i], self._c.phases[i]
            if gate.trainable:
                after = stored[i]
                p_psi = after * phase if perm is None else after[:, perm] * phase
                g = np.einsum("nk,nk->n", lam.conj(), p_psi).imag
                if gate.offset is not None:
                    grad[gate.offset] += g.sum()
                if gate.scale is not None:
                    data = datas[i]
                    grad[gate.scale] += g @ data if data is not None else 0.0
            if i == first:
                break
            # λ ← U† λ
            if kind == "diag":
                lam = lam * phase.conj()
            elif kind == "h":
                assert perm is not None
                lam = (lam[:, perm] + lam * phase) * np.sqrt(0.5)
            else:
                c, s = cos[i], sin[i]
                assert c is not None and s is not None
                p_lam = lam * phase if perm is None else lam[:, perm] * phase
                lam = c * lam + 1j * s * p_lam
        return grad

    def expectation_vjp(
        self, x: np.ndarray, theta: np.ndarray, upstream: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """⟨Z_0⟩ per sample and ``Σ_n upstream[n] · ∂⟨Z_0⟩_n/∂theta`` (adjoint method).

        ``upstream`` is the derivative of a loss with respect to each sample's expectation.
        """
        expval, tape = self.forward(x, theta)
        return expval, self.backward(tape, upstream)


@dataclass(frozen=True)
class _Tape:
    """What the backward pass needs from the forward pass."""

    cos: list[np.ndarray | None]
    sin: list[np.ndarray | None]
    datas: list[np.ndarray | None]
    stored: list[np.ndarray]
    n_params: int
