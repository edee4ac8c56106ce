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
from quantumlimits.circuits import MIN_WIDTH, measured
from quantumlimits.errors import UsageError
from quantumlimits.execution import backends as backends_mod
from quantumlimits.execution.aer import _simulator, run_noisy
from quantumlimits.execution.layout import Layout, best_layout
from quantumlimits.execution.stabilizer import run_stabilizer
from quantumlimits.execution.stim import run_stim
from quantumlimits.execution.transpile import two_qubit_count
from quantumlimits.mirror import stats
from quantumlimits.mirror.circuits import VARIANTS, mirror_circuits
from quantumlimits.mirror.results import STAGES, MirrorResult, MirrorWidthResult
from quantumlimits.progress import WidthProgress
from quantumlimits.qv import tasks
from quantumlimits.seeding import STREAM_SIMULATE, STREAM_TRANSPILE, derive_seed
from quantumlimits.store import ResultsStore

#: Widest ``su4`` mirror width: its noisy simulation holds a state vector per shot thread.
SU4_MAX_WIDTH = 24
#: Simulators of the clifford variant: stim's Pauli frames, or Aer's stabilizer method.
SIMULATORS = ("stim", "aer")
#: ``method`` recorded per width, by simulator, for noisy clifford runs.
CLIFFORD_METHODS = {"stim": "stim", "aer": "stabilizer"}

#: Fewer circuits than this per width gives a wide t interval: a warning, not an error.
RECOMMENDED_CIRCUITS = 10


class MirrorWarning(UserWarning):
    """A statistically weak but valid mirror result (few circuits)."""


def parse_widths(text: str, *, max_width: int) -> tuple[int, ...]:
    """Parse ``A-B`` or ``a,b,c``; ``max`` stands for ``max_width`` (the device's qubits).

    >>> parse_widths("2-4", max_width=133), parse_widths("8,max,2", max_width=133)
    ((2, 3, 4), (2, 8, 133))
    """
    text = text.strip().lower()
    try:
        if "-" in text:
            lo_text, hi_text = text.split("-", 1)
            lo = int(lo_text)
            hi = max_width if hi_text.strip() == "max" else int(hi_text)
            if hi < lo:
                raise UsageError(f"--widths {text}: the range is empty, write it low-high")
            widths = tuple(range(lo, hi + 1))
        else:
            widths = tuple(
                sorted({max_width if p.strip() == "max" else int(p) for p in text.split(",") if p})
            )
    except ValueError as exc:
        if isinstance(exc, UsageError):
            raise
        raise UsageError(
            f"--widths {text!r} is not understood: write a range like 2-8 or a list like 2,8,32,max"
        ) from None
    if not widths:
        raise UsageError("no widths given: pass a range like 2-8 or a list like 2,8,max")
    bad = [w for w in widths if w < MIN_WIDTH]
    if bad:
        raise UsageError(f"widths {bad} are below {MIN_WIDTH}: mirror circuits need width >= 2")
    return widths


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
    """Run the mirror benchmark on ``backend`` (``aer`` noiseless, or a ``fake_*`` snapshot).

    ``widths`` is a list, or a string like ``"2-8"`` or ``"2,16,max"``. Every width runs (there
    is no early stop: the point is to see the decay up to full width). ``simulator`` (clifford
    only): ``"stim"`` (default) or ``"aer"`` (Aer's stabilizer method, the cross-check).
    """
    if variant not in VARIANTS:
        raise UsageError(f"--variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    if simulator is not None and simulator not in SIMULATORS:
        raise UsageError(f"--simulator must be one of {', '.join(SIMULATORS)}, got {simulator!r}")
    if variant == "su4" and simulator == "stim":
        raise UsageError(
            "--simulator stim runs Clifford circuits only: use --variant clifford, or drop "
            "--simulator for su4 (it runs on Aer)"
        )
    simulator = simulator or ("stim" if variant == "clifford" else "aer")
    if trials < 2:
        raise UsageError(f"--trials must be at least 2 (the bound needs a spread), got {trials}")
    if shots < 1:
        raise UsageError(f"--shots must be at least 1, got {shots}")
    if seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {seed}")
    if not depth_factor > 0 or depth_factor > 10:
        raise UsageError(f"--depth-factor must be in (0, 10], got {depth_factor}")
    if optimization_level not in (0, 1, 2, 3):
        raise UsageError(f"--optimization-level must be 0-3, got {optimization_level}")
    backends_mod.check_backend_name(backend)
    if backends_mod.is_cloud_name(backend):
        raise UsageError(
            f"{backend} is an IBM Quantum cloud device: the mirror benchmark runs on 'aer' and "
            "fake_* snapshots for now"
        )
    if backend == backends_mod.NOISELESS:
        target, calibration, max_width = None, None, SU4_MAX_WIDTH if variant == "su4" else 1000
    else:
        snapshot = backends_mod.load_snapshot(backend)
        target = snapshot.target
        calibration = backends_mod.calibration_date(snapshot)
        max_width = int(snapshot.num_qubits)
    plan = parse_widths(widths, max_width=max_width) if isinstance(widths, str) else widths
    plan = tuple(sorted(set(int(w) for w in plan)))
    if not plan or min(plan) < MIN_WIDTH:
        raise UsageError(f"widths must be >= {MIN_WIDTH}, got {list(plan)}")
    too_wide = [w for w in plan if w > max_width]
    if too_wide:
        raise UsageError(
            f"widths {too_wide} are wider than {backend} allows ({max_width} qubits): "
            "pass smaller --widths"
        )
    if variant == "su4" and max(plan) > SU4_MAX_WIDTH:
        raise UsageError(
            f"--variant su4 simulates state vectors, up to width {SU4_MAX_WIDTH} here; "
            f"widths {[w for w in plan if w > SU4_MAX_WIDTH]} need --variant clifford"
        )
    if trials < RECOMMENDED_CIRCUITS:
        warnings.warn(
            f"{trials} circuits per width: the t lower bound is wide; "
            f"{RECOMMENDED_CIRCUITS} or more are recommended",
            MirrorWarning,
            stacklevel=2,
        )

    settings = {
        "widths": list(plan),
        "depth_factor": depth_factor,
        "trials": trials,
        "shots": shots,
        "optimization_level": optimization_level,
        "variant": variant,
        "simulator": simulator,
    }
    prov = provenance.provenance()
    run_id = (
        store.begin_run(kind="mirror", backend=backend, seed=seed, created=str(prov["created"]))
        if store
        else None
    )
    if store and run_id:
        store.record_inputs(run_id, {**settings, "backend": backend, "seed": seed})
    progress = progress or Progress()
    results: list[MirrorWidthResult] = []
    started = time.perf_counter()
    try:
        for width in plan:
            result = run_width(
                backend=backend,
                target=target,
                width=width,
                depth=depth_for(width, depth_factor),
                variant=variant,
                trials=trials,
                shots=shots,
                seed=seed,
                optimization_level=optimization_level,
                progress=progress,
                simulator=simulator,
            )
            results.append(result)
            if on_width is not None:
                on_width(result)
    except BaseException:
        if store and run_id:
            store.mark_failed(run_id, summary="interrupted or failed")
        raise
    totals = provenance.stage_totals(results, STAGES, started)
    passing = [r.width for r in results if r.passed]
    mirror = MirrorResult(
        backend=backend,
        calibration_date=calibration,
        variant=variant,
        seed=seed,
        threshold=stats.THRESHOLD,
        confidence=stats.CONFIDENCE,
        largest_passing_width=max(passing) if passing else None,
        settings=settings,
        widths=tuple(results),
        versions=dict(prov.pop("versions")),  # type: ignore[call-overload]
        provenance=prov,
        timings=totals,
        run_id=run_id,
    )
    if store and run_id:
        store.finish_run(run_id, document=mirror.to_dict(), summary=summary_line(mirror))
    return mirror


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
