"""Local simulation: ideal probabilities (qulacs or Aer), sampling, and Aer's device-noise runs.

Noisy runs simulate only the qubits a batch of ISA circuits touches: the circuits are compacted to
those qubits and the device's noise model is built from the calibration of those qubits alone.
The noise on them is identical to the full-device model (tested), and the per-call overhead of a
133-qubit noise model disappears.
"""

from __future__ import annotations

import functools
import os
import types
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.transpiler import Target

from quantumlimits.execution.backends import TargetKey
from quantumlimits.execution.density import MAX_QUBITS as DENSITY_MAX_QUBITS
from quantumlimits.execution.density import DeviceChannels, Unsupported, run_density, sample
from quantumlimits.execution.transpile import active_qubits, compact

#: Default memory a batch of ideal probability vectors may hold at once.
IDEAL_BATCH_BYTES = 256 * 2**20


#: Threads Aer may use in this process; 0 means ``$OMP_NUM_THREADS`` if set (Dask's local workers
#: get 1), else every core.
AER_THREADS = 0


def set_aer_threads(threads: int) -> None:
    """How many threads Aer uses per call in this process (0: all cores)."""
    global AER_THREADS
    AER_THREADS = int(threads)


def aer_threads() -> int:
    """The thread budget for one Aer call: :func:`set_aer_threads`, else ``$OMP_NUM_THREADS``,
    else every core (Aer given an explicit thread count would not read the environment)."""
    if AER_THREADS:
        return AER_THREADS
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return os.cpu_count() or 1


def _simulator(**options: Any) -> Any:
    from qiskit_aer import AerSimulator

    # Circuits of a batch run in parallel, one thread each. Aer's default instead parallelises
    # inside each state update with OpenMP, which measured 2-9x slower per circuit here (bench/)
    # and collapses when the cores are shared.
    threads = aer_threads()
    options.setdefault("max_parallel_threads", threads)
    options.setdefault("max_parallel_experiments", threads)
    return AerSimulator(**options)


PRECISIONS = ("double", "single")
DEVICES = ("cpu", "gpu")


def available_devices() -> tuple[str, ...]:
    """Aer devices usable here, lower case (``gpu`` needs qiskit-aer-gpu and a CUDA device)."""
    from qiskit_aer import AerSimulator

    return tuple(d.lower() for d in AerSimulator().available_devices())


def resolve_device(device: str) -> tuple[str, str | None]:
    """The device to use for a requested one, and a message when it had to fall back."""
    if device not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {device!r}")
    if device == "gpu" and "gpu" not in available_devices():
        return "cpu", (
            "--device gpu asked for, but this Aer has no GPU (install qiskit-aer-gpu on a machine "
            "with a CUDA device): running on the CPU"
        )
    return device, None


def uses_qulacs(*, precision: str = "double", device: str = "cpu") -> bool:
    """Whether the ideal stage simulates with qulacs (double precision on the CPU) or Aer."""
    return precision == "double" and device == "cpu"


def ideal_memory_bytes(
    width: int, *, precision: str = "double", parallel: int = 1, batch: int = 1, device: str = "cpu"
) -> int:
    """Peak bytes the ideal stage needs at ``width``.

    With qulacs (:func:`uses_qulacs`) one circuit runs at a time: its state and the copy qulacs
    returns take 32 bytes per amplitude, then 24 while the probabilities are made and the state
    is gone. 9 bytes per outcome more cover what the analysis keeps or leaves behind meanwhile:
    the heavy mask, the chunk's packed heavy sets and temporaries the allocator has not handed
    back (the analysis itself, about 25 bytes per outcome, runs after the state is freed).
    Measured peak of ``run_ideal_task`` above its baseline: 33.5 bytes per amplitude at width 23,
    37.6 at 22, 46-50 at 21 and 42 at 20, where glibc keeps freed arrays below its 32 MiB mmap
    threshold (docs/performance.md).

    With Aer each circuit simulated at once holds its state (16 or 8 bytes per amplitude) and
    Aer's float64 probabilities; ``batch`` returned probability vectors wait for analysis; the
    heavy mask and the median's partition copy take about 9 bytes per outcome more.
    """
    n = 1 << width
    if uses_qulacs(precision=precision, device=device):
        return 32 * n + 9 * n
    state = (16 if precision == "double" else 8) * n
    return parallel * (state + 8 * n) + batch * 8 * n + 9 * n


def ideal_probabilities(
    circuits: Sequence[QuantumCircuit],
    *,
    batch_bytes: int = IDEAL_BATCH_BYTES,
    precision: str = "double",
    device: str = "cpu",
) -> Iterator[np.ndarray]:
    """Ideal output probabilities of unmeasured circuits, one array at a time, in order.

    In double precision on the CPU qulacs simulates one circuit at a time (faster than Aer at
    every width measured; see docs/performance.md) and each float64 array is yielded as it is
    made; a circuit qulacs cannot take (see :mod:`quantumlimits.execution.qulacs_sv`) goes to Aer
    alone. Otherwise circuits go to Aer's statevector method in batches whose probability vectors
    fit in ``batch_bytes``; each array is yielded and the batch released before the next one runs.
    ``precision="single"`` halves the state's memory; the probabilities keep float32 rounding
    (relative error about 1e-7, far below any heavy/light gap that matters; see docs/method.md).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if not circuits:
        return
    if uses_qulacs(precision=precision, device=device):
        from quantumlimits.execution import qulacs_sv

        for circuit in circuits:
            probabilities = qulacs_sv.probabilities(circuit, threads=AER_THREADS)
            if probabilities is None:
                yield from _aer_probabilities([circuit], batch_bytes, precision, device)
            else:
                yield probabilities
            del probabilities
        return
    yield from _aer_probabilities(circuits, batch_bytes, precision, device)


def _aer_probabilities(
    circuits: Sequence[QuantumCircuit], batch_bytes: int, precision: str, device: str
) -> Iterator[np.ndarray]:
    width = max(c.num_qubits for c in circuits)
    per_circuit = 8 * (1 << width)
    batch = max(1, batch_bytes // per_circuit)
    sim = _simulator(
        method="statevector",
        precision=precision,
        device=device.upper(),
        max_parallel_experiments=min(batch, aer_threads()),
    )
    for start in range(0, len(circuits), batch):
        chunk = []
        for circuit in circuits[start : start + batch]:
            c = circuit.copy()
            c.save_probabilities(label="p")
            chunk.append(c)
        result = sim.run(chunk, shots=1).result()
        if not result.success:
            raise RuntimeError(f"ideal simulation failed: {result.status}")
        for i in range(len(chunk)):
            yield np.asarray(result.data(i)["p"], dtype=float)
        del result, chunk


def sample_counts(probabilities: np.ndarray, *, shots: int, seed: int) -> dict[int, int]:
    """``shots`` samples from a probability vector, as ``{outcome: count}`` (noiseless sampling)."""
    return sample(
        np.asarray(probabilities, dtype=float), shots=shots, rng=np.random.default_rng(seed)
    )


def sub_target(target: Target, qubits: Sequence[int]) -> Target:
    """The calibration of ``qubits`` only, renumbered 0..k-1 in the given order.

    Made once per target object and qubits (2 ms on a 133-qubit device; a run asks for the same
    layouts' again to transpile, predict and simulate): callers share it and never modify it.
    """
    return _sub_target(TargetKey(target), tuple(qubits))


@functools.lru_cache(maxsize=128)
def _sub_target(key: TargetKey, qubits: tuple[int, ...]) -> Target:
    target = key.target
    position = {q: i for i, q in enumerate(qubits)}
    props_list = target.qubit_properties
    # a device spec's target keeps its class and spec (quantumlimits.devices.target.SpecTarget)
    sub = type(target)(
        num_qubits=len(qubits),
        dt=target.dt,
        qubit_properties=[props_list[q] for q in qubits] if props_list else None,
        # timing constraints, for scheduling passes (dynamical decoupling) on the sub-target
        granularity=target.granularity,
        min_length=target.min_length,
        pulse_alignment=target.pulse_alignment,
        acquire_alignment=target.acquire_alignment,
    )
    for name in target.operation_names:
        operation = target.operation_from_name(name)
        if isinstance(operation, type):  # control-flow classes: no calibration to carry
            continue
        props: dict[tuple[int, ...] | None, Any] = {}
        for qargs, p in target[name].items():
            if qargs is None:
                props[None] = p
            elif all(q in position for q in qargs):
                props[tuple(position[q] for q in qargs)] = p
        if props:
            sub.add_instruction(operation, props, name=name)
    if hasattr(target, "spec"):
        sub.spec = target.spec
    return sub


def noise_model_for(target: Target, qubits: Sequence[int], *, readout_error: bool = True) -> Any:
    """Aer's device noise model (``NoiseModel.from_backend``) restricted to ``qubits``.

    Models are cached per (target, qubits, readout_error): every chunk of a width shares one.
    """
    return _noise_model(TargetKey(target), tuple(qubits), readout_error)


@functools.lru_cache(maxsize=32)
def _noise_model(key: TargetKey, qubits: tuple[int, ...], readout_error: bool) -> Any:
    from qiskit_aer.noise import NoiseModel

    restricted = sub_target(key.target, qubits)
    shim = types.SimpleNamespace(
        version=2,
        target=restricted,
        operation_names=list(restricted.operation_names),
        dt=restricted.dt,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return NoiseModel.from_backend(shim, readout_error=readout_error)


def device_channels(
    target: Target, qubits: Sequence[int], *, readout_error: bool = True
) -> DeviceChannels:
    """The same noise as :func:`noise_model_for`, as channel matrices for the fused simulator
    (cached alike)."""
    return _device_channels(TargetKey(target), tuple(qubits), readout_error)


@functools.lru_cache(maxsize=32)
def _device_channels(
    key: TargetKey, qubits: tuple[int, ...], readout_error: bool
) -> DeviceChannels:
    return DeviceChannels.from_target(sub_target(key.target, qubits), readout_error=readout_error)


@dataclass(frozen=True)
class NoisyRun:
    """Counts of a batch of circuits run with device noise, and how they were simulated.

    ``mc_variances`` holds, per circuit, the Monte-Carlo variance of the tracked outcome set's
    probability beyond the shots' (trajectories; 0.0 for the density matrix and for Aer, whose
    counts are draws from the noisy distribution itself), None when nothing was tracked.
    """

    counts: list[dict[int, int]]
    physical_qubits: tuple[int, ...]
    method: str
    mc_variances: tuple[float, ...] | None = None


def choose_method(num_qubits: int, shots: int) -> str:
    """Aer's method for ``engine="aer"``: density matrix (cost ~4^n, once) while 2^n stays below
    the shots, else its per-shot statevector trajectories."""
    return "density_matrix" if (1 << num_qubits) <= max(shots, 64) else "statevector"


#: Simulators of :func:`run_noisy` (docs/method.md, "Which engine simulates the noise"):
#: ``auto`` the fused density matrix up to :data:`density.MAX_QUBITS` qubits whatever the shots,
#: Pauli trajectories above; ``density`` and ``trajectories`` those engines alone; ``aer`` Aer's
#: own methods (density matrix while 2^n is below the shots, else per-shot statevector).
ENGINES = ("auto", "density", "trajectories", "aer")


def choose_engine(engine: str, num_qubits: int, device: str = "cpu") -> str:
    """The engine ``engine`` resolves to for circuits on ``num_qubits`` qubits: by cost (the
    width), never by the shot count.

    >>> [choose_engine("auto", n) for n in (4, 10, 11)]
    ['density', 'density', 'trajectories']
    >>> choose_engine("auto", 12, device="gpu")
    'aer'
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if engine != "auto":
        return engine
    if device != "cpu":
        return "aer"
    return "density" if num_qubits <= DENSITY_MAX_QUBITS else "trajectories"


def run_noisy(
    circuits: Sequence[QuantumCircuit],
    *,
    target: Target,
    shots: int,
    seed: int,
    physical_qubits: Sequence[int] | None = None,
    method: str | None = None,
    device: str = "cpu",
    engine: str = "auto",
    tracked: Sequence[np.ndarray | None] | None = None,
) -> NoisyRun:
    """Run ISA circuits with the device noise of the physical qubits they act on.

    Circuits are either on the device's full register (``physical_qubits`` None: they are
    compacted to the qubits they touch) or on ``k`` local qubits, local qubit ``i`` being
    physical qubit ``physical_qubits[i]`` (circuits transpiled for :func:`sub_target`).
    Only those qubits are simulated, by the engine :func:`choose_engine` picks (``method``
    forces an Aer method). The fused density matrix's distributions equal Aer's; the
    trajectories' are a Monte-Carlo estimate under the Pauli twirl of the same noise, and
    ``tracked`` (per circuit, a boolean mask over outcomes, or None) names the outcome sets whose
    probability's Monte-Carlo variance they control and report. Circuits an engine does not
    model go to Aer.
    """
    local, physical = localize(circuits, physical_qubits)
    chosen = "aer" if method is not None else choose_engine(engine, len(physical), device)
    if chosen == "density":
        try:
            counts = run_density(local, device_channels(target, physical), shots=shots, seed=seed)
        except Unsupported:
            method = "density_matrix"
        else:
            return NoisyRun(counts, physical, "density_matrix", (0.0,) * len(counts))
    elif chosen == "trajectories":
        from quantumlimits.execution.trajectories import run_trajectories

        try:
            runs = run_trajectories(
                local, pauli_noise(target, physical), shots=shots, seed=seed, tracked=tracked
            )
        except Unsupported:
            method = "statevector"
        else:
            variances = tuple(r.variance for r in runs)
            return NoisyRun(
                [r.counts for r in runs],
                physical,
                "trajectories",
                None if any(v is None for v in variances) else variances,  # type: ignore[arg-type]
            )
    method = method or choose_method(len(physical), shots)
    noise = noise_model_for(target, physical)
    sim = _simulator(
        method=method,
        noise_model=noise,
        seed_simulator=seed,
        # Fusing gates and their noise into superoperators cuts density-matrix time about in half
        # at these widths (bench/); Aer's default threshold (14 qubits) never fuses them.
        fusion_threshold=1,
        device=device.upper(),
    )
    counts = run_counts(sim, local, shots=shots, seed=seed, what="noisy")
    # Aer's counts are draws from the noisy distribution itself: no error beyond the shots'
    return NoisyRun(counts, physical, method, (0.0,) * len(counts))


def pauli_noise(target: Target, qubits: Sequence[int], *, readout_error: bool = True) -> Any:
    """The Pauli twirl of :func:`noise_model_for`'s noise, for the trajectory engine (cached
    alike)."""
    return _pauli_noise(TargetKey(target), tuple(qubits), readout_error)


@functools.lru_cache(maxsize=32)
def _pauli_noise(key: TargetKey, qubits: tuple[int, ...], readout_error: bool) -> Any:
    from quantumlimits.execution.trajectories import PauliNoise

    return PauliNoise.from_target(sub_target(key.target, qubits), readout_error=readout_error)


def localize(
    circuits: Sequence[QuantumCircuit], physical_qubits: Sequence[int] | None
) -> tuple[list[QuantumCircuit], tuple[int, ...]]:
    """Circuits on local qubits and the physical qubit each local one stands for.

    Full-register circuits (``physical_qubits`` None) are compacted to the qubits they touch;
    local circuits are checked to fit ``physical_qubits``.
    """
    if physical_qubits is None:
        used = sorted({q for c in circuits for q in active_qubits(c)})
        return [compact(c, used) for c in circuits], tuple(used)
    physical = tuple(physical_qubits)
    wider = [c.name for c in circuits if c.num_qubits > len(physical)]
    if wider:
        raise ValueError(f"circuits {wider[:3]} are wider than {len(physical)} qubits")
    return list(circuits), physical


def run_counts(
    sim: Any, circuits: Sequence[QuantumCircuit], *, shots: int, seed: int, what: str
) -> list[dict[int, int]]:
    """Run ``circuits`` on an Aer simulator; counts per circuit keyed by integer outcome."""
    result = sim.run(list(circuits), shots=shots, seed_simulator=seed).result()
    if not result.success:
        raise RuntimeError(f"{what} simulation failed: {result.status}")
    return [
        {int(k, 16): int(v) for k, v in result.data(i)["counts"].items()}
        for i in range(len(circuits))
    ]
