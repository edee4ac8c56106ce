"""``quantumlimits validate``: the package's predicted and simulated QV, and its projected CLOPS,
beside the figures IBM reported for the same devices (docs/validation.md).

Three QV protocols, each an ordinary :class:`~quantumlimits.qv.settings.QVSettings` run through
:func:`quantumlimits.qv.protocol.measure` (so each is exactly what ``quantumlimits qv`` does):

* ``default`` — ``--widths auto --trials 100 --shots 1000``, optimization level 1, the Cross
  bound;
* ``sequential`` — the default compilation with the sequential test and up to 1000 circuits per
  width (``--adaptive --trials 1000``), so a width stays undecided only when 1000 circuits cannot
  decide it: what more circuits alone change;
* ``strong`` — the strongest the package offers within the QV rules: ``sequential`` with
  optimization level 3. The layout is chosen among the candidates by predicted HOP in all three.

Every snapshot's row is recorded as a part of the ``validate`` run as it completes.
"""

from __future__ import annotations

import math
import statistics
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from quantumlimits import provenance
from quantumlimits.documents import Document, check_schema
from quantumlimits.errors import UsageError
from quantumlimits.store import ResultsStore, recording
from quantumlimits.validate import clops as clops_mod
from quantumlimits.validate.reported import reported, with_reported_clops, with_reported_qv

SCHEMA = 1
PROTOCOLS = ("default", "sequential", "strong")
#: A representative subset (``--quick``): a 7-qubit Falcon of QV 16 and one of QV 32, a
#: 16-qubit Falcon, a 27-qubit Falcon of QV 128; CLOPS on a Falcon, an Eagle and a Heron.
QUICK_QV = ("fake_jakarta", "fake_lagos", "fake_guadalupe", "fake_kolkata")
QUICK_CLOPS = ("fake_kolkata", "fake_sherbrooke", "fake_torino")
DEFAULT_SEED = 42


def settings_for(protocol: str, backend: str, *, seed: int = DEFAULT_SEED) -> Any:
    """The QV settings of ``protocol`` on ``backend``."""
    from quantumlimits.qv.settings import QVSettings

    if protocol == "default":
        return QVSettings(backend=backend, widths="auto", trials=100, shots=1000, seed=seed)
    if protocol == "sequential":
        return QVSettings(
            backend=backend,
            widths="auto",
            trials=1000,
            adaptive=True,
            method="sequential",
            shots=1000,
            seed=seed,
        )
    if protocol == "strong":
        return QVSettings(
            backend=backend,
            widths="auto",
            trials=1000,
            adaptive=True,
            method="sequential",
            shots=1000,
            seed=seed,
            optimization_level=3,
        )
    raise UsageError(f"unknown protocol {protocol!r}: pass one of {', '.join(PROTOCOLS)}")


def log2_ratio(simulated: int, reported_qv: int) -> float:
    """``log2(simulated / reported)``: negative when the simulation is pessimistic.

    >>> log2_ratio(8, 128)
    -4.0
    """
    return math.log2(simulated) - math.log2(reported_qv)


@dataclass(frozen=True)
class QVRow:
    """One snapshot: IBM's QV, the calibration's prediction, and each protocol's simulated QV."""

    backend: str
    num_qubits: int
    calibration_date: str | None
    reported_qv: int
    predicted_log2_qv: int | None
    predicted_seconds: float
    #: protocol -> {"quantum_volume", "verdict", "seconds", "widths": [{width, circuits,
    #: mean_hop, decision}], "run_id"}
    simulated: dict[str, dict[str, Any]]

    def ratio(self, protocol: str) -> float | None:
        """log2 of simulated over reported QV under ``protocol``."""
        found = self.simulated.get(protocol)
        return None if found is None else log2_ratio(found["quantum_volume"], self.reported_qv)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "backend": self.backend,
            "num_qubits": self.num_qubits,
            "calibration_date": self.calibration_date,
            "reported_qv": self.reported_qv,
            "predicted_log2_qv": self.predicted_log2_qv,
            "predicted_seconds": self.predicted_seconds,
            "simulated": self.simulated,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> QVRow:
        """Inverse of :meth:`to_dict`."""
        return cls(**d)


@dataclass(frozen=True)
class ClopsRow:
    """One snapshot: IBM's CLOPS_h / CLOPS and the model's projections of the same templates."""

    backend: str
    calibration_date: str | None
    reported_clops_h: float | None
    reported_clops: float | None
    projected_clops_h: dict[str, Any] | None
    projected_clops: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ClopsRow:
        """Inverse of :meth:`to_dict`."""
        return cls(**d)


@dataclass(frozen=True)
class Summary:
    """How the simulated QVs of one protocol compare with the reported ones."""

    protocol: str
    snapshots: int
    within_factor_2: int
    median_log2_ratio: float
    pessimistic: int  # simulated below reported
    optimistic: int  # simulated above reported

    def line(self) -> str:
        """One line for a person."""
        way = (
            "pessimistic"
            if self.median_log2_ratio < 0
            else "optimistic"
            if self.median_log2_ratio > 0
            else "centred"
        )
        return (
            f"{self.protocol}: {self.within_factor_2} of {self.snapshots} snapshots within a "
            f"factor 2 of IBM's reported QV; median log2(simulated/reported) "
            f"{self.median_log2_ratio:+.1f} ({way}); {self.pessimistic} below, "
            f"{self.optimistic} above, {self.snapshots - self.pessimistic - self.optimistic} equal"
        )


def summarise(rows: Sequence[QVRow], protocol: str) -> Summary | None:
    """The summary of ``protocol`` over the rows that ran it (None when none did)."""
    ratios = [r.ratio(protocol) for r in rows]
    found = [x for x in ratios if x is not None]
    if not found:
        return None
    return Summary(
        protocol=protocol,
        snapshots=len(found),
        within_factor_2=sum(abs(x) <= 1 for x in found),
        median_log2_ratio=float(statistics.median(found)),
        pessimistic=sum(x < 0 for x in found),
        optimistic=sum(x > 0 for x in found),
    )


@dataclass(frozen=True)
class ValidationResult(Document):
    """A ``validate`` run: the QV rows, the CLOPS rows and their provenance."""

    protocols: tuple[str, ...]
    seed: int
    qv: tuple[QVRow, ...]
    clops: tuple[ClopsRow, ...]
    versions: dict[str, str]
    provenance: dict[str, Any]
    run_id: str | None = None
    schema: int = SCHEMA

    def summaries(self) -> list[Summary]:
        """One summary per protocol that ran."""
        out = [summarise(self.qv, p) for p in self.protocols]
        return [s for s in out if s is not None]

    def to_dict(self) -> dict[str, Any]:
        """The JSON document."""
        return {
            "schema": self.schema,
            "run_id": self.run_id,
            "protocols": list(self.protocols),
            "seed": self.seed,
            "qv": [r.to_dict() for r in self.qv],
            "clops": [r.to_dict() for r in self.clops],
            "summary": [s.line() for s in self.summaries()],
            "versions": self.versions,
            "provenance": self.provenance,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ValidationResult:
        """Inverse of :meth:`to_dict`."""
        check_schema(d, expected=SCHEMA, kind="validate.json")
        return cls(
            protocols=tuple(d["protocols"]),
            seed=int(d["seed"]),
            qv=tuple(QVRow.from_dict(r) for r in d["qv"]),
            clops=tuple(ClopsRow.from_dict(r) for r in d["clops"]),
            versions=dict(d["versions"]),
            provenance=dict(d["provenance"]),
            run_id=d.get("run_id"),
            schema=int(d["schema"]),
        )


def _simulated(protocol: str, backend: str, seed: int) -> dict[str, Any]:
    from quantumlimits.qv import analysis
    from quantumlimits.qv.protocol import measure

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = measure(settings_for(protocol, backend, seed=seed))
    return {
        "quantum_volume": result.quantum_volume,
        "verdict": analysis.verdict_line(result),
        "seconds": round(time.perf_counter() - started, 3),
        "widths": [
            {
                "width": w.width,
                "circuits": w.circuits,
                "mean_hop": w.mean_hop,
                "decision": analysis.decision(w, result.decided_by, result.verdict_from),
            }
            for w in result.widths
        ],
    }


def qv_row(backend: str, *, protocols: Sequence[str], seed: int = DEFAULT_SEED) -> QVRow:
    """One snapshot's row (a 1-qubit device has no QV circuit: its QV is 1 by definition)."""
    from quantumlimits.qv.protocol import predict_scan, predicted_log2_qv

    figures = reported(backend)
    if figures.quantum_volume is None:
        raise UsageError(f"{backend} carries no reported quantum volume: nothing to compare")
    if figures.num_qubits < 2:
        trivial = {"quantum_volume": 1, "verdict": "QV = 1 (one qubit)", "seconds": 0.0}
        return QVRow(
            backend,
            figures.num_qubits,
            figures.calibration_date,
            figures.quantum_volume,
            0,
            0.0,
            {p: {**trivial, "widths": []} for p in protocols},
        )
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        predicted = predicted_log2_qv(predict_scan(backend=backend, seed=seed))
    seconds = round(time.perf_counter() - started, 3)
    simulated = {p: _simulated(p, backend, seed) for p in protocols}
    return QVRow(
        backend,
        figures.num_qubits,
        figures.calibration_date,
        figures.quantum_volume,
        predicted,
        seconds,
        simulated,
    )


def clops_row(backend: str) -> ClopsRow:
    """One snapshot's CLOPS row."""
    from quantumlimits.execution.backends import load_snapshot

    figures = reported(backend)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        device = load_snapshot(backend)
    projected_h = clops_mod.project_clops_h(device).to_dict() if figures.clops_h else None
    projected = None
    if figures.clops:
        log2_qv = (figures.quantum_volume or 4).bit_length() - 1
        projected = clops_mod.project_clops(device, log2_qv=log2_qv).to_dict()
    return ClopsRow(
        backend,
        figures.calibration_date,
        figures.clops_h,
        figures.clops,
        projected_h,
        projected,
    )


def validate(
    *,
    qv_backends: Sequence[str] | None = None,
    clops_backends: Sequence[str] | None = None,
    protocols: Sequence[str] = ("default",),
    seed: int = DEFAULT_SEED,
    store: ResultsStore | None = None,
    progress: Callable[[str], None] | None = None,
) -> ValidationResult:
    """Compare the package's figures with IBM's on the snapshots given (default: all of them)."""
    for p in protocols:
        if p not in PROTOCOLS:
            raise UsageError(f"unknown protocol {p!r}: pass one of {', '.join(PROTOCOLS)}")
    qv_names = list(qv_backends) if qv_backends is not None else list(with_reported_qv())
    clops_names = (
        list(clops_backends) if clops_backends is not None else list(with_reported_clops())
    )
    for name in qv_names:
        if reported(name).quantum_volume is None:
            raise UsageError(f"{name} carries no reported quantum volume: drop it from --backends")
    say = progress or (lambda text: None)
    prov = provenance.provenance()
    inputs = {
        "qv_backends": qv_names,
        "clops_backends": clops_names,
        "protocols": list(protocols),
        "seed": seed,
    }
    with recording(
        store, kind="validate", backend=None, seed=seed, inputs=inputs, created=str(prov["created"])
    ) as run:
        rows = []
        for name in qv_names:
            say(f"QV of {name}")
            row = qv_row(name, protocols=protocols, seed=seed)
            run.add_part(f"qv:{name}", row.to_dict())
            rows.append(row)
        clops_rows = []
        for name in clops_names:
            say(f"CLOPS of {name}")
            c = clops_row(name)
            run.add_part(f"clops:{name}", c.to_dict())
            clops_rows.append(c)
        result = ValidationResult(
            protocols=tuple(protocols),
            seed=seed,
            qv=tuple(rows),
            clops=tuple(clops_rows),
            versions=dict(prov.pop("versions")),  # type: ignore[call-overload]
            provenance=prov,
            run_id=run.run_id,
        )
        summary = "; ".join(s.line() for s in result.summaries()) or "CLOPS only"
        run.finish(document=result.to_dict(), summary=summary)
    return result


def merged(store: ResultsStore, run_ids: Sequence[str] = ()) -> ValidationResult:
    """Every validate run in ``store`` (or those of ``run_ids``) as one result: a snapshot's row
    under a protocol comes from the newest run that covered it, read from the runs' parts (so a
    run stopped part-way counts for the snapshots it finished). Its ``run_id`` is the newest
    run's; None when there is none."""
    rows = [store.row(r) for r in run_ids] if run_ids else store.runs(kind="validate")
    by_name: dict[str, QVRow] = {}
    clops: dict[str, ClopsRow] = {}
    seen: list[str] = []
    seed = DEFAULT_SEED
    for row in rows:  # newest first
        inputs = store.inputs(row.run_id) or {}
        protocols = list(inputs.get("protocols", []))
        seed = int(inputs.get("seed", seed))
        seen += [p for p in protocols if p not in seen]
        for name, part in store.parts(row.run_id).items():
            if name.startswith("qv:"):
                found = QVRow.from_dict(part)
                existing = by_name.get(found.backend)
                if existing is None:
                    by_name[found.backend] = found
                    continue
                extra = {p: v for p, v in found.simulated.items() if p not in existing.simulated}
                if extra:
                    simulated = {**existing.simulated, **extra}
                    by_name[found.backend] = QVRow(**{**existing.to_dict(), "simulated": simulated})
            elif name.startswith("clops:"):
                c = ClopsRow.from_dict(part)
                clops.setdefault(c.backend, c)
    prov = provenance.provenance()
    return ValidationResult(
        protocols=tuple(p for p in PROTOCOLS if p in seen),
        seed=seed,
        qv=tuple(sorted(by_name.values(), key=lambda r: r.backend)),
        clops=tuple(sorted(clops.values(), key=lambda c: c.backend)),
        versions=dict(prov.pop("versions")),  # type: ignore[call-overload]
        provenance=prov,
        run_id=rows[0].run_id if rows else None,
    )
