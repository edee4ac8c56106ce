"""The mirror benchmark: mirrored QV layers whose ideal output is one known bitstring.

A different benchmark from quantum volume (docs/mirror.md): builders in :mod:`.circuits`, pure
statistics in :mod:`.stats`, results in :mod:`.results`, the width scan in :mod:`.protocol`.
"""

from __future__ import annotations

from quantumlimits.mirror.circuits import VARIANTS, MirrorCircuit, mirror_circuit, mirror_circuits
from quantumlimits.mirror.stats import (
    THRESHOLD,
    effective_polarization,
    hamming_histogram,
    lower_bound,
    success_probability,
)

__all__ = [
    "THRESHOLD",
    "VARIANTS",
    "MirrorCircuit",
    "effective_polarization",
    "hamming_histogram",
    "lower_bound",
    "mirror_circuit",
    "mirror_circuits",
    "success_probability",
]
