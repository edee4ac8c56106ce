"""QV through the years: the doubling fit, the reported table and a small timeline run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quantumlimits.cli import main
from quantumlimits.limits import timeline
from quantumlimits.limits.reported import REPORTED, ReportedQV


def test_doubling_fit_exact_and_degenerate() -> None:
    fit = timeline.fit_doubling(
        dates=["2020-01-01", "2022-01-01", "2024-01-01"], log2_qv=[2.0, 3.0, 4.0]
    )
    assert fit is not None
    assert fit.slope_per_year == pytest.approx(0.5, rel=1e-3)
    assert fit.doubling_years == pytest.approx(2.0, rel=1e-3)
    assert fit.slope_se < 1e-3  # leap days bend the line very slightly
    flat = timeline.fit_doubling(
        dates=["2020-01-01", "2021-01-01", "2022-01-01"], log2_qv=[3, 3, 3]
    )
    assert flat is not None and flat.doubling_years is None
    assert "never" in flat.doubling_years_text
    assert timeline.fit_doubling(dates=["2020-01-01"] * 3, log2_qv=[1, 2, 3]) is None


def test_reported_values_carry_sources() -> None:
    assert REPORTED
    for r in REPORTED:
        assert r.status == "reported" and r.source and r.quantum_volume == 2**r.log2_qv
    with pytest.raises(ValueError):
        ReportedQV("X", "y", "2020-01-01", "day", 3, "somewhere")
    with pytest.raises(ValueError):
        ReportedQV("X", "y", "2020-01-01", "day", 4, "")


def test_timeline_predicted_command(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tl"
    backends = "fake_johannesburg,fake_montreal,fake_torino,fake_armonk"
    argv = ["timeline", "--backends", backends, "--max-width", "6", "--out", str(out)]
    assert main([*argv, "--store", str(store_path), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["schema"] == 1 and document["kind"] == "timeline"
    assert [s["name"] for s in document["snapshots"]] == backends.split(",")[:3]
    assert "fake_armonk" in document["skipped"]
    torino = document["snapshots"][2]
    assert torino["calibration_date"].startswith("2025-02-26")
    # QV is 2^(largest width whose prediction reaches the 100-circuit Cross threshold)
    hops = {int(k): v for k, v in torino["hops"].items()}
    log2 = torino["log2_qv"]
    assert log2 >= 2 and hops[log2] >= 0.7529
    assert all(h < 0.7529 for w, h in hops.items() if w > log2)
    assert document["fit"] is not None and document["differences"]
    assert all(r["status"] == "reported" for r in document["reported"])
    result = timeline.TimelineResult.from_dict(document)
    assert result.to_dict() == document
    assert (out / "timeline.png").read_bytes()[:4] == b"\x89PNG"


def test_timeline_measured_mode(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["timeline", "--mode", "measured", "--backends", "fake_torino", "--max-width", "3"]
    assert (
        main([*argv, "--trials", "5", "--shots", "50", "--store", str(store_path), "--json"]) == 0
    )
    document = json.loads(capsys.readouterr().out)
    (snap,) = document["snapshots"]
    assert snap["mode"] == "measured" and sorted(snap["hops"]) == ["2", "3"]
    assert snap["valid"] is False and snap["run_id"].startswith("qv-")
    assert document["fit"] is None  # one snapshot: no line to fit


def test_timeline_bad_backend(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["timeline", "--backends", "fake_nowhere", "--no-store"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "fake_nowhere" in err[0]
