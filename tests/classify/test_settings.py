"""ClassifySettings: validation that names the field and flag, the round trip, old records."""

from __future__ import annotations

import pytest

from quantumlimits.classify import classical, datasets
from quantumlimits.classify.settings import (
    CLASSICAL_NAMES,
    DEFAULT_PRICE_PER_SECOND,
    MODELS,
    ClassifySettings,
)
from quantumlimits.errors import UsageError
from quantumlimits.execution import qpu_time


def test_names_kept_in_step_with_the_modules_that_use_them() -> None:
    assert tuple(classical.CLASSICAL) == CLASSICAL_NAMES
    assert datasets.DATASETS[0] == "linearly_separable"
    assert DEFAULT_PRICE_PER_SECOND == qpu_time.USD_PER_QPU_SECOND
    from quantumlimits.classify import ansatz, settings

    assert settings.READOUTS == ansatz.READOUTS


def test_inputs_recorded_before_the_readout_read_back_as_qubit_0() -> None:
    from quantumlimits.classify import study

    old = ClassifySettings(readout="mean").to_dict()
    del old["readout"]
    assert ClassifySettings.from_dict(old).readout == "z0"
    assert ClassifySettings.from_dict(old).quantum.readout == "z0"
    assert ClassifySettings().readout == "z0" and study.DEFAULT.readout == "mean"


def test_round_trip_and_defaults() -> None:
    s = ClassifySettings(
        dataset="moons,circles", models="all", width=4, batch_size=8, device_model="none"
    )
    assert s.dataset == ("moons", "circles") and s.models == MODELS
    assert s.device_model is None and s.quantum.n_qubits == 4 and s.quantum.batch_size == 8
    assert ClassifySettings.from_dict(s.to_dict()) == s
    csv = ClassifySettings(dataset=None, data="x/wine.csv", label="cultivar")
    assert csv.dataset == () and csv.names == ("wine",)
    assert ClassifySettings.from_dict(csv.to_dict()) == csv


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"seeds": 0}, "seeds (--seeds) must be at least 1, got 0"),
        ({"max_steps": 0}, "max_steps (--max-steps) must be at least 1"),
        ({"width": 0}, "width (--width) must be at least 1 when given"),
        ({"learning_rate": 0.0}, "learning_rate (--lr) must be positive"),
        ({"test_size": 1.0}, "test_size (--test-size) must lie in (0, 1)"),
        ({"seed": -1}, "seed (--seed) must be a non-negative integer"),
        ({"engine": "gpu"}, "engine (--engine) must be one of numpy, pennylane, lightning"),
        ({"readout": "z1"}, "readout (--readout) must be one of z0, mean, got 'z1'"),
        ({"price_per_second": -1.0}, "price_per_second (--price-per-second)"),
        ({"target": "2"}, "outside (0, 1]"),
        ({"models": "svm"}, "unknown model 'svm'"),
        ({"dataset": "moons,moons"}, "more than once"),
        ({"target": "rel:0.9", "models": "dummy,vqc-angle"}, "relative --target"),
        ({"noisy_eval": True, "device_model": "none"}, "--noisy-eval needs"),
        ({"data": "a.csv"}, "pass either --dataset or --data"),
        ({"label": "y"}, "--label and --positive-class go with --data"),
    ],
)
def test_each_mistake_names_its_field_and_flag(changes: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError) as info:
        ClassifySettings(**changes)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_device_runs_recorded_before_settings_read_back() -> None:
    """Inputs a ``classify --backend`` run recorded before ClassifySettings: the arguments."""
    old = {
        "command": "classify",
        "backend": "ibm_torino",
        "seed": 3,
        "args": {
            "backend": "ibm_torino",
            "batch_size": None,
            "dask": None,
            "data": None,
            "dataset": None,
            "device_model": "fake_torino",
            "engine": "numpy",
            "eval_every": 1,
            "features": None,
            "grid": False,
            "label": None,
            "layers": 3,
            "lr": 0.1,
            "max_steps": 20,
            "models": "all",
            "no_entangle": True,
            "noise": 0.1,
            "noisy_eval": False,
            "out": "results/classify",
            "positive_class": None,
            "price_per_second": 1.6,
            "qubits": 8,
            "samples": 30,
            "seed": 3,
            "seeds": 5,
            "shots": 1000,
            "target": "0.9",
            "test_size": 0.3,
            "train_on_backend": False,
            "width": None,
        },
    }
    s = ClassifySettings.from_dict(old)
    assert s.dataset == ("moons",) and s.backend == "ibm_torino" and not s.entangle
    assert s.max_steps == 20 and s.samples == 30 and s.models == MODELS


def test_settings_from_a_newer_version_are_refused() -> None:
    with pytest.raises(UsageError, match="newer quantumlimits"):
        ClassifySettings.from_dict({**ClassifySettings().to_dict(), "quantum_magic": 1})
