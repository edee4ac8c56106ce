"""The command line, called in-process with argv lists."""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

import pytest

from quantumlimits import __version__
from quantumlimits.cli import main
from quantumlimits.qv.results import QVResult

QUICK = ["--trials", "8", "--shots", "100", "--bootstrap-resamples", "200"]


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


def test_qv_json_and_files(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(
        [
            "qv",
            "--backend",
            "fake_torino",
            "--widths",
            "2-3",
            *QUICK,
            "--seed",
            "4",
            "--out",
            str(out),
            "--store",
            str(store_path),
            "--json",
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)  # stdout holds the document and nothing else
    assert document["schema"] == 1 and document["backend"] == "fake_torino"
    assert document["verdict"]["text"] in captured.err
    for key in ("quantum_volume", "calibration_date", "seed", "settings", "versions"):
        assert key in document
    width = document["widths"][0]
    for key in (
        "width",
        "circuits",
        "shots",
        "mean_hop",
        "cross_lower",
        "bootstrap_lower",
        "passed_cross",
        "passed_bootstrap",
        "valid",
        "hops",
        "heavy_counts",
        "two_qubit_gates",
        "depths",
        "timings",
    ):
        assert key in width
    on_disk = QVResult.from_json((out / "qv.json").read_text())
    assert on_disk.to_dict()["widths"] == document["widths"]
    assert (out / "qv.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary leftovers

    assert main(["history", "--store", str(store_path), "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in runs] == [document["run_id"]]
    assert main(["show", document["run_id"][:12], "--store", str(store_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == document
    assert (
        main(
            [
                "show",
                document["run_id"],
                "--store",
                str(store_path),
                "--reanalyse",
                "--method",
                "bootstrap",
                "--json",
            ]
        )
        == 0
    )
    reanalysed = json.loads(capsys.readouterr().out)
    assert reanalysed["decided_by"] == "bootstrap"
    assert reanalysed["widths"][0]["hops"] == document["widths"][0]["hops"]


def test_default_store_is_used_without_flag(_isolated_store: Path) -> None:
    assert main(["qv", "--backend", "aer", "--widths", "2", *QUICK]) == 0
    assert _isolated_store.exists()


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and __version__ in capsys.readouterr().out
    for command in ("qv", "backends", "history", "show", "circuits"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert "usage:" in text
    with pytest.raises(SystemExit):
        main(["qv", "--help"])
    help_text = capsys.readouterr().out
    assert "(default: fake_torino)" in help_text and "(default: 1000)" in help_text
    assert "500 with --adaptive" in " ".join(help_text.split())


def test_backends_lists_snapshots(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backends", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    torino = next(r for r in rows if r["name"] == "fake_torino")
    assert torino["num_qubits"] == 133 and torino["calibration_date"].startswith("2025-02-26")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["qv", "--widths", "1"], "--widths [1] are below 2"),
        (["qv", "--widths", "3", "--depths", "0"], "--depths [0] are below 1"),
        (["qv", "--depths", "2-4"], "explicit --widths"),
        (["qv", "--backend", "aer", "--predict-only"], "snapshot"),
        (["qv", "--backend", "fake_lima", "--widths", "6"], "wider than"),
        (["qv", "--trials", "0"], "at least 1"),
        (["qv", "--shots", "-5"], "at least 1"),
        (["qv", "--shots", "many"], "whole number"),
        (["qv", "--backend", "fake_torin"], "did you mean fake_torino"),
        (["qv", "--qubits", "a,b"], "qubit numbers"),
        (["show", "qv-nope"], "no results store"),
        (["circuits", "verify", "/nonexistent"], "manifest.json"),
    ],
)
def test_bad_input_one_line_exit_2(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _exit_code(argv) == 2
    assert needle in _one_error_line(capsys)


def _exit_code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def test_argparse_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit_code(["qv", "--shots", "0"]) == 2
    assert "at least 1" in _one_error_line(capsys)
    assert _exit_code(["qv", "--optimization-level", "7"]) == 2
    assert "invalid choice" in _one_error_line(capsys)


def test_unwritable_out_leaves_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    store = tmp_path / "s.sqlite"
    assert _exit_code(["qv", "--out", str(blocker / "sub"), "--store", str(store), *QUICK]) == 2
    assert "--out" in _one_error_line(capsys)
    assert not store.exists()  # refused before any work or store write


def test_corrupt_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    assert _exit_code(["history", "--store", str(bad)]) == 2
    assert "not a readable quantumlimits store" in _one_error_line(capsys)
    assert bad.read_bytes() == b"this is not a database" * 100


def test_newer_schema_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from quantumlimits.store import ResultsStore

    path = tmp_path / "new.sqlite"
    ResultsStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    assert _exit_code(["qv", "--store", str(path), *QUICK]) == 2
    assert "schema version 99" in _one_error_line(capsys)


def test_foreign_sqlite_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    assert _exit_code(["history", "--store", str(path)]) == 2
    assert "not a quantumlimits store" in _one_error_line(capsys)


def test_volumetric_run_maps_rectangles_and_takes_qv_from_squares(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["qv", "--backend", "aer", "--widths", "2-3", "--depths", "1,3", *QUICK]
    assert main([*argv, "--out", str(tmp_path), "--no-store", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    cells = {(w["width"], w["depth"]) for w in document["widths"]}
    assert cells == {(2, 1), (2, 3), (3, 1), (3, 3)}
    assert document["settings"]["depths"] == [1, 3]
    # only the square 3x3 can set the QV (2x2 was not run)
    assert document["quantum_volume"] in (1, 8)
    assert (tmp_path / "qv.png").stat().st_size > 0


def test_predict_only_simulates_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "s.sqlite"
    argv = ["qv", "--predict-only", "--widths", "2-4", "--store", str(store), "--json"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["kind"] == "qv-prediction" and document["backend"] == "fake_torino"
    assert [w["width"] for w in document["widths"]] == [2, 3, 4]
    assert all(0.5 < w["predicted_hop"] < 0.9 for w in document["widths"])
    assert json.loads((tmp_path / "prediction.json").read_text()) == document
    assert not store.exists()


def test_written_files_get_ordinary_permissions(tmp_path: Path) -> None:
    import os

    from quantumlimits._io import atomic_write_text

    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.json", "{}")
    finally:
        os.umask(old)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o644


def test_resume_of_a_simulated_volumetric_run_keeps_its_settings(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from quantumlimits.store import ResultsStore

    argv = ["qv", "--backend", "aer", "--widths", "2-3", "--depths", "1-2", *QUICK]
    assert main([*argv, "--store", str(store_path), "--json"]) == 0
    original = json.loads(capsys.readouterr().out)
    with ResultsStore(store_path) as store:
        store.mark_failed(original["run_id"], summary="stopped")
    assert main(["resume", original["run_id"], "--store", str(store_path), "--json"]) == 0
    resumed = json.loads(capsys.readouterr().out)
    cells = [(w["width"], w["depth"]) for w in resumed["widths"]]
    assert cells == [(w["width"], w["depth"]) for w in original["widths"]] and len(cells) == 4
    assert [w["heavy_counts"] for w in resumed["widths"]] == [
        w["heavy_counts"] for w in original["widths"]
    ]


def test_the_process_entry_tunes_the_collector_and_main_leaves_it_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``console`` (python -m quantumlimits, the script) raises the collector's threshold and
    freezes what survives at the end; ``main`` called in-process changes neither."""
    import gc

    from quantumlimits.cli import GC_THRESHOLD, console
    from quantumlimits.plots import process

    before = gc.get_threshold()
    assert before != GC_THRESHOLD
    assert gc.get_freeze_count() == 0
    assert main([]) == 2
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    try:
        assert console([]) == 2
        assert gc.get_threshold() == GC_THRESHOLD
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
        process.enable(False)  # console turned on the drawing process of figures
    assert "usage" in capsys.readouterr().err


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_a_command_builds_its_own_parser_alone_and_help_lists_every_command() -> None:
    """main() builds only the named command's parser (the others are listed by summary): its
    help is the full parser's, and the top-level help is the same either way."""
    from quantumlimits.cli import COMMANDS, build_parser

    full = build_parser()
    commands = _subparsers(full)
    assert list(commands) == list(COMMANDS)  # every module's command has a summary, in order
    assert build_parser("").format_help() == full.format_help()
    for name in ("qv", "show", "import", "eplg"):
        alone = _subparsers(build_parser(name))
        assert alone[name].format_help() == commands[name].format_help()
        assert alone["classify"].format_help() != commands["classify"].format_help()


def test_a_qv_run_loads_no_other_command_module() -> None:
    from tests.probe import last_line

    loaded = last_line(
        "import sys\n"
        "from quantumlimits.cli import build_parser\n"
        "build_parser('qv').parse_args(['qv', '--widths', '3'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('quantumlimits.cli.')))\n"
    )
    assert "quantumlimits.cli.qv" in loaded
    for other in ("classify", "limits", "dataset", "eplg", "mirror", "report", "timeline"):
        assert f"quantumlimits.cli.{other}'" not in loaded
