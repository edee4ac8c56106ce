"""Same seed, same numbers across refactors: classify.json documents written by an earlier version.

``data/documents/*.json`` were written by quantumlimits at commit 64d3ca6 (before classify's
settings and run-lifecycle refactor) by ``quantumlimits classify`` with the arguments below
(``python tests/classify/test_documents_stable.py`` writes them from the code at hand), with the
fields that vary from run to run removed: the run id, the timings, the wall clock (each curve's
``train_seconds``, each run's ``eval_seconds``, the ``wall`` time to target), the CSV's path and
the provenance except what the run was asked to do. Every value they hold must come back
identical; fields added since may be present. ``full_moons.json`` is one whole document of that
version: it must still load.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from quantumlimits.classify.results import ClassifyResult
from quantumlimits.cli import main

DATA = Path(__file__).parent / "data" / "documents"

FAST = ["--samples", "60", "--seeds", "2", "--max-steps", "6", "--shots", "100"]
CASES: dict[str, list[str]] = {
    "moons_torino": [
        "--dataset", "moons", "--models", "dummy,logreg,svc,vqc-reupload,vqc-angle,vqc-iqp",
        "--target", "0.8", *FAST,
    ],
    "circles_grid": [
        "--dataset", "circles", "--models", "dummy,logreg,svc,vqc-reupload", "--grid",
        "--no-entangle", "--eval-every", "2", "--batch-size", "10", "--layers", "2", "--lr",
        "0.05", "--device-model", "none", "--target", "rel:0.95", "--seed", "3", *FAST,
    ],
    "csv_pca": [
        "--data", "{csv}", "--label", "kind", "--positive-class", "b", "--features", "2",
        "--width", "3", "--qubits", "3", "--models", "logreg,vqc-angle", "--device-model",
        "none", "--test-size", "0.25", "--target", "0.7", "--seed", "11", *FAST,
    ],
    "noisy": [
        "--dataset", "linearly_separable", "--models", "vqc-angle", "--noisy-eval",
        "--seeds", "1", "--max-steps", "4", "--shots", "200", "--samples", "40",
        "--target", "0.6",
    ],
}  # fmt: skip
#: Provenance entries that say what the run was asked to do (the rest is where and when).
ASKED = ("noisy_eval", "quantum_settings", "grid", "qubit_budget")


def write_csv(path: Path) -> Path:
    """A seeded three-class CSV with four numeric features and a text label column."""
    rng = np.random.default_rng(2024)
    lines = ["f1,f2,kind,f3,f4"]
    for i in range(60):
        label = "abc"[i % 3]
        x = rng.normal(size=4) + (i % 3)
        lines.append(f"{x[0]:.6f},{x[1]:.6f},{label},{x[2]:.6f},{x[3]:.6f}")
    path.write_text("\n".join(lines) + "\n")
    return path


def run_case(name: str, folder: Path) -> dict[str, Any]:
    """The classify.json document case ``name`` writes in ``folder``."""
    csv = write_csv(folder / "data.csv")
    argv = [a.replace("{csv}", str(csv)) for a in CASES[name]]
    out = folder / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = main(["classify", *argv, "--out", str(out), "--no-store"])
    assert status == 0
    document: dict[str, Any] = json.loads((out / "classify.json").read_text())
    return document


def stable(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` without the fields that vary from run to run."""
    doc = json.loads(json.dumps(document))
    for key in ("run_id", "timings"):
        doc.pop(key, None)
    doc["provenance"] = {k: v for k, v in doc["provenance"].items() if k in ASKED}
    doc["dataset"]["params"].pop("path", None)
    for model in doc["models"]:
        model["time_to_target"].pop("wall", None)
        for run in model["runs"]:
            run.pop("eval_seconds", None)
            run["curve"].pop("train_seconds", None)
    return doc


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
def test_documents_of_an_earlier_version_come_back_identical(name: str, tmp_path: Path) -> None:
    recorded = json.loads((DATA / f"{name}.json").read_text())
    _contains(stable(run_case(name, tmp_path)), recorded, name)


def test_a_whole_document_of_an_earlier_version_loads() -> None:
    document = json.loads((DATA / "full_moons.json").read_text())
    result = ClassifyResult.from_dict(document)
    assert [m.name for m in result.models][:3] == ["dummy", "logreg", "svc"]
    again = result.to_dict()
    for key in ("dataset", "target", "seeds", "shots", "device_model", "calibration_date"):
        assert again[key] == document[key]
    assert again["models"] == document["models"]


if __name__ == "__main__":  # write the fixtures from the code at hand
    import tempfile

    for case in sorted(CASES):
        with tempfile.TemporaryDirectory() as tmp:
            doc = run_case(case, Path(tmp))
        if case == "moons_torino":
            (DATA / "full_moons.json").write_text(json.dumps(doc, indent=1) + "\n")
        (DATA / f"{case}.json").write_text(json.dumps(stable(doc), indent=1) + "\n")
        print(f"wrote {case}", file=sys.stderr)
