"""CPU seconds of the trajectory engine per circuit, by stage (load-independent enough to read on
a busy machine): fake_torino, QV circuits of the given width, seed 4, 1000 shots.

    QULACS_NUM_THREADS=1 PYTHONPATH=. python bench/trajectory_cpu.py 20 6

Prints, per circuit, its fused blocks, trajectories and the CPU seconds of the ideal stage,
compilation and the estimate; then the totals.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from quantumlimits.circuits import measured, qv_circuits
from quantumlimits.execution.aer import pauli_noise, sub_target
from quantumlimits.execution.backends import load_snapshot
from quantumlimits.execution.layout import best_layout
from quantumlimits.execution.qulacs_sv import probabilities
from quantumlimits.execution.trajectories import Allocator, compile_circuit, estimate
from quantumlimits.execution.transpile import transpile_circuits


def main(width: int, count: int) -> None:
    target = load_snapshot("fake_torino").target
    qubits = list(best_layout(target, width).qubits)
    ideal = qv_circuits(width=width, seed=4, count=count)
    isa = transpile_circuits(
        [measured(c) for c in ideal],
        target=sub_target(target, qubits),
        initial_layout=range(width),
        optimization_level=1,
        seed=2,
    )
    noise = pauli_noise(target, qubits)
    rng = np.random.default_rng(0)
    allocator = Allocator(shots=1000)
    total, trajectories = 0.0, 0
    for circuit, bare in zip(isa, ideal, strict=True):
        t0 = time.process_time()
        p = probabilities(bare)
        assert p is not None
        heavy = p > np.median(p)
        del p
        t1 = time.process_time()
        compiled = compile_circuit(circuit, noise)
        t2 = time.process_time()
        e = estimate(compiled, noise, shots=1000, rng=rng, tracked=heavy, allocator=allocator)
        t3 = time.process_time()
        total += t3 - t0
        trajectories += e.trajectories
        print(
            f"blocks {len(compiled.blocks)} trajectories {e.trajectories} CPU s: ideal "
            f"{t1 - t0:.1f} compile {t2 - t1:.1f} estimate {t3 - t2:.1f}; HOP "
            f"{e.probability:.4f} Monte-Carlo sd {np.sqrt(e.variance or 0.0):.1e}",
            flush=True,
        )
    print(f"total {total:.1f} CPU s for {count} circuits, {trajectories} trajectories")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
