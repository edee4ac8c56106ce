"""``quantumlimits study``: datasets x models x seeds, with equal tuning, and what they answer.

A study is a classify run over the dataset families of Bowles, Ahmed and Schuld
(arXiv:2403.07059) — linearly separable, hidden manifold, two curves, hyperplanes parity, bars and
stripes — and a real image set (scikit-learn's digits, 3 against 5, reduced by PCA), with every
model, its entanglement-free variant and (``tune``) the same search budget for all. It is recorded
in the store as one run of kind ``study``, each dataset's classify result one part of it, so an
interrupted study resumes without running a finished dataset again.

:func:`analyse` (pure) turns the results into the three answers: each model's accuracy rank per
dataset family; how often the best classical model beats the best quantum one, by how much
accuracy and at what training time; and each quantum model against its entanglement-free variant.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from quantumlimits.classify.settings import NOENT, QUANTUM, ClassifySettings, entangles

if TYPE_CHECKING:
    from quantumlimits.classify.datasets import Split
    from quantumlimits.classify.results import ClassifyResult
    from quantumlimits.classify.trainer import Progress
    from quantumlimits.execution.executor import Mapper
    from quantumlimits.store import ResultsStore

SCHEMA = 1
#: The dataset families a study covers (the real image set last).
FAMILIES = (
    "linearly_separable",
    "hidden_manifold",
    "two_curves",
    "hyperplanes_parity",
    "bars_and_stripes",
    "digits35",
)
#: The documented configuration (docs/classify.md, "The study"): what ``study`` runs by default.
#: Quantum models read the mean ⟨Z⟩ of every qubit, so that a ``-noent`` variant (a product
#: state) still sees every feature and the ablation measures the entanglement, not the readout.
DEFAULT = ClassifySettings(
    dataset=FAMILIES,
    models="all",
    samples=200,
    features=4,
    qubits=8,
    layers=2,
    max_steps=60,
    seeds=3,
    tune=4,
    tune_folds=3,
    target="0.9",
    device_model="none",
    seed=0,
    readout="mean",
)
#: ``--quick``: two families, one model of each kind and its variant, one seed, a tiny search.
#: Two layers, not one: the angle model's CZ ring follows its last variational layer and commutes
#: with the Z readout (of qubit 0 or of every qubit), so with one layer ``vqc-angle`` and
#: ``vqc-angle-noent`` are the same function and the ablation compares a model with itself.
QUICK = DEFAULT.replace(
    dataset=("linearly_separable", "two_curves"),
    models=("dummy", "logreg", "vqc-angle", "vqc-angle-noent"),
    samples=60,
    features=2,
    layers=2,
    max_steps=10,
    seeds=1,
    tune=2,
    tune_folds=2,
)


def _part(name: str) -> str:
    return f"dataset/{name}"


def _curves_part(name: str) -> str:
    return f"curves/{name}"


@dataclass(frozen=True)
class StudyResult:
    """A study's settings, each dataset's classify result, and :func:`analyse`'s answers."""

    settings: ClassifySettings
    results: tuple[ClassifyResult, ...]
    analysis: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    curves: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The study.json document (each dataset's full classify.json under ``datasets``)."""
        return {
            "schema": SCHEMA,
            "kind": "study",
            "run_id": self.run_id,
            "settings": self.settings.to_dict(),
            "analysis": self.analysis,
            "curves": self.curves,
            "provenance": self.provenance,
            "datasets": [r.to_dict() for r in self.results],
        }


def _final_seconds(result: ClassifyResult, name: str) -> float:
    return float(statistics.median(r.train_seconds for r in result.model(name).runs))


def analyse(results: Sequence[ClassifyResult]) -> dict[str, Any]:
    """The three answers from each dataset's result (no side effects).

    ``ranks[dataset][model]``: 1 for the highest median final accuracy (ties share the mean rank);
    ``duels``: per dataset the best classical and best quantum model (``dummy`` excluded), their
    accuracies and median training seconds, and whether classical wins; ``entanglement``: per
    dataset and quantum model, its accuracy and its ``-noent`` variant's.
    """
    ranks: dict[str, dict[str, float]] = {}
    accuracy: dict[str, dict[str, float]] = {}
    duels: list[dict[str, Any]] = []
    ablation: list[dict[str, Any]] = []
    for result in results:
        name = str(result.dataset.get("name"))
        acc = {m.name: m.median_final_accuracy for m in result.models}
        accuracy[name] = acc
        ordered = sorted(acc.values(), reverse=True)
        ranks[name] = {
            model: statistics.mean(i + 1 for i, value in enumerate(ordered) if value == acc[model])
            for model in acc
        }
        classical = {
            m.name: acc[m.name]
            for m in result.models
            if m.family == "classical" and not m.name.startswith("dummy")
        }
        quantum = {m.name: acc[m.name] for m in result.models if m.family == "quantum"}
        if classical and quantum:
            bc = max(sorted(classical), key=lambda k: classical[k])
            bq = max(sorted(quantum), key=lambda k: quantum[k])
            duels.append(
                {
                    "dataset": name,
                    "best_classical": bc,
                    "classical_accuracy": classical[bc],
                    "classical_train_seconds": _final_seconds(result, bc),
                    "best_quantum": bq,
                    "quantum_accuracy": quantum[bq],
                    "quantum_train_seconds": _final_seconds(result, bq),
                    "classical_wins": classical[bc] > quantum[bq],
                    "accuracy_gap": classical[bc] - quantum[bq],
                }
            )
        for model in quantum:
            variant = model + NOENT
            if entangles(model) and variant in quantum:
                ablation.append(
                    {
                        "dataset": name,
                        "model": model,
                        "entangled_accuracy": quantum[model],
                        "noent_accuracy": quantum[variant],
                        "noent_at_least_as_good": quantum[variant] >= quantum[model],
                    }
                )
    summary: dict[str, Any] = {"datasets": len(results)}
    if duels:
        wins = [d for d in duels if d["classical_wins"]]
        summary.update(
            {
                "classical_wins": len(wins),
                "duels": len(duels),
                "median_accuracy_gap": statistics.median(d["accuracy_gap"] for d in duels),
                "median_time_ratio": statistics.median(
                    d["quantum_train_seconds"] / max(d["classical_train_seconds"], 1e-9)
                    for d in duels
                ),
            }
        )
    if ablation:
        summary["noent_at_least_as_good"] = sum(a["noent_at_least_as_good"] for a in ablation)
        summary["ablation_pairs"] = len(ablation)
    models = sorted({m for r in ranks.values() for m in r})
    mean_rank = {m: statistics.mean(r[m] for r in ranks.values() if m in r) for m in models}
    return {
        "accuracy": accuracy,
        "ranks": ranks,
        "mean_rank": mean_rank,
        "duels": duels,
        "entanglement": ablation,
        "summary": summary,
    }


def run_study(
    settings: ClassifySettings,
    *,
    store: ResultsStore | None = None,
    mapper: Mapper | None = None,
    progress: Progress | None = None,
    cluster: dict[str, Any] | None = None,
    resume_run_id: str | None = None,
) -> StudyResult:
    """Run each dataset of ``settings`` (one classify measurement each), recording each result as
    a part of one ``study`` run; with ``resume_run_id`` the datasets it finished are read back."""
    from quantumlimits import provenance
    from quantumlimits.classify import protocol
    from quantumlimits.classify.results import ClassifyResult
    from quantumlimits.store import recording

    prepared = {  # every dataset checks before anything is recorded
        name: protocol.prepare(settings.replace(dataset=(name,))) for name in settings.names
    }
    prov = provenance.provenance()
    with recording(
        store,
        kind="study",
        backend=settings.device_model,
        seed=settings.seed,
        inputs=settings.to_dict(),
        created=str(prov["created"]),
        resume=resume_run_id,
    ) as run:
        finished = run.parts()
        results = []
        curves: dict[str, Any] = {}
        for name in settings.names:
            if _part(name) in finished:
                results.append(ClassifyResult.from_dict(finished[_part(name)]))
            else:
                (one,) = protocol.measure(
                    settings.replace(dataset=(name,)),
                    progress=progress,
                    mapper=mapper,
                    cluster=cluster,
                    prepared=prepared[name],
                )
                run.add_part(_part(name), one.result.to_dict())
                results.append(one.result)
            if _curves_part(name) in finished:
                curves[name] = finished[_curves_part(name)]
            else:
                curves[name] = dataset_curves(settings, prepared[name].splits[0], results[-1])
                run.add_part(_curves_part(name), curves[name])
        study = StudyResult(
            settings=settings,
            results=tuple(results),
            analysis=analyse(results),
            run_id=run.run_id,
            curves=curves,
            provenance=prov,
        )
        run.finish(document=study.to_dict(), summary=summary_line(study))
    return study


def dataset_curves(
    settings: ClassifySettings, split: Split, result: ClassifyResult
) -> dict[str, Any]:
    """Compute–accuracy curves of every model with a budget knob on one dataset, over the run's
    seeds: per model the median and band at each budget, and the power-law fit where one fits
    (:mod:`quantumlimits.classify.curves`)."""
    from quantumlimits.classify import curves
    from quantumlimits.classify.trainer import _quantum_params

    n_qubits = settings.width or split.X_train.shape[1]
    out: dict[str, Any] = {}
    for model in settings.models:
        if model in QUANTUM:
            params = _quantum_params(model, settings.quantum, n_qubits)
            per_seed = [
                curves.quantum_curve(params={**params, "random_state": s}, split=split)
                for s in result.seeds
            ]
            knob = "steps"
        elif model in curves.CLASSICAL_BUDGETS:
            per_seed = [
                curves.classical_curve(model=model, split=split, seed=s) for s in result.seeds
            ]
            knob = curves.CLASSICAL_BUDGETS[model][0]
        else:
            continue
        summary = curves.summarise(per_seed)
        out[model] = {
            "family": "quantum" if model in QUANTUM else "classical",
            "budget": knob,
            "points": summary,
            "fit": curves.fit_power_law(summary),
        }
    return out


def resume(
    store: ResultsStore, run_id: str, *, mapper: Mapper | None = None, progress: Any = None
) -> StudyResult:
    """Continue a stopped study from its recorded settings and finished datasets."""
    inputs = store.inputs(run_id) or {}
    settings = ClassifySettings.from_dict(inputs)
    return run_study(settings, store=store, mapper=mapper, progress=progress, resume_run_id=run_id)


def summary_line(study: StudyResult) -> str:
    """One line: how often the best classical model beat the best quantum one."""
    s = study.analysis.get("summary", {})
    if "duels" not in s:
        return f"study of {s.get('datasets', 0)} datasets"
    gap = s["median_accuracy_gap"]
    return (
        f"study of {s['datasets']} datasets: best classical beat best quantum on "
        f"{s['classical_wins']} of {s['duels']} (median accuracy gap {gap:+.3f})"
    )


__all__ = [
    "DEFAULT",
    "FAMILIES",
    "QUANTUM",
    "QUICK",
    "StudyResult",
    "analyse",
    "resume",
    "run_study",
    "summary_line",
]
