"""``--tune``: the same search budget and folds for every model, its time off the clock."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from quantumlimits.classify import tuning
from quantumlimits.classify.settings import TUNE_MAX, ClassifySettings
from quantumlimits.cli import main
from quantumlimits.errors import UsageError


def test_every_grid_has_the_same_size_and_the_settings_know_it() -> None:
    assert {tuning.grid_size(g) for g in tuning.GRIDS.values()} == {tuning.GRID_SIZE}
    assert TUNE_MAX == tuning.GRID_SIZE
    assert tuning.grid_of("dummy") is None
    assert tuning.grid_of("vqc-angle-noent") == tuning.GRIDS["vqc-angle"]


def test_folds_depend_on_the_seed_only() -> None:
    y = np.array([0, 1] * 10)
    a, b = tuning.folds(y_train=y, k=4, seed=3), tuning.folds(y_train=y, k=4, seed=3)
    assert all((x[1] == z[1]).all() for x, z in zip(a, b, strict=True))
    c = tuning.folds(y_train=y, k=4, seed=4)
    assert any((x[1] != z[1]).any() for x, z in zip(a, c, strict=True))


def test_tune_gives_every_model_the_same_budget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = ["classify", "--dataset", "moons", "--samples", "60", "--seeds", "2"]
    argv += ["--models", "dummy,logreg,svc,vqc-angle", "--max-steps", "5", "--target", "0.8"]
    argv += ["--tune", "3", "--tune-folds", "2", "--device-model", "none", "--out", str(out)]
    argv += ["--no-store"]
    assert main(argv) == 0, capsys.readouterr().err
    doc = json.loads((out / "classify.json").read_text())
    assert doc["provenance"]["tune"] == {"configurations": 3, "folds": 2}
    budgets = {}
    for model in doc["models"]:
        if model["name"] == "dummy":
            assert "tuning" not in model["runs"][0]
            continue
        search = model["hyperparameters"]["search"]
        assert search["grid"] == json.loads(json.dumps(tuning.grid_of(model["name"])))
        for run in model["runs"]:
            t = run["tuning"]
            budgets[(model["name"], run["seed"])] = (t["configurations"], t["folds"])
            assert t["seconds"] > 0 and 0 <= t["best_cv_accuracy"] <= 1
            for key, value in t["best_params"].items():
                assert value in json.loads(json.dumps(search["grid"][key]))
    assert set(budgets.values()) == {(3, 2)} and len(budgets) == 6
    vqc = next(m for m in doc["models"] if m["name"] == "vqc-angle")
    chosen = vqc["runs"][0]["tuning"]["best_params"]
    assert vqc["hyperparameters"]["learning_rate"] == chosen["learning_rate"]
    # the search's time is kept apart from the training clock
    assert doc["timings"]["tune_seconds"] == pytest.approx(
        sum(r["tuning"]["seconds"] for m in doc["models"] for r in m["runs"] if "tuning" in r)
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tune": 17}, "exceeds the 16 configurations"),
        ({"tune": 2, "tune_folds": 1}, "tune_folds (--tune-folds) must be at least 2"),
        ({"tune": 2, "grid": True}, "cannot be combined"),
        ({"tune": -1}, "tune (--tune) must be 0 (off) or more"),
    ],
)
def test_bad_tuning_settings(changes: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError) as info:
        ClassifySettings(**changes)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_too_many_folds_for_a_class_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["classify", "--samples", "12", "--models", "svc", "--tune", "2", "--tune-folds"]
    argv += ["8", "--device-model", "none", "--out", str(tmp_path), "--no-store"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--tune-folds 8 needs at least 8 training samples of each class" in err
    assert err.count("\n") == 1
