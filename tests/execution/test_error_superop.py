"""The channel matrix of an Aer error, computed directly, equals qiskit's own conversion."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from qiskit.quantum_info import Kraus
from qiskit_aer.noise import depolarizing_error, thermal_relaxation_error
from qiskit_aer.noise.device import basic_device_gate_errors
from qiskit_ibm_runtime.fake_provider import FakeSherbrooke, FakeTorino

from quantumlimits.execution.aer import sub_target
from quantumlimits.execution.backends import load_snapshot
from quantumlimits.execution.density import _superop, error_superop, gate_channels


def _reference(error) -> np.ndarray:
    return _superop(Kraus(error.to_quantumchannel()).data)


@pytest.mark.parametrize("backend", [FakeSherbrooke, FakeTorino], ids=["ecr", "cz"])
def test_device_errors_match_qiskit_conversion(backend) -> None:
    target = sub_target(backend().target, (0, 1, 2, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        errors = basic_device_gate_errors(target=target)
    assert any(len(q) == 2 for _, q, _ in errors)
    for name, qubits, error in errors:
        assert np.allclose(error_superop(error), _reference(error), atol=1e-12), (name, qubits)


def test_composed_errors_on_reversed_and_single_qubits() -> None:
    relax = thermal_relaxation_error(100e-6, 80e-6, 400e-9)
    one_then_other = (
        depolarizing_error(0.02, 2)
        .compose(relax, qargs=[1])
        .compose(
            thermal_relaxation_error(50e-6, 30e-6, 400e-9, excited_state_population=0.1), qargs=[0]
        )
    )
    assert np.allclose(error_superop(one_then_other), _reference(one_then_other), atol=1e-12)
    assert not np.allclose(error_superop(one_then_other), _reference(relax.tensor(relax)))


def _aer_channels(target) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        errors = basic_device_gate_errors(target=target)
    return {(name, tuple(q)): _reference(error) for name, q, error in errors}


@pytest.mark.parametrize(
    ("name", "qubits"),
    [
        ("fake_sherbrooke", (0, 1, 2, 3, 14)),  # ECR, one direction per pair
        ("fake_torino", (0, 1, 2, 3, 4, 5)),  # CZ
        ("fake_brussels", tuple(range(12))),  # a snapshot with dead couplers (error 1.0)
        ("fake_cusco", tuple(range(10))),
        ("quantinuum_h1_1@2024-04-10", (0, 1, 2, 3)),  # a spec: no T1/T2, errors only
    ],
)
def test_gate_channels_from_calibration_equal_aers_errors(name: str, qubits: tuple) -> None:
    """The channels built from the calibration figures equal Aer's errors, converted by Qiskit,
    for every instruction of the device's qubits (relaxation and depolarizing terms, the
    truncation of T2 and of unphysical errors)."""
    target = sub_target(load_snapshot(name).target, qubits)
    ours = gate_channels(target)
    theirs = _aer_channels(target)
    assert ours.keys() == theirs.keys()
    assert any(len(q) == 2 for _, q in ours)
    for key, channel in theirs.items():
        assert np.allclose(ours[key], channel, atol=1e-12), key


def test_gate_channels_clip_an_unphysical_error_and_a_long_t2() -> None:
    from qiskit.circuit.library import CZGate, SXGate
    from qiskit.transpiler import InstructionProperties, QubitProperties, Target

    target = Target(
        num_qubits=2,
        qubit_properties=[QubitProperties(t1=50e-6, t2=400e-6), QubitProperties(t1=80e-6)],
    )
    target.add_instruction(
        SXGate(),
        {(0,): InstructionProperties(duration=5e-8, error=0.9), (1,): None},
    )
    target.add_instruction(CZGate(), {(0, 1): InstructionProperties(duration=6e-7, error=0.3)})
    ours = gate_channels(target)
    theirs = _aer_channels(target)
    assert ours.keys() == theirs.keys() == {("sx", (0,)), ("cz", (0, 1))}
    for key, channel in theirs.items():
        assert np.allclose(ours[key], channel, atol=1e-12), key
