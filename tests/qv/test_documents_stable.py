"""Same seed, same numbers across refactors: qv.json documents written by an earlier version.

``data/documents/*.json`` were written by quantumlimits at commit 47aee48 (before the settings,
run-lifecycle and circuit-builder refactor) from the cases below, with the fields that vary from
run to run removed (``run_id``, ``provenance``, ``timings``, ``versions``, each width's
``timings``). Every value they hold must come back identical; fields added since may be present.
The cases fix their qubits (or run noiseless), so the layout search does not enter.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from quantumlimits.qv.optimize import Optimizations
from quantumlimits.qv.protocol import run_qv

DATA = Path(__file__).parent / "data" / "documents"

CASES: dict[str, dict[str, Any]] = {
    "torino_qubits": dict(
        backend="fake_torino", widths=[2, 3], trials=12, shots=100, seed=5, qubits=[0, 1, 2]
    ),
    "aer": dict(backend="aer", widths=[3, 4], trials=10, shots=50, seed=2),
    "adaptive": dict(backend="aer", widths=[3], trials=150, shots=100, seed=21, adaptive=True),
    "depths": dict(
        backend="fake_torino",
        widths=[2, 3],
        depths=[1, 3],
        trials=6,
        shots=64,
        seed=9,
        qubits=[0, 1, 2],
    ),
    "optimized": dict(
        backend="fake_torino",
        widths=[3],
        trials=8,
        shots=100,
        seed=4,
        qubits=[0, 1, 2],
        optimizations=Optimizations(readout=True, readout_shots=500, dynamical_decoupling=True),
    ),
    "bootstrap": dict(
        backend="fake_sherbrooke",
        widths=[2],
        trials=10,
        shots=100,
        seed=7,
        qubits=[0, 1],
        method="bootstrap",
        optimization_level=2,
    ),
}


def _contains(new: Any, old: Any, where: str) -> None:
    if isinstance(old, dict):
        assert isinstance(new, dict), where
        for key, value in old.items():
            assert key in new, f"{where}.{key} is gone"
            _contains(new[key], value, f"{where}.{key}")
    elif isinstance(old, list):
        assert isinstance(new, list) and len(new) == len(old), where
        for i, (a, b) in enumerate(zip(new, old, strict=True)):
            _contains(a, b, f"{where}[{i}]")
    else:
        assert new == old, f"{where}: {new!r} != {old!r}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_documents_of_an_earlier_version_come_back_identical(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        document = run_qv(**CASES[name]).to_dict()
    recorded = json.loads((DATA / f"{name}.json").read_text())
    _contains(json.loads(json.dumps(document)), recorded, name)
