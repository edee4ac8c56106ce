"""A small spec document to vary in tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest

TOY: dict[str, Any] = {
    "format": "quantumlimits.device-spec/1",
    "name": "toy",
    "machine": "Toy trapped-ion machine",
    "date": "2024-01-02",
    "qubits": 4,
    "connectivity": "all-to-all",
    "missing": ["durations"],
    "sources": {"paper": "A. Author, a paper (2024), Table 1"},
    "gates": {"single_qubit": ["rz", "r"], "two_qubit": "rzz"},
    "errors": {
        "single_qubit": {"value": 0.01, "source": "paper"},
        "two_qubit": {"value": 0.04, "source": "paper"},
        "readout_0to1": {"value": 0.02, "source": "paper"},
        "readout_1to0": {"value": 0.05, "source": "paper"},
        "memory": {"value": 0.03, "source": "paper"},
    },
}


def toml_text(doc: dict[str, Any]) -> str:
    """``doc`` as TOML (the subset the spec format uses)."""

    def value(v: Any) -> str:
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, str):
            return '"' + v.replace('"', '\\"') + '"'
        return repr(v)

    lines = [f"{k} = {value(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    for k, v in doc.items():
        if isinstance(v, dict):
            lines.append(f"\n[{k}]")
            lines += [f"{kk} = {value(vv)}" for kk, vv in v.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def toy() -> dict[str, Any]:
    """A fresh copy of the toy spec document."""
    return copy.deepcopy(TOY)
