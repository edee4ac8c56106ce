"""Device specs through the command line: qv on a spec, listings, and one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from quantumlimits.cli import main
from quantumlimits.store import ResultsStore
from tests.devices.conftest import toml_text


def test_qv_runs_on_a_shipped_spec_and_records_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "r.sqlite"
    argv = ["qv", "--backend", "quantinuum_h1_1@2024-04-10", "--widths", "3", "--trials", "6"]
    argv += ["--shots", "100", "--seed", "5", "--out", str(tmp_path / "out"), "--store", str(store)]
    argv += ["--json"]
    assert main(argv) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["backend"] == "quantinuum_h1_1@2024-04-10"
    assert document["calibration_date"] == "2024-04-10"
    (width,) = document["widths"]
    assert 0.5 < width["mean_hop"] < 0.95
    with ResultsStore(store) as s:
        (row,) = s.runs(kind="qv")
        assert row.status == "complete" and row.backend == "quantinuum_h1_1@2024-04-10"


def _error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1
    return err


def test_missing_figures_and_bad_names_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--widths", "3", "--trials", "2", "--no-store", "--out", str(tmp_path / "o")]
    err = _error_line(capsys, ["qv", "--backend", "honeywell_h0", *base])
    assert "errors.single_qubit" in err and "missing" in err
    err = _error_line(capsys, ["qv", "--backend", "quantinuum_h1_1", *base])
    assert "quantinuum_h1_1@2024-04-10" in err
    spec = ["qv", "--backend", "quantinuum_h1_1@2024-04-10", "--dynamical-decoupling", *base]
    err = _error_line(capsys, spec)
    assert "durations.single_qubit, which --dynamical-decoupling" in err
    assert not (tmp_path / "o").exists()


def test_malformed_spec_files_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], toy: dict[str, Any]
) -> None:
    del toy["errors"]["readout_1to0"]
    path = tmp_path / "mine.toml"
    path.write_text(toml_text(toy))
    err = _error_line(capsys, ["qv", "--backend", str(path), "--widths", "2", "--no-store"])
    assert "errors.readout_1to0 is absent" in err and str(path) in err
    path.write_text("format = \n")
    err = _error_line(capsys, ["qv", "--backend", str(path), "--widths", "2", "--no-store"])
    assert "not valid TOML" in err


def test_limits_refuses_a_spec_without_durations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "r.sqlite"
    err = _error_line(
        capsys, ["limits", "--backend", "quantinuum_h1_1@2024-04-10", "--store", str(store)]
    )
    assert "durations.single_qubit" in err
    assert not store.exists() or not ResultsStore(store).runs(kind="limits")


def test_backends_lists_specs_with_source_and_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backends", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    h1 = rows["quantinuum_h1_1@2024-04-10"]
    assert h1["spec"] and h1["calibration_date"] == "2024-04-10"
    assert h1["median_two_qubit_error"] == 0.00093
    assert "spec-sheet-parameters.csv" in h1["sources"]["spec_sheet"]
    assert "errors.two_qubit" in rows["honeywell_h0@2020-06-20"]["missing"]
    assert "fake_torino" in rows


def test_timeline_places_specs_by_their_date(capsys: pytest.CaptureFixture[str]) -> None:
    names = "quantinuum_h1_1@2022-06-09,quantinuum_h1_1@2024-04-10"
    argv = ["timeline", "--backends", names, "--max-width", "4", "--no-store", "--json"]
    assert main(argv) == 0
    document = json.loads(capsys.readouterr().out)
    dates = {s["name"]: s["calibration_date"] for s in document["snapshots"]}
    assert dates == {
        "quantinuum_h1_1@2022-06-09": "2022-06-09",
        "quantinuum_h1_1@2024-04-10": "2024-04-10",
    }
    err = _error_line(capsys, ["timeline", "--backends", "honeywell_h0", "--no-store"])
    assert "errors.two_qubit" in err


def test_report_shows_a_spec_run_and_the_trapped_ion_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "r.sqlite"
    argv = ["qv", "--backend", "quantinuum_h1_2@2023-08-21", "--widths", "2", "--trials", "3"]
    assert main([*argv, "--shots", "50", "--store", str(store)]) == 0
    out = tmp_path / "report.html"
    assert main(["report", "--store", str(store), "--out", str(out)]) == 0
    text = out.read_text()
    assert "quantinuum_h1_2@2023-08-21" in text
    assert "CQCL/quantinuum-hardware-quantum-volume" in text  # Quantinuum's records, cited


def test_approximate_synthesis_is_recorded_and_can_be_turned_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from quantumlimits.qv.settings import QVSettings

    argv = ["qv", "--backend", "quantinuum_h1_1@2024-04-10", "--widths", "6", "--trials", "4"]
    argv += ["--shots", "50", "--seed", "42", "--optimization-level", "3", "--no-store", "--json"]
    documents = []
    for extra in ([], ["--exact-synthesis"]):
        assert main(argv + extra) == 0
        documents.append(json.loads(capsys.readouterr().out))
    approximate, exact = documents
    assert approximate["settings"]["approximate_synthesis"] is True
    assert exact["settings"]["approximate_synthesis"] is False
    (a,), (e,) = approximate["widths"], exact["widths"]
    assert sum(a["two_qubit_gates"]) < sum(e["two_qubit_gates"])
    # heavy sets come from the exact model circuits whatever the compilation
    assert a["ideal_hops"] == e["ideal_hops"]
    # inputs recorded before the setting existed read back as exact synthesis
    recorded = QVSettings(backend="quantinuum_h1_1@2024-04-10").to_dict()
    del recorded["approximate_synthesis"]
    assert QVSettings.from_dict(recorded).approximate_synthesis is False
