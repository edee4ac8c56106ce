"""Results: invariants, summaries over seeds, and the exact classify.json round trip."""

from __future__ import annotations

import json

import pytest

from quantumlimits.classify.results import (
    ClassifyResult,
    Curve,
    ModelResult,
    SeedRun,
    TargetSummary,
)


def _curve(acc: tuple[float, ...]) -> Curve:
    n = len(acc)
    return Curve(
        steps=tuple(range(1, n + 1)),
        train_seconds=tuple(0.01 * (i + 1) for i in range(n)),
        accuracy=acc,
        executions=tuple(29 * 10 * (i + 1) for i in range(n)),
        shots=tuple(29 * 10 * 100 * (i + 1) for i in range(n)),
        qpu_seconds=tuple(3.0 * (i + 1) for i in range(n)),
    )


def _result() -> ClassifyResult:
    quantum = ModelResult(
        name="vqc-reupload",
        family="quantum",
        description="d",
        hyperparameters={"layers": 3, "batch_size": None},
        n_params=22,
        runs=(
            SeedRun(seed=1, curve=_curve((0.5, 0.8, 0.95)), eval_seconds=0.001),
            SeedRun(seed=2, curve=_curve((0.5, 0.6, 0.7)), eval_seconds=0.002),
            SeedRun(seed=3, curve=_curve((0.9, 0.91, 0.92)), eval_seconds=0.003),
        ),
        qpu={"circuit_seconds": 2e-6},
    )
    classical = ModelResult(
        name="svc",
        family="classical",
        description="svc",
        hyperparameters={"C": 1.0},
        n_params=40,
        runs=(SeedRun(seed=1, curve=_curve((1.0,)), eval_seconds=0.0),),
    )
    return ClassifyResult(
        dataset={"name": "moons"},
        target=0.9,
        target_spec="0.9",
        seed=0,
        seeds=(1, 2, 3),
        shots=100,
        device_model="fake_torino",
        calibration_date="2025-02-26T00:00:00",
        price_per_second=1.6,
        models=(quantum, classical),
        provenance={"versions": {"numpy": "2"}},
        timings={"total_seconds": 1.5},
    )


def test_round_trip_is_exact() -> None:
    result = _result()
    text = result.to_json()
    back = ClassifyResult.from_json(text)
    assert back == result
    assert back.to_json() == text
    assert json.loads(text)["schema"] == 1


def test_not_reached_is_kept_and_counted() -> None:
    m = _result().model("vqc-reupload")
    wall = m.summary(0.9, clock="wall", price_per_second=1.6)
    assert (wall.reached, wall.runs) == (2, 3)
    assert wall.median == pytest.approx(0.03)  # values 0.03, inf, 0.01
    assert (wall.low, wall.high) == (pytest.approx(0.01), pytest.approx(0.03))
    steps = m.summary(0.9, clock="steps", price_per_second=1.6)
    assert steps.median == 3.0
    cost = m.summary(0.9, clock="cost", price_per_second=2.0)
    assert cost.low == pytest.approx(6.0)
    assert m.summary(0.99, clock="wall", price_per_second=1.6).median is None


def test_summary_of_all_missed_is_none() -> None:
    assert TargetSummary.of([None, None]) == TargetSummary(None, None, None, 0, 2)


def test_document_carries_derived_summaries() -> None:
    doc = _result().to_dict()
    q = doc["models"][0]["time_to_target"]
    assert set(q) == {"wall", "steps", "executions", "shots", "qpu", "cost"}
    assert q["executions"]["median"] == 870.0
    assert set(doc["models"][1]["time_to_target"]) == {"wall"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"target": 1.5}, "target"),
        ({"shots": 0}, "shots"),
        ({"schema": 2}, "schema"),
    ],
)
def test_invariants_raise(change: dict[str, object], message: str) -> None:
    kwargs = {**_result().__dict__, **change}
    with pytest.raises(ValueError, match=message):
        ClassifyResult(**kwargs)  # type: ignore[arg-type]


def test_curve_invariants() -> None:
    with pytest.raises(ValueError, match="points"):
        Curve(
            steps=(1,),
            train_seconds=(),
            accuracy=(1.0,),
            executions=(0,),
            shots=(0,),
            qpu_seconds=(0.0,),
        )
    with pytest.raises(ValueError, match="non-decreasing"):
        Curve(
            steps=(1, 2),
            train_seconds=(2.0, 1.0),
            accuracy=(0.5, 0.5),
            executions=(0, 0),
            shots=(0, 0),
            qpu_seconds=(0.0, 0.0),
        )
    with pytest.raises(ValueError, match="family"):
        ModelResult(
            name="x",
            family="analog",
            description="",
            hyperparameters={},
            n_params=0,
            runs=(SeedRun(seed=0, curve=_curve((1.0,)), eval_seconds=0.0),),
        )


def test_newer_schema_is_refused() -> None:
    doc = _result().to_dict()
    doc["schema"] = 2
    with pytest.raises(ValueError, match="upgrade"):
        ClassifyResult.from_dict(doc)
