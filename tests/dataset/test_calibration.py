"""Readout mitigation of imported data sets: calibration counts shipped with the data.

The calibration counts are drawn here (seeded) from known per-qubit assignment errors; each
mitigated HOP is checked against an independent dense computation (the full tensored assignment
matrix solved with numpy), not the package's own weights.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from quantumlimits.cli import main
from quantumlimits.qv.heavy import unpack_mask
from quantumlimits.store import ResultsStore, StoredCircuit
from tests.dataset.test_import import (
    bits,
    imported_run,
    source,
    stored_circuits,
    write_folder,
    write_lists,
)

__all__ = ["source"]  # the module-scoped simulated run the data sets come from

#: Calibrated qubits (the widest circuit of the source run has 3) and their assignment errors.
QUBITS = 3
P1_GIVEN_0 = (0.02, 0.05, 0.03)
P0_GIVEN_1 = (0.04, 0.08, 0.06)


def calibration_counts(order: str, *, shots: int = 2000, seed: int = 3) -> dict[str, Any]:
    """``{"zeros": counts, "ones": counts}`` drawn with the errors above (bit ``j`` = qubit j)."""
    rng = np.random.default_rng(seed)
    out = {}
    for label, prepared, error in (("zeros", 0, P1_GIVEN_0), ("ones", 1, P0_GIVEN_1)):
        flips = rng.random((shots, QUBITS)) < np.asarray(error)
        measured = np.where(flips, 1 - prepared, prepared)
        values = (measured << np.arange(QUBITS)).sum(axis=1)
        keys, n = np.unique(values, return_counts=True)
        out[label] = {bits(int(k), QUBITS, order): int(c) for k, c in zip(keys, n, strict=True)}
    return out


def dense_mitigated_hop(
    circuit: StoredCircuit, clbit_qubit: list[int], calibration: dict[str, Any], order: str
) -> float:
    """HOP of ``(⊗ A)^-1 p``, with ``A`` built from the raw calibration counts."""
    read = (lambda k: int(k, 2)) if order == "little" else (lambda k: int(k[::-1], 2))
    errors = []
    for label in ("zeros", "ones"):
        counts = calibration[label]
        total = sum(counts.values())
        prepared = 0 if label == "zeros" else 1
        errors.append(
            [
                sum(n for k, n in counts.items() if (read(k) >> q) & 1 != prepared) / total
                for q in range(QUBITS)
            ]
        )
    matrix = np.ones((1, 1))
    for b in reversed(range(circuit.width)):  # kron order: the most significant bit first
        q = clbit_qubit[b]
        e01, e10 = errors[0][q], errors[1][q]
        matrix = np.kron(matrix, np.array([[1 - e01, e10], [e01, 1 - e10]]))
    p = np.zeros(1 << circuit.width)
    p[circuit.outcomes] = circuit.counts / circuit.counts.sum()
    quasi = np.linalg.solve(matrix, p)
    return float(quasi[unpack_mask(circuit.heavy_mask, circuit.width)].sum())


def test_calibration_beside_the_data_gives_the_mitigated_arm(
    source: tuple[Path, str], tmp_path: Path, capsys: Any
) -> None:
    path, run_id = source
    order = "big"
    folder = write_folder(
        tmp_path / "data", stored_circuits(path, run_id), order=order, permute=True
    )
    calibration = calibration_counts(order)
    (folder / "calibration.json").write_text(json.dumps(calibration))
    store = tmp_path / "s.sqlite"
    assert main(["import", str(folder), "--bit-order", order, "--store", str(store)]) == 0
    captured = capsys.readouterr()
    assert "opt HOP" in captured.out and "readout-mitigated arm" in captured.out
    assert "readout calibration: 3 qubits, 2000 shots per state" in captured.err
    result, circuits = imported_run(store)
    assert result.verdict_from == "optimized"
    assert result.settings["optimizations"]["readout_mitigation"] is True
    assert result.settings["optimizations"]["readout_shots"] == 2000
    by_width: dict[int, list[StoredCircuit]] = {}
    for c in sorted(circuits, key=lambda c: (c.width, c.index)):
        by_width.setdefault(c.width, []).append(c)
    for w in result.widths:
        assert w.optimized is not None and w.optimized["bound"] == "binomial-or-empirical"
        # permute: qubit q is measured into bit (q + 1) % width, so bit b reads qubit b - 1
        reads = [(b - 1) % w.width for b in range(w.width)]
        expected = [dense_mitigated_hop(c, reads, calibration, order) for c in by_width[w.width]]
        assert np.allclose(w.optimized["hops"], expected, rtol=0, atol=1e-12)
        assert w.optimized["mean_hop"] > w.mean_hop  # readout errors only ever lower the HOP
    assert result.run_id is not None
    argv = ["show", result.run_id, "--reanalyse", "--store", str(store)]
    for extra in ([], ["--method", "bootstrap"]):
        assert main([*argv, *extra]) == 0
        assert "opt HOP" in capsys.readouterr().out
    html = tmp_path / "r.html"
    assert main(["report", "--store", str(store), "--out", str(html)]) == 0
    assert "(optimized arm)" in html.read_text()


def test_ignis_layout_flag_and_raw_verdicts(source: tuple[Path, str], tmp_path: Path) -> None:
    path, run_id = source
    data = write_lists(tmp_path / "d.json", stored_circuits(path, run_id), order="little")
    calibration = calibration_counts("little")
    ignis = {"cal_000": calibration["zeros"], "cal_111": calibration["ones"], "cal_010": {"010": 9}}
    (tmp_path / "ignis.json").write_text(json.dumps(ignis))
    (tmp_path / "plain.json").write_text(json.dumps(calibration))
    hops = []
    for i, (name, extra) in enumerate(
        (("ignis.json", []), ("plain.json", ["--verdict-from", "raw"]))
    ):
        store = tmp_path / f"s{i}.sqlite"
        argv = ["import", str(data), "--calibration", str(tmp_path / name), *extra]
        assert main([*argv, "--store", str(store)]) == 0
        result, _ = imported_run(store)
        assert result.verdict_from == ("optimized" if not extra else "raw")
        hops.append([w.optimized["hops"] for w in result.widths if w.optimized])
    assert hops[0] == hops[1] and len(hops[0]) == 2


def test_export_carries_the_calibration_and_round_trips(
    source: tuple[Path, str], tmp_path: Path
) -> None:
    path, run_id = source
    folder = write_folder(
        tmp_path / "data", stored_circuits(path, run_id), order="big", permute=False
    )
    (folder / "calibration.json").write_text(json.dumps(calibration_counts("big")))
    store = tmp_path / "s.sqlite"
    assert main(["import", str(folder), "--bit-order", "big", "--store", str(store)]) == 0
    first, _ = imported_run(store)
    assert first.run_id is not None
    out = ["--out", str(tmp_path / "a.json"), "--store", str(store)]
    assert main(["export", first.run_id, *out]) == 0
    exported = json.loads((tmp_path / "a.json").read_text())
    assert set(exported["readout_calibration"]) == {"zeros", "ones"}
    second_store = tmp_path / "t.sqlite"
    assert main(["import", str(tmp_path / "a.json"), "--store", str(second_store)]) == 0
    second, _ = imported_run(second_store)
    assert second.run_id is not None
    for a, b in zip(first.widths, second.widths, strict=True):
        assert a.optimized is not None and b.optimized is not None
        assert a.optimized["hops"] == b.optimized["hops"]
    out = ["--out", str(tmp_path / "b.json"), "--store", str(second_store)]
    assert main(["export", second.run_id, *out]) == 0
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()
    # in the other bit order too: the same mitigated run
    little = ["--out", str(tmp_path / "c.json"), "--bit-order", "little", "--store", str(store)]
    assert main(["export", first.run_id, *little]) == 0
    third_store = tmp_path / "u.sqlite"
    assert main(["import", str(tmp_path / "c.json"), "--store", str(third_store)]) == 0
    third, _ = imported_run(third_store)
    assert [w.optimized for w in third.widths] == [w.optimized for w in first.widths]


def _bad(calibration: dict[str, Any], how: str) -> Any:
    if how == "coin toss":
        calibration["zeros"] = {"111": 2000}
    elif how == "unequal shots":
        calibration["ones"] = {"111": 5}
    elif how == "too few qubits":
        calibration = {k: {"00" if k == "zeros" else "11": 10} for k in calibration}
    elif how == "wrong keys":
        calibration = {"zeros": calibration["zeros"], "one": calibration["ones"]}
    elif how == "negative":
        calibration["zeros"]["000"] = -1
    elif how == "mixed lengths":
        calibration["ones"]["1111"] = 1
    return calibration


@pytest.mark.parametrize(
    ("how", "said"),
    [
        ("coin toss", "no better than a coin toss"),
        ("unequal shots", "same, non-zero number of shots"),
        ("too few qubits", "calibrates 2 qubits but circuit"),
        ("wrong keys", "exactly 'zeros' and 'ones'"),
        ("negative", "is negative"),
        ("mixed lengths", "different lengths"),
    ],
)
def test_bad_calibration_stops_in_one_line_with_nothing_stored(
    source: tuple[Path, str], tmp_path: Path, capsys: Any, how: str, said: str
) -> None:
    path, run_id = source
    circuits = [c for c in stored_circuits(path, run_id) if c.width == 3][:2]
    folder = write_folder(tmp_path / "data", circuits, order="little", permute=False)
    calibration = _bad(calibration_counts("little"), how)
    (folder / "calibration.json").write_text(json.dumps(calibration))
    store = tmp_path / "s.sqlite"
    assert main(["import", str(folder), "--store", str(store)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0] and "Traceback" not in err[0]
    if store.exists():
        with sqlite3.connect(store) as conn:
            assert conn.execute("SELECT COUNT(*) FROM runs").fetchone() == (0,)


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--verdict-from", "optimized"], "--verdict-from needs readout calibration"),
        (["--calibration", "missing.json"], "no calibration file at"),
    ],
)
def test_calibration_flags_without_calibration_are_refused(
    source: tuple[Path, str], tmp_path: Path, capsys: Any, extra: list[str], said: str
) -> None:
    path, run_id = source
    circuits = [c for c in stored_circuits(path, run_id) if c.width == 2][:2]
    folder = write_folder(tmp_path / "data", circuits, order="little", permute=False)
    extra = [str(tmp_path / e) if e.endswith(".json") else e for e in extra]
    assert main(["import", str(folder), "--no-store", *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0]


def test_sequential_verdicts_from_the_mitigated_arm_are_refused(
    source: tuple[Path, str], tmp_path: Path, capsys: Any
) -> None:
    path, run_id = source
    circuits = [c for c in stored_circuits(path, run_id) if c.width == 2][:2]
    folder = write_folder(tmp_path / "data", circuits, order="little", permute=False)
    (folder / "calibration.json").write_text(json.dumps(calibration_counts("little")))
    argv = ["import", str(folder), "--no-store", "--method", "sequential"]
    assert main([*argv, "--verdict-from", "optimized"]) == 2
    assert "decides from raw HOPs only" in capsys.readouterr().err
    assert main(argv) == 0  # the raw arm decides; the mitigated one is shown beside it
    assert "opt HOP" in capsys.readouterr().out


def test_store_keeps_the_calibration_counts(source: tuple[Path, str], tmp_path: Path) -> None:
    path, run_id = source
    circuits = [c for c in stored_circuits(path, run_id) if c.width == 2][:2]
    folder = write_folder(tmp_path / "data", circuits, order="little", permute=False)
    calibration = calibration_counts("little")
    (folder / "calibration.json").write_text(json.dumps(calibration))
    store = tmp_path / "s.sqlite"
    assert main(["import", str(folder), "--store", str(store)]) == 0
    result, _ = imported_run(store)
    assert result.run_id is not None
    with ResultsStore(store, readonly=True) as s:
        part = s.parts(result.run_id)["dataset"]["readout_calibration"]
    assert part["bits"] == 2  # the circuits measure qubits 0 and 1: qubit 2 is summed out
    marginal: dict[str, int] = {}
    for key, n in calibration["zeros"].items():
        marginal[key[1:]] = marginal.get(key[1:], 0) + n  # little order: qubit 2 is on the left
    assert {bits(o, 2, "little"): n for o, n in part["zeros"]} == marginal


def test_calibrated_qubits_no_circuit_measures_are_summed_out(
    source: tuple[Path, str], tmp_path: Path
) -> None:
    path, run_id = source
    circuits = [c for c in stored_circuits(path, run_id) if c.width == 3][:3]
    folder = write_folder(tmp_path / "data", circuits, order="big", permute=False)
    calibration = calibration_counts("big")
    hops = []
    for i, extra in enumerate(("", "01" * 40)):  # big order: qubits 3, 4, ... are on the right
        wide = {k: {b + extra: n for b, n in v.items()} for k, v in calibration.items()}
        (folder / "calibration.json").write_text(json.dumps(wide))
        store = tmp_path / f"s{i}.sqlite"
        assert main(["import", str(folder), "--bit-order", "big", "--store", str(store)]) == 0
        result, _ = imported_run(store)
        hops.append([w.optimized["hops"] for w in result.widths if w.optimized])
    assert hops[0] == hops[1]
