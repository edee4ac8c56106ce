"""The ideal stage's qulacs engine: Qiskit's statevector probabilities; Aer takes what it can't."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.circuit.library import UnitaryGate
from qiskit.quantum_info import Statevector, random_unitary

from quantumlimits.circuits import measured, qv_circuit, to_standard_gates
from quantumlimits.execution import aer, qulacs_sv
from quantumlimits.execution.aer import ideal_probabilities
from quantumlimits.execution.backends import load_snapshot
from quantumlimits.execution.transpile import transpile_circuits

TOL = 1e-12


def exact(circuit: QuantumCircuit) -> np.ndarray:
    return Statevector(circuit.remove_final_measurements(inplace=False)).probabilities()


@pytest.mark.parametrize(("width", "depth"), [(2, 2), (3, 3), (5, 5), (8, 8), (9, 4), (14, 3)])
def test_qv_circuits_match_qiskit_statevector(width: int, depth: int) -> None:
    """Widths on both sides of qulacs' one-thread threshold (13 qubits); QV layers pair the
    qubits in random orders, so most gates act on (high, low) qubit pairs."""
    circuits = [qv_circuit(width=width, depth=depth, seed=17, index=i) for i in range(2)]
    assert any(
        c.find_bit(i.qubits[0]).index > c.find_bit(i.qubits[1]).index
        for c in circuits
        for i in c.data
    )
    for circuit in circuits:
        p = qulacs_sv.probabilities(circuit)
        assert p is not None and p.dtype == np.float64 and p.flags.c_contiguous
        assert np.abs(p - exact(circuit)).max() < TOL


def test_qubit_order_of_two_and_three_qubit_gates() -> None:
    """A gate's first qubit is its least significant bit in qulacs as in Qiskit."""
    circuit = QuantumCircuit(4)
    circuit.h(3)
    circuit.append(UnitaryGate(random_unitary(4, seed=1)), [3, 0])
    circuit.append(UnitaryGate(random_unitary(8, seed=2)), [2, 0, 3])
    circuit.append(UnitaryGate(random_unitary(4, seed=3)), [1, 2])
    p = qulacs_sv.probabilities(circuit)
    assert p is not None
    assert np.abs(p - exact(circuit)).max() < TOL
    reversed_order = circuit.reverse_bits()  # a real bug would show as this permutation
    assert np.abs(exact(reversed_order) - exact(circuit)).max() > 1e-3


def test_standard_gate_and_transpiled_circuits_match() -> None:
    model = qv_circuit(width=4, seed=5, index=1)
    standard = to_standard_gates(model)
    standard.barrier()
    backend = load_snapshot("fake_torino")
    (isa,) = transpile_circuits(
        [measured(model)],
        target=backend.target,
        initial_layout=[80, 81, 92, 99],
        optimization_level=1,
        seed=1,
    )
    unmeasured = isa.remove_final_measurements(inplace=False)  # 133 qubits, 4 of them active
    small = QuantumCircuit(3)
    small.rz(0.4, 0)
    small.sx(1)
    small.ecr(1, 2)
    small.cz(2, 0)
    small.swap(0, 2)
    small.ccx(2, 1, 0)
    for circuit in (standard, small):
        p = qulacs_sv.probabilities(circuit)
        assert p is not None
        assert np.abs(p - exact(circuit)).max() < TOL
    gates = qulacs_sv.qulacs_circuit(unmeasured)
    assert gates is not None
    assert gates.get_gate_count() == sum(1 for i in unmeasured.data if i.name != "barrier")


def test_what_qulacs_declines_goes_to_aer_in_order() -> None:
    with_reset = QuantumCircuit(2)
    with_reset.h(0)
    with_reset.reset(0)
    with_reset.h(1)
    with_measure = qv_circuit(width=3, seed=2, index=0)
    with_measure.measure_all(add_bits=True)
    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    opaque = QuantumCircuit(3)
    opaque.append(bell.to_gate(), [2, 0])  # a gate with a definition but no matrix
    parameterized = QuantumCircuit(1)
    parameterized.rx(Parameter("t"), 0)
    for declined in (with_reset, with_measure, opaque, parameterized):
        assert qulacs_sv.qulacs_circuit(declined) is None
    first, last = qv_circuit(width=2, seed=1, index=0), qv_circuit(width=2, seed=1, index=1)
    got = list(ideal_probabilities([first, with_reset, last]))
    assert [p.dtype for p in got] == [np.dtype(np.float64)] * 3
    assert np.abs(got[0] - exact(first)).max() < TOL
    assert np.allclose(got[1], [0.5, 0.0, 0.5, 0.0], atol=TOL)
    assert np.abs(got[2] - exact(last)).max() < TOL


def test_single_precision_stays_on_aer_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    circuits = [qv_circuit(width=4, seed=3, index=i) for i in range(5)]
    runs: list[int] = []
    real = aer._simulator

    def counting(**options):  # type: ignore[no-untyped-def]
        sim = real(**options)
        run = sim.run
        sim.run = lambda chunk, **kw: (runs.append(len(chunk)), run(chunk, **kw))[1]
        return sim

    monkeypatch.setattr(aer, "_simulator", counting)
    # a budget of two vectors per batch: three Aer calls
    got = list(ideal_probabilities(circuits, batch_bytes=2 * 8 * 16, precision="single"))
    assert runs == [2, 2, 1]
    list(ideal_probabilities(circuits))  # double precision on the CPU: qulacs, no Aer
    assert runs == [2, 2, 1]
    for circuit, p in zip(circuits, got, strict=True):
        assert p.dtype == np.float64
        assert np.abs(p - exact(circuit)).max() < 1e-6


def test_qulacs_declines_once_the_thread_budget_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    circuit = qv_circuit(width=3, seed=4, index=0)
    assert qulacs_sv.probabilities(circuit, threads=0) is not None  # fixes this process's budget
    monkeypatch.setattr(qulacs_sv, "_THREADS_AT_FIRST_USE", 0)
    assert qulacs_sv.probabilities(circuit, threads=1) is None
    monkeypatch.setattr(aer, "AER_THREADS", 1)
    (p,) = ideal_probabilities([circuit])  # Aer then runs it
    assert np.abs(p - exact(circuit)).max() < TOL


THREADS_SCRIPT = """
import json, os, sys
from quantumlimits.circuits import qv_circuit
from quantumlimits.execution import aer, qulacs_sv
aer.set_aer_threads(int(sys.argv[1]))
before = len(os.listdir("/proc/self/task"))
(p,) = aer.ideal_probabilities([qv_circuit(width=14, depth=1, seed=1, index=0)])
print(json.dumps({
    "new_threads": len(os.listdir("/proc/self/task")) - before,
    "qulacs": qulacs_sv._THREADS_AT_FIRST_USE,
    "env_left": "QULACS_NUM_THREADS" in os.environ,
}))
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc")
def test_qulacs_runs_on_the_aer_thread_budget() -> None:
    """qulacs' OpenMP pool is sized by ``set_aer_threads`` (it reads it once per process)."""
    unset = ("QULACS_NUM_THREADS", "OMP_NUM_THREADS")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    for budget, new_threads in ((1, 0), (3, 2)):
        out = subprocess.run(
            [sys.executable, "-c", THREADS_SCRIPT, str(budget)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        report = json.loads(out.stdout.strip().splitlines()[-1])
        assert report == {"new_threads": new_threads, "qulacs": budget, "env_left": False}
