"""The classical wall: pure row assembly and crossings, and one tiny end-to-end run."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from quantumlimits.cli import main
from quantumlimits.limits import wall
from quantumlimits.limits.fit import fit_exponential, fit_power_law
from quantumlimits.store import ResultsStore


def _classical(width: int, seconds: float) -> wall.ClassicalPoint:
    return wall.ClassicalPoint(
        width=width,
        seconds=seconds,
        seconds_all=(seconds,),
        simulate_seconds=seconds,
        sample_seconds=0.0,
        repeats=1,
        peak_extra_bytes=16 << width,
        peak_rss_bytes=1 << 27,
        memory_method="test",
    )


def _device(width: int) -> wall.DevicePoint:
    return wall.DevicePoint(
        width=width,
        circuits=1,
        duration_s=1e-8 * width**2,
        two_qubit_gates=1.5 * width**2,
        single_qubit_gates=3.0 * width**2,
        two_qubit_error=0.005,
        single_qubit_error=0.0,
        readout_error=0.01,
        physical_qubits=tuple(range(width)),
    )


def test_rows_and_crossings_from_synthetic_inputs() -> None:
    # classical time doubles per qubit from 1 ms at width 10; the device needs about 0.27 s per
    # circuit (1000 shots x 250 us rep delay + 0.02 s of job overhead), overtaken at width 19.
    classical = [_classical(w, 1e-3 * 2.0 ** (w - 10)) for w in range(10, 15)]
    fit = fit_exponential(
        widths=[p.width for p in classical], values=[p.seconds for p in classical]
    )
    device = [_device(w) for w in range(2, 7)]
    budgets = wall.memory_budgets(machine_bytes=2**34)
    rows = wall.build_rows(
        widths=list(range(2, 41)),
        classical=classical,
        classical_fit=fit,
        device=device,
        duration_fit=fit_power_law(widths=[4, 5, 6], values=[d.duration_s for d in device[2:]]),
        gates_fit=fit_power_law(widths=[4, 5, 6], values=[d.two_qubit_gates for d in device[2:]]),
        hop_measured=[wall.HopPoint(3, 0.9, 100, "qv-x", None)],
        budgets=budgets,
        rep_delay_s=250e-6,
        shots=1000,
        job_overhead_s=2.0,
        circuits_per_job=100,
    )
    by_width = {r.width: r for r in rows}
    assert by_width[12].classical_seconds.source == "measured"
    assert by_width[30].classical_seconds.source == "extrapolated"
    assert by_width[5].device_seconds.source == "calibration"
    assert by_width[9].device_seconds.source == "extrapolated"
    assert by_width[3].device_hop.source == "measured" and by_width[3].device_hop.value == 0.9
    assert by_width[4].device_hop.source.startswith("predicted")
    assert by_width[30].fits == {
        "this machine": True,
        "2 TB node": True,
        "10 PB supercomputer": True,
    }
    assert by_width[31].fits["this machine"] is False
    found = wall.crossings(rows, budgets)
    device_19 = by_width[19].device_seconds.value
    assert by_width[18].classical_seconds.value < device_19 < by_width[19].classical_seconds.value
    assert found.device_faster_width == 19
    assert found.memory_wall == {"this machine": 30, "2 TB node": 36, "10 PB supercomputer": 49}
    hop_rows = [r for r in rows if r.device_hop.value < 2 / 3]
    assert found.hop_below_two_thirds_width == hop_rows[0].width


def test_limits_command_end_to_end(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from quantumlimits.qv.protocol import run_qv

    with ResultsStore(store_path) as store, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        qv = run_qv(
            backend="fake_torino",
            widths=[2],
            trials=5,
            shots=100,
            seed=1,
            bootstrap_resamples=100,
            store=store,
        )
    out = tmp_path / "out"
    argv = ["limits", "--max-width", "7", "--device-max-width", "5", "--repeats", "1"]
    argv += ["--extrapolate-to", "40", "--out", str(out), "--store", str(store_path), "--json"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["schema"] == 1 and document["kind"] == "limits"
    assert [p["width"] for p in document["classical"]] == list(range(2, 8))
    assert document["stop_reason"] == "max_width"
    assert [r["width"] for r in document["rows"]] == list(range(2, 41))
    hop2 = document["rows"][0]["device_hop"]
    assert hop2["source"] == "measured"
    assert hop2["value"] == pytest.approx(qv.widths[0].mean_hop)
    for key in ("versions", "provenance", "calibration_date", "settings", "crossings"):
        assert document[key]
    assert "machine" in document["provenance"]
    result = wall.LimitsResult.from_dict(document)
    assert result.to_dict() == document
    assert (out / "limits.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((out / "limits.json").read_text()) == document
    with ResultsStore(store_path) as store:
        assert [r.run_id for r in store.runs(kind="limits")] == [document["run_id"]]


@pytest.mark.parametrize(
    "argv",
    [
        ["limits", "--backend", "aer"],
        ["limits", "--backend", "fake_nowhere"],
        ["limits", "--backend", "fake_armonk"],
        ["limits", "--backend", "fake_johannesburg"],  # no gate durations in its calibration
        ["limits", "--max-width", "3"],
        ["limits", "--time-budget", "0"],
        ["limits", "--job-overhead", "-1"],
    ],
)
def test_limits_bad_input_is_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main([*argv, "--no-store"])
    except SystemExit as exc:  # argparse rejects malformed flags itself
        code = int(exc.code or 0)
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0]


@pytest.mark.parametrize("command", ["limits", "timeline", "report"])
def test_new_commands_have_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "usage:" in capsys.readouterr().out
