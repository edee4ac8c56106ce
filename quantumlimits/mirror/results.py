"""Mirror benchmark results: frozen dataclasses that check their invariants and round-trip JSON.

``mirror.json`` (and the store's document of a ``kind="mirror"`` run) is versioned by
``"schema"``; docs/mirror.md documents every field. Per circuit it keeps the Hamming-distance
histogram, from which every statistic can be recomputed.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from quantumlimits.documents import Document, check_schema, run_record
from quantumlimits.mirror.circuits import VARIANTS

SCHEMA = 1
STAGES = ("build", "transpile", "execute", "analyse")


@dataclass(frozen=True)
class MirrorWidthResult:
    """Everything measured at one width of a mirror run."""

    width: int
    depth: int
    circuits: int
    shots: int
    histograms: tuple[tuple[int, ...], ...]
    polarizations: tuple[float, ...]
    successes: tuple[float, ...]
    mean_polarization: float
    lower_bound: float
    passed: bool
    mean_success: float
    two_qubit_gates: tuple[int, ...]
    physical_qubits: tuple[int, ...] | None
    method: str
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.width < 2 or self.depth < 1:
            raise ValueError(f"bad width/depth {self.width}/{self.depth}")
        n = self.circuits
        for name in ("histograms", "polarizations", "successes", "two_qubit_gates"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} entries, expected {n}")
        for h in self.histograms:
            if len(h) != self.width + 1 or sum(h) != self.shots:
                raise ValueError("a histogram needs width + 1 bins summing to the shots")
        for name in ("mean_polarization", "lower_bound", "mean_success"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} is not finite")
        unknown = set(self.timings) - set(STAGES)
        if unknown:
            raise ValueError(f"unknown timing stages {sorted(unknown)}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        d = asdict(self)
        d["histograms"] = [list(h) for h in self.histograms]
        for k, v in d.items():
            if isinstance(v, tuple):
                d[k] = list(v)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MirrorWidthResult:
        """Inverse of :meth:`to_dict`."""
        return cls(
            width=int(d["width"]),
            depth=int(d["depth"]),
            circuits=int(d["circuits"]),
            shots=int(d["shots"]),
            histograms=tuple(tuple(int(x) for x in h) for h in d["histograms"]),
            polarizations=tuple(float(x) for x in d["polarizations"]),
            successes=tuple(float(x) for x in d["successes"]),
            mean_polarization=float(d["mean_polarization"]),
            lower_bound=float(d["lower_bound"]),
            passed=bool(d["passed"]),
            mean_success=float(d["mean_success"]),
            two_qubit_gates=tuple(int(x) for x in d["two_qubit_gates"]),
            physical_qubits=(
                None if d.get("physical_qubits") is None else tuple(d["physical_qubits"])
            ),
            method=str(d["method"]),
            timings={k: float(v) for k, v in d.get("timings", {}).items()},
        )


@dataclass(frozen=True)
class MirrorResult(Document):
    """A mirror benchmark run: settings, per-width results, the widest passing width."""

    backend: str
    calibration_date: str | None
    variant: str
    seed: int
    threshold: float
    confidence: float
    largest_passing_width: int | None
    settings: dict[str, Any]
    widths: tuple[MirrorWidthResult, ...]
    versions: dict[str, str]
    provenance: dict[str, Any]
    timings: dict[str, float]
    run_id: str | None = None
    schema: int = SCHEMA

    def __post_init__(self) -> None:
        if self.schema != SCHEMA:
            raise ValueError(f"schema {self.schema} is not the supported {SCHEMA}")
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {self.variant!r}")
        passing = [w.width for w in self.widths if w.passed]
        expected = max(passing) if passing else None
        if expected != self.largest_passing_width:
            raise ValueError(
                f"largest_passing_width {self.largest_passing_width} disagrees with the passing "
                f"widths {passing}"
            )

    @property
    def log2_mirror_volume(self) -> int:
        """``m`` of the mirror volume ``2^m`` (0 when no width passed)."""
        return self.largest_passing_width or 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON document as a dict."""
        return {
            "schema": self.schema,
            "kind": "mirror",
            "run_id": self.run_id,
            "backend": self.backend,
            "calibration_date": self.calibration_date,
            "variant": self.variant,
            "seed": self.seed,
            "threshold": self.threshold,
            "confidence": self.confidence,
            "largest_passing_width": self.largest_passing_width,
            "settings": self.settings,
            "versions": self.versions,
            "provenance": self.provenance,
            "timings": self.timings,
            "widths": [w.to_dict() for w in self.widths],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MirrorResult:
        """Inverse of :meth:`to_dict`; rejects other schema versions with a clear message."""
        check_schema(d, expected=SCHEMA, kind="mirror.json")
        lpw = d.get("largest_passing_width")
        return cls(
            **run_record(d),
            variant=str(d["variant"]),
            threshold=float(d["threshold"]),
            confidence=float(d["confidence"]),
            largest_passing_width=None if lpw is None else int(lpw),
            widths=tuple(MirrorWidthResult.from_dict(w) for w in d["widths"]),
        )
