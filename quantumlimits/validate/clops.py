"""Projected CLOPS of IBM's own benchmark templates, from the QPU-time model every cost projection
uses (:mod:`quantumlimits.execution.qpu_time`), beside the CLOPS IBM reported.

Both CLOPS count circuit layers executed per second, every shot counted::

    CLOPS = circuits x shots x layers / seconds

* **CLOPS_h** (IBM, 2023 on; qiskit-device-benchmarking ``clops_benchmark``): a hardware-aware
  template of ``min(100, qubits)`` connected qubits and 100 layers, each layer a maximal set of
  the device's native two-qubit gates on disjoint couplers followed by ``rz sx rz sx rz`` on every
  qubit; 5000 parameter sets of 100 shots; steady state (the first sub-job left out).
* **CLOPS** (Wack et al., arXiv:2110.14108): M = 100 QV templates of width and depth
  D = log2(reported QV), K = 10 parameter updates, S = 100 shots; each update one job.

The model: a sub-job of :data:`CIRCUITS_PER_SUBJOB` circuits pays
:data:`~quantumlimits.execution.qpu_time.JOB_OVERHEAD_S`, and each shot the template's calibrated
duration plus the repetition delay. What the model leaves out (parameter binding, compilation,
data transfer between updates) is what the comparison with IBM's figures measures.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from quantumlimits.execution.qpu_time import (
    circuit_seconds,
    rep_delay_seconds,
    usage_seconds,
)

#: CLOPS_h template (qiskit-device-benchmarking defaults).
CLOPS_H_WIDTH = 100
CLOPS_H_LAYERS = 100
CLOPS_H_CIRCUITS = 5000
CLOPS_H_SHOTS = 100
#: Original CLOPS (Wack et al. 2021).
CLOPS_M = 100
CLOPS_K = 10
CLOPS_S = 100
#: Circuits per sub-job the QPU-time model assumes when a batch is split (its cost default).
CIRCUITS_PER_SUBJOB = 100


@dataclass(frozen=True)
class ClopsProjection:
    """One template's projection on one device."""

    kind: str  # "clops_h" or "clops"
    width: int
    layers: int
    circuits: int
    shots: int
    sub_jobs: int
    circuit_seconds: float
    rep_delay_seconds: float
    seconds: float

    @property
    def clops(self) -> float:
        """Layers per second, every shot counted."""
        return self.circuits * self.shots * self.layers / self.seconds

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (with ``clops``)."""
        return {**asdict(self), "clops": self.clops}


def connected_qubits(target: Any, width: int) -> list[int]:
    """``width`` connected qubits grown breadth-first from the lowest-numbered qubit that has
    enough connected neighbours (as IBM's CLOPS code picks them)."""
    graph = target.build_coupling_map()
    neighbours: dict[int, set[int]] = {}
    for a, b in graph.get_edges():
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    for start in range(target.num_qubits):
        seen, frontier = [start], [start]
        while frontier and len(seen) < width:
            nxt = []
            for q in frontier:
                for n in sorted(neighbours.get(q, ())):
                    if n not in seen:
                        seen.append(n)
                        nxt.append(n)
            frontier = nxt
        if len(seen) >= width:
            return seen[:width]
    raise ValueError(f"no {width} connected qubits on this device")


def hardware_aware_template(target: Any, *, width: int, layers: int, seed: int = 0) -> Any:
    """The CLOPS_h template as an ISA circuit of ``target`` (module docstring)."""
    from quantumlimits.execution.backends import two_qubit_gate

    gate = two_qubit_gate(target)
    if gate is None:
        raise ValueError("the device has no cz, ecr or cx gate")
    qubits = connected_qubits(target, width)
    chosen = set(qubits)
    edges = [e for e in target[gate] if e is not None and len(e) == 2 and set(e) <= chosen]
    rng = np.random.default_rng(seed)
    circuit = QuantumCircuit(target.num_qubits, width)
    for _ in range(layers):
        free = set(chosen)
        for i in rng.permutation(len(edges)):
            a, b = edges[i]
            if a in free and b in free:
                getattr(circuit, gate)(a, b)
                free -= {a, b}
        for q in qubits:
            angles = rng.uniform(0, 2 * math.pi, size=3)
            circuit.rz(angles[0], q)
            circuit.sx(q)
            circuit.rz(angles[1], q)
            circuit.sx(q)
            circuit.rz(angles[2], q)
    for i, q in enumerate(qubits):
        circuit.measure(q, i)
    return circuit


def project_clops_h(backend: Any) -> ClopsProjection:
    """The model's CLOPS_h of ``backend`` (steady state: the first sub-job left out)."""
    target = backend.target
    width = min(CLOPS_H_WIDTH, int(target.num_qubits))
    template = hardware_aware_template(target, width=width, layers=CLOPS_H_LAYERS)
    duration = circuit_seconds(template, target)
    rep = rep_delay_seconds(backend)
    steady = CLOPS_H_CIRCUITS - CIRCUITS_PER_SUBJOB
    sub_jobs = math.ceil(steady / CIRCUITS_PER_SUBJOB)
    seconds = usage_seconds(
        jobs=sub_jobs, circuits=steady, shots=CLOPS_H_SHOTS, seconds_per_shot=duration + rep
    )
    return ClopsProjection(
        "clops_h", width, CLOPS_H_LAYERS, steady, CLOPS_H_SHOTS, sub_jobs, duration, rep, seconds
    )


def project_clops(backend: Any, *, log2_qv: int, seed: int = 0) -> ClopsProjection:
    """The model's original CLOPS of ``backend`` for QV templates of width ``log2_qv``."""
    from quantumlimits.circuits import measured, qv_circuit
    from quantumlimits.execution.cost import isa_circuit

    depth = max(2, int(log2_qv))
    template = isa_circuit(measured(qv_circuit(width=depth, seed=seed, index=0)), backend=backend)
    duration = circuit_seconds(template, backend.target)
    rep = rep_delay_seconds(backend)
    circuits = CLOPS_M * CLOPS_K
    seconds = usage_seconds(
        jobs=CLOPS_K, circuits=circuits, shots=CLOPS_S, seconds_per_shot=duration + rep
    )
    return ClopsProjection(
        "clops", depth, depth, circuits, CLOPS_S, CLOPS_K, duration, rep, seconds
    )
