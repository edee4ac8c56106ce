"""``quantumlimits validate``: IBM's reported figures read from the snapshots, the CLOPS
projection, the summary, and the command end to end on small snapshots (real simulations)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from quantumlimits import report
from quantumlimits.cli import main
from quantumlimits.execution.backends import load_snapshot
from quantumlimits.store import ResultsStore
from quantumlimits.validate import clops
from quantumlimits.validate.protocol import QVRow, summarise
from quantumlimits.validate.reported import reported


def test_reported_figures_come_from_the_snapshots_configuration() -> None:
    # (every snapshot is listed by with_reported_qv / with_reported_clops: 47 and 32 of them,
    # too slow to load them all here; docs/validation.md shows the full lists)
    assert reported("fake_kolkata").quantum_volume == 128
    assert reported("fake_kolkata").clops == 2029
    assert reported("fake_kolkata").clops_h is None
    assert reported("fake_torino").clops_h == 210_000
    assert reported("fake_torino").quantum_volume is None
    assert reported("fake_torino").calibration_date.startswith("2025-02-26")


def test_the_clops_h_template_is_an_isa_circuit_of_disjoint_native_layers() -> None:
    device = load_snapshot("fake_torino")
    template = clops.hardware_aware_template(device.target, width=20, layers=3)
    ops = template.count_ops()
    assert ops["measure"] == 20 and ops["sx"] == 2 * 20 * 3
    # each layer's two-qubit gates act on disjoint qubits: never more than width/2 per layer
    assert 0 < ops["cz"] <= 3 * 10
    for instruction in template.data:  # every gate exists on those qubits in the target
        qargs = tuple(template.find_bit(q).index for q in instruction.qubits)
        assert device.target.instruction_supported(instruction.operation.name, qargs)


def test_projected_clops_follow_the_usage_model_exactly() -> None:
    device = load_snapshot("fake_kolkata")
    p = clops.project_clops(device, log2_qv=7)
    per_shot = p.circuit_seconds + p.rep_delay_seconds
    assert p.seconds == pytest.approx(10 * 2.0 + 1000 * 100 * per_shot)
    assert p.clops == pytest.approx(1000 * 100 * 7 / p.seconds)
    h = clops.project_clops_h(load_snapshot("fake_torino"))
    assert h.width == 100 and h.layers == 100 and h.circuits == 4900 and h.sub_jobs == 49


def _row(name: str, reported_qv: int, simulated: int) -> QVRow:
    return QVRow(name, 5, None, reported_qv, None, 0.0, {"default": {"quantum_volume": simulated}})


def test_summary_counts_factor_two_and_the_median_ratio() -> None:
    rows = [_row("a", 32, 16), _row("b", 32, 32), _row("c", 128, 8), _row("d", 8, 16)]
    s = summarise(rows, "default")
    assert s is not None
    assert (s.snapshots, s.within_factor_2, s.pessimistic, s.optimistic) == (4, 3, 2, 1)
    assert s.median_log2_ratio == pytest.approx(-0.5)
    assert "3 of 4 snapshots within a factor 2" in s.line()
    assert summarise(rows, "strong") is None


def test_validate_end_to_end_is_stored_and_reported(tmp_path: Path, capsys: Any) -> None:
    store = tmp_path / "s.sqlite"
    argv = [
        "validate",
        "--backends",
        "fake_armonk,fake_belem",
        "--clops-backends",
        "fake_jakarta,fake_torino",
        "--store",
        str(store),
        "--out",
        str(tmp_path / "out"),
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "fake_belem" in out and "within a factor 2" in out
    document = json.loads((tmp_path / "out" / "validate.json").read_text())
    belem = next(r for r in document["qv"] if r["backend"] == "fake_belem")
    assert belem["reported_qv"] == 16
    simulated = belem["simulated"]["default"]
    assert simulated["quantum_volume"] >= 1 and simulated["widths"]
    assert all(w["circuits"] == 100 for w in simulated["widths"])
    armonk = next(r for r in document["qv"] if r["backend"] == "fake_armonk")
    assert armonk["simulated"]["default"]["quantum_volume"] == 1  # one qubit
    kinds = {
        (c["backend"], bool(c["projected_clops_h"]), bool(c["projected_clops"]))
        for c in document["clops"]
    }
    assert kinds == {("fake_jakarta", False, True), ("fake_torino", True, False)}
    with ResultsStore(store, readonly=True) as s:
        (row,) = s.runs(kind="validate")
        assert row.status == "complete"
        assert set(s.parts(row.run_id)) == {
            "qv:fake_armonk",
            "qv:fake_belem",
            "clops:fake_jakarta",
            "clops:fake_torino",
        }
        html = report.render(store=s)
    assert '<section id="validation">' in html and "fake_belem" in html
    assert math.isfinite(document["clops"][0]["projected_clops"]["clops"])


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--backends", "fake_torino"], "reports no quantum volume"),
        (["--backends", "fake_torinoo"], "unknown snapshot"),
        (["--clops-backends", "fake_montreal"], "reports no CLOPS"),
        (["--protocols", "fast"], "--protocols"),
        (["--protocols", "default,default"], "--protocols"),
    ],
)
def test_bad_flags_stop_in_one_line_before_anything_runs(
    argv: list[str], said: str, tmp_path: Path, capsys: Any
) -> None:
    store = tmp_path / "s.sqlite"
    assert main(["validate", *argv, "--store", str(store)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0]
    assert not store.exists()


def _record(store: ResultsStore, protocol: str, rows: dict[str, int], created: str) -> None:
    inputs = {"protocols": [protocol], "seed": 42}
    with store.recording(
        kind="validate", backend=None, seed=42, inputs=inputs, created=created
    ) as run:
        for name, qv in rows.items():
            row = QVRow(name, 5, None, 16, 3, 0.0, {protocol: {"quantum_volume": qv}})
            run.add_part(f"qv:{name}", row.to_dict())
        run.finish(document={}, summary="")


def test_runs_of_several_protocols_merge_newest_first(tmp_path: Path) -> None:
    from quantumlimits.validate.protocol import merged

    with ResultsStore(tmp_path / "s.sqlite") as store:
        _record(store, "default", {"fake_a": 1, "fake_b": 8}, "2026-01-01T00:00:00")
        _record(store, "strong", {"fake_a": 16}, "2026-01-02T00:00:00")
        _record(store, "default", {"fake_a": 8}, "2026-01-03T00:00:00")  # newer default
        result = merged(store)
    assert result.protocols == ("default", "strong")
    rows = {r.backend: r for r in result.qv}
    assert rows["fake_a"].simulated == {
        "default": {"quantum_volume": 8},
        "strong": {"quantum_volume": 16},
    }
    assert rows["fake_b"].simulated == {"default": {"quantum_volume": 8}}
