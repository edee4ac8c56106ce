"""Time-to-accuracy: train every model over seeds, recording held-out accuracy against its clocks.

The definition (DAWNBench / MLPerf Training practice): time-to-target is the training wall time at
which held-out accuracy *first* reaches the target. Evaluation runs between optimiser steps and is
timed separately, off the training clock. A run that never reaches the target is kept as "not
reached" (never dropped) and counts as +∞ in the median.

Quantum models carry two more clocks: the circuit executions and shots a hardware run of the same
training would need — parameter-shift gradients cost ``(2P + 1)`` circuits per sample per step,
P = trainable gates — and the projected QPU seconds and cost of those executions
(:mod:`quantumlimits.execution.cost`, one sub-job per optimiser step).
"""

from __future__ import annotations

import functools
import json
import os
import socket
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from quantumlimits.classify.classical import CLASSICAL, make_classical
from quantumlimits.classify.datasets import Dataset, Split, split_and_scale
from quantumlimits.classify.quantum import OneVsRestQuantumClassifier, QuantumClassifier
from quantumlimits.classify.results import ClassifyResult, Curve, ModelResult, SeedRun
from quantumlimits.classify.settings import (
    MODELS,
    QUANTUM,
    QuantumSettings,
    entangles,
    parse_target,
)
from quantumlimits.errors import UsageError
from quantumlimits.execution.cost import DEFAULT_PRICE_PER_SECOND, QpuCostModel
from quantumlimits.execution.executor import Mapper
from quantumlimits.seeding import derive_seed

#: Seeding stream for the per-repetition seeds.
STREAM_REPEAT = 40
#: Seeding stream for the noisy evaluation of trained quantum models.
STREAM_NOISY = 41

#: ``progress(model, repetition, step, total=total_steps, dataset=name)`` — after each step or fit.
Progress = Callable[..., None]


class QuantumHooks(Protocol):
    """How :func:`run_classify` makes each quantum estimator and reports it trained (a run on an
    IBM Quantum device trains through the device and keeps the trained weights). Hooks run
    in-process only."""

    def estimator(self, *, model: str, rep: int, params: dict[str, Any]) -> QuantumClassifier:
        """The estimator of ``model``'s repetition ``rep`` with ``QuantumClassifier`` ``params``."""
        ...

    def trained(self, *, model: str, rep: int, estimator: QuantumClassifier) -> None:
        """Called once ``estimator`` finished training (before any noisy evaluation)."""
        ...


def _accuracy(model: Any, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(model.predict(X) == y))


def train_quantum(
    *,
    estimator: QuantumClassifier,
    split: Split,
    cost: QpuCostModel | None,
    shots: int,
    eval_every: int = 1,
    stop_at: float | None = None,
    on_step: Callable[[int], None] | None = None,
) -> SeedRun:
    """Train ``estimator`` step by step, evaluating every ``eval_every`` steps off the clock.

    With ``stop_at`` the run ends at the first evaluation that reaches that accuracy.
    """
    P = None
    steps: list[int] = []
    seconds: list[float] = []
    accuracy: list[float] = []
    executions: list[int] = []
    shot_counts: list[int] = []
    qpu: list[float] = []
    train_clock = eval_clock = qpu_total = 0.0
    n_exec = 0
    fitting = estimator.iter_fit(split.X_train, split.y_train)
    while True:
        t0 = time.perf_counter()
        try:
            info = next(fitting)
        except StopIteration:
            break
        train_clock += time.perf_counter() - t0
        if P is None:
            P = estimator.ansatz_.n_trainable_gates
        step_exec = info.batch_size * (2 * P + 1)
        n_exec += step_exec
        if cost is not None:
            qpu_total += cost.seconds(circuits=step_exec, shots=shots, sub_jobs=1)
        if on_step is not None:
            on_step(info.step)
        last = info.step == estimator.max_steps
        if info.step % eval_every and not last:
            continue
        t1 = time.perf_counter()
        acc = _accuracy(estimator, split.X_test, split.y_test)
        eval_clock += time.perf_counter() - t1
        steps.append(info.step)
        seconds.append(train_clock)
        accuracy.append(acc)
        executions.append(n_exec)
        shot_counts.append(n_exec * shots)
        qpu.append(qpu_total)
        if stop_at is not None and acc >= stop_at:
            break
    curve = Curve(
        steps=tuple(steps),
        train_seconds=tuple(seconds),
        accuracy=tuple(accuracy),
        executions=tuple(executions),
        shots=tuple(shot_counts),
        qpu_seconds=tuple(qpu),
    )
    seed = estimator.random_state if isinstance(estimator.random_state, int) else -1
    return SeedRun(seed=seed, curve=curve, eval_seconds=eval_clock)


def train_classical(*, estimator: Any, split: Split, seed: int) -> SeedRun:
    """Fit a classical model once (grid search included when it is one) and evaluate it."""
    from sklearn.exceptions import ConvergenceWarning

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(split.X_train, split.y_train)
    fit_seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    acc = _accuracy(estimator, split.X_test, split.y_test)
    eval_seconds = time.perf_counter() - t1
    curve = Curve(
        steps=(1,),
        train_seconds=(fit_seconds,),
        accuracy=(acc,),
        executions=(0,),
        shots=(0,),
        qpu_seconds=(0.0,),
    )
    return SeedRun(seed=seed, curve=curve, eval_seconds=eval_seconds)


def _json_safe(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` as JSON values: objects as their text, non-finite floats as text too
    (``"nan"``: a stored document holds only finite numbers)."""

    def finite(value: Any) -> Any:
        if isinstance(value, float) and not np.isfinite(value):
            return str(value)
        if isinstance(value, dict):
            return {k: finite(v) for k, v in value.items()}
        if isinstance(value, list):
            return [finite(v) for v in value]
        return value

    out: dict[str, Any] = finite(json.loads(json.dumps(params, default=str)))
    return out


def classical_hyperparameters(model: Any) -> dict[str, Any]:
    """What a fitted classical model was run with: its parameters, or for a search the chosen
    estimator's parameters and what was searched (``search``).

    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.linear_model import LogisticRegression
    >>> import numpy as np
    >>> X, y = np.arange(12.0).reshape(6, 2), np.array([0, 1] * 3)
    >>> g = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2).fit(X, y)
    >>> h = classical_hyperparameters(g)
    >>> h["search"]["grid"], h["C"] in (0.1, 1.0)
    ({'C': [0.1, 1.0]}, True)
    """
    best = getattr(model, "best_estimator_", None)
    if best is None:
        return _json_safe(model.get_params(deep=False))
    grid = getattr(model, "param_grid", None) or getattr(model, "param_distributions", None)
    return _json_safe(
        {
            **best.get_params(deep=False),
            "search": {
                "grid": grid,
                "best_params": model.best_params_,
                "cv_splits": int(model.n_splits_),
                "best_cv_accuracy": float(model.best_score_),
            },
        }
    )


def check_request(
    *,
    dataset: Dataset,
    models: Sequence[str],
    target: str,
    n_seeds: int,
    shots: int,
    price_per_second: float,
    quantum: QuantumSettings,
    qubits: int,
    n_features: int | None,
    test_size: float,
    seed: int,
    tune_folds: int = 0,
) -> Split:
    """Check a request before any work (and before a run is stored); return the shared split.

    ``tune_folds``: the folds of a ``--tune`` search (0: no search), which every class of the
    training set must fill.

    Raises :class:`UsageError`, naming the problem and the fix, for anything a user can get wrong.
    """
    kind, _ = parse_target(target)
    if n_seeds < 1:
        raise UsageError(f"--seeds must be positive, got {n_seeds}")
    if shots < 1:
        raise UsageError(f"--shots must be positive, got {shots}")
    if price_per_second < 0:
        raise UsageError(f"--price-per-second must be non-negative, got {price_per_second}")
    if qubits < 1:
        raise UsageError(f"--qubits must be positive, got {qubits}")
    unknown = [m for m in models if m not in MODELS]
    if unknown or not models:
        raise UsageError(f"unknown or no models {list(models)}: choose from {', '.join(MODELS)}")
    classical = [m for m in models if m in CLASSICAL]
    quantum_names = [m for m in models if m in QUANTUM]
    if kind == "rel" and not [m for m in classical if m != "dummy"]:
        raise UsageError(
            "a relative --target needs a classical model besides dummy in --models, "
            "e.g. --models svc,vqc-reupload"
        )
    # The qubit budget binds only when a quantum model will read the features.
    budget = qubits if quantum_names else max(qubits, dataset.X.shape[1])
    split = split_and_scale(
        dataset, test_size=test_size, seed=seed, max_features=budget, n_components=n_features
    )
    d = split.X_train.shape[1]
    width = quantum.n_qubits or d
    if quantum_names and width < d:
        raise UsageError(f"--width {width} is smaller than the {d} features: pass --width {d}")
    if quantum_names and width > qubits:
        raise UsageError(f"--width {width} exceeds the qubit budget: pass --qubits {width}")
    if tune_folds:
        fewest = int(np.unique(split.y_train, return_counts=True)[1].min())
        if fewest < tune_folds:
            raise UsageError(
                f"--tune-folds {tune_folds} needs at least {tune_folds} training samples of each "
                f"class; {dataset.name} has {fewest} of one: pass --tune-folds {max(fewest, 2)} "
                "or more --samples"
            )
    return split


@dataclass(frozen=True)
class ClassifyUnit:
    """One model trained with one seed on one dataset's split: the unit of sharded work.

    Everything the unit needs travels with it (the split, the settings, the driver's cost model),
    and every random choice inside it is seeded from ``seed``, so its numbers do not depend on
    the process or the machine that runs it.
    """

    dataset: str
    model: str
    repetition: int
    seed: int
    split: Split
    grid: bool = False
    quantum: QuantumSettings | None = None  # None: a classical model
    n_qubits: int = 0
    cost: QpuCostModel | None = None
    shots: int = 1000
    noisy_device: str | None = None  # a device snapshot name: also evaluate with its noise
    tune: int = 0  # configurations to search first (0: none)
    folds: tuple[tuple[np.ndarray, np.ndarray], ...] = ()  # the run's shared CV folds


@dataclass(frozen=True)
class UnitOutcome:
    """What a unit sends back: its run, the fitted model's shape, its clocks and where it ran."""

    run: SeedRun
    n_params: int
    hyperparameters: dict[str, Any] | None = None  # classical: the fitted estimator's parameters
    trainable_gates: int | None = None  # quantum
    ansatz_qubits: int | None = None  # quantum
    seconds: float = 0.0  # wall time of the whole unit where it ran
    noisy_seconds: float = 0.0
    where: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (a run records each finished unit as one part)."""
        d = asdict(self)
        d["run"] = self.run.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> UnitOutcome:
        """Inverse of :meth:`to_dict`."""
        return cls(**{**d, "run": SeedRun.from_dict(d["run"]), "where": dict(d["where"])})


def unit_part(unit: ClassifyUnit) -> str:
    """The name a run records ``unit``'s outcome under: ``model/repetition``."""
    return f"{unit.model}/{unit.repetition}"


def _where() -> dict[str, str]:
    """The host, and the Dask worker's address when the unit runs on one."""
    where = {"host": socket.gethostname()}
    try:
        from distributed import get_worker

        where["worker"] = str(get_worker().address)
    except (ImportError, ValueError):  # ValueError: not inside a Dask task
        where["worker"] = f"pid {os.getpid()}"
    return where


def run_unit(
    unit: ClassifyUnit,
    *,
    on_step: Callable[[int], None] | None = None,
    hooks: QuantumHooks | None = None,
) -> UnitOutcome:
    """Train ``unit.model`` once with ``unit.seed``: the same function in-process and on Dask.

    ``on_step(step)`` and ``hooks`` (in-process only: callbacks do not cross to a worker) follow
    training and make the quantum estimator.
    """
    from quantumlimits.classify import tuning as tuning_mod

    t0 = time.perf_counter()
    searched = None
    tunable = unit.tune > 0 and tuning_mod.grid_of(unit.model) is not None
    if unit.quantum is None:
        est = make_classical(name=unit.model, seed=unit.seed, grid=unit.grid)
        if tunable:
            best, searched = tuning_mod.tune(
                model=unit.model,
                estimator=est,
                X=unit.split.X_train,
                y=unit.split.y_train,
                configurations=unit.tune,
                splits=unit.folds,
                seed=unit.seed,
            )
            est.set_params(**best)
        run = train_classical(estimator=est, split=unit.split, seed=unit.seed)
        if searched is not None:
            run = replace(run, tuning=searched.to_dict())
        if on_step is not None:
            on_step(1)
        return UnitOutcome(
            run=run,
            n_params=_classical_param_count(est),
            hyperparameters=classical_hyperparameters(est),
            seconds=time.perf_counter() - t0,
            where=_where(),
        )
    settings = unit.quantum
    params = {**_quantum_params(unit.model, settings, unit.n_qubits), "random_state": unit.seed}
    if tunable:
        best, searched = tuning_mod.tune(
            model=unit.model,
            estimator=_quantum_estimator(params, unit.split),
            X=unit.split.X_train,
            y=unit.split.y_train,
            configurations=unit.tune,
            splits=unit.folds,
            seed=unit.seed,
        )
        params.update(best)
    if hooks is None:
        qest = _quantum_estimator(params, unit.split)
    else:
        qest = hooks.estimator(model=unit.model, rep=unit.repetition, params=params)
    run = train_quantum(
        estimator=qest,
        split=unit.split,
        cost=unit.cost,
        shots=unit.shots,
        eval_every=settings.eval_every,
        on_step=on_step,
    )
    if hooks is not None:
        hooks.trained(model=unit.model, rep=unit.repetition, estimator=qest)
    if searched is not None:
        run = replace(run, tuning=searched.to_dict())
    noisy_seconds = 0.0
    if unit.noisy_device is not None:
        from quantumlimits.classify.executions import noisy_accuracy
        from quantumlimits.execution.backends import load_snapshot

        t_noisy = time.perf_counter()
        noisy = noisy_accuracy(
            qest,
            unit.split.X_test,
            unit.split.y_test,
            backend=load_snapshot(unit.noisy_device),  # cached per process
            shots=unit.shots,
            seed=derive_seed(unit.seed, STREAM_NOISY),
        )
        run = replace(run, noisy_accuracy=noisy)
        noisy_seconds = time.perf_counter() - t_noisy
    ansatz = qest.ansatz_
    return UnitOutcome(
        run=run,
        hyperparameters=_json_safe({**params, "random_state": None}),
        n_params=(ansatz.n_params + 2) * getattr(qest, "n_models_", 1),
        trainable_gates=ansatz.n_trainable_gates,
        ansatz_qubits=ansatz.n_qubits,
        seconds=time.perf_counter() - t0,
        noisy_seconds=noisy_seconds,
        where=_where(),
    )


def run_classify(
    *,
    dataset: Dataset,
    models: Sequence[str],
    target: str,
    seed: int = 0,
    n_seeds: int = 5,
    shots: int = 1000,
    device_model: str | None = "fake_torino",
    price_per_second: float = DEFAULT_PRICE_PER_SECOND,
    quantum: QuantumSettings | None = None,
    grid: bool = False,
    tune: int = 0,
    tune_folds: int = 3,
    qubits: int = 8,
    n_features: int | None = None,
    test_size: float = 0.3,
    noisy_eval: bool = False,
    progress: Progress | None = None,
    mapper: Mapper | None = None,
    hooks: QuantumHooks | None = None,
    cluster: dict[str, Any] | None = None,
) -> ClassifyResult:
    """Measure time-to-accuracy of ``models`` on ``dataset`` over ``n_seeds`` seeds.

    The data split (and PCA, scaling) is fixed by ``seed``; each repetition ``k`` trains every
    model from ``derive_seed(seed, STREAM_REPEAT, k)``. A relative target (``rel:0.95``) is
    resolved against the best classical model once every run is in. With ``noisy_eval`` each
    trained quantum model is also run on Aer with ``device_model``'s noise at ``shots`` shots
    (off every clock) and its held-out accuracy recorded. With ``tune`` every model that has a
    grid first searches ``tune`` configurations over the same ``tune_folds`` folds of the
    training set (:mod:`quantumlimits.classify.tuning`; the search's time is kept apart).

    Every (model, seed) pair is one :class:`ClassifyUnit` run by :func:`run_unit`, handed to
    ``mapper`` (the builtin ``map`` by default; a
    :class:`~quantumlimits.execution.dask.DaskSession` spreads them over a cluster, and
    ``cluster`` then records where). The numbers are the same either way; only the clocks differ.
    ``hooks`` make and receive the quantum estimators (default: plain
    :class:`QuantumClassifier`; in-process only).
    """
    (result,) = run_classify_many(
        datasets=[dataset],
        models=models,
        target=target,
        seed=seed,
        n_seeds=n_seeds,
        shots=shots,
        device_model=device_model,
        price_per_second=price_per_second,
        quantum=quantum,
        grid=grid,
        tune=tune,
        tune_folds=tune_folds,
        qubits=qubits,
        n_features=[n_features],
        test_size=test_size,
        noisy_eval=noisy_eval,
        progress=progress,
        mapper=mapper,
        hooks=hooks,
        cluster=cluster,
    )
    return result


def run_classify_many(
    *,
    datasets: Sequence[Dataset],
    models: Sequence[str],
    target: str,
    seed: int = 0,
    n_seeds: int = 5,
    shots: int = 1000,
    device_model: str | None = "fake_torino",
    price_per_second: float = DEFAULT_PRICE_PER_SECOND,
    quantum: QuantumSettings | None = None,
    grid: bool = False,
    tune: int = 0,
    tune_folds: int = 3,
    qubits: int = 8,
    n_features: Sequence[int | None] | None = None,
    test_size: float = 0.3,
    noisy_eval: bool = False,
    progress: Progress | None = None,
    mapper: Mapper | None = None,
    hooks: QuantumHooks | None = None,
    cluster: dict[str, Any] | None = None,
    finished: Sequence[Mapping[str, Mapping[str, Any]]] | None = None,
    record: Callable[[int, str, UnitOutcome], None] | None = None,
) -> list[ClassifyResult]:
    """:func:`run_classify` on several datasets at once: one result per dataset, in order.

    The units of every dataset go to ``mapper`` together, so a cluster works on all of them at
    once. ``n_features`` gives each dataset's PCA components (None: all of them, or the
    synthetic dimension). Each result is exactly what :func:`run_classify` on that dataset
    alone returns, apart from the clocks; ``timings["total_seconds"]`` is the whole batch's.

    ``progress(model, repetition, step, total=..., dataset=name)`` follows every optimiser step
    in-process; with another mapper it is called once per unit, when the unit's result is in
    (and every unit before it: results come back in submission order).

    ``finished[i]`` holds dataset ``i``'s units recorded by an earlier attempt, by
    :func:`unit_part` name: they are read back, not run again. ``record(i, part, outcome)`` is
    called as each unit of dataset ``i`` comes in.
    """
    from quantumlimits import provenance as prov

    t_start = time.perf_counter()
    settings = quantum or QuantumSettings()
    kind, value = parse_target(target)
    names = [d.name for d in datasets]
    if not datasets:
        raise UsageError("no dataset to run: pass --dataset NAME[,NAME...] or --data FILE.csv")
    if len(set(names)) != len(names):
        raise UsageError(f"datasets repeat in {names}: name each dataset once")
    pcas = list(n_features) if n_features is not None else [None] * len(datasets)
    if len(pcas) != len(datasets):
        raise ValueError(f"n_features has {len(pcas)} entries for {len(datasets)} datasets")
    splits = [
        check_request(
            dataset=d,
            models=models,
            target=target,
            n_seeds=n_seeds,
            shots=shots,
            price_per_second=price_per_second,
            quantum=settings,
            qubits=qubits,
            n_features=pca,
            test_size=test_size,
            seed=seed,
            tune_folds=tune_folds if tune else 0,
        )
        for d, pca in zip(datasets, pcas, strict=True)
    ]
    classical = [m for m in models if m in CLASSICAL]
    quantum_names = [m for m in models if m in QUANTUM]
    seeds = tuple(derive_seed(seed, STREAM_REPEAT, k) for k in range(n_seeds))

    calibration = None
    if device_model is not None:
        from quantumlimits.execution.backends import calibration_date, load_snapshot

        calibration = calibration_date(load_snapshot(device_model))
    timings: list[dict[str, float]] = [{} for _ in datasets]
    units: list[ClassifyUnit] = []
    costs: list[dict[str, QpuCostModel | None]] = []
    for i, (d, split) in enumerate(zip(datasets, splits, strict=True)):
        n_qubits = settings.n_qubits or split.X_train.shape[1]
        cost_of: dict[str, QpuCostModel | None] = {}
        for name in quantum_names:
            t_cost = time.perf_counter()
            cost_of[name] = _cost_model(
                name=name,
                n_qubits=n_qubits,
                n_features=split.X_train.shape[1],
                settings=settings,
                device_model=device_model,
                price_per_second=price_per_second,
                seed=seed,
            )
            if device_model is not None:
                timings[i][f"cost_model_{name}_seconds"] = time.perf_counter() - t_cost
        costs.append(cost_of)
        shared: tuple[tuple[np.ndarray, np.ndarray], ...] = ()
        if tune:
            from quantumlimits.classify.tuning import folds as make_folds

            shared = make_folds(y_train=split.y_train, k=tune_folds, seed=seed)
        for name in classical:
            units += [
                ClassifyUnit(d.name, name, k, s, split, grid=grid, tune=tune, folds=shared)
                for k, s in enumerate(seeds)
            ]
        for name in quantum_names:
            units += [
                ClassifyUnit(
                    d.name,
                    name,
                    k,
                    s,
                    split,
                    quantum=settings,
                    n_qubits=n_qubits,
                    cost=cost_of[name],
                    shots=shots,
                    noisy_device=device_model if noisy_eval else None,
                    tune=tune,
                    folds=shared,
                )
                for k, s in enumerate(seeds)
            ]

    index = {d.name: i for i, d in enumerate(datasets)}
    earlier = [dict(f) for f in finished] if finished is not None else [{} for _ in datasets]
    if len(earlier) != len(datasets):
        raise ValueError(f"finished has {len(earlier)} entries for {len(datasets)} datasets")
    recorded = {
        id(u): UnitOutcome.from_dict(dict(earlier[index[u.dataset]][unit_part(u)]))
        for u in units
        if unit_part(u) in earlier[index[u.dataset]]
    }
    to_run = [u for u in units if id(u) not in recorded]
    for unit, outcome in zip(to_run, _map_units(to_run, mapper, progress, hooks), strict=True):
        recorded[id(unit)] = outcome
        if record is not None:  # as each unit comes in: a stop keeps it
            record(index[unit.dataset], unit_part(unit), outcome)
    outcomes: dict[tuple[str, str], list[UnitOutcome]] = {}
    for unit in units:
        outcomes.setdefault((unit.dataset, unit.model), []).append(recorded[id(unit)])
    total_seconds = time.perf_counter() - t_start

    results = []
    for i, (d, split) in enumerate(zip(datasets, splits, strict=True)):
        models_out: list[ModelResult] = []
        for name in classical:
            done = outcomes[(d.name, name)]
            models_out.append(
                ModelResult(
                    name=name + ("-grid" if grid and name != "dummy" else ""),
                    family="classical",
                    description=CLASSICAL[name],
                    hyperparameters=_with_search(name, done[0].hyperparameters or {}, done),
                    n_params=done[0].n_params,
                    runs=tuple(o.run for o in done),
                )
            )
        for name in quantum_names:
            done = outcomes[(d.name, name)]
            cost = costs[i][name]
            first = done[0]
            params = _quantum_params(name, settings, settings.n_qubits or split.X_train.shape[1])
            models_out.append(
                ModelResult(
                    name=name,
                    family="quantum",
                    description=_describe(
                        QUANTUM[name],
                        first.ansatz_qubits or 0,
                        settings,
                        entangle=settings.entangle and entangles(name),
                    ),
                    hyperparameters=_with_search(
                        name,
                        _json_safe({**params, "random_state": None}),
                        done,
                    ),
                    n_params=first.n_params,
                    runs=tuple(o.run for o in done),
                    qpu=None
                    if cost is None
                    else {
                        **cost.to_dict(),
                        "trainable_gates": first.trainable_gates,
                        "sub_jobs_per_step": 1,
                    },
                )
            )
        if kind == "rel":
            best = max(
                m.median_final_accuracy
                for m in models_out
                if m.family == "classical" and m.name != "dummy"
            )
            absolute = value * best
        else:
            absolute = value
        mine = [outcomes[(d.name, m)] for m in models]
        t = timings[i]
        t["classical_seconds"] = sum(o.seconds for m in classical for o in outcomes[(d.name, m)])
        t["quantum_seconds"] = sum(o.seconds for m in quantum_names for o in outcomes[(d.name, m)])
        if noisy_eval and device_model is not None and quantum_names:
            t["noisy_eval_seconds"] = sum(o.noisy_seconds for runs in mine for o in runs)
        tuned = [o.run.tuning for runs in mine for o in runs if o.run.tuning is not None]
        if tuned:
            t["tune_seconds"] = sum(float(x["seconds"]) for x in tuned)
        t["total_seconds"] = total_seconds
        provenance: dict[str, Any] = {
            **prov.provenance(),
            "noisy_eval": noisy_eval,
            "quantum_settings": asdict(settings),
            "grid": grid,
            "qubit_budget": qubits,
        }
        if tune:
            provenance["tune"] = {"configurations": tune, "folds": tune_folds}
        if len(datasets) > 1:
            provenance["batch_datasets"] = names
        if cluster is not None:
            provenance["cluster"] = cluster
            provenance["placement"] = {
                m.name: [o.where for o in outcomes[(d.name, raw)]]
                for m, raw in zip(models_out, [*classical, *quantum_names], strict=True)
            }
        results.append(
            ClassifyResult(
                dataset=_dataset_info(d, split, test_size),
                target=float(absolute),
                target_spec=target,
                seed=seed,
                seeds=seeds,
                shots=shots,
                device_model=device_model,
                calibration_date=calibration,
                price_per_second=price_per_second,
                models=tuple(models_out),
                provenance=provenance,
                timings=t,
            )
        )
    return results


def _map_units(
    units: list[ClassifyUnit],
    mapper: Mapper | None,
    progress: Progress | None,
    hooks: QuantumHooks | None = None,
) -> Iterator[UnitOutcome]:
    """Run every unit through ``mapper`` (per-step progress in-process, per unit otherwise)."""

    def total(unit: ClassifyUnit) -> int:
        return 1 if unit.quantum is None else unit.quantum.max_steps

    if mapper is None:
        for unit in units:
            on_step = None
            if progress is not None:
                on_step = functools.partial(
                    progress, unit.model, unit.repetition, total=total(unit), dataset=unit.dataset
                )
            yield run_unit(unit, on_step=on_step, hooks=hooks)
        return
    if hooks is not None:
        raise UsageError(
            "training or evaluating on an IBM Quantum device runs in this process: drop --dask"
        )
    for unit, outcome in zip(units, mapper(run_unit, units), strict=True):
        if progress is not None:
            n = total(unit)
            progress(unit.model, unit.repetition, n, total=n, dataset=unit.dataset)
        yield outcome


def _quantum_estimator(params: dict[str, Any], split: Split) -> QuantumClassifier:
    """A binary task's :class:`QuantumClassifier`; with more classes, one per class against the
    rest, trained in lockstep (docs/classify.md, "Multiclass")."""
    if len(np.unique(split.y_train)) > 2:
        return OneVsRestQuantumClassifier(**params)
    return QuantumClassifier(**params)


def _with_search(
    name: str, hyperparameters: dict[str, Any], done: Sequence[UnitOutcome]
) -> dict[str, Any]:
    """A tuned model's hyperparameters: the first seed's chosen ones (each seed's choice is in
    its run's ``tuning``) and the search (grid, configurations, folds)."""
    tuned = done[0].run.tuning
    if tuned is None:
        return hyperparameters
    from quantumlimits.classify.tuning import grid_of

    chosen = done[0].hyperparameters or hyperparameters
    return _json_safe(
        {
            **chosen,
            "search": {
                "grid": grid_of(name),
                "configurations": tuned["configurations"],
                "folds": tuned["folds"],
                "per_seed": "runs[].tuning",
            },
        }
    )


def _quantum_params(name: str, settings: QuantumSettings, n_qubits: int) -> dict[str, Any]:
    template = QuantumClassifier(
        architecture=QUANTUM[name],
        n_qubits=n_qubits,
        layers=settings.layers,
        entangle=settings.entangle and entangles(name),
        learning_rate=settings.learning_rate,
        batch_size=settings.batch_size,
        max_steps=settings.max_steps,
        engine=settings.engine,
        readout=settings.readout,
    )
    params: dict[str, Any] = template.get_params()
    return params


def _cost_model(
    *,
    name: str,
    n_qubits: int,
    n_features: int,
    settings: QuantumSettings,
    device_model: str | None,
    price_per_second: float,
    seed: int,
) -> QpuCostModel | None:
    """The QPU projection of model ``name``'s circuit on ``device_model`` (None without one)."""
    if device_model is None:
        return None
    from quantumlimits.classify.ansatz import build_ansatz
    from quantumlimits.classify.executions import qiskit_circuit
    from quantumlimits.execution.cost import cost_model_for

    ansatz = build_ansatz(
        architecture=QUANTUM[name],
        n_qubits=n_qubits,
        n_features=n_features,
        layers=settings.layers,
        entangle=settings.entangle and entangles(name),
        readout=settings.readout,
    )
    circuit, _, _ = qiskit_circuit(ansatz, measure=True)
    return cost_model_for(
        circuit, device_model=device_model, price_per_second=price_per_second, seed=seed
    )


def _dataset_info(dataset: Dataset, split: Split, test_size: float) -> dict[str, Any]:
    classes, counts = np.unique(split.y_train, return_counts=True)
    return {
        "name": dataset.name,
        "description": dataset.description,
        "params": _json_safe(dict(dataset.params)),
        "n_train": len(split.y_train),
        "n_test": len(split.y_test),
        "n_features": int(split.X_train.shape[1]),
        "pca_components": split.pca_components,
        "test_size": test_size,
        "scaling": "min-max to [0, pi], fitted on the training split",
        "train_class_counts": {str(c): int(n) for c, n in zip(classes, counts, strict=True)},
    }


def _describe(
    architecture: str, n_qubits: int, settings: QuantumSettings, *, entangle: bool
) -> str:
    text = f"{architecture} ansatz, {n_qubits} qubits, {settings.layers} layers"
    return text if entangle else text + ", no entanglement"


def _classical_param_count(model: Any) -> int:
    """Learned numbers of a fitted classical model (0 for dummy; SVC counts its support)."""
    model = getattr(model, "best_estimator_", model)
    total = 0
    for attr in ("coef_", "intercept_", "dual_coef_", "support_vectors_"):
        value = getattr(model, attr, None)
        if value is not None:
            total += int(np.size(value))
    for attr in ("coefs_", "intercepts_"):
        for arr in getattr(model, attr, None) or []:
            total += int(np.size(arr))
    estimators = getattr(model, "estimators_", None)
    if estimators is not None and hasattr(estimators, "ravel"):
        total += sum(int(t.tree_.node_count) for t in estimators.ravel())
    return total
