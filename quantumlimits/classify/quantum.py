"""Variational quantum classifiers behind the scikit-learn estimator contract.

One estimator, :class:`QuantumClassifier`, covers the three architectures of
:mod:`quantumlimits.classify.ansatz`. Its ``engine`` picks how training executes the circuit:

* ``"numpy"`` (default) — :class:`~quantumlimits.classify.statevector.StatevectorModel`, batched
  adjoint gradients, the fastest path measured here (docs/performance.md);
* ``"pennylane"`` — a ``default.qubit`` QNode with parameter broadcasting and backprop;
* ``"lightning"`` — a ``lightning.qubit`` QNode with adjoint gradients, one sample per call.

All three compute the same loss and the same gradients; only the clock differs. The prediction is
``sigmoid(w · ⟨O⟩ + b)`` with a trainable classical scale ``w`` and bias ``b``, where the readout
``O`` is ``Z_0`` (``readout="z0"``, the default) or the mean of ``Z_q`` over every qubit
(``readout="mean"``); the loss is the binary cross-entropy; the optimiser is Adam.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from quantumlimits.classify.ansatz import ARCHITECTURES, READOUTS, Ansatz, build_ansatz
from quantumlimits.classify.statevector import StatevectorModel
from quantumlimits.seeding import rng as seeded_rng

ENGINES = ("numpy", "pennylane", "lightning")
#: Seeding stream for classifier initialisation and minibatch order.
STREAM_CLASSIFIER = 10


def generator_from(random_state: int | np.random.Generator | None) -> np.random.Generator:
    """A local generator: an int seeds a :mod:`quantumlimits.seeding` stream, None fresh entropy."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None:
        return np.random.default_rng()
    return seeded_rng(int(random_state), STREAM_CLASSIFIER)


@dataclass(frozen=True)
class StepInfo:
    """What one optimiser step did: its number, the samples in its batch, the batch loss."""

    step: int
    batch_size: int
    loss: float


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class QuantumClassifier(ClassifierMixin, BaseEstimator):
    """A binary variational quantum classifier (angle, re-uploading or IQP).

    Parameters mirror the issue's ablation switches: ``architecture``, ``n_qubits`` (default: one
    per feature), ``layers``, ``entangle``, ``learning_rate``, ``batch_size`` (None: full batch),
    ``max_steps``, ``engine``, ``readout`` (``"z0"`` or ``"mean"``) and ``random_state``.

    >>> from sklearn.datasets import make_moons
    >>> X, y = make_moons(n_samples=60, noise=0.1, random_state=0)
    >>> clf = QuantumClassifier(max_steps=40, random_state=1).fit(X, y)
    >>> clf.score(X, y) > 0.8
    True
    """

    def __init__(
        self,
        *,
        architecture: str = "reupload",
        n_qubits: int | None = None,
        layers: int = 3,
        entangle: bool = True,
        learning_rate: float = 0.1,
        batch_size: int | None = None,
        max_steps: int = 100,
        engine: str = "numpy",
        readout: str = "z0",
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.architecture = architecture
        self.n_qubits = n_qubits
        self.layers = layers
        self.entangle = entangle
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_steps = max_steps
        self.engine = engine
        self.readout = readout
        self.random_state = random_state

    # -- training ---------------------------------------------------------------------------

    def _check_params(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"architecture must be one of {ARCHITECTURES}, got {self.architecture!r}"
            )
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, got {self.engine!r}")
        if self.readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got {self.readout!r}")
        if int(self.layers) < 1 or int(self.max_steps) < 1:
            raise ValueError("layers and max_steps must be positive")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate}")
        if self.batch_size is not None and int(self.batch_size) < 1:
            raise ValueError(f"batch_size must be positive or None, got {self.batch_size}")

    def _prepare(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        self._check_params()
        X, y = validate_data(self, X, y, dtype=float)
        check_classification_targets(y)
        y_type = type_of_target(y, input_name="y", raise_unknown=True)
        if y_type != "binary":
            raise ValueError(
                "Only binary classification is supported. The type of the target is "
                f"{y_type}: make the task one-vs-rest first."
            )
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(
                f"QuantumClassifier needs two classes, got {len(self.classes_)} class: "
                "one class cannot be classified"
            )
        width = self.n_qubits if self.n_qubits is not None else X.shape[1]
        if X.shape[1] > width:
            raise ValueError(f"{X.shape[1]} features do not fit on n_qubits={width}")
        self.ansatz_: Ansatz = build_ansatz(
            architecture=self.architecture,
            n_qubits=int(width),
            n_features=X.shape[1],
            layers=int(self.layers),
            entangle=bool(self.entangle),
            readout=str(self.readout),
        )
        return X, (y == self.classes_[1]).astype(float)

    def iter_fit(self, X: Any, y: Any) -> Iterator[StepInfo]:
        """Train step by step: yields after each optimiser step, the model usable in between.

        ``fit`` exhausts this generator; the time-to-accuracy trainer times each ``next`` call and
        evaluates between them off the clock.
        """
        X, t = self._prepare(X, y)
        gen = generator_from(self.random_state)
        theta = self.ansatz_.init_params(gen)
        params = np.concatenate([theta, [1.0, 0.0]])  # readout scale w and bias b
        grad_fn = self._gradient_function()
        m = np.zeros_like(params)
        v = np.zeros_like(params)
        beta1, beta2, eps = 0.9, 0.999, 1e-8
        n = len(X)
        batch = n if self.batch_size is None else min(int(self.batch_size), n)
        order = np.arange(n)
        cursor = n
        self.params_ = params
        self.loss_curve_: list[float] = []
        self.n_iter_ = 0
        for step in range(1, int(self.max_steps) + 1):
            if batch == n:
                idx = order
            else:
                if cursor + batch > n:
                    order = gen.permutation(n)
                    cursor = 0
                idx = order[cursor : cursor + batch]
                cursor += batch
            loss, grad = grad_fn(X[idx], t[idx], params)
            m = beta1 * m + (1 - beta1) * grad
            v = beta2 * v + (1 - beta2) * grad * grad
            m_hat = m / (1 - beta1**step)
            v_hat = v / (1 - beta2**step)
            params = params - self.learning_rate * m_hat / (np.sqrt(v_hat) + eps)
            self.params_ = params
            self.loss_curve_.append(float(loss))
            self.n_iter_ = step
            yield StepInfo(step=step, batch_size=len(idx), loss=float(loss))

    def fit(self, X: Any, y: Any) -> QuantumClassifier:
        """Train for ``max_steps`` optimiser steps and return ``self``."""
        for _ in self.iter_fit(X, y):
            pass
        return self

    def _gradient_function(self) -> Any:
        ansatz = self.ansatz_
        if self.engine == "numpy":
            sim = StatevectorModel(ansatz)

            def numpy_grad(
                x: np.ndarray, t: np.ndarray, params: np.ndarray
            ) -> tuple[float, np.ndarray]:
                theta, w, b = params[:-2], params[-2], params[-1]
                # d loss / d expval = (p - t) * w / n; run the adjoint pass with that upstream.
                expval, tape = sim.forward(x, theta)
                p = _sigmoid(w * expval + b)
                resid = (p - t) / len(t)
                g_theta = sim.backward(tape, resid * w)
                loss = _bce(p, t)
                return loss, np.concatenate([g_theta, [resid @ expval, resid.sum()]])

            return numpy_grad
        return _pennylane_gradient(ansatz, per_sample=self.engine == "lightning")

    # -- prediction -------------------------------------------------------------------------

    def expectation(self, X: Any) -> np.ndarray:
        """⟨Z_0⟩ of the trained circuit for each row of ``X`` (exact, NumPy simulator)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=float, reset=False)
        return StatevectorModel(self.ansatz_).expectation(X, self.params_[:-2])

    def decision_function(self, X: Any) -> np.ndarray:
        """The logit ``w · ⟨O⟩ + b`` (O the readout); positive means ``classes_[1]``."""
        check_is_fitted(self)
        expval = self.expectation(X)
        return np.asarray(self.params_[-2] * expval + self.params_[-1])

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns ordered as ``classes_``."""
        p = _sigmoid(self.decision_function(X))
        return np.stack([1.0 - p, p], axis=1)

    def predict(self, X: Any) -> np.ndarray:
        """The predicted class of each row of ``X``."""
        check_is_fitted(self)
        positive = self.decision_function(X) > 0
        return np.asarray(self.classes_[positive.astype(int)])

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.non_deterministic = self.random_state is None
        return tags


def _bce(p: np.ndarray, t: np.ndarray) -> float:
    eps = 1e-12
    return float(-np.mean(t * np.log(p + eps) + (1 - t) * np.log(1 - p + eps)))


def _pennylane_gradient(ansatz: Ansatz, *, per_sample: bool) -> Any:
    import pennylane as qml
    from pennylane import numpy as pnp

    from quantumlimits.classify.executions import pennylane_expectation

    if per_sample:
        qnode = pennylane_expectation(ansatz, device="lightning.qubit", diff_method="adjoint")
    else:
        qnode = pennylane_expectation(ansatz, device="default.qubit", diff_method="backprop")

    def loss(params: Any, x: Any, t: Any) -> Any:
        theta, w, b = params[:-2], params[-2], params[-1]
        expval = pnp.stack([qnode(row, theta) for row in x]) if per_sample else qnode(x, theta)
        p = 1.0 / (1.0 + pnp.exp(-(w * expval + b)))
        eps = 1e-12
        return -pnp.mean(t * pnp.log(p + eps) + (1 - t) * pnp.log(1 - p + eps))

    grad = qml.grad(loss, argnums=0)

    def pennylane_grad(
        x: np.ndarray, t: np.ndarray, params: np.ndarray
    ) -> tuple[float, np.ndarray]:
        p = pnp.array(params, requires_grad=True)
        xs = pnp.array(x, requires_grad=False)
        ts = pnp.array(t, requires_grad=False)
        g = grad(p, xs, ts)
        return float(grad.forward), np.asarray(g, dtype=float)  # loss from the same pass

    return pennylane_grad


#: Seeding stream of the per-class models of a one-vs-rest classifier.
STREAM_OVR = 60


class OneVsRestQuantumClassifier(QuantumClassifier):
    """k classes: one binary :class:`QuantumClassifier` per class against the rest.

    The same parameters as :class:`QuantumClassifier` (so the same grids and ``clone`` apply);
    class i's model is seeded from ``random_state`` and i. The k models train in lockstep: one
    step of this estimator is one optimiser step of each, so its ``StepInfo.batch_size`` counts
    the circuits of all k (k times a binary model's executions and shots). The prediction is the
    class whose model gives the largest logit. With two classes it is exactly a
    :class:`QuantumClassifier`.

    >>> import numpy as np
    >>> X = np.array([[0.1, 0.2], [1.5, 0.3], [2.9, 2.8], [0.2, 0.1], [1.6, 0.2], [3.0, 2.9]])
    >>> clf = OneVsRestQuantumClassifier(layers=1, max_steps=2, random_state=0)
    >>> clf.fit(X, np.array([0, 1, 2, 0, 1, 2])).n_models_, clf.predict(X).shape
    (3, (6,))
    """

    def iter_fit(self, X: Any, y: Any) -> Iterator[StepInfo]:
        """Train the k models step by step (two classes: as :class:`QuantumClassifier`)."""
        self._check_params()
        X, y = validate_data(self, X, y, dtype=float)
        check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) <= 2:
            self.n_models_ = 1
            self.estimators_: list[QuantumClassifier] | None = None
            yield from super().iter_fit(X, y)
            return
        self.classes_ = classes
        self.n_models_ = len(classes)
        params = self.get_params()
        self.estimators_ = [
            QuantumClassifier(**{**params, "random_state": self._member_seed(i)})
            for i in range(len(classes))
        ]
        fits = [
            m.iter_fit(X, (y == c).astype(int))
            for m, c in zip(self.estimators_, classes, strict=True)
        ]
        self.n_iter_ = 0
        for step in range(1, int(self.max_steps) + 1):
            infos = [next(f) for f in fits]
            self.ansatz_ = self.estimators_[0].ansatz_
            self.params_ = np.concatenate([m.params_ for m in self.estimators_])
            self.n_iter_ = step
            yield StepInfo(
                step=step,
                batch_size=sum(i.batch_size for i in infos),
                loss=float(np.mean([i.loss for i in infos])),
            )

    def _member_seed(self, index: int) -> Any:
        from quantumlimits.seeding import derive_seed

        rs = self.random_state
        if rs is None:
            return None
        if isinstance(rs, np.random.Generator):
            return int(rs.integers(2**63))
        return derive_seed(int(rs), STREAM_OVR, index)

    def decision_function(self, X: Any) -> np.ndarray:
        """Per-class logits, columns ordered as ``classes_`` (two classes: one logit)."""
        check_is_fitted(self)
        if self.estimators_ is None:
            return super().decision_function(X)
        return np.stack([m.decision_function(X) for m in self.estimators_], axis=1)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities: each model's probability of its class, normalised."""
        if self.estimators_ is None:
            return super().predict_proba(X)
        p = _sigmoid(self.decision_function(X))
        return np.asarray(p / p.sum(axis=1, keepdims=True))

    def predict(self, X: Any) -> np.ndarray:
        """The predicted class of each row of ``X``."""
        check_is_fitted(self)
        if self.estimators_ is None:
            return super().predict(X)
        return np.asarray(self.classes_[np.argmax(self.decision_function(X), axis=1)])

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags
