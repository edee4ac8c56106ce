"""Local simulation with Qiskit Aer: ideal probabilities, sampling, and device-noise runs.

Noisy runs simulate only the qubits a batch of ISA circuits touches: the circuits are compacted to
those qubits and the device's noise model is built from the calibration of those qubits alone.
The noise on them is identical to the full-device model (tested), and the per-call overhead of a
133-qubit noise model disappears.
"""

from __future__ import annotations

import os
import types
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.transpiler import Target

from quantumlimits.execution.transpile import active_qubits, compact

#: Default memory a batch of ideal probability vectors may hold at once.
IDEAL_BATCH_BYTES = 256 * 2**20


#: Threads Aer may use in this process; 0 means every core. Dask workers set 1.
AER_THREADS = 0


def set_aer_threads(threads: int) -> None:
    """How many threads Aer uses per call in this process (0: all cores)."""
    global AER_THREADS
    AER_THREADS = int(threads)


def aer_threads() -> int:
    """The thread budget for one Aer call."""
    return AER_THREADS or os.cpu_count() or 1


def _simulator(**options: Any) -> Any:
    from qiskit_aer import AerSimulator

    # Circuits of a batch run in parallel, one thread each. Aer's default instead parallelises
    # inside each state update with OpenMP, which measured 2-9x slower per circuit here (bench/)
    # and collapses when the cores are shared.
    threads = aer_threads()
    options.setdefault("max_parallel_threads", threads)
    options.setdefault("max_parallel_experiments", threads)
    return AerSimulator(**options)


def ideal_probabilities(
    circuits: Sequence[QuantumCircuit], *, batch_bytes: int = IDEAL_BATCH_BYTES
) -> Iterator[np.ndarray]:
    """Ideal output probabilities of unmeasured circuits, one array at a time, in order.

    Circuits go to Aer's statevector method in batches whose probability vectors fit in
    ``batch_bytes``; each array is yielded and the batch released before the next one runs.
    """
    if not circuits:
        return
    width = max(c.num_qubits for c in circuits)
    per_circuit = 8 * (1 << width)
    batch = max(1, batch_bytes // per_circuit)
    sim = _simulator(method="statevector", max_parallel_experiments=min(batch, aer_threads()))
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
    p = np.clip(np.asarray(probabilities, dtype=float), 0.0, None)
    p /= p.sum()
    draws = np.random.default_rng(seed).multinomial(shots, p)
    (nonzero,) = np.nonzero(draws)
    return {int(k): int(draws[k]) for k in nonzero}


def sub_target(target: Target, qubits: Sequence[int]) -> Target:
    """The calibration of ``qubits`` only, renumbered 0..k-1 in the given order."""
    position = {q: i for i, q in enumerate(qubits)}
    props_list = target.qubit_properties
    sub = Target(
        num_qubits=len(qubits),
        dt=target.dt,
        qubit_properties=[props_list[q] for q in qubits] if props_list else None,
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
    return sub


def noise_model_for(target: Target, qubits: Sequence[int]) -> Any:
    """Aer's device noise model (``NoiseModel.from_backend``) restricted to ``qubits``.

    Models are cached per (target, qubits): every chunk of a width shares one.
    """
    key = (id(target), tuple(qubits))
    cached = _NOISE_CACHE.get(key)
    if cached is not None and cached[0] is target:
        return cached[1]
    from qiskit_aer.noise import NoiseModel

    restricted = sub_target(target, qubits)
    shim = types.SimpleNamespace(
        version=2,
        target=restricted,
        operation_names=list(restricted.operation_names),
        dt=restricted.dt,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = NoiseModel.from_backend(shim)
    if len(_NOISE_CACHE) >= _NOISE_CACHE_SIZE:
        _NOISE_CACHE.pop(next(iter(_NOISE_CACHE)))
    _NOISE_CACHE[key] = (target, model)
    return model


_NOISE_CACHE: dict[tuple[int, tuple[int, ...]], tuple[Target, Any]] = {}
_NOISE_CACHE_SIZE = 32


@dataclass(frozen=True)
class NoisyRun:
    """Counts of a batch of circuits run with device noise, and how they were simulated."""

    counts: list[dict[int, int]]
    physical_qubits: tuple[int, ...]
    method: str


def choose_method(num_qubits: int, shots: int) -> str:
    """Density matrix (cost ~4^n, once) while 2^n stays below the shots, else trajectories."""
    return "density_matrix" if (1 << num_qubits) <= max(shots, 64) else "statevector"


def run_noisy(
    circuits: Sequence[QuantumCircuit],
    *,
    target: Target,
    shots: int,
    seed: int,
    physical_qubits: Sequence[int] | None = None,
    method: str | None = None,
) -> NoisyRun:
    """Run ISA circuits with the device noise of the physical qubits they act on.

    Circuits are either on the device's full register (``physical_qubits`` None: they are
    compacted to the qubits they touch) or on ``k`` local qubits, local qubit ``i`` being
    physical qubit ``physical_qubits[i]`` (circuits transpiled for :func:`sub_target`).
    Only those qubits are simulated.
    """
    if physical_qubits is None:
        used = sorted({q for c in circuits for q in active_qubits(c)})
        local = [compact(c, used) for c in circuits]
        physical = tuple(used)
    else:
        local = list(circuits)
        physical = tuple(physical_qubits)
        wider = [c.name for c in local if c.num_qubits > len(physical)]
        if wider:
            raise ValueError(f"circuits {wider[:3]} are wider than {len(physical)} qubits")
    noise = noise_model_for(target, physical)
    method = method or choose_method(len(physical), shots)
    sim = _simulator(
        method=method,
        noise_model=noise,
        seed_simulator=seed,
        # Fusing gates and their noise into superoperators cuts density-matrix time about in half
        # at these widths (bench/); Aer's default threshold (14 qubits) never fuses them.
        fusion_threshold=1,
    )
    result = sim.run(local, shots=shots, seed_simulator=seed).result()
    if not result.success:
        raise RuntimeError(f"noisy simulation failed: {result.status}")
    counts = []
    for i in range(len(local)):
        raw = result.data(i)["counts"]
        counts.append({int(k, 16): int(v) for k, v in raw.items()})
    return NoisyRun(counts=counts, physical_qubits=physical, method=method)
