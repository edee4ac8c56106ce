"""The imported circuits run on a device model, their HOPs paired with the measured ones
(``quantumlimits import --simulate BACKEND``).

Each circuit is run as imported (its own measurements, so bit ``j`` reads the same qubit as in the
data set) after the package's layout choice and transpilation for a width of its qubit count, on
the snapshot's noise model through the same :class:`~quantumlimits.execution.executor.Executor`
as ``quantumlimits qv``, with the most shots any circuit of the width had. Its heavy count uses
the heavy set computed at import, so measured and simulated HOP of a circuit are directly
comparable: per width the means, the mean paired difference with its standard error, and the
Pearson correlation of the per-circuit HOPs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from quantumlimits.dataset.importer import ImportedCircuit, parse_circuit, readout
from quantumlimits.errors import UsageError

SCHEMA = 1


@dataclass(frozen=True)
class PairedWidth:
    """Measured against simulated HOP over the circuits of one width."""

    width: int
    circuits: int
    shots: int
    physical_qubits: tuple[int, ...]
    measured_hop: float
    simulated_hop: float
    ideal_hop: float
    #: mean of (measured - simulated) over circuits, and its standard error (None for 1 circuit)
    difference: float
    difference_se: float | None
    #: Pearson correlation of per-circuit measured and simulated HOPs (None when undefined)
    correlation: float | None


@dataclass(frozen=True)
class PairedCircuit:
    """One circuit's measured and simulated HOP."""

    name: str
    width: int
    measured_hop: float
    simulated_hop: float
    ideal_hop: float


@dataclass(frozen=True)
class Comparison:
    """The imported data set against a simulation of the same circuits on ``backend``."""

    backend: str
    calibration_date: str | None
    seed: int
    optimization_level: int
    widths: tuple[PairedWidth, ...]
    circuits: tuple[PairedCircuit, ...]
    schema: int = SCHEMA

    @property
    def correlation(self) -> float | None:
        """Pearson correlation over every circuit of every width."""
        return _correlation(
            [c.measured_hop for c in self.circuits], [c.simulated_hop for c in self.circuits]
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        d = asdict(self)
        d["correlation"] = self.correlation
        return d


def _correlation(a: Sequence[float], b: Sequence[float]) -> float | None:
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.size < 2 or float(x.std()) == 0.0 or float(y.std()) == 0.0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def measured_circuit(imported: ImportedCircuit) -> QuantumCircuit:
    """The circuit as imported, measured as in the data set (bit ``j`` reads the same qubit)."""
    r = readout(parse_circuit(imported.entry), imported.entry.name)
    out = QuantumCircuit(r.circuit.num_qubits, r.width)
    out.compose(r.circuit, inplace=True)
    for bit, qubit in enumerate(r.qubits):
        out.measure(qubit, bit)
    return out


def check_device(backend: str, circuits: Sequence[ImportedCircuit]) -> Any:
    """The device ``backend`` names, refused when noiseless, remote, or too small."""
    from quantumlimits.execution import backends
    from quantumlimits.qv.protocol import load_device

    backends.check_backend_name(backend)
    if backend == backends.NOISELESS:
        raise UsageError(
            "--simulate aer is noiseless: its HOP is the 'ideal' column already shown; "
            "pass a snapshot such as fake_montreal or a device spec"
        )
    if backends.is_cloud_name(backend):
        raise UsageError(
            f"--simulate runs on a local device model, not {backend}: pass its snapshot or a "
            "device spec ('quantumlimits backends' lists them)"
        )
    device = load_device(backend)
    widest = max(parse_circuit(c.entry).num_qubits for c in circuits)
    if widest > device.max_width:
        raise UsageError(
            f"--simulate {backend}: a circuit has {widest} qubits, the device {device.max_width}; "
            "pass a larger device"
        )
    return device


def simulate(
    circuits: Sequence[ImportedCircuit],
    *,
    backend: str,
    seed: int = 0,
    optimization_level: int = 1,
    device: Any | None = None,
) -> Comparison:
    """Run ``circuits`` on ``backend``'s noise model and pair the HOPs (module docstring)."""
    from quantumlimits.execution.executor import Executor, JobKey
    from quantumlimits.qv import build
    from quantumlimits.qv.protocol import choose_layout, placement
    from quantumlimits.qv.settings import QVSettings

    device = device or check_device(backend, circuits)
    groups: dict[int, list[tuple[ImportedCircuit, QuantumCircuit]]] = {}
    for c in circuits:
        full = measured_circuit(c)
        groups.setdefault(full.num_qubits, []).append((c, full))
    executor = Executor(device.name)
    widths, paired = [], []
    for n, group in sorted(groups.items()):
        settings = QVSettings(
            backend=backend, widths=[n], seed=seed, optimization_level=optimization_level
        )
        choice = choose_layout(device, n, settings)
        layout = choice.layout if choice is not None else None
        where = placement(device, layout, n)
        isa = build.transpile(
            [full for _, full in group],
            placement=where,
            width=n,
            depth=n,
            seed=seed,
            optimization_level=optimization_level,
        )
        shots = max(c.shots for c, _ in group)
        counts, _, _ = executor.execute(
            isa,
            key=JobKey(name=f"import-q{n}", label=f"{n}-qubit circuits", seed_path=(n,)),
            shots=shots,
            seed=seed,
            physical_qubits=where.qubits,
            advance=lambda k: None,
        )
        rows = []
        for (c, _), got in zip(group, counts, strict=True):
            total = sum(got.values())
            heavy = sum(v for k, v in got.items() if c.mask[int(k)])
            rows.append(
                PairedCircuit(
                    name=c.entry.name,
                    width=c.width,
                    measured_hop=c.heavy_count / c.shots,
                    simulated_hop=heavy / total,
                    ideal_hop=c.ideal_hop,
                )
            )
        paired.extend(rows)
        for width in sorted({r.width for r in rows}):
            mine = [r for r in rows if r.width == width]
            measured = np.array([r.measured_hop for r in mine])
            simulated = np.array([r.simulated_hop for r in mine])
            diff = measured - simulated
            se = float(diff.std(ddof=1) / math.sqrt(diff.size)) if diff.size > 1 else None
            widths.append(
                PairedWidth(
                    width=width,
                    circuits=len(mine),
                    shots=shots,
                    physical_qubits=tuple(where.qubits),
                    measured_hop=float(measured.mean()),
                    simulated_hop=float(simulated.mean()),
                    ideal_hop=float(np.mean([r.ideal_hop for r in mine])),
                    difference=float(diff.mean()),
                    difference_se=se,
                    correlation=_correlation(measured.tolist(), simulated.tolist()),
                )
            )
    return Comparison(
        backend=backend,
        calibration_date=device.calibration_date,
        seed=seed,
        optimization_level=optimization_level,
        widths=tuple(sorted(widths, key=lambda w: w.width)),
        circuits=tuple(paired),
    )
