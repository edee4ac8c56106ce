"""The time-to-accuracy measurement: clocks, counts, targets and seeds."""

from __future__ import annotations

import pytest

from quantumlimits.classify.datasets import load_dataset, split_and_scale
from quantumlimits.classify.quantum import QuantumClassifier
from quantumlimits.classify.settings import parse_models, parse_target
from quantumlimits.classify.trainer import (
    QuantumSettings,
    run_classify,
    train_quantum,
)
from quantumlimits.errors import UsageError
from quantumlimits.execution.cost import QpuCostModel


def _split():  # type: ignore[no-untyped-def]
    return split_and_scale(load_dataset(name="moons", n_samples=80, seed=1), seed=1, max_features=2)


def test_executions_follow_parameter_shift_count() -> None:
    cost = QpuCostModel(
        device_model="x", calibration_date=None, circuit_seconds=0.0, rep_delay_seconds=1e-3
    )
    est = QuantumClassifier(layers=2, max_steps=4, batch_size=10, random_state=3)
    run = train_quantum(estimator=est, split=_split(), cost=cost, shots=50, eval_every=2)
    P = est.ansatz_.n_trainable_gates
    assert run.curve.steps == (2, 4)
    assert run.curve.executions == (2 * 10 * (2 * P + 1), 4 * 10 * (2 * P + 1))
    assert run.curve.shots[-1] == run.curve.executions[-1] * 50
    # one 2 s sub-job per step plus 1 ms per shot
    assert run.curve.qpu_seconds[-1] == pytest.approx(4 * 2.0 + run.curve.shots[-1] * 1e-3)


def test_stop_at_ends_at_first_success_and_clock_excludes_eval() -> None:
    est = QuantumClassifier(max_steps=200, random_state=0)
    run = train_quantum(estimator=est, split=_split(), cost=None, shots=1, stop_at=0.8)
    assert run.final_accuracy >= 0.8
    assert all(a < 0.8 for a in run.curve.accuracy[:-1])
    assert run.curve.qpu_seconds[-1] == 0.0
    assert run.eval_seconds > 0


def test_run_classify_relative_target_and_not_reached() -> None:
    ds = load_dataset(name="moons", n_samples=80, seed=2)
    result = run_classify(
        dataset=ds,
        models=("dummy", "logreg", "vqc-angle"),
        target="rel:1.0",
        n_seeds=2,
        shots=10,
        device_model=None,
        quantum=QuantumSettings(max_steps=3),
    )
    best = result.model("logreg").median_final_accuracy
    assert result.target == pytest.approx(best)
    dummy = result.model("dummy").summary(result.target, clock="wall", price_per_second=1)
    assert dummy.reached == 0 and dummy.runs == 2 and dummy.median is None
    q = result.model("vqc-angle")
    assert len(q.runs) == 2 and q.runs[0].seed != q.runs[1].seed
    assert q.qpu is None and result.calibration_date is None


def test_seeds_reproduce() -> None:
    ds = load_dataset(name="circles", n_samples=60, seed=2)
    kwargs = {
        "dataset": ds,
        "models": ("vqc-reupload",),
        "target": "0.9",
        "n_seeds": 1,
        "device_model": None,
        "quantum": QuantumSettings(max_steps=4),
    }
    a = run_classify(seed=5, **kwargs)  # type: ignore[arg-type]
    b = run_classify(seed=5, **kwargs)  # type: ignore[arg-type]
    assert (
        a.model("vqc-reupload").runs[0].curve.accuracy
        == b.model("vqc-reupload").runs[0].curve.accuracy
    )
    assert a.seeds == b.seeds


def test_parsers_and_errors() -> None:
    assert parse_target("0.9") == ("abs", 0.9)
    assert parse_models("svc,svc,logreg") == ("svc", "logreg")
    for bad in ("0", "1.2", "rel:0", "x"):
        with pytest.raises(UsageError, match="--target"):
            parse_target(bad)
    with pytest.raises(UsageError, match="unknown model 'svm'"):
        parse_models("svm")
    with pytest.raises(UsageError, match="relative --target needs a classical model"):
        run_classify(
            dataset=load_dataset(name="moons", n_samples=20),
            models=("vqc-angle",),
            target="rel:0.9",
            device_model=None,
        )


def test_noisy_eval_records_device_noise_accuracy() -> None:
    from quantumlimits.classify.results import ClassifyResult

    ds = load_dataset(name="moons", n_samples=40, seed=3)
    result = run_classify(
        dataset=ds,
        models=("vqc-reupload",),
        target="0.8",
        n_seeds=1,
        shots=200,
        device_model="fake_torino",
        quantum=QuantumSettings(max_steps=20, layers=1),
        noisy_eval=True,
    )
    (run,) = result.model("vqc-reupload").runs
    assert run.noisy_accuracy is not None and 0.5 <= run.noisy_accuracy <= 1.0
    assert abs(run.noisy_accuracy - run.final_accuracy) <= 0.25
    assert result.timings["noisy_eval_seconds"] > 0
    assert ClassifyResult.from_json(result.to_json()) == result


def test_qubit_budget_binds_only_quantum_runs() -> None:
    ds = load_dataset(name="breast_cancer")
    result = run_classify(
        dataset=ds, models=("logreg",), target="0.9", n_seeds=1, qubits=4, device_model=None
    )
    assert result.dataset["n_features"] == 30
    with pytest.raises(UsageError, match="qubit budget of 4"):
        run_classify(
            dataset=ds,
            models=("logreg", "vqc-angle"),
            target="0.9",
            n_seeds=1,
            qubits=4,
            device_model=None,
        )


def test_device_and_calibration_recorded_without_quantum_models() -> None:
    result = run_classify(
        dataset=load_dataset(name="moons", n_samples=30),
        models=("logreg",),
        target="0.9",
        n_seeds=1,
        device_model="fake_torino",
    )
    assert result.device_model == "fake_torino"
    assert result.calibration_date is not None and result.calibration_date.startswith("2025-02")


def test_grid_records_finite_hyperparameters_and_the_search() -> None:
    """A grid search's own parameters hold ``error_score=nan``: the document keeps the chosen
    estimator's parameters and what was searched, all valid JSON."""
    import json

    ds = load_dataset(name="moons", n_samples=60, seed=4)
    result = run_classify(
        dataset=ds,
        models=("dummy", "logreg", "svc"),
        target="0.8",
        n_seeds=1,
        device_model=None,
        grid=True,
    )
    svc = result.model("svc-grid")
    search = svc.hyperparameters["search"]
    assert search["grid"] == {"C": [0.3, 1.0, 3.0, 10.0], "gamma": ["scale", 0.3, 1.0]}
    assert svc.hyperparameters["C"] == search["best_params"]["C"]
    assert search["cv_splits"] == 3 and 0 < search["best_cv_accuracy"] <= 1
    assert "search" not in result.model("dummy").hyperparameters
    json.dumps(result.to_dict(), allow_nan=False)
