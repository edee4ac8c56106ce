"""``classify --backend ibm_<device>``: the quantum classifiers on an IBM Quantum device.

Training runs on the simulator as without a device (or, with ``--train-on-backend`` and an
explicit ``--max-qpu-seconds``, takes every gradient from parameter-shift circuits run on the
device). Each trained model (per seed) is then evaluated on the device: its held-out samples bound
into the ISA circuit, submitted through :class:`~quantumlimits.execution.ibm.IBMExecutor` (all
models' and seeds' jobs first, so they queue together, then collected), the accuracy read from the
measured qubit. The projected QPU seconds and cost of everything that will be sent are shown before
anything is sent and refused over ``--max-qpu-seconds``; every job is journaled in the store under
one key per (model, seed, step) (:func:`quantumlimits.classify.hardware.job_key`).

``quantumlimits resume RUN_ID`` re-invokes ``classify`` with the recorded arguments. Once training
finished, the run's inputs hold the trained weights and the simulator part of the result, so a
resume only collects and completes the evaluation; a run stopped during training on the device
replays it, every finished step's counts read from the journal (never sent again).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.console import Console

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
from quantumlimits.cli import _ibm
from quantumlimits.errors import UsageError
from quantumlimits.execution import ibm, qpu_time
from quantumlimits.execution.backends import is_cloud_name
from quantumlimits.execution.executor import JobKey
from quantumlimits.seeding import derive_seed
from quantumlimits.store import JobRecord, ResultsStore

TRAIN_FLAG = "--train-on-backend"
#: Arguments not recorded for resume: where output goes, and what ``resume`` passes anew.
_NOT_RECORDED = frozenset(
    {"func", "json", "store", "no_store", "yes", "account", "mode", "max_qpu_seconds"}
)
_HINT = "pass fewer --seeds or --shots, a smaller test set (--test-size)"
_TRAIN_HINT = _HINT + ", fewer --max-steps or a smaller --batch-size"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--backend``, ``--train-on-backend`` and the IBM flags (``--price-per-second`` prices)."""
    g = parser.add_argument_group("IBM Quantum device (docs/ibm.md, docs/classify.md)")
    g.add_argument(
        "--backend",
        default=None,
        metavar="ibm_<device>",
        help="also evaluate every trained quantum model on this IBM Quantum device",
    )
    g.add_argument(
        TRAIN_FLAG,
        action="store_true",
        help="train on the device too (parameter-shift gradients); needs --max-qpu-seconds",
    )
    _ibm.add_arguments(parser, mode=True, price=False)


def check_flags(args: argparse.Namespace) -> bool:
    """Whether the run uses a device; refuses misplaced flags before any connection."""
    backend = args.backend
    if backend is None:
        used = [
            flag
            for flag, value in (
                ("--account", args.account),
                ("--max-qpu-seconds", args.max_qpu_seconds),
                ("--mode", None if args.mode == "batch" else args.mode),
                (TRAIN_FLAG, args.train_on_backend or None),
            )
            if value is not None
        ]
        if used:
            raise UsageError(
                f"{', '.join(used)} apply to --backend ibm_<device> only: add --backend, or "
                "drop them"
            )
        return False
    if not is_cloud_name(backend):
        raise UsageError(
            f"--backend {backend} is not an IBM Quantum device: pass ibm_<device> (a simulated "
            f"device is --device-model {backend} --noisy-eval)"
        )
    _ibm.check_flags(args)
    if args.train_on_backend:
        _ibm.require_budget(
            what=f"training on {backend} ({TRAIN_FLAG})", max_qpu_seconds=args.max_qpu_seconds
        )
    return True


def recorded_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The arguments ``resume`` re-invokes ``classify`` with (JSON values)."""
    out: dict[str, Any] = {}
    for name, value in sorted(vars(args).items()):
        if name in _NOT_RECORDED or name == "resume_run_id":
            continue
        out[name] = value if value is None or isinstance(value, (bool, int, float)) else str(value)
    return out


@dataclass(frozen=True)
class _Model:
    index: int
    name: str
    circuit: DeviceCircuit


class HardwareRun:
    """The device side of one classify run: executor, projection, journal keys, evaluation.

    It is also the run's :class:`~quantumlimits.classify.trainer.QuantumHooks`: it makes the
    estimators (device-trained ones with ``--train-on-backend``) and keeps the trained weights.
    """

    def __init__(
        self,
        *,
        args: argparse.Namespace,
        executor: ibm.IBMExecutor,
        split: Split,
        models: Sequence[_Model],
        seeds: Sequence[int],
        batch: int,
        console: Console,
    ) -> None:
        self.args = args
        self.backend: str = args.backend
        self.ex = executor
        self.split = split
        self.models = list(models)
        self.seeds = tuple(seeds)
        self.shots = int(args.shots)
        self.train = bool(args.train_on_backend)
        self.max_steps = int(args.max_steps)
        self.batch = batch
        self.console = console
        self.store: ResultsStore | None = None
        self.run_id: str | None = None
        self.inputs: dict[str, Any] = {}
        self.weights: dict[str, list[list[float] | None]] = {
            m.name: [None] * len(self.seeds) for m in self.models
        }
        self.classes: dict[str, list[Any]] = {}
        self._rep_delay = qpu_time.rep_delay_seconds(executor.device())

    # -- journal keys -----------------------------------------------------------------------

    def describe(self, key: str) -> str:
        """A journal key as people read it: model, seed and evaluation or training step."""
        return _describe(key, [m.name for m in self.models])

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

    def _step_projection(self, model: _Model) -> qpu_time.Projection:
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
        ``--train-on-backend``, until training finished) and each model's evaluation."""
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

    def start(self, store: ResultsStore, *, created: str) -> str:
        """Begin the run in ``store`` (or reopen the one being resumed), record what resume
        needs, and journal the executor's jobs under it."""
        resume_id = getattr(self.args, "resume_run_id", None)
        if resume_id is not None:
            run_id = store.resolve(resume_id)
            store.reopen_run(run_id)
        else:
            run_id = store.begin_run(
                kind="classify", backend=self.backend, seed=int(self.args.seed), created=created
            )
            self.inputs = {
                "command": "classify",
                "backend": self.backend,
                "seed": int(self.args.seed),
                "args": recorded_arguments(self.args),
            }
            store.record_inputs(run_id, self.inputs)
        self.store, self.run_id = store, run_id
        self.ex.attach(store=store, run_id=run_id)
        return run_id

    def load(self, inputs: dict[str, Any]) -> None:
        """Take the trained weights a stopped run recorded (resume)."""
        self.inputs = dict(inputs)
        for name, reps in (inputs.get("trained") or {}).items():
            if name in self.weights and len(reps) == len(self.seeds):
                self.weights[name] = [None if w is None else list(w) for w in reps]
        self.classes.update(inputs.get("classes") or {})

    def partial(self) -> ClassifyResult | None:
        """The simulator part of the result a resumed run recorded once training finished."""
        doc = self.inputs.get("partial")
        if doc is None or not self.trained_all:
            return None
        return ClassifyResult.from_dict(doc)

    def estimator(self, *, model: str, rep: int, params: dict[str, Any]) -> QuantumClassifier:
        """A plain estimator, or one that trains through the device (``--train-on-backend``)."""
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
            return expectations_from_counts(counts)

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
        assert self.store is not None and self.run_id is not None
        self.inputs = {
            **self.inputs,
            "trained": self.weights,
            "classes": self.classes,
            "partial": result.to_dict(),
        }
        self.store.record_inputs(self.run_id, self.inputs)

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
                counts, y_test, params=params, classes=classes
            )
            self.console.print(
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
                "mode": self.args.mode,
                "train_on_backend": self.train,
                "shots": self.shots,
            },
        }
        timings = {**result.timings, "hardware_seconds": seconds}
        return dataclasses.replace(
            result, models=tuple(models), provenance=provenance, timings=timings
        )

    def print_jobs(self, console: Console) -> None:
        """The run's jobs table: key, job id, status, projected and billed QPU seconds."""
        if self.store is not None:
            _ibm.print_jobs(
                console,
                self.store,
                self.run_id,
                usd_per_second=float(self.args.price_per_second),
                key=("model seed step", self.describe),
            )

    def interrupted(self, console: Console) -> None:
        """Say how to continue after Ctrl-C."""
        if self.run_id is not None:
            console.print(
                "submitted jobs keep running on IBM Quantum; collect them with: "
                f"quantumlimits resume {self.run_id}",
                soft_wrap=True,
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
    args: argparse.Namespace,
    *,
    split: Split,
    models: Sequence[str],
    settings: Any,
    store: ResultsStore | None,
) -> HardwareRun | None:
    """The approved device side of a classify run (None without ``--backend``).

    Checks the flags, opens the device, transpiles each quantum model to it, shows the projected
    QPU seconds and cost of everything still to send, and refuses over ``--max-qpu-seconds`` or
    without approval — before anything is sent.
    """
    from quantumlimits.classify.ansatz import build_ansatz
    from quantumlimits.classify.trainer import QUANTUM, STREAM_REPEAT

    if not check_flags(args):
        return None
    quantum = [m for m in models if m in QUANTUM]
    if not quantum:
        raise UsageError(
            f"--backend {args.backend} runs the quantum models on the device: add one to "
            "--models, e.g. vqc-reupload"
        )
    if args.train_on_backend and args.max_steps >= 10**6:
        raise UsageError(f"{TRAIN_FLAG} takes fewer than 10^6 --max-steps")
    resume_id = getattr(args, "resume_run_id", None)
    inputs = None
    if resume_id is not None:
        assert store is not None
        inputs = store.inputs(resume_id)
        if inputs is None or inputs.get("command") != "classify":
            raise UsageError(f"run {resume_id} recorded no classify settings to resume from")
    console = Console(stderr=True)
    ex = _ibm.executor(
        backend=args.backend,
        account=args.account,
        mode=args.mode,
        max_qpu_seconds=args.max_qpu_seconds,
    )
    try:
        if ex.transport.local:
            console.print(
                f"[yellow]warning:[/yellow] {ibm.ENV_LOCAL} is set: {args.backend} runs on the "
                f"fake snapshot {ex.device().name} in qiskit-ibm-runtime's local testing mode",
                soft_wrap=True,
            )
        d = split.X_train.shape[1]
        built = []
        for index, name in enumerate(quantum):
            ansatz = build_ansatz(
                architecture=QUANTUM[name],
                n_qubits=settings.n_qubits or d,
                n_features=d,
                layers=settings.layers,
                entangle=settings.entangle,
            )
            circuit = DeviceCircuit.build(ansatz, backend=ex.device(), seed=int(args.seed))
            built.append(_Model(index, name, circuit))
        n_train = len(split.y_train)
        hw = HardwareRun(
            args=args,
            executor=ex,
            split=split,
            models=built,
            seeds=[derive_seed(int(args.seed), STREAM_REPEAT, k) for k in range(args.seeds)],
            batch=n_train if settings.batch_size is None else min(settings.batch_size, n_train),
            console=console,
        )
        if resume_id is not None and inputs is not None:
            assert store is not None
            hw.store, hw.run_id = store, store.resolve(resume_id)
            ex.attach(store=store, run_id=hw.run_id)
            hw.load(inputs)
        _ibm.approve(
            projection=hw.projection(),
            backend=args.backend,
            max_qpu_seconds=args.max_qpu_seconds,
            usd_per_second=float(args.price_per_second),
            yes=args.yes,
            console=console,
            local=ex.transport.local,
            hint=_TRAIN_HINT if hw.train else _HINT,
        )
    except BaseException:
        ex.close()
        raise
    return hw


def jobs_console() -> Console:
    """stderr for job tables: the terminal's width, or wide enough for a job id and its key
    column when stderr is a file or pipe (rich assumes 80 columns there)."""
    console = Console(stderr=True)
    return console if console.is_terminal else Console(stderr=True, width=160)


def key_column(inputs: dict[str, Any] | None) -> _ibm.KeyColumn:
    """How a recorded classify run's job table names its journal keys."""
    from quantumlimits.classify.settings import QUANTUM, parse_models

    names: list[str] = []
    with contextlib.suppress(KeyError, UsageError):  # an unreadable record: generic labels
        names = [m for m in parse_models(str((inputs or {})["args"]["models"])) if m in QUANTUM]

    return ("model seed step", lambda key: _describe(key, names))


def _describe(key: str, names: Sequence[str]) -> str:
    """A journal key as people read it (``names``: the run's quantum models, in order)."""
    model, rep, step = split_key(key)
    name = names[model] if 0 <= model < len(names) else f"model {model + 1}"
    return f"{name} s{rep + 1} " + ("eval" if step == 0 else f"step {step}")


def resume(args: argparse.Namespace, *, store: ResultsStore, run_id: str) -> int:
    """``quantumlimits resume`` of a classify run: ``classify`` again with its recorded
    arguments (the account, mode, budget, ``--yes``, ``--json``, ``--out`` of this command)."""
    from quantumlimits.cli import build_parser, classify

    inputs = store.inputs(run_id)
    if inputs is None or inputs.get("command") != "classify":
        raise UsageError(
            f"run {run_id} is a classify run without an IBM Quantum device: it recorded nothing "
            "to resume from; start a new run"
        )
    ns = build_parser().parse_args(["classify"])
    vars(ns).update(inputs["args"])
    ns.account, ns.mode, ns.max_qpu_seconds = args.account, args.mode, args.max_qpu_seconds
    ns.yes, ns.json, ns.store, ns.no_store = args.yes, args.json, args.store, False
    if args.out is not None:
        ns.out = str(args.out)
    ns.resume_run_id = run_id
    status: int = classify.run(ns)
    return status
