"""A classify run: prepare (data, split, device snapshot) -> record -> units -> finish.

:func:`measure` runs what a :class:`~quantumlimits.classify.settings.ClassifySettings` asks for
and records it through the store's one run lifecycle (:func:`quantumlimits.store.recording`):
each dataset is one stored run whose inputs are its settings, and each finished (model, seed)
unit is one part of it, recorded as it comes in. A stopped run continues with :func:`resume`,
which reads its settings back and trains only the units it had not finished; every unit is seeded
from the run's seed, so the numbers are the ones an uninterrupted run gives (the clocks are
those of the attempt that trained each unit).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from quantumlimits.classify.settings import SYNTHETIC, ClassifySettings
from quantumlimits.errors import UsageError
from quantumlimits.store import RunRecord, recording

if TYPE_CHECKING:
    from quantumlimits.classify.datasets import Dataset, Split
    from quantumlimits.classify.results import ClassifyResult
    from quantumlimits.classify.trainer import Progress, QuantumHooks, UnitOutcome
    from quantumlimits.execution.executor import Mapper
    from quantumlimits.store import ResultsStore


@dataclass(frozen=True)
class Prepared:
    """A checked request: the datasets, their PCA components and their shared splits."""

    settings: ClassifySettings
    datasets: tuple[Dataset, ...]
    pcas: tuple[int | None, ...]
    splits: tuple[Split, ...]


@dataclass(frozen=True)
class Measured:
    """One dataset's result and the id of the stored run that holds it (None: not stored)."""

    result: ClassifyResult
    run_id: str | None

    @property
    def document(self) -> dict[str, Any]:
        """The classify.json document (the result and its run id)."""
        return {**self.result.to_dict(), "run_id": self.run_id}


def load_datasets(settings: ClassifySettings) -> list[Dataset]:
    """The datasets ``settings`` name: built-in tasks seeded by ``seed``, or the CSV."""
    from quantumlimits.classify.datasets import load_csv, load_dataset

    if settings.data is not None:
        assert settings.label is not None  # checked by the settings
        return [
            load_csv(
                path=settings.data, label=settings.label, positive_class=settings.positive_class
            )
        ]
    return [
        load_dataset(
            name=name,
            n_samples=settings.samples,
            n_features=settings.features if settings.features is not None else 2,
            noise=settings.noise,
            seed=settings.seed,
        )
        for name in settings.dataset
    ]


def request(settings: ClassifySettings) -> dict[str, Any]:
    """The keyword arguments :func:`~quantumlimits.classify.trainer.check_request` and
    :func:`~quantumlimits.classify.trainer.run_classify` share."""
    return {
        "models": settings.models,
        "target": settings.target,
        "shots": settings.shots,
        "price_per_second": settings.price_per_second,
        "qubits": settings.qubits,
        "test_size": settings.test_size,
        "seed": settings.seed,
    }


def prepare(settings: ClassifySettings) -> Prepared:
    """Load and check everything before any work (and before a run is stored): the data, each
    split against the qubit budget, and the device snapshot's name."""
    from quantumlimits.classify.trainer import check_request

    datasets = load_datasets(settings)
    pcas = tuple(
        None if (settings.data is None and d.name in SYNTHETIC) else settings.features
        for d in datasets
    )
    splits = tuple(
        check_request(
            dataset=d,
            n_features=pca,
            n_seeds=settings.seeds,
            quantum=settings.quantum,
            tune_folds=settings.tune_folds if settings.tune else 0,
            **request(settings),
        )
        for d, pca in zip(datasets, pcas, strict=True)
    )
    if settings.device_model is not None:
        from quantumlimits.execution.backends import load_snapshot

        load_snapshot(settings.device_model)  # an unknown name fails here, before any work
    return Prepared(settings=settings, datasets=tuple(datasets), pcas=pcas, splits=splits)


def measure(
    settings: ClassifySettings,
    *,
    store: ResultsStore | None = None,
    progress: Progress | None = None,
    mapper: Mapper | None = None,
    cluster: dict[str, Any] | None = None,
    resume_run_id: str | None = None,
    prepared: Prepared | None = None,
) -> list[Measured]:
    """Measure time-to-accuracy as ``settings`` ask, one result (and stored run) per dataset.

    With a ``store`` each dataset's run records its own settings (that dataset alone) and every
    (model, seed) unit as it finishes; ``resume_run_id`` continues such a run (one dataset) under
    its own id. ``mapper`` and ``cluster`` as in
    :func:`~quantumlimits.classify.trainer.run_classify_many`.
    """
    from quantumlimits import provenance
    from quantumlimits.classify.trainer import run_classify_many

    if settings.backend is not None:
        raise UsageError(
            f"--backend {settings.backend} runs on an IBM Quantum device: use "
            "quantumlimits.classify.device for it"
        )
    prepared = prepared or prepare(settings)
    if resume_run_id is not None and len(prepared.datasets) != 1:
        raise UsageError("a resumed classify run holds one dataset")
    per_dataset = [
        settings if len(prepared.datasets) == 1 else settings.replace(dataset=(d.name,))
        for d in prepared.datasets
    ]
    created = provenance.now_utc()
    with ExitStack() as stack:
        runs: list[RunRecord] = [
            stack.enter_context(
                recording(
                    store,
                    kind="classify",
                    backend=settings.device_model,
                    seed=settings.seed,
                    inputs=one.to_dict(),
                    created=created,
                    resume=resume_run_id,
                )
            )
            for one in per_dataset
        ]

        def record(i: int, part: str, outcome: UnitOutcome) -> None:
            runs[i].add_part(part, outcome.to_dict())

        results = run_classify_many(
            datasets=prepared.datasets,
            n_features=prepared.pcas,
            n_seeds=settings.seeds,
            device_model=settings.device_model,
            quantum=settings.quantum,
            grid=settings.grid,
            tune=settings.tune,
            tune_folds=settings.tune_folds,
            noisy_eval=settings.noisy_eval,
            progress=progress,
            mapper=mapper,
            cluster=cluster,
            finished=[run.parts() for run in runs],
            record=record,
            **request(settings),
        )
        measured = []
        for run, result in zip(runs, results, strict=True):
            one = Measured(result=result, run_id=run.run_id)
            run.finish(document=one.document, summary=summary(result))
            measured.append(one)
    return measured


def train(
    settings: ClassifySettings,
    prepared: Prepared,
    *,
    progress: Progress | None = None,
    hooks: QuantumHooks | None = None,
) -> ClassifyResult:
    """Train one dataset's models in this process, ``hooks`` making the quantum estimators (a
    device run), and return the result; nothing is recorded here."""
    from quantumlimits.classify.trainer import run_classify

    (dataset,), (pca,) = prepared.datasets, prepared.pcas
    return run_classify(
        dataset=dataset,
        n_features=pca,
        n_seeds=settings.seeds,
        device_model=settings.device_model,
        quantum=settings.quantum,
        grid=settings.grid,
        tune=settings.tune,
        tune_folds=settings.tune_folds,
        noisy_eval=settings.noisy_eval,
        progress=progress,
        hooks=hooks,
        **request(settings),
    )


def recorded_settings(store: ResultsStore, run_id: str) -> ClassifySettings:
    """The settings a classify run recorded (raises :class:`UsageError` when it recorded none)."""
    inputs = store.inputs(run_id)
    if not inputs:
        raise UsageError(
            f"run {run_id} recorded no classify settings (it predates them): start a new run"
        )
    return ClassifySettings.from_dict(inputs)


def resume(
    store: ResultsStore,
    run_id: str,
    *,
    progress: Progress | None = None,
    mapper: Mapper | None = None,
) -> Measured:
    """Continue a stopped classify run from its recorded settings and finished units."""
    settings = recorded_settings(store, run_id)
    (one,) = measure(settings, store=store, progress=progress, mapper=mapper, resume_run_id=run_id)
    return one


def summary(result: ClassifyResult) -> str:
    """The one line the store keeps: the dataset, the target and the fastest model to it."""
    best = None
    for m in result.models:
        s = m.summary(result.target, clock="wall", price_per_second=result.price_per_second)
        if s.median is not None and (best is None or s.median < best[1]):
            best = (m.name, s.median)
    head = f"{result.dataset.get('name')} target {result.target:.3g}"
    if best is None:
        return f"{head}: no model reached it"
    return f"{head}: fastest {best[0]} in {format_seconds(best[1])}"


def format_seconds(value: float | None) -> str:
    """Seconds as people read them.

    >>> format_seconds(0.0042), format_seconds(90.0), format_seconds(None)
    ('4.2 ms', '90.00 s', '—')
    """
    if value is None:
        return "—"
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        return f"{value * 1e3:.1f} ms"
    if value < 120:
        return f"{value:.2f} s"
    if value < 7200:
        return f"{value / 60:.1f} min"
    if value < 172800:
        return f"{value / 3600:.1f} h"
    return f"{value / 86400:.1f} d"


__all__: Sequence[str] = (
    "Measured",
    "Prepared",
    "format_seconds",
    "load_datasets",
    "measure",
    "prepare",
    "recorded_settings",
    "request",
    "resume",
    "summary",
    "train",
)
