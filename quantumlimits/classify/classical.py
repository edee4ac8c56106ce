"""Classical baselines from scikit-learn with fixed defaults, and their optional small grids.

>>> sorted(CLASSICAL)
['dummy', 'gbdt', 'logreg', 'mlp', 'svc']
>>> make_classical(name="svc", seed=0, grid=False).kernel
'rbf'
"""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator

from quantumlimits.seeding import derive_seed

#: Seeding stream for classical model seeds.
STREAM_CLASSICAL = 30

CLASSICAL: dict[str, str] = {
    "dummy": "majority-class DummyClassifier",
    "logreg": "LogisticRegression (C=1, lbfgs)",
    "svc": "SVC (RBF kernel, C=1, gamma='scale')",
    "mlp": "MLPClassifier (one hidden layer of 32, adam, 500 iterations)",
    "gbdt": "GradientBoostingClassifier (100 trees, depth 3)",
}

#: Small grids for ``grid=True`` (each fit is timed with its cross-validated search).
GRIDS: dict[str, dict[str, list[Any]]] = {
    "logreg": {"C": [0.1, 1.0, 10.0]},
    "svc": {"C": [0.3, 1.0, 3.0, 10.0], "gamma": ["scale", 0.3, 1.0]},
    "mlp": {"hidden_layer_sizes": [(16,), (32,), (32, 32)], "alpha": [1e-4, 1e-2]},
    "gbdt": {"n_estimators": [50, 100], "max_depth": [2, 3]},
}


def make_classical(*, name: str, seed: int, grid: bool = False) -> BaseEstimator:
    """The baseline ``name`` seeded from ``seed``; with ``grid``, a 3-fold grid search over it."""
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC

    s = derive_seed(seed, STREAM_CLASSICAL)
    models: dict[str, BaseEstimator] = {
        "dummy": DummyClassifier(strategy="most_frequent"),
        "logreg": LogisticRegression(C=1.0, max_iter=1000),
        "svc": SVC(kernel="rbf", C=1.0, gamma="scale", random_state=s),
        "mlp": MLPClassifier(hidden_layer_sizes=(32,), max_iter=500, random_state=s),
        "gbdt": GradientBoostingClassifier(random_state=s),
    }
    if name not in models:
        raise ValueError(f"unknown classical model {name!r}: choose one of {sorted(models)}")
    model = models[name]
    if grid and name in GRIDS:
        cv = StratifiedKFold(
            n_splits=3, shuffle=True, random_state=derive_seed(seed, STREAM_CLASSICAL, 1)
        )
        return GridSearchCV(model, GRIDS[name], cv=cv, n_jobs=1)
    return model
