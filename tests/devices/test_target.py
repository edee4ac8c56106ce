"""A spec as a Target and noise: the published figures reach every engine with their meaning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import Operator
from qiskit_aer import AerSimulator

from quantumlimits.circuits import measured, qv_circuits
from quantumlimits.devices import SpecBackend, insert_memory, parse_spec, spec_of
from quantumlimits.execution import backends
from quantumlimits.execution.aer import device_channels, noise_model_for, run_noisy, sub_target
from quantumlimits.execution.density import noisy_distribution
from quantumlimits.execution.stabilizer import readout_errors, twirled_channels
from quantumlimits.execution.transpile import transpile_circuits
from tests.devices.conftest import toml_text


def _backend(doc: dict[str, Any]) -> SpecBackend:
    return SpecBackend(parse_spec(doc))


def test_the_target_carries_every_figure(toy: dict[str, Any]) -> None:
    target = _backend(toy).target
    assert set(target.operation_names) == {"rz", "r", "rzz", "id", "measure"}
    assert target["rz"][(0,)].error == 0.0  # a frame update
    assert target["r"][(2,)].error == 0.01
    assert target["rzz"][(3, 1)].error == 0.04 and len(target["rzz"]) == 12
    assert target["id"][(0,)].error == 0.03
    measure = target["measure"][(1,)]
    assert measure.error == pytest.approx(0.035)
    assert (measure.prob_meas1_prep0, measure.prob_meas0_prep1) == (0.02, 0.05)
    assert readout_errors(target)[1] == (0.02, 0.05)
    restricted = sub_target(target, [3, 1])
    assert spec_of(restricted) == spec_of(target) and restricted.num_qubits == 2


def test_edges_limit_the_two_qubit_gate(toy: dict[str, Any]) -> None:
    toy["connectivity"] = "edges"
    toy["edges"] = [[0, 1], [1, 2], [2, 3]]
    target = _backend(toy).target
    assert sorted(target["rzz"]) == [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)]


def test_each_figure_is_the_probability_it_names(toy: dict[str, Any]) -> None:
    """Average infidelity r: on |0..0> a depolarized one-qubit gate flips its bit with probability
    r, a depolarized two-qubit gate leaves 00 with probability r, an idle layer flips with the
    memory error; readout flips 0 and 1 as published."""
    target = _backend(toy).target
    channels = device_channels(target, [0, 1], readout_error=False)
    for gate, error in (("r", 0.01), ("rzz", 0.04), ("id", 0.03)):
        qc = QuantumCircuit(2, 2)
        if gate == "r":
            qc.r(0.0, 0.0, 0)
        elif gate == "rzz":
            qc.rzz(0.0, 0, 1)
        else:
            qc.id(1)
        qc.measure([0, 1], [0, 1])
        p = noisy_distribution(qc, channels)
        assert 1 - p[0] == pytest.approx(error, abs=1e-12), gate

    readout = device_channels(target, [0, 1], readout_error=True)
    for prepare, outcome, expected in ((False, 0, 0.98**2), (True, 3, 0.95**2)):
        qc = QuantumCircuit(2, 2)
        if prepare:
            qc.x([0, 1])  # not native, so without gate noise: only readout acts
        qc.measure([0, 1], [0, 1])
        assert noisy_distribution(qc, readout)[outcome] == pytest.approx(expected, abs=1e-12)


def test_fused_density_equals_aer_on_a_spec_device() -> None:
    target = backends.load_snapshot("quantinuum_h1_1@2024-04-10").target
    qubits = [5, 2, 9]
    circuits = transpile_circuits(
        [measured(c) for c in qv_circuits(width=3, seed=4, count=3)],
        target=sub_target(target, qubits),
        initial_layout=range(3),
        optimization_level=1,
        seed=2,
    )
    assert all(c.count_ops().get("rzz") for c in circuits)
    channels = device_channels(target, qubits, readout_error=False)
    aer = AerSimulator(
        method="density_matrix", noise_model=noise_model_for(target, qubits, readout_error=False)
    )
    for circuit in circuits:
        bare = circuit.remove_final_measurements(inplace=False)
        bare.save_probabilities(label="p")
        expected = np.asarray(aer.run(bare, shots=1).result().data(0)["p"])
        ours = noisy_distribution(circuit, channels)
        # the measured qubit of each clbit (routing may permute them)
        order = [circuit.find_bit(i.qubits[0]).index for i in circuit.data if i.name == "measure"]
        perm = np.zeros(8, dtype=int)
        for k in range(8):
            j = sum(((k >> c) & 1) << order[c] for c in range(3))
            perm[k] = j
        np.testing.assert_allclose(ours, expected[perm], atol=1e-12)


def test_transpiled_circuits_are_native_equivalent_and_carry_memory() -> None:
    backend = backends.load_snapshot("quantinuum_h1_1@2024-04-10")
    circuit = qv_circuits(width=3, seed=7, count=1)[0]
    isa = transpile_circuits(
        [circuit],
        target=sub_target(backend.target, [0, 1, 2]),
        initial_layout=range(3),
        optimization_level=1,
        seed=1,
    )[0]
    ops = isa.count_ops()
    assert set(ops) <= {"rz", "r", "rzz", "id"}
    assert ops["id"] > 0  # width 3: one qubit idles in every layer
    stripped = isa.copy_empty_like()
    for inst in isa.data:
        if inst.name != "id":
            stripped.append(inst)
    assert Operator.from_circuit(stripped).equiv(Operator(circuit))


def test_memory_goes_on_idle_qubits_of_each_layer() -> None:
    qc = QuantumCircuit(3, 3)
    qc.rzz(0.3, 0, 1)  # layer 0: qubit 2 idles
    qc.r(0.1, 0.2, 2)
    qc.rzz(0.4, 1, 2)  # layer 1: qubit 0 idles
    qc.rzz(0.5, 0, 1)  # layer 2: qubit 2 idles
    qc.measure([0, 1, 2], [0, 1, 2])
    out = insert_memory(qc)
    ids = [out.find_bit(i.qubits[0]).index for i in out.data if i.name == "id"]
    assert sorted(ids) == [0, 2, 2]
    names = [(i.name, [out.find_bit(q).index for q in i.qubits]) for i in out.data]
    # qubit 2's first idle layer comes before its rzz of layer 1, its last before its measurement
    assert names.index(("id", [2])) < names.index(("rzz", [1, 2]))
    assert names[-1] == ("measure", [2]) and names[-2] == ("id", [2])
    assert insert_memory(QuantumCircuit(2)).size() == 0


def test_a_user_spec_file_runs(tmp_path: Path, toy: dict[str, Any]) -> None:
    path = tmp_path / "toy.toml"
    path.write_text(toml_text(toy))
    backend = backends.load_snapshot(str(path))
    assert backends.calibration_date(backend) == "2024-01-02"
    isa = transpile_circuits(
        [measured(qv_circuits(width=2, seed=1, count=1)[0])],
        target=backend.target,
        initial_layout=[0, 1],
        optimization_level=1,
        seed=1,
    )
    run = run_noisy(isa, target=backend.target, shots=200, seed=3)
    assert sum(run.counts[0].values()) == 200
    assert twirled_channels(backend.target)[("rzz", (0, 1))]["ZZ"] == pytest.approx(
        0.04 * 1.25 / 15
    )


def test_a_spec_target_keeps_its_spec_when_pickled() -> None:
    import pickle

    target = backends.load_snapshot("quantinuum_h1_1@2024-04-10").target
    copied = pickle.loads(pickle.dumps(target))
    assert spec_of(copied) == spec_of(target)
    assert copied["rzz"][(0, 1)].error == 0.00093


def test_durations_make_a_circuit_time(toy: dict[str, Any]) -> None:
    from quantumlimits.execution.qpu_time import circuit_seconds

    toy["missing"] = []
    toy["durations"] = {
        name: {"value": value, "source": "paper"}
        for name, value in (
            ("single_qubit", 1e-5),
            ("two_qubit", 2e-4),
            ("measure", 1e-4),
            ("shot_overhead", 1e-2),
        )
    }
    backend = _backend(toy)
    assert backend.default_rep_delay == 1e-2
    assert backend.target["id"][(2,)].duration == 2e-4  # an idle layer lasts a two-qubit gate
    qc = QuantumCircuit(3, 3)
    qc.rzz(0.3, 0, 1)  # qubit 2 idles in this layer
    qc.measure([0, 1, 2], [0, 1, 2])
    (isa,) = transpile_circuits(
        [qc], target=backend.target, initial_layout=[0, 1, 2], optimization_level=0, seed=1
    )
    assert isa.count_ops()["id"] == 1
    assert circuit_seconds(isa, backend.target) == pytest.approx(2e-4 + 1e-4)


def test_the_rate_model_counts_memory_errors(toy: dict[str, Any]) -> None:
    from quantumlimits.limits.wall import device_points

    (point,) = device_points(backend=_backend(toy), widths=[3], circuits=2, seed=1)
    # r rotations at 0.01 and idle-layer ids at 0.03, each instance counted
    assert 0.01 < point.single_qubit_error < 0.03
    assert point.two_qubit_error == 0.04


def test_approximate_synthesis_drops_only_rzz_below_the_published_error() -> None:
    from qiskit.quantum_info import process_fidelity

    backend = backends.load_snapshot("quantinuum_h1_1@2024-04-10")
    target = sub_target(backend.target, range(6))
    error = target["rzz"][(0, 1)].error
    model = qv_circuits(width=6, seed=42, count=4)

    def compile_(approximate: bool, level: int = 3, on: Any = target) -> list[QuantumCircuit]:
        return transpile_circuits(
            model,
            target=on,
            initial_layout=range(6),
            optimization_level=level,
            seed=1,
            approximate=approximate,
        )

    exact, approximate = compile_(False), compile_(True)
    pairs = zip(exact, approximate, strict=True)
    dropped = [e.count_ops()["rzz"] - a.count_ops()["rzz"] for e, a in pairs]
    assert min(dropped) >= 0 and sum(dropped) > 0
    for circuit, isa, k in zip(model, approximate, dropped, strict=True):
        stripped = isa.copy_empty_like()
        for inst in isa.data:
            if inst.name != "id":
                stripped.append(inst)
        infidelity = 1 - process_fidelity(Operator.from_circuit(stripped), Operator(circuit))
        # each dropped RZZ is closer to the identity than its published error (average
        # infidelity r, process infidelity 5/4 r on two qubits)
        assert infidelity <= k * 1.25 * error + 1e-9
    # level 1 has no approximating pass, and IBM snapshots always compile exactly
    assert compile_(True, level=1) == compile_(False, level=1)
    torino = sub_target(backends.load_snapshot("fake_torino").target, range(6))
    assert compile_(True, on=torino) == compile_(False, on=torino)
