"""Clifford mirror circuits on a spec device: stim runs the merged r/rz rotations exactly."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit

from quantumlimits.circuits import measured
from quantumlimits.execution import backends
from quantumlimits.execution.aer import device_channels, sub_target
from quantumlimits.execution.density import noisy_distribution
from quantumlimits.execution.stim import run_stim, to_stim
from quantumlimits.execution.transpile import transpile_circuits
from quantumlimits.mirror.circuits import mirror_circuits


def test_stim_matches_the_exact_distribution_on_a_spec() -> None:
    target = backends.load_snapshot("quantinuum_h1_2@2023-08-21").target
    qubits = [4, 1, 7]
    mirrors = mirror_circuits(width=3, seed=11, count=2, variant="clifford")
    isa = transpile_circuits(
        [measured(m.circuit) for m in mirrors],
        target=sub_target(target, qubits),
        initial_layout=range(3),
        optimization_level=1,
        seed=3,
    )
    # the transpiler merges rotations into r(θ, φ) of angles stim cannot run one by one
    assert any(
        i.name == "r" and abs(float(i.params[1]) % (np.pi / 2)) > 1e-6 for c in isa for i in c.data
    )
    shots = 20000
    run = run_stim(isa, target=target, shots=shots, seed=5, physical_qubits=qubits)
    channels = device_channels(target, qubits)
    for circuit, counts in zip(isa, run.counts, strict=True):
        exact = noisy_distribution(circuit, channels)
        top = int(np.argmax(exact))
        observed = counts.get(top, 0) / shots
        sigma = np.sqrt(exact[top] * (1 - exact[top]) / shots)
        assert observed == pytest.approx(exact[top], abs=5 * sigma)
        assert exact[top] < 0.99  # the noise is there


def test_a_merged_rotation_that_is_not_clifford_is_refused() -> None:
    qc = QuantumCircuit(1, 1)
    qc.r(0.3, 0.1, 0)
    qc.measure(0, 0)
    with pytest.raises(ValueError, match="not a Clifford gate together"):
        to_stim(qc)
