from __future__ import annotations

import numpy as np
import pytest
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel

from quantumlimits.circuits import measured, qv_circuits
from quantumlimits.execution.aer import (
    ideal_probabilities,
    noise_model_for,
    run_noisy,
    sample_counts,
    sub_target,
)
from quantumlimits.execution.backends import load_snapshot
from quantumlimits.execution.layout import best_layout
from quantumlimits.execution.transpile import active_qubits, compact, transpile_circuits
from quantumlimits.qv.heavy import heavy_count, heavy_mask


def test_sample_counts_is_seeded_and_complete() -> None:
    p = np.array([0.5, 0.25, 0.25, 0.0])
    a = sample_counts(p, shots=1000, seed=1)
    assert a == sample_counts(p, shots=1000, seed=1)
    assert sum(a.values()) == 1000 and 3 not in a


@pytest.mark.parametrize("outcomes", [64, 4096])  # multinomial, and inverse transform (> 4 x shots)
def test_sample_counts_follow_the_distribution(outcomes: int) -> None:
    from scipy.stats import chisquare

    p = np.random.default_rng(5).exponential(size=outcomes)
    p[::7] = 0.0
    p /= p.sum()
    total = np.zeros(outcomes)
    for seed in range(100):
        counts = sample_counts(p, shots=1000, seed=seed)
        assert sum(counts.values()) == 1000
        for k, n in counts.items():
            total[k] += n
    assert total[::7].sum() == 0  # impossible outcomes never drawn
    live = p > 0
    assert chisquare(total[live], p[live] * total.sum()).pvalue > 1e-4
    # and the test can tell a wrong distribution apart
    skewed = p[live] * np.linspace(0.7, 1.3, live.sum())
    assert chisquare(total[live], skewed / skewed.sum() * total.sum()).pvalue < 1e-6


def test_restricted_noise_model_equals_the_full_device_model_on_those_qubits() -> None:
    backend = load_snapshot("fake_torino")
    qubits = [80, 81, 92]
    full = NoiseModel.from_backend(backend)
    small = noise_model_for(backend.target, qubits)
    pos = {q: i for i, q in enumerate(qubits)}
    compared = 0
    for gate, errors in full._local_quantum_errors.items():
        for qargs, error in errors.items():
            if all(q in pos for q in qargs):
                local = tuple(pos[q] for q in qargs)
                assert small._local_quantum_errors[gate][local] == error
                compared += 1
    for qargs, error in full._local_readout_errors.items():
        if all(q in pos for q in qargs):
            assert small._local_readout_errors[tuple(pos[q] for q in qargs)] == error
            compared += 1
    assert compared >= 3 * 4 + 2  # sx, x, rz, id per qubit... and both couplers
    assert sub_target(backend.target, qubits).num_qubits == 3


def test_compact_keeps_the_circuit_on_the_active_qubits() -> None:
    backend = load_snapshot("fake_torino")
    (isa,) = transpile_circuits(
        [measured(qv_circuits(width=3, seed=1, count=1)[0])],
        target=backend.target,
        initial_layout=[80, 81, 92],
        optimization_level=1,
        seed=1,
    )
    used = active_qubits(isa)
    small = compact(isa, used)
    assert small.num_qubits == len(used) and small.count_ops() == isa.count_ops()


def test_compacted_noisy_run_agrees_with_the_full_device_simulator() -> None:
    """Paired per circuit: the difference of HOPs has only shot noise."""
    backend = load_snapshot("fake_torino")
    width, n, shots = 3, 30, 2000
    circuits = qv_circuits(width=width, seed=11, count=n)
    masks = [heavy_mask(p) for p in ideal_probabilities(circuits)]
    layout = best_layout(backend.target, width)
    isa = transpile_circuits(
        [measured(c) for c in circuits],
        target=backend.target,
        initial_layout=layout.qubits,
        optimization_level=1,
        seed=2,
    )
    fast = run_noisy(isa, target=backend.target, shots=shots, seed=3)
    slow = AerSimulator.from_backend(backend).run(isa, shots=shots, seed_simulator=4).result()
    fast_hops = np.array(
        [heavy_count(c, m) / shots for c, m in zip(fast.counts, masks, strict=True)]
    )
    slow_hops = np.array([heavy_count(slow.get_counts(i), m) / shots for i, m in enumerate(masks)])
    diff = fast_hops - slow_hops
    p = slow_hops.clip(0.05, 0.95)
    se = float(np.sqrt(np.sum(2 * p * (1 - p) / shots)) / n)
    assert abs(diff.mean()) < 4 * se
    assert slow_hops.mean() < 0.9  # noise is present in both


def test_noisy_run_is_reproducible() -> None:
    backend = load_snapshot("fake_torino")
    isa = transpile_circuits(
        [measured(c) for c in qv_circuits(width=2, seed=1, count=3)],
        target=backend.target,
        initial_layout=[65, 66],
        optimization_level=1,
        seed=1,
    )
    a = run_noisy(isa, target=backend.target, shots=200, seed=9)
    b = run_noisy(isa, target=backend.target, shots=200, seed=9)
    assert a.counts == b.counts and a.physical_qubits == (65, 66)
    assert a.method == "density_matrix"


@pytest.mark.parametrize(
    ("n", "shots", "method"), [(5, 1000, "density_matrix"), (12, 1000, "statevector")]
)
def test_method_choice(n: int, shots: int, method: str) -> None:
    from quantumlimits.execution.aer import choose_method

    assert choose_method(n, shots) == method


def test_fast_depth_and_two_qubit_count_match_qiskit() -> None:
    from qiskit import QuantumCircuit

    from quantumlimits.execution.transpile import circuit_depth, two_qubit_count

    backend = load_snapshot("fake_torino")
    isa = transpile_circuits(
        [measured(c) for c in qv_circuits(width=4, seed=2, count=4)],
        target=sub_target(backend.target, [80, 81, 92, 99]),
        initial_layout=range(4),
        optimization_level=1,
        seed=1,
    )
    for c in isa:
        assert circuit_depth(c) == c.depth()
        assert two_qubit_count(c) == sum(1 for i in c.data if i.operation.num_qubits == 2)
    with_barrier = QuantumCircuit(2)
    with_barrier.h(0)
    with_barrier.barrier()
    with_barrier.h(0)
    assert circuit_depth(with_barrier) == with_barrier.depth() == 2


def test_embed_places_local_circuits_on_the_device_and_compact_undoes_it() -> None:
    from quantumlimits.execution.transpile import embed

    backend = load_snapshot("fake_torino")
    qubits = [80, 81, 92]
    (local,) = transpile_circuits(
        [measured(qv_circuits(width=3, seed=5, count=1)[0])],
        target=sub_target(backend.target, qubits),
        initial_layout=range(3),
        optimization_level=1,
        seed=1,
    )
    placed = embed(local, qubits, backend.num_qubits)
    assert placed.num_qubits == 133 and active_qubits(placed) == sorted(qubits)
    back = compact(placed, qubits)

    def layout_of(c):  # type: ignore[no-untyped-def]
        return [(i.operation, tuple(c.find_bit(q).index for q in i.qubits)) for i in c.data]

    assert layout_of(back) == layout_of(local)


def test_aer_thread_budget_follows_omp_num_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from quantumlimits.execution import aer

    monkeypatch.setattr(aer, "AER_THREADS", 0)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # as on Dask's local workers
    assert aer.aer_threads() == 1
    assert aer._simulator().options.max_parallel_threads == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert aer.aer_threads() == (os.cpu_count() or 1)
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert aer.aer_threads() == (os.cpu_count() or 1)
    monkeypatch.setattr(aer, "AER_THREADS", 3)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert aer.aer_threads() == 3  # an explicit budget wins
