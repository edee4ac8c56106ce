"""The classical wall on the quantum volume task: exact simulation against a device, by width.

Classical side (measured here, then fitted and extrapolated): the time and peak memory of exact
state-vector simulation of one model circuit plus sampling its shots, on this machine, for widths
from 2 up to a time and memory budget. ``time = c * 2**(a * width)`` is fitted on the widths above
the fixed-overhead floor and extrapolated with its confidence band. The memory wall of a budget is
the widest width whose state vector (16 bytes per amplitude) fits in it.

Quantum side (from the snapshot's calibration): each width's model circuits are transpiled to the
device; the schedule duration (``estimate_duration``), ``default_rep_delay``, the shots and a
per-job overhead give the projected device time per circuit; the heavy-output probability is the
measured mean HOP of QV runs in the store where there is one, otherwise predicted from the
calibration. Beyond the transpiled widths, duration and gate counts follow power-law fits.

Three limits come out: the width where the device becomes faster than exact simulation, the width
where each memory budget runs out, and the width where the device's HOP falls below 2/3.
"""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from quantumlimits import provenance
from quantumlimits.documents import Document, check_schema
from quantumlimits.errors import UsageError
from quantumlimits.execution import qpu_time
from quantumlimits.limits.fit import (
    BAND_CONFIDENCE,
    BYTES_PER_AMPLITUDE,
    Estimate,
    LogLinearFit,
    first_width,
    fit_exponential,
    fit_power_law,
    memory_wall_width,
)
from quantumlimits.qv.predict import predicted_hop_from_rates
from quantumlimits.qv.stats import HOP_THRESHOLD
from quantumlimits.store import recording

SCHEMA = 1
KIND = "limits"
#: Widths the report extrapolates to.
EXTRAPOLATE_TO = 60
#: Widths whose measured time is below this are dominated by fixed overheads and are not fitted.
FIT_MIN_SECONDS = 0.01
#: Named memory budgets besides this machine (decimal units, as vendors quote them).
NAMED_BUDGETS: tuple[tuple[str, float], ...] = (
    ("2 TB node", 2e12),
    ("10 PB supercomputer", 10e15),
)
#: Share of physical memory the classical probe may plan to use.
PROBE_MEMORY_FRACTION = 0.5
#: Seconds the classical scan may take when neither a budget nor a maximum width is given.
DEFAULT_TIME_BUDGET_S = 20.0


@dataclass(frozen=True)
class ClassicalPoint:
    """Exact simulation of one model circuit plus sampling, measured on this machine."""

    width: int
    seconds: float
    seconds_all: tuple[float, ...]
    simulate_seconds: float
    sample_seconds: float
    repeats: int
    peak_extra_bytes: int
    peak_rss_bytes: int
    memory_method: str

    def __post_init__(self) -> None:
        if self.width < 2 or self.repeats < 1 or self.seconds <= 0:
            raise ValueError(f"bad classical point {self}")
        if len(self.seconds_all) != self.repeats:
            raise ValueError("seconds_all must hold one entry per repeat")


@dataclass(frozen=True)
class DevicePoint:
    """One width's model circuits transpiled to the device, and the calibration of its qubits."""

    width: int
    circuits: int
    duration_s: float | None
    two_qubit_gates: float
    single_qubit_gates: float
    two_qubit_error: float
    single_qubit_error: float
    readout_error: float
    physical_qubits: tuple[int, ...]

    def __post_init__(self) -> None:
        if (
            self.width < 2
            or self.circuits < 1
            or (self.duration_s is not None and self.duration_s <= 0)
        ):
            raise ValueError(f"bad device point {self}")


@dataclass(frozen=True)
class HopPoint:
    """A measured mean HOP of the device at one width, from a QV run in the store."""

    width: int
    mean_hop: float
    circuits: int
    run_id: str | None
    calibration_date: str | None


@dataclass(frozen=True)
class MemoryBudget:
    """A named memory budget and the widest state vector it holds."""

    name: str
    bytes: float
    max_width: int
    source: str


@dataclass(frozen=True)
class WidthRow:
    """Every number of one width, each with its source."""

    width: int
    classical_seconds: Estimate
    device_seconds: Estimate
    device_hop: Estimate
    statevector_bytes: float
    fits: dict[str, bool]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "width": self.width,
            "classical_seconds": self.classical_seconds.to_dict(),
            "device_seconds": self.device_seconds.to_dict(),
            "device_hop": self.device_hop.to_dict(),
            "statevector_bytes": self.statevector_bytes,
            "fits": dict(self.fits),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WidthRow:
        """Inverse of :meth:`to_dict`."""
        return cls(
            width=int(d["width"]),
            classical_seconds=Estimate(**d["classical_seconds"]),
            device_seconds=Estimate(**d["device_seconds"]),
            device_hop=Estimate(**d["device_hop"]),
            statevector_bytes=float(d["statevector_bytes"]),
            fits={k: bool(v) for k, v in d["fits"].items()},
        )


@dataclass(frozen=True)
class Crossings:
    """The three limits: where the device gets faster, where memory ends, where HOP drops."""

    device_faster_width: int | None
    device_faster_range: tuple[int | None, int | None]
    memory_wall: dict[str, int]
    hop_below_two_thirds_width: int | None
    hop_below_source: str | None


@dataclass(frozen=True)
class LimitsResult(Document):
    """The classical wall document (``limits.json``, the store's ``kind="limits"``)."""

    backend: str
    calibration_date: str | None
    settings: dict[str, Any]
    classical: tuple[ClassicalPoint, ...]
    classical_fit: LogLinearFit
    stop_reason: str
    device: tuple[DevicePoint, ...]
    duration_fit: LogLinearFit | None
    gates_fit: LogLinearFit | None
    device_info: dict[str, Any]
    hop_measured: tuple[HopPoint, ...]
    budgets: tuple[MemoryBudget, ...]
    rows: tuple[WidthRow, ...]
    crossings: Crossings
    versions: dict[str, str]
    provenance: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    run_id: str | None = None
    schema: int = SCHEMA

    def __post_init__(self) -> None:
        if self.schema != SCHEMA:
            raise ValueError(f"schema {self.schema} is not the supported {SCHEMA}")
        if not self.classical:
            raise ValueError("a limits result needs at least one classical measurement")
        widths = [r.width for r in self.rows]
        if widths != sorted(set(widths)):
            raise ValueError("rows must be in increasing width order without repeats")

    def to_dict(self) -> dict[str, Any]:
        """The JSON document as a dict."""
        return {
            "schema": self.schema,
            "kind": KIND,
            "run_id": self.run_id,
            "backend": self.backend,
            "calibration_date": self.calibration_date,
            "settings": self.settings,
            "classical": [asdict(p) | {"seconds_all": list(p.seconds_all)} for p in self.classical],
            "classical_fit": self.classical_fit.to_dict(),
            "stop_reason": self.stop_reason,
            "device": [
                asdict(p) | {"physical_qubits": list(p.physical_qubits)} for p in self.device
            ],
            "duration_fit": self.duration_fit.to_dict() if self.duration_fit else None,
            "gates_fit": self.gates_fit.to_dict() if self.gates_fit else None,
            "device_info": self.device_info,
            "hop_measured": [asdict(p) for p in self.hop_measured],
            "budgets": [asdict(b) for b in self.budgets],
            "rows": [r.to_dict() for r in self.rows],
            "crossings": {
                **asdict(self.crossings),
                "device_faster_range": list(self.crossings.device_faster_range),
            },
            "versions": self.versions,
            "provenance": self.provenance,
            "timings": self.timings,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LimitsResult:
        """Inverse of :meth:`to_dict`; rejects other schema versions."""
        check_schema(d, expected=SCHEMA, kind="limits.json")
        c = d["crossings"]
        return cls(
            backend=d["backend"],
            calibration_date=d.get("calibration_date"),
            settings=dict(d["settings"]),
            classical=tuple(
                ClassicalPoint(**{**p, "seconds_all": tuple(p["seconds_all"])})
                for p in d["classical"]
            ),
            classical_fit=LogLinearFit.from_dict(d["classical_fit"]),
            stop_reason=d["stop_reason"],
            device=tuple(
                DevicePoint(**{**p, "physical_qubits": tuple(p["physical_qubits"])})
                for p in d["device"]
            ),
            duration_fit=LogLinearFit.from_dict(d["duration_fit"]) if d["duration_fit"] else None,
            gates_fit=LogLinearFit.from_dict(d["gates_fit"]) if d["gates_fit"] else None,
            device_info=dict(d["device_info"]),
            hop_measured=tuple(HopPoint(**p) for p in d["hop_measured"]),
            budgets=tuple(MemoryBudget(**b) for b in d["budgets"]),
            rows=tuple(WidthRow.from_dict(r) for r in d["rows"]),
            crossings=Crossings(
                device_faster_width=c["device_faster_width"],
                device_faster_range=(c["device_faster_range"][0], c["device_faster_range"][1]),
                memory_wall={k: int(v) for k, v in c["memory_wall"].items()},
                hop_below_two_thirds_width=c["hop_below_two_thirds_width"],
                hop_below_source=c["hop_below_source"],
            ),
            versions=dict(d["versions"]),
            provenance=dict(d["provenance"]),
            timings={k: float(v) for k, v in d.get("timings", {}).items()},
            run_id=d.get("run_id"),
        )


# -- classical measurement ---------------------------------------------------------------------


def physical_memory_bytes() -> int:
    """This machine's physical memory (8 GiB when it cannot be read)."""
    return int(provenance.machine().get("memory_bytes") or 8 * 2**30)  # type: ignore[call-overload]


def measure_classical(
    *,
    max_width: int,
    time_budget_s: float,
    memory_budget_bytes: float,
    repeats: int = 3,
    shots: int = 1000,
    seed: int = 0,
    threads: int = 1,
    min_width: int = 2,
    on_point: Callable[[ClassicalPoint], None] | None = None,
) -> tuple[list[ClassicalPoint], str]:
    """Time exact simulation + sampling per width in a child process (see ``_probe``).

    Widths run in increasing order until ``max_width``, or until the next width would overrun
    ``time_budget_s`` (assuming it costs 2.3x the last) or ``memory_budget_bytes``. Returns the
    points and why the scan stopped.
    """
    config = {
        "min_width": min_width,
        "max_width": max_width,
        "time_budget_s": time_budget_s,
        "memory_budget_bytes": memory_budget_bytes,
        "repeats": repeats,
        "shots": shots,
        "seed": seed,
        "threads": threads,
    }
    cmd = [sys.executable, "-m", "quantumlimits.limits._probe", json.dumps(config)]
    points: list[ClassicalPoint] = []
    reason = "probe ended early"
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            data = json.loads(line)
            if "stop" in data:
                reason = str(data["stop"])
                continue
            point = ClassicalPoint(**{**data, "seconds_all": tuple(data["seconds_all"])})
            points.append(point)
            if on_point:
                on_point(point)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        err = proc.stderr.read().strip().splitlines() if proc.stderr else []
        tail = err[-1] if err else f"exit status {proc.returncode}"
        if points:
            reason = f"probe stopped after width {points[-1].width}: {tail}"
        else:
            raise RuntimeError(f"the classical probe failed: {tail}")
    return points, reason


def fit_classical(
    points: Sequence[ClassicalPoint], *, min_width: int | None = None
) -> LogLinearFit:
    """``time = c * 2**(a * width)`` on the widths above the overhead floor (at least 3 widths).

    With ``min_width`` the fit uses exactly the widths from there on.
    """
    if min_width is not None:
        chosen = [p for p in points if p.width >= min_width]
    else:
        chosen = [p for p in points if p.seconds >= FIT_MIN_SECONDS]
        if len(chosen) < 3:
            chosen = list(points[-3:])
    if len(chosen) < 2:
        raise UsageError(
            f"the classical scan reached only {len(points)} widths, too few to fit: "
            "raise --time-budget or --max-width"
        )
    return fit_exponential(widths=[p.width for p in chosen], values=[p.seconds for p in chosen])


# -- device side -------------------------------------------------------------------------------


def _mean_error(target: Any, gate: str | None, qubits: set[int]) -> float:
    """Mean calibrated error of ``gate`` on instructions acting only on ``qubits`` (0 if none)."""
    if gate is None:
        return 0.0
    errors = [
        p.error
        for qargs, p in target[gate].items()
        if qargs is not None and p is not None and p.error is not None and set(qargs) <= qubits
    ]
    return float(np.mean(errors)) if errors else 0.0


def _instance_error(target: Any, isa: Sequence[Any]) -> float:
    """Mean error of the one-qubit instructions (``rz`` aside) the circuits hold, each counted.

    A device spec's circuits hold ``r`` rotations and the ``id`` that carries each idle layer's
    memory error (docs/devices.md), with different errors: weighting by occurrence keeps the
    memory error in the rate model, which a per-gate-name mean would drop.
    """
    errors = [
        target[inst.operation.name][tuple(c.find_bit(q).index for q in inst.qubits)].error or 0.0
        for c in isa
        for inst in c.data
        if inst.operation.num_qubits == 1 and inst.operation.name not in ("measure", "rz")
    ]
    return float(np.mean(errors)) if errors else 0.0


def device_points(
    *, backend: Any, widths: Sequence[int], circuits: int, seed: int, optimization_level: int = 1
) -> list[DevicePoint]:
    """Transpile ``circuits`` model circuits per width to ``backend`` and read their calibration."""
    from quantumlimits.circuits import measured, qv_circuits
    from quantumlimits.execution.backends import edge_errors, readout_errors
    from quantumlimits.execution.layout import best_layout
    from quantumlimits.execution.transpile import transpile_circuits, two_qubit_count
    from quantumlimits.seeding import STREAM_TRANSPILE, derive_seed

    target = backend.target
    edges = edge_errors(target)
    gate1 = "sx" if "sx" in target.operation_names else None
    readout = readout_errors(target)
    out = []
    for width in widths:
        layout = best_layout(target, width)
        chosen = set(layout.qubits)
        isa = transpile_circuits(
            [measured(c) for c in qv_circuits(width=width, seed=seed, count=circuits)],
            target=target,
            initial_layout=layout.qubits,
            optimization_level=optimization_level,
            seed=derive_seed(seed, STREAM_TRANSPILE, width, width),
        )
        durations: list[float] | None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                durations = [float(c.estimate_duration(target, unit="s")) for c in isa]
        except Exception:  # some snapshots carry no duration for some instructions
            durations = None
        two_q = [two_qubit_count(c) for c in isa]
        one_q = [
            sum(
                1
                for inst in c.data
                if inst.operation.num_qubits == 1 and inst.operation.name not in ("measure", "rz")
            )
            for c in isa
        ]
        used = {q for c in isa for q in _active(c)}
        out.append(
            DevicePoint(
                width=width,
                circuits=circuits,
                duration_s=float(np.mean(durations)) if durations else None,
                two_qubit_gates=float(np.mean(two_q)),
                single_qubit_gates=float(np.mean(one_q)),
                two_qubit_error=float(
                    np.mean([e for (a, b), e in edges.items() if a in used and b in used] or [0.0])
                ),
                single_qubit_error=(
                    _instance_error(target, isa)
                    if hasattr(target, "spec")
                    else _mean_error(target, gate1, used)
                ),
                readout_error=float(np.mean([readout[q] for q in chosen])),
                physical_qubits=tuple(int(q) for q in layout.qubits),
            )
        )
    return out


def _without_durations(target: Any) -> str | None:
    """The first instruction (measure or the two-qubit gate) with a qubit lacking a duration."""
    from quantumlimits.execution.backends import two_qubit_gate

    for name in ("measure", two_qubit_gate(target)):
        if name is None or name not in target.operation_names:
            continue
        for qargs, props in target[name].items():
            if qargs is not None and (props is None or props.duration is None):
                return name
    return None


def _active(circuit: Any) -> list[int]:
    from quantumlimits.execution.transpile import active_qubits

    return active_qubits(circuit)


def measured_hops(store: Any, backend: str) -> list[HopPoint]:
    """Mean HOP per width from the store's complete QV runs on ``backend``.

    Per width, the run with the most circuits wins (the newest among equals).
    """
    best: dict[int, HopPoint] = {}
    for row in store.runs(kind="qv"):
        if row.backend != backend or row.status != "complete":
            continue
        try:
            doc = store.document(row.run_id)
        except Exception:
            continue
        for w in doc.get("widths", []):
            if w.get("width") != w.get("depth"):
                continue
            point = HopPoint(
                width=int(w["width"]),
                mean_hop=float(w["mean_hop"]),
                circuits=int(w["circuits"]),
                run_id=row.run_id,
                calibration_date=doc.get("calibration_date"),
            )
            old = best.get(point.width)
            if old is None or point.circuits > old.circuits:
                best[point.width] = point
    return [best[w] for w in sorted(best)]


# -- assembling the rows -----------------------------------------------------------------------


def _point_estimate(value: float, source: str) -> Estimate:
    return Estimate(value=value, low=value, high=value, source=source)


def build_rows(
    *,
    widths: Sequence[int],
    classical: Sequence[ClassicalPoint],
    classical_fit: LogLinearFit,
    device: Sequence[DevicePoint],
    duration_fit: LogLinearFit | None,
    gates_fit: LogLinearFit | None,
    hop_measured: Sequence[HopPoint],
    budgets: Sequence[MemoryBudget],
    rep_delay_s: float,
    shots: int,
    job_overhead_s: float,
    circuits_per_job: int,
) -> list[WidthRow]:
    """One row per width: classical time, device time and device HOP, each with its source."""
    by_width = {p.width: p for p in classical}
    dev = {p.width: p for p in device}
    hops = {h.width: h for h in hop_measured}
    widest = max(device, key=lambda p: p.width) if device else None
    rows = []
    for width in widths:
        point = by_width.get(width)
        if point is not None:
            classical_est = Estimate(
                value=point.seconds,
                low=min(point.seconds_all),
                high=max(point.seconds_all),
                source="measured",
            )
        else:
            classical_est = classical_fit.predict(width)

        d = dev.get(width)
        if d is not None:
            duration, two_q, one_q, source = (
                d.duration_s or 0.0,
                d.two_qubit_gates,
                d.single_qubit_gates,
                "calibration",
            )
            errors = d
        elif widest is not None and duration_fit is not None and gates_fit is not None:
            duration = duration_fit.predict(width).value
            two_q = gates_fit.predict(width).value
            one_q = widest.single_qubit_gates * two_q / max(widest.two_qubit_gates, 1.0)
            source = "extrapolated"
            errors = widest
        else:
            raise ValueError("device rows need transpiled widths or duration and gate fits")
        device_seconds = qpu_time.seconds_per_circuit(
            duration_s=duration,
            rep_delay_s=rep_delay_s,
            shots=shots,
            job_overhead_s=job_overhead_s,
            circuits_per_job=circuits_per_job,
        )
        predicted = predicted_hop_from_rates(
            width=width,
            two_qubit_gates=two_q,
            two_qubit_error=errors.two_qubit_error,
            readout_error=errors.readout_error,
            single_qubit_gates=one_q,
            single_qubit_error=errors.single_qubit_error,
        )
        measured = hops.get(width)
        hop = (
            _point_estimate(measured.mean_hop, "measured")
            if measured is not None
            else _point_estimate(predicted, f"predicted ({source})")
        )
        rows.append(
            WidthRow(
                width=width,
                classical_seconds=classical_est,
                device_seconds=_point_estimate(device_seconds, source),
                device_hop=hop,
                statevector_bytes=float(BYTES_PER_AMPLITUDE * 2.0**width),
                fits={b.name: width <= b.max_width for b in budgets},
            )
        )
    return rows


def crossings(rows: Sequence[WidthRow], budgets: Sequence[MemoryBudget]) -> Crossings:
    """Where the device gets faster (central value and the band's range), where each memory
    budget ends, and where the device's HOP falls below 2/3."""
    widths = [r.width for r in rows]
    central = first_width(
        widths, [r.classical_seconds.value > r.device_seconds.value for r in rows]
    )
    earliest = first_width(
        widths, [r.classical_seconds.high > r.device_seconds.value for r in rows]
    )
    latest = first_width(widths, [r.classical_seconds.low > r.device_seconds.value for r in rows])
    below = first_width(widths, [r.device_hop.value < HOP_THRESHOLD for r in rows])
    source = next((r.device_hop.source for r in rows if r.width == below), None)
    return Crossings(
        device_faster_width=central,
        device_faster_range=(earliest, latest),
        memory_wall={b.name: b.max_width for b in budgets},
        hop_below_two_thirds_width=below,
        hop_below_source=source,
    )


def memory_budgets(*, machine_bytes: int) -> list[MemoryBudget]:
    """This machine's memory and the named budgets, with the widest state vector each holds."""
    out = [
        MemoryBudget(
            name="this machine",
            bytes=float(machine_bytes),
            max_width=memory_wall_width(budget_bytes=machine_bytes),
            source="physical memory of this machine (provenance.machine)",
        )
    ]
    for name, size in NAMED_BUDGETS:
        out.append(
            MemoryBudget(
                name=name,
                bytes=size,
                max_width=memory_wall_width(budget_bytes=size),
                source="named budget (decimal units)",
            )
        )
    return out


class LimitsProgress:
    """Callbacks :func:`run_limits` calls as it advances; the default does nothing."""

    def stage(self, text: str) -> None:
        pass

    def classical_point(self, point: ClassicalPoint) -> None:
        pass


def run_limits(
    *,
    backend: str = "fake_torino",
    max_width: int | None = None,
    time_budget_s: float | None = None,
    memory_budget_bytes: float | None = None,
    repeats: int = 3,
    shots: int = 1000,
    seed: int = 0,
    threads: int = 1,
    device_max_width: int = 12,
    device_circuits: int = 2,
    extrapolate_to: int = EXTRAPOLATE_TO,
    circuits_per_job: int = 100,
    job_overhead_s: float = qpu_time.JOB_OVERHEAD_S,
    fit_min_width: int | None = None,
    store: Any | None = None,
    progress: LimitsProgress | None = None,
) -> LimitsResult:
    """Measure the classical wall and project the device against it (see the module docstring).

    ``max_width`` caps the classical scan (default: as far as the time budget allows, up to the
    memory budget); ``time_budget_s`` bounds the scan's wall time (default
    :data:`DEFAULT_TIME_BUDGET_S` without ``max_width``, unbounded with it, so an explicit
    ``max_width`` is reached unless memory runs out). With a ``store``, measured HOPs
    of QV runs on ``backend`` replace predictions, and the result is recorded as ``kind="limits"``.
    """
    # the run's recorded inputs: its arguments as given
    inputs = {k: v for k, v in locals().items() if k not in ("store", "progress")}
    from quantumlimits.execution import backends as backends_mod

    progress = progress or LimitsProgress()
    if backend == backends_mod.NOISELESS:
        raise UsageError("limits compares against a device: pass a fake_* snapshot, not 'aer'")
    backends_mod.check_backend_name(backend)
    if backends_mod.is_spec_name(backend):
        from quantumlimits.devices import load_spec
        from quantumlimits.devices.spec import DURATION_FIELDS

        spec = load_spec(backend)
        for figure in DURATION_FIELDS:
            spec.duration(figure, needed_for="limits (the QPU-time projection)")
    checks = (
        ("--time-budget", time_budget_s is None or time_budget_s > 0),
        ("--repeats", repeats >= 1),
        ("--shots", shots >= 1),
        ("--threads", threads >= 1),
        ("--device-circuits", device_circuits >= 1),
        ("--circuits-per-job", circuits_per_job >= 1),
        ("--job-overhead", job_overhead_s >= 0),
    )
    for flag, ok in checks:
        if not ok:
            raise UsageError(f"{flag} must be positive")
    if max_width is not None and max_width < 4:
        raise UsageError(f"--max-width {max_width} leaves too few widths to fit: pass 4 or more")
    if device_max_width < 4:
        raise UsageError(f"--device-max-width {device_max_width} is too small: pass 4 or more")
    if extrapolate_to < 2:
        raise UsageError(f"--extrapolate-to must be at least 2, got {extrapolate_to}")
    if time_budget_s is None:
        time_budget_s = DEFAULT_TIME_BUDGET_S if max_width is None else math.inf
    machine_bytes = physical_memory_bytes()
    memory_budget = memory_budget_bytes or PROBE_MEMORY_FRACTION * machine_bytes
    cap = max_width if max_width is not None else memory_wall_width(budget_bytes=memory_budget)
    prov = provenance.provenance()
    with recording(
        store,
        kind=KIND,
        backend=backend,
        seed=seed,
        inputs=inputs,
        created=str(prov["created"]),
    ) as run:
        timings: dict[str, float] = {}

        t = time.perf_counter()
        device_backend = backends_mod.load_snapshot(backend)
        if device_backend.num_qubits < 4:
            raise UsageError(
                f"{backend} has {device_backend.num_qubits} qubits, too few to project: pass a "
                "snapshot with 4 or more, e.g. fake_torino"
            )
        lacking = _without_durations(device_backend.target)
        if lacking:
            raise UsageError(
                f"{backend} has no {lacking} durations in its calibration, so its run time "
                "cannot be projected: pass another --backend, e.g. fake_torino"
            )
        calibration = backends_mod.calibration_date(device_backend)
        rep_delay = float(getattr(device_backend, "default_rep_delay", None) or 250e-6)
        device_widths = list(range(2, min(device_max_width, device_backend.num_qubits) + 1))
        progress.stage(f"transpiling to {backend} at widths 2-{device_widths[-1]}")
        device = device_points(
            backend=device_backend, widths=device_widths, circuits=device_circuits, seed=seed
        )
        missing = [p.width for p in device if p.duration_s is None]
        if missing:
            raise UsageError(
                f"{backend} has no gate durations in its calibration (width {missing[0]}): "
                "pass another --backend, e.g. fake_torino"
            )
        # Widths 2-3 need no routing and sit off the power law; keep them out when there are others.
        fit_from = [p for p in device if p.width >= 4]
        if len(fit_from) < 2:
            fit_from = device[-2:]
        duration_fit = fit_power_law(
            widths=[p.width for p in fit_from], values=[p.duration_s or 0.0 for p in fit_from]
        )
        gates_fit = fit_power_law(
            widths=[p.width for p in fit_from],
            values=[max(p.two_qubit_gates, 1.0) for p in fit_from],
        )
        timings["device"] = round(time.perf_counter() - t, 6)

        progress.stage("measuring exact simulation on this machine")
        t = time.perf_counter()
        classical, reason = measure_classical(
            max_width=cap,
            time_budget_s=time_budget_s,
            memory_budget_bytes=memory_budget,
            repeats=repeats,
            shots=shots,
            seed=seed,
            threads=threads,
            on_point=progress.classical_point,
        )
        timings["classical"] = round(time.perf_counter() - t, 6)
        classical_fit = fit_classical(classical, min_width=fit_min_width)

        hop_measured = measured_hops(store, backend) if store is not None else []
        budgets = memory_budgets(machine_bytes=machine_bytes)
        last = max(extrapolate_to, classical[-1].width)
        rows = build_rows(
            widths=list(range(2, last + 1)),
            classical=classical,
            classical_fit=classical_fit,
            device=device,
            duration_fit=duration_fit,
            gates_fit=gates_fit,
            hop_measured=hop_measured,
            budgets=budgets,
            rep_delay_s=rep_delay,
            shots=shots,
            job_overhead_s=job_overhead_s,
            circuits_per_job=circuits_per_job,
        )
        settings = {
            "max_width": max_width,
            "time_budget_s": time_budget_s if math.isfinite(time_budget_s) else None,
            "memory_budget_bytes": memory_budget,
            "repeats": repeats,
            "shots": shots,
            "seed": seed,
            "threads": threads,
            "device_max_width": device_max_width,
            "device_circuits": device_circuits,
            "extrapolate_to": extrapolate_to,
            "circuits_per_job": circuits_per_job,
            "job_overhead_s": job_overhead_s,
            "fit_min_width": fit_min_width,
            "fit_min_seconds": FIT_MIN_SECONDS,
            "band_confidence": BAND_CONFIDENCE,
            "hop_threshold": HOP_THRESHOLD,
            "classical_method": (
                "qiskit-aer statevector (save_probabilities) + multinomial sampling"
            ),
            "hop_model": "qv.predict.predicted_hop_from_rates (global depolarizing)",
            "qpu_time_model": "execution.qpu_time.seconds_per_circuit (IBM usage model)",
        }
        device_info = {
            "num_qubits": int(device_backend.num_qubits),
            "default_rep_delay_s": rep_delay,
            "dt_s": getattr(device_backend.target, "dt", None),
            "two_qubit_gate": backends_mod.two_qubit_gate(device_backend.target),
        }
        result = LimitsResult(
            backend=backend,
            calibration_date=calibration,
            settings=settings,
            classical=tuple(classical),
            classical_fit=classical_fit,
            stop_reason=reason,
            device=tuple(device),
            duration_fit=duration_fit,
            gates_fit=gates_fit,
            device_info=device_info,
            hop_measured=tuple(hop_measured),
            budgets=tuple(budgets),
            rows=tuple(rows),
            crossings=crossings(rows, budgets),
            versions=dict(prov.pop("versions")),  # type: ignore[call-overload]
            provenance=prov,
            timings=timings,
        )
        result = dataclasses.replace(result, run_id=run.run_id)
        run.finish(document=result.to_dict(), summary=summary_line(result))
    return result


def from_width(width: int | None, result: LimitsResult) -> str:
    """``from width N``, or ``not up to width M`` when no width examined crosses.

    A crossing past the widths examined (``--extrapolate-to``) is not known, not absent.
    """
    if width is not None:
        return f"from width {width}"
    last = max((r.width for r in result.rows), default=0)
    return f"not up to width {last} (the widths examined; raise --extrapolate-to)"


def summary_line(result: LimitsResult) -> str:
    """One line: the three limits."""
    c = result.crossings
    walls = ", ".join(f"{k} {v}" for k, v in c.memory_wall.items())
    return (
        f"{result.backend}: device faster {from_width(c.device_faster_width, result)}; "
        f"HOP < 2/3 {from_width(c.hop_below_two_thirds_width, result)}; memory wall {walls}; "
        f"a = {result.classical_fit.rate:.3f} ± {result.classical_fit.rate_se:.3f}"
    )
