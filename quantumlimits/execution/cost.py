"""Projected QPU time and cost of running circuits on an IBM device, from its calibration.

The model is IBM's documented usage model (IBM Quantum documentation, "Estimate job run time" /
"Understand QPU usage"): a job is split into sub-jobs, each costs a fixed overhead of about 2 s
(loading, compilation, readout bookkeeping), and then every shot of every circuit costs the
circuit's own duration plus the repetition delay that lets the qubits relax::

    seconds = sub_jobs * overhead_per_subjob + circuits * shots * (circuit_duration + rep_delay)

``circuit_duration`` comes from the snapshot's calibrated gate and readout durations via
``QuantumCircuit.estimate_duration(target)`` on the transpiled (ISA) circuit; ``rep_delay`` is
``backend.default_rep_delay`` (250 µs on the fake snapshots). This is the one module a later issue
calibrates against real jobs; nothing else in the package knows these constants.

The default price is IBM Quantum's Pay-As-You-Go plan, USD 96 per minute of QPU time
(USD 1.60 per second), as published on https://www.ibm.com/quantum/pricing (2024–2025). It is a
list price and changes; pass ``price_per_second`` for another plan (Flex: USD 72 per minute).

>>> m = QpuCostModel(device_model="demo", calibration_date=None, circuit_seconds=2e-6,
...                  rep_delay_seconds=250e-6)
>>> round(m.seconds(circuits=10, shots=1000, sub_jobs=1), 4)
4.52
>>> round(m.cost(seconds=4.52), 3)
7.232
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from quantumlimits.execution.qpu_time import JOB_OVERHEAD_S as DEFAULT_OVERHEAD_PER_SUBJOB
from quantumlimits.execution.qpu_time import (
    PRICE_SOURCE,
    circuit_seconds,
    rep_delay_seconds,
    usage_seconds,
)
from quantumlimits.execution.qpu_time import USD_PER_QPU_SECOND as DEFAULT_PRICE_PER_SECOND

__all__ = [
    "DEFAULT_OVERHEAD_PER_SUBJOB",
    "DEFAULT_PRICE_PER_SECOND",
    "PRICE_SOURCE",
    "QpuCostModel",
    "cost_model_for",
    "isa_circuit",
]


@dataclass(frozen=True)
class QpuCostModel:
    """Calibrated constants of the projection for one circuit on one device snapshot."""

    device_model: str
    calibration_date: str | None
    circuit_seconds: float
    rep_delay_seconds: float
    overhead_per_subjob_seconds: float = DEFAULT_OVERHEAD_PER_SUBJOB
    price_per_second: float = DEFAULT_PRICE_PER_SECOND

    def __post_init__(self) -> None:
        for name in (
            "circuit_seconds",
            "rep_delay_seconds",
            "overhead_per_subjob_seconds",
            "price_per_second",
        ):
            value = getattr(self, name)
            if not value >= 0:
                raise ValueError(f"{name} must be non-negative, got {value}")

    def seconds(self, *, circuits: int, shots: int, sub_jobs: int) -> float:
        """Projected QPU seconds of ``circuits`` x ``shots`` shots run in ``sub_jobs`` sub-jobs."""
        return usage_seconds(
            jobs=sub_jobs,
            circuits=circuits,
            shots=shots,
            seconds_per_shot=self.circuit_seconds + self.rep_delay_seconds,
            overhead=self.overhead_per_subjob_seconds,
        )

    def cost(self, *, seconds: float) -> float:
        """Projected price of ``seconds`` of QPU time."""
        return seconds * self.price_per_second

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the constants (field names as keys)."""
        return asdict(self)


def isa_circuit(circuit: Any, *, backend: Any, seed: int = 0, optimization_level: int = 1) -> Any:
    """``circuit`` transpiled to ``backend``'s instruction set (Parameters may stay unbound).

    The initial layout is the best connected set of qubits by calibrated error
    (:func:`quantumlimits.execution.layout.best_layout`), as a careful hardware user would choose:
    the transpiler's default may land on a qubit with a poor readout.
    """
    from quantumlimits.execution.layout import best_layout
    from quantumlimits.execution.transpile import transpile_circuits

    layout = best_layout(backend.target, circuit.num_qubits).qubits
    (isa,) = transpile_circuits(
        [circuit],
        target=backend.target,
        initial_layout=layout,
        optimization_level=optimization_level,
        seed=seed,
    )
    return isa


def cost_model_for(
    circuit: Any,
    *,
    device_model: str,
    price_per_second: float = DEFAULT_PRICE_PER_SECOND,
    overhead_per_subjob_seconds: float = DEFAULT_OVERHEAD_PER_SUBJOB,
    seed: int = 0,
) -> QpuCostModel:
    """The cost model of ``circuit`` (measured, maybe parametrised) on snapshot ``device_model``."""
    from quantumlimits.errors import UsageError
    from quantumlimits.execution.backends import calibration_date, load_snapshot

    backend = load_snapshot(device_model)
    if circuit.num_qubits > backend.target.num_qubits:
        raise UsageError(
            f"the circuit needs {circuit.num_qubits} qubits, {device_model} has "
            f"{backend.target.num_qubits}: "
            "choose a larger --device-model"
        )
    isa = isa_circuit(circuit, backend=backend, seed=seed)
    return QpuCostModel(
        device_model=device_model,
        calibration_date=calibration_date(backend),
        circuit_seconds=circuit_seconds(isa, backend.target),
        rep_delay_seconds=rep_delay_seconds(backend),
        overhead_per_subjob_seconds=overhead_per_subjob_seconds,
        price_per_second=price_per_second,
    )
