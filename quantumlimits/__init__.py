"""quantumlimits: how far quantum computers stand from beating brute-force classical compute.

The flat public API: circuit builders, heavy-output and statistics functions, the quantum volume
protocol and the results store. See ``docs/`` for the method and formats.
"""

from __future__ import annotations

from importlib import metadata as _metadata
from typing import TYPE_CHECKING, Any

try:
    __version__ = _metadata.version("quantumlimits")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

#: Where each public name lives: ``import quantumlimits`` loads none of them (nor Qiskit) until
#: one is used (PEP 562), so that a process that needs only a part (the drawing process of
#: qv.png, ``quantumlimits history``) does not import the rest.
_PUBLIC = {
    "measured": "quantumlimits.circuits",
    "qv_circuit": "quantumlimits.circuits",
    "qv_circuits": "quantumlimits.circuits",
    "UsageError": "quantumlimits.errors",
    "effective_polarization": "quantumlimits.mirror",
    "mirror_circuit": "quantumlimits.mirror",
    "mirror_circuits": "quantumlimits.mirror",
    "heavy_count": "quantumlimits.qv.heavy",
    "heavy_mask": "quantumlimits.qv.heavy",
    "ideal_hop": "quantumlimits.qv.heavy",
    "mask_digest": "quantumlimits.qv.heavy",
    "plan_qv": "quantumlimits.qv.plan:plan",
    "predict_qv": "quantumlimits.qv.predict",
    "predicted_hop": "quantumlimits.qv.predict",
    "SequentialTest": "quantumlimits.qv.sequential",
    "Verdict": "quantumlimits.qv.sequential",
    "sequential_verdict": "quantumlimits.qv.sequential",
    "bootstrap_lower_bound": "quantumlimits.qv.stats",
    "cross_lower_bound": "quantumlimits.qv.stats",
    "cross_threshold": "quantumlimits.qv.stats",
    "hops": "quantumlimits.qv.stats",
    "quantum_volume": "quantumlimits.qv.stats",
    "StoredQVRun": "quantumlimits.research",
    "load_qv_run": "quantumlimits.research",
    "ResultsStore": "quantumlimits.store",
}


def __getattr__(name: str) -> Any:
    where = _PUBLIC.get(name)
    if where is None:
        raise AttributeError(f"module 'quantumlimits' has no attribute {name!r}")
    import importlib

    module, _, attribute = where.partition(":")
    value = getattr(importlib.import_module(module), attribute or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])


if TYPE_CHECKING:
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
