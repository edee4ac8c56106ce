"""How much the Pauli twirl of the trajectory engine changes HOPs: the exact density matrix under
fake_torino's full device noise against the same under its Pauli twirl, 20 QV circuits per width.

    PYTHONPATH=. python bench/twirl_vs_full.py

Prints, per width, the largest per-circuit HOP difference and the mean difference (twirl - full).
"""

from __future__ import annotations

import numpy as np

from quantumlimits.circuits import measured, qv_circuits
from quantumlimits.execution.aer import device_channels, pauli_noise, sub_target
from quantumlimits.execution.backends import load_snapshot
from quantumlimits.execution.density import noisy_distribution
from quantumlimits.execution.layout import best_layout
from quantumlimits.execution.qulacs_sv import probabilities
from quantumlimits.execution.transpile import transpile_circuits


def main() -> None:
    target = load_snapshot("fake_torino").target
    for width in (4, 5, 6, 7):
        qubits = list(best_layout(target, width).qubits)
        ideal = qv_circuits(width=width, seed=4, count=20)
        isa = transpile_circuits(
            [measured(c) for c in ideal],
            target=sub_target(target, qubits),
            initial_layout=range(width),
            optimization_level=1,
            seed=2,
        )
        twirled = pauli_noise(target, qubits).channels()
        full = device_channels(target, qubits)
        diffs = []
        for circuit, bare in zip(isa, ideal, strict=True):
            p = probabilities(bare)
            assert p is not None
            heavy = p > np.median(p)
            diffs.append(
                noisy_distribution(circuit, twirled)[heavy].sum()
                - noisy_distribution(circuit, full)[heavy].sum()
            )
        d = np.asarray(diffs)
        print(f"width {width}: max |HOP difference| {np.abs(d).max():.4f}, mean {d.mean():+.5f}")


if __name__ == "__main__":
    main()
