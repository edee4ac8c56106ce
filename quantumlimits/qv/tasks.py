"""Self-contained units of QV work that can run in this process or on a Dask worker.

Each task carries only seeds, names and circuits (all picklable) and returns only what the analysis
needs: packed heavy masks, ideal HOPs and counts, never amplitudes. Chunk boundaries and seeds
depend on the circuit indices alone, so results are identical however the chunks are spread.
The noisy-execution task (:class:`NoisyTask`) lives with the executors in
:mod:`quantumlimits.execution.executor` and is re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qiskit import QuantumCircuit

from quantumlimits.circuits import qv_circuits
from quantumlimits.execution.aer import (
    ideal_probabilities,
    sample_counts,
    sub_target,
)
from quantumlimits.execution.executor import (  # noqa: F401  (re-exported: qv.tasks.NoisyTask)
    CHUNK,
    NoisyTask,
    chunks,
    from_qpy,
    noisy_tasks,
    qpy_bytes,
    run_noisy_task,
)
from quantumlimits.execution.executor import snapshot_target as _target
from quantumlimits.execution.transpile import transpile_circuits
from quantumlimits.qv.heavy import heavy_mask, ideal_hop, pack_mask
from quantumlimits.seeding import STREAM_SIMULATE, derive_seed


@dataclass(frozen=True)
class IdealTask:
    """Build circuits ``start .. start+count-1`` and compute their heavy sets."""

    seed: int
    width: int
    depth: int
    start: int
    count: int
    sample_shots: int = 0  # > 0: also sample this many shots from the ideal distribution
    precision: str = "double"
    device: str = "cpu"


@dataclass(frozen=True)
class IdealOutcome:
    """One circuit's heavy set (packed bits), ideal HOP and, when sampled, its counts."""

    index: int
    heavy_mask: bytes
    ideal_hop: float
    counts: dict[int, int] | None


def run_ideal_task(task: IdealTask) -> list[IdealOutcome]:
    """Heavy sets of a chunk of model circuits (amplitudes are dropped inside)."""
    circuits = qv_circuits(
        width=task.width, depth=task.depth, seed=task.seed, count=task.count, start=task.start
    )
    out = []
    probabilities_iter = ideal_probabilities(circuits, precision=task.precision, device=task.device)
    # Not enumerate(): its reused result tuple would keep the previous vector alive while the
    # next circuit is simulated (8 bytes per amplitude on top of the state).
    index = task.start - 1
    for probabilities in probabilities_iter:
        index += 1
        mask = heavy_mask(probabilities)
        counts = None
        if task.sample_shots:
            seed = derive_seed(task.seed, STREAM_SIMULATE, task.width, task.depth, index)
            counts = sample_counts(probabilities, shots=task.sample_shots, seed=seed)
        out.append(IdealOutcome(index, pack_mask(mask), ideal_hop(probabilities, mask), counts))
        del probabilities, mask
    return out


@dataclass(frozen=True)
class TranspileTask:
    """Transpile a chunk of measured model circuits for a (sub-)target."""

    circuits: tuple[QuantumCircuit, ...]
    backend: str | None  # None: the noiseless basis, all-to-all
    physical_qubits: tuple[int, ...]  # the layout: local qubit i is physical_qubits[i]
    optimization_level: int
    seed: int
    target: Any | None = None  # a ready sub-target, for devices no worker can load by name
    #: approximate synthesis up to a device spec's published errors (transpile_circuits)
    approximate: bool = False

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        fields = (self.backend, self.physical_qubits, self.optimization_level, self.seed)
        payload = qpy_bytes(self.circuits)
        return _transpile_task_from_qpy, (payload, *fields, self.target, self.approximate)


def _transpile_task_from_qpy(
    payload: bytes,
    backend: str | None,
    physical_qubits: tuple[int, ...],
    optimization_level: int,
    seed: int,
    target: Any | None,
    approximate: bool = False,
) -> TranspileTask:
    return TranspileTask(
        from_qpy(payload), backend, physical_qubits, optimization_level, seed, target, approximate
    )


class QpyCircuits(list[QuantumCircuit]):
    """A list of circuits that pickles as one QPY payload (ten times faster than pickle for ISA
    circuits; the circuits come back equal)."""

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return _qpy_circuits, (qpy_bytes(self),)


def _qpy_circuits(payload: bytes) -> QpyCircuits:
    return QpyCircuits(from_qpy(payload))


def _sub_target(backend: str, qubits: tuple[int, ...]) -> Any:
    return sub_target(_target(backend), qubits)


def run_transpile_task(task: TranspileTask) -> list[QuantumCircuit]:
    """ISA circuits of a chunk for the layout's qubits alone (routing stays inside them).

    Returned as :class:`QpyCircuits`, so that from a Dask worker they travel as QPY.
    """
    if task.target is not None:
        target = task.target
    elif task.backend is not None:
        target = _sub_target(task.backend, task.physical_qubits)
    else:
        target = None
    return QpyCircuits(
        transpile_circuits(
            task.circuits,
            target=target,
            initial_layout=range(len(task.physical_qubits)) if target is not None else None,
            optimization_level=task.optimization_level,
            seed=task.seed,
            approximate=task.approximate,
        )
    )
