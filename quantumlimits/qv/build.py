"""A width's circuits as every path runs them: model circuits, measured, transpiled to a layout.

One place builds and transpiles them for the local run
(:func:`quantumlimits.qv.protocol.run_width`), the QPU-time projection of a cloud run
(:mod:`quantumlimits.qv.cloud`) and the calibration prediction
(:func:`quantumlimits.qv.protocol.predict_scan`), so the three cannot drift apart.

A width's circuits are routed on the layout's sub-target alone: routing stays inside the chosen
qubits, as QV runs on hardware do, and the small target makes routing several times faster. One
transpiler seed serves the whole width, so a circuit's transpilation does not depend on the chunk
it travels in.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qiskit import QuantumCircuit

from quantumlimits.circuits import measured, qv_circuits
from quantumlimits.execution.aer import sub_target
from quantumlimits.execution.executor import CHUNK, JobKey, Mapper, chunks, local_map
from quantumlimits.qv.tasks import TranspileTask, run_transpile_task
from quantumlimits.seeding import STREAM_TRANSPILE, derive_seed


def job_key(width: int, depth: int) -> JobKey:
    """How a width's batch of circuits is named, labelled and seeded for an executor.

    >>> job_key(5, 5), job_key(5, 3).name
    (JobKey(name='w5', label='width 5', seed_path=(5, 5)), 'w5d3')
    """
    if depth == width:
        return JobKey(name=f"w{width}", label=f"width {width}", seed_path=(width, depth))
    return JobKey(
        name=f"w{width}d{depth}", label=f"width {width} depth {depth}", seed_path=(width, depth)
    )


@dataclass(frozen=True)
class Placement:
    """Where a width's circuits run: the device (its name, and its target unless noiseless) and
    the physical qubits of the layout (local qubit ``i`` on ``qubits[i]``).

    ``by_name`` says whether a worker can load the device from its name; otherwise tasks carry the
    layout's sub-target itself (a cloud device).
    """

    device: str
    target: Any | None
    qubits: tuple[int, ...]
    by_name: bool = True

    def local_target(self) -> Any | None:
        """The calibration of the layout's qubits alone (None when noiseless)."""
        return None if self.target is None else sub_target(self.target, self.qubits)


def model_circuits(
    *, width: int, depth: int, seed: int, start: int = 0, count: int
) -> list[QuantumCircuit]:
    """Measured model circuits ``start .. start+count-1`` of a (width, depth) cell."""
    return [
        measured(c)
        for c in qv_circuits(width=width, depth=depth, seed=seed, count=count, start=start)
    ]


def transpile_seed(*, seed: int, width: int, depth: int) -> int:
    """The transpiler seed every circuit of a (width, depth) cell shares."""
    return derive_seed(seed, STREAM_TRANSPILE, width, depth)


#: Model circuits a cell's transpilation remembers in process, from its first: the calibration
#: prediction's sample (protocol.PREDICTION_SAMPLE) and the layout candidates' (LAYOUT_SAMPLES)
#: are the first circuits of the cell the measurement then transpiles again.
MEMO_CIRCUITS = 20
_MEMO_CELLS = 64
_memo: OrderedDict[tuple[Any, ...], dict[int, QuantumCircuit]] = OrderedDict()


def transpile(
    circuits: Sequence[QuantumCircuit],
    *,
    placement: Placement,
    width: int,
    depth: int,
    seed: int,
    optimization_level: int,
    mapper: Mapper = local_map,
    first: int | None = None,
    approximate: bool = False,
) -> list[QuantumCircuit]:
    """ISA circuits on the layout's local qubits, transpiled in chunks handed to ``mapper``
    (``approximate``: synthesis up to a device spec's published errors, docs/devices.md).

    ``first``: the index of ``circuits[0]`` among the cell's model circuits, when they are the
    cell's own. A local transpilation then reuses the cell's first :data:`MEMO_CIRCUITS` ISA
    circuits when this process transpiled them already (a circuit's transpilation does not depend
    on its chunk, so they are the circuits it would produce; copies are returned).
    """
    local = mapper is local_map or getattr(mapper, "local", False)
    cell = None
    if first is not None and local:
        cell = _cell(placement, width, depth, seed, optimization_level, approximate)
    if cell is None or first is None:
        return _transpile(
            circuits, placement, width, depth, seed, optimization_level, mapper, approximate
        )
    wanted = range(first, first + len(circuits))
    missing = [i for i in wanted if i not in cell]
    done = _transpile(
        [circuits[i - first] for i in missing],
        placement,
        width,
        depth,
        seed,
        optimization_level,
        mapper,
        approximate,
    )
    fresh = dict(zip(missing, done, strict=True))
    for i, circuit in fresh.items():
        if i < MEMO_CIRCUITS:
            cell[i] = circuit.copy()
    return [fresh[i] if i in fresh else cell[i].copy() for i in wanted]


def warm(
    placements: Sequence[Placement],
    *,
    width: int,
    depth: int,
    seed: int,
    optimization_level: int,
    count: int,
    mapper: Mapper,
    approximate: bool = False,
) -> None:
    """Transpile the first ``count`` model circuits of a cell on each of ``placements`` in one
    call of ``mapper`` and remember them (:func:`transpile` with ``first``), so that several
    layout candidates' samples are transpiled side by side by a pool of local workers instead
    of one after the other. Does nothing for a mapper that is not local (a Dask cluster)."""
    count = min(count, MEMO_CIRCUITS)
    if not getattr(mapper, "local", False) or count < 1:
        return
    circuits = model_circuits(width=width, depth=depth, seed=seed, start=0, count=count)
    todo: list[tuple[dict[int, QuantumCircuit], list[int], Placement]] = []
    tasks = []
    for where in placements:
        cell = _cell(where, width, depth, seed, optimization_level, approximate)
        if cell is None:
            continue
        missing = [i for i in range(count) if i not in cell]
        if not missing:
            continue
        todo.append((cell, missing, where))
        tasks.extend(
            _tasks(
                [circuits[i] for i in missing],
                where,
                width,
                depth,
                seed,
                optimization_level,
                approximate,
            )
        )
    if not tasks:
        return
    results = iter([c for chunk in mapper(run_transpile_task, tasks) for c in chunk])
    for cell, missing, _ in todo:
        for i in missing:
            cell[i] = next(results)


def _cell(
    placement: Placement,
    width: int,
    depth: int,
    seed: int,
    optimization_level: int,
    approximate: bool,
) -> dict[int, QuantumCircuit] | None:
    """The remembered ISA circuits of a cell, by index (the most recently used cells kept), or
    None for a placement whose tasks carry their own target (a cloud device)."""
    if placement.target is not None and not placement.by_name:
        return None
    key = (placement.device, placement.qubits, width, depth, seed, optimization_level, approximate)
    cell = _memo.setdefault(key, {})
    _memo.move_to_end(key)
    while len(_memo) > _MEMO_CELLS:
        _memo.popitem(last=False)
    return cell


def _transpile(
    circuits: Sequence[QuantumCircuit],
    placement: Placement,
    width: int,
    depth: int,
    seed: int,
    optimization_level: int,
    mapper: Mapper,
    approximate: bool = False,
) -> list[QuantumCircuit]:
    if not circuits:
        return []
    tasks = _tasks(circuits, placement, width, depth, seed, optimization_level, approximate)
    return [c for chunk in mapper(run_transpile_task, tasks) for c in chunk]


def _tasks(
    circuits: Sequence[QuantumCircuit],
    placement: Placement,
    width: int,
    depth: int,
    seed: int,
    optimization_level: int,
    approximate: bool,
) -> list[TranspileTask]:
    noiseless = placement.target is None
    local = None if noiseless or placement.by_name else placement.local_target()
    return [
        TranspileTask(
            circuits=tuple(circuits[start : start + n]),
            backend=None if noiseless else placement.device,
            physical_qubits=placement.qubits,
            target=local,
            optimization_level=optimization_level,
            seed=transpile_seed(seed=seed, width=width, depth=depth),
            approximate=approximate,
        )
        for start, n in chunks(len(circuits), CHUNK)
    ]


def isa_circuits(
    *,
    placement: Placement,
    width: int,
    depth: int,
    seed: int,
    optimization_level: int,
    count: int,
    start: int = 0,
    mapper: Mapper = local_map,
    approximate: bool = False,
) -> list[QuantumCircuit]:
    """A cell's model circuits ``start .. start+count-1``, built and transpiled."""
    circuits = model_circuits(width=width, depth=depth, seed=seed, start=start, count=count)
    return transpile(
        circuits,
        placement=placement,
        width=width,
        depth=depth,
        seed=seed,
        optimization_level=optimization_level,
        mapper=mapper,
        first=start,
        approximate=approximate,
    )
