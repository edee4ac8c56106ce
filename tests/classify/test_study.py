"""``quantumlimits study``: the analysis in exact numbers, --quick end to end, resume."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from quantumlimits.classify import study
from quantumlimits.classify.results import ClassifyResult, Curve, ModelResult, SeedRun
from quantumlimits.cli import main
from quantumlimits.store import ResultsStore


def _model(name: str, family: str, accuracy: float, seconds: float) -> ModelResult:
    curve = Curve(
        steps=(1,),
        train_seconds=(seconds,),
        accuracy=(accuracy,),
        executions=(0,),
        shots=(0,),
        qpu_seconds=(0.0,),
    )
    return ModelResult(
        name=name,
        family=family,
        description="",
        hyperparameters={},
        n_params=1,
        runs=(SeedRun(seed=1, curve=curve, eval_seconds=0.0),),
    )


def _result(name: str, models: list[ModelResult]) -> ClassifyResult:
    return ClassifyResult(
        dataset={"name": name},
        target=0.9,
        target_spec="0.9",
        seed=0,
        seeds=(1,),
        shots=100,
        device_model=None,
        calibration_date=None,
        price_per_second=1.6,
        models=tuple(models),
    )


def test_analysis_in_exact_numbers() -> None:
    a = _result(
        "a",
        [
            _model("dummy", "classical", 0.5, 0.001),
            _model("svc", "classical", 0.9, 0.01),
            _model("vqc-angle", "quantum", 0.8, 2.0),
            _model("vqc-angle-noent", "quantum", 0.8, 1.0),
        ],
    )
    b = _result(
        "b",
        [
            _model("dummy", "classical", 0.5, 0.001),
            _model("svc", "classical", 0.7, 0.02),
            _model("vqc-angle", "quantum", 0.75, 4.0),
            _model("vqc-angle-noent", "quantum", 0.6, 1.0),
        ],
    )
    out = study.analyse([a, b])
    assert out["ranks"]["a"] == {"svc": 1, "vqc-angle": 2.5, "vqc-angle-noent": 2.5, "dummy": 4}
    assert out["mean_rank"]["svc"] == 1.5
    (da, db) = out["duels"]
    assert (da["best_classical"], da["best_quantum"], da["classical_wins"]) == (
        "svc",
        "vqc-angle",  # a tie: the first name
        True,
    )
    assert da["accuracy_gap"] == pytest.approx(0.1)
    assert (db["best_quantum"], db["classical_wins"]) == ("vqc-angle", False)
    s = out["summary"]
    assert (s["classical_wins"], s["duels"]) == (1, 2)
    assert s["median_accuracy_gap"] == pytest.approx((0.1 - 0.05) / 2)
    assert s["median_time_ratio"] == pytest.approx((200 + 200) / 2)
    assert (s["noent_at_least_as_good"], s["ablation_pairs"]) == (1, 2)


def test_quick_study_end_to_end_and_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "s.sqlite"
    out = tmp_path / "out"
    argv = ["study", "--quick", "--store", str(store), "--out", str(out), "--json"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["kind"] == "study" and (out / "study.png").exists()
    assert [d["dataset"]["name"] for d in doc["datasets"]] == list(study.QUICK.dataset)
    assert doc["analysis"]["summary"]["duels"] == 2
    assert doc["settings"]["tune"] == 2
    # quantum models read every qubit, the entangled model and its variant alike
    assert doc["settings"]["readout"] == "mean"
    readouts = {
        m["hyperparameters"]["readout"]
        for d in doc["datasets"]
        for m in d["models"]
        if m["family"] == "quantum"
    }
    assert readouts == {"mean"}
    # every model got the same search budget
    budgets = {
        (m["name"], r["tuning"]["configurations"], r["tuning"]["folds"])
        for d in doc["datasets"]
        for m in d["models"]
        for r in m["runs"]
        if m["name"] != "dummy"
    }
    assert {b[1:] for b in budgets} == {(2, 2)}
    assert "best classical beat best quantum" in captured.err
    # compute–accuracy curves: every model with a budget, budgets in doublings, seed bands
    assert (out / "curves.png").exists()
    curves = doc["curves"]["linearly_separable"]
    assert set(curves) == {"logreg", "vqc-angle", "vqc-angle-noent"}
    steps = [p["budget"] for p in curves["vqc-angle"]["points"]]
    assert steps == [1, 2, 4, 8, 10]  # --quick trains 10 steps
    iters = [p["budget"] for p in curves["logreg"]["points"]]
    assert iters == sorted(iters) and iters[0] == 1
    for c in curves.values():
        assert all(p["low"] <= p["accuracy"] <= p["high"] for p in c["points"])
        assert c["fit"] is None or set(c["fit"]) >= {"a", "b", "error_ratio_per_doubling"}

    # a study stopped after its first dataset resumes without running it again
    from quantumlimits.classify import protocol

    real = protocol.measure
    calls: list[Any] = []

    def stop_on_second(settings: Any, **kwargs: Any) -> Any:
        calls.append(settings.dataset)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(settings, **kwargs)

    monkeypatch.setattr(protocol, "measure", stop_on_second)
    store2 = tmp_path / "s2.sqlite"
    assert main(["study", "--quick", "--store", str(store2), "--out", str(out)]) == 130
    with ResultsStore(store2) as s:
        (row,) = s.runs(kind="study")
        assert row.status == "failed"
        assert sorted(s.parts(row.run_id)) == [
            "curves/linearly_separable",
            "dataset/linearly_separable",
        ]
    monkeypatch.setattr(protocol, "measure", real)
    capsys.readouterr()
    assert main(["resume", row.run_id, "--store", str(store2), "--out", str(out), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["run_id"] == row.run_id
    assert again["analysis"]["accuracy"] == doc["analysis"]["accuracy"]  # same seeds, same numbers


def test_report_shows_the_newest_study_and_its_curves(tmp_path: Path) -> None:
    from quantumlimits.classify.settings import ClassifySettings
    from quantumlimits.report import render

    settings = ClassifySettings(
        dataset="linearly_separable",
        models="dummy,logreg,vqc-angle,vqc-angle-noent",
        samples=40,
        seeds=1,
        max_steps=4,
        layers=1,
        device_model="none",
    )
    with ResultsStore(tmp_path / "s.sqlite") as store:
        done = study.run_study(settings, store=store)
        page = render(store=store)
    assert '<section id="study">' in page and done.run_id in page
    assert "From the newest study" in page  # the curves replace the joined-points figure
    assert page.count("data:image/png") >= 2
