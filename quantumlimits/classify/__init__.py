"""Variational quantum classifiers against classical baselines: time-to-accuracy.

* :mod:`~quantumlimits.classify.datasets` — seeded tasks, CSV loading, the shared split.
* :mod:`~quantumlimits.classify.ansatz` — one definition of each quantum circuit.
* :mod:`~quantumlimits.classify.statevector` — the fast NumPy execution with adjoint gradients.
* :mod:`~quantumlimits.classify.executions` — the same circuit in PennyLane and Qiskit (Aer).
* :mod:`~quantumlimits.classify.hardware` — the circuit on a device: ISA circuits, accuracy from
  counts, parameter-shift training.
* :mod:`~quantumlimits.classify.quantum` / :mod:`~quantumlimits.classify.classical` — estimators.
* :mod:`~quantumlimits.classify.trainer` — the time-to-accuracy measurement.
* :mod:`~quantumlimits.classify.results` — frozen results with the classify.json round trip.
"""

from __future__ import annotations

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
from quantumlimits.classify.statevector import StatevectorModel
from quantumlimits.classify.trainer import (
    MODELS,
    QUANTUM,
    ClassifyUnit,
    QuantumSettings,
    UnitOutcome,
    run_classify,
    run_classify_many,
    run_unit,
    train_classical,
    train_quantum,
)

__all__ = [
    "CLASSICAL",
    "DATASETS",
    "MODELS",
    "QUANTUM",
    "Ansatz",
    "ClassifyResult",
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
