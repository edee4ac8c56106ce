"""The trajectory engine against the exact density matrix under the same (Pauli-twirled) noise."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector

from quantumlimits.circuits import measured, qv_circuits
from quantumlimits.execution.aer import choose_engine, pauli_noise, run_noisy, sub_target
from quantumlimits.execution.backends import load_snapshot
from quantumlimits.execution.density import Unsupported, noisy_distribution
from quantumlimits.execution.executor import pack_outcomes, unpack_outcomes
from quantumlimits.execution.layout import best_layout
from quantumlimits.execution.trajectories import (
    Allocator,
    PauliNoise,
    compile_circuit,
    estimate,
    pauli_matrices,
    pauli_twirl,
    run_trajectories,
)
from quantumlimits.execution.transpile import transpile_circuits


def _width(width: int, count: int, seed: int = 4) -> tuple[PauliNoise, list, list[np.ndarray]]:
    target = load_snapshot("fake_torino").target
    qubits = list(best_layout(target, width).qubits)
    ideal = qv_circuits(width=width, seed=seed, count=count)
    isa = transpile_circuits(
        [measured(c) for c in ideal],
        target=sub_target(target, qubits),
        initial_layout=range(width),
        optimization_level=1,
        seed=2,
    )
    masks = []
    for c in ideal:
        p = Statevector(c).probabilities()
        masks.append(p > np.median(p))
    return pauli_noise(target, qubits), isa, masks


def test_pauli_twirl_of_a_pauli_channel_is_itself_and_sums_to_one() -> None:
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.ones(16))
    kraus = np.sqrt(p)[:, None, None] * pauli_matrices(2)
    np.testing.assert_allclose(pauli_twirl(kraus), p, atol=1e-12)
    # amplitude damping: twirl keeps the trace, X and Y share the decay
    g = 0.1
    damping = [np.array([[1, 0], [0, math.sqrt(1 - g)]]), np.array([[0, math.sqrt(g)], [0, 0]])]
    twirl = pauli_twirl(damping)
    assert twirl.sum() == pytest.approx(1.0)
    assert twirl[1] == pytest.approx(twirl[2]) == pytest.approx(g / 4)


def test_hops_agree_with_the_exact_density_matrix_within_the_recorded_error() -> None:
    """Paired per circuit: the sum of the trajectories' squared errors against the exact HOP of
    the same Pauli noise is what their recorded Monte-Carlo variances say (each variance is
    estimated from a sample whose size does not depend on it, so their sum is unbiased), and
    the mean HOP lies within 4 recorded standard errors of the exact one."""
    noise, isa, masks = _width(5, 40)
    exact_channels = noise.channels()
    rng = np.random.default_rng(11)
    diffs, variances = [], []
    for circuit, mask in zip(isa, masks, strict=True):
        exact = float(noisy_distribution(circuit, exact_channels)[mask].sum())
        result = estimate(circuit, noise, shots=1000, rng=rng, tracked=mask)
        assert result.variance is not None and result.probability is not None
        assert 0.0 < result.error_free < 1.0
        diffs.append(result.probability - exact)
        variances.append(result.variance)
    d, v = np.asarray(diffs), np.asarray(variances)
    assert abs(d.sum()) < 4.0 * math.sqrt(v.sum())
    # E[Σ d²] = Σ σ²; the ratio of 40 heavy-tailed terms stays well inside [0.3, 3] (seeded)
    assert 0.3 < (d**2).sum() / v.sum() < 3.0


def test_counts_follow_the_exact_distribution_and_the_rule_bounds_the_variance() -> None:
    noise, isa, masks = _width(4, 3)
    shots = 20_000
    exact_channels = noise.channels()
    runs = run_trajectories(isa, noise, shots=shots, seed=5, tracked=masks)
    for circuit, mask, run in zip(isa, masks, runs, strict=True):
        exact = float(noisy_distribution(circuit, exact_channels)[mask].sum())
        heavy = sum(v for k, v in run.counts.items() if mask[k]) / shots
        assert sum(run.counts.values()) == shots
        sd = math.sqrt(exact * (1 - exact) / shots + run.variance)  # type: ignore[operator]
        assert abs(heavy - exact) < 4 * sd


def test_allocation_meets_the_variance_rule_from_earlier_circuits() -> None:
    allocator = Allocator(shots=1000)
    masses, costs = np.array([0.2, 0.2]), np.array([4.0, 1.0])
    assert allocator.counts(masses, costs) == [3, 3]  # nothing learnt yet
    allocator.record(np.array([0.01, 0.04]), 0.7)
    counts = np.array(allocator.counts(masses, costs), dtype=float)
    sd = np.sqrt([0.01, 0.04])
    # Neyman weighted by cost: the cheap, spread stratum gets 4x the draws
    assert counts[1] / counts[0] == pytest.approx(4.0, rel=0.05)
    variance = float((masses**2 * sd**2 / counts).sum())
    target = 0.21 * 0.7 * 0.3 / 1000
    assert variance <= target < 1.1 * float((masses**2 * sd**2 / (counts - 1)).sum())


def test_same_seed_same_counts_and_clbit_order() -> None:
    noise, isa, masks = _width(4, 2)
    a = run_trajectories(isa, noise, shots=300, seed=9, tracked=masks)
    b = run_trajectories(isa, noise, shots=300, seed=9, tracked=masks)
    assert [r.counts for r in a] == [r.counts for r in b]
    # a circuit whose measurements are permuted records its clbits, not its qubits
    c = QuantumCircuit(3, 2)
    c.x(2)
    c.measure(2, 0)
    c.measure(0, 1)
    quiet = PauliNoise(errors={}, readout={}, num_qubits=3)
    (run,) = run_trajectories([c], quiet, shots=50, seed=1)
    assert run.counts == {1: 50}


def test_unsupported_circuits_fall_back_and_engines_are_chosen_by_width() -> None:
    c = QuantumCircuit(2, 1)
    c.measure(0, 0)
    c.x(0)
    with pytest.raises(Unsupported):
        compile_circuit(c, PauliNoise(errors={}, readout={}, num_qubits=2))
    assert choose_engine("auto", 10) == "density"
    assert choose_engine("auto", 11) == "trajectories"
    # whatever the shots: no per-shot Aer run at width 9 with few shots
    target = load_snapshot("fake_torino").target
    _, isa, masks = _width(3, 2)
    qubits = list(best_layout(target, 3).qubits)
    run = run_noisy(isa, target=target, shots=10, seed=1, physical_qubits=qubits)
    assert run.method == "density_matrix"
    traj = run_noisy(
        isa,
        target=target,
        shots=10,
        seed=1,
        physical_qubits=qubits,
        engine="trajectories",
        tracked=masks,
    )
    assert traj.method == "trajectories" and traj.mc_variances is not None
    assert all(v >= 0 for v in traj.mc_variances)


def test_outcome_masks_round_trip_packed() -> None:
    m = np.random.default_rng(0).random(1 << 7) < 0.5
    assert (unpack_outcomes(pack_outcomes(m), m.size) == m).all()


def test_one_trajectory_circuits_record_the_pooled_variance() -> None:
    allocator = Allocator(shots=1000)
    one, cost = np.array([1.0]), np.array([1.0])
    assert allocator.counts(one, cost) == [3]
    for v in (1e-8, 3e-8, 2e-8, 2e-8):
        allocator.record(np.array([v]), 0.5)
    # four circuits with their own variances: the next takes one trajectory, every fourth two
    assert allocator.counts(one, cost) == [2]  # the 5th circuit (index 4)
    allocator.record(None, 0.5)
    assert allocator.counts(one, cost) == [1]
    assert allocator.pooled(1).tolist() == pytest.approx([2e-8])
    # with strata, never below two per stratum
    assert allocator.counts(np.array([0.5, 0.5]), np.array([1.0, 1.0])) == [3, 3]


def test_a_noisy_task_carries_its_engine_and_tracked_sets_to_a_worker() -> None:
    import pickle

    from quantumlimits.execution.executor import NoisyTask, run_noisy_task

    _, isa, masks = _width(3, 2)
    target = load_snapshot("fake_torino").target
    qubits = tuple(best_layout(target, 3).qubits)
    task = NoisyTask(
        "fake_torino",
        tuple(isa),
        200,
        4,
        qubits,
        engine="trajectories",
        tracked=tuple(pack_outcomes(m) for m in masks),
    )
    back = pickle.loads(pickle.dumps(task))
    assert (back.engine, back.tracked) == (task.engine, task.tracked)
    run = run_noisy_task(back)
    assert run.method == "trajectories" and run.mc_variances is not None
    assert run.counts == run_noisy_task(task).counts


def test_engine_flag_is_validated_and_density_refuses_wide_widths() -> None:
    from quantumlimits.errors import UsageError
    from quantumlimits.qv.protocol import prepare
    from quantumlimits.qv.settings import QVSettings

    assert QVSettings(engine="trajectories").to_dict()["engine"] == "trajectories"
    assert QVSettings.from_dict({**QVSettings().to_dict(), "engine": "density"}).engine == "density"
    with pytest.raises(UsageError, match="--engine"):
        QVSettings(engine="fast")
    with pytest.raises(UsageError, match="at most 10 qubits"):
        QVSettings(engine="density", widths="9-12")
    # an auto scan with the exact engine stops at its widest width
    prepared = prepare(QVSettings(backend="fake_torino", engine="density"))
    assert prepared.limit == 10


def test_qv_with_the_trajectory_engine_records_engine_method_and_variances(tmp_path: Path) -> None:
    import json

    from quantumlimits.cli import main

    base = ["qv", "--backend", "fake_torino", "--widths", "3", "--trials", "6", "--shots", "200"]
    out, exact = tmp_path / "out", tmp_path / "exact"
    assert main([*base, "--engine", "trajectories", "--no-store", "--out", str(out)]) == 0
    document = json.loads((out / "qv.json").read_text())
    assert document["settings"]["engine"] == "trajectories"
    (width,) = document["widths"]
    assert width["method"] == "trajectories"
    assert len(width["mc_variances"]) == 6 and min(width["mc_variances"]) >= 0
    # the exact engine (auto at width 3) records none
    assert main([*base, "--no-store", "--out", str(exact)]) == 0
    (width,) = json.loads((exact / "qv.json").read_text())["widths"]
    assert width["method"] == "density_matrix" and width.get("mc_variances") is None


def _aer_heavy(circuit: QuantumCircuit, noise: PauliNoise, mask: np.ndarray, shots: int, seed: int):
    """Aer's own trajectory method on ``circuit`` under ``noise``'s Pauli noise: the statevector
    method draws one error pattern per shot; each shot's exact heavy probability (saved per
    shot) is one trajectory. Returns their mean and its variance (sample variance / shots)."""
    from qiskit_aer import AerSimulator

    by_clbit = {}
    for inst in circuit.data:
        if inst.name == "measure":
            by_clbit[circuit.find_bit(inst.clbits[0]).index] = circuit.find_bit(
                inst.qubits[0]
            ).index
    bare = circuit.remove_final_measurements(inplace=False)
    bare.save_probabilities([by_clbit[c] for c in sorted(by_clbit)], pershot=True)
    sim = AerSimulator(
        method="statevector", noise_model=noise.aer_noise_model(), seed_simulator=seed
    )
    per_shot = np.asarray(sim.run(bare, shots=shots).result().data(0)["probabilities"])
    hops = per_shot[:, mask].sum(axis=1)
    return float(hops.mean()), float(hops.var(ddof=1) / shots)


@pytest.mark.slow
def test_hops_agree_with_aers_trajectory_method_at_widths_3_to_8() -> None:
    """Paired per circuit at widths 3-8 (fake_torino's noise, twirled; readout left out, as
    both apply it exactly): the engine's HOP minus Aer's statevector-with-noise HOP has the
    variance the two recorded Monte-Carlo variances add up to."""
    rng = np.random.default_rng(23)
    diffs, variances = [], []
    for width in range(3, 9):
        target = load_snapshot("fake_torino").target
        qubits = list(best_layout(target, width).qubits)
        noise = pauli_noise(target, qubits, readout_error=False)
        _, isa, masks = _width(width, 3, seed=width)
        for k, (circuit, mask) in enumerate(zip(isa, masks, strict=True)):
            result = estimate(circuit, noise, shots=1000, rng=rng, tracked=mask)
            assert result.probability is not None and result.variance is not None
            aer, aer_variance = _aer_heavy(circuit, noise, mask, shots=200, seed=100 * width + k)
            diffs.append(result.probability - aer)
            variances.append(result.variance + aer_variance)
    d, v = np.asarray(diffs), np.asarray(variances)
    assert abs(d.sum()) < 4.0 * math.sqrt(v.sum())
    # E[Σ d²] = Σ σ² over 18 pairs (seeded)
    assert 0.3 < (d**2).sum() / v.sum() < 3.0


def test_adaptive_decides_from_counts_that_carry_the_monte_carlo_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    from quantumlimits.cli import main

    argv = ["qv", "--backend", "fake_torino", "--widths", "3", "--trials", "100", "--shots"]
    argv += ["100", "--adaptive", "--engine", "trajectories", "--no-store", "--json"]
    assert main(argv) == 0
    (width,) = json.loads(capsys.readouterr().out)["widths"]
    assert width["method"] == "trajectories" and width["circuits"] == 100
    # the sequential test saw the HOPs of counts drawn from each circuit's sampled mixture (the
    # Monte-Carlo error is inside them, docs/method.md); the variances are recorded beside
    hops = np.asarray(width["heavy_counts"]) / 100
    assert width["sequential"]["mean"] == pytest.approx(hops.mean())
    assert width["sequential"]["decision"] == "pass"
    assert len(width["mc_variances"]) == 100 and min(width["mc_variances"]) >= 0


def test_device_gpu_without_an_accelerator_falls_back_to_the_cpu_engines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    from quantumlimits.cli import main
    from quantumlimits.execution.aer import available_devices

    if "gpu" in available_devices():
        pytest.skip("a GPU is present: nothing to fall back from")
    argv = ["qv", "--backend", "quantinuum_h1_1@2024-04-10", "--widths", "3", "--trials", "6"]
    argv += ["--shots", "100", "--device", "gpu", "--no-store", "--json"]
    for engine in ("auto", "trajectories"):
        assert main([*argv, "--engine", engine]) == 0
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        notes = [line for line in captured.err.splitlines() if "--device gpu" in line]
        assert len(notes) == 1 and "running on the CPU" in notes[0]
        document = json.loads(captured.out)
        assert document["settings"]["device"] == "cpu"  # what ran, not what was asked
        (width,) = document["widths"]
        assert width["method"] == ("density_matrix" if engine == "auto" else "trajectories")
