"""Equal tuning budgets: every model searched over the same number of configurations and folds.

``classify --tune N --tune-folds K`` gives each model, quantum and classical, the same search: N
configurations drawn without replacement from its grid (:data:`GRIDS`, scikit-learn's
:class:`~sklearn.model_selection.RandomizedSearchCV`), each scored by held-out accuracy over the
same K folds of the training set — the folds are drawn once from the run's seed, so every model
and every seed is scored on identical splits. The test set is never seen by the search. The
chosen configuration is then trained on the whole training set as without tuning, on the
time-to-accuracy clock; the search's own time is kept apart (:class:`Tuning`), so time-to-target
stays comparable with untuned runs.

Every grid holds :data:`GRID_SIZE` configurations, so no model can get a larger search than
another; ``dummy`` is the baseline and has nothing to tune. The quantum models search their
learning rate and minibatch size; their layers and width stay the run's (``--layers``,
``--width``) because they change the circuit, and with it the QPU projection every seed shares.

>>> sorted(GRIDS["svc"])
['C', 'gamma']
>>> all(grid_size(g) == GRID_SIZE for g in GRIDS.values())
True
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from quantumlimits.seeding import derive_seed

#: Seeding streams: the shared folds (from the run's seed), each search's draws (the unit's).
STREAM_FOLDS = 50
STREAM_DRAWS = 51
#: Configurations in every model's grid (the largest ``--tune``).
GRID_SIZE = 16

_QUANTUM_GRID: dict[str, list[Any]] = {
    "learning_rate": [0.01, 0.03, 0.1, 0.3],
    "batch_size": [None, 8, 16, 32],
}
#: Each model's search space (scikit-learn parameter names of its estimator).
GRIDS: dict[str, dict[str, list[Any]]] = {
    "logreg": {
        "C": [0.001, 0.01, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0],
        "class_weight": [None, "balanced"],
    },
    "svc": {"C": [0.1, 1.0, 10.0, 100.0], "gamma": ["scale", 0.1, 1.0, 10.0]},
    "mlp": {
        "hidden_layer_sizes": [(8,), (32,), (64,), (32, 32)],
        "alpha": [1e-4, 1e-3, 1e-2, 1e-1],
    },
    "gbdt": {"n_estimators": [25, 50, 100, 200], "max_depth": [1, 2, 3, 5]},
    "vqc-reupload": _QUANTUM_GRID,
    "vqc-angle": _QUANTUM_GRID,
    "vqc-iqp": _QUANTUM_GRID,
}


def grid_size(grid: Mapping[str, Sequence[Any]]) -> int:
    """Configurations in ``grid``."""
    return math.prod(len(v) for v in grid.values())


def grid_of(model: str) -> dict[str, list[Any]] | None:
    """The search space of ``model`` (an ``-noent`` variant searches its base model's), or None
    for a model with nothing to tune (``dummy``)."""
    return GRIDS.get(model.removesuffix("-noent"))


def folds(*, y_train: np.ndarray, k: int, seed: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """The K stratified folds of the training set every search of a run shares.

    >>> f = folds(y_train=np.array([0, 1] * 6), k=3, seed=1)
    >>> len(f), sorted(np.concatenate([test for _, test in f]).tolist()) == list(range(12))
    (3, True)
    """
    from sklearn.model_selection import StratifiedKFold

    cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=derive_seed(seed, STREAM_FOLDS))
    return tuple((train, test) for train, test in cv.split(np.zeros(len(y_train)), y_train))


@dataclass(frozen=True)
class Tuning:
    """One search: its budget, what it chose, the chosen configuration's cross-validated
    accuracy, and its own wall time (off the time-to-accuracy clock)."""

    configurations: int
    folds: int
    seconds: float
    best_params: dict[str, Any]
    best_cv_accuracy: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        return {
            "configurations": self.configurations,
            "folds": self.folds,
            "seconds": self.seconds,
            "best_params": {
                k: list(v) if isinstance(v, tuple) else v for k, v in self.best_params.items()
            },
            "best_cv_accuracy": self.best_cv_accuracy,
        }


def tune(
    *,
    model: str,
    estimator: Any,
    X: np.ndarray,
    y: np.ndarray,
    configurations: int,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    seed: int,
) -> tuple[dict[str, Any], Tuning]:
    """Search ``configurations`` draws of ``model``'s grid over ``splits``; return the best
    configuration's parameters and the search's record."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import RandomizedSearchCV

    grid = grid_of(model)
    if grid is None:
        raise ValueError(f"model {model!r} has no grid to tune")
    if configurations > grid_size(grid):
        raise ValueError(f"{configurations} configurations exceed {model}'s grid")
    search = RandomizedSearchCV(
        estimator,
        grid,
        n_iter=configurations,
        cv=list(splits),
        refit=False,
        n_jobs=1,
        error_score="raise",
        random_state=derive_seed(seed, STREAM_DRAWS),
    )
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    seconds = time.perf_counter() - t0
    tried = len(search.cv_results_["params"])
    best = dict(search.best_params_)
    return best, Tuning(
        configurations=tried,
        folds=len(splits),
        seconds=seconds,
        best_params=best,
        best_cv_accuracy=float(search.best_score_),
    )
