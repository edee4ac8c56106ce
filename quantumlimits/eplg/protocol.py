"""The layer-fidelity run: choose the chain -> per layer build, execute, record -> analyse.

Clifford circuits with the Pauli-twirled device noise run on stim (any width); ``simulator="aer"``
runs the same circuits on Aer with the device's full noise model (chains up to
:data:`~quantumlimits.eplg.settings.AER_MAX_QUBITS` qubits), the cross-check.
"""

from __future__ import annotations

import itertools
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from quantumlimits import provenance
from quantumlimits.eplg import analysis
from quantumlimits.eplg.chain import Chain, best_chain, layers, longest_chain, predicted_lf
from quantumlimits.eplg.circuits import MEAN_PULSES, TWO_QUBIT_GATES, rb_circuit
from quantumlimits.eplg.results import STAGES, EPLGResult, LayerResult
from quantumlimits.eplg.settings import AER_MAX_QUBITS, EPLGSettings
from quantumlimits.errors import UsageError
from quantumlimits.execution import backends as backends_mod
from quantumlimits.execution.aer import run_noisy
from quantumlimits.execution.stim import run_stim
from quantumlimits.seeding import STREAM_BOOTSTRAP, STREAM_CIRCUIT, STREAM_SIMULATE, derive_seed
from quantumlimits.store import ResultsStore, recording

#: A progress callback: one short line per stage.
Progress = Callable[[str], None]


def one_qubit_infidelities(target: Any) -> dict[int, float]:
    """Per qubit, the process infidelity calibration predicts for one layer's random one-qubit
    Clifford: ``1 − (1 − 3/2·e_sx)^p̄`` with ``p̄`` the mean pulses per Clifford."""
    out: dict[int, float] = {}
    if "sx" not in target.operation_names:
        return out
    for qargs, props in target["sx"].items():
        if qargs is None or props is None or props.error is None:
            continue
        out[qargs[0]] = 1.0 - max(0.0, 1.0 - 1.5 * float(props.error)) ** MEAN_PULSES
    return out


def _check_chain(chain: Sequence[int], edges: Mapping[tuple[int, int], float], n: int) -> None:
    bad = [q for q in chain if q >= n]
    if bad:
        raise UsageError(f"--chain qubits {bad} do not exist on a {n}-qubit device")
    for a, b in itertools.pairwise(chain):
        err = edges.get((min(a, b), max(a, b)))
        if err is None:
            raise UsageError(f"--chain: qubits {a} and {b} are not coupled: give a path")
        if err >= 1.0:
            raise UsageError(f"--chain: the coupler {a}-{b} is broken (error 1.0): avoid it")


def _directions(
    target: Any, gate: str, chain: Sequence[int]
) -> dict[tuple[int, int], tuple[int, int]]:
    """Per local pair (i, i+1), the local order the native gate runs in (its better direction)."""
    props = target[gate]
    out = {}
    for i in range(len(chain) - 1):
        a, b = chain[i], chain[i + 1]
        options = []
        for qargs, local in (((a, b), (i, i + 1)), ((b, a), (i + 1, i))):
            if qargs in props:
                p = props[qargs]
                err = p.error if p is not None and p.error is not None else 1.0
                options.append((err, local))
        out[(i, i + 1)] = min(options)[1]
    return out


def prepare(settings: EPLGSettings) -> tuple[Any, str | None, str, Chain]:
    """Device checks and the chain, before anything is recorded or simulated."""
    backend = settings.backend
    backends_mod.check_backend_name(backend)
    if backends_mod.is_cloud_name(backend):
        raise UsageError(
            f"{backend} is an IBM Quantum cloud device: layer fidelity runs on device snapshots "
            "for now (the cloud path is not built); pass a snapshot such as --backend fake_fez"
        )
    if backend == backends_mod.NOISELESS:
        raise UsageError(
            "layer fidelity needs a device's calibration to choose a chain and its noise: pass a "
            "snapshot such as --backend fake_fez"
        )
    snapshot = backends_mod.load_snapshot(backend)
    target = snapshot.target
    gate = backends_mod.two_qubit_gate(target)
    if gate not in TWO_QUBIT_GATES:
        raise UsageError(f"{backend} has no cz, ecr or cx gate: layer fidelity needs one")
    problems = backends_mod.calibration_problems(target)
    if problems:
        raise UsageError(
            f"{backend}'s calibration is a placeholder ({'; '.join(problems)}): choose another "
            "snapshot"
        )
    edges = backends_mod.edge_errors(target)
    one = one_qubit_infidelities(target)
    n = int(target.num_qubits)
    if settings.chain is not None:
        _check_chain(settings.chain, edges, n)
        chain = Chain(settings.chain, predicted_lf(settings.chain, edges=edges, one_qubit=one))
    elif settings.chain_length == "max":
        chain = longest_chain(edges=edges, one_qubit=one, upper=n)
    else:
        length = int(settings.chain_length)
        if length > n:
            raise UsageError(
                f"--chain-length {length} is more than {backend}'s {n} qubits: pass "
                f"--chain-length {n} or less, or max"
            )
        chain = best_chain(edges=edges, one_qubit=one, length=length)
    if settings.simulator == "aer" and len(chain.qubits) > AER_MAX_QUBITS:
        raise UsageError(
            f"--simulator aer simulates state vectors, chains up to {AER_MAX_QUBITS} qubits here; "
            f"a {len(chain.qubits)}-qubit chain needs --simulator stim"
        )
    return target, backends_mod.calibration_date(snapshot), str(gate), chain


def run_layer(
    *,
    target: Any,
    gate: str,
    chain: Sequence[int],
    index: int,
    pairs: Sequence[tuple[int, int]],
    settings: EPLGSettings,
    progress: Progress,
) -> LayerResult:
    """Simultaneous direct RB of one layer (local pairs), every length and sequence."""
    n = len(chain)
    directions = _directions(target, gate, chain)
    ordered = [directions[p] for p in pairs]
    paired = {q for p in pairs for q in p}
    subsystems: list[tuple[int, ...]] = [tuple(p) for p in ordered]
    subsystems += [(q,) for q in range(n) if q not in paired]
    sizes = [len(s) for s in subsystems]
    timings = dict.fromkeys(STAGES, 0.0)
    survival = np.empty((len(settings.lengths), settings.samples, len(subsystems)))
    method = "stim" if settings.simulator == "stim" else ""
    for li, length in enumerate(settings.lengths):
        progress(f"layer {index + 1}: length {length}")
        t = time.perf_counter()
        circuits = [
            rb_circuit(
                num_qubits=n,
                pairs=pairs,
                gate=gate,
                directions=directions,
                length=length,
                seed=derive_seed(settings.seed, STREAM_CIRCUIT, index, li, s),
            )
            for s in range(settings.samples)
        ]
        timings["build"] += time.perf_counter() - t
        t = time.perf_counter()
        seed = derive_seed(settings.seed, STREAM_SIMULATE, index, li)
        if settings.simulator == "stim":
            counts = run_stim(
                circuits, target=target, shots=settings.shots, seed=seed, physical_qubits=chain
            ).counts
        else:
            run = run_noisy(
                circuits, target=target, shots=settings.shots, seed=seed, physical_qubits=chain
            )
            counts, method = run.counts, run.method
        timings["execute"] += time.perf_counter() - t
        for s, c in enumerate(counts):
            survival[li, s] = analysis.survival_probabilities(c, subsystems, n)
    t = time.perf_counter()
    fits, fidelities = analysis.subsystem_fidelities(settings.lengths, survival, sizes)
    boot = analysis.bootstrap_fidelities(
        settings.lengths,
        survival,
        sizes,
        start=fits,
        resamples=settings.resamples,
        rng=np.random.default_rng(derive_seed(settings.seed, STREAM_BOOTSTRAP, index)),
    )
    layer_boot = analysis.log_product(boot, axis=1)
    timings["analyse"] += time.perf_counter() - t
    return LayerResult(
        index=index,
        subsystems=tuple(tuple(chain[q] for q in s) for s in subsystems),
        survival=tuple(tuple(tuple(float(v) for v in row) for row in per) for per in survival),
        fits=tuple((float(a), float(al), float(b)) for a, al, b in fits.T),
        fidelities=tuple(float(f) for f in fidelities),
        intervals=tuple(analysis.interval(boot[:, k]) for k in range(len(subsystems))),
        layer_fidelity=float(analysis.log_product(fidelities)),
        layer_interval=analysis.interval(layer_boot),
        two_qubit_gates=len(pairs),
        method=method,
        timings={k: round(v, 6) for k, v in timings.items()},
    )


def _bootstrap_lf(layer_results: Sequence[LayerResult], settings: EPLGSettings) -> np.ndarray:
    """LF under the bootstrap: per layer, refit the resampled sequences (same streams as each
    layer's own interval), product over layers."""
    total = np.ones(settings.resamples)
    for layer in layer_results:
        survival = np.array(layer.survival)
        boot = analysis.bootstrap_fidelities(
            settings.lengths,
            survival,
            [len(s) for s in layer.subsystems],
            start=np.array(layer.fits).T,
            resamples=settings.resamples,
            rng=np.random.default_rng(derive_seed(settings.seed, STREAM_BOOTSTRAP, layer.index)),
        )
        total *= analysis.log_product(boot, axis=1)
    return total


def chain_curve(
    chain: Sequence[int], layer_results: Sequence[LayerResult]
) -> list[tuple[int, float]]:
    """EPLG of the chain's first ``k`` qubits, ``k`` = 4 … n, from the same data: the fidelities
    of the subsystems inside, and the square root of a pair's fidelity where the cut splits it."""
    position = {q: i for i, q in enumerate(chain)}
    out = []
    for k in range(min(4, len(chain)), len(chain) + 1):
        log_lf = 0.0
        for layer in layer_results:
            for qubits, f in zip(layer.subsystems, layer.fidelities, strict=True):
                inside = sum(position[q] < k for q in qubits)
                if inside == len(qubits):
                    log_lf += math.log(max(f, 1e-300))
                elif inside:
                    log_lf += 0.5 * math.log(max(f, 1e-300))
        out.append((k, analysis.eplg(math.exp(log_lf), two_qubit_gates=k - 1)))
    return out


def measure(
    settings: EPLGSettings,
    *,
    store: ResultsStore | None = None,
    progress: Progress | None = None,
    resume_run_id: str | None = None,
) -> EPLGResult:
    """Run the layer-fidelity benchmark ``settings`` ask for; with a ``store`` each finished
    layer is recorded as it completes and ``resume_run_id`` continues a stopped run."""
    say = progress or (lambda _line: None)
    started = time.perf_counter()
    say("choosing the chain")
    target, calibration, gate, chain = prepare(settings)
    qubits = chain.qubits
    local_layers = layers(tuple(range(len(qubits))))
    prov = provenance.provenance()
    results: list[LayerResult] = []
    with recording(
        store,
        kind="eplg",
        backend=settings.backend,
        seed=settings.seed,
        inputs=settings.to_dict(),
        created=str(prov["created"]),
        resume=resume_run_id,
    ) as run:
        finished = run.parts()
        for index, pairs in enumerate(local_layers):
            name = f"layer{index}"
            if name in finished:
                layer = LayerResult.from_dict(finished[name])
            else:
                layer = run_layer(
                    target=target,
                    gate=gate,
                    chain=qubits,
                    index=index,
                    pairs=pairs,
                    settings=settings,
                    progress=say,
                )
                run.add_part(name, layer.to_dict())
            results.append(layer)
        n2 = len(qubits) - 1
        lf = float(np.prod([layer.layer_fidelity for layer in results]))
        boot = _bootstrap_lf(results, settings)
        lf_lo, lf_hi = analysis.interval(boot)
        edges = backends_mod.edge_errors(target)
        projected = predicted_lf(qubits, edges=edges, one_qubit=one_qubit_infidelities(target))
        recorded = settings.to_dict()
        del recorded["backend"], recorded["seed"]
        totals = {
            stage: round(sum(layer.timings.get(stage, 0.0) for layer in results), 6)
            for stage in STAGES
        }
        totals["total"] = round(time.perf_counter() - started, 6)
        result = EPLGResult(
            backend=settings.backend,
            calibration_date=calibration,
            seed=settings.seed,
            settings=recorded,
            chain=tuple(qubits),
            two_qubit_gate=gate,
            layers=tuple(results),
            lf=lf,
            lf_interval=(lf_lo, lf_hi),
            eplg=analysis.eplg(lf, two_qubit_gates=n2),
            eplg_interval=(
                analysis.eplg(lf_hi, two_qubit_gates=n2),
                analysis.eplg(lf_lo, two_qubit_gates=n2),
            ),
            eplg_process=analysis.eplg_process(lf, two_qubit_gates=n2),
            projected_lf=projected,
            projected_eplg=analysis.eplg(projected, two_qubit_gates=n2),
            curve=tuple(chain_curve(qubits, results)),
            versions=dict(prov.pop("versions")),  # type: ignore[call-overload]
            provenance=prov,
            timings=totals,
            run_id=run.run_id,
        )
        run.finish(document=result.to_dict(), summary=summary_line(result))
    return result


def resume(store: ResultsStore, run_id: str, *, progress: Progress | None = None) -> EPLGResult:
    """Continue a stopped layer-fidelity run under its own id and settings: finished layers are
    read from the store, not run again."""
    full = store.resolve(run_id)
    inputs = store.inputs(full)
    if inputs is None:
        raise UsageError(f"run {full} recorded no settings: it cannot be resumed; start a new run")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return measure(
            EPLGSettings.from_dict(inputs), store=store, progress=progress, resume_run_id=full
        )


def summary_line(result: EPLGResult) -> str:
    """One line: EPLG and LF of the chain."""
    lo, hi = result.eplg_interval
    return (
        f"EPLG {result.eplg:.5f} [{lo:.5f}, {hi:.5f}] on a {len(result.chain)}-qubit chain of "
        f"{result.backend} (LF {result.lf:.4f}; calibration projects EPLG "
        f"{result.projected_eplg:.5f})"
    )
