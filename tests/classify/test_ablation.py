"""The entanglement-free variant of each quantum model: same parameters, no entangling gate."""

from __future__ import annotations

import numpy as np
import pytest

from quantumlimits.classify import study
from quantumlimits.classify.ansatz import build_ansatz
from quantumlimits.classify.datasets import load_dataset
from quantumlimits.classify.settings import QUANTUM, entangles, parse_models
from quantumlimits.classify.statevector import StatevectorModel
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


def _readouts(
    architecture: str, *, n_qubits: int, layers: int, readout: str = "z0"
) -> tuple[np.ndarray, np.ndarray]:
    """The readout of the entangled circuit and of its variant, at the same data and parameters."""
    full, free = (
        build_ansatz(
            architecture=architecture,
            n_qubits=n_qubits,
            n_features=n_qubits,
            layers=layers,
            entangle=entangle,
            readout=readout,
        )
        for entangle in (True, False)
    )
    gen = np.random.default_rng(7)
    x = gen.uniform(0.0, np.pi, size=(32, n_qubits))
    theta = gen.uniform(0.0, 2 * np.pi, size=full.n_params)
    return StatevectorModel(full).expectation(x, theta), StatevectorModel(free).expectation(
        x, theta
    )


def test_one_angle_layer_hides_its_entanglement_from_the_readout() -> None:
    # The angle model's CZ ring comes after its only variational layer: CZ is diagonal and
    # commutes with Z_0, so with one layer the two variants are the same function.
    full, free = _readouts("angle", n_qubits=2, layers=1)
    np.testing.assert_allclose(full, free, atol=1e-12)


@pytest.mark.parametrize("model", [m for m in study.QUICK.models if m in QUANTUM and entangles(m)])
def test_the_quick_study_ablation_compares_different_functions(model: str) -> None:
    s = study.QUICK
    assert f"{model}-noent" in s.models
    full, free = _readouts(
        QUANTUM[model], n_qubits=s.width or s.features or 2, layers=s.layers, readout=s.readout
    )
    assert np.max(np.abs(full - free)) > 1e-3


@pytest.mark.parametrize("readout", ["z0", "mean"])
def test_what_two_angle_layers_read_on_four_qubits(readout: str) -> None:
    # The documented study's angle model (4 qubits, 2 layers): only the first CZ ring acts, so
    # <Z_0> sees qubit 0 and its ring neighbours 1 and 3, never feature 2; the mean readout
    # sees every feature (docs/classify.md, "What the readout changed").
    a = build_ansatz(architecture="angle", n_qubits=4, n_features=4, layers=2, readout=readout)
    gen = np.random.default_rng(11)
    x = gen.uniform(0.0, np.pi, size=(16, 4))
    theta = gen.uniform(0.0, 2 * np.pi, size=a.n_params)
    sim = StatevectorModel(a)
    base = sim.expectation(x, theta)
    moved = []
    for feature in range(4):
        shifted = x.copy()
        shifted[:, feature] += 0.7
        moved.append(float(np.max(np.abs(sim.expectation(shifted, theta) - base))))
    seen = [m > 1e-6 for m in moved]
    assert seen == ([True, True, False, True] if readout == "z0" else [True] * 4)
