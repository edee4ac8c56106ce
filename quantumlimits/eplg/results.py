"""Layer-fidelity results: frozen dataclasses that check their invariants and round-trip JSON.

``eplg.json`` (and the store's document of a ``kind="eplg"`` run) is versioned by ``"schema"``;
docs/eplg.md documents every field. Per layer it keeps every sequence's survival probability per
subsystem, from which every number is recomputed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from quantumlimits.documents import Document, check_schema, run_record

SCHEMA = 1
STAGES = ("build", "execute", "analyse")


def _floats(x: Any) -> tuple[float, ...]:
    return tuple(float(v) for v in x)


@dataclass(frozen=True)
class LayerResult:
    """One two-qubit layer of the chain: its subsystems, data, fits and fidelities.

    ``subsystems`` are physical qubits (pairs in the order the gate runs on them, then lone
    qubits); ``survival[l][s][k]``: length ``l``, sequence ``s``, subsystem ``k``.
    """

    index: int
    subsystems: tuple[tuple[int, ...], ...]
    survival: tuple[tuple[tuple[float, ...], ...], ...]
    fits: tuple[tuple[float, float, float], ...]
    fidelities: tuple[float, ...]
    intervals: tuple[tuple[float, float], ...]
    layer_fidelity: float
    layer_interval: tuple[float, float]
    two_qubit_gates: int
    method: str
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        k = len(self.subsystems)
        for name in ("fits", "fidelities", "intervals"):
            if len(getattr(self, name)) != k:
                raise ValueError(f"{name} has {len(getattr(self, name))} entries, expected {k}")
        for per_length in self.survival:
            for row in per_length:
                if len(row) != k:
                    raise ValueError("each survival row needs one value per subsystem")
        if not math.isfinite(self.layer_fidelity):
            raise ValueError("layer_fidelity is not finite")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "index": self.index,
            "subsystems": [list(s) for s in self.subsystems],
            "survival": [[list(row) for row in per] for per in self.survival],
            "fits": [list(f) for f in self.fits],
            "fidelities": list(self.fidelities),
            "intervals": [list(i) for i in self.intervals],
            "layer_fidelity": self.layer_fidelity,
            "layer_interval": list(self.layer_interval),
            "two_qubit_gates": self.two_qubit_gates,
            "method": self.method,
            "timings": dict(self.timings),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LayerResult:
        """Inverse of :meth:`to_dict`."""
        return cls(
            index=int(d["index"]),
            subsystems=tuple(tuple(int(q) for q in s) for s in d["subsystems"]),
            survival=tuple(tuple(_floats(row) for row in per) for per in d["survival"]),
            fits=tuple((float(f[0]), float(f[1]), float(f[2])) for f in d["fits"]),
            fidelities=_floats(d["fidelities"]),
            intervals=tuple((float(i[0]), float(i[1])) for i in d["intervals"]),
            layer_fidelity=float(d["layer_fidelity"]),
            layer_interval=(float(d["layer_interval"][0]), float(d["layer_interval"][1])),
            two_qubit_gates=int(d["two_qubit_gates"]),
            method=str(d["method"]),
            timings={k: float(v) for k, v in d.get("timings", {}).items()},
        )


@dataclass(frozen=True)
class EPLGResult(Document):
    """A layer-fidelity run: the chain, both layers, LF and EPLG with intervals, the
    calibration's projection, and EPLG against chain length."""

    backend: str
    calibration_date: str | None
    seed: int
    settings: dict[str, Any]
    chain: tuple[int, ...]
    two_qubit_gate: str
    layers: tuple[LayerResult, ...]
    lf: float
    lf_interval: tuple[float, float]
    eplg: float
    eplg_interval: tuple[float, float]
    eplg_process: float
    projected_lf: float
    projected_eplg: float
    curve: tuple[tuple[int, float], ...]
    model_lf: float
    model_eplg: float
    unresolved: tuple[tuple[int, ...], ...]
    versions: dict[str, str]
    provenance: dict[str, Any]
    timings: dict[str, float]
    run_id: str | None = None
    schema: int = SCHEMA

    def __post_init__(self) -> None:
        if self.schema != SCHEMA:
            raise ValueError(f"schema {self.schema} is not the supported {SCHEMA}")
        gates = sum(layer.two_qubit_gates for layer in self.layers)
        if gates != len(self.chain) - 1:
            raise ValueError(
                f"the layers hold {gates} two-qubit gates, the chain needs {len(self.chain) - 1}"
            )
        lo, hi = self.eplg_interval
        if not lo <= hi:
            raise ValueError("eplg_interval is not an interval")

    @property
    def decided(self) -> bool:
        """False when some subsystem had decayed to its asymptote by the shortest length: its
        fidelity, and so LF and EPLG, were not measured (shorter lengths would measure them)."""
        return not self.unresolved

    @property
    def two_qubit_gates(self) -> int:
        """``n₂``: two-qubit gates in the layers (chain length − 1)."""
        return len(self.chain) - 1

    def to_dict(self) -> dict[str, Any]:
        """The JSON document as a dict."""
        return {
            "schema": self.schema,
            "kind": "eplg",
            "run_id": self.run_id,
            "backend": self.backend,
            "calibration_date": self.calibration_date,
            "seed": self.seed,
            "settings": self.settings,
            "chain": list(self.chain),
            "two_qubit_gate": self.two_qubit_gate,
            "lf": self.lf,
            "lf_interval": list(self.lf_interval),
            "eplg": self.eplg,
            "eplg_interval": list(self.eplg_interval),
            "eplg_process": self.eplg_process,
            "projected_lf": self.projected_lf,
            "projected_eplg": self.projected_eplg,
            "curve": [list(c) for c in self.curve],
            "model_lf": self.model_lf,
            "model_eplg": self.model_eplg,
            "unresolved": [list(u) for u in self.unresolved],
            "decided": self.decided,
            "versions": self.versions,
            "provenance": self.provenance,
            "timings": self.timings,
            "layers": [layer.to_dict() for layer in self.layers],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EPLGResult:
        """Inverse of :meth:`to_dict`; rejects other schema versions with a clear message."""
        check_schema(d, expected=SCHEMA, kind="eplg.json")
        return cls(
            **run_record(d),
            chain=tuple(int(q) for q in d["chain"]),
            two_qubit_gate=str(d["two_qubit_gate"]),
            layers=tuple(LayerResult.from_dict(x) for x in d["layers"]),
            lf=float(d["lf"]),
            lf_interval=(float(d["lf_interval"][0]), float(d["lf_interval"][1])),
            eplg=float(d["eplg"]),
            eplg_interval=(float(d["eplg_interval"][0]), float(d["eplg_interval"][1])),
            eplg_process=float(d["eplg_process"]),
            projected_lf=float(d["projected_lf"]),
            projected_eplg=float(d["projected_eplg"]),
            curve=tuple((int(c[0]), float(c[1])) for c in d["curve"]),
            model_lf=float(d["model_lf"]),
            model_eplg=float(d["model_eplg"]),
            unresolved=tuple(tuple(int(q) for q in u) for u in d["unresolved"]),
        )
