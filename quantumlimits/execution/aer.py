"""Local simulation with Qiskit Aer: ideal probabilities, sampling, and device-noise runs.

Noisy runs simulate only the qubits a batch of ISA circuits touches: the circuits are compacted to
those qubits and the device's noise model is built from the calibration of those qubits alone.
The noise on them is identical to the full-device model (tested), and the per-call overhead of a
133-qubit noise model disappears.
"""

from __future__ import annotations

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


def _simulator(**options: Any) -> Any:
    from qiskit_aer import AerSimulator

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
    sim = _simulator(method="statevector")
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
    """Aer's device noise model (``NoiseModel.from_backend``) restricted to ``qubits``."""
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
        return NoiseModel.from_backend(shim)


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
    method: str | None = None,
) -> NoisyRun:
    """Run ISA circuits for ``target`` with its noise, simulating only the qubits they touch."""
    used = sorted({q for c in circuits for q in active_qubits(c)})
    compacted = [compact(c, used) for c in circuits]
    noise = noise_model_for(target, used)
    method = method or choose_method(len(used), shots)
    sim = _simulator(method=method, noise_model=noise, seed_simulator=seed)
    result = sim.run(compacted, shots=shots, seed_simulator=seed).result()
    if not result.success:
        raise RuntimeError(f"noisy simulation failed: {result.status}")
    counts = []
    for i in range(len(compacted)):
        raw = result.data(i)["counts"]
        counts.append({int(k, 16): int(v) for k, v in raw.items()})
    return NoisyRun(counts=counts, physical_qubits=tuple(used), method=method)
