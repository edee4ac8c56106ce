"""Classification tasks as sklearn-style ``(X, y)``, seeded, plus the split every model shares.

Synthetic generators follow the spirit of Bowles, Ahmed & Schuld, "Better than classical? The
subtle art of benchmarking quantum machine learning models" (2024, the qml-benchmarks suite);
they are re-implemented here with local generators (the suite seeds the global ``np.random``).
Real data ships inside scikit-learn (no download). A user's CSV is read with the standard library.

>>> ds = load_dataset(name="moons", n_samples=40, seed=3)
>>> ds.X.shape, sorted(set(ds.y.tolist()))
((40, 2), [0, 1])
>>> split = split_and_scale(ds, test_size=0.3, seed=3, max_features=4)
>>> split.X_train.shape, split.X_test.shape, float(split.X_train.min()), float(split.X_train.max())
((28, 2), (12, 2), 0.0, 3.141592653589793)
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from quantumlimits.classify.settings import DATASETS, REAL, SYNTHETIC
from quantumlimits.errors import UsageError
from quantumlimits.seeding import rng as seeded_rng

#: Seeding streams of this module (distinct from the QV streams in quantumlimits.seeding).
STREAM_DATA = 20
STREAM_SPLIT = 21


@dataclass(frozen=True)
class Dataset:
    """Features ``X`` (n, d), labels ``y`` (n,), and where they came from."""

    name: str
    X: np.ndarray
    y: np.ndarray
    description: str
    params: dict[str, object] = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        """Number of distinct labels."""
        return len(np.unique(self.y))


@dataclass(frozen=True)
class Split:
    """A stratified train/test split, scaled to ``[0, π]`` by a scaler fitted on train only."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    pca_components: int | None


def _sk_seed(seed: int, *key: int) -> int:
    return int(seeded_rng(seed, *key).integers(2**31 - 1))


def linearly_separable(
    *, n_samples: int, n_features: int, margin: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points in [-1, 1]^d labelled by a random hyperplane, with a gap of ``margin``."""
    gen = seeded_rng(seed, STREAM_DATA, 1)
    w = gen.normal(size=n_features)
    w /= np.linalg.norm(w)
    X = np.empty((0, n_features))
    while len(X) < n_samples:
        cand = gen.uniform(-1, 1, size=(4 * n_samples, n_features))
        X = np.vstack([X, cand[np.abs(cand @ w) > margin]])
    X = X[:n_samples]
    return X, (X @ w > 0).astype(int)


def two_curves(
    *, n_samples: int, n_features: int, degree: int, offset: float, noise: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Two copies of a 1-d curve (random cosine series of ``degree``) in d dimensions, shifted by
    ``±offset/√d`` in every coordinate: the curves are ``2·offset`` apart."""
    gen = seeded_rng(seed, STREAM_DATA, 2)
    coeffs = gen.normal(size=(degree, n_features)) / degree
    t = gen.uniform(0, 1, size=n_samples)
    freqs = np.arange(1, degree + 1)
    curve = np.cos(2 * np.pi * np.outer(t, freqs)) @ coeffs
    y = (gen.uniform(size=n_samples) < 0.5).astype(int)
    X = curve + np.where(y[:, None] == 1, offset, -offset) / math.sqrt(n_features)
    return X + noise * gen.normal(size=X.shape), y


def hidden_manifold(
    *, n_samples: int, n_features: int, manifold_dimension: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Goldt et al.'s hidden manifold model: latent z ~ N(0, I_m), X = tanh(zF/√m), labels from a
    random one-hidden-layer network of z, thresholded at the median."""
    gen = seeded_rng(seed, STREAM_DATA, 3)
    z = gen.normal(size=(n_samples, manifold_dimension))
    F = gen.normal(size=(manifold_dimension, n_features))
    X = np.tanh(z @ F / math.sqrt(manifold_dimension))
    W = gen.normal(size=(manifold_dimension, manifold_dimension))
    v = gen.normal(size=manifold_dimension)
    score = np.tanh(z @ W / math.sqrt(manifold_dimension)) @ v
    return X, (score > np.median(score)).astype(int)


def bars_and_stripes(
    *, n_samples: int, height: int, width: int, noise: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Small ±1 images of vertical bars (label 0) or horizontal stripes (label 1), plus noise.

    Uniform images (all +1 or all -1) are both a bar and a stripe pattern; they are redrawn, so the
    noiseless task is perfectly separable.
    """
    gen = seeded_rng(seed, STREAM_DATA, 4)
    X = np.empty((n_samples, height * width))
    y = (gen.uniform(size=n_samples) < 0.5).astype(int)
    for i in range(n_samples):
        size = width if y[i] == 0 else height
        pattern = gen.choice([-1.0, 1.0], size=size)
        while np.all(pattern == pattern[0]):
            pattern = gen.choice([-1.0, 1.0], size=size)
        if y[i] == 0:
            img = np.tile(pattern[None, :], (height, 1))
        else:
            img = np.tile(pattern[:, None], (1, width))
        X[i] = img.ravel()
    return X + noise * gen.normal(size=X.shape), y


def hyperplanes_parity(
    *, n_samples: int, n_features: int, n_hyperplanes: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian points labelled by the parity of their sides of ``n_hyperplanes`` hyperplanes."""
    gen = seeded_rng(seed, STREAM_DATA, 5)
    X = gen.normal(size=(n_samples, n_features))
    normals = gen.normal(size=(n_hyperplanes, n_features))
    sides = (X @ normals.T > 0).sum(axis=1)
    return X, (sides % 2).astype(int)


def load_dataset(
    *, name: str, n_samples: int = 200, n_features: int = 2, noise: float = 0.1, seed: int = 0
) -> Dataset:
    """The dataset ``name`` (see :data:`DATASETS`); real ones ignore ``n_samples`` and ``noise``.

    Real data reduced to binary tasks: breast_cancer (malignant vs benign), wine (class 0 vs rest),
    iris (versicolor vs virginica), digits35 (digit 3 vs digit 5, 64 pixels; reduce with PCA in
    :func:`split_and_scale`).
    """
    if n_samples < 4:
        raise UsageError(f"--samples must be at least 4, got {n_samples}")
    if n_features < 1:
        raise UsageError(f"--features must be positive, got {n_features}")
    if name in REAL:
        return _real(name)
    if name not in SYNTHETIC:
        raise UsageError(
            f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)} or pass --data FILE.csv"
        )
    # The generator parameters actually used: --noise and --features map onto each generator's own
    # scale here, and the mapping is recorded in the dataset's params.
    side = max(2, round(math.sqrt(n_features)))
    kwargs: dict[str, dict[str, Any]] = {
        "moons": {"n_samples": n_samples, "noise": noise},
        "circles": {"n_samples": n_samples, "noise": noise, "factor": 0.5},
        "linearly_separable": {
            "n_samples": n_samples,
            "n_features": n_features,
            "margin": 0.02 * n_features,
        },
        "two_curves": {
            "n_samples": n_samples,
            "n_features": n_features,
            "degree": 5,
            "offset": 0.1,
            "noise": 0.1 * noise,
        },
        "hidden_manifold": {
            "n_samples": n_samples,
            "n_features": n_features,
            "manifold_dimension": min(6, n_features),
        },
        "bars_and_stripes": {
            "n_samples": n_samples,
            "height": side,
            "width": side,
            "noise": 0.5 * noise,
        },
        "hyperplanes_parity": {
            "n_samples": n_samples,
            "n_features": n_features,
            "n_hyperplanes": 2,
        },
    }
    params = kwargs[name]
    if name == "moons":
        from sklearn.datasets import make_moons

        X, y = make_moons(**params, random_state=_sk_seed(seed, STREAM_DATA, 6))
    elif name == "circles":
        from sklearn.datasets import make_circles

        X, y = make_circles(**params, random_state=_sk_seed(seed, STREAM_DATA, 7))
    else:
        generators: dict[str, Any] = {
            "linearly_separable": linearly_separable,
            "two_curves": two_curves,
            "hidden_manifold": hidden_manifold,
            "bars_and_stripes": bars_and_stripes,
            "hyperplanes_parity": hyperplanes_parity,
        }
        X, y = generators[name](**params, seed=seed)
    return Dataset(
        name=name,
        X=np.asarray(X, dtype=float),
        y=np.asarray(y),
        description=f"synthetic {name}",
        params=params,
    )


def _real(name: str) -> Dataset:
    from sklearn import datasets as skd

    if name == "breast_cancer":
        bunch = skd.load_breast_cancer()
        X, y, desc = bunch.data, bunch.target, "breast cancer Wisconsin: malignant vs benign"
    elif name == "wine":
        bunch = skd.load_wine()
        X, y, desc = bunch.data, (bunch.target == 0).astype(int), "wine: cultivar 0 vs rest"
    elif name == "iris":
        bunch = skd.load_iris()
        keep = bunch.target > 0
        X, y, desc = (
            bunch.data[keep],
            (bunch.target[keep] == 2).astype(int),
            "iris: versicolor vs virginica",
        )
    else:
        bunch = skd.load_digits()
        keep = np.isin(bunch.target, (3, 5))
        X, y, desc = (
            bunch.data[keep],
            (bunch.target[keep] == 5).astype(int),
            "digits: 3 vs 5 (8x8 pixels)",
        )
    return Dataset(
        name=name, X=np.asarray(X, dtype=float), y=np.asarray(y), description=desc, params={}
    )


def load_csv(*, path: str | Path, label: str, positive_class: str | None = None) -> Dataset:
    """A CSV with a header row, numeric feature columns and the label column ``label``.

    With ``positive_class`` the task becomes one-vs-rest (that label against all others).
    """
    file = Path(path)
    try:
        with file.open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except OSError as exc:
        raise UsageError(f"cannot read --data {file}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"--data {file} is not UTF-8 text: pass a CSV file") from exc
    if not rows or not any(rows[0]):
        raise UsageError(f"--data {file} is empty: it needs a header row and data rows")
    header = [h.strip() for h in rows[0]]
    if label not in header:
        raise UsageError(
            f"--label {label!r} is not a column of {file}: its columns are {', '.join(header)}"
        )
    li = header.index(label)
    features = [h for i, h in enumerate(header) if i != li]
    if not features:
        raise UsageError(f"{file} has no feature columns besides the label {label!r}")
    X = np.empty((len(rows) - 1, len(features)))
    labels: list[str] = []
    for r, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise UsageError(
                f"{file} line {r} has {len(row)} values, the header has {len(header)}: fix the row"
            )
        values = [v.strip() for i, v in enumerate(row) if i != li]
        for c, v in enumerate(values):
            try:
                X[r - 2, c] = float(v)
            except ValueError:
                what = "a missing value" if v == "" else f"the non-numeric value {v!r}"
                raise UsageError(
                    f"{file} line {r}, column {features[c]!r} has {what}: features must be numbers"
                ) from None
            if not math.isfinite(X[r - 2, c]):
                raise UsageError(
                    f"{file} line {r}, column {features[c]!r} is {v!r}: "
                    "features must be finite numbers"
                )
        if row[li].strip() == "":
            raise UsageError(
                f"{file} line {r} has no label in column {label!r}: fill it or drop the row"
            )
        labels.append(row[li].strip())
    if not labels:
        raise UsageError(f"--data {file} has a header but no data rows")
    y_raw = np.asarray(labels)
    if positive_class is not None:
        if positive_class not in set(labels):
            raise UsageError(
                f"--positive-class {positive_class!r} is not a label in column {label!r}"
            )
        y = (y_raw == positive_class).astype(int)
    else:
        y = y_raw
    return Dataset(
        name=file.stem,
        X=X,
        y=y,
        description=f"CSV {file.name}, label column {label!r}",
        params={"path": str(file), "label": label, "positive_class": positive_class},
    )


def split_and_scale(
    dataset: Dataset,
    *,
    test_size: float = 0.3,
    seed: int,
    max_features: int,
    n_components: int | None = None,
) -> Split:
    """Stratified split; optional PCA to ``n_components`` and [0, π] scaling, both fitted on train.

    Raises :class:`UsageError` for a single class, too few samples per class, or more features than
    ``max_features`` (the qubit budget).
    """
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    classes, counts = np.unique(dataset.y, return_counts=True)
    if len(classes) < 2:
        raise UsageError(
            f"dataset {dataset.name} has a single class ({classes[0].item()!r}): "
            "a classifier needs two or more"
        )
    if counts.min() < 2:
        raise UsageError(
            f"class {classes[np.argmin(counts)].item()!r} of {dataset.name} has one sample: "
            "each class needs two or more for a stratified split"
        )
    if not 0 < test_size < 1:
        raise UsageError(f"--test-size must be in (0, 1), got {test_size}")
    X_tr, X_te, y_tr, y_te = train_test_split(
        dataset.X,
        dataset.y,
        test_size=test_size,
        stratify=dataset.y,
        random_state=_sk_seed(seed, STREAM_SPLIT),
    )
    d = dataset.X.shape[1]
    if n_components is not None:
        if not 1 <= n_components <= min(d, len(X_tr)):
            raise UsageError(
                f"--features {n_components} must be between 1 and {min(d, len(X_tr))} "
                f"for {dataset.name}"
            )
        if n_components < d:
            std = StandardScaler().fit(X_tr)
            pca = PCA(n_components=n_components, random_state=_sk_seed(seed, STREAM_SPLIT, 1)).fit(
                std.transform(X_tr)
            )
            X_tr, X_te = pca.transform(std.transform(X_tr)), pca.transform(std.transform(X_te))
            d = n_components
        else:
            n_components = None
    if d > max_features:
        raise UsageError(
            f"{dataset.name} has {d} features, more than the qubit budget of {max_features}: "
            f"pass --features {max_features} (PCA on the training split) or --qubits {d}"
        )
    scaler = MinMaxScaler(feature_range=(0.0, math.pi)).fit(X_tr)
    return Split(
        X_train=scaler.transform(X_tr),
        X_test=scaler.transform(X_te),
        y_train=y_tr,
        y_test=y_te,
        pca_components=n_components,
    )
