"""CPU time of the fused density-matrix engine per transpiled QV circuit (fake_torino, qubits
0..w-1, level 1), one BLAS thread, as ``run_density`` runs it.

    PYTHONPATH=. python bench/density_cpu.py [--widths 4,5,6,7] [--rounds 5]
        [--save FILE.npz | --compare FILE.npz]

Prints, per width, the circuits' mean instruction count and the CPU milliseconds per circuit of
each round (``time.process_time`` around the whole batch) and their median. ``--save`` writes
the distributions, ``--compare`` prints the largest absolute difference against a saved run.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from quantumlimits.circuits import measured, qv_circuits
from quantumlimits.execution.aer import device_channels, sub_target
from quantumlimits.execution.backends import snapshot_target
from quantumlimits.execution.density import _blas_controller, noisy_distribution
from quantumlimits.execution.transpile import transpile_circuits

#: circuits per width: 100 up to width 7, fewer where each one is arithmetic-bound
COUNT = {8: 20, 9: 10, 10: 4}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--widths", default="4,5,6,7")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--save")
    parser.add_argument("--compare")
    args = parser.parse_args()
    target = snapshot_target("fake_torino")
    saved = dict(np.load(args.compare)) if args.compare else {}
    out: dict[str, np.ndarray] = {}
    for width in (int(w) for w in args.widths.split(",")):
        qubits = tuple(range(width))
        count = COUNT.get(width, 100)
        isa = transpile_circuits(
            [measured(c) for c in qv_circuits(width=width, seed=2, count=count)],
            target=sub_target(target, qubits),
            initial_layout=range(width),
            optimization_level=1,
            seed=5,
        )
        channels = device_channels(target, qubits)
        size = statistics.mean(len(c.data) for c in isa)
        rounds = []
        with _blas_controller().limit(limits=1, user_api="blas"):
            noisy_distribution(isa[0], channels)  # warm-up: channel matrices of the gates
            for _ in range(args.rounds):
                start = time.process_time()
                dists = [noisy_distribution(c, channels) for c in isa]
                rounds.append((time.process_time() - start) / count * 1e3)
        line = (
            f"width {width}: {count} circuits, {size:.0f} instructions each, CPU ms per circuit "
            f"{' '.join(f'{r:.2f}' for r in rounds)}, median {statistics.median(rounds):.2f}"
        )
        for i, d in enumerate(dists):
            out[f"{width}_{i}"] = d
        if saved and f"{width}_0" in saved:
            diff = max(float(np.abs(saved[f"{width}_{i}"] - d).max()) for i, d in enumerate(dists))
            line += f", largest difference to the saved run {diff:.1e}"
        print(line, flush=True)
    if args.save:
        np.savez(args.save, **out)


if __name__ == "__main__":
    main()
