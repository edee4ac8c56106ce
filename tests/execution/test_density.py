"""The fused density-matrix simulator against Aer's density matrix under the same device noise."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit_aer import AerSimulator
from scipy.stats import chisquare

from quantumlimits.circuits import measured, qv_circuits
from quantumlimits.execution.aer import device_channels, noise_model_for, run_noisy, sub_target
from quantumlimits.execution.backends import load_snapshot
from quantumlimits.execution.density import (
    DeviceChannels,
    Unsupported,
    noisy_distribution,
    run_density,
)
from quantumlimits.execution.layout import best_layout
from quantumlimits.execution.transpile import transpile_circuits


def _isa(backend: str, width: int, count: int) -> tuple[object, list[int], list[QuantumCircuit]]:
    target = load_snapshot(backend).target
    qubits = list(best_layout(target, width).qubits)
    circuits = transpile_circuits(
        [measured(c) for c in qv_circuits(width=width, seed=4, count=count)],
        target=sub_target(target, qubits),
        initial_layout=range(width),
        optimization_level=1,
        seed=2,
    )
    return target, qubits, circuits


def _aer_distribution(circuit: QuantumCircuit, simulator: AerSimulator) -> np.ndarray:
    """Aer's exact probabilities of the clbits, read before the final measurements."""
    bare = circuit.copy_empty_like()
    qubit_of_clbit = {}
    for inst in circuit.data:
        if inst.name == "measure":
            qubit_of_clbit[circuit.find_bit(inst.clbits[0]).index] = inst.qubits[0]
        else:
            bare.append(inst)
    bare.save_probabilities(
        qubits=[qubit_of_clbit[c] for c in range(circuit.num_clbits)], label="p"
    )
    result = simulator.run(bare, shots=1).result()
    return np.asarray(result.data(0)["p"])


@pytest.mark.parametrize(
    ("backend", "width", "tolerance"),
    [
        # ecr device: every error term is representable alike, the two agree to rounding
        ("fake_sherbrooke", 3, 1e-12),
        # cz device: some qubits' errors have terms of probability ~3e-11, on which Aer's density
        # matrix is ~5e-11 per gate from the exact channel (docs/method.md); we are exact
        ("fake_torino", 4, 1e-8),
    ],
)
def test_distributions_equal_aer_density_matrix(backend: str, width: int, tolerance: float) -> None:
    target, qubits, circuits = _isa(backend, width, 6)
    channels = DeviceChannels.from_target(sub_target(target, qubits), readout_error=False)
    aer = AerSimulator(
        method="density_matrix", noise_model=noise_model_for(target, qubits, readout_error=False)
    )
    assert any(
        [circuit.find_bit(i.qubits[0]).index for i in circuit.data if i.name == "measure"]
        != list(range(width))
        for circuit in circuits
    ), "routing should have permuted some measurements"
    for circuit in circuits:
        ours = noisy_distribution(circuit, channels)
        np.testing.assert_allclose(ours, _aer_distribution(circuit, aer), rtol=0, atol=tolerance)
        assert ours.sum() == pytest.approx(1.0, abs=1e-12)


def test_clbit_order_unmeasured_qubits_and_ignored_barriers() -> None:
    target = load_snapshot("fake_sherbrooke").target
    qubits = list(best_layout(target, 3).qubits)
    channels = DeviceChannels.from_target(sub_target(target, qubits), readout_error=False)
    aer = AerSimulator(
        method="density_matrix", noise_model=noise_model_for(target, qubits, readout_error=False)
    )
    circuit = QuantumCircuit(3, 2)
    circuit.x(0)
    circuit.sx(1)
    circuit.ecr(1, 2)
    circuit.barrier()
    circuit.rz(0.3, 2)
    circuit.sx(2)
    circuit.measure(0, 1)  # qubit 0 -> clbit 1, qubit 2 -> clbit 0, qubit 1 unmeasured
    circuit.measure(2, 0)
    ours = noisy_distribution(circuit, channels)
    assert ours.shape == (4,)
    np.testing.assert_allclose(ours, _aer_distribution(circuit, aer), rtol=0, atol=1e-12)
    assert ours[0b10] + ours[0b11] > 0.9  # clbit 1 holds qubit 0, which is |1>


def test_readout_error_matches_aer_counts() -> None:
    """With readout errors, Aer's sampled counts fit our distribution (chi-square)."""
    target, qubits, circuits = _isa("fake_torino", 3, 2)
    channels = device_channels(target, qubits)
    assert channels.readout, "the snapshot has readout errors"
    without = device_channels(target, qubits, readout_error=False)
    shots = 200_000
    aer = run_noisy(
        circuits, target=target, shots=shots, seed=3, physical_qubits=qubits, engine="aer"
    )
    for circuit, counts in zip(circuits, aer.counts, strict=True):
        expected = noisy_distribution(circuit, channels)
        observed = np.zeros(expected.size)
        for outcome, n in counts.items():
            observed[outcome] = n
        assert chisquare(observed, expected * shots).pvalue > 1e-4
        # and the readout errors are visible at this many shots
        assert chisquare(observed, noisy_distribution(circuit, without) * shots).pvalue < 1e-6


def test_run_noisy_takes_the_fused_simulator_and_is_seeded() -> None:
    target, qubits, circuits = _isa("fake_torino", 3, 3)
    a = run_noisy(circuits, target=target, shots=500, seed=7, physical_qubits=qubits)
    b = run_noisy(circuits, target=target, shots=500, seed=7, physical_qubits=qubits)
    c = run_noisy(circuits, target=target, shots=500, seed=8, physical_qubits=qubits)
    assert a.method == "density_matrix"
    assert a.counts == b.counts != c.counts
    direct = run_density(circuits, device_channels(target, qubits), shots=500, seed=7)
    assert direct == a.counts
    assert all(sum(counts.values()) == 500 for counts in a.counts)


@pytest.mark.parametrize("instruction", ["delay", "reset", "mid_measure"])
def test_unmodelled_instructions_fall_back_to_aer(instruction: str) -> None:
    target = load_snapshot("fake_torino").target
    qubits = list(best_layout(target, 2).qubits)
    circuit = QuantumCircuit(2, 2)
    circuit.x(0)
    if instruction == "delay":
        circuit.delay(100, 0, unit="dt")
    elif instruction == "reset":
        circuit.reset(1)
    else:
        circuit.measure(0, 0)
        circuit.x(0)
    circuit.measure([0, 1], [0, 1])
    channels = device_channels(target, qubits)
    with pytest.raises(Unsupported):
        noisy_distribution(circuit, channels)
    run = run_noisy([circuit], target=target, shots=200, seed=1, physical_qubits=qubits)
    assert run.method == "density_matrix"
    assert sum(run.counts[0].values()) == 200


def test_bad_engine_is_refused() -> None:
    target = load_snapshot("fake_torino").target
    with pytest.raises(ValueError, match="engine"):
        run_noisy([], target=target, shots=1, seed=1, physical_qubits=[0], engine="fast")


def test_exact_against_quantum_info_channels() -> None:
    """Against an independent exact reference: qiskit.quantum_info evolving the density matrix
    through each instruction's unitary and then its device error (fake_torino, where Aer's own
    density matrix is only ~1e-9 close)."""
    import warnings

    from qiskit.quantum_info import DensityMatrix, Operator
    from qiskit_aer.noise.device import basic_device_gate_errors

    target, qubits, circuits = _isa("fake_torino", 3, 2)
    local = sub_target(target, qubits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        errors = {(n, tuple(q)): e for n, q, e in basic_device_gate_errors(target=local)}
    channels = DeviceChannels.from_target(local, readout_error=False)
    for circuit in circuits:
        rho = DensityMatrix.from_label("0" * circuit.num_qubits)
        order = {}
        for inst in circuit.data:
            q = [circuit.find_bit(b).index for b in inst.qubits]
            if inst.name == "measure":
                order[circuit.find_bit(inst.clbits[0]).index] = q[0]
                continue
            rho = rho.evolve(Operator(inst.operation), qargs=q)
            error = errors.get((inst.name, tuple(q)))
            if error is not None:
                rho = rho.evolve(error.to_quantumchannel(), qargs=q)
        expected = rho.probabilities(qargs=[order[c] for c in range(circuit.num_clbits)])
        np.testing.assert_allclose(
            noisy_distribution(circuit, channels), expected, rtol=0, atol=1e-12
        )


def test_an_error_on_measure_acts_before_the_measurement() -> None:
    """Device models may attach relaxation to ``measure``; Aer applies it before measuring."""
    from qiskit_aer.noise import NoiseModel, amplitude_damping_error

    gamma = 0.2
    error = amplitude_damping_error(gamma)
    model = NoiseModel()
    model.add_quantum_error(error, "measure", [0])
    circuit = QuantumCircuit(1, 1)
    circuit.x(0)
    circuit.measure(0, 0)
    channels = DeviceChannels(
        errors={("measure", (0,)): _superop_of(error)}, readout={}, num_qubits=1
    )
    ours = noisy_distribution(circuit, channels)
    np.testing.assert_allclose(ours, [gamma, 1 - gamma], atol=1e-12)
    counts = AerSimulator(noise_model=model).run(circuit, shots=20_000, seed_simulator=1).result()
    ones = counts.get_counts().get("1", 0) / 20_000
    assert abs(ones - (1 - gamma)) < 4 * np.sqrt(gamma * (1 - gamma) / 20_000)


def _superop_of(error: object) -> np.ndarray:
    from qiskit.quantum_info import Kraus

    from quantumlimits.execution.density import _superop

    return _superop(Kraus(error.to_quantumchannel()).data)  # type: ignore[attr-defined]


def test_fused_shapes_against_quantum_info() -> None:
    """Shapes the batched fusion treats specially, against qiskit.quantum_info evolving each
    instruction and its error exactly: a block continued with its qubits the other way round (a
    non-symmetric, parameterized two-qubit gate), long runs, a qubit with no two-qubit gate (a
    factor of the state of its own), blocks closed and two factors merged by a gate across them,
    a one-qubit gate after another qubit's measurement, an rz with an error, and readout errors
    on permuted clbits."""
    import warnings

    from qiskit.quantum_info import DensityMatrix, Operator
    from qiskit_aer.noise import amplitude_damping_error, depolarizing_error
    from qiskit_aer.noise.device import basic_device_gate_errors

    target = load_snapshot("fake_torino").target
    qubits = list(best_layout(target, 5).qubits)
    local = sub_target(target, qubits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        errors = {(n, tuple(q)): e for n, q, e in basic_device_gate_errors(target=local)}
    errors[("rz", (3,))] = depolarizing_error(0.01, 1)  # rz with an error: not a phase
    errors[("crx", (2, 1))] = depolarizing_error(0.02, 2).compose(
        amplitude_damping_error(0.05).tensor(depolarizing_error(0.0, 1))
    )
    errors[("measure", (4,))] = amplitude_damping_error(0.03)
    channels = DeviceChannels(
        errors={key: _superop_of(e) for key, e in errors.items()},
        readout=device_channels(target, qubits).readout,
        num_qubits=5,
    )
    assert channels.readout, "the snapshot has readout errors"
    rng = np.random.default_rng(3)
    circuit = QuantumCircuit(5, 4)
    for q in range(5):
        circuit.sx(q)
        circuit.rz(float(rng.uniform(0, 6)), q)
    circuit.cz(0, 1)
    circuit.cz(2, 3)
    for _ in range(6):  # a long run on qubit 1
        circuit.rz(float(rng.uniform(0, 6)), 1)
        circuit.sx(1)
    circuit.x(0)
    circuit.crx(0.7, 1, 0)  # the (0, 1) block continued the other way round
    circuit.cz(0, 1)
    circuit.cz(1, 2)  # closes both blocks
    circuit.rz(0.4, 3)
    circuit.sx(3)
    circuit.crx(0.3, 2, 1)  # swapped again, with its own error
    circuit.cz(3, 2)
    circuit.h(4)  # qubit 4: one-qubit gates only
    circuit.measure(4, 0)
    circuit.sx(0)  # after qubit 4's measurement
    circuit.cz(1, 0)
    circuit.barrier()
    circuit.barrier(4)  # after its measurement: still ignored
    circuit.measure(0, 3)
    circuit.measure(2, 1)
    circuit.measure(1, 2)  # qubit 3 unmeasured
    rho = DensityMatrix.from_label("0" * 5)
    order = {}
    for inst in circuit.data:
        q = [circuit.find_bit(b).index for b in inst.qubits]
        if inst.name == "barrier":
            continue
        if inst.name == "measure":
            order[circuit.find_bit(inst.clbits[0]).index] = q[0]
        else:
            rho = rho.evolve(Operator(inst.operation), qargs=q)
        error = errors.get((inst.name, tuple(q)))
        if error is not None:
            rho = rho.evolve(error.to_quantumchannel(), qargs=q)
    exact = rho.probabilities(qargs=[order[c] for c in range(4)])
    # readout: each clbit's assignment matrix on the exact populations
    exact = exact.reshape((2,) * 4)  # axis 0: clbit 3
    for clbit in range(4):
        axis = 3 - clbit
        assignment = channels.readout[order[clbit]]
        exact = np.moveaxis(np.tensordot(assignment.T, exact, axes=([1], [axis])), 0, axis)
    ours = noisy_distribution(circuit, channels)
    np.testing.assert_allclose(ours, exact.reshape(-1), rtol=0, atol=1e-12)
    assert ours.sum() == pytest.approx(1.0, abs=1e-12)
