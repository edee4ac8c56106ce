"""Verdicts, checks and resume off the happy path: what a user cannot see coming."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from quantumlimits.errors import UsageError
from quantumlimits.qv import analysis, protocol
from quantumlimits.qv.protocol import QVWarning, _auto_scan, run_qv
from quantumlimits.qv.results import QVResult, WidthResult
from quantumlimits.store import ResultsStore


def _width(width: int, hops: list[float], shots: int = 1000) -> WidthResult:
    stats = analysis.analyse_width(
        width=width,
        depth=width,
        heavy_counts=[round(h * shots) for h in hops],
        shots=[shots] * len(hops),
        seed=1,
        bootstrap_resamples=200,
    )
    n = len(hops)
    return WidthResult(
        width=width,
        depth=width,
        circuits=n,
        shots=shots,
        heavy_counts=tuple(round(h * shots) for h in hops),
        ideal_hops=(0.85,) * n,
        two_qubit_gates=(0,) * n,
        depths=(0,) * n,
        physical_qubits=None,
        simulated_qubits=None,
        layout_score=None,
        method="test",
        **stats,
    )


def _result(*widths: WidthResult) -> QVResult:
    passing = [w.width for w in widths if w.passed_cross]
    return QVResult(
        quantum_volume=2 ** max(passing) if passing else 1,
        decided_by="cross",
        valid=True,
        backend="test",
        calibration_date=None,
        seed=1,
        settings={},
        widths=widths,
        versions={},
        provenance={},
        timings={},
    )


def test_a_width_is_passed_failed_or_undecided() -> None:
    passing = _width(3, [0.80] * 100)
    failing = _width(3, [0.55] * 100)
    open_ = _width(2, [0.717] * 100)
    assert [analysis.decision(w, "cross") for w in (passing, failing, open_)] == [
        "pass",
        "fail",
        "undecided",
    ]
    (u,) = analysis.undecided(_result(open_))
    # the Cross test needs several hundred circuits at HOP 0.717 (it passes 100 at 0.753)
    assert u.circuits_needed is not None and 300 < u.circuits_needed < 500
    assert "needs about" in u.describe() and "0.717" in u.describe()


def test_no_qv_is_claimed_that_nobody_measured() -> None:
    assert analysis.verdict_line(_result(_width(2, [0.717] * 100))) == "QV undecided"
    two_passed = _result(_width(2, [0.80] * 100), _width(3, [0.72] * 100))
    assert analysis.verdict_line(two_passed).startswith("QV >= 4")
    decided = _result(_width(2, [0.80] * 100), _width(3, [0.55] * 100))
    assert analysis.verdict_line(decided) == "QV = 4 (log2 2)"
    assert decided.to_dict()["verdict"] == {"text": "QV = 4 (log2 2)", "undecided": []}
    assert QVResult.from_dict(two_passed.to_dict()) == two_passed


def test_the_auto_scan_never_stops_below_a_width_predicted_to_pass() -> None:
    ran: list[int] = []

    def passes(width: int) -> bool:
        ran.append(width)
        return width in (3, 5)

    # width 2 fails, but the calibration says 5 may pass: the scan goes on to it, then past it
    assert _auto_scan(passes, start=2, limit=8, predicted=5) == [2, 3, 4, 5, 6] == ran
    # nothing passes from the start up: it walks down until a width does
    assert _auto_scan(lambda w: w == 2, start=4, limit=6, predicted=4) == [4, 3, 2]
    assert _auto_scan(lambda w: False, start=3, limit=3, predicted=None) == [3, 2]


def test_qubits_the_device_lacks_are_refused_before_anything_is_recorded(
    store_path: Path,
) -> None:
    with ResultsStore(store_path) as store:
        for qubits, message in (
            ([0, 1, 999], "do not exist on fake_torino"),
            ([5], "at least 2"),
            ([0, 40], "not connected"),
        ):
            with pytest.raises(UsageError, match=message):
                run_qv(backend="fake_torino", qubits=qubits, trials=10, store=store)
        with pytest.raises(UsageError, match="need more"):
            run_qv(backend="fake_torino", widths=[2, 3], qubits=[0, 1], store=store)
        assert store.runs() == []


def test_a_degenerate_calibration_is_said() -> None:
    with pytest.warns(QVWarning, match="degenerate: 144 of its 144 couplers"):
        protocol.prepare(protocol.QVSettings(backend="fake_kyoto", widths=[2], trials=100))


def test_layouts_are_chosen_by_predicted_hop_and_the_runner_up_is_recorded() -> None:
    settings = protocol.QVSettings(backend="fake_torino", widths=[4], seed=3)
    choice = protocol.choose_layout(protocol.load_device("fake_torino"), 4, settings)
    assert choice is not None and choice.runner_up is not None
    assert choice.predicted_hop is not None and choice.runner_up_hop is not None
    assert choice.predicted_hop >= choice.runner_up_hop
    assert set(choice.runner_up.qubits) != set(choice.layout.qubits)
    recorded = choice.to_dict()
    assert recorded is not None and recorded["candidates"] == protocol.LAYOUT_CANDIDATES


class _Interrupt(protocol.Progress):
    def __init__(self, width: int) -> None:
        self.width = width

    def width_started(self, width: int, circuits: int) -> None:
        if width == self.width:
            raise KeyboardInterrupt


def _comparable(result: QVResult) -> list[dict[str, object]]:
    widths = json.loads(result.to_json())["widths"]
    for w in widths:
        w.pop("timings")
    return widths


def test_a_killed_run_resumes_without_simulating_a_finished_width(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kwargs = dict(backend="fake_torino", widths="2-3", trials=12, shots=100, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QVWarning)
        whole = run_qv(**kwargs)  # type: ignore[arg-type]
        with ResultsStore(store_path) as store:
            with pytest.raises(KeyboardInterrupt):
                run_qv(**kwargs, store=store, progress=_Interrupt(3))  # type: ignore[arg-type]
            (row,) = store.runs()
            assert row.status == "failed" and set(store.parts(row.run_id)) == {"w2"}
    simulated: list[int] = []
    real = protocol.run_width

    def counting(**kw):  # type: ignore[no-untyped-def]
        simulated.append(kw["width"])
        return real(**kw)

    monkeypatch.setattr(protocol, "run_width", counting)
    with ResultsStore(store_path) as store:
        resumed = protocol.resume(store, row.run_id)
        assert store.row(row.run_id).status == "complete"
    assert simulated == [3]  # width 2 came from the store
    assert resumed.run_id == row.run_id and _comparable(resumed) == _comparable(whole)


def test_an_interrupted_auto_scan_resumes_from_its_recorded_start(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QVWarning)
        with ResultsStore(store_path) as store:
            with pytest.raises(KeyboardInterrupt):
                run_qv(
                    backend="fake_torino",
                    trials=100,
                    shots=50,
                    seed=2,
                    store=store,
                    progress=_Interrupt(5),
                )
            (row,) = store.runs()
            start = store.parts(row.run_id)["scan"]["auto_start"]
    assert start == 4  # one below the QV 2^5 the calibration predicts
    monkeypatch.setattr(protocol, "predict_scan", lambda **kw: pytest.fail("predicted again"))
    with ResultsStore(store_path) as store:
        resumed = protocol.resume(store, row.run_id)
    assert resumed.widths[0].width == start and resumed.settings["auto_start"] == start


def test_reanalysis_of_a_volumetric_run_keeps_each_depth_apart(store_path: Path) -> None:
    with ResultsStore(store_path) as store, warnings.catch_warnings():
        warnings.simplefilter("ignore", QVWarning)
        result = run_qv(
            backend="aer", widths=[2, 3], depths=[1, 3], trials=8, shots=64, seed=3, store=store
        )
        again = protocol.reanalyse(store, str(result.run_id))
    assert [(w.width, w.depth) for w in again.widths] == [(2, 1), (2, 3), (3, 1), (3, 3)]
    assert [w.hops for w in again.widths] == [w.hops for w in result.widths]
    assert again == result
