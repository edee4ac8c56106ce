"""The quantum volume width scan: build -> ideal -> transpile -> execute -> analyse, per width.

:func:`measure` runs a :class:`~quantumlimits.qv.settings.QVSettings`; :func:`run_qv` is the same
with the settings as keywords. Device-dependent checks (:func:`prepare`) come before any work and
before the run is recorded. With a store, the run is recorded through one lifecycle
(:meth:`quantumlimits.store.ResultsStore.recording`): each finished width's circuits and result
are committed as it completes, and :func:`resume` continues a stopped run from its recorded
settings without running a finished width again.

>>> import warnings
>>> from quantumlimits.qv.protocol import run_qv
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")  # 20 circuits: below the protocol's 100, flagged invalid
...     result = run_qv(backend="aer", widths=[2], trials=20, shots=200, seed=3)
>>> result.widths[0].circuits, result.valid
(20, False)
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from quantumlimits import provenance
from quantumlimits.circuits import MIN_WIDTH
from quantumlimits.errors import UsageError
from quantumlimits.execution import backends as backends_mod
from quantumlimits.execution.aer import ideal_memory_bytes, resolve_device
from quantumlimits.execution.backends import TargetKey
from quantumlimits.execution.density import MAX_QUBITS as DENSITY_MAX_QUBITS
from quantumlimits.execution.executor import Executor, Mapper, local_map
from quantumlimits.execution.layout import Layout, candidate_layouts, check_layout
from quantumlimits.execution.transpile import circuit_depth, two_qubit_count
from quantumlimits.progress import WidthProgress
from quantumlimits.qv import analysis, build, stats, tasks
from quantumlimits.qv import optimize as optimize_mod
from quantumlimits.qv.analysis import analyse_width, summary_line
from quantumlimits.qv.heavy import counts_to_arrays, heavy_count_arrays, unpack_mask
from quantumlimits.qv.optimize import Optimizations
from quantumlimits.qv.predict import WidthPrediction, predict_isa
from quantumlimits.qv.results import STAGES, QVResult, WidthResult
from quantumlimits.qv.sequential import SequentialTest, Verdict, sequential_verdict
from quantumlimits.qv.settings import (
    AUTO_MAX_WIDTH_NOISELESS,
    QVSettings,
    WidthPlan,
    parse_widths,
)
from quantumlimits.seeding import derive_seed
from quantumlimits.store import ResultsStore, RunRecord, StoredCircuit, recording

__all__ = [
    "AUTO_MAX_WIDTH_NOISELESS",
    "QVSettings",
    "QVWarning",
    "TaskMemory",
    "WidthPlan",
    "analyse_width",
    "measure",
    "parse_widths",
    "predict_scan",
    "prepare",
    "reanalyse",
    "resume",
    "run_qv",
    "summary_line",
]

#: Fraction of physical memory one width's simulation may plan to use.
MEMORY_FRACTION = 0.8
#: Circuits whose calibration-based prediction is printed beside each measured width.
PREDICTION_SAMPLE = 20


class QVWarning(UserWarning):
    """A statistically weak but valid result (for example fewer than 100 circuits)."""


#: The scan's progress callbacks (:class:`quantumlimits.progress.WidthProgress`).
Progress = WidthProgress


# -- the device and its memory -----------------------------------------------------------------


@dataclass
class Device:
    """The backend a run measures: its target (None when noiseless) and how wide it goes."""

    name: str
    backend: Any | None
    target: Any | None
    calibration_date: str | None
    max_width: int

    @property
    def noiseless(self) -> bool:
        """Whether this is the noiseless simulator (no target, no layout)."""
        return self.target is None

    @property
    def cloud(self) -> bool:
        """Whether it is an IBM Quantum cloud device."""
        return backends_mod.is_cloud_name(self.name)


def load_device(name: str, precision: str = "double", executor: Executor | None = None) -> Device:
    """The device called ``name`` (a cloud device through ``executor``)."""
    backends_mod.check_backend_name(name)
    if name == backends_mod.NOISELESS:
        return Device(name, None, None, None, max_width=_memory_max_width(precision))
    remote = executor.device() if executor is not None else None
    if remote is None and backends_mod.is_cloud_name(name):
        raise UsageError(
            f"{name} is an IBM Quantum cloud device: run it with an IBMExecutor "
            "(quantumlimits.execution.ibm), as 'quantumlimits qv --backend' does"
        )
    if remote is not None:
        return Device(
            name, remote, remote.target, backends_mod.calibration_date(remote), remote.num_qubits
        )
    target = backends_mod.snapshot_target(name)  # unpickled from the cache once written
    return Device(
        name, None, target, backends_mod.snapshot_calibration_date(name), target.num_qubits
    )


def _memory_bytes() -> int:
    info = provenance.machine()
    return int(info.get("memory_bytes") or 8 * 2**30)  # type: ignore[call-overload]


def statevector_bytes(width: int, *, precision: str = "double") -> int:
    """Least memory the ideal stage needs at ``width`` (one circuit at a time)."""
    return ideal_memory_bytes(width, precision=precision)


@dataclass(frozen=True)
class TaskMemory:
    """Memory one simulation task may use where tasks run (a Dask worker, say), and its name.

    Without one, the budget is this machine's memory.
    """

    bytes: int
    where: str = "available here"


def _memory_max_width(precision: str = "double", budget_bytes: int | None = None) -> int:
    budget = MEMORY_FRACTION * (budget_bytes if budget_bytes is not None else _memory_bytes())
    width = MIN_WIDTH
    while statevector_bytes(width + 1, precision=precision) <= budget:
        width += 1
    return width


def _size(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def check_memory(
    width: int, *, precision: str = "double", memory: TaskMemory | None = None
) -> None:
    """Refuse, before any work, a width whose ideal simulation cannot fit in memory (this
    machine's by default, or ``memory`` where the tasks run)."""
    need = statevector_bytes(width, precision=precision)
    memory = memory or TaskMemory(_memory_bytes())
    budget = MEMORY_FRACTION * memory.bytes
    if need > budget:
        hint = " or --precision single" if precision == "double" else ""
        raise UsageError(
            f"width {width} needs about {_size(need)} for its ideal simulation, more than "
            f"the {_size(budget)} {memory.where}: pass smaller --widths{hint}"
        )


# -- preparing a run: every check that needs the device, before any work ----------------------


@dataclass(frozen=True)
class Prepared:
    """A run ready to start: its settings as recorded (``max_width`` the auto scan's limit,
    ``device`` the one that will run) and the device."""

    settings: QVSettings
    device: Device

    @property
    def limit(self) -> int:
        """The widest width the run may reach."""
        return self.settings.max_width or self.device.max_width


def prepare(
    settings: QVSettings, *, executor: Executor | None = None, memory: TaskMemory | None = None
) -> Prepared:
    """Check ``settings`` against the device and this machine, before anything runs or is
    recorded: the backend exists, widths fit the device and the memory, ``qubits`` exist."""
    aer_device, device_note = resolve_device(settings.device)
    if device_note:
        warnings.warn(device_note, QVWarning, stacklevel=3)
    for w in settings.widths:
        # first: its message names the memory that is short
        check_memory(w, precision=settings.precision, memory=memory)
    device = load_device(settings.backend, settings.precision, executor)
    if settings.optimizations.any and device.noiseless:
        raise UsageError(
            "the noiseless 'aer' has no readout errors or idle noise to optimize: pass a "
            "device snapshot (--backend fake_torino) or drop the optimization flags"
        )
    spec = getattr(device.target, "spec", None)
    if spec is not None and settings.optimizations.dynamical_decoupling:
        for figure in ("single_qubit", "two_qubit", "measure"):
            spec.duration(figure, needed_for="--dynamical-decoupling (the idle windows)")
    if memory is not None and device.noiseless:
        # the workers' memory, not ours
        device.max_width = _memory_max_width(settings.precision, memory.bytes)
    limit = device.max_width
    if settings.auto:
        default_cap = AUTO_MAX_WIDTH_NOISELESS if device.noiseless else device.max_width
        limit = min(limit, settings.max_width if settings.max_width is not None else default_cap)
        if settings.engine == "density" and not device.noiseless:
            limit = min(limit, DENSITY_MAX_QUBITS)  # the exact engine's widest
    if settings.qubits is not None:
        limit = _check_qubits(settings, device, limit)
    if not device.noiseless:
        for problem in backends_mod.calibration_problems(device.target):
            warnings.warn(
                f"the calibration of {settings.backend} is degenerate: {problem}; its HOPs and "
                "QV say nothing about the device",
                QVWarning,
                stacklevel=3,
            )
    too_wide = [w for w in settings.widths if w > device.max_width]
    if too_wide and not device.noiseless:
        raise UsageError(
            f"widths {too_wide} are wider than {settings.backend} allows "
            f"({device.max_width} qubits): pass smaller --widths"
        )
    if settings.trials < stats.MIN_CIRCUITS:
        warnings.warn(
            f"{settings.trials} circuits per width is below the protocol's "
            f"{stats.MIN_CIRCUITS}: results are flagged valid=false",
            QVWarning,
            stacklevel=3,
        )
    resolved = settings.replace(
        max_width=limit if settings.auto else None,
        device=aer_device,
    )
    return Prepared(resolved, device)


def _check_qubits(settings: QVSettings, device: Device, limit: int) -> int:
    """Refuse ``--qubits`` the device lacks or cannot use for the widths asked; the widest
    width they allow an auto scan."""
    qubits = tuple(settings.qubits or ())
    if device.noiseless:
        raise UsageError("--qubits needs a device backend (fake_*); the noiseless 'aer' has none")
    outside = [q for q in qubits if q >= device.max_width]
    if outside:
        raise UsageError(
            f"--qubits {outside} do not exist on {settings.backend}, whose qubits are "
            f"0..{device.max_width - 1}: list qubits of the device"
        )
    if len(qubits) < MIN_WIDTH:
        raise UsageError(
            f"--qubits lists {len(qubits)} qubit; quantum volume needs at least {MIN_WIDTH}: "
            "list more qubits"
        )
    wide = [w for w in settings.widths if w > len(qubits)]
    if wide:
        raise UsageError(
            f"--qubits lists {len(qubits)} qubits but widths {wide} need more: "
            "list more qubits or pass smaller --widths"
        )
    widths = settings.widths or tuple(range(MIN_WIDTH, min(limit, len(qubits)) + 1))
    for w in widths:
        check_layout(device.target, qubits[:w])
    return min(limit, len(qubits))


#: Candidate layouts a width's qubits are chosen among, and model circuits each is judged on.
LAYOUT_CANDIDATES = 4
LAYOUT_SAMPLES = 8


@dataclass(frozen=True)
class LayoutChoice:
    """A width's layout, and how it was chosen: among the best-scored candidate qubit sets
    (:func:`~quantumlimits.execution.layout.candidate_layouts`), the one whose transpiled sample
    circuits the calibration predicts the highest HOP for (readout, gate and idle errors)."""

    layout: Layout
    predicted_hop: float | None = None
    candidates: int = 1
    runner_up: Layout | None = None
    runner_up_hop: float | None = None

    def to_dict(self) -> dict[str, Any] | None:
        """What a width records as ``layout_choice`` (None for a layout that was given)."""
        if self.predicted_hop is None:
            return None
        runner_up = None
        if self.runner_up is not None:
            runner_up = {"qubits": list(self.runner_up.qubits), "predicted_hop": self.runner_up_hop}
        return {
            "predicted_hop": self.predicted_hop,
            "candidates": self.candidates,
            "samples": LAYOUT_SAMPLES,
            "runner_up": runner_up,
        }


def choose_layout(
    device: Device, width: int, settings: QVSettings, *, mapper: Mapper = local_map
) -> LayoutChoice | None:
    """The physical qubits of a width: the first ``width`` of ``settings.qubits``, else the
    candidate with the highest predicted HOP (:class:`LayoutChoice`); None when noiseless.

    A pool of local worker processes as ``mapper`` transpiles the candidates' samples side by
    side (the choice is the same)."""
    if device.target is None:
        return None
    if settings.qubits is not None:
        return LayoutChoice(check_layout(device.target, tuple(settings.qubits[:width])))
    return _predicted_best(
        TargetKey(device.target),
        device.name,
        device.cloud,
        width,
        settings.optimization_level,
        settings.seed,
        settings.approximate_synthesis,
        mapper if getattr(mapper, "local", False) else local_map,
    )


@functools.lru_cache(maxsize=64)
def _predicted_best(
    key: TargetKey,
    name: str,
    cloud: bool,
    width: int,
    optimization_level: int,
    seed: int,
    approximate: bool = False,
    mapper: Mapper = local_map,
) -> LayoutChoice:
    target = key.target
    candidates = candidate_layouts(target, width, count=LAYOUT_CANDIDATES)
    if len(candidates) == 1:
        return LayoutChoice(candidates[0])
    wheres = [
        build.Placement(device=name, target=target, qubits=layout.qubits, by_name=not cloud)
        for layout in candidates
    ]
    build.warm(
        wheres,
        width=width,
        depth=width,
        seed=seed,
        optimization_level=optimization_level,
        count=LAYOUT_SAMPLES,
        mapper=mapper,
        approximate=approximate,
    )
    scored = []
    for layout, where in zip(candidates, wheres, strict=True):
        prediction = _predict_sample(
            where,
            width=width,
            seed=seed,
            optimization_level=optimization_level,
            count=LAYOUT_SAMPLES,
            idle=cloud,
            approximate=approximate,
        )
        scored.append((prediction.predicted_hop, layout))
    # highest predicted HOP; equal predictions keep the better score (candidates' order)
    ranked = sorted(scored, key=lambda pair: -pair[0])
    (best_hop, best), (second_hop, second) = ranked[0], ranked[1]
    return LayoutChoice(best, best_hop, len(candidates), second, second_hop)


def placement(device: Device, layout: Layout | None, width: int) -> build.Placement:
    """Where a width's circuits run."""
    return build.Placement(
        device=device.name,
        target=device.target,
        qubits=layout.qubits if layout is not None else tuple(range(width)),
        by_name=not device.cloud,
    )


# -- one width -------------------------------------------------------------------------------


@dataclass
class _Timer:
    totals: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    def add(self, stage: str, start: float) -> None:
        self.totals[stage] += time.perf_counter() - start


def run_width(
    *,
    settings: QVSettings,
    device: Device,
    width: int,
    depth: int,
    choice: LayoutChoice | None,
    progress: Progress,
    executor: Executor | None = None,
    mapper: Mapper | None = None,
) -> tuple[WidthResult, list[StoredCircuit]]:
    """Measure one width (and depth): every stage, timed.

    Without ``settings.adaptive`` all ``trials`` circuits run in one round. With it, circuits run
    in rounds of ``tasks.CHUNK`` and the sequential test decides after each round whether to
    stop; ``trials`` is then the cap. Circuit ``i`` gets the same seeds either way.

    With optimizations (one round only) the same execute call also runs the decoupled arm and
    the readout calibration circuits; their statistics go to ``WidthResult.optimized``.
    """
    timer = _Timer()
    mapper = mapper or local_map
    layout = choice.layout if choice is not None else None
    seed, shots, trials = settings.seed, settings.shots, settings.trials
    noiseless = device.noiseless
    adaptive = (
        SequentialTest(batch_size=tasks.CHUNK, min_circuits=stats.MIN_CIRCUITS, max_circuits=trials)
        if settings.adaptive
        else None
    )
    if adaptive is not None and executor is not None and type(executor) is not Executor:
        raise UsageError("--adaptive runs on simulators only in this version: drop --adaptive")
    opts = settings.optimizations if settings.optimizations.any else None
    arms = 2 if opts is not None and opts.dynamical_decoupling else 1
    calibration_count = 2 * opts.repeats(shots) if opts is not None and opts.readout else 0
    progress.width_started(width, trials * arms + calibration_count)
    rounds = [(0, trials)] if adaptive is None else tasks.chunks(trials)
    where = placement(device, layout, width)
    local_target = where.local_target()
    key = build.job_key(width, depth)
    extra_counts: list[dict[int, int]] = []
    outcomes: list[tasks.IdealOutcome] = []
    isa: list[Any] = []
    counts: list[dict[int, int]] = []
    simulated: set[int] = set()
    methods: set[str] = set()
    mc_variances: list[float | None] = []
    verdict: Verdict | None = None
    for first, count in rounds:
        progress.stage(width, "ideal")
        t = time.perf_counter()
        ideal_tasks = [
            tasks.IdealTask(
                seed,
                width,
                depth,
                first + start,
                n,
                sample_shots=shots if noiseless else 0,
                precision=settings.precision,
                device=settings.device,
            )
            for start, n in tasks.chunks(count)
        ]
        round_outcomes: list[tasks.IdealOutcome] = []
        for chunk in mapper(tasks.run_ideal_task, ideal_tasks):
            round_outcomes.extend(chunk)
            if noiseless:
                progress.advance(width, len(chunk))
        outcomes.extend(round_outcomes)
        timer.add("ideal", t)

        progress.stage(width, "build")
        t = time.perf_counter()
        circuits = build.model_circuits(
            width=width, depth=depth, seed=seed, start=first, count=count
        )
        timer.add("build", t)

        progress.stage(width, "transpile")
        t = time.perf_counter()
        round_isa = build.transpile(
            circuits,
            placement=where,
            width=width,
            depth=depth,
            seed=seed,
            optimization_level=settings.optimization_level,
            mapper=mapper,
            first=first,
            approximate=settings.approximate_synthesis,
        )
        isa.extend(round_isa)
        timer.add("transpile", t)

        if noiseless:
            counts.extend(o.counts or {} for o in round_outcomes)
            methods.add("ideal_sampling")
        else:
            progress.stage(width, "execute")
            t = time.perf_counter()
            executor = executor or Executor(
                device.name, mapper, aer_device=settings.device, engine=settings.engine
            )
            # a sampling engine controls the Monte-Carlo error of each circuit's heavy set
            round_variances: list[float | None] = []
            run_circuits = (
                optimize_mod.run_circuits(
                    round_isa, target=local_target, optimizations=opts, width=width, shots=shots
                )
                if opts is not None
                else round_isa
            )
            round_counts, used, method = executor.execute(
                run_circuits,
                key=key,
                shots=shots,
                seed=seed,
                physical_qubits=layout.qubits if layout else (),
                advance=lambda n: progress.advance(width, n),
                first_index=first,
                tracked=[o.heavy_mask for o in round_outcomes]
                + [None] * (len(run_circuits) - count),
                mc_variances=round_variances,
            )
            round_variances += [None] * (count - len(round_variances))
            mc_variances.extend(round_variances[:count])
            extra_counts = round_counts[count:]
            counts.extend(round_counts[:count])
            simulated.update(used)
            methods.add(method)
            timer.add("execute", t)

        if adaptive is not None:
            t = time.perf_counter()
            hops_so_far = [
                heavy_count_arrays(*counts_to_arrays(c), unpack_mask(o.heavy_mask, width))
                / max(1, sum(c.values()))
                for o, c in zip(outcomes, counts, strict=True)
            ]
            verdict = sequential_verdict(hops_so_far=hops_so_far, test=adaptive)
            timer.add("analyse", t)
            if verdict.done:
                break

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
    # recorded when a sampling engine added Monte-Carlo error (exact engines report zeros)
    recorded_variances = (
        tuple(float(v) for v in mc_variances)  # type: ignore[arg-type]
        if mc_variances
        and all(v is not None for v in mc_variances)
        and any(v for v in mc_variances)
        else None
    )
    statistics = analyse_width(
        width=width,
        depth=depth,
        heavy_counts=heavy,
        shots=[s.shots for s in stored],
        seed=seed,
        bootstrap_resamples=settings.bootstrap_resamples,
        mc_variances=recorded_variances,
    )
    optimized = None
    if opts is not None:
        optimized = analysis.optimized_statistics(
            opts,
            width=width,
            heavy_masks=[o.heavy_mask for o in outcomes],
            raw_counts=counts,
            extra_counts=extra_counts,
            isa=isa,
            physical_qubits=where.qubits,
            seed=derive_seed(seed, width, depth, 1),
            bootstrap_resamples=settings.bootstrap_resamples,
        )
    prediction = None
    if local_target is not None:
        sample = min(PREDICTION_SAMPLE, len(isa))
        prediction = predict_isa(
            isa_circuits=isa[:sample],
            target=local_target,
            width=width,
            ideal_hops=[o.ideal_hop for o in outcomes[:sample]],
            idle=device.cloud,
        ).predicted_hop
    timer.add("analyse", t)

    result = WidthResult(
        width=width,
        depth=depth,
        circuits=len(outcomes),
        shots=shots,
        heavy_counts=tuple(heavy),
        ideal_hops=tuple(o.ideal_hop for o in outcomes),
        two_qubit_gates=tuple(two_qubit_count(c) for c in isa),
        depths=tuple(circuit_depth(c) for c in isa),
        physical_qubits=layout.qubits if layout else None,
        simulated_qubits=tuple(sorted(simulated)) if simulated else None,
        layout_score=layout.score if layout else None,
        method="+".join(sorted(methods)),
        timings={k: round(v, 6) for k, v in timer.totals.items()},
        predicted_hop=prediction,
        sequential=verdict.to_dict() if verdict is not None else None,
        optimized=optimized,
        layout_choice=choice.to_dict() if choice is not None else None,
        mc_variances=recorded_variances,
        **statistics,
    )
    progress.width_done(result)
    return result, stored


# -- predictions from calibration --------------------------------------------------------------


def predict_scan(
    *,
    backend: str,
    widths: Sequence[int] | None = None,
    trials: int = stats.MIN_CIRCUITS,
    optimization_level: int = 1,
    qubits: Sequence[int] | None = None,
    seed: int = 0,
    samples: int = PREDICTION_SAMPLE,
    max_width: int | None = None,
    approximate_synthesis: bool = True,
    mapper: Mapper = local_map,
) -> list[WidthPrediction]:
    """Predicted mean HOP per width from calibration alone, in seconds, without simulation.

    Each width takes the layout the measurement would use and transpiles ``samples`` of its model
    circuits exactly as :func:`run_width` does. With ``widths`` None the scan goes up from 2 and
    stops after the first width predicted to fail (the Cross threshold for ``trials`` circuits).
    """
    device = load_device(backend)
    if device.target is None:
        raise UsageError("predictions need a device snapshot (fake_*): 'aer' has no noise")
    if widths is not None:
        WidthPlan(auto=False, widths=tuple(widths)).check()
    top = min(device.max_width, max_width or device.max_width)
    queue = list(widths) if widths is not None else list(range(MIN_WIDTH, top + 1))
    rows: list[WidthPrediction] = []
    choice_settings = QVSettings(
        backend=backend,
        qubits=tuple(qubits) if qubits is not None else None,
        optimization_level=optimization_level,
        seed=seed,
        approximate_synthesis=approximate_synthesis,
    )
    for width in queue:
        choice = choose_layout(device, width, choice_settings, mapper=mapper)
        assert choice is not None
        row = _predict_sample(
            placement(device, choice.layout, width),
            width=width,
            seed=seed,
            optimization_level=optimization_level,
            count=samples,
            idle=device.cloud,
            circuits=trials,
            approximate=approximate_synthesis,
        )
        rows.append(row)
        if widths is None and not row.predicted_pass:
            break
    return rows


def _predict_sample(
    where: build.Placement,
    *,
    width: int,
    seed: int,
    optimization_level: int,
    count: int,
    idle: bool,
    circuits: int = stats.MIN_CIRCUITS,
    approximate: bool = False,
) -> WidthPrediction:
    """The calibration's prediction for a width's first ``count`` model circuits transpiled
    onto ``where`` (``circuits``: the run size whose Cross threshold a pass must clear)."""
    isa = build.isa_circuits(
        placement=where,
        width=width,
        depth=width,
        seed=seed,
        optimization_level=optimization_level,
        count=count,
        approximate=approximate,
    )
    return predict_isa(
        isa_circuits=isa,
        target=where.local_target(),
        width=width,
        qubits=where.qubits,
        idle=idle,
        circuits=circuits,
    )


def predicted_log2_qv(rows: Sequence[WidthPrediction]) -> int:
    """log2 of the QV the predictions imply (0 when no width is predicted to pass)."""
    passing = [r.width for r in rows if r.predicted_pass]
    return max(passing) if passing else 0


# -- the scan ----------------------------------------------------------------------------------


def _auto_start(
    prepared: Prepared, run: RunRecord, *, mapper: Mapper = local_map
) -> tuple[int, int | None]:
    """First width of an auto scan, and the largest width the calibration predicts to pass
    (None where there is no prediction).

    Recorded by a run being resumed; else, on a snapshot, one below the predicted QV (widths far
    below it pass for certain and cost time); else 2. Cloud scans start at 2, the widths their
    projection and budget were approved for, and have no prediction.
    """
    done = run.parts().get("scan")
    if done is not None:
        return int(done["auto_start"]), done.get("predicted_log2_qv")
    settings, device = prepared.settings, prepared.device
    start, predicted = MIN_WIDTH, None
    if not device.noiseless and not device.cloud:
        rows = predict_scan(
            backend=settings.backend,
            trials=settings.trials,
            optimization_level=settings.optimization_level,
            qubits=settings.qubits,
            seed=settings.seed,
            max_width=prepared.limit,
            approximate_synthesis=settings.approximate_synthesis,
            mapper=mapper,
        )
        predicted = predicted_log2_qv(rows)
        start = max(MIN_WIDTH, min(prepared.limit, predicted - 1))
    run.add_part("scan", {"auto_start": start, "predicted_log2_qv": predicted})
    return start, predicted


def _auto_scan(
    passes: Callable[[int], bool], *, start: int, limit: int, predicted: int | None
) -> list[int]:
    """The widths of an auto scan, in the order run; ``passes(width)`` runs one.

    Up from ``start`` while widths pass, and on past a width that does not pass as long as the
    calibration predicts a wider one to pass (a scan never stops below a width the prediction
    says may pass); then, when nothing passed, down from ``start - 1`` until a width passes.

    >>> verdicts = {2: True, 3: False, 4: True, 5: False, 6: False}
    >>> _auto_scan(verdicts.__getitem__, start=3, limit=6, predicted=4)
    [3, 4, 5]
    >>> _auto_scan({2: True, 3: False, 4: False}.__getitem__, start=3, limit=4, predicted=None)
    [3, 2]
    """
    ran: list[int] = []
    passed_any = False
    width = start
    while width <= limit:
        ran.append(width)
        passed = passes(width)
        passed_any = passed_any or passed
        if not passed and (predicted is None or width >= predicted):
            break
        width += 1
    width = start - 1
    while not passed_any and width >= MIN_WIDTH:
        ran.append(width)
        passed_any = passes(width)
        width -= 1
    return ran


def measure(
    settings: QVSettings,
    *,
    store: ResultsStore | None = None,
    progress: Progress | None = None,
    mapper: Mapper | None = None,
    executor: Executor | None = None,
    memory: TaskMemory | None = None,
    cluster: dict[str, Any] | None = None,
    resume_run_id: str | None = None,
) -> QVResult:
    """Measure the quantum volume ``settings`` ask for.

    With a ``store`` the run and every width's counts and result are recorded as they complete;
    ``resume_run_id`` continues a stopped run in ``store`` under its own id (its settings must be
    the recorded ones: :func:`resume` reads them), skipping the widths it finished.
    ``mapper`` spreads the work (a :class:`~quantumlimits.execution.dask.DaskSession`, say);
    ``memory`` is then what one task may use there, so a width too large for it is refused before
    anything is scheduled; ``cluster`` describes where it ran (recorded in the provenance).
    """
    prepared = prepare(settings, executor=executor, memory=memory)
    settings, device = prepared.settings, prepared.device
    method, source = settings.method, settings.verdict_from
    prov = provenance.provenance()
    if cluster is not None:
        prov["cluster"] = cluster
    progress = progress or Progress()
    results: list[WidthResult] = []
    started = time.perf_counter()
    with recording(
        store,
        kind="qv",
        backend=settings.backend,
        seed=settings.seed,
        inputs=settings.to_dict(),
        created=str(prov["created"]),
        resume=resume_run_id,
    ) as run:
        if executor is not None:
            executor.attach(store=store, run_id=run.run_id)
        finished = run.parts()

        def width_result(width: int, depth: int) -> WidthResult:
            check_memory(width, precision=settings.precision, memory=memory)
            name = build.job_key(width, depth).name
            if name in finished:
                result = WidthResult.from_dict(finished[name])
            else:
                result, stored = run_width(
                    settings=settings,
                    device=device,
                    width=width,
                    depth=depth,
                    choice=choose_layout(device, width, settings, mapper=mapper or local_map),
                    progress=progress,
                    executor=executor,
                    mapper=mapper,
                )
                if store is not None and run.run_id is not None:
                    store.add_qv_circuits(run.run_id, stored)
                run.add_part(name, result.to_dict())
            results.append(result)
            return result

        auto_start = None
        if not settings.auto:
            for width, depth in settings.cells():
                width_result(width, depth)
        else:
            auto_start, predicted = _auto_start(prepared, run, mapper=mapper or local_map)
            _auto_scan(
                lambda w: width_result(w, w).passed(method, source),
                start=auto_start,
                limit=prepared.limit,
                predicted=predicted,
            )

        totals = provenance.stage_totals(results, STAGES, started)
        qv = QVResult(
            quantum_volume=analysis.quantum_volume(results, method, source),
            decided_by=method,
            valid=all(r.valid for r in results),
            backend=settings.backend,
            calibration_date=device.calibration_date,
            seed=settings.seed,
            settings=_document_settings(settings, auto_start),
            widths=tuple(results),
            versions=dict(prov.pop("versions")),  # type: ignore[call-overload]
            provenance=prov,
            timings=totals,
            run_id=run.run_id,
            verdict_from=source,
        )
        run.finish(document=qv.to_dict(), summary=summary_line(qv))
    return qv


def _document_settings(settings: QVSettings, auto_start: int | None) -> dict[str, Any]:
    """The ``settings`` object of qv.json: the recorded settings but the backend and the seed
    (top-level keys), with the first width of an auto scan."""
    d = settings.to_dict()
    del d["backend"], d["seed"]
    d["auto_start"] = auto_start
    return d


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
    precision: str = "double",
    device: str = "cpu",
    resume_run_id: str | None = None,
    adaptive: bool = False,
    depths: Sequence[int] | None = None,
    memory: TaskMemory | None = None,
    cluster: dict[str, Any] | None = None,
    optimizations: Optimizations | None = None,
    approximate_synthesis: bool = True,
) -> QVResult:
    """Measure the quantum volume of ``backend``: :func:`measure` with the settings as keywords
    (:class:`~quantumlimits.qv.settings.QVSettings` documents each one).

    ``widths`` is ``"auto"``, a range string like ``"2-6"``, or a list of widths.
    """
    settings = QVSettings(
        backend=backend,
        widths=widths,
        depths=tuple(depths) if depths is not None else None,
        max_width=max_width,
        trials=trials,
        adaptive=adaptive,
        shots=shots,
        seed=seed,
        optimization_level=optimization_level,
        qubits=tuple(qubits) if qubits is not None else None,
        method=method,
        bootstrap_resamples=bootstrap_resamples,
        precision=precision,
        device=device,
        optimizations=optimizations or Optimizations(),
        approximate_synthesis=approximate_synthesis,
    )
    return measure(
        settings,
        store=store,
        progress=progress,
        mapper=mapper,
        executor=executor,
        memory=memory,
        cluster=cluster,
        resume_run_id=resume_run_id,
    )


def recorded_settings(store: ResultsStore, run_id: str) -> QVSettings:
    """The settings a stored QV run started with (what :func:`resume` continues)."""
    inputs = store.inputs(run_id)
    if inputs is None:
        raise UsageError(
            f"run {run_id} recorded no settings (it predates results schema 2): "
            "it cannot be resumed; start a new run"
        )
    return QVSettings.from_dict(inputs)


def resume(
    store: ResultsStore,
    run_id: str,
    *,
    progress: Progress | None = None,
    mapper: Mapper | None = None,
    executor: Executor | None = None,
    memory: TaskMemory | None = None,
    cluster: dict[str, Any] | None = None,
) -> QVResult:
    """Continue a stopped QV run under its own id and settings: finished widths are read from
    the store, not run again."""
    full = store.resolve(run_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QVWarning)  # said when the run started
        return measure(
            recorded_settings(store, full),
            store=store,
            progress=progress,
            mapper=mapper,
            executor=executor,
            memory=memory,
            cluster=cluster,
            resume_run_id=full,
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
    return analysis.reanalysed(
        original,
        store.qv_circuits(run_id),
        method=method,
        bootstrap_resamples=bootstrap_resamples,
    )
