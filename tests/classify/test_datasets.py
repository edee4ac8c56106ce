"""Datasets: seeded, the right shapes, CSV input and the errors a user can make."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quantumlimits.classify.datasets import (
    DATASETS,
    REAL,
    load_csv,
    load_dataset,
    split_and_scale,
)
from quantumlimits.errors import UsageError


@pytest.mark.parametrize("name", DATASETS)
def test_every_dataset_is_binary_and_seeded(name: str) -> None:
    a = load_dataset(name=name, n_samples=60, n_features=4, seed=5)
    b = load_dataset(name=name, n_samples=60, n_features=4, seed=5)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert set(np.unique(a.y)) == {0, 1}
    assert a.X.ndim == 2 and len(a.X) == len(a.y)
    if name not in REAL:
        assert len(a.y) == 60
        other = load_dataset(name=name, n_samples=60, n_features=4, seed=6)
        assert not np.array_equal(a.X, other.X)


def test_shapes_follow_parameters() -> None:
    assert load_dataset(name="hidden_manifold", n_features=5, seed=0).X.shape == (200, 5)
    assert load_dataset(name="bars_and_stripes", n_features=9, seed=0).X.shape == (200, 9)
    assert load_dataset(name="digits35", seed=0).X.shape[1] == 64


def test_linearly_separable_is_separable() -> None:
    from sklearn.svm import LinearSVC

    ds = load_dataset(name="linearly_separable", n_samples=100, n_features=3, seed=1)
    assert LinearSVC(C=1000, max_iter=20000).fit(ds.X, ds.y).score(ds.X, ds.y) == 1.0


def test_split_is_stratified_scaled_on_train_and_reproducible() -> None:
    ds = load_dataset(name="moons", n_samples=100, seed=0)
    s = split_and_scale(ds, test_size=0.3, seed=4, max_features=2)
    t = split_and_scale(ds, test_size=0.3, seed=4, max_features=2)
    np.testing.assert_array_equal(s.X_test, t.X_test)
    assert len(s.y_test) == 30 and s.y_test.sum() == 15
    np.testing.assert_allclose(s.X_train.min(0), 0.0)
    np.testing.assert_allclose(s.X_train.max(0), np.pi)


def test_pca_reduces_real_data_and_budget_is_checked() -> None:
    ds = load_dataset(name="breast_cancer")
    with pytest.raises(
        UsageError, match=r"30 features, more than the qubit budget of 4.*--features 4"
    ):
        split_and_scale(ds, seed=0, max_features=4)
    s = split_and_scale(ds, seed=0, max_features=4, n_components=3)
    assert s.X_train.shape[1] == 3 and s.pca_components == 3


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_round_trip_and_one_vs_rest(tmp_path: Path) -> None:
    f = _write(tmp_path / "d.csv", "a,b,kind\n1,2,x\n3,4,y\n5,6,z\n7,8,x\n")
    ds = load_csv(path=f, label="kind")
    assert ds.X.shape == (4, 2) and ds.n_classes == 3
    ovr = load_csv(path=f, label="kind", positive_class="x")
    assert ovr.y.tolist() == [1, 0, 0, 1]


@pytest.mark.parametrize(
    ("text", "label", "message"),
    [
        ("a,b,c\n1,,0\n", "c", "missing value"),
        ("a,b,c\n1,zz,0\n", "c", "non-numeric value 'zz'"),
        ("a,b,c\n1,2,0\n", "label", "'label' is not a column"),
        ("a,b,c\n1,2\n", "c", "has 2 values"),
        ("", "c", "is empty"),
        ("a,b,c\n", "c", "no data rows"),
        ("a,b,c\n1,nan,0\n", "c", "finite"),
    ],
)
def test_csv_errors_are_one_clear_line(tmp_path: Path, text: str, label: str, message: str) -> None:
    f = _write(tmp_path / "bad.csv", text)
    with pytest.raises(UsageError, match=message) as info:
        load_csv(path=f, label=label)
    assert "\n" not in str(info.value)


def test_single_class_and_unknown_names_raise(tmp_path: Path) -> None:
    f = _write(tmp_path / "one.csv", "a,c\n1,0\n2,0\n3,0\n")
    with pytest.raises(UsageError, match="single class"):
        split_and_scale(load_csv(path=f, label="c"), seed=0, max_features=4)
    with pytest.raises(UsageError, match="unknown dataset 'moon'"):
        load_dataset(name="moon")
    with pytest.raises(UsageError, match="cannot read"):
        load_csv(path=tmp_path / "absent.csv", label="c")
