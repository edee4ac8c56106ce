"""The command line on ibm_* backends, offline: local testing mode via QUANTUMLIMITS_IBM_LOCAL."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pytest
from ibm_faults import PLANTED, Cloud, Faults, FaultyTransport, resume_id, route_cloud

from quantumlimits.cli import main
from quantumlimits.execution import ibm

QUICK = ["--trials", "4", "--shots", "64", "--bootstrap-resamples", "200", "--seed", "5"]


def test_qv_on_ibm_records_jobs_and_shows_usage(
    local_ibm: None, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["qv", "--backend", "ibm_manila", "--widths", "2,3", *QUICK, "--store", str(store_path)]
    assert main([*argv, "--yes", "--json"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["backend"] == "ibm_manila"
    assert {w["method"] for w in document["widths"]} == {"ibm_runtime_local"}
    assert "local testing mode" in captured.err and "IBM Quantum jobs" in captured.err
    assert "projected" in captured.err and "IBM reported 0.0 QPU s" in captured.err
    with sqlite3.connect(store_path) as conn:
        rows = conn.execute("SELECT key, status, job_id, usage_seconds FROM jobs").fetchall()
        (version,) = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    assert version == "3"
    assert [(w, s) for w, s, _, _ in rows] == [("w2", "done"), ("w3", "done")]
    assert all(job_id and usage == 0.0 for _, _, job_id, usage in rows)


def test_qv_on_ibm_refuses_without_approval_or_over_budget(
    local_ibm: None, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["qv", "--backend", "ibm_manila", "--widths", "2", *QUICK, "--store", str(store_path)]
    assert main(argv) == 2  # stdin is not a terminal: no prompt, no submission
    assert "pass --yes" in capsys.readouterr().err
    assert main([*argv, "--yes", "--max-qpu-seconds", "1"]) == 2
    err = capsys.readouterr().err
    assert "over --max-qpu-seconds 1: nothing was sent" in err
    assert not store_path.exists()  # refused before the store was even opened
    assert main(["qv", "--backend", "ibm_manila", "--yes", "--store", str(store_path)]) == 2
    assert "needs --max-width" in capsys.readouterr().err
    assert main([*argv, "--yes", "--no-store"]) == 2
    assert "--no-store cannot" in capsys.readouterr().err


def test_cloud_flags_on_local_backends_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["qv", "--backend", "aer", "--account", "lab", "--widths", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "apply to IBM Quantum backends" in err[0]


def test_missing_credentials_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QUANTUMLIMITS_IBM_LOCAL", "fake_manila")
    assert main(["qv", "--backend", "ibm_manila", "--widths", "2", "--yes"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "QISKIT_IBM_TOKEN" in err[0] and "Traceback" not in err[0]


def test_failed_job_then_resume_from_the_command_line(
    local_ibm: None,
    store_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cloud = Cloud()
    route_cloud(monkeypatch, cloud, Faults(fail_job_numbers=(2,)))
    argv = ["qv", "--backend", "ibm_manila", "--widths", "2,3", *QUICK, "--store", str(store_path)]
    assert main([*argv, "--yes"]) == 3
    err = capsys.readouterr().err
    assert "stopped:" in err and "quantumlimits resume qv-" in err
    run_id = resume_id(err)

    route_cloud(monkeypatch, cloud, Faults())
    assert main(["resume", run_id, "--store", str(store_path)]) == 2  # would submit: asks
    assert "pass --yes" in capsys.readouterr().err
    assert main(["resume", run_id, "--store", str(store_path), "--yes", "--json"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["run_id"] == run_id and len(document["widths"]) == 2
    assert len(cloud.submitted) == 3 and max(cloud.runs_per_chunk().values()) == 1
    assert main(["resume", run_id, "--store", str(store_path)]) == 0
    assert "nothing to resume" in capsys.readouterr().err
    assert main(["history", "--store", str(store_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "complete"


def test_backends_lists_the_account_devices(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from quantumlimits.execution.backends import load_snapshot

    class Service:
        def backends(self) -> list[object]:
            return [load_snapshot("fake_manila"), load_snapshot("fake_lima")]

    monkeypatch.setenv("QISKIT_IBM_TOKEN", PLANTED)
    monkeypatch.setattr(ibm, "connect", lambda credentials: Service())
    assert main(["backends", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    cloud = [row for row in listed if row.get("cloud")]
    assert [d["name"] for d in cloud] == ["fake_lima", "fake_manila"]
    assert all(d["num_qubits"] == 5 and d["pending_jobs"] == 0 for d in cloud)
    assert main(["backends"]) == 0
    assert "IBM Quantum devices of the account" in capsys.readouterr().out


def test_backends_without_network_still_lists_the_snapshots(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QISKIT_IBM_TOKEN", PLANTED)
    assert main(["backends"]) == 0
    captured = capsys.readouterr()
    assert "fake_torino" in captured.out and "cloud devices not listed" in captured.err
    assert main(["backends", "--account", "nope"]) == 2


def test_the_token_never_appears_in_anything_produced(
    tmp_path: Path,
    store_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Plant a token, run every IBM path (success, device failure, lost answers, resume,
    offline connect, malformed token, listing), then grep everything they produced."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("QISKIT_IBM_TOKEN", PLANTED)
    monkeypatch.setenv("QUANTUMLIMITS_IBM_LOCAL", "fake_manila")
    out = tmp_path / "out"
    base = ["qv", "--backend", "ibm_manila", *QUICK, "--store", str(store_path), "--yes"]
    produced: list[str] = []
    real_open_transport = ibm.open_transport

    def run(argv: list[str]) -> int:
        code = main(argv)
        captured = capsys.readouterr()
        produced.extend([captured.out, captured.err])
        return code

    assert run([*base, "--widths", "2", "--out", str(out), "--json"]) == 0
    cloud = Cloud()
    route_cloud(monkeypatch, cloud, Faults(fail_job_numbers=(1,), lost_submit_answers=1))
    assert run([*base, "--widths", "2"]) == 3
    run_id = resume_id(produced[-1])
    route_cloud(monkeypatch, cloud, Faults(lost_submit_answers=1))
    assert run(["resume", run_id, "--store", str(store_path), "--yes", "--out", str(out)]) == 0
    assert run(["show", run_id, "--store", str(store_path), "--json"]) == 0
    assert run(["backends"]) == 0
    monkeypatch.setattr(ibm, "open_transport", real_open_transport)
    monkeypatch.delenv("QUANTUMLIMITS_IBM_LOCAL")
    assert run([*base, "--widths", "2"]) == 2  # the real service, unreachable offline
    assert "network error" in produced[-1]
    monkeypatch.setenv("QISKIT_IBM_TOKEN", PLANTED + " oops")
    assert run([*base, "--widths", "2"]) == 2
    assert "malformed" in produced[-1]

    fragments = (PLANTED, PLANTED[:16], PLANTED[-16:])
    texts = [*produced, caplog.text]
    for text in texts:
        assert not any(f in text for f in fragments)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite" for p in files) and (out / "qv.png").is_file()
    for path in files:
        data = path.read_bytes()
        assert not any(f.encode() in data for f in fragments), path
    # the planted secret did flow through the faults: redaction, not luck, kept it out
    with sqlite3.connect(store_path) as conn:
        errors = [e for (e,) in conn.execute("SELECT error FROM jobs WHERE error IS NOT NULL")]
    assert any(ibm.REDACTED in e for e in errors)


def test_a_terminal_is_asked_before_submitting(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from quantumlimits.cli import _ibm
    from quantumlimits.errors import UsageError
    from quantumlimits.execution.qpu_time import Projection

    projection = Projection(jobs=1, circuits=4, shots=256, overhead_seconds=2.0, shot_seconds=0.1)
    answers = iter(["n", "y"])
    console = Console(file=open("/dev/null", "w"))  # noqa: SIM115
    monkeypatch.setattr(console, "input", lambda prompt: next(answers))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    kw = {"backend": "ibm_x", "max_qpu_seconds": None, "usd_per_second": 1.6, "local": False}
    with pytest.raises(UsageError, match="declined"):
        _ibm.approve(projection=projection, yes=False, console=console, **kw)
    _ibm.approve(projection=projection, yes=False, console=console, **kw)  # "y": go ahead


def test_ctrl_c_leaves_a_resumable_run(
    local_ibm: None,
    store_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cloud = Cloud()
    faults = Faults()
    route_cloud(monkeypatch, cloud, faults)
    real_status = FaultyTransport.status

    def interrupted(self: FaultyTransport, job_id: str) -> tuple[str, str | None]:
        raise KeyboardInterrupt

    monkeypatch.setattr(FaultyTransport, "status", interrupted)
    argv = ["qv", "--backend", "ibm_manila", "--widths", "2", *QUICK, "--store", str(store_path)]
    assert main([*argv, "--yes"]) == 130
    err = capsys.readouterr().err
    assert "submitted jobs keep running" in err and "quantumlimits resume qv-" in err
    run_id = resume_id(err)
    monkeypatch.setattr(FaultyTransport, "status", real_status)
    assert main(["resume", run_id, "--store", str(store_path)]) == 0  # nothing new to send
    assert len(cloud.submitted) == 1


def test_auto_scan_on_a_cloud_device_is_projected_over_its_widths(
    local_ibm: None, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["qv", "--backend", "ibm_manila", "--widths", "auto", "--max-width", "3", *QUICK]
    assert main([*argv, "--store", str(store_path), "--yes", "--json"]) == 0
    captured = capsys.readouterr()
    assert "2 jobs, 8 circuits" in captured.err  # widths 2 and 3 were projected up front
    document = json.loads(captured.out)
    assert document["settings"]["widths"] == "auto" and document["settings"]["max_width"] == 3


def test_optimized_qv_on_ibm_projects_sends_and_resumes_every_arm(
    local_ibm: None,
    store_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Decoupled arm and readout calibration go through the journal like the raw circuits: the
    up-front plan matches what each width sends, and a resume finishes it without reruns."""
    cloud = Cloud()
    route_cloud(monkeypatch, cloud, Faults(fail_job_numbers=(2,)))
    optimized = ["--mitigate-readout", "--readout-shots", "128", "--dynamical-decoupling"]
    argv = ["qv", "--backend", "ibm_manila", "--widths", "2,3", *QUICK, *optimized]
    assert main([*argv, "--store", str(store_path), "--yes"]) == 3
    run_id = resume_id(capsys.readouterr().err)
    route_cloud(monkeypatch, cloud, Faults())
    assert main(["resume", run_id, "--store", str(store_path), "--yes", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["verdict_from"] == "optimized"
    for width in document["widths"]:
        o = width["optimized"]
        assert o["dynamical_decoupling"] == "XX" and o["readout_calibration"]["shots"] == 128
        assert len(o["hops"]) == len(width["hops"]) == 4
    # 4 raw + 4 decoupled + 2x2 calibration circuits per width, each chunk run once
    assert max(cloud.runs_per_chunk().values()) == 1
    with sqlite3.connect(store_path) as conn:
        rows = conn.execute(
            "SELECT key, chunk, circuit_count FROM jobs WHERE status = 'done'"
        ).fetchall()
    assert {w: sum(n for w2, _, n in rows if w2 == w) for w, _, _ in rows} == {"w2": 12, "w3": 12}
