"""Classifier units on Dask workers: same seed same numbers, a killed worker, the CLI end to end."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from quantumlimits.classify.datasets import load_dataset
from quantumlimits.classify.results import ClassifyResult
from quantumlimits.classify.trainer import QuantumSettings, run_classify_many
from quantumlimits.cli import main
from quantumlimits.execution.dask import DaskSession
from quantumlimits.store import ResultsStore

#: Two tiny datasets, a classical baseline, a quantum model with its noisy evaluation.
SMALL: dict[str, Any] = dict(
    models=["dummy", "svc", "vqc-reupload"],
    target="rel:0.9",
    seed=4,
    n_seeds=2,
    shots=50,
    quantum=QuantumSettings(max_steps=8, layers=1),
    noisy_eval=True,
    qubits=2,
)


def _datasets(*names: str) -> list[Any]:
    return [load_dataset(name=n, n_samples=40, n_features=2, noise=0.1, seed=4) for n in names]


def _comparable(document: dict[str, Any]) -> dict[str, Any]:
    """Everything but the clocks and where it ran."""
    doc = json.loads(json.dumps(document))
    for key in ("timings", "provenance", "run_id"):
        doc.pop(key, None)
    for model in doc["models"]:
        model["time_to_target"].pop("wall")
        for run in model["runs"]:
            run.pop("eval_seconds")
            run["curve"].pop("train_seconds")
    return doc


def _run(session: DaskSession | None = None, **kwargs: Any) -> list[ClassifyResult]:
    extra: dict[str, Any] = {}
    if session is not None:
        extra = {"mapper": session, "cluster": session.describe()}
    return run_classify_many(**{**SMALL, **kwargs}, **extra)


@pytest.fixture(scope="module")
def in_process() -> list[ClassifyResult]:
    return _run(datasets=_datasets("moons", "circles"))


def test_same_seed_same_results_in_process_and_on_1_and_2_workers(
    in_process: list[ClassifyResult], one_worker: DaskSession, two_workers: DaskSession
) -> None:
    expected = [_comparable(r.to_dict()) for r in in_process]
    noisy = [r.noisy_accuracy for r in in_process[0].model("vqc-reupload").runs]
    assert all(v is not None for v in noisy), "the noisy evaluation must be part of the units"
    for session, workers in ((one_worker, 1), (two_workers, 2)):
        results = _run(session, datasets=_datasets("moons", "circles"))
        assert [_comparable(r.to_dict()) for r in results] == expected, f"{workers} worker(s)"
        prov = results[0].provenance
        assert prov["cluster"]["workers"] == workers
        placed = {run["worker"] for runs in prov["placement"].values() for run in runs}
        assert placed <= set(session.workers()) and placed
        assert len(prov["placement"]["vqc-reupload"]) == SMALL["n_seeds"]
    assert "cluster" not in in_process[0].provenance


def test_each_dataset_of_a_batch_is_what_it_gives_alone(in_process: list[ClassifyResult]) -> None:
    (alone,) = _run(datasets=_datasets("circles"))
    assert _comparable(alone.to_dict()) == _comparable(in_process[1].to_dict())
    assert in_process[0].dataset["name"] == "moons" and alone.dataset["name"] == "circles"
    assert in_process[1].provenance["batch_datasets"] == ["moons", "circles"]


def test_cli_runs_several_datasets_on_a_running_scheduler(
    two_workers: DaskSession, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["classify", "--dataset", "moons,circles", "--models", "dummy,logreg,vqc-angle"]
    argv += ["--samples", "40", "--seeds", "2", "--max-steps", "6", "--layers", "1"]
    argv += ["--shots", "50", "--target", "rel:0.9", "--json"]
    address = two_workers.client.scheduler.address
    store = tmp_path / "s.sqlite"
    out = tmp_path / "out"
    status = main([*argv, "--dask", address, "--out", str(out), "--store", str(store)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "2 workers" in captured.err
    documents = json.loads(captured.out)
    assert [d["dataset"]["name"] for d in documents] == ["moons", "circles"]
    with ResultsStore(store) as s:
        runs = s.runs(kind="classify")
        assert sorted(r.run_id for r in runs) == sorted(d["run_id"] for d in documents)
        assert all(r.status == "complete" for r in runs)
        for d in documents:
            assert s.document(d["run_id"]) == d
    for d in documents:
        folder = out / d["dataset"]["name"]
        assert json.loads((folder / "classify.json").read_text()) == d
        assert (folder / "classify.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert d["provenance"]["cluster"]["workers"] == 2
    assert not (out / "classify.json").exists()
    assert two_workers.workers(), "a remote scheduler's workers are left running"

    # in-process, one dataset: the layout of a single run, and the same numbers
    status = main([*argv[:2], "circles", *argv[3:], "--no-store", "--out", str(tmp_path / "one")])
    single = json.loads(capsys.readouterr().out)
    assert status == 0 and single["dataset"]["name"] == "circles"
    assert (tmp_path / "one" / "classify.json").exists()
    assert _comparable(single) == _comparable(documents[1])


class _KillOneWorker:
    """A progress callback that kills a worker with units in flight when the first unit is in."""

    def __init__(self, session: DaskSession) -> None:
        self.session = session
        self.killed: str | None = None

    def __call__(self, model: str, rep: int, step: int, *, total: int, dataset: str) -> None:
        if self.killed is not None:
            return
        busy = [addr for addr, keys in self.session.client.processing().items() if keys]
        assert busy, "no unit in flight to interrupt: make the run longer"
        self.killed = busy[0]
        pid = self.session.client.run(os.getpid, workers=[self.killed])[self.killed]
        os.kill(pid, signal.SIGKILL)  # no clean shutdown, as when a node dies


# Last in this module on purpose: it kills one of `two_workers` (the nanny restarts it), so no
# test after it reads that cluster, and no third cluster has to start.
def test_a_killed_worker_does_not_change_the_results(two_workers: DaskSession) -> None:
    # Units long enough (~0.1-0.3 s each) that some are still running when the first is in.
    kwargs = dict(
        datasets=_datasets("moons"),
        models=["vqc-reupload", "vqc-angle"],
        target="0.8",
        n_seeds=4,
        quantum=QuantumSettings(max_steps=150, layers=2),
    )
    expected = _run(**kwargs)
    before = set(two_workers.workers())
    killer = _KillOneWorker(two_workers)
    (result,) = _run(two_workers, progress=killer, **kwargs)
    assert killer.killed in before and killer.killed not in set(two_workers.workers())
    assert _comparable(result.to_dict()) == _comparable(expected[0].to_dict())
