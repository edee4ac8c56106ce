"""classify.png: held-out accuracy against training wall time and against projected QPU time.

Each model has one colour; each seed is one thin line (quantum) or one marker (classical: a single
fit). The dashed line is the target. Both x axes are logarithmic: the models differ by orders of
magnitude.
"""

from __future__ import annotations

import io
import os
from typing import Any

from quantumlimits._io import atomic_write_bytes
from quantumlimits.classify.results import ClassifyResult


def _colours(result: ClassifyResult) -> dict[str, Any]:
    import matplotlib as mpl

    cycle = mpl.colormaps["tab10"]
    return {m.name: cycle(i % 10) for i, m in enumerate(result.models)}


def plot_accuracy_vs_wall_time(ax: Any, result: ClassifyResult) -> None:
    """Held-out accuracy against training wall time (evaluation excluded), every model."""
    colours = _colours(result)
    for model in result.models:
        for i, run in enumerate(model.runs):
            label = model.name if i == 0 else None
            t = [max(s, 1e-6) for s in run.curve.train_seconds]
            if model.family == "classical":
                ax.scatter(
                    t,
                    run.curve.accuracy,
                    color=colours[model.name],
                    marker="s",
                    s=18,
                    label=label,
                    zorder=3,
                )
            else:
                ax.plot(
                    t,
                    run.curve.accuracy,
                    color=colours[model.name],
                    lw=1.0,
                    alpha=0.8,
                    label=label,
                    drawstyle="steps-post",
                )
    _finish(ax, result, "training wall time (s, evaluation excluded)")


def plot_accuracy_vs_qpu_time(ax: Any, result: ClassifyResult) -> None:
    """Held-out accuracy against projected QPU seconds, quantum models only."""
    colours = _colours(result)
    drawn = False
    for model in result.models:
        if model.family != "quantum":
            continue
        for i, run in enumerate(model.runs):
            q = run.curve.qpu_seconds
            if not q or q[-1] <= 0:
                continue
            ax.plot(
                q,
                run.curve.accuracy,
                color=colours[model.name],
                lw=1.0,
                alpha=0.8,
                label=model.name if i == 0 else None,
                drawstyle="steps-post",
            )
            # the trained model's accuracy where its circuits ran with noise: on Aer with the
            # device model (--noisy-eval) and on the device itself (--backend ibm_*)
            for value, marker, name in (
                (run.noisy_accuracy, "x", "noisy Aer"),
                (run.hardware_accuracy, "*", "on the device"),
            ):
                if value is not None:
                    ax.scatter(
                        [q[-1]],
                        [value],
                        color=colours[model.name],
                        marker=marker,
                        s=40,
                        zorder=4,
                        label=f"{model.name} {name}" if i == 0 else None,
                    )
            drawn = True
    if not drawn:
        ax.text(
            0.5,
            0.5,
            "no QPU projection\n(no quantum model or no --device-model)",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
    device = result.device_model or "no device"
    _finish(
        ax, result, f"projected QPU time on {device} (s, {result.shots} shots/circuit)", log=drawn
    )


def _finish(ax: Any, result: ClassifyResult, xlabel: str, *, log: bool = True) -> None:
    ax.axhline(result.target, color="0.3", ls="--", lw=1.0, label=f"target {result.target:.3g}")
    if log:
        from matplotlib.ticker import NullFormatter

        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels collide on short spans
    ax.set_xlabel(xlabel)
    ax.set_ylabel("held-out accuracy")
    ax.set_ylim(0.0, 1.02)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small", loc="lower right")


def figure(result: ClassifyResult) -> Any:
    """The two-panel figure of a result (a matplotlib Figure; nothing is shown)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.5), layout="constrained")
    left, right = fig.subplots(1, 2)
    plot_accuracy_vs_wall_time(left, result)
    plot_accuracy_vs_qpu_time(right, result)
    name = result.dataset.get("name", "?")
    fig.suptitle(f"time to accuracy on {name}: {len(result.seeds)} seeds")
    return fig


def write_png(result: ClassifyResult, path: str | os.PathLike[str]) -> None:
    """Render :func:`figure` to ``path`` atomically (Agg backend, no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = figure(result)
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    atomic_write_bytes(path, buffer.getvalue())
