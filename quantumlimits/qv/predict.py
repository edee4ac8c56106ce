"""Expected heavy-output probability from calibration data, before running anything.

Model (Baldwin et al., Quantum 6, 707, 2022, Sec. on error models; global depolarizing
composition): a model circuit run with noise behaves as if, with probability F, it ran perfectly
and otherwise produced uniformly random bits, whose heavy fraction is 1/2::

    HOP ≈ ideal_HOP · F + (1 − F) / 2

F is the probability that no error event happens anywhere in the transpiled (ISA) circuit:

* **gates** — an operation with reported average gate error ``r`` on ``k`` qubits
  (``target[name][qargs].error``, IBM's RB number, ``r = 1 − F_avg``) is read as a depolarizing
  channel; its chance of a non-identity Pauli is ``r (d + 1) / d``, ``d = 2**k``.
* **idle** — each qubit waiting ``τ`` between two of its operations (ALAP schedule from the
  target's durations; a qubit waiting in ``|0⟩`` before its first gate costs nothing) suffers
  amplitude and phase damping with the qubit's T1 and T2 (T2 capped at 2 T1). Its Pauli twirl has
  non-identity probability ``(3 − e^{−τ/T1} − 2 e^{−τ/T2}) / 4``.
* **readout** — a measured qubit's assignment error ``e`` (``target["measure"][(q,)].error``)
  flips its bit with probability ``e``.

Each error event is assumed to scramble the output completely. That is pessimistic for errors
near the end of the circuit (a Z error right before measurement does nothing) and ignores
coherent errors, crosstalk and leakage, which is why it is called approximate. The measured gap
against Aer's noisy simulation of the same circuits is in ``docs/predict.md``.

Qiskit Aer's device noise model puts relaxation noise on ``delay`` instructions only, and the
transpiled circuits of the QV protocol carry none, so Aer simulates *no idle decoherence*. Use
``idle=False`` to predict what an Aer run of fake backends measures, ``idle=True`` (the default)
for hardware.

The pure part (:func:`circuit_fidelity`, :func:`predicted_hop`, :func:`idle_times`) needs only a
circuit and a ``Target``. :func:`predict_width` and :func:`predict_qv` also choose a layout and
transpile a sample of circuits, importing :mod:`quantumlimits.execution` when called.

>>> from qiskit import QuantumCircuit
>>> from qiskit.circuit.library import CZGate, Measure
>>> from qiskit.transpiler import InstructionProperties, QubitProperties, Target
>>> target = Target(num_qubits=2, qubit_properties=[QubitProperties(t1=1e-4, t2=1e-4)] * 2)
>>> target.add_instruction(CZGate(), {(0, 1): InstructionProperties(duration=1e-7, error=0.01)})
>>> target.add_instruction(Measure(), {(q,): InstructionProperties(1e-6, 0.02) for q in (0, 1)})
>>> qc = QuantumCircuit(2, 2)
>>> _ = qc.cz(0, 1); _ = qc.measure([0, 1], [0, 1])
>>> f = circuit_fidelity(isa_circuit=qc, target=target)
>>> round(f.gates, 6), round(f.readout, 6), f.idle
(0.9875, 0.9604, 1.0)
>>> round(predicted_hop(isa_circuit=qc, target=target, ideal_hop=0.8), 4)
0.7845
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from quantumlimits.execution.transpile import two_qubit_count
from quantumlimits.qv.ideal import ideal_hop_mean
from quantumlimits.qv.stats import HOP_THRESHOLD, MIN_CIRCUITS, cross_threshold

#: Instructions that take no time and cause no error.
_FREE = frozenset({"barrier"})


@dataclass(frozen=True)
class Fidelity:
    """Probability of no error event, split by source; ``total`` is their product."""

    gates: float
    idle: float
    readout: float

    def __post_init__(self) -> None:
        for name in ("gates", "idle", "readout"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} fidelity must lie in [0, 1], got {value}")

    @property
    def total(self) -> float:
        """Gate x idle x readout fidelity."""
        return self.gates * self.idle * self.readout


def pauli_error_probability(*, error: float, num_qubits: int) -> float:
    """Non-identity Pauli probability of a depolarizing channel with average gate error ``error``.

    >>> pauli_error_probability(error=0.01, num_qubits=1)
    0.015
    >>> pauli_error_probability(error=0.008, num_qubits=2)
    0.01
    """
    d = 2**num_qubits
    return min(1.0, max(0.0, error) * (d + 1) / d)


def idle_error_probability(*, duration: float, t1: float | None, t2: float | None) -> float:
    """Non-identity probability of the Pauli-twirled T1/T2 channel for ``duration`` seconds.

    >>> round(idle_error_probability(duration=1e-6, t1=1e-4, t2=1e-4), 6)
    0.007463
    """
    if duration <= 0.0:
        return 0.0
    decay1 = math.exp(-duration / t1) if t1 else 1.0
    t2_eff = min(t2, 2.0 * t1) if (t2 and t1) else t2
    decay2 = math.exp(-duration / t2_eff) if t2_eff else 1.0
    return max(0.0, (3.0 - decay1 - 2.0 * decay2) / 4.0)


def _properties(target: Any, name: str, qargs: tuple[int, ...]) -> Any:
    if name not in target.operation_names:
        raise ValueError(f"operation {name!r} is not in the target: transpile the circuit first")
    props_map = target[name]
    if qargs in props_map:
        return props_map[qargs]
    if None in props_map:  # a global operation
        return props_map[None]
    raise ValueError(
        f"operation {name} on qubits {qargs} is not in the target (not an ISA circuit)"
    )


def _index(circuit: QuantumCircuit) -> dict[Any, int]:
    # find_bit per instruction dominates the run time on wide circuits; map once instead
    return {q: i for i, q in enumerate(circuit.qubits)}


def idle_times(*, isa_circuit: QuantumCircuit, target: Any) -> dict[int, float]:
    """Seconds each qubit waits between two of its operations in an ALAP schedule.

    Computed by scheduling the reversed circuit as soon as possible (that is ALAP for the forward
    circuit): time a qubit spends before its first operation is not counted, since it waits in
    ``|0⟩``. Barriers align their qubits. ``delay`` instructions count as idle time.
    """
    clock: dict[int, float] = {}
    idle: dict[int, float] = {}
    index = _index(isa_circuit)
    durations: dict[tuple[str, Any], float] = {}  # per (name, qubit objects)
    for inst in reversed(list(isa_circuit.data)):  # (indexing from the end builds gate objects)
        name = inst.name
        bits = inst.qubits
        if len(bits) == 1 and durations.get((name, bits)) == 0.0 and index[bits[0]] in clock:
            continue  # an instant one-qubit gate (rz) after the qubit's first: changes nothing
        qargs = tuple([index[q] for q in bits])
        if not qargs:
            continue
        start = max([clock.get(q, 0.0) for q in qargs])
        if name == "barrier":
            for q in qargs:
                if q in clock:
                    idle[q] = idle.get(q, 0.0) + start - clock[q]
                    clock[q] = start
            continue
        if name == "delay":
            duration = float(inst.operation.duration or 0.0)
            unit = getattr(inst.operation, "unit", "dt")
            duration *= (target.dt or 0.0) if unit == "dt" else _UNIT.get(unit, 1.0)
        else:
            found = durations.get((name, bits))
            if found is None:
                props = _properties(target, name, qargs)
                found = float(props.duration or 0.0) if props is not None else 0.0
                durations[(name, bits)] = found
            duration = found
        for q in qargs:
            if q in clock:
                idle[q] = idle.get(q, 0.0) + start - clock[q]
            if name == "delay":
                idle[q] = idle.get(q, 0.0) + duration
            clock[q] = start + duration
    return {q: t for q, t in idle.items() if t > 0.0}


_UNIT = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9, "ps": 1e-12}


def circuit_fidelity(*, isa_circuit: QuantumCircuit, target: Any, idle: bool = True) -> Fidelity:
    """Probability that no gate, idle or readout error event happens (module docstring)."""
    log_gates = 0.0
    log_readout = 0.0
    index = _index(isa_circuit)
    terms: dict[tuple[str, Any], float] = {}  # log(1 - p) per (name, qubit objects)
    for inst in isa_circuit.data:
        name = inst.name
        term = terms.get((name, inst.qubits))
        if term is None:
            if name in _FREE or name == "delay":
                continue
            qargs = tuple([index[q] for q in inst.qubits])
            props = _properties(target, name, qargs)
            error = float(props.error) if props is not None and props.error is not None else 0.0
            if name != "measure":
                error = pauli_error_probability(error=error, num_qubits=len(qargs))
            term = terms[(name, inst.qubits)] = math.log1p(-min(error, 1.0 - 1e-12))
        if term == 0.0:
            continue
        if name == "measure":
            log_readout += term
        else:
            log_gates += term
    log_idle = 0.0
    if idle:
        qubit_props = target.qubit_properties
        for q, duration in idle_times(isa_circuit=isa_circuit, target=target).items():
            qp = qubit_props[q] if qubit_props else None
            t1 = getattr(qp, "t1", None)
            t2 = getattr(qp, "t2", None)
            p = idle_error_probability(duration=duration, t1=t1, t2=t2)
            log_idle += math.log1p(-min(p, 1.0 - 1e-12))
    return Fidelity(math.exp(log_gates), math.exp(log_idle), math.exp(log_readout))


def hop_from_fidelity(*, fidelity: float, ideal_hop: float) -> float:
    """``ideal_hop * F + (1 - F) / 2``.

    >>> hop_from_fidelity(fidelity=0.5, ideal_hop=0.85)
    0.675
    """
    if not 0.0 <= fidelity <= 1.0:
        raise ValueError(f"fidelity must lie in [0, 1], got {fidelity}")
    return ideal_hop * fidelity + (1.0 - fidelity) / 2.0


def predicted_hop_from_rates(
    *,
    width: int,
    two_qubit_gates: float,
    two_qubit_error: float,
    readout_error: float,
    single_qubit_gates: float = 0.0,
    single_qubit_error: float = 0.0,
) -> float:
    """Expected mean HOP from gate counts and mean error rates alone (no circuit needed).

    The same depolarizing composition as :func:`predicted_hop`, with
    ``F = (1 - e2)^N2 (1 - e1)^N1 (1 - e_ro)^width``, for widths beyond what can be transpiled
    (gate counts extrapolated). Idle errors are not counted.

    >>> round(predicted_hop_from_rates(width=5, two_qubit_gates=48, two_qubit_error=0.003,
    ...                                readout_error=0.02), 3)
    0.779
    """
    for name, value in (
        ("two_qubit_error", two_qubit_error),
        ("readout_error", readout_error),
        ("single_qubit_error", single_qubit_error),
    ):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {value}")
    if two_qubit_gates < 0 or single_qubit_gates < 0:
        raise ValueError("gate counts must be non-negative")
    log_f = (
        two_qubit_gates * math.log1p(-min(two_qubit_error, 1 - 1e-12))
        + single_qubit_gates * math.log1p(-min(single_qubit_error, 1 - 1e-12))
        + width * math.log1p(-min(readout_error, 1 - 1e-12))
    )
    return hop_from_fidelity(fidelity=math.exp(log_f), ideal_hop=ideal_hop_mean(width))


def predicted_hop(
    *,
    isa_circuit: QuantumCircuit,
    target: Any,
    ideal_hop: float | None = None,
    idle: bool = True,
) -> float:
    """Expected HOP of one transpiled model circuit on ``target``.

    ``ideal_hop`` is the circuit's noiseless HOP when known; by default the mean ideal HOP of its
    width (the number of classical bits, one per model qubit) from :mod:`quantumlimits.qv.ideal`.
    """
    if ideal_hop is None:
        ideal_hop = ideal_hop_mean(isa_circuit.num_clbits)
    f = circuit_fidelity(isa_circuit=isa_circuit, target=target, idle=idle)
    return hop_from_fidelity(fidelity=f.total, ideal_hop=ideal_hop)


@dataclass(frozen=True)
class WidthPrediction:
    """Predicted mean HOP at one width, from a transpiled sample of model circuits."""

    width: int
    qubits: tuple[int, ...]
    samples: int
    gates: float
    idle: float
    readout: float
    fidelity: float
    ideal_hop: float
    predicted_hop: float
    two_qubit_gates: float
    pass_threshold: float

    def __post_init__(self) -> None:
        if self.width < 2:
            raise ValueError(f"width must be >= 2, got {self.width}")
        if self.samples < 1:
            raise ValueError(f"samples must be >= 1, got {self.samples}")
        if not 0.0 <= self.predicted_hop <= 1.0:
            raise ValueError(f"predicted_hop must lie in [0, 1], got {self.predicted_hop}")

    @property
    def predicted_pass(self) -> bool:
        """Whether the predicted mean HOP clears the Cross threshold for the planned circuits."""
        return self.predicted_hop > self.pass_threshold

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary, with the derived ``predicted_pass``."""
        return {**asdict(self), "qubits": list(self.qubits), "predicted_pass": self.predicted_pass}

    @property
    def above_two_thirds(self) -> bool:
        """Whether the predicted mean HOP is above 2/3 (passes with enough circuits)."""
        return self.predicted_hop > HOP_THRESHOLD


def predict_width(
    *,
    target: Any,
    width: int,
    samples: int = 20,
    seed: int = 0,
    qubits: Sequence[int] | None = None,
    optimization_level: int = 3,
    idle: bool = True,
    circuits: int = MIN_CIRCUITS,
) -> WidthPrediction:
    """Predicted mean HOP at ``width``: best layout, ``samples`` transpiled circuits, mean F.

    Circuits are the protocol's model circuits for ``seed`` (indices 0..samples-1), measured and
    transpiled onto ``qubits`` (default :func:`~quantumlimits.execution.layout.best_layout`).
    The mean HOP is ``ideal_mean · mean(F) + (1 − mean(F)) / 2``, the mean of the per-circuit
    predictions. ``pass_threshold`` is the Cross threshold for ``circuits`` circuits.
    """
    from quantumlimits.circuits import measured, qv_circuits
    from quantumlimits.execution.layout import best_layout
    from quantumlimits.execution.transpile import transpile_circuits
    from quantumlimits.seeding import STREAM_TRANSPILE, derive_seed

    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    chosen = tuple(qubits) if qubits is not None else best_layout(target, width).qubits
    model = [measured(c) for c in qv_circuits(width=width, seed=seed, count=samples)]
    isa = transpile_circuits(
        model,
        target=target,
        initial_layout=chosen,
        optimization_level=optimization_level,
        seed=derive_seed(seed, STREAM_TRANSPILE, width),
    )
    return predict_isa(
        isa_circuits=isa, target=target, width=width, qubits=chosen, idle=idle, circuits=circuits
    )


def predict_isa(
    *,
    isa_circuits: Sequence[QuantumCircuit],
    target: Any,
    width: int,
    qubits: Sequence[int] = (),
    ideal_hops: Sequence[float] | None = None,
    idle: bool = True,
    circuits: int = MIN_CIRCUITS,
) -> WidthPrediction:
    """Predicted mean HOP of circuits already transpiled (pure: no transpilation, no simulation).

    The protocol can call this on the very ISA circuits it runs. With ``ideal_hops`` (each
    circuit's noiseless HOP, which the protocol computes for the heavy sets anyway) the prediction
    is the mean of ``ideal_i · F_i + (1 − F_i)/2``; without, the width's mean ideal HOP is used.
    ``qubits`` is only recorded.
    """
    if not isa_circuits:
        raise ValueError("no circuits to predict from")
    if ideal_hops is not None and len(ideal_hops) != len(isa_circuits):
        raise ValueError(
            f"{len(ideal_hops)} ideal HOPs for {len(isa_circuits)} circuits: pass one per circuit"
        )
    parts = [circuit_fidelity(isa_circuit=c, target=target, idle=idle) for c in isa_circuits]
    fidelity = float(np.mean([p.total for p in parts]))
    ideal = float(np.mean(ideal_hops)) if ideal_hops is not None else ideal_hop_mean(width)
    if ideal_hops is None:
        hop = hop_from_fidelity(fidelity=fidelity, ideal_hop=ideal)
    else:
        hop = float(
            np.mean(
                [
                    hop_from_fidelity(fidelity=p.total, ideal_hop=h)
                    for p, h in zip(parts, ideal_hops, strict=True)
                ]
            )
        )
    two_qubit = [two_qubit_count(c) for c in isa_circuits]
    return WidthPrediction(
        width=width,
        qubits=tuple(qubits),
        samples=len(isa_circuits),
        gates=float(np.mean([p.gates for p in parts])),
        idle=float(np.mean([p.idle for p in parts])),
        readout=float(np.mean([p.readout for p in parts])),
        fidelity=fidelity,
        ideal_hop=ideal,
        predicted_hop=hop,
        two_qubit_gates=float(np.mean(two_qubit)),
        pass_threshold=cross_threshold(circuits),
    )


@dataclass(frozen=True)
class QVPrediction:
    """Predicted HOP per width for one backend, and the quantum volume it implies."""

    backend: str
    calibration_date: str | None
    widths: tuple[WidthPrediction, ...]

    @property
    def predicted_qv(self) -> int:
        """``2**m`` for the largest width predicted to pass (1 when none)."""
        passing = [w.width for w in self.widths if w.predicted_pass]
        return 2 ** max(passing) if passing else 1

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (``format`` names the layout and its version)."""
        return {
            "format": "quantumlimits.qv-prediction/1",
            "backend": self.backend,
            "calibration_date": self.calibration_date,
            "predicted_qv": self.predicted_qv,
            "widths": [w.to_dict() for w in self.widths],
        }


def predict_qv(
    *,
    backend_name: str,
    widths: Sequence[int],
    samples: int = 20,
    seed: int = 0,
    optimization_level: int = 3,
    idle: bool = True,
    circuits: int = MIN_CIRCUITS,
) -> QVPrediction:
    """Predicted mean HOP and pass/fail per width for a calibration snapshot ``backend_name``.

    ``idle=False`` predicts what an Aer simulation of the snapshot measures (Aer models no idle
    decoherence in unscheduled circuits); ``idle=True`` what the device itself should give.
    """
    from quantumlimits.execution.backends import calibration_date, load_snapshot

    backend = load_snapshot(backend_name)
    rows = tuple(
        predict_width(
            target=backend.target,
            width=w,
            samples=samples,
            seed=seed,
            optimization_level=optimization_level,
            idle=idle,
            circuits=circuits,
        )
        for w in widths
    )
    return QVPrediction(backend_name, calibration_date(backend), rows)
