"""The quantum volume width scan: build -> ideal -> transpile -> execute -> analyse, per width.

>>> import warnings
>>> from quantumlimits.qv.protocol import run_qv
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")  # 20 circuits: below the protocol's 100, flagged invalid
...     result = run_qv(backend="aer", widths=[2], trials=20, shots=200, seed=3)
>>> result.widths[0].circuits, result.valid
(20, False)
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np

from quantumlimits import provenance
from quantumlimits.circuits import MIN_WIDTH, measured, qv_circuits
from quantumlimits.errors import UsageError
from quantumlimits.execution import backends as backends_mod
from quantumlimits.execution.layout import Layout, best_layout, check_layout
from quantumlimits.execution.transpile import transpile_circuits, two_qubit_count
from quantumlimits.qv import stats, tasks
from quantumlimits.qv.heavy import counts_to_arrays, heavy_count_arrays, unpack_mask
from quantumlimits.results import STAGES, QVResult, WidthResult
from quantumlimits.seeding import STREAM_TRANSPILE, derive_seed
from quantumlimits.store import ResultsStore, StoredCircuit

#: Widest noiseless width ``--widths auto`` scans to unless told otherwise.
AUTO_MAX_WIDTH_NOISELESS = 10
#: Fraction of physical memory one width's simulation may plan to use.
MEMORY_FRACTION = 0.8


class QVWarning(UserWarning):
    """A statistically weak but valid result (for example fewer than 100 circuits)."""


@dataclass(frozen=True)
class WidthPlan:
    """Which widths to run: an explicit list, or ``auto`` (scan up until the first failure)."""

    auto: bool
    widths: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not self.auto and not self.widths:
            raise UsageError("no widths given: pass --widths auto, A-B or a comma list")
        bad = [w for w in self.widths if w < MIN_WIDTH]
        if bad:
            raise UsageError(f"widths {bad} are below {MIN_WIDTH}: QV needs width >= 2")


def parse_widths(text: str) -> WidthPlan:
    """Parse ``auto``, ``A-B`` or ``a,b,c``.

    >>> parse_widths("2-4").widths, parse_widths("5,3").widths, parse_widths("auto").auto
    ((2, 3, 4), (3, 5), True)
    """
    text = text.strip().lower()
    if text == "auto":
        return WidthPlan(auto=True)
    try:
        if "-" in text:
            lo, hi = (int(p) for p in text.split("-", 1))
            if hi < lo:
                raise UsageError(f"--widths {text}: the range is empty, write it low-high")
            return WidthPlan(auto=False, widths=tuple(range(lo, hi + 1)))
        return WidthPlan(auto=False, widths=tuple(sorted({int(p) for p in text.split(",")})))
    except ValueError as exc:
        if isinstance(exc, UsageError):
            raise
        raise UsageError(
            f"--widths {text!r} is not understood: "
            "write auto, a range like 2-6, or a list like 2,3,5"
        ) from None


@dataclass
class Progress:
    """Callbacks the protocol calls as work advances; the default does nothing."""

    def width_started(self, width: int, circuits: int) -> None:
        pass

    def stage(self, width: int, stage: str) -> None:
        pass

    def advance(self, width: int, circuits: int) -> None:
        pass

    def width_done(self, result: WidthResult) -> None:
        pass


@dataclass
class _Device:
    name: str
    backend: Any | None
    target: Any | None
    calibration_date: str | None
    max_width: int


def _device(name: str) -> _Device:
    backends_mod.check_backend_name(name)
    if name == backends_mod.NOISELESS:
        return _Device(name, None, None, None, max_width=_memory_max_width())
    backend = backends_mod.load_snapshot(name)
    return _Device(
        name, backend, backend.target, backends_mod.calibration_date(backend), backend.num_qubits
    )


def _memory_bytes() -> int:
    info = provenance.machine()
    return int(info.get("memory_bytes") or 8 * 2**30)  # type: ignore[call-overload]


def statevector_bytes(width: int) -> int:
    """Memory one ideal simulation at ``width`` needs: complex128 state + float64 probabilities."""
    return (16 + 8) * (1 << width)


@dataclass(frozen=True)
class MemoryBudget:
    """Memory one simulation task may use where tasks run (a Dask worker, say), and its name.

    Without one, the budget is this machine's memory.
    """

    bytes: int
    where: str = "available here"


def _memory_max_width(budget_bytes: int | None = None) -> int:
    budget = MEMORY_FRACTION * (budget_bytes if budget_bytes is not None else _memory_bytes())
    width = MIN_WIDTH
    while statevector_bytes(width + 1) <= budget:
        width += 1
    return width


def _size(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def check_memory(width: int, *, memory: MemoryBudget | None = None) -> None:
    """Refuse a width whose ideal simulation cannot fit in memory (this machine's by default)."""
    need = statevector_bytes(width)
    memory = memory or MemoryBudget(_memory_bytes())
    budget = MEMORY_FRACTION * memory.bytes
    if need > budget:
        raise UsageError(
            f"width {width} needs about {_size(need)} for its ideal simulation, more than "
            f"{_size(budget)} {memory.where}: pass smaller --widths"
        )


def _layout(device: _Device, width: int, qubits: Sequence[int] | None) -> Layout | None:
    if device.target is None:
        return None
    if qubits is not None:
        if len(qubits) < width:
            raise UsageError(
                f"--qubits lists {len(qubits)} qubits but width {width} needs {width}: "
                "list more qubits or pass smaller --widths"
            )
        return check_layout(device.target, tuple(qubits[:width]))
    return best_layout(device.target, width)


def analyse_width(
    *,
    width: int,
    depth: int,
    heavy_counts: Sequence[int],
    shots: Sequence[int],
    seed: int,
    bootstrap_resamples: int,
) -> dict[str, Any]:
    """Statistics of one width from heavy counts (pure; used for fresh runs and re-analysis)."""
    h = np.asarray(heavy_counts, dtype=np.int64)
    s = np.asarray(shots, dtype=np.int64)
    hop_values = stats.hops(h, s)
    cross_lower = stats.cross_lower_bound(hop_values)
    boot_lower = stats.bootstrap_lower_bound(
        heavy_counts=h,
        shots=s,
        seed=derive_seed(seed, width, depth),
        resamples=bootstrap_resamples,
    )
    return {
        "hops": tuple(float(x) for x in hop_values),
        "mean_hop": float(hop_values.mean()),
        "cross_lower": cross_lower,
        "bootstrap_lower": boot_lower,
        "passed_cross": stats.passes(cross_lower),
        "passed_bootstrap": stats.passes(boot_lower),
        "valid": h.size >= stats.MIN_CIRCUITS,
    }


@dataclass
class _Timer:
    totals: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    def add(self, stage: str, start: float) -> None:
        self.totals[stage] += time.perf_counter() - start


Mapper: TypeAlias = Callable[[Callable[[Any], Any], Sequence[Any]], Iterable[Any]]


def _local_map(func: Callable[[Any], Any], items: Sequence[Any]) -> Iterable[Any]:
    return map(func, items)


class Executor:
    """Runs a width's ISA circuits and returns their counts.

    The default simulates a device snapshot with Aer, in chunks handed to ``mapper`` (the builtin
    ``map`` in-process, or a Dask client's). Other executors (a cloud device) override
    :meth:`execute`.
    """

    def __init__(self, backend: str, mapper: Mapper | None = None) -> None:
        self.backend = backend
        self.mapper: Mapper = mapper or _local_map

    def execute(
        self,
        circuits: Sequence[Any],
        *,
        width: int,
        depth: int,
        shots: int,
        seed: int,
        advance: Callable[[int], None],
    ) -> tuple[list[dict[int, int]], tuple[int, ...], str]:
        """Counts per circuit (in order), the physical qubits simulated, the method used."""
        task_list = tasks.noisy_tasks(
            backend=self.backend,
            circuits=circuits,
            shots=shots,
            seed=seed,
            width=width,
            depth=depth,
        )
        counts: list[dict[int, int]] = []
        qubits: set[int] = set()
        methods: set[str] = set()
        for task, run in zip(task_list, self.mapper(tasks.run_noisy_task, task_list), strict=True):
            counts.extend(run.counts)
            qubits.update(run.physical_qubits)
            methods.add(run.method)
            advance(len(task.circuits))
        return counts, tuple(sorted(qubits)), "+".join(sorted(methods))


def run_width(
    *,
    device: _Device,
    width: int,
    depth: int,
    trials: int,
    shots: int,
    seed: int,
    optimization_level: int,
    layout: Layout | None,
    bootstrap_resamples: int,
    progress: Progress,
    executor: Executor | None = None,
    mapper: Mapper | None = None,
) -> tuple[WidthResult, list[StoredCircuit]]:
    """Measure one width: every stage, timed."""
    timer = _Timer()
    mapper = mapper or _local_map
    noiseless = device.target is None
    progress.width_started(width, trials)

    progress.stage(width, "ideal")
    t = time.perf_counter()
    ideal_tasks = [
        tasks.IdealTask(seed, width, depth, start, count, sample_shots=shots if noiseless else 0)
        for start, count in tasks.chunks(trials)
    ]
    outcomes: list[tasks.IdealOutcome] = []
    for chunk in mapper(tasks.run_ideal_task, ideal_tasks):
        outcomes.extend(chunk)
        if noiseless:
            progress.advance(width, len(chunk))
    timer.add("ideal", t)

    progress.stage(width, "build")
    t = time.perf_counter()
    circuits = qv_circuits(width=width, depth=depth, seed=seed, count=trials)
    timer.add("build", t)

    progress.stage(width, "transpile")
    t = time.perf_counter()
    isa = transpile_circuits(
        [measured(c) for c in circuits],
        target=device.target,
        initial_layout=layout.qubits if layout else None,
        optimization_level=optimization_level,
        seed=derive_seed(seed, STREAM_TRANSPILE, width, depth),
    )
    timer.add("transpile", t)

    simulated: tuple[int, ...] | None = None
    if noiseless:
        counts = [o.counts or {} for o in outcomes]
        method = "ideal_sampling"
    else:
        progress.stage(width, "execute")
        t = time.perf_counter()
        executor = executor or Executor(device.name, mapper)
        counts, simulated, method = executor.execute(
            isa,
            width=width,
            depth=depth,
            shots=shots,
            seed=seed,
            advance=lambda n: progress.advance(width, n),
        )
        timer.add("execute", t)

    progress.stage(width, "analyse")
    t = time.perf_counter()
    stored: list[StoredCircuit] = []
    heavy: list[int] = []
    for outcome, c in zip(outcomes, counts, strict=True):
        mask = unpack_mask(outcome.heavy_mask, width)
        observed, values = counts_to_arrays(c)
        h = heavy_count_arrays(observed, values, mask)
        heavy.append(h)
        stored.append(
            StoredCircuit(
                width=width,
                depth=depth,
                index=outcome.index,
                shots=int(values.sum()),
                heavy_count=h,
                ideal_hop=outcome.ideal_hop,
                heavy_mask=outcome.heavy_mask,
                outcomes=observed,
                counts=values,
            )
        )
    analysis = analyse_width(
        width=width,
        depth=depth,
        heavy_counts=heavy,
        shots=[s.shots for s in stored],
        seed=seed,
        bootstrap_resamples=bootstrap_resamples,
    )
    timer.add("analyse", t)

    result = WidthResult(
        width=width,
        depth=depth,
        circuits=trials,
        shots=shots,
        heavy_counts=tuple(heavy),
        ideal_hops=tuple(o.ideal_hop for o in outcomes),
        two_qubit_gates=tuple(two_qubit_count(c) for c in isa),
        depths=tuple(int(c.depth()) for c in isa),
        physical_qubits=layout.qubits if layout else None,
        simulated_qubits=simulated,
        layout_score=layout.score if layout else None,
        method=method,
        timings={k: round(v, 6) for k, v in timer.totals.items()},
        **analysis,
    )
    progress.width_done(result)
    return result, stored


def run_qv(
    *,
    backend: str = backends_mod.DEFAULT_BACKEND,
    widths: WidthPlan | Sequence[int] | str = "auto",
    trials: int = 100,
    shots: int = 1000,
    seed: int = 0,
    optimization_level: int = 1,
    qubits: Sequence[int] | None = None,
    method: str = "cross",
    max_width: int | None = None,
    bootstrap_resamples: int = 10_000,
    store: ResultsStore | None = None,
    progress: Progress | None = None,
    mapper: Mapper | None = None,
    executor: Executor | None = None,
    memory: MemoryBudget | None = None,
    cluster: dict[str, Any] | None = None,
) -> QVResult:
    """Measure the quantum volume of ``backend``.

    ``widths`` is ``"auto"`` (scan up from 2, stop after the first width that fails under
    ``method``), a range string like ``"2-6"``, or a list of widths. With a ``store`` the run and
    every width's counts are recorded as they complete.

    ``mapper`` spreads the work (a :class:`~quantumlimits.execution.dask.DaskSession`, say);
    ``memory`` is then what one task may use there, so a width too large for it is refused before
    anything is scheduled; ``cluster`` describes where it ran (recorded in the provenance).
    """
    if trials < 1:
        raise UsageError(f"--trials must be at least 1, got {trials}")
    if shots < 1:
        raise UsageError(f"--shots must be at least 1, got {shots}")
    if seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {seed}")
    if optimization_level not in (0, 1, 2, 3):
        raise UsageError(f"--optimization-level must be 0-3, got {optimization_level}")
    if method not in stats.METHODS:
        raise UsageError(f"--method must be one of {', '.join(stats.METHODS)}, got {method!r}")
    if bootstrap_resamples < 100:
        raise UsageError(f"bootstrap resamples must be at least 100, got {bootstrap_resamples}")
    if isinstance(widths, str):
        plan = parse_widths(widths)
    elif isinstance(widths, WidthPlan):
        plan = widths
    else:
        plan = WidthPlan(auto=False, widths=tuple(sorted(set(widths))))
    for w in plan.widths:
        check_memory(w, memory=memory)  # first: its message names the memory that is short
    device = _device(backend)
    if memory is not None and device.target is None:
        device.max_width = _memory_max_width(memory.bytes)  # the workers' memory, not ours
    limit = device.max_width
    if plan.auto:
        default_cap = AUTO_MAX_WIDTH_NOISELESS if device.target is None else device.max_width
        limit = min(limit, max_width if max_width is not None else default_cap)
    if qubits is not None and device.target is None:
        raise UsageError("--qubits needs a device backend (fake_*); the noiseless 'aer' has none")
    if qubits is not None and plan.auto:
        limit = min(limit, len(qubits))
    too_wide = [w for w in plan.widths if w > device.max_width]
    if too_wide:
        raise UsageError(
            f"widths {too_wide} are wider than {backend} allows ({device.max_width} qubits): "
            "pass smaller --widths"
        )
    if trials < stats.MIN_CIRCUITS:
        warnings.warn(
            f"{trials} circuits per width is below the protocol's {stats.MIN_CIRCUITS}: "
            "results are flagged valid=false",
            QVWarning,
            stacklevel=2,
        )

    settings = {
        "widths": "auto" if plan.auto else list(plan.widths),
        "max_width": limit if plan.auto else None,
        "trials": trials,
        "shots": shots,
        "optimization_level": optimization_level,
        "qubits": list(qubits) if qubits is not None else None,
        "method": method,
        "bootstrap_resamples": bootstrap_resamples,
        "bootstrap_confidence": stats.CONFIDENCE_TWO_SIGMA,
    }
    prov = provenance.provenance()
    if cluster is not None:
        prov["cluster"] = cluster
    run_id = (
        store.begin_run(kind="qv", backend=backend, seed=seed, created=str(prov["created"]))
        if store
        else None
    )
    progress = progress or Progress()
    results: list[WidthResult] = []
    started = time.perf_counter()
    try:
        queue = list(plan.widths) if not plan.auto else list(range(MIN_WIDTH, limit + 1))
        for width in queue:
            check_memory(width, memory=memory)
            layout = _layout(device, width, qubits)
            result, stored = run_width(
                device=device,
                width=width,
                depth=width,
                trials=trials,
                shots=shots,
                seed=seed,
                optimization_level=optimization_level,
                layout=layout,
                bootstrap_resamples=bootstrap_resamples,
                progress=progress,
                executor=executor,
                mapper=mapper,
            )
            results.append(result)
            if store and run_id:
                store.add_qv_circuits(run_id, stored)
            if plan.auto and not result.passed(method):
                break
    except BaseException:
        if store and run_id:
            store.mark_failed(run_id, summary="interrupted or failed; completed widths are stored")
        raise

    totals = {stage: round(sum(r.timings.get(stage, 0.0) for r in results), 6) for stage in STAGES}
    totals["total"] = round(time.perf_counter() - started, 6)
    passing = [r.width for r in results if r.passed(method)]
    qv = QVResult(
        quantum_volume=stats.quantum_volume(passing),
        decided_by=method,
        valid=all(r.valid for r in results),
        backend=backend,
        calibration_date=device.calibration_date,
        seed=seed,
        settings=settings,
        widths=tuple(results),
        versions=dict(prov.pop("versions")),  # type: ignore[call-overload]
        provenance=prov,
        timings=totals,
        run_id=run_id,
    )
    if store and run_id:
        store.finish_run(run_id, document=qv.to_dict(), summary=summary_line(qv))
    return qv


def summary_line(result: QVResult) -> str:
    """One line: the QV, the device and how it was decided."""
    widths = ",".join(str(w.width) for w in result.widths)
    flag = "" if result.valid else " (not valid: fewer than 100 circuits)"
    return (
        f"QV {result.quantum_volume} on {result.backend} by {result.decided_by} "
        f"(widths {widths}){flag}"
    )


def reanalyse(
    store: ResultsStore,
    run_id: str,
    *,
    method: str | None = None,
    bootstrap_resamples: int | None = None,
) -> QVResult:
    """Recompute a stored run's statistics from its stored counts, without re-simulation."""
    original = QVResult.from_dict(store.document(run_id))
    method = method or original.decided_by
    resamples = bootstrap_resamples or int(original.settings["bootstrap_resamples"])
    widths = []
    for w in original.widths:
        stored = store.qv_circuits(run_id, width=w.width)
        analysis = analyse_width(
            width=w.width,
            depth=w.depth,
            heavy_counts=[c.heavy_count for c in stored],
            shots=[c.shots for c in stored],
            seed=original.seed,
            bootstrap_resamples=resamples,
        )
        widths.append(WidthResult.from_dict({**w.to_dict(), **analysis}))
    passing = [r.width for r in widths if r.passed(method)]
    settings = {**original.settings, "method": method, "bootstrap_resamples": resamples}
    return QVResult(
        **{
            **original.__dict__,
            "widths": tuple(widths),
            "decided_by": method,
            "settings": settings,
            "quantum_volume": stats.quantum_volume(passing),
        }
    )
