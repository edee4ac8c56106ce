"""The report's opening summary: sentences computed from stored documents (pure functions), and
the page that puts them first, aggregates classifier rows and folds raw documents away."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from quantumlimits import report
from quantumlimits.classify.results import ClassifyResult, Curve, ModelResult, SeedRun
from quantumlimits.qv.results import QVResult, WidthResult
from quantumlimits.report_summary import (
    DeviceAnswer,
    Stored,
    dataset_answers,
    device_answers,
    model_rows,
    summarise,
)
from quantumlimits.store import ResultsStore

PRICE = 1.6


def _run(seed: int, seconds: list[float], accuracy: list[float], qpu: list[float]) -> SeedRun:
    n = len(seconds)
    curve = Curve(
        steps=tuple(range(1, n + 1)),
        train_seconds=tuple(seconds),
        accuracy=tuple(accuracy),
        executions=tuple(10 * (i + 1) for i in range(n)),
        shots=tuple(1000 * (i + 1) for i in range(n)),
        qpu_seconds=tuple(qpu),
    )
    return SeedRun(seed=seed, curve=curve, eval_seconds=0.01)


def _model(name: str, family: str, runs: list[SeedRun]) -> ModelResult:
    return ModelResult(
        name=name, family=family, description=name, hyperparameters={}, n_params=1, runs=tuple(runs)
    )


def _classify(dataset: str, models: list[ModelResult], *, device: str | None = "fake_torino"):
    return ClassifyResult(
        dataset={"name": dataset},
        target=0.9,
        target_spec="0.9",
        seed=0,
        seeds=(1, 2, 3),
        shots=1000,
        device_model=device,
        calibration_date=None,
        price_per_second=PRICE,
        models=tuple(models),
    ).to_dict()


def _moons() -> dict[str, Any]:
    """svc reaches 0.9 at 0.02 s (median over 3 seeds), logreg at 0.05 s, the quantum model at
    4 s in 2 of 3 seeds (projected QPU 100 s there), and dummy never."""
    z = [0.0, 0.0]
    return _classify(
        "moons",
        [
            _model("dummy", "classical", [_run(s, [0.001], [0.5], [0.0]) for s in (1, 2, 3)]),
            _model(
                "logreg",
                "classical",
                [_run(s, [0.05], [a], [0.0]) for s, a in ((1, 0.92), (2, 0.91), (3, 0.95))],
            ),
            _model(
                "svc",
                "classical",
                [
                    _run(1, [0.01, 0.02], [0.8, 0.95], z),
                    _run(2, [0.01, 0.02], [0.85, 0.93], z),
                    _run(3, [0.03], [0.97], [0.0]),
                ],
            ),
            _model(
                "vqc-reupload",
                "quantum",
                [
                    _run(1, [2.0, 4.0], [0.7, 0.9], [50.0, 100.0]),
                    _run(2, [3.0, 4.0], [0.91, 0.92], [100.0, 150.0]),
                    _run(3, [2.0, 6.0], [0.6, 0.8], [50.0, 200.0]),
                ],
            ),
        ],
    )


def _hard() -> dict[str, Any]:
    """Nothing reaches 0.9: the fastest model is undecided."""
    return _classify(
        "two_curves",
        [
            _model("logreg", "classical", [_run(1, [0.01], [0.5], [0.0])]),
            _model("vqc-angle", "quantum", [_run(1, [1.0, 2.0], [0.55, 0.61], [10.0, 20.0])]),
        ],
        device=None,
    )


def test_model_rows_aggregate_over_seeds() -> None:
    rows = {r.model: r for r in model_rows(_moons())}
    svc, q, dummy = rows["svc"], rows["vqc-reupload"], rows["dummy"]
    assert (svc.reached, svc.seeds, svc.median_seconds) == (3, 3, 0.02)
    assert (svc.accuracy_low, svc.accuracy_high) == (0.93, 0.97)
    assert svc.qpu_seconds is None and svc.cost is None
    # quantum: seeds reach at 4 s and 3 s, one never (+inf): median 4 s; QPU 100 s at the target
    assert (q.reached, q.median_seconds, q.qpu_seconds) == (2, 4.0, 100.0)
    assert q.cost == pytest.approx(100.0 * PRICE)
    assert q.total_qpu_seconds == 150.0 and q.accuracy_text() == "0.800–0.920"
    assert dummy.reached == 0 and dummy.median_seconds is None


def test_dataset_answer_names_the_fastest_and_the_best_quantum_model() -> None:
    (answer,) = dataset_answers([Stored("c1", "2026-01-01", _moons())])
    assert answer.fastest is not None and answer.fastest.model == "svc"
    assert answer.best_quantum is not None and answer.best_quantum.model == "vqc-reupload"
    text = answer.sentence()
    assert "fastest to the target: svc, median 0.02 s (3/3 seeds reached)" in text
    assert "vqc-reupload, median 4 s to the target (2/3 seeds, 200× the fastest)" in text
    assert "projected QPU time to the target 100 s ($160.00)" in text


def test_nothing_reaching_the_target_is_undecided_and_no_device_projects_nothing() -> None:
    (answer,) = dataset_answers([Stored("c2", "2026-01-01", _hard())])
    assert answer.fastest is None
    text = answer.sentence()
    assert "the fastest model is undecided" in text
    assert "(best median final accuracy: vqc-angle, 0.610)" in text
    assert "No quantum model reached the target" in text and "vqc-angle, ended at 0.610" in text
    assert "QPU" not in text  # a run without a device model projects no QPU time


def test_newest_run_of_a_dataset_answers_and_studies_count() -> None:
    study = {"datasets": [_hard()], "analysis": {"summary": {"datasets": 1}}, "settings": {}}
    older = Stored("c-old", "2026-01-01", _moons())
    newer = Stored(
        "c-new",
        "2026-02-01",
        _classify("moons", [_model("logreg", "classical", [_run(1, [0.07], [0.95], [0.0])])]),
    )
    answers = dataset_answers([older, newer], [Stored("s1", "2026-01-15", study)])
    assert [(a.dataset, a.run_id) for a in answers] == [("moons", "c-new"), ("two_curves", "s1")]
    assert answers[0].fastest is not None and answers[0].fastest.model == "logreg"


def _width(width: int, mean: float, sigma: float) -> WidthResult:
    lower = mean - 2 * sigma
    return WidthResult(
        width=width,
        depth=width,
        circuits=100,
        shots=100,
        mean_hop=mean,
        cross_lower=lower,
        bootstrap_lower=lower,
        passed_cross=lower > 2 / 3,
        passed_bootstrap=lower > 2 / 3,
        valid=True,
        hops=(mean,) * 100,
        heavy_counts=(int(mean * 100),) * 100,
        ideal_hops=(0.85,) * 100,
        two_qubit_gates=(3 * width,) * 100,
        depths=(width,) * 100,
        physical_qubits=None,
        simulated_qubits=None,
        layout_score=None,
        method="test",
    )


def _qv(backend: str, widths: list[WidthResult], qv: int) -> dict[str, Any]:
    return QVResult(
        quantum_volume=qv,
        decided_by="cross",
        valid=True,
        backend=backend,
        calibration_date=None,
        seed=0,
        settings={},
        widths=tuple(widths),
        versions={},
        provenance={},
        timings={},
    ).to_dict()


def test_device_answer_reads_qv_and_the_hop_crossing() -> None:
    doc = _qv("fake_x", [_width(2, 0.80, 0.01), _width(3, 0.76, 0.01), _width(4, 0.55, 0.005)], 8)
    older = _qv("fake_x", [_width(2, 0.6, 0.05)], 1)
    (device,) = device_answers(
        [Stored("q-old", "2026-01-01", older), Stored("q1", "2026-02-01", doc)]
    )
    assert device.verdict is not None and device.verdict.startswith("QV = 8")
    assert device.qv_runs == ("q1", "q-old") and device.other_volumes == (1,)
    # width 2's newest measurement (0.80) wins over the older 0.6: the crossing is width 4
    assert device.hop_below is not None and device.hop_below.width == 4
    assert device.hop_below.decided  # 0.55 + 2·0.005 < 2/3
    text = device.sentence()
    assert "falls below 2/3 at width 4: 0.550, its 2σ upper bound 0.560 is below 2/3 too" in text
    assert "outruns exact simulation: not measured (no limits run)" in text


def _optimized(w: WidthResult, mean: float, sigma: float) -> WidthResult:
    from dataclasses import replace

    lower = mean - 2 * sigma
    arm = {
        "hops": [mean] * w.circuits,
        "mean_hop": mean,
        "cross_lower": lower,
        "bootstrap_lower": lower,
        "passed_cross": lower > 2 / 3,
        "passed_bootstrap": lower > 2 / 3,
    }
    return replace(w, optimized=arm)


def _qv_optimized(backend: str, widths: list[WidthResult], qv: int, source: str) -> dict[str, Any]:
    return QVResult(
        quantum_volume=qv,
        decided_by="cross",
        valid=True,
        backend=backend,
        calibration_date=None,
        seed=0,
        settings={"optimizations": {"readout_mitigation": True, "verdict_from": source}},
        widths=tuple(widths),
        versions={},
        provenance={},
        timings={},
        verdict_from=source,
    ).to_dict()


def test_the_hop_crossing_reads_the_arm_the_verdict_used() -> None:
    # raw: width 3 falls below 2/3 (0.60); the readout-mitigated arm keeps it above (0.72) and
    # passes it, so that arm sets QV 8 and its width 4 (0.62) is where HOP falls below 2/3
    widths = [
        _optimized(_width(2, 0.70, 0.01), 0.80, 0.01),
        _optimized(_width(3, 0.60, 0.01), 0.72, 0.01),
        _optimized(_width(4, 0.55, 0.01), 0.62, 0.02),
    ]
    doc = _qv_optimized("fake_opt", widths, 8, "optimized")
    (device,) = device_answers([Stored("q-opt", "2026-03-01", doc)])
    assert device.hop_below is not None
    assert (device.hop_below.width, device.hop_below.mean_hop) == (4, 0.62)
    assert device.hop_below.arm == "readout-mitigated arm"
    assert device.hop_below.decided  # 0.62 + 2·0.02 = 0.66 < 2/3
    text = device.sentence()
    assert (
        "falls below 2/3 at width 4: 0.620 on the readout-mitigated arm its verdict used "
        "(raw 0.550), its 2σ upper bound 0.660 is below 2/3 too (run q-opt)" in text
    )
    # the same document with the verdict from the raw arm reads the raw statistics
    raw = _qv_optimized("fake_opt", widths, 4, "raw")
    (device,) = device_answers([Stored("q-raw", "2026-03-01", raw)])
    assert device.hop_below is not None and device.hop_below.width == 3
    assert device.hop_below.arm is None and device.hop_below.mean_hop == 0.60
    text = device.sentence()
    assert "falls below 2/3 at width 3: 0.600, its 2σ upper bound 0.620" in text
    assert "its verdict used" not in text


def test_widths_above_two_thirds_name_the_optimized_arm() -> None:
    widths = [_optimized(_width(2, 0.62, 0.01), 0.80, 0.01)]
    doc = _qv_optimized("fake_up", widths, 4, "optimized")
    (device,) = device_answers([Stored("q", "2026-03-01", doc)])
    assert device.hop_below is None and device.measured_arms == ("readout-mitigated arm",)
    assert "(on the arm each run's verdict used: readout-mitigated arm)" in device.sentence()


def test_a_crossing_within_noise_is_not_decided() -> None:
    doc = _qv("fake_y", [_width(2, 0.66, 0.02)], 1)
    (device,) = device_answers([Stored("q", "2026-01-01", doc)])
    assert device.hop_below is not None and not device.hop_below.decided
    assert "so not decided" in device.sentence()


def test_outrunning_simulation_past_the_hop_crossing_says_so() -> None:
    device = DeviceAnswer(
        backend="fake_z",
        limits_run="l1",
        faster_width=30,
        faster_range=(28, None),
        limits_widest=40,
        limits_hop_below=9,
        limits_hop_source="predicted (calibration)",
    )
    text = device.sentence()
    assert "outruns exact simulation from width 30, band 28 to beyond 40" in text
    assert "past width 9, where its HOP is below 2/3" in text
    assert "quantum volume not measured" in text


def _study(readout: str | None) -> Stored:
    settings: dict[str, Any] = {"seeds": 3, "tune": 4}
    if readout is not None:
        settings["readout"] = readout
    summary = {
        "datasets": 2,
        "duels": 2,
        "classical_wins": 1,
        "median_accuracy_gap": 0.05,
        "median_time_ratio": 1.5,
        "noent_at_least_as_good": 1,
        "ablation_pairs": 2,
    }
    return Stored("s1", "2026-01-01", {"settings": settings, "analysis": {"summary": summary}})


def test_study_lines_state_the_duels_and_what_the_ablation_compared() -> None:
    from quantumlimits.report_summary import study_lines

    old, new = study_lines([_study(None)]), study_lines([_study("mean")])
    assert "beat the best quantum one on 1 of 2 datasets (median accuracy gap +0.050" in old[0]
    assert "tuned with 4 configurations" in old[0]
    assert "1 of 2 (model, dataset) pairs" in old[1] and "sees only the first feature" in old[1]
    assert "mean ⟨Z⟩ of every qubit" in new[1] and "first feature" not in new[1]


def test_empty_summary_says_nothing_is_measured() -> None:
    assert summarise().empty
    s = summarise(classify=[Stored("c", "2026-01-01", _hard())])
    assert not s.empty
    assert any("No device measured" in line for line in s.lines())


@pytest.fixture
def small_store(tmp_path: Path) -> Path:
    """Two classify runs (moons, two_curves) and one QV run, written through the store."""
    path = tmp_path / "store.sqlite"
    docs = [
        ("qv", "fake_x", _qv("fake_x", [_width(2, 0.8, 0.01), _width(3, 0.75, 0.02)], 8)),
        ("classify", None, _moons()),
        ("classify", None, _hard()),
    ]
    with ResultsStore(path) as store:
        for i, (kind, backend, doc) in enumerate(docs):
            with store.recording(
                kind=kind, backend=backend, seed=0, inputs={}, created=f"2026-01-0{i + 1}"
            ) as run:
                run.finish(document=doc, summary=f"{kind} <{i}>")
    return path


def _section(html: str, name: str) -> str:
    match = re.search(rf'<section id="{name}">(.*?)</section>', html, re.S)
    assert match, name
    return match.group(1)


def test_report_opens_with_the_answer(small_store: Path) -> None:
    with ResultsStore(small_store) as store:
        html = report.render(store=store)
    ids = re.findall(r'<section id="([a-z]+)">', html)
    assert ids[0] == "summary" and ids.index("diminishing") < ids.index("classify")
    summary = _section(html, "summary")
    assert "QV = 8" in summary and "fake_x" in summary
    assert "fastest to the target: svc" in summary
    assert "the fastest model is undecided" in summary  # two_curves
    classify = _section(html, "classify")
    # one aggregated row per model in view, not one per seed; raw fields and documents folded
    (moons,) = [b for b in classify.split("<h3>") if ">svc<" in b]
    head = moons.split("<details>", 1)[0]
    assert head.count('<td class="l">svc</td>') == 1
    assert "3/3" in head and "0.930–0.970 (0.950)" in head
    assert "price_per_second" not in head
    for fold in ("run fields", "every seed&#x27;s final point", "document"):
        assert f"<details><summary>{fold}</summary>" in classify
    assert classify.count('<td class="l">svc</td>') == 4  # the per-seed rows, folded


def test_empty_store_report_says_nothing_is_measured(tmp_path: Path) -> None:
    with ResultsStore(tmp_path / "empty.sqlite") as store:
        html = report.render(store=store)
    assert "Nothing measured yet" in _section(html, "summary")


def test_a_tie_for_best_accuracy_names_every_model() -> None:
    doc = _classify(
        "two_curves",
        [
            _model("dummy", "classical", [_run(1, [0.001], [0.5], [0.0])]),
            _model("logreg", "classical", [_run(1, [0.01], [0.5], [0.0])]),
        ],
        device=None,
    )
    (answer,) = dataset_answers([Stored("c", "2026-01-01", doc)])
    assert "(best median final accuracy: dummy, logreg tied at 0.500)" in answer.sentence()
    assert "No quantum model was run." in answer.sentence()
