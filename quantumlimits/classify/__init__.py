"""Variational quantum classifiers against classical baselines: time-to-accuracy.

* :mod:`~quantumlimits.classify.datasets` — seeded tasks, CSV loading, the shared split.
* :mod:`~quantumlimits.classify.ansatz` — one definition of each quantum circuit.
* :mod:`~quantumlimits.classify.statevector` — the fast NumPy execution with adjoint gradients.
* :mod:`~quantumlimits.classify.executions` — the same circuit in PennyLane and Qiskit (Aer).
* :mod:`~quantumlimits.classify.hardware` — the circuit on a device: ISA circuits, accuracy from
  counts, parameter-shift training.
* :mod:`~quantumlimits.classify.quantum` / :mod:`~quantumlimits.classify.classical` — estimators.
* :mod:`~quantumlimits.classify.settings` — what a run is asked to do (``ClassifySettings``).
* :mod:`~quantumlimits.classify.trainer` — the time-to-accuracy measurement.
* :mod:`~quantumlimits.classify.protocol` — the run: prepare, record, units, finish; resume.
* :mod:`~quantumlimits.classify.device` — the quantum models on an IBM Quantum device.
* :mod:`~quantumlimits.classify.results` — frozen results with the classify.json round trip.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Where each public name lives. Imported on first use, so that importing a light module of the
#: package (``classify.settings``, which the command line's parser reads) loads no scikit-learn.
_HOME = {
    "Ansatz": "ansatz",
    "Gate": "ansatz",
    "build_ansatz": "ansatz",
    "CLASSICAL": "classical",
    "make_classical": "classical",
    "DATASETS": "datasets",
    "Dataset": "datasets",
    "Split": "datasets",
    "load_csv": "datasets",
    "load_dataset": "datasets",
    "split_and_scale": "datasets",
    "QuantumClassifier": "quantum",
    "ClassifyResult": "results",
    "Curve": "results",
    "ModelResult": "results",
    "SeedRun": "results",
    "TargetSummary": "results",
    "ClassifySettings": "settings",
    "MODELS": "settings",
    "QUANTUM": "settings",
    "QuantumSettings": "settings",
    "StatevectorModel": "statevector",
    "ClassifyUnit": "trainer",
    "UnitOutcome": "trainer",
    "run_classify": "trainer",
    "run_classify_many": "trainer",
    "run_unit": "trainer",
    "train_classical": "trainer",
    "train_quantum": "trainer",
}

if TYPE_CHECKING:
    from quantumlimits.classify.ansatz import Ansatz, Gate, build_ansatz
    from quantumlimits.classify.classical import CLASSICAL, make_classical
    from quantumlimits.classify.datasets import (
        DATASETS,
        Dataset,
        Split,
        load_csv,
        load_dataset,
        split_and_scale,
    )
    from quantumlimits.classify.quantum import QuantumClassifier
    from quantumlimits.classify.results import (
        ClassifyResult,
        Curve,
        ModelResult,
        SeedRun,
        TargetSummary,
    )
    from quantumlimits.classify.settings import MODELS, QUANTUM, ClassifySettings, QuantumSettings
    from quantumlimits.classify.statevector import StatevectorModel
    from quantumlimits.classify.trainer import (
        ClassifyUnit,
        UnitOutcome,
        run_classify,
        run_classify_many,
        run_unit,
        train_classical,
        train_quantum,
    )


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME])


__all__ = [
    "CLASSICAL",
    "DATASETS",
    "MODELS",
    "QUANTUM",
    "Ansatz",
    "ClassifyResult",
    "ClassifySettings",
    "ClassifyUnit",
    "Curve",
    "Dataset",
    "Gate",
    "ModelResult",
    "QuantumClassifier",
    "QuantumSettings",
    "SeedRun",
    "Split",
    "StatevectorModel",
    "TargetSummary",
    "UnitOutcome",
    "build_ansatz",
    "load_csv",
    "load_dataset",
    "make_classical",
    "run_classify",
    "run_classify_many",
    "run_unit",
    "split_and_scale",
    "train_classical",
    "train_quantum",
]
