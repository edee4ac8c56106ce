"""The quantum classifiers of a classify run on an IBM Quantum device (``settings.backend``).

Training runs on the simulator as without a device (or, with ``settings.train_on_backend``, takes
every gradient from parameter-shift circuits run on the device). Each trained model (per seed) is
then evaluated on the device: its held-out samples bound into the ISA circuit, submitted through
:class:`~quantumlimits.execution.ibm.IBMExecutor` (all models' and seeds' jobs first, so they
queue together, then collected), the accuracy read from the measured qubit. Every job is
journaled in the store under one key per (model, seed, step)
(:func:`quantumlimits.classify.hardware.job_key`).

A :class:`DeviceRun` is built by :func:`prepare` (the ISA circuits) before anything is sent, so
its :meth:`DeviceRun.projection` can be shown and approved first. The run records its settings as
its inputs; once training finished it records the trained weights and the simulator part of the
result as the part ``trained``, so a resumed run only collects and completes the evaluation; a run
stopped during training on the device replays it, every finished step's counts read from the
journal (never sent again). Runs recorded before the settings existed kept that state in their
inputs (``trained``, ``classes``, ``partial``); :meth:`DeviceRun.load` reads both.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from quantumlimits.classify.datasets import Split
from quantumlimits.classify.hardware import (
    STREAM_HARDWARE,
    DeviceCircuit,
    DeviceTrainedClassifier,
    ParameterShiftGradient,
    accuracy_from_counts,
    expectations_from_counts,
    job_key,
    split_key,
)
from quantumlimits.classify.quantum import QuantumClassifier
from quantumlimits.classify.results import ClassifyResult
from quantumlimits.classify.settings import QUANTUM, ClassifySettings, entangles
from quantumlimits.errors import UsageError
from quantumlimits.execution import ibm, qpu_time
from quantumlimits.execution.executor import JobKey
from quantumlimits.seeding import derive_seed
from quantumlimits.store import JobRecord, ResultsStore

#: The run part that holds the trained weights, classes and simulator result.
TRAINED_PART = "trained"
#: Fewest optimiser steps refused for training on a device (a step is a journal key).
MAX_DEVICE_STEPS = 10**6


@dataclass(frozen=True)
class DeviceModel:
    """A quantum model of the run: its index among the run's quantum models, name and circuit."""

    index: int
    name: str
    circuit: DeviceCircuit


def quantum_models(settings: ClassifySettings) -> list[str]:
    """The run's quantum models, in order (their index is the journal key's model number)."""
    return [m for m in settings.models if m in QUANTUM]


def describe_key(key: str, names: Sequence[str]) -> str:
    """A journal key as people read it (``names``: the run's quantum models, in order).

    >>> describe_key(job_key(model=1, rep=0, step=0).name, ["vqc-angle", "vqc-iqp"])
    'vqc-iqp s1 eval'
    """
    model, rep, step = split_key(key)
    name = names[model] if 0 <= model < len(names) else f"model {model + 1}"
    return f"{name} s{rep + 1} " + ("eval" if step == 0 else f"step {step}")


def check(settings: ClassifySettings) -> None:
    """What a device run needs of its settings (before any connection)."""
    if not quantum_models(settings):
        raise UsageError(
            f"--backend {settings.backend} runs the quantum models on the device: add one to "
            "--models, e.g. vqc-reupload"
        )
    if settings.train_on_backend and settings.max_steps >= MAX_DEVICE_STEPS:
        raise UsageError("--train-on-backend takes fewer than 10^6 --max-steps")


class DeviceRun:
    """The device side of one classify run: executor, projection, journal keys, evaluation.

    It is also the run's :class:`~quantumlimits.classify.trainer.QuantumHooks`: it makes the
    estimators (device-trained ones with ``train_on_backend``) and keeps the trained weights.
    ``report(line)`` receives one line per evaluated model and seed.
    """

    def __init__(
        self,
        *,
        settings: ClassifySettings,
        executor: ibm.IBMExecutor,
        split: Split,
        models: Sequence[DeviceModel],
        mode: str = "batch",
        report: Callable[[str], None] | None = None,
    ) -> None:
        from quantumlimits.classify.trainer import STREAM_REPEAT

        assert settings.backend is not None
        self.settings = settings
        self.backend: str = settings.backend
        self.ex = executor
        self.split = split
        self.models = list(models)
        self.seeds = tuple(
            derive_seed(settings.seed, STREAM_REPEAT, k) for k in range(settings.seeds)
        )
        self.shots = settings.shots
        self.train = settings.train_on_backend
        self.max_steps = settings.max_steps
        n_train = len(split.y_train)
        self.batch = n_train if settings.batch_size is None else min(settings.batch_size, n_train)
        self.mode = mode
        self.report = report or (lambda line: None)
        self.store: ResultsStore | None = None
        self.run_id: str | None = None
        self.weights: dict[str, list[list[float] | None]] = {
            m.name: [None] * len(self.seeds) for m in self.models
        }
        self.classes: dict[str, list[Any]] = {}
        self._partial: dict[str, Any] | None = None
        self._rep_delay = qpu_time.rep_delay_seconds(executor.device())

    # -- journal keys -----------------------------------------------------------------------

    def describe(self, key: str) -> str:
        """A journal key as people read it: model, seed and evaluation or training step."""
        return describe_key(key, [m.name for m in self.models])

    def key(self, model: int, rep: int, step: int) -> JobKey:
        """The journal key of a model's seed's evaluation (step 0) or training step."""
        key = job_key(model=model, rep=rep, step=step)
        return dataclasses.replace(key, label=self.describe(key.name))

    def _settled(self, key: JobKey, jobs: int) -> bool:
        """All ``jobs`` chunks of ``key`` are done or submitted (nothing to send for it)."""
        if self.store is None or self.run_id is None:
            return False
        latest = self.store.latest_jobs(self.run_id, key=key.name)
        return len(latest) == jobs and all(
            j.status in ("done", "submitted") for j in latest.values()
        )

    # -- projection ---------------------------------------------------------------------------

    def _step_projection(self, model: DeviceModel) -> qpu_time.Projection:
        count = self.batch * (2 * model.circuit.n_shifts + 1)
        one = qpu_time.project(
            circuits=[model.circuit.circuit],
            shots=self.shots,
            jobs=0,
            target=self.ex.device().target,
            rep_delay=self._rep_delay,
        )
        jobs = len(self.ex.limits.pack(count, shots=self.shots))
        return qpu_time.Projection(
            jobs=jobs,
            circuits=count,
            shots=count * self.shots,
            overhead_seconds=jobs * qpu_time.JOB_OVERHEAD_S,
            shot_seconds=count * one.shot_seconds,
        )

    def projection(self) -> qpu_time.Projection:
        """Projected QPU time of every job still to send: training steps on the device (with
        ``train_on_backend``, until training finished) and each model's evaluation."""
        total = qpu_time.NOTHING
        X_test = self.split.X_test
        for model in self.models:
            step = self._step_projection(model) if self.train and not self.trained_all else None
            for rep in range(len(self.seeds)):
                if step is not None:
                    for number in range(1, self.max_steps + 1):
                        if not self._settled(self.key(model.index, rep, number), step.jobs):
                            total = total + step
                weights = self.weights[model.name][rep]
                if weights is None:
                    circuits = [model.circuit.circuit] * len(X_test)
                else:
                    circuits = model.circuit.bind(X_test, np.asarray(weights)[:-2])
                total = total + self.ex.projection(
                    circuits, key=self.key(model.index, rep, 0), shots=self.shots
                )
        return total

    # -- the run ------------------------------------------------------------------------------

    @property
    def trained_all(self) -> bool:
        """Whether every model and seed has trained weights (recorded or from this process)."""
        return all(w is not None for ws in self.weights.values() for w in ws)

    def attach(self, store: ResultsStore, run_id: str) -> None:
        """Journal the executor's jobs under ``run_id`` in ``store``."""
        self.store, self.run_id = store, run_id
        self.ex.attach(store=store, run_id=run_id)

    def load(self, store: ResultsStore, run_id: str) -> None:
        """Attach to a stopped run and take the trained weights it recorded (resume)."""
        self.attach(store, run_id)
        state: Mapping[str, Any] = store.parts(run_id).get(TRAINED_PART) or {}
        if not state:  # a run recorded before the settings kept it in its inputs
            inputs = store.inputs(run_id) or {}
            state = {
                "weights": inputs.get("trained"),
                "classes": inputs.get("classes"),
                "partial": inputs.get("partial"),
            }
        for name, reps in (state.get("weights") or {}).items():
            if name in self.weights and len(reps) == len(self.seeds):
                self.weights[name] = [None if w is None else list(w) for w in reps]
        self.classes.update(state.get("classes") or {})
        self._partial = state.get("partial")

    def partial(self) -> ClassifyResult | None:
        """The simulator part of the result a resumed run recorded once training finished."""
        if self._partial is None or not self.trained_all:
            return None
        return ClassifyResult.from_dict(self._partial)

    def estimator(self, *, model: str, rep: int, params: dict[str, Any]) -> QuantumClassifier:
        """A plain estimator, or one that trains through the device (``train_on_backend``)."""
        if not self.train:
            return QuantumClassifier(**params)
        found = next(m for m in self.models if m.name == model)
        seed = self.seeds[rep]

        def expectations(circuits: list[Any], step: int) -> np.ndarray:
            counts = self._counts(
                circuits,
                key=self.key(found.index, rep, step),
                seed=derive_seed(seed, STREAM_HARDWARE, step),
            )
            return expectations_from_counts(counts, bits=len(found.circuit.ansatz.readout_qubits))

        gradient = ParameterShiftGradient(found.circuit, expectations=expectations)
        return DeviceTrainedClassifier(**params).use_gradient(gradient)

    def _counts(self, circuits: list[Any], *, key: JobKey, seed: int) -> list[dict[int, int]]:
        """Counts of ``circuits`` journaled under ``key`` (collected, or submitted and waited
        for)."""
        counts, _, _ = self.ex.execute(
            circuits, key=key, shots=self.shots, seed=seed, advance=lambda _: None
        )
        return counts

    def trained(self, *, model: str, rep: int, estimator: QuantumClassifier) -> None:
        """Keep the trained weights and classes of ``model``'s repetition ``rep``."""
        self.weights[model][rep] = [float(v) for v in estimator.params_]
        self.classes[model] = np.asarray(estimator.classes_).tolist()

    def record_training(self, result: ClassifyResult) -> None:
        """Store the trained weights and the simulator result: a resume evaluates from here."""
        self._partial = result.to_dict()
        if self.store is not None and self.run_id is not None:
            self.store.add_part(
                self.run_id,
                TRAINED_PART,
                {"weights": self.weights, "classes": self.classes, "partial": self._partial},
            )

    def evaluate(self, result: ClassifyResult) -> ClassifyResult:
        """Run every trained model on the device and record its hardware accuracy."""
        assert self.store is not None and self.run_id is not None
        t0 = time.perf_counter()
        X_test, y_test = self.split.X_test, self.split.y_test
        plans = []
        with ibm.redacted_logs(self.ex.secrets):
            for model in self.models:  # submit everything first: the jobs queue together
                for rep, seed in enumerate(self.seeds):
                    weights = self.weights[model.name][rep]
                    if weights is None:
                        raise UsageError(
                            f"run {self.run_id} has no trained weights for {model.name} seed "
                            f"{rep + 1}: it cannot be evaluated; start a new run"
                        )
                    params = np.asarray(weights)
                    circuits = model.circuit.bind(X_test, params[:-2])
                    key = self.key(model.index, rep, 0)
                    job_seed = derive_seed(seed, STREAM_HARDWARE, 0)
                    self.ex.submit(circuits, key=key, shots=self.shots, seed=job_seed)
                    plans.append((model, rep, key, circuits, params, job_seed))
        measured: dict[tuple[str, int], tuple[float, np.ndarray]] = {}
        for model, rep, key, circuits, params, job_seed in plans:
            counts = self._counts(circuits, key=key, seed=job_seed)
            classes = np.asarray(self.classes[model.name])
            measured[(model.name, rep)] = accuracy_from_counts(
                counts,
                y_test,
                params=params,
                classes=classes,
                bits=len(model.circuit.ansatz.readout_qubits),
            )
            self.report(
                f"{model.name} seed {rep + 1} on {self.backend}: hardware accuracy "
                f"{measured[(model.name, rep)][0]:.3f}"
            )
        return self._with_hardware(result, measured, seconds=time.perf_counter() - t0)

    def _with_hardware(
        self,
        result: ClassifyResult,
        measured: dict[tuple[str, int], tuple[float, np.ndarray]],
        *,
        seconds: float,
    ) -> ClassifyResult:
        assert self.store is not None and self.run_id is not None
        by_key: dict[str, list[JobRecord]] = {}
        for job in self.store.jobs(self.run_id):
            by_key.setdefault(job.key, []).append(job)
        index = {m.name: m for m in self.models}
        models = []
        for m in result.models:
            if m.name not in index:
                models.append(m)
                continue
            model = index[m.name]
            runs = []
            for rep, run in enumerate(m.runs):
                if run.seed != self.seeds[rep]:
                    raise UsageError(
                        f"recorded seed {run.seed} of {m.name} is not the run's {self.seeds[rep]}"
                    )
                accuracy, expectations = measured[(m.name, rep)]
                eval_jobs = by_key.get(self.key(model.index, rep, 0).name, [])
                training = None
                if self.train:
                    steps = [
                        j
                        for number in range(1, self.max_steps + 1)
                        for j in by_key.get(self.key(model.index, rep, number).name, [])
                    ]
                    training = {
                        "steps": self.max_steps,
                        "circuits": self.max_steps * self.batch * (2 * model.circuit.n_shifts + 1),
                        **_usage(steps),
                    }
                hardware = {
                    "backend": self.backend,
                    "device": str(self.ex.device().name),
                    "method": self.ex.method,
                    "shots": self.shots,
                    "circuits": len(expectations),
                    "expectations": [float(v) for v in expectations],
                    **_usage(eval_jobs),
                    "training": training,
                }
                runs.append(dataclasses.replace(run, hardware_accuracy=accuracy, hardware=hardware))
            models.append(dataclasses.replace(m, runs=tuple(runs)))
        provenance = {
            **result.provenance,
            "hardware": {
                "backend": self.backend,
                "device": str(self.ex.device().name),
                "method": self.ex.method,
                "mode": self.mode,
                "train_on_backend": self.train,
                "shots": self.shots,
            },
        }
        timings = {**result.timings, "hardware_seconds": seconds}
        return dataclasses.replace(
            result, models=tuple(models), provenance=provenance, timings=timings
        )

    def close(self) -> None:
        """Close the executor's Batch or Session (running jobs continue)."""
        self.ex.close()


def _usage(jobs: Sequence[JobRecord]) -> dict[str, Any]:
    projected, used = ibm.usage_summary(jobs)
    return {
        "jobs": len({(j.key, j.chunk) for j in jobs}),
        "job_ids": [j.job_id for j in jobs if j.job_id is not None],
        "projected_seconds": round(projected, 6),
        "usage_seconds": used,
    }


def prepare(
    settings: ClassifySettings,
    *,
    split: Split,
    executor: ibm.IBMExecutor,
    mode: str = "batch",
    report: Callable[[str], None] | None = None,
) -> DeviceRun:
    """The device side of a classify run: each quantum model transpiled to ``executor``'s
    device. Nothing is sent; show and approve :meth:`DeviceRun.projection` next."""
    from quantumlimits.classify.ansatz import build_ansatz

    check(settings)
    classes = len(np.unique(split.y_train))
    if classes > 2:
        raise UsageError(
            f"the training set has {classes} classes and the quantum models run on a device as "
            "binary classifiers: pass --positive-class LABEL to make the task one-vs-rest"
        )
    d = split.X_train.shape[1]
    built = []
    for index, name in enumerate(quantum_models(settings)):
        ansatz = build_ansatz(
            architecture=QUANTUM[name],
            n_qubits=settings.width or d,
            n_features=d,
            layers=settings.layers,
            entangle=settings.entangle and entangles(name),
            readout=settings.readout,
        )
        circuit = DeviceCircuit.build(ansatz, backend=executor.device(), seed=settings.seed)
        built.append(DeviceModel(index, name, circuit))
    return DeviceRun(
        settings=settings, executor=executor, split=split, models=built, mode=mode, report=report
    )
