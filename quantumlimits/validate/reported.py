"""The figures IBM reported for a device, read from its snapshot's configuration.

47 of the package's snapshots carry IBM's ``quantum_volume``, 23 carry ``clops_h`` (the
hardware-aware CLOPS of 2023 on) or ``clops`` (the original CLOPS of Wack et al. 2021). They are
read through ``backend.configuration()``, never by parsing the snapshot's files.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import asdict, dataclass
from typing import Any

from quantumlimits.execution.backends import calibration_date, load_snapshot, snapshot_names


@dataclass(frozen=True)
class Reported:
    """What IBM reported for one device, and the snapshot's size and calibration date."""

    backend: str
    num_qubits: int
    calibration_date: str | None
    quantum_volume: int | None
    clops_h: float | None
    clops: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return float(value)


@functools.cache
def reported(backend: str) -> Reported:
    """IBM's figures for snapshot ``backend`` (None where it reported none)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        device = load_snapshot(backend)
        try:
            config = device.configuration()
        except Exception:  # a snapshot without a V1 configuration reports nothing
            config = None
    qv = _number(getattr(config, "quantum_volume", None))
    return Reported(
        backend=backend,
        num_qubits=int(device.num_qubits),
        calibration_date=calibration_date(device),
        quantum_volume=None if qv is None else int(qv),
        clops_h=_number(getattr(config, "clops_h", None)),
        clops=_number(getattr(config, "clops", None)),
    )


def with_reported_qv() -> tuple[str, ...]:
    """Snapshots whose configuration carries a reported quantum volume."""
    return tuple(n for n in snapshot_names() if reported(n).quantum_volume is not None)


def with_reported_clops() -> tuple[str, ...]:
    """Snapshots whose configuration carries a reported CLOPS_h or CLOPS."""
    return tuple(
        n
        for n in snapshot_names()
        if reported(n).clops_h is not None or reported(n).clops is not None
    )
