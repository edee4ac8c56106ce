"""classify.png: both panels draw on given Axes, the target line is there, the file is atomic."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from quantumlimits.plots.classify import (
    plot_accuracy_vs_qpu_time,
    plot_accuracy_vs_wall_time,
    write_png,
)
from tests.classify.test_results import _result


def test_panels_draw_every_model_and_the_target() -> None:
    result = _result()
    fig = Figure()
    left, right = fig.subplots(1, 2)
    plot_accuracy_vs_wall_time(left, result)
    plot_accuracy_vs_qpu_time(right, result)
    labels = [t.get_text() for t in left.get_legend().get_texts()]
    assert labels == ["vqc-reupload", "svc", "target 0.9"]
    assert left.get_xscale() == "log" and right.get_xscale() == "log"
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["vqc-reupload", "target 0.9"]
    assert len(left.lines) == 3 + 1  # three seeds and the target


def test_write_png_leaves_only_the_file(tmp_path: Path) -> None:
    path = tmp_path / "classify.png"
    write_png(_result(), path)
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert [p.name for p in tmp_path.iterdir()] == ["classify.png"]
