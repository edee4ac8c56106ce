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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from quantumlimits import provenance
from quantumlimits.circuits import MIN_WIDTH, measured, qv_circuits
from quantumlimits.errors import UsageError
from quantumlimits.execution import backends as backends_mod
from quantumlimits.execution.aer import (
    PRECISIONS,
    ideal_memory_bytes,
    resolve_device,
    sub_target,
)
from quantumlimits.execution.executor import Executor, Mapper, local_map
from quantumlimits.execution.layout import Layout, best_layout, check_layout
from quantumlimits.execution.transpile import circuit_depth, two_qubit_count
from quantumlimits.progress import WidthProgress
from quantumlimits.qv import optimize as optimize_mod
from quantumlimits.qv import stats, tasks
from quantumlimits.qv.heavy import counts_to_arrays, heavy_count_arrays, unpack_mask
from quantumlimits.qv.optimize import Optimizations
from quantumlimits.qv.predict import WidthPrediction, predict_isa
from quantumlimits.qv.sequential import SequentialTest, Verdict, sequential_verdict
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

    def check(self, *, minimum: int = MIN_WIDTH, flag: str = "--widths") -> WidthPlan:
        """Refuse values below ``minimum`` (QV widths start at 2, depths at 1)."""
        bad = [w for w in self.widths if w < minimum]
        if bad:
            raise UsageError(f"{flag} {bad} are below {minimum}: pass values >= {minimum}")
        return self


def parse_widths(text: str, *, minimum: int = MIN_WIDTH, flag: str = "--widths") -> WidthPlan:
    """Parse ``auto``, ``A-B`` or ``a,b,c`` (``minimum`` and ``flag`` shape the checks).

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
                raise UsageError(f"{flag} {text}: the range is empty, write it low-high")
            plan = WidthPlan(auto=False, widths=tuple(range(lo, hi + 1)))
        else:
            plan = WidthPlan(auto=False, widths=tuple(sorted({int(p) for p in text.split(",")})))
    except ValueError as exc:
        if isinstance(exc, UsageError):
            raise
        raise UsageError(
            f"{flag} {text!r} is not understood: write "
            + ("auto, " if flag == "--widths" else "")
            + "a range like 2-6, or a list like 2,3,5"
        ) from None
    return plan.check(minimum=minimum, flag=flag)


#: The scan's progress callbacks (:class:`quantumlimits.progress.WidthProgress`).
Progress = WidthProgress


@dataclass
class _Device:
    name: str
    backend: Any | None
    target: Any | None
    calibration_date: str | None
    max_width: int


def _device(name: str, precision: str = "double", executor: Executor | None = None) -> _Device:
    backends_mod.check_backend_name(name)
    if name == backends_mod.NOISELESS:
        return _Device(name, None, None, None, max_width=_memory_max_width(precision))
    remote = executor.device() if executor is not None else None
    if remote is None and backends_mod.is_cloud_name(name):
        raise UsageError(
            f"{name} is an IBM Quantum cloud device: run it with an IBMExecutor "
            "(quantumlimits.execution.ibm), as 'quantumlimits qv --backend' does"
        )
    backend = remote if remote is not None else backends_mod.load_snapshot(name)
    return _Device(
        name, backend, backend.target, backends_mod.calibration_date(backend), backend.num_qubits
    )


def _memory_bytes() -> int:
    info = provenance.machine()
    return int(info.get("memory_bytes") or 8 * 2**30)  # type: ignore[call-overload]


def statevector_bytes(width: int, *, precision: str = "double") -> int:
    """Least memory the ideal stage needs at ``width`` (one circuit at a time)."""
    return ideal_memory_bytes(width, precision=precision)


@dataclass(frozen=True)
class MemoryBudget:
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
    width: int, *, precision: str = "double", memory: MemoryBudget | None = None
) -> None:
    """Refuse, before any work, a width whose ideal simulation cannot fit in memory (this
    machine's by default, or ``memory`` where the tasks run)."""
    need = statevector_bytes(width, precision=precision)
    memory = memory or MemoryBudget(_memory_bytes())
    budget = MEMORY_FRACTION * memory.bytes
    if need > budget:
        hint = " or --precision single" if precision == "double" else ""
        raise UsageError(
            f"width {width} needs about {_size(need)} for its ideal simulation, more than "
            f"the {_size(budget)} {memory.where}: pass smaller --widths{hint}"
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


#: Circuits whose calibration-based prediction is printed beside each measured width.
PREDICTION_SAMPLE = 20


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
    precision: str = "double",
    aer_device: str = "cpu",
    adaptive: SequentialTest | None = None,
    optimizations: Optimizations | None = None,
) -> tuple[WidthResult, list[StoredCircuit]]:
    """Measure one width (and depth): every stage, timed.

    Without ``adaptive`` all ``trials`` circuits run in one round. With it, circuits run in
    rounds of ``tasks.CHUNK`` and the sequential test decides after each round whether to stop;
    ``trials`` is then the cap. Circuit ``i`` gets the same seeds either way.

    With ``optimizations`` (one round only) the same execute call also runs the decoupled arm
    and the readout calibration circuits; their statistics go to ``WidthResult.optimized``.
    """
    timer = _Timer()
    mapper = mapper or local_map
    noiseless = device.target is None
    if adaptive is not None and executor is not None and type(executor) is not Executor:
        raise UsageError("--adaptive runs on simulators only in this version: drop --adaptive")
    opts = optimizations if optimizations is not None and optimizations.any else None
    if opts is not None and (adaptive is not None or noiseless):
        raise UsageError("readout mitigation and decoupling need a device snapshot, no --adaptive")
    arms = 2 if opts is not None and opts.dynamical_decoupling else 1
    calibration_count = 2 * opts.repeats(shots) if opts is not None and opts.readout else 0
    progress.width_started(width, trials * arms + calibration_count)
    rounds = [(0, trials)] if adaptive is None else tasks.chunks(trials)
    extra_counts: list[dict[int, int]] = []
    transpile_seed = derive_seed(seed, STREAM_TRANSPILE, width, depth)
    local_target = (
        sub_target(device.target, layout.qubits) if layout and device.target is not None else None
    )
    outcomes: list[tasks.IdealOutcome] = []
    isa: list[Any] = []
    counts: list[dict[int, int]] = []
    simulated: set[int] = set()
    methods: set[str] = set()
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
                precision=precision,
                device=aer_device,
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
        circuits = qv_circuits(width=width, depth=depth, seed=seed, count=count, start=first)
        timer.add("build", t)

        progress.stage(width, "transpile")
        t = time.perf_counter()
        # Transpile for the chosen qubits alone: routing stays inside the connected layout (as
        # QV runs on hardware do) and the small target makes routing several times faster.
        measured_circuits = [measured(c) for c in circuits]
        transpile_tasks = [
            tasks.TranspileTask(
                circuits=tuple(measured_circuits[start : start + n]),
                backend=device.name if device.target is not None else None,
                physical_qubits=layout.qubits if layout else tuple(range(width)),
                target=local_target if backends_mod.is_cloud_name(device.name) else None,
                optimization_level=optimization_level,
                # one seed for the width: a circuit's transpilation does not depend on its chunk
                seed=transpile_seed,
            )
            for start, n in tasks.chunks(count)
        ]
        round_isa = [
            c for chunk in mapper(tasks.run_transpile_task, transpile_tasks) for c in chunk
        ]
        isa.extend(round_isa)
        timer.add("transpile", t)

        if noiseless:
            counts.extend(o.counts or {} for o in round_outcomes)
            methods.add("ideal_sampling")
        else:
            progress.stage(width, "execute")
            t = time.perf_counter()
            executor = executor or Executor(device.name, mapper, aer_device=aer_device)
            run_circuits = (
                optimize_mod.run_circuits(
                    round_isa, target=local_target, optimizations=opts, width=width, shots=shots
                )
                if opts is not None
                else round_isa
            )
            round_counts, used, method = executor.execute(
                run_circuits,
                width=width,
                depth=depth,
                shots=shots,
                seed=seed,
                physical_qubits=layout.qubits if layout else (),
                advance=lambda n: progress.advance(width, n),
                first_index=first,
            )
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
    analysis = analyse_width(
        width=width,
        depth=depth,
        heavy_counts=heavy,
        shots=[s.shots for s in stored],
        seed=seed,
        bootstrap_resamples=bootstrap_resamples,
    )
    optimized = None
    if opts is not None:
        optimized = _optimized_statistics(
            opts,
            width=width,
            outcomes=outcomes,
            raw_counts=counts,
            extra_counts=extra_counts,
            isa=isa,
            physical_qubits=layout.qubits if layout else tuple(range(width)),
            seed=derive_seed(seed, width, depth, 1),
            bootstrap_resamples=bootstrap_resamples,
        )
    prediction = None
    if local_target is not None:
        sample = min(PREDICTION_SAMPLE, len(isa))
        prediction = predict_isa(
            isa_circuits=isa[:sample],
            target=local_target,
            width=width,
            ideal_hops=[o.ideal_hop for o in outcomes[:sample]],
            idle=backends_mod.is_cloud_name(device.name),
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
        **analysis,
    )
    progress.width_done(result)
    return result, stored


def _optimized_statistics(
    opts: Optimizations,
    *,
    width: int,
    outcomes: Sequence[tasks.IdealOutcome],
    raw_counts: Sequence[dict[int, int]],
    extra_counts: Sequence[dict[int, int]],
    isa: Sequence[Any],
    physical_qubits: Sequence[int],
    seed: int,
    bootstrap_resamples: int,
) -> dict[str, Any]:
    """The optimized arm's statistics: decoupled counts (or the raw ones), mitigated or not."""
    n = len(outcomes)
    arm = list(extra_counts[:n]) if opts.dynamical_decoupling else list(raw_counts)
    masks = [unpack_mask(o.heavy_mask, width) for o in outcomes]
    heavy = [heavy_count_arrays(*counts_to_arrays(c), m) for c, m in zip(arm, masks, strict=True)]
    shots = [sum(c.values()) for c in arm]
    calibration = None
    if opts.readout:
        cal = list(extra_counts[n:] if opts.dynamical_decoupling else extra_counts)
        half = len(cal) // 2
        try:
            calibration = optimize_mod.ReadoutCalibration.from_counts(
                physical_qubits, cal[:half], cal[half:]
            )
        except ValueError as exc:
            raise UsageError(
                f"readout mitigation at width {width}: {exc}; drop --mitigate-readout"
            ) from None
        estimates = [
            optimize_mod.mitigated_hop(
                c,
                optimize_mod.mitigation_weights(
                    m, optimize_mod.measured_qubits(circuit), calibration
                ),
            )
            for c, m, circuit in zip(arm, masks, isa, strict=True)
        ]
        statistics = optimize_mod.estimate_statistics(
            values=[e[0] for e in estimates],
            shot_sds=[e[1] for e in estimates],
            shots=shots,
            seed=seed,
            resamples=bootstrap_resamples,
        )
        bound = "binomial-or-empirical"
    else:  # the decoupled arm's heavy counts: the raw arm's statistics
        analysis = analyse_width(
            width=width,
            depth=width,
            heavy_counts=heavy,
            shots=shots,
            seed=seed,
            bootstrap_resamples=bootstrap_resamples,
        )
        statistics = {k: v for k, v in analysis.items() if k != "valid"}
        statistics["hops"] = list(statistics["hops"])
        bound = "binomial"
    return {
        **{k: v for k, v in opts.to_dict().items() if k != "verdict_from"},
        "readout_calibration": calibration.to_dict() if calibration is not None else None,
        "heavy_counts": heavy if opts.dynamical_decoupling else None,
        "bound": bound,
        **statistics,
    }


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
) -> list[WidthPrediction]:
    """Predicted mean HOP per width from calibration alone, in seconds, without simulation.

    Each width takes the layout the measurement would use and transpiles ``samples`` of its model
    circuits exactly as :func:`run_width` does. With ``widths`` None the scan goes up from 2 and
    stops after the first width predicted to fail (the Cross threshold for ``trials`` circuits).
    """
    device = _device(backend)
    if device.target is None:
        raise UsageError("predictions need a device snapshot (fake_*): 'aer' has no noise")
    if widths is not None:
        WidthPlan(auto=False, widths=tuple(widths)).check()
    top = min(device.max_width, max_width or device.max_width)
    queue = list(widths) if widths is not None else list(range(MIN_WIDTH, top + 1))
    rows: list[WidthPrediction] = []
    for width in queue:
        layout = _layout(device, width, qubits)
        assert layout is not None
        local = sub_target(device.target, layout.qubits)
        circuits = [measured(c) for c in qv_circuits(width=width, seed=seed, count=samples)]
        isa = tasks.run_transpile_task(
            tasks.TranspileTask(
                circuits=tuple(circuits),
                backend=device.name,
                physical_qubits=layout.qubits,
                target=local,
                optimization_level=optimization_level,
                seed=derive_seed(seed, STREAM_TRANSPILE, width, width),
            )
        )
        row = predict_isa(
            isa_circuits=isa,
            target=local,
            width=width,
            qubits=layout.qubits,
            idle=backends_mod.is_cloud_name(backend),
            circuits=trials,
        )
        rows.append(row)
        if widths is None and not row.predicted_pass:
            break
    return rows


def predicted_log2_qv(rows: Sequence[WidthPrediction]) -> int:
    """log2 of the QV the predictions imply (0 when no width is predicted to pass)."""
    passing = [r.width for r in rows if r.predicted_pass]
    return max(passing) if passing else 0


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
    memory: MemoryBudget | None = None,
    cluster: dict[str, Any] | None = None,
    optimizations: Optimizations | None = None,
) -> QVResult:
    """Measure the quantum volume of ``backend``.

    ``widths`` is ``"auto"`` (scan up from 2, stop after the first width that fails under
    ``method``), a range string like ``"2-6"``, or a list of widths. With a ``store`` the run and
    every width's counts are recorded as they complete. ``resume_run_id`` continues a stopped
    run in ``store`` under its own id (same settings; its executor reuses recorded jobs).

    ``mapper`` spreads the work (a :class:`~quantumlimits.execution.dask.DaskSession`, say);
    ``memory`` is then what one task may use there, so a width too large for it is refused before
    anything is scheduled; ``cluster`` describes where it ran (recorded in the provenance).

    ``optimizations`` (readout mitigation, dynamical decoupling) add an optimized arm to every
    width; ``optimizations.verdict_from`` says whether it or the raw arm sets the QV.
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
    sequential_test = None
    if adaptive:
        if trials < stats.MIN_CIRCUITS:
            raise UsageError(
                f"--adaptive needs a --trials cap of at least {stats.MIN_CIRCUITS}, got {trials}"
            )
        # Looks every CHUNK circuits keep per-circuit seeds identical to a fixed-size run; the
        # first look at the protocol's 100 circuits keeps every verdict valid under its rule.
        sequential_test = SequentialTest(
            batch_size=tasks.CHUNK, min_circuits=stats.MIN_CIRCUITS, max_circuits=trials
        )
        method = "sequential"
    opts = optimizations if optimizations is not None and optimizations.any else None
    if opts is not None and adaptive:
        raise UsageError(
            "--adaptive decides from raw HOPs only: drop --mitigate-readout and "
            "--dynamical-decoupling, or --adaptive"
        )
    verdict_from = opts.verdict_from if opts is not None else "raw"
    if precision not in PRECISIONS:
        raise UsageError(f"--precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if bootstrap_resamples < 100:
        raise UsageError(f"bootstrap resamples must be at least 100, got {bootstrap_resamples}")
    if isinstance(widths, str):
        plan = parse_widths(widths)
    elif isinstance(widths, WidthPlan):
        plan = widths
    else:
        plan = WidthPlan(auto=False, widths=tuple(sorted(set(widths))))
    plan.check()
    if device not in ("cpu", "gpu"):
        raise UsageError(f"--device must be cpu or gpu, got {device!r}")
    aer_device, device_note = resolve_device(device)
    if device_note:
        warnings.warn(device_note, QVWarning, stacklevel=2)
    for w in plan.widths:
        # first: its message names the memory that is short
        check_memory(w, precision=precision, memory=memory)
    target_device = _device(backend, precision, executor)
    if opts is not None and target_device.target is None:
        raise UsageError(
            "the noiseless 'aer' has no readout errors or idle noise to optimize: pass a "
            "device snapshot (--backend fake_torino) or drop the optimization flags"
        )
    if memory is not None and target_device.target is None:
        # the workers' memory, not ours
        target_device.max_width = _memory_max_width(precision, memory.bytes)
    limit = target_device.max_width
    if plan.auto:
        default_cap = (
            AUTO_MAX_WIDTH_NOISELESS if target_device.target is None else target_device.max_width
        )
        limit = min(limit, max_width if max_width is not None else default_cap)
    if qubits is not None and target_device.target is None:
        raise UsageError("--qubits needs a device backend (fake_*); the noiseless 'aer' has none")
    if qubits is not None and plan.auto:
        limit = min(limit, len(qubits))
    if depths is not None:
        if plan.auto:
            raise UsageError("--depths needs explicit --widths (a range or list), not auto")
        if not depths or min(depths) < 1:
            raise UsageError(f"--depths must be positive whole numbers, got {list(depths)}")
        depths = sorted(set(depths))
    too_wide = [w for w in plan.widths if w > target_device.max_width]
    if too_wide and target_device.target is not None:
        raise UsageError(
            f"widths {too_wide} are wider than {backend} allows "
            f"({target_device.max_width} qubits): pass smaller --widths"
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
        "precision": precision,
        "device": aer_device,
        "adaptive": adaptive,
        "depths": list(depths) if depths is not None else None,
        "auto_start": None,
        "optimizations": (opts or Optimizations()).to_dict(),
    }
    prov = provenance.provenance()
    if cluster is not None:
        prov["cluster"] = cluster
    if resume_run_id is not None:
        if store is None:
            raise UsageError("resuming a run needs its results store")
        run_id: str | None = store.resolve(resume_run_id)
        store.reopen_run(str(run_id))
    else:
        run_id = (
            store.begin_run(kind="qv", backend=backend, seed=seed, created=str(prov["created"]))
            if store
            else None
        )
        if store and run_id:
            store.record_inputs(run_id, {**settings, "backend": backend, "seed": seed})
    if executor is not None:
        executor.attach(store=store, run_id=run_id)
    progress = progress or Progress()
    results: list[WidthResult] = []
    started = time.perf_counter()
    try:
        start = MIN_WIDTH
        if (
            plan.auto
            and target_device.target is not None
            and resume_run_id is None
            and not backends_mod.is_cloud_name(backend)
        ):
            # Begin next to the width the calibration predicts as the QV (docs/predict.md):
            # widths far below it pass for certain and cost time. Cloud scans start at 2, the
            # widths their QPU-time projection and budget were approved for.
            rows = predict_scan(
                backend=backend,
                trials=trials,
                optimization_level=optimization_level,
                qubits=qubits,
                seed=seed,
                max_width=limit,
            )
            start = max(MIN_WIDTH, min(limit, predicted_log2_qv(rows) - 1))
            settings["auto_start"] = start
        queue = (
            [(w, d) for w in plan.widths for d in (depths or [w])]
            if not plan.auto
            else [(w, w) for w in range(start, limit + 1)]
        )
        while queue:
            width, depth = queue.pop(0)
            check_memory(width, precision=precision, memory=memory)
            layout = _layout(target_device, width, qubits)
            result, stored = run_width(
                device=target_device,
                width=width,
                depth=depth,
                trials=trials,
                shots=shots,
                seed=seed,
                optimization_level=optimization_level,
                layout=layout,
                bootstrap_resamples=bootstrap_resamples,
                progress=progress,
                executor=executor,
                mapper=mapper,
                precision=precision,
                aer_device=aer_device,
                adaptive=sequential_test,
                optimizations=opts,
            )
            results.append(result)
            if store and run_id:
                store.add_qv_circuits(run_id, stored)
            if plan.auto:
                below = width - 1
                passed = result.passed(method, verdict_from)
                if not passed and width == start and below >= MIN_WIDTH:
                    # the first width of a scan that began above 2 failed: look downwards
                    queue = [(below, below)]
                    start = below
                elif not passed:
                    break
    except BaseException:
        if store and run_id:
            store.mark_failed(run_id, summary="interrupted or failed; completed widths are stored")
        raise

    totals = provenance.stage_totals(results, STAGES, started)
    passing = [r.width for r in results if r.passed(method, verdict_from) and r.width == r.depth]
    qv = QVResult(
        quantum_volume=stats.quantum_volume(passing),
        decided_by=method,
        valid=all(r.valid for r in results),
        backend=backend,
        calibration_date=target_device.calibration_date,
        seed=seed,
        settings=settings,
        widths=tuple(results),
        versions=dict(prov.pop("versions")),  # type: ignore[call-overload]
        provenance=prov,
        timings=totals,
        run_id=run_id,
        verdict_from=verdict_from,
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
    passing = [
        r.width for r in widths if r.passed(method, original.verdict_from) and r.width == r.depth
    ]
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
