"""The classify run lifecycle: recorded settings and units, a stopped run resumed to the same
numbers, nothing recorded on bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from quantumlimits.classify import protocol
from quantumlimits.classify.settings import ClassifySettings
from quantumlimits.cli import main
from quantumlimits.store import ResultsStore

SETTINGS = ClassifySettings(
    dataset="moons",
    models="dummy,logreg,vqc-angle",
    samples=40,
    seeds=2,
    max_steps=4,
    shots=50,
    device_model="none",
    target="0.7",
    seed=8,
)


def _numbers(doc: dict[str, Any]) -> list[Any]:
    return [
        (m["name"], [(r["seed"], r["curve"]["accuracy"], r["curve"]["executions"]) for r in runs])
        for m in doc["models"]
        for runs in [m["runs"]]
    ]


def test_run_records_settings_units_and_document(tmp_path: Path) -> None:
    with ResultsStore(tmp_path / "s.sqlite") as store:
        (one,) = protocol.measure(SETTINGS, store=store)
        assert one.run_id is not None
        assert store.row(one.run_id).status == "complete"
        assert protocol.recorded_settings(store, one.run_id) == SETTINGS
        assert sorted(store.parts(one.run_id)) == [
            "dummy/0", "dummy/1", "logreg/0", "logreg/1", "vqc-angle/0", "vqc-angle/1",
        ]  # fmt: skip
        assert store.document(one.run_id) == json.loads(json.dumps(one.document))


def test_a_stopped_run_resumes_to_the_same_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (whole,) = protocol.measure(SETTINGS)
    calls: list[str] = []

    def stop_in_the_third_unit(model: str, rep: int, step: int, **_: Any) -> None:
        calls.append(model)
        if len(calls) == 3:
            raise KeyboardInterrupt

    path = tmp_path / "s.sqlite"
    with ResultsStore(path) as store, pytest.raises(KeyboardInterrupt):
        protocol.measure(SETTINGS, store=store, progress=stop_in_the_third_unit)
    with ResultsStore(path) as store:
        (row,) = store.runs(kind="classify")
        assert row.status == "failed"
        assert sorted(store.parts(row.run_id)) == ["dummy/0", "dummy/1"]
    out = tmp_path / "out"
    assert main(["resume", row.run_id[:20], "--store", str(path), "--out", str(out)]) == 0
    doc = json.loads((out / "classify.json").read_text())
    assert doc["run_id"] == row.run_id
    assert _numbers(doc) == _numbers(whole.document)
    with ResultsStore(path) as store:
        assert store.row(row.run_id).status == "complete"
        assert len(store.parts(row.run_id)) == 6
    assert "time to 0.7" in capsys.readouterr().out


def test_several_datasets_record_one_run_each_with_its_own_settings(tmp_path: Path) -> None:
    settings = SETTINGS.replace(dataset=("moons", "circles"), models=("dummy",))
    with ResultsStore(tmp_path / "s.sqlite") as store:
        measured = protocol.measure(settings, store=store)
        assert [m.result.dataset["name"] for m in measured] == ["moons", "circles"]
        for one, name in zip(measured, ("moons", "circles"), strict=True):
            assert one.run_id is not None
            assert protocol.recorded_settings(store, one.run_id).dataset == (name,)
