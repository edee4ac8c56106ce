"""Multiclass: the quantum models one-vs-rest, every model on a three-class CSV."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from quantumlimits.classify.quantum import OneVsRestQuantumClassifier, QuantumClassifier
from quantumlimits.classify.settings import MODELS
from quantumlimits.cli import main


def _wine_csv(path: Path) -> Path:
    from sklearn.datasets import load_wine

    bunch = load_wine()
    names = [n.replace("/", "_") for n in bunch.feature_names]
    lines = [",".join([*names, "cultivar"])]
    for row, label in zip(bunch.data, bunch.target, strict=True):
        lines.append(",".join([*(f"{v:g}" for v in row), f"c{label}"]))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_one_vs_rest_is_the_binary_model_on_two_classes() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.uniform(0, 3, size=(30, 2)), np.array([0, 1] * 15)
    a = OneVsRestQuantumClassifier(layers=1, max_steps=4, random_state=5).fit(X, y)
    b = QuantumClassifier(layers=1, max_steps=4, random_state=5).fit(X, y)
    assert a.n_models_ == 1 and np.array_equal(a.params_, b.params_)
    assert np.array_equal(a.predict(X), b.predict(X))


def test_one_vs_rest_trains_one_model_per_class_in_lockstep() -> None:
    rng = np.random.default_rng(1)
    X, y = rng.uniform(0, 3, size=(30, 2)), np.array(["a", "b", "c"] * 10)
    clf = OneVsRestQuantumClassifier(layers=1, max_steps=3, batch_size=4, random_state=2)
    steps = list(clf.iter_fit(X, y))
    assert [s.batch_size for s in steps] == [12, 12, 12]  # 3 models x 4 samples per step
    assert clf.n_models_ == 3 and clf.estimators_ is not None
    seeds = {m.random_state for m in clf.estimators_}
    assert len(seeds) == 3
    assert set(clf.predict(X)) <= {"a", "b", "c"}
    p = clf.predict_proba(X)
    assert p.shape == (30, 3) and np.allclose(p.sum(axis=1), 1.0)


def test_every_model_runs_on_a_three_class_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = _wine_csv(tmp_path / "wine.csv")
    out = tmp_path / "out"
    argv = ["classify", "--data", str(csv), "--label", "cultivar", "--models", "all"]
    argv += ["--features", "3", "--seeds", "1", "--max-steps", "3", "--layers", "1"]
    argv += ["--device-model", "none", "--target", "0.8", "--out", str(out), "--no-store"]
    assert main(argv) == 0, capsys.readouterr().err
    doc = json.loads((out / "classify.json").read_text())
    assert [m["name"] for m in doc["models"]] == list(MODELS)
    assert doc["dataset"]["train_class_counts"].keys() == {"c0", "c1", "c2"}
    n_train = doc["dataset"]["n_train"]
    for model in doc["models"]:
        (run,) = model["runs"]
        assert all(0.0 <= a <= 1.0 for a in run["curve"]["accuracy"])
        if model["family"] == "quantum":
            # one-vs-rest: three binary circuits models, three times the executions per step
            executions = run["curve"]["executions"]
            per_step = executions[0]
            assert per_step % (3 * n_train) == 0
            assert executions == [per_step * (i + 1) for i in range(3)]
            assert model["n_params"] % 3 == 0
    svc = next(m for m in doc["models"] if m["name"] == "svc")
    assert svc["median_final_accuracy"] > 0.8  # the classical side sees all three classes
