"""Compute–accuracy curves: held-out accuracy as each model's training budget grows.

For each model one budget knob is swept in doublings and, at every budget, the model is trained
afresh and its held-out accuracy measured with its training wall time (one process, evaluation
excluded, as the time-to-accuracy clock):

* quantum models: optimiser steps (1, 2, 4, ... ``max_steps``), read from one training run evaluated
  at every doubling — training is sequential, so the run at step 2k is the run at step k continued;
  their circuit executions and (with a device snapshot) projected QPU seconds come with them;
* ``logreg``: solver iterations; ``mlp``: hidden units (one layer); ``gbdt``: trees; ``svc``: solver
  iterations (``max_iter``); ``dummy`` has no budget.

One curve per model and seed; :func:`summarise` gives the median and the seed band at each budget
and :func:`fit_power_law` fits ``error = a · seconds^(-b)`` (error = 1 − accuracy) where at least
three budgets have a positive error, so ``b`` reads as returns per doubling of compute: each
doubling of training time multiplies the error by ``2^(-b)``.
"""

from __future__ import annotations

import math
import statistics
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from quantumlimits.classify.datasets import Split

#: Each classical model's budget knob and its doublings.
CLASSICAL_BUDGETS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "logreg": ("max_iter", (1, 2, 4, 8, 16, 32, 64, 128)),
    "svc": ("max_iter", (1, 2, 4, 8, 16, 32, 64, 128, 256)),
    "mlp": ("hidden_layer_sizes", ((1,), (2,), (4,), (8,), (16,), (32,), (64,))),
    "gbdt": ("n_estimators", (1, 2, 4, 8, 16, 32, 64, 128)),
}


@dataclass(frozen=True)
class CurvePoint:
    """One budget of one seed: the budget, training seconds, held-out accuracy, executions."""

    budget: float
    seconds: float
    accuracy: float
    executions: int = 0
    qpu_seconds: float = 0.0


def _budget_value(value: Any) -> float:
    return float(value[0] if isinstance(value, tuple) else value)


def classical_curve(*, model: str, split: Split, seed: int) -> list[CurvePoint]:
    """Train ``model`` at each budget of :data:`CLASSICAL_BUDGETS` and measure it."""
    from sklearn.exceptions import ConvergenceWarning

    from quantumlimits.classify.classical import make_classical

    knob, values = CLASSICAL_BUDGETS[model]
    points = []
    for value in values:
        est = make_classical(name=model, seed=seed)
        est.set_params(**{knob: value})
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(split.X_train, split.y_train)
        seconds = time.perf_counter() - t0
        accuracy = float(np.mean(est.predict(split.X_test) == split.y_test))
        points.append(CurvePoint(budget=_budget_value(value), seconds=seconds, accuracy=accuracy))
    return points


def quantum_curve(
    *, params: dict[str, Any], split: Split, cost: Any = None, shots: int = 1000
) -> list[CurvePoint]:
    """One training run of a quantum model read at every doubling of its steps."""
    from quantumlimits.classify.trainer import _quantum_estimator, train_quantum

    estimator = _quantum_estimator(params, split)
    run = train_quantum(estimator=estimator, split=split, cost=cost, shots=shots, eval_every=1)
    c = run.curve
    points = []
    step = 1
    for i, s in enumerate(c.steps):
        if s == step or s == c.steps[-1]:
            points.append(
                CurvePoint(
                    budget=float(s),
                    seconds=c.train_seconds[i],
                    accuracy=c.accuracy[i],
                    executions=c.executions[i],
                    qpu_seconds=c.qpu_seconds[i],
                )
            )
            while step <= s:
                step *= 2
    return points


def summarise(curves: Sequence[Sequence[CurvePoint]]) -> list[dict[str, float]]:
    """Per budget over seeds: median seconds and accuracy, and the accuracy band (min, max).

    >>> a = [CurvePoint(1, 0.1, 0.5), CurvePoint(2, 0.2, 0.7)]
    >>> b = [CurvePoint(1, 0.3, 0.6), CurvePoint(2, 0.4, 0.9)]
    >>> [p["accuracy"] for p in summarise([a, b])], summarise([a, b])[1]["low"]
    ([0.55, 0.8], 0.7)
    """
    by_budget: dict[float, list[CurvePoint]] = {}
    for curve in curves:
        for p in curve:
            by_budget.setdefault(p.budget, []).append(p)
    out = []
    for budget in sorted(by_budget):
        ps = by_budget[budget]
        out.append(
            {
                "budget": budget,
                "seconds": statistics.median(p.seconds for p in ps),
                "accuracy": statistics.median(p.accuracy for p in ps),
                "low": min(p.accuracy for p in ps),
                "high": max(p.accuracy for p in ps),
                "executions": statistics.median(p.executions for p in ps),
                "seeds": len(ps),
            }
        )
    return out


#: Least spread of training times (largest over smallest) a power-law fit needs: a budget knob
#: whose training time hardly moves (an MLP's hidden units at this size) gives no law.
MIN_TIME_SPAN = 4.0


def fit_power_law(summary: Sequence[dict[str, float]]) -> dict[str, float] | None:
    """Least-squares fit of ``log(error) = log(a) - b·log(seconds)`` over the budgets with a
    positive error and positive time; None with fewer than three such budgets or when their
    training times span less than :data:`MIN_TIME_SPAN`.

    >>> pts = [{"seconds": s, "accuracy": 1 - 0.5 * s ** -0.5} for s in (1.0, 4.0, 16.0)]
    >>> fit = fit_power_law(pts)
    >>> round(fit["b"], 6), round(fit["error_ratio_per_doubling"], 4)
    (0.5, 0.7071)
    """
    pts = [(p["seconds"], 1.0 - p["accuracy"]) for p in summary]
    pts = [(s, e) for s, e in pts if s > 0 and e > 0]
    if len({s for s, _ in pts}) < 3:
        return None
    times = [s for s, _ in pts]
    if max(times) < MIN_TIME_SPAN * min(times):
        return None
    x = np.log([s for s, _ in pts])
    y = np.log([e for _, e in pts])
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    return {
        "a": float(math.exp(intercept)),
        "b": float(-slope),
        "error_ratio_per_doubling": float(2.0**slope),
        "rms_log_residual": float(np.sqrt(np.mean(residual**2))),
        "points": len(pts),
    }
