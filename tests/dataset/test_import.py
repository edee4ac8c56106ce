"""``quantumlimits import`` / ``export`` on data sets built from the package's own runs.

The data sets are written here by a small writer of the test's own (not by ``export``), in both
bit orders and in each layout docs/import.md describes, and every per-circuit HOP is checked
against an independent computation from the raw files (qiskit's Statevector, not qulacs).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from qiskit import QuantumCircuit, qasm2, qasm3
from qiskit.quantum_info import Statevector

from quantumlimits.circuits import qv_circuit, to_standard_gates
from quantumlimits.cli import main
from quantumlimits.dataset.files import read_dataset
from quantumlimits.dataset.importer import ImportOptions, analyse
from quantumlimits.qv.protocol import run_qv
from quantumlimits.qv.results import QVResult
from quantumlimits.store import ResultsStore, StoredCircuit

SEED = 7


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A small simulated run on a device snapshot: its store and run id."""
    path = tmp_path_factory.mktemp("source") / "source.sqlite"
    with pytest.warns(UserWarning), ResultsStore(path) as store:  # 12 circuits: flagged invalid
        result = run_qv(
            backend="fake_jakarta", widths=[2, 3], trials=12, shots=200, seed=SEED, store=store
        )
    assert result.run_id is not None
    yield path, result.run_id


def stored_circuits(path: Path, run_id: str) -> list[StoredCircuit]:
    with ResultsStore(path, readonly=True) as store:
        return store.qv_circuits(run_id)


def bits(value: int, width: int, order: str) -> str:
    text = format(value, f"0{width}b")
    return text if order == "little" else text[::-1]


def write_folder(
    folder: Path,
    circuits: list[StoredCircuit],
    *,
    order: str,
    permute: bool,
    per_shot: bool = False,
) -> Path:
    """One OpenQASM 2 file per circuit, counts in counts/<stem>.json. With ``permute`` each
    circuit measures qubit ``i`` into bit ``(i + 1) % width`` and the counts follow."""
    folder.mkdir(parents=True)
    (folder / "counts").mkdir()
    for c in circuits:
        model = to_standard_gates(qv_circuit(width=c.width, seed=SEED, index=c.index))
        shift = 1 if permute else 0
        measured = QuantumCircuit(c.width, c.width)
        measured.compose(model, inplace=True)
        for q in range(c.width):
            measured.measure(q, (q + shift) % c.width)
        stem = f"qv_w{c.width}_{c.index}"
        (folder / f"{stem}.qasm").write_text(qasm2.dumps(measured))
        counts: dict[str, int] = {}
        shots: list[str] = []
        for outcome, n in zip(c.outcomes, c.counts, strict=True):
            value = sum(
                ((int(outcome) >> q) & 1) << ((q + shift) % c.width) for q in range(c.width)
            )
            counts[bits(value, c.width, order)] = int(n)
            shots += [bits(value, c.width, order)] * int(n)
        payload: Any = shots if per_shot else counts
        (folder / "counts" / f"{stem}.json").write_text(json.dumps(payload))
    return folder


def write_lists(path: Path, circuits: list[StoredCircuit], *, order: str) -> Path:
    """Quantinuum's layout: parallel lists, unmeasured OpenQASM 3 circuits, per-shot results."""
    qasm, results = [], []
    for c in circuits:
        qasm.append(
            qasm3.dumps(to_standard_gates(qv_circuit(width=c.width, seed=SEED, index=c.index)))
        )
        shots = []
        for outcome, n in zip(c.outcomes, c.counts, strict=True):
            shots += [bits(int(outcome), c.width, order)] * int(n)
        results.append(shots)
    path.write_text(json.dumps({"qv_circs_nomeas": qasm, "raw_results": results}))
    return path


def independent_hops(folder: Path, order: str) -> dict[str, float]:
    """HOP of each circuit straight from the files: Statevector, median, count."""
    hops = {}
    for f in sorted(folder.glob("*.qasm")):
        circuit = QuantumCircuit.from_qasm_str(f.read_text())
        probabilities = Statevector(
            circuit.remove_final_measurements(inplace=False)
        ).probabilities()
        # bit i of an outcome is the clbit measuring qubit q: permute amplitudes' indices
        mapping = {
            circuit.find_bit(i.clbits[0]).index: circuit.find_bit(i.qubits[0]).index
            for i in circuit.data
            if i.operation.name == "measure"
        }
        n = circuit.num_qubits
        by_outcome = np.zeros(1 << n)
        for index, p in enumerate(probabilities):
            outcome = sum(((index >> mapping[b]) & 1) << b for b in range(n))
            by_outcome[outcome] += p
        heavy = by_outcome > np.median(by_outcome)
        counts = json.loads((folder / "counts" / f"{f.stem}.json").read_text())
        total = sum(counts.values())
        read = (lambda k: int(k, 2)) if order == "little" else (lambda k: int(k[::-1], 2))
        hops[f.stem] = sum(v for k, v in counts.items() if heavy[read(k)]) / total
    return hops


def imported_run(store_path: Path) -> tuple[QVResult, list[StoredCircuit]]:
    with ResultsStore(store_path, readonly=True) as store:
        (row,) = [r for r in store.runs() if r.backend and r.backend.startswith("imported:")][:1]
        return QVResult.from_dict(store.document(row.run_id)), store.qv_circuits(row.run_id)


@pytest.mark.parametrize(("order", "permute"), [("little", True), ("big", False)])
def test_folder_import_matches_the_run_and_an_independent_computation(
    source: tuple[Path, str], tmp_path: Path, order: str, permute: bool, capsys: Any
) -> None:
    path, run_id = source
    original = stored_circuits(path, run_id)
    folder = write_folder(tmp_path / "data", original, order=order, permute=permute)
    store = tmp_path / "s.sqlite"
    argv = ["import", str(folder), "--counts", str(folder / "counts"), "--name", "jakarta"]
    assert main([*argv, "--bit-order", order, "--store", str(store)]) == 0
    assert "warning" not in capsys.readouterr().err
    result, circuits = imported_run(store)
    assert result.backend == "imported:jakarta"
    hops = independent_hops(folder, order)
    by_cell = {(c.width, c.index): c for c in original}
    for c in circuits:
        source_circuit = by_cell[(c.width, c.index)]
        assert c.heavy_count == source_circuit.heavy_count
        assert c.shots == source_circuit.shots
        assert abs(c.ideal_hop - source_circuit.ideal_hop) < 1e-12
        assert abs(c.heavy_count / c.shots - hops[f"qv_w{c.width}_{c.index}"]) < 1e-12
    with ResultsStore(path, readonly=True) as s:
        simulated = QVResult.from_dict(s.document(run_id))
    for mine, theirs in zip(result.widths, simulated.widths, strict=True):
        assert mine.hops == theirs.hops
        assert mine.cross_lower == theirs.cross_lower


def test_per_shot_lists_in_both_orders_agree(source: tuple[Path, str], tmp_path: Path) -> None:
    path, run_id = source
    original = stored_circuits(path, run_id)
    means = {}
    for order in ("little", "big"):
        data = write_lists(tmp_path / f"{order}.json", original, order=order)
        analysed = analyse(read_dataset(data), ImportOptions(name="q", bit_order=order))
        means[order] = [w.mean_hop for w in analysed.result.widths]
        assert not analysed.bit_order.suspicious
    assert means["little"] == means["big"]


def test_wrong_bit_order_is_said_in_one_line(
    source: tuple[Path, str], tmp_path: Path, capsys: Any
) -> None:
    path, run_id = source
    data = write_lists(tmp_path / "big.json", stored_circuits(path, run_id), order="big")
    assert main(["import", str(data), "--no-store"]) == 0  # declared little by default
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "--bit-order big" in warnings[0]


def test_shipped_heavy_outputs_are_checked(
    source: tuple[Path, str], tmp_path: Path, capsys: Any
) -> None:
    path, run_id = source
    original = stored_circuits(path, run_id)[:3]
    data = write_lists(tmp_path / "d.json", original, order="little")
    document = json.loads(data.read_text())
    from quantumlimits.qv.heavy import unpack_mask

    heavy = []
    for c in original:
        mask = unpack_mask(c.heavy_mask, c.width)
        heavy.append([bits(int(i), c.width, "little") for i in np.flatnonzero(mask)])
    heavy[1] = heavy[1][1:]  # one heavy output left out
    document["heavy_outputs"] = heavy
    data.write_text(json.dumps(document))
    assert main(["import", str(data), "--store", str(tmp_path / "s.sqlite")]) == 0
    err = capsys.readouterr().err
    assert "2 agree with the computed heavy sets, 1 disagree" in err
    assert "circuit 0001: 0 shipped heavy outputs are not heavy, 1 heavy outputs are not" in err


def test_export_then_import_round_trips_exactly(source: tuple[Path, str], tmp_path: Path) -> None:
    path, run_id = source
    folder = write_folder(
        tmp_path / "data", stored_circuits(path, run_id), order="big", permute=True, per_shot=True
    )
    store = tmp_path / "s.sqlite"
    common = ["--store", str(store)]
    assert main(["import", str(folder), "--bit-order", "big", "--source", "test", *common]) == 0
    first, first_circuits = imported_run(store)
    assert first.run_id is not None
    before = hashlib.sha256(store.read_bytes()).hexdigest()
    assert main(["export", first.run_id, "--out", str(tmp_path / "a.json"), *common]) == 0
    assert hashlib.sha256(store.read_bytes()).hexdigest() == before  # export only reads
    second_store = tmp_path / "t.sqlite"
    assert main(["import", str(tmp_path / "a.json"), "--store", str(second_store)]) == 0
    second, second_circuits = imported_run(second_store)
    assert second.run_id is not None
    assert second.backend == first.backend == "imported:data"
    assert second.settings["imported"] == first.settings["imported"]
    for a, b in zip(first_circuits, second_circuits, strict=True):
        assert (a.width, a.index, a.shots, a.heavy_count, a.ideal_hop, a.heavy_mask) == (
            b.width,
            b.index,
            b.shots,
            b.heavy_count,
            b.ideal_hop,
            b.heavy_mask,
        )
        assert a.outcomes.tolist() == b.outcomes.tolist()
        assert a.counts.tolist() == b.counts.tolist()
    out = ["--out", str(tmp_path / "b.json"), "--store", str(second_store)]
    assert main(["export", second.run_id, *out]) == 0
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()


def test_an_imported_run_is_reanalysed_like_any_other(
    source: tuple[Path, str], tmp_path: Path, capsys: Any
) -> None:
    path, run_id = source
    data = write_lists(tmp_path / "d.json", stored_circuits(path, run_id), order="little")
    store = tmp_path / "s.sqlite"
    assert main(["import", str(data), "--store", str(store)]) == 0
    result, _ = imported_run(store)
    assert result.run_id is not None
    for method in ("bootstrap", "sequential"):
        capsys.readouterr()
        argv = ["show", result.run_id, "--reanalyse", "--method", method, "--store", str(store)]
        if method == "sequential":
            argv = ["show", result.run_id, "--store", str(store)]
        assert main(argv) == 0
        assert "imported:d" in capsys.readouterr().out
    assert all(w.sequential is not None for w in result.widths)
    assert main(["history", "--store", str(store)]) == 0
    html = tmp_path / "r.html"
    assert main(["report", "--store", str(store), "--out", str(html)]) == 0
    assert "imported:d" in html.read_text()


# -- bad data: one line, exit 2, nothing stored -------------------------------------------------


def _damage(folder: Path, how: str) -> None:
    counts = folder / "counts"
    first = sorted(counts.iterdir())[0]
    data = json.loads(first.read_text())
    key = next(iter(data))
    if how == "orphan counts":
        (counts / "nothing_here.json").write_text(json.dumps({"01": 3}))
    elif how == "wrong length":
        data[key + "0"] = data.pop(key)
    elif how == "negative":
        data[key] = -1
    elif how == "non-integer":
        data[key] = 1.5
    elif how == "zero shots":
        data = dict.fromkeys(data, 0)
    elif how == "unparsable circuit":
        qasm = sorted(folder.glob("*.qasm"))[0]
        qasm.write_text(qasm.read_text().replace("cx", "cxx", 1))
    elif how == "not counts":
        first.write_text("{not json, nor python")
        return
    first.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("how", "said"),
    [
        ("orphan counts", "has no circuit"),
        ("wrong length", "has 2 measured bits but outcome"),
        ("negative", "is negative"),
        ("non-integer", "not a whole number"),
        ("zero shots", "zero shots"),
        ("unparsable circuit", "is not OpenQASM 2 or 3"),
        ("not counts", "neither JSON nor a Python literal"),
    ],
)
def test_bad_data_stops_in_one_line_with_nothing_stored(
    source: tuple[Path, str], tmp_path: Path, capsys: Any, how: str, said: str
) -> None:
    path, run_id = source
    circuits = [c for c in stored_circuits(path, run_id) if c.width == 2][:3]
    folder = write_folder(tmp_path / "data", circuits, order="little", permute=False)
    _damage(folder, how)
    store = tmp_path / "s.sqlite"
    argv = ["import", str(folder), "--counts", str(folder / "counts"), "--store", str(store)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0] and "Traceback" not in err[0]
    if store.exists():
        with sqlite3.connect(store) as conn:
            assert conn.execute("SELECT COUNT(*) FROM runs").fetchone() == (0,)


def test_python_literal_counts_are_read_without_running_them(
    source: tuple[Path, str], tmp_path: Path
) -> None:
    path, run_id = source
    circuits = [c for c in stored_circuits(path, run_id) if c.width == 2][:2]
    folder = write_folder(tmp_path / "data", circuits, order="little", permute=False)
    literal = {}
    for f in sorted((folder / "counts").iterdir()):
        literal[f.stem] = json.loads(f.read_text())
        f.unlink()
    (folder / "counts.txt").write_text(repr(literal))
    assert main(["import", str(folder), "--counts", str(folder / "counts.txt"), "--no-store"]) == 0
    (folder / "evil.txt").write_text("__import__('os').system('false')")
    argv = ["import", str(folder), "--counts", str(folder / "evil.txt"), "--no-store"]
    assert main(argv) == 2


def test_simulate_pairs_every_circuit_and_is_stored(
    source: tuple[Path, str], tmp_path: Path, capsys: Any
) -> None:
    path, run_id = source
    data = write_lists(tmp_path / "d.json", stored_circuits(path, run_id), order="little")
    store = tmp_path / "s.sqlite"
    argv = ["import", str(data), "--simulate", "fake_jakarta", "--store", str(store)]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 0
    assert "24 circuits paired" in capsys.readouterr().out
    document = json.loads((tmp_path / "out" / "simulate.json").read_text())
    assert [w["width"] for w in document["widths"]] == [2, 3]
    assert len(document["circuits"]) == 24
    assert all(0 <= c["simulated_hop"] <= 1 for c in document["circuits"])
    # the same circuits on the device they came from: the per-circuit HOPs go together
    assert document["correlation"] > 0.3
    result, _ = imported_run(store)
    assert result.run_id is not None
    with ResultsStore(store, readonly=True) as s:
        assert s.parts(result.run_id)["simulate:fake_jakarta"] == document
    assert (tmp_path / "out" / "simulate.png").stat().st_size > 0


def test_simulate_on_a_noiseless_backend_is_refused_before_anything_is_stored(
    source: tuple[Path, str], tmp_path: Path, capsys: Any
) -> None:
    path, run_id = source
    data = write_lists(tmp_path / "d.json", stored_circuits(path, run_id)[:2], order="little")
    store = tmp_path / "s.sqlite"
    assert main(["import", str(data), "--simulate", "aer", "--store", str(store)]) == 2
    assert "noiseless" in capsys.readouterr().err
    assert not store.exists()


def test_quantinuum_hqslib_gates_are_read(tmp_path: Path) -> None:
    """Quantinuum's published OpenQASM 2 uses hqslib1 gates without shipping the include file."""
    qasm = (
        'OPENQASM 2.0;\ninclude "qelib1.inc";\ninclude "hqslib1_dev.inc";\n'
        "qreg q[2];\ncreg c[2];\nU1q(pi/2, 0) q[0];\nZZ q[0], q[1];\nRZZ(0.3) q[0], q[1];\n"
        "Rz(0.2) q[1];\nmeasure q -> c;\n"
    )
    data = tmp_path / "h.json"
    data.write_text(json.dumps({"qv_circs": [qasm], "raw_results": [["00", "11", "01"]]}))
    analysed = analyse(read_dataset(data), ImportOptions(name="h"))
    (circuit,) = analysed.circuits
    expected = QuantumCircuit(2)
    expected.r(np.pi / 2, 0, 0)
    expected.rzz(np.pi / 2, 0, 1)
    expected.rzz(0.3, 0, 1)
    expected.rz(0.2, 1)
    p = Statevector(expected).probabilities()
    assert circuit.ideal_hop == pytest.approx(float(p[p > np.median(p)].sum()), abs=1e-12)
    assert circuit.shots == 3


def test_an_imported_run_is_not_resumed(tmp_path: Path, capsys: Any) -> None:
    store = tmp_path / "s.sqlite"
    with (
        ResultsStore(store) as s,
        pytest.raises(RuntimeError),
        s.recording(
            kind="qv",
            backend="imported:x",
            seed=0,
            inputs={"imported": {"name": "x"}},
            created="2026-01-01T00:00:00",
        ),
    ):
        raise RuntimeError("stopped")
    assert main(["resume", "qv-", "--store", str(store)]) == 2
    assert "import' on the data set again" in capsys.readouterr().err


def test_simulate_runs_on_a_device_spec(source: tuple[Path, str], tmp_path: Path) -> None:
    from quantumlimits.dataset.simulate import simulate

    path, run_id = source
    circuits = [c for c in stored_circuits(path, run_id) if c.width == 2][:4]
    data = write_lists(tmp_path / "d.json", circuits, order="little")
    analysed = analyse(read_dataset(data), ImportOptions(name="q"))
    comparison = simulate(analysed.circuits, backend="quantinuum_h1_1@2023-07-17", seed=1)
    assert [w.circuits for w in comparison.widths] == [4]
    # a trapped-ion model of 2023 (0.15 % two-qubit error) stays near the ideal HOP
    width = comparison.widths[0]
    assert abs(width.simulated_hop - width.ideal_hop) < 0.05, width
