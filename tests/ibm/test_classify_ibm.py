"""``classify --backend ibm_<device>`` offline: local testing mode, faults at the transport."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from ibm_faults import PLANTED, Cloud, Crash, Faults, FaultyTransport, resume_id, route_cloud

from quantumlimits.classify.ansatz import build_ansatz
from quantumlimits.classify.executions import qiskit_expectations
from quantumlimits.classify.results import ClassifyResult
from quantumlimits.cli import main
from quantumlimits.execution import ibm
from quantumlimits.execution.backends import load_snapshot
from quantumlimits.store import ResultsStore

#: 30 samples -> 9 held out; 2-qubit models.
TINY = ["classify", "--samples", "30", "--max-steps", "20", "--seed", "3"]
TINY += ["--backend", "ibm_manila"]


def test_classify_evaluates_each_trained_model_on_the_device(
    local_ibm: None, tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = [*TINY, "--models", "svc,vqc-reupload", "--layers", "2", "--seeds", "2"]
    argv += ["--shots", "256", "--device-model", "fake_manila", "--noisy-eval"]
    argv += ["--store", str(store_path), "--out", str(out), "--yes", "--json"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert ClassifyResult.from_json(captured.out).to_dict() == {
        k: v for k, v in document.items() if k != "run_id"
    }
    assert "projected on ibm_manila" in captured.err and "IBM Quantum jobs" in captured.err
    svc, vqc = document["models"]
    assert all(r["hardware_accuracy"] is None for r in svc["runs"])
    assert document["provenance"]["hardware"]["method"] == "ibm_runtime_local"
    with ResultsStore(store_path) as store:
        run_id = document["run_id"]
        jobs = store.jobs(run_id)
        trained = store.parts(run_id)["trained"]["weights"]["vqc-reupload"]
        assert store.row(run_id).backend == "ibm_manila"
    assert [(j.status, j.circuit_count, j.shots) for j in jobs] == [("done", 9, 256)] * 2
    backend = load_snapshot("fake_manila")
    ansatz = build_ansatz(architecture="reupload", n_qubits=2, n_features=2, layers=2)
    X_test = None
    for rep, run in enumerate(vqc["runs"]):
        hw = run["hardware"]
        assert hw["device"] == "fake_manila" and hw["jobs"] == 1 and hw["usage_seconds"] == 0.0
        assert hw["projected_seconds"] == pytest.approx(jobs[rep].projected_seconds)
        assert hw["job_ids"] == [jobs[rep].job_id] and hw["training"] is None
        # the device's ⟨Z⟩ per held-out sample agrees with Aer on the same snapshot's noise
        # (4096 shots) within the device run's sampling error: 4 sigma of 256 shots is 0.25
        if X_test is None:
            from quantumlimits.classify.datasets import load_dataset, split_and_scale

            split = split_and_scale(
                load_dataset(name="moons", n_samples=30, noise=0.1, seed=3),
                seed=3,
                max_features=8,
            )
            X_test = split.X_test
        params = np.asarray(trained[rep])
        aer = qiskit_expectations(ansatz, X_test, params[:-2], shots=4096, backend=backend, seed=1)
        device = np.asarray(hw["expectations"])
        assert np.abs(device - aer).max() < 0.25, (device, aer)
        assert np.ptp(aer) > 0.5  # the samples spread: agreement is not a constant
        assert abs(run["hardware_accuracy"] - run["noisy_accuracy"]) <= 2 / 9


def test_training_on_the_device_is_refused_without_or_over_a_budget(
    local_ibm: None, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*TINY, "--models", "vqc-angle", "--seeds", "1", "--store", str(store_path), "--yes"]
    assert main([*argv, "--train-on-backend"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs an explicit budget: pass --max-qpu-seconds" in err[0]
    assert main([*argv, "--train-on-backend", "--max-qpu-seconds", "30"]) == 2
    err = capsys.readouterr().err
    assert "over --max-qpu-seconds 30: nothing was sent" in err and "--max-steps" in err
    assert main([*TINY[:-2], "--train-on-backend", "--max-qpu-seconds", "9"]) == 2
    assert "apply to --backend ibm_<device> only" in capsys.readouterr().err
    assert main([*TINY[:-2], "--backend", "fake_manila"]) == 2
    assert "--device-model fake_manila --noisy-eval" in capsys.readouterr().err
    assert main([*argv, "--no-store"]) == 2
    with ResultsStore(store_path) as store:
        assert store.runs() == []
    with sqlite3.connect(store_path) as conn:
        assert conn.execute("SELECT count(*) FROM jobs").fetchone() == (0,)


def test_training_on_the_device_resumes_without_resending_a_step(
    local_ibm: None,
    store_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cloud = Cloud()
    route_cloud(monkeypatch, cloud, Faults(crash_after_submits=2))  # dies sending step 2
    argv = [*TINY, "--models", "vqc-angle", "--layers", "1", "--seeds", "1", "--max-steps", "2"]
    argv += ["--batch-size", "2", "--shots", "64", "--train-on-backend", "--max-qpu-seconds"]
    with pytest.raises(Crash):
        main([*argv, "200", "--store", str(store_path), "--yes"])
    with ResultsStore(store_path) as store:
        (row,) = store.runs()
        assert row.status == "failed"
        assert [j.status for j in store.jobs(row.run_id)] == ["done", "submitting"]
    capsys.readouterr()

    route_cloud(monkeypatch, cloud, Faults())
    resume = ["resume", row.run_id, "--store", str(store_path), "--json"]
    assert main([*resume, "--yes"]) == 2  # a budget is needed to go on training on the device
    assert "--max-qpu-seconds" in capsys.readouterr().err
    assert main([*resume, "--yes", "--max-qpu-seconds", "200"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["run_id"] == row.run_id
    (run,) = document["models"][0]["runs"]
    training = run["hardware"]["training"]
    P = 4  # RY and RZ on each of 2 qubits, one layer
    assert training["jobs"] == 2 and training["circuits"] == 2 * 2 * (2 * P + 1)
    assert training["usage_seconds"] == 0.0 and training["projected_seconds"] > 4.0
    with ResultsStore(store_path) as store:
        jobs = store.jobs(row.run_id)
        assert store.row(row.run_id).status == "complete"
    # ordered by key: the evaluation (step 0), then training steps 1 and 2
    assert [(j.circuit_count, j.status) for j in jobs] == [(9, "done"), (18, "done"), (18, "done")]
    assert len(cloud.submitted) == 3  # step 1 from the journal, step 2 adopted by its tag
    assert max(cloud.runs_per_chunk().values()) == 1


def test_an_interrupted_evaluation_resumes_and_never_runs_a_job_twice(
    tmp_path: Path,
    store_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A device failure (its error carrying the planted token), resume, show; then every
    output, log and file produced is searched for the token."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("QISKIT_IBM_TOKEN", PLANTED)
    monkeypatch.setenv("QUANTUMLIMITS_IBM_LOCAL", "fake_manila")
    out = tmp_path / "out"
    cloud = Cloud()
    route_cloud(monkeypatch, cloud, Faults(fail_job_numbers=(2,), lost_submit_answers=1))
    argv = [*TINY, "--models", "vqc-reupload", "--layers", "1", "--seeds", "2", "--shots", "64"]
    argv += ["--store", str(store_path), "--out", str(out), "--yes"]
    produced: list[str] = []

    def run(args: list[str]) -> int:
        code = main(args)
        captured = capsys.readouterr()
        produced.extend([captured.out, captured.err])
        return code

    assert run(argv) == 3
    assert "stopped: 1 of 1 jobs of vqc-reupload s2 eval failed" in produced[-1]
    run_id = resume_id(produced[-1])
    with ResultsStore(store_path) as store:
        partial = store.parts(run_id)["trained"]["partial"]
        assert store.row(run_id).status == "failed"
    route_cloud(monkeypatch, cloud, Faults())
    assert run(["resume", run_id, "--store", str(store_path)]) == 2  # would send: asks
    assert "pass --yes" in produced[-1]
    assert run(["resume", run_id, "--store", str(store_path), "--yes", "--json"]) == 0
    document = json.loads(produced[-2])
    assert len(cloud.submitted) == 3 and max(cloud.runs_per_chunk().values()) == 1
    (model,) = document["models"]
    assert [r["hardware"]["jobs"] for r in model["runs"]] == [1, 1]
    assert all(0.0 <= r["hardware_accuracy"] <= 1.0 for r in model["runs"])
    # no retraining: the curves (wall clock included) are the ones recorded before the stop
    assert [r["curve"] for r in model["runs"]] == [r["curve"] for r in partial["models"][0]["runs"]]
    assert json.loads((out / "classify.json").read_text()) == document
    assert run(["resume", run_id, "--store", str(store_path)]) == 0
    assert "nothing to resume" in produced[-1] and "vqc-reupload s2 eval" in produced[-1]
    assert "1001000000" not in produced[-1]  # keys are named, not printed raw
    assert run(["show", run_id, "--store", str(store_path), "--json"]) == 0

    fragments = (PLANTED, PLANTED[:16], PLANTED[-16:])
    for text in [*produced, caplog.text]:
        assert not any(f in text for f in fragments)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {".sqlite", ".json", ".png"} <= {p.suffix for p in files}
    for path in files:
        data = path.read_bytes()
        assert not any(f.encode() in data for f in fragments), path
    with sqlite3.connect(store_path) as conn:  # the token did flow through the faults
        errors = [e for (e,) in conn.execute("SELECT error FROM jobs WHERE error IS NOT NULL")]
    assert any(ibm.REDACTED in e for e in errors)


def test_ctrl_c_while_waiting_leaves_a_run_resume_collects(
    local_ibm: None,
    store_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cloud = Cloud()
    route_cloud(monkeypatch, cloud, Faults())
    real_status = FaultyTransport.status

    def interrupted(self: FaultyTransport, job_id: str) -> tuple[str, str | None]:
        raise KeyboardInterrupt

    monkeypatch.setattr(FaultyTransport, "status", interrupted)
    argv = [*TINY, "--models", "vqc-angle", "--layers", "1", "--seeds", "1", "--shots", "64"]
    assert main([*argv, "--store", str(store_path), "--yes"]) == 130
    err = capsys.readouterr().err
    assert "submitted jobs keep running" in err
    run_id = resume_id(err)
    monkeypatch.setattr(FaultyTransport, "status", real_status)
    assert main(["resume", run_id, "--store", str(store_path)]) == 0  # nothing to send: no ask
    assert "0 jobs" in capsys.readouterr().err and len(cloud.submitted) == 1
