"""The entanglement-free variant of each quantum model: same parameters, no entangling gate."""

from __future__ import annotations

import pytest

from quantumlimits.classify.ansatz import build_ansatz
from quantumlimits.classify.datasets import load_dataset
from quantumlimits.classify.settings import QUANTUM, entangles, parse_models
from quantumlimits.classify.trainer import QuantumSettings, run_classify


def test_every_quantum_model_has_its_variant_in_all() -> None:
    every = parse_models("all")
    entangled = [m for m in QUANTUM if entangles(m)]
    assert len(entangled) == 3
    for name in entangled:
        assert name in every and f"{name}-noent" in every
        assert QUANTUM[f"{name}-noent"] == QUANTUM[name]


@pytest.mark.parametrize("architecture", ["reupload", "angle", "iqp"])
def test_no_entangling_gate_and_the_same_parameters(architecture: str) -> None:
    full = build_ansatz(architecture=architecture, n_qubits=3, n_features=3, layers=2)
    free = build_ansatz(
        architecture=architecture, n_qubits=3, n_features=3, layers=2, entangle=False
    )
    assert any(len(g.wires) == 2 for g in full.gates)
    assert all(len(g.wires) == 1 for g in free.gates)
    assert (free.n_params, free.n_trainable_gates) == (full.n_params, full.n_trainable_gates)


def test_the_variant_runs_beside_its_model() -> None:
    result = run_classify(
        dataset=load_dataset(name="moons", n_samples=40, seed=1),
        models=("vqc-iqp", "vqc-iqp-noent"),
        target="0.8",
        n_seeds=1,
        device_model="fake_torino",
        quantum=QuantumSettings(max_steps=3, layers=1),
    )
    full, free = result.model("vqc-iqp"), result.model("vqc-iqp-noent")
    assert full.n_params == free.n_params
    assert free.hyperparameters["entangle"] is False and full.hyperparameters["entangle"] is True
    assert free.description.endswith("no entanglement")
    assert full.runs[0].seed == free.runs[0].seed
    # fewer two-qubit gates on the device: a shorter circuit to project
    assert free.qpu is not None and full.qpu is not None
    assert free.qpu["circuit_seconds"] < full.qpu["circuit_seconds"]
