"""``quantumlimits classify`` in-process: outputs, the store, and one-line errors with status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quantumlimits.cli import main
from quantumlimits.store import ResultsStore

FAST = ["--samples", "60", "--seeds", "2", "--max-steps", "15", "--shots", "100"]


def test_classify_writes_json_png_and_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.sqlite"
    out = tmp_path / "out"
    status = main(
        [
            "classify",
            "--dataset",
            "moons",
            "--models",
            "dummy,svc,vqc-reupload",
            "--target",
            "0.8",
            *FAST,
            "--out",
            str(out),
            "--store",
            str(store),
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err
    doc = json.loads(captured.out)  # stdout holds the document only
    assert doc["schema"] == 1 and doc["kind"] == "classify"
    assert [m["name"] for m in doc["models"]] == ["dummy", "svc", "vqc-reupload"]
    assert doc["device_model"] == "fake_torino" and doc["calibration_date"].startswith("2025-")
    assert json.loads((out / "classify.json").read_text()) == doc
    assert (out / "classify.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    quantum = doc["models"][2]
    assert quantum["qpu"]["circuit_seconds"] > 0
    assert quantum["time_to_target"]["qpu"]["runs"] == 2
    with ResultsStore(store) as s:
        (row,) = s.runs(kind="classify")
        assert row.status == "complete" and row.backend == "fake_torino" and row.seed == 0
        assert s.document(row.run_id) == doc
    assert "time to 0.8" in captured.err  # the table goes to stderr under --json


def test_table_on_stdout_without_json_no_device_no_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            "classify",
            "--dataset",
            "circles",
            "--models",
            "logreg,vqc-angle",
            "--target",
            "rel:0.9",
            *FAST,
            "--device-model",
            "none",
            "--out",
            str(tmp_path),
            "--store",
            str(tmp_path / "s.sqlite"),
            "--no-store",
        ]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "vqc-angle" in captured.out and "logreg" in captured.out
    doc = json.loads((tmp_path / "classify.json").read_text())
    assert doc["device_model"] is None and doc["models"][1]["qpu"] is None
    assert doc["run_id"] is None and not (tmp_path / "s.sqlite").exists()


def test_csv_three_classes_and_one_vs_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = ["a,b,kind"] + [f"{i % 7},{(i * 3) % 5},{'xyz'[i % 3]}" for i in range(30)]
    data = tmp_path / "d.csv"
    data.write_text("\n".join(rows) + "\n")
    args = [
        "classify",
        "--data",
        str(data),
        "--label",
        "kind",
        "--models",
        "logreg,vqc-angle",
        *FAST,
        "--device-model",
        "none",
        "--out",
        str(tmp_path),
        "--store",
        str(tmp_path / "s.sqlite"),
    ]
    assert main(args) == 0, capsys.readouterr().err  # three classes: the quantum model too
    doc = json.loads((tmp_path / "classify.json").read_text())
    assert set(doc["dataset"]["train_class_counts"]) == {"x", "y", "z"}
    assert main([*args, "--positive-class", "x"]) == 0
    doc = json.loads((tmp_path / "classify.json").read_text())
    assert set(doc["dataset"]["train_class_counts"]) == {"0", "1"}


CSV = {
    "{csv_missing}": "a,b,y\n1,,0\n2,3,1\n",
    "{csv_text}": "a,b,y\n1,abc,0\n2,3,1\n",
    "{csv_ok}": "a,b,y\n1,2,0\n2,3,1\n",
    "{csv_one}": "a,b,y\n1,2,0\n2,3,0\n4,4,0\n",
}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--target", "1.5"], "outside (0, 1]"),
        (["--target", "0"], "outside (0, 1]"),
        (["--data", "{csv_missing}", "--label", "y"], "missing value"),
        (["--data", "{csv_text}", "--label", "y"], "non-numeric value 'abc'"),
        (["--data", "{csv_ok}", "--label", "nope"], "'nope' is not a column"),
        (["--data", "{csv_one}", "--label", "y"], "single class"),
        (["--dataset", "breast_cancer", "--qubits", "4"], "--features 4"),
        (["--device-model", "fake_nowhere"], "unknown backend"),
        (["--models", "svm"], "unknown model 'svm'"),
        (["--dataset", "moons,circles", "--backend", "ibm_torino"], "one dataset at a time"),
        (["--backend", "ibm_torino", "--dask", "local:1"], "drop --dask"),
        (["--dataset", "moons", "--data", "{csv_ok}", "--label", "y"], "not both"),
        (["--seeds", "0"], "seeds (--seeds) must be at least 1, got 0"),
        (["--noisy-eval", "--device-model", "none"], "--noisy-eval needs a --device-model"),
        (["--dataset", "moons,spirals"], "unknown dataset 'spirals' in --dataset"),
        (["--dataset", "cirlces,moons"], "did you mean circles?"),
        (["--dataset", "moons,circles,moons"], "names moons more than once"),
        (["--dataset", "moons,,circles"], "has an empty name"),
        (["--dataset", ","], "--dataset is empty"),
        (
            ["--dataset", "moons,circles", "--data", "{csv_ok}", "--label", "y"],
            "cannot be combined with a --dataset list",
        ),
        (["--dataset", "moons,breast_cancer", "--qubits", "4"], "--features 4"),
        (["--dataset", "moons,circles", "--dask", "local:none"], "not a number of workers"),
    ],
)
def test_bad_input_is_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    resolved = []
    for a in argv:
        if a in CSV:
            path = tmp_path / f"{a.strip('{}')}.csv"
            path.write_text(CSV[a])
            a = str(path)
        resolved.append(a)
    out = tmp_path / "out"
    store = tmp_path / "s.sqlite"
    status = main(["classify", *resolved, "--out", str(out), "--store", str(store)])
    err = capsys.readouterr().err
    assert status == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (out / "classify.json").exists() and not (out / "moons").exists()
    if store.exists():
        with ResultsStore(store) as s:
            assert s.runs() == []


def test_readout_flag_reaches_the_models_and_the_device_projection(tmp_path: Path) -> None:
    argv = ["classify", "--dataset", "moons", "--models", "vqc-angle-noent", *FAST]
    docs = {}
    for readout in ("z0", "mean"):
        out = tmp_path / readout
        status = main([*argv, "--readout", readout, "--out", str(out), "--no-store"])
        assert status == 0
        docs[readout] = json.loads((out / "classify.json").read_text())
    (z0,), (mean,) = docs["z0"]["models"], docs["mean"]["models"]
    assert z0["hyperparameters"]["readout"] == "z0" and mean["hyperparameters"]["readout"] == "mean"
    # both project a device circuit; the two readouts train different models
    assert z0["qpu"] is not None and mean["qpu"] is not None
    assert z0["runs"][0]["curve"]["accuracy"] != mean["runs"][0]["curve"]["accuracy"]
