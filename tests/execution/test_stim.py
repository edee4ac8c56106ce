"""stim runs Clifford mirror circuits as Aer's stabilizer method does, noise term for term."""

from __future__ import annotations

import math

import numpy as np
import pytest
import stim
from qiskit import QuantumCircuit
from qiskit.circuit.library import (
    CXGate,
    CYGate,
    CZGate,
    ECRGate,
    HGate,
    IGate,
    RXGate,
    RZGate,
    SdgGate,
    SGate,
    SwapGate,
    SXdgGate,
    SXGate,
    XGate,
    YGate,
    ZGate,
    iSwapGate,
)
from qiskit.quantum_info import Operator
from scipy import stats

from quantumlimits.circuits import measured
from quantumlimits.execution.aer import _simulator, run_counts
from quantumlimits.execution.backends import load_snapshot
from quantumlimits.execution.layout import best_layout
from quantumlimits.execution.stabilizer import (
    pauli_noise_model,
    run_stabilizer,
    snap_clifford_angles,
)
from quantumlimits.execution.stim import (
    run_stim,
    sample_counts,
    stim_channel_arguments,
    to_stim,
    twirled_noise,
)
from quantumlimits.execution.transpile import transpile_circuits
from quantumlimits.mirror.circuits import mirror_circuits
from quantumlimits.qv import tasks


@pytest.fixture(scope="module")
def torino():  # type: ignore[no-untyped-def]
    return load_snapshot("fake_torino").target


@pytest.fixture(scope="module")
def width4(torino):  # type: ignore[no-untyped-def]
    """Four noisy width-4 mirror circuits as the protocol runs them, and their qubits."""
    qubits = best_layout(torino, 4).qubits
    built = mirror_circuits(width=4, depth=4, seed=21, count=4, variant="clifford")
    isa = tasks.run_transpile_task(
        tasks.TranspileTask(
            circuits=tuple(measured(m.circuit) for m in built),
            backend="fake_torino",
            physical_qubits=qubits,
            optimization_level=1,
            seed=5,
        )
    )
    return built, isa, qubits


def _unitary(circuit: QuantumCircuit) -> np.ndarray:
    program = to_stim(circuit).circuit
    program.append("I", [circuit.num_qubits - 1])  # every qubit in the tableau
    return np.asarray(program.to_tableau().to_unitary_matrix(endian="little"))


@pytest.mark.parametrize(
    "gate",
    [
        IGate(),
        XGate(),
        YGate(),
        ZGate(),
        HGate(),
        SGate(),
        SdgGate(),
        SXGate(),
        SXdgGate(),
        RZGate(math.pi / 2),
        RZGate(math.pi),
        RZGate(-math.pi / 2),
        RZGate(3 * math.pi / 2 + 1e-12),
        RXGate(math.pi / 2),
        CXGate(),
        CYGate(),
        CZGate(),
        SwapGate(),
        iSwapGate(),
        ECRGate(),
    ],
    ids=lambda g: f"{g.name}{g.params}",
)
def test_every_gate_is_the_same_unitary_in_both_qubit_orders(gate) -> None:  # type: ignore[no-untyped-def]
    for qubits in ([0, 1], [1, 0])[: 2 if gate.num_qubits == 2 else 1]:
        circuit = QuantumCircuit(2)
        circuit.h(0)  # breaks the symmetry between the two qubits' roles
        circuit.append(gate, qubits[: gate.num_qubits])
        assert Operator(_unitary(circuit)).equiv(Operator(circuit)), (gate.name, qubits)


def test_non_clifford_gates_are_refused() -> None:
    for make in (lambda c: c.rz(0.3, 0), lambda c: c.t(0)):
        circuit = QuantumCircuit(1)
        make(circuit)
        with pytest.raises(ValueError, match="not a Clifford gate"):
            to_stim(circuit)


@pytest.mark.parametrize(("width", "depth"), [(3, 3), (8, 8), (70, 3)])
def test_noiseless_mirror_circuits_return_their_target(width: int, depth: int) -> None:
    # Built circuits (Qiskit's Clifford synthesis: h, s, sdg, cx, swap, ...) and transpiled ones
    # (cx, rz, sx, x); width 70 checks outcomes wider than 64 bits.
    built = mirror_circuits(width=width, depth=depth, seed=width, count=3, variant="clifford")
    circuits = [measured(m.circuit) for m in built]
    if width <= 8:
        circuits += transpile_circuits(
            circuits, target=None, initial_layout=None, optimization_level=1, seed=1
        )
        built = built + built
    run = run_stim(circuits, target=None, shots=30, seed=4)
    assert run.method == "stim"
    assert run.counts == [{m.target: 30} for m in built]


def test_noiseless_isa_mirror_on_the_device_returns_its_target(width4) -> None:  # type: ignore[no-untyped-def]
    built, isa, _ = width4
    run = run_stim(isa, target=None, shots=50, seed=2)
    assert run.counts == [{m.target: 50} for m in built]


def test_two_qubit_channel_order_flips_the_right_qubit() -> None:
    # "IX": X on the gate's first qubit (Qiskit's order: first qubit rightmost).
    for gate_qubits, label, flipped in [
        ((0, 1), "IX", 0b01),
        ((0, 1), "XI", 0b10),
        ((1, 0), "IX", 0b10),
        ((1, 0), "XI", 0b01),
    ]:
        circuit = QuantumCircuit(2, 2)
        circuit.cz(*gate_qubits)
        circuit.measure([0, 1], [0, 1])
        channels = {("cz", gate_qubits): {"II": 0.0, label: 1.0}}
        counts = sample_counts(to_stim(circuit, channels=channels), shots=20, seed=1)
        assert counts == {flipped: 20}, (gate_qubits, label)
        # Aer's stabilizer method, given the same channel, agrees.
        sim = _simulator(
            method="stabilizer",
            noise_model=pauli_noise_model(channels, {}, basis_gates=["cz"]),
            seed_simulator=1,
        )
        assert run_counts(sim, [circuit], shots=20, seed=1, what="test") == [{flipped: 20}]


def test_channel_arguments_follow_stims_documented_order() -> None:
    labels = [a + b for a in "IXYZ" for b in "IXYZ"]
    channel = {label: (i + 1) / 136 for i, label in enumerate(labels)}
    args = stim_channel_arguments(channel)
    # stim: (pIX, pIY, pIZ, pXI, ..., pZZ), first letter on the first target = the gate's first
    # qubit, which is the rightmost letter of a Qiskit label.
    stim_order = [a + b for a in "IXYZ" for b in "IXYZ"][1:]
    assert args == tuple(channel[b + a] for a, b in stim_order)


def test_asymmetric_readout_flips_each_way() -> None:
    for prepare_one, readout, expected in [
        (False, (1.0, 0.0), 1),
        (True, (1.0, 0.0), 1),
        (False, (0.0, 1.0), 0),
        (True, (0.0, 1.0), 0),
    ]:
        circuit = QuantumCircuit(1, 1)
        if prepare_one:
            circuit.x(0)
        circuit.measure(0, 0)
        counts = sample_counts(to_stim(circuit), shots=10, seed=3, readout={0: readout})
        assert counts == {expected: 10}


def test_measurements_land_on_their_classical_bits() -> None:
    circuit = QuantumCircuit(3, 4)
    circuit.x(0)
    circuit.measure(0, 3)
    circuit.measure(1, 0)
    circuit.x(1)
    circuit.measure(1, 0)  # a later measurement of the same bit wins
    assert sample_counts(to_stim(circuit), shots=5, seed=0) == {0b1001: 5}


def _homogeneity(a: dict[int, int], b: dict[int, int]) -> tuple[float, int]:
    """Chi-square statistic and degrees of freedom for 'a and b sample one distribution'.

    Outcomes seen fewer than 10 times in both runs together are pooled into one bin.
    """
    keys = sorted(set(a) | set(b))
    table = np.array([[a.get(k, 0) for k in keys], [b.get(k, 0) for k in keys]], dtype=float)
    common = table.sum(axis=0) >= 10
    rare = table[:, ~common].sum(axis=1, keepdims=True)
    table = np.hstack([table[:, common], rare]) if rare.sum() >= 10 else table[:, common]
    if table.shape[1] < 2:
        return 0.0, 0
    statistic, _, dof, _ = stats.chi2_contingency(table, correction=False)
    return float(statistic), int(dof)


def _agreement(runs_a: list[dict[int, int]], runs_b: list[dict[int, int]]) -> float:
    """p-value of the summed per-circuit chi-square homogeneity tests."""
    pairs = [_homogeneity(a, b) for a, b in zip(runs_a, runs_b, strict=True)]
    return float(stats.chi2.sf(sum(s for s, _ in pairs), sum(d for _, d in pairs)))


SHOTS = 2000


def test_stim_and_aer_stabilizer_sample_the_same_noisy_distribution(torino, width4) -> None:  # type: ignore[no-untyped-def]
    built, isa, qubits = width4
    ours = run_stim(isa, target=torino, shots=SHOTS, seed=7, physical_qubits=qubits)
    aer = run_stabilizer(isa, target=torino, shots=SHOTS, seed=7, physical_qubits=qubits)
    success = [c.get(m.target, 0) / SHOTS for m, c in zip(built, ours.counts, strict=True)]
    assert all(0.3 < p < 0.97 for p in success), success  # noisy, far from both extremes
    assert _agreement(ours.counts, aer.counts) > 1e-3
    # The same check rejects stim runs that lose the gate noise or the readout errors.
    channels, readout = twirled_noise(torino, qubits)
    no_gate_noise = [sample_counts(to_stim(c), shots=SHOTS, seed=7, readout=readout) for c in isa]
    no_readout = [sample_counts(to_stim(c, channels=channels), shots=SHOTS, seed=7) for c in isa]
    assert _agreement(no_gate_noise, aer.counts) < 1e-6
    assert _agreement(no_readout, aer.counts) < 1e-6


def test_skewed_two_qubit_noise_agrees_with_aer_and_a_swapped_order_does_not(width4) -> None:  # type: ignore[no-untyped-def]
    # Errors on the gate's first qubit only: a channel whose qubit order matters everywhere.
    _, isa, _ = width4
    pairs = {
        tuple(c.find_bit(q).index for q in inst.qubits)
        for c in isa
        for inst in c.data
        if inst.name == "cz"
    }
    skewed = {("cz", p): {"II": 0.96, "IX": 0.03, "IY": 0.01} for p in pairs}
    swapped = {("cz", p): {"II": 0.96, "XI": 0.03, "YI": 0.01} for p in pairs}
    sim = _simulator(
        method="stabilizer",
        noise_model=pauli_noise_model(skewed, {}, basis_gates=["cz", "rz", "sx", "x"]),
        seed_simulator=3,
    )
    snapped = [snap_clifford_angles(c) for c in isa]
    aer = run_counts(sim, snapped, shots=SHOTS, seed=3, what="test")
    right = [sample_counts(to_stim(c, channels=skewed), shots=SHOTS, seed=3) for c in isa]
    wrong = [sample_counts(to_stim(c, channels=swapped), shots=SHOTS, seed=3) for c in isa]
    assert _agreement(right, aer) > 1e-3
    assert _agreement(wrong, aer) < 1e-6


def test_same_seed_same_counts_other_seed_other_counts(torino, width4) -> None:  # type: ignore[no-untyped-def]
    _, isa, qubits = width4
    first = run_stim(isa, target=torino, shots=300, seed=11, physical_qubits=qubits)
    again = run_stim(isa, target=torino, shots=300, seed=11, physical_qubits=qubits)
    other = run_stim(isa, target=torino, shots=300, seed=12, physical_qubits=qubits)
    assert first.counts == again.counts
    assert first.counts != other.counts
    assert first.physical_qubits == tuple(qubits)


def test_stim_circuit_carries_one_channel_per_noisy_gate(torino, width4) -> None:  # type: ignore[no-untyped-def]
    _, isa, qubits = width4
    channels, _ = twirled_noise(torino, qubits)
    program = to_stim(isa[0], channels=channels)
    expected = sum(
        1
        for inst in isa[0].data
        if (inst.name, tuple(isa[0].find_bit(q).index for q in inst.qubits)) in channels
    )
    noise = [
        inst
        for inst in program.circuit.flattened()
        if isinstance(inst, stim.CircuitInstruction) and inst.name.startswith("PAULI_CHANNEL")
    ]
    # stim fuses adjacent identical instructions: count target groups, not instructions.
    groups = sum(
        len(inst.targets_copy()) // (2 if inst.name.endswith("2") else 1) for inst in noise
    )
    assert groups == expected > 0


def test_ecr_snapshot_agrees_with_aer() -> None:
    # ecr is not in stim's gate set: it runs as its tableau's decomposition, noise after the whole.
    target = load_snapshot("fake_sherbrooke").target
    qubits = best_layout(target, 3).qubits
    built = mirror_circuits(width=3, depth=3, seed=8, count=2, variant="clifford")
    isa = tasks.run_transpile_task(
        tasks.TranspileTask(
            circuits=tuple(measured(m.circuit) for m in built),
            backend="fake_sherbrooke",
            physical_qubits=qubits,
            optimization_level=1,
            seed=5,
        )
    )
    assert all(c.count_ops().get("ecr", 0) > 0 for c in isa)
    ours = run_stim(isa, target=target, shots=SHOTS, seed=9, physical_qubits=qubits)
    aer = run_stabilizer(isa, target=target, shots=SHOTS, seed=9, physical_qubits=qubits)
    assert all(c.get(m.target, 0) < SHOTS for m, c in zip(built, ours.counts, strict=True))
    assert _agreement(ours.counts, aer.counts) > 1e-3
    noiseless = run_stim(isa, target=None, shots=20, seed=9)
    assert noiseless.counts == [{m.target: 20} for m in built]
