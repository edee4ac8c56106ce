"""Executors: where a batch of ISA circuits runs and comes back as counts.

An executor knows circuits, not what they measure: each batch comes with a :class:`JobKey` its
caller made (a QV width, a classifier's training step), which names, labels and seeds it.

:class:`Executor` simulates a device snapshot with Aer, in chunks of :data:`CHUNK` circuits
(:class:`NoisyTask`) handed to a mapper: the builtin ``map`` in-process, or a Dask session's. The
cloud executor (:class:`quantumlimits.execution.ibm.IBMExecutor`) subclasses it. Each task carries
only names, seeds and circuits (all picklable); its seed depends on the index of its first circuit
alone, so counts are identical however the chunks are spread.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from qiskit import QuantumCircuit

from quantumlimits.execution.aer import NoisyRun, run_noisy
from quantumlimits.seeding import STREAM_SIMULATE, derive_seed

if TYPE_CHECKING:
    from quantumlimits.store import ResultsStore

#: Circuits per task. Fixed (not derived from the number of workers) so seeds never depend on it.
CHUNK = 25


def chunks(count: int, size: int = CHUNK) -> list[tuple[int, int]]:
    """``(start, count)`` pairs covering ``range(count)``.

    >>> chunks(60)
    [(0, 25), (25, 25), (50, 10)]
    """
    return [(s, min(size, count - s)) for s in range(0, count, size)]


@dataclass(frozen=True)
class NoisyTask:
    """Run a chunk of ISA circuits on a device snapshot's noisy simulation.

    Pickled (to go to a Dask worker) with its circuits as QPY: for 25 width-10 ISA circuits QPY
    takes about 0.06 s each way where pickle takes 0.6 s to dump and 0.4 s to load, and the client
    serializes every chunk before the first one can start.
    """

    backend: str
    circuits: tuple[QuantumCircuit, ...]
    shots: int
    seed: int
    physical_qubits: tuple[int, ...] | None = None  # local qubit i is physical_qubits[i]
    device: str = "cpu"
    engine: str = "auto"
    #: per circuit, the outcome set whose probability's Monte-Carlo error a sampling engine
    #: controls, as packed bits (:func:`pack_outcomes`), or None
    tracked: tuple[bytes | None, ...] | None = None

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        fields = (
            self.backend,
            self.shots,
            self.seed,
            self.physical_qubits,
            self.device,
            self.engine,
            self.tracked,
        )
        return _noisy_task_from_qpy, (qpy_bytes(self.circuits), *fields)


def pack_outcomes(mask: np.ndarray) -> bytes:
    """A boolean mask over outcomes as packed bits (little-endian bit order).

    >>> unpack_outcomes(pack_outcomes(np.array([True, False, True, True])), 4).tolist()
    [True, False, True, True]
    """
    return np.packbits(np.asarray(mask, dtype=bool), bitorder="little").tobytes()


def unpack_outcomes(data: bytes, size: int) -> np.ndarray:
    """Inverse of :func:`pack_outcomes` for ``size`` outcomes."""
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")
    return bits[:size].astype(bool)


def qpy_bytes(circuits: Sequence[QuantumCircuit]) -> bytes:
    """``circuits`` as one QPY payload (what :func:`from_qpy` reads back, equal circuits)."""
    from qiskit import qpy

    buffer = io.BytesIO()
    qpy.dump(list(circuits), buffer)
    return buffer.getvalue()


def from_qpy(payload: bytes) -> tuple[QuantumCircuit, ...]:
    """The circuits of a :func:`qpy_bytes` payload."""
    from qiskit import qpy

    return tuple(qpy.load(io.BytesIO(payload)))


def _noisy_task_from_qpy(
    payload: bytes,
    backend: str,
    shots: int,
    seed: int,
    physical_qubits: tuple[int, ...] | None,
    device: str,
    engine: str = "auto",
    tracked: tuple[bytes | None, ...] | None = None,
) -> NoisyTask:
    return NoisyTask(
        backend, from_qpy(payload), shots, seed, physical_qubits, device, engine, tracked
    )


@functools.lru_cache(maxsize=4)
def snapshot_target(backend: str) -> Any:
    from quantumlimits.execution.backends import snapshot_target as cached

    return cached(backend)


def run_noisy_task(task: NoisyTask) -> NoisyRun:
    """Counts of one chunk, simulated with the device noise of the qubits it touches."""
    return run_noisy(
        task.circuits,
        target=snapshot_target(task.backend),
        shots=task.shots,
        seed=task.seed,
        physical_qubits=task.physical_qubits,
        device=task.device,
        engine=task.engine,
        tracked=_tracked_masks(task),
    )


def _tracked_masks(task: NoisyTask) -> list[np.ndarray | None] | None:
    if task.tracked is None:
        return None
    return [
        None if data is None else unpack_outcomes(data, 1 << circuit.num_clbits)
        for circuit, data in zip(task.circuits, task.tracked, strict=True)
    ]


@dataclass(frozen=True)
class JobKey:
    """A batch of circuits as the caller names it; executors treat it as opaque.

    ``name`` keys the batch's jobs in the store's journal (unique within a run), ``label`` names
    it in messages, and ``seed_path`` seeds it: the chunk starting at circuit ``i`` gets
    ``derive_seed(seed, STREAM_SIMULATE, *seed_path, i)``.

    >>> JobKey(name="w5", label="width 5", seed_path=(5, 5)).name
    'w5'
    """

    name: str
    label: str
    seed_path: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not self.name or not self.label:
            raise ValueError("a job key needs a name and a label")

    def chunk_seed(self, seed: int, first_index: int) -> int:
        """The seed of the chunk whose first circuit is ``first_index``."""
        return derive_seed(seed, STREAM_SIMULATE, *self.seed_path, first_index)


def noisy_tasks(
    *,
    backend: str,
    circuits: Sequence[QuantumCircuit],
    shots: int,
    seed: int,
    key: JobKey,
    physical_qubits: Sequence[int] | None = None,
    device: str = "cpu",
    first_index: int = 0,
    engine: str = "auto",
    tracked: Sequence[bytes | None] | None = None,
) -> list[NoisyTask]:
    """Chunk ISA circuits into tasks, each seeded by its first circuit's index.

    ``first_index`` is the index of ``circuits[0]`` in the batch (when a batch runs in rounds).
    """
    return [
        NoisyTask(
            backend=backend,
            circuits=tuple(circuits[start : start + count]),
            shots=shots,
            seed=key.chunk_seed(seed, first_index + start),
            physical_qubits=tuple(physical_qubits) if physical_qubits is not None else None,
            device=device,
            engine=engine,
            tracked=tuple(tracked[start : start + count]) if tracked is not None else None,
        )
        for start, count in chunks(len(circuits))
    ]


Mapper: TypeAlias = Callable[[Callable[[Any], Any], Sequence[Any]], Iterable[Any]]


def local_map(func: Callable[[Any], Any], items: Sequence[Any]) -> Iterable[Any]:
    return map(func, items)


class Executor:
    """Runs a width's ISA circuits and returns their counts.

    The default simulates a device snapshot with Aer, in chunks handed to ``mapper`` (the builtin
    ``map`` in-process, or a Dask client's). Other executors (a cloud device) override
    :meth:`execute`.
    """

    def __init__(
        self,
        backend: str,
        mapper: Mapper | None = None,
        *,
        aer_device: str = "cpu",
        engine: str = "auto",
    ) -> None:
        self.backend = backend
        self.mapper: Mapper = mapper or local_map
        self.aer_device = aer_device
        self.engine = engine

    def execute(
        self,
        circuits: Sequence[Any],
        *,
        key: JobKey,
        shots: int,
        seed: int,
        physical_qubits: Sequence[int],
        advance: Callable[[int], None],
        first_index: int = 0,
        tracked: Sequence[bytes | None] | None = None,
        mc_variances: list[float | None] | None = None,
    ) -> tuple[list[dict[int, int]], tuple[int, ...], str]:
        """Counts per circuit (in order), the physical qubits simulated, the method used.

        ``circuits`` act on local qubits; local qubit ``i`` is ``physical_qubits[i]``.
        ``first_index`` is the batch's index of ``circuits[0]`` (a batch may run in rounds).
        ``tracked`` gives, per circuit, an outcome set (:func:`pack_outcomes`) whose
        probability's Monte-Carlo variance a sampling engine controls; each circuit's variance
        (None when not known) is appended to ``mc_variances`` when given.
        """
        task_list = noisy_tasks(
            backend=self.backend,
            circuits=circuits,
            shots=shots,
            seed=seed,
            key=key,
            physical_qubits=physical_qubits,
            device=self.aer_device,
            first_index=first_index,
            engine=self.engine,
            tracked=tracked,
        )
        counts: list[dict[int, int]] = []
        qubits: set[int] = set()
        methods: set[str] = set()
        for task, run in zip(task_list, self.mapper(run_noisy_task, task_list), strict=True):
            counts.extend(run.counts)
            if mc_variances is not None:
                mc_variances.extend(run.mc_variances or [None] * len(run.counts))
            qubits.update(run.physical_qubits)
            methods.add(run.method)
            advance(len(task.circuits))
        return counts, tuple(sorted(qubits)), "+".join(sorted(methods))

    def device(self) -> Any | None:
        """The Qiskit backend circuits run on when it is not a local snapshot (a cloud device)."""
        return None

    def attach(self, *, store: ResultsStore | None, run_id: str | None) -> None:
        """Called once a run has its id, before any width runs (a cloud executor journals jobs)."""
