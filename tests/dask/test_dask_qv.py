"""QV on Dask workers: same seed same numbers, a killed worker, the memory guard, the CLI."""

from __future__ import annotations

import json
import os
import signal
import sys
import warnings
from typing import Any

import pytest

from quantumlimits.cli import main
from quantumlimits.execution.dask import DaskSession
from quantumlimits.qv.protocol import Progress, QVWarning, TaskMemory, run_qv
from quantumlimits.qv.results import QVResult

DEVICE = dict(backend="fake_torino", widths=[3], trials=60, shots=200, seed=8)
NOISELESS = dict(backend="aer", widths=[4], trials=30, shots=100, seed=3)


def _comparable(result: QVResult) -> dict[str, Any]:
    doc = json.loads(result.to_json())
    for key in ("timings", "provenance", "run_id"):
        doc.pop(key)
    for w in doc["widths"]:
        w.pop("timings")
    return doc


def _run(session: DaskSession | None = None, progress: Progress | None = None, **kwargs: Any):
    extra: dict[str, Any] = {}
    if session is not None:
        memory = session.task_memory_bytes
        extra = {
            "mapper": session,
            "memory": TaskMemory(memory, session.memory_where) if memory else None,
            "cluster": session.describe(),
        }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QVWarning)  # fewer than 100 circuits, on purpose
        return run_qv(**kwargs, **extra, progress=progress)


@pytest.fixture(scope="module")
def in_process() -> dict[str, QVResult]:
    return {"device": _run(**DEVICE), "noiseless": _run(**NOISELESS)}


@pytest.mark.parametrize("kind", ["device", "noiseless"])
def test_same_seed_same_results_on_1_and_2_workers(
    kind: str,
    in_process: dict[str, QVResult],
    one_worker: DaskSession,
    two_workers: DaskSession,
) -> None:
    kwargs = DEVICE if kind == "device" else NOISELESS
    expected = _comparable(in_process[kind])
    for session, workers in ((one_worker, 1), (two_workers, 2)):
        result = _run(session, **kwargs)
        assert _comparable(result) == expected, f"{workers} worker(s) differ from in-process"
        assert result.provenance["cluster"]["workers"] == workers
    assert "cluster" not in in_process[kind].provenance


class _KillOneWorker(Progress):
    """Kills a worker that has tasks in flight when a chunk of counts arrives (the first one that
    finds a task in flight: on a loaded machine the others may all have finished already)."""

    def __init__(self, session: DaskSession) -> None:
        self.session = session
        self.killed: str | None = None

    def advance(self, width: int, circuits: int) -> None:
        if self.killed is not None:
            return
        busy = [addr for addr, keys in self.session.client.processing().items() if keys]
        if not busy:
            return
        self.killed = busy[0]
        pid = self.session.client.run(os.getpid, workers=[self.killed])[self.killed]
        os.kill(pid, signal.SIGKILL)  # no clean shutdown, as when a node dies


def test_a_killed_worker_does_not_change_the_results(expendable_workers: DaskSession) -> None:
    kwargs = dict(backend="fake_torino", widths=[4], trials=150, shots=300, seed=21)
    expected = _run(**kwargs)
    session = expendable_workers
    before = set(session.workers())
    killer = _KillOneWorker(session)
    result = _run(session, progress=killer, **kwargs)
    after = set(session.workers())
    assert killer.killed is not None, "no task was ever in flight to interrupt: make the run longer"
    assert killer.killed in before and killer.killed not in after  # the nanny restarted it
    assert _comparable(result) == _comparable(expected)


def test_a_width_too_large_for_a_worker_is_refused_before_scheduling(
    one_worker: DaskSession,
) -> None:
    calls: list[int] = []

    def spy(func: Any, items: Any) -> Any:
        calls.append(len(items))
        return one_worker.map(func, items)

    budget = TaskMemory(one_worker.task_memory_bytes or 0, one_worker.memory_where)
    # 27 qubits: 5 GiB with Aer's probabilities, which this 24 GB machine would run but a
    # 2 GiB worker cannot.
    with pytest.raises(ValueError, match=r"width 27 needs about 5\.1 GiB .* Dask worker"):
        run_qv(backend="aer", widths=[27], trials=100, mapper=spy, memory=budget)
    assert calls == []


def test_cli_runs_on_two_local_workers(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["qv", "--backend", "fake_torino", "--widths", "2", "--trials", "30", "--shots"]
    argv += ["100", "--no-store", "--json"]
    assert main([*argv, "--dask", "local:2"]) == 0
    out = capsys.readouterr()
    distributed = QVResult.from_json(out.out)
    assert "2 workers" in out.err
    assert main(argv) == 0
    local = QVResult.from_json(capsys.readouterr().out)
    assert distributed.provenance["cluster"]["workers"] == 2
    assert _comparable(distributed) == _comparable(local)


def test_cli_without_the_extra_prints_the_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    assert main(["qv", "--widths", "2", "--no-store", "--dask", "local:2"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "pip install 'quantumlimits[dask]'" in err


def test_cli_bad_environment_value_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QUANTUMLIMITS_DASK", "bogus")
    assert main(["qv", "--widths", "2", "--no-store"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "'bogus' is not understood" in err
