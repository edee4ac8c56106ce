"""The ISA circuits a QV run will send to a cloud device, built before anything is sent.

They are built exactly as :func:`quantumlimits.qv.protocol.run_width` builds them (same seeds,
layout and pass manager), so the QPU time of a whole run can be projected and approved up front;
the cloud executor checks each width's circuits against this plan again before submitting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qiskit import QuantumCircuit

from quantumlimits.circuits import measured, qv_circuits
from quantumlimits.errors import UsageError
from quantumlimits.execution.aer import sub_target
from quantumlimits.execution.layout import best_layout, check_layout
from quantumlimits.execution.transpile import embed, transpile_circuits
from quantumlimits.qv.optimize import Optimizations, run_circuits
from quantumlimits.seeding import STREAM_TRANSPILE, derive_seed


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
    return tuple(range(2, min(max_width, device_qubits) + 1))


def isa_circuits(
    *,
    target: Any,
    width: int,
    trials: int,
    seed: int,
    optimization_level: int,
    qubits: Sequence[int] | None,
    optimizations: Optimizations | None = None,
    shots: int = 1000,
) -> list[QuantumCircuit]:
    """One width's circuits as the protocol sends them to ``target``: the measured model
    circuits transpiled for the layout, with ``optimizations``' arms and calibration circuits
    (which depend on ``shots``)."""
    if qubits is not None:
        if len(qubits) < width:
            raise UsageError(
                f"--qubits lists {len(qubits)} qubits but width {width} needs {width}: "
                "list more qubits or pass smaller --widths"
            )
        layout = check_layout(target, tuple(qubits[:width]))
    else:
        layout = best_layout(target, width)
    circuits = qv_circuits(width=width, depth=width, seed=seed, count=trials)
    # as run_width: routed on the layout's sub-target, then placed on the device's register
    local = sub_target(target, layout.qubits)
    isa = transpile_circuits(
        [measured(c) for c in circuits],
        target=local,
        initial_layout=range(width),
        optimization_level=optimization_level,
        seed=derive_seed(seed, STREAM_TRANSPILE, width, width),
    )
    if optimizations is not None and optimizations.any:
        isa = run_circuits(isa, target=local, optimizations=optimizations, width=width, shots=shots)
    return [embed(c, layout.qubits, target.num_qubits) for c in isa]
