"""``quantumlimits mirror`` in-process: outputs, store, JSON, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quantumlimits.cli import main
from quantumlimits.mirror.results import MirrorResult
from quantumlimits.store import ResultsStore


def test_clifford_run_on_a_snapshot_writes_everything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "r.sqlite"
    out = tmp_path / "out"
    argv = ["mirror", "--backend", "fake_torino", "--widths", "2,4", "--trials", "4"]
    argv += ["--shots", "50", "--seed", "3", "--out", str(out), "--store", str(store), "--json"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    result = MirrorResult.from_dict(document)
    assert [w.width for w in result.widths] == [2, 4]
    assert result.variant == "clifford" and document["kind"] == "mirror"
    assert all(w.method == "stim" for w in result.widths)
    assert result.settings["simulator"] == "stim"
    assert "Mirror benchmark" in captured.err
    assert MirrorResult.from_json((out / "mirror.json").read_text()) == result
    assert (out / "mirror.png").stat().st_size > 1000
    with ResultsStore(store) as s:
        (row,) = s.runs(kind="mirror")
        assert row.status == "complete" and row.run_id == result.run_id
        assert MirrorResult.from_dict(s.document(row.run_id)) == result


def test_same_seed_same_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["mirror", "--backend", "fake_torino", "--variant", "su4", "--widths", "3"]
    argv += ["--trials", "3", "--shots", "40", "--no-store", "--json"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(argv) == 0
    second = json.loads(capsys.readouterr().out)
    assert first["widths"][0]["histograms"] == second["widths"][0]["histograms"]
    assert first["widths"][0]["method"] == "density_matrix"


def test_clifford_runs_on_aer_when_asked_and_stim_reproduces(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["mirror", "--backend", "fake_torino", "--widths", "3", "--trials", "3"]
    argv += ["--shots", "200", "--seed", "4", "--no-store", "--json"]
    assert main([*argv, "--simulator", "aer"]) == 0
    aer = json.loads(capsys.readouterr().out)["widths"][0]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)["widths"][0]
    assert main(argv) == 0
    second = json.loads(capsys.readouterr().out)["widths"][0]
    assert (aer["method"], first["method"]) == ("stabilizer", "stim")
    assert first["histograms"] == second["histograms"]
    # Same circuits and noise, other sampler: same physics within shot noise (600 shots).
    assert abs(aer["mean_success"] - first["mean_success"]) < 0.1


def test_noiseless_run_passes_every_width(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["mirror", "--backend", "aer", "--widths", "2-3", "--trials", "2", "--no-store"]
    assert main([*argv, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["largest_passing_width"] == 3
    assert [w["mean_polarization"] for w in document["widths"]] == [1.0, 1.0]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--widths", "2,200"], "wider than fake_torino"),
        (["--widths", "x-y"], "not understood"),
        (["--widths", "1-3"], "below 2"),
        (["--backend", "fake_nowhere"], "unknown backend"),
        (["--variant", "su4", "--widths", "30"], "need --variant clifford"),
        (["--trials", "1"], "at least 2"),
        (["--depth-factor", "0"], "(0, 10]"),
        (["--backend", "ibm_torino"], "cloud device"),
        (["--variant", "su4", "--simulator", "stim"], "Clifford circuits only"),
        (["--simulator", "qrack"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_status_2(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        status = main(["mirror", "--no-store", *argv])
    except SystemExit as exc:  # argparse's own refusals exit from parse_args
        status = int(exc.code or 0)
    assert status == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert len(err.strip().splitlines()) == 1
