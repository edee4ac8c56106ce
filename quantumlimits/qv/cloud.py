"""The ISA circuits a QV run will send to a cloud device, built before anything is sent.

They come from the builder every path uses (:mod:`quantumlimits.qv.build`: same seeds, layout and
pass manager as the run itself), so the QPU time of a whole run can be projected and approved up
front; the cloud executor checks each width's circuits against its journal again before
submitting.
"""

from __future__ import annotations

from collections.abc import Sequence

from qiskit import QuantumCircuit

from quantumlimits.circuits import MIN_WIDTH
from quantumlimits.errors import UsageError
from quantumlimits.execution.transpile import embed
from quantumlimits.qv import build
from quantumlimits.qv.optimize import run_circuits
from quantumlimits.qv.protocol import Device, choose_layout, placement
from quantumlimits.qv.settings import QVSettings


def planned_widths(
    *, widths: Sequence[int] | None, max_width: int | None, device_qubits: int
) -> tuple[int, ...]:
    """Widths to project: the explicit list, or every width an ``auto`` scan may reach.

    >>> planned_widths(widths=None, max_width=4, device_qubits=127)
    (2, 3, 4)
    """
    if widths:
        return tuple(widths)
    if max_width is None:
        raise UsageError(
            "--widths auto on a cloud device needs --max-width, so the QPU time of the scan can "
            "be projected before anything is sent (or pass explicit --widths)"
        )
    return tuple(range(MIN_WIDTH, min(max_width, device_qubits) + 1))


def isa_circuits(*, device: Device, settings: QVSettings, width: int) -> list[QuantumCircuit]:
    """One width's circuits as the protocol sends them to the device: the measured model
    circuits transpiled for the layout, with the optimizations' arms and calibration circuits
    (which depend on the shots), placed on the device's full register."""
    choice = choose_layout(device, width, settings)
    assert choice is not None
    layout = choice.layout
    where = placement(device, layout, width)
    isa = build.isa_circuits(
        placement=where,
        width=width,
        depth=width,
        seed=settings.seed,
        optimization_level=settings.optimization_level,
        count=settings.trials,
        approximate=settings.approximate_synthesis,
    )
    if settings.optimizations.any:
        isa = run_circuits(
            isa,
            target=where.local_target(),
            optimizations=settings.optimizations,
            width=width,
            shots=settings.shots,
        )
    return [embed(c, layout.qubits, device.max_width) for c in isa]
