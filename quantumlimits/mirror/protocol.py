"""The mirror benchmark width scan: build -> transpile -> execute -> analyse, per width.

No ideal simulation is needed: every mirror circuit's ideal output is one bitstring known when it
is built. ``su4`` circuits run on Aer with the device noise (as QV circuits do, so their width is
bounded by state-vector memory); ``clifford`` circuits run with the Pauli-twirled device noise up
to the device's full width, on stim's Pauli-frame sampler (default) or Aer's stabilizer method
(``simulator="aer"``, the slower cross-check: one tableau simulation per shot).

>>> from quantumlimits.mirror.protocol import run_mirror
>>> result = run_mirror(backend="aer", widths=[3], variant="clifford", trials=10, shots=50)
>>> result.widths[0].mean_polarization, result.largest_passing_width
(1.0, 3)
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from quantumlimits import provenance
from quantumlimits.circuits import measured
from quantumlimits.errors import UsageError
from quantumlimits.execution import backends as backends_mod
from quantumlimits.execution.aer import _simulator, run_noisy
from quantumlimits.execution.layout import Layout, best_layout
from quantumlimits.execution.stabilizer import run_stabilizer
from quantumlimits.execution.stim import run_stim
from quantumlimits.execution.transpile import two_qubit_count
from quantumlimits.mirror import stats
from quantumlimits.mirror.circuits import mirror_circuits
from quantumlimits.mirror.results import STAGES, MirrorResult, MirrorWidthResult
from quantumlimits.mirror.settings import MirrorSettings
from quantumlimits.progress import WidthProgress
from quantumlimits.qv import tasks
from quantumlimits.seeding import STREAM_SIMULATE, STREAM_TRANSPILE, derive_seed
from quantumlimits.store import ResultsStore, recording

#: Widest ``su4`` mirror width: its noisy simulation holds a state vector per shot thread.
SU4_MAX_WIDTH = 24
#: Widest noiseless ``clifford`` width (no device bounds it).
NOISELESS_MAX_WIDTH = 1000
#: Most two-qubit blocks (forward and mirrored layers) of one width's circuits: a full-width run
#: of a 156-qubit device holds about 500,000.
MAX_WIDTH_BLOCKS = 4_000_000
#: ``method`` recorded per width, by simulator, for noisy clifford runs.
CLIFFORD_METHODS = {"stim": "stim", "aer": "stabilizer"}

#: Fewer circuits than this per width gives a wide t interval: a warning, not an error.
RECOMMENDED_CIRCUITS = 10


class MirrorWarning(UserWarning):
    """A statistically weak but valid mirror result (few circuits)."""


def depth_for(width: int, depth_factor: float) -> int:
    """Forward QV layers at ``width``: ``round(depth_factor * width)``, at least 1.

    >>> depth_for(133, 1.0), depth_for(133, 0.1), depth_for(2, 0.1)
    (133, 13, 1)
    """
    return max(1, round(depth_factor * width))


#: The scan's progress callbacks (:class:`quantumlimits.progress.WidthProgress`).
Progress = WidthProgress


def _layout(target: Any, width: int) -> Layout:
    n = int(target.num_qubits)
    if width == n:
        # The whole device: nothing to choose, and greedy growth would cost minutes here.
        return Layout(tuple(range(n)), 0.0, float("nan"), float("nan"))
    return best_layout(target, width)


def _run_clifford(
    circuits: Sequence[Any],
    *,
    simulator: str,
    target: Any | None,
    shots: int,
    seed: int,
    physical_qubits: Sequence[int] | None = None,
) -> list[dict[int, int]]:
    run = run_stim if simulator == "stim" else run_stabilizer
    return run(
        circuits, target=target, shots=shots, seed=seed, physical_qubits=physical_qubits
    ).counts


def _run_ideal(
    circuits: Sequence[Any], *, variant: str, simulator: str, shots: int, seed: int
) -> list[Any]:
    if variant == "clifford":
        return _run_clifford(circuits, simulator=simulator, target=None, shots=shots, seed=seed)
    sim = _simulator(method="statevector", seed_simulator=seed)
    result = sim.run(list(circuits), shots=shots, seed_simulator=seed).result()
    if not result.success:
        raise RuntimeError(f"ideal simulation failed: {result.status}")
    return [
        {int(k, 16): int(v) for k, v in result.data(i)["counts"].items()}
        for i in range(len(circuits))
    ]


def run_width(
    *,
    backend: str,
    target: Any | None,
    width: int,
    depth: int,
    variant: str,
    trials: int,
    shots: int,
    seed: int,
    optimization_level: int,
    progress: Progress,
    simulator: str = "stim",
) -> MirrorWidthResult:
    """Measure one width: every stage, timed."""
    timings = dict.fromkeys(STAGES, 0.0)
    progress.width_started(width, trials)

    progress.stage(width, "build")
    t = time.perf_counter()
    built = mirror_circuits(width=width, depth=depth, seed=seed, count=trials, variant=variant)
    timings["build"] += time.perf_counter() - t

    progress.stage(width, "transpile")
    t = time.perf_counter()
    layout = _layout(target, width) if target is not None else None
    physical = layout.qubits if layout else tuple(range(width))
    isa: list[Any] = []
    for start, count in tasks.chunks(trials):
        isa.extend(
            tasks.run_transpile_task(
                tasks.TranspileTask(
                    circuits=tuple(measured(m.circuit) for m in built[start : start + count]),
                    backend=backend if target is not None else None,
                    physical_qubits=physical,
                    optimization_level=optimization_level,
                    seed=derive_seed(seed, STREAM_TRANSPILE, width, depth),
                )
            )
        )
    timings["transpile"] += time.perf_counter() - t

    progress.stage(width, "execute")
    t = time.perf_counter()
    counts: list[dict[int, int]] = []
    clifford_method = CLIFFORD_METHODS[simulator] if variant == "clifford" else ""
    method = clifford_method
    for start, count in tasks.chunks(trials):
        chunk = isa[start : start + count]
        chunk_seed = derive_seed(seed, STREAM_SIMULATE, width, depth, start)
        if target is None:
            counts.extend(
                _run_ideal(
                    chunk, variant=variant, simulator=simulator, shots=shots, seed=chunk_seed
                )
            )
            method = "ideal_" + (clifford_method if variant == "clifford" else "statevector")
        elif variant == "clifford":
            counts.extend(
                _run_clifford(
                    chunk,
                    simulator=simulator,
                    target=target,
                    shots=shots,
                    seed=chunk_seed,
                    physical_qubits=physical,
                )
            )
        else:
            run = run_noisy(
                chunk, target=target, shots=shots, seed=chunk_seed, physical_qubits=physical
            )
            counts.extend(run.counts)
            method = run.method
        progress.advance(width, count)
    timings["execute"] += time.perf_counter() - t

    progress.stage(width, "analyse")
    t = time.perf_counter()
    histograms = [
        stats.hamming_histogram(c, target=m.target, width=width)
        for m, c in zip(built, counts, strict=True)
    ]
    polarizations = [stats.effective_polarization(h) for h in histograms]
    successes = [stats.success_probability(h) for h in histograms]
    lower = stats.lower_bound(polarizations)
    timings["analyse"] += time.perf_counter() - t
    result = MirrorWidthResult(
        width=width,
        depth=depth,
        circuits=trials,
        shots=shots,
        histograms=tuple(tuple(int(x) for x in h) for h in histograms),
        polarizations=tuple(polarizations),
        successes=tuple(successes),
        mean_polarization=float(np.mean(polarizations)),
        lower_bound=lower,
        passed=stats.passes(lower),
        mean_success=float(np.mean(successes)),
        two_qubit_gates=tuple(two_qubit_count(c) for c in isa),
        physical_qubits=layout.qubits if layout else None,
        method=method,
        timings={k: round(v, 6) for k, v in timings.items()},
    )
    progress.width_done(result)
    return result


def measure(
    settings: MirrorSettings,
    *,
    store: ResultsStore | None = None,
    progress: Progress | None = None,
    on_width: Callable[[MirrorWidthResult], None] | None = None,
    resume_run_id: str | None = None,
) -> MirrorResult:
    """Run the mirror benchmark ``settings`` ask for (``aer`` noiseless, or a device).

    Every width runs (there is no early stop: the point is to see the decay up to full width).
    With a ``store`` each finished width is recorded as it completes; ``resume_run_id`` continues
    a stopped run (with its recorded settings: :func:`resume`) without running those again.
    """
    backend = settings.backend
    backends_mod.check_backend_name(backend)
    if backends_mod.is_cloud_name(backend):
        raise UsageError(
            f"{backend} is an IBM Quantum cloud device: the mirror benchmark runs on 'aer' and "
            "device snapshots for now"
        )
    if backend == backends_mod.NOISELESS:
        if isinstance(settings.widths, str) and "max" in settings.widths.lower():
            raise UsageError(
                "'max' means a device's full width, and the noiseless 'aer' has none: give "
                "widths as numbers, or a device such as --backend fake_torino"
            )
        target, calibration = None, None
        max_width = SU4_MAX_WIDTH if settings.variant == "su4" else NOISELESS_MAX_WIDTH
    else:
        snapshot = backends_mod.load_snapshot(backend)
        target = snapshot.target
        calibration = backends_mod.calibration_date(snapshot)
        max_width = int(snapshot.num_qubits)
    plan = settings.resolved_widths(max_width=max_width)
    too_wide = [w for w in plan if w > max_width]
    if too_wide:
        raise UsageError(
            f"widths {too_wide} are wider than {backend} allows ({max_width} qubits): "
            "pass smaller --widths"
        )
    if settings.variant == "su4" and max(plan) > SU4_MAX_WIDTH:
        raise UsageError(
            f"--variant su4 simulates state vectors, up to width {SU4_MAX_WIDTH} here; "
            f"widths {[w for w in plan if w > SU4_MAX_WIDTH]} need --variant clifford"
        )
    for width in plan:
        blocks = settings.trials * (width // 2) * 2 * depth_for(width, settings.depth_factor)
        if blocks > MAX_WIDTH_BLOCKS:
            raise UsageError(
                f"width {width} with {settings.trials} circuits is {blocks:,} two-qubit blocks to "
                f"transpile and simulate (more than {MAX_WIDTH_BLOCKS:,}, hours of work): pass "
                "smaller --widths, --depth-factor or --trials"
            )
    if settings.trials < RECOMMENDED_CIRCUITS:
        warnings.warn(
            f"{settings.trials} circuits per width: the t lower bound is wide; "
            f"{RECOMMENDED_CIRCUITS} or more are recommended",
            MirrorWarning,
            stacklevel=2,
        )
    settings = settings.replace(widths=plan)
    prov = provenance.provenance()
    progress = progress or Progress()
    results: list[MirrorWidthResult] = []
    started = time.perf_counter()
    with recording(
        store,
        kind="mirror",
        backend=backend,
        seed=settings.seed,
        inputs=settings.to_dict(),
        created=str(prov["created"]),
        resume=resume_run_id,
    ) as run:
        finished = run.parts()
        for width in plan:
            name = f"w{width}"
            if name in finished:
                result = MirrorWidthResult.from_dict(finished[name])
            else:
                result = run_width(
                    backend=backend,
                    target=target,
                    width=width,
                    depth=depth_for(width, settings.depth_factor),
                    variant=settings.variant,
                    trials=settings.trials,
                    shots=settings.shots,
                    seed=settings.seed,
                    optimization_level=settings.optimization_level,
                    progress=progress,
                    simulator=str(settings.simulator),
                )
                run.add_part(name, result.to_dict())
            results.append(result)
            if on_width is not None:
                on_width(result)
        totals = provenance.stage_totals(results, STAGES, started)
        passing = [r.width for r in results if r.passed]
        recorded = settings.to_dict()
        del recorded["backend"], recorded["seed"]
        mirror = MirrorResult(
            backend=backend,
            calibration_date=calibration,
            variant=settings.variant,
            seed=settings.seed,
            threshold=stats.THRESHOLD,
            confidence=stats.CONFIDENCE,
            largest_passing_width=max(passing) if passing else None,
            settings=recorded,
            widths=tuple(results),
            versions=dict(prov.pop("versions")),  # type: ignore[call-overload]
            provenance=prov,
            timings=totals,
            run_id=run.run_id,
        )
        run.finish(document=mirror.to_dict(), summary=summary_line(mirror))
    return mirror


def run_mirror(
    *,
    backend: str = backends_mod.DEFAULT_BACKEND,
    widths: Sequence[int] | str = "2-8",
    variant: str = "clifford",
    simulator: str | None = None,
    depth_factor: float = 1.0,
    trials: int = 20,
    shots: int = 200,
    seed: int = 0,
    optimization_level: int = 1,
    store: ResultsStore | None = None,
    progress: Progress | None = None,
    on_width: Callable[[MirrorWidthResult], None] | None = None,
) -> MirrorResult:
    """Run the mirror benchmark on ``backend``: :func:`measure` with the settings as keywords
    (:class:`~quantumlimits.mirror.settings.MirrorSettings` documents each one).

    ``widths`` is a list, or a string like ``"2-8"`` or ``"2,16,max"``.
    """
    settings = MirrorSettings(
        backend=backend,
        widths=widths,
        variant=variant,
        simulator=simulator,
        depth_factor=depth_factor,
        trials=trials,
        shots=shots,
        seed=seed,
        optimization_level=optimization_level,
    )
    return measure(settings, store=store, progress=progress, on_width=on_width)


def resume(store: ResultsStore, run_id: str, *, progress: Progress | None = None) -> MirrorResult:
    """Continue a stopped mirror run under its own id and settings: finished widths are read
    from the store, not run again."""
    full = store.resolve(run_id)
    inputs = store.inputs(full)
    if inputs is None:
        raise UsageError(f"run {full} recorded no settings: it cannot be resumed; start a new run")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MirrorWarning)  # said when the run started
        return measure(
            MirrorSettings.from_dict(inputs), store=store, progress=progress, resume_run_id=full
        )


def summary_line(result: MirrorResult) -> str:
    """One line: the widest passing width and how it was decided."""
    widths = ",".join(str(w.width) for w in result.widths)
    verdict = (
        f"mirror width {result.largest_passing_width}"
        if result.largest_passing_width
        else "no mirror width passed"
    )
    return (
        f"{verdict} on {result.backend} ({result.variant}, effective polarization LB > 1/e; "
        f"widths {widths})"
    )
