"""Quantum volume results: frozen dataclasses that check their invariants and round-trip JSON.

The JSON document (``qv.json``, the store's ``runs.document``) is versioned by ``"schema"`` and
documented in docs/results.md. ``QVResult.from_json(r.to_json()) == r`` holds exactly.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from quantumlimits.documents import Document, check_schema, run_record

SCHEMA = 1
STAGES = ("build", "ideal", "transpile", "execute", "analyse")
#: How a width's verdict may be decided: the two fixed-sample bounds, or the sequential test.
DECIDERS = ("cross", "bootstrap", "sequential")


def _tuple(values: Any, kind: type) -> tuple[Any, ...]:
    return tuple(kind(v) for v in values)


@dataclass(frozen=True)
class WidthResult:
    """Everything measured at one width (and depth) of a quantum volume run."""

    width: int
    depth: int
    circuits: int
    shots: int
    mean_hop: float
    cross_lower: float
    bootstrap_lower: float
    passed_cross: bool
    passed_bootstrap: bool
    valid: bool
    hops: tuple[float, ...]
    heavy_counts: tuple[int, ...]
    ideal_hops: tuple[float, ...]
    two_qubit_gates: tuple[int, ...]
    depths: tuple[int, ...]
    physical_qubits: tuple[int, ...] | None
    simulated_qubits: tuple[int, ...] | None
    layout_score: float | None
    method: str
    timings: dict[str, float] = field(default_factory=dict)
    #: Mean HOP predicted from the calibration for these circuits (qv.predict); None on 'aer'.
    predicted_hop: float | None = None
    #: The sequential verdict (qv.sequential.Verdict.to_dict()) of an --adaptive width.
    sequential: dict[str, Any] | None = None
    #: Statistics of the optimized arm (readout mitigation, dynamical decoupling; qv.optimize)
    #: beside the raw ones above; None when the run applied no optimization.
    optimized: dict[str, Any] | None = None
    #: How the layout was chosen among candidates by predicted HOP (``predicted_hop``,
    #: ``candidates``, ``runner_up`` with its ``qubits`` and ``predicted_hop``); None when the
    #: qubits were given, on 'aer', and in documents written before layouts were compared.
    layout_choice: dict[str, Any] | None = None
    #: Monte-Carlo variance of each circuit's HOP when a trajectory simulation ran it (added to
    #: the bounds; docs/method.md); None for exact simulation and hardware.
    mc_variances: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.width < 2 or self.depth < 1:
            raise ValueError(f"bad width/depth {self.width}/{self.depth}")
        n = self.circuits
        for name in ("hops", "heavy_counts", "ideal_hops", "two_qubit_gates", "depths"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} entries, expected {n}")
        if self.shots < 1:
            raise ValueError(f"shots must be >= 1, got {self.shots}")
        if any(not 0 <= h <= self.shots for h in self.heavy_counts):
            raise ValueError("a heavy count lies outside [0, shots]")
        for name in ("mean_hop", "cross_lower", "bootstrap_lower"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} is not finite")
        if self.mc_variances is not None and len(self.mc_variances) != n:
            raise ValueError(f"mc_variances has {len(self.mc_variances)} entries, expected {n}")
        unknown = set(self.timings) - set(STAGES)
        if unknown:
            raise ValueError(f"unknown timing stages {sorted(unknown)}")

    @property
    def passed_sequential(self) -> bool:
        """Whether the sequential test (of an --adaptive width) passed it."""
        return bool(self.sequential and self.sequential.get("decision") == "pass")

    def passed(self, method: str, source: str = "raw") -> bool:
        """The verdict under ``method`` ('cross', 'bootstrap' or 'sequential') of the raw or
        the ``optimized`` statistics."""
        if source == "optimized":
            if self.optimized is None or method not in ("cross", "bootstrap"):
                raise ValueError(f"width {self.width} has no optimized {method} verdict")
            return bool(self.optimized[f"passed_{method}"])
        if method == "cross":
            return self.passed_cross
        if method == "bootstrap":
            return self.passed_bootstrap
        if method == "sequential":
            return self.passed_sequential
        raise ValueError(f"unknown method {method!r}")

    def lower(self, method: str, source: str = "raw") -> float:
        """The lower bound under ``method`` of the raw or the ``optimized`` statistics."""
        if source == "optimized" and self.optimized is not None:
            return float(self.optimized[f"{method}_lower"])
        if method == "sequential" and self.sequential is not None:
            return float(self.sequential["lower"])
        return self.cross_lower if method == "cross" else self.bootstrap_lower

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, tuple):
                d[k] = list(v)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WidthResult:
        """Inverse of :meth:`to_dict`."""
        names = {f.name for f in fields(cls)}
        missing = (
            names
            - set(d)
            - {
                "timings",
                "predicted_hop",
                "sequential",
                "optimized",
                "layout_choice",
                "mc_variances",
            }
        )
        if missing:
            raise ValueError(f"width result lacks {sorted(missing)}")
        kw = {k: d[k] for k in names if k in d}
        kw["hops"] = _tuple(d["hops"], float)
        kw["ideal_hops"] = _tuple(d["ideal_hops"], float)
        kw["heavy_counts"] = _tuple(d["heavy_counts"], int)
        kw["two_qubit_gates"] = _tuple(d["two_qubit_gates"], int)
        kw["depths"] = _tuple(d["depths"], int)
        for k in ("physical_qubits", "simulated_qubits"):
            kw[k] = None if d.get(k) is None else _tuple(d[k], int)
        if d.get("mc_variances") is not None:
            kw["mc_variances"] = _tuple(d["mc_variances"], float)
        kw["timings"] = {k: float(v) for k, v in d.get("timings", {}).items()}
        return cls(**kw)


@dataclass(frozen=True)
class QVResult(Document):
    """A quantum volume run: settings, per-width results, the verdict and its provenance."""

    quantum_volume: int
    decided_by: str
    valid: bool
    backend: str
    calibration_date: str | None
    seed: int
    settings: dict[str, Any]
    widths: tuple[WidthResult, ...]
    versions: dict[str, str]
    provenance: dict[str, Any]
    timings: dict[str, float]
    run_id: str | None = None
    schema: int = SCHEMA
    #: Whose verdicts set the quantum volume: "raw", or "optimized" (qv.optimize).
    verdict_from: str = "raw"

    def __post_init__(self) -> None:
        if self.schema != SCHEMA:
            raise ValueError(f"schema {self.schema} is not the supported {SCHEMA}")
        if self.decided_by not in DECIDERS:
            raise ValueError(f"decided_by must be one of {DECIDERS}, got {self.decided_by!r}")
        if self.quantum_volume < 1 or self.quantum_volume & (self.quantum_volume - 1):
            raise ValueError(f"quantum volume must be a power of two, got {self.quantum_volume}")
        if self.verdict_from not in ("raw", "optimized"):
            raise ValueError(f"verdict_from must be raw or optimized, got {self.verdict_from!r}")
        passing = [
            w.width
            for w in self.widths
            if w.passed(self.decided_by, self.verdict_from) and w.width == w.depth
        ]
        expected = 2 ** max(passing) if passing else 1
        if expected != self.quantum_volume:
            raise ValueError(
                f"quantum_volume {self.quantum_volume} disagrees with the passing widths {passing}"
            )

    @property
    def log2_qv(self) -> int:
        """``log2`` of the quantum volume."""
        return self.quantum_volume.bit_length() - 1

    def to_dict(self) -> dict[str, Any]:
        """The JSON document as a dict."""
        return {
            "schema": self.schema,
            "run_id": self.run_id,
            "quantum_volume": self.quantum_volume,
            "decided_by": self.decided_by,
            "verdict_from": self.verdict_from,
            "valid": self.valid,
            "backend": self.backend,
            "calibration_date": self.calibration_date,
            "seed": self.seed,
            "settings": self.settings,
            "versions": self.versions,
            "provenance": self.provenance,
            "timings": self.timings,
            "widths": [w.to_dict() for w in self.widths],
            "verdict": self.verdict(),
        }

    def verdict(self) -> dict[str, Any]:
        """What the run shows, derived from its widths (``text``, and the ``undecided`` widths
        with the circuits each would need; docs/method.md)."""
        from quantumlimits.qv import analysis

        return {
            "text": analysis.verdict_line(self),
            "undecided": [u.to_dict() for u in analysis.undecided(self)],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> QVResult:
        """Inverse of :meth:`to_dict`; rejects other schema versions with a clear message."""
        check_schema(d, expected=SCHEMA, kind="qv.json")
        return cls(
            **run_record(d),
            quantum_volume=int(d["quantum_volume"]),
            decided_by=str(d["decided_by"]),
            valid=bool(d["valid"]),
            widths=tuple(WidthResult.from_dict(w) for w in d["widths"]),
            verdict_from=str(d.get("verdict_from", "raw")),
        )
