"""``eplg --backend ibm_*`` offline: local testing mode on fake_manila, faults at the transport."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from ibm_faults import PLANTED, Cloud, Crash, Faults, FaultyTransport, resume_id, route_cloud

from quantumlimits.cli import main
from quantumlimits.eplg.protocol import CHAIN_PART, prepare
from quantumlimits.eplg.settings import EPLGSettings
from quantumlimits.store import ResultsStore

QUICK = [
    "--chain-length",
    "4",
    "--lengths",
    "1,2,4",
    "--samples",
    "2",
    "--shots",
    "64",
    "--resamples",
    "10",
    "--seed",
    "3",
]


def _argv(store_path: Path, *extra: str) -> list[str]:
    return ["eplg", "--backend", "ibm_manila", *QUICK, "--store", str(store_path), *extra]


def _jobs(store_path: Path) -> list[tuple[str, int, str]]:
    with sqlite3.connect(store_path) as conn:
        return conn.execute("SELECT key, attempt, status FROM jobs ORDER BY rowid").fetchall()


def test_eplg_on_ibm_projects_sends_journals_and_analyses(
    local_ibm: None, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main([*_argv(store_path, "--yes", "--json", "--out", str(out))]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["backend"] == "ibm_manila" and document["kind"] == "eplg"
    assert {layer["method"] for layer in document["layers"]} == {"ibm_runtime_local"}
    assert "projected on ibm_manila" in captured.err and "IBM Quantum jobs" in captured.err
    # the chain is the one the same calibration chooses offline, and LF is a fidelity
    chain = prepare(EPLGSettings(backend="fake_manila", chain_length=4))[3].qubits
    assert tuple(document["chain"]) == chain
    assert 0.5 < document["lf"] < 1.0 and document["lf_interval"][0] <= document["lf"]
    survival = document["layers"][0]["survival"]
    assert len(survival) == 3 and len(survival[0]) == 2  # lengths x sequences
    assert _jobs(store_path) == [("layer0", 1, "done"), ("layer1", 1, "done")]
    with ResultsStore(store_path) as store:
        recorded = store.parts(document["run_id"])[CHAIN_PART]
    assert tuple(recorded["qubits"]) == chain and recorded["gate"] == "cx"
    assert (out / "eplg.json").is_file() and (out / "eplg.png").is_file()
    # a stored device run is shown and reported without the device (no snapshot of ibm_manila)
    shown = tmp_path / "shown"
    run_id = document["run_id"]
    assert main(["show", run_id, "--store", str(store_path), "--out", str(shown)]) == 0
    assert (shown / "eplg.png").is_file() and "EPLG" in capsys.readouterr().out
    report = tmp_path / "report.html"
    assert main(["report", "--store", str(store_path), "--out", str(report)]) == 0
    assert "ibm_runtime_local" in report.read_text()


def test_eplg_on_ibm_refuses_before_sending(
    local_ibm: None, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cloud = Cloud()
    assert main(_argv(store_path)) == 2  # not a terminal: no prompt, no submission
    assert "pass --yes" in capsys.readouterr().err
    assert main(_argv(store_path, "--yes", "--max-qpu-seconds", "1")) == 2
    err = capsys.readouterr().err
    assert "over --max-qpu-seconds 1: nothing was sent" in err
    assert "--lengths, --samples or --shots" in err
    assert not store_path.exists()  # refused before the store was even opened
    for extra, message in (
        (["--simulator", "aer"], "--simulator applies to device snapshots"),
        (["--no-store"], "--no-store cannot"),
        (["--dask", "local:1"], "--dask distributes simulations"),
    ):
        assert main(_argv(store_path, "--yes", *extra)) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and message in lines[0]
    assert cloud.submitted == []


def test_cloud_flags_on_a_snapshot_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eplg", "--backend", "fake_manila", "--max-qpu-seconds", "5"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "apply to IBM Quantum backends" in lines[0]


def test_a_failed_job_resumes_without_running_anything_twice(
    local_ibm: None,
    store_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cloud = Cloud()
    route_cloud(monkeypatch, cloud, Faults(fail_job_numbers=(2,)))
    assert main(_argv(store_path, "--yes")) == 3
    err = capsys.readouterr().err
    assert "stopped:" in err and "quantumlimits resume eplg-" in err and PLANTED not in err
    run_id = resume_id(err)
    assert len(cloud.submitted) == 2

    route_cloud(monkeypatch, cloud, Faults())
    assert main(["resume", run_id, "--store", str(store_path)]) == 2  # would resend: asks
    assert "pass --yes" in capsys.readouterr().err
    out = tmp_path / "resumed"
    argv = ["resume", run_id, "--store", str(store_path), "--yes", "--json", "--out", str(out)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["run_id"] == run_id and len(document["layers"]) == 2
    assert "1517" in captured.err and PLANTED not in captured.err + captured.out  # redacted
    assert len(cloud.submitted) == 3 and max(cloud.runs_per_chunk().values()) == 1
    assert _jobs(store_path) == [
        ("layer0", 1, "done"),
        ("layer1", 1, "failed"),
        ("layer1", 2, "done"),
    ]
    assert main(["resume", run_id, "--store", str(store_path)]) == 0
    assert "nothing to resume" in capsys.readouterr().err
    # the planted token flowed through the device error: nothing written carries it
    for path in [*tmp_path.rglob("*")]:
        if path.is_file():
            assert PLANTED.encode() not in path.read_bytes(), path


def test_a_crash_while_sending_resumes_by_adopting_the_sent_job(
    local_ibm: None,
    store_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cloud = Cloud()
    route_cloud(monkeypatch, cloud, Faults(crash_after_submits=1))
    with pytest.raises(Crash):
        main(_argv(store_path, "--yes"))
    capsys.readouterr()
    assert _jobs(store_path) == [("layer0", 1, "submitting")]
    with ResultsStore(store_path) as store:
        (row,) = store.runs()
        run_id = row.run_id

    route_cloud(monkeypatch, cloud, Faults())
    assert main(["resume", run_id, "--store", str(store_path), "--yes", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["run_id"] == run_id
    # layer 0's job was found by its tag and adopted, layer 1 sent once: two jobs in all
    assert len(cloud.submitted) == 2 and max(cloud.runs_per_chunk().values()) == 1
    assert _jobs(store_path) == [("layer0", 1, "done"), ("layer1", 1, "done")]


def test_ctrl_c_while_waiting_leaves_a_resumable_run(
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
    assert main(_argv(store_path, "--yes")) == 130
    err = capsys.readouterr().err
    assert "submitted jobs keep running" in err and "quantumlimits resume eplg-" in err
    run_id = resume_id(err)
    assert len(cloud.submitted) == 2  # both layers were queued before waiting
    monkeypatch.setattr(FaultyTransport, "status", real_status)
    assert main(["resume", run_id, "--store", str(store_path)]) == 0  # nothing to send: no ask
    assert len(cloud.submitted) == 2
    assert [status for _, _, status in _jobs(store_path)] == ["done", "done"]


def test_the_device_runs_the_sequences_a_simulation_draws(make_executor: Any) -> None:
    from quantumlimits.eplg.chain import layers
    from quantumlimits.eplg.circuits import rb_circuit
    from quantumlimits.eplg.protocol import _directions, cloud_plan, cloud_projection
    from quantumlimits.execution.transpile import compact
    from quantumlimits.seeding import STREAM_CIRCUIT, derive_seed

    ex, _ = make_executor()
    settings = EPLGSettings(
        backend="ibm_manila", chain_length=4, lengths=(1, 2, 4), samples=2, shots=64
    )
    plan = cloud_plan(settings, executor=ex)
    target = ex.device().target
    chain = plan.chain.qubits
    assert chain == prepare(EPLGSettings(backend="fake_manila", chain_length=4))[3].qubits
    assert [len(batch) for batch in plan.circuits] == [6, 6]  # lengths x sequences per layer
    directions = _directions(target, "cx", chain)
    for index, pairs in enumerate(layers(tuple(range(4)))):
        for position, (li, s) in enumerate((li, s) for li in range(3) for s in range(2)):
            sent = plan.circuits[index][position]
            assert sent.num_qubits == target.num_qubits
            drawn = rb_circuit(
                num_qubits=4,
                pairs=pairs,
                gate="cx",
                directions=directions,
                length=settings.lengths[li],
                seed=derive_seed(settings.seed, STREAM_CIRCUIT, index, li, s),
            )
            assert compact(sent, chain) == drawn
    projection = cloud_projection(ex, plan, shots=settings.shots)
    # the test limits hold 2 circuits x 64 shots per job: 3 jobs per layer
    assert (projection.jobs, projection.circuits, projection.shots) == (6, 12, 12 * 64)
