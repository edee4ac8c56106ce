"""The layer-fidelity run: choose the chain -> per layer build, execute, record -> analyse.

Clifford circuits with the Pauli-twirled device noise run on stim (any width); ``simulator="aer"``
runs the same circuits on Aer with the device's full noise model (chains up to
:data:`~quantumlimits.eplg.settings.AER_MAX_QUBITS` qubits), the cross-check. On an IBM Quantum
device (``ibm_*``, through an :class:`~quantumlimits.execution.ibm.IBMExecutor`) the same
circuits, placed on the chain's physical qubits, are sent as one batch of sampler jobs per layer
(:func:`cloud_plan` builds them before anything is recorded, so their QPU time can be projected
and approved), journaled, and analysed with the same fits.
"""

from __future__ import annotations

import itertools
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from quantumlimits import provenance
from quantumlimits.eplg import analysis
from quantumlimits.eplg.chain import Chain, best_chain, layers, longest_chain, predicted_lf
from quantumlimits.eplg.circuits import (
    MEAN_PULSES,
    ONE_QUBIT_BASES,
    ONE_QUBIT_CLIFFORDS,
    TWO_QUBIT_GATES,
    channel_name,
    rb_circuit,
    rb_program,
)
from quantumlimits.eplg.results import STAGES, EPLGResult, LayerResult
from quantumlimits.eplg.settings import AER_MAX_QUBITS, EPLGSettings
from quantumlimits.errors import UsageError
from quantumlimits.execution import backends as backends_mod
from quantumlimits.execution.aer import run_noisy
from quantumlimits.execution.executor import JobKey, Mapper
from quantumlimits.execution.stim import sample_counts, twirled_noise
from quantumlimits.seeding import STREAM_BOOTSTRAP, STREAM_CIRCUIT, STREAM_SIMULATE, derive_seed
from quantumlimits.store import ResultsStore, recording

#: A progress callback: one short line per stage.
Progress = Callable[[str], None]


def one_qubit_basis(target: Any) -> str | None:
    """``sx`` (rz, sx, x) or ``r`` (rz, r), whichever the target has, else None."""
    for basis in ONE_QUBIT_BASES:
        if basis in target.operation_names:
            return basis
    return None


def one_qubit_infidelities(target: Any) -> dict[int, float]:
    """Per qubit, the process infidelity calibration predicts for one layer's random one-qubit
    Clifford: ``1 − (1 − 3/2·e_sx)^p̄`` with ``p̄`` the mean pulses per Clifford."""
    out: dict[int, float] = {}
    basis = one_qubit_basis(target)
    if basis is None:
        return out
    for qargs, props in target[basis].items():
        if qargs is None or props is None or props.error is None:
            continue
        out[qargs[0]] = 1.0 - max(0.0, 1.0 - 1.5 * float(props.error)) ** MEAN_PULSES
    return out


#: A qubit whose readout or one-qubit gate error is at least this is unusable (a readout error of
#: 0.5 is a coin flip; snapshots mark dead qubits with 0.5 or 1.0): no chain searched uses it.
UNUSABLE_ERROR = 0.5


def unusable_qubits(target: Any) -> frozenset[int]:
    """Qubits whose readout or ``sx`` error is at least :data:`UNUSABLE_ERROR`."""
    bad = set()
    for name in ("measure", *ONE_QUBIT_BASES):
        if name not in target.operation_names:
            continue
        for qargs, props in target[name].items():
            if qargs and props is not None and (props.error or 0.0) >= UNUSABLE_ERROR:
                bad.add(qargs[0])
    return frozenset(bad)


#: A subsystem is resolved when its mean survival at the shortest length stands at least this
#: far above its asymptote ``1/2^k``; below, it had decayed before the first point and its fit
#: says nothing about its fidelity.
RESOLVED_EXCESS = 0.05


def unresolved(layer: LayerResult, lengths: Sequence[int]) -> list[tuple[int, ...]]:
    """Subsystems of ``layer`` whose decay the data does not resolve (see RESOLVED_EXCESS)."""
    survival = np.array(layer.survival)  # lengths × sequences × subsystems
    first = survival[int(np.argmin(lengths))].mean(axis=0)
    return [
        tuple(s)
        for s, y in zip(layer.subsystems, first, strict=True)
        if y - 1.0 / 2 ** len(s) < RESOLVED_EXCESS
    ]


def model_lf(target: Any, gate: str, chain: Sequence[int]) -> float:
    """LF of the chain under the simulated noise itself: the product of the twirled channels'
    process fidelities (identity probabilities) — per pair its gate's, per qubit and layer the
    mean over the 24 one-qubit Cliffords of the product over their pulses."""
    channels, _ = twirled_noise(target, chain)
    directions = _directions(target, gate, chain)
    basis = one_qubit_basis(target) or "sx"
    n = len(chain)
    total = 0.0
    for pair in directions.values():
        channel = channels.get((gate, pair))
        total += math.log(max(channel.get("II", 1.0), 1e-300)) if channel else 0.0
    n_layers = len(layers(tuple(range(n))))
    for q in range(n):
        per_clifford = []
        for clifford in ONE_QUBIT_CLIFFORDS:
            f = 1.0
            for op in clifford.ops:
                channel = channels.get((channel_name(op, basis), (q,)))
                f *= channel.get("I", 1.0) if channel else 1.0
            per_clifford.append(f)
        total += n_layers * math.log(max(float(np.mean(per_clifford)), 1e-300))
    return math.exp(total)


def _check_chain(
    chain: Sequence[int],
    edges: Mapping[tuple[int, int], float],
    n: int,
    *,
    allow_broken: bool = False,
) -> None:
    bad = [q for q in chain if q >= n]
    if bad:
        raise UsageError(f"--chain qubits {bad} do not exist on a {n}-qubit device")
    for a, b in itertools.pairwise(chain):
        err = edges.get((min(a, b), max(a, b)))
        if err is None:
            raise UsageError(f"--chain: qubits {a} and {b} are not coupled: give a path")
        if err >= 1.0 and not allow_broken:
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


def prepare(
    settings: EPLGSettings,
    *,
    executor: Any = None,
    chain: Sequence[int] | None = None,
) -> tuple[Any, str | None, str, Chain]:
    """Device checks and the chain, before anything is recorded or simulated.

    A cloud device (``ibm_*``) is reached through ``executor`` (its target is the device's
    calibration); ``chain`` (a resumed cloud run's recorded chain) replaces the search, since
    the calibration may have changed since the run began.
    """
    backend = settings.backend
    backends_mod.check_backend_name(backend)
    if backends_mod.is_cloud_name(backend):
        if executor is None or not hasattr(executor, "device"):
            raise UsageError(
                f"{backend} is an IBM Quantum cloud device: it runs through the cloud executor "
                "(quantumlimits eplg --backend ibm_<device>, docs/ibm.md)"
            )
        if settings.simulator != "stim":
            raise UsageError(
                f"--simulator applies to device snapshots; on {backend} the device runs the "
                "circuits: drop --simulator"
            )
        snapshot = executor.device()
    elif backend == backends_mod.NOISELESS:
        raise UsageError(
            "layer fidelity needs a device's calibration to choose a chain and its noise: pass a "
            "snapshot such as --backend fake_fez"
        )
    else:
        snapshot = backends_mod.load_snapshot(backend)
    target = snapshot.target
    gate = backends_mod.two_qubit_gate(target)
    if gate not in TWO_QUBIT_GATES:
        raise UsageError(f"{backend} has no cz, ecr, cx or rzz gate: layer fidelity needs one")
    if one_qubit_basis(target) is None:
        raise UsageError(f"{backend} has neither sx nor r gates: layer fidelity needs one of them")
    problems = backends_mod.calibration_problems(target)
    if problems:
        raise UsageError(
            f"{backend}'s calibration is a placeholder ({'; '.join(problems)}): choose another "
            "snapshot"
        )
    edges = backends_mod.edge_errors(target)
    one = one_qubit_infidelities(target)
    n = int(target.num_qubits)
    given = tuple(chain) if chain is not None else settings.chain
    if given is not None:
        _check_chain(given, edges, n, allow_broken=chain is not None)
        found = Chain(given, predicted_lf(given, edges=edges, one_qubit=one))
    elif settings.chain_length == "max":
        found = longest_chain(edges=edges, one_qubit=one, upper=n, excluded=unusable_qubits(target))
    else:
        length = int(settings.chain_length)
        if length > n:
            raise UsageError(
                f"--chain-length {length} is more than {backend}'s {n} qubits: pass "
                f"--chain-length {n} or less, or max"
            )
        found = best_chain(
            edges=edges, one_qubit=one, length=length, excluded=unusable_qubits(target)
        )
    if settings.simulator == "aer" and len(found.qubits) > AER_MAX_QUBITS:
        raise UsageError(
            f"--simulator aer simulates state vectors, chains up to {AER_MAX_QUBITS} qubits here; "
            f"a {len(found.qubits)}-qubit chain needs --simulator stim"
        )
    return target, backends_mod.calibration_date(snapshot), str(gate), found


@dataclass(frozen=True)
class LengthTask:
    """One length of one layer: everything a worker needs (the snapshot by name)."""

    backend: str
    chain: tuple[int, ...]
    gate: str
    pairs: tuple[tuple[int, int], ...]
    subsystems: tuple[tuple[int, ...], ...]
    length: int
    circuit_seeds: tuple[int, ...]
    simulate_seed: int
    shots: int
    simulator: str


@dataclass(frozen=True)
class LengthResult:
    """Survival probabilities (sequences × subsystems) of one task, how and how long."""

    survival: np.ndarray
    method: str
    build_s: float
    execute_s: float


def run_length(task: LengthTask) -> LengthResult:
    """Build and run the sequences of one task; their survival probabilities per subsystem.

    On stim the programs are written straight into stim (:func:`rb_program`) and sampled with
    the same streams :func:`~quantumlimits.execution.stim.run_stim` would use on
    :func:`rb_circuit`'s circuits; on Aer the circuits go through ``run_noisy``.
    """
    target = _TARGETS.get(task.backend)
    if target is None:
        target = _TARGETS[task.backend] = backends_mod.load_snapshot(task.backend).target
    chain = task.chain
    n = len(chain)
    directions = _directions(target, task.gate, chain)
    basis = one_qubit_basis(target) or "sx"
    build = execute = 0.0
    if task.simulator == "stim":
        channels, readout = twirled_noise(target, chain)
        streams = np.random.SeedSequence(task.simulate_seed).spawn(len(task.circuit_seeds))
        counts = []
        for circuit_seed, stream in zip(task.circuit_seeds, streams, strict=True):
            t = time.perf_counter()
            program = rb_program(
                num_qubits=n,
                pairs=task.pairs,
                gate=task.gate,
                directions=directions,
                length=task.length,
                seed=circuit_seed,
                channels=channels,
                one_qubit_basis=basis,
            )
            build += time.perf_counter() - t
            t = time.perf_counter()
            sample_seed = int(stream.generate_state(1, dtype=np.uint64)[0])
            counts.append(
                sample_counts(program, shots=task.shots, seed=sample_seed, readout=readout)
            )
            execute += time.perf_counter() - t
        method = "stim"
    else:
        t = time.perf_counter()
        circuits = [
            rb_circuit(
                num_qubits=n,
                pairs=task.pairs,
                gate=task.gate,
                directions=directions,
                length=task.length,
                seed=circuit_seed,
                one_qubit_basis=basis,
            )
            for circuit_seed in task.circuit_seeds
        ]
        build += time.perf_counter() - t
        t = time.perf_counter()
        run = run_noisy(
            circuits,
            target=target,
            shots=task.shots,
            seed=task.simulate_seed,
            physical_qubits=chain,
        )
        counts, method = run.counts, run.method
        execute += time.perf_counter() - t
    survival = np.array([analysis.survival_probabilities(c, task.subsystems, n) for c in counts])
    return LengthResult(survival=survival, method=method, build_s=build, execute_s=execute)


#: Targets loaded in this process, by snapshot name (workers load each once).
_TARGETS: dict[str, Any] = {}


def run_layer(
    *,
    target: Any,
    gate: str,
    chain: Sequence[int],
    index: int,
    pairs: Sequence[tuple[int, int]],
    settings: EPLGSettings,
    progress: Progress,
    mapper: Mapper | None = None,
) -> LayerResult:
    """Simultaneous direct RB of one layer (local pairs), every length and sequence; the
    lengths run through ``mapper`` (in this process by default)."""
    n = len(chain)
    subsystems = _local_subsystems(n, pairs, _directions(target, gate, chain))
    timings = dict.fromkeys(STAGES, 0.0)
    _TARGETS.setdefault(settings.backend, target)
    tasks = [
        LengthTask(
            backend=settings.backend,
            chain=tuple(chain),
            gate=gate,
            pairs=tuple(pairs),
            subsystems=tuple(subsystems),
            length=length,
            circuit_seeds=tuple(
                derive_seed(settings.seed, STREAM_CIRCUIT, index, li, s)
                for s in range(settings.samples)
            ),
            simulate_seed=derive_seed(settings.seed, STREAM_SIMULATE, index, li),
            shots=settings.shots,
            simulator=settings.simulator,
        )
        for li, length in enumerate(settings.lengths)
    ]
    rows = []
    method = ""
    for task, done in zip(tasks, (mapper or map)(run_length, tasks), strict=True):
        progress(f"layer {index + 1}: length {task.length} done")
        rows.append(done.survival)
        method = done.method
        timings["build"] += done.build_s
        timings["execute"] += done.execute_s
    return _analyse_layer(
        chain=chain,
        index=index,
        subsystems=subsystems,
        survival=np.stack(rows),
        two_qubit_gates=len(pairs),
        settings=settings,
        method=method,
        timings=timings,
    )


def _local_subsystems(
    n: int,
    pairs: Sequence[tuple[int, int]],
    directions: Mapping[tuple[int, int], tuple[int, int]],
) -> list[tuple[int, ...]]:
    """A layer's subsystems on local qubits: each pair in its gate's order, then lone qubits."""
    paired = {q for p in pairs for q in p}
    subsystems: list[tuple[int, ...]] = [tuple(directions[p]) for p in pairs]
    return subsystems + [(q,) for q in range(n) if q not in paired]


def _analyse_layer(
    *,
    chain: Sequence[int],
    index: int,
    subsystems: Sequence[tuple[int, ...]],
    survival: np.ndarray,
    two_qubit_gates: int,
    settings: EPLGSettings,
    method: str,
    timings: dict[str, float],
) -> LayerResult:
    """Fits, fidelities and bootstrap intervals of one layer's survival probabilities
    (lengths × sequences × subsystems), whatever ran the circuits."""
    sizes = [len(s) for s in subsystems]
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
        two_qubit_gates=two_qubit_gates,
        method=method,
        timings={k: round(v, 6) for k, v in timings.items()},
    )


#: The part a cloud run records its chain in before anything is sent (``resume`` reads it back,
#: since the device's calibration, and so the search, may have changed in between).
CHAIN_PART = "chain"


def layer_key(index: int) -> JobKey:
    """The journal key of a layer's jobs on a cloud device.

    >>> layer_key(1).name, layer_key(1).label
    ('layer1', 'layer 2')
    """
    return JobKey(name=f"layer{index}", label=f"layer {index + 1}", seed_path=(index,))


@dataclass(frozen=True)
class CloudPlan:
    """What a cloud run sends, built before anything is recorded or sent: the chain, the
    native gate's direction per pair, and per layer its ISA circuits (every length's sequences,
    in order) placed on the chain's physical qubits of the device's full register."""

    target: Any
    calibration_date: str | None
    gate: str
    chain: Chain
    directions: Mapping[tuple[int, int], tuple[int, int]]
    circuits: tuple[tuple[Any, ...], ...]

    def recorded(self) -> dict[str, Any]:
        """The :data:`CHAIN_PART` document: chain, gate and directions."""
        return {
            "qubits": list(self.chain.qubits),
            "gate": self.gate,
            "directions": [
                list(self.directions[(i, i + 1)]) for i in range(len(self.chain.qubits) - 1)
            ],
        }


def cloud_plan(
    settings: EPLGSettings, *, executor: Any, recorded: Mapping[str, Any] | None = None
) -> CloudPlan:
    """The chain (searched on the device's calibration, or ``recorded`` by the run being
    resumed) and every circuit a cloud run sends, checked against the device's target as the
    service checks them. The sequences are those a simulated run draws with the same seed,
    written in the target's native gates and directions: nothing is left to a transpiler."""
    from qiskit_ibm_runtime.utils import validate_isa_circuits

    from quantumlimits.execution.transpile import embed

    chain = None if recorded is None else tuple(int(q) for q in recorded["qubits"])
    target, calibration, gate, found = prepare(settings, executor=executor, chain=chain)
    if recorded is not None and recorded.get("gate", gate) != gate:
        raise UsageError(
            f"{settings.backend} now runs {gate}, the run recorded {recorded['gate']}: it cannot "
            "be resumed; start a new run"
        )
    qubits = found.qubits
    n = len(qubits)
    directions = _directions(target, gate, qubits)
    if recorded is not None and recorded.get("directions") is not None:
        directions = {
            (i, i + 1): (int(a), int(b)) for i, (a, b) in enumerate(recorded["directions"])
        }
    basis = one_qubit_basis(target) or "sx"
    size = int(target.num_qubits)
    per_layer = []
    for index, pairs in enumerate(layers(tuple(range(n)))):
        batch = [
            embed(
                rb_circuit(
                    num_qubits=n,
                    pairs=pairs,
                    gate=gate,
                    directions=directions,
                    length=length,
                    seed=derive_seed(settings.seed, STREAM_CIRCUIT, index, li, s),
                    one_qubit_basis=basis,
                ),
                qubits,
                size,
            )
            for li, length in enumerate(settings.lengths)
            for s in range(settings.samples)
        ]
        try:
            validate_isa_circuits(batch, target)
        except Exception as exc:
            raise UsageError(
                f"the layer-fidelity circuits are not ISA circuits of {settings.backend} ({exc}): "
                "pass another --chain"
            ) from None
        per_layer.append(tuple(batch))
    return CloudPlan(
        target=target,
        calibration_date=calibration,
        gate=gate,
        chain=found,
        directions=directions,
        circuits=tuple(per_layer),
    )


def cloud_projection(executor: Any, plan: CloudPlan, *, shots: int) -> Any:
    """Projected QPU time of the jobs a cloud run still has to send (the executor's journal
    decides what is already done or submitted)."""
    from quantumlimits.execution import qpu_time

    total = qpu_time.NOTHING
    for index, batch in enumerate(plan.circuits):
        total = total + executor.projection(list(batch), key=layer_key(index), shots=shots)
    return total


def run_cloud_layer(
    *,
    executor: Any,
    plan: CloudPlan,
    index: int,
    pairs: Sequence[tuple[int, int]],
    settings: EPLGSettings,
    progress: Progress,
) -> LayerResult:
    """One layer on the cloud device: its jobs (submitted, or collected from the journal),
    their counts turned into survival probabilities, and the same fits as a simulated run."""
    qubits = plan.chain.qubits
    n = len(qubits)
    subsystems = _local_subsystems(n, pairs, plan.directions)
    timings = dict.fromkeys(STAGES, 0.0)
    batch = list(plan.circuits[index])
    back = 0

    def advance(count: int) -> None:
        nonlocal back
        back += count
        progress(f"layer {index + 1}: {back} of {len(batch)} circuits back from {settings.backend}")

    progress(f"layer {index + 1}: waiting on {settings.backend}")
    t = time.perf_counter()
    counts, _, method = executor.execute(
        batch, key=layer_key(index), shots=settings.shots, seed=settings.seed, advance=advance
    )
    timings["execute"] += time.perf_counter() - t
    survival = np.array(
        [analysis.survival_probabilities(c, subsystems, n) for c in counts]
    ).reshape(len(settings.lengths), settings.samples, len(subsystems))
    return _analyse_layer(
        chain=qubits,
        index=index,
        subsystems=subsystems,
        survival=survival,
        two_qubit_gates=len(pairs),
        settings=settings,
        method=method,
        timings=timings,
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
    mapper: Mapper | None = None,
    executor: Any = None,
    plan: CloudPlan | None = None,
) -> EPLGResult:
    """Run the layer-fidelity benchmark ``settings`` ask for; with a ``store`` each finished
    layer is recorded as it completes and ``resume_run_id`` continues a stopped run.

    On a cloud device ``executor`` (an :class:`~quantumlimits.execution.ibm.IBMExecutor`) runs
    the circuits of ``plan`` (:func:`cloud_plan`, built here when not given): the chain is
    recorded, every unfinished layer's jobs are submitted at once (they queue together), then
    each layer is collected and analysed.
    """
    say = progress or (lambda _line: None)
    started = time.perf_counter()
    cloud = backends_mod.is_cloud_name(settings.backend)
    if cloud:
        if executor is None:
            raise UsageError(
                f"{settings.backend} is an IBM Quantum cloud device: it runs through the cloud "
                "executor (quantumlimits eplg --backend ibm_<device>, docs/ibm.md)"
            )
        if mapper is not None:
            raise UsageError(
                f"--dask distributes simulations; {settings.backend} runs the circuits itself: "
                "drop --dask"
            )
        say("building the circuits")
        if plan is None:
            recorded = (
                recorded_chain(store, resume_run_id)
                if store is not None and resume_run_id is not None
                else None
            )
            plan = cloud_plan(settings, executor=executor, recorded=recorded)
        target, calibration, gate, chain = (
            plan.target,
            plan.calibration_date,
            plan.gate,
            plan.chain,
        )
    else:
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
        if cloud:
            assert plan is not None
            _start_cloud(
                run, finished, executor=executor, plan=plan, settings=settings, store=store
            )
        for index, pairs in enumerate(local_layers):
            name = f"layer{index}"
            if name in finished:
                layer = LayerResult.from_dict(finished[name])
            elif cloud:
                assert plan is not None
                layer = run_cloud_layer(
                    executor=executor,
                    plan=plan,
                    index=index,
                    pairs=pairs,
                    settings=settings,
                    progress=say,
                )
                run.add_part(name, layer.to_dict())
            else:
                layer = run_layer(
                    target=target,
                    gate=gate,
                    chain=qubits,
                    index=index,
                    pairs=pairs,
                    settings=settings,
                    progress=say,
                    mapper=mapper,
                )
                run.add_part(name, layer.to_dict())
            results.append(layer)
        n2 = len(qubits) - 1
        lf = float(np.prod([layer.layer_fidelity for layer in results]))
        boot = _bootstrap_lf(results, settings)
        lf_lo, lf_hi = analysis.interval(boot)
        edges = backends_mod.edge_errors(target)
        projected = predicted_lf(qubits, edges=edges, one_qubit=one_qubit_infidelities(target))
        modelled = model_lf(target, gate, qubits)
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
            model_lf=modelled,
            model_eplg=analysis.eplg(modelled, two_qubit_gates=n2),
            unresolved=tuple(u for layer in results for u in unresolved(layer, settings.lengths)),
            versions=dict(prov.pop("versions")),  # type: ignore[call-overload]
            provenance=prov,
            timings=totals,
            run_id=run.run_id,
        )
        run.finish(document=result.to_dict(), summary=summary_line(result))
    return result


def _start_cloud(
    run: Any,
    finished: Mapping[str, Any],
    *,
    executor: Any,
    plan: CloudPlan,
    settings: EPLGSettings,
    store: ResultsStore | None,
) -> None:
    """Record the chain (or check the recorded one), journal the executor's jobs under the run,
    and submit every unfinished layer's jobs so they queue together."""
    from quantumlimits.execution.ibm import redacted_logs

    recorded = finished.get(CHAIN_PART)
    if recorded is not None and tuple(recorded["qubits"]) != plan.chain.qubits:
        raise UsageError(
            f"run {run.run_id} recorded the chain {recorded['qubits']}, not "
            f"{list(plan.chain.qubits)}: resume it with its recorded chain"
        )
    if recorded is None:
        run.add_part(CHAIN_PART, plan.recorded())
    executor.attach(store=store, run_id=run.run_id)
    with redacted_logs(executor.secrets):
        for index, batch in enumerate(plan.circuits):
            if f"layer{index}" not in finished:
                executor.submit(
                    list(batch), key=layer_key(index), shots=settings.shots, seed=settings.seed
                )


def recorded_chain(store: ResultsStore, run_id: str) -> dict[str, Any] | None:
    """The chain a cloud run recorded before sending anything (None when it recorded none)."""
    return store.parts(store.resolve(run_id)).get(CHAIN_PART)


def resume(
    store: ResultsStore,
    run_id: str,
    *,
    progress: Progress | None = None,
    mapper: Mapper | None = None,
    executor: Any = None,
    plan: CloudPlan | None = None,
) -> EPLGResult:
    """Continue a stopped layer-fidelity run under its own id and settings: finished layers are
    read from the store, not run again; on a cloud device ``executor`` collects, adopts or
    resubmits the recorded jobs (``plan``: :func:`cloud_plan` with the recorded chain)."""
    full = store.resolve(run_id)
    inputs = store.inputs(full)
    if inputs is None:
        raise UsageError(f"run {full} recorded no settings: it cannot be resumed; start a new run")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return measure(
            EPLGSettings.from_dict(inputs),
            store=store,
            progress=progress,
            resume_run_id=full,
            mapper=mapper,
            executor=executor,
            plan=plan,
        )


def summary_line(result: EPLGResult) -> str:
    """One line: EPLG and LF of the chain."""
    lo, hi = result.eplg_interval
    return (
        f"EPLG {result.eplg:.5f} [{lo:.5f}, {hi:.5f}] on a {len(result.chain)}-qubit chain of "
        f"{result.backend} (LF {result.lf:.4f}; calibration projects EPLG "
        f"{result.projected_eplg:.5f})"
        + ("" if result.decided else f"; undecided: {len(result.unresolved)} subsystems unresolved")
    )
