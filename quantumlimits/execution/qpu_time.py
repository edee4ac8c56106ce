"""Projected QPU time and cost of running ISA circuits on an IBM device, before sending anything.

IBM's documented usage model: each job pays a fixed overhead (about 2 s), and each shot of each
circuit occupies the QPU for the circuit's duration plus the repetition delay between shots::

    seconds = jobs x JOB_OVERHEAD_S + sum over circuits of shots x (duration + rep_delay)

A circuit's duration comes from the device calibration (``circuit.estimate_duration(target)``),
the repetition delay from ``backend.default_rep_delay``. The projection is checked against the
``usage`` IBM reports for each finished job (recorded in the results store's ``jobs`` table).

>>> from qiskit import QuantumCircuit
>>> from qiskit_ibm_runtime.fake_provider import FakeManilaV2
>>> from qiskit.transpiler import generate_preset_pass_manager
>>> backend = FakeManilaV2()
>>> qc = QuantumCircuit(2); _ = qc.h(0); _ = qc.cx(0, 1); qc.measure_all()
>>> isa = generate_preset_pass_manager(optimization_level=1, backend=backend).run(qc)
>>> p = project(circuits=[isa], shots=1000, jobs=1, target=backend.target,
...             rep_delay=backend.default_rep_delay)
>>> round(p.seconds, 3), p.jobs, round(p.cost(usd_per_second=1.6), 2)
(2.256, 1, 3.61)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qiskit import QuantumCircuit

#: Fixed QPU time IBM bills per job (per sub-job) beyond the shots themselves, in seconds.
JOB_OVERHEAD_S = 2.0
#: Repetition delay assumed when a backend reports none (IBM's common default), in seconds.
DEFAULT_REP_DELAY_S = 250e-6
#: IBM Quantum Pay-As-You-Go list price (USD 96 per QPU minute); override with the real rate.
USD_PER_QPU_SECOND = 1.6
PRICE_SOURCE = "IBM Quantum Pay-As-You-Go, USD 96/min (https://www.ibm.com/quantum/pricing)"


def usage_seconds(
    *,
    jobs: float,
    circuits: float,
    shots: int,
    seconds_per_shot: float,
    overhead: float = JOB_OVERHEAD_S,
) -> float:
    """IBM's usage model: ``jobs * overhead + circuits * shots * seconds_per_shot``, where
    ``seconds_per_shot`` is a circuit's duration plus the repetition delay.

    >>> usage_seconds(jobs=1, circuits=10, shots=1000, seconds_per_shot=252e-6)
    4.52
    """
    if jobs < 0 or circuits < 0 or shots < 0 or seconds_per_shot < 0 or overhead < 0:
        raise ValueError("jobs, circuits, shots, durations and overhead must be non-negative")
    return jobs * overhead + circuits * shots * seconds_per_shot


def seconds_per_circuit(
    *,
    duration_s: float,
    rep_delay_s: float,
    shots: int,
    job_overhead_s: float = JOB_OVERHEAD_S,
    circuits_per_job: int = 100,
) -> float:
    """One circuit's projected QPU seconds, its share of the job overhead included.

    >>> round(seconds_per_circuit(duration_s=1e-5, rep_delay_s=2.5e-4, shots=1000), 6)
    0.28
    """
    if shots < 1 or circuits_per_job < 1:
        raise ValueError("shots and circuits_per_job must be at least 1")
    return usage_seconds(
        jobs=1 / circuits_per_job,
        circuits=1,
        shots=shots,
        seconds_per_shot=duration_s + rep_delay_s,
        overhead=job_overhead_s,
    )


@dataclass(frozen=True)
class Projection:
    """Projected QPU seconds of some jobs: fixed job overhead plus shots x (duration + delay)."""

    jobs: int
    circuits: int
    shots: int
    overhead_seconds: float
    shot_seconds: float

    def __post_init__(self) -> None:
        if self.jobs < 0 or self.circuits < 0 or self.shots < 0:
            raise ValueError(f"negative counts in {self!r}")
        for name in ("overhead_seconds", "shot_seconds"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be finite and >= 0, got {value}")

    @property
    def seconds(self) -> float:
        """Projected QPU seconds in total."""
        return self.overhead_seconds + self.shot_seconds

    def cost(self, *, usd_per_second: float = USD_PER_QPU_SECOND) -> float:
        """Projected cost in USD at ``usd_per_second``."""
        return self.seconds * usd_per_second

    def __add__(self, other: Projection) -> Projection:
        return Projection(
            jobs=self.jobs + other.jobs,
            circuits=self.circuits + other.circuits,
            shots=self.shots + other.shots,
            overhead_seconds=self.overhead_seconds + other.overhead_seconds,
            shot_seconds=self.shot_seconds + other.shot_seconds,
        )


NOTHING = Projection(jobs=0, circuits=0, shots=0, overhead_seconds=0.0, shot_seconds=0.0)


def circuit_seconds(circuit: QuantumCircuit, target: Any) -> float:
    """Duration of one shot of an ISA ``circuit`` on ``target`` from its calibrated gate times."""
    try:
        return float(circuit.estimate_duration(target, unit="s"))
    except Exception as exc:  # a target without durations for some instruction
        raise ValueError(
            f"cannot estimate the duration of circuit {circuit.name!r} on this device ({exc}); "
            "it must be an ISA circuit of the device"
        ) from exc


def rep_delay_seconds(backend: Any) -> float:
    """The backend's default repetition delay between shots, in seconds."""
    delay = getattr(backend, "default_rep_delay", None)
    return float(delay) if delay is not None else DEFAULT_REP_DELAY_S


def project(
    *,
    circuits: Sequence[QuantumCircuit],
    shots: int,
    jobs: int,
    target: Any,
    rep_delay: float,
    overhead: float = JOB_OVERHEAD_S,
) -> Projection:
    """Projected QPU time of running ``circuits`` at ``shots`` each, in ``jobs`` jobs."""
    if shots < 1:
        raise ValueError(f"shots must be >= 1, got {shots}")
    per_shot = sum(circuit_seconds(c, target) + rep_delay for c in circuits)
    return Projection(
        jobs=jobs,
        circuits=len(circuits),
        shots=shots * len(circuits),
        overhead_seconds=usage_seconds(
            jobs=jobs, circuits=0, shots=0, seconds_per_shot=0, overhead=overhead
        ),
        shot_seconds=usage_seconds(
            jobs=0, circuits=1, shots=shots, seconds_per_shot=per_shot, overhead=overhead
        ),
    )


def describe(projection: Projection, *, usd_per_second: float = USD_PER_QPU_SECOND) -> str:
    """One line: jobs, circuits, shots, projected QPU seconds and cost.

    >>> describe(Projection(jobs=2, circuits=200, shots=200000, overhead_seconds=4.0,
    ...                     shot_seconds=60.0))
    '2 jobs, 200 circuits, 200000 shots: about 64.0 QPU seconds (~$102.40 at $1.60/s)'
    """
    return (
        f"{projection.jobs} jobs, {projection.circuits} circuits, {projection.shots} shots: "
        f"about {projection.seconds:.1f} QPU seconds "
        f"(~${projection.cost(usd_per_second=usd_per_second):.2f} at ${usd_per_second:.2f}/s)"
    )
