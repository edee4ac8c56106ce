"""What a classify run is asked to do: one frozen, validated settings object.

:class:`ClassifySettings` is checked once, when it is made, with messages that name the field and
its command-line flag. Loading the data, the split and the device snapshot are
:func:`quantumlimits.classify.protocol.prepare`, which runs before anything is recorded or
trained. ``to_dict`` is exactly what a run records as its inputs in the results store, and
``from_dict`` reads them back (also the ``{"command": "classify", "args": {...}}`` inputs that
device runs recorded before this class existed), so ``resume`` continues a run from its own
settings.

This module imports no scikit-learn, PennyLane or Qiskit: the command line builds its parser from
the names here.

>>> s = ClassifySettings(dataset="moons,circles", models="svc,vqc-angle", seeds=2)
>>> s.dataset, s.models, ClassifySettings.from_dict(s.to_dict()) == s
(('moons', 'circles'), ('svc', 'vqc-angle'), True)
>>> ClassifySettings(seeds=0)
Traceback (most recent call last):
...
quantumlimits.errors.UsageError: seeds (--seeds) must be at least 1, got 0
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from quantumlimits.errors import UsageError

#: Built-in datasets (kept in step with :data:`quantumlimits.classify.datasets.DATASETS`).
SYNTHETIC = (
    "linearly_separable",
    "two_curves",
    "hidden_manifold",
    "bars_and_stripes",
    "hyperplanes_parity",
    "moons",
    "circles",
)
REAL = ("breast_cancer", "wine", "iris", "digits35")
DATASETS = SYNTHETIC + REAL
#: Classical model names (descriptions in :data:`quantumlimits.classify.classical.CLASSICAL`).
CLASSICAL_NAMES = ("dummy", "logreg", "svc", "mlp", "gbdt")
#: Suffix of a quantum model's entanglement-free variant (same parameters, no entangling gate).
NOENT = "-noent"
_ARCHITECTURES = {"vqc-reupload": "reupload", "vqc-angle": "angle", "vqc-iqp": "iqp"}
#: Quantum model names and their architectures: each model, then each one's entanglement-free
#: variant (the ablation of Bowles, Ahmed and Schuld, arXiv:2403.07059).
QUANTUM: dict[str, str] = {
    **_ARCHITECTURES,
    **{name + NOENT: arch for name, arch in _ARCHITECTURES.items()},
}
MODELS: tuple[str, ...] = (*CLASSICAL_NAMES, *QUANTUM)
ENGINES = ("numpy", "pennylane", "lightning")
#: The quantum models' readouts (kept in step with classify.ansatz.READOUTS): ⟨Z⟩ of qubit 0, or
#: the mean of ⟨Z⟩ over every qubit.
READOUTS = ("z0", "mean")
#: USD per QPU second (IBM Pay-As-You-Go list price; kept in step with execution.cost).
DEFAULT_PRICE_PER_SECOND = 1.6

#: Largest ``--tune``: the configurations in every model's grid (classify.tuning.GRID_SIZE).
TUNE_MAX = 16

#: Fields whose flag is not ``--`` + the field name with dashes.
_FLAGS = {"entangle": "--no-entangle", "learning_rate": "--lr", "seeds": "--seeds"}


def _flag(name: str) -> str:
    return f"{name} ({_FLAGS.get(name, '--' + name.replace('_', '-'))})"


def entangles(model: str) -> bool:
    """Whether quantum ``model`` keeps its entangling gates (its ``-noent`` variant does not).

    >>> entangles("vqc-angle"), entangles("vqc-angle-noent")
    (True, False)
    """
    return not model.endswith(NOENT)


def parse_datasets(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """``--dataset``: one built-in name or a comma-separated list of distinct ones.

    >>> parse_datasets("moons, circles")
    ('moons', 'circles')
    >>> parse_datasets(None)
    ('moons',)
    """
    if text is None:
        return ("moons",)
    names = [n.strip() for n in text.split(",")] if isinstance(text, str) else list(text)
    if not any(names):
        raise UsageError(f"--dataset is empty: pass one or more of {', '.join(DATASETS)}")
    if "" in names:
        raise UsageError(
            f"--dataset {text!r} has an empty name: separate names with single commas, "
            "e.g. --dataset moons,circles"
        )
    for name in names:
        if name not in DATASETS:
            close = difflib.get_close_matches(name, DATASETS, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise UsageError(
                f"unknown dataset {name!r} in --dataset: {hint}choose from {', '.join(DATASETS)}"
            )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise UsageError(
            f"--dataset names {', '.join(repeated)} more than once: list each dataset once"
        )
    return tuple(names)


def parse_models(text: str | Sequence[str]) -> tuple[str, ...]:
    """A comma-separated model list (or ``all``) checked against :data:`MODELS`.

    >>> parse_models("svc, vqc-reupload")
    ('svc', 'vqc-reupload')
    >>> len(parse_models("all")) == len(MODELS)
    True
    """
    raw = text.split(",") if isinstance(text, str) else list(text)
    names = [n.strip() for n in raw if n.strip()]
    if names == ["all"]:
        return MODELS
    if not names:
        raise UsageError(
            f"--models is empty: pass a comma-separated list of {', '.join(MODELS)}, or all"
        )
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise UsageError(
            f"unknown model {unknown[0]!r} in --models: choose from {', '.join(MODELS)}, or all"
        )
    return tuple(dict.fromkeys(names))


def parse_target(text: str) -> tuple[str, float]:
    """``'0.9'`` -> ('abs', 0.9); ``'rel:0.95'`` -> ('rel', 0.95); values must lie in (0, 1].

    >>> parse_target("rel:0.95")
    ('rel', 0.95)
    """
    kind, _, raw = text.partition(":") if text.startswith("rel:") else ("abs", "", text)
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(
            f"--target {text!r} is not a number: pass e.g. --target 0.9 or --target rel:0.95"
        ) from None
    if not 0.0 < value <= 1.0:
        raise UsageError(
            f"--target {text!r} is outside (0, 1]: pass e.g. --target 0.9 or --target rel:0.95"
        )
    return kind, value


@dataclass(frozen=True)
class QuantumSettings:
    """Hyperparameters shared by the quantum models of one run (the ablation switches)."""

    layers: int = 3
    learning_rate: float = 0.1
    batch_size: int | None = None
    max_steps: int = 100
    entangle: bool = True
    engine: str = "numpy"
    n_qubits: int | None = None
    eval_every: int = 1
    readout: str = "z0"

    def __post_init__(self) -> None:
        if self.layers < 1:
            raise UsageError(f"--layers must be positive, got {self.layers}")
        if not self.learning_rate > 0:
            raise UsageError(f"--lr must be positive, got {self.learning_rate}")
        if self.batch_size is not None and self.batch_size < 1:
            raise UsageError(f"--batch-size must be positive, got {self.batch_size}")
        if self.max_steps < 1:
            raise UsageError(f"--max-steps must be positive, got {self.max_steps}")
        if self.eval_every < 1:
            raise UsageError(f"--eval-every must be positive, got {self.eval_every}")


@dataclass(frozen=True)
class ClassifySettings:
    """Everything a ``classify`` run is asked to do.

    The data are built-in ``dataset`` names (several run together, one result each) or a CSV
    (``data`` with its ``label`` column; ``positive_class`` makes it one-vs-rest); then
    ``dataset`` is empty. ``features``: the synthetic dimension, or the PCA components of a real
    dataset or CSV. ``width``: qubits of the quantum models (None: one per feature).
    ``device_model``: the calibration snapshot of the QPU projection (None: no projection).
    ``backend`` (an IBM Quantum device) evaluates, and with ``train_on_backend`` trains, the
    quantum models on it.
    """

    dataset: Any = ("moons",)
    data: str | None = None
    label: str | None = None
    positive_class: str | None = None
    samples: int = 200
    noise: float = 0.1
    features: int | None = None
    test_size: float = 0.3
    models: Any = MODELS
    grid: bool = False
    tune: int = 0
    tune_folds: int = 3
    qubits: int = 8
    width: int | None = None
    layers: int = 3
    entangle: bool = True
    learning_rate: float = 0.1
    batch_size: int | None = None
    max_steps: int = 100
    engine: str = "numpy"
    readout: str = "z0"
    target: str = "0.9"
    seeds: int = 5
    seed: int = 0
    eval_every: int = 1
    shots: int = 1000
    device_model: str | None = "fake_torino"
    noisy_eval: bool = False
    price_per_second: float = DEFAULT_PRICE_PER_SECOND
    backend: str | None = None
    train_on_backend: bool = False

    def __post_init__(self) -> None:
        if self.data is not None:
            if self.dataset:
                several = not isinstance(self.dataset, str) and len(self.dataset) > 1
                several = several or (isinstance(self.dataset, str) and "," in self.dataset)
                raise UsageError(
                    "--data runs one CSV and cannot be combined with a --dataset list: "
                    "run the CSV on its own"
                    if several
                    else "pass either --dataset or --data, not both"
                )
            if not self.label:
                raise UsageError(f"--data {self.data} needs --label COLUMN naming the label column")
            object.__setattr__(self, "dataset", ())
        else:
            if self.label or self.positive_class:
                raise UsageError("--label and --positive-class go with --data FILE.csv")
            object.__setattr__(self, "dataset", parse_datasets(self.dataset))
        object.__setattr__(self, "models", parse_models(self.models))
        if isinstance(self.device_model, str) and self.device_model.lower() == "none":
            object.__setattr__(self, "device_model", None)
        for name in ("samples", "seeds", "shots", "qubits", "layers", "max_steps", "eval_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UsageError(f"{_flag(name)} must be at least 1, got {value}")
        for name in ("features", "width", "batch_size"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise UsageError(f"{_flag(name)} must be at least 1 when given, got {value}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise UsageError(f"{_flag('seed')} must be a non-negative integer, got {self.seed}")
        if not self.learning_rate > 0:
            raise UsageError(f"{_flag('learning_rate')} must be positive, got {self.learning_rate}")
        if not self.noise >= 0:
            raise UsageError(f"{_flag('noise')} must be non-negative, got {self.noise}")
        if not 0.0 < self.test_size < 1.0:
            raise UsageError(f"{_flag('test_size')} must lie in (0, 1), got {self.test_size}")
        if not self.price_per_second >= 0:
            raise UsageError(
                f"{_flag('price_per_second')} must be non-negative, got {self.price_per_second}"
            )
        if isinstance(self.tune, bool) or not isinstance(self.tune, int) or self.tune < 0:
            raise UsageError(f"{_flag('tune')} must be 0 (off) or more, got {self.tune}")
        if self.tune > TUNE_MAX:
            raise UsageError(
                f"{_flag('tune')} {self.tune} exceeds the {TUNE_MAX} configurations of each "
                f"model's grid: pass --tune {TUNE_MAX} or less"
            )
        if not isinstance(self.tune_folds, int) or self.tune_folds < 2:
            raise UsageError(f"{_flag('tune_folds')} must be at least 2, got {self.tune_folds}")
        if self.tune and self.grid:
            raise UsageError(
                "--grid (a classical-only grid) and --tune (the same budget for every model) "
                "cannot be combined: pass --tune N alone"
            )
        if self.engine not in ENGINES:
            raise UsageError(
                f"{_flag('engine')} must be one of {', '.join(ENGINES)}, got {self.engine!r}"
            )
        if self.readout not in READOUTS:
            raise UsageError(
                f"{_flag('readout')} must be one of {', '.join(READOUTS)}, got {self.readout!r}"
            )
        kind, _ = parse_target(self.target)
        if kind == "rel" and not [m for m in self.models if m in CLASSICAL_NAMES[1:]]:
            raise UsageError(
                "a relative --target needs a classical model besides dummy in --models, "
                "e.g. --models svc,vqc-reupload"
            )
        if self.noisy_eval and self.device_model is None:
            raise UsageError("--noisy-eval needs a --device-model snapshot, e.g. fake_torino")
        if self.train_on_backend and self.backend is None:
            raise UsageError(
                "--train-on-backend applies to --backend ibm_<device> only: add --backend, or "
                "drop it"
            )

    @property
    def quantum(self) -> QuantumSettings:
        """The hyperparameters the quantum models share."""
        return QuantumSettings(
            layers=self.layers,
            learning_rate=self.learning_rate,
            batch_size=self.batch_size,
            max_steps=self.max_steps,
            entangle=self.entangle,
            engine=self.engine,
            n_qubits=self.width,
            eval_every=self.eval_every,
            readout=self.readout,
        )

    @property
    def names(self) -> tuple[str, ...]:
        """The dataset names, in order (a CSV is named after its file)."""
        if self.data is not None:
            from pathlib import Path

            return (Path(self.data).stem,)
        return tuple(self.dataset)

    def replace(self, **changes: Any) -> ClassifySettings:
        """A copy with ``changes`` (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The run's recorded inputs (JSON-ready; read back by :meth:`from_dict`)."""
        d = asdict(self)
        d["dataset"] = list(self.dataset)
        d["models"] = list(self.models)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ClassifySettings:
        """Settings from :meth:`to_dict`, or from the inputs a device run recorded before this
        class existed (``{"command": "classify", "args": {...}}``: the command's arguments)."""
        if d.get("command") == "classify" and "args" in d:
            return cls.from_arguments(d["args"])
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise UsageError(
                f"recorded settings have unknown keys {sorted(unknown)}: they were written by a "
                "newer quantumlimits; upgrade it to read them"
            )
        return cls(**dict(d))

    @classmethod
    def from_arguments(cls, args: Mapping[str, Any]) -> ClassifySettings:
        """Settings from ``classify``'s command-line arguments (argparse's names and values).

        >>> ClassifySettings.from_arguments({"no_entangle": True, "lr": 0.2}).entangle
        False
        """
        renamed = {"no_entangle": "entangle", "lr": "learning_rate"}
        known = {f.name for f in fields(cls)}
        kw: dict[str, Any] = {}
        for name, value in args.items():
            field_name = renamed.get(name, name)
            if field_name not in known:
                continue  # where output goes, the cluster, the account: not the run's settings
            kw[field_name] = (not value) if name == "no_entangle" else value
        if kw.get("dataset") is None:
            kw["dataset"] = () if kw.get("data") is not None else ("moons",)
        return cls(**kw)
