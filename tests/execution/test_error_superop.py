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
from quantumlimits.execution.density import _superop, error_superop


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
