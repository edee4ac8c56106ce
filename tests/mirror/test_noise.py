"""The Pauli-twirled noise model: Pauli errors only, gate errors as calibrated."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import Chi

from quantumlimits.execution.aer import noise_model_for
from quantumlimits.execution.backends import load_snapshot
from quantumlimits.execution.stabilizer import (
    average_gate_error,
    pauli_channel,
    twirled_channels,
    twirled_noise_model,
)


@pytest.fixture(scope="module")
def target():  # type: ignore[no-untyped-def]
    return load_snapshot("fake_torino").target


def test_model_contains_only_pauli_errors(target) -> None:  # type: ignore[no-untyped-def]
    model = twirled_noise_model(target, (0, 1, 2, 3))
    d = model.to_dict()
    assert d["errors"], "the model should not be empty"
    kinds = {e["type"] for e in d["errors"]}
    assert kinds <= {"qerror", "roerror"}
    for error in d["errors"]:
        if error["type"] == "qerror":
            for ops in error["instructions"]:
                assert all(op["name"] in ("pauli", "id", "x", "y", "z") for op in ops), ops


def test_gate_error_matches_the_calibration(target) -> None:  # type: ignore[no-untyped-def]
    channels = twirled_channels(target)
    qp = target.qubit_properties
    matched = relaxation_bound = 0
    for (name, qargs), channel in channels.items():
        props = target[name][qargs]
        if not props.error or name not in ("cz", "sx", "x") or props.error >= 0.5:
            continue
        relaxation_only = pauli_channel(
            error=None,
            duration=props.duration,
            t1=[qp[q].t1 for q in qargs],
            t2=[qp[q].t2 for q in qargs],
        )
        if average_gate_error(relaxation_only) <= props.error:
            assert average_gate_error(channel) == pytest.approx(props.error, rel=1e-6)
            matched += 1
        else:
            # T1/T2 alone exceed the calibrated error: relaxation is kept, as Aer does.
            assert average_gate_error(channel) == pytest.approx(
                average_gate_error(relaxation_only), rel=1e-9
            )
            relaxation_bound += 1
    assert matched > 300
    assert relaxation_bound < matched / 10


def test_channel_is_the_twirl_of_aers_device_channel(target) -> None:  # type: ignore[no-untyped-def]
    # The Pauli probabilities are the diagonal of the chi matrix of Aer's own device error.
    qubits = (0, 1)
    aer_model = noise_model_for(target, qubits)
    local_qargs = next(q for q in ((0, 1), (1, 0)) if q in aer_model._local_quantum_errors["cz"])
    aer_error = aer_model._local_quantum_errors["cz"][local_qargs]
    chi = np.real(np.diag(Chi(aer_error).data)) / 4
    physical = tuple(qubits[i] for i in local_qargs)
    props = target["cz"][physical]
    qp = target.qubit_properties
    mine = pauli_channel(
        error=props.error,
        duration=props.duration,
        t1=[qp[q].t1 for q in physical],
        t2=[qp[q].t2 for q in physical],
    )
    labels = [a + b for a in "IXYZ" for b in "IXYZ"]
    # Chi's basis index: qubit 0 is the fastest index, so label order is "q1 q0".
    chi_by_label = {labels[i]: chi[i] for i in range(16)}
    for label, p in mine.items():
        assert p == pytest.approx(chi_by_label[label], abs=1e-9), label


def test_readout_is_a_classical_flip(target) -> None:  # type: ignore[no-untyped-def]
    model = twirled_noise_model(target, (5,))
    ro = [e for e in model.to_dict()["errors"] if e["type"] == "roerror"]
    p = target["measure"][(5,)].error
    assert len(ro) == 1
    assert np.allclose(ro[0]["probabilities"], [[1 - p, p], [p, 1 - p]])
