"""Reported optimizations of a QV run: readout-error mitigation and dynamical decoupling.

Both are opt-in (``qv --mitigate-readout``, ``qv --dynamical-decoupling``) and never replace the
raw result: a width records its raw statistics and, beside them, the optimized ones; the run says
which of the two decided its verdict (docs/method.md, "Reported optimizations").

* **Readout-error mitigation** (tensored, as qiskit-experiments' ``LocalReadoutMitigator``): two
  calibration states, all qubits in ``|0>`` and all in ``|1>``, give each physical qubit's
  assignment matrix ``A_q[m, t] = P(measure m | prepared t)``. A circuit's mitigated HOP is
  ``1_H . (⊗ A)^-1 p = ((⊗ A^-T) 1_H) . p``: the heavy indicator is pushed through the inverse
  once per circuit (``w 2^w`` operations) and dotted with the observed counts — no dense
  quasi-distribution is formed. Estimates may leave [0, 1]; their Cross bound takes the larger of
  the binomial and the empirical standard error
  (:func:`~quantumlimits.qv.stats.estimate_cross_lower_bound`); their bootstrap resamples
  circuits and redraws a per-shot score
  (:func:`~quantumlimits.qv.stats.estimate_bootstrap_lower_bound`).
* **Dynamical decoupling**: ISA circuits are scheduled as late as possible on the layout's
  calibrated durations and every idle window long enough is filled with an X–X pair
  (``PadDynamicalDecoupling``). The raw arm of such a run is the same schedule with plain delays,
  so both arms idle alike (on a snapshot, Aer applies the T1/T2 relaxation of every delay).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from quantumlimits.errors import UsageError
from quantumlimits.qv import stats

#: Shots per calibration state (all-zeros, all-ones); calibration circuits repeat to reach it.
READOUT_SHOTS = 10_000
#: The decoupling sequence inserted in idle windows (both gates are native to IBM targets).
DD_SEQUENCE = "XX"
#: Where a width's verdict comes from when optimizations ran.
VERDICT_SOURCES = ("raw", "optimized")


@dataclass(frozen=True)
class Optimizations:
    """What a run applies beyond the raw protocol."""

    readout: bool = False
    readout_shots: int = READOUT_SHOTS
    dynamical_decoupling: bool = False
    verdict_from: str = "optimized"

    def __post_init__(self) -> None:
        if self.readout_shots < 1:
            raise UsageError(f"--readout-shots must be at least 1, got {self.readout_shots}")
        if self.verdict_from not in VERDICT_SOURCES:
            raise UsageError(f"--verdict-from must be raw or optimized, got {self.verdict_from!r}")

    @property
    def any(self) -> bool:
        """Whether anything beyond the raw protocol runs."""
        return self.readout or self.dynamical_decoupling

    def repeats(self, shots: int) -> int:
        """Copies of each calibration circuit that give at least ``readout_shots`` shots."""
        return math.ceil(self.readout_shots / shots)

    def to_dict(self) -> dict[str, Any]:
        """The settings as recorded in qv.json and the store's run inputs."""
        return {
            "readout_mitigation": self.readout,
            "readout_shots": self.readout_shots if self.readout else None,
            "dynamical_decoupling": DD_SEQUENCE if self.dynamical_decoupling else None,
            "verdict_from": self.verdict_from if self.any else "raw",
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> Optimizations:
        """Inverse of :meth:`to_dict` (None or an empty mapping: nothing optimized)."""
        if not d:
            return cls()
        read = cls(
            readout=bool(d.get("readout_mitigation")),
            readout_shots=int(d.get("readout_shots") or READOUT_SHOTS),
            dynamical_decoupling=d.get("dynamical_decoupling") is not None,
            verdict_from=str(d.get("verdict_from") or "optimized"),
        )
        return read if read.any else cls()  # nothing applied: the defaults, whatever recorded


def arm_label(applied: Mapping[str, Any] | None) -> str:
    """What the optimized arm of a run is, from its recorded ``optimizations`` settings:
    ``readout-mitigated arm``, ``XX-decoupled arm``, both joined by "and", else ``optimized arm``.

    >>> arm_label({"readout_mitigation": True, "dynamical_decoupling": "XX"})
    'readout-mitigated and XX-decoupled arm'
    >>> arm_label(None)
    'optimized arm'
    """
    applied = applied or {}
    parts = []
    if applied.get("readout_mitigation"):
        parts.append("readout-mitigated")
    if applied.get("dynamical_decoupling"):
        parts.append(f"{applied['dynamical_decoupling']}-decoupled")
    return " and ".join(parts) + " arm" if parts else "optimized arm"


# --- readout-error mitigation -------------------------------------------------------------


@dataclass(frozen=True)
class ReadoutCalibration:
    """Measured assignment errors of the layout's qubits (local qubit ``i`` is ``qubits[i]``)."""

    qubits: tuple[int, ...]
    p1_given_0: tuple[float, ...]
    p0_given_1: tuple[float, ...]
    shots: int

    def __post_init__(self) -> None:
        if not len(self.qubits) == len(self.p1_given_0) == len(self.p0_given_1):
            raise ValueError("one assignment error pair per qubit")
        bad = [
            q
            for q, e01, e10 in zip(self.qubits, self.p1_given_0, self.p0_given_1, strict=True)
            if e01 + e10 >= 1.0
        ]
        if bad:
            raise ValueError(
                f"readout of qubits {bad} is no better than a coin toss: it cannot be mitigated"
            )

    @classmethod
    def from_counts(
        cls,
        qubits: Sequence[int],
        zeros: Sequence[Mapping[int, int]],
        ones: Sequence[Mapping[int, int]],
    ) -> ReadoutCalibration:
        """From the counts of the all-zeros and all-ones calibration circuits (clbit ``i``
        measures local qubit ``i``)."""
        width = len(qubits)
        flips0 = np.zeros(width)
        flips1 = np.zeros(width)
        total0 = sum(sum(c.values()) for c in zeros)
        total1 = sum(sum(c.values()) for c in ones)
        if total0 == 0 or total1 == 0 or total0 != total1:
            raise ValueError("calibration states need the same, non-zero number of shots")
        bits = np.arange(width)
        for counts, flips, prepared in ((zeros, flips0, 0), (ones, flips1, 1)):
            for c in counts:
                for outcome, n in c.items():
                    measured = (outcome >> bits) & 1
                    flips += n * (measured != prepared)
        return cls(
            qubits=tuple(int(q) for q in qubits),
            p1_given_0=tuple(float(x) for x in flips0 / total0),
            p0_given_1=tuple(float(x) for x in flips1 / total1),
            shots=int(total0),
        )

    def inverse_transposes(self) -> np.ndarray:
        """``(A_i^-1)^T`` per local qubit, shape (width, 2, 2)."""
        e01 = np.asarray(self.p1_given_0)
        e10 = np.asarray(self.p0_given_1)
        a = np.empty((len(self.qubits), 2, 2))
        a[:, 0, 0] = 1.0 - e01
        a[:, 1, 0] = e01
        a[:, 0, 1] = e10
        a[:, 1, 1] = 1.0 - e10
        return np.transpose(np.linalg.inv(a), (0, 2, 1))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "qubits": list(self.qubits),
            "p1_given_0": list(self.p1_given_0),
            "p0_given_1": list(self.p0_given_1),
            "shots": self.shots,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ReadoutCalibration:
        """Inverse of :meth:`to_dict`."""
        return cls(
            qubits=tuple(int(q) for q in d["qubits"]),
            p1_given_0=tuple(float(x) for x in d["p1_given_0"]),
            p0_given_1=tuple(float(x) for x in d["p0_given_1"]),
            shots=int(d["shots"]),
        )


def calibration_circuits(width: int, repeats: int) -> list[Any]:
    """``repeats`` all-zeros circuits, then ``repeats`` all-ones circuits, on ``width`` local
    qubits, clbit ``i`` measuring qubit ``i`` (ISA on IBM targets: only ``x`` and ``measure``)."""
    from qiskit import QuantumCircuit

    out = []
    for state in (0, 1):
        for copy in range(repeats):
            qc = QuantumCircuit(width, width, name=f"readout_cal_{state}_{copy}")
            if state:
                qc.x(range(width))
            qc.measure(range(width), range(width))
            out.append(qc)
    return out


def measured_qubits(circuit: Any) -> tuple[int, ...]:
    """The qubit index each classical bit measures (routing may permute them)."""
    where: dict[int, int] = {}
    for instruction in circuit.data:
        if instruction.operation.name == "measure":
            clbit = circuit.find_bit(instruction.clbits[0]).index
            where[clbit] = circuit.find_bit(instruction.qubits[0]).index
    if sorted(where) != list(range(len(where))):
        raise ValueError(f"{circuit.name} does not measure clbits 0..{len(where) - 1}")
    return tuple(where[c] for c in range(len(where)))


def mitigation_weights(
    mask: np.ndarray, clbit_qubits: Sequence[int], calibration: ReadoutCalibration
) -> np.ndarray:
    """Per-outcome weights ``v = (⊗ A^-T) 1_H``: a circuit's mitigated HOP is ``v . p``.

    ``mask`` is indexed by the integer outcome (bit ``i`` = clbit ``i``); clbit ``i`` measures
    local qubit ``clbit_qubits[i]``, whose assignment matrix the calibration holds.
    """
    width = len(clbit_qubits)
    if mask.size != 1 << width:
        raise ValueError(f"mask of {mask.size} outcomes for {width} clbits")
    inv_t = calibration.inverse_transposes()
    v = mask.astype(float).reshape((2,) * width)
    for clbit, qubit in enumerate(clbit_qubits):
        axis = width - 1 - clbit  # C order: the last axis is bit 0
        v = np.moveaxis(np.tensordot(inv_t[qubit], v, axes=([1], [axis])), 0, axis)
    return v.reshape(-1)


def mitigated_hop(counts: Mapping[int, int], weights: np.ndarray) -> tuple[float, float, int]:
    """(mitigated HOP, standard deviation of the per-shot score, shots) of one circuit."""
    outcomes = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    n = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    shots = float(n.sum())
    score = weights[outcomes]
    mean = float((n * score).sum() / shots)
    var = max(0.0, float((n * score * score).sum() / shots) - mean * mean)
    return mean, math.sqrt(var), int(shots)


# --- dynamical decoupling -----------------------------------------------------------------


def schedule(circuits: Sequence[Any], target: Any, *, decouple: bool) -> list[Any]:
    """ALAP-scheduled copies of ISA ``circuits`` on ``target``'s durations: idle windows become
    delays, or, with ``decouple``, X–X decoupling pairs padded with delays."""
    from qiskit.circuit.library import XGate
    from qiskit.transpiler import PassManager
    from qiskit.transpiler.passes import ALAPScheduleAnalysis, PadDelay, PadDynamicalDecoupling

    pad: Any = (
        PadDynamicalDecoupling(target=target, dd_sequence=[XGate(), XGate()])
        if decouple
        else PadDelay(target=target)
    )
    out = PassManager([ALAPScheduleAnalysis(target=target), pad]).run(list(circuits))
    return out if isinstance(out, list) else [out]


def run_circuits(
    isa: Sequence[Any], *, target: Any, optimizations: Optimizations, width: int, shots: int
) -> list[Any]:
    """What a width sends to the executor: the raw ISA circuits, or, with decoupling, the
    scheduled raw arm then the decoupled arm; then the readout calibration circuits.

    ``isa`` and ``target`` are on the layout's local qubits. The QV protocol and the cloud
    projection (:mod:`quantumlimits.qv.cloud`) both build a width's circuits here.
    """
    out = list(isa)
    if optimizations.dynamical_decoupling:
        out = schedule(isa, target, decouple=False) + schedule(isa, target, decouple=True)
    if optimizations.readout:
        out += calibration_circuits(width, optimizations.repeats(shots))
    return out


# --- statistics of the optimized arm ------------------------------------------------------


def estimate_statistics(
    *,
    values: Sequence[float],
    shot_sds: Sequence[float],
    shots: Sequence[int],
    seed: int,
    resamples: int,
) -> dict[str, Any]:
    """Statistics of per-circuit mitigated estimates (see the module doc for the bounds)."""
    v = np.asarray(values, dtype=float)
    cross = stats.estimate_cross_lower_bound(v)
    boot = stats.estimate_bootstrap_lower_bound(
        values=v, shot_sds=shot_sds, shots=shots, seed=seed, resamples=resamples
    )
    return {
        "hops": [float(x) for x in v],
        "mean_hop": float(v.mean()),
        "cross_lower": cross,
        "bootstrap_lower": boot,
        "passed_cross": stats.passes(cross),
        "passed_bootstrap": stats.passes(boot),
    }
