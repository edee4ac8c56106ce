"""The committed reference circuits rebuild identically with the installed Qiskit."""

from __future__ import annotations

import json
from pathlib import Path

from quantumlimits import reference
from quantumlimits.cli import main

CIRCUITS = Path(__file__).resolve().parents[1] / "circuits"


def test_committed_reference_set_rebuilds_identically() -> None:
    assert reference.verify(CIRCUITS) == []


def test_manifest_covers_widths_two_to_eight() -> None:
    manifest = json.loads((CIRCUITS / reference.MANIFEST).read_text())
    assert sorted({c["width"] for c in manifest["circuits"]}) == list(range(2, 9))
    for entry in manifest["circuits"]:
        assert 0.5 < entry["ideal_hop"] <= 1.0


def test_verify_detects_a_changed_file(tmp_path: Path) -> None:
    assert main(["circuits", "export", str(tmp_path), "--widths", "2-3", "--per-width", "2"]) == 0
    target = tmp_path / "qv_w3_i1.qasm"
    target.write_text(target.read_text().replace("cx", "cz", 1))
    problems = reference.verify(tmp_path)
    assert any("qv_w3_i1.qasm" in p for p in problems)
    assert main(["circuits", "verify", str(tmp_path)]) == 1
