"""The command line off the happy path: one line and exit 2 per mistake, nothing left behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quantumlimits.cli import main

QUICK = ["--trials", "4", "--shots", "16"]


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and ": error: " in lines[0], err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["qv", "--backend", "fake_torino", "--qubits", "0,1,999"], "do not exist on fake_torino"),
        (["qv", "--backend", "fake_torino", "--qubits", "5"], "at least 2"),
        (["qv", "--qubits", "0,0,1"], "more than once"),
        (["qv", "--widths", "2", "--depths", "100000"], "hours of work"),
        (["qv", "--backend", "aer", "--widths", "2", "--yes"], "--yes apply to IBM"),
        (["qv", "--backend", "aer", "--usd-per-qpu-second", "2"], "--usd-per-qpu-second"),
        (["mirror", "--backend", "aer", "--widths", "2,max"], "'max' means a device's full width"),
        (["mirror", "--backend", "aer", "--widths", "1000"], "hours of work"),
        (["timeline", "--backends", "aer"], "'aer' is the noiseless simulator"),
        (["timeline", "--backends", "fake_torinoo"], "did you mean fake_torino"),
    ],
)
def test_a_mistake_is_one_line_and_exit_2(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert needle in _error(capsys)


def test_an_unwritable_output_is_found_before_any_work(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    (out / "qv.json").mkdir(parents=True)
    argv = ["qv", "--backend", "aer", "--widths", "2", *QUICK, "--out", str(out)]
    assert main([*argv, "--store", str(store_path)]) == 2
    assert "qv.json is a folder" in _error(capsys)
    assert not store_path.exists()  # refused before the store was opened, let alone a run


def test_an_early_error_leaves_no_empty_output_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "new" / "folder"
    assert main(["qv", "--backend", "fake_torinoo", "--out", str(out)]) == 2
    _error(capsys)
    assert not (tmp_path / "new").exists()


def test_plan_out_on_a_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")
    assert main(["plan", "--hop", "0.75", "--out", str(target)]) == 2
    assert "is a file, not a folder" in _error(capsys)


def test_a_malformed_manifest_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for text in ("{not json", json.dumps({"seed": 1}), json.dumps([1, 2])):
        (tmp_path / "manifest.json").write_text(text)
        assert main(["circuits", "verify", str(tmp_path)]) == 2
        assert "is not a manifest quantumlimits wrote" in _error(capsys)


def test_show_refuses_qv_flags_on_other_runs_and_writes_their_files(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["mirror", "--backend", "aer", "--widths", "2", "--trials", "3", "--shots", "8"]
    assert main([*argv, "--store", str(store_path), "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    assert main(["show", run_id, "--reanalyse", "--store", str(store_path)]) == 2
    line = _error(capsys)
    assert "re-analyse QV runs" in line and "is a mirror run" in line
    out = tmp_path / "shown"
    assert main(["show", run_id, "--out", str(out), "--store", str(store_path)]) == 0
    assert (out / "mirror.json").is_file() and (out / "mirror.png").is_file()
    assert "Mirror benchmark" in capsys.readouterr().out


def test_history_never_cuts_a_run_id(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["qv", "--backend", "aer", "--widths", "2", *QUICK, "--store", str(store_path), "--json"]
    assert main(argv) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    for columns in ("80", "100", "120"):
        monkeypatch.setenv("COLUMNS", columns)
        assert main(["history", "--store", str(store_path)]) == 0
        assert run_id in capsys.readouterr().out, columns


def test_a_malformed_token_is_said_when_listing_backends(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QISKIT_IBM_TOKEN", "not a token")
    assert main(["backends", "--json"]) == 0
    captured = capsys.readouterr()
    assert "cloud devices not listed" in captured.err and "malformed" in captured.err
    assert "not a token" not in captured.err + captured.out
