"""qv.png drawn by a second process (quantumlimits.plots.process): the same bytes as drawn in the
command's process, and the command's process draws it whenever the second one cannot."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from quantumlimits.cli import main
from quantumlimits.cli.qv import write_outputs
from quantumlimits.plots import process
from quantumlimits.plots.process import FigureProcess
from quantumlimits.qv.results import QVResult

QUICK = ["--trials", "8", "--shots", "100", "--bootstrap-resamples", "200", "--seed", "3"]


@pytest.fixture(scope="module")
def drawn_here(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small run's --out folder, qv.png drawn in this process (main() in-process)."""
    out = tmp_path_factory.mktemp("here") / "out"
    store = out.parent / "s.sqlite"
    argv = ["qv", "--backend", "fake_lima", "--widths", "2-3", *QUICK]
    assert main([*argv, "--out", str(out), "--store", str(store)]) == 0
    return out


@pytest.fixture
def enabled() -> Iterator[None]:
    process.enable()
    try:
        yield
    finally:
        process.enable(False)


def test_not_enabled_no_process() -> None:
    assert FigureProcess.start("qv") is None


def test_the_drawing_process_writes_the_bytes_this_process_writes(
    drawn_here: Path, tmp_path: Path, enabled: None
) -> None:
    figures = FigureProcess.start("qv")
    assert figures is not None
    png = tmp_path / "qv.png"
    assert figures.draw(document=(drawn_here / "qv.json").read_text(), path=png, crop=False)
    assert png.read_bytes() == (drawn_here / "qv.png").read_bytes()


def test_the_process_runs_this_package_whatever_the_working_folder_holds(
    drawn_here: Path, tmp_path: Path, enabled: None
) -> None:
    """A folder named like the package in the working folder (the test runs in tmp_path) is not
    what the drawing process imports."""
    shadow = tmp_path / "quantumlimits"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise RuntimeError('not the package')\n")
    figures = FigureProcess.start("qv")
    assert figures is not None
    png = tmp_path / "qv.png"
    assert figures.draw(document=(drawn_here / "qv.json").read_text(), path=png, crop=False)
    assert png.read_bytes() == (drawn_here / "qv.png").read_bytes()


def test_a_failed_drawing_returns_false_and_writes_nothing(tmp_path: Path, enabled: None) -> None:
    figures = FigureProcess.start("qv")
    assert figures is not None
    png = tmp_path / "qv.png"
    assert not figures.draw(document='{"schema": "not a qv document"}', path=png)
    assert not png.exists()
    assert not figures.draw(document="{}", path=png)  # asked once: the process is gone


def test_the_command_draws_when_the_process_cannot(
    drawn_here: Path, tmp_path: Path, enabled: None
) -> None:
    result = QVResult.from_json((drawn_here / "qv.json").read_text())
    figures = FigureProcess.start("qv")
    assert figures is not None
    figures.close()  # stopped before it was asked
    write_outputs(tmp_path, result, figures=figures)
    assert (tmp_path / "qv.png").read_bytes() == (drawn_here / "qv.png").read_bytes()
    assert (tmp_path / "qv.json").read_text() == (drawn_here / "qv.json").read_text()


def test_the_process_exits_when_its_input_closes_without_a_request(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "quantumlimits.plots.process", "qv"],
        input=b"",
        capture_output=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no figure kind"):
        FigureProcess("nope")
    done = subprocess.run(
        [sys.executable, "-m", "quantumlimits.plots.process", "nope"],
        input=b"",
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 2 and b"usage" in done.stderr


def test_a_command_line_process_draws_qv_png_in_the_second_process(
    drawn_here: Path, tmp_path: Path
) -> None:
    """``python -m quantumlimits qv`` (the entry point enables the drawing process) writes the
    qv.png that the same run draws in-process."""
    out = tmp_path / "out"
    argv = ["qv", "--backend", "fake_lima", "--widths", "2-3", *QUICK]
    done = subprocess.run(
        [sys.executable, "-m", "quantumlimits", *argv, "--out", str(out), "--no-store"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert (out / "qv.png").read_bytes() == (drawn_here / "qv.png").read_bytes()
