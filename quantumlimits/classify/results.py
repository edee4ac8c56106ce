"""Frozen results of a time-to-accuracy run, with a versioned JSON round trip (``"schema": 1``).

The format is documented in docs/classify.md ("classify.json format"). Derived figures (medians,
spreads, reached counts) are written for readers and recomputed, not trusted, when read back.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from quantumlimits.documents import Document, check_schema

SCHEMA = 1
FAMILIES = ("quantum", "classical")
#: The clocks a time-to-target can be read on.
CLOCKS = ("wall", "steps", "executions", "shots", "qpu", "cost")


@dataclass(frozen=True)
class Curve:
    """Held-out accuracy after each evaluated step, against cumulative training resources.

    ``train_seconds`` excludes evaluation time. ``executions``/``shots``/``qpu_seconds`` are what a
    hardware run of the same training would need (zeros for classical models).
    """

    steps: tuple[int, ...]
    train_seconds: tuple[float, ...]
    accuracy: tuple[float, ...]
    executions: tuple[int, ...]
    shots: tuple[int, ...]
    qpu_seconds: tuple[float, ...]

    def __post_init__(self) -> None:
        n = len(self.steps)
        for name in ("train_seconds", "accuracy", "executions", "shots", "qpu_seconds"):
            if len(getattr(self, name)) != n:
                raise ValueError(
                    f"curve field {name} has {len(getattr(self, name))} points, steps has {n}"
                )
        if n == 0:
            raise ValueError("a curve needs at least one point")
        if any(not 0.0 <= a <= 1.0 for a in self.accuracy):
            raise ValueError("accuracies must lie in [0, 1]")
        if any(b < a for a, b in zip(self.train_seconds[:-1], self.train_seconds[1:], strict=True)):
            raise ValueError("train_seconds must be non-decreasing")

    def first_reaching(self, target: float) -> int | None:
        """Index of the first point whose accuracy reaches ``target``, or None."""
        for i, acc in enumerate(self.accuracy):
            if acc >= target:
                return i
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            k: list(getattr(self, k))
            for k in ("steps", "train_seconds", "accuracy", "executions", "shots", "qpu_seconds")
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Curve:
        """Inverse of :meth:`to_dict`."""
        return cls(
            steps=tuple(int(v) for v in d["steps"]),
            train_seconds=tuple(float(v) for v in d["train_seconds"]),
            accuracy=tuple(float(v) for v in d["accuracy"]),
            executions=tuple(int(v) for v in d["executions"]),
            shots=tuple(int(v) for v in d["shots"]),
            qpu_seconds=tuple(float(v) for v in d["qpu_seconds"]),
        )


@dataclass(frozen=True)
class SeedRun:
    """One model trained with one seed: its curve and totals.

    ``noisy_accuracy``: held-out accuracy of the final quantum model run as a Qiskit circuit on Aer
    with the device snapshot's noise and the run's shots (None when not measured).
    ``hardware_accuracy``: the same, measured on an IBM Quantum device (``classify --backend``);
    ``hardware``: that evaluation's device, jobs, projected and billed QPU seconds, per-sample
    expectation values, and the training jobs when the model was trained on the device (None
    when the run did not use a device). ``tuning``: the search that chose this seed's
    configuration under ``--tune`` (budget, folds, its own seconds, the choice and its
    cross-validated accuracy; None without ``--tune``; written only when present).
    """

    seed: int
    curve: Curve
    eval_seconds: float
    noisy_accuracy: float | None = None
    hardware_accuracy: float | None = None
    hardware: dict[str, Any] | None = None
    tuning: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.tuning is not None:
            json.dumps(self.tuning, allow_nan=False)  # raises on non-JSON values
        for name in ("noisy_accuracy", "hardware_accuracy"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")
        if self.hardware is not None:
            json.dumps(self.hardware, allow_nan=False)  # raises on non-JSON values

    @property
    def final_accuracy(self) -> float:
        """Held-out accuracy at the last evaluated step."""
        return self.curve.accuracy[-1]

    @property
    def train_seconds(self) -> float:
        """Total training wall time (evaluation excluded)."""
        return self.curve.train_seconds[-1]

    def to_target(self, target: float, *, clock: str, price_per_second: float) -> float | None:
        """The first value of ``clock`` at which accuracy reached ``target``; None if never."""
        i = self.curve.first_reaching(target)
        if i is None:
            return None
        c = self.curve
        values = {
            "wall": c.train_seconds[i],
            "steps": float(c.steps[i]),
            "executions": float(c.executions[i]),
            "shots": float(c.shots[i]),
            "qpu": c.qpu_seconds[i],
            "cost": c.qpu_seconds[i] * price_per_second,
        }
        return values[clock]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = {
            "seed": self.seed,
            "eval_seconds": self.eval_seconds,
            "noisy_accuracy": self.noisy_accuracy,
            "hardware_accuracy": self.hardware_accuracy,
            "hardware": self.hardware,
            "curve": self.curve.to_dict(),
        }
        if self.tuning is not None:
            d["tuning"] = self.tuning
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SeedRun:
        """Inverse of :meth:`to_dict`."""
        return cls(
            seed=int(d["seed"]),
            eval_seconds=float(d["eval_seconds"]),
            curve=Curve.from_dict(d["curve"]),
            noisy_accuracy=None if d.get("noisy_accuracy") is None else float(d["noisy_accuracy"]),
            hardware_accuracy=(
                None if d.get("hardware_accuracy") is None else float(d["hardware_accuracy"])
            ),
            hardware=None if d.get("hardware") is None else dict(d["hardware"]),
            tuning=None if d.get("tuning") is None else dict(d["tuning"]),
        )


@dataclass(frozen=True)
class TargetSummary:
    """Time-to-target over seeds on one clock: median, spread (min and max), reached k of n.

    Runs that never reach the target count as +∞ (never dropped): the median is None ("not
    reached") when half or more of the runs missed it; the spread covers reached runs only.

    >>> TargetSummary.of([1.0, None, 3.0])
    TargetSummary(median=3.0, low=1.0, high=3.0, reached=2, runs=3)
    >>> TargetSummary.of([None, None, 3.0]).median is None
    True
    """

    median: float | None
    low: float | None
    high: float | None
    reached: int
    runs: int

    @classmethod
    def of(cls, values: list[float | None]) -> TargetSummary:
        """Summarise per-seed values (None = not reached)."""
        arr = np.array([math.inf if v is None else v for v in values], dtype=float)
        hit = arr[np.isfinite(arr)]
        med = float(np.median(arr)) if len(arr) else math.inf
        if math.isnan(med):
            med = math.inf
        return cls(
            median=med if math.isfinite(med) else None,
            low=float(hit.min()) if len(hit) else None,
            high=float(hit.max()) if len(hit) else None,
            reached=len(hit),
            runs=len(arr),
        )


@dataclass(frozen=True)
class ModelResult:
    """A model's runs over seeds, its hyperparameters and (quantum) its QPU cost model."""

    name: str
    family: str
    description: str
    hyperparameters: dict[str, Any]
    n_params: int
    runs: tuple[SeedRun, ...]
    qpu: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, got {self.family!r}")
        if not self.runs:
            raise ValueError(f"model {self.name} has no runs")
        json.dumps(self.hyperparameters, allow_nan=False)  # raises on non-JSON values

    def summary(self, target: float, *, clock: str, price_per_second: float) -> TargetSummary:
        """Time-to-target over seeds on ``clock``."""
        return TargetSummary.of(
            [r.to_target(target, clock=clock, price_per_second=price_per_second) for r in self.runs]
        )

    @property
    def median_final_accuracy(self) -> float:
        """Median over seeds of the final held-out accuracy."""
        return float(np.median([r.final_accuracy for r in self.runs]))

    def to_dict(self, *, target: float, price_per_second: float) -> dict[str, Any]:
        """JSON-ready dict, with derived summaries for readers."""
        clocks = CLOCKS if self.family == "quantum" else ("wall",)
        return {
            "name": self.name,
            "family": self.family,
            "description": self.description,
            "hyperparameters": self.hyperparameters,
            "n_params": self.n_params,
            "qpu": self.qpu,
            "runs": [r.to_dict() for r in self.runs],
            "median_final_accuracy": self.median_final_accuracy,
            "time_to_target": {
                c: self.summary(target, clock=c, price_per_second=price_per_second).__dict__
                for c in clocks
            },
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelResult:
        """Inverse of :meth:`to_dict` (derived summaries are recomputed, not read)."""
        return cls(
            name=d["name"],
            family=d["family"],
            description=d["description"],
            hyperparameters=dict(d["hyperparameters"]),
            n_params=int(d["n_params"]),
            runs=tuple(SeedRun.from_dict(r) for r in d["runs"]),
            qpu=d.get("qpu"),
        )


@dataclass(frozen=True)
class ClassifyResult(Document):
    """Everything one ``quantumlimits classify`` run measured, and where."""

    dataset: dict[str, Any]
    target: float
    target_spec: str
    seed: int
    seeds: tuple[int, ...]
    shots: int
    device_model: str | None
    calibration_date: str | None
    price_per_second: float
    models: tuple[ModelResult, ...]
    provenance: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    schema: int = SCHEMA

    def __post_init__(self) -> None:
        if self.schema != SCHEMA:
            raise ValueError(f"classify result schema {self.schema} is not {SCHEMA}")
        if not 0.0 < self.target <= 1.0:
            raise ValueError(f"target must be in (0, 1], got {self.target}")
        if self.shots < 1:
            raise ValueError(f"shots must be positive, got {self.shots}")
        names = [m.name for m in self.models]
        if len(set(names)) != len(names):
            raise ValueError(f"model names repeat: {names}")

    def model(self, name: str) -> ModelResult:
        """The result of model ``name``."""
        for m in self.models:
            if m.name == name:
                return m
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The classify.json document."""
        return {
            "schema": self.schema,
            "kind": "classify",
            "dataset": self.dataset,
            "target": self.target,
            "target_spec": self.target_spec,
            "seed": self.seed,
            "seeds": list(self.seeds),
            "shots": self.shots,
            "device_model": self.device_model,
            "calibration_date": self.calibration_date,
            "price_per_second": self.price_per_second,
            "models": [
                m.to_dict(target=self.target, price_per_second=self.price_per_second)
                for m in self.models
            ],
            "provenance": self.provenance,
            "timings": self.timings,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ClassifyResult:
        """Read a classify.json document; raises ValueError for another schema."""
        check_schema(d, expected=SCHEMA, kind="classify.json")
        return cls(
            schema=int(d["schema"]),
            dataset=dict(d["dataset"]),
            target=float(d["target"]),
            target_spec=str(d["target_spec"]),
            seed=int(d["seed"]),
            seeds=tuple(int(s) for s in d["seeds"]),
            shots=int(d["shots"]),
            device_model=d["device_model"],
            calibration_date=d["calibration_date"],
            price_per_second=float(d["price_per_second"]),
            models=tuple(ModelResult.from_dict(m) for m in d["models"]),
            provenance=dict(d.get("provenance", {})),
            timings={k: float(v) for k, v in d.get("timings", {}).items()},
        )
