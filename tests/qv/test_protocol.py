from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from quantumlimits.errors import UsageError
from quantumlimits.qv.heavy import unpack_mask
from quantumlimits.qv.protocol import QVWarning, parse_widths, reanalyse, run_qv
from quantumlimits.qv.results import QVResult
from quantumlimits.store import ResultsStore

# Ideal mean HOP by width (Baldwin et al. 2022, qvtsim).
IDEAL_MEAN_HOP = {2: 0.7927, 3: 0.8486, 4: 0.8398, 5: 0.8565, 6: 0.8514}


@pytest.fixture(scope="module")
def noiseless() -> QVResult:
    return run_qv(backend="aer", widths="2-6", trials=200, shots=1000, seed=12)


def test_noiseless_mean_hop_matches_the_ideal_values(noiseless: QVResult) -> None:
    for w in noiseless.widths:
        hops = np.asarray(w.hops)
        se = hops.std(ddof=1) / math.sqrt(hops.size)
        assert abs(w.mean_hop - IDEAL_MEAN_HOP[w.width]) < 4 * se, (w.width, w.mean_hop, se)
        # sampled HOPs scatter around each circuit's ideal HOP with shot noise only
        resid = hops - np.asarray(w.ideal_hops)
        assert abs(resid.mean()) < 4 * math.sqrt(0.25 / w.shots / hops.size)


def test_noiseless_passes_every_width(noiseless: QVResult) -> None:
    assert all(w.passed_cross and w.passed_bootstrap and w.valid for w in noiseless.widths)
    assert noiseless.quantum_volume == 64 and noiseless.valid


def test_result_round_trips_exactly(noiseless: QVResult) -> None:
    assert QVResult.from_json(noiseless.to_json()) == noiseless


def _comparable(result: QVResult) -> dict[str, object]:
    doc = json.loads(result.to_json())
    for key in ("timings", "provenance", "run_id"):
        doc.pop(key)
    for w in doc["widths"]:
        w.pop("timings")
    return doc


def test_same_seed_same_numbers_on_a_device() -> None:
    kwargs = dict(backend="fake_torino", widths="2-3", trials=12, shots=300, seed=5)
    with pytest.warns(QVWarning):
        a = run_qv(**kwargs)  # type: ignore[arg-type]
    with pytest.warns(QVWarning):
        b = run_qv(**kwargs)  # type: ignore[arg-type]
    with pytest.warns(QVWarning):
        c = run_qv(**{**kwargs, "seed": 6})  # type: ignore[arg-type]
    assert _comparable(a) == _comparable(b)
    assert a.widths[0].heavy_counts != c.widths[0].heavy_counts
    assert a.backend == "fake_torino" and a.calibration_date.startswith("2025-02-26")
    assert not a.valid and a.widths[0].physical_qubits is not None
    assert set(a.widths[0].timings) == {"build", "ideal", "transpile", "execute", "analyse"}


def test_auto_scan_stops_after_the_first_failing_width() -> None:
    with pytest.warns(QVWarning):
        result = run_qv(
            backend="fake_johannesburg",
            widths="auto",
            trials=20,
            shots=200,
            seed=1,
            method="bootstrap",
        )
    passed = [w.passed_bootstrap for w in result.widths]
    start = result.settings["auto_start"]
    assert len(passed) >= 2, "the scan should pass at least one width on this device"
    assert passed[-1] is False and all(passed[:-1])
    assert result.quantum_volume == 2 ** result.widths[-2].width
    assert [w.width for w in result.widths] == list(range(start, start + len(passed)))


def test_store_keeps_counts_for_reanalysis(store_path: Path) -> None:
    with ResultsStore(store_path) as store, pytest.warns(QVWarning):
        result = run_qv(backend="aer", widths=[3], trials=15, shots=100, seed=2, store=store)
        assert result.run_id is not None
        (row,) = store.runs()
        assert row.status == "complete" and row.summary.startswith("QV ")
        stored = store.qv_circuits(result.run_id)
        assert [c.heavy_count for c in stored] == list(result.widths[0].heavy_counts)
        mask = unpack_mask(stored[0].heavy_mask, 3)
        assert mask.sum() == 4
        again = reanalyse(store, result.run_id)
        assert again == result
        boot = reanalyse(store, result.run_id, method="bootstrap", bootstrap_resamples=500)
        assert boot.decided_by == "bootstrap" and boot.widths[0].hops == result.widths[0].hops
        assert boot.widths[0].bootstrap_lower != result.widths[0].bootstrap_lower


def test_interrupted_run_is_marked_and_keeps_completed_widths(store_path: Path) -> None:
    from quantumlimits.qv.protocol import Progress

    class Stop(Progress):
        def width_started(self, width: int, circuits: int) -> None:
            if width == 3:
                raise KeyboardInterrupt

    with ResultsStore(store_path) as store, pytest.warns(QVWarning):
        with pytest.raises(KeyboardInterrupt):
            run_qv(
                backend="aer",
                widths="2-3",
                trials=5,
                shots=50,
                seed=2,
                store=store,
                progress=Stop(),
            )
        (row,) = store.runs()
        assert row.status == "failed"
        assert {c.width for c in store.qv_circuits(row.run_id)} == {2}


@pytest.mark.filterwarnings("ignore::quantumlimits.qv.protocol.QVWarning")
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"widths": "1-3"}, "below 2"),
        ({"widths": "abc"}, "not understood"),
        ({"widths": "5-3"}, "empty"),
        ({"trials": 0}, "--trials"),
        ({"shots": 0}, "--shots"),
        ({"backend": "fake_torinoo"}, "did you mean"),
        ({"backend": "fake_lima", "widths": "2-7"}, "wider than"),
        ({"widths": "40"}, "GiB"),
        ({"method": "bayes"}, "--method"),
        ({"backend": "aer", "qubits": [1, 2]}, "--qubits"),
        ({"qubits": [1], "widths": "2"}, "at least 2"),
        ({"qubits": [1, 2], "widths": "3"}, "need more"),
    ],
)
def test_bad_input_is_a_usage_error(kwargs: dict[str, object], message: str) -> None:
    args = {"backend": "fake_torino", "widths": "2", "trials": 5, "shots": 10, **kwargs}
    with pytest.raises(UsageError, match=message):
        run_qv(**args)  # type: ignore[arg-type]


def test_parse_widths() -> None:
    assert parse_widths(" 2-4 ").widths == (2, 3, 4)
    assert parse_widths("6,2,6").widths == (2, 6)
    assert parse_widths("AUTO").auto


def test_results_do_not_depend_on_how_tasks_are_mapped() -> None:
    """A mapper that runs tasks in reverse (as a cluster might) gives identical numbers."""
    from quantumlimits.qv.protocol import Executor

    def reverse_map(func, items):  # type: ignore[no-untyped-def]
        done = {i: func(item) for i, item in reversed(list(enumerate(items)))}
        return [done[i] for i in range(len(items))]

    kwargs = dict(backend="fake_torino", widths=[3], trials=30, shots=200, seed=8)
    with pytest.warns(QVWarning):
        plain = run_qv(**kwargs)  # type: ignore[arg-type]
    with pytest.warns(QVWarning):
        mapped = run_qv(
            **kwargs,  # type: ignore[arg-type]
            mapper=reverse_map,
            executor=Executor("fake_torino", reverse_map),
        )
    assert _comparable(plain) == _comparable(mapped)


def test_memory_guard_refuses_before_any_work(store_path: Path) -> None:
    from quantumlimits.qv.protocol import TaskMemory, check_memory, statevector_bytes

    assert statevector_bytes(26, precision="single") < statevector_bytes(26)
    machine = TaskMemory(24 * 2**30, "on a 24 GB machine")
    check_memory(26, memory=machine)  # the goal: width 26 fits 24 GB in double precision
    with pytest.raises(UsageError, match="--precision single"):
        check_memory(31, memory=machine)
    with ResultsStore(store_path) as store:
        with pytest.raises(UsageError, match="GiB"):
            run_qv(backend="aer", widths="40", trials=100, store=store)
        assert store.runs() == []


@pytest.mark.filterwarnings("ignore::quantumlimits.qv.protocol.QVWarning")
def test_single_precision_finds_the_same_heavy_sets() -> None:
    double = run_qv(backend="aer", widths=[6], trials=10, shots=100, seed=4)
    single = run_qv(backend="aer", widths=[6], trials=10, shots=100, seed=4, precision="single")
    assert single.settings["precision"] == "single"
    np.testing.assert_allclose(single.widths[0].ideal_hops, double.widths[0].ideal_hops, atol=1e-5)
    assert single.widths[0].heavy_counts == double.widths[0].heavy_counts


@pytest.mark.filterwarnings("ignore:5 circuits per width")
def test_gpu_falls_back_with_a_warning() -> None:
    from quantumlimits.execution.aer import available_devices

    if "gpu" in available_devices():
        pytest.skip("a GPU is present: nothing to fall back from")
    with pytest.warns(QVWarning, match="running on the CPU"):
        result = run_qv(backend="aer", widths=[2], trials=5, shots=10, device="gpu")
    assert result.settings["device"] == "cpu"


def test_adaptive_stops_at_the_first_decisive_look_with_the_same_circuits() -> None:
    fixed = run_qv(backend="aer", widths=[3], trials=100, shots=200, seed=21)
    adaptive = run_qv(backend="aer", widths=[3], trials=300, shots=200, seed=21, adaptive=True)
    (w,) = adaptive.widths
    assert w.sequential is not None and w.sequential["decision"] == "pass"
    assert w.circuits == 100 < 300  # a noiseless device is decided at the first look
    assert w.heavy_counts == fixed.widths[0].heavy_counts  # same seeds per circuit
    assert adaptive.decided_by == "sequential" and adaptive.quantum_volume == 8
    assert QVResult.from_json(adaptive.to_json()) == adaptive


def test_adaptive_needs_a_cap_of_at_least_100() -> None:
    with pytest.raises(UsageError, match="--trials cap"):
        run_qv(backend="aer", widths=[3], trials=50, adaptive=True)


@pytest.mark.filterwarnings("ignore::quantumlimits.qv.protocol.QVWarning")
def test_calibration_prediction_is_reported_beside_the_measurement() -> None:
    result = run_qv(backend="fake_torino", widths=[3], trials=40, shots=500, seed=2)
    (w,) = result.widths
    assert w.predicted_hop is not None
    # the depolarizing model tracks Aer's device noise to about 0.02 at these widths
    # (docs/predict.md); 0.06 leaves room for 40 circuits' sampling spread
    assert abs(w.predicted_hop - w.mean_hop) < 0.06
    assert run_qv(backend="aer", widths=[2], trials=5, shots=10).widths[0].predicted_hop is None


@pytest.mark.filterwarnings("ignore::quantumlimits.qv.protocol.QVWarning")
def test_auto_scan_starts_near_the_prediction_and_walks_down_when_it_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from quantumlimits.qv import protocol

    # pretend the calibration promised QV 2^7 on a device predicted at 2^3: the scan starts at
    # width 6 and runs at least up to the promised 7 (it never stops below a width predicted to
    # pass); when nothing from 6 up passes, it walks down from 5 to a width that passes
    monkeypatch.setattr(protocol, "predicted_log2_qv", lambda rows: 7)
    result = run_qv(
        backend="fake_sherbrooke", widths="auto", trials=20, shots=200, seed=3, method="bootstrap"
    )
    widths = [w.width for w in result.widths]
    passed = {w.width: w.passed_bootstrap for w in result.widths}
    assert result.settings["auto_start"] == 6 == widths[0]
    turn = next((i for i in range(1, len(widths)) if widths[i] < widths[i - 1]), len(widths))
    up, down = widths[:turn], widths[turn:]
    assert up == list(range(6, 6 + len(up))) and len(up) >= 2
    assert not passed[up[-1]] and all(passed[w] for w in up[1:-1])
    if any(passed[w] for w in up):
        assert down == []
    else:
        assert down == list(range(5, down[-1] - 1, -1))
        assert not any(passed[w] for w in down[:-1]) and (passed[down[-1]] or down[-1] == 2)
    passing = [w for w in widths if passed[w]]
    assert result.quantum_volume == 2 ** max(passing, default=0)


def test_predict_scan_stops_after_the_first_predicted_failure() -> None:
    from quantumlimits.qv.protocol import predict_scan, predicted_log2_qv

    rows = predict_scan(backend="fake_torino", samples=5)
    assert [r.width for r in rows] == list(range(2, 2 + len(rows)))
    assert not rows[-1].predicted_pass and all(r.predicted_pass for r in rows[:-1])
    assert predicted_log2_qv(rows) == rows[-2].width
    with pytest.raises(UsageError, match="snapshot"):
        predict_scan(backend="aer")
