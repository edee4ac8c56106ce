"""QV through the years: every IBM calibration snapshot against its calibration date.

Two modes:

* ``predicted`` (fast, the default): per snapshot, one model circuit per width is transpiled to
  the device's best connected qubits and the mean HOP is predicted from the calibration of the
  qubits used (:func:`quantumlimits.qv.predict.predicted_hop_from_rates`); a width passes when the
  prediction reaches the Cross threshold for ``trials`` circuits; widths are scanned up from 2
  until the first failure.
* ``measured``: :func:`quantumlimits.qv.protocol.run_qv` on the noisy simulation of each chosen
  snapshot, with few circuits by default (results flagged not valid below 100 circuits).

A straight line through ``log2 QV`` against the date gives a doubling time with its standard
error. Beside it, the publicly reported vendor values of :mod:`quantumlimits.limits.reported`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from quantumlimits import provenance
from quantumlimits.documents import Document, check_schema
from quantumlimits.errors import UsageError
from quantumlimits.limits.reported import REPORTED, ReportedQV
from quantumlimits.qv.predict import predicted_hop_from_rates
from quantumlimits.qv.stats import cross_threshold, quantum_volume
from quantumlimits.store import recording

SCHEMA = 1
KIND = "timeline"
MODES = ("predicted", "measured")
#: Snapshots the measured mode runs unless told otherwise: one or two per year, 2020-2026.
MEASURED_DEFAULT = (
    "fake_johannesburg",
    "fake_montreal",
    "fake_prague",
    "fake_osaka",
    "fake_torino",
    "fake_boston",
)
_YEAR_S = 365.25 * 86400
#: The predicted scan stops at the first failing width from here on. Narrower widths may fail and
#: wider ones pass (the ideal HOP of width 2 is only 0.79), so QV is 2^(largest passing width).
STOP_AFTER_WIDTH = 4


@dataclass(frozen=True)
class SnapshotQV:
    """The QV of one calibration snapshot, predicted or measured."""

    name: str
    calibration_date: str | None
    num_qubits: int
    quantum_volume: int
    mode: str
    hops: dict[str, float]
    run_id: str | None = None
    valid: bool | None = None
    note: str = ""

    def __post_init__(self) -> None:
        qv = self.quantum_volume
        if qv < 1 or qv & (qv - 1):
            raise ValueError(f"quantum volume must be a power of two, got {qv}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")

    @property
    def log2_qv(self) -> int:
        """``log2`` of the quantum volume."""
        return self.quantum_volume.bit_length() - 1


@dataclass(frozen=True)
class DoublingFit:
    """``log2 QV = intercept + slope_per_year * years`` with years since ``origin``."""

    slope_per_year: float
    slope_se: float
    intercept: float
    origin: str
    origin_epoch_s: float
    points: int
    doubling_years: float | None
    doubling_years_low: float | None
    doubling_years_high: float | None

    @property
    def doubling_years_text(self) -> str:
        """Human text: '1.3 years (95%: 0.9-2.4)' or 'never (no growth)'."""
        if self.doubling_years is None:
            return "never (no growth in the fit)"
        high = "∞" if self.doubling_years_high is None else f"{self.doubling_years_high:.2g}"
        low = f"{self.doubling_years_low:.2g}" if self.doubling_years_low is not None else "?"
        return f"{self.doubling_years:.2g} years (95%: {low}-{high})"


def _epoch(date: str) -> float:
    day = _dt.date.fromisoformat(date[:10])
    return _dt.datetime(day.year, day.month, day.day, tzinfo=_dt.timezone.utc).timestamp()


def fit_doubling(*, dates: Sequence[str], log2_qv: Sequence[float]) -> DoublingFit | None:
    """Least-squares line of ``log2 QV`` on time; None with fewer than 3 points or one date.

    >>> fit = fit_doubling(dates=["2020-01-01", "2021-01-01", "2022-01-01"], log2_qv=[4, 5, 6])
    >>> round(fit.doubling_years, 2)
    1.0
    """
    if len(dates) != len(log2_qv):
        raise ValueError("dates and log2_qv differ in length")
    if len(dates) < 3 or len({d[:10] for d in dates}) < 2:
        return None
    origin = min(d[:10] for d in dates)
    t0 = _epoch(origin)
    years = np.array([(_epoch(d) - t0) / _YEAR_S for d in dates])
    y = np.asarray(log2_qv, dtype=float)
    from scipy import stats as _stats  # imported when a trend is fitted, not by the parser

    res = _stats.linregress(years, y)
    slope, se = float(res.slope), float(res.stderr)
    t = float(_stats.t.ppf(0.975, len(dates) - 2))
    fast, slow = slope + t * se, slope - t * se
    return DoublingFit(
        slope_per_year=slope,
        slope_se=se,
        intercept=float(res.intercept),
        origin=origin,
        origin_epoch_s=t0,
        points=len(dates),
        doubling_years=1.0 / slope if slope > 0 else None,
        doubling_years_low=1.0 / fast if fast > 0 else None,
        doubling_years_high=1.0 / slow if slow > 0 else None,
    )


@dataclass(frozen=True)
class TimelineResult(Document):
    """The timeline document (``timeline.json``, the store's ``kind="timeline"``)."""

    mode: str
    settings: dict[str, Any]
    snapshots: tuple[SnapshotQV, ...]
    skipped: dict[str, str]
    fit: DoublingFit | None
    reported: tuple[ReportedQV, ...]
    reported_fits: dict[str, DoublingFit | None]
    differences: tuple[str, ...]
    versions: dict[str, str]
    provenance: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    run_id: str | None = None
    schema: int = SCHEMA

    def __post_init__(self) -> None:
        if self.schema != SCHEMA:
            raise ValueError(f"schema {self.schema} is not the supported {SCHEMA}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")

    def to_dict(self) -> dict[str, Any]:
        """The JSON document as a dict."""
        return {
            "schema": self.schema,
            "kind": KIND,
            "run_id": self.run_id,
            "mode": self.mode,
            "settings": self.settings,
            "snapshots": [asdict(s) | {"log2_qv": s.log2_qv} for s in self.snapshots],
            "skipped": self.skipped,
            "fit": asdict(self.fit) if self.fit else None,
            "reported": [r.to_dict() for r in self.reported],
            "reported_fits": {k: asdict(v) if v else None for k, v in self.reported_fits.items()},
            "differences": list(self.differences),
            "versions": self.versions,
            "provenance": self.provenance,
            "timings": self.timings,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TimelineResult:
        """Inverse of :meth:`to_dict`."""
        check_schema(d, expected=SCHEMA, kind="timeline.json")
        snap_fields = {f.name for f in fields(SnapshotQV)}
        rep_fields = {f.name for f in fields(ReportedQV)}
        return cls(
            mode=d["mode"],
            settings=dict(d["settings"]),
            snapshots=tuple(
                SnapshotQV(**{k: v for k, v in s.items() if k in snap_fields})
                for s in d["snapshots"]
            ),
            skipped=dict(d["skipped"]),
            fit=DoublingFit(**d["fit"]) if d["fit"] else None,
            reported=tuple(
                ReportedQV(**{k: v for k, v in r.items() if k in rep_fields}) for r in d["reported"]
            ),
            reported_fits={
                k: DoublingFit(**v) if v else None for k, v in d["reported_fits"].items()
            },
            differences=tuple(d["differences"]),
            versions=dict(d["versions"]),
            provenance=dict(d["provenance"]),
            timings={k: float(v) for k, v in d.get("timings", {}).items()},
            run_id=d.get("run_id"),
        )


def predicted_snapshot(name: str, *, trials: int, max_width: int, seed: int) -> SnapshotQV:
    """Predicted QV of one snapshot: scan widths up from 2 until the prediction fails (from
    width :data:`STOP_AFTER_WIDTH` on); QV is 2^(largest passing width).

    Uses :func:`quantumlimits.qv.predict.predicted_hop_from_rates`.
    """
    from quantumlimits.execution.backends import calibration_date, load_snapshot
    from quantumlimits.limits.wall import device_points

    backend = load_snapshot(name)
    threshold = cross_threshold(trials)
    hops: dict[str, float] = {}
    passing: list[int] = []
    for width in range(2, min(max_width, backend.num_qubits) + 1):
        (point,) = device_points(backend=backend, widths=[width], circuits=1, seed=seed)
        hop = predicted_hop_from_rates(
            width=width,
            two_qubit_gates=point.two_qubit_gates,
            two_qubit_error=point.two_qubit_error,
            readout_error=point.readout_error,
            single_qubit_gates=point.single_qubit_gates,
            single_qubit_error=point.single_qubit_error,
        )
        hops[str(width)] = round(hop, 6)
        if hop >= threshold:
            passing.append(width)
        elif width >= STOP_AFTER_WIDTH:
            break
    return SnapshotQV(
        name=name,
        calibration_date=calibration_date(backend),
        num_qubits=int(backend.num_qubits),
        quantum_volume=quantum_volume(passing),
        mode="predicted",
        hops=hops,
        note=f"predicted mean HOP must reach {threshold:.4f} (Cross bound at {trials} circuits)",
    )


def measured_snapshot(
    name: str,
    *,
    trials: int,
    shots: int,
    max_width: int,
    seed: int,
    store: Any | None,
) -> SnapshotQV:
    """QV of one snapshot from mean HOPs measured with :func:`run_qv` on its noisy simulation.

    Every width from 2 to ``max_width`` is run. With few circuits the protocol's own Cross test
    cannot pass (its threshold rises as N falls), so the QV here is indicative: a width counts when
    its measured mean HOP reaches the Cross threshold for 100 circuits (or ``trials`` when more),
    and QV is 2^(largest such width), as :func:`quantumlimits.qv.stats.quantum_volume` decides.
    The protocol's own verdict is kept in ``note``.
    """
    from quantumlimits.execution.backends import load_snapshot
    from quantumlimits.qv.protocol import run_qv

    widths = list(range(2, min(max_width, load_snapshot(name).num_qubits) + 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_qv(
            backend=name,
            widths=widths,
            trials=trials,
            shots=shots,
            seed=seed,
            bootstrap_resamples=1000,
            store=store,
        )
    threshold = cross_threshold(max(trials, 100))
    qv = quantum_volume([w.width for w in result.widths if w.mean_hop >= threshold])
    return SnapshotQV(
        name=name,
        calibration_date=result.calibration_date,
        num_qubits=int(load_snapshot(name).num_qubits),
        quantum_volume=qv,
        mode="measured",
        hops={str(w.width): round(w.mean_hop, 6) for w in result.widths},
        run_id=result.run_id,
        valid=result.valid,
        note=f"{trials} circuits x {shots} shots per width; a width counts when its measured mean "
        f"HOP reaches {threshold:.4f} (the Cross threshold at {max(trials, 100)} circuits); the "
        f"protocol's own verdict at {trials} circuits: QV {result.quantum_volume}",
    )


def differences(
    snapshots: Sequence[SnapshotQV],
    fit: DoublingFit | None,
    reported_fits: dict[str, DoublingFit | None],
    mode: str,
) -> list[str]:
    """Plain statements of where snapshot results and reported values differ, and why."""
    out = []
    if mode == "predicted":
        out.append(
            "Snapshot QVs here are predicted from calibration with a global depolarizing model, "
            "not measured on hardware: it ignores crosstalk, leakage and coherent errors (so it "
            "is optimistic), and it uses a default transpilation (optimization level 1, a greedy "
            "qubit choice, no dynamical decoupling or approximate synthesis) that a vendor's "
            "record run would tune (so it is pessimistic)."
        )
    else:
        out.append(
            "Snapshot QVs here are measured on Aer with each snapshot's noise model (no "
            "crosstalk, leakage or drift) and few circuits per width, so they are not valid QV "
            "claims; a vendor's record run tunes compilation, qubit choice and error suppression."
        )
    days = [s.calibration_date[:10] for s in snapshots if s.calibration_date]
    if days:
        from collections import Counter

        common, count = Counter(days).most_common(1)[0]
        if count > 1:
            out.append(
                f"Calibration dates are when a snapshot was taken, not when the device appeared: "
                f"{count} snapshots share {common}, so older devices sit later on the axis."
            )
    out.append(
        "Reported values are each vendor's record on its best device of the day; the snapshots "
        "include every device, good and poor, so they scatter below the record envelope."
    )
    ibm = reported_fits.get("IBM")
    if fit is not None and ibm is not None:
        out.append(
            f"IBM's reported values double every {ibm.doubling_years_text}; the snapshots give "
            f"{fit.doubling_years_text}."
        )
    by_device = {s.name.removeprefix("fake_"): s for s in snapshots}
    for r in REPORTED:
        key = r.system.split(" ")[0].lower()
        snap = by_device.get(key)
        if snap is not None:
            out.append(
                f"{r.vendor} reported QV {r.quantum_volume} for {r.system} ({r.date[:4]}); its "
                f"snapshot {snap.name} (calibration {(snap.calibration_date or 'n/a')[:10]}) gives "
                f"QV {snap.quantum_volume} ({snap.mode})."
            )
    return out


def run_timeline(
    *,
    mode: str = "predicted",
    backends: Sequence[str] | None = None,
    trials: int = 100,
    shots: int = 100,
    max_width: int | None = None,
    seed: int = 0,
    store: Any | None = None,
    progress: Any | None = None,
) -> TimelineResult:
    """QV of each snapshot against its calibration date, the doubling fit and reported values.

    ``trials`` is the circuits per width the prediction assumes (predicted mode) or runs
    (measured mode, where the CLI defaults to 20). ``progress`` is called with each snapshot name.
    """
    # the run's recorded inputs: its arguments as given
    inputs = {k: v for k, v in locals().items() if k not in ("store", "progress")}
    from quantumlimits.execution.backends import is_spec_name, load_snapshot, snapshot_names

    if mode not in MODES:
        raise UsageError(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
    if trials < 1 or shots < 1:
        raise UsageError("--trials and --shots must be at least 1")
    if max_width is None:
        max_width = 12 if mode == "predicted" else 5
    if max_width < 2:
        raise UsageError(f"--max-width must be at least 2, got {max_width}")
    if backends is None:
        names = list(snapshot_names()) if mode == "predicted" else list(MEASURED_DEFAULT)
    else:
        names = list(dict.fromkeys(backends))
        unknown = [n for n in names if n not in snapshot_names() and not is_spec_name(n)]
        if unknown:
            from quantumlimits.execution.backends import suggest

            if unknown[0] == "aer":
                raise UsageError(
                    "the timeline places device snapshots by calibration date; 'aer' is the "
                    "noiseless simulator and has none: name fake_* snapshots"
                )
            hint = suggest(unknown[0], snapshot_names())
            raise UsageError(f"unknown snapshot {unknown[0]!r}: {hint}")
        if not names:
            raise UsageError("--backends is empty: name at least one fake_* snapshot")
        for name in names:
            if is_spec_name(name):
                load_snapshot(name)  # a spec lacking a noise figure is refused before recording
    prov = provenance.provenance()
    with recording(
        store,
        kind=KIND,
        backend=None,
        seed=seed,
        inputs=inputs,
        created=str(prov["created"]),
    ) as run:
        started = time.perf_counter()
        snapshots: list[SnapshotQV] = []
        skipped: dict[str, str] = {}
        for name in names:
            if progress is not None:
                progress(name)
            backend = load_snapshot(name)
            if backend.num_qubits < 2:
                skipped[name] = f"{backend.num_qubits} qubit: quantum volume needs 2"
                continue
            if mode == "predicted":
                snap = predicted_snapshot(name, trials=trials, max_width=max_width, seed=seed)
            else:
                snap = measured_snapshot(
                    name, trials=trials, shots=shots, max_width=max_width, seed=seed, store=store
                )
            snapshots.append(snap)
        dated = [s for s in snapshots if s.calibration_date]
        for s in snapshots:
            if not s.calibration_date:
                skipped[s.name] = "no calibration date: listed but left out of the fit"
        fit = fit_doubling(
            dates=[s.calibration_date for s in dated],  # type: ignore[misc]
            log2_qv=[s.log2_qv for s in dated],
        )
        reported_fits = {
            vendor: fit_doubling(
                dates=[r.date for r in REPORTED if r.vendor == vendor],
                log2_qv=[r.log2_qv for r in REPORTED if r.vendor == vendor],
            )
            for vendor in sorted({r.vendor for r in REPORTED})
        }
        settings = {
            "mode": mode,
            "backends": names,
            "trials": trials,
            "shots": shots if mode == "measured" else None,
            "max_width": max_width,
            "seed": seed,
            "pass_rule": "predicted mean HOP >= Cross threshold at `trials` circuits"
            if mode == "predicted"
            else "measured mean HOP >= Cross threshold at max(trials, 100) circuits (indicative)",
            "hop_model": "qv.predict.predicted_hop_from_rates (global depolarizing)",
        }
        result = TimelineResult(
            mode=mode,
            settings=settings,
            snapshots=tuple(snapshots),
            skipped=skipped,
            fit=fit,
            reported=REPORTED,
            reported_fits=reported_fits,
            differences=tuple(differences(snapshots, fit, reported_fits, mode)),
            versions=dict(prov.pop("versions")),  # type: ignore[call-overload]
            provenance=prov,
            timings={"total": round(time.perf_counter() - started, 6)},
        )
        result = dataclasses.replace(result, run_id=run.run_id)
        run.finish(document=result.to_dict(), summary=summary_line(result))
    return result


def summary_line(result: TimelineResult) -> str:
    """One line: snapshots, mode and doubling time."""
    best = max((s.quantum_volume for s in result.snapshots), default=1)
    doubling = result.fit.doubling_years_text if result.fit else "no fit"
    return (
        f"{len(result.snapshots)} snapshots ({result.mode}): best QV {best}; "
        f"doubling every {doubling}"
    )


def years_between(a: str, b: str) -> float:
    """Years from date ``a`` to date ``b`` (ISO strings).

    >>> round(years_between("2020-01-01", "2021-01-01"), 3)
    1.002
    """
    return (_epoch(b) - _epoch(a)) / _YEAR_S
