"""QuantumClassifier: the scikit-learn contract, engines that agree, seeds that reproduce."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_moons
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import parametrize_with_checks

from quantumlimits.classify.quantum import QuantumClassifier


# Every check applies and passes, so the expected failures are empty; a binary-only model meets
# the multiclass checks by raising sklearn's "Only binary classification" ValueError.
@parametrize_with_checks(
    [QuantumClassifier(layers=2, max_steps=30, random_state=0)],
    expected_failed_checks=lambda estimator: {},
)
def test_sklearn_contract(estimator: QuantumClassifier, check: Callable[..., None]) -> None:
    check(estimator)


def _moons() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_moons(n_samples=80, noise=0.1, random_state=0)
    return (X - X.min(0)) / (X.max(0) - X.min(0)) * np.pi, y


@pytest.mark.parametrize("readout", ["z0", "mean"])
@pytest.mark.parametrize("engine", ["pennylane", "lightning"])
def test_engines_train_to_the_same_parameters(engine: str, readout: str) -> None:
    X, y = _moons()
    X, y = X[:12], y[:12]
    kwargs = {
        "architecture": "reupload",
        "layers": 2,
        "max_steps": 3,
        "random_state": 4,
        "readout": readout,
    }
    ours = QuantumClassifier(engine="numpy", **kwargs).fit(X, y)  # type: ignore[arg-type]
    theirs = QuantumClassifier(engine=engine, **kwargs).fit(X, y)  # type: ignore[arg-type]
    np.testing.assert_allclose(ours.params_, theirs.params_, atol=1e-9)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, atol=1e-9)


@pytest.mark.parametrize("architecture", ["angle", "reupload", "iqp"])
def test_learns_moons(architecture: str) -> None:
    X, y = _moons()
    clf = QuantumClassifier(architecture=architecture, max_steps=60, random_state=2).fit(X, y)
    assert clf.score(X, y) >= 0.8
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_same_seed_same_model_and_other_seed_differs() -> None:
    X, y = _moons()
    a = QuantumClassifier(max_steps=5, random_state=7, batch_size=16).fit(X, y)
    b = QuantumClassifier(max_steps=5, random_state=7, batch_size=16).fit(X, y)
    c = QuantumClassifier(max_steps=5, random_state=8, batch_size=16).fit(X, y)
    np.testing.assert_array_equal(a.params_, b.params_)
    assert not np.allclose(a.params_, c.params_)


def test_string_labels_and_probabilities() -> None:
    X, y = _moons()
    labels = np.where(y == 1, "yes", "no")
    clf = QuantumClassifier(max_steps=30, random_state=0).fit(X, labels)
    assert list(clf.classes_) == ["no", "yes"]
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict(X)) <= {"no", "yes"}


def test_works_inside_grid_search_and_clone() -> None:
    X, y = _moons()
    search = GridSearchCV(
        QuantumClassifier(max_steps=10, random_state=0), {"layers": [1, 2]}, cv=2
    ).fit(X, y)
    assert search.best_params_["layers"] in (1, 2)
    assert clone(search.best_estimator_).get_params()["max_steps"] == 10


def test_bad_parameters_raise_on_fit() -> None:
    X, y = _moons()
    with pytest.raises(ValueError, match="engine"):
        QuantumClassifier(engine="gpu").fit(X, y)
    with pytest.raises(ValueError, match="readout must be one of"):
        QuantumClassifier(readout="x").fit(X, y)
    with pytest.raises(ValueError, match="learning_rate"):
        QuantumClassifier(learning_rate=0).fit(X, y)
    with pytest.raises(ValueError, match="do not fit"):
        QuantumClassifier(n_qubits=1).fit(X, y)
