"""Reported optimizations: readout-error mitigation and dynamical decoupling, raw kept beside."""

from __future__ import annotations

import json
import warnings
from functools import reduce
from pathlib import Path

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector

from quantumlimits.circuits import measured, qv_circuits
from quantumlimits.cli import main
from quantumlimits.errors import UsageError
from quantumlimits.execution.aer import (
    _simulator,
    ideal_probabilities,
    noise_model_for,
    run_counts,
    run_noisy,
    sub_target,
)
from quantumlimits.execution.backends import load_snapshot
from quantumlimits.execution.layout import best_layout
from quantumlimits.execution.transpile import transpile_circuits
from quantumlimits.qv import stats
from quantumlimits.qv.heavy import heavy_count, heavy_mask
from quantumlimits.qv.optimize import (
    Optimizations,
    ReadoutCalibration,
    calibration_circuits,
    measured_qubits,
    mitigated_hop,
    mitigation_weights,
    schedule,
)
from quantumlimits.qv.protocol import reanalyse, run_qv
from quantumlimits.qv.results import QVResult
from quantumlimits.store import ResultsStore

RESAMPLES = 500


def _calibration(width: int, seed: int) -> ReadoutCalibration:
    rng = np.random.default_rng(seed)
    return ReadoutCalibration(
        qubits=tuple(range(40, 40 + width)),
        p1_given_0=tuple(float(x) for x in rng.uniform(0.0, 0.1, width)),
        p0_given_1=tuple(float(x) for x in rng.uniform(0.0, 0.15, width)),
        shots=10_000,
    )


@pytest.mark.parametrize("permutation", [(0, 1, 2, 3), (2, 0, 3, 1)])
def test_mitigation_weights_equal_the_dense_inverse(permutation: tuple[int, ...]) -> None:
    """v . (⊗A) p == 1_H . p for any distribution p, with clbits permuted by routing."""
    width = len(permutation)
    cal = _calibration(width, seed=1)
    factors = []
    for qubit in permutation:  # clbit i measures local qubit permutation[i]
        e01, e10 = cal.p1_given_0[qubit], cal.p0_given_1[qubit]
        factors.append(np.array([[1 - e01, e10], [e01, 1 - e10]]))
    dense = reduce(np.kron, [factors[i] for i in reversed(range(width))])  # bit 0 last
    rng = np.random.default_rng(2)
    for _ in range(5):
        p = rng.dirichlet(np.ones(2**width))
        mask = rng.random(2**width) < 0.5
        v = mitigation_weights(mask, permutation, cal)
        assert v @ (dense @ p) == pytest.approx(mask @ p, abs=1e-12)
        assert not np.isclose(mask @ (dense @ p), mask @ p)  # the errors matter


def test_calibration_from_counts_and_refusal() -> None:
    # width 2: qubit 0 flips 0->1 in 30 of 1000 shots, qubit 1 flips 1->0 in 50
    zeros = [{0b00: 970, 0b01: 30}]
    ones = [{0b11: 950, 0b01: 50}]
    cal = ReadoutCalibration.from_counts((7, 9), zeros, ones)
    assert cal.p1_given_0 == (0.03, 0.0)
    assert cal.p0_given_1 == (0.0, 0.05)
    assert cal.shots == 1000
    assert ReadoutCalibration.from_dict(cal.to_dict()) == cal
    with pytest.raises(ValueError, match="coin toss"):
        ReadoutCalibration(qubits=(1,), p1_given_0=(0.6,), p0_given_1=(0.5,), shots=10)


def test_calibration_circuits_prepare_all_zeros_then_all_ones() -> None:
    circuits = calibration_circuits(3, repeats=2)
    assert len(circuits) == 4
    results = [Statevector(c.remove_final_measurements(inplace=False)) for c in circuits]
    assert [r.probabilities_dict() for r in results] == [{"000": 1.0}] * 2 + [{"111": 1.0}] * 2
    assert Optimizations(readout=True, readout_shots=10_000).repeats(1000) == 10
    assert Optimizations(readout=True, readout_shots=2_500).repeats(1000) == 3


@pytest.fixture(scope="module")
def torino_width4() -> dict[str, object]:
    backend = load_snapshot("fake_torino")
    target = backend.target
    layout = best_layout(target, 4)
    local = sub_target(target, layout.qubits)
    circuits = qv_circuits(width=4, depth=4, seed=11, count=60)
    probabilities = list(ideal_probabilities(circuits))
    isa = transpile_circuits(
        [measured(c) for c in circuits],
        target=local,
        initial_layout=range(4),
        optimization_level=1,
        seed=5,
    )
    return {
        "target": target,
        "layout": layout,
        "local": local,
        "probabilities": probabilities,
        "isa": isa,
    }


def test_measured_qubits_follow_routing(torino_width4: dict[str, object]) -> None:
    isa = torino_width4["isa"]
    assert isinstance(isa, list)
    maps = [measured_qubits(c) for c in isa]
    assert all(sorted(m) == [0, 1, 2, 3] for m in maps)
    assert any(m != (0, 1, 2, 3) for m in maps)  # routing permuted some: the map is needed


def test_mitigation_removes_the_readout_error_of_the_device_model(
    torino_width4: dict[str, object],
) -> None:
    """On Aer the snapshot's readout errors are local, so mitigated HOPs match a run whose noise
    model has no readout errors, while raw HOPs do not."""
    target, layout, isa = torino_width4["target"], torino_width4["layout"], torino_width4["isa"]
    probabilities = torino_width4["probabilities"]
    assert isinstance(isa, list) and isinstance(probabilities, list)
    qubits = layout.qubits  # type: ignore[attr-defined]
    shots = 2000
    raw = run_noisy(isa, target=target, shots=shots, seed=1, physical_qubits=qubits).counts
    cal_counts = run_noisy(
        calibration_circuits(4, repeats=10), target=target, shots=1000, seed=2,
        physical_qubits=qubits,
    ).counts  # fmt: skip
    calibration = ReadoutCalibration.from_counts(qubits, cal_counts[:10], cal_counts[10:])
    no_readout = _simulator(
        method="density_matrix",
        noise_model=noise_model_for(target, qubits, readout_error=False),  # type: ignore[arg-type]
    )
    clean = run_counts(no_readout, isa, shots=shots, seed=3, what="noisy")
    masks = [heavy_mask(p) for p in probabilities]
    raw_hops = np.array([heavy_count(c, m) / shots for c, m in zip(raw, masks, strict=True)])
    clean_hops = np.array([heavy_count(c, m) / shots for c, m in zip(clean, masks, strict=True)])
    mitigated = np.array(
        [
            mitigated_hop(c, mitigation_weights(m, measured_qubits(circuit), calibration))[0]
            for c, m, circuit in zip(raw, masks, isa, strict=True)
        ]
    )
    # paired over circuits: the difference's spread holds shot noise of both runs
    for other, close in ((mitigated, True), (raw_hops, False)):
        diff = other - clean_hops
        se = diff.std(ddof=1) / np.sqrt(diff.size)
        assert bool(abs(diff.mean()) < 4 * se) is close, (diff.mean(), se)


def test_decoupling_fills_idle_windows_and_keeps_the_ideal_output(
    torino_width4: dict[str, object],
) -> None:
    isa, local = torino_width4["isa"], torino_width4["local"]
    assert isinstance(isa, list)
    plain = schedule(isa[:3], local, decouple=False)
    decoupled = schedule(isa[:3], local, decouple=True)
    for original, delayed, dd in zip(isa[:3], plain, decoupled, strict=True):
        assert "delay" in delayed.count_ops() and "x" not in original.count_ops()
        assert dd.count_ops().get("x", 0) >= 2
        assert measured_qubits(dd) == measured_qubits(original)
        reference = Statevector(original.remove_final_measurements(inplace=False))
        for variant in (delayed, dd):
            state = Statevector(variant.remove_final_measurements(inplace=False))
            assert state.equiv(reference)


def _run(opts: Optimizations | None, store: ResultsStore | None = None) -> QVResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_qv(
            backend="fake_torino",
            widths=[3],
            trials=50,
            shots=500,
            seed=4,
            bootstrap_resamples=RESAMPLES,
            optimizations=opts,
            store=store,
        )


def test_readout_mitigation_run_keeps_the_raw_result(tmp_path: Path) -> None:
    plain = _run(None)
    store = ResultsStore(tmp_path / "s.sqlite")
    mitigated = _run(Optimizations(readout=True, readout_shots=2000), store)
    raw, opt_width = plain.widths[0], mitigated.widths[0]
    # the calibration circuits ride in the same call without disturbing the raw arm's seeds
    assert opt_width.heavy_counts == raw.heavy_counts
    assert opt_width.cross_lower == raw.cross_lower
    assert raw.optimized is None and plain.verdict_from == "raw"
    o = opt_width.optimized
    assert o is not None and o["readout_mitigation"] and o["dynamical_decoupling"] is None
    assert o["readout_calibration"]["shots"] == 2000
    assert o["readout_calibration"]["qubits"] == list(opt_width.physical_qubits or ())
    assert o["mean_hop"] > raw.mean_hop  # readout errors only ever lower the HOP here
    assert o["cross_lower"] == pytest.approx(stats.estimate_cross_lower_bound(o["hops"]))
    assert mitigated.verdict_from == "optimized"
    assert mitigated.settings["optimizations"]["readout_mitigation"] is True
    document = json.loads(mitigated.to_json())
    assert document["verdict_from"] == "optimized"
    assert QVResult.from_json(mitigated.to_json()) == mitigated
    # re-analysis from stored counts keeps the optimized arm and its verdict source
    again = reanalyse(store, str(mitigated.run_id))
    assert again.widths[0].optimized == o and again.verdict_from == "optimized"
    store.close()


def test_decoupled_run_reports_both_arms() -> None:
    result = _run(Optimizations(dynamical_decoupling=True, verdict_from="raw"))
    w = result.widths[0]
    o = w.optimized
    assert o is not None and o["dynamical_decoupling"] == "XX" and not o["readout_mitigation"]
    assert len(o["heavy_counts"]) == w.circuits
    assert o["heavy_counts"] != list(w.heavy_counts)  # different circuits, different counts
    assert o["cross_lower"] == pytest.approx(stats.cross_lower_bound(o["hops"]))
    assert result.verdict_from == "raw"
    assert result.quantum_volume == (8 if w.passed("cross") else 1)


def test_quantum_volume_follows_the_verdict_source() -> None:
    result = _run(Optimizations(readout=True, readout_shots=1000))
    d = result.to_dict()
    width = d["widths"][0]
    # raw fails, optimized passes: the QV is the optimized one's only when it decides
    width.update(passed_cross=False, cross_lower=0.6)
    width["optimized"].update(passed_cross=True, cross_lower=0.7)
    assert QVResult.from_dict({**d, "quantum_volume": 8}).quantum_volume == 8
    with pytest.raises(ValueError, match="disagrees"):
        QVResult.from_dict({**d, "quantum_volume": 8, "verdict_from": "raw"})


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--backend", "aer", "--mitigate-readout"], "noiseless 'aer'"),
        (["--adaptive", "--dynamical-decoupling"], "--adaptive decides from raw"),
        (["--readout-shots", "0", "--mitigate-readout"], "at least 1"),
        (["--verdict-from", "best"], "invalid choice"),
    ],
)
def test_bad_optimization_flags(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(["qv", "--widths", "2", *argv])
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err


def test_usage_error_is_the_error_type() -> None:
    with pytest.raises(UsageError, match="raw or optimized"):
        Optimizations(readout=True, verdict_from="both")


def test_calibration_of_a_layout_on_one_qubit_circuit() -> None:
    qc = QuantumCircuit(2, 2)
    qc.measure([1, 0], [0, 1])
    assert measured_qubits(qc) == (1, 0)
