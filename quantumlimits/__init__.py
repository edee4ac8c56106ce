"""quantumlimits: how far quantum computers stand from beating brute-force classical compute.

The flat public API: circuit builders, heavy-output and statistics functions, the quantum volume
protocol and the results store. See ``docs/`` for the method and formats.
"""

from __future__ import annotations

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("quantumlimits")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from quantumlimits.circuits import measured, qv_circuit, qv_circuits
from quantumlimits.errors import UsageError
from quantumlimits.mirror import effective_polarization, mirror_circuit, mirror_circuits
from quantumlimits.qv.heavy import heavy_count, heavy_mask, ideal_hop, mask_digest
from quantumlimits.qv.plan import plan as plan_qv
from quantumlimits.qv.predict import predict_qv, predicted_hop
from quantumlimits.qv.sequential import SequentialTest, Verdict, sequential_verdict
from quantumlimits.qv.stats import (
    bootstrap_lower_bound,
    cross_lower_bound,
    cross_threshold,
    hops,
    quantum_volume,
)
from quantumlimits.research import StoredQVRun, load_qv_run
from quantumlimits.store import ResultsStore

__all__ = [
    "ResultsStore",
    "SequentialTest",
    "StoredQVRun",
    "UsageError",
    "Verdict",
    "__version__",
    "bootstrap_lower_bound",
    "cross_lower_bound",
    "cross_threshold",
    "effective_polarization",
    "heavy_count",
    "heavy_mask",
    "hops",
    "ideal_hop",
    "load_qv_run",
    "mask_digest",
    "measured",
    "mirror_circuit",
    "mirror_circuits",
    "plan_qv",
    "predict_qv",
    "predicted_hop",
    "quantum_volume",
    "qv_circuit",
    "qv_circuits",
    "sequential_verdict",
]
